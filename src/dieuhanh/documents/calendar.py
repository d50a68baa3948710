"""Deadlines counted in working days, on the one working-day calendar of the project.

The calendar (Monday–Friday less Vietnamese public holidays, plus the province's own days off and working
Saturdays from the settings) is ``publicservices.calendar.WorkingCalendar``; this module only adds "N working days
after a date", which a document's deadline needs ("trong thời hạn 10 ngày làm việc kể từ ngày nhận").
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dieuhanh.publicservices.calendar import WorkingCalendar


def calendar_from(settings: Any) -> WorkingCalendar:
    return WorkingCalendar.from_settings(settings)


def add_working_days(calendar: WorkingCalendar, start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted, as in "kể từ ngày nhận":
    the period starts the day after). ``days`` ≤ 0 gives ``start``."""
    if days <= 0:
        return start
    # A generous window: weekends and the longest holiday run (Tết, up to 9 days off) never triple a period.
    off = calendar.holidays(start, start + timedelta(days=days * 3 + 30))
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working(day, off):
            counted += 1
    return day


def working_days_between(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
    return calendar.working_days_after(start, end)
