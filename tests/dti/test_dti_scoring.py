"""The framework as data and its four scoring rules (pure functions: no store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dieuhanh.core.errors import InvalidInput
from dieuhanh.dti import framework as fw

FRAMEWORKS = Path(fw.__file__).parent / "frameworks"


def _sub(rule: dict, points: float = 40) -> fw.SubIndicator:
    return fw.SubIndicator.model_validate({"code": "X.1", "name": "thử", "points": points, "rule": rule})


def test_yes_no_gives_all_or_nothing_and_reads_vietnamese_answers():
    sub = _sub({"kind": "yes_no"}, 20)
    assert fw.score(sub, True) == 20 and fw.score(sub, False) == 0 and fw.score(sub, None) is None
    assert fw.check_value(sub, "Có") is True and fw.check_value(sub, "không") is False
    with pytest.raises(InvalidInput, match="X.1"):
        fw.check_value(sub, "có lẽ")


def test_ratio_takes_the_share_of_the_highest_threshold_reached_in_any_written_order():
    sub = _sub({"kind": "ratio", "thresholds": [[40, 0.5], [80, 1], [20, 0.25]]}, 80)
    assert [fw.score(sub, v) for v in (95, 80, 79.9, 40, 20, 19.9)] == [80, 80, 40, 40, 20, 0]
    with pytest.raises(InvalidInput, match="0 đến 100"):
        fw.check_value(sub, 120)
    with pytest.raises(InvalidInput, match="phải là một số"):
        fw.check_value(sub, "nhiều")


def test_count_adds_points_per_item_up_to_the_cap_and_never_beyond_the_points():
    capped = _sub({"kind": "count", "per_item": 10, "cap": 30}, 40)
    assert [fw.score(capped, n) for n in (0, 2, 3, 9)] == [0, 20, 30, 30]
    uncapped = _sub({"kind": "count", "per_item": 15}, 40)
    assert fw.score(uncapped, 5) == 40
    with pytest.raises(InvalidInput, match="không âm"):
        fw.check_value(capped, -1)


def test_ordinal_scores_the_chosen_level_and_refuses_an_unknown_one():
    sub = _sub({"kind": "ordinal", "levels": {"Toàn bộ": 1, "Một phần": 0.5, "Chưa": 0}}, 20)
    assert [fw.score(sub, lv) for lv in ("Toàn bộ", "Một phần", "Chưa")] == [20, 10, 0]
    with pytest.raises(InvalidInput, match="Toàn bộ, Một phần, Chưa"):
        fw.check_value(sub, "Gần hết")


def test_shipped_frameworks_total_1000_points_with_automatic_sub_indicators_and_their_basis():
    for name, level in (("so_nganh.yaml", "department"), ("xa_phuong.yaml", "commune")):
        parsed = fw.parse((FRAMEWORKS / name).read_text(encoding="utf-8"))
        assert parsed.level == level and parsed.total_points == 1000
        subs = parsed.subs()
        assert {s.source.kind for s in subs} >= {"self", "indicator"}
        assert all(s.basis for s in subs) and "405/QĐ-BKHCN" in parsed.basis and parsed.weights_note


def test_an_invalid_framework_names_the_sub_indicator_and_field():
    text = """
code: thu
name: Thử
level: department
pillars:
  - code: A
    name: Trụ cột
    indices:
      - code: A.1
        name: Chỉ số
        sub_indicators:
          - {code: A.1.1, name: Một, points: 10, rule: {kind: ratio, thresholds: [[50, 2]]}}
          - {code: A.1.2, name: Hai, points: 10, rule: {kind: sometimes}}
"""
    with pytest.raises(InvalidInput) as exc:
        fw.parse(text, origin="thu.yaml")
    fields = [e.field for e in exc.value.errors]
    assert any("sub_indicators[0] (A.1.1).rule" in f for f in fields)
    assert any("sub_indicators[1] (A.1.2).rule" in f for f in fields)
    assert "thu.yaml" in exc.value.message
    with pytest.raises(InvalidInput, match=r"dòng \d+, cột \d+"):
        fw.parse("code: [\n  x: y", origin="hỏng.yaml")
