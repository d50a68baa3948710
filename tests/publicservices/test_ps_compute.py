"""The Decision 766 engine on a hand-computed example (psb_example.py), on SQLite+DuckDB and PostgreSQL.

Every expected figure below was worked out by hand from the example's dossiers (see the comments there)."""

from __future__ import annotations

from datetime import date
from typing import Any

import psb_example as ex
import pytest

from dieuhanh.core.security import SYSTEM
from dieuhanh.publicservices import compute
from dieuhanh.publicservices.calendar import WorkingCalendar
from dieuhanh.publicservices.rules import profile_by_code

# These hand-computed figures use issue 8's even-split profile (kept under its code); the DVCQG 2026 profile's
# own rules are checked in test_ps_profile_2026.py.
EVEN_SPLIT = profile_by_code("qd766_2022")


@pytest.fixture
def computed(db, warehouse) -> dict[tuple[str, str, str, str], dict[str, Any]]:  # type: ignore[no-untyped-def]
    ex.load(db, warehouse)
    with db.session() as session:
        result = compute.recompute(session, warehouse, province_code="37", until=date(2025, 7, 31),
                                   indicators=False, profile=EVEN_SPLIT)
    assert result.rows > 0
    rows = warehouse.query(f"SELECT * FROM {compute.RESULTS}").to_pylist()
    return {(r["period"], r["scope"], r["unit_code"], r["indicator_code"]): r for r in rows}


def check(rows: dict[tuple[str, str, str, str], dict[str, Any]], period: str, scope: str, unit: str, code: str,
          numerator: float | None, denominator: float | None, ratio: float | None, score: float | None) -> None:
    r = rows[(period, scope, unit, code)]
    assert (r["numerator"], r["denominator"], r["ratio"], r["score"]) == (numerator, denominator, ratio, score), (
        period, scope, unit, code, r)


def test_province_june_every_rule(computed) -> None:  # type: ignore[no-untyped-def]
    p = ("2025-06", "province", "37")
    # 2.1: to be handled in June D1 D2 D3 D4 D5 D6 D7 D10 D13 (9); on time D1 D3(status 5) D5(withdrawn) D7
    check(computed, *p, "2.1", 4, 9, 44.44, 8.89)
    # 2.2: working days D1 2, D2 4, D4 7, D7 9, D10 3 -> 25 / 5
    check(computed, *p, "2.2", 25, 5, 5.0, None)
    # 3.1: P1 P3 P4 online of 4 -> min(2, 2 × 0.75 / 0.8) = 1.875
    check(computed, *p, "3.1", 3, 4, 75.0, 1.88)
    # 3.2: online procedures with an online dossier received in June: P1 (D1, D4), P4 (D13); not P3
    check(computed, *p, "3.2", 2, 3, 66.67, 2.67)
    # received in June: D1 D2 D3 D4 D5 D10 D13 (D12 status 3 never received); online D1 D3 D4 D13
    check(computed, *p, "3.3", 4, 7, 57.14, 6.0)
    # fee procedures P1 P3: D1 D2 D4 D5 D10; paid online D1 (1), D4 (2), D10 (1)
    check(computed, *p, "3.6", 3, 5, 60.0, 3.6)
    # status 9/10 ended in June with a result: D1 D2 D4 D7 D10; electronic D1 D4 D7
    check(computed, *p, "4.1", 3, 5, 60.0, 3.6)
    check(computed, *p, "4.2", 4, 7, 57.14, 2.29)
    check(computed, *p, "4.3", 2, 7, 28.57, 0.71)
    # 5.4: 4/9 − 2/7 (D2 not satisfied, D4 complaint) = 10/63
    check(computed, *p, "5.4", 5, 7, 15.87, 1.06)
    # 1.4 (extra field DongBoDVCQG): D1 = 1, D2 = 0, the others do not send it
    check(computed, *p, "1.4", 1, 2, 50.0, 2.25)
    for code in ("1.1", "1.2", "1.3", "3.5", "4.4", "4.5", "5.1", "5.2", "5.3"):
        check(computed, *p, code, None, None, None, None)
    groups = {c: (computed[(*p, f"nhom_{c}")]["score"], computed[(*p, f"nhom_{c}")]["covered_points"])
              for c in "123456"}
    assert groups == {"1": (2.25, 4.5), "2": (8.89, 20.0), "3": (10.55, 12.0), "4": (3.6, 6.0),
                      "5": (6.6, 12.0), "6": (1.06, 6.0)}
    total = computed[(*p, "tong")]
    assert (total["score"], total["covered_points"], total["max_score"]) == (32.95, 60.5, 100.0)


