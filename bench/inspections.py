"""Inspections without overlap: enterprise resolution, conflicts found vs planted, optimiser time and changes.

    uv run python bench/inspections.py [--register 12000] [--per-agency 200] [--big-per-agency 3000] [--seed 7]

1. Resolution of plan records **without a tax code** against the generated register (12.000 enterprises and their
   branches): precision / recall / F1 of the matcher (``inspections.matching``, auto-accepted matches only, and
   counting the review queue as matched) against the exact-name baseline (the record's name equal to one register
   name) in the same run, on the generator's truth.
2. Conflicts: the rules of Nghị quyết 198/2025/QH15 computed on the truth (planted) and on the resolved plan (found).
3. Optimiser: 15 agencies × ``--big-per-agency`` visits (default 3.000, i.e. 45.000 visits) — seconds, changes by
   action, conflicts before/after, agencies over capacity after.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dieuhanh.inspections import generator, matching, taxcode  # noqa: E402
from dieuhanh.inspections.planning import Capacity, PlanVisit, find_conflicts, propose  # noqa: E402
from dieuhanh.inspections.service import _unit_of  # noqa: E402

PROVINCE = "37"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(pairs: list[tuple[int | None, int | None]]) -> tuple[float, float, float]:
    tp = sum(1 for pred, truth in pairs if pred is not None and pred == truth)
    fp = sum(1 for pred, truth in pairs if pred is not None and pred != truth)
    fn = sum(1 for pred, truth in pairs if truth is not None and pred != truth)
    return prf(tp, fp, fn)


def fmt(x: float) -> str:
    return f"{x:.4f}".replace(".", ",")


def n(x: int) -> str:
    return f"{x:,}".replace(",", ".")


def resolve(gen: generator.Generated) -> tuple[list[int], dict[str, list]]:
    """Enterprise id per record: register index, or a new id (negative) for records matched to nothing."""
    rows = gen.register
    started = time.perf_counter()
    index = matching.Index(matching.Record(i, r.name, r.address, r.legal_rep, r.unit_code) for i, r in enumerate(rows))
    by_tax = {r.tax_code: i for i, r in enumerate(rows)}
    by_name: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_name.setdefault(r.name, []).append(i)
    built = time.perf_counter() - started
    ids: list[int] = []
    pairs: dict[str, list] = {"matcher": [], "matcher+review": [], "exact": []}
    started = time.perf_counter()
    for k, rec in enumerate(gen.records):
        v = rec.visit
        if v.get("tax_code"):
            ids.append(by_tax[taxcode.parse(v["tax_code"]).code])
            continue
        record = matching.Record(0, v["enterprise_name"], v["address"], v.get("legal_rep", ""))
        best, s = index.best(record)
        if 0.05 <= s < 0.99:
            record = matching.Record(0, v["enterprise_name"], v["address"], v.get("legal_rep", ""),
                                     _unit_of(PROVINCE, v["address"]))
            best, s = index.best(record)
        pred = best if s >= matching.AUTO else None
        pairs["matcher"].append((pred, rec.truth))
        pairs["matcher+review"].append((best if s >= matching.REVIEW else None, rec.truth))
        same = by_name.get(v["enterprise_name"].strip(), [])
        pairs["exact"].append((same[0] if len(same) == 1 else None, rec.truth))
        # as the service does: a match waiting for review counts for its candidate until an analyst decides
        ids.append(best if best is not None and s >= matching.REVIEW else -(k + 1))
    seconds = time.perf_counter() - started
    print(f"  index of {n(len(rows))} register rows built in {built:.2f} s; "
          f"{n(len(pairs['matcher']))} records without a tax code resolved in {seconds:.2f} s")
    return ids, pairs


def parents_of(rows: list[generator.RegisterRow]) -> dict[int, int]:
    by_tax = {r.tax_code: i for i, r in enumerate(rows)}
    return {i: by_tax[r.parent_tax_code] for i, r in enumerate(rows) if r.parent_tax_code in by_tax}


def visits_of(gen: generator.Generated, ids: list[int]) -> list[PlanVisit]:
    return [PlanVisit(k + 1, ent, rec.agency, rec.visit["kind"], rec.visit["content_code"], rec.visit["month"],
                      rec.visit["violation_signs"], rec.visit["basis_document"])
            for k, (rec, ent) in enumerate(zip(gen.records, ids, strict=True))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--register", type=int, default=12_000)
    ap.add_argument("--per-agency", type=int, default=200)
    ap.add_argument("--big-per-agency", type=int, default=3_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows = generator.register(rng, PROVINCE, args.register)
    gen = generator.plans(rng, rows, per_agency=args.per_agency, year=2027)
    no_tax = sum(1 for r in gen.records if not r.visit.get("tax_code"))
    print(f"Register: {n(len(rows))} rows (branches and look-alikes included); plans: {n(len(gen.records))} visits "
          f"of 15 agencies, {n(no_tax)} without a tax code")
    print("\n1. Resolution of records without a tax code (truth: the generator)")
    ids, pairs = resolve(gen)
    print(f"  {'method':<34}{'precision':>10}{'recall':>10}{'F1':>10}")
    for name, label in (("matcher", "matcher (auto ≥ 0,90)"), ("matcher+review", "matcher (auto + review ≥ 0,50)"),
                        ("exact", "baseline: exact name")):
        p, r, f = score(pairs[name])
        print(f"  {label:<34}{fmt(p):>10}{fmt(r):>10}{fmt(f):>10}")
    review = sum(1 for (a, _), (b, _) in zip(pairs["matcher"], pairs["matcher+review"], strict=True) if a != b)
    print(f"  records sent to the review queue: {review}")

    print("\n2. Conflicts (Nghị quyết 198/2025/QH15): planted = on the truth, found = on the resolved plan")
    parents = parents_of(rows)
    truth_ids = [rec.truth if rec.truth is not None else -(k + 1) for k, rec in enumerate(gen.records)]
    planted = {(c.rule, tuple(c.visits)) for c in find_conflicts(visits_of(gen, truth_ids), parents)}
    found = {(c.rule, tuple(c.visits)) for c in find_conflicts(visits_of(gen, ids), parents)}
    by_rule = Counter(rule for rule, _ in planted)
    found_rule = Counter(rule for rule, _ in planted & found)
    for rule in sorted(by_rule):
        print(f"  {rule:<16} planted {by_rule[rule]:>5}  found {found_rule[rule]:>5}")
    share = 100 * len(planted & found) / max(1, len(planted))
    print(f"  all: planted {len(planted)}, found {len(planted & found)} ({share:.1f} %), extra (not planted) "
          f"{len(found - planted)}")

    print(f"\n3. Optimiser: 15 agencies × {n(args.big_per_agency)} visits")
    big = generator.plans(random.Random(args.seed + 1), rows, per_agency=args.big_per_agency, year=2027)
    big_ids = [rec.truth if rec.truth is not None else -(k + 1) for k, rec in enumerate(big.records)]
    visits = visits_of(big, big_ids)
    capacity = {a: Capacity(big.capacity[a], set(big.blackout[a])) for a in big.capacity}
    started = time.perf_counter()
    result = propose(visits, parents, capacity)
    seconds = time.perf_counter() - started
    actions = Counter(c["action"] for c in result.changes)
    over = sum(1 for a, w in result.workload.items() if w["capacity"] and max(w["after"]) > w["capacity"])
    print(f"  {n(len(visits))} visits: {seconds:.2f} s; changes {n(len(result.changes))} "
          f"(merge {n(actions['merge'])}, move {n(actions['move'])}, drop {n(actions['drop'])}); conflicts before "
          f"{n(result.conflicts_before)}, after {n(result.conflicts_after)}; agencies over capacity after: {over}")


if __name__ == "__main__":
    main()
