"""The rules that make a number one a leader can act on, written once; every page, the wall, the map, the
exports, the alerts and the APIs read indicator values through them.

1. **Periods as of now.** A period that has not ended at the computation instant (``as_of``) is *partial*:
   ``is_partial``. Its value counts only what has happened by ``as_of`` (the engine gives indicator SQL a table
   ``as_of(as_of_date, as_of_time)``, local time, that as-of-aware queries use as the period's end). Changes
   against an earlier period compare like with like (``comparable_instant``: the same elapsed time of the
   previous period) or are not shown. A target is applied to a partial period only when the indicator is
   cumulative within the year (pro-rated by the elapsed share of the year, ``year_fraction``); otherwise the
   status is ``neutral`` ("tạm tính").
2. **Publication schedule and staleness.** Each definition says when a period's data is due (``Schedule``:
   day ``day`` of the ``months_after``-th month after the period's last month; defaults in
   ``DEFAULT_SCHEDULES``). The newest period that should exist by a day is the *expected period*
   (``expected_period``); a latest period older than that is *stale* (``freshness``).
3. **Status means the target** (``status_for``): ``good`` only when the target is met in the indicator's
   direction, ``warning`` within the band short of it (from ``critical`` % of the target, or ``warning`` %
   when no ``critical`` is given, default 90 %), ``critical`` beyond the band, ``neutral`` without a target for
   that year or for a partial period without a pro-rated target, ``nodata`` without a value. Absolute
   thresholds (``absolute: true``) are values: ``warning`` is the level to meet, ``critical`` the edge of the
   band.

Dates are local (Asia/Ho_Chi_Minh); instants in the database are naive UTC (``core.db.utcnow``).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dieuhanh.core import periods
from dieuhanh.core.formatting import LOCAL_TZ, format_date

STATUS_LABELS = {"good": "Đạt", "warning": "Gần đạt", "critical": "Chưa đạt", "neutral": "Theo dõi",
                 "nodata": "Chưa có số liệu"}
STATUSES = tuple(STATUS_LABELS)
DEFAULT_BAND = 90.0  # % of the target from which a value short of it is "Gần đạt"
PARTIAL_LABEL = "tạm tính đến {date}"
STALE_LABEL = "Số liệu cũ"


# ------------------------------------------------------------------------------------------------ instants


def local_now(as_of: datetime) -> datetime:
    """A naive-UTC (or aware) instant as a naive local time."""
    aware = as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of
    return aware.astimezone(LOCAL_TZ).replace(tzinfo=None)


def local_day(as_of: datetime) -> date:
    return local_now(as_of).date()


def utc_of_local(local: datetime) -> datetime:
    """A naive local time back to naive UTC."""
    return local.replace(tzinfo=LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------------------------ partial periods


def is_partial(period: str, as_of: datetime) -> bool:
    """Whether the period had not ended at ``as_of`` (its last day is today or later, local time)."""
    return periods.parse(period).end > local_day(as_of)


def elapsed_fraction(period: str, as_of: datetime) -> float:
    """Share of the period elapsed at ``as_of`` (0–1; 1 for an ended period)."""
    p = periods.parse(period)
    start, end = datetime.combine(p.start, datetime.min.time()), datetime.combine(p.end, datetime.min.time())
    now = local_now(as_of)
    return max(0.0, min(1.0, (now - start) / (end - start)))


def comparable_instant(period: str, as_of: datetime, base_period: str) -> datetime:
    """The instant (naive UTC) of ``base_period`` at which as much of it had elapsed as of ``period`` at
    ``as_of`` — counted in time from the start, capped at the base period's end (1–7/12 ↔ 1–7/11)."""
    p, base = periods.parse(period), periods.parse(base_period)
    elapsed = local_now(as_of) - datetime.combine(p.start, datetime.min.time())
    base_start, base_end = (datetime.combine(base.start, datetime.min.time()),
                            datetime.combine(base.end, datetime.min.time()))
    return utc_of_local(min(base_start + elapsed, base_end))


def year_fraction(period: str, as_of: datetime | None = None) -> float:
    """Share of the year elapsed at the end of the period (6/12 by the end of June), or at ``as_of`` when the
    period has not ended: what a yearly target of a cumulative indicator is pro-rated by."""
    p = periods.parse(period)
    if as_of is not None and is_partial(period, as_of):
        start = datetime(p.year, 1, 1)
        days = 366 if calendar.isleap(p.year) else 365
        return max(0.0, min(1.0, (local_now(as_of) - start) / timedelta(days=days)))
    return p.last_month / 12


def partial_label(as_of: datetime) -> str:
    """"tạm tính đến 07/12/2026"."""
    return PARTIAL_LABEL.format(date=format_date(local_day(as_of)))


# ------------------------------------------------------------------------------------------------ schedules


