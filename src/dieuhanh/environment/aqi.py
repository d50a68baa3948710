"""VN_AQI exactly as Decision 1459/QĐ-TCMT (12/11/2019) computes it, and the QCVN 05:2023/BTNMT limits.

Pure functions, no database. Two paths compute the same numbers:

* the scalar functions (:func:`nowcast`, :func:`sub_index`, :func:`hourly_aqi`, :func:`daily_aqi`) read like the
  decision and are what the unit tests check against its worked examples (section 2.3);
* :func:`hourly_grid` / :func:`daily_grid` do the same on numpy arrays of a station's hourly series (one row per
  hour, NaN where a reading is missing) — what the service, the demo and ``bench/aqi.py`` use for years of data.
  Tests check the two agree.

Conventions (where the decision is silent or its own figures differ, we say what we do):

* Concentrations are µg/m³ (CO too: the decision's Bảng 2 gives CO in µg/m³; readings in mg/m³ are ×1.000).
* A reading's time is the **end** of its averaging hour (the 20:00 value averages 19:00–20:00). A day's 24 hourly
  values are those ending 01:00 … 24:00 (= 00:00 of the next day), QĐ 1459 mục 2.2.2.a.
* NowCast (mục 2.2.1.a): w* = Cmin/Cmax over the 12 hours present; w = max(w*, 1/2); NowCast = Σ w^(i-1)·c_i /
  Σ w^(i-1) with w^(i-1) = 0 for a missing c_i; at least 2 of c1, c2, c3 must be present. For w = 1/2 the decision
  writes Σ (1/2)^i·c_i without dividing, which equals the weighted mean × (1 − 2^-12) for 12 complete hours
  (0,024 % lower) and is wrong when hours are missing; we use the weighted mean for both cases, as the note
  "w^(i-1) = 0 when c_i is missing" implies. w is not rounded (the worked example prints w = 0,61 but its
  NowCast 20,3 is the same either way).
* AQI_x = (I_{i+1} − I_i)/(BP_{i+1} − BP_i)·(C_x − BP_i) + I_i (Công thức 1 and 2); at or above the last
  breakpoint (e.g. PM2.5 ≥ 500) the sub-index is 500.
* Rounding: every AQI (sub-index and overall) is rounded half up to an integer after computing it from the
  unrounded concentration (or NowCast): 109,5 → 110 as in the daily example. The hourly worked example prints
  AQI(NO2) = 60 for 118,7 µg/m³, which computes to 59,35; no single rule (half up, ceiling) gives every printed
  figure (ceiling would give 66 instead of the printed 65 in the daily example), so we keep half up and the test
  documents this one difference (the example's overall AQI^h, 60, is unaffected only if NO2 is 60 — ours is 59).
* Daily values (mục 2.2.2): PM 24-hour mean; SO2, NO2, CO maximum 1-hour value; O3 the larger of the AQI of the
  maximum 1-hour value (O3 1h table) and of the maximum 8-hour mean (O3 8h table), where the 8-hour means are the
  24 rolling means ending at each hour of the day; when the maximum 8-hour mean exceeds 400 µg/m³ only the 1-hour
  value counts. The decision sets no completeness rule; we require 18 of a day's 24 hours for a daily value and
  6 of 8 hours for an 8-hour mean (``MIN_HOURS_DAY``, ``MIN_HOURS_8H``), and say so on the pages.
* No AQI without PM2.5 or PM10 (mục 2.1.b): an hour (or day) with neither sub-index has no AQI at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

PARAMETERS = ("pm25", "pm10", "o3", "co", "so2", "no2")  # the dominant pollutant's tie order too
PARAMETER_LABELS = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O₃", "co": "CO", "so2": "SO₂", "no2": "NO₂"}
PM = ("pm25", "pm10")
GASES = ("o3", "co", "so2", "no2")

# QĐ 1459/QĐ-TCMT, Bảng 2: I_i and BP_i (µg/m³). The last row is "≥".
INDEX = (0, 50, 100, 150, 200, 300, 400, 500)
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 120, 170, 210, 400),
    "co": (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}
O3_8H_LIMIT = 400.0  # above it the O3 8-hour table ends: only the 1-hour value counts (mục 2.2.2.b)
MIN_HOURS_DAY = 18
MIN_HOURS_8H = 6
_EPS = 1e-9  # keeps 109,4999999 (binary floating point) on the half-up side


@dataclass(frozen=True)
class Category:
    level: int
    low: int
    high: int
    name: str
    colour_name: str
    rgb: tuple[int, int, int]
    health: str  # Bảng 4
    advice: str  # Bảng 5, people in general
    advice_sensitive: str  # Bảng 5, sensitive groups

    @property
    def colour(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


# QĐ 1459/QĐ-TCMT, Bảng 1 (ranges, names, colours), Bảng 4 (health) and Bảng 5 (recommended activities).
CATEGORIES: tuple[Category, ...] = (
    Category(1, 0, 50, "Tốt", "Xanh", (0, 228, 0),
             "Chất lượng không khí tốt, không ảnh hưởng tới sức khỏe.",
             "Tự do thực hiện các hoạt động ngoài trời.",
             "Tự do thực hiện các hoạt động ngoài trời."),
    Category(2, 51, 100, "Trung bình", "Vàng", (255, 255, 0),
             "Chất lượng không khí ở mức chấp nhận được. Tuy nhiên, đối với những người nhạy cảm (người già, trẻ "
             "em, người mắc các bệnh hô hấp, tim mạch…) có thể chịu những tác động nhất định tới sức khỏe.",
             "Tự do thực hiện các hoạt động ngoài trời.",
             "Nên theo dõi các triệu chứng như ho hoặc khó thở, nhưng vẫn có thể hoạt động bên ngoài."),
    Category(3, 101, 150, "Kém", "Da cam", (255, 126, 0),
             "Những người nhạy cảm gặp phải các vấn đề về sức khỏe, những người bình thường ít ảnh hưởng.",
             "Những người thấy có triệu chứng đau mắt, ho hoặc đau họng… nên cân nhắc giảm các hoạt động ngoài "
             "trời. Đối với học sinh, có thể hoạt động bên ngoài, nhưng nên giảm bớt việc tập thể dục kéo dài.",
             "Nên giảm các hoạt động mạnh và giảm thời gian hoạt động ngoài trời. Những người mắc bệnh hen suyễn "
             "có thể cần sử dụng thuốc thường xuyên hơn."),
    Category(4, 151, 200, "Xấu", "Đỏ", (255, 0, 0),
             "Những người bình thường bắt đầu có các ảnh hưởng tới sức khỏe, nhóm người nhạy cảm có thể gặp những "
             "vấn đề sức khỏe nghiêm trọng hơn.",
             "Mọi người nên giảm các hoạt động mạnh khi ở ngoài trời, tránh tập thể dục kéo dài và nghỉ ngơi "
             "nhiều hơn trong nhà.",
             "Nên ở trong nhà và giảm hoạt động mạnh. Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang đạt tiêu "
             "chuẩn."),
    Category(5, 201, 300, "Rất xấu", "Tím", (143, 63, 151),
             "Cảnh báo hưởng tới sức khỏe: mọi người bị ảnh hưởng tới sức khỏe nghiêm trọng hơn.",
             "Mọi người hạn chế tối đa các hoạt động ngoài trời và chuyển tất cả các hoạt động vào trong nhà. Nếu "
             "cần thiết phải ra ngoài, hãy đeo khẩu trang đạt tiêu chuẩn.",
             "Nên ở trong nhà và giảm hoạt động mạnh."),
    Category(6, 301, 500, "Nguy hại", "Nâu", (126, 0, 35),
             "Cảnh báo khẩn cấp về sức khỏe: Toàn bộ dân số bị ảnh hưởng tới sức khỏe tới mức nghiêm trọng.",
             "Mọi người nên ở trong nhà, đóng cửa ra vào và cửa sổ. Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang "
             "đạt tiêu chuẩn.",
             "Mọi người nên ở trong nhà, đóng cửa ra vào và cửa sổ. Nếu cần thiết phải ra ngoài, hãy đeo khẩu trang "
             "đạt tiêu chuẩn."),
)
BAD_LEVEL = 4  # "Xấu" or worse raises the station alert


def category(aqi: int) -> Category:
    for cat in CATEGORIES:
        if aqi <= cat.high:
            return cat
    return CATEGORIES[-1]


def round_aqi(value: float) -> int:
    """Half up (QĐ 1459: "được làm tròn thành số nguyên"; 109,5 → 110 in the worked example)."""
    return int(math.floor(value + 0.5 + _EPS))


def sub_index(table: str, concentration: float | None) -> float | None:
    """Công thức 1/2 of QĐ 1459 on Bảng 2, unrounded; None for a missing or negative value, or O3 8h > 400."""
    if concentration is None or math.isnan(concentration) or concentration < 0:
        return None
    bps = BREAKPOINTS[table]
    if concentration >= bps[-1]:
        return None if table == "o3_8h" and concentration > O3_8H_LIMIT else float(INDEX[len(bps) - 1])
    for i in range(len(bps) - 1):
        if concentration <= bps[i + 1]:
            return (INDEX[i + 1] - INDEX[i]) / (bps[i + 1] - bps[i]) * (concentration - bps[i]) + INDEX[i]
    raise AssertionError("unreachable")


def nowcast(values: Sequence[float | None]) -> float | None:
    """NowCast of PM from the last 12 hourly means, values[0] = c1 the current hour (QĐ 1459 mục 2.2.1.a)."""
    c = [None if v is None or math.isnan(v) else float(v) for v in list(values)[:12]]
    c += [None] * (12 - len(c))
    if sum(v is not None for v in c[:3]) < 2:
        return None  # "ít nhất 2 trong 3 giá trị c1, c2, c3"
    present = [v for v in c if v is not None]
    cmax = max(present)
    if cmax <= 0:
        return 0.0
    w = max(min(present) / cmax, 0.5)
    num = den = 0.0
    for i, v in enumerate(c):
        if v is not None:
            num += w**i * v
            den += w**i
    return num / den


@dataclass
class AqiResult:
    aqi: int | None
    dominant: str | None
    sub_indices: dict[str, int] = field(default_factory=dict)
    nowcast: dict[str, float] = field(default_factory=dict)

    @property
    def category(self) -> Category | None:
        return None if self.aqi is None else category(self.aqi)


def _combine(raw: dict[str, float | None], nowcasts: dict[str, float]) -> AqiResult:
    subs = {p: round_aqi(v) for p, v in raw.items() if v is not None}
    if not any(p in subs for p in PM):
        return AqiResult(None, None, subs, nowcasts)  # QĐ 1459 mục 2.1.b: PM2.5 or PM10 is required
    dominant = max((p for p in PARAMETERS if p in subs), key=lambda p: (subs[p], -PARAMETERS.index(p)))
    return AqiResult(subs[dominant], dominant, subs, nowcasts)


def hourly_aqi(last_12h: Mapping[str, Sequence[float | None]]) -> AqiResult:
    """AQI^h of one hour: ``last_12h[p]`` holds parameter p's hourly means, newest first (only [0] for gases)."""
    raw: dict[str, float | None] = {}
    nowcasts: dict[str, float] = {}
    for p in PM:
        if p in last_12h:
            nc = nowcast(last_12h[p])
            if nc is not None:
                nowcasts[p] = nc
                raw[p] = sub_index(p, nc)
    for p in GASES:
        series = last_12h.get(p) or []
        if series and series[0] is not None:
            raw[p] = sub_index("o3_1h" if p == "o3" else p, series[0])
    return _combine(raw, nowcasts)


