"""Data freshness and overdue directives become indicators through daily warehouse snapshots."""

from __future__ import annotations

from datetime import date, timedelta

from catalog_helpers import CSV_OK, csv_upload

from dieuhanh.alerts.models import Directive
from dieuhanh.alerts.snapshots import snapshot_directives
from dieuhanh.catalog.snapshots import snapshot_freshness
from dieuhanh.indicators import service as indicators
from dieuhanh.indicators.models import IndicatorValue

TODAY = date(2026, 11, 25)


def _values(db, code: str) -> dict[str, float | None]:
    with db.session() as session:
        return {v.period: v.value for v in session.query(IndicatorValue).filter_by(code=code, level="province")}


def test_freshness_and_overdue_directives_are_computed_from_snapshots(db, warehouse, client, population,
                                                                      agency_token):
    assert csv_upload(client, "dan_so_xa", CSV_OK, agency_token).status_code == 201
    with db.session() as session:
        # dan_so_xa (yearly) covers 2024; a monthly dataset of the same agency has no data at all.
        from catalog_helpers import dataset_body

        from dieuhanh.catalog.schemas import DatasetIn
        from dieuhanh.catalog.service import create_dataset
        from dieuhanh.core.security import SYSTEM

        create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate(
            dataset_body(name="bao_cao_thang", update_frequency="monthly")))
        session.add(Directive(title="Rà soát", instruction="Rà soát số liệu", agency_code="SYT",
                              deadline=TODAY - timedelta(days=3), created_by="user:lanhdao"))
        session.add(Directive(title="Báo cáo", instruction="Gửi báo cáo", agency_code="SYT",
                              deadline=TODAY + timedelta(days=3), created_by="user:lanhdao"))
    with db.session() as session:
        # 30/03/2026: 2024 is the newest year due (2025 is due 31/3/2026): the population data is on time.
        assert snapshot_freshness(session, warehouse, province_code="37", max_bytes=10**8,
                                  today=date(2026, 3, 30)) == 2
        # 25/11/2026: 2025 should be there: just loaded or not, data covering 2024 is late (the covered period
        # counts, not the load time).
        assert snapshot_freshness(session, warehouse, province_code="37", max_bytes=10**8, today=TODAY) == 2
        assert snapshot_directives(session, warehouse, province_code="37", max_bytes=10**8, today=TODAY) > 0
        # Once a day: a second snapshot the same day loads nothing new.
        snapshot_freshness(session, warehouse, province_code="37", max_bytes=10**8, today=TODAY)
    with db.session() as session:
        indicators.load_library(session)
        summary = indicators.compute(session, warehouse, codes=["ty_le_bo_du_lieu_cap_nhat_dung_han",
                                                                "so_chi_dao_qua_han"], province_code="37")
        assert summary.errors == {}
    assert _values(db, "ty_le_bo_du_lieu_cap_nhat_dung_han") == {"2026-03": 50.0, "2026-11": 0.0}
    rows = warehouse.query("SELECT bo_du_lieu, ky_du_lieu, ky_can_co, cach_tinh FROM tinh_trang_cap_nhat_du_lieu "
                           "WHERE ngay = DATE '2026-11-25' ORDER BY bo_du_lieu").to_pylist()
    assert [(r["bo_du_lieu"], r["ky_du_lieu"], r["ky_can_co"], r["cach_tinh"]) for r in rows] == [
        ("bao_cao_thang", None, None, "thời điểm nạp"), ("dan_so_xa", "2024", "2025", "kỳ dữ liệu")]
    with db.session() as session:  # per owner agency too
        agency = {v.unit_code: v.value for v in session.query(IndicatorValue).filter_by(
            code="ty_le_bo_du_lieu_cap_nhat_dung_han", level="agency", period="2026-03")}
    assert agency == {"TKT": 50.0}
    assert _values(db, "so_chi_dao_qua_han") == {"2026-11": 1.0}
