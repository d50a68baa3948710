"""Exports: any table to XLSX (openpyxl), a board to PDF (WeasyPrint with a vendored Vietnamese-capable font).

``table_to_xlsx(title, headers, rows)`` is shared: other modules reuse it for their tables.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from dieuhanh.core.cells import xlsx_cell
from dieuhanh.web.templating import WEB_DIR

FONTS_DIR = WEB_DIR / "static" / "fonts"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MEDIA_TYPE = "application/pdf"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str) -> str:
    text = _SHEET_FORBIDDEN.sub(" ", title).strip() or "Bảng"
    return text[:31]


def _number_format(values: list[Any]) -> str | None:
    numbers = [v for v in values if isinstance(v, int | float | Decimal) and not isinstance(v, bool)]
    if not numbers:
        return None
    if all(float(v).is_integer() for v in numbers):
        return "#,##0"
    return "#,##0.00"


DEMO_MARK = "DỮ LIỆU MẪU — không phải số liệu chính thức"


def table_to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]], *,
                  subtitle: str | None = None, demo: bool = False) -> bytes:
    """One sheet: a title row, an optional subtitle, the bold header row (frozen, filtered) and the rows;
    ``demo``: the demo province's data, marked "DỮ LIỆU MẪU" in the subtitle row and the printed header.

    Numbers stay numbers (formatted with thousands separators; Excel shows them in the user's locale, e.g.
    1.234,5 in Vietnamese), dates are dates (dd/mm/yyyy), None is an empty cell."""
    if demo:
        subtitle = f"{DEMO_MARK} · {subtitle}" if subtitle else DEMO_MARK
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_title(title)
    sheet.append([xlsx_cell(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    header_row = 2
    if subtitle:
        sheet.append([xlsx_cell(subtitle)])
        sheet["A2"].font = Font(italic=not demo, bold=demo, color="B71C1C" if demo else "555555")
        header_row = 3
    if demo:
        sheet.oddHeader.center.text = DEMO_MARK
    sheet.append([xlsx_cell(h) for h in headers])
    fill = PatternFill("solid", fgColor="DCE7F3")
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([_cell(v) for v in row])
    first_data = header_row + 1
    last_data = header_row + len(rows)
    for index, _header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        column = [row[index - 1] if index - 1 < len(row) else None for row in rows]
        number_format = _number_format(column)
        for r in range(first_data, last_data + 1):
            cell = sheet[f"{letter}{r}"]
            if isinstance(cell.value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "dd/mm/yyyy"
            elif number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
        width = max([len(str(headers[index - 1]))] + [len(_text(v)) for v in column[:500]]) + 2
        sheet.column_dimensions[letter].width = min(max(width, 8), 60)
    sheet.freeze_panes = f"A{first_data}"
    if rows:
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(max(len(headers), 1))}{last_data}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Through the one cell writer of exports (core/cells.py): text a spreadsheet would run is neutralised."""
    if isinstance(value, str):
        return xlsx_cell(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, list | tuple | dict):
        return xlsx_cell(", ".join(map(str, value)) if not isinstance(value, dict) else str(value))
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def filename(stem: str, extension: str) -> str:
    """An ASCII file name (no diacritics) for Content-Disposition: «Kinh tế – xã hội» -> kinh-te-xa-hoi."""
    text = unicodedata.normalize("NFD", stem.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "bang"
    return f"{text[:80]}.{extension}"


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def font_face_css() -> str:
    """@font-face rules for the vendored DejaVu Sans, by file URL (PDFs never depend on system fonts)."""
    regular = (FONTS_DIR / "DejaVuSans.ttf").resolve().as_uri()
    bold = (FONTS_DIR / "DejaVuSans-Bold.ttf").resolve().as_uri()
    return (f'@font-face {{ font-family: "IOC Sans"; src: url("{regular}") format("truetype"); font-weight: 400; }}\n'
            f'@font-face {{ font-family: "IOC Sans"; src: url("{bold}") format("truetype"); font-weight: 700; }}\n')


def render_document(html: str, *, base_url: str | Path | None = None) -> Any:
    """Lay out an HTML document (a print template) with WeasyPrint; ``.write_pdf()`` gives the PDF."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(base_url or FONTS_DIR)).render()


def html_to_pdf(html: str, *, base_url: str | Path | None = None) -> bytes:
    """Render an HTML document (a print template) to PDF with WeasyPrint."""
    result = render_document(html, base_url=base_url).write_pdf()
    assert result is not None
    return bytes(result)


def document_text(document: Any) -> list[tuple[str, tuple[str, ...]]]:
    """The text laid out in a rendered document, with each piece's font family (for checks and tests)."""
    out: list[tuple[str, tuple[str, ...]]] = []

    def walk(box: Any) -> None:
        text = getattr(box, "text", None)
        if text:
            out.append((text, tuple(box.style["font_family"])))
        for child in getattr(box, "children", None) or []:
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return out


def sparkline_svg(values: Sequence[float | None], *, width: int = 120, height: int = 28,
                  color: str = "#0b5cad") -> str:
    """A small inline SVG polyline of a trend (the PDF has no JavaScript charts)."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    low = min(v for _i, v in points)
    high = max(v for _i, v in points)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    coords = " ".join(f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in points)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><polyline fill="none" stroke="{color}" stroke-width="1.5" '
            f'points="{coords}"/></svg>')