@dataclass(frozen=True)
class DailyStats:
    """A day's figures that the daily AQI reads (µg/m³); None where the day lacks data."""

    pm25_24h: float | None = None
    pm10_24h: float | None = None
    o3_max_1h: float | None = None
    o3_max_8h: float | None = None
    co_max_1h: float | None = None
    so2_max_1h: float | None = None
    no2_max_1h: float | None = None


def o3_daily_sub_index(max_1h: float | None, max_8h: float | None) -> float | None:
    one = sub_index("o3_1h", max_1h)
    if max_8h is None or max_8h > O3_8H_LIMIT:
        return one  # "không tính toán AQI thông số O3 (8h) khi trung bình 8 giờ lớn nhất cao hơn 400 µg/m³"
    eight = sub_index("o3_8h", max_8h)
    return eight if one is None else max(one, eight) if eight is not None else one


def daily_aqi(stats: DailyStats) -> AqiResult:
    """AQI^d from a day's figures (QĐ 1459 mục 2.2.2.b–c)."""
    raw = {"pm25": sub_index("pm25", stats.pm25_24h), "pm10": sub_index("pm10", stats.pm10_24h),
           "o3": o3_daily_sub_index(stats.o3_max_1h, stats.o3_max_8h), "co": sub_index("co", stats.co_max_1h),
           "so2": sub_index("so2", stats.so2_max_1h), "no2": sub_index("no2", stats.no2_max_1h)}
    return _combine(raw, {})


