"""Loads survive being killed and running side by side; the CLI loads with the server's rules."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from catalog_helpers import dataset_body

from dieuhanh.catalog.models import LoadBatch
from dieuhanh.catalog.schemas import DatasetIn
from dieuhanh.catalog.service import create_dataset
from dieuhanh.core.security import SYSTEM
from dieuhanh.ingest import service as ingest

SCHEMA = [{"name": "ma_xa", "type": "unit_code", "required": True}, {"name": "nam", "type": "integer"},
          {"name": "gia_tri", "type": "number"}, {"name": "ngay", "type": "date"}]


def _define(db, name: str = "chi_so") -> None:
    with db.session() as session:
        create_dataset(session, principal=SYSTEM,
                       dataset_in=DatasetIn.model_validate(dataset_body(name=name, schema=SCHEMA)))


def _write_csv(path: Path, rows: int, start: int = 0) -> Path:
    codes = ["13285", "13291", "13318", "13669", "13708", "14614"]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("ma_xa,nam,gia_tri,ngay\n")
        for i in range(start, start + rows):
            fh.write(f'{codes[i % 6]},{2000 + i % 25},"{i % 997},5",{1 + i % 28:02d}/{1 + i % 12:02d}/2024\n')
    return path


def _count(warehouse, name: str) -> int:
    if not warehouse.table_exists(name):
        return 0
    return int(warehouse.query(f"SELECT count(*) FROM {name}").column(0)[0].as_py())


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
    env.update(DIEUHANH_DATA_DIR=str(settings.data_dir), DIEUHANH_DATABASE_URL=settings.effective_database_url,
               DIEUHANH_WAREHOUSE_URL=settings.effective_warehouse_url, COLUMNS="200")
    return env


def _loading(settings, store_kind: str, started_size: int) -> bool:
    """True once the child is writing rows: the DuckDB file grows, or PostgreSQL shows an active COPY."""
    if store_kind == "sqlite":
        path = Path(settings.effective_warehouse_url[len("duckdb:///"):])
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        return size > started_size + 2_000_000
    import psycopg

    with psycopg.connect(settings.effective_database_url.replace("+psycopg", "")) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %' AND state = 'active'"
                           ).fetchone()
        return bool(row and row[0])


def test_load_killed_halfway_leaves_no_partial_batch(db, warehouse, settings, tmp_path, store_kind):
    _define(db)
    big = _write_csv(tmp_path / "lon.csv", 1_500_000)
    wh_path = Path(settings.effective_warehouse_url[len("duckdb:///"):]) if store_kind == "sqlite" else None
    size0 = sum(p.stat().st_size for p in wh_path.parent.glob(wh_path.name + "*")) if wh_path else 0
    proc = subprocess.Popen([sys.executable, "-m", "dieuhanh.cli", "ingest", str(big), "--dataset", "chi_so"],
                            env=_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not _loading(settings, store_kind, size0):
        assert proc.poll() is None, f"the load ended before it could be killed: {proc.communicate()}"
        assert time.monotonic() < deadline, "the load never started writing"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert _count(warehouse, "chi_so") == 0
    with db.session() as session:
        assert session.query(LoadBatch).count() == 0
    # The dataset still takes a normal load afterwards.
    small = _write_csv(tmp_path / "nho.csv", 10)
    with db.session() as session:
        result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name="chi_so", source=small,
                             filename="nho.csv", province_code="37", max_bytes=10**9)
    assert result.rows == 10 and _count(warehouse, "chi_so") == 10


def test_two_concurrent_loads_into_one_dataset_both_complete(db, warehouse, tmp_path):
    _define(db)
    files = [_write_csv(tmp_path / "a.csv", 20_000), _write_csv(tmp_path / "b.csv", 30_000, start=20_000)]
    results: list[object] = []

    def run(path: Path) -> None:
        try:
            with db.session() as session:
                results.append(ingest.load(session, warehouse, principal=SYSTEM, dataset_name="chi_so",
                                           source=path, filename=path.name, province_code="37", max_bytes=10**9))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert all(isinstance(r, ingest.LoadResult) for r in results), results
    assert sorted(r.rows for r in results) == [20_000, 30_000]  # type: ignore[attr-defined]
    assert _count(warehouse, "chi_so") == 50_000
    per_batch = warehouse.query("SELECT _batch_id, count(*) AS n FROM chi_so GROUP BY 1 ORDER BY 2").to_pylist()
    assert [r["n"] for r in per_batch] == [20_000, 30_000]
    with db.session() as session:
        from dieuhanh.catalog.service import get_dataset

        assert get_dataset(session, "chi_so").row_count == 50_000


def test_cli_ingest_loads_a_file_and_reports_errors_by_row(db, warehouse, settings, tmp_path):
    _define(db)
    good = _write_csv(tmp_path / "tot.csv", 100)
    done = subprocess.run([sys.executable, "-m", "dieuhanh.cli", "ingest", str(good), "--dataset", "chi_so",
                           "--agency", "TKT"], env=_env(settings), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Đã nạp 100 dòng" in done.stdout
    bad = tmp_path / "loi.csv"
    bad.write_text("ma_xa,nam,gia_tri,ngay\n13285,2024,\"1,5\",32/01/2024\n", encoding="utf-8")
    refused = subprocess.run([sys.executable, "-m", "dieuhanh.cli", "ingest", str(bad), "--dataset", "chi_so"],
                             env=_env(settings), capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "dòng 2, cột ngay" in refused.stderr
    other = subprocess.run([sys.executable, "-m", "dieuhanh.cli", "ingest", str(good), "--dataset", "chi_so",
                            "--agency", "SYT"], env=_env(settings), capture_output=True, text=True, timeout=120)
    assert other.returncode == 1 and "không có quyền" in other.stderr
    assert _count(warehouse, "chi_so") == 100


@pytest.mark.browser
def test_officer_uploads_previews_and_commits_a_file_in_the_browser(page, live_server, factory, db, tmp_path):
    from conftest import sign_in

    _define(db, "bao_cao_thang")
    _, username, _ = factory.user("officer", agency="TKT")
    sign_in(page, live_server, username)
    page.goto(f"{live_server}/datasets/bao_cao_thang")
    from dieuhanh.ingest.encodings import encode

    legacy = tmp_path / "bao-cao-tcvn3.csv"
    legacy.write_bytes(encode("ma_xa,nam,gia_tri,ngay\nPhường Phủ Lý,2024,\"1.234,5\",31/12/2024\n", "tcvn3"))
    page.set_input_files("[data-testid=upload-form] input[type=file]", str(legacy))
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=load-error]").count() == 0, page.inner_text("main")
    page.wait_for_selector("[data-testid=preview]")
    assert page.inner_text("[data-testid=encoding]") == "tcvn3"
    assert "Phường Phủ Lý" in page.inner_text("[data-testid=preview]")
    page.click("[data-testid=commit]")
    page.wait_for_selector("[data-testid=loaded]")
    assert "1.234,5" in page.inner_text("[data-testid=rows]")
    assert page.console_errors == []
