"""Results of a campaign as an XLSX workbook: the ranking (with pillars and main indices) and the sub-indicators
that lost most points per unit — the table the province's DTI report annexes."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from dieuhanh.core.cells import xlsx_cell
from dieuhanh.dti.service import STATUS_LABELS


def _cells(values: list[Any]) -> list[Any]:
    """Text through the one cell writer of every export (a unit named "=HYPERLINK(…)" stays text)."""
    return [xlsx_cell(v) if isinstance(v, str) else v for v in values]


def results_xlsx(data: dict[str, Any], rows: list[dict[str, Any]], *, title: str, as_of: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Xếp hạng"
    ws.append(_cells([title]))
    ws["A1"].font = Font(bold=True, size=13)
    note = f"Năm {data['year']} — tối đa {data['max_points']:g} điểm" + (
        f"; mục tiêu {data['target']:g} điểm" if data.get("target") else "") + (
        f"; tạm tính đến {as_of} (đợt đánh giá chưa đóng)" if data["partial"] else "; kết quả chính thức") + (
        "; SỐ LIỆU MẪU" if data.get("demo") else "")
    ws.append(_cells([note]))
    ws.append([])
    communes = data["level"] == "commune"
    header = ["Hạng"] + (["Hạng trong khu vực"] if communes else []) + ["Đơn vị"] + (
        ["Khu vực (tỉnh cũ)"] if communes else []) + ["Tổng điểm"] + [p["name"] for p in data["pillars"]] + [
        f"{i['code']} {i['name']}" for i in data["indices"]] + ["So với năm trước", "Trạng thái", "Phiếu",
                                                               "Tạm tính"]
    ws.append(_cells(header))
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        ws.append(_cells([r["rank"]] + ([r.get("rank_in_area")] if communes else []) + [r["unit_name"]] + (
            [r.get("area")] if communes else []) + [r["total"]] + [r["pillars"][p["code"]] for p in data["pillars"]]
            + [r["indices"][i["code"]] for i in data["indices"]]
            + [r["change"], STATUS_LABELS.get(r["status"], r["status"]),
               ("Đã nộp" if r["form_status"] == "submitted" else "Chưa nộp") + (" (muộn)" if r["late"] else ""),
               "Có" if r["provisional"] else "Không"]))
    ws.column_dimensions["A"].width = 7
    ws.column_dimensions["B" if not communes else "C"].width = 40
    fix = wb.create_sheet("Cần cải thiện")
    fix.append(["Đơn vị", "Chỉ số thành phần", "Điểm bị mất"])
    for cell in fix[1]:
        cell.font = Font(bold=True)
    for r in rows:
        for f in r["to_fix"]:
            fix.append(_cells([r["unit_name"], f"{f['code']} {f['name']}", f["lost"]]))
    fix.column_dimensions["A"].width = 40
    fix.column_dimensions["B"].width = 70
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def results_html(data: dict[str, Any], rows: list[dict[str, Any]], *, title: str, as_of: str, province: str,
                 today: str) -> str:
    """The ranking as a print document in the form of a provincial report annex (A4 landscape): the issuing body
    and the national motto, the title and basis, the ranking with pillars, then what each unit should fix."""
    from html import escape

    from dieuhanh.core.formatting import format_number
    from dieuhanh.dashboard.exports import font_face_css

    def num(value: Any, digits: int = 1) -> str:
        return escape(format_number(value, digits)) if value is not None else "–"

    communes = data["level"] == "commune"
    note = f"Năm {data['year']} — tối đa {num(data['max_points'], 0)} điểm" + (
        f"; mục tiêu {num(data['target'], 0)} điểm" if data.get("target") else "") + (
        f"; TẠM TÍNH ĐẾN {as_of} (đợt đánh giá chưa đóng)" if data["partial"] else "; kết quả chính thức")
    head = ("<tr><th>Hạng</th>" + ("<th>Hạng trong khu vực</th>" if communes else "") + "<th>Đơn vị</th>"
            + ("<th>Khu vực (tỉnh cũ)</th>" if communes else "") + "<th>Tổng điểm</th>"
            + "".join(f"<th>{escape(p['name'])}</th>" for p in data["pillars"])
            + "<th>So với năm trước</th><th>Trạng thái</th><th>Phiếu</th></tr>")
    body = []
    for r in rows:
        form = ("Đã nộp" if r["form_status"] == "submitted" else "Chưa nộp") + (" (muộn)" if r["late"] else "")
        body.append(
            f"<tr><td class=n>{r['rank']}</td>"
            + (f"<td class=n>{r.get('rank_in_area') or ''}</td>" if communes else "")
            + f"<td>{escape(r['unit_name'])}</td>" + (f"<td>{escape(r.get('area') or '')}</td>" if communes else "")
            + f"<td class=n><b>{num(r['total'])}</b></td>"
            + "".join(f"<td class=n>{num(r['pillars'][p['code']])}</td>" for p in data["pillars"])
            + f"<td class=n>{num(r['change'])}</td><td>{escape(STATUS_LABELS.get(r['status'], r['status']))}</td>"
            + f"<td>{escape(form)}</td></tr>")
    fixes = []
    for r in rows:
        items = "; ".join(f"{escape(f['code'])} {escape(f['name'])} (mất {num(f['lost'])} điểm)" for f in r["to_fix"])
        if items:
            fixes.append(f"<li><b>{escape(r['unit_name'])}</b>: {items}</li>")
    demo = '<p class="demo">SỐ LIỆU MẪU — không phải kết quả chính thức.</p>' if data.get("demo") else ""
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
{font_face_css()}
@page {{ size: A4 landscape; margin: 14mm 12mm; @bottom-right {{ content: "Trang " counter(page) "/" counter(pages);
  font: 8pt "IOC Sans"; }} }}
body {{ font-family: "IOC Sans"; font-size: 8.5pt; color: #111; }}
.top {{ display: flex; justify-content: space-between; text-align: center; font-weight: 700; }}
.top small {{ display: block; font-weight: 400; }}
h1 {{ text-align: center; font-size: 13pt; margin: 10mm 0 2mm; }}
.note {{ text-align: center; margin: 0 0 5mm; }}
.demo {{ text-align: center; color: #b00; font-weight: 700; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 0.5pt solid #555; padding: 1.2mm 1.5mm; vertical-align: top; }}
th {{ background: #eee; }} td.n {{ text-align: right; white-space: nowrap; }}
h2 {{ font-size: 10.5pt; margin-top: 7mm; }} li {{ margin-bottom: 1mm; }}
</style></head><body>
<div class="top"><div>UBND {escape(province.upper())}</div>
<div>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM<small>Độc lập – Tự do – Hạnh phúc</small></div></div>
<h1>{escape(title.upper())}</h1>
<p class="note">{escape(note)} · Lập ngày {escape(today)}</p>{demo}
<table><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>
<h2>Các chỉ số thành phần mất nhiều điểm nhất của từng đơn vị (cần cải thiện)</h2>
<ul>{"".join(fixes) or "<li>Không có.</li>"}</ul>
</body></html>"""
