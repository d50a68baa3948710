"""Alert sources: conditions a domain module evaluates itself, turned into alerts by the alert engine.

Most alerts are rules on indicator values (``alerts.service.condition``). Some conditions live below the indicator
set's periods — a station's hourly AQI, a silent sensor, an overdue document, a forecast that misses its target —
and only their domain can evaluate them. Such a domain registers an :class:`AlertSource` (at import of its
``module.py``); an analyst (or the domain's demo) creates a rule of kind ``source`` whose ``indicator_code`` is the
source's name and whose ``params`` the source reads. The engine then treats each returned condition like a unit of
an indicator rule: pending periods, state history, acknowledgement, silences, grouping and notifications all apply.

A domain that has new facts (observations arrived, a document became overdue) may call
``alerts.service.evaluate_sources(session, names=[...])`` instead of waiting for the periodic evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class SourceCondition:
    """One key's current condition. Keys not returned are back to normal."""

    key: str  # the instance's key, at most 40 characters: a commune or agency code, a station or camera code...
    firing: bool
    message: str  # Vietnamese, names not codes, e.g. "Trạm Phủ Lý: AQI 168 (Xấu) lúc 14:00 07/12/2026"
    value: float | None = None
    period: str | None = None  # what the value is about, at most 10 characters (e.g. "2026-12-07")


@dataclass(frozen=True)
class AlertSource:
    name: str  # "<domain>.<what>", e.g. "environment.aqi"; stored in AlertRule.indicator_code (≤ 60 characters)
    label: str  # Vietnamese, shown where an indicator's name would be
    domain: str  # the board domain it belongs to (as IndicatorDefinition.domain), for filters
    # evaluate(session, rule params, now as naive UTC) -> the keys whose condition is known now
    evaluate: Callable[[Session, dict[str, Any], datetime], Iterable[SourceCondition]]
    # names(session, keys) -> {key: name a person reads}; None: keys are commune or agency codes
    names: Callable[[Session, set[str]], dict[str, str]] | None = None
    # validate(params) raises ValueError with a Vietnamese message for parameters the source cannot use
    validate: Callable[[dict[str, Any]], None] | None = None
    params_help: str = ""
    # responsible(session, keys) -> {key: agency code} of the body each key's alert is for (a directive made from
    # it is addressed there by default); None: keys that are commune or agency codes map themselves
    responsible: Callable[[Session, set[str]], dict[str, str]] | None = None


SOURCES: dict[str, AlertSource] = {}


def register(source: AlertSource) -> AlertSource:
    if source.name in SOURCES and SOURCES[source.name] is not source:
        raise RuntimeError(f"alert source {source.name} registered twice")
    SOURCES[source.name] = source
    return source


def get(name: str) -> AlertSource | None:
    return SOURCES.get(name)


def key_names(session: Session, source_name: str, keys: set[str]) -> dict[str, str]:
    """Names of a source rule's instance keys ({} when the source resolves none: callers fall back to units)."""
    source = SOURCES.get(source_name)
    if source is None or source.names is None or not keys:
        return {}
    return source.names(session, keys)
