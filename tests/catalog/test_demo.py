"""The demo province's datasets: loaded through the ingestion path, calibrated, mixed access, deterministic."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from conftest import DEMO_TODAY, make_settings, new_database, sqlite_stores
from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.demo import LATE_DATASET
from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.core.warehouse import DuckDBWarehouse, Warehouse
from dieuhanh.demo.service import run_demo
from dieuhanh.geo.reference import communes_of

MERGED_POPULATION = 4_412_464  # Nghị quyết 202/2025/QH15 basis
POPULATION_SQL = "SELECT ma_xa, nam, dan_so, dan_so_nam, dan_so_nu FROM dan_so_xa ORDER BY nam, ma_xa"


def _checksum(warehouse: Warehouse) -> str:
    rows = warehouse.query(POPULATION_SQL).to_pylist()
    text = "\n".join("|".join(str(r[k]) for k in ("ma_xa", "nam", "dan_so", "dan_so_nam", "dan_so_nu")) for r in rows)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="session")
def fresh_run_checksum(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The population rows of another demo run, same seed, on brand-new SQLite + DuckDB stores (once per test run:
    the test on each store kind compares its own run with this one). Only the modules up to the catalog run:
    the population is the catalog's, and the modules after it cannot change what came before."""
    root: Path = tmp_path_factory.mktemp("demo-again")
    db_url, warehouse_url = sqlite_stores(root)
    db = new_database(db_url)
    warehouse = DuckDBWarehouse(root / "warehouse.duckdb")
    try:
        run_demo(db, warehouse, make_settings(root, db_url, warehouse_url), today=DEMO_TODAY,
                 modules={"dashboard", "catalog"})
        return _checksum(warehouse)
    finally:
        db.dispose()


def _count(warehouse: Warehouse, sql: str) -> int:
    return int(warehouse.query(sql).column(0)[0].as_py())


