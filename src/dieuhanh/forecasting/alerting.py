"""Alert rule type «Dự báo không đạt chỉ tiêu»: an alert source (alerts/sources.py) over the year-end target
forecasts. A rule of kind ``source`` with ``indicator_code = "forecasting.target_miss"`` fires, per indicator,
when the probability of reaching this year's target falls below ``params.threshold`` (default 0,5); optional
``params.codes`` limits it to some indicators, ``params.year`` fixes the year (default: each indicator's latest
year with a target and values). Only forecasts shown on the pages count (mid-year reached)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.alerts import sources
from dieuhanh.core.formatting import format_number
from dieuhanh.indicators.models import IndicatorDefinition

SOURCE_NAME = "forecasting.target_miss"


def _evaluate(session: Session, params: dict[str, Any], now: datetime) -> Iterator[sources.SourceCondition]:
    from dieuhanh.forecasting import targets

    threshold = float(params.get("threshold", 0.5))
    codes = set(params.get("codes") or [])
    year = params.get("year")
    for defn, fc in targets.all_forecasts(session, year=int(year) if year else None):
        if codes and defn.code not in codes:
            continue
        if not fc.shown or fc.probability_target_met is None or fc.forecast is None:
            continue
        p = fc.probability_target_met
        firing = p < threshold
        unit = f" {defn.unit}" if defn.unit != "%" else " %"
        message = (f"{defn.name}: dự báo cả năm {fc.year} {format_number(fc.forecast, 1)}{unit} (khoảng "
                   f"{format_number(fc.lower, 1)}–{format_number(fc.upper, 1)}), chỉ tiêu "
                   f"{format_number(fc.target, 1)}{unit}, khả năng đạt {format_number(p * 100, 0)} %")
        yield sources.SourceCondition(key=defn.code[:40], firing=firing, message=message, value=round(p * 100, 1),
                                      period=str(fc.year))


def _names(session: Session, keys: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, name in session.execute(select(IndicatorDefinition.code, IndicatorDefinition.name)):
        if code[:40] in keys:
            out[code[:40]] = name
    return out


def _validate(params: dict[str, Any]) -> None:
    threshold = params.get("threshold", 0.5)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not 0 < float(threshold) <= 1:
        raise ValueError("«threshold» là xác suất đạt chỉ tiêu dưới đó thì cảnh báo, trong khoảng (0; 1], "
                         "ví dụ 0,5.")
    codes = params.get("codes")
    if codes is not None and (not isinstance(codes, list) or not all(isinstance(c, str) for c in codes)):
        raise ValueError("«codes» là danh sách mã chỉ tiêu.")
    year = params.get("year")
    if year is not None and (not isinstance(year, int) or not 2000 <= year <= 2100):
        raise ValueError("«year» là một năm từ 2000 đến 2100.")


SOURCE = sources.register(sources.AlertSource(
    name=SOURCE_NAME, label="Dự báo không đạt chỉ tiêu", domain="socio_economy", evaluate=_evaluate,
    names=_names, validate=_validate,
    params_help='{"threshold": 0.5, "codes": ["mã chỉ tiêu", …] (tùy chọn), "year": 2026 (tùy chọn)}'))
