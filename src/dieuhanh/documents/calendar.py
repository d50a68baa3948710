"""Deadlines counted in working days, on the one working-day calendar of the project.

The calendar (Monday–Friday less Vietnamese public holidays, plus the province's own days off and working
Saturdays from the settings) is ``publicservices.calendar.WorkingCalendar``; this module only adds "N working days
after a date", which a document's deadline needs ("trong thời hạn 10 ngày làm việc kể từ ngày nhận").
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any, cast

from dieuhanh.publicservices.calendar import WorkingCalendar


def calendar_from(settings: Any) -> WorkingCalendar:
    return WorkingCalendar.from_settings(settings)


def add_working_days(calendar: WorkingCalendar, start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted, as in "kể từ ngày nhận":
    the period starts the day after). ``days`` ≤ 0 gives ``start``."""
    if days <= 0:
        return start
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working(day, cast("set[date]", _year_holidays(calendar, day.year))):
            counted += 1
    return day


def is_working(calendar: WorkingCalendar, day: date) -> bool:
    return calendar.is_working(day, cast("set[date]", _year_holidays(calendar, day.year)))


@lru_cache(maxsize=64)
def _year_holidays(calendar: WorkingCalendar, year: int) -> frozenset[date]:
    """A year's days off (the holidays package builds its calendar in milliseconds: once per year, not per day)."""
    return frozenset(calendar.holidays(date(year, 1, 1), date(year, 12, 31)))


def working_days_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
    return calendar.working_days_after(start, end)
