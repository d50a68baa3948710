"""`dieuhanh dti check` and `dieuhanh governance import`, in process on the test stores (SQLite + DuckDB)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from conftest import ONE_STORE
from dieuhanh.cli import app
from dieuhanh.dti import service
from dieuhanh.dti.models import GovernanceIndex


@ONE_STORE
def test_check_a_framework_and_import_a_published_index_table(db, store_urls, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DIEUHANH_DATABASE_URL", store_urls[0])
    monkeypatch.setenv("DIEUHANH_WAREHOUSE_URL", store_urls[1])
    monkeypatch.setenv("DIEUHANH_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    ok = runner.invoke(app, ["dti", "check", str(service.BUILTIN / "xa_phuong.yaml")])
    assert ok.exit_code == 0, ok.output
    assert "dti_xa_phuong: 3 trụ cột, 9 chỉ số chính, 19 chỉ số thành phần (7 tự động), tổng 1000 điểm" in ok.output
    broken = tmp_path / "hong.yaml"
    broken.write_text((service.BUILTIN / "so_nganh.yaml").read_text(encoding="utf-8").replace(
        "rule: {kind: count, per_item: 15}", "rule: {kind: count, per_item: 0}"), encoding="utf-8")
    bad = runner.invoke(app, ["dti", "check", str(broken)])
    assert bad.exit_code == 1 and "(NT.4.2).rule.count.per_item" in bad.output.replace("\n", "")
    table = tmp_path / "pci.csv"
    table.write_text("year,value,rank,Tính minh bạch\n2023,67.1,20,6.5\n2024,68.05,16,6.8\n", encoding="utf-8")
    done = runner.invoke(app, ["governance", "import", str(table), "--index", "pci"])
    assert done.exit_code == 0 and "2023, 2024" in done.output, done.output
    with db.session() as s:
        rows = s.scalars(select(GovernanceIndex).order_by(GovernanceIndex.year)).all()
        assert [(r.index, r.year, r.value, r.rank, r.rank_of) for r in rows] == [
            ("pci", 2023, 67.1, 20, 63), ("pci", 2024, 68.05, 16, 63)]
