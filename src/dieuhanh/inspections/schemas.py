"""Validated input of the inspections domain (one place for the web form, the XLSX file and the JSON API)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dieuhanh.core.errors import FieldError
from dieuhanh.inspections import taxcode
from dieuhanh.inspections.models import KINDS
from dieuhanh.inspections.reference import CONTENTS

# JSON field → column header of the XLSX template (errors name the column the officer sees).
COLUMNS: dict[str, str] = {
    "tax_code": "Mã số thuế", "enterprise_name": "Tên doanh nghiệp", "address": "Địa chỉ",
    "legal_rep": "Người đại diện theo pháp luật", "kind": "Hình thức", "content_code": "Nội dung",
    "month": "Tháng", "start_date": "Từ ngày", "end_date": "Đến ngày", "lead_agency": "Cơ quan chủ trì",
    "participants": "Cơ quan phối hợp", "violation_signs": "Có dấu hiệu vi phạm", "basis_document": "Văn bản căn cứ",
    "remote": "Thanh tra, kiểm tra trực tuyến",
}
_KIND_WORDS = {"thanh tra": "thanh_tra", "kiểm tra": "kiem_tra", "kiem tra": "kiem_tra",
               "kiểm tra liên ngành": "kiem_tra_lien_nganh", "kiem tra lien nganh": "kiem_tra_lien_nganh"}
_TRUE = {"true", "1", "x", "có", "co", "yes"}
_FALSE = {"false", "0", "", "không", "khong", "no"}


@dataclass
class VisitIn:
    enterprise_name: str
    kind: str
    content_code: str
    month: int
    lead_agency: str
    address: str = ""
    legal_rep: str = ""
    tax_code: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    participants: list[str] = field(default_factory=list)
    violation_signs: bool = False
    basis_document: str | None = None
    remote: bool = False


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return "".join(c for c in text if c.isprintable())[:limit]


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value if not hasattr(value, "date") else value.date()  # type: ignore[union-attr]
    text = str(value).strip()
    try:
        if "/" in text:
            d, m, y = text.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ValueError(f"ngày “{text}” không hợp lệ (dd/mm/yyyy)") from exc


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value, 10).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"“{text}” phải là có/không")


def parse_visit(raw: Any, *, year: int, agency_code: str, agencies: set[str], where: dict[str, Any],
                by_column: bool) -> tuple[VisitIn | None, list[FieldError]]:
    """One visit from a JSON object or an XLSX row; errors name the field (API) or the column (file)."""
    errors: list[FieldError] = []

    def err(name: str, message: str) -> None:
        if by_column:
            errors.append(FieldError(f"{COLUMNS[name]}: {message}", column=COLUMNS[name], **where))
        else:
            errors.append(FieldError(message, field=name, **where))

    if not isinstance(raw, dict):
        return None, [FieldError("mỗi cuộc phải là một đối tượng JSON", **where)]
    name = _text(raw.get("enterprise_name"), 300)
    if not name:
        err("enterprise_name", "thiếu tên doanh nghiệp")
    tax = _text(raw.get("tax_code"), 20) or None
    if tax:
        try:
            tax = taxcode.parse(tax).code
        except taxcode.InvalidTaxCode as exc:
            err("tax_code", str(exc))
    kind_raw = _text(raw.get("kind"), 40)
    kind = kind_raw if kind_raw in KINDS else _KIND_WORDS.get(kind_raw.lower(), "")
    if not kind:
        err("kind", f"hình thức “{kind_raw}” không hợp lệ (thanh_tra, kiem_tra hoặc kiem_tra_lien_nganh)")
    content = _text(raw.get("content_code"), 20).upper()
    if content not in CONTENTS:
        err("content_code", f"nội dung “{content}” không có trong danh mục lĩnh vực quản lý nhà nước")
    start = end = None
    try:
        start = _date(raw.get("start_date"))
    except ValueError as exc:
        err("start_date", str(exc))
    try:
        end = _date(raw.get("end_date"))
    except ValueError as exc:
        err("end_date", str(exc))
    month = 0
    month_raw = raw.get("month")
    if month_raw not in (None, ""):
        try:
            month = int(float(str(month_raw)))
        except ValueError:
            month = -1
        if not 1 <= month <= 12:
            err("month", f"tháng “{_text(month_raw, 10)}” phải từ 1 đến 12")
    elif start is not None:
        month = start.month
    else:
        err("month", "cần tháng dự kiến hoặc ngày bắt đầu")
    if start and start.year != year:
        err("start_date", f"ngày bắt đầu phải trong năm {year}")
    if start and end and end < start:
        err("end_date", "ngày kết thúc trước ngày bắt đầu")
    lead = _text(raw.get("lead_agency"), 40) or agency_code
    if lead not in agencies:
        err("lead_agency", f"cơ quan chủ trì “{lead}” không có trong danh mục cơ quan")
    parts_raw = raw.get("participants") or []
    if isinstance(parts_raw, str):
        parts_raw = [p.strip() for p in parts_raw.replace(";", ",").split(",") if p.strip()]
    participants = [_text(p, 40) for p in parts_raw] if isinstance(parts_raw, list) else []
    unknown = [p for p in participants if p not in agencies]
    if unknown:
        err("participants", "cơ quan phối hợp không có trong danh mục: " + ", ".join(unknown))
    flags: dict[str, bool] = {}
    for key in ("violation_signs", "remote"):
        try:
            flags[key] = _bool(raw.get(key))
        except ValueError as exc:
            err(key, str(exc))
    basis = _text(raw.get("basis_document"), 200) or None
    if errors:
        return None, errors
    return VisitIn(enterprise_name=name, kind=kind, content_code=content, month=month, lead_agency=lead,
                   address=_text(raw.get("address"), 400), legal_rep=_text(raw.get("legal_rep"), 120), tax_code=tax,
                   start_date=start, end_date=end, participants=participants,
                   violation_signs=flags["violation_signs"], basis_document=basis, remote=flags["remote"]), []
