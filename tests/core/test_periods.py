"""The one parser of period codes (2025-06, 2025-Q2, 2025) and its arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.periods import Period, between, containing, kind_of, parse


@pytest.mark.parametrize(("code", "start", "last_day"), [
    ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
    ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30)),
    ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30)),
    ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
    ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
    ("1900-02", date(1900, 2, 1), date(1900, 2, 28)),  # divisible by 100, not by 400: not a leap year
    ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
    ("2025", date(2025, 1, 1), date(2025, 12, 31)),
])
def test_bounds_of_quarters_months_and_years(code: str, start: date, last_day: date) -> None:
    p = parse(code)
    assert (p.start, p.last_day) == (start, last_day)
    assert p.end == date.fromordinal(last_day.toordinal() + 1)  # exclusive end: the next day
    assert p.code == str(p) == code
    assert p.contains(start) and p.contains(last_day) and not p.contains(p.end)


def test_parsed_fields_and_last_month() -> None:
    assert parse("2025-06") == Period("month", 2025, 6)
    assert parse(" 2025-Q2 ") == Period("quarter", 2025, 2)
    assert parse("2025") == Period("year", 2025, 0)
    assert [parse(c).last_month for c in ("2025-06", "2025-Q2", "2025-Q4", "2025")] == [6, 6, 12, 12]
    assert kind_of("2025-Q3") == "quarter"


def test_next_and_previous_roll_over_the_year() -> None:
    assert parse("2025-12").next().code == "2026-01"
    assert parse("2026-01").previous().code == "2025-12"
    assert parse("2025-Q4").next().code == "2026-Q1"
    assert parse("2026-Q1").previous().code == "2025-Q4"
    assert parse("2025").next().code == "2026" and parse("2025").previous().code == "2024"
    assert parse("2025-06").shift(-18).code == "2023-12"
    assert parse("2025-Q2").shift(7).code == "2027-Q1"


def test_containing_period_of_a_date() -> None:
    day = date(2025, 9, 30)
    assert [containing(day, k).code for k in ("month", "quarter", "year")] == ["2025-09", "2025-Q3", "2025"]
    assert containing(date(2025, 10, 1), "quarter").code == "2025-Q4"
    assert containing(date(2024, 2, 29), "month").code == "2024-02"
    with pytest.raises(InvalidInput, match="Loại kỳ «week» không hợp lệ"):
        containing(day, "week")


def test_between_is_inclusive_and_empty_when_reversed() -> None:
    assert [p.code for p in between(parse("2024-11"), parse("2025-02"))] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert [p.code for p in between(parse("2025-Q3"), parse("2026-Q1"))] == ["2025-Q3", "2025-Q4", "2026-Q1"]
    assert between(parse("2025-03"), parse("2025-02")) == []


def test_labels_for_people() -> None:
    assert parse("2025-06").label() == "Tháng 06/2025"
    assert parse("2025-Q2").label() == "Quý 2/2025"
    assert parse("2025").label() == "Năm 2025"
    assert parse("2025-06").label(short=True) == "06/2025"


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025-Q0", "2025-Q5", "2025-q2", "2025-6", "25", "", None,
                                  "2025-06-01", "năm 2025", "2025 -06"])
def test_invalid_codes_are_refused_in_vietnamese(text: str | None) -> None:
    with pytest.raises(InvalidInput) as info:
        parse(text)
    assert info.value.message == (f"Kỳ «{(text or '').strip()}» không hợp lệ: dùng dạng 2025-06 (tháng), 2025-Q2 "
                                  "(quý) hoặc 2025 (năm).")


def test_a_kind_asked_for_refuses_the_others() -> None:
    assert parse("2025-Q2", "quarter").code == "2025-Q2"
    with pytest.raises(InvalidInput) as info:
        parse("2025-06", "quarter")
    assert info.value.message == "Kỳ «2025-06» không đúng dạng 2025-Q2 (kỳ theo quý)."
    with pytest.raises(InvalidInput, match="Loại kỳ «tuần» không hợp lệ"):
        parse("2025-06", "tuần")


def test_periods_that_do_not_exist() -> None:
    with pytest.raises(InvalidInput, match="Kỳ không tồn tại: năm 0"):
        parse("0000")
    with pytest.raises(InvalidInput, match="Kỳ không tồn tại: quý 5 năm 2025"):
        Period("quarter", 2025, 5)
    with pytest.raises(InvalidInput, match="Kỳ không tồn tại: tháng 0 năm 2025"):
        Period("month", 2025, 0)
    with pytest.raises(InvalidInput):
        parse("9999")  # its end would not be a date
    assert parse("9998-12").end == date(9999, 1, 1)
