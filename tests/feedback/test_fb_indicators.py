"""The citizen-report indicators (feedback/indicators.yaml) on a small set of reports made through the real
services: exact values per month at province, commune and agency level, from the warehouse snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from dieuhanh.core.security import ANONYMOUS, SYSTEM
from dieuhanh.feedback import service
from dieuhanh.feedback.schemas import ReportIn
from dieuhanh.feedback.snapshot import REPORTS_DATASET, snapshot_reports
from dieuhanh.indicators import service as indicators
from dieuhanh.indicators.models import IndicatorValue
from dieuhanh.indicators.service import library_paths

CODES = ["phan_anh_tiep_nhan", "phan_anh_da_giai_quyet", "ty_le_phan_anh_dung_han", "thoi_gian_xu_ly_phan_anh",
         "ty_le_hai_long_phan_anh", "phan_anh_qua_han_dang_mo"]
PHU_LY, OTHER = "13285", "13318"
KEY = "khoa-cua-nguoi-gui"


def utc(local: str) -> datetime:
    """'2026-03-02 08:00' Vietnam time -> naive UTC."""
    return datetime.fromisoformat(local) - timedelta(hours=7)


def report(session, settings, category: str, unit: str, at: datetime):  # type: ignore[no-untyped-def]
    return service.submit(session, data=ReportIn(service_code=category, unit_code=unit,
                                                 description="Phản ánh để kiểm tra chỉ số"),
                          photos=[], source="web", principal=ANONYMOUS, settings=settings, now=at, owner_key=KEY)


def answer(session, settings, item, at: datetime) -> None:  # type: ignore[no-untyped-def]
    service.transition(session, item, "accept", principal=SYSTEM, settings=settings, now=at - timedelta(hours=1))
    service.transition(session, item, "resolve", principal=SYSTEM, note_public="Đã xử lý xong.", settings=settings,
                       now=at)


def values(session, code: str) -> dict[tuple[str, str, str], float | None]:  # type: ignore[no-untyped-def]
    rows = session.scalars(select(IndicatorValue).where(IndicatorValue.code == code))
    return {(r.period, r.level, r.unit_code): r.value for r in rows}


def test_module_indicators_are_part_of_the_library():
    assert any(p.name == "indicators.yaml" and p.parent.name == "feedback" for p in library_paths())


def test_indicators_per_month_commune_and_agency(db, warehouse, settings):
    with db.session() as session:
        # March: two in Phủ Lý (one on time, one late), one elsewhere left open past its deadline.
        r1 = report(session, settings, "rac-thai", PHU_LY, utc("2026-03-02 08:00"))  # deadline 48 h
        answer(session, settings, r1, utc("2026-03-02 18:00"))  # 10 h: on time
        r2 = report(session, settings, "duong-via-he", PHU_LY, utc("2026-03-05 09:00"))  # deadline 120 h
        answer(session, settings, r2, utc("2026-03-10 19:00"))  # 130 h: late
        service.rate(session, r1.code, True, key=KEY, principal=ANONYMOUS, now=utc("2026-03-03 08:00"))
        service.rate(session, r2.code, False, key=KEY, principal=ANONYMOUS, now=utc("2026-03-11 08:00"))
        r3 = report(session, settings, "chieu-sang", OTHER, utc("2026-03-20 10:00"))  # 72 h, never answered
        # April: one more in Phủ Lý, answered in 20 h.
        r4 = report(session, settings, "rac-thai", PHU_LY, utc("2026-04-01 07:00"))
        answer(session, settings, r4, utc("2026-04-02 03:00"))
        agency_phu_ly, agency_other = r1.agency_code, r3.agency_code
        assert (agency_phu_ly, agency_other) == ("UBND13285", "UBND13318")
        loaded = snapshot_reports(session, warehouse, province_code="37", max_bytes=10 * 1024 * 1024)
        assert loaded == 4
        # Nothing changed: no new batch.
        assert snapshot_reports(session, warehouse, province_code="37", max_bytes=10 * 1024 * 1024) == 0
        columns = set(warehouse.query(f"SELECT * FROM {REPORTS_DATASET} LIMIT 1").column_names)
        assert not columns & {"phone", "email", "so_dien_thoai", "description", "noi_dung", "mo_ta"}

        indicators.load_library(session, paths=[p for p in library_paths() if p.parent.name == "feedback"])
        summary = indicators.compute(session, warehouse, codes=CODES, province_code="37")
        assert summary.errors == {}

        received = values(session, "phan_anh_tiep_nhan")
        assert received[("2026-03", "province", "37")] == 3
        assert received[("2026-03", "commune", PHU_LY)] == 2
        assert received[("2026-03", "agency", agency_phu_ly)] == 2
        assert received[("2026-03", "agency", agency_other)] == 1
        assert received[("2026-04", "province", "37")] == 1
        assert received[("2026-03", "commune", "13291")] is None  # a commune without reports: no data, not 0

        resolved = values(session, "phan_anh_da_giai_quyet")
        assert resolved[("2026-03", "province", "37")] == 2 and resolved[("2026-04", "province", "37")] == 1

        on_time = values(session, "ty_le_phan_anh_dung_han")
        assert on_time[("2026-03", "province", "37")] == 50.0
        assert on_time[("2026-03", "agency", agency_phu_ly)] == 50.0
        assert on_time[("2026-04", "commune", PHU_LY)] == 100.0
        row = session.scalar(select(IndicatorValue).where(
            IndicatorValue.code == "ty_le_phan_anh_dung_han", IndicatorValue.period == "2026-03",
            IndicatorValue.level == "province"))
        assert (row.numerator, row.denominator, row.status) == (1, 2, "critical")

        hours = values(session, "thoi_gian_xu_ly_phan_anh")
        assert hours[("2026-03", "province", "37")] == 70.0  # median of 10 h and 130 h
        assert hours[("2026-04", "province", "37")] == 20.0

        satisfied = values(session, "ty_le_hai_long_phan_anh")
        assert satisfied[("2026-03", "province", "37")] == 50.0
        assert ("2026-04", "province", "37") not in satisfied or satisfied[("2026-04", "province", "37")] is None

        overdue = values(session, "phan_anh_qua_han_dang_mo")
        assert overdue[("2026-03", "province", "37")] == 1  # r3 open past its deadline at the end of March
        assert overdue[("2026-04", "province", "37")] == 1  # and still now
        assert overdue[("2026-03", "agency", agency_other)] == 1
        assert overdue[("2026-03", "agency", agency_phu_ly)] == 0  # known and zero, not "no data"
        assert overdue[("2026-03", "commune", OTHER)] == 1

        # Answering the last one clears the current month at the next snapshot.
        answer(session, settings, r3, utc("2026-04-05 10:00"))
        assert snapshot_reports(session, warehouse, province_code="37", max_bytes=10 * 1024 * 1024) == 4
        indicators.compute(session, warehouse, codes=["phan_anh_qua_han_dang_mo"], province_code="37")
        overdue = values(session, "phan_anh_qua_han_dang_mo")
        assert overdue[("2026-03", "province", "37")] == 1  # it was still open at the end of March
        assert overdue[("2026-04", "province", "37")] == 0
