"""Demo periodic reports: a monthly socio-economic report (form layout) from 14 departments and sectors and a
quarterly public-investment report (table layout, one row per project) from 5 departments, with 12 months of
submissions ending with the last period already due: most on time, some late, a few missing in the last period.

Figures are illustrative (DỮ LIỆU MẪU), sized from the three former provinces' 2023–2024 statistics
(/shared/data/statistics/economy.csv: merged GRDP ≈ 300,000 bn VND, domestic revenue ≈ 36,600 bn VND a year):
each department reports its own sector's monthly public-investment disbursement, revenue collected and tasks.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import Any

from dieuhanh.core.periods import parse as parse_period
from dieuhanh.orgs.models import Agency
from dieuhanh.reporting import periods, service
from dieuhanh.reporting.schemas import ReportTypeIn

MONTHLY = {
    "code": "kt_xh_thang",
    "title": "Báo cáo tình hình kinh tế – xã hội tháng",
    "description": "Báo cáo tháng của các sở, ngành: giải ngân vốn đầu tư công, thu ngân sách thuộc lĩnh vực, "
                   "nhiệm vụ UBND tỉnh giao, hồ sơ thủ tục hành chính.",
    "periodicity": "month", "due_day": 5, "dataset": "bao_cao_kt_xh_thang", "dataset_owner": "VPUBND",
    "fields": [
        {"name": "ke_hoach_von_nam", "label": "Kế hoạch vốn đầu tư công năm được giao", "type": "number",
         "required": True, "min": 0, "unit": "tỷ đồng", "cell": "C7"},
        {"name": "giai_ngan_thang", "label": "Vốn đầu tư công giải ngân trong tháng", "type": "number",
         "required": True, "min": 0, "unit": "tỷ đồng", "cell": "C8"},
        {"name": "giai_ngan_luy_ke", "label": "Vốn đầu tư công giải ngân lũy kế từ đầu năm", "type": "number",
         "required": True, "min": 0, "unit": "tỷ đồng", "cell": "C9"},
        {"name": "thu_ngan_sach_thang", "label": "Thu ngân sách thuộc lĩnh vực quản lý trong tháng",
         "type": "number", "min": 0, "unit": "tỷ đồng", "cell": "C10"},
        {"name": "doanh_thu_ban_le_thang", "label": "Tổng mức bán lẻ hàng hóa, dịch vụ (Sở Công Thương)",
         "type": "number", "min": 0, "unit": "tỷ đồng", "cell": "C11"},
        {"name": "nhiem_vu_duoc_giao", "label": "Nhiệm vụ UBND tỉnh giao đến hạn trong tháng", "type": "int",
         "required": True, "min": 0, "unit": "nhiệm vụ", "cell": "C12"},
        {"name": "nhiem_vu_hoan_thanh", "label": "Nhiệm vụ hoàn thành đúng hạn", "type": "int", "required": True,
         "min": 0, "unit": "nhiệm vụ", "cell": "C13"},
        {"name": "ho_so_tthc_tiep_nhan", "label": "Hồ sơ thủ tục hành chính tiếp nhận", "type": "int", "min": 0,
         "unit": "hồ sơ", "cell": "C14"},
        {"name": "ghi_chu", "label": "Khó khăn, vướng mắc, kiến nghị", "type": "text", "cell": "C15"},
    ],
}
QUARTERLY = {
    "code": "dau_tu_cong_quy",
    "title": "Báo cáo tiến độ dự án đầu tư công quý",
    "description": "Mỗi dòng một dự án do cơ quan làm chủ đầu tư: kế hoạch vốn năm, giải ngân lũy kế, khối lượng.",
    "periodicity": "quarter", "due_day": 10, "dataset": "bao_cao_dau_tu_cong_quy", "dataset_owner": "STC",
    "fields": [
        {"name": "ma_du_an", "label": "Mã dự án", "type": "text", "required": True},
        {"name": "ten_du_an", "label": "Tên dự án", "type": "text", "required": True},
        {"name": "ke_hoach_von", "label": "Kế hoạch vốn năm (tỷ đồng)", "type": "number", "required": True,
         "min": 0, "unit": "tỷ đồng"},
        {"name": "giai_ngan_luy_ke", "label": "Giải ngân lũy kế (tỷ đồng)", "type": "number", "required": True,
         "min": 0, "unit": "tỷ đồng"},
        {"name": "khoi_luong_hoan_thanh", "label": "Khối lượng hoàn thành (%)", "type": "number", "min": 0,
         "max": 100, "unit": "%"},
        {"name": "ngay_khoi_cong", "label": "Ngày khởi công", "type": "date"},
    ],
}
# Agency -> (annual public-investment plan in bn VND, monthly sector revenue in bn VND, tasks a month)
MONTHLY_AGENCIES: dict[str, tuple[float, float, int]] = {
    "SNV": (35, 0.4, 6), "STP": (18, 0.6, 4), "STC": (120, 5.0, 9), "SCT": (260, 3.5, 7),
    "SNNMT": (1450, 42.0, 10), "SXD": (3200, 18.0, 9), "SKHCN": (95, 0.3, 4), "SGDDT": (640, 2.1, 8),
    "SYT": (720, 6.5, 8), "SVHTTDL": (410, 12.0, 6), "SDTTG": (60, 0.0, 3), "TTT": (12, 0.0, 5),
    "BQLKCN": (380, 0.0, 5), "TTPVHCC": (25, 0.0, 4),
}
QUARTER_AGENCIES = {"SXD": 5, "SNNMT": 4, "SGDDT": 3, "SYT": 3, "SVHTTDL": 2}
PROJECTS = {
    "SXD": ["Đường vành đai kết nối ba trung tâm đô thị", "Cầu qua sông Đáy", "Nâng cấp quốc lộ 10 đoạn qua tỉnh",
            "Trụ sở làm việc các cơ quan sau sắp xếp", "Hạ tầng khu tái định cư"],
    "SNNMT": ["Kè chống sạt lở đê hữu sông Hồng", "Hồ chứa nước vùng núi", "Nạo vét kênh tiêu liên xã",
              "Trạm bơm tiêu vùng trũng"],
    "SGDDT": ["Trường THPT chuyên (giai đoạn 2)", "Nhà lớp học các trường vùng khó khăn", "Thiết bị dạy học số"],
    "SYT": ["Bệnh viện đa khoa tỉnh: khu kỹ thuật cao", "Trung tâm kiểm soát bệnh tật", "Trạm y tế xã đạt chuẩn"],
    "SVHTTDL": ["Tu bổ di tích Cố đô Hoa Lư", "Nhà thi đấu đa năng tỉnh"],
}
RETAIL_MONTHLY = 16_500.0  # bn VND: ≈ 200,000 bn a year across the three former provinces (2023)


def _when(rng: random.Random, due: Any, *, late: bool, now: datetime) -> datetime | None:
    """A submission moment in local office hours, returned as naive UTC like the database stores; None when it
    would fall after the demo's present (``now``): that report has not been submitted yet."""
    day = due + timedelta(days=rng.randint(1, 12)) if late else due - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 5)))
    local = datetime.combine(day, time(rng.randint(7, 16), rng.randint(0, 59)))
    at = local - timedelta(hours=7)
    return at if at <= now else None


