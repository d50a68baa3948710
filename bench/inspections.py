"""Inspections without overlap: enterprise resolution, conflicts found vs planted, optimiser time and changes.

    uv run python bench/inspections.py [--register 12000] [--per-agency 200] [--big-per-agency 3000] [--seed 7]

1. Resolution of plan records **without a tax code** against the generated register (12.000 enterprises and their
   branches): precision / recall / F1 of the matcher (``inspections.matching``, auto-accepted matches only, and
   counting the review queue as matched) against the exact-name baseline (the record's name equal to one register
   name) in the same run, on the generator's truth.
2. Conflicts: the rules of Nghị quyết 198/2025/QH15 computed on the truth (planted) and on the resolved plan (found).
3. Optimiser: 15 agencies × ``--big-per-agency`` visits (default 3.000, i.e. 45.000 visits) — seconds, changes by
   action, conflicts before/after, agencies over capacity after, and the monthly workload spread before/after
   (busiest month, mean deviation from the agency's mean month, visits above capacity) — on the generator's
   plans and on the same plans bunched in March–May with 5 agencies relying on the default capacity.
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
    run_optimiser(visits, parents, capacity, "generator's plans (months drawn evenly, limits per agency)")
    # The same plans bunched as agencies often plan them: 5 agencies put 60 % of their visits in March–May, and
    # 5 agencies give no capacity (the default: 1,5 × their mean month).
    bunched_rng = random.Random(args.seed + 2)
    agencies = sorted(capacity)
    bunch, no_limit = set(agencies[:5]), set(agencies[5:10])
    bunched = []
    for v in visits:
        month = v.month
        if v.agency in bunch and bunched_rng.random() < 0.6:
            month = bunched_rng.choice([m for m in (3, 4, 5) if m not in capacity[v.agency].blackout])
        bunched.append(PlanVisit(v.id, v.enterprise_id, v.agency, v.kind, v.content, month, v.violation_signs,
                                 v.basis_document))
    limits = {a: Capacity(None if a in no_limit else c.per_month, set(c.blackout)) for a, c in capacity.items()}
    run_optimiser(bunched, parents, limits, "bunched: 5 agencies with 60 % of visits in March–May, 5 without a "
                  "capacity")


def run_optimiser(visits: list[PlanVisit], parents: dict[int, int], capacity: dict[str, Capacity],
                  label: str) -> None:
    """One proposal: seconds, changes, conflicts, and the spread of monthly workload before and after."""
    print(f"  {label}")
    started = time.perf_counter()
    result = propose(visits, parents, capacity)
    seconds = time.perf_counter() - started
    actions = Counter(c["action"] for c in result.changes)
    w = result.workload
    print(f"    {n(len(visits))} visits: {seconds:.2f} s (target < 30 s); changes {n(len(result.changes))} "
          f"(merge {n(actions['merge'])}, move {n(actions['move'])}, drop {n(actions['drop'])}); conflicts before "
          f"{n(result.conflicts_before)}, after {n(result.conflicts_after)}; agencies over capacity after: "
          f"{len(w['over_capacity'])}")
    blackout_used = sum(w["after"][a][str(m)] for a, months in w["blackout"].items() for m in months)
    print(f"    visits left in blackout months after: {blackout_used}")

    def over_cap(when: str) -> int:
        return sum(max(0, k - w["capacity"][a]) for a, months in w[when].items() for k in months.values())

    print(f"    {'workload spread':<38}{'before':>10}{'after':>10}")
    for key, label_ in (("max", "busiest month, worst agency"), ("deviation", "mean |month − mean|, average"),
                        ("relative", "same, % of the mean month, average")):
        vals = [(s_b[key], w["spread"]["after"][a][key]) for a, s_b in w["spread"]["before"].items()]
        agg = (max if key == "max" else (lambda xs: sum(xs) / len(xs)))
        before, after = agg([b for b, _ in vals]), agg([x for _, x in vals])
        shown = (n(int(before)), n(int(after))) if key == "max" else (f"{before:.1f}".replace(".", ","),
                                                                      f"{after:.1f}".replace(".", ","))
        print(f"    {label_:<38}{shown[0]:>10}{shown[1]:>10}")
    print(f"    {'visits above capacity (sum)':<38}{n(over_cap('before')):>10}{n(over_cap('after')):>10}")
    print(f"    {'agency':<8}" + "".join(f"{'T' + str(m):>5}" for m in range(1, 13)) + f"{'cap':>6}")
    for a in sorted(w["after"])[:6]:
        for when in ("before", "after"):
            print(f"    {a if when == 'before' else '':<8}" + "".join(f"{w[when][a][str(m)]:>5}" for m in range(1, 13))
                  + (f"{w['capacity'][a]:>6}" if when == "before" else f"{'(' + when + ')':>8}"))

if __name__ == "__main__":
    main()
