"""The Decision 766 engine: every rule of a profile, for every period × scope × unit.

One SQL read of the warehouse (DuckDB dialect; the warehouse translates it for PostgreSQL) gives one row per
dossier with the facts the rules need (``dossier_facts_sql``):

* the dossiers' current state: the latest version of each ``ma_ho_so`` in ``tthc_ho_so`` (greatest
  ``ngay_cap_nhat``, then load time; only codes loaded more than once go through a window), without statuses 1
  and 3 (never received), joined to the current state of its procedure (``tthc_thu_tuc``);
* each dossier's actual end (``ngay_ket_thuc_xu_ly`` for statuses 7–10, ``ngay_yeu_cau_bo_sung`` for 5), its
  on-time verdict once ended, and the working-day index of its receipt and end from a small calendar table
  (``tthc_lich_lam_viec``, rewritten on each run); its 0/1 facts packed in one integer.

numpy then counts per period and unit (``dossier_counts``): rule 2.1 over the dossiers to be handled in each
period (received up to its end, not ended before its start; those ended by ``as_of`` per month of their end,
those still open at a period's end judged at that end); the additive counts (received in P, ended in P) per
(month, unit) once, added to each month's month, quarter and year; distinct procedures (3.2, 3.5b, 4.5a). Units:
the province, each agency (``ma_co_quan``) and each commune (``ma_don_vi_hanh_chinh``). The per-period SQL
(``dossier_ctes``) lists the dossiers behind a number.

Procedure rules (3.1, and the procedure side of 3.2) count ``tthc_thu_tuc`` per agency. Ratios and scores are
then applied from the profile (small: one row per period × unit). The result replaces the catalog dataset
``tthc_chi_so_766`` as one batch, which the indicator set and the board read.

Periods: every month, quarter and year (local time) from the earliest receipt to the current one (or the
latest date in the data, if later).
"""

from __future__ import annotations

import time
import uuid
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.core.periods import KINDS, Period, containing
from dieuhanh.core.periods import parse as parse_period
from dieuhanh.core.security import SYSTEM, Principal, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.core.warehouse_tx import TransactionalWarehouse
from dieuhanh.publicservices.calendar import WorkingCalendar
from dieuhanh.publicservices.rules import Profile, Rule, load_profile, profile_by_code, round2

DOSSIERS = "tthc_ho_so"
PROCEDURES = "tthc_thu_tuc"
RESULTS = "tthc_chi_so_766"
CALENDAR = "tthc_lich_lam_viec"
RESULT_OWNER = "TTPVHCC"
META_COMPUTED_AT = "publicservices.indicators_computed_at"
META_AS_OF = "publicservices.indicators_as_of"  # local time the current periods were computed up to
ONLINE_LEVELS = "('toan_trinh', 'mot_phan')"
SCOPES = ("province", "agency", "commune")
U_NAMES = ("n32_any", "n32_same", "n35_any", "n35_same", "n45_any", "n45_same")
NO_DATA = "chưa có dữ liệu"
# Rule 3.3 with the profile's ``require_e_result``: online, and an electronic result when the procedure requires one.
ONLINE_WITH_RESULT = "truc_tuyen = 1 AND (can_kq = 0 OR kq_dien_tu = 1)"

RESULT_SCHEMA = pa.schema([
    ("period", pa.string()), ("period_type", pa.string()), ("scope", pa.string()), ("unit_code", pa.string()),
    ("indicator_code", pa.string()), ("kind", pa.string()), ("group_code", pa.string()),
    ("numerator", pa.float64()), ("denominator", pa.float64()), ("ratio", pa.float64()), ("score", pa.float64()),
    ("max_score", pa.float64()), ("covered_points", pa.float64()), ("profile", pa.string()),
    ("computed_at", pa.timestamp("us")),
])
RESULT_COLUMNS = [
    ("period", "string", "Kỳ: 2025-06 (tháng), 2025-Q2 (quý), 2025 (năm)"),
    ("period_type", "string", "month | quarter | year"),
    ("scope", "string", "province | agency | commune"),
    ("unit_code", "string", "Mã tỉnh, mã cơ quan hoặc mã xã"),
    ("indicator_code", "string", "Mã chỉ tiêu (2.1…), nhom_1…nhom_6 hoặc tong"),
    ("kind", "string", "indicator | group | total"),
    ("group_code", "string", "Mã nhóm"),
    ("numerator", "number", "Tử số"),
    ("denominator", "number", "Mẫu số"),
    ("ratio", "number", "Tỷ lệ (%), 2 chữ số thập phân; trống khi mẫu số bằng 0 hoặc chưa có dữ liệu"),
    ("score", "number", "Điểm, 2 chữ số thập phân"),
    ("max_score", "number", "Điểm tối đa"),
    ("covered_points", "number", "Số điểm (trên tối đa) có dữ liệu để chấm"),
    ("profile", "string", "Mã hồ sơ quy tắc"),
    ("computed_at", "datetime", "Thời điểm tính (UTC)"),
]


# ------------------------------------------------------------------------------------------------ periods


def periods_between(first: date, last: date) -> list[Period]:
    """Every year, quarter and month overlapping [first, last]: each year, then its quarters, then its months."""
    out: list[Period] = []
    for year in range(first.year, last.year + 1):
        candidates = [Period("year", year), *(Period("quarter", year, q) for q in range(1, 5)),
                      *(Period("month", year, m) for m in range(1, 13))]
        out.extend(p for p in candidates if p.end > first and p.start <= last)
    return out


def _instant(day: date) -> datetime:
    """Midnight starting ``day`` (local, naive, like the dossiers' timestamps)."""
    return datetime(day.year, day.month, day.day)


def _last_instant(period: Period) -> datetime:
    return _instant(period.end) - timedelta(microseconds=1)


def _ts(value: datetime) -> str:
    return f"CAST('{value.strftime('%Y-%m-%d %H:%M:%S.%f')}' AS TIMESTAMP)"


def is_partial(period: Period, as_of: datetime | None) -> bool:
    """A period not ended at ``as_of`` (naive local time): computed up to ``as_of`` ("tạm tính")."""
    return as_of is not None and _instant(period.end) > as_of


def _periods_sql(periods: Sequence[Period], day_index: dict[date, int], as_of: datetime | None = None) -> str:
    """The periods as an inline table: code, first and last instant, working-day index of the last day. A
    period not ended at ``as_of`` ends at ``as_of``: an open dossier due later is not late (yet)."""
    def last(p: Period) -> datetime:
        return as_of if as_of is not None and is_partial(p, as_of) and as_of >= _instant(p.start) else _last_instant(p)

    rows = ", ".join(f"('{p.code}', {_ts(_instant(p.start))}, {_ts(last(p))}, {day_index[last(p).date()]})"
                     for p in periods)
    return f"(VALUES {rows}) AS periods(period, p_start, p_last, p_idx)"


# ------------------------------------------------------------------------------------------------ SQL


def _columns(warehouse: Warehouse, table: str) -> set[str]:
    if not warehouse.table_exists(table):
        return set()
    return {c.lower() for c in warehouse.query(f"SELECT * FROM {table} LIMIT 0").column_names}


def _flag(column: str) -> str:
    """A 0/1 (or boolean) column as 0/1, NULL as 0."""
    return f"COALESCE(CAST({column} AS INTEGER), 0)"


def _when(cond: str) -> str:
    return f"CASE WHEN {cond} THEN 1 ELSE 0 END"


def _sum(cond: str) -> str:
    return f"SUM({_when(cond)})"


@dataclass
class Sources:
    dossier_cols: set[str]
    procedure_cols: set[str]

    def order(self, cols: set[str]) -> str:
        keys = [f"{c} DESC NULLS LAST" for c in ("ngay_cap_nhat", "nap_luc") if c in cols]
        keys.append("_batch_id DESC")
        return ", ".join(keys)

    def dossier_extra(self, profile: Profile) -> list[str]:
        return sorted({f.column for f in profile.extra_fields() if f.level == "dossier"} & self.dossier_cols)

    def procedure_extra(self, profile: Profile) -> list[str]:
        return sorted({f.column for f in profile.extra_fields() if f.level == "procedure"} & self.procedure_cols)


def _opt(cols: set[str], name: str, sql_type: str = "INTEGER") -> str:
    return name if name in cols else f"CAST(NULL AS {sql_type}) AS {name}"


FAR_FUTURE = "CAST('9999-12-31 00:00:00' AS TIMESTAMP)"
WAIT = "COALESCE(CAST(e.thoi_gian_cho_bo_sung AS DOUBLE), 0)"  # seconds waiting for the citizen's supplement


def _hours(column: str) -> str:
    """The time of day of a timestamp, in hours (8:30 → 8.5)."""
    return f"(EXTRACT(HOUR FROM {column}) + EXTRACT(MINUTE FROM {column}) / 60.0)"


def dossier_ctes(src: Sources, profile: Profile, periods_sql: str, *, where: str = "") -> str:
    """``WITH`` clauses ending in ``x``: one row per dossier × period P in which it is to be handled (received
    up to the end of P and not ended before its start), with its facts as 0/1 columns:

    ``tiep_nhan_trong_ky`` received in P, ``dung_han`` on time for P (rule 2.1), ``xong_trong_ky`` status 9/10
    ended in P, ``ngay_lam_viec`` working days from receipt to end, and the per-dossier flags. An end recorded
    before the receipt is taken as the receipt (bad data must not drop a received dossier)."""
    hc, tc = src.dossier_cols, src.procedure_cols
    d_extra = src.dossier_extra(profile)
    p_extra = src.procedure_extra(profile)
    if tc:
        tt = f"""tt AS (
  SELECT ma_tthc, ma_co_quan AS tt_co_quan, muc_do_dvc, co_phi_le_phi, yeu_cau_ket_qua, thoi_han_giai_quyet,
         ten_tthc, {_opt(tc, 'don_vi_tinh', 'VARCHAR')}, {_opt(tc, 'doi_tuong_cong_dan')}{''.join(
             f', {c}' for c in p_extra if c not in ('don_vi_tinh', 'doi_tuong_cong_dan'))}
  FROM (SELECT *, row_number() OVER (PARTITION BY ma_tthc ORDER BY {src.order(tc)}) AS rn_ FROM {PROCEDURES}) AS tv
  WHERE rn_ = 1
)"""
    else:
        tt = """tt AS (
  SELECT CAST(NULL AS VARCHAR) AS ma_tthc, CAST(NULL AS VARCHAR) AS tt_co_quan, CAST(NULL AS VARCHAR) AS muc_do_dvc,
         CAST(NULL AS INTEGER) AS co_phi_le_phi, CAST(NULL AS INTEGER) AS yeu_cau_ket_qua,
         CAST(NULL AS INTEGER) AS thoi_han_giai_quyet, CAST(NULL AS VARCHAR) AS ten_tthc,
         CAST(NULL AS VARCHAR) AS don_vi_tinh, CAST(NULL AS INTEGER) AS doi_tuong_cong_dan
  WHERE 1 = 0
)"""
    explicit = {"thoi_gian_cho_bo_sung", "co_le_phi", "du_lieu_dan_cu"}  # always selected (NULL when absent)
    extra_hs = "".join(f", {c}" for c in d_extra if c not in explicit)
    extra_d = "".join(f",\n         CASE WHEN e.{c} IS NULL THEN 0 ELSE 1 END AS co_{c}, {_flag('e.' + c)} AS f_{c}"
                      for c in d_extra)
    filter_sql = f" AND {where}" if where else ""
    hours_per_day = float(profile.param("working_hours_per_day", 8))
    return _dossier_ctes_sql(hc, tc, tt, extra_hs, extra_d, filter_sql, src, periods_sql).replace(
        "{hours_per_day}", f"{hours_per_day:g}")


