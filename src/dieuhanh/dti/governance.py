"""The province's national governance indices: DTI, PAR INDEX, SIPAS, PAPI, PCI and the Decision-766 score, each
year's value and rank among the provinces (63 before the 1 July 2025 reorganisation, 34 after), with components
where published. Recorded through the API or imported from the published tables (CSV, XLSX, JSON)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.errors import FieldError, InvalidInput
from dieuhanh.core.security import Principal, authorize
from dieuhanh.dti.framework import message
from dieuhanh.dti.models import GovernanceIndex

INDICES: dict[str, tuple[str, str]] = {
    # code: (name, who publishes it)
    "dti": ("Chỉ số chuyển đổi số cấp tỉnh (DTI)", "Bộ Khoa học và Công nghệ (trước 2025: Bộ TT&TT)"),
    "par": ("Chỉ số cải cách hành chính (PAR INDEX)", "Bộ Nội vụ"),
    "sipas": ("Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)", "Bộ Nội vụ"),
    "papi": ("Chỉ số hiệu quả quản trị và hành chính công cấp tỉnh (PAPI)", "UNDP và các đối tác"),
    "pci": ("Chỉ số năng lực cạnh tranh cấp tỉnh (PCI)", "Liên đoàn Thương mại và Công nghiệp Việt Nam (VCCI)"),
    "qd766": ("Bộ chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg)", "Văn phòng Chính phủ"),
}
HIGHER_RANK_IS_WORSE = True  # rank 1 is the best on every national table


class GovernanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: str = Field(pattern="^(dti|par|sipas|papi|pci|qd766)$")
    year: int = Field(ge=2010, le=2100)
    province_code: str = Field(pattern=r"^\d{2}$")
    value: float | None = None
    rank: int | None = Field(default=None, ge=1, le=63)
    rank_of: int | None = Field(default=None, ge=1, le=63)
    components: dict[str, float | None] = Field(default_factory=dict)
    source: str = Field(default="", max_length=2000)
    demo: bool = False


def record(session: Session, *, principal: Principal, data: GovernanceIn) -> GovernanceIndex:
    """Create or replace one (index, year, province) value. Audited."""
    authorize(principal, "governance.write")
    row = session.scalars(select(GovernanceIndex).where(
        GovernanceIndex.index == data.index, GovernanceIndex.year == data.year,
        GovernanceIndex.province_code == data.province_code)).first()
    before = None
    if row is None:
        row = GovernanceIndex(index=data.index, year=data.year, province_code=data.province_code)
        session.add(row)
    else:
        before = {"value": row.value, "rank": row.rank}
    row.value, row.rank, row.components, row.source, row.demo = (data.value, data.rank, dict(data.components),
                                                                 data.source, data.demo)
    row.rank_of = data.rank_of or (63 if data.year < 2025 else 34)
    row.updated_by = principal.actor
    session.flush()
    audit.record(session, actor=principal.actor, action="governance.record", entity_type="governance_index",
                 entity_id=row.id, before=before,
                 after={"index": row.index, "year": row.year, "province": row.province_code, "value": row.value,
                        "rank": row.rank})
    return row


def _validate(item: dict[str, Any], *, where: str) -> GovernanceIn:
    try:
        return GovernanceIn.model_validate(item)
    except ValidationError as exc:
        errors = [FieldError(message(e), field=".".join(str(x) for x in e.get("loc", ()))) for e in exc.errors()]
        raise InvalidInput(f"{where}: " + "; ".join(f"{e.field}: {e.message}" for e in errors[:4]),
                           errors=errors) from exc


def _number(text: Any, *, where: str, column: str) -> float | None:
    if text is None or str(text).strip() in ("", "-", "–"):
        return None
    raw = str(text).strip()
    # "0,5064" (Vietnamese decimal comma) and "1.234,5" both read; a lone "." is a decimal point.
    cleaned = raw.replace(".", "").replace(",", ".") if "," in raw else raw
    try:
        return float(cleaned)
    except ValueError:
        raise InvalidInput(f"{where}, cột «{column}»: «{raw}» không phải số.",
                           errors=[FieldError("không phải số", column=column)]) from None


def read_rows(name: str, content: bytes) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8), XLSX (first sheet) or JSON (list of objects) file."""
    suffix = Path(name).suffix.lower()
    if suffix == ".json":
        data = json.loads(content.decode("utf-8-sig"))
        if not isinstance(data, list):
            raise InvalidInput(f"{name}: cần một danh sách các đối tượng.")
        return [dict(x) for x in data]
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
        if not values:
            return []
        header = [str(h or "").strip() for h in values[0]]
        return [dict(zip(header, row, strict=False)) for row in values[1:] if any(v is not None for v in row)]
    if suffix == ".csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    raise InvalidInput(f"{name}: chỉ nhận tệp .csv, .xlsx hoặc .json.")


