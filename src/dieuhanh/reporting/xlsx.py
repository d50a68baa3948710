"""The report's Excel template (openpyxl) and the reading of a filled one, with errors by cell.

Layout of every template (sheet «Báo cáo»):

- A1 title, A2 instructions; B3/C3/D3 agency code and name; B4/C4/D4 period and its label; B5/C5 template
  code and version (``kt_xh_thang/v1``): C3, C4 and C5 are checked on upload;
- form layout: one field per fixed cell (e.g. C7), its label in the cell on the left, unit on the right;
- table layout: column headers on row 6, one record per row from row 7 until the first empty row.

The conversion of a cell (``convert``) and of a table's rows (``read_rows``) is shared with the web form: its
fields and grid rows go through the same functions, only the place named in an error differs (a cell here, a
field or a grid row and column there).

Labels and header cells are protected (sheet protection without password: it prevents slips, not fraud);
input cells are unlocked and carry Excel data validation (number, whole number, date, min/max).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.datavalidation import DataValidation

from dieuhanh.core.cells import xlsx_cell
from dieuhanh.core.formatting import period_label
from dieuhanh.ingest import values
from dieuhanh.reporting import periods
from dieuhanh.reporting.models import ReportType
from dieuhanh.reporting.schemas import FIELD_TYPES, FIRST_FIELD_ROW

SHEET = "Báo cáo"
AGENCY_CELL, PERIOD_CELL, VERSION_CELL = "C3", "C4", "C5"
TABLE_HEADER_ROW = FIRST_FIELD_ROW - 1
TABLE_ROWS = 200  # unlocked, validated rows of a table template
MAX_TABLE_ROWS = 5000
INPUT_FILL = PatternFill("solid", fgColor="FFF8E1")
HEAD_FILL = PatternFill("solid", fgColor="E3F2FD")


def version_tag(rt: ReportType) -> str:
    return f"{rt.code}/v{rt.version}"


Units = Callable[[str], str]  # a unit's code or name -> the current official code; ValueError when unknown
# (row number, field) -> (cell reference or None, prefix of the message naming the place)
Locate = Callable[[int, dict[str, Any]], tuple[str | None, str | None]]


@dataclass
class CellError:
    cell: str | None
    message: str
    field: str | None = None
    row: int | None = None  # table layout: the row (Excel row of an upload, grid row of the web form)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cell": self.cell, "field": self.field, "message": self.message}
        if self.row is not None:
            out["row"] = self.row
        return out


@dataclass
class Parsed:
    agency: str | None = None
    period: str | None = None
    version: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)


def _validation(f: dict[str, Any]) -> DataValidation | None:
    kind = f.get("type", "number")
    lo, hi = f.get("min"), f.get("max")
    if kind in ("number", "int"):
        dv_type = "decimal" if kind == "number" else "whole"
        if lo is not None and hi is not None:
            dv = DataValidation(type=dv_type, operator="between", formula1=str(lo), formula2=str(hi))
        elif lo is not None:
            dv = DataValidation(type=dv_type, operator="greaterThanOrEqual", formula1=str(lo))
        elif hi is not None:
            dv = DataValidation(type=dv_type, operator="lessThanOrEqual", formula1=str(hi))
        else:
            dv = DataValidation(type=dv_type, operator="between", formula1="-1E+15", formula2="1E+15")
        what = "một số" if kind == "number" else "một số nguyên"
        bounds = "".join([f", từ {lo}" if lo is not None else "", f" đến {hi}" if hi is not None else ""])
        dv.error = f"«{f['label']}» cần {what}{bounds}."
    elif kind == "date":
        dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)")
        dv.error = f"«{f['label']}» cần một ngày (dd/mm/yyyy)."
    else:
        return None
    dv.errorTitle = "Giá trị không hợp lệ"
    dv.showErrorMessage = True
    dv.allow_blank = True
    return dv


def build_template(rt: ReportType, *, agency_code: str, agency_name: str, period: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws["A1"] = xlsx_cell(rt.title.upper())
    ws["A1"].font = Font(bold=True, size=14)
    layout = "dạng biểu: nhập vào các ô nền vàng" if rt.layout == "form" else (
        f"dạng bảng: mỗi dòng một bản ghi từ dòng {FIRST_FIELD_ROW}, dừng ở dòng trống đầu tiên")
    due = periods.due_date(period, rt.due_day)
    ws["A2"] = (f"Hướng dẫn: mẫu {layout}. Trường có dấu * là bắt buộc. Số viết 1.234,5 hoặc nhập số trực tiếp; "
                f"ngày dạng dd/mm/yyyy. Không sửa các ô C3, C4, C5. Hạn nộp: {due:%d/%m/%Y}.")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 45
    ws.merge_cells("A1:F1")
    ws.merge_cells("A2:F2")
    for row, (key, value, text) in enumerate((("Cơ quan báo cáo", agency_code, agency_name),
                                              ("Kỳ báo cáo", period, period_label(period)),
                                              ("Mã mẫu", version_tag(rt), "")), start=3):
        ws.cell(row=row, column=2, value=key).font = Font(bold=True)
        ws.cell(row=row, column=3, value=xlsx_cell(value)).fill = HEAD_FILL
        ws.cell(row=row, column=4, value=xlsx_cell(text))
    ws.column_dimensions["A"].width = 4
    fields = rt.fields or []
    if rt.layout == "form":
        ws.column_dimensions["B"].width = 55
        ws.column_dimensions["C"].width = 22
        ws.column_dimensions["D"].width = 16
        for f in fields:
            col_letter, row = coordinate_from_string(f["cell"])
            col = column_index_from_string(col_letter)
            label = ws.cell(row=row, column=col - 1, value=xlsx_cell(f["label"] + (" *" if f.get("required") else "")))
            label.alignment = Alignment(wrap_text=True)
            target = ws.cell(row=row, column=col)
            target.protection = Protection(locked=False)
            target.fill = INPUT_FILL
            if f.get("type") == "date":
                target.number_format = "DD/MM/YYYY"
            elif f.get("type") == "int":
                target.number_format = "#,##0"
            elif f.get("type") == "number":
                target.number_format = "#,##0.0#"
            ws.cell(row=row, column=col + 1, value=xlsx_cell(f.get("unit") or FIELD_TYPES.get(f.get("type", ""), "")))
            dv = _validation(f)
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(target.coordinate)
    else:
        for i, f in enumerate(fields, start=1):
            head = ws.cell(row=TABLE_HEADER_ROW, column=i,
                           value=xlsx_cell(_header(f) + (" *" if f.get("required") else "")))
            head.font = Font(bold=True)
            head.fill = HEAD_FILL
            head.alignment = Alignment(wrap_text=True)
            if f.get("unit"):
                head.comment = Comment(f"Đơn vị: {f['unit']}", "dieuhanh")
            elif f.get("type") == "unit":
                head.comment = Comment("Mã xã, phường (5 chữ số) hoặc tên xã, phường hiện nay", "dieuhanh")
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = 28 if f.get("type") == "text" else 18
            for r in range(FIRST_FIELD_ROW, FIRST_FIELD_ROW + TABLE_ROWS):
                c = ws.cell(row=r, column=i)
                c.protection = Protection(locked=False)
                if f.get("type") == "date":
                    c.number_format = "DD/MM/YYYY"
            dv = _validation(f)
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(f"{letter}{FIRST_FIELD_ROW}:{letter}{FIRST_FIELD_ROW + TABLE_ROWS - 1}")
    ws.protection.sheet = True
    ws.protection.formatCells = False
    ws.protection.formatColumns = False
    ws.protection.insertRows = False
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _header(f: dict[str, Any]) -> str:
    return str(f.get("header") or f["label"])


def _norm(text: Any) -> str:
    from dieuhanh.geo.reference import normalize

    return normalize(str(text or "").replace("*", "")).strip()


def _show(value: Any) -> str:
    text = str(value).strip()
    return text if len(text) <= 40 else text[:37] + "…"


def convert(f: dict[str, Any], raw: Any, ref: str | None, errors: list[CellError], *, row: int | None = None,
            where: str | None = None, units: Units | None = None) -> Any:
    """One cell's value in the field's type, or None with an error naming the cell (``ref``), or the place
    ``where`` says ("Dòng 3, cột «Số ca mắc»: "). Unit codes are resolved with ``units`` when given."""
    named = where is not None  # the place already names the column
    where = where if where is not None else f"Ô {ref}: " if ref else f"«{f['label']}»: "

    def fail(message: str) -> None:
        errors.append(CellError(ref, where + message, f["name"], row))

    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        if f.get("required"):
            fail("thiếu giá trị bắt buộc." if named else f"thiếu giá trị bắt buộc «{f['label']}».")
        return None
    kind = f.get("type", "number")
    value: Any
    if kind == "unit":
        # A code typed as a number in Excel (14380, or 4 for 00004) is read back as a float.
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        if units is None:
            return text
        try:
            return units(text)
        except ValueError as exc:
            fail(f"{str(exc).rstrip('.')}.")
            return None
    try:
        if kind in ("number", "int"):
            if isinstance(raw, bool) or isinstance(raw, datetime | date):
                raise ValueError
            parsed: float | None = float(raw) if isinstance(raw, int | float) else None
            if parsed is None:
                for decimal in (",", "."):
                    try:
                        parsed = values.parse_number(str(raw), decimal)
                        break
                    except ValueError:
                        continue
            if parsed is None:
                raise ValueError
            number = parsed
            if kind == "int":
                if float(number) != int(float(number)):
                    fail(f"«{_show(raw)}» không phải là số nguyên.")
                    return None
                value = int(float(number))
            else:
                value = float(number)
        elif kind == "date":
            value = values.parse_date(raw if not isinstance(raw, int | float) else str(raw), excel_serial=True)
            if value is None:
                raise ValueError
        else:
            value = str(raw).strip()[:4000]
            return value
    except ValueError:
        what = {"number": "số", "int": "số nguyên", "date": "ngày (dd/mm/yyyy)"}[kind]
        fail(f"«{_show(raw)}» không phải là {what}.")
        return None
    if kind in ("number", "int"):
        lo, hi = f.get("min"), f.get("max")
        if lo is not None and value < lo:
            fail(f"{_show(raw)} nhỏ hơn giá trị tối thiểu {lo:g}.")
            return None
        if hi is not None and value > hi:
            fail(f"{_show(raw)} lớn hơn giá trị tối đa {hi:g}.")
            return None
    return value


def is_blank(raw: dict[str, Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values())


def read_rows(fields: list[dict[str, Any]], raw_rows: Iterable[tuple[int, dict[str, Any]]], errors: list[CellError],
              *, locate: Locate, units: Units | None = None) -> list[dict[str, Any]]:
    """The records of a table layout: ``(row number, {field name: raw value})`` -> typed records, every problem
    a CellError placed by ``locate(row number, field)``. The XLSX reader and the web form's grid both use it."""
    out = []
    for number, raw in raw_rows:
        record = {}
        for f in fields:
            ref, where = locate(number, f)
            record[f["name"]] = convert(f, raw.get(f["name"]), ref, errors, row=number, where=where, units=units)
        out.append(record)
    return out