def latest_versions(table: str, key: str, order: str) -> str:
    """``table``'s rows with ``rn_`` = 1 on the latest version of each ``key`` (``order``): the keys loaded once
    (nearly all) without sorting anything, the others through a window over their versions only."""
    twice = f"SELECT {key} FROM {table} GROUP BY {key} HAVING COUNT(*) > 1"
    return (f"(SELECT *, 1 AS rn_ FROM {table} AS v1 WHERE NOT EXISTS (SELECT 1 FROM ({twice}) AS t1 "
            f"WHERE t1.{key} = v1.{key}) "
            f"UNION ALL SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS rn_ "
            f"FROM {table} AS v2 WHERE EXISTS (SELECT 1 FROM ({twice}) AS t2 WHERE t2.{key} = v2.{key})) AS v3)")


def _dossier_ctes_sql(hc: set[str], tc: set[str], tt: str, extra_hs: str, extra_d: str, filter_sql: str,
                           src: Sources, periods_sql: str) -> str:
    return f"""WITH hs AS (
  SELECT ma_ho_so, ma_tthc, ma_co_quan, ma_don_vi_hanh_chinh AS ma_xa, kenh_thuc_hien, trang_thai_ho_so,
         ngay_tiep_nhan, ngay_hen_tra, ngay_ket_thuc_xu_ly, ngay_yeu_cau_bo_sung, so_lan_yeu_cau_bo_sung,
         duoc_thanh_toan_truc_tuyen, co_ket_qua_dien_tu, duoc_so_hoa, duoc_tai_su_dung,
         {_opt(hc, 'co_phan_anh')}, {_opt(hc, 'danh_gia', 'VARCHAR')}, {_opt(hc, 'thoi_gian_cho_bo_sung')},
         {_opt(hc, 'co_le_phi')}, {_opt(hc, 'du_lieu_dan_cu')}{extra_hs},
         CASE WHEN trang_thai_ho_so IN (7, 8, 9, 10) THEN ngay_ket_thuc_xu_ly
              WHEN trang_thai_ho_so = 5 THEN ngay_yeu_cau_bo_sung END AS ket_thuc_raw
  FROM {latest_versions(DOSSIERS, 'ma_ho_so', src.order(hc))} AS hv
  WHERE rn_ = 1 AND trang_thai_ho_so NOT IN (1, 3) AND ngay_tiep_nhan IS NOT NULL{filter_sql}
),
{tt},
e AS (
  SELECT hs.*, tt.tt_co_quan, tt.muc_do_dvc, tt.co_phi_le_phi, tt.yeu_cau_ket_qua, tt.thoi_han_giai_quyet,
         tt.ten_tthc, tt.don_vi_tinh, tt.doi_tuong_cong_dan,
         CASE WHEN hs.ket_thuc_raw < hs.ngay_tiep_nhan THEN hs.ngay_tiep_nhan ELSE hs.ket_thuc_raw END AS ket_thuc
  FROM hs
  LEFT JOIN tt ON tt.ma_tthc = hs.ma_tthc
),
d AS (
  SELECT e.ma_ho_so, e.ma_tthc, e.ten_tthc, e.ma_co_quan, e.ma_xa, e.tt_co_quan, e.trang_thai_ho_so,
         e.kenh_thuc_hien, e.ngay_tiep_nhan, e.ngay_hen_tra, e.ngay_ket_thuc_xu_ly, e.ngay_yeu_cau_bo_sung,
         e.so_lan_yeu_cau_bo_sung, e.thoi_han_giai_quyet, e.ket_thuc, e.don_vi_tinh,
         COALESCE(e.ket_thuc, {FAR_FUTURE}) AS ket_thuc_moc,
         c1.chi_so AS idx_tiep_nhan, c2.chi_so - c1.chi_so AS ngay_lam_viec,
         {_hours('e.ngay_tiep_nhan')} AS gio_tiep_nhan,
         {_when('COALESCE(e.so_lan_yeu_cau_bo_sung, 0) <= 1')} AS bo_sung_ok,
         CASE WHEN COALESCE(e.so_lan_yeu_cau_bo_sung, 0) > 1 THEN 0
              WHEN e.ngay_hen_tra IS NOT NULL
                THEN {_when(f'EXTRACT(EPOCH FROM e.ket_thuc) - {WAIT} <= EXTRACT(EPOCH FROM e.ngay_hen_tra)')}
              WHEN e.thoi_han_giai_quyet IS NOT NULL AND e.don_vi_tinh = 'gio'
                THEN {_when(f"(c2.chi_so - c1.chi_so) * {{hours_per_day}} + {_hours('e.ket_thuc')} - "
                            f"{_hours('e.ngay_tiep_nhan')} - {WAIT} / 3600.0 <= e.thoi_han_giai_quyet")}
              WHEN e.thoi_han_giai_quyet IS NOT NULL
                THEN {_when(f'c2.chi_so - c1.chi_so - FLOOR({WAIT} / 86400.0) <= e.thoi_han_giai_quyet')}
              ELSE 0 END AS dung_han_khi_xong,
         {_when('e.trang_thai_ho_so IN (9, 10)')} AS da_xong,
         {_when('COALESCE(CAST(e.kenh_thuc_hien AS INTEGER), 1) = 2')} AS truc_tuyen,
         {_when(f'e.muc_do_dvc IN {ONLINE_LEVELS}')} AS tt_dvctt,
         {_when(f"{_flag('e.co_phi_le_phi')} = 1 AND COALESCE(CAST(e.co_le_phi AS INTEGER), 1) = 1")} AS co_phi,
         {_when(f"{_flag('e.co_phi_le_phi')} = 1 AND {_flag('e.duoc_thanh_toan_truc_tuyen')} IN (1, 2)")}
           AS tt_truc_tuyen,
         {_when(f"{_flag('e.du_lieu_dan_cu')} = 1 AND {_flag('e.doi_tuong_cong_dan')} = 1")} AS dan_cu_cong_dan,
         {_flag('e.yeu_cau_ket_qua')} AS can_kq,
         {_when(f"{_flag('e.yeu_cau_ket_qua')} = 1 AND {_flag('e.co_ket_qua_dien_tu')} = 1")} AS kq_dien_tu,
         {_flag('e.duoc_so_hoa')} AS so_hoa,
         {_flag('e.duoc_tai_su_dung')} AS tai_su_dung,
         {_flag('e.co_phan_anh')} AS phan_anh,
         {_when(f"{_flag('e.co_phan_anh')} = 1 OR e.danh_gia = 'khong_hai_long'")} AS khong_hai_long{extra_d}
  FROM e
  LEFT JOIN {CALENDAR} c1 ON c1.ngay = CAST(e.ngay_tiep_nhan AS DATE)
  LEFT JOIN {CALENDAR} c2 ON c2.ngay = CAST(e.ket_thuc AS DATE)
),
x AS (
  SELECT periods.period, d.*,
         {_when('d.ngay_tiep_nhan >= periods.p_start')} AS tiep_nhan_trong_ky,
         {_when('d.ket_thuc <= periods.p_last')} * d.da_xong AS xong_trong_ky,
         CASE WHEN d.ket_thuc <= periods.p_last THEN d.dung_han_khi_xong
              WHEN d.bo_sung_ok = 0 THEN 0
              WHEN d.ngay_hen_tra IS NOT NULL THEN {_when('periods.p_last <= d.ngay_hen_tra')}
              WHEN d.thoi_han_giai_quyet IS NOT NULL AND d.don_vi_tinh = 'gio'
                THEN {_when(f"(periods.p_idx - d.idx_tiep_nhan) * {{hours_per_day}} + {_hours('periods.p_last')} - "
                            "d.gio_tiep_nhan <= d.thoi_han_giai_quyet")}
              WHEN d.thoi_han_giai_quyet IS NOT NULL
                THEN {_when('periods.p_idx - d.idx_tiep_nhan <= d.thoi_han_giai_quyet')}
              ELSE 0 END AS dung_han
  FROM d JOIN {periods_sql}
    ON d.ngay_tiep_nhan <= periods.p_last AND d.ket_thuc_moc >= periods.p_start
)"""


def procedure_sql(src: Sources, profile: Profile) -> tuple[str, list[str]]:
    counts = {
        "n_proc": "COUNT(*)",
        "n_online": _sum(f"muc_do_dvc IN {ONLINE_LEVELS}"),
        "n_fee": _sum(f"{_flag('co_phi_le_phi')} = 1"),
    }
    if "doi_tuong_cong_dan" in src.procedure_cols:
        counts["n_citizen"] = _sum(f"{_flag('doi_tuong_cong_dan')} = 1")
    for col in src.procedure_extra(profile):
        counts[f"x_{col}_den"] = _sum(f"{col} IS NOT NULL")
        counts[f"x_{col}_num"] = _sum(f"{_flag(col)} = 1")
        counts[f"f_{col}_den"] = _sum(f"{_flag('co_phi_le_phi')} = 1 AND {col} IS NOT NULL")
        counts[f"f_{col}_num"] = _sum(f"{_flag('co_phi_le_phi')} = 1 AND {_flag(col)} = 1")
    select_counts = ", ".join(f"{sql} AS {name}" for name, sql in counts.items())
    sql = f"""SELECT ma_co_quan, GROUPING(ma_co_quan) AS g_cq, {select_counts}
FROM (SELECT *, row_number() OVER (PARTITION BY ma_tthc ORDER BY {src.order(src.procedure_cols)}) AS rn_
      FROM {PROCEDURES}) AS tv
WHERE rn_ = 1
GROUP BY GROUPING SETS ((), (ma_co_quan))"""
    return sql, list(counts)


# ------------------------------------------------------------------------------------------------ columnar pass


_NULL_TS = np.iinfo(np.int64).max  # a missing timestamp (µs): after every period
_EPOCH = datetime(1970, 1, 1)


def _us(value: datetime) -> int:
    """A naive local instant as microseconds since 1970 (as Arrow stores the dossiers' naive timestamps)."""
    return (value - _EPOCH) // timedelta(microseconds=1)


