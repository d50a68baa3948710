"""Decision 766 indicators at scale: push dossiers through the API, recompute everything, compare with pandas.

1. Starts the real server (``dieuhanh up --no-demo``) on a temporary DATA_DIR (SQLite + DuckDB), 127.0.0.1 only,
   scheduler off, and creates a ``publicservices`` token with the CLI (``dieuhanh tokens create``).
2. Pushes 1,744 procedures of 40 agencies (19 departments and sectors, 21 commune People's Committees), then
   ``--dossiers`` dossiers (default 1,000,000) over the 129 communes and the 12 months ending this month, in
   requests of 5,000 (``POST /api/v1/publicservices/dossiers``): records/s through the API.
3. Stops the server and times the full recomputation (``publicservices.compute.recompute``: every month, quarter
   and year × province, agency, commune × every rule, stored as the ``tthc_chi_so_766`` batch), twice.
4. Runs a straightforward pandas implementation of the same rules (2.1, 2.2, 3.1, 3.2, 3.3, 3.6, 4.1, 4.2, 4.3,
   5.4) over the same stored data (read from the warehouse into DataFrames, ``numpy.busday_count`` for working
   days) and compares every (period, scope, unit, rule) numerator, denominator, ratio and score.

``uv run --with pandas python bench/publicservices.py [--dossiers N] [--keep] [--skip-pandas]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5000
N_PROCEDURES = 1744
RULES = ("2.1", "2.2", "3.1", "3.2", "3.3", "3.6", "4.1", "4.2", "4.3", "5.4")


# ------------------------------------------------------------------------------------------------ data


def agencies_and_communes() -> tuple[list[str], list[str]]:
    from dieuhanh.geo.reference import communes_of
    from dieuhanh.orgs.catalogue import DEPARTMENTS, SECTORS, commune_agency_code

    communes = [u.code for u in communes_of("37")]
    agencies = [c for c, _ in DEPARTMENTS] + [c for c, _ in SECTORS]
    agencies += [commune_agency_code(c) for c in communes[: 40 - len(agencies)]]
    return agencies[:40], communes


def procedures(rng: random.Random, agencies: list[str]) -> list[dict[str, Any]]:
    out = []
    for i in range(N_PROCEDURES):
        level = "toan_trinh" if i < 976 else "mot_phan" if i < 976 + 693 else "khong"
        out.append({"MaTTHC": f"BENCH{i:05d}", "TenTTHC": f"Thủ tục thử {i}", "MaLinhVuc": f"LV{i % 60:02d}",
                    "TenLinhVuc": f"Lĩnh vực {i % 60}", "MaCoQuan": agencies[i % len(agencies)], "MucDoDVC": level,
                    "CoPhiLePhi": int(rng.random() < 0.45), "YeuCauKetQua": int(rng.random() < 0.8),
                    "ThoiHanGiaiQuyet": rng.choice((1, 2, 3, 5, 7, 10, 15, 20))})
    return out


def dossier_chunks(rng: random.Random, procs: list[dict[str, Any]], communes: list[str], n: int, first: datetime,
                   now: datetime):
    span = (now - first).total_seconds()
    statuses = [10] * 70 + [9] * 10 + [4] * 5 + [2] * 3 + [5] * 4 + [7] * 3 + [8, 6] + [1] * 1 + [3] * 1
    fmt = "%Y-%m-%dT%H:%M:%S"
    chunk: list[dict[str, Any]] = []
    for i in range(n):
        p = procs[int(rng.random() ** 1.5 * len(procs))]
        online = p["MucDoDVC"] != "khong"
        recv = first + timedelta(seconds=rng.random() * span)
        recv = recv.replace(hour=7 + int(rng.random() * 10))
        th = p["ThoiHanGiaiQuyet"]
        status = statuses[int(rng.random() * len(statuses))]
        r: dict[str, Any] = {
            "MaHoSo": f"HS{i:08d}", "MaTTHC": p["MaTTHC"], "MaCoQuan": p["MaCoQuan"],
            "KenhThucHien": 2 if online and rng.random() < 0.7 else (3 if rng.random() < 0.03 else 1),
            "TrangThaiHoSo": status,
        }
        if rng.random() < 0.93:
            r["MaDonViHanhChinh"] = communes[int(rng.random() * len(communes))]
        updated = recv + timedelta(hours=1)
        if status != 1:
            r["NgayTiepNhan"] = recv.strftime(fmt)
            if rng.random() < 0.92:
                r["NgayHenTra"] = (recv + timedelta(days=round(th * 1.45) + 1)).replace(hour=17).strftime(fmt)
            end = recv + timedelta(days=th * 1.45 * (0.2 + rng.random() * 1.05), hours=rng.random() * 8)
            if status in (7, 8, 9, 10):
                if end > now:
                    r["TrangThaiHoSo"] = 4
                else:
                    r["NgayKetThucXuLy"] = end.strftime(fmt)
                    updated = end
            elif status == 5:
                ask = min(recv + timedelta(days=1 + rng.random() * 3), now)
                r["NgayYeuCauBoSung"] = ask.strftime(fmt)
                updated = ask
        r["NgayCapNhat"] = updated.strftime(fmt)
        x = rng.random()
        r["SoLanYeuCauBoSung"] = 0 if x < 0.85 else 1 if x < 0.97 else 2
        if p["CoPhiLePhi"]:
            r["DuocThanhToanTrucTuyen"] = 0 if rng.random() < 0.45 else rng.choice((1, 2))
        r["CoKetQuaDienTu"] = int(rng.random() < 0.7)
        r["DuocSoHoa"] = int(rng.random() < 0.6)
        r["DuocTaiSuDung"] = int(rng.random() < 0.3)
        r["CoPhanAnh"] = int(rng.random() < 0.01)
        y = rng.random()
        if y < 0.2:
            r["DanhGia"] = "hai_long"
        elif y < 0.21:
            r["DanhGia"] = "khong_hai_long"
        chunk.append(r)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ------------------------------------------------------------------------------------------------ server


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    import httpx

    log = open(data_dir / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "dieuhanh", "up", "--no-demo", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("server did not start")


# ------------------------------------------------------------------------------------------------ pandas


def pandas_rules(wh_path: Path, periods: list[Any], province: str, holidays: list[date],
                 make_up: list[date] | None = None, as_of: datetime | None = None) -> dict[tuple, tuple]:
    """The rules, straightforwardly, one period at a time; returns (period, scope, unit, rule) ->
    (numerator, denominator, ratio %, score). Profile qd766-dvcqg-2026: an empty denominator scores the
    maximum ("không phát sinh"; 5.4: 0); the calendar's make-up Saturdays are working days; a period not over at
    ``as_of`` ends at ``as_of`` ("tạm tính")."""
    import duckdb
    import numpy as np
    import pandas as pd

    con = duckdb.connect(str(wh_path), read_only=True)
    hs = con.execute("SELECT * FROM tthc_ho_so").df()
    tt = con.execute("SELECT * FROM tthc_thu_tuc").df()
    con.close()
    hs = hs.sort_values(["ma_ho_so", "ngay_cap_nhat", "nap_luc"]).drop_duplicates("ma_ho_so", keep="last")
    hs = hs[~hs["trang_thai_ho_so"].isin([1, 3]) & hs["ngay_tiep_nhan"].notna()]
    tt = tt.rename(columns={"ma_co_quan": "tt_co_quan"})
    d = hs.merge(tt[["ma_tthc", "tt_co_quan", "muc_do_dvc", "co_phi_le_phi", "yeu_cau_ket_qua",
                     "thoi_han_giai_quyet"]], on="ma_tthc", how="left")
    st = d["trang_thai_ho_so"]
    d["end"] = np.where(st.isin([7, 8, 9, 10]), d["ngay_ket_thuc_xu_ly"],
                        np.where(st == 5, d["ngay_yeu_cau_bo_sung"], pd.NaT))
    d["end"] = pd.to_datetime(d["end"])
    hol = np.array(holidays, dtype="datetime64[D]")
    recv_day = d["ngay_tiep_nhan"].values.astype("datetime64[D]")

    extra_days = np.array(sorted(make_up or []), dtype="datetime64[D]")

    def wdays(recv: Any, end: Any) -> Any:  # working days after the receipt date up to and including the end date
        e = np.asarray(end, dtype="datetime64[D]")
        n = np.busday_count(recv + 1, e + 1, holidays=hol)
        if len(extra_days):  # make-up Saturdays in (recv, end]
            n = n + np.maximum(0, np.searchsorted(extra_days, e, side="right")
                               - np.searchsorted(extra_days, recv, side="right"))
        return n

    end_days = wdays(recv_day, d["end"].fillna(pd.Timestamp("2000-01-01")).values.astype("datetime64[D]"))
    online_proc = d["muc_do_dvc"].isin(["toan_trinh", "mot_phan"])
    out: dict[tuple, tuple] = {}
    n_proc = tt.groupby("tt_co_quan").size()
    n_online = tt[tt["muc_do_dvc"].isin(["toan_trinh", "mot_phan"])].groupby("tt_co_quan").size()

    maxima = {"2.1": 20, "3.1": 2, "3.2": 4, "3.3": 6, "3.6": 6, "4.1": 6, "4.2": 4, "4.3": 2}

    def put(period: str, scope: str, unit: str, rule: str, num: float, den: float, score: Any) -> None:
        ratio = None if not den else round(100 * num / den, 2)
        if score is None and not den:
            score = maxima[rule]  # nothing to count: full points (the profile's empty rule)
        out[(period, scope, unit, rule)] = (float(num), float(den), ratio,
                                            None if score is None else round(score + 1e-9, 2))

    for p in periods:
        start, last = pd.Timestamp(p.start), pd.Timestamp(p.end) - pd.Timedelta(microseconds=1)
        if as_of is not None and pd.Timestamp(as_of) < last:
            last = pd.Timestamp(as_of)
        handled = (d["ngay_tiep_nhan"] <= last) & (d["end"].isna() | (d["end"] >= start))
        x = d[handled].copy()
        ended_in = x["end"].notna() & (x["end"] <= last)
        end_p = x["end"].where(ended_in, last)
        open_days = wdays(recv_day[handled.values], np.full(len(x), np.datetime64(last.date(), "D")))
        days = np.where(ended_in, end_days[handled.values], open_days)
        ok_supp = x["so_lan_yeu_cau_bo_sung"].fillna(0) <= 1
        by_due = end_p <= x["ngay_hen_tra"]
        by_days = pd.Series(days, index=x.index) <= x["thoi_han_giai_quyet"]
        x["on_time"] = ok_supp & np.where(x["ngay_hen_tra"].notna(), by_due,
                                          x["thoi_han_giai_quyet"].notna() & by_days)
        x["recv"] = x["ngay_tiep_nhan"] >= start
        x["done"] = x["trang_thai_ho_so"].isin([9, 10]) & ended_in
        x["days"] = days
        x["online"] = x["kenh_thuc_hien"] == 2
        x["fee"] = x["co_phi_le_phi"] == 1
        x["paid"] = x["fee"] & x["duoc_thanh_toan_truc_tuyen"].isin([1, 2])
        x["kq"] = x["done"] & (x["yeu_cau_ket_qua"] == 1)
        x["kqdt"] = x["kq"] & (x["co_ket_qua_dien_tu"] == 1)
        x["khl"] = (x["co_phan_anh"] == 1) | (x["danh_gia"] == "khong_hai_long")
        x["used"] = x["recv"] & x["online"] & online_proc[handled.values].values
        x["province"] = province
        r = x["recv"]
        cols = pd.DataFrame({
            "den21": 1, "num21": x["on_time"].astype(int), "n22": x["done"].astype(int),
            "s22": np.where(x["done"], x["days"], 0), "recv": r.astype(int), "online": (r & x["online"]).astype(int),
            "fee": (r & x["fee"]).astype(int), "paid": (r & x["paid"]).astype(int), "kq": x["kq"].astype(int),
            "kqdt": x["kqdt"].astype(int), "sohoa": (r & (x["duoc_so_hoa"] == 1)).astype(int),
            "reuse": (r & (x["duoc_tai_su_dung"] == 1)).astype(int), "khl": (r & x["khl"]).astype(int),
            "province": x["province"], "ma_co_quan": x["ma_co_quan"],
            "ma_don_vi_hanh_chinh": x["ma_don_vi_hanh_chinh"]})
        used = x[x["used"]]
        for scope, key in (("province", "province"), ("agency", "ma_co_quan"), ("commune", "ma_don_vi_hanh_chinh")):
            sums = cols.drop(columns=[c for c in ("province", "ma_co_quan", "ma_don_vi_hanh_chinh") if c != key]
                             ).groupby(key).sum()
            if scope == "province":
                k32 = {province: used["ma_tthc"].nunique()}
            elif scope == "agency":
                same = used[used["tt_co_quan"] == used["ma_co_quan"]]
                k32 = same.groupby("ma_co_quan")["ma_tthc"].nunique().to_dict()
            for unit, g in sums.iterrows():
                den21, num21, n = int(g["den21"]), int(g["num21"]), int(g["recv"])
                put(p.code, scope, unit, "2.1", num21, den21, 20 * num21 / den21 if den21 else None)
                n22 = int(g["n22"])
                out[(p.code, scope, unit, "2.2")] = (float(g["s22"]), float(n22),
                                                     round(g["s22"] / n22, 2) if n22 else None, None)
                put(p.code, scope, unit, "3.3", g["online"], n, min(6, 6 * g["online"] / n / 0.5) if n else None)
                put(p.code, scope, unit, "3.6", g["paid"], g["fee"], 6 * g["paid"] / g["fee"] if g["fee"] else None)
                put(p.code, scope, unit, "4.1", g["kqdt"], g["kq"], 6 * g["kqdt"] / g["kq"] if g["kq"] else None)
                put(p.code, scope, unit, "4.2", g["sohoa"], n, 4 * g["sohoa"] / n if n else None)
                put(p.code, scope, unit, "4.3", g["reuse"], n, min(2, 2 * g["reuse"] / n / 0.8) if n else None)
                if n and den21:
                    ratio = max(0.0, num21 / den21 - g["khl"] / n)
                    out[(p.code, scope, unit, "5.4")] = (float(n - g["khl"]), float(n), round(100 * ratio, 2),
                                                         round(min(6, 6 * ratio / 0.9), 2))
                else:
                    out[(p.code, scope, unit, "5.4")] = (float(n - g["khl"]), float(n), None, 0.0)
                if scope == "commune":
                    continue
                if scope == "agency":
                    procs, online = int(n_proc.get(unit, 0)), int(n_online.get(unit, 0))
                else:
                    procs, online = len(tt), int(n_online.sum())
                put(p.code, scope, unit, "3.1", online, procs, min(2, 2 * online / procs / 0.8) if procs else None)
                k = int(k32.get(unit, 0))
                put(p.code, scope, unit, "3.2", k, online, 4 * k / online if online else None)
    return out


# ------------------------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary DATA_DIR")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--seed", type=int, default=766)
    args = parser.parse_args()
    import httpx

    from dieuhanh.core.formatting import LOCAL_TZ

    data_dir = Path(tempfile.mkdtemp(prefix="bench-ps-"))
    env = {**os.environ, "DIEUHANH_DATA_DIR": str(data_dir), "DIEUHANH_SCHEDULER_ENABLED": "false"}
    for k in ("DIEUHANH_DATABASE_URL", "DIEUHANH_WAREHOUSE_URL"):
        env.pop(k, None)
    rng = random.Random(args.seed)
    agencies, communes = agencies_and_communes()
    now = datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    first = datetime(now.year - 1, now.month, 1) + timedelta(days=32)
    first = first.replace(day=1)  # 12 months ending this month
    port = free_port()
    print(f"DATA_DIR {data_dir}; {args.dossiers:,} dossiers, {N_PROCEDURES} procedures, {len(agencies)} agencies, "
          f"{len(communes)} communes, {first:%m/%Y}–{now:%m/%Y}")
    server = start_server(data_dir, port, env)
    try:
        secret = subprocess.run([sys.executable, "-m", "dieuhanh", "tokens", "create", "--name", "motcua",
                                 "--scope", "publicservices"], env=env, cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        base = f"http://127.0.0.1:{port}/api/v1/publicservices"
        with httpx.Client(timeout=600, headers=headers) as client:
            r = client.post(f"{base}/procedures", content=json.dumps(procedures(rng, agencies)))
            assert r.status_code == 200, r.text
            procs = procedures(random.Random(args.seed), agencies)
            pushed, push_seconds, gen_seconds = 0, 0.0, 0.0
            t_gen = time.perf_counter()
            for chunk in dossier_chunks(rng, procs, communes, args.dossiers, first, now):
                body = json.dumps(chunk)
                gen_seconds += time.perf_counter() - t_gen
                t0 = time.perf_counter()
                r = client.post(f"{base}/dossiers", content=body)
                push_seconds += time.perf_counter() - t0
                assert r.status_code == 200, r.text[:2000]
                pushed += len(chunk)
                if pushed % 100_000 == 0:
                    print(f"  {pushed:,} pushed, {pushed / push_seconds:,.0f} records/s", flush=True)
                t_gen = time.perf_counter()
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"push: {pushed:,} dossiers in {push_seconds:.1f} s through the API = {pushed / push_seconds:,.0f} "
          f"records/s (requests of {CHUNK:,}; generating + JSON encoding {gen_seconds:.1f} s not counted)")

    from dieuhanh.core.db import Database
    from dieuhanh.core.warehouse import DuckDBWarehouse
    from dieuhanh.publicservices import compute
    from dieuhanh.publicservices.calendar import WorkingCalendar

    db = Database(f"sqlite:///{data_dir / 'dieuhanh.db'}")
    wh = DuckDBWarehouse(data_dir / "warehouse.duckdb")
    WorkingCalendar().holidays(date(2024, 1, 1), date(2024, 1, 2))  # import the holidays package outside timing
    runs = []
    for _ in range(2):
        with db.session() as session:
            t0 = time.perf_counter()
            result = compute.recompute(session, wh, province_code="37", indicators=False)
            runs.append(time.perf_counter() - t0)
    print(f"recompute: {result.rows:,} rows ({result.periods} periods × {result.units} units × rules), "
          f"{runs[0]:.2f} s then {runs[1]:.2f} s; stages of the last run: "
          + ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items()))
    if args.skip_pandas:
        return
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("pandas: skipped (run with `uv run --with pandas python bench/publicservices.py`)")
        return
    ours = {(r["period"], r["scope"], r["unit_code"], r["indicator_code"]):
            (r["numerator"], r["denominator"], r["ratio"], r["score"])
            for r in wh.query(f"SELECT * FROM {compute.RESULTS} WHERE indicator_code IN "
                              f"({', '.join(repr(c) for c in RULES)})").to_pylist()}
    last = max(now.date(), date.fromisoformat(max(k[0] for k in ours if len(k[0]) == 7 and "Q" not in k[0])
                                              + "-01"))
    periods = compute.periods_between(first.date(), last)
    cal_first, cal_last = first.date() - timedelta(days=60), last + timedelta(days=400)
    from dieuhanh.core.meta import get_meta
    from dieuhanh.publicservices.rules import load_profile

    cal = WorkingCalendar.from_settings(None, load_profile())
    holidays = sorted(d for d in cal.holidays(cal_first, cal_last) if d.weekday() < 5)
    with db.session() as session:
        as_of = datetime.fromisoformat(get_meta(session, compute.META_AS_OF) or now.isoformat())
    t0 = time.perf_counter()
    theirs = pandas_rules(data_dir / "warehouse.duckdb", periods, "37", holidays, list(cal.working_days), as_of)
    pandas_seconds = time.perf_counter() - t0
    mismatches = []
    for key, value in theirs.items():
        mine = ours.get(key)
        if mine is None:
            if value[1]:  # pandas found a denominator the engine does not have
                mismatches.append((key, None, value))
            continue
        same = mine[0] == value[0] and mine[1] == value[1] and all(
            (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 0.011)
            for a, b in zip(mine[2:], value[2:], strict=True))
        if not same:
            mismatches.append((key, mine, value))
    extra = [k for k, v in ours.items() if k not in theirs and v[1]]
    print(f"pandas: {pandas_seconds:.2f} s for the same rules ({len(theirs):,} values) vs the engine's "
          f"{min(runs):.2f} s (all rules, stored)")
    print(f"compared {len(theirs):,} (period, scope, unit, rule) values: {len(mismatches)} mismatches, "
          f"{len(extra)} engine values with a denominator missing in pandas")
    for m in mismatches[:10]:
        print("  mismatch", m)
    if args.keep:
        print(f"kept {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
