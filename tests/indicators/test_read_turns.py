"""The engine evaluates its definitions inside held warehouse reads (``indicators.service._in_turns``): one open of
the DuckDB file for many definitions, released every few seconds so that a load waiting to write goes in between
instead of waiting for the whole computation (or giving up after its 30 s)."""

from __future__ import annotations

import threading
import time
from contextlib import closing

import duckdb
import pyarrow as pa
import pytest

from dieuhanh.core.warehouse import DuckDBWarehouse
from dieuhanh.indicators import service


def _rows(n: int) -> pa.Table:
    return pa.table({"value": pa.array([float(i) for i in range(n)])})


def test_definitions_share_one_open_of_the_file_per_turn(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.append("t", _rows(3), "b1")
    opened: list[bool] = []
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(True) or real_connect(*a, **k))
    counts = [wh.query("SELECT count(*) AS n FROM t").column("n")[0].as_py() for _ in service._in_turns(wh, range(6))]
    assert counts == [3] * 6 and len(opened) == 1
    assert wh._access.instance is None  # released at the end


def test_a_waiting_load_goes_in_between_turns(tmp_path) -> None:
    wh = DuckDBWarehouse(tmp_path / "w.duckdb")
    wh.append("t", _rows(3), "b1")
    seen: list[int] = []
    writer = threading.Thread(target=lambda: wh.append("t", _rows(1), "b2"))
    with closing(service._in_turns(wh, range(100), seconds=0.3)) as turns:
        for i in turns:
            seen.append(wh.query("SELECT count(*) AS n FROM t").column("n")[0].as_py())
            if i == 0:
                writer.start()  # waits for the held read…
            if seen[-1] == 4:
                break
            time.sleep(0.05)
    writer.join(30)
    # …which is released after a turn of 0,3 s: the load is in while items are still being evaluated (one read
    # held for all hundred items would keep it out until the end: 3 rows everywhere).
    assert seen[0] == 3 and seen[-1] == 4 and len(seen) < 100
    assert wh._access.instance is None