def daily_stats(hours: Mapping[str, Sequence[float | None]], previous_7h: Mapping[str, Sequence[float | None]]
                | None = None) -> DailyStats:
    """A day's figures from its 24 hourly means (ending 01:00 … 24:00, oldest first) per parameter; O3's 8-hour
    means ending in the first hours of the day also use ``previous_7h['o3']`` (the 7 hours before, oldest first)."""

    def values(p: str) -> list[float | None]:
        v = [None if x is None or math.isnan(x) else float(x) for x in hours.get(p, [])]
        return v + [None] * (24 - len(v))

    def mean_if(vals: list[float | None], need: int) -> float | None:
        present = [v for v in vals if v is not None]
        return sum(present) / len(present) if len(present) >= need else None

    def max_if(vals: list[float | None]) -> float | None:
        present = [v for v in vals if v is not None]
        return max(present) if len(present) >= MIN_HOURS_DAY else None

    o3 = values("o3")
    given = list((previous_7h or {}).get("o3", []))[-7:]
    before: list[float | None] = [None] * (7 - len(given))
    before += [None if x is None or math.isnan(x) else float(x) for x in given]
    series = before + o3
    means = [mean_if(series[k:k + 8], MIN_HOURS_8H) for k in range(24)]
    present8 = [m for m in means if m is not None]
    return DailyStats(
        pm25_24h=mean_if(values("pm25"), MIN_HOURS_DAY), pm10_24h=mean_if(values("pm10"), MIN_HOURS_DAY),
        o3_max_1h=max_if(o3), o3_max_8h=max(present8) if present8 and max_if(o3) is not None else None,
        co_max_1h=max_if(values("co")), so2_max_1h=max_if(values("so2")), no2_max_1h=max_if(values("no2")))


