"""End-to-end ingestion benchmark: our validated load against pandas and DuckDB's raw read_csv.

Run (1 M rows; ``--big`` adds 5 M; pandas is not a project dependency, so add it for this run only):

    uv run --with pandas python bench/ingest.py [--rows 1000000] [--big] [--profile] [--keep]

For each size a CSV of 10 columns in the form provincial files take (``;``-separated, dates dd/mm/yyyy,
numbers 1.234.567,89, unit codes of province 37, integers, Vietnamese text) is written to a temporary folder,
then three variants run, **each in its own child process** so that peak RSS figures do not mix:

(a) ``dieuhanh``: ``ingest.service.load`` into a fresh DuckDB warehouse (fresh SQLite + DuckDB, migrated and
    bootstrapped, a dataset whose schema types every column, SYSTEM principal) — the full path: reading,
    decoding, validating every cell, unit mapping, batch bookkeeping, audit;
(b) ``pandas``: ``read_csv`` (with the Vietnamese number and date formats) + ``to_sql`` into SQLite;
(c) ``duckdb raw``: ``CREATE TABLE AS SELECT * FROM read_csv(...)``, types auto-detected, no validation.

Printed: seconds of the load alone, rows/s, peak RSS of the child (``ru_maxrss``) and its RSS before the load
(imports, empty stores), and the ratio (a)/(c) against the target "full validation within 2× of DuckDB's raw
read_csv, peak RSS ≤ 1 GB at 5 M rows". ``--profile`` times the stages of (a) one by one in the main thread
(decode, csv parsing, Arrow string batches, validation, insert) and prints a cProfile of reading + validating:
in a real load DuckDB pulls the stream from its worker threads, where a profiler of the calling thread cannot
see. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COLUMNS: list[tuple[str, str]] = [
    ("ngay_tiep_nhan", "date"),
    ("ma_xa", "unit_code"),
    ("so_tien", "number"),
    ("so_luong", "integer"),
    ("ty_le", "number"),
    ("ma_ho_so", "string"),
    ("ho_ten", "string"),
    ("noi_dung", "string"),
    ("nam", "integer"),
    ("ngay_hen_tra", "date"),
]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Đức Em", "Vũ Thị Giang",
         "Đặng Minh Hải", "Bùi Thị Hạnh", "Đỗ Quang Khải", "Ngô Thị Lan"]
TOPICS = ["Đăng ký khai sinh", "Cấp giấy phép xây dựng", "Chứng thực bản sao", "Đăng ký kết hôn",
          "Cấp đổi giấy chứng nhận quyền sử dụng đất", "Đăng ký thành lập hộ kinh doanh"]
TARGET_RATIO = 1.5
TARGET_RSS_MB = 1024


def rss_mb() -> float:
    """Peak resident set of this process in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


# ------------------------------------------------------------------------------------------------ the file


def write_csv(path: Path, rows: int) -> None:
    """Deterministic rows written by DuckDB (fast even at 5 M), in Vietnamese formats, ';'-separated."""
    import duckdb

    from dieuhanh.geo.reference import communes_of

    codes = [u.code for u in communes_of("37")]
    sql = f"""
        COPY (
          SELECT
            strftime(DATE '2024-01-01' + CAST(hash(i, 1) % 700 AS INTEGER), '%d/%m/%Y') AS ngay_tiep_nhan,
            {codes!r}[1 + CAST(hash(i, 2) % {len(codes)} AS INTEGER)] AS ma_xa,
            translate(format('{{:,.2f}}', (hash(i, 3) % 100000000) / 100.0), ',.', '.,') AS so_tien,
            CAST(hash(i, 4) % 5000 AS BIGINT) AS so_luong,
            translate(format('{{:.1f}}', (hash(i, 5) % 1000) / 10.0), '.', ',') AS ty_le,
            'HS-' || lpad(CAST(i AS VARCHAR), 9, '0') AS ma_ho_so,
            {NAMES!r}[1 + CAST(hash(i, 6) % {len(NAMES)} AS INTEGER)] AS ho_ten,
            {TOPICS!r}[1 + CAST(hash(i, 7) % {len(TOPICS)} AS INTEGER)] || ' (lần ' || CAST(i % 7 + 1 AS VARCHAR)
              || ')' AS noi_dung,
            2024 + CAST(hash(i, 8) % 2 AS INTEGER) AS nam,
            strftime(DATE '2024-01-15' + CAST(hash(i, 9) % 700 AS INTEGER), '%d/%m/%Y') AS ngay_hen_tra
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT csv, DELIMITER ';', HEADER true)
    """
    con = duckdb.connect()
    try:
        con.execute(sql)
    finally:
        con.close()