def as_text(f: dict[str, Any], value: Any) -> str:
    """A stored value as an officer types it (1.234,5 — 15/06/2025), read back unchanged by ``convert``:
    numbers keep every digit (no rounding), so a prefilled form resubmits the same figures."""
    if value is None:
        return ""
    kind = f.get("type", "number")
    if kind in ("number", "int") and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = format(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), "f")
        sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
        whole, _, fraction = text.partition(".")
        fraction = fraction.rstrip("0")
        return sign + f"{int(whole):,}".replace(",", ".") + ("," + fraction if fraction else "")
    if kind == "date" and isinstance(value, date | datetime):
        return f"{value:%d/%m/%Y}"
    return str(value)


def parse(rt: ReportType, data: bytes, *, filename: str, max_bytes: int, units: Units | None = None) -> Parsed:
    """Read a filled template. Never raises for content problems: every problem is a CellError."""
    from dieuhanh.ingest.readers import ReadError, check_zip

    out = Parsed()
    if len(data) > max_bytes:
        out.errors.append(CellError(None, f"Tệp vượt quá giới hạn {max_bytes // (1024 * 1024)} MB."))
        return out
    try:
        check_zip(io.BytesIO(data), max_bytes=max_bytes, filename=filename)
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except ReadError as exc:
        out.errors.append(CellError(None, exc.message))
        return out
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, TypeError):
        out.errors.append(CellError(None, f"Tệp «{filename}» không phải tệp Excel (.xlsx) đọc được."))
        return out
    if SHEET not in wb.sheetnames:
        out.errors.append(CellError(None, f"Không có trang tính «{SHEET}»: tệp không phải mẫu báo cáo này. "
                                          "Hãy tải mẫu mới và nhập lại."))
        return out
    ws = wb[SHEET]
    tag = ws[VERSION_CELL].value
    out.version = str(tag).strip() if tag is not None else None
    if out.version != version_tag(rt):
        if out.version and out.version.split("/")[0] == rt.code:
            message = (f"Ô {VERSION_CELL}: mẫu phiên bản cũ «{out.version}», phiên bản hiện hành là "
                       f"«{version_tag(rt)}». Hãy tải mẫu mới.")
        else:
            message = (f"Ô {VERSION_CELL}: «{_show(out.version or '')}» không phải mẫu «{version_tag(rt)}» của "
                       f"báo cáo «{rt.title}».")
        out.errors.append(CellError(VERSION_CELL, message))
        return out
    agency, period = ws[AGENCY_CELL].value, ws[PERIOD_CELL].value
    out.agency = str(agency).strip() if agency is not None else None
    out.period = str(period).strip() if period is not None else None
    fields = rt.fields or []
    if rt.layout == "form":
        record: dict[str, Any] = {}
        for f in fields:
            record[f["name"]] = convert(f, ws[f["cell"]].value, f["cell"], out.errors, units=units)
        out.rows.append(record)
        return out
    headers = {}
    for col in range(1, ws.max_column + 1):
        text = ws.cell(row=TABLE_HEADER_ROW, column=col).value
        if text is not None and str(text).strip():
            headers[_norm(text)] = col
    columns: dict[str, int] = {}
    for f in fields:
        found = headers.get(_norm(_header(f)))
        if found is None:
            out.errors.append(CellError(f"A{TABLE_HEADER_ROW}", f"Dòng {TABLE_HEADER_ROW}: thiếu cột «{_header(f)}».",
                                        f["name"]))
        else:
            columns[f["name"]] = found
    if out.errors:
        return out

    def body() -> Iterator[tuple[int, dict[str, Any]]]:
        for r in range(FIRST_FIELD_ROW, min(ws.max_row, FIRST_FIELD_ROW + MAX_TABLE_ROWS) + 1):
            raw = {f["name"]: ws.cell(row=r, column=columns[f["name"]]).value for f in fields}
            if is_blank(raw):
                return
            yield r, raw

    out.rows = read_rows(fields, body(), out.errors, units=units,
                         locate=lambda r, f: (f"{get_column_letter(columns[f['name']])}{r}", None))
    if not out.rows:
        out.errors.append(CellError(f"A{FIRST_FIELD_ROW}", f"Ô A{FIRST_FIELD_ROW}: bảng không có dòng dữ liệu nào."))
    return out