def _np_ts(col: Any) -> np.ndarray:
    """A timestamp column as int64 microseconds, a missing value as ``_NULL_TS``."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
        arr = arr.cast(pa.timestamp(arr.type.unit))
    ints = arr.cast(pa.timestamp("us")).cast(pa.int64())
    return np.asarray(ints.fill_null(_NULL_TS).to_numpy(zero_copy_only=False), dtype=np.int64)


def _np_num(col: Any) -> np.ndarray:
    """A numeric column as float64, a missing value as NaN."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    return np.asarray(arr.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float)


def _np_codes(col: Any) -> tuple[np.ndarray, list[str]]:
    """A text column dictionary-encoded: codes 1…n (0 for a missing value) and the n values."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    arr = arr.cast(pa.string())
    enc = arr.dictionary_encode()
    codes = np.asarray(enc.indices.cast(pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False),
                       dtype=np.int64) + 1
    return codes, [str(v) for v in enc.dictionary.to_pylist()]


FACT_FLAGS = ("bo_sung_ok", "da_xong", "truc_tuyen", "tt_dvctt", "co_phi", "tt_truc_tuyen", "dan_cu_cong_dan",
              "can_kq", "kq_dien_tu", "so_hoa", "tai_su_dung", "phan_anh", "khong_hai_long", "cung", "theo_gio",
              "truc_tuyen_kq")


def dossier_facts_sql(src: Sources, profile: Profile) -> tuple[str, list[str]]:
    """One row per dossier (its latest version, received) with the facts the counts need (``dossier_ctes``'s
    ``d``): the 0/1 facts packed in one integer ``bits`` (bit k = the k-th of the returned flag names:
    ``FACT_FLAGS``, then ``co_X``, ``f_X`` of each extra field)."""
    extras = src.dossier_extra(profile)
    flags = [*FACT_FLAGS, *(f"{p}_{c}" for c in extras for p in ("co", "f"))]
    exprs = {"cung": "CASE WHEN tt_co_quan = ma_co_quan THEN 1 ELSE 0 END",
             "theo_gio": "CASE WHEN thoi_han_giai_quyet IS NOT NULL AND don_vi_tinh = 'gio' THEN 1 ELSE 0 END",
             "truc_tuyen_kq": f"CASE WHEN {ONLINE_WITH_RESULT} THEN 1 ELSE 0 END"}
    bits = " + ".join(f"CAST({exprs.get(f, f)} AS BIGINT) * {1 << k}" for k, f in enumerate(flags))
    empty_periods = ("(SELECT CAST(NULL AS VARCHAR) AS period, CAST(NULL AS TIMESTAMP) AS p_start, "
                     "CAST(NULL AS TIMESTAMP) AS p_last, CAST(NULL AS INTEGER) AS p_idx WHERE 1 = 0) AS periods")
    sql = (dossier_ctes(src, profile, empty_periods)
           + "\nSELECT ma_co_quan, ma_xa, ma_tthc, ngay_tiep_nhan, ket_thuc, ngay_hen_tra, "
             "CAST(thoi_han_giai_quyet AS DOUBLE) AS thoi_han_giai_quyet, idx_tiep_nhan, ngay_lam_viec, "
             f"gio_tiep_nhan, dung_han_khi_xong, {bits} AS bits FROM d")
    return sql, flags


def _month_no(day: date) -> int:
    return (day.year - 1970) * 12 + day.month - 1


def _distinct(keys: np.ndarray, size: int) -> np.ndarray:
    """The distinct values (sorted) of non-negative ``keys`` below ``size``: a presence table when it is small
    enough, else a sort."""
    if size <= 50_000_000:
        seen = np.zeros(size, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen)
    return np.unique(keys)


def dossier_counts(warehouse: Warehouse, src: Sources, profile: Profile, periods: Sequence[Period],
                   day_index: dict[date, int], as_of: datetime | None,
                   province_code: str) -> tuple[dict[tuple[str, str, str], dict[str, Any]], list[str]]:
    """The per period × scope × unit dossier counts, from one read of the dossiers' facts (``dossier_facts_sql``)
    counted with numpy: rule 2.1 over the dossiers to be handled in each period (received by its end, not ended
    before its start); receipts and ends with status 9, 10 counted per (month, unit) once and summed to the
    month, its quarter and its year; the distinct procedures of 3.2, 3.5b and 4.5a per (period, agency) and per
    period. A unit with a row in one of these gets every count (0 when none)."""
    sql, flag_names = dossier_facts_sql(src, profile)
    t = warehouse.query(sql)
    present = set(src.dossier_extra(profile))
    r_exprs: dict[str, tuple[str, str | None]] = {  # count → (flag, multiplied by flag)
        "recv_online": ("truc_tuyen", None), "recv_online_kq": ("truc_tuyen_kq", None),
        "fee_recv": ("co_phi", None), "fee_paid": ("tt_truc_tuyen", None), "recv_sohoa": ("so_hoa", None),
        "recv_taisudung": ("tai_su_dung", None), "recv_khl": ("khong_hai_long", None)}
    for rule in profile.rules:
        col = rule.extra_field.column if rule.extra_field else None
        if col not in present:
            continue
        if rule.measure == "received_flag":
            r_exprs[f"x_{col}_den"] = (f"co_{col}", None)
            r_exprs[f"x_{col}_num"] = (f"f_{col}", None)
        elif rule.measure == "received_flag_all":
            r_exprs[f"x_{col}_any"] = (f"co_{col}", None)
            r_exprs[f"x_{col}_num"] = (f"f_{col}", None)
        elif rule.measure == "petition_flag":
            r_exprs[f"p_{col}_den"] = (f"co_{col}", "phan_anh")
            r_exprs[f"p_{col}_num"] = (f"f_{col}", "phan_anh")
    e_names = ["n22_den", "n22_sum", "n41_den", "n41_num"]
    names = ["n21_den", "n21_num", "recv", *r_exprs, *e_names]
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    if not t.num_rows:
        return out, names

    packed = np.asarray(t.column("bits").to_numpy(), dtype=np.int64)
    bit = {name: k for k, name in enumerate(flag_names)}

    def flag(name: str) -> np.ndarray:
        return (packed >> bit[name]) & 1

    agency, agencies = _np_codes(t.column("ma_co_quan"))
    commune, communes = _np_codes(t.column("ma_xa"))
    n_ag, n_co, n_per = len(agencies) + 1, len(communes) + 1, len(periods)
    col_of = {name: i for i, name in enumerate(names)}
    acc_a = np.zeros((n_per, n_ag, len(names)))  # agency 0: none (the province counts it)
    acc_c = np.zeros((n_per, n_co, len(names)))
    seen_a = np.zeros((n_per, n_ag), dtype=bool)
    seen_c = np.zeros((n_per, n_co), dtype=bool)

    # Months (since 01/1970) of the periods' span, each with its period index per kind (−1: not computed).
    index = {p.code: i for i, p in enumerate(periods)}
    m_first = min(_month_no(p.start) for p in periods)
    n_m = max(_month_no(p.last_day) for p in periods) - m_first + 1
    targets = np.full((len(KINDS), n_m), -1, dtype=np.int64)
    for mi in range(n_m):
        first_day = date(1970 + (m_first + mi) // 12, (m_first + mi) % 12 + 1, 1)
        for k, kind in enumerate(KINDS):
            targets[k, mi] = index.get(containing(first_day, kind).code, -1)
    computed_month = targets[KINDS.index("month")] >= 0

    def month_of(us: np.ndarray) -> np.ndarray:
        """Month index in the span of µs timestamps (−1: missing or outside)."""
        out_ = np.full(len(us), -1, dtype=np.int64)
        ok = us != _NULL_TS
        out_[ok] = us[ok].astype("datetime64[us]").astype("datetime64[M]").astype(np.int64) - m_first
        out_[(out_ < 0) | (out_ >= n_m)] = -1
        return out_

    scopes = ((agency, n_ag, acc_a, seen_a), (commune, n_co, acc_c, seen_c))

    def add_by_month(month_idx: np.ndarray, counts: dict[str, np.ndarray | None]) -> None:
        """Count the rows with a month (``month_idx`` ≥ 0) per (month, unit) once — ``None``: the rows, else the
        sum of the array — and add each month to its month, quarter and year."""
        valid = month_idx >= 0
        for codes_, size, acc, seen in scopes:
            key = np.where(valid, month_idx * size + codes_, n_m * size)  # the last bin: rows without a month
            present_m = (np.bincount(key, minlength=n_m * size + 1)[:-1] > 0).reshape(n_m, size)
            sums = np.zeros((n_m, size, len(names)))
            for name, v in counts.items():
                sums[:, :, col_of[name]] = np.bincount(key, weights=v, minlength=n_m * size + 1)[:-1].reshape(
                    n_m, size)
            for k in range(len(KINDS)):
                for mi in np.flatnonzero(targets[k] >= 0).tolist():
                    pi = int(targets[k, mi])
                    acc[pi] += sums[mi]
                    seen[pi] |= present_m[mi]

    # Rule 2.1: every dossier × period it is to be handled in (received by its end, not ended before its start).
    # A dossier ended by ``as_of`` counts (on time when ended, or not) in the periods containing its end: counted
    # per month. The others — open at a period's end, or ended after ``as_of`` — are judged period by period.
    recv_ts = _np_ts(t.column("ngay_tiep_nhan"))
    end_ts = _np_ts(t.column("ket_thuc"))
    due_ts = _np_ts(t.column("ngay_hen_tra"))
    statutory = _np_num(t.column("thoi_han_giai_quyet"))
    idx_recv = _np_num(t.column("idx_tiep_nhan"))
    hours_recv = _np_num(t.column("gio_tiep_nhan"))
    on_time_done = np.nan_to_num(_np_num(t.column("dung_han_khi_xong")))
    by_hours = flag("theo_gio") == 1
    supplement_ok = flag("bo_sung_ok") == 1
    hpd_raw = float(profile.param("working_hours_per_day", 8))
    hpd: float | int = int(hpd_raw) if hpd_raw.is_integer() else hpd_raw
    ended = end_ts != _NULL_TS
    late_end = ended & (end_ts > _us(as_of)) if as_of is not None else np.zeros(len(end_ts), dtype=bool)
    add_by_month(np.where(ended & ~late_end, month_of(end_ts), -1), {"n21_den": None, "n21_num": on_time_done})
    any_late_end = bool(late_end.any())
    for pi, p in enumerate(periods):
        p_last = _last_instant(p)
        if as_of is not None and is_partial(p, as_of) and as_of >= _instant(p.start):
            p_last = as_of
        last_us = _us(p_last)
        rows = np.flatnonzero((recv_ts <= last_us) & (end_ts > last_us))  # open at the end (no end: far future)
        gap = day_index[p_last.date()] - idx_recv[rows]
        statutory_r = statutory[rows]
        with np.errstate(invalid="ignore"):
            by_days = np.where(by_hours[rows],
                               gap * hpd + (p_last.hour + p_last.minute / 60.0) - hours_recv[rows] <= statutory_r,
                               gap <= statutory_r)  # False where the statutory time is missing (NaN)
        due_r = due_ts[rows]
        on_time = (supplement_ok[rows] & np.where(due_r != _NULL_TS, last_us <= due_r, by_days)).astype(float)
        if any_late_end:
            late = np.flatnonzero(late_end & (end_ts >= _us(_instant(p.start))) & (end_ts <= last_us))
            rows, on_time = np.concatenate([rows, late]), np.concatenate([on_time, on_time_done[late]])
        if not len(rows):
            continue
        for codes_, size, acc, seen in scopes:
            u_codes = codes_[rows]
            seen[pi] |= np.bincount(u_codes, minlength=size) > 0
            acc[pi, :, col_of["n21_den"]] += np.bincount(u_codes, minlength=size)
            acc[pi, :, col_of["n21_num"]] += np.bincount(u_codes, weights=on_time, minlength=size)

    # Receipts and ends (9, 10) in a computed month.
    first_us = _us(_instant(min(p.start for p in periods)))
    end_us = _us(_instant(max(p.end for p in periods)))
    recv_m = month_of(recv_ts)
    recv_m[(recv_ts < first_us) | (recv_ts >= end_us) | ~computed_month[np.maximum(recv_m, 0)]] = -1
    end_m = month_of(end_ts)
    end_m[(flag("da_xong") == 0) | ~computed_month[np.maximum(end_m, 0)]] = -1
    working_days = _np_num(t.column("ngay_lam_viec"))
    add_by_month(recv_m, {"recv": None, **{n: flag(f) if g is None else flag(f) * flag(g)
                                           for n, (f, g) in r_exprs.items()}})
    add_by_month(end_m, {"n22_den": (~np.isnan(working_days)).astype(float), "n22_sum": np.nan_to_num(working_days),
                         "n41_den": flag("can_kq").astype(float), "n41_num": flag("kq_dien_tu").astype(float)})

    # 3.2, 3.5b, 4.5a: distinct procedures per (period, agency) and per period, of the receipts.
    procedure, procs = _np_codes(t.column("ma_tthc"))
    n_proc = len(procs) + 1
    u_a = np.zeros((n_per, n_ag, len(U_NAMES)))
    u_p = np.zeros((n_per, len(U_NAMES)))
    base = np.flatnonzero((recv_m >= 0) & (procedure > 0))
    key0 = (recv_m[base] * n_ag + agency[base]) * n_proc + procedure[base]
    bits0 = packed[base]

    def bit0(name: str) -> np.ndarray:
        return ((bits0 >> bit[name]) & 1).astype(bool)

    u_flags = {"n32": bit0("truc_tuyen") & bit0("tt_dvctt"), "n35": bit0("tt_truc_tuyen"),
               "n45": bit0("dan_cu_cong_dan")}
    same = bit0("cung")
    for ui, uname in enumerate(U_NAMES):
        name, tag = uname.split("_")
        sel = u_flags[name] & same if tag == "same" else u_flags[name]
        if not sel.any():
            continue
        key = _distinct(key0[sel], n_m * n_ag * n_proc)
        k_month, rest = key // (n_ag * n_proc), key % (n_ag * n_proc)
        k_agency, k_proc = rest // n_proc, rest % n_proc
        for k in range(len(KINDS)):
            pid = targets[k][k_month]
            ok = pid >= 0
            pk = np.unique(pid[ok] * n_proc + k_proc[ok])
            u_p[:, ui] += np.bincount(pk // n_proc, minlength=n_per)
            ok &= k_agency > 0
            ak = np.unique((pid[ok] * n_ag + k_agency[ok]) * n_proc + k_proc[ok])
            u_a[:, :, ui] += np.bincount(ak // n_proc, minlength=n_per * n_ag).reshape(n_per, n_ag)

    for pi, p in enumerate(periods):
        if seen_a[pi].any():
            out[(p.code, "province", province_code)] = {
                **dict(zip(names, acc_a[pi].sum(axis=0).tolist(), strict=True)),
                **dict(zip(U_NAMES, u_p[pi].tolist(), strict=True))}
        for ai in (np.flatnonzero(seen_a[pi][1:]) + 1).tolist():
            out[(p.code, "agency", agencies[ai - 1])] = {**dict(zip(names, acc_a[pi, ai].tolist(), strict=True)),
                                                         **dict(zip(U_NAMES, u_a[pi, ai].tolist(), strict=True))}
        for ci in (np.flatnonzero(seen_c[pi][1:]) + 1).tolist():
            out[(p.code, "commune", communes[ci - 1])] = dict(zip(names, acc_c[pi, ci].tolist(), strict=True))
    return out, names


# ------------------------------------------------------------------------------------------------ scoring


@dataclass(slots=True)
class Value:
    numerator: float | None
    denominator: float | None
    ratio: float | None  # fraction (0–1), or the value itself for non-% rules
    applicable: bool = True
    reason: str = ""  # when not applicable: "scope" (the rule does not apply to the scope) or "" (no data)


def _frac(num: Any, den: Any) -> Value:
    n, d = float(num or 0), float(den or 0)
    return Value(n, d, n / d if d else None)


def online_count(profile: Profile | None) -> str:
    """The count rule 3.3 (``received_online``) divides by the receipts: every online dossier, or (profile
    parameter ``require_e_result``) those whose procedure requires no result or that have an electronic one."""
    return "recv_online_kq" if profile is not None and profile.param("require_e_result", False) else "recv_online"


def online_condition(profile: Profile | None) -> str:
    """Rule 3.3's numerator over ``dossier_ctes``'s columns (``online_count``)."""
    if profile is not None and profile.param("require_e_result", False):
        return ONLINE_WITH_RESULT
    return "truc_tuyen = 1"


def rule_value(rule: Rule, scope: str, c: dict[str, Any], pc: dict[str, Any] | None,
               ratio21: float | None, profile: Profile | None = None) -> Value:
    """Numerator, denominator and ratio of one rule for one unit (``c``: dossier counts, ``pc``: procedure
    counts of the unit; ``None`` outside the procedures' scopes)."""
    m = rule.measure
    col = rule.extra_field.column if rule.extra_field else ""
    if rule.procedure_based:
        if scope == "commune":
            return Value(None, None, None, applicable=False, reason="scope")
        pc = pc or {}
        if m == "online_procedures":
            return _frac(pc.get("n_online"), pc.get("n_proc"))
        tag = "any" if scope == "province" else "same"
        if m == "online_procedures_used":
            return _frac(c.get(f"n32_{tag}"), pc.get("n_online"))
        if m == "procedures_with_paid_dossiers":
            return _frac(c.get(f"n35_{tag}"), pc.get("n_fee"))
        if m == "procedures_with_citizen_data":
            if "n_citizen" not in pc:
                return Value(None, None, None, applicable=False)
            return _frac(c.get(f"n45_{tag}"), pc.get("n_citizen"))
        if m in ("procedure_published_on_time", "procedure_public_on_time"):
            key = "p11" if m == "procedure_published_on_time" else "p12"
            if f"{key}_den" not in c:
                return Value(None, None, None, applicable=False)
            return _frac(c.get(f"{key}_num"), c.get(f"{key}_den"))
        prefix = "x" if m == "procedure_flag" else "f"
        if not pc.get(f"{prefix}_{col}_den"):  # no such column, or no procedure in scope carries it: no data
            return Value(None, None, None, applicable=False)
        return _frac(pc.get(f"{prefix}_{col}_num"), pc.get(f"{prefix}_{col}_den"))
    if m == "on_time":
        return _frac(c.get("n21_num"), c.get("n21_den"))
    if m == "average_working_days":
        v = _frac(c.get("n22_sum"), c.get("n22_den"))
        return v
    simple = {"received_online": (online_count(profile), "recv"), "received_digitised": ("recv_sohoa", "recv"),
              "received_reused": ("recv_taisudung", "recv"), "paid_online": ("fee_paid", "fee_recv"),
              "electronic_result": ("n41_num", "n41_den")}
    if m in simple:
        num, den = simple[m]
        return _frac(c.get(num), c.get(den))
    if m == "satisfaction":
        recv = float(c.get("recv") or 0)
        khl = float(c.get("recv_khl") or 0)
        if not recv or ratio21 is None:
            return Value(recv - khl, recv, None)
        return Value(recv - khl, recv, max(0.0, ratio21 - khl / recv))
    if m == "received_flag_all":
        if f"x_{col}_any" not in c:
            return Value(None, None, None, applicable=False)
        return _frac(c.get(f"x_{col}_num"), c.get("recv"))
    if m == "certified_copies":
        if "cc_den" not in c:
            return Value(None, None, None, applicable=False, reason="scope" if c.get("cc_scope") else "")
        return _frac(c.get("cc_num"), c.get("cc_den"))
    if m in ("petition_classification", "petition_on_time", "petition_satisfaction"):
        key = {"petition_classification": "pk_tthc", "petition_on_time": "pk_ontime",
               "petition_satisfaction": "pk_ok"}[m]
        return _frac(c.get(key), c.get("pk_den"))
    if m in ("received_flag", "petition_flag"):
        prefix = "x" if m == "received_flag" else "p"
        if f"{prefix}_{col}_den" not in c:
            return Value(None, None, None, applicable=False)
        v = _frac(c.get(f"{prefix}_{col}_num"), c.get(f"{prefix}_{col}_den"))
        if not v.denominator:  # the field exists but no record in scope carries it: no data, not an empty set
            v.applicable = False
        return v
    raise InvalidInput(f"Cách đếm «{m}» chưa được hỗ trợ.")


def score_rule(rule: Rule, value: Value, profile: Profile | None = None,
               scale: Value | None = None) -> tuple[float | None, float | None]:
    """(ratio as shown, score). A rule that does not apply to the scope scores its maximum when the profile
    says so (``not_applicable: max``); missing data is never scored. ``scale``: the value of the rule named by
    ``rule.scale_by`` for the same unit; when it has a ratio, the score is taken on ratio × that ratio (the ratio
    shown is unchanged); without one (no data, nothing received) the rule is scored on its own ratio."""
    if not value.applicable:
        if value.reason == "scope" and profile is not None and profile.not_applicable_full and rule.scored:
            return None, rule.max_score
        return None, None
    if rule.unit != "%":
        return round2(value.ratio), None
    ratio = None if value.ratio is None else round2(value.ratio * 100)
    if rule.score is None or rule.max_score <= 0:
        return ratio, None
    if value.ratio is None:
        return ratio, rule.empty_score
    factor = scale.ratio if scale is not None and scale.applicable and scale.ratio is not None else 1.0
    return ratio, round2(rule.score.of(value.ratio * factor))


# ------------------------------------------------------------------------------------------------ run


@dataclass
class ComputeResult:
    rows: int = 0
    periods: int = 0
    units: int = 0
    seconds: float = 0.0
    query_seconds: float = 0.0
    batch_id: str | None = None
    computed_at: datetime | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "periods": self.periods, "units": self.units, "seconds": round(self.seconds, 3),
                "batch_id": self.batch_id,
                "computed_at": self.computed_at.isoformat() if self.computed_at else None,
                "timings": {k: round(v, 3) for k, v in self.timings.items()}}


