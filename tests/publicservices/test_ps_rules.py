"""The rules profile (QĐ 766) as data, and the working-day calendar."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml

from dieuhanh.core.errors import InvalidInput
from dieuhanh.publicservices import rules
from dieuhanh.publicservices.calendar import WorkingCalendar, parse_dates
from dieuhanh.publicservices.compute import parse_period, periods_between


def _data() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(rules.EVEN_SPLIT_PROFILE.read_text(encoding="utf-8"))


def test_even_split_profile_is_kept() -> None:
    p = rules.profile_by_code("qd766_2022")
    assert [(g.code, g.name, g.max_score) for g in p.groups] == [
        ("1", "Công khai, minh bạch", 18), ("2", "Tiến độ giải quyết", 20), ("3", "Dịch vụ công trực tuyến", 12),
        ("4", "Thanh toán trực tuyến", 10), ("5", "Số hóa hồ sơ", 22), ("6", "Mức độ hài lòng", 18)]
    by = {r.code: r for r in p.rules}
    assert {c: (by[c].max_score, by[c].group) for c in ("2.1", "3.1", "3.2", "3.3", "3.6", "4.1", "4.2", "4.3",
                                                       "5.4")} == {
        "2.1": (20, "2"), "3.1": (2, "3"), "3.2": (4, "3"), "3.3": (6, "3"), "3.6": (6, "4"), "4.1": (6, "5"),
        "4.2": (4, "5"), "4.3": (2, "5"), "5.4": (6, "6")}
    # the formulas: min(cap, factor × ratio / target)
    assert by["3.1"].score is not None and by["3.1"].score.of(0.8) == 2 and by["3.1"].score.of(0.4) == 1
    assert by["3.3"].score is not None and by["3.3"].score.of(0.25) == 3 and by["3.3"].score.of(0.9) == 6
    assert by["4.3"].score is not None and by["4.3"].score.of(0.4) == 1
    assert by["5.4"].score is not None and by["5.4"].score.of(0.45) == 3 and by["5.4"].empty_score == 0
    assert by["2.1"].score is not None and by["2.1"].score.of(0.5) == 10
    assert all("766" in r.source for r in p.rules)
    assert sum(g.max_score for g in p.groups) == 100
    # the remaining indicators need extra fields (never invented); their names are the portal's PascalCase
    extra = {r.code: r.extra_field.field for r in p.rules if r.extra_field}
    assert set(extra) == {"1.1", "1.2", "1.3", "1.4", "3.5", "4.4", "4.5", "5.1", "5.2", "5.3"}
    assert extra["1.4"] == "DongBoDVCQG"


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["groups"][0].update(max_score=19), "tổng điểm tối đa"),
    (lambda d: d["rules"][4].update(max_score=21), "nhóm 2"),
    (lambda d: d["rules"][4].update(measure="doan_bua"), "cách đếm"),
    (lambda d: d["rules"][4].update(group="9"), "nhóm «9»"),
    (lambda d: d["rules"][4]["score"].update(cap=25), "cap"),
    (lambda d: d["rules"][4]["score"].update(target=0), "target"),
    (lambda d: d["rules"][0].pop("extra_field"), "extra_field"),
    (lambda d: d["rules"].append(copy.deepcopy(d["rules"][4])), "lặp"),
    (lambda d: d.pop("rules"), "rules"),
])
def test_profile_validation(change, message) -> None:  # type: ignore[no-untyped-def]
    data = _data()
    change(data)
    with pytest.raises(InvalidInput) as exc:
        rules.parse_profile(data)
    assert message in exc.value.message


def test_round_half_up() -> None:
    assert rules.round2(1.875) == 1.88
    assert rules.round2(0.125) == 0.13
    assert rules.round2(2 / 3 * 100) == 66.67
    assert rules.round2(None) is None


def test_working_days() -> None:
    cal = WorkingCalendar()
    # Mon 28/4/2025 -> Mon 5/5: 29/4 only, then 30/4, 1/5, 2/5 (substituted) off, weekend, 5/5
    assert cal.working_days_after(date(2025, 4, 28), date(2025, 5, 5)) == 2
    # Tết 2025 (27/1 – 31/1 off): Fri 24/1 -> Mon 3/2 is one working day
    assert cal.working_days_after(date(2025, 1, 24), date(2025, 2, 3)) == 1
    assert cal.working_days_after(date(2025, 6, 6), date(2025, 6, 9)) == 1  # Fri -> Mon
    assert cal.working_days_after(date(2025, 6, 9), date(2025, 6, 9)) == 0
    assert WorkingCalendar(use_national_holidays=False).working_days_after(date(2025, 4, 28), date(2025, 5, 5)) == 5
    saturday = WorkingCalendar(working_days=frozenset({date(2025, 4, 26)}))
    assert saturday.is_working(date(2025, 4, 26)) and not cal.is_working(date(2025, 4, 26))
    rows = cal.rows(date(2025, 4, 28), date(2025, 5, 5))
    assert [r[2] for r in rows] == [1, 2, 2, 2, 2, 2, 2, 3]


def test_calendar_settings() -> None:
    from dieuhanh.settings import Settings

    s = Settings(publicservices_extra_holidays="2025-06-10, 2025-06-11", publicservices_working_days="2025-04-26")
    cal = WorkingCalendar.from_settings(s, rules.profile_by_code("qd766_2022"))
    assert cal.extra_holidays == {date(2025, 6, 10), date(2025, 6, 11)}
    assert cal.working_days == {date(2025, 4, 26)}
    with pytest.raises(InvalidInput):
        parse_dates("2025-13-01")


def test_periods() -> None:
    assert parse_period("2025-Q2").start.month == 4 and parse_period("2025-Q2").end.month == 7
    assert parse_period("2025-12").end.year == 2026
    assert parse_period("2025").kind == "year"
    for bad in ("2025-13", "2025-Q5", "25", "", "2025-6"):
        with pytest.raises(InvalidInput):
            parse_period(bad)
    codes = [p.code for p in periods_between(date(2024, 12, 15), date(2025, 2, 1))]
    assert codes == ["2024", "2024-Q4", "2024-12", "2025", "2025-Q1", "2025-01", "2025-02"]
