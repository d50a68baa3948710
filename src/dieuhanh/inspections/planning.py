"""Conflicts of a year's merged plan with Nghị quyết 198/2025/QH15 and the proposal that removes them.

Pure functions on plain records (the service loads them from the database; the benchmark generates them), so
both the API and ``bench/inspections.py`` run exactly this code.

The optimiser is a deterministic greedy repair with the fewest changes, enterprise by enterprise: exact
duplicates are dropped; an enterprise's several kiểm tra become one kiểm tra liên ngành (merge into the earliest);
several thanh tra become one joint inspection led by Thanh tra tỉnh when it plans one; a kiểm tra on the content
of a thanh tra joins it; visits of different agencies left in one month, and a branch visited in its head office's
month, are moved to the nearest month that the agency can take (capacity, blackout months, balanced load). OR-Tools
CP-SAT (suggested by the issue) was not needed: each enterprise is an independent small problem, and the greedy
repair reaches zero conflicts on 45.000 visits in well under a second (bench/inspections.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from dieuhanh.inspections.reference import INSPECTORATE, LEGAL_BASIS

CHECKS = ("kiem_tra", "kiem_tra_lien_nganh")


@dataclass
class PlanVisit:
    id: int
    enterprise_id: int
    agency: str
    kind: str
    content: str
    month: int
    violation_signs: bool = False
    basis_document: str | None = None
    active: bool = True  # False once merged into another visit or dropped

    @property
    def exempt(self) -> bool:
        """NQ 198, Điều 4: the once-a-year limits do not apply where there are clear signs of violation — claimed
        with the document that shows them."""
        return self.violation_signs and bool(self.basis_document)


@dataclass
class ConflictFound:
    enterprise_id: int
    rule: str
    visits: list[int]
    legal_basis: str
    exception: str | None = None


@dataclass
class Capacity:
    per_month: int | None = None
    blackout: set[int] = field(default_factory=set)


def _claims(visits: list[PlanVisit]) -> str | None:
    claimed = [v for v in visits if v.violation_signs and not v.basis_document]
    if not claimed:
        return None
    return ("Có nêu dấu hiệu vi phạm nhưng không dẫn văn bản căn cứ (cuộc " + ", ".join(str(v.id) for v in claimed)
            + "): chưa được áp dụng ngoại lệ")


def find_conflicts(visits: list[PlanVisit], parents: dict[int, int]) -> list[ConflictFound]:
    """Every conflict of the active visits. ``parents`` maps a branch's enterprise id to its head office's."""
    by_ent: dict[int, list[PlanVisit]] = defaultdict(list)
    for v in visits:
        if v.active:
            by_ent[v.enterprise_id].append(v)
    found: list[ConflictFound] = []

    def add(ent: int, rule: str, group: list[PlanVisit]) -> None:
        found.append(ConflictFound(ent, rule, sorted(v.id for v in group), LEGAL_BASIS[rule], _claims(group)))

    for ent, items in by_ent.items():
        counted = [v for v in items if not v.exempt]
        inspections = [v for v in counted if v.kind == "thanh_tra"]
        checks = [v for v in counted if v.kind in CHECKS]
        if len(inspections) > 1:
            add(ent, "once_thanh_tra", inspections)
        if len(checks) > 1:
            add(ent, "once_kiem_tra", checks)
        for content in sorted({v.content for v in inspections} & {v.content for v in checks}):
            add(ent, "same_content", [v for v in counted if v.content == content])
        by_month: dict[int, list[PlanVisit]] = defaultdict(list)
        for v in counted:
            by_month[v.month].append(v)
        for month in sorted(by_month):
            group = by_month[month]
            if len({v.agency for v in group}) > 1:
                add(ent, "mergeable", group)
        parent = parents.get(ent)
        if parent is not None and parent in by_ent:
            for v in counted:
                same = [p for p in by_ent[parent] if p.month == v.month and not p.exempt]
                if same:
                    add(ent, "branch_parent", [v, *same])
    return found


@dataclass
class Proposal:
    changes: list[dict[str, Any]]
    conflicts_before: int
    conflicts_after: int
    workload: dict[str, dict[str, Any]]


def _load(visits: list[PlanVisit]) -> dict[str, list[int]]:
    load: dict[str, list[int]] = defaultdict(lambda: [0] * 13)
    for v in visits:
        if v.active:
            load[v.agency][v.month] += 1
    return load


def propose(visits: list[PlanVisit], parents: dict[int, int], capacity: dict[str, Capacity]) -> Proposal:
    """Changes that bring the plan to no conflicts; ``visits`` are copied, not changed."""
    work = [PlanVisit(**{**v.__dict__}) for v in visits]
    before = find_conflicts(work, parents)
    load_before = _load(work)
    changes: list[dict[str, Any]] = []
    by_ent: dict[int, list[PlanVisit]] = defaultdict(list)
    for v in work:
        if v.active:
            by_ent[v.enterprise_id].append(v)
    conflicted = sorted({c.enterprise_id for c in before})
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent in parents.items():
        children[parent].append(child)

    def merge(v: PlanVisit, into: PlanVisit, action: str = "merge") -> None:
        v.active = False
        change: dict[str, Any] = {"visit_id": v.id, "action": action, "merged_with": into.id}
        if action == "merge" and into.kind == "kiem_tra" and v.kind in CHECKS and v.agency != into.agency:
            into.kind = "kiem_tra_lien_nganh"
        changes.append(change)

    for ent in conflicted:
        items = sorted((v for v in by_ent[ent] if v.active and not v.exempt), key=lambda v: (v.month, v.id))
        # exact duplicates (same agency, kind, content): drop the later one
        seen: dict[tuple[str, str, str], PlanVisit] = {}
        for v in items:
            key = (v.agency, v.kind, v.content)
            if key in seen:
                merge(v, seen[key], "drop")
            else:
                seen[key] = v
        items = [v for v in items if v.active]
        checks = [v for v in items if v.kind in CHECKS]
        if len(checks) > 1:
            lead = next((v for v in checks if v.kind == "kiem_tra_lien_nganh"), checks[0])
            for v in checks:
                if v is not lead:
                    merge(v, lead)
        inspections = [v for v in items if v.kind == "thanh_tra"]
        if len(inspections) > 1:
            lead = next((v for v in inspections if v.agency == INSPECTORATE), inspections[0])
            for v in inspections:
                if v is not lead:
                    merge(v, lead)
        items = [v for v in items if v.active]
        inspection = next((v for v in items if v.kind == "thanh_tra"), None)
        check = next((v for v in items if v.kind in CHECKS), None)
        if inspection and check and inspection.content == check.content:
            merge(check, inspection)
    # months: different agencies in one month, branch with head office, capacity and blackout months
    load = _load(work)

    def busy(ent: int, skip: PlanVisit) -> set[int]:
        related = [ent, *children.get(ent, [])]
        if ent in parents:
            related.append(parents[ent])
        return {v.month for e in related for v in by_ent.get(e, []) if v.active and v is not skip}

    def fits(v: PlanVisit, month: int) -> bool:
        cap = capacity.get(v.agency, Capacity())
        return month not in cap.blackout and (cap.per_month is None or load[v.agency][month] < cap.per_month)

    def move(v: PlanVisit) -> bool:
        taken = busy(v.enterprise_id, v)
        options = [m for m in range(1, 13) if m not in taken and fits(v, m)]
        if not options:
            return False
        target = min(options, key=lambda m: (abs(m - v.month), load[v.agency][m], m))
        load[v.agency][v.month] -= 1
        load[v.agency][target] += 1
        changes.append({"visit_id": v.id, "action": "move", "from_month": v.month, "to_month": target})
        v.month = target
        return True

    for ent in sorted(by_ent):
        items = sorted((v for v in by_ent[ent] if v.active and not v.exempt), key=lambda v: (v.month, v.id))
        for i, v in enumerate(items):
            clash = any(o.month == v.month and o.agency != v.agency for o in items[:i])
            head = parents.get(ent)
            if not clash and head is not None:
                clash = any(p.active and not p.exempt and p.month == v.month for p in by_ent.get(head, []))
            if clash:
                move(v)
    for v in sorted(work, key=lambda v: (v.month, v.id)):
        cap = capacity.get(v.agency)
        if v.active and cap is not None and (v.month in cap.blackout
                                             or (cap.per_month is not None and load[v.agency][v.month]
                                                 > cap.per_month)):
            move(v)
    moves: dict[int, dict[str, Any]] = {}
    for c in changes:
        if c["action"] == "move":
            moves.setdefault(c["visit_id"], dict(c))["to_month"] = c["to_month"]
    changes = [c for c in changes if c["action"] != "move"] + [c for c in moves.values()
                                                                if c["to_month"] != c["from_month"]]
    after = find_conflicts(work, parents)
    load_after = _load(work)
    workload = {agency: {"before": load_before[agency][1:], "after": load_after[agency][1:],
                         "capacity": capacity[agency].per_month if agency in capacity else None}
                for agency in sorted(set(load_before) | set(load_after))}
    return Proposal(changes=changes, conflicts_before=len(before), conflicts_after=len(after), workload=workload)