def local_now() -> datetime:
    """Now as naive local time (like the dossiers' timestamps)."""
    return datetime.now(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def publication_counts(warehouse: Warehouse, src: Sources, profile: Profile, periods: Sequence[Period],
                       calendar: WorkingCalendar, as_of: datetime,
                       province_code: str) -> dict[tuple[str, str, str], dict[str, float]]:
    """Rules 1.1 and 1.2 per period, for the province and each agency, from the procedures' publication dates
    (few rows: counted here, not in SQL). 1.1: decision (NgayQuyetDinhCongBo) in the period, on time when it
    is at least ``publish_lead_working_days`` working days before the legal basis takes effect
    (NgayHieuLucCanCu). 1.2: published (NgayCongKhai) in the period, on time within
    ``public_within_working_days`` working days of the decision; plus those due in the period and not published
    by its end (late)."""
    cols = src.procedure_cols
    if "ngay_quyet_dinh_cong_bo" not in cols:
        return {}
    pick = [c if c in cols else f"CAST(NULL AS VARCHAR) AS {c}"
            for c in ("ngay_hieu_luc_can_cu", "ngay_cong_khai")]
    rows = warehouse.query(
        f"SELECT ma_co_quan, ngay_quyet_dinh_cong_bo, {', '.join(pick)} FROM (SELECT *, row_number() OVER "
        f"(PARTITION BY ma_tthc ORDER BY {src.order(cols)}) AS rn_ FROM {PROCEDURES}) AS tv "
        f"WHERE rn_ = 1 AND ngay_quyet_dinh_cong_bo IS NOT NULL").to_pylist()
    if not rows:
        return {}

    def day(v: Any) -> date | None:
        try:
            return date.fromisoformat(str(v)[:10]) if v else None
        except ValueError:
            return None

    items = [(str(r["ma_co_quan"]), day(r["ngay_quyet_dinh_cong_bo"]), day(r["ngay_hieu_luc_can_cu"]),
              day(r["ngay_cong_khai"])) for r in rows]
    items = [i for i in items if i[1] is not None]
    days = [d for i in items for d in i[1:] if d is not None]
    if not days:
        return {}
    lead = int(profile.param("publish_lead_working_days", 5))
    within = int(profile.param("public_within_working_days", 5))
    first, last = min(days) - timedelta(days=40), max(max(days), as_of.date()) + timedelta(days=40)
    cal = calendar.rows(first, last)
    idx = {d: i for d, _w, i in cal}
    working = [d for d, w, _i in cal if w]

    def plus_working(d: date, n: int) -> date:
        k = bisect_right(working, d)
        return working[min(k + n - 1, len(working) - 1)]

    facts = []
    for agency, decided, effective, published in items:
        assert decided is not None
        on11 = float(effective is not None and idx[effective] - idx[decided] >= lead)
        on12 = float(published is not None and idx[published] - idx[decided] <= within)
        facts.append((agency, decided, on11, plus_working(decided, within), published, on12))
    out: dict[tuple[str, str, str], dict[str, float]] = {}
    agencies = {f[0] for f in facts}
    for p in periods:
        start = p.start
        end = min(p.last_day, as_of.date())
        if end < start:
            continue
        accs: dict[str | None, list[float]] = {a: [0.0, 0.0, 0.0, 0.0] for a in (*agencies, None)}
        for agency, decided, on11, due, published, on12 in facts:
            a_acc, p_acc = accs[agency], accs[None]
            if start <= decided <= end:
                a_acc[0] += 1
                a_acc[1] += on11
                p_acc[0] += 1
                p_acc[1] += on11
            if published is not None and start <= published <= end:
                a_acc[2] += 1
                a_acc[3] += on12
                p_acc[2] += 1
                p_acc[3] += on12
            elif start <= due <= end and (published is None or published > end):
                a_acc[2] += 1
                p_acc[2] += 1
        for unit, (d11, n11, d12, n12) in accs.items():
            key = (p.code, "province", province_code) if unit is None else (p.code, "agency", unit)
            out[key] = {"p11_den": d11, "p11_num": n11, "p12_den": d12, "p12_num": n12}
    return out


def drop_empty_extras(warehouse: Warehouse, src: Sources, profile: Profile) -> None:
    """Forget extra columns that exist but hold no value at all: they are "no data" anyway, and each one costs
    the aggregation two sums."""
    for table, cols in ((DOSSIERS, src.dossier_extra(profile)), (PROCEDURES, src.procedure_extra(profile))):
        if not cols:
            continue
        counts = warehouse.query(f"SELECT {', '.join(f'COUNT({c}) AS {c}' for c in cols)} FROM {table}"
                                 ).to_pylist()[0]
        empty = {c for c in cols if not counts[c]}
        if table == DOSSIERS:
            src.dossier_cols -= empty
        else:
            src.procedure_cols -= empty


def _bounds(warehouse: Warehouse) -> tuple[date | None, date | None]:
    row = warehouse.query(
        f"SELECT MIN(ngay_tiep_nhan) AS a, MAX(ngay_tiep_nhan) AS b, MAX(ngay_ket_thuc_xu_ly) AS c, "
        f"MAX(ngay_yeu_cau_bo_sung) AS e FROM {DOSSIERS} WHERE trang_thai_ho_so NOT IN (1, 3)").to_pylist()[0]
    first = row["a"]
    if first is None:
        return None, None
    stamps = [v for v in (row["b"], row["c"], row["e"]) if v is not None]
    last = max(stamps)
    return (first.date() if isinstance(first, datetime) else first,
            last.date() if isinstance(last, datetime) else last)


def write_calendar(warehouse: Warehouse, calendar: WorkingCalendar, first: date, last: date) -> dict[date, int]:
    """Write the working-day table the engine joins; returns its index by date."""
    rows = calendar.rows(first - timedelta(days=1), last + timedelta(days=1))
    table = pa.table({"ngay": pa.array([r[0] for r in rows], pa.date32()),
                      "lam_viec": pa.array([r[1] for r in rows], pa.bool_()),
                      "chi_so": pa.array([r[2] for r in rows], pa.int64())})
    warehouse.replace(CALENDAR, table, "calendar")
    return {r[0]: r[2] for r in rows}


def compute_values(warehouse: Warehouse, *, province_code: str, profile: Profile | None = None,
                   calendar: WorkingCalendar | None = None, until: date | None = None,
                   periods: Sequence[Period] | None = None, computed_at: datetime | None = None,
                   timings: dict[str, float] | None = None, as_of: datetime | None = None,
                   side: dict[tuple[str, str, str], dict[str, Any]] | None = None) -> pa.Table:
    """All result rows (without writing them). ``as_of`` (naive local time; default: now) ends the periods not
    yet over ("tạm tính"); ``side`` adds counts from outside the warehouse (petitions, certified copies) per
    (period, scope, unit)."""
    profile = profile or load_profile()
    calendar = calendar or WorkingCalendar.from_settings(None, profile)
    as_of = as_of or local_now()
    timings = timings if timings is not None else {}
    computed_at = computed_at or utcnow()
    src = Sources(_columns(warehouse, DOSSIERS), _columns(warehouse, PROCEDURES))
    if not src.dossier_cols:
        return RESULT_SCHEMA.empty_table()
    drop_empty_extras(warehouse, src, profile)
    first, last_data = _bounds(warehouse)
    if first is None or last_data is None:
        return RESULT_SCHEMA.empty_table()
    if periods is None:
        last = max(until or as_of.date(), first)
        if until is None:
            last = max(last, last_data)
        periods = periods_between(first, last)
    if not periods:
        return RESULT_SCHEMA.empty_table()
    cal_last = max(last_data, max(p.end for p in periods), as_of.date())
    cal_first = min(first, min(p.start for p in periods))
    started = time.perf_counter()
    day_index = write_calendar(warehouse, calendar, cal_first, cal_last)
    timings["calendar"] = time.perf_counter() - started
    started = time.perf_counter()
    by_unit, names = dossier_counts(warehouse, src, profile, periods, day_index, as_of, province_code)
    timings["dossier_counts"] = time.perf_counter() - started
    started = time.perf_counter()
    proc_counts: dict[str | None, dict[str, Any]] = {}
    if src.procedure_cols:
        psql, _ = procedure_sql(src, profile)
        for r in warehouse.query(psql).to_pylist():
            if r["g_cq"]:
                proc_counts[None] = r
            elif r["ma_co_quan"] is not None:
                proc_counts[str(r["ma_co_quan"])] = r
    timings["procedure_sql"] = time.perf_counter() - started
    started = time.perf_counter()
    for name in names:  # a received-flag rule whose field is sent: a unit without receipts has nothing to count
        if name.startswith("x_") and name.endswith("_any"):
            for c in by_unit.values():
                c.setdefault(name, 0.0)
    timings["merge"] = time.perf_counter() - started
    started = time.perf_counter()
    for key, extra in publication_counts(warehouse, src, profile, periods, calendar, as_of, province_code).items():
        by_unit.setdefault(key, {}).update(extra)
    codes = {p.code for p in periods}
    for key, extra in (side or {}).items():
        # PAKN, certified copies: the province always; an agency or commune only in the periods it already has
        if key[0] in codes and (key[1] == "province" or key in by_unit):
            by_unit.setdefault(key, {}).update(extra)
    timings["publication"] = time.perf_counter() - started
    started = time.perf_counter()
    # Agencies with procedures but no dossier in a period still have their procedure rules.
    for p in periods:
        if (p.code, "province", province_code) not in by_unit and proc_counts:
            by_unit[(p.code, "province", province_code)] = {}
        for agency in proc_counts:
            if agency is not None and (p.code, "agency", agency) not in by_unit:
                by_unit[(p.code, "agency", agency)] = {}
    kinds: dict[str, str] = {p.code: p.kind for p in periods}
    out = build_rows(profile, by_unit, proc_counts, kinds, computed_at)
    timings["scoring"] = time.perf_counter() - started
    return out


def _round2_array(values: np.ndarray) -> np.ndarray:
    """``round2`` over an array (NaN stays NaN): half up to 2 decimals, as the scalar one."""
    out = np.floor(values * 100 + 0.5 + 1e-9) / 100
    negative = values < 0
    if negative.any():  # not reached by counts; the scalar (Decimal) rule for any negative value
        out[negative] = [round2(float(v)) for v in values[negative]]
    return out


@dataclass
class _Vec:
    """One rule's values over every unit: numerator, denominator, ratio (NaN: none), where the rule applies,
    and where it does not apply because of the scope."""

    num: np.ndarray
    den: np.ndarray
    ratio: np.ndarray
    applicable: np.ndarray
    scope_na: np.ndarray


def _vec_frac(num: np.ndarray, den: np.ndarray) -> _Vec:
    n, d = np.nan_to_num(num), np.nan_to_num(den)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d != 0, n / np.where(d != 0, d, 1.0), np.nan)
    size = len(n)
    return _Vec(n, d, ratio, np.ones(size, bool), np.zeros(size, bool))


