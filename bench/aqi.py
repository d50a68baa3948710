"""VN_AQI recomputation at scale: hourly and daily AQI for 200 stations × 6 parameters × 1 year (≈ 10,5 M hourly
readings, ~15 % missing at random plus outages), with the vectorised functions the service uses
(``environment/aqi.py``: ``hourly_grid``, ``daily_grid``), against a straightforward pandas implementation written
from the decision's text (lagged columns for the NowCast, ``groupby`` per day, ``rolling`` for the 8-hour means) in
the same run. Both variants run ``--runs`` times, interleaved (order reversed every other round, ``rounds.py``);
prints the median, min–max and the load average, and whether every hourly and daily AQI (and dominant pollutant)
is identical (checked once, on the first run of each: both are deterministic on the same data).

Target (issue 19): < 10 s here for the vectorised path (median), results identical.

    uv run python bench/aqi.py [--stations 200] [--days 365] [--seed 1] [--runs 3]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from rounds import Rounds

from dieuhanh.environment import aqi

LOOKBACK = 7


def make_data(stations: int, days: int, seed: int) -> dict[str, np.ndarray]:
    """{parameter: array (stations, hours)} of plausible hourly means with gaps."""
    rng = np.random.default_rng(seed)
    n = LOOKBACK + 24 * days
    scale = {"pm25": 18.0, "pm10": 30.0, "o3": 35.0, "co": 500.0, "so2": 8.0, "no2": 15.0}
    out = {}
    for p in aqi.PARAMETERS:
        x = rng.gamma(2.0, scale[p], (stations, n)).round(1)
        x[rng.random((stations, n)) < 0.15] = np.nan
        for s in range(stations):
            a = int(rng.integers(0, n - 72))
            x[s, a:a + int(rng.integers(6, 72))] = np.nan
        out[p] = x
    return out


def vectorised(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    stations = next(iter(data.values())).shape[0]
    h_aqi, h_dom, d_aqi, d_dom = [], [], [], []
    for s in range(stations):
        series = {p: v[s] for p, v in data.items()}
        h = aqi.hourly_grid(series)
        d = aqi.daily_grid(series, lookback=LOOKBACK)
        h_aqi.append(h.aqi)
        h_dom.append(h.dominant)
        d_aqi.append(d.aqi)
        d_dom.append(d.dominant)
    return np.vstack(h_aqi), np.vstack(h_dom), np.vstack(d_aqi), np.vstack(d_dom)


# ---------------------------------------------------------------------------------------- pandas, from the text


def pd_sub_index(table: str, c: pd.DataFrame) -> pd.DataFrame:
    bps, idx = aqi.BREAKPOINTS[table], aqi.INDEX
    out = pd.DataFrame(np.nan, index=c.index, columns=c.columns)
    for i in range(len(bps) - 1):  # Công thức 1: the segment BP_i ≤ C ≤ BP_{i+1}, first match wins
        seg = (c >= bps[i]) & (c <= bps[i + 1]) & out.isna()
        val = (idx[i + 1] - idx[i]) / (bps[i + 1] - bps[i]) * (c - bps[i]) + idx[i]
        out = out.mask(seg, val)
    out = out.mask(c >= bps[-1], float(idx[len(bps) - 1]))
    if table == "o3_8h":
        out = out.mask(c > aqi.O3_8H_LIMIT)
    return out


def pd_round(x: pd.DataFrame) -> pd.DataFrame:
    return np.floor(x + 0.5 + 1e-9)


def pd_nowcast(df: pd.DataFrame) -> pd.DataFrame:
    lags = [df.shift(i) for i in range(12)]  # c1 … c12
    cmin = pd.concat(lags).groupby(level=0).min()
    cmax = pd.concat(lags).groupby(level=0).max()
    w = (cmin / cmax).where(cmax > 0, 1.0).clip(lower=0.5)
    num = sum((w**i) * lag.fillna(0.0) for i, lag in enumerate(lags))
    den = sum((w**i) * lag.notna() for i, lag in enumerate(lags))
    nc = (num / den).where(cmax > 0, 0.0)
    enough = sum(lag.notna().astype(int) for lag in lags[:3]) >= 2
    return nc.where(enough)


def pd_combine(subs: dict[str, pd.DataFrame]) -> tuple[np.ndarray, np.ndarray]:
    stack = np.stack([subs[p].to_numpy() for p in aqi.PARAMETERS])
    filled = np.where(np.isnan(stack), -1.0, stack)
    has_pm = ~(np.isnan(stack[0]) & np.isnan(stack[1]))
    return np.where(has_pm, filled.max(axis=0), np.nan), np.where(has_pm, filled.argmax(axis=0), -1)


def with_pandas(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    frames = {p: pd.DataFrame(v.T) for p, v in data.items()}  # rows = hours, columns = stations
    hourly: dict[str, pd.DataFrame] = {}
    for p in aqi.PM:
        hourly[p] = pd_round(pd_sub_index(p, pd_nowcast(frames[p])))
    for p in aqi.GASES:
        hourly[p] = pd_round(pd_sub_index("o3_1h" if p == "o3" else p, frames[p]))
    h_aqi, h_dom = pd_combine(hourly)
    daily: dict[str, pd.DataFrame] = {}
    day = (np.arange(len(frames["pm25"])) - LOOKBACK) // 24
    for p, df in frames.items():
        days = df.iloc[LOOKBACK:].groupby(day[LOOKBACK:])
        enough = days.count() >= aqi.MIN_HOURS_DAY
        if p in aqi.PM:
            daily[p] = pd_round(pd_sub_index(p, days.mean().where(enough)))
        elif p == "o3":
            max1 = days.max().where(enough)
            eight = df.rolling(8, min_periods=aqi.MIN_HOURS_8H).mean().iloc[LOOKBACK:].groupby(day[LOOKBACK:]).max()
            eight = eight.where(max1.notna())
            one, s8 = pd_sub_index("o3_1h", max1), pd_sub_index("o3_8h", eight)
            daily[p] = pd_round(s8.where(s8.isna(), np.fmax(one, s8)).fillna(one))
        else:
            daily[p] = pd_round(pd_sub_index(p, days.max().where(enough)))
    d_aqi, d_dom = pd_combine(daily)
    return h_aqi.T, h_dom.T, d_aqi.T, d_dom.T


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds, each variant once per round")
    args = parser.parse_args()
    data = make_data(args.stations, args.days, args.seed)
    readings = int(sum((~np.isnan(v)).sum() for v in data.values()))
    slots = sum(v.size for v in data.values())
    print(f"{args.stations} trạm × 6 thông số × {args.days} ngày: {slots:,} giờ-thông số, {readings:,} số đo "
          f"(thiếu {100 * (1 - readings / slots):.1f} %)")
    rounds = Rounds(args.runs)
    first: dict[str, tuple[np.ndarray, ...]] = {}
    for variant in rounds.order(["ours", "pandas"]):
        out = rounds.timed(variant, lambda v=variant: vectorised(data) if v == "ours" else with_pandas(data))
        first.setdefault(variant, out)
    ours, theirs = first["ours"], first["pandas"]
    valid_h = int((~np.isnan(ours[0])).sum())
    valid_d = int((~np.isnan(ours[2])).sum())
    print(f"{valid_h:,} AQI giờ, {valid_d:,} AQI ngày")
    print(rounds.report({"ours": "vectorised (environment/aqi.py)", "pandas": "pandas (baseline)"}))
    identical = all(same(a, b) for a, b in zip(ours, theirs, strict=True))
    print(f"results identical (hourly and daily AQI, dominant pollutant; checked once, first run of each — "
          f"both deterministic): {identical}")
    median = rounds.median("ours")
    print(f"target < 10 s (median of vectorised): {'PASS' if median < 10 and identical else 'FAIL'}")
    if not identical:
        raise SystemExit(1)

if __name__ == "__main__":
    main()
