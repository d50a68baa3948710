"""Inspections without overlap: enterprise resolution, conflicts found vs planted, optimiser time and changes.

    uv run python bench/inspections.py [--register 12000] [--per-agency 200] [--big-per-agency 3000] [--seed 7]
        [--runs 3]

1. Resolution of plan records **without a tax code** against the generated register (12.000 enterprises and their
   branches): precision / recall / F1 of the matcher (``inspections.matching``, auto-accepted matches only, and
   counting the review queue as matched) against the exact-name baseline (the record's name equal to one register
   name) in the same run, on the generator's truth.
2. Conflicts: the rules of Nghị quyết 198/2025/QH15 computed on the truth (planted) and on the resolved plan (found).
3. Optimiser: 15 agencies × ``--big-per-agency`` visits (default 3.000, i.e. 45.000 visits) — seconds, changes by
   action, conflicts before/after, agencies over capacity after, and the monthly workload spread before/after
   (busiest month, mean deviation from the agency's mean month, visits above capacity) — on the generator's
   plans and on the same plans bunched in March–May with 5 agencies relying on the default capacity.
4. Timings over ``--runs`` rounds with the variants interleaved (order reversed every other round; median, min–max
   and load average, ``bench/rounds.py``): the matcher's index, the matcher and the baseline (records/s), the
   optimiser on both plans. The quality figures above are deterministic for a given ``--seed``: computed once,
   and every round checks that it gives the same answers again.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rounds import Rounds, spread  # noqa: E402

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


def no_tax_records(gen: generator.Generated) -> list[tuple[int, dict[str, Any]]]:
    return [(k, rec.visit) for k, rec in enumerate(gen.records) if not rec.visit.get("tax_code")]


def build_index(rows: list[generator.RegisterRow]) -> matching.Index:
    return matching.Index(matching.Record(i, r.name, r.address, r.legal_rep, r.unit_code) for i, r in enumerate(rows))


def match_all(index: matching.Index, records: list[tuple[int, dict[str, Any]]]) -> list[tuple[int | None, float]]:
    """The matcher as the service runs it: name, address and representative; the commune too when unsure."""
    out = []
    for _, v in records:
        record = matching.Record(0, v["enterprise_name"], v["address"], v.get("legal_rep", ""))
        best, s = index.best(record)
        if 0.05 <= s < 0.99:
            record = matching.Record(0, v["enterprise_name"], v["address"], v.get("legal_rep", ""),
                                     _unit_of(PROVINCE, v["address"]))
            best, s = index.best(record)
        out.append((best, s))
    return out


def exact_all(rows: list[generator.RegisterRow], records: list[tuple[int, dict[str, Any]]]) -> list[int | None]:
    """The baseline, name table included: the record's name equal to exactly one register name."""
    by_name: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_name.setdefault(r.name, []).append(i)
    out: list[int | None] = []
    for _, v in records:
        same = by_name.get(v["enterprise_name"].strip(), [])
        out.append(same[0] if len(same) == 1 else None)
    return out


