"""PII canary sweep (issue 16): a unique value planted in every PII column of the demo province — the catalog's
``pii`` columns, the contact of a citizen report, the personal fields of a dossier — appears in no page, API
response, export, open-data output, error message or log line reachable by anyone but the owner's officers.
What is swept is enumerated from the code (see ``canary_sweep``); docs/security.md says what is and is not."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import pytest
from canary_sweep import (
    EXCLUDED,
    HEAVY,
    NEVER_SHOWN,
    Planted,
    demo_ids,
    extra_urls,
    get_routes,
    machine,
    plant_datasets,
    plant_dossier,
    plant_report,
    planted_urls,
    response_text,
    route_urls,
)

from conftest import Factory, login
from dieuhanh.core.security import SCOPES


@pytest.fixture
def app(demo_province):  # type: ignore[no-untyped-def]
    from dieuhanh.app import create_app

    return create_app(demo_province.settings, database=demo_province.db, warehouse=demo_province.warehouse)


def _sql(planted: Planted, columns: dict[str, list[str]]) -> list[str]:
    """User SQL that would show a PII value: plain, cast (error message), filtered, and the operational tables."""
    out = ["SELECT * FROM feedback_report_contact", "SELECT personal FROM ps_dossier",
           "SELECT * FROM tthc_ho_so LIMIT 5"]
    for ds, cols in columns.items():
        out += [f"SELECT * FROM {ds}", f"SELECT {', '.join(cols)} FROM {ds}",
                *(f"SELECT CAST({c} AS INTEGER) FROM {ds}" for c in cols),
                f"SELECT count(*) FROM {ds} WHERE {cols[0]} LIKE 'CANARY%'",
                f"SELECT string_agg(CAST({cols[0]} AS VARCHAR), ',') FROM {ds}"]
    return out


def _viewers(factory: Factory, planted: Planted, agencies: list[str]) -> list[tuple[str, Any, str]]:
    """Everyone but the owners' officers: (label, headers or a user name to sign in, which URLs).

    The agency-bound scopes share one token (bound to an agency that owns no canary) holding all of them: a scope
    only adds what its holder may do, so what one scope would show, the token with all shows too. Tokens call the
    machine paths (API, Open311, open data); people every path. The owners' officers read the URLs naming the
    planted records: each must see its own canaries (the sweep can fail) and no other owner's."""
    other = next(a for a in agencies if a not in planted.owners and a != "UBND")
    scopes = [s for s in SCOPES if s != "read"]
    out: list[tuple[str, Any, str]] = [("ẩn danh", {}, "all"), ("admin", factory.user("admin")[1], "all")]
    for label, token_scopes, agency in (("token read", ["read"], None),
                                        (f"token {'+'.join(scopes)} {other}", scopes, other)):
        _, secret = factory.token(token_scopes, agency=agency, name="canary-he-thong")
        out.append((label, {"Authorization": f"Bearer {secret}"}, "machine"))
    for role, agency in (("leader", None), ("analyst", None), ("officer", other)):
        out.append((f"{role} {agency or ''}".strip(), factory.user(role, agency=agency)[1], "light"))
    for owner in sorted(planted.owners):
        out.append((f"officer {owner}", factory.user("officer", agency=owner)[1], "planted"))
    return out


def test_admin_may_do_whatever_a_leader_or_analyst_may():
    """What lets the heavy routes be swept as admin only (canary_sweep.HEAVY)."""
    import dieuhanh.modules  # noqa: F401  (every module's rules registered)
    from dieuhanh.core.security import RULES, Principal

    def who(role: str) -> Principal:
        return Principal(kind="user", name=role, role=role)

    for action, check in RULES.items():
        for target in (None, "SYT"):
            if check(who("leader"), target) or check(who("analyst"), target):
                assert check(who("admin"), target), action


