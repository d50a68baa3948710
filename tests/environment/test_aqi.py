"""VN_AQI as QĐ 1459/QĐ-TCMT computes it (worked examples of mục 2.3) and the QCVN 05:2023/BTNMT limits.

Pure functions: no store, so these run once, not per store."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from dieuhanh.environment import aqi

# QĐ 1459 mục 2.3.a: PM2.5 hourly means 09:00 … 20:00; c1 is the current hour (20:00).
PM25_0900_2000 = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6]
# mục 2.2.2.a: O3 hourly means from 18:00 the day before to 0:00 (24:00) of the day.
O3_1800_TO_2400 = [15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7, 22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6, 45.7,
                   49.2, 55.8, 69.6, 78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3]
O3_8H_PRINTED = [18.0, 19.4, 21.2, 23.0, 23.8, 25.8, 28.2, 30.9, 33.8, 36.6, 39.9, 44.7, 51.3, 58.4, 66.2, 71.1, 74.4,
                 73.7, 71.0, 65.0, 57.8, 48.7, 39.1, 31.6]


def test_worked_example_nowcast_is_20_3():
    c = PM25_0900_2000[::-1]
    assert round(min(c) / max(c), 2) == 0.61  # w* = 16,5 / 26,9
    assert round(aqi.nowcast(c), 1) == 20.3


def test_worked_example_hourly_aqi_and_the_decisions_no2_rounding():
    assert aqi.round_aqi(aqi.sub_index("o3_1h", 136.1)) == 43
    assert aqi.round_aqi(aqi.sub_index("pm25", 20.3)) == 41
    # The decision prints AQI(NO2) = 60 and AQI^h = 60; the formula gives 59,35, which rounds to 59 (no rounding
    # rule reproduces every printed figure: ceiling would turn the daily example's 65,4 into 66). We keep half up.
    assert aqi.sub_index("no2", 118.7) == pytest.approx(59.35)
    result = aqi.hourly_aqi({"pm25": PM25_0900_2000[::-1], "o3": [136.1], "no2": [118.7]})
    assert result.sub_indices == {"pm25": 41, "o3": 43, "no2": 59}
    assert (result.aqi, result.dominant) == (59, "no2")
    assert result.category.name == "Trung bình"


def test_worked_example_daily_aqi_is_110_from_pm25():
    result = aqi.daily_aqi(aqi.DailyStats(o3_max_8h=89.3, o3_max_1h=114.6, no2_max_1h=130.8, pm25_24h=55.7))
    assert aqi.round_aqi(aqi.sub_index("o3_8h", 89.3)) == 45
    assert aqi.round_aqi(aqi.sub_index("o3_1h", 114.6)) == 36
    assert result.sub_indices == {"pm25": 110, "o3": 45, "no2": 65}  # 109,5 rounds half up to 110
    assert (result.aqi, result.dominant, result.category.name) == (110, "pm25", "Kém")


def test_worked_example_o3_rolling_8h_means_and_daily_maximum():
    before, day = O3_1800_TO_2400[:7], O3_1800_TO_2400[7:]
    stats = aqi.daily_stats({"o3": day, "pm25": [20.0] * 24}, {"o3": before})
    assert round(stats.o3_max_8h, 1) == 74.4
    assert stats.o3_max_1h == 97.7
    series = np.array(O3_1800_TO_2400)
    grid_means = aqi._rolling_mean(series, 8, aqi.MIN_HOURS_8H)[7:]
    ours = [round(float(v), 1) for v in grid_means]
    # The decision prints 44,7 for the mean ending 12:00; its eight values (5:00–12:00) sum to 357,1 → 44,64.
    assert ours[11] == 44.6 and O3_8H_PRINTED[11] == 44.7
    assert ours[:11] + ours[12:] == O3_8H_PRINTED[:11] + O3_8H_PRINTED[12:]


def test_nowcast_needs_two_of_the_last_three_hours_and_skips_missing_ones():
    c = [30.0, None, None, 20.0, 20.0, 20.0]
    assert aqi.nowcast(c) is None
    c = [30.0, None, 10.0]
    w = 0.5  # w* = 10/30 ≤ 1/2
    assert aqi.nowcast(c) == pytest.approx((30.0 + w**2 * 10.0) / (1 + w**2))
    assert aqi.nowcast([None, 20.0, 20.0] + [None] * 9) == pytest.approx(20.0)


def test_nowcast_with_w_one_half_differs_from_the_decisions_sum_by_2_to_the_minus_12():
    c = [80.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0]
    decision = sum(0.5 ** (i + 1) * v for i, v in enumerate(c))  # Σ (1/2)^i·c_i as printed
    assert aqi.nowcast(c) * (1 - 2**-12) == pytest.approx(decision)


def test_o3_daily_uses_only_the_1h_value_when_the_8h_maximum_exceeds_400():
    assert aqi.o3_daily_sub_index(max_1h=450.0, max_8h=420.0) == aqi.sub_index("o3_1h", 450.0)
    assert aqi.round_aqi(aqi.o3_daily_sub_index(max_1h=450.0, max_8h=420.0)) == 213
    assert aqi.o3_daily_sub_index(max_1h=150.0, max_8h=130.0) == aqi.sub_index("o3_8h", 130.0)  # 8 h larger


def test_a_day_without_pm_has_no_aqi_but_keeps_its_sub_indices():
    result = aqi.daily_aqi(aqi.DailyStats(no2_max_1h=250.0, co_max_1h=8000.0))
    assert result.aqi is None and result.dominant is None
    assert result.sub_indices == {"no2": 105, "co": 40}


def test_categories_names_colours_and_bounds():
    assert [(c.name, c.rgb) for c in aqi.CATEGORIES] == [
        ("Tốt", (0, 228, 0)), ("Trung bình", (255, 255, 0)), ("Kém", (255, 126, 0)), ("Xấu", (255, 0, 0)),
        ("Rất xấu", (143, 63, 151)), ("Nguy hại", (126, 0, 35))]
    assert [aqi.category(v).name for v in (0, 50, 51, 100, 101, 150, 151, 200, 201, 300, 301, 500)] == [
        "Tốt", "Tốt", "Trung bình", "Trung bình", "Kém", "Kém", "Xấu", "Xấu", "Rất xấu", "Rất xấu", "Nguy hại",
        "Nguy hại"]
    assert aqi.sub_index("pm25", 600.0) == 500  # above the last breakpoint
    assert aqi.sub_index("co", 30000.0) == 100


def test_qcvn_pm25_24h_limit_is_45_from_2026():
    assert aqi.exceeds("pm25", "24h", 47.0, date(2025, 12, 31)) is None
    e = aqi.exceeds("pm25", "24h", 47.0, date(2026, 1, 1))
    assert e is not None and e.limit == 45.0
    assert "vượt QCVN 05:2023/BTNMT" in e.text
    assert aqi.exceeds("no2", "1h", 200.0, date(2026, 1, 1)) is None  # a maximum: equal is allowed
    assert aqi.exceeds("co", "8h", 10000.5, date(2026, 1, 1)) is not None


def _random_station(seed: int, days: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 7 + 24 * days
    out = {"pm25": rng.gamma(2.0, 20.0, n), "pm10": rng.gamma(2.0, 35.0, n), "o3": rng.gamma(2.0, 60.0, n),
           "co": rng.gamma(2.0, 2500.0, n), "so2": rng.gamma(2.0, 30.0, n), "no2": rng.gamma(2.0, 40.0, n)}
    for values in out.values():
        values[rng.random(n) < 0.15] = np.nan
        gap = int(rng.integers(0, n - 30))
        values[gap:gap + int(rng.integers(3, 30))] = np.nan
    return out


def _list(x: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in x]


@pytest.mark.parametrize("seed", [1, 2])
def test_vectorised_grids_equal_the_scalar_functions(seed):
    days = 6
    data = _random_station(seed, days)
    hourly = aqi.hourly_grid(data)
    for t in range(len(data["pm25"])):
        last = {p: _list(v[max(0, t - 11):t + 1][::-1]) for p, v in data.items()}
        expected = aqi.hourly_aqi(last)
        got = None if math.isnan(hourly.aqi[t]) else int(hourly.aqi[t])
        assert got == expected.aqi, t
        if got is not None:
            assert aqi.PARAMETERS[hourly.dominant[t]] == expected.dominant
    daily = aqi.daily_grid(data, lookback=7)
    for d in range(days):
        hours = {p: _list(v[7 + 24 * d: 7 + 24 * (d + 1)]) for p, v in data.items()}
        before = {"o3": _list(data["o3"][24 * d: 7 + 24 * d])}
        expected = aqi.daily_aqi(aqi.daily_stats(hours, before))
        got = None if math.isnan(daily.aqi[d]) else int(daily.aqi[d])
        assert got == expected.aqi, d
        assert {p: int(v[d]) for p, v in daily.sub_indices.items() if not math.isnan(v[d])} == expected.sub_indices
