"""Indicator engine at ×10 demo scale: the whole built-in library, then a subset against plain pandas.

Builds fresh temporary SQLite + DuckDB stores (migrated, bootstrapped) and loads the demo province with
``run_demo`` (which also loads the library and computes it once). Then **this bench writes the warehouse
directly** (a plain ``duckdb`` connection, bypassing ``ingest`` and the catalog's load batches) to scale the demo
data:

1. every table with a monthly column (``thang`` DATE, or the hourly ``thoi_diem`` TIMESTAMP of the air-quality
   table) is extended to the 24 months ending at its latest month: each missing month is a copy of an existing
   month (preferably the same calendar month of another year) shifted by whole months (hours whose day does not
   exist in the target month are dropped);
2. every primary demo table is then multiplied ×10: nine copies of its rows with numeric measures perturbed by
   ``× (1 + 0.003·k)`` (integers rounded); period columns (``nam``, dates, ``nam_hoc``…), unit codes and text are
   kept, so unit codes stay valid and every query of the library still returns one row per period and unit.
   Derived tables — datasets the product computes itself (batches loaded by the system, and those the environment,
   inspections and DTI modules publish, which the demo loads as ``demo``) — are neither extended nor copied: ten
   copies of a computed row would break the definitions that read one row per (period, unit). Nor is ``grdp_quy``
   multiplied (one row per release; the definitions read the latest release's row).

Then it times ``indicators.service.compute`` for the whole library (all codes, all periods; ``--runs`` times,
median and spread with the load average) and prints seconds, values written and errors; then, for a subset of
indicators of different shapes, ``compute(codes=[...])`` against a straightforward pandas implementation of the
same definitions reading the same DuckDB tables (``duckdb.connect(path, read_only=True).execute(...).df()``) and
writing its values into SQLite (as the engine does), in ``--runs`` interleaved rounds (median and spread, with the
load average), and checks every (code, period, unit) value.

pandas is not a project dependency: ``uv run --with pandas python bench/indicators.py``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from rounds import Rounds, spread

SUBSET = [
    "so_vu_tai_nan_giao_thong",  # monthly sum by commune + province rollup
    "ty_le_tiem_chung_day_du",  # year-to-date running sum by commune against the yearly plan (max), rollup
    "ty_le_don_thu_da_giai_quyet",  # quarterly ratio
    "ty_le_truong_dat_chuan_quoc_gia",  # filtered count ratio, school-year period
    "ban_le_tang_cung_ky",  # year-over-year change (self-join on year - 1)
    "so_vu_tai_nan_giao_thong_thay_doi_cung_ky",  # year-over-year change of a year-to-date running sum
    "giuong_benh_tren_10000_dan",  # province only: join with population (latest year), per 10 000
    "mat_do_dan_so",  # join with area, yearly
    "ty_le_ngay_aqi_tot",  # share of days with VN_AQI ≤ 50 (vn_aqi_ngay, derived: left as computed), monthly
    "pm25_trung_binh",  # hourly average
]
SCALE = 10
MONTHS = 24
PERIOD_COLUMNS = {"nam"}  # integer period columns never perturbed
# Not derived, yet not multiplied: one row per release (quarter, kind, publication date) — the definitions read the
# latest release's row as it is, so ten copies would be ten releases on the same day.
ONE_ROW_PER_KEY = {"grdp_quy"}
TOLERANCE = 1e-6


# ------------------------------------------------------------------------------------------------ stores


def build(root: Path) -> tuple[Any, Any, Any]:
    from dieuhanh.core.bootstrap import bootstrap
    from dieuhanh.core.db import Database
    from dieuhanh.core.migrate import upgrade
    from dieuhanh.core.warehouse import DuckDBWarehouse
    from dieuhanh.demo.service import run_demo
    from dieuhanh.settings import Settings

    db = Database(f"sqlite:///{root / 'dieuhanh.db'}")
    upgrade(db.engine)
    with db.session() as session:
        bootstrap(session, province_code="37")
    warehouse = DuckDBWarehouse(root / "warehouse.duckdb")
    settings = Settings(data_dir=root, database_url=db.url, warehouse_url=f"duckdb:///{root / 'warehouse.duckdb'}",
                        secret_key="bench-secret", province_code="37", scheduler_enabled=False)
    run_demo(db, warehouse, settings)
    return db, warehouse, settings


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def derived_tables(db: Any) -> set[str]:
    """Datasets the product computes itself from other data — copying them ×10 would give each (period, unit) ten
    rows where the computation gives one, and the definitions reading them would fail. They stay as computed:

    * datasets with a batch loaded by the system (snapshots, Decision 766 results, reports' register…);
    * the datasets the environment, inspections and DTI modules publish from their own computations, which the demo
      loads with source ``demo`` (VN_AQI days and hours, the inspection plans and figures, the DTI results).

    Not the tag «hệ thống»: it also marks data the product receives (dossiers pushed by the public-service portal,
    agencies' periodic reports), which are scaled like any other."""
    from sqlalchemy import select

    from dieuhanh.catalog.models import Dataset, LoadBatch
    from dieuhanh.dti import opendata as dti
    from dieuhanh.environment import opendata as environment
    from dieuhanh.inspections import opendata as inspections
    from dieuhanh.publicservices import compute as publicservices

    out = {environment.DAILY, environment.HOURLY, inspections.PLAN, inspections.FIGURES, dti.DATASET,
           publicservices.RESULTS}
    with db.session() as session:
        rows = session.execute(select(Dataset.name, LoadBatch.source).join(LoadBatch,
                                                                           LoadBatch.dataset_id == Dataset.id))
        out |= {name for name, source in rows if source == "system"}
    return out


def scale_warehouse(path: Path, skip: set[str] | None = None) -> dict[str, tuple[int, int]]:
    """Extend monthly tables to 24 months, then ×10 every table but ``skip`` (derived tables) and tables outside
    the catalog; returns table -> (rows before, rows after)."""
    import duckdb

    con = duckdb.connect(str(path))
    out: dict[str, tuple[int, int]] = {}
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        for table in tables:
            if table in (skip or set()):
                continue
            before = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
            cols = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                               "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                               [table]).fetchall()
            types = dict(cols)
            con.execute("BEGIN")
            time_col = "thang" if types.get("thang") == "DATE" else (
                "thoi_diem" if types.get("thoi_diem") == "TIMESTAMP" else None)
            if time_col is not None and before:
                months = sorted({_month_index(r[0]) for r in con.execute(
                    f"SELECT DISTINCT CAST(date_trunc('month', {time_col}) AS DATE) FROM \"{table}\"").fetchall()})
                last = months[-1]
                for target in range(last - MONTHS + 1, last + 1):
                    if target in months:
                        continue
                    same = [m for m in months if m % 12 == target % 12]
                    source = min(same or months, key=lambda m: abs(m - target))
                    shift = target - source
                    con.execute(
                        f"INSERT INTO \"{table}\" SELECT * REPLACE ({time_col} + to_months({shift}) AS {time_col}) "
                        f"FROM \"{table}\" WHERE date_trunc('month', {time_col}) = ? "
                        f"AND day({time_col} + to_months({shift})) = day({time_col})",
                        [_month_of(source)])
            exprs = []
            for name, dtype in cols:
                if name in PERIOD_COLUMNS or name.startswith("_"):
                    exprs.append(f'"{name}"')
                elif dtype == "DOUBLE":
                    exprs.append(f'"{name}" * (1 + 0.003 * k) AS "{name}"')
                elif dtype in ("BIGINT", "INTEGER"):
                    exprs.append(f'CAST(round("{name}" * (1 + 0.003 * k)) AS {dtype}) AS "{name}"')
                else:
                    exprs.append(f'"{name}"')
            con.execute(f"CREATE TEMP TABLE _base AS SELECT * FROM \"{table}\"")
            con.execute(f"INSERT INTO \"{table}\" SELECT {', '.join(exprs)} "
                        f"FROM _base, range(1, {SCALE}) AS r(k)")
            con.execute("DROP TABLE _base")
            con.execute("COMMIT")
            after = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # type: ignore[index]
            out[table] = (before, after)
    finally:
        con.close()
    return out


# ------------------------------------------------------------------------------------------------ pandas


def pandas_subset(path: Path, communes: set[str], province: str) -> tuple[dict[tuple[str, str, str], float | None],
                                                                            float, float]:
    """The SUBSET indicators in pandas; returns ({(code, period, unit): value}, read seconds, total seconds)."""
    import duckdb
    import numpy as np
    import pandas as pd

    started = time.perf_counter()
    con = duckdb.connect(str(path), read_only=True)
    try:
        def read(sql: str) -> pd.DataFrame:
            return con.execute(sql).df()

        tngt = read("SELECT thang, ma_xa, so_vu FROM tai_nan_giao_thong_thang")
        tc = read("SELECT thang, ma_xa, so_tre_tiem_du, so_tre_ke_hoach_nam FROM tiem_chung_thang")
        dt = read("SELECT quy, ma_xa, vu_da_giai_quyet, vu_thuoc_tham_quyen FROM tiep_cong_dan_don_thu")
        th = read("SELECT nam_hoc, ma_xa, cap_hoc, dat_chuan_quoc_gia FROM truong_hoc")
        bl = read("SELECT thang, doanh_thu FROM ban_le_hang_hoa_thang")
        ds = read("SELECT ma_xa, nam, dan_so FROM dan_so_xa")
        yt = read("SELECT ma_xa, loai_hinh, so_giuong_benh FROM co_so_y_te")
        dtx = read("SELECT ma_xa, dien_tich_km2 FROM dien_tich_xa")
        kk = read("SELECT ma_xa, thoi_diem, pm25 FROM quan_trac_khong_khi_gio")
        aq = read("SELECT ngay, ma_xa, aqi FROM vn_aqi_ngay")
    finally:
        con.close()
    read_seconds = time.perf_counter() - started

    out: dict[tuple[str, str, str], float | None] = {}

    def put(code: str, frame: pd.DataFrame, unit_col: str | None = "unit", value: str = "value") -> None:
        periods = frame["period"].astype(str).tolist()
        units = frame[unit_col].tolist() if unit_col else [province] * len(frame)
        for p, u, v in zip(periods, units, frame[value].tolist(), strict=True):
            out[(code, p, str(u))] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    def rollup(frame: pd.DataFrame, sums: list[str]) -> pd.DataFrame:
        """GROUP BY GROUPING SETS ((period, ma_xa), (period)): commune rows, then the province row."""
        by_unit = frame.groupby(["period", "ma_xa"], as_index=False)[sums].sum().rename(columns={"ma_xa": "unit"})
        total = frame.groupby("period", as_index=False)[sums].sum()
        total["unit"] = province
        return pd.concat([by_unit, total], ignore_index=True)

    def ratio(num: pd.Series, den: pd.Series, factor: float = 100.0) -> pd.Series:
        den = den.astype("float64")
        return (num.astype("float64") * factor / den.where(den != 0)).astype("float64")

    def month(col: pd.Series) -> pd.Series:
        return pd.to_datetime(col).dt.strftime("%Y-%m")

    # so_vu_tai_nan_giao_thong: sum by commune and month, province rollup
    f = tngt.assign(period=month(tngt["thang"]))
    r = rollup(f, ["so_vu"])
    r["value"] = r["so_vu"].astype("float64")
    put("so_vu_tai_nan_giao_thong", r)

    # ty_le_tiem_chung_day_du: for every month of the table, each commune's doses from January to that month and
    # its yearly plan (the largest figure given), then the rollup of both
    g = tc.groupby(["thang", "ma_xa"], as_index=False).agg(tiem=("so_tre_tiem_du", "sum"),
                                                           ke=("so_tre_ke_hoach_nam", "max"))
    g = g.assign(y=pd.to_datetime(g["thang"]).dt.year)
    k = pd.DataFrame({"k": tc["thang"].drop_duplicates()})
    k = k.assign(y=pd.to_datetime(k["k"]).dt.year)
    j = k.merge(g, on="y")
    j = j[j["thang"] <= j["k"]]
    f = j.groupby(["k", "ma_xa"], as_index=False).agg(tiem=("tiem", "sum"), ke=("ke", "max"))
    f = f.assign(period=month(f["k"]))
    r = rollup(f, ["tiem", "ke"])
    r["value"] = ratio(r["tiem"], r["ke"])
    put("ty_le_tiem_chung_day_du", r)

    # ty_le_don_thu_da_giai_quyet: quarterly, cases settled / cases within competence
    q = pd.to_datetime(dt["quy"])
    f = dt.assign(period=q.dt.year.astype(str) + "-Q" + q.dt.quarter.astype(str))
    r = rollup(f, ["vu_da_giai_quyet", "vu_thuoc_tham_quyen"])
    r["value"] = ratio(r["vu_da_giai_quyet"], r["vu_thuoc_tham_quyen"])
    put("ty_le_don_thu_da_giai_quyet", r)

    # ty_le_truong_dat_chuan_quoc_gia: count of standard schools / count of schools, GDNN-GDTX excluded
    f = th[th["cap_hoc"] != "GDNN-GDTX"]
    f = f.assign(period=f["nam_hoc"].str[:4], dat=f["dat_chuan_quoc_gia"].fillna(False).astype("int64"), n=1)
    r = rollup(f, ["dat", "n"])
    r["value"] = ratio(r["dat"], r["n"])
    put("ty_le_truong_dat_chuan_quoc_gia", r)

    # ban_le_tang_cung_ky: year-over-year change of the monthly total
    m = bl.groupby("thang", as_index=False)["doanh_thu"].sum()
    d = pd.to_datetime(m["thang"])
    m = m.assign(y=d.dt.year, mo=d.dt.month, period=d.dt.strftime("%Y-%m"))
    j = m.merge(m.assign(y=m["y"] + 1)[["y", "mo", "doanh_thu"]], on=["y", "mo"], suffixes=("", "_p"))
    j["value"] = ratio(j["doanh_thu"] - j["doanh_thu_p"], j["doanh_thu_p"])
    put("ban_le_tang_cung_ky", j, unit_col=None)

    # so_vu_tai_nan_giao_thong_thay_doi_cung_ky: YoY of the year-to-date running sum
    m = tngt.groupby("thang", as_index=False)["so_vu"].sum()
    d = pd.to_datetime(m["thang"])
    m = m.assign(y=d.dt.year, mo=d.dt.month, period=d.dt.strftime("%Y-%m")).sort_values("thang")
    m["v"] = m.groupby("y")["so_vu"].cumsum()
    j = m.merge(m.assign(y=m["y"] + 1)[["y", "mo", "v"]], on=["y", "mo"], suffixes=("", "_p"))
    j["value"] = ratio(j["v"] - j["v_p"], j["v_p"])
    put("so_vu_tai_nan_giao_thong_thay_doi_cung_ky", j, unit_col=None)

    # giuong_benh_tren_10000_dan: province only — population of the latest year LEFT JOIN beds (not at commune
    # health stations)
    latest = ds[ds["nam"] == ds["nam"].max()]
    beds = yt.assign(g=np.where(yt["loai_hinh"] != "Trạm y tế", yt["so_giuong_benh"], 0))
    beds = beds.groupby("ma_xa", as_index=False)["g"].sum()
    f = latest.merge(beds, on="ma_xa", how="left")
    f = f.assign(g=f["g"].fillna(0)).groupby("nam", as_index=False)[["g", "dan_so"]].sum()
    f = f.assign(period=f["nam"].astype(str), value=ratio(f["g"], f["dan_so"], 10_000.0))
    put("giuong_benh_tren_10000_dan", f, unit_col=None)

    # mat_do_dan_so: population / area (inner join)
    f = ds.merge(dtx, on="ma_xa").assign(period=lambda x: x["nam"].astype(str))
    r = rollup(f, ["dan_so", "dien_tich_km2"])
    r["value"] = ratio(r["dan_so"], r["dien_tich_km2"], 1.0)
    put("mat_do_dan_so", r)

    # ty_le_ngay_aqi_tot: share of station-days with VN_AQI ≤ 50 among days with an AQI
    a = pd.to_numeric(aq["aqi"], errors="coerce").astype("float64")
    g = aq.assign(tot=(a <= 50).astype("int64"), c=a.notna().astype("int64"), period=month(aq["ngay"]))
    r = rollup(g, ["tot", "c"])
    r["value"] = ratio(r["tot"], r["c"])
    put("ty_le_ngay_aqi_tot", r)

    # pm25_trung_binh: mean of hourly PM2.5 (NULLs ignored)
    f = kk.assign(period=month(kk["thoi_diem"]))
    by_unit = f.groupby(["period", "ma_xa"], as_index=False)["pm25"].mean().rename(columns={"ma_xa": "unit"})
    total = f.groupby("period", as_index=False)["pm25"].mean().assign(unit=province)
    r = pd.concat([by_unit, total], ignore_index=True).rename(columns={"pm25": "value"})
    put("pm25_trung_binh", r)

    return out, read_seconds, time.perf_counter() - started


# ------------------------------------------------------------------------------------------------ main


def write_values(path: Path, values: dict[tuple[str, str, str], float | None]) -> None:
    """pandas' side of the write: its values into a SQLite table, as the engine writes its own."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        con.execute("DROP TABLE IF EXISTS indicator_value")
        con.execute("CREATE TABLE indicator_value (code TEXT, period TEXT, unit TEXT, value REAL)")
        con.executemany("INSERT INTO indicator_value VALUES (?, ?, ?, ?)",
                        [(c, p, u, v) for (c, p, u), v in values.items()])
        con.commit()
    finally:
        con.close()


def engine_values(db: Any, codes: list[str]) -> dict[tuple[str, str, str], float | None]:
    from sqlalchemy import select

    from dieuhanh.indicators.models import IndicatorValue

    with db.session() as session:
        rows = session.execute(select(IndicatorValue.code, IndicatorValue.period, IndicatorValue.unit_code,
                                      IndicatorValue.value).where(IndicatorValue.code.in_(codes)))
        return {(c, p, u): v for c, p, u, v in rows}


def compare(ours: dict[tuple[str, str, str], float | None],
            theirs: dict[tuple[str, str, str], float | None]) -> tuple[list[str], int, float, float]:
    """Mismatches, number of numeric values compared, max absolute and relative difference.

    Mismatches (a missing key equals None: the engine writes ``nodata`` rows pandas does not produce)."""
    mismatches: list[str] = []
    numeric = 0
    max_abs = max_rel = 0.0
    for key in sorted(set(ours) | set(theirs)):
        a, b = ours.get(key), theirs.get(key)
        if a is None and b is None:
            continue
        if a is None or b is None:
            mismatches.append(f"{key}: engine {a} vs pandas {b}")
            continue
        numeric += 1
        diff = abs(a - b)
        max_abs = max(max_abs, diff)
        max_rel = max(max_rel, diff / max(abs(a), 1e-300))
        if diff > TOLERANCE * max(1.0, abs(a)):
            mismatches.append(f"{key}: engine {a!r} vs pandas {b!r} (diff {diff:.3g})")
    return mismatches, numeric, max_abs, max_rel


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary stores")
    parser.add_argument("--runs", type=int, default=3,
                        help="runs of the whole library; interleaved rounds of the subset, each side")
    args = parser.parse_args()
    from dieuhanh.geo import reference
    from dieuhanh.indicators import service

    root = Path(tempfile.mkdtemp(prefix="dieuhanh-bench-indicators-"))
    try:
        started = time.perf_counter()
        db, warehouse, settings = build(root)
        print(f"demo province loaded in {time.perf_counter() - started:.1f} s ({root})", flush=True)
        started = time.perf_counter()
        derived = derived_tables(db)
        scaled = scale_warehouse(root / "warehouse.duckdb", skip=derived | ONE_ROW_PER_KEY)
        rows_before = sum(b for b, _ in scaled.values())
        rows_after = sum(a for _, a in scaled.values())
        biggest = sorted(scaled.items(), key=lambda kv: -kv[1][1])[:4]
        print(f"warehouse scaled in {time.perf_counter() - started:.1f} s: {len(scaled)} tables, "
              f"{rows_before:,} → {rows_after:,} rows (largest: "
              + ", ".join(f"{t} {a:,}" for t, (_, a) in biggest) + "); derived tables left as computed: "
              + (", ".join(sorted(derived)) or "none") + "; one row per key, not multiplied: "
              + ", ".join(sorted(ONE_ROW_PER_KEY)), flush=True)
        province = settings.province_code

        # whole library, all periods, --runs times (each run computes and writes every value again)
        library = Rounds(args.runs)
        errors: dict[str, str] = {}
        for _ in library.order(["whole"]):
            with db.session() as session:
                started = time.perf_counter()
                summary = service.compute(session, warehouse, province_code=province, trigger="cli")
                library.record("compute", time.perf_counter() - started)
            library.record("whole", time.perf_counter() - started)
            errors |= summary.errors
        print(f"\nwhole library: {len(summary.computed) + len(summary.errors)} definitions, all periods, "
              f"{summary.values_written:,} values written, {len(errors)} errors in {args.runs} run(s):")
        print(f"  {spread(library.values['whole'])} incl. commit (compute() {spread(library.values['compute'])}); "
              f"{library.load_range()}")
        for code, message in sorted(errors.items()):
            print(f"  error {code}: {message}")

        # subset: engine vs pandas, interleaved rounds; both sides read the warehouse, compute and write their
        # values into SQLite (pandas: a plain executemany into a table of the same shape), timed the same way
        try:
            import pandas as pd
        except ImportError:
            print("\npandas is not installed: run with `uv run --with pandas python bench/indicators.py`")
            return
        communes = {u.code for u in reference.communes_of(province)}
        rounds = Rounds(args.runs)
        theirs: dict[tuple[str, str, str], float | None] = {}
        read_times: list[float] = []
        for side in rounds.order(["engine", "pandas"]):
            if side == "engine":
                with db.session() as session:
                    started = time.perf_counter()
                    sub = service.compute(session, warehouse, codes=SUBSET, province_code=province, trigger="cli")
                rounds.record("engine", time.perf_counter() - started)  # incl. the commit, as pandas' write
            else:
                started = time.perf_counter()
                theirs, read_s, _total = pandas_subset(root / "warehouse.duckdb", communes, province)
                write_values(root / "pandas-values.db", theirs)
                rounds.record("pandas", time.perf_counter() - started)
                read_times.append(read_s)
        ours = engine_values(db, SUBSET)
        mismatches, keys, max_abs, max_rel = compare(ours, theirs)
        print(f"\nsubset of {len(SUBSET)} indicators ({sub.values_written:,} values incl. nodata rows, "
              f"{len(sub.errors)} errors); both sides read the warehouse, compute and write their values into "
              f"SQLite; median (min–max):")
        print(rounds.report({"engine": "dieuhanh compute(codes=[...])", "pandas": "pandas read+compute+write"}))
        print(f"  pandas {pd.__version__}; of its time, DuckDB → DataFrame {spread(read_times)}")
        print("  indicators: " + ", ".join(SUBSET))
        print(f"agreement: {keys:,} (code, period, unit) values compared, "
              f"{len(ours):,} engine rows, {len(mismatches)} mismatches "
              f"(tolerance {TOLERANCE:g} × max(1, |value|)); max |diff| {max_abs:.3g}, max relative {max_rel:.3g}")
        for line in mismatches[:30]:
            print(f"  {line}")
        if len(mismatches) > 30:
            print(f"  … {len(mismatches) - 30} more")
        print(f"\nmachine: {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
        db.dispose()
    finally:
        if args.keep:
            print(f"stores kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
