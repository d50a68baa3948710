"""The demo province lives in the present: generated relative to `--today` (the template is pinned to 07/12/2026,
tests/conftest.py DEMO_TODAY), nothing dated after it, series up to the latest period published by then."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from conftest import DEMO_TODAY
from dieuhanh.catalog.demo import Calendar
from dieuhanh.feedback.models import Report
from dieuhanh.indicators import rules
from dieuhanh.indicators.models import IndicatorValue
from dieuhanh.reporting.models import ReportSubmission as Submission

# 17:00 on the demo's day in Hà Nội, as naive UTC (DemoContext.now for a pinned day).
DEMO_NOW = datetime.combine(DEMO_TODAY, datetime.min.time()) + timedelta(hours=10)


def _max(warehouse, sql: str):  # type: ignore[no-untyped-def]
    return warehouse.query(sql).column(0)[0].as_py()


def test_calendar_of_the_demo_follows_the_publication_schedules():
    cal = Calendar.of(date(2026, 12, 7))
    assert cal.last_month == date(2026, 10, 1)  # November's figures are due on 20/12
    assert cal.last_quarter == date(2026, 7, 1)  # Q4 not ended; Q3 was due by 30/10
    assert cal.last_year == 2025 and cal.school_year == 2025
    assert Calendar.of(date(2026, 12, 20)).last_month == date(2026, 11, 1)
    assert Calendar.of(date(2027, 3, 31)).last_year == 2026 and Calendar.of(date(2027, 3, 30)).last_year == 2025


def test_demo_dates_are_relative_to_today_and_never_in_the_future(demo_province):
    wh = demo_province.warehouse
    # Monthly series end with the last month published by 07/12/2026 (October); yearly ones with 2025.
    for dataset in ("chi_so_gia_tieu_dung", "thu_ngan_sach_thang", "tai_nan_giao_thong_thang", "tiem_chung_thang",
                    "khach_du_lich_thang", "doanh_nghiep_dang_ky_thang"):
        assert _max(wh, f"SELECT max(thang) FROM {dataset}") == date(2026, 10, 1), dataset
    assert _max(wh, "SELECT max(nam) FROM dan_so_xa") == 2025
    assert _max(wh, "SELECT max(nam) FROM san_luong_nong_nghiep") == 2025
    assert _max(wh, "SELECT max(ngay_cong_bo) FROM grdp_quy") <= DEMO_TODAY
    assert _max(wh, "SELECT max(ngay_hoan_thanh) FROM nhiem_vu_ubnd_giao") <= DEMO_TODAY
    assert _max(wh, "SELECT max(ngay_huong) FROM doi_tuong_bao_tro_xa_hoi") <= DEMO_TODAY
    # The late dataset is three months behind: stale by its schedule.
    assert _max(wh, "SELECT max(thang) FROM chat_thai_ran_thang") == date(2026, 7, 1)
    with demo_province.db.session() as s:
        # The demo's present: 17:00 of the pinned day, or the current time when that day is today.
        present = s.scalar(select(func.max(IndicatorValue.as_of)))
        assert rules.local_day(present) == DEMO_TODAY and present <= max(DEMO_NOW, datetime.utcnow())
        assert s.scalar(select(func.max(Report.created_at))) <= present
        assert s.scalar(select(func.max(Report.created_at))) > present - timedelta(days=2)  # up to today
        assert s.scalar(select(func.max(Submission.submitted_at))) <= present
        # Indicator values: December 2026 is the partial month, counted as of the demo's present; nothing later.
        # The one exception: the inspection plans' figures are dated by the plan year (the province's plan for 2027
        # is issued by 20/12/2026, NQ 198/2025/QH15), so they describe next year as planned today.
        from dieuhanh.indicators.models import IndicatorDefinition

        planning = select(IndicatorDefinition.code).where(IndicatorDefinition.domain == "inspections")
        dated = select(IndicatorValue.period).where(IndicatorValue.code.not_in(planning))
        periods = set(s.scalars(dated.where(IndicatorValue.partial.is_(True)).distinct()))
        assert periods and all(p.startswith("2026") for p in periods)
        assert "2026-12" in periods and "2026-11" not in periods
        assert not s.scalar(select(func.count()).select_from(dated.where(
            IndicatorValue.period.in_(["2027", "2027-01", "2027-Q1"])).subquery()))
        assert set(s.scalars(select(IndicatorValue.period).where(IndicatorValue.code.in_(planning))
                             .distinct())) <= {"2026", "2027"}
