"""Tax codes, enterprise matching, the conflict rules of Nghị quyết 198/2025/QH15 and the repair (pure functions,
no store)."""

from __future__ import annotations

import pytest

from dieuhanh.inspections import matching, taxcode
from dieuhanh.inspections.planning import Capacity, PlanVisit, find_conflicts, propose


@pytest.mark.parametrize("code", ["0100233488", "0314409058-002", "0314409058002", "0100 233 488"])
def test_valid_tax_codes_are_normalised(code):
    parsed = taxcode.parse(code)
    assert parsed.parent in ("0100233488", "0314409058")
    assert parsed.is_branch == code.startswith("0314")
    if parsed.is_branch:
        assert parsed.code == "0314409058-002"


@pytest.mark.parametrize(("code", "reason"), [("0100233480", "chữ số kiểm tra"), ("010023348", "10 chữ số"),
                                              ("01002334AB", "chỉ được gồm chữ số"),
                                              ("0314409058-000", "từ 001"), ("0314409051-001", "chữ số kiểm tra")])
def test_invalid_tax_codes_say_why(code, reason):
    with pytest.raises(taxcode.InvalidTaxCode, match=reason):
        taxcode.parse(code)


def test_names_spelled_differently_have_one_key_and_match_the_register_row():
    key = matching.name_key("Công ty TNHH Thực phẩm Minh Phát")
    for spelling in ("CTY TNHH THỰC PHẨM MINH PHÁT", "Cong ty trach nhiem huu han Thuc pham Minh Phat",
                     "C.ty TNHH Thực phẩm Minh Phát", "Côg ty TNHH Thực phẩm Minh Phát"):
        assert matching.name_key(spelling) == key, spelling
    register = matching.Index([
        matching.Record(1, "Công ty TNHH Thực phẩm Minh Phát", "Số 12, đường Lê Lợi, Phường Phủ Lý", "Nguyễn Văn Hùng"),
        matching.Record(2, "Công ty TNHH Thực phẩm Minh Phú", "Số 40, đường Trần Phú, Xã Bình An", "Lê Thị Lan"),
        matching.Record(3, "Công ty Cổ phần Xây dựng Minh Phát", "Thôn 3, Xã Kim Bảng", "Trần Văn Nam")])
    best, score = register.best(matching.Record(0, "Cty TNHH Thuc pham Minh Phat", "12 Lê Lợi, P. Phủ Lý"))
    assert best == 1 and score >= matching.AUTO
    best, score = register.best(matching.Record(0, "Công ty TNHH Thực phẩm Minh Phát",
                                                "Số 12, đường Lê Lợi, Phường Phủ Lý"), exclude=frozenset({1}))
    assert best == 2 and score < matching.AUTO  # once split, the look-alike is not taken automatically


def test_open_data_does_not_name_the_owner_of_a_household_business():
    from dieuhanh.inspections.service import _public_name

    assert _public_name("Hộ kinh doanh Nguyễn Văn Hùng") == "Hộ kinh doanh (không công bố tên cá nhân)"
    assert _public_name("HKD Nguyễn Văn Hùng").startswith("Hộ kinh doanh (không")
    assert _public_name("Công ty TNHH Thực phẩm Minh Phát") == "Công ty TNHH Thực phẩm Minh Phát"


def v(id_, ent, agency, kind, content, month, signs=False, doc=None):  # noqa: ANN001, ANN201
    return PlanVisit(id_, ent, agency, kind, content, month, signs, doc)


def rules(visits, parents=None):  # noqa: ANN001, ANN201
    return sorted((c.rule, tuple(c.visits)) for c in find_conflicts(visits, parents or {}))


def test_each_rule_of_resolution_198():
    assert rules([v(1, 10, "TTT", "thanh_tra", "DT", 3), v(2, 10, "SXD", "thanh_tra", "XD", 8)]) == [
        ("once_thanh_tra", (1, 2))]
    assert rules([v(1, 10, "SYT", "kiem_tra", "ATTP", 3), v(2, 10, "SCT", "kiem_tra_lien_nganh", "GIA", 9)]) == [
        ("once_kiem_tra", (1, 2))]
    assert rules([v(1, 10, "SNNMT", "thanh_tra", "MT", 3), v(2, 10, "BQLKCN", "kiem_tra", "MT", 7)]) == [
        ("same_content", (1, 2))]
    assert rules([v(1, 10, "TTT", "thanh_tra", "DT", 5), v(2, 10, "CAT", "kiem_tra", "PCCC", 5)]) == [
        ("mergeable", (1, 2))]
    assert rules([v(1, 10, "SYT", "kiem_tra", "ATTP", 4), v(2, 11, "CAT", "kiem_tra", "PCCC", 4)], {11: 10}) == [
        ("branch_parent", (1, 2))]
    # one thanh tra and one kiểm tra of different contents in different months: allowed
    assert rules([v(1, 10, "TTT", "thanh_tra", "DT", 3), v(2, 10, "CAT", "kiem_tra", "PCCC", 9)]) == []


def test_signs_of_violation_with_a_document_are_an_exception_without_one_they_are_not():
    exempt = [v(1, 10, "SYT", "kiem_tra", "ATTP", 3), v(2, 10, "SYT", "kiem_tra", "ATTP", 6, True, "Đơn số 12/2026")]
    assert rules(exempt) == []
    claimed = [v(1, 10, "SYT", "kiem_tra", "ATTP", 3), v(2, 10, "SYT", "kiem_tra", "ATTP", 6, True)]
    found = find_conflicts(claimed, {})
    assert [c.rule for c in found] == ["once_kiem_tra"]
    assert found[0].exception and "không dẫn văn bản căn cứ" in found[0].exception
    assert "Nghị quyết 198/2025/QH15" in found[0].legal_basis