def run(ctx: Any) -> dict[str, int]:
    session, rng = ctx.session, random.Random(ctx.rng.random())
    present = {a for (a,) in session.query(Agency.code).all()}
    today = ctx.today  # the demo's present: nothing submitted after it
    monthly = service.save_type(session, principal=ctx.principal, data=ReportTypeIn.model_validate(MONTHLY))
    quarterly = service.save_type(session, principal=ctx.principal, data=ReportTypeIn.model_validate(QUARTERLY))
    # 12 monthly periods ending with the last one already due; the quarters they cover.
    last_month = periods.of_date(today, "month")
    while periods.due_date(last_month, monthly.due_day) >= today:
        last_month = periods.previous(last_month)
    months = [last_month]
    for _ in range(11):
        months.insert(0, periods.previous(months[0]))
    last_quarter = periods.of_date(today, "quarter")
    while periods.due_date(last_quarter, quarterly.due_day) >= today:
        last_quarter = periods.previous(last_quarter)
    quarters = [last_quarter]
    for _ in range(3):
        quarters.insert(0, periods.previous(quarters[0]))
    from dieuhanh.reporting.schemas import AssignmentIn

    agencies_m = [a for a in MONTHLY_AGENCIES if a in present]
    agencies_q = [a for a in QUARTER_AGENCIES if a in present]
    for code in agencies_m:
        service.assign(session, principal=ctx.principal, code=monthly.code,
                       data=AssignmentIn(agency_code=code, from_period=months[0]))
    for code in agencies_q:
        service.assign(session, principal=ctx.principal, code=quarterly.code,
                       data=AssignmentIn(agency_code=code, from_period=quarters[0]))
    session.expire(monthly, ["assignments"])
    session.expire(quarterly, ["assignments"])
    missing_last = set(rng.sample(agencies_m, k=min(3, len(agencies_m))))
    slow = set(rng.sample(agencies_m, k=min(3, len(agencies_m))))  # habitually late
    kw = {"province_code": ctx.settings.province_code, "max_bytes": ctx.settings.max_upload_mb * 1024 * 1024}
    entries: list[service.HistoricEntry] = []
    for code in agencies_m:
        plan, revenue, tasks = MONTHLY_AGENCIES[code]
        cumulative = 0.0
        for period in months:
            month = parse_period(period).last_month
            if month == 1:
                cumulative = 0.0
            # Disbursement is back-loaded (Vietnamese public investment): small early, large in Q4.
            share = (0.03 + 0.012 * month) * rng.uniform(0.7, 1.3)
            disbursed = round(plan * share, 1)
            cumulative = round(min(cumulative + disbursed, plan * 0.98), 1)
            if period == months[-1] and code in missing_last:
                continue
            due = periods.due_date(period, monthly.due_day)
            late = rng.random() < (0.45 if code in slow else 0.08)
            given = max(1, round(tasks * rng.uniform(0.6, 1.4)))
            row = {
                "ke_hoach_von_nam": float(plan), "giai_ngan_thang": disbursed, "giai_ngan_luy_ke": cumulative,
                "thu_ngan_sach_thang": round(revenue * rng.uniform(0.8, 1.25), 1) if revenue else None,
                "doanh_thu_ban_le_thang": float(round(RETAIL_MONTHLY * (1 + 0.009 * month) * rng.uniform(0.96, 1.05)))
                if code == "SCT" else None,
                "nhiem_vu_duoc_giao": given, "nhiem_vu_hoan_thanh": min(given, round(given * rng.uniform(0.75, 1))),
                "ho_so_tthc_tiep_nhan": round(tasks * 55 * rng.uniform(0.7, 1.3)),
                "ghi_chu": "DỮ LIỆU MẪU" + ("; vướng mắc giải phóng mặt bằng" if rng.random() < 0.2 else ""),
            }
            at = _when(rng, due, late=late, now=ctx.now)
            if at is not None:
                entries.append(service.HistoricEntry(agency=code, period=period, rows=[row], submitted_at=at))
    count = service.import_history(session, ctx.warehouse, principal=ctx.principal, code=monthly.code,
                                   entries=entries, channel="demo", **kw)
    # Not submitted for the last month: the three left out, and any whose (late) submission falls after today.
    unsubmitted = set(agencies_m) - {e.agency for e in entries if e.period == months[-1]}
    entries = []
    first_quarter_end = parse_period(quarters[0]).last_day
    for code in agencies_q:
        names = PROJECTS[code][:QUARTER_AGENCIES[code]]
        for i, period in enumerate(quarters):
            month = parse_period(period).last_month
            rows = []
            for j, name in enumerate(names):
                plan = round(rng.uniform(40, 900), 1)
                rows.append({"ma_du_an": f"DA-{code}-{j + 1:02d}", "ten_du_an": name, "ke_hoach_von": plan,
                             "giai_ngan_luy_ke": round(plan * min(0.97, month / 12 * rng.uniform(0.5, 1.1)), 1),
                             "khoi_luong_hoan_thanh": round(min(100.0, 20 + 15 * i + rng.uniform(0, 25)), 1),
                             "ngay_khoi_cong": first_quarter_end - timedelta(days=rng.randint(200, 900))})
            due = periods.due_date(period, quarterly.due_day)
            at = _when(rng, due, late=rng.random() < .2, now=ctx.now)
            if at is not None:
                entries.append(service.HistoricEntry(agency=code, period=period, rows=rows, submitted_at=at,
                                                     filename=f"{quarterly.code}_{code}_{period}.xlsx"))
    count += service.import_history(session, ctx.warehouse, principal=ctx.principal, code=quarterly.code,
                                    entries=entries, channel="demo", **kw)
    service.refresh_timeliness(session, ctx.warehouse, province_code=ctx.settings.province_code,
                               max_bytes=ctx.settings.max_upload_mb * 1024 * 1024, today=today)
    return {"report_types": 2, "submissions": count, "missing_last_period": len(unsubmitted)}
