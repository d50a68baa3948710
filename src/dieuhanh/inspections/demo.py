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
    service.refresh_datasets(session, ctx.warehouse, province_code=province, demo=True)
    _alert_rule(ctx)
    ctx.summary["inspections"] = {"enterprises": len(rows), "plans": len(by_agency),
                                  "visits": sum(len(v) for v in by_agency.values()),
                                  "conflicts": proposal.conflicts_before, "changes": len(proposal.changes)}


ALERT_RULE_NAME = "Kế hoạch thanh tra, kiểm tra chồng chéo"


def _alert_rule(ctx: Any) -> None:
    from dieuhanh.alerts import service as alerts
    from dieuhanh.alerts.models import AlertRule
    from dieuhanh.alerts.schemas import RuleIn
    from dieuhanh.inspections import alerting  # noqa: F401 (registers the source)

    if ctx.session.scalar(select(AlertRule.id).where(AlertRule.name == ALERT_RULE_NAME)) is None:
        alerts.create_rule(ctx.session, principal=ctx.principal, rule_in=RuleIn(
            name=ALERT_RULE_NAME, indicator_code="inspections.conflicts", kind="source", params={"min_conflicts": 1},
            severity="warning", channels=[{"type": "inapp"}], group_by=["rule"], repeat_interval_minutes=24 * 60))