def resolve(gen: generator.Generated, matched: list[tuple[int | None, float]],
            exact: list[int | None]) -> tuple[list[int], dict[str, list]]:
    """Enterprise id per record: register index, or a new id (negative) for records matched to nothing."""
    by_tax = {r.tax_code: i for i, r in enumerate(gen.register)}
    found = {k: (m, e) for (k, _), m, e in zip(no_tax_records(gen), matched, exact, strict=True)}
    ids: list[int] = []
    pairs: dict[str, list] = {"matcher": [], "matcher+review": [], "exact": []}
    for k, rec in enumerate(gen.records):
        if k not in found:
            ids.append(by_tax[taxcode.parse(rec.visit["tax_code"]).code])
            continue
        (best, s), same = found[k]
        pairs["matcher"].append((best if s >= matching.AUTO else None, rec.truth))
        pairs["matcher+review"].append((best if s >= matching.REVIEW else None, rec.truth))
        pairs["exact"].append((same, rec.truth))
        # as the service does: a match waiting for review counts for its candidate until an analyst decides
        ids.append(best if best is not None and s >= matching.REVIEW else -(k + 1))
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
    ap.add_argument("--runs", type=int, default=3, help="interleaved rounds of the timings")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows = generator.register(rng, PROVINCE, args.register)
    gen = generator.plans(rng, rows, per_agency=args.per_agency, year=2027)
    records = no_tax_records(gen)
    print(f"Register: {n(len(rows))} rows (branches and look-alikes included); plans: {n(len(gen.records))} visits "
          f"of 15 agencies, {n(len(records))} without a tax code. Quality figures are deterministic (--seed "
          f"{args.seed}): computed once, and every timing round must give the same answers again.")

    # The big plans of section 3, on the generator's months and bunched as agencies often plan them: 5 agencies put
    # 60 % of their visits in March–May, and 5 agencies give no capacity (the default: 1,5 × their mean month).
    parents = parents_of(rows)
    big = generator.plans(random.Random(args.seed + 1), rows, per_agency=args.big_per_agency, year=2027)
    big_ids = [rec.truth if rec.truth is not None else -(k + 1) for k, rec in enumerate(big.records)]
    visits = visits_of(big, big_ids)
    capacity = {a: Capacity(big.capacity[a], set(big.blackout[a])) for a in big.capacity}
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

    # Warm-up: the answers the quality figures come from.
    index = build_index(rows)
    matched = match_all(index, records)
    exact = exact_all(rows, records)
    proposals = {"even": propose(visits, parents, capacity), "bunched": propose(bunched, parents, limits)}

    # Timings: every variant once per round, the order reversed every other round.
    rounds = Rounds(args.runs)
    same = {"index": True, "matcher": True, "exact": True, "even": True, "bunched": True}
    size = len(records)

    for variant in rounds.order(["index", "matcher", "exact", "even", "bunched"]):
        if variant == "index":
            again = rounds.timed(variant, lambda: build_index(rows))
            same[variant] &= match_all(again, records[:50]) == matched[:50]
        elif variant == "matcher":
            same[variant] &= rounds.rate(variant, size, lambda: match_all(index, records)) == matched
        elif variant == "exact":
            same[variant] &= rounds.rate(variant, size, lambda: exact_all(rows, records)) == exact
        else:
            plan, limit = (visits, capacity) if variant == "even" else (bunched, limits)
            result = rounds.timed(variant, lambda: propose(plan, parents, limit))  # noqa: B023
            same[variant] &= result.changes == proposals[variant].changes

    print("\n1. Resolution of records without a tax code (truth: the generator)")
    ids, pairs = resolve(gen, matched, exact)
    print(f"  {'method':<34}{'precision':>10}{'recall':>10}{'F1':>10}")
    for name, label in (("matcher", "matcher (auto ≥ 0,90)"), ("matcher+review", "matcher (auto + review ≥ 0,50)"),
                        ("exact", "baseline: exact name")):
        p, r, f = score(pairs[name])
        print(f"  {label:<34}{fmt(p):>10}{fmt(r):>10}{fmt(f):>10}")
    review = sum(1 for (a, _), (b, _) in zip(pairs["matcher"], pairs["matcher+review"], strict=True) if a != b)
    print(f"  records sent to the review queue: {review}")

    print("\n2. Conflicts (Nghị quyết 198/2025/QH15): planted = on the truth, found = on the resolved plan")
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
    show_proposal(visits, proposals["even"], rounds.values["even"],
                  "generator's plans (months drawn evenly, limits per agency)")
    show_proposal(bunched, proposals["bunched"], rounds.values["bunched"],
                  "bunched: 5 agencies with 60 % of visits in March–May, 5 without a capacity")

    print(f"\n4. Timings ({rounds.runs} interleaved rounds; median (min–max))")
    for labels, unit, digits in (
            ({"index": f"matcher index of {n(len(rows))} register rows"}, "s", 2),
            ({"matcher": "matcher (records without a tax code)", "exact": "baseline: exact name (with its table)"},
             "records/s", 0),
            ({"even": f"optimiser, {n(len(visits))} visits, even", "bunched": "optimiser, same plans bunched"},
             "s", 2)):
        print("\n".join("  " + ln for ln in rounds.report(labels, unit=unit, digits=digits).splitlines()[:-1]))
    print(f"  {rounds.load_range()}; optimiser target < 30 s: "
          f"{'met' if max(rounds.median('even'), rounds.median('bunched')) < 30 else 'NOT met'}")
    print("  same answers in every round: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items()))


def show_proposal(visits: list[PlanVisit], result: Any, seconds: list[float], label: str) -> None:
    """One proposal: seconds (median of the rounds), changes, conflicts, and the spread of monthly workload before
    and after."""
    print(f"  {label}")
    actions = Counter(c["action"] for c in result.changes)
    w = result.workload
    print(f"    {n(len(visits))} visits: {spread(seconds)} (target < 30 s); changes {n(len(result.changes))} "
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
