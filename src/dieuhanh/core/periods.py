"""Periods of indicators and reports: a month ``2025-06``, a quarter ``2025-Q2`` or a year ``2025``.

The one parser of period codes. Dates are local calendar dates (Asia/Ho_Chi_Minh); a period covers
``start <= day < end``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, cast

from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.formatting import period_label

Kind = Literal["month", "quarter", "year"]
KINDS: tuple[Kind, ...] = ("month", "quarter", "year")
KIND_LABELS: dict[str, str] = {"month": "Tháng", "quarter": "Quý", "year": "Năm"}
EXAMPLES: dict[str, str] = {"month": "2025-06", "quarter": "2025-Q2", "year": "2025"}
PATTERNS: dict[str, re.Pattern[str]] = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Period:
    """``kind`` month | quarter | year; ``index`` the month (1–12) or quarter (1–4), 0 for a year."""

    kind: Kind
    year: int
    index: int = 0

    def __post_init__(self) -> None:
        _check_kind(self.kind)
        low, top = (0, 0) if self.kind == "year" else (1, _PER_YEAR[self.kind])
        # 9998: the period's exclusive end must still be a date.
        if not (1 <= self.year <= 9998 and low <= self.index <= top):
            which = "" if self.kind == "year" else f"{KIND_LABELS[self.kind].lower()} {self.index} "
            raise InvalidInput(f"Kỳ không tồn tại: {which}năm {self.year} (năm từ 0001 đến 9998).")

    @property
    def code(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.index}"
        return f"{self.year:04d}"

    def __str__(self) -> str:
        return self.code

    @property
    def _ordinal(self) -> int:
        """Periods of one kind counted from year 0 (consecutive periods differ by one)."""
        return self.year * _PER_YEAR[self.kind] + max(self.index, 1) - 1

    @classmethod
    def _from_ordinal(cls, kind: Kind, ordinal: int) -> Period:
        year, rest = divmod(ordinal, _PER_YEAR[kind])
        return cls(kind, year, 0 if kind == "year" else rest + 1)

    @property
    def first_month(self) -> int:
        return (max(self.index, 1) - 1) * _MONTHS[self.kind] + 1

    @property
    def last_month(self) -> int:
        """The month the period ends in (2025-Q2 → 6, 2025 → 12)."""
        return self.first_month + _MONTHS[self.kind] - 1

    @property
    def start(self) -> date:
        """The first day."""
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The first day after the period (exclusive end): 2025-Q2 → 01/07/2025, 2025-12 → 01/01/2026."""
        after = self.last_month + 1
        return date(self.year + 1, 1, 1) if after > 12 else date(self.year, after, 1)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def shift(self, count: int) -> Period:
        """The period ``count`` periods of the same kind later (earlier when negative)."""
        return Period._from_ordinal(self.kind, self._ordinal + count)

    def next(self) -> Period:
        return self.shift(1)

    def previous(self) -> Period:
        return self.shift(-1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def label(self, *, short: bool = False) -> str:
        """For people: "Tháng 06/2025", "Quý 2/2025", "Năm 2025"."""
        return period_label(self.code, short=short)


def parse(text: str | None, kind: str | None = None) -> Period:
    """``2025-06`` | ``2025-Q2`` | ``2025`` (surrounding spaces ignored); with ``kind``, only that kind."""
    value = (text or "").strip()
    for k in (_check_kind(kind),) if kind else KINDS:
        match = PATTERNS[k].match(value)
        if match:
            return Period(k, int(match.group(1)), int(match.group(2)) if k != "year" else 0)
    if kind:
        raise InvalidInput(f"Kỳ «{value}» không đúng dạng {EXAMPLES[kind]} (kỳ theo {KIND_LABELS[kind].lower()}).")
    raise InvalidInput(f"Kỳ «{value}» không hợp lệ: dùng dạng 2025-06 (tháng), 2025-Q2 (quý) hoặc 2025 (năm).")


def kind_of(text: str) -> Kind:
    return parse(text).kind


def containing(day: date, kind: str) -> Period:
    """The period of ``kind`` that contains ``day``."""
    k = _check_kind(kind)
    return Period(k, day.year, 0 if k == "year" else (day.month - 1) // _MONTHS[k] + 1)


def _check_kind(kind: str) -> Kind:
    if kind not in _PER_YEAR:
        raise InvalidInput(f"Loại kỳ «{kind}» không hợp lệ: dùng month (tháng), quarter (quý) hoặc year (năm).")
    return cast(Kind, kind)


def between(first: Period, last: Period) -> list[Period]:
    """Periods of ``first``'s kind from ``first`` up to the one ending with or before ``last`` ends (empty when
    ``last`` ends before ``first``)."""
    out: list[Period] = []
    current = first
    while current.end <= last.end:
        out.append(current)
        current = current.next()
    return out
