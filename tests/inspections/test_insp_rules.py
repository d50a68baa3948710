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
    assert max(result.workload["CAT"]["after"]) <= 1
    assert visits[0].kind == "kiem_tra" and visits[1].active  # the caller's visits are not changed