# ------------------------------------------------------------------------------------------------ variants


def run_ours(csv_path: Path, work: Path, profile: bool) -> dict[str, Any]:
    from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
    from dieuhanh.catalog.service import create_dataset
    from dieuhanh.core.bootstrap import bootstrap
    from dieuhanh.core.db import Database
    from dieuhanh.core.migrate import upgrade
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.core.warehouse import DuckDBWarehouse
    from dieuhanh.ingest.service import load

    db = Database(f"sqlite:///{work / 'dieuhanh.db'}")
    upgrade(db.engine)
    warehouse = DuckDBWarehouse(work / "warehouse.duckdb")
    with db.session() as session:
        bootstrap(session, province_code="37")
        create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
            name="ho_so_bench", title="Hồ sơ (benchmark)", owner_agency="TTPVHCC", access="internal",
            schema=[ColumnIn(name=n, type=t, required=n in ("ngay_tiep_nhan", "ma_xa")) for n, t in COLUMNS],
        ))
    before = current_rss_mb()
    started = time.perf_counter()

    def go() -> int:
        with db.session() as session:
            result = load(session, warehouse, principal=SYSTEM, dataset_name="ho_so_bench", source=csv_path,
                          filename=csv_path.name, source_kind="cli", province_code="37", max_bytes=1 << 40)
            return result.rows

    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        rows = profiler.runcall(go)
        elapsed = time.perf_counter() - started
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    else:
        rows = go()
        elapsed = time.perf_counter() - started
    stored = warehouse.query("SELECT count(*) FROM ho_so_bench").column(0)[0].as_py()
    assert stored == rows, (stored, rows)
    db.dispose()
    return {"rows": rows, "seconds": elapsed, "rss_before_mb": before, "peak_rss_mb": rss_mb()}


def run_stages(csv_path: Path, work: Path, profile: bool) -> dict[str, Any]:
    """Where the time of (a) goes, stage by stage, all in this thread.

    DuckDB pulls the validated Arrow stream from its own worker threads, so a profiler attached to the calling
    thread misses most of the Python work of a real load. Here each stage is drained in the main thread:
    decode (bytes → lines), csv (lines → records), read (records → Arrow string batches: ``open_table``),
    validate (typed batches: the ingestion ``_Validator``), then the warehouse insert of already-typed batches.
    """
    import csv as csvmod

    import pyarrow as pa

    from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
    from dieuhanh.catalog.service import create_dataset, get_dataset
    from dieuhanh.core.bootstrap import bootstrap
    from dieuhanh.core.db import Database
    from dieuhanh.core.migrate import upgrade
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.core.warehouse import DuckDBWarehouse
    from dieuhanh.ingest import encodings
    from dieuhanh.ingest.readers import open_table
    from dieuhanh.ingest.service import _Collector, _Validator

    db = Database(f"sqlite:///{work / 'dieuhanh.db'}")
    upgrade(db.engine)
    warehouse = DuckDBWarehouse(work / "warehouse.duckdb")
    out: dict[str, Any] = {}

    def timed(name: str, fn: Any) -> Any:
        started = time.perf_counter()
        value = fn()
        out[name] = time.perf_counter() - started
        return value

    def decode() -> int:
        with open(csv_path, "rb") as fh:
            return sum(1 for _ in encodings.decode_stream(fh, "utf-8"))

    def parse() -> int:
        with open(csv_path, "rb") as fh:
            return sum(1 for _ in csvmod.reader(encodings.decode_stream(fh, "utf-8"), delimiter=";", strict=True))

    def read() -> int:
        with open_table(csv_path, max_bytes=1 << 40) as reader:
            return sum(b.num_rows for b, _ in reader.batches())

    timed("decode", decode)
    timed("csv", parse)
    timed("read", read)
    with db.session() as session:
        bootstrap(session, province_code="37")
        create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
            name="ho_so_bench", title="Hồ sơ (benchmark)", owner_agency="TTPVHCC", access="internal",
            schema=[ColumnIn(name=n, type=t, required=n in ("ngay_tiep_nhan", "ma_xa")) for n, t in COLUMNS],
        ))
        ds = get_dataset(session, "ho_so_bench")
        reader = open_table(csv_path, max_bytes=1 << 40)
        errors = _Collector()
        validator = _Validator(ds, reader, "37", errors)

        def validate() -> list[Any]:
            return list(validator.batches())

        if profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            started = time.perf_counter()
            batches = profiler.runcall(validate)
            out["read+validate"] = time.perf_counter() - started
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(20)
        else:
            batches = timed("read+validate", validate)
        reader.close()
        assert errors.count == 0, errors.errors[:3]
        table = pa.Table.from_batches(batches, schema=validator.schema)
        timed("insert typed", lambda: warehouse.append("ho_so_bench", table, "bench-batch"))
    db.dispose()
    out["rows"] = table.num_rows
    out["peak_rss_mb"] = rss_mb()
    return out


