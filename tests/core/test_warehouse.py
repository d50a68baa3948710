import threading
import time

import pyarrow as pa
import pytest

from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.warehouse import DuckDBWarehouse, QueryTimeout, WarehouseBusy


def _table(n: int, start: int = 0) -> pa.Table:
    return pa.table({
        "unit_code": pa.array([f"{13285 + (i % 3)}" for i in range(start, start + n)]),
        "value": pa.array([float(i) for i in range(start, start + n)]),
    })


def test_append_tags_every_row_with_its_batch(warehouse):
    warehouse.append("population", _table(5), "b1")
    warehouse.append("population", _table(3, 100), "b2")
    out = warehouse.query("SELECT _batch_id, count(*) AS n FROM population GROUP BY 1 ORDER BY 1")
    assert out.to_pylist() == [{"_batch_id": "b1", "n": 5}, {"_batch_id": "b2", "n": 3}]


def test_drop_batch_removes_only_that_batch(warehouse):
    warehouse.append("population", _table(5), "b1")
    warehouse.append("population", _table(3, 100), "b2")
    assert warehouse.drop_batch("population", "b1") == 5
    assert warehouse.query("SELECT count(*) AS n FROM population").to_pylist() == [{"n": 3}]


def test_replace_swaps_all_rows_in_one_step(warehouse):
    warehouse.append("population", _table(5), "b1")
    warehouse.replace("population", _table(2, 50), "b2")
    out = warehouse.query("SELECT DISTINCT _batch_id FROM population")
    assert out.column(0).to_pylist() == ["b2"]


def test_failed_append_leaves_nothing(warehouse):
    warehouse.append("readings", pa.table({"v": pa.array([1, 2], pa.int64())}), "b1")
    # A string that cannot become BIGINT fails the insert: no row of the batch may remain.
    bad = pa.table({"v": pa.array(["3", "not a number"])})
    with pytest.raises(Exception):  # noqa: B017 - engine-specific conversion error
        warehouse.append("readings", bad, "b2")
    assert warehouse.query("SELECT count(*) AS n FROM readings").to_pylist() == [{"n": 2}]


def test_query_is_read_only(warehouse):
    warehouse.append("population", _table(2), "b1")
    with pytest.raises(Exception):  # noqa: B017 - engine-specific read-only error
        warehouse.query("DELETE FROM population")
    assert warehouse.query("SELECT count(*) AS n FROM population").to_pylist() == [{"n": 2}]


def test_query_parameters_and_translation(warehouse):
    warehouse.append("population", _table(6), "b1")
    out = warehouse.query(
        "SELECT unit_code, sum(value) AS total FROM population WHERE unit_code LIKE '132%' AND value >= ? "
        "GROUP BY unit_code ORDER BY unit_code", [3.0]
    )
    assert out.to_pylist() == [
        {"unit_code": "13285", "total": 3.0}, {"unit_code": "13286", "total": 4.0}, {"unit_code": "13287", "total": 5.0}
    ]


def test_query_row_limit_returns_one_extra_row_to_flag_truncation(warehouse):
    warehouse.append("population", _table(50), "b1")
    out = warehouse.query("SELECT * FROM population", max_rows=10)
    assert out.num_rows == 11


def test_long_query_is_stopped_by_the_time_limit(warehouse):
    sql = "SELECT count(*) FROM range(100000000) a, range(1000) b" if warehouse.kind == "duckdb" else (
        "SELECT pg_sleep(5)")
    with pytest.raises(QueryTimeout):
        warehouse.query(sql, timeout=0.5)


def test_bad_dataset_name_is_refused(warehouse):
    with pytest.raises(InvalidInput):
        warehouse.append("population; DROP TABLE x", _table(1), "b1")


def test_duckdb_file_held_by_another_process_gives_a_clear_busy_error(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    wh = DuckDBWarehouse(path, busy_timeout=0.5, read_busy_timeout=0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(WarehouseBusy, match="đang được một tiến trình khác cập nhật") as write:
            wh.append("t", _table(1), "b1")
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as read:  # a page's read gives up at once, not after 30 s
            wh.query("SELECT 1")
        assert time.monotonic() - started < 5
        for exc in (write.value, read.value):  # Vietnamese, and no server path
            assert str(tmp_path) not in str(exc) and "duckdb" not in str(exc)
    finally:
        holder.kill()
        holder.wait()
    # Once the other process is gone the same call goes through.
    assert wh.append("t", _table(1), "b1") == 1


def test_duckdb_reads_run_side_by_side_and_a_write_waits_for_them(tmp_path):
    """A long analyst query does not hold up a small read (a page, a CKAN call) in the same process; a write has
    the file alone: it waits for the running reads, and reads arriving meanwhile let it go first."""
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.append("t", _table(3), "b1")
    slow_started, slow_may_end = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_read() -> None:
        with wh._connect(read_only=True) as conn:  # a read that lasts until the test lets it end
            conn.execute("SELECT count(*) FROM t").fetchall()
            slow_started.set()
            slow_may_end.wait(30)
            order.append("slow read done")

    reader = threading.Thread(target=slow_read)
    reader.start()
    assert slow_started.wait(30)
    assert wh.query("SELECT count(*) AS n FROM t").column("n").to_pylist() == [3]  # while the slow read runs

    def write() -> None:
        wh.append("t", _table(1), "b2")
        order.append("write done")

    writer = threading.Thread(target=write)
    writer.start()
    while wh._access.writers_waiting == 0:  # the writer is queued behind the slow read
        time.sleep(0.01)
    late_read = threading.Thread(target=lambda: order.append(
        f"late read saw {wh.query('SELECT count(*) AS n FROM t').column('n').to_pylist()[0]}"))
    late_read.start()
    time.sleep(0.2)
    assert order == []  # the write waits for the running read; the new read waits for the queued write
    slow_may_end.set()
    for t in (reader, writer, late_read):
        t.join(30)
    assert order == ["slow read done", "write done", "late read saw 4"]
    assert wh._access.instance is None  # idle: the file is released for other processes


def test_a_held_read_opens_the_file_once_for_many_queries(tmp_path, monkeypatch):
    """``reading()``: the queries of a page inside share one open instance (the file is opened once, not once per
    query), a write from another thread waits for it, and the file is released at the end."""
    import duckdb

    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.append("t", _table(3), "b1")
    opened: list[bool] = []
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(True) or real_connect(*a, **k))
    for _ in range(3):
        wh.query("SELECT count(*) FROM t")
    assert len(opened) == 3  # without a held read: one open per query
    opened.clear()
    done: list[str] = []
    with wh.reading():
        writer = threading.Thread(target=lambda: (wh.append("t", _table(1), "b2"), done.append("write")))
        for _ in range(5):
            assert wh.table_exists("t") and wh.query("SELECT count(*) AS n FROM t").column("n").to_pylist() == [3]
        writer.start()
        time.sleep(0.2)
        assert done == []  # the write waits for the held read
    writer.join(30)
    assert done == ["write"] and len(opened) == 2  # the held read's open, then the write's
    assert wh._access.instance is None