BASE_COLUMNS = {"year", "province_code", "value", "rank", "rank_of", "source", "index"}


def import_file(session: Session, *, principal: Principal, name: str, content: bytes, index: str,
                province_code: str) -> list[GovernanceIndex]:
    """Import the published table of one index: columns ``year, value, rank`` (optional ``province_code``,
    ``rank_of``, ``source``); every other numeric column is a component. All rows or none."""
    authorize(principal, "governance.write")
    if index not in INDICES:
        raise InvalidInput(f"Chỉ số «{index}» không có; chọn một trong: {', '.join(INDICES)}.",
                           errors=[FieldError("không hợp lệ", field="index")])
    rows = read_rows(name, content)
    if not rows:
        raise InvalidInput(f"{name}: tệp không có dòng dữ liệu nào.")
    items = []
    for n, raw in enumerate(rows, start=2):
        where = f"{name}, dòng {n}"
        clean = {str(k).strip().lower(): v for k, v in raw.items() if k is not None}
        if "year" not in clean:
            raise InvalidInput(f"{where}: thiếu cột «year».", errors=[FieldError("thiếu cột", row=n, column="year")])
        item: dict[str, Any] = {
            "index": index, "year": clean.get("year"),
            "province_code": str(clean.get("province_code") or province_code).strip().zfill(2),
            "value": _number(clean.get("value"), where=where, column="value"),
            "rank": _number(clean.get("rank"), where=where, column="rank"),
            "rank_of": _number(clean.get("rank_of"), where=where, column="rank_of"),
            "source": str(clean.get("source") or name),
            "components": {k: _number(v, where=where, column=k) for k, v in clean.items()
                           if k not in BASE_COLUMNS and str(v or "").strip()},
        }
        for key in ("rank", "rank_of", "year"):
            if item[key] is not None:
                try:
                    item[key] = int(float(item[key]))
                except (TypeError, ValueError):
                    raise InvalidInput(f"{where}, cột «{key}»: «{item[key]}» không phải số nguyên.",
                                       errors=[FieldError("không phải số nguyên", row=n, column=key)]) from None
        items.append(_validate(item, where=where))
    return [record(session, principal=principal, data=i) for i in items]


def series(session: Session, *, province_code: str) -> dict[str, list[GovernanceIndex]]:
    """Every index's values for the province, oldest year first."""
    out: dict[str, list[GovernanceIndex]] = {k: [] for k in INDICES}
    for row in session.scalars(select(GovernanceIndex).where(GovernanceIndex.province_code == province_code)
                               .order_by(GovernanceIndex.index, GovernanceIndex.year)):
        out.setdefault(row.index, []).append(row)
    return out


def out(row: GovernanceIndex) -> dict[str, Any]:
    return {"index": row.index, "name": INDICES.get(row.index, (row.index, ""))[0], "year": row.year,
            "province_code": row.province_code, "value": row.value, "rank": row.rank, "rank_of": row.rank_of,
            "components": row.components or {}, "source": row.source, "demo": row.demo}