def run_pandas(csv_path: Path, work: Path) -> dict[str, Any]:
    import sqlite3

    try:
        import pandas as pd
    except ImportError:
        return {"skipped": "pandas is not installed: run with `uv run --with pandas python bench/ingest.py`"}
    before = current_rss_mb()
    started = time.perf_counter()
    frame = pd.read_csv(
        csv_path, sep=";", decimal=",", thousands=".", dtype={"ma_xa": str, "ma_ho_so": str},
        parse_dates=["ngay_tiep_nhan", "ngay_hen_tra"], date_format="%d/%m/%Y",
    )
    read = time.perf_counter() - started
    con = sqlite3.connect(work / "pandas.db")
    try:
        frame.to_sql("ho_so_bench", con, index=False, chunksize=50_000)
        con.commit()
        rows = con.execute("SELECT count(*) FROM ho_so_bench").fetchone()[0]
    finally:
        con.close()
    elapsed = time.perf_counter() - started
    return {"rows": rows, "seconds": elapsed, "read_seconds": read, "rss_before_mb": before,
            "peak_rss_mb": rss_mb(), "pandas": pd.__version__}


def run_duckdb(csv_path: Path, work: Path, typed: bool = True) -> dict[str, Any]:
    """DuckDB's own read_csv into a table. ``typed`` (the baseline): every column read as text and converted in SQL
    from the Vietnamese forms (dates dd/mm/yyyy, numbers 1.234,5), as our load does; otherwise types auto-detected."""
    import duckdb

    before = current_rss_mb()
    started = time.perf_counter()  # opening the database file is part of the load, as in (a)
    con = duckdb.connect(str(work / "raw.duckdb"))
    spec = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n, _ in COLUMNS) + "}"
    conv = []
    for name, kind in COLUMNS:
        if kind == "date":
            conv.append(f"CAST(strptime({name}, '%d/%m/%Y') AS DATE) AS {name}")
        elif kind == "number":
            conv.append(f"CAST(replace(replace({name}, '.', ''), ',', '.') AS DOUBLE) AS {name}")
        elif kind == "integer":
            conv.append(f"CAST(replace({name}, '.', '') AS BIGINT) AS {name}")
        else:
            conv.append(name)
    try:
        if typed:
            con.execute(f"CREATE TABLE ho_so_bench AS SELECT {', '.join(conv)} FROM read_csv('{csv_path}', delim=';', "
                        f"header=true, columns={spec}, auto_detect=false)")
        else:
            con.execute(f"CREATE TABLE ho_so_bench AS SELECT * FROM read_csv('{csv_path}', delim=';', header=true)")
        rows = con.execute("SELECT count(*) FROM ho_so_bench").fetchone()[0]  # type: ignore[index]
        types = [r[1] for r in con.execute("DESCRIBE ho_so_bench").fetchall()]
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    elapsed = time.perf_counter() - started
    return {"rows": rows, "seconds": elapsed, "rss_before_mb": before, "peak_rss_mb": rss_mb(), "types": types,
            "threads": threads, "duckdb": duckdb.__version__}


def child(variant: str, csv_path: Path, work: Path, profile: bool) -> None:
    run = {"ours": lambda: run_ours(csv_path, work, profile), "pandas": lambda: run_pandas(csv_path, work),
           "duckdb": lambda: run_duckdb(csv_path, work),
           "auto": lambda: run_duckdb(csv_path, work, typed=False),
           "stages": lambda: run_stages(csv_path, work, profile)}[variant]
    print(json.dumps(run()))


def spawn(variant: str, csv_path: Path, root: Path, profile: bool = False) -> dict[str, Any]:
    work = root / f"{variant}-{time.monotonic_ns()}"
    work.mkdir()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--csv", str(csv_path), "--work", str(work),
         *(["--profile"] if profile else [])],
        capture_output=True, text=True, check=False,
    )
    shutil.rmtree(work, ignore_errors=True)
    if profile:
        print(proc.stderr)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# ------------------------------------------------------------------------------------------------ report


LABELS = {"ours": "(a) dieuhanh ingest.load", "pandas": "(b) pandas read_csv+to_sql",
          "duckdb": "(c) duckdb read_csv, VN types", "auto": "(d) duckdb read_csv, auto"}


def _spread(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:>8.2f} s  ({min(values):.2f}–{max(values):.2f}, n={len(values)})"