def test_agency_and_commune_scopes(computed) -> None:  # type: ignore[no-untyped-def]
    stp = ("2025-06", "agency", "STP")
    check(computed, *stp, "2.1", 4, 8, 50.0, 10.0)
    check(computed, *stp, "3.1", 2, 3, 66.67, 1.67)
    check(computed, *stp, "3.2", 1, 2, 50.0, 2.0)
    check(computed, *stp, "3.3", 3, 6, 50.0, 6.0)
    check(computed, *stp, "4.2", 4, 6, 66.67, 2.67)
    check(computed, *stp, "4.3", 2, 6, 33.33, 0.83)
    check(computed, *stp, "5.4", 4, 6, 16.67, 1.11)
    ubnd = ("2025-06", "agency", ex.UBND_C1)
    check(computed, *ubnd, "2.1", 0, 1, 0.0, 0.0)
    check(computed, *ubnd, "3.1", 1, 1, 100.0, 2.0)
    check(computed, *ubnd, "3.2", 1, 1, 100.0, 4.0)
    check(computed, *ubnd, "3.3", 1, 1, 100.0, 6.0)
    # empty denominators: no fee procedure, nothing ended -> ratio null, not scored
    check(computed, *ubnd, "3.6", 0, 0, None, None)
    check(computed, *ubnd, "4.1", 0, 0, None, None)
    check(computed, *ubnd, "5.4", 1, 1, 0.0, 0.0)
    c1 = ("2025-06", "commune", ex.C1)
    check(computed, *c1, "2.1", 2, 6, 33.33, 6.67)
    check(computed, *c1, "3.3", 2, 5, 40.0, 4.8)
    # procedure rules have no commune scope
    check(computed, *c1, "3.1", None, None, None, None)
    check(computed, *c1, "3.2", None, None, None, None)
    c2 = ("2025-06", "commune", ex.C2)
    check(computed, *c2, "2.1", 2, 3, 66.67, 13.33)
    check(computed, *c2, "3.6", 1, 1, 100.0, 6.0)
    assert ("2025-06", "commune", "13318", "2.1") not in computed  # no dossier there


def test_periods_carry_over_holidays_and_empty_months(computed) -> None:  # type: ignore[no-untyped-def]
    # May: D6, D7 still open at the end of May (due in June), D8 ended, D9 ended over the holidays: all on time
    check(computed, "2025-05", "province", "37", "2.1", 4, 4, 100.0, 20.0)
    # April: D9 open at the end of April, 1 working day after receipt (29/4)
    check(computed, "2025-04", "province", "37", "2.1", 1, 1, 100.0, 20.0)
    # Q2 and the year: D6 and D13 open at the end of the period and past due; D2 D4 D10 late
    check(computed, "2025-Q2", "province", "37", "2.1", 6, 11, 54.55, 10.91)
    check(computed, "2025", "province", "37", "2.1", 6, 11, 54.55, 10.91)
    # July: nothing received; D6 and D13 still open and late
    check(computed, "2025-07", "province", "37", "2.1", 0, 2, 0.0, 0.0)
    check(computed, "2025-07", "province", "37", "3.3", 0, 0, None, None)
    check(computed, "2025-07", "province", "37", "5.4", 0, 0, None, 0.0)  # 0 when nothing was received
    total = computed[("2025-07", "province", "37", "tong")]
    # covered: 2.1 (20, score 0) + 3.1 (2, 1.88) + 3.2 (4, 0 of 3 used) + 5.4 (6, 0)
    assert (total["score"], total["covered_points"]) == (1.88, 32.0)
    periods = {k[0] for k in computed}
    assert periods == {"2025", "2025-Q2", "2025-Q3", "2025-04", "2025-05", "2025-06", "2025-07"}


def test_holidays_matter(db, warehouse) -> None:  # type: ignore[no-untyped-def]
    ex.load(db, warehouse)
    plain = compute.compute_values(warehouse, province_code="37", until=date(2025, 5, 31),
                                   calendar=WorkingCalendar(use_national_holidays=False))
    rows = {(r["period"], r["scope"], r["unit_code"], r["indicator_code"]): r for r in plain.to_pylist()}
    # without the 30/4–2/5 days off D9 took 5 working days (> 3): late
    check(rows, "2025-05", "province", "37", "2.1", 3, 4, 75.0, 15.0)
    # a declared working Saturday counts too: 3/5/2025 makes D9 take 3 working days, still on time
    extra = compute.compute_values(warehouse, province_code="37", until=date(2025, 5, 31),
                                   calendar=WorkingCalendar(working_days=frozenset({date(2025, 5, 3)})))
    rows = {(r["period"], r["scope"], r["unit_code"], r["indicator_code"]): r for r in extra.to_pylist()}
    check(rows, "2025-05", "province", "37", "2.1", 4, 4, 100.0, 20.0)
    extra = compute.compute_values(warehouse, province_code="37", until=date(2025, 5, 31),
                                   calendar=WorkingCalendar(extra_holidays=frozenset({date(2025, 4, 29)})))
    rows = {(r["period"], r["scope"], r["unit_code"], r["indicator_code"]): r for r in extra.to_pylist()}
    # an extra day off (29/4): D9 took 1 working day (5/5); with D8 (5/5 → 9/5: 4 days) 2.2 is 5 / 2
    check(rows, "2025-05", "province", "37", "2.2", 5, 2, 2.5, None)


def test_recompute_replaces_one_batch_in_the_catalog(db, warehouse) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from dieuhanh.catalog.models import Dataset, LoadBatch

    ex.load(db, warehouse)
    with db.session() as session:
        first = compute.recompute(session, warehouse, province_code="37", until=date(2025, 6, 30),
                                  indicators=False)
    with db.session() as session:
        second = compute.recompute(session, warehouse, province_code="37", until=date(2025, 6, 30),
                                   principal=SYSTEM, indicators=False)
    batches = warehouse.query(f"SELECT DISTINCT _batch_id FROM {compute.RESULTS}").column(0).to_pylist()
    assert batches == [second.batch_id]
    with db.session() as session:
        ds = session.scalar(select(Dataset).where(Dataset.name == compute.RESULTS))
        assert ds is not None and ds.row_count == second.rows
        states = dict(session.execute(select(LoadBatch.id, LoadBatch.status)
                                      .where(LoadBatch.dataset_id == ds.id)).all())
    assert states == {first.batch_id: "superseded", second.batch_id: "loaded"}
