"""Report periods (2025-06, 2025-Q2, 2025) and due dates."""

from __future__ import annotations

import calendar
import re
from datetime import date

from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.formatting import period_label

PATTERNS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
EXAMPLES = {"month": "2025-06", "quarter": "2025-Q2", "year": "2025"}
PERIODICITY_LABELS = {"month": "Tháng", "quarter": "Quý", "year": "Năm"}


def kind_of(period: str) -> str:
    for kind, pattern in PATTERNS.items():
        if pattern.match(period):
            return kind
    raise InvalidInput(f"Kỳ báo cáo «{period}» không hợp lệ (ví dụ 2025-06, 2025-Q2, 2025).")


def check(period: str, periodicity: str) -> str:
    period = period.strip()
    if not PATTERNS[periodicity].match(period):
        raise InvalidInput(f"Kỳ báo cáo «{period}» không đúng dạng {EXAMPLES[periodicity]} "
                           f"(báo cáo theo {PERIODICITY_LABELS[periodicity].lower()}).")
    return period


def end_month(period: str) -> tuple[int, int]:
    """(year, month) of the last month of a period."""
    kind = kind_of(period)
    match = PATTERNS[kind].match(period)
    assert match
    year = int(match.group(1))
    if kind == "month":
        return year, int(match.group(2))
    if kind == "quarter":
        return year, int(match.group(2)) * 3
    return year, 12


def end_date(period: str) -> date:
    year, month = end_month(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def due_date(period: str, due_day: int) -> date:
    """Day ``due_day`` of the month after the period ends (the month's last day if it is shorter)."""
    year, month = end_month(period)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, min(max(due_day, 1), calendar.monthrange(year, month)[1]))


def month_key(period: str) -> str:
    """The month a period is counted in (its last month), e.g. 2025-Q2 → 2025-06."""
    year, month = end_month(period)
    return f"{year:04d}-{month:02d}"


def of_date(day: date, periodicity: str) -> str:
    if periodicity == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if periodicity == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def previous(period: str) -> str:
    kind = kind_of(period)
    year, month = end_month(period)
    if kind == "month":
        return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"
    if kind == "quarter":
        q = month // 3
        return f"{year - 1:04d}-Q4" if q == 1 else f"{year:04d}-Q{q - 1}"
    return f"{year - 1:04d}"


def following(period: str) -> str:
    kind = kind_of(period)
    year, month = end_month(period)
    if kind == "month":
        return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"
    if kind == "quarter":
        q = month // 3
        return f"{year + 1:04d}-Q1" if q == 4 else f"{year:04d}-Q{q + 1}"
    return f"{year + 1:04d}"


def between(first: str, last: str) -> list[str]:
    """Periods from ``first`` to ``last`` inclusive (same periodicity)."""
    out: list[str] = []
    current = first
    while end_date(current) <= end_date(last) and len(out) < 1000:
        out.append(current)
        current = following(current)
    return out


def label(period: str) -> str:
    return period_label(period)