@dataclass(frozen=True)
class Schedule:
    """When a period's data is due: on ``day`` of the ``months_after``-th month after the month the period
    ends in (the month's last day when it is shorter). Monthly data due by the 20th of the next month:
    ``Schedule(1, 20)``; yearly data due 31/3 of the next year: ``Schedule(3, 31)``."""

    months_after: int
    day: int

    def due(self, period: str | periods.Period) -> date:
        p = periods.parse(period) if isinstance(period, str) else period
        index = p.year * 12 + p.last_month - 1 + self.months_after
        year, month = divmod(index, 12)
        month += 1
        return date(year, month, min(self.day, calendar.monthrange(year, month)[1]))

    def describe(self, periodicity: str) -> str:
        """For people: "ngày 20 tháng sau", "ngày 31 tháng thứ 3 sau kỳ"."""
        if self.months_after == 1:
            return f"ngày {self.day} tháng sau kỳ"
        if periodicity == "year":
            return f"ngày {self.day}/{self.months_after} năm sau"
        return f"ngày {self.day} tháng thứ {self.months_after} sau kỳ"

    def as_dict(self) -> dict[str, int]:
        return {"months_after": self.months_after, "day": self.day}


# Defaults when a definition states none: monthly data by the 20th of the next month (the provincial statistics
# office's monthly report), quarterly by the end of the next month, yearly by 31/3 of the next year.
DEFAULT_SCHEDULES = {"month": Schedule(1, 20), "quarter": Schedule(1, 30), "year": Schedule(3, 31)}


def schedule_of(periodicity: str, publication: Mapping[str, Any] | None) -> Schedule:
    default = DEFAULT_SCHEDULES[periodicity]
    if not publication:
        return default
    return Schedule(int(publication.get("months_after", default.months_after)),
                    int(publication.get("day", default.day)))


def expected_period(periodicity: str, publication: Mapping[str, Any] | None, today: date) -> str:
    """The newest period whose data is due by ``today`` under the definition's schedule."""
    schedule = schedule_of(periodicity, publication)
    p = periods.containing(today, periodicity).previous()
    while schedule.due(p) > today:
        p = p.previous()
    return p.code


@dataclass(frozen=True)
class Freshness:
    latest_period: str | None
    expected_period: str
    stale: bool  # the latest period is older than the expected one (no value at all: not stale, nodata)


def freshness(periodicity: str, publication: Mapping[str, Any] | None, latest_period: str | None,
              today: date) -> Freshness:
    expected = expected_period(periodicity, publication, today)
    stale = latest_period is not None and periods.parse(latest_period).end < periods.parse(expected).end
    return Freshness(latest_period, expected, stale)


# ------------------------------------------------------------------------------------------------ targets, status


@dataclass(frozen=True)
class Target:
    value: float | None  # the target that applies to the period (pro-rated for a cumulative indicator)
    yearly: float | None  # the target as written (for the year or the period)
    pro_rated: bool = False


def target_for(targets: Mapping[str, Any] | None, *, unit: str, period: str, level: str, cumulative: bool = False,
               as_of: datetime | None = None) -> Target:
    """The target of one value: per period (``"2025-06"``) or per year (``"2025"``); for communes and agencies
    only when the indicator is a rate (unit ``%``) — a count's provincial target does not apply to a commune.
    A cumulative indicator's yearly target is pro-rated by the share of the year elapsed."""
    if level != "province" and unit.strip() != "%":
        return Target(None, None)
    targets = targets or {}
    raw = targets.get(period)
    by_period = raw is not None
    if raw is None:
        raw = targets.get(period[:4])
    if raw is None:
        return Target(None, None)
    yearly = float(raw)
    if cumulative and not by_period:
        fraction = year_fraction(period, as_of)
        return Target(round(yearly * fraction, 6), yearly, fraction < 1.0)
    return Target(yearly, yearly)


def status_for(value: float | None, target: float | None, direction: str, thresholds: Mapping[str, Any],
               *, partial: bool = False, pro_rated: bool = False) -> str:
    """good | warning | critical | neutral | nodata (see the module's rule 3)."""
    if value is None:
        return "nodata"
    if direction not in ("higher_better", "lower_better"):
        return "neutral"
    if partial and not pro_rated:
        return "neutral"  # tạm tính: a target is never applied to a period that has not ended at face value
    higher = direction == "higher_better"
    warning, critical = thresholds.get("warning"), thresholds.get("critical")

    def meets(limit: float) -> bool:
        return value >= limit if higher else value <= limit

    if thresholds.get("absolute") and target is None:
        if warning is None and critical is None:
            return "neutral"
        goal = float(warning) if warning is not None else float(critical)  # type: ignore[arg-type]
        if meets(goal):
            return "good"
        if critical is not None and warning is not None and meets(float(critical)):
            return "warning"
        return "critical"
    if target is None:
        return "neutral"  # chưa có mục tiêu
    if meets(target):
        return "good"
    edge = float(critical) if critical is not None else float(warning) if warning is not None else DEFAULT_BAND
    if higher:
        ratio = value / target * 100 if target > 0 else 0.0
    else:
        ratio = target / value * 100 if value > 0 else 0.0
    return "warning" if ratio >= edge else "critical"


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
