"""Results of a campaign as an XLSX workbook: the ranking (with pillars and main indices) and the sub-indicators
that lost most points per unit — the table the province's DTI report annexes."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from dieuhanh.dti.service import STATUS_LABELS


def results_xlsx(data: dict[str, Any], rows: list[dict[str, Any]], *, title: str, as_of: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Xếp hạng"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    note = f"Năm {data['year']} — tối đa {data['max_points']:g} điểm" + (
        f"; mục tiêu {data['target']:g} điểm" if data.get("target") else "") + (
        f"; tạm tính đến {as_of} (đợt đánh giá chưa đóng)" if data["partial"] else "; kết quả chính thức") + (
        "; SỐ LIỆU MẪU" if data.get("demo") else "")
    ws.append([note])
    ws.append([])
    communes = data["level"] == "commune"
    header = ["Hạng"] + (["Hạng trong khu vực"] if communes else []) + ["Đơn vị"] + (
        ["Khu vực (tỉnh cũ)"] if communes else []) + ["Tổng điểm"] + [p["name"] for p in data["pillars"]] + [
        f"{i['code']} {i['name']}" for i in data["indices"]] + ["So với năm trước", "Trạng thái", "Phiếu",
                                                               "Tạm tính"]
    ws.append(header)
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        ws.append([r["rank"]] + ([r.get("rank_in_area")] if communes else []) + [r["unit_name"]] + (
            [r.get("area")] if communes else []) + [r["total"]] + [r["pillars"][p["code"]] for p in data["pillars"]]
            + [r["indices"][i["code"]] for i in data["indices"]]
            + [r["change"], STATUS_LABELS.get(r["status"], r["status"]),
               ("Đã nộp" if r["form_status"] == "submitted" else "Chưa nộp") + (" (muộn)" if r["late"] else ""),
               "Có" if r["provisional"] else "Không"])
    ws.column_dimensions["A"].width = 7
    ws.column_dimensions["B" if not communes else "C"].width = 40
    fix = wb.create_sheet("Cần cải thiện")
    fix.append(["Đơn vị", "Chỉ số thành phần", "Điểm bị mất"])
    for cell in fix[1]:
        cell.font = Font(bold=True)
    for r in rows:
        for f in r["to_fix"]:
            fix.append([r["unit_name"], f"{f['code']} {f['name']}", f["lost"]])
    fix.column_dimensions["A"].width = 40
    fix.column_dimensions["B"].width = 70
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