def test_pii_canaries_reach_no_one_but_the_owners_officers(client, app, demo_province, caplog):
    caplog.set_level(logging.INFO)
    started, cpu = time.monotonic(), time.process_time()
    db, factory, rng, planted = demo_province.db, Factory(demo_province.db), random.Random(), Planted()
    plant_datasets(client, db, demo_province.warehouse, factory, rng, planted)
    plant_report(client, db, factory, rng, planted)
    plant_dossier(client, db, factory, rng, planted)
    pattern = planted.pattern()

    from sqlalchemy import select

    from dieuhanh.orgs.models import Agency

    with db.session() as session:
        agencies = list(session.scalars(select(Agency.code).order_by(Agency.code)))
    ids = demo_ids(db, planted)
    routes = [r for r in get_routes(app) if r not in EXCLUDED]
    urls = [u for r in routes for u in route_urls(r, ids, planted)] + extra_urls(planted)
    light = [u for r in routes if r not in HEAVY for u in route_urls(r, ids, planted)] + extra_urls(planted)
    columns = {ds: [c.where.split(".", 1)[1] for c in planted.canaries if c.where.startswith(f"{ds}.")]
               for ds in planted.dataset_owner}
    sqls = _sql(planted, columns)

    leaks: list[str] = []
    errors: list[str] = []  # a server error is an unchecked path
    seen_by_owner: set[str] = set()
    by_kind = {"all": urls, "light": light, "machine": [u for u in light if machine(u)],
               "planted": planted_urls(urls, planted)}
    if db.kind != "sqlite":  # PostgreSQL: the same plants, SQL and the URLs naming the planted records, for all
        by_kind = {k: [u for u in planted_urls(urls, planted) if k != "machine" or machine(u)] for k in by_kind}
    for who, how, kind in _viewers(factory, planted, agencies):
        client.cookies.clear()
        headers = how
        if isinstance(how, str):
            _, csrf = login(client, how)
            headers = {"X-CSRF-Token": csrf}
        owner = who.removeprefix("officer ") if who.removeprefix("officer ") in planted.owners else None
        t0, c0 = time.monotonic(), time.process_time()
        responses = [(f"GET {u}", client.get(u, headers=headers, follow_redirects=False)) for u in by_kind[kind]]
        responses += [(f"SQL {q}", client.post("/api/v1/query", json={"sql": q}, headers=headers)) for q in sqls]
        for ds, cols in columns.items():  # an indicator definition reading PII: refused, its error shows no value
            sql = (f"SELECT '2026-11' AS period, '37' AS unit_code, (SELECT string_agg(CAST({cols[0]} AS VARCHAR), "
                   f"'; ') FROM {ds}) AS value FROM {ds}")
            body = {"code": "canary_ro_ri", "name": "Chỉ số thử", "domain": "population", "unit": "người",
                    "periodicity": "month", "levels": ["province"], "direction": "higher_better",
                    "owner_agency": planted.dataset_owner[ds], "public": False, "sql": sql}
            responses.append((f"POST /api/v1/indicators ({ds})",
                              client.post("/api/v1/indicators", json=body, headers=headers)))
        for label, response in responses:
            for found in set(pattern.findall(response_text(response))):
                canary = next(c for c in planted.canaries if found.lower() in (f.lower() for f in c.forms))
                if canary.owner == owner:
                    seen_by_owner.add(canary.where)
                else:
                    leaks.append(f"{who}: {label} ({response.status_code}) shows {canary.where}")
            if response.status_code >= 500:
                errors.append(f"{who}: {label} ({response.status_code})")
        print(f"{who}: {len(responses)} {time.monotonic() - t0:.1f} s, {time.process_time() - c0:.1f} s CPU",
              flush=True)
    # The sweep can fail: each canary is shown to its owner's officers somewhere among the same paths.
    assert seen_by_owner == {c.where for c in planted.canaries} - NEVER_SHOWN, sorted(
        {c.where for c in planted.canaries} - NEVER_SHOWN - seen_by_owner)
    assert not leaks, "\n".join(sorted(leaks))
    assert not errors, "\n".join(errors)
    assert not set(pattern.findall(caplog.text)), "a log line shows personal data"
    print(f"canary sweep: {len(planted.canaries)} canaries, {len(urls)} URLs + {len(sqls)} SQL, "
          f"{time.monotonic() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU)")
