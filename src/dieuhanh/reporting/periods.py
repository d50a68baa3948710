"""Report periods as stored (codes such as 2025-06, 2025-Q2, 2025) and their due dates.

Parsing and arithmetic are ``core.periods``; this keeps reporting's own rule (the due date) and the string
helpers its pages and services use on stored codes.
"""

from __future__ import annotations

import calendar
from datetime import date

from dieuhanh.core.periods import containing, parse


def due_date(period: str, due_day: int) -> date:
    """Day ``due_day`` of the month after the period ends (the month's last day if it is shorter)."""
    month = containing(parse(period).last_day, "month").next()
    return month.start.replace(day=min(max(due_day, 1), calendar.monthrange(month.year, month.index)[1]))


def of_date(day: date, periodicity: str) -> str:
    """The code of the period of ``periodicity`` containing ``day``."""
    return containing(day, periodicity).code


def previous(period: str) -> str:
    return parse(period).previous().code


def latest_ended(periodicity: str, today: date) -> str:
    """The last period of ``periodicity`` that has ended by ``today`` (the one now being reported)."""
    return containing(today, periodicity).previous().code


def chosen(period: str | None, periodicity: str, today: date) -> str:
    """``period`` checked against the report's periodicity (stripped), or the latest ended period if none."""
    return parse(period, periodicity).code if period else latest_ended(periodicity, today)