def test_demo_loads_calibrated_datasets_of_many_agencies(demo_province, fresh_run_checksum):
    # `run_demo` on brand-new stores of this kind, loaded once per test run (conftest.demo_template).
    db, warehouse = demo_province.db, demo_province.warehouse
    assert demo_province.summary["catalog"]["late"] == LATE_DATASET

    with db.session() as session:
        datasets = list(session.scalars(select(Dataset).options(selectinload(Dataset.columns))))
        by_name = {d.name: d for d in datasets}
        assert len(datasets) >= 28
        assert len({d.owner_agency for d in datasets}) >= 10
        assert any(d.owner_agency.startswith("UBND1") for d in datasets)  # a commune People's Committee
        assert {d.access for d in datasets} == {"public", "internal", "restricted"}
        assert sum(d.access == "restricted" for d in datasets) >= 2
        # System snapshots (data freshness, directives) are real data of the installation, not demo data.
        assert all("Dữ liệu mẫu" in d.description for d in datasets if "hệ thống" not in d.tags)

        # Every dataset came through the ingestion path, and the warehouse holds exactly its batches' rows.
        for ds in datasets:
            batches = list(session.scalars(select(LoadBatch).where(LoadBatch.dataset_id == ds.id)))
            # Module datasets (tagged "hệ thống") are fed by snapshots ("system"), periodic reports ("report") or,
            # in the demo, by the simulated one-stop-shop pushes ("demo"); the demo's own tables only by the demo.
            expected = {"system", "report", "demo"} if "hệ thống" in ds.tags else {"demo"}
            assert batches and all(b.source in expected and b.status == "loaded" for b in batches), ds.name
            stored = _count(warehouse, f'SELECT count(*) FROM "{ds.name}"')
            assert stored == sum(b.rows for b in batches) == ds.row_count > 0, ds.name
        encodings = {b.encoding for b in session.scalars(select(LoadBatch).where(
            LoadBatch.dataset_id == by_name["chi_so_gia_tieu_dung"].id))}
        assert encodings == {"tcvn3"}
        xlsx = session.scalars(select(LoadBatch).where(LoadBatch.dataset_id == by_name["khu_cong_nghiep"].id)).one()
        assert xlsx.filename is not None and xlsx.filename.endswith(".xlsx")

        # Exactly one dataset holds personal data: restricted, never published; no other column looks like PII.
        with_pii = [d for d in datasets if any(c.pii for c in d.columns)]
        assert [d.name for d in with_pii] == ["doi_tuong_bao_tro_xa_hoi"]
        assert with_pii[0].access == "restricted" and not with_pii[0].published
        assert {c.name for c in with_pii[0].columns if c.pii} >= {"so_cccd", "so_dien_thoai", "dia_chi"}
        assert not [(d.name, c.name) for d in datasets for c in d.columns if c.pii_suggestion and not c.pii]
        published = [d for d in datasets if d.published]
        assert len(published) >= 10 and all(d.access == "public" for d in published)
        assert any(d.access == "public" and not d.published for d in datasets)

        # One dataset is deliberately late, with an open update request.
        late = {d.name: catalog.freshness(session, d) for d in datasets}
        late = {name: f for name, f in late.items() if f.late}
        assert LATE_DATASET in late
        assert late[LATE_DATASET].days_since is not None and late[LATE_DATASET].days_since >= 60
        assert late[LATE_DATASET].open_update_requests == 1

    # Population: all 129 communes every year up to the last year published by the demo's day (2025 on
    # 07/12/2026); 2025 adds up to the merged province on the NQ 202/2025/QH15 basis (4 412 464).
    communes = {u.code for u in communes_of("37")}
    assert len(communes) == 129
    rows = warehouse.query(POPULATION_SQL).to_pylist()
    assert {r["nam"] for r in rows} == set(range(2019, 2026))
    for year in range(2019, 2026):
        assert {r["ma_xa"] for r in rows if r["nam"] == year} == communes
    total_2025 = sum(r["dan_so"] for r in rows if r["nam"] == 2025)
    assert total_2025 == MERGED_POPULATION
    assert all(r["dan_so_nam"] + r["dan_so_nu"] == r["dan_so"] for r in rows)
    # 2019–2022 follow GSO's year-on-year changes of the three former provinces (a different level: a basis).
    totals = {y: sum(r["dan_so"] for r in rows if r["nam"] == y) for y in range(2019, 2023)}
    gso = {y: sum(v[y] for v in ({2019: 854.5, 2022: 878.0}, {2019: 1780.9, 2022: 1876.85},
                                 {2019: 984.5, 2022: 1010.7})) for y in (2019, 2022)}
    assert abs(totals[2019] / totals[2022] - gso[2019] / gso[2022]) < 0.002
    area = float(warehouse.query("SELECT sum(dien_tich_km2) FROM dien_tich_xa").column(0)[0].as_py())
    assert abs(area - 3942.6) < 0.5  # the official natural area, not the polygons' sum

    # Other calibrations: schools and learners of the merged province, public schools at national standard.
    schools = warehouse.query(
        "SELECT count(*) AS n, sum(so_hoc_sinh) AS hs, sum(so_lop) AS lop, "
        "sum(CASE WHEN loai_hinh = 'Công lập' THEN 1 ELSE 0 END) AS cong_lap, "
        "sum(CASE WHEN loai_hinh = 'Công lập' AND cap_hoc <> 'GDNN-GDTX' THEN 1 ELSE 0 END) AS truong_cl, "
        "sum(CASE WHEN loai_hinh = 'Công lập' AND cap_hoc <> 'GDNN-GDTX' AND dat_chuan_quoc_gia THEN 1 ELSE 0 END) "
        "AS chuan FROM truong_hoc").to_pylist()[0]
    assert 1_550 <= schools["n"] <= 1_650 and schools["cong_lap"] == 1_570
    assert abs(int(schools["hs"]) - 954_000) <= 10_000 and int(schools["lop"]) == 28_579
    assert int(schools["chuan"]) / int(schools["truong_cl"]) >= 0.96
    # One dossier universe: dossiers come from the one-stop-shop system (public services), not a catalog table.
    assert not warehouse.table_exists("ho_so_tthc_thang")
    assert _count(warehouse, "SELECT count(DISTINCT ma_tram) FROM quan_trac_khong_khi_gio") >= 3

    # Deterministic: a second run with the same seed on fresh stores gives identical population rows.
    assert _checksum(warehouse) == fresh_run_checksum