# ------------------------------------------------------------------------------------------ QCVN 05:2023/BTNMT

# Bảng 1 (µg/Nm³): averaging time → limit. PM2.5 24 h: 50, and 45 from 01/01/2026 (ghi chú (*)).
QCVN_LIMITS: dict[str, dict[str, float]] = {
    "so2": {"1h": 350, "24h": 125, "year": 50},
    "co": {"1h": 30000, "8h": 10000},
    "no2": {"1h": 200, "24h": 100, "year": 40},
    "o3": {"1h": 200, "8h": 120},
    "pm10": {"24h": 100, "year": 50},
    "pm25": {"24h": 50, "year": 25},
}
PM25_24H_FROM_2026 = 45.0
AVERAGING_LABELS = {"1h": "trung bình 1 giờ", "8h": "trung bình 8 giờ", "24h": "trung bình 24 giờ",
                    "year": "trung bình năm"}


def qcvn_limit(parameter: str, averaging: str, on: date) -> float | None:
    if parameter == "pm25" and averaging == "24h" and on >= date(2026, 1, 1):
        return PM25_24H_FROM_2026
    return QCVN_LIMITS.get(parameter, {}).get(averaging)


@dataclass(frozen=True)
class Exceedance:
    parameter: str
    averaging: str
    value: float
    limit: float

    @property
    def text(self) -> str:
        return (f"{PARAMETER_LABELS[self.parameter]} {AVERAGING_LABELS[self.averaging]} "
                f"{self.value:.1f} µg/m³ vượt QCVN 05:2023/BTNMT ({self.limit:g} µg/m³)").replace(".", ",")