def report(rows: int, size_mb: float, runs: dict[str, list[dict[str, Any]]], loads: list[float]) -> bool:
    """Median and spread of every variant's runs (interleaved), the ratio (a)/(c) per round; True if it meets."""
    print(f"\n{rows:,} rows, {size_mb:,.0f} MB CSV, 10 columns; machine: {os.cpu_count()} CPU(s); load average "
          f"during the runs {min(loads):.1f}–{max(loads):.1f}")
    print(f"{'variant':<31}{'load s: median (min–max)':<34}{'rows/s':>11}{'peak RSS MB':>13}  note")
    for key, label in LABELS.items():
        ok = [r for r in runs.get(key, []) if "seconds" in r]
        if not ok:
            r = (runs.get(key) or [{}])[0]
            if key in runs:
                print(f"{label:<31}{'—':<34}{'—':>11}{'—':>13}  {r.get('skipped') or r.get('error')}")
            continue
        secs = [r["seconds"] for r in ok]
        note = ""
        last = ok[-1]
        if key == "pandas":
            note = f"read_csv {last['read_seconds']:.2f} s, pandas {last['pandas']}"
        elif key in ("duckdb", "auto"):
            note = f"{last['threads']} threads, duckdb {last['duckdb']}, types {','.join(sorted(set(last['types'])))}"
        print(f"{label:<31}{_spread(secs):<34}{rows / statistics.median(secs):>11,.0f}"
              f"{max(r['peak_rss_mb'] for r in ok):>13,.0f}  {note}")
    ours, base = runs.get("ours", []), runs.get("duckdb", [])
    ratios = [a["seconds"] / b["seconds"] for a, b in zip(ours, base, strict=False)
              if "seconds" in a and "seconds" in b]
    if not ratios:
        return False
    ratio = statistics.median(ratios)
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"ratio (a)/(c), same round: median {ratio:.2f}× (" + ", ".join(f"{r:.2f}" for r in ratios)
          + f") — {verdict} the target of ≤ {TARGET_RATIO:.1f}× DuckDB's read_csv of the same formats")
    peak = max(r["peak_rss_mb"] for r in ours if "peak_rss_mb" in r)
    rss = "meets" if peak <= TARGET_RSS_MB else "MISSES"
    print(f"peak RSS of (a) = {peak:,.0f} MB — {rss} the ≤ {TARGET_RSS_MB} MB target"
          + (" (the target is stated for 5 M rows)" if rows != 5_000_000 else ""))
    return ratio <= TARGET_RATIO and (rows != 5_000_000 or peak <= TARGET_RSS_MB)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big", action="store_true", help="also run 5 000 000 rows")
    parser.add_argument("--profile", action="store_true", help="run (a) under cProfile and print the top functions")
    parser.add_argument("--only", default="ours,duckdb,pandas,auto", help="comma-separated variants")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the variants run interleaved in each")
    parser.add_argument("--keep", action="store_true", help="keep the generated CSV files")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.csv, args.work, args.profile)
        return
    root = Path(tempfile.mkdtemp(prefix="dieuhanh-bench-"))
    passed = True
    try:
        for rows in [args.rows, *([5_000_000] if args.big else [])]:
            csv_path = root / f"ho-so-{rows}.csv"
            started = time.perf_counter()
            write_csv(csv_path, rows)
            size_mb = csv_path.stat().st_size / 1e6
            print(f"wrote {csv_path} ({size_mb:,.0f} MB) in {time.perf_counter() - started:.1f} s", flush=True)
            runs: dict[str, list[dict[str, Any]]] = {}
            loads: list[float] = []
            for round_no in range(args.runs):
                variants = args.only.split(",")
                for variant in variants if round_no % 2 == 0 else variants[::-1]:
                    loads.append(os.getloadavg()[0])
                    print(f"  round {round_no + 1}: {variant}… (load average {loads[-1]:.1f})", flush=True)
                    runs.setdefault(variant, []).append(spawn(variant, csv_path, root))
            passed = report(rows, size_mb, runs, loads) and passed
            if args.profile:
                stages = spawn("stages", csv_path, root)
                print("\nstages of (a), each drained in the main thread (seconds; read includes decode and csv,"
                      " read+validate includes read):")
                for key in ("decode", "csv", "read", "read+validate", "insert typed"):
                    if key in stages:
                        print(f"  {key:<15}{stages[key]:>8.2f}")
                if "error" in stages:
                    print(f"  error: {stages['error']}")
                print("\ncProfile of read+validate (profiler overhead inflates per-row Python code):")
                spawn("stages", csv_path, root, profile=True)
    finally:
        if args.keep:
            print(f"files kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    if not args.profile and "ours" in args.only.split(",") and "duckdb" in args.only.split(","):
        sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
