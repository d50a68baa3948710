"""Decision 766 indicators at scale, full profile: push the sync records through the API, recompute everything,
and check every number against a straightforward pandas implementation of every rule.

1. Generates (numpy, seeded) 1,744 procedures of 40 agencies (19 departments and sectors, 21 commune People's
   Committees) with their publication data (rules 1.1–1.3, 3.5, 4.5a; some with a statutory time in hours),
   ``--dossiers`` dossiers (default 1,000,000) over the 129 communes and the 12 months ending this month, as the
   DVCQG sync record: supplement history (``DanhSachHoSoBoSung``), fee list (``DanhSachLePhi``, some all at 0),
   submitted documents (``TaiLieuNop``: DuocSoHoa, DuocTaiSuDung, DuocLayTuKhoDMQG), result documents,
   ``DongBoDVCQG``, ``TaiKhoanDuocXacThucVoiVNeID``, due dates with and without a time; PAKN (rejected,
   supplement asked, answered, open; published or not) and electronic certified copies per commune and month.
2. Starts the real server (``dieuhanh up --no-demo``) on a temporary DATA_DIR (SQLite + DuckDB), 127.0.0.1 only,
   scheduler off, creates a ``publicservices`` token with the CLI and pushes everything through
   ``POST /api/v1/publicservices/{procedures,dossiers,petitions,certified-copies}`` in requests of 5,000: records/s.
3. Stops the server. Then, ``--runs`` times, interleaved: the product's full recomputation
   (``publicservices.compute.recompute``: every month, quarter and year × province, agency, commune × the 23 rules
   of profile ``qd766-dvcqg-2026``, groups and total, stored as the ``tthc_chi_so_766`` batch, then the indicator
   set's values built on it refreshed) and the pandas implementation, which starts from the generated records
   (not from the product's tables: it flattens the nested lists itself) and computes every rule. After each pair
   every stored (period, scope, unit, row) numerator, denominator, ratio, score and covered points must equal the
   pandas value exactly (assert). Prints the median and the spread (min–max) of each, with the load average.

``uv run python bench/publicservices.py [--dossiers N] [--runs 5] [--keep]`` (pandas is a dev dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 5000
N_PROCEDURES = 1744
PROVINCE = "37"
HOURS_PER_DAY = 8


# ------------------------------------------------------------------------------------------------ data


def agencies_and_communes() -> tuple[list[str], list[str]]:
    from dieuhanh.geo.reference import communes_of
    from dieuhanh.orgs.catalogue import DEPARTMENTS, SECTORS, commune_agency_code

    communes = [u.code for u in communes_of(PROVINCE)]
    agencies = [c for c, _ in DEPARTMENTS] + [c for c, _ in SECTORS]
    agencies += [commune_agency_code(c) for c in communes[: 40 - len(agencies)]]
    return agencies[:40], communes


def _day(d: np.datetime64) -> str:
    return str(d.astype("datetime64[D]"))


def generate(seed: int, n: int, first: datetime, now: datetime) -> dict[str, Any]:
    """Every generated field as numpy arrays (the pandas baseline reads these, the push builds records)."""
    rng = np.random.default_rng(seed)
    agencies, communes = agencies_and_communes()
    g: dict[str, Any] = {"agencies": agencies, "communes": communes}
    # procedures
    p = N_PROCEDURES
    idx = np.arange(p)
    g["p_agency"] = idx % len(agencies)
    g["p_level"] = np.where(idx < 976, 0, np.where(idx < 976 + 693, 1, 2))  # toan_trinh, mot_phan, khong
    g["p_fee"] = (rng.random(p) < 0.45).astype(int)
    g["p_result"] = (rng.random(p) < 0.8).astype(int)
    g["p_hours"] = (rng.random(p) < 0.06).astype(int)  # statutory time in working hours
    g["p_time"] = np.where(g["p_hours"] == 1, rng.choice([4, 8, 16, 24, 40], p),
                           rng.choice([1, 2, 3, 5, 7, 10, 15, 20], p))
    g["p_integrated"] = np.where(g["p_fee"] == 1, (rng.random(p) < 0.7).astype(int), (rng.random(p) < 0.1))
    g["p_citizen"] = (rng.random(p) < 0.7).astype(int)
    g["p_full"] = (rng.random(p) < 0.9).astype(int)
    start_d = np.datetime64(first.date())
    span_days = (now.date() - first.date()).days
    decided = rng.random(p) < 0.3
    g["p_decided"] = np.where(decided, start_d + rng.integers(-60, span_days, p), np.datetime64("NaT"))
    g["p_effective"] = np.where(decided & (rng.random(p) < 0.95), g["p_decided"] + rng.integers(0, 30, p),
                                np.datetime64("NaT"))
    g["p_public"] = np.where(decided & (rng.random(p) < 0.85), g["p_decided"] + rng.integers(0, 14, p),
                             np.datetime64("NaT"))
    # dossiers
    weights = (np.arange(p) + 1.0) ** -0.6
    proc = rng.choice(p, n, p=weights / weights.sum())
    g["proc"] = proc
    g["agency"] = np.where(rng.random(n) < 0.9, g["p_agency"][proc], rng.integers(0, len(agencies), n))
    g["commune"] = np.where(rng.random(n) < 0.93, rng.integers(0, len(communes), n), -1)
    online = g["p_level"][proc] != 2
    u = rng.random(n)
    g["channel"] = np.where(online & (u < 0.7), 2, np.where(rng.random(n) < 0.03, 3, 1))
    statuses = np.array([10] * 70 + [9] * 10 + [4] * 5 + [2] * 3 + [5] * 4 + [7] * 3 + [8, 6, 1, 3])
    status = statuses[rng.integers(0, len(statuses), n)]
    first64 = np.datetime64(first, "s")
    now64 = np.datetime64(now, "s")
    day_off = rng.integers(0, span_days, n)
    recv = (first64 + (day_off * 86400).astype("timedelta64[s]")
            + (rng.integers(7 * 3600, 17 * 3600, n)).astype("timedelta64[s]"))
    recv = np.minimum(recv, now64 - np.timedelta64(3600, "s"))
    g["recv"] = recv
    hours = g["p_hours"][proc] == 1
    th = g["p_time"][proc]
    th_days = np.where(hours, np.ceil(th / HOURS_PER_DAY), th)
    has_due = np.where(hours, rng.random(n) < 0.5, rng.random(n) < 0.92)
    due_day = recv.astype("datetime64[D]") + (np.round(th_days * 1.45) + 1).astype("timedelta64[D]")
    g["due"] = np.where(has_due, due_day.astype("datetime64[s]") + np.timedelta64(17 * 3600, "s"),
                        np.datetime64("NaT"))
    g["due_date_only"] = has_due & (rng.random(n) < 0.25)
    end = recv + (th_days * 1.45 * (0.2 + rng.random(n) * 1.05) * 86400 + rng.random(n) * 8 * 3600
                  ).astype("timedelta64[s]")
    ends = np.isin(status, [7, 8, 9, 10])
    status = np.where(ends & (end > now64), 4, status)
    g["end"] = np.where(np.isin(status, [7, 8, 9, 10]), end, np.datetime64("NaT"))
    ask = np.minimum(recv + ((1 + rng.random(n) * 3) * 86400).astype("timedelta64[s]"), now64)
    g["ask"] = np.where(status == 5, ask, np.datetime64("NaT"))
    g["status"] = status
    # supplement history: 0, 1 or 2 requests; each answered after 0–3 days (not when still waiting)
    x = rng.random(n)
    n_sup = np.where(x < 0.85, 0, np.where(x < 0.97, 1, 2))
    n_sup = np.where(status == 5, np.maximum(n_sup, 1), n_sup)
    g["n_sup"] = n_sup
    for k in (0, 1):
        asked = recv + ((0.3 + 0.5 * k + rng.random(n) * 0.4) * 86400).astype("timedelta64[s]")
        back = asked + (rng.random(n) * 3 * 86400).astype("timedelta64[s]")
        answered = (n_sup > k) & (rng.random(n) < 0.85) & ~((status == 5) & (n_sup == k + 1))
        g[f"sup{k}_asked"] = np.where(n_sup > k, asked, np.datetime64("NaT"))
        g[f"sup{k}_back"] = np.where(answered, back, np.datetime64("NaT"))
    fee = g["p_fee"][proc] == 1
    g["fees_zero"] = fee & (rng.random(n) < 0.1)  # a fee list whose fees are all 0
    g["paid"] = np.where(fee, np.where(rng.random(n) < 0.45, 0, rng.integers(1, 3, n)), 0)
    g["so_hoa"] = (rng.random(n) < 0.6).astype(int)
    g["tai_su_dung"] = (rng.random(n) < 0.3).astype(int)
    g["kho"] = (rng.random(n) < 0.15).astype(int)
    g["result_link"] = (rng.random(n) < 0.7).astype(int)
    g["synced"] = (rng.random(n) < 0.9).astype(int)
    g["vneid"] = (rng.random(n) < 0.4).astype(int)
    g["complaint"] = (rng.random(n) < 0.01).astype(int)
    y = rng.random(n)
    g["rating"] = np.where(y < 0.2, 1, np.where(y < 0.21, 2, 0))  # 1 hai_long, 2 khong_hai_long
    # PAKN
    m = max(200, n // 50)
    g["k_agency"] = rng.integers(0, len(agencies), m)
    g["k_kind"] = (rng.random(m) < 0.8).astype(int)  # 1 tthc
    k_recv = (first64 + (rng.integers(0, span_days, m) * 86400).astype("timedelta64[s]")
              + rng.integers(8 * 3600, 16 * 3600, m).astype("timedelta64[s]"))
    g["k_recv"] = np.minimum(k_recv, now64 - np.timedelta64(3600, "s"))
    z = rng.random(m)
    g["k_state"] = np.where(z < 0.8, 0, np.where(z < 0.88, 1, np.where(z < 0.93, 2, 3)))  # xu_ly tu_choi bo_sung open
    g["k_due_given"] = rng.random(m) < 0.5
    g["k_done"] = np.where(g["k_state"] < 3, g["k_recv"] + (rng.random(m) * 25 * 86400).astype("timedelta64[s]"),
                           np.datetime64("NaT"))
    g["k_done"] = np.where(g["k_done"] > now64, np.datetime64("NaT"), g["k_done"])
    g["k_public"] = (rng.random(m) < 0.85).astype(int)
    w = rng.random(m)
    g["k_rating"] = np.where(w < 0.6, 1, np.where(w < 0.7, 2, 0))
    # certified copies, per commune and month of the window
    months = []
    d = date(first.year, first.month, 1)
    while d <= now.date():
        months.append(f"{d:%Y-%m}")
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    g["cc_months"] = months
    g["cc_flag"] = (rng.random((len(communes), len(months))) < 0.8).astype(int)
    return g


def _ts(v: np.datetime64) -> str:
    return str(v.astype("datetime64[s]"))


def procedure_records(g: dict[str, Any]) -> list[dict[str, Any]]:
    levels = ("toan_trinh", "mot_phan", "khong")
    out = []
    for i in range(N_PROCEDURES):
        r: dict[str, Any] = {
            "MaTTHC": f"BENCH{i:05d}", "TenTTHC": f"Thủ tục thử {i}", "MaLinhVuc": f"LV{i % 60:02d}",
            "TenLinhVuc": f"Lĩnh vực {i % 60}", "MaCoQuan": g["agencies"][g["p_agency"][i]],
            "MucDoDVC": levels[g["p_level"][i]], "CoPhiLePhi": int(g["p_fee"][i]),
            "YeuCauKetQua": int(g["p_result"][i]),
            "ThoiHanGiaiQuyet": int(g["p_time"][i]), "DonViTinh": "giờ" if g["p_hours"][i] else "ngày",
            "TichHopThanhToan": int(g["p_integrated"][i]), "DoiTuongCongDan": int(g["p_citizen"][i]),
            "CongKhaiDayDu": int(g["p_full"][i])}
        for field, key in (("NgayQuyetDinhCongBo", "p_decided"), ("NgayHieuLucCanCu", "p_effective"),
                           ("NgayCongKhai", "p_public")):
            if not np.isnat(g[key][i]):
                r[field] = _day(g[key][i])
        out.append(r)
    return out


def dossier_chunks(g: dict[str, Any]):  # type: ignore[no-untyped-def]
    n = len(g["proc"])
    agencies, communes = g["agencies"], g["communes"]
    for start in range(0, n, CHUNK):
        chunk = []
        for i in range(start, min(n, start + CHUNK)):
            status = int(g["status"][i])
            r: dict[str, Any] = {
                "MaHoSo": f"HS{i:08d}", "MaTTHC": f"BENCH{g['proc'][i]:05d}", "MaCoQuan": agencies[g["agency"][i]],
                "KenhThucHien": int(g["channel"][i]), "TrangThaiHoSo": status,
                "NgayCapNhat": _ts(g["recv"][i]), "DuocThanhToanTrucTuyen": int(g["paid"][i]),
                "DongBoDVCQG": int(g["synced"][i]), "TaiKhoanDuocXacThucVoiVNeID": int(g["vneid"][i]),
                "CoPhanAnh": int(g["complaint"][i]),
                "TaiLieuNop": [{"TenTepDinhKem": "Đơn", "DuocSoHoa": int(g["so_hoa"][i]),
                                "DuocTaiSuDung": int(g["tai_su_dung"][i]), "DuocLayTuKhoDMQG": int(g["kho"][i])}],
            }
            if g["commune"][i] >= 0:
                r["MaDonViHanhChinh"] = communes[g["commune"][i]]
            if status != 1:
                r["NgayTiepNhan"] = _ts(g["recv"][i])
            if not np.isnat(g["due"][i]):
                r["NgayHenTra"] = _day(g["due"][i]) if g["due_date_only"][i] else _ts(g["due"][i])
            if not np.isnat(g["end"][i]):
                r["NgayKetThucXuLy"] = _ts(g["end"][i])
            if not np.isnat(g["ask"][i]):
                r["NgayYeuCauBoSung"] = _ts(g["ask"][i])
            sups = []
            for k in range(int(g["n_sup"][i])):
                s = {"NgayBoSung": _ts(g[f"sup{k}_asked"][i])}
                if not np.isnat(g[f"sup{k}_back"][i]):
                    s["NgayTiepNhanBoSung"] = _ts(g[f"sup{k}_back"][i])
                sups.append(s)
            if sups:
                r["DanhSachHoSoBoSung"] = sups
            if g["p_fee"][g["proc"][i]]:
                r["DanhSachLePhi"] = [{"MaPhiLePhi": "LP", "Gia": 0 if g["fees_zero"][i] else 50000}]
            if g["result_link"][i]:
                r["DanhSachGiayToKetQua"] = [{"TenGiayTo": "Kết quả", "DuongDanTepTinKetQua": f"https://kq/{i}.pdf"}]
            if g["rating"][i]:
                r["DanhGia"] = "hai_long" if g["rating"][i] == 1 else "khong_hai_long"
            chunk.append(r)
        yield chunk


def petition_records(g: dict[str, Any]) -> list[dict[str, Any]]:
    states = ("da_xu_ly", "tu_choi", "yeu_cau_bo_sung", None)
    out = []
    for i in range(len(g["k_recv"])):
        agency = g["agencies"][g["k_agency"][i]]
        r: dict[str, Any] = {"MaPAKN": f"PAKN{i:07d}", "MaCoQuan": agency, "PhanLoai": "tthc" if g["k_kind"][i]
                             else "canbo", "NgayTiepNhan": _ts(g["k_recv"][i]), "CongKhai": int(g["k_public"][i])}
        if agency.startswith("UBND"):
            r["MaDonViHanhChinh"] = agency[4:]
        if g["k_due_given"][i]:
            r["HanXuLy"] = _ts(g["k_recv"][i].astype("datetime64[D]").astype("datetime64[s]")
                               + np.timedelta64(20 * 86400 + 17 * 3600, "s"))
        if not np.isnat(g["k_done"][i]):
            r["NgayXuLy"] = _ts(g["k_done"][i])
            r["TrangThai"] = states[g["k_state"][i]]
            if g["k_rating"][i]:
                r["DanhGia"] = "hai_long" if g["k_rating"][i] == 1 else "khong_hai_long"
        out.append(r)
    return out


def copy_records(g: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"MaDonViHanhChinh": c, "Thang": m, "CoCungCap": int(g["cc_flag"][ci, mi])}
            for ci, c in enumerate(g["communes"]) for mi, m in enumerate(g["cc_months"])]


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


def r2(v: Any) -> Any:
    """Half-up to 2 decimals (the portal's display rule)."""
    if v is None:
        return None
    return np.floor(v * 100 + 0.5 + 1e-9) / 100 if v >= 0 else round(v, 2)


def periods_of(first: date, last: date) -> list[tuple[str, str, date, date]]:
    """(code, kind, first day, day after) of every year, quarter and month overlapping [first, last]."""
    out = []
    for y in range(first.year, last.year + 1):
        cands = [(str(y), "year", date(y, 1, 1), date(y + 1, 1, 1))]
        for q in range(4):
            cands.append((f"{y}-Q{q + 1}", "quarter", date(y, 3 * q + 1, 1),
                          date(y + (q == 3), (3 * q + 3) % 12 + 1, 1)))
        for mo in range(1, 13):
            cands.append((f"{y}-{mo:02d}", "month", date(y, mo, 1), date(y + (mo == 12), mo % 12 + 1, 1)))
        out += [c for c in cands if c[3] > first and c[2] <= last]
    return out


def pandas_rules(g: dict[str, Any], as_of: datetime, working: set[date],
                 agency_kinds: dict[str, tuple[str, str | None]]) -> dict[tuple[str, str, str, str], tuple]:
    """Every row of the result (rules, groups, total) from the generated records, with pandas/numpy.
    Returns (period, scope, unit, code) -> (numerator, denominator, ratio, score, covered_points)."""
    import pandas as pd

    agencies, communes = g["agencies"], g["communes"]
    # working-day index: number of working days up to and including each date
    cal_first, cal_last = date(2020, 1, 1), as_of.date() + timedelta(days=800)
    days = pd.date_range(cal_first, cal_last, freq="D")
    is_w = np.array([d.date() in working for d in days])
    cum = np.cumsum(is_w)
    day0 = np.datetime64(cal_first, "D")
    working_sorted = [d.date() for d, w in zip(days, is_w, strict=True) if w]

    def idx(dt: np.ndarray) -> np.ndarray:
        return cum[(dt.astype("datetime64[D]") - day0).astype(int)]

    def hours(dt: np.ndarray) -> np.ndarray:
        s = (dt - dt.astype("datetime64[D]")).astype("timedelta64[s]").astype(np.int64)
        return (s // 3600) + (s % 3600 // 60) / 60.0

    def plus_working(d: date, k: int) -> datetime:
        day = working_sorted[bisect_right(working_sorted, d) + k - 1]
        return datetime(day.year, day.month, day.day, 23, 59, 59)

    # ---- dossiers: the service's flattening, done here from the generated records
    st = g["status"]
    keep = ~np.isin(st, [1, 3])
    proc = g["proc"][keep]
    d = pd.DataFrame({
        "proc": proc, "agency": g["agency"][keep], "commune": g["commune"][keep], "status": st[keep],
        "recv": g["recv"][keep], "channel": g["channel"][keep]})
    due = g["due"][keep]
    date_only = g["due_date_only"][keep]
    due = np.where(date_only, due.astype("datetime64[D]").astype("datetime64[s]") + np.timedelta64(86399, "s"), due)
    end_raw = np.where(np.isin(d["status"], [7, 8, 9, 10]), g["end"][keep],
                       np.where(d["status"] == 5, g["ask"][keep], np.datetime64("NaT")))
    recv = d["recv"].to_numpy().astype("datetime64[s]")
    end = np.where(~np.isnat(end_raw) & (end_raw < recv), recv, end_raw)
    n_sup = g["n_sup"][keep]
    wait = np.zeros(len(d))
    for k in (0, 1):
        a, b = g[f"sup{k}_asked"][keep], g[f"sup{k}_back"][keep]
        ok = ~np.isnat(a) & ~np.isnat(b) & (b > a)
        wait += np.where(ok, (b - a).astype("timedelta64[s]").astype(np.int64), 0)
    th = g["p_time"][proc].astype(float)
    in_hours = g["p_hours"][proc] == 1
    fee_proc = g["p_fee"][proc] == 1
    co_le_phi = np.where(fee_proc, ~g["fees_zero"][keep], True)  # no fee list sent: counts as a fee
    co_kq = g["result_link"][keep] == 1
    kho = g["kho"][keep] == 1
    synced = g["synced"][keep] == 1
    ket_noi = kho | (synced & co_kq)
    dan_cu = (g["vneid"][keep] == 1) | kho
    has_end = ~np.isnat(end)
    end_safe = np.where(has_end, end, recv)
    idx_recv = idx(recv)
    wd_end = idx(end_safe) - idx_recv
    rec_h = hours(recv)
    sup_ok = n_sup <= 1
    due_ok = ~np.isnat(due)
    epoch = lambda v: v.astype("datetime64[s]").astype(np.int64)  # noqa: E731
    on_done = np.where(~sup_ok, False, np.where(
        due_ok, epoch(end_safe) - wait <= np.where(due_ok, epoch(np.where(due_ok, due, recv)), 0),
        np.where(in_hours, wd_end * HOURS_PER_DAY + hours(end_safe) - rec_h - wait / 3600.0 <= th,
                 wd_end - np.floor(wait / 86400.0) <= th)))
    done = np.isin(d["status"], [9, 10]) & has_end
    online = d["channel"].to_numpy() == 2
    dvctt = g["p_level"][proc] != 2
    co_phi = fee_proc & co_le_phi
    paid = fee_proc & np.isin(g["paid"][keep], [1, 2])
    can_kq = g["p_result"][proc] == 1
    kq_dt = can_kq & co_kq
    online_kq = online & (~can_kq | kq_dt)  # 3.3 (require_e_result): an e-result where a result is required
    so_hoa = g["so_hoa"][keep] == 1
    tai_su_dung = g["tai_su_dung"][keep] == 1
    khl = (g["complaint"][keep] == 1) | (g["rating"][keep] == 2)
    citizen = dan_cu & (g["p_citizen"][proc] == 1)
    same = g["p_agency"][proc] == d["agency"].to_numpy()
    agency_i = d["agency"].to_numpy()
    commune_i = d["commune"].to_numpy()
    n_ag, n_co = len(agencies), len(communes)

    first_day = pd.Timestamp(recv.min()).date()
    last_data = max(pd.Timestamp(recv.max()).date(), pd.Timestamp(end_safe.max()).date())
    last = max(as_of.date(), last_data)
    periods = periods_of(first_day, last)
    as64 = np.datetime64(as_of, "us")
    counts: dict[tuple[str, str, str], dict[str, float]] = {}

    def add(period: str, mask: np.ndarray, values: dict[str, np.ndarray]) -> None:
        """Sum each value over the mask, per province / agency / commune; units with a row in the mask exist."""
        if not mask.any():
            return
        a, c = agency_i[mask], commune_i[mask]
        ag_n = np.bincount(a, minlength=n_ag)
        co_sel = c >= 0
        co_n = np.bincount(c[co_sel], minlength=n_co)
        sums = {}
        for name, v in values.items():
            vv = v[mask].astype(float)
            sums[name] = (vv.sum(), np.bincount(a, weights=vv, minlength=n_ag),
                          np.bincount(c[co_sel], weights=vv[co_sel], minlength=n_co))
        acc = counts.setdefault((period, "province", PROVINCE), {})
        for name, (tot, _, _) in sums.items():
            acc[name] = float(tot)
        for i in np.nonzero(ag_n)[0]:
            acc = counts.setdefault((period, "agency", agencies[i]), {})
            for name, (_, per_a, _) in sums.items():
                acc[name] = float(per_a[i])
        for i in np.nonzero(co_n)[0]:
            acc = counts.setdefault((period, "commune", communes[i]), {})
            for name, (_, _, per_c) in sums.items():
                acc[name] = float(per_c[i])

    ones = np.ones(len(d))
    for code, _kind, p_first, p_after in periods:
        p_start = np.datetime64(p_first, "us")
        p_end = np.datetime64(p_after, "us")
        p_last = p_end - np.timedelta64(1, "us")
        if as64 < p_end and as64 >= p_start:
            p_last = as64
        p_last_s = p_last.astype("datetime64[s]")
        # 2.1: to be handled in P
        handled = (recv <= p_last) & (~has_end | (end_safe >= p_start))
        ended = has_end & (end_safe <= p_last)
        p_idx = cum[(p_last.astype("datetime64[D]") - day0).astype(int)]
        p_h = hours(np.array([p_last_s]))[0]
        open_ok = np.where(~sup_ok, False, np.where(
            due_ok, np.where(due_ok, due, recv).astype("datetime64[us]") >= p_last,
            np.where(in_hours, (p_idx - idx_recv) * HOURS_PER_DAY + p_h - rec_h <= th, p_idx - idx_recv <= th)))
        on_time = np.where(ended, on_done, open_ok)
        add(code, handled, {"n21_den": ones, "n21_num": on_time})
        # received in P
        rin = (recv >= p_start) & (recv < p_end)
        add(code, rin, {"recv": ones, "recv_online": online, "recv_online_kq": online_kq, "fee_recv": co_phi,
                        "fee_paid": paid,
                        "recv_sohoa": so_hoa, "recv_taisudung": tai_su_dung, "recv_khl": khl,
                        "x_dong_bo_dvcqg_num": synced, "x_ket_noi_chia_se_num": ket_noi,
                        "x_du_lieu_dan_cu_num": dan_cu})
        # status 9, 10 ended in P
        ein = done & (end_safe >= p_start) & (end_safe < p_end)
        add(code, ein, {"n22_den": ones, "n22_sum": wd_end, "n41_den": can_kq, "n41_num": kq_dt})
        # distinct procedures with an online-received (3.2), paid (3.5b), citizen-data (4.5a) dossier
        for name, flag in (("n32", online & dvctt), ("n35", paid), ("n45", citizen)):
            sel = rin & flag
            if not sel.any():
                continue
            acc = counts.setdefault((code, "province", PROVINCE), {})
            acc[f"{name}_any"] = float(len(np.unique(proc[sel])))
            pairs = np.unique(agency_i[sel & same] * 100000 + proc[sel & same])
            per = np.bincount(pairs // 100000, minlength=n_ag)
            for i in np.nonzero(np.bincount(agency_i[sel], minlength=n_ag))[0]:
                acc = counts.setdefault((code, "agency", agencies[i]), {})
                acc[f"{name}_same"] = float(per[i])
    dossier_units = set(counts)  # units with dossiers: the received-flag rules (1.4, 4.4, 4.5b) apply
    # ---- procedures (current state)
    pc: dict[str | None, dict[str, float]] = {}
    for key, sel in [(None, np.ones(N_PROCEDURES, bool))] + [
            (agencies[a], g["p_agency"] == a) for a in range(n_ag)]:
        if not sel.any():
            continue
        fee = g["p_fee"][sel] == 1
        pc[key] = {"n_proc": float(sel.sum()), "n_online": float((g["p_level"][sel] != 2).sum()),
                   "n_fee": float(fee.sum()), "n_citizen": float((g["p_citizen"][sel] == 1).sum()),
                   "x_den": float(sel.sum()), "x_num": float((g["p_full"][sel] == 1).sum()),
                   "f_den": float(fee.sum()), "f_num": float((fee & (g["p_integrated"][sel] == 1)).sum())}
    # 1.1, 1.2 from the publication dates
    cal_idx = {d.date(): int(v) for d, v in zip(days, cum, strict=True)}
    facts = []
    for i in range(N_PROCEDURES):
        if np.isnat(g["p_decided"][i]):
            continue
        dec = pd.Timestamp(g["p_decided"][i]).date()
        eff = None if np.isnat(g["p_effective"][i]) else pd.Timestamp(g["p_effective"][i]).date()
        pub = None if np.isnat(g["p_public"][i]) else pd.Timestamp(g["p_public"][i]).date()
        on11 = float(eff is not None and cal_idx[eff] - cal_idx[dec] >= 5)
        on12 = float(pub is not None and cal_idx[pub] - cal_idx[dec] <= 5)
        due12 = working_sorted[bisect_right(working_sorted, dec) + 5 - 1]
        facts.append((agencies[g["p_agency"][i]], dec, on11, due12, pub, on12))
    pub_agencies = {f[0] for f in facts}
    for code, _kind, p_first, p_after in periods:
        stop = min(p_after - timedelta(days=1), as_of.date())
        if stop < p_first:
            continue
        for unit in (*pub_agencies, None):
            rows = [f for f in facts if unit is None or f[0] == unit]
            d11 = sum(1 for f in rows if p_first <= f[1] <= stop)
            n11 = sum(f[2] for f in rows if p_first <= f[1] <= stop)
            d12 = sum(1 for f in rows if (f[4] is not None and p_first <= f[4] <= stop)
                      or (not (f[4] is not None and p_first <= f[4] <= stop) and p_first <= f[3] <= stop
                          and (f[4] is None or f[4] > stop)))
            n12 = sum(f[5] for f in rows if f[4] is not None and p_first <= f[4] <= stop)
            key = (code, "province", PROVINCE) if unit is None else (code, "agency", unit)
            counts.setdefault(key, {}).update(p11_den=d11, p11_num=n11, p12_den=d12, p12_num=n12)
    # ---- PAKN and certified copies (only for units that exist already, the province always)
    codes_ = {p[0] for p in periods}
    side: dict[tuple[str, str, str], dict[str, float]] = {}
    steps = {0: "xu_ly", 1: "tu_choi", 2: "yeu_cau_bo_sung", 3: "xu_ly"}
    days_for = {"xu_ly": 15, "tu_choi": 2, "yeu_cau_bo_sung": 5, "cong_khai": 2}
    pakn = []
    for i in range(len(g["k_recv"])):
        rcv = pd.Timestamp(g["k_recv"][i]).to_pydatetime()
        done_k = None if np.isnat(g["k_done"][i]) else pd.Timestamp(g["k_done"][i]).to_pydatetime()
        step = steps[int(g["k_state"][i])] if done_k is not None else "xu_ly"
        if step == "xu_ly" and g["k_due_given"][i]:
            due_k = datetime(rcv.year, rcv.month, rcv.day, 17) + timedelta(days=20)
        else:
            due_k = plus_working(rcv.date(), days_for[step])
        pub_due = None
        if step == "xu_ly" and done_k is not None and not g["k_public"][i]:
            pub_due = plus_working(done_k.date(), days_for["cong_khai"])
        agency = agencies[g["k_agency"][i]]
        pakn.append((agency, agency[4:] if agency.startswith("UBND") else None, int(g["k_kind"][i]), rcv, due_k,
                     done_k, int(g["k_rating"][i]) if done_k is not None else 0, pub_due))
    for code, _kind, p_first, p_after in periods:
        start = datetime(p_first.year, p_first.month, p_first.day)
        stop = min(datetime(p_after.year, p_after.month, p_after.day), as_of)
        if stop <= start:
            continue
        for agency, commune, kind, rcv, due_k, done_k, rating, pub_due in pakn:
            if not start <= rcv < stop:
                continue
            fin = done_k if done_k is not None and done_k < stop else None
            on = fin <= due_k if fin is not None else due_k >= stop
            if pub_due is not None and pub_due < stop:
                on = False
            good = on and rating != 2
            keys = [(code, "province", PROVINCE), (code, "agency", agency)]
            if commune:
                keys.append((code, "commune", commune))
            for key in keys:
                acc = side.setdefault(key, {})
                acc["pk_den"] = acc.get("pk_den", 0) + 1
                acc["pk_ontime"] = acc.get("pk_ontime", 0) + int(on)
                acc["pk_ok"] = acc.get("pk_ok", 0) + int(good)
                acc["pk_tthc"] = acc.get("pk_tthc", 0) + kind
    month_index = {m: j for j, m in enumerate(g["cc_months"])}
    commune_agency = {unit: code for code, (kind, unit) in agency_kinds.items() if kind == "commune" and unit}
    departments = [code for code, (kind, unit) in agency_kinds.items() if not (kind == "commune" and unit)]
    for code, _kind, p_first, p_after in periods:
        ms = []
        d0 = date(p_first.year, p_first.month, 1)
        while d0 <= min(p_after - timedelta(days=1), as_of.date()):
            ms.append(f"{d0:%Y-%m}")
            d0 = date(d0.year + (d0.month == 12), d0.month % 12 + 1, 1)
        cols = [month_index[m] for m in ms if m in month_index]
        provided = g["cc_flag"][:, cols].any(axis=1) if cols else np.zeros(n_co, bool)
        side.setdefault((code, "province", PROVINCE), {}).update(cc_den=n_co, cc_num=int(provided.sum()))
        for ci, c in enumerate(communes):
            vals = {"cc_den": 1, "cc_num": int(provided[ci])}
            side.setdefault((code, "commune", c), {}).update(vals)
            if c in commune_agency:
                side.setdefault((code, "agency", commune_agency[c]), {}).update(vals)
        for a in departments:
            side.setdefault((code, "agency", a), {})["cc_scope"] = 1
    for key, extra in side.items():
        if key[0] in codes_ and (key[1] == "province" or key in counts):
            counts.setdefault(key, {}).update(extra)
    for code in codes_:
        counts.setdefault((code, "province", PROVINCE), {})
        for a in pc:
            if a is not None:
                counts.setdefault((code, "agency", a), {})
    # ---- scoring, rule by rule (profile qd766-dvcqg-2026)
    groups = {"1": ["1.1", "1.2", "1.3", "1.4"], "2": ["2.1", "2.2"], "3": ["3.1", "3.2", "3.3"],
              "4": ["3.5", "3.5b", "3.6"], "5": ["4.1", "4.2", "4.2b", "4.3", "4.4", "4.5a", "4.5b"],
              "6": ["5.1", "5.2", "5.3", "5.4"]}
    maxima = {"1.1": 6, "1.2": 4, "1.3": 2, "1.4": 6, "2.1": 20, "2.2": 0, "3.1": 2, "3.2": 4, "3.3": 6, "3.5": 2,
              "3.5b": 2, "3.6": 6, "4.1": 6, "4.2": 4, "4.2b": 2, "4.3": 2, "4.4": 4, "4.5a": 2, "4.5b": 2,
              "5.1": 0, "5.2": 6, "5.3": 6, "5.4": 6}
    curve = {"1.1": (6, 1, 6), "1.2": (4, 1, 4), "1.3": (2, 1, 2), "1.4": (6, 1, 6), "2.1": (20, 1, 20),
             "3.1": (2, 0.8, 2), "3.2": (4, 1, 4), "3.3": (6, 0.5, 6), "3.5": (2.5, 1, 2), "3.5b": (2.5, 1, 2),
             "3.6": (6, 1, 6), "4.1": (6, 1, 6), "4.2": (4, 1, 4), "4.2b": (2, 1, 2), "4.3": (2, 0.8, 2),
             "4.4": (4, 1, 4), "4.5a": (2, 1, 2), "4.5b": (2, 1, 2), "5.2": (6, 1, 6), "5.3": (6, 1, 6),
             "5.4": (6, 0.9, 6)}
    empty = {code: float(m) for code, m in maxima.items()}
    empty["5.4"] = 0.0
    out: dict[tuple[str, str, str, str], tuple] = {}
    for (period, scope, unit), c in counts.items():
        p = pc.get(None if scope == "province" else unit, {}) if scope != "commune" else None
        tag = "any" if scope == "province" else "same"

        def frac(num: Any, den: Any) -> tuple[float, float, float | None]:
            n_, d_ = float(num or 0), float(den or 0)
            return n_, d_, (n_ / d_ if d_ else None)

        vals: dict[str, Any] = {}  # code -> (num, den, ratio) | "scope" | "nodata"
        if p is None:
            for code_ in ("1.1", "1.2", "1.3", "3.1", "3.2", "3.5", "3.5b", "4.5a"):
                vals[code_] = "scope"
        else:
            vals["1.1"] = frac(c["p11_num"], c["p11_den"]) if "p11_den" in c else "nodata"
            vals["1.2"] = frac(c["p12_num"], c["p12_den"]) if "p12_den" in c else "nodata"
            vals["1.3"] = frac(p.get("x_num"), p.get("x_den")) if p.get("x_den") else "nodata"
            vals["3.1"] = frac(p.get("n_online"), p.get("n_proc"))
            vals["3.2"] = frac(c.get(f"n32_{tag}"), p.get("n_online"))
            vals["3.5"] = frac(p.get("f_num"), p.get("f_den")) if p.get("f_den") else "nodata"
            vals["3.5b"] = frac(c.get(f"n35_{tag}"), p.get("n_fee"))
            vals["4.5a"] = frac(c.get(f"n45_{tag}"), p.get("n_citizen")) if "n_citizen" in p else "nodata"
        recv_ = c.get("recv")
        flags = (period, scope, unit) in dossier_units
        vals["1.4"] = frac(c.get("x_dong_bo_dvcqg_num"), recv_) if flags else "nodata"
        vals["2.1"] = frac(c.get("n21_num"), c.get("n21_den"))
        vals["2.2"] = frac(c.get("n22_sum"), c.get("n22_den"))
        vals["3.3"] = frac(c.get("recv_online_kq"), recv_)
        vals["3.6"] = frac(c.get("fee_paid"), c.get("fee_recv"))
        vals["4.1"] = frac(c.get("n41_num"), c.get("n41_den"))
        vals["4.2"] = frac(c.get("recv_sohoa"), recv_)
        vals["4.2b"] = frac(c.get("cc_num"), c.get("cc_den")) if "cc_den" in c else (
            "scope" if c.get("cc_scope") else "nodata")
        vals["4.3"] = frac(c.get("recv_taisudung"), recv_)
        vals["4.4"] = frac(c.get("x_ket_noi_chia_se_num"), recv_) if flags else "nodata"
        vals["4.5b"] = frac(c.get("x_du_lieu_dan_cu_num"), recv_) if flags else "nodata"
        for code_, key in (("5.1", "pk_tthc"), ("5.2", "pk_ontime"), ("5.3", "pk_ok")):
            vals[code_] = frac(c.get(key), c.get("pk_den"))
        rc, kh = float(recv_ or 0), float(c.get("recv_khl") or 0)
        r21 = vals["2.1"][2]
        vals["5.4"] = (rc - kh, rc, None) if not rc or r21 is None else (rc - kh, rc, max(0.0, r21 - kh / rc))
        g_score = {k: 0.0 for k in groups}
        g_cov = {k: 0.0 for k in groups}
        for gk, rule_codes in groups.items():
            for code_ in rule_codes:
                v = vals[code_]
                mx = maxima[code_]
                if v in ("scope", "nodata"):
                    score = float(mx) if v == "scope" and code_ in curve else None
                    row = (None, None, None, score)
                elif code_ == "2.2":
                    row = (v[0], v[1], r2(v[2]) if v[2] is not None else None, None)
                elif code_ == "5.1":
                    row = (v[0], v[1], r2(v[2] * 100) if v[2] is not None else None, None)
                else:
                    ratio = None if v[2] is None else r2(v[2] * 100)
                    if v[2] is None:
                        score = empty[code_]
                    else:
                        factor = 1.0
                        if code_ == "3.3" and isinstance(vals["1.4"], tuple) and vals["1.4"][2] is not None:
                            factor = vals["1.4"][2]
                        fa, target, cap = curve[code_]
                        score = r2(min(cap, fa * (v[2] * factor) / target))
                    row = (v[0], v[1], ratio, score)
                if row[3] is not None:
                    g_score[gk] += row[3]
                    g_cov[gk] += mx
                out[(period, scope, unit, code_)] = (*row, float(mx) if row[3] is not None else 0.0)
        for gk in groups:
            out[(period, scope, unit, f"nhom_{gk}")] = (None, None, None, r2(g_score[gk]) if g_cov[gk] else None,
                                                        r2(g_cov[gk]))
        tot, cov = sum(g_score.values()), sum(g_cov.values())
        out[(period, scope, unit, "tong")] = (None, None, None, r2(tot) if cov else None, r2(cov))
    return out


# ------------------------------------------------------------------------------------------------ main


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def spread(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.2f} s (min {min(xs):.2f}, max {max(xs):.2f}, n = {len(xs)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary DATA_DIR")
    parser.add_argument("--seed", type=int, default=766)
    parser.add_argument("--reuse", type=Path, help="a DATA_DIR kept by an earlier run (--keep): skip the push")
    parser.add_argument("--push-only", action="store_true", help="push, keep the DATA_DIR, do not time")
    parser.add_argument("--api-dossiers", type=int, default=50_000,
                        help="dossiers pushed through the HTTP API; the rest through the service in process")
    args = parser.parse_args()

    from dieuhanh.core.formatting import LOCAL_TZ

    if args.reuse:
        data_dir = args.reuse
        meta = json.loads((data_dir / "bench.json").read_text())
        now, args.dossiers, args.seed = datetime.fromisoformat(meta["now"]), meta["dossiers"], meta["seed"]
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="bench-ps-"))
        now = datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)
    first = (datetime(now.year - 1, now.month, 1) + timedelta(days=32)).replace(day=1)  # 12 months ending now
    t0 = time.perf_counter()
    g = generate(args.seed, args.dossiers, first, now)
    print(f"DATA_DIR {data_dir}; {args.dossiers:,} dossiers, {N_PROCEDURES} procedures, {len(g['agencies'])} "
          f"agencies, {len(g['communes'])} communes, {len(g['k_recv']):,} PAKN, {first:%m/%Y}–{now:%m/%Y} "
          f"(generated in {time.perf_counter() - t0:.1f} s); cpus {os.cpu_count()}, load {loadavg()}")
    if not args.reuse:
        push(data_dir, g, args)
        (data_dir / "bench.json").write_text(json.dumps({"now": now.isoformat(), "dossiers": args.dossiers,
                                                         "seed": args.seed}))
    if args.push_only:
        print(f"kept {data_dir}")
        return
    time_and_compare(data_dir, g, now, args)


def push(data_dir: Path, g: dict[str, Any], args: argparse.Namespace) -> None:
    import httpx

    env = {**os.environ, "DIEUHANH_DATA_DIR": str(data_dir), "DIEUHANH_SCHEDULER_ENABLED": "false"}
    for k in ("DIEUHANH_DATABASE_URL", "DIEUHANH_WAREHOUSE_URL"):
        env.pop(k, None)
    port = free_port()
    server = start_server(data_dir, port, env)
    try:
        secret = subprocess.run([sys.executable, "-m", "dieuhanh", "tokens", "create", "--name", "motcua",
                                 "--scope", "publicservices"], env=env, cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip().splitlines()[-1]
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        base = f"http://127.0.0.1:{port}/api/v1/publicservices"
        with httpx.Client(timeout=600, headers=headers) as client:
            r = client.post(f"{base}/procedures", content=json.dumps(procedure_records(g)))
            assert r.status_code == 200, r.text[:2000]
            pushed, push_seconds = 0, 0.0
            chunks = dossier_chunks(g)
            for chunk in chunks:
                body = json.dumps(chunk)
                t0 = time.perf_counter()
                r = client.post(f"{base}/dossiers", content=body)
                push_seconds += time.perf_counter() - t0
                assert r.status_code == 200, r.text[:2000]
                pushed += len(chunk)
                if pushed % 200_000 == 0:
                    print(f"  {pushed:,} pushed, {pushed / push_seconds:,.0f} records/s, load {loadavg()}",
                          flush=True)
                if pushed >= args.api_dossiers:
                    break
            for kind, items in (("petitions", petition_records(g)), ("certified-copies", copy_records(g))):
                for s in range(0, len(items), CHUNK):
                    r = client.post(f"{base}/{kind}", content=json.dumps(items[s:s + CHUNK]))
                    assert r.status_code == 200, r.text[:2000]
    finally:
        server.terminate()
        server.wait(timeout=60)
    print(f"push: {pushed:,} dossiers in {push_seconds:.1f} s through the API = {pushed / push_seconds:,.0f} "
          f"records/s (requests of {CHUNK:,}; generating and JSON encoding not counted); load {loadavg()}")
    if pushed < len(g["proc"]):
        load_in_process(data_dir, chunks, len(g["proc"]) - pushed)


def load_in_process(data_dir: Path, chunks: Any, n: int) -> None:
    """The rest of the dossiers without HTTP: the service's own validation (``validate_dossiers``: the nested
    lists reduced to flat columns, date-only due dates…) and its warehouse load batch (``_append_dossiers``,
    recorded in the catalog); only the operational copy ``ps_dossier``, which the engine does not read, is
    skipped. The first ``--api-dossiers`` went through the API: both paths give the same warehouse rows."""
    from dieuhanh.core.db import Database
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.core.warehouse import DuckDBWarehouse
    from dieuhanh.publicservices import service

    db = Database(f"sqlite:///{data_dir / 'dieuhanh.db'}")
    wh = DuckDBWarehouse(data_dir / "warehouse.duckdb")
    t0 = time.perf_counter()
    done = 0
    batch: list[Any] = []
    for chunk in chunks:
        batch += chunk
        if len(batch) < 50_000 and done + len(batch) < n:
            continue
        with db.session() as session:
            rows = service.validate_dossiers(session, batch, principal=SYSTEM, province_code=PROVINCE)
            service._append_dossiers(session, wh, [service._arrow_dossiers(rows, service._local_now())],
                                     principal=SYSTEM, source="bench", filename=None)
        done += len(batch)
        batch = []
        if done % 200_000 == 0:
            print(f"  {done:,} loaded in process, {done / (time.perf_counter() - t0):,.0f} records/s, "
                  f"load {loadavg()}", flush=True)
    print(f"in-process load: {done:,} dossiers in {time.perf_counter() - t0:.1f} s "
          f"(service validation + warehouse batch); load {loadavg()}")


def time_and_compare(data_dir: Path, g: dict[str, Any], now: datetime, args: argparse.Namespace) -> None:

    from sqlalchemy import select

    from dieuhanh.core.db import Database
    from dieuhanh.core.warehouse import DuckDBWarehouse
    from dieuhanh.orgs.models import Agency
    from dieuhanh.publicservices import compute
    from dieuhanh.publicservices.calendar import WorkingCalendar
    from dieuhanh.publicservices.rules import load_profile

    db = Database(f"sqlite:///{data_dir / 'dieuhanh.db'}")
    wh = DuckDBWarehouse(data_dir / "warehouse.duckdb")
    cal = WorkingCalendar.from_settings(None, load_profile())
    working = {d for d, w, _ in cal.rows(date(2020, 1, 1), now.date() + timedelta(days=800)) if w}
    with db.session() as session:
        kinds = {code: (kind, unit) for code, kind, unit in session.execute(
            select(Agency.code, Agency.kind, Agency.unit_code))}
    as_of = now  # the same "tạm tính" instant for every run of both
    engine_s: list[float] = []
    pandas_s: list[float] = []
    engine_cpu: list[float] = []  # CPU seconds of this process (every thread): what the load does not inflate
    pandas_cpu: list[float] = []
    for run in range(args.runs):
        before = loadavg()
        with db.session() as session:
            t0, c0 = time.perf_counter(), time.process_time()
            result = compute.recompute(session, wh, province_code=PROVINCE, as_of=as_of, indicators=True)
            engine_s.append(time.perf_counter() - t0)
            engine_cpu.append(time.process_time() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        theirs = pandas_rules(g, as_of, working, kinds)
        pandas_s.append(time.perf_counter() - t0)
        pandas_cpu.append(time.process_time() - c0)
        ours = {(r["period"], r["scope"], r["unit_code"], r["indicator_code"]):
                (r["numerator"], r["denominator"], r["ratio"], r["score"], r["covered_points"])
                for r in wh.query(f"SELECT * FROM {compute.RESULTS}").to_pylist()}
        diff = [(k, ours.get(k), theirs.get(k)) for k in sorted(set(ours) | set(theirs), key=str)
                if ours.get(k) != theirs.get(k)]
        print(f"run {run + 1}: engine {engine_s[-1]:.2f} s, CPU {engine_cpu[-1]:.2f} s ({result.rows:,} rows; "
              + ", ".join(f"{k} {v:.2f}" for k, v in result.timings.items())
              + f"), pandas {pandas_s[-1]:.2f} s, CPU {pandas_cpu[-1]:.2f} s; {len(ours):,} values compared, "
              f"{len(diff)} differ; "
              f"load before {before}, after {loadavg()}", flush=True)
        for item in diff[:10]:
            print("  differs (engine, pandas):", item)
        assert not diff, f"{len(diff)} values differ"
    print(f"engine full recomputation (1 M dossiers = {args.dossiers:,}, every rule, stored, indicators "
          f"refreshed): {spread(engine_s)}")
    print(f"pandas baseline (same rules, from the generated records): {spread(pandas_s)}")
    print(f"CPU seconds (all threads): engine median {statistics.median(engine_cpu):.2f}, pandas median "
          f"{statistics.median(pandas_cpu):.2f}")
    print(f"results identical in every run: {len(ours):,} (period, scope, unit, row) values; load {loadavg()}")
    if args.keep or args.reuse:
        print(f"kept {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