def rule_values(profile: Profile, scopes: np.ndarray, counts: list[dict[str, Any]],
                procs: list[dict[str, Any] | None]) -> dict[str, _Vec]:
    """``rule_value`` for every rule over every unit at once (the same rules, as arrays)."""
    size = len(counts)
    cache: dict[tuple[str, str], np.ndarray] = {}

    def col(name: str, source: str = "c") -> np.ndarray:
        """The count ``name`` of every unit (NaN where the unit has none)."""
        key = (source, name)
        if key not in cache:
            rows: Sequence[dict[str, Any] | None] = counts if source == "c" else procs
            cache[key] = np.array([np.nan if r is None or r.get(name) is None else float(r[name]) for r in rows],
                                  dtype=float)
        return cache[key]

    def has(name: str, source: str = "c") -> np.ndarray:
        rows: Sequence[dict[str, Any] | None] = counts if source == "c" else procs
        return np.array([r is not None and name in r for r in rows], dtype=bool)

    province = scopes == "province"
    commune = scopes == "commune"

    def tagged(name: str) -> np.ndarray:
        return np.where(province, col(f"{name}_any"), col(f"{name}_same"))

    def na(v: _Vec, where: np.ndarray, scope: bool = False) -> _Vec:
        v.applicable = v.applicable & ~where
        if scope:
            v.scope_na = v.scope_na | where
        return v

    out: dict[str, _Vec] = {}
    on_time = next((r for r in profile.rules if r.measure == "on_time"), None)
    ratio21 = _vec_frac(col("n21_num"), col("n21_den")).ratio if on_time is not None else np.full(size, np.nan)
    simple = {"received_online": (online_count(profile), "recv"), "received_digitised": ("recv_sohoa", "recv"),
              "received_reused": ("recv_taisudung", "recv"), "paid_online": ("fee_paid", "fee_recv"),
              "electronic_result": ("n41_num", "n41_den"), "on_time": ("n21_num", "n21_den"),
              "average_working_days": ("n22_sum", "n22_den")}
    for rule in profile.rules:
        m = rule.measure
        c = rule.extra_field.column if rule.extra_field else ""
        if rule.procedure_based:
            if m == "online_procedures":
                v = _vec_frac(col("n_online", "p"), col("n_proc", "p"))
            elif m == "online_procedures_used":
                v = _vec_frac(tagged("n32"), col("n_online", "p"))
            elif m == "procedures_with_paid_dossiers":
                v = _vec_frac(tagged("n35"), col("n_fee", "p"))
            elif m == "procedures_with_citizen_data":
                v = na(_vec_frac(tagged("n45"), col("n_citizen", "p")), ~has("n_citizen", "p"))
            elif m in ("procedure_published_on_time", "procedure_public_on_time"):
                key = "p11" if m == "procedure_published_on_time" else "p12"
                v = na(_vec_frac(col(f"{key}_num"), col(f"{key}_den")), ~has(f"{key}_den"))
            else:
                prefix = "x" if m == "procedure_flag" else "f"
                den = col(f"{prefix}_{c}_den", "p")
                v = na(_vec_frac(col(f"{prefix}_{c}_num", "p"), den), np.nan_to_num(den) == 0)
            v = na(v, commune, scope=True)
        elif m in simple:
            v = _vec_frac(col(simple[m][0]), col(simple[m][1]))
        elif m == "satisfaction":
            recv, khl = np.nan_to_num(col("recv")), np.nan_to_num(col("recv_khl"))
            scored = (recv != 0) & ~np.isnan(ratio21)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(scored, np.maximum(0.0, ratio21 - khl / np.where(recv != 0, recv, 1.0)), np.nan)
            v = _Vec(recv - khl, recv, ratio, np.ones(size, bool), np.zeros(size, bool))
        elif m == "received_flag_all":
            v = na(_vec_frac(col(f"x_{c}_num"), col("recv")), ~has(f"x_{c}_any"))
        elif m == "certified_copies":
            missing = ~has("cc_den")
            in_scope = np.nan_to_num(col("cc_scope")) != 0
            v = _vec_frac(col("cc_num"), col("cc_den"))
            v = na(na(v, missing & in_scope, scope=True), missing)
        elif m in ("petition_classification", "petition_on_time", "petition_satisfaction"):
            key = {"petition_classification": "pk_tthc", "petition_on_time": "pk_ontime",
                   "petition_satisfaction": "pk_ok"}[m]
            v = _vec_frac(col(key), col("pk_den"))
        elif m in ("received_flag", "petition_flag"):
            prefix = "x" if m == "received_flag" else "p"
            v = _vec_frac(col(f"{prefix}_{c}_num"), col(f"{prefix}_{c}_den"))
            v = na(v, ~has(f"{prefix}_{c}_den") | (v.den == 0))
        else:
            raise InvalidInput(f"Cách đếm «{m}» chưa được hỗ trợ.")
        out[rule.code] = v
    return out


