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
   Derived tables — datasets the product computes itself (batches loaded by the system) — are neither extended
   nor copied: ten copies of a computed row would break the definitions that read one row per (period, unit).

Then it times ``indicators.service.compute`` for the whole library (all codes, all periods) and prints seconds,
values written and errors; then, for a subset of indicators of different shapes, ``compute(codes=[...])`` against
a straightforward pandas implementation of the same definitions reading the same DuckDB tables
(``duckdb.connect(path, read_only=True).execute(...).df()``) and writing its values into SQLite (as the engine
does), in ``--runs`` interleaved rounds (median and spread, with the load average), and checks every
(code, period, unit) value.

pandas is not a project dependency: ``uv run --with pandas python bench/indicators.py``.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

SUBSET = [
    "so_vu_tai_nan_giao_thong",  # monthly sum by commune + province rollup
    "ty_le_ho_so_truc_tuyen_toan_trinh",  # monthly ratio, province row includes the province-level rows '37'
    "ty_le_tiem_chung_day_du",  # monthly ratio numerator/denominator
    "ty_le_don_thu_da_giai_quyet",  # quarterly ratio
    "ty_le_truong_dat_chuan_quoc_gia",  # filtered count ratio, school-year period
    "ban_le_tang_cung_ky",  # year-over-year change (self-join on year - 1)
    "so_vu_tai_nan_giao_thong_thay_doi_cung_ky",  # year-over-year change of a year-to-date running sum
    "giuong_benh_tren_10000_dan",  # join with population (latest year), per 10 000
    "mat_do_dan_so",  # join with area, yearly
    "ty_le_ngay_aqi_tot",  # hourly → daily VN_AQI good-day share, monthly
    "pm25_trung_binh",  # hourly average
]
SCALE = 10
MONTHS = 24
PERIOD_COLUMNS = {"nam"}  # integer period columns never perturbed
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
    """Datasets the product computes itself from other data (their batches are loaded by the system — snapshots,
    the AQI days, the Decision 766 results …): copying them ×10 would give each (period, unit) ten rows where the
    computation gives one, and the definitions reading them would fail. They stay as computed."""
    from sqlalchemy import select

    from dieuhanh.catalog.models import Dataset, LoadBatch

    with db.session() as session:
        rows = session.execute(select(Dataset.name, LoadBatch.source).join(LoadBatch,
                                                                           LoadBatch.dataset_id == Dataset.id))
        return {name for name, source in rows if source == "system"}


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
        hs = read("SELECT thang, ma_xa, tiep_nhan, truc_tuyen_toan_trinh FROM ho_so_tthc_thang")
        tc = read("SELECT thang, ma_xa, so_tre_trong_dien, so_tre_tiem_du FROM tiem_chung_thang")
        dt = read("SELECT quy, ma_xa, don_khieu_nai, don_to_cao, don_kien_nghi, da_giai_quyet "
                  "FROM tiep_cong_dan_don_thu")
        th = read("SELECT nam_hoc, ma_xa, cap_hoc, dat_chuan_quoc_gia FROM truong_hoc")
        bl = read("SELECT thang, doanh_thu FROM ban_le_hang_hoa_thang")
        ds = read("SELECT ma_xa, nam, dan_so FROM dan_so_xa")
        yt = read("SELECT ma_xa, loai_hinh, so_giuong_benh FROM co_so_y_te")
        dtx = read("SELECT ma_xa, dien_tich_km2 FROM dien_tich_xa")
        kk = read("SELECT ma_tram, ma_xa, thoi_diem, pm25, pm10 FROM quan_trac_khong_khi_gio")
    finally:
        con.close()
    read_seconds = time.perf_counter() - started

    out: dict[tuple[str, str, str], float | None] = {}

    def put(code: str, frame: pd.DataFrame, unit_col: str | None = "unit", value: str = "value") -> None:
        periods = frame["period"].astype(str).tolist()
        units = frame[unit_col].tolist() if unit_col else [province] * len(frame)
        for p, u, v in zip(periods, units, frame[value].tolist(), strict=True):
            out[(code, p, str(u))] = None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    def rollup(frame: pd.DataFrame, sums: list[str], *, drop_province_rows: bool = False) -> pd.DataFrame:
        """GROUP BY GROUPING SETS ((period, ma_xa), (period)): commune rows, then the province row."""
        by_unit = frame.groupby(["period", "ma_xa"], as_index=False)[sums].sum().rename(columns={"ma_xa": "unit"})
        if drop_province_rows:  # WHERE unit_code IS NULL OR unit_code <> '37'
            by_unit = by_unit[by_unit["unit"] != province]
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

    # ty_le_ho_so_truc_tuyen_toan_trinh: ratio; the '37' rows count in the province total only
    f = hs.assign(period=month(hs["thang"]))
    r = rollup(f, ["truc_tuyen_toan_trinh", "tiep_nhan"], drop_province_rows=True)
    r["value"] = ratio(r["truc_tuyen_toan_trinh"], r["tiep_nhan"])
    put("ty_le_ho_so_truc_tuyen_toan_trinh", r)

    # ty_le_tiem_chung_day_du
    f = tc.assign(period=month(tc["thang"]))
    r = rollup(f, ["so_tre_tiem_du", "so_tre_trong_dien"])
    r["value"] = ratio(r["so_tre_tiem_du"], r["so_tre_trong_dien"])
    put("ty_le_tiem_chung_day_du", r)

    # ty_le_don_thu_da_giai_quyet: quarterly
    q = pd.to_datetime(dt["quy"])
    f = dt.assign(period=q.dt.year.astype(str) + "-Q" + q.dt.quarter.astype(str),
                  don=dt["don_khieu_nai"] + dt["don_to_cao"] + dt["don_kien_nghi"])
    r = rollup(f, ["da_giai_quyet", "don"])
    r["value"] = ratio(r["da_giai_quyet"], r["don"])
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

    # giuong_benh_tren_10000_dan: population of the latest year LEFT JOIN beds (not at commune health stations)
    latest = ds[ds["nam"] == ds["nam"].max()]
    beds = yt.assign(g=np.where(yt["loai_hinh"] != "Trạm y tế", yt["so_giuong_benh"], 0))
    beds = beds.groupby("ma_xa", as_index=False)["g"].sum()
    f = latest.merge(beds, on="ma_xa", how="left")
    f = f.assign(period=f["nam"].astype(str), g=f["g"].fillna(0))
    r = rollup(f, ["g", "dan_so"])
    r["value"] = ratio(r["g"], r["dan_so"], 10_000.0)
    put("giuong_benh_tren_10000_dan", r)

    # mat_do_dan_so: population / area (inner join)
    f = ds.merge(dtx, on="ma_xa").assign(period=lambda x: x["nam"].astype(str))
    r = rollup(f, ["dan_so", "dien_tich_km2"])
    r["value"] = ratio(r["dan_so"], r["dien_tich_km2"], 1.0)
    put("mat_do_dan_so", r)

    # ty_le_ngay_aqi_tot: day-station means (≥ 18 hourly rows), good when PM2.5 ≤ 25 and PM10 ≤ 50
    f = kk.dropna(subset=["pm25", "pm10"])
    f = f.assign(ngay=pd.to_datetime(f["thoi_diem"]).dt.normalize())
    g = f.groupby(["ma_tram", "ma_xa", "ngay"], as_index=False).agg(
        pm25=("pm25", "mean"), pm10=("pm10", "mean"), n=("pm25", "size"))
    g = g[g["n"] >= 18]
    g = g.assign(tot=((g["pm25"] <= 25) & (g["pm10"] <= 50)).astype("int64"), c=1,
                 period=g["ngay"].dt.strftime("%Y-%m"))
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
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds of the subset, each side")
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
        scaled = scale_warehouse(root / "warehouse.duckdb", skip=derived)
        rows_before = sum(b for b, _ in scaled.values())
        rows_after = sum(a for _, a in scaled.values())
        biggest = sorted(scaled.items(), key=lambda kv: -kv[1][1])[:4]
        print(f"warehouse scaled in {time.perf_counter() - started:.1f} s: {len(scaled)} tables, "
              f"{rows_before:,} → {rows_after:,} rows (largest: "
              + ", ".join(f"{t} {a:,}" for t, (_, a) in biggest) + "); derived tables left as computed: "
              + (", ".join(sorted(derived)) or "none"), flush=True)
        province = settings.province_code

        # whole library, all periods
        with db.session() as session:
            started = time.perf_counter()
            summary = service.compute(session, warehouse, province_code=province, trigger="cli")
            inner = time.perf_counter() - started
        whole = time.perf_counter() - started
        print(f"\nwhole library: {len(summary.computed) + len(summary.errors)} definitions, all periods, "
              f"{whole:.2f} s incl. commit (compute() {inner:.2f} s), "
              f"{summary.values_written:,} values written, {len(summary.errors)} errors", flush=True)
        for code, message in sorted(summary.errors.items()):
            print(f"  error {code}: {message}")

        # subset: engine vs pandas, interleaved rounds; both sides read the warehouse, compute and write their
        # values into SQLite (pandas: a plain executemany into a table of the same shape), timed the same way
        try:
            import pandas as pd
        except ImportError:
            print("\npandas is not installed: run with `uv run --with pandas python bench/indicators.py`")
            return
        communes = {u.code for u in reference.communes_of(province)}
        engine_times: list[float] = []
        pandas_times: list[tuple[float, float]] = []
        theirs: dict[tuple[str, str, str], float | None] = {}
        loads = [os.getloadavg()[0]]
        for round_no in range(args.runs):
            for side in (("engine", "pandas") if round_no % 2 == 0 else ("pandas", "engine")):
                if side == "engine":
                    with db.session() as session:
                        started = time.perf_counter()
                        sub = service.compute(session, warehouse, codes=SUBSET, province_code=province,
                                              trigger="cli")
                    engine_times.append(time.perf_counter() - started)
                else:
                    started = time.perf_counter()
                    theirs, read_s, _total = pandas_subset(root / "warehouse.duckdb", communes, province)
                    write_values(root / "pandas-values.db", theirs)
                    pandas_times.append((read_s, time.perf_counter() - started))
                loads.append(os.getloadavg()[0])
        ours = engine_values(db, SUBSET)
        mismatches, keys, max_abs, max_rel = compare(ours, theirs)
        totals = [t for _r, t in pandas_times]
        print(f"\nsubset of {len(SUBSET)} indicators ({sub.values_written:,} values incl. nodata rows, "
              f"{len(sub.errors)} errors), {args.runs} interleaved rounds, median (min–max); load average "
              f"{min(loads):.1f}–{max(loads):.1f}:")
        print(f"  {'dieuhanh compute(codes=[...])':<34}{statistics.median(engine_times):>8.2f} s  "
              f"({min(engine_times):.2f}–{max(engine_times):.2f}; SQL in DuckDB, mapping, status, SQLite write)")
        print(f"  {'pandas (read + compute + write)':<34}{statistics.median(totals):>8.2f} s  "
              f"({min(totals):.2f}–{max(totals):.2f}; of which DuckDB → DataFrame "
              f"{statistics.median([r for r, _t in pandas_times]):.2f} s), pandas {pd.__version__}")
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
