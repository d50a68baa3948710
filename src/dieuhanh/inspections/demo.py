"""Demo: the province's enterprise register (12.000 generated enterprises of realistic sectors and communes,
branches included) and next year's plans of 15 agencies with realistic duplication (spelling variants, old
addresses before the 2025 reorganisation, branches, household businesses). The plans are submitted through the
service (resolution included) and the optimiser's proposal waits for the inspectorate; nothing is signed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from dieuhanh.core.security import SYSTEM
from dieuhanh.inspections import generator, service
from dieuhanh.orgs.models import Agency

REGISTER = 12_000
PER_AGENCY = 100


def run(ctx: Any) -> None:
    session = ctx.session
    province = ctx.settings.province_code
    if generator.geo.get_province(province) is None:
        return
    rows = generator.register(ctx.rng, province, REGISTER)
    service.load_register(session, principal=SYSTEM, is_demo=True, rows=[
        {"tax_code": r.tax_code, "name": r.name, "address": r.address, "unit_code": r.unit_code,
         "legal_rep": r.legal_rep, "sector": r.sector} for r in rows])
    year = ctx.today.year + 1
    gen = generator.plans(ctx.rng, rows, per_agency=PER_AGENCY, year=year)
    existing = set(session.scalars(select(Agency.code)))
    by_agency: dict[str, list[dict[str, Any]]] = {}
    for rec in gen.records:
        if rec.agency in existing and rec.visit["lead_agency"] in existing:
            by_agency.setdefault(rec.agency, []).append(rec.visit)
    resolver = service.Resolver(session, province)
    for agency, visits in by_agency.items():
        service.submit_plan(session, principal=SYSTEM, agency_code=agency, year=year, visits=visits, source="demo",
                            province_code=province, capacity_per_month=gen.capacity[agency],
                            blackout_months=gen.blackout[agency], resolver=resolver, is_demo=True)
    proposal = service.optimise(session, principal=SYSTEM, year=year)
    ctx.summary["inspections"] = {"enterprises": len(rows), "plans": len(by_agency),
                                  "visits": sum(len(v) for v in by_agency.values()),
                                  "conflicts": proposal.conflicts_before, "changes": len(proposal.changes)}