def exceeds(parameter: str, averaging: str, value: float | None, on: date) -> Exceedance | None:
    """The limit is a maximum: a value strictly above it exceeds."""
    limit = qcvn_limit(parameter, averaging, on)
    if value is None or limit is None or math.isnan(value) or value <= limit:
        return None
    return Exceedance(parameter, averaging, float(value), limit)


# ------------------------------------------------------------------------------------- vectorised (numpy)


def _windows(x: np.ndarray, k: int) -> np.ndarray:
    """Row t = x[t], x[t-1], … x[t-k+1] (newest first), NaN before the start."""
    padded = np.concatenate([np.full(k - 1, np.nan), x])
    view = np.lib.stride_tricks.sliding_window_view(padded, k)
    return view[:, ::-1]


def nowcast_grid(x: np.ndarray) -> np.ndarray:
    """NowCast at every hour of a dense hourly series (NaN = missing), like :func:`nowcast`."""
    win = _windows(np.asarray(x, dtype=float), 12)
    present = ~np.isnan(win)
    ok = present[:, :3].sum(axis=1) >= 2
    with np.errstate(invalid="ignore", divide="ignore", all="ignore"):
        cmin = np.nanmin(np.where(present, win, np.inf), axis=1)
        cmax = np.nanmax(np.where(present, win, -np.inf), axis=1)
        w = np.maximum(np.where(cmax > 0, cmin / cmax, 1.0), 0.5)
        powers = w[:, None] ** np.arange(12)[None, :]
        weights = np.where(present, powers, 0.0)
        out = (weights * np.where(present, win, 0.0)).sum(axis=1) / weights.sum(axis=1)
    out = np.where(cmax <= 0, 0.0, out)
    return np.where(ok, out, np.nan)


def sub_index_grid(table: str, c: np.ndarray) -> np.ndarray:
    """:func:`sub_index` on an array (NaN for missing or not computable)."""
    c = np.asarray(c, dtype=float)
    bps = np.asarray(BREAKPOINTS[table], dtype=float)
    idx = np.asarray(INDEX[:len(bps)], dtype=float)
    seg = np.clip(np.searchsorted(bps, c, side="left") - 1, 0, len(bps) - 2)
    with np.errstate(invalid="ignore"):
        out = (idx[seg + 1] - idx[seg]) / (bps[seg + 1] - bps[seg]) * (c - bps[seg]) + idx[seg]
    out = np.where(c >= bps[-1], idx[-1], out)
    if table == "o3_8h":
        out = np.where(c > O3_8H_LIMIT, np.nan, out)
    return np.where(np.isnan(c) | (c < 0), np.nan, out)


def round_grid(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5 + _EPS)


