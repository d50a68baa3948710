"""One analyst's slow query against everybody else: how long a small read (what a leader's page or an anonymous
CKAN `datastore_search` does) waits while a long query runs on the same DuckDB warehouse, in one process.

    uv run python bench/concurrency.py [--seconds 10] [--probes 20] [--slow 1] [--rounds 3]

Variants, interleaved in one run on the same file (``--rounds``, order reversed every other round; per round the
small reads' p50 and max, the write's wait and the slow query's length; then median, min–max and the load average,
``bench/rounds.py``):
* **dieuhanh**: `DuckDBWarehouse` as shipped — concurrent readers share one read-only instance, a cursor each;
* **baseline (before)**: the same class with every unit of work under one process-wide lock, as the warehouse
  worked before issue 24 (reproduced here by a subclass; the SQL and the file are the same).
Also: a write (`append`) waiting for the slow read, and the answer when another process holds the file for
writing (`WarehouseBusy`, its wait and its message). Target (issue 24): a small read delayed < 100 ms."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from rounds import Rounds, spread

from dieuhanh.core.warehouse import DuckDBWarehouse, WarehouseBusy

SMALL = "SELECT ma_xa, sum(dan_so) AS n FROM dan_so GROUP BY ma_xa ORDER BY ma_xa LIMIT 20"


class LockedWarehouse(DuckDBWarehouse):
    """Before: one process-wide lock around every unit of work, reads included."""

    _big_lock = threading.RLock()

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[Any]:
        with self._big_lock, super()._connect(read_only) as conn:
            yield conn


def slow_sql(rows: int) -> str:
    return f"SELECT sum((i * 2654435761) % 1000003) FROM range({rows}) t(i)"


def calibrate(wh: DuckDBWarehouse, seconds: float) -> int:
    rows = 20_000_000
    while True:
        started = time.perf_counter()
        wh.query(slow_sql(rows))
        took = time.perf_counter() - started
        if took > 0.5:
            return int(rows * seconds / took)
        rows *= 4


def probe(wh: DuckDBWarehouse, rows: int, probes: int, slow: int) -> tuple[list[float], float, float]:
    """Latencies (ms) of small reads while ``slow`` long queries run; then how long a write waited; the
    slow query's own duration."""
    threads = [threading.Thread(target=wh.query, args=(slow_sql(rows),)) for _ in range(slow)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(0.5)  # the long queries are running
    latencies = []
    for _ in range(probes):
        t0 = time.perf_counter()
        wh.query(SMALL)
        latencies.append(1000 * (time.perf_counter() - t0))
        time.sleep(0.05)
    t0 = time.perf_counter()
    wh.append("dan_so", pa.table({"ma_xa": ["13285"], "dan_so": [1]}), "bench-write")
    write_wait = time.perf_counter() - t0
    for t in threads:
        t.join()
    return latencies, write_wait, time.perf_counter() - started


def other_process_holds(wh: DuckDBWarehouse, path: Path) -> tuple[float, str]:
    """Another process keeps the file open for writing: how soon a read answers, and what it says."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(30)"),
        str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        t0 = time.perf_counter()
        try:
            wh.query(SMALL)
            message = "(answered)"
        except WarehouseBusy as exc:
            message = str(exc)
        return time.perf_counter() - t0, message
    finally:
        holder.kill()
        holder.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the slow query")
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--slow", type=int, default=1, help="slow queries at once")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of both variants")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dieuhanh-bench-conc-") as tmp:
        path = Path(tmp) / "warehouse.duckdb"
        wh = DuckDBWarehouse(path)
        communes = [str(13000 + i) for i in range(129)]
        wh.append("dan_so", pa.table({"ma_xa": communes * 100, "dan_so": list(range(12_900))}), "seed")
        rows = calibrate(wh, args.seconds)
        variants = {"dieuhanh": wh, "baseline (before)": LockedWarehouse(path)}
        rounds = Rounds(args.rounds)
        for name in rounds.order(list(variants)):  # order reversed every other round
            latencies, write_wait, slow_took = probe(variants[name], rows, args.probes, args.slow)
            rounds.record(f"{name}:p50", statistics.median(latencies))
            rounds.record(f"{name}:max", max(latencies))
            rounds.record(f"{name}:write", write_wait)
            rounds.record(f"{name}:slow", slow_took)
        print(f"{args.slow} slow quer{'y' if args.slow == 1 else 'ies'} of ~{args.seconds:g} s; {args.probes} small "
              f"reads each round; {rounds.runs} interleaved rounds; {rounds.load_range()}; per round, then median "
              "(min–max) over the rounds:")
        for name in variants:
            print(f"  {name}")
            for key, label, unit, digits in (("p50", "small read p50", "ms", 1), ("max", "small read max", "ms", 1),
                                             ("write", "write waited", "s", 2), ("slow", "slow query", "s", 1)):
                print(f"    {label:<16}{spread(rounds.values[f'{name}:{key}'], unit, digits)}")
        worst = max(rounds.values["dieuhanh:max"])
        print(f"target: a small read delayed < 100 ms: {'met' if worst < 100 else 'NOT met'} (slowest of every "
              f"round {worst:.1f} ms)".replace(".", ","))
        waited, message = other_process_holds(wh, path)
        print(f"file held by another process: a read answered after {waited:.1f} s: «{message}»")


if __name__ == "__main__":
    main()
