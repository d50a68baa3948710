"""Builders for the reporting tests (through the real services)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from dieuhanh.core.security import SYSTEM

FORM_TYPE: dict[str, Any] = {
    "code": "kt_xh_thang", "title": "Báo cáo tình hình kinh tế – xã hội tháng", "periodicity": "month",
    "due_day": 5, "dataset": "bao_cao_kt_xh_thang_tn", "dataset_owner": "VPUBND",
    "fields": [
        {"name": "giai_ngan_von", "label": "Vốn đầu tư công giải ngân", "type": "number", "required": True,
         "min": 0, "unit": "tỷ đồng", "cell": "C7"},
        {"name": "doanh_thu", "label": "Doanh thu", "type": "number", "required": True, "cell": "C8"},
        {"name": "so_nhiem_vu", "label": "Số nhiệm vụ", "type": "int", "min": 0, "max": 1000, "cell": "C9"},
        {"name": "ngay_chot", "label": "Ngày chốt số liệu", "type": "date", "cell": "C10"},
        {"name": "ghi_chu", "label": "Ghi chú", "type": "text", "cell": "C11"},
    ],
}
TABLE_TYPE: dict[str, Any] = {
    "code": "du_an_quy", "title": "Báo cáo dự án đầu tư công quý", "periodicity": "quarter", "due_day": 10,
    "dataset": "bao_cao_du_an_quy_tn", "dataset_owner": "STC",
    "fields": [
        {"name": "ten_du_an", "label": "Tên dự án", "type": "text", "required": True},
        {"name": "ke_hoach_von", "label": "Kế hoạch vốn", "type": "number", "required": True, "min": 0},
        {"name": "giai_ngan", "label": "Giải ngân", "type": "number", "required": True, "min": 0},
    ],
}


def make_type(db: Any, definition: dict[str, Any] = FORM_TYPE, agencies: tuple[str, ...] = ("SYT",),
              from_period: str | None = "2025-05") -> str:
    from dieuhanh.reporting import service
    from dieuhanh.reporting.schemas import AssignmentIn, ReportTypeIn

    with db.session() as session:
        rt = service.save_type(session, principal=SYSTEM, data=ReportTypeIn.model_validate(definition))
        start = from_period if definition["periodicity"] == "month" else None
        for code in agencies:
            service.assign(session, principal=SYSTEM, code=rt.code,
                           data=AssignmentIn(agency_code=code, from_period=start or "2025-Q1"))
        return rt.code


def fill(template: bytes, cells: dict[str, Any], sheet: str = "Báo cáo") -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb[sheet]
    for ref, value in cells.items():
        ws[ref] = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rows_of(warehouse: Any, dataset: str) -> list[dict[str, Any]]:
    if not warehouse.table_exists(dataset):
        return []
    return warehouse.query(f"SELECT * FROM {dataset} ORDER BY co_quan, ky").to_pylist()