def _combine_grid(subs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(AQI, dominant index into PARAMETERS or -1), NaN AQI where neither PM sub-index exists."""
    stack = np.vstack([subs.get(p, np.full(len(next(iter(subs.values()))), np.nan)) for p in PARAMETERS])
    filled = np.where(np.isnan(stack), -1.0, stack)
    dominant = filled.argmax(axis=0)  # argmax takes the first of equal values: PARAMETERS order breaks ties
    aqi = filled.max(axis=0)
    has_pm = ~(np.isnan(stack[0]) & np.isnan(stack[1]))
    return np.where(has_pm, aqi, np.nan), np.where(has_pm, dominant, -1)


@dataclass
class Grid:
    aqi: np.ndarray  # float, NaN = no AQI
    dominant: np.ndarray  # int index into PARAMETERS, -1 = none
    sub_indices: dict[str, np.ndarray]  # rounded
    nowcast: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)  # daily: the figures read (24 h mean, max …)


def hourly_grid(series: Mapping[str, np.ndarray]) -> Grid:
    """AQI^h at every hour of a station's dense hourly series (same length per parameter)."""
    subs: dict[str, np.ndarray] = {}
    nowcasts: dict[str, np.ndarray] = {}
    for p in PM:
        if p in series:
            nowcasts[p] = nowcast_grid(series[p])
            subs[p] = round_grid(sub_index_grid(p, nowcasts[p]))
    for p in GASES:
        if p in series:
            subs[p] = round_grid(sub_index_grid("o3_1h" if p == "o3" else p, series[p]))
    aqi, dominant = _combine_grid(subs)
    return Grid(aqi, dominant, subs, nowcasts)


def _rolling_mean(x: np.ndarray, k: int, need: int) -> np.ndarray:
    win = _windows(x, k)
    n = (~np.isnan(win)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(win, axis=1) / n
    return np.where(n >= need, mean, np.nan)


def daily_grid(series: Mapping[str, np.ndarray], *, lookback: int = 0) -> Grid:
    """AQI^d per day of a dense hourly series whose hour ``lookback`` ends at 01:00 of the first day; the
    ``lookback`` hours before it (up to 7) only feed the 8-hour means. Length − lookback must be a multiple of 24.
    ``values`` holds each day's figures: ``<p>_24h`` (mean), ``<p>_1h`` (maximum 1-hour value), ``o3_8h`` and
    ``co_8h`` (maximum 8-hour mean) — NaN where the day has fewer than 18 hours."""
    subs: dict[str, np.ndarray] = {}
    figures: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", all="ignore"):
        for p in PARAMETERS:
            if p not in series:
                continue
            x = np.asarray(series[p], dtype=float)
            d = x[lookback:].reshape(-1, 24)
            n = (~np.isnan(d)).sum(axis=1)
            ok = n >= MIN_HOURS_DAY
            figures[f"{p}_24h"] = np.where(ok, np.where(np.isnan(d), 0.0, d).sum(axis=1) / np.maximum(n, 1), np.nan)
            figures[f"{p}_1h"] = np.where(ok, np.where(np.isnan(d), -np.inf, d).max(axis=1), np.nan)
            if p in ("o3", "co"):
                eight = _rolling_mean(x, 8, MIN_HOURS_8H)[lookback:].reshape(-1, 24)
                has8 = ~np.isnan(eight).all(axis=1)
                figures[f"{p}_8h"] = np.where(has8 & ok, np.where(np.isnan(eight), -np.inf, eight).max(axis=1), np.nan)
        for p in PM:
            if p in series:
                subs[p] = round_grid(sub_index_grid(p, figures[f"{p}_24h"]))
        for p in GASES:
            if p not in series:
                continue
            if p == "o3":
                one = sub_index_grid("o3_1h", figures["o3_1h"])
                s8 = sub_index_grid("o3_8h", figures["o3_8h"])
                subs[p] = round_grid(np.where(np.isnan(s8), one, np.where(np.isnan(one), s8, np.maximum(one, s8))))
            else:
                subs[p] = round_grid(sub_index_grid(p, figures[f"{p}_1h"]))
    aqi, dominant = _combine_grid(subs)
    return Grid(aqi, dominant, subs, values=figures)


def exceedance_grid(grid: Grid, days: Sequence[date]) -> dict[tuple[str, str], np.ndarray]:
    """QCVN 05:2023 per day of a daily grid: (parameter, averaging) → the days' values above the limit (NaN
    where not exceeded). The PM2.5 24-hour limit depends on the day (45 µg/m³ from 01/01/2026)."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for p, limits in QCVN_LIMITS.items():
        for averaging in ("1h", "8h", "24h"):
            values = grid.values.get(f"{p}_{averaging}")
            if averaging not in limits or values is None:
                continue
            limit = np.array([qcvn_limit(p, averaging, d) for d in days]) if p == "pm25" else limits[averaging]
            with np.errstate(invalid="ignore"):
                out[(p, averaging)] = np.where(values > limit, values, np.nan)
    return out


def exceedances_on(table: dict[tuple[str, str], np.ndarray], i: int, day: date) -> list[Exceedance]:
    found = []
    for (p, averaging), values in table.items():
        if not math.isnan(values[i]):
            found.append(Exceedance(p, averaging, float(values[i]), float(qcvn_limit(p, averaging, day) or 0)))
    return found