def test_repair_merges_moves_and_drops_with_no_conflict_left_and_capacity_kept():
    visits = [v(1, 10, "SYT", "kiem_tra", "ATTP", 3), v(2, 10, "SCT", "kiem_tra", "GIA", 3),
              v(3, 10, "SYT", "kiem_tra", "ATTP", 9),  # same agency, kind and content: a duplicate
              v(4, 10, "SNNMT", "thanh_tra", "MT", 3), v(5, 10, "TTT", "thanh_tra", "DT", 6),
              v(6, 20, "SXD", "kiem_tra", "XD", 5), v(7, 21, "CAT", "kiem_tra", "PCCC", 5),  # branch 21 of 20
              v(8, 30, "CAT", "kiem_tra", "PCCC", 2)]
    cap = {"CAT": Capacity(per_month=1, blackout={2, 12})}
    result = propose(visits, {21: 20}, cap)
    assert result.conflicts_before > 0 and result.conflicts_after == 0
    actions = {c["visit_id"]: c for c in result.changes}
    assert actions[3]["action"] == "drop" and actions[2] == {"visit_id": 2, "action": "merge", "merged_with": 1}
    assert actions[4] == {"visit_id": 4, "action": "merge", "merged_with": 5}  # joint inspection led by TTT
    assert actions[7]["action"] == "move" and actions[7]["to_month"] != 5
    assert actions[8]["action"] == "move" and actions[8]["to_month"] not in (2, 12)  # blackout respected
    assert max(result.workload["after"]["CAT"].values()) <= 1
    assert visits[0].kind == "kiem_tra" and visits[1].active  # the caller's visits are not changed


def test_one_agency_with_everything_in_one_month_is_spread_within_capacity_and_blackout():
    # 24 checks of SXD in May on 24 enterprises; enterprise 1 is also checked by CAT in March (so a move there
    # would clash); SXD cannot work in February and December and may do at most 3 a month
    visits = [v(i, i, "SXD", "kiem_tra", "XD", 5) for i in range(1, 25)] + [v(100, 1, "CAT", "thanh_tra", "PCCC", 3)]
    result = propose(visits, {}, {"SXD": Capacity(per_month=3, blackout={2, 12})})
    assert result.conflicts_before == 0 and result.conflicts_after == 0
    before, after = result.workload["before"]["SXD"], result.workload["after"]["SXD"]
    assert before["5"] == 24 and sum(before.values()) == sum(after.values()) == 24
    assert after["2"] == after["12"] == 0  # blackout months never used
    assert max(after.values()) <= 3  # capacity kept
    moves = [c for c in result.changes if c["action"] == "move"]
    assert len(moves) == 24 - 3  # exactly the excess of May moved: the fewest changes
    assert all(c["from_month"] == 5 and c["to_month"] not in (2, 5, 12) for c in moves)
    assert not any(c["visit_id"] == 1 and c["to_month"] == 3 for c in moves)  # not into CAT's month
    assert sorted(after.values()) == [0, 0] + [2] * 6 + [3] * 4  # 24 over 10 months: as even as it gets
    spread = result.workload["spread"]
    assert spread["after"]["SXD"]["max"] == 3 < spread["before"]["SXD"]["max"] == 24
    assert spread["after"]["SXD"]["deviation"] < spread["before"]["SXD"]["deviation"]


def test_without_a_configured_capacity_no_month_exceeds_one_and_a_half_mean_months():
    visits = [v(i, i, "SYT", "kiem_tra", "ATTP", 7) for i in range(1, 13)]
    result = propose(visits, {}, {"SYT": Capacity(blackout={1})})
    assert result.workload["default_capacity"] == ["SYT"] and result.workload["capacity"]["SYT"] == 2  # ⌈1,5×12/11⌉
    after = result.workload["after"]["SYT"]
    assert max(after.values()) <= 2 and after["1"] == 0 and result.conflicts_after == 0
    assert len(result.changes) == 10
    # a plan already within its limits is not touched
    even = [v(i, i, "SYT", "kiem_tra", "ATTP", i) for i in range(1, 13)]
    assert propose(even, {}, {}).changes == []


def test_a_visit_moved_for_a_conflict_goes_to_the_least_loaded_month_and_back_home_when_it_can():
    # SCT's visit to enterprise 1 clashes with SYT's in month 4 and must move; SCT's months 5 and 3 are full
    visits = [v(1, 1, "SYT", "kiem_tra", "ATTP", 4), v(2, 1, "SCT", "thanh_tra", "GIA", 4)]
    visits += [v(10 + i, 10 + i, "SCT", "kiem_tra", "GIA", m) for i, m in enumerate([3, 3, 5, 5, 6, 7, 8, 9, 10,
                                                                                      11, 12, 1])]
    result = propose(visits, {}, {"SCT": Capacity(per_month=2)})
    moved = next(c for c in result.changes if c["visit_id"] == 2)
    assert moved["to_month"] == 2  # SCT's only empty month, not the nearest (3 or 5)
    assert result.conflicts_after == 0 and len(result.changes) == 1
