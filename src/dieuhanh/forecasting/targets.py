"""Will the year's target be met? A year-end forecast with an interval and the probability of reaching the
target, for every indicator with a yearly target and a monthly or quarterly series (province level).

Method, per indicator:

* the year's value is the aggregate the target is set on: for rates (``%``) and other intensive units, the
  ratio of summed numerators to summed denominators where the values carry them, else the mean of the periods;
  for counts and amounts whose target is several times a period's value, the sum of the periods;
* the periods still to come are forecast by each candidate — three plain baselines (the year-to-date mean, the
  last value, the same period a year earlier shifted by this year's difference so far: seasonal naive) and a
  damped linear trend fitted on the last 24 periods — and every candidate is backtested by rolling origin on
  the indicator's own history (each of the last 12 origins, forecasting 1…h periods ahead with only earlier
  values); the candidate with the lowest backtest RMSE is used, the trend only where it beats the best baseline;
* the year-end error's standard deviation is the chosen candidate's backtest RMSE per period scaled by the
  periods remaining (errors of consecutive periods treated as fully correlated: the cautious choice), the
  interval is ±1,28 σ (80 %), and the probability of reaching the target is the normal probability of the
  right side of the target.

The forecast is shown from mid-year on (at least half of the year's periods observed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.periods import Period
from dieuhanh.core.periods import parse as parse_period
from dieuhanh.forecasting.errors import on_field
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue

Z80 = 1.2816
MODEL_LABELS = {"ytd_mean": "Trung bình từ đầu năm", "last_value": "Giá trị kỳ gần nhất",
                "seasonal_naive": "Cùng kỳ năm trước (điều chỉnh)", "damped_trend": "Xu thế tuyến tính tắt dần"}
BASELINES = ("ytd_mean", "last_value", "seasonal_naive")
INTENSIVE_UNITS = ("%", "‰", "điểm", "chỉ số", "lần")


@dataclass
class TargetForecast:
    code: str
    year: int
    forecast: float | None
    lower: float | None
    upper: float | None
    target: float | None
    probability_target_met: float | None
    model: str | None
    backtest_error: float | None
    baseline: str | None
    baseline_error: float | None
    periods_observed: int
    periods_in_year: int
    aggregate: str  # mean | ratio | sum
    year_to_date: float | None
    as_of: str | None  # the latest period observed in the year
    shown: bool  # mid-year reached: pages and tiles show it
    direction: str
    candidates: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        def r(v: float | None, d: int = 4) -> float | None:
            return None if v is None else round(v, d)

        return {"year": self.year, "forecast": r(self.forecast), "lower": r(self.lower), "upper": r(self.upper),
                "target": self.target, "probability_target_met": r(self.probability_target_met, 3),
                "model": self.model, "backtest_error": r(self.backtest_error), "baseline": self.baseline,
                "baseline_error": r(self.baseline_error), "periods_observed": self.periods_observed,
                "periods_in_year": self.periods_in_year, "aggregate": self.aggregate,
                "year_to_date": r(self.year_to_date), "as_of": self.as_of, "shown": self.shown,
                "direction": self.direction, "candidates": {k: round(v, 4) for k, v in self.candidates.items()}}


def eligible(defn: IndicatorDefinition) -> bool:
    return defn.periodicity in ("month", "quarter") and bool(defn.targets)


def _year_target(defn: IndicatorDefinition, year: int) -> float | None:
    value = (defn.targets or {}).get(str(year))
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def default_year(defn: IndicatorDefinition, periods: list[str]) -> int | None:
    """The latest year with both a target and at least one value."""
    years = sorted({int(p[:4]) for p in periods if p[:4].isdigit()}, reverse=True)
    return next((y for y in years if _year_target(defn, y) is not None), years[0] if years else None)


def _series(session: Session, code: str) -> list[IndicatorValue]:
    return [v for v in session.scalars(select(IndicatorValue).where(
        IndicatorValue.code == code, IndicatorValue.level == "province").order_by(IndicatorValue.period))
        if v.value is not None]


def _aggregate_kind(defn: IndicatorDefinition, values: list[IndicatorValue], target: float | None) -> str:
    unit = (defn.unit or "").strip().lower()
    if any(unit.startswith(u) for u in INTENSIVE_UNITS) or "/" in unit:
        has_ratio = values and all(v.numerator is not None and v.denominator for v in values)
        return "ratio" if has_ratio else "mean"
    typical = float(np.median([abs(v.value or 0.0) for v in values])) if values else 0.0
    if target is not None and typical > 0 and abs(target) / typical > 3:
        return "sum"
    return "mean"


def _forecast_path(name: str, history: np.ndarray, steps: int, per_year: int, ytd: np.ndarray) -> np.ndarray:
    """The next ``steps`` values by one candidate, from ``history`` (all earlier values, oldest first) and the
    year-to-date values ``ytd`` (the tail of history inside the target year)."""
    if steps <= 0:
        return np.zeros(0)
    last = history[-1]
    if name == "last_value":
        return np.full(steps, last)
    if name == "ytd_mean":
        base = ytd if len(ytd) else history[-per_year:]
        return np.full(steps, float(np.mean(base)))
    if name == "seasonal_naive":
        if len(history) < per_year + 1:
            return np.full(steps, last)
        n_ytd = len(ytd)
        shift = 0.0
        if n_ytd:
            shift = float(np.mean(ytd) - np.mean(history[-per_year - n_ytd:-per_year]))
        idx = len(history) - per_year + np.arange(steps)
        out = np.where(idx < len(history), history[np.minimum(idx, len(history) - 1)], last)
        return out + shift
    if name == "damped_trend":
        window = history[-24:]
        if len(window) < 4:
            return np.full(steps, last)
        t = np.arange(len(window))
        slope, intercept = np.polyfit(t, window, 1)
        phi = 0.85
        level = intercept + slope * t[-1]
        damp = np.cumsum(phi ** np.arange(1, steps + 1))
        return level + slope * damp
    raise ValueError(name)


def _backtest(values: np.ndarray, per_year: int, max_steps: int) -> dict[str, float]:
    """RMSE per candidate over rolling origins (the last 12), forecasting 1 … max_steps periods ahead."""
    errors: dict[str, list[float]] = {n: [] for n in (*BASELINES, "damped_trend")}
    n = len(values)
    for origin in range(max(3, n - 12 - max_steps), n - 1):
        history = values[: origin + 1]
        steps = min(max_steps, n - origin - 1)
        pos_in_year = (origin + 1) % per_year
        ytd = history[-pos_in_year:] if pos_in_year else history[:0]
        truth = values[origin + 1: origin + 1 + steps]
        for name in errors:
            pred = _forecast_path(name, history, steps, per_year, ytd)
            errors[name].extend((truth - pred).tolist())
    return {k: math.sqrt(float(np.mean(np.square(v)))) for k, v in errors.items() if v}


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def forecast_indicator(session: Session, defn: IndicatorDefinition, *, year: int | None = None) -> TargetForecast:
    if not eligible(defn):
        raise InvalidInput(f"Chỉ tiêu «{defn.name}» không có chỉ tiêu năm và chuỗi theo tháng hoặc quý để dự báo.")
    values = _series(session, defn.code)
    kind = "M" if defn.periodicity == "month" else "Q"
    per_year = 12 if kind == "M" else 4
    parsed: list[tuple[Period, IndicatorValue]] = []
    for v in values:
        try:
            p = parse_period(v.period)
        except InvalidInput:
            continue
        if p.kind == defn.periodicity:
            parsed.append((p, v))
    if year is None:
        year = default_year(defn, [v.period for _, v in parsed]) or 0
    if not 2000 <= year <= 2100:
        raise on_field(InvalidInput, "Năm dự báo không hợp lệ (2000–2100).", "year")
    target = _year_target(defn, year)
    # A regular series up to the last period observed in the year (gaps filled by the previous value).
    before = [(p, v) for p, v in parsed if p.year <= year]
    if not before:
        return TargetForecast(defn.code, year, None, None, None, target, None, None, None, None, None, 0, per_year,
                              "mean", None, None, False, defn.direction, {})
    index = {(p.year, p.index): v for p, v in before}
    first, last = before[0][0], before[-1][0]
    seq: list[float] = []
    nums: list[tuple[float, float] | None] = []
    y, i = first.year, first.index
    while (y, i) <= (last.year, last.index):
        got = index.get((y, i))
        seq.append(got.value if got is not None and got.value is not None else (seq[-1] if seq else 0.0))
        nums.append((got.numerator, got.denominator)
                    if got is not None and got.numerator is not None and got.denominator else None)
        y, i = (y + 1, 1) if i == per_year else (y, i + 1)
    arr = np.asarray(seq, dtype=np.float64)
    in_year = [v for p, v in before if p.year == year]
    observed = len(in_year)
    remaining = per_year - observed if last.year == year else per_year
    ytd_vals = arr[-observed:] if observed and last.year == year else arr[:0]
    agg = _aggregate_kind(defn, [v for _, v in before[-per_year:]], target)
    scores = _backtest(arr, per_year, max(1, remaining)) if len(arr) >= 6 else {}
    baseline = min((n for n in BASELINES if n in scores), key=lambda n: scores[n], default=None)
    chosen = min(scores, key=lambda n: scores[n]) if scores else "ytd_mean"
    path = _forecast_path(chosen, arr, remaining, per_year, ytd_vals)
    full = np.concatenate([ytd_vals, path])
    if agg == "sum":
        forecast = float(full.sum())
        sigma_scale = float(remaining)
    elif agg == "ratio":
        # Ratio of sums: observed periods weighted by their denominators, periods to come by the mean one.
        dens = [n[1] if n is not None else float("nan") for n in nums[-observed:]] if observed else []
        known = [d for d in dens if d == d]
        mean_den = float(np.mean(known)) if known else 1.0
        weights = np.array([d if d == d else mean_den for d in dens] + [mean_den] * remaining)
        forecast = float(np.average(full, weights=weights)) if len(weights) == len(full) else float(np.mean(full))
        sigma_scale = remaining / per_year
    else:
        forecast = float(np.mean(full))
        sigma_scale = remaining / per_year
    rmse = scores.get(chosen)
    sigma = (rmse or 0.0) * sigma_scale
    lower, upper = forecast - Z80 * sigma, forecast + Z80 * sigma
    probability = None
    if target is not None:
        higher = defn.direction != "lower_better"
        if sigma <= 0:
            probability = 1.0 if (forecast >= target if higher else forecast <= target) else 0.0
        else:
            z = (forecast - target) / sigma
            probability = _phi(z) if higher else 1 - _phi(z)
    ytd = (float(ytd_vals.sum()) if agg == "sum" else float(np.mean(ytd_vals))) if len(ytd_vals) else None
    return TargetForecast(
        code=defn.code, year=year, forecast=forecast, lower=lower, upper=upper, target=target,
        probability_target_met=probability, model=chosen, backtest_error=rmse, baseline=baseline,
        baseline_error=scores.get(baseline) if baseline else None, periods_observed=observed,
        periods_in_year=per_year, aggregate=agg, year_to_date=ytd,
        as_of=in_year[-1].period if in_year else None, shown=observed * 2 >= per_year and target is not None,
        direction=defn.direction, candidates=scores)


def all_forecasts(session: Session, *, year: int | None = None) -> list[tuple[IndicatorDefinition, TargetForecast]]:
    out = []
    for defn in session.scalars(select(IndicatorDefinition).order_by(IndicatorDefinition.code)):
        if eligible(defn):
            out.append((defn, forecast_indicator(session, defn, year=year)))
    return out