def score_rules(profile: Profile, values: dict[str, _Vec]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``score_rule`` over every unit: per rule (ratio shown, score), NaN for none."""
    out = {}
    for rule in profile.rules:
        v = values[rule.code]
        size = len(v.ratio)
        full = np.full(size, np.nan)
        score = full.copy()
        if rule.unit != "%":
            ratio = np.where(v.applicable, _round2_array(v.ratio), np.nan)
        else:
            ratio = np.where(v.applicable, _round2_array(v.ratio * 100), np.nan)
        if rule.unit == "%" and rule.score is not None and rule.max_score > 0:
            empty = np.nan if rule.empty_score is None else float(rule.empty_score)
            factor = np.ones(size)
            if rule.scale_by:
                scale = values[rule.scale_by]
                factor = np.where(scale.applicable & ~np.isnan(scale.ratio), scale.ratio, 1.0)
            curve = rule.score
            with np.errstate(invalid="ignore"):
                raw = np.minimum(curve.cap, curve.factor * (v.ratio * factor) / curve.target)
            score = np.where(np.isnan(v.ratio), empty, _round2_array(raw))
            score = np.where(v.applicable, score, np.nan)
        if profile.not_applicable_full and rule.scored:
            score = np.where(~v.applicable & v.scope_na, float(rule.max_score), score)
        out[rule.code] = (ratio, score)
    return out


def _column(values: np.ndarray, kind: pa.DataType) -> pa.Array:
    return pa.array(values, type=kind, mask=np.isnan(values))


def build_rows(profile: Profile, by_unit: dict[tuple[str, str, str], dict[str, Any]],
               proc_counts: dict[str | None, dict[str, Any]], kinds: dict[str, str],
               computed_at: datetime) -> pa.Table:
    """The result table: per unit, one block of rows (every rule, then each group, then the total), scored with
    numpy over all units at once (``rule_values``, ``score_rules``: the same rules as ``rule_value`` and
    ``score_rule``)."""
    rules_ = profile.rules
    groups_ = profile.groups
    block = len(rules_) + len(groups_) + 1
    keys = sorted(by_unit)
    n = len(keys)
    if not n:
        return RESULT_SCHEMA.empty_table()
    b_code = [r.code for r in rules_] + [f"nhom_{g.code}" for g in groups_] + ["tong"]
    b_kind = ["indicator"] * len(rules_) + ["group"] * len(groups_) + ["total"]
    b_group: list[str | None] = [r.group for r in rules_] + [g.code for g in groups_] + [None]
    b_max = [r.max_score for r in rules_] + [g.max_score for g in groups_] + [profile.total_max]
    scopes = np.array([k[1] for k in keys])
    counts = [by_unit[k] for k in keys]
    procs = [None if k[1] == "commune" else (proc_counts.get(None if k[1] == "province" else k[2]) or {})
             for k in keys]
    values = rule_values(profile, scopes, counts, procs)
    scored = score_rules(profile, values)
    num = np.full((n, block), np.nan)
    den = np.full((n, block), np.nan)
    ratios = np.full((n, block), np.nan)
    scores = np.full((n, block), np.nan)
    covered = np.zeros((n, block))
    g_score = np.zeros((n, len(groups_)))
    g_cov = np.zeros((n, len(groups_)))
    group_index = {g.code: i for i, g in enumerate(groups_)}
    for j, rule in enumerate(rules_):
        v = values[rule.code]
        ratio, score = scored[rule.code]
        num[:, j] = np.where(v.applicable, v.num, np.nan)
        den[:, j] = np.where(v.applicable, v.den, np.nan)
        ratios[:, j] = ratio
        scores[:, j] = score
        has_score = ~np.isnan(score)
        covered[:, j] = np.where(has_score, rule.max_score, 0.0)
        gi = group_index[rule.group]
        g_score[:, gi] = g_score[:, gi] + np.where(has_score, score, 0.0)
        g_cov[:, gi] = g_cov[:, gi] + np.where(has_score, rule.max_score, 0.0)
    base = len(rules_)
    for gi in range(len(groups_)):
        scores[:, base + gi] = np.where(g_cov[:, gi] != 0, _round2_array(g_score[:, gi]), np.nan)
        covered[:, base + gi] = _round2_array(g_cov[:, gi])
    total = np.zeros(n)
    total_cov = np.zeros(n)
    for gi in range(len(groups_)):
        total = total + g_score[:, gi]
        total_cov = total_cov + g_cov[:, gi]
    scores[:, block - 1] = np.where(total_cov != 0, _round2_array(total), np.nan)
    covered[:, block - 1] = _round2_array(total_cov)

    per_unit = pa.array(np.repeat(np.arange(n), block))  # row → its unit (a block of rows each)
    per_row = pa.array(np.tile(np.arange(block), n))  # row → its place in the block

    def unit_col(values_: list[Any], kind: pa.DataType) -> pa.Array:
        return pa.array(values_, type=kind).take(per_unit)

    def row_col(values_: list[Any], kind: pa.DataType) -> pa.Array:
        return pa.array(values_, type=kind).take(per_row)

    f64, text = pa.float64(), pa.string()
    data = {
        "period": unit_col([k[0] for k in keys], text), "period_type": unit_col([kinds[k[0]] for k in keys], text),
        "scope": unit_col([k[1] for k in keys], text), "unit_code": unit_col([k[2] for k in keys], text),
        "indicator_code": row_col(b_code, text), "kind": row_col(b_kind, text), "group_code": row_col(b_group, text),
        "numerator": _column(num.ravel(), f64), "denominator": _column(den.ravel(), f64),
        "ratio": _column(ratios.ravel(), f64), "score": _column(scores.ravel(), f64),
        "max_score": row_col(b_max, f64), "covered_points": _column(covered.ravel(), f64),
        "profile": pa.repeat(pa.scalar(profile.code, text), n * block),
        "computed_at": pa.repeat(pa.scalar(computed_at, RESULT_SCHEMA.field("computed_at").type), n * block),
    }
    return pa.table([data[name] for name in RESULT_SCHEMA.names], schema=RESULT_SCHEMA)


# ------------------------------------------------------------------------------------------------ storage


def ensure_result_dataset(session: Session) -> Any:
    from dieuhanh.catalog import service as catalog_service
    from dieuhanh.catalog.models import Dataset
    from dieuhanh.catalog.schemas import ColumnIn, DatasetIn

    ds = session.scalar(select(Dataset).where(Dataset.name == RESULTS))
    if ds is not None:
        return ds
    return catalog_service.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
        name=RESULTS, title="Chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg) theo kỳ, cơ quan, xã",
        description=("Kết quả tính Bộ chỉ số QĐ 766/QĐ-TTg từ hồ sơ TTHC (tthc_ho_so) và thủ tục (tthc_thu_tuc): "
                     "mỗi kỳ (tháng, quý, năm) × phạm vi (tỉnh, cơ quan, xã) × chỉ tiêu, nhóm và tổng điểm. "
                     "Tính lại toàn bộ khi có hồ sơ mới."),
        owner_agency=RESULT_OWNER, access="internal", update_frequency="realtime", license_id="internal",
        tags=["hệ thống", "dich-vu-cong", "qd-766", "tthc"],
        schema=[ColumnIn(name=n, type=t, description=desc) for n, t, desc in RESULT_COLUMNS],
    ))


def store(session: Session, warehouse: Warehouse, table: pa.Table, *, principal: Principal) -> str:
    """Replace the result dataset with ``table`` as one batch, recorded in the catalog. The replacement follows
    the session's transaction (``core/warehouse_tx.py``): the previous results come back if it does not commit."""
    from dieuhanh.catalog.models import Dataset, LoadBatch

    ds = ensure_result_dataset(session)
    batch_id = str(uuid.uuid4())
    bound = TransactionalWarehouse(session, warehouse)
    rows = bound.replace(RESULTS, table, batch_id)
    try:
        now = utcnow()
        for old in session.scalars(select(LoadBatch).where(LoadBatch.dataset_id == ds.id,
                                                           LoadBatch.status == "loaded")):
            old.status = "superseded"
        session.execute(update(Dataset).where(Dataset.id == ds.id).values(row_count=rows, last_batch_at=now))
        session.expire(ds, ["row_count", "last_batch_at"])
        session.add(LoadBatch(id=batch_id, dataset_id=ds.id, status="loaded", mode="replace", source="system",
                              rows=rows, schema_version=ds.schema_version, created_by=principal.actor,
                              created_at=now))
        session.flush()
    except BaseException:
        bound.undo(RESULTS, batch_id)
        raise
    return batch_id


INDICATOR_CODES = ("dvc_766_tong_diem", "dvc_766_tong_diem_quy", "dvc_766_tong_diem_nam", "dvc_766_ty_le_diem",
                   "dvc_ty_le_dung_han",
                   "dvc_ty_le_truc_tuyen", "dvc_ty_le_thanh_toan_truc_tuyen", "dvc_ty_le_so_hoa")


def recompute(session: Session, warehouse: Warehouse, *, province_code: str, settings: Any = None,
              principal: Principal = SYSTEM, until: date | None = None, profile: Profile | None = None,
              trigger: str = "manual", indicators: bool = True, as_of: datetime | None = None) -> ComputeResult:
    """Full recomputation: every period × scope × unit, stored as one batch of ``tthc_chi_so_766``; then the
    indicator set's values that read it are recomputed (so alerts and boards follow). ``as_of`` (naive local
    time, default now): the instant the current periods are computed up to ("tạm tính")."""
    from dieuhanh.core.meta import set_meta
    from dieuhanh.publicservices.records import side_counts

    authorize(principal, "indicator.compute")
    started = time.perf_counter()
    result = ComputeResult(computed_at=utcnow())
    profile = profile or profile_by_code(getattr(settings, "publicservices_profile", None))
    calendar = WorkingCalendar.from_settings(settings, profile)
    as_of = as_of or local_now()
    bounds = _bounds(warehouse) if warehouse.table_exists(DOSSIERS) else (None, None)
    side = None
    if bounds[0] is not None:
        last = max(until, bounds[0]) if until else max(as_of.date(), bounds[1] or as_of.date())
        side = side_counts(session, periods=periods_between(bounds[0], last), province_code=province_code,
                           as_of=as_of, profile=profile, calendar=calendar)
    result.timings["side"] = time.perf_counter() - started
    table = compute_values(warehouse, province_code=province_code, profile=profile, calendar=calendar, until=until,
                           computed_at=result.computed_at, timings=result.timings, as_of=as_of, side=side)
    t0 = time.perf_counter()
    result.batch_id = store(session, warehouse, table, principal=principal)
    result.timings["store"] = time.perf_counter() - t0
    result.rows = table.num_rows
    if table.num_rows:
        result.periods = len(set(table.column("period").to_pylist()))
        import pyarrow.compute as pc

        result.units = pc.count_distinct(pc.binary_join_element_wise(
            table.column("scope"), table.column("unit_code"), "|")).as_py()
    set_meta(session, META_COMPUTED_AT, result.computed_at.isoformat() if result.computed_at else "")
    set_meta(session, META_AS_OF, as_of.isoformat())
    result.seconds = time.perf_counter() - started
    audit.record(session, actor=principal.actor, action="publicservices.recompute", entity_type="dataset",
                 entity_id=RESULTS, after={"rows": result.rows, "periods": result.periods, "trigger": trigger,
                                           "batch_id": result.batch_id, "seconds": round(result.seconds, 3)})
    if indicators:
        t0 = time.perf_counter()
        refresh_indicators(session, warehouse, province_code=province_code)
        result.timings["indicators"] = time.perf_counter() - t0
    return result


def refresh_indicators(session: Session, warehouse: Warehouse, *, province_code: str,
                       codes: Iterable[str] = INDICATOR_CODES) -> None:
    from dieuhanh.indicators import service as indicators_service
    from dieuhanh.indicators.models import IndicatorDefinition

    present = list(session.scalars(select(IndicatorDefinition.code).where(
        IndicatorDefinition.code.in_(list(codes)))))
    if present:
        indicators_service.compute(session, warehouse, codes=present, province_code=province_code,
                                   trigger="batch")


# ------------------------------------------------------------------------------------------------ reading


def check_unit(session: Session, *, scope: str, unit: str | None, province_code: str) -> str:
    """Validate scope and unit; returns the unit code (the province's code for the province scope)."""
    from dieuhanh.geo import reference
    from dieuhanh.orgs.models import Agency

    if scope not in SCOPES:
        raise InvalidInput("Phạm vi (scope) phải là province, agency hoặc commune.")
    unit = (unit or "").strip()
    if scope == "province":
        if unit and unit != province_code:
            raise InvalidInput(f"Phạm vi tỉnh có mã đơn vị {province_code} (hoặc để trống).")
        return province_code
    if not unit:
        raise InvalidInput("Cần mã đơn vị (unit): mã cơ quan với phạm vi agency, mã xã với phạm vi commune.")
    if scope == "agency":
        if session.get(Agency, unit) is None:
            raise InvalidInput(f"Không có cơ quan mã «{unit}».")
    elif unit not in {u.code for u in reference.communes_of(province_code)}:
        raise InvalidInput(f"Mã xã «{unit}» không thuộc tỉnh {province_code}.")
    return unit


def officer_commune(session: Session, principal: Principal) -> str | None:
    from dieuhanh.orgs.models import Agency

    if not principal.agency_code:
        return None
    return session.scalar(select(Agency.unit_code).where(Agency.code == principal.agency_code))


def check_scores_access(session: Session, principal: Principal, *, scope: str, unit: str) -> None:
    """Province scores are published (anyone); agency and commune scores are for officials: leaders, analysts
    and admins see every unit, an officer their own agency (and, for a commune People's Committee, its
    commune)."""
    from dieuhanh.core.errors import PermissionDenied

    if scope == "province":
        return
    if principal.has_scope("publicservices") and principal.agency_code and scope == "agency" \
            and unit == principal.agency_code:
        return  # an agency's one-stop-shop token reads its own agency's scores
    authorize(principal, "publicservices.read")
    if principal.can_read_all() or principal.kind == "system":
        return
    if principal.has_role("officer") or principal.kind == "token":
        own = principal.agency_code
        if scope == "agency" and own and unit == own:
            return
        if scope == "commune" and own and unit == officer_commune(session, principal):
            return
        raise PermissionDenied("Cán bộ cơ quan chỉ xem được chỉ số của cơ quan mình.")


def stored_profile(warehouse: Warehouse) -> Profile:
    """The profile the stored results were computed with (the default before any computation)."""
    if warehouse.table_exists(RESULTS):
        found = warehouse.query(f"SELECT profile FROM {RESULTS} LIMIT 1").column(0).to_pylist()
        if found and found[0]:
            try:
                return profile_by_code(str(found[0]))
            except InvalidInput:
                pass
    return load_profile()


def as_of_of(session: Session) -> datetime | None:
    """The local instant the stored results' current periods were computed up to."""
    from dieuhanh.core.meta import get_meta

    raw = get_meta(session, META_AS_OF)
    try:
        return datetime.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def partial_info(session: Session, period: Period) -> tuple[bool, datetime | None]:
    """(partial, as_of): whether the stored figures of ``period`` are computed up to an instant before its end."""
    as_of = as_of_of(session)
    if as_of is None:
        as_of = local_now()
    return (True, as_of) if is_partial(period, as_of) else (False, None)


def partial_label(as_of: datetime) -> str:
    return f"tạm tính đến {as_of:%H:%M} {as_of:%d/%m/%Y}"


def read_scores(session: Session, warehouse: Warehouse, *, principal: Principal, period: str, scope: str,
                unit: str | None, province_code: str, profile: Profile | None = None) -> dict[str, Any]:
    """The scores of one unit for one period, as ``GET /api/v1/publicservices/indicators`` returns them."""
    from dieuhanh.core.meta import get_meta

    profile = profile or stored_profile(warehouse)
    p = parse_period(period)
    if scope not in SCOPES:
        raise InvalidInput("Phạm vi (scope) phải là province, agency hoặc commune.")
    unit_code = check_unit(session, scope=scope, unit=unit, province_code=province_code)
    check_scores_access(session, principal, scope=scope, unit=unit_code)
    partial, as_of = partial_info(session, p)
    rows: dict[str, dict[str, Any]] = {}
    if warehouse.table_exists(RESULTS):
        for r in warehouse.query(
                f"SELECT indicator_code, numerator, denominator, ratio, score, max_score, covered_points "
                f"FROM {RESULTS} WHERE period = ? AND scope = ? AND unit_code = ?", [p.code, scope, unit_code]
        ).to_pylist():
            rows[str(r["indicator_code"])] = r

    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    indicators = []
    for rule in profile.rules:
        r = rows.get(rule.code, {})
        indicators.append({
            "code": rule.code, "name": rule.name, "numerator": num(r.get("numerator")),
            "denominator": num(r.get("denominator")), "ratio": num(r.get("ratio")), "score": num(r.get("score")),
            "max_score": rule.max_score, "group": rule.group, "unit": rule.unit,
            "status": rule_status(r, bool(rows)),
            "rule": rule.rule_text, "source": rule.source, "choice": rule.choice or None,
            "partial": partial, "as_of": as_of.isoformat() if as_of else None,
        })
    groups = []
    for g in profile.groups:
        r = rows.get(f"nhom_{g.code}", {})
        groups.append({"code": g.code, "name": g.name, "score": num(r.get("score")), "max_score": g.max_score,
                       "covered_points": num(r.get("covered_points")) or 0.0})
    total = rows.get("tong", {})
    listable = {rule.code for rule in profile.rules if rule.measure not in NO_LIST_MEASURES}
    top = []
    for gain in gains(indicators):
        link = None
        if gain["code"] in listable:
            link = (f"/api/v1/publicservices/dossiers?indicator={gain['code']}&period={p.code}&scope={scope}"
                    f"&unit={unit_code}&late=true")
        top.append({"code": gain["code"], "name": gain["name"], "score": gain["score"],
                    "max_score": gain["max_score"], "missing": gain["missing"], "dossiers": link})
    return {
        "period": p.code, "scope": scope, "unit": unit_code, "profile": profile.code, "gains": top,
        "total_score": num(total.get("score")), "groups": groups, "indicators": indicators,
        "max_score": profile.total_max, "covered_points": num(total.get("covered_points")) or 0.0,
        "computed_at": get_meta(session, META_COMPUTED_AT) or None, "profile_name": profile.name,
        "partial": partial, "as_of": as_of.isoformat() if as_of else None,
        "as_of_text": partial_label(as_of) if as_of else None,
    }


def gains(indicators: Sequence[dict[str, Any]], limit: int = 5) -> list[dict[str, Any]]:
    """What would raise a unit's score most: the scored indicators with the most points missing (maximum −
    score, at least 0,01), largest first, each with ``missing``. Indicators without data are not listed."""
    missing = [(float(i["max_score"]) - float(i["score"]), i) for i in indicators
               if i.get("score") is not None and i.get("max_score")
               and float(i["max_score"]) - float(i["score"]) >= 0.01]
    missing.sort(key=lambda x: (-x[0], x[1]["code"]))
    return [{**i, "missing": round2(m)} for m, i in missing[:limit]]


def rule_status(r: dict[str, Any], computed: bool) -> str:
    """ok | không phát sinh (nothing to count: the profile's empty rule) | không áp dụng (scored in full) |
    chưa có dữ liệu."""
    if r.get("ratio") is not None:
        return "ok"
    if r.get("score") is not None:
        return "không phát sinh" if r.get("denominator") is not None else "không áp dụng"
    if r.get("denominator") is not None and computed:
        return "mẫu số bằng 0"
    return NO_DATA


# Measures that count procedures, PAKN or communes: no list of dossiers behind them.
NO_LIST_MEASURES = {"online_procedures", "online_procedures_used", "procedure_flag", "fee_procedure_flag",
                    "procedure_published_on_time", "procedure_public_on_time", "procedures_with_paid_dossiers",
                    "procedures_with_citizen_data", "certified_copies", "petition_classification",
                    "petition_on_time", "petition_satisfaction"}
# What each measure lists as "the dossiers behind the number": (denominator condition, numerator condition).
_LISTS: dict[str, tuple[str, str | None]] = {
    "on_time": ("1 = 1", "dung_han = 1"),
    "average_working_days": ("xong_trong_ky = 1", None),
    "received_online": ("tiep_nhan_trong_ky = 1", "truc_tuyen = 1"),
    "received_digitised": ("tiep_nhan_trong_ky = 1", "so_hoa = 1"),
    "received_reused": ("tiep_nhan_trong_ky = 1", "tai_su_dung = 1"),
    "paid_online": ("tiep_nhan_trong_ky = 1 AND co_phi = 1", "tt_truc_tuyen = 1"),
    "electronic_result": ("xong_trong_ky = 1 AND can_kq = 1", "kq_dien_tu = 1"),
    "satisfaction": ("tiep_nhan_trong_ky = 1", "khong_hai_long = 0"),
}
LIST_FIELDS = ("ma_ho_so", "ma_tthc", "ten_tthc", "ma_co_quan", "ma_xa", "kenh_thuc_hien", "trang_thai_ho_so",
               "ngay_tiep_nhan", "ngay_hen_tra", "ngay_ket_thuc_xu_ly", "ngay_yeu_cau_bo_sung",
               "so_lan_yeu_cau_bo_sung", "phan_anh", "khong_hai_long")


def list_dossiers(session: Session, warehouse: Warehouse, *, principal: Principal, period: str, scope: str,
                  unit: str | None, province_code: str, indicator: str | None = None, late: bool = False,
                  page: int = 1, page_size: int = 50, profile: Profile | None = None) -> dict[str, Any]:
    """The dossiers behind a rule's number for one period and unit: its denominator set, each flagged whether it
    is in the numerator (``in_numerator``; ``late`` = not in it), those outside the numerator first.

    Officials only; an officer sees only their own agency's dossiers (whatever the scope). Personal fields only
    for officials of the dossier's agency."""
    from dieuhanh.publicservices.models import Dossier

    profile = profile or stored_profile(warehouse)
    p = parse_period(period)
    if page < 1 or not 1 <= page_size <= 500:
        raise InvalidInput("page phải từ 1, page_size từ 1 đến 500.")
    unit_code = check_unit(session, scope=scope, unit=unit, province_code=province_code)
    own_only = not (principal.can_read_all() or principal.kind == "system")
    authorize(principal, "publicservices.dossiers", principal.agency_code if own_only else None)
    rule = profile.rule(indicator or "2.1")
    num: str | None
    if rule.measure == "received_online":
        den, num = "tiep_nhan_trong_ky = 1", online_condition(profile)
    elif rule.measure in _LISTS:
        den, num = _LISTS[rule.measure]
    elif rule.measure == "received_flag_all" and rule.extra_field is not None:
        den, num = "tiep_nhan_trong_ky = 1", f"f_{rule.extra_field.column} = 1"
    elif rule.measure in ("received_flag", "petition_flag") and rule.extra_field is not None:
        col = rule.extra_field.column
        den = f"tiep_nhan_trong_ky = 1 AND co_{col} = 1" + (" AND phan_anh = 1" if rule.measure == "petition_flag"
                                                            else "")
        num = f"f_{col} = 1"
    else:
        raise InvalidInput(f"Chỉ tiêu {rule.code} đếm thủ tục, không đếm hồ sơ: không có danh sách hồ sơ.")
    empty: dict[str, Any] = {"period": p.code, "scope": scope, "unit": unit_code, "indicator": rule.code,
                             "rule_text": rule.rule_text, "total": 0, "late_count": 0, "page": page,
                             "page_size": page_size, "items": [], "partial": False, "as_of": None}
    src = Sources(_columns(warehouse, DOSSIERS), _columns(warehouse, PROCEDURES))
    if not src.dossier_cols or not warehouse.table_exists(CALENDAR):
        return empty
    if rule.extra_field is not None and rule.extra_field.column not in src.dossier_cols:
        return empty
    where, params = [], []
    if scope == "agency":
        where.append("ma_co_quan = ?")
        params.append(unit_code)
    elif scope == "commune":
        where.append("ma_don_vi_hanh_chinh = ?")
        params.append(unit_code)
    if own_only:
        where.append("ma_co_quan = ?")
        params.append(principal.agency_code or "")
    partial, as_of = partial_info(session, p)
    last_day = as_of.date() if partial and as_of is not None else p.last_day
    idx = warehouse.query(f"SELECT chi_so FROM {CALENDAR} WHERE ngay = ?", [last_day]).column(0).to_pylist()
    if not idx:
        return empty
    empty.update(partial=partial, as_of=as_of.isoformat() if as_of else None)
    periods_sql = _periods_sql([p], {last_day: int(idx[0])}, as_of if partial else None)
    in_num = _when(num) if num else "CAST(NULL AS INTEGER)"
    ctes = dossier_ctes(src, profile, periods_sql, where=" AND ".join(where))
    base = f"{ctes}, z AS (SELECT x.*, {in_num} AS in_numerator FROM x WHERE {den})"
    late_filter = " WHERE in_numerator = 0" if late else ""
    counts = warehouse.query(
        f"{base} SELECT COUNT(*) AS total, SUM(CASE WHEN in_numerator = 0 THEN 1 ELSE 0 END) AS late_count FROM z",
        params).to_pylist()[0]
    fields = ", ".join(LIST_FIELDS)
    rows = warehouse.query(
        f"{base} SELECT {fields}, in_numerator, ngay_lam_viec FROM z{late_filter} "
        f"ORDER BY COALESCE(in_numerator, 1), ngay_hen_tra NULLS LAST, ngay_tiep_nhan, ma_ho_so "
        f"LIMIT {int(page_size)} OFFSET {int((page - 1) * page_size)}", params).to_pylist()
    personal: dict[str, Any] = {}
    mine = [r["ma_ho_so"] for r in rows if principal.has_role("officer") and r["ma_co_quan"] == principal.agency_code]
    if mine:
        personal = dict(session.execute(select(Dossier.ma_ho_so, Dossier.personal)
                                        .where(Dossier.ma_ho_so.in_(mine))).all())
    items = []
    for r in rows:
        item = {k: r[k] for k in LIST_FIELDS if k not in ("ma_xa", "phan_anh", "khong_hai_long")}
        item["ma_don_vi_hanh_chinh"] = r["ma_xa"]
        item["co_phan_anh"] = r["phan_anh"]
        item["khong_hai_long"] = r["khong_hai_long"]
        for k in ("ngay_tiep_nhan", "ngay_hen_tra", "ngay_ket_thuc_xu_ly", "ngay_yeu_cau_bo_sung"):
            item[k] = item[k].isoformat() if item[k] is not None else None
        item["in_numerator"] = None if r["in_numerator"] is None else bool(r["in_numerator"])
        item["late"] = item["in_numerator"] is False
        item["ngay_lam_viec"] = r["ngay_lam_viec"]
        if r["ma_ho_so"] in personal:
            item["personal"] = personal[r["ma_ho_so"]] or {}
        items.append(item)
    total = int(counts["total"] or 0)
    late_count = int(counts["late_count"] or 0) if num else None
    return {**empty, "total": late_count if late and late_count is not None else total, "late_count": late_count,
            "items": items}
