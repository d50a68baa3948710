"""Working days for rule 2.1 (QĐ 766): Monday–Friday, less Vietnamese public holidays.

Holidays come from the ``holidays`` package's Vietnam calendar (Tết, 30/4, 1/5, 2/9, Giỗ Tổ Hùng Vương and the
substituted days off it knows); a province adds its own days off or working Saturdays in the settings
(``DIEUHANH_PUBLICSERVICES_EXTRA_HOLIDAYS``, ``DIEUHANH_PUBLICSERVICES_WORKING_DAYS``: ISO dates, comma-separated).

The engine needs "the number of working days after the receipt date up to and including the end date": with
``idx(d)`` = the number of working days from the calendar's first day up to and including ``d``, that is
``idx(end) − idx(receipt)``. ``WorkingCalendar.rows`` gives (date, is_working, idx) for a date range; the
engine inlines them as a small table in its SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dieuhanh.core.errors import InvalidInput


def parse_dates(text: str | Iterable[str] | None, *, setting: str = "") -> frozenset[date]:
    if not text:
        return frozenset()
    items = text.split(",") if isinstance(text, str) else list(text)
    out: set[date] = set()
    for item in items:
        item = item.strip()
        if not item:
            continue
        try:
            out.add(date.fromisoformat(item))
        except ValueError:
            where = setting or "lịch làm việc"
            raise InvalidInput(f"Ngày «{item}» trong {where} không đúng dạng yyyy-mm-dd.") from None
    return frozenset(out)


@dataclass(frozen=True)
class WorkingCalendar:
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)  # e.g. working Saturdays
    use_national_holidays: bool = True

    @classmethod
    def from_settings(cls, settings: Any, profile: Any = None) -> WorkingCalendar:
        """The profile's make-up working days and extra days off (data, with the decision of each), plus the
        settings' own lists (which win: a date in both is what the settings say)."""
        if profile is None:
            from dieuhanh.publicservices.rules import load_profile

            profile = load_profile()
        extra = frozenset(profile.days_off)
        working = frozenset(profile.make_up_days)
        if settings is not None:
            s_extra = parse_dates(getattr(settings, "publicservices_extra_holidays", ""),
                                  setting="DIEUHANH_PUBLICSERVICES_EXTRA_HOLIDAYS")
            s_working = parse_dates(getattr(settings, "publicservices_working_days", ""),
                                    setting="DIEUHANH_PUBLICSERVICES_WORKING_DAYS")
            extra = (extra - s_working) | s_extra
            working = (working - s_extra) | s_working
        return cls(extra_holidays=extra, working_days=working)

    def holidays(self, first: date, last: date) -> set[date]:
        days: set[date] = set()
        if self.use_national_holidays:
            import holidays as holidays_package

            days.update(holidays_package.country_holidays("VN", years=range(first.year, last.year + 1)).keys())
        days.update(self.extra_holidays)
        return days

    def is_working(self, day: date, holidays: set[date] | None = None) -> bool:
        if day in self.working_days:
            return True
        if holidays is None:
            holidays = self.holidays(day, day)
        return day.weekday() < 5 and day not in holidays

    def rows(self, first: date, last: date) -> list[tuple[date, bool, int]]:
        """(date, is_working, idx) for every day from ``first`` to ``last`` inclusive."""
        off = self.holidays(first, last)
        out: list[tuple[date, bool, int]] = []
        idx = 0
        day = first
        while day <= last:
            working = self.is_working(day, off)
            idx += working
            out.append((day, working, idx))
            day += timedelta(days=1)
        return out

    def working_days_after(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
        if end <= start:
            return 0
        return self.rows(start, end)[-1][2] - (1 if self.is_working(start, self.holidays(start, end)) else 0)
