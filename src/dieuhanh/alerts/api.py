"""JSON API: alert instances, acknowledgement, rules, silences, directives. Session or Bearer token."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select

from dieuhanh.alerts import directives as dsvc
from dieuhanh.alerts import service
from dieuhanh.alerts import sources as alert_sources
from dieuhanh.alerts.models import AlertInstance
from dieuhanh.alerts.schemas import (
    DirectiveCloseIn,
    DirectiveIn,
    DirectiveUpdateIn,
    RuleIn,
    RuleOut,
    RulePatch,
    SilenceIn,
    SilenceOut,
)
from dieuhanh.core.security import authorize
from dieuhanh.geo.models import AdminUnit
from dieuhanh.indicators.models import IndicatorDefinition
from dieuhanh.orgs.models import Agency
from dieuhanh.web.deps import DB, CurrentPrincipal

router = APIRouter(prefix="/api/v1", tags=["cảnh báo, chỉ đạo"])


def source_label(code: str) -> str | None:
    source = alert_sources.get(code)
    return source.label if source else None


def instance_dicts(db: DB, instances: list[AlertInstance]) -> list[dict[str, Any]]:
    codes = {i.rule.indicator_code for i in instances}
    units = {i.unit_code for i in instances}
    names: dict[str, str] = {str(code): str(name) for code, name in db.execute(
        select(IndicatorDefinition.code, IndicatorDefinition.name).where(IndicatorDefinition.code.in_(codes)))}
    unit_names: dict[str, str] = {str(code): str(name) for code, name in db.execute(
        select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(units)))}
    unit_names.update({str(code): str(name) for code, name in db.execute(  # agency-level alerts
        select(Agency.code, Agency.name).where(Agency.code.in_(units - set(unit_names))))})
    for source in {i.rule.indicator_code for i in instances if i.rule.kind == "source"}:  # stations, cameras...
        unit_names.update(alert_sources.key_names(db, source, {i.unit_code for i in instances
                                                               if i.rule.indicator_code == source}))
    return [{
        "id": i.id, "state": i.state, "since": i.since.isoformat() + "Z", "value": i.last_value, "period": i.period,
        "message": i.message, "rule": {"id": i.rule.id, "name": i.rule.name, "kind": i.rule.kind,
                                       "severity": i.rule.severity},
        "indicator": {"code": i.rule.indicator_code, "name": names.get(i.rule.indicator_code) or source_label(
            i.rule.indicator_code)},
        "unit": {"code": i.unit_code, "name": unit_names.get(i.unit_code)},
        "last_evaluated_at": i.last_evaluated_at.isoformat() + "Z" if i.last_evaluated_at else None,
        "acknowledged_by": i.acknowledged_by,
        "acknowledged_at": i.acknowledged_at.isoformat() + "Z" if i.acknowledged_at else None,
    } for i in instances]


@router.get("/alerts")
def list_alerts(db: DB, principal: CurrentPrincipal, state: str | None = None) -> dict[str, Any]:
    items = service.list_instances(db, principal=principal, state=state)
    return {"items": instance_dicts(db, items), "total": len(items)}


@router.get("/alerts/{instance_id}")
def get_alert(instance_id: int, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    authorize(principal, "officials.read")
    inst = service.get_instance(db, instance_id)
    out = instance_dicts(db, [inst])[0]
    out["history"] = [{"at": c.at.isoformat() + "Z", "from": c.from_state, "to": c.to_state, "value": c.value,
                       "reason": c.reason} for c in service.history(db, inst.id)]
    return out


@router.post("/alerts/{instance_id}/ack")
def ack_alert(instance_id: int, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    inst = service.acknowledge(db, principal=principal, instance_id=instance_id)
    return instance_dicts(db, [inst])[0]


@router.post("/alerts/{instance_id}/directive", status_code=201)
def directive_from_alert(instance_id: int, body: DirectiveIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    directive = dsvc.create_directive(db, principal=principal, agency_code=body.agency, deadline=body.deadline,
                                      instruction=body.instruction, title=body.title, source_alert_id=instance_id,
                                      source_ref=body.source_ref)
    return dsvc.directive_dict(directive)


# ------------------------------------------------------------------------------------------------ rules


def _rule(rule: Any) -> dict[str, Any]:
    return RuleOut.model_validate(rule).model_dump(mode="json")


@router.get("/alert-rules")
def list_rules(db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    rules = service.list_rules(db, principal=principal)
    return {"items": [_rule(r) for r in rules], "total": len(rules)}


@router.post("/alert-rules", status_code=201)
def create_rule(body: RuleIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return _rule(service.create_rule(db, principal=principal, rule_in=body))


@router.get("/alert-rules/{rule_id}")
def get_rule(rule_id: int, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    authorize(principal, "officials.read")
    return _rule(service.get_rule(db, rule_id))


@router.patch("/alert-rules/{rule_id}")
def update_rule(rule_id: int, body: RulePatch, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return _rule(service.update_rule(db, principal=principal, rule_id=rule_id, patch=body))


@router.delete("/alert-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, db: DB, principal: CurrentPrincipal) -> Response:
    service.delete_rule(db, principal=principal, rule_id=rule_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------------------ silences


@router.get("/silences")
def list_silences(db: DB, principal: CurrentPrincipal, active: bool = False) -> dict[str, Any]:
    items = service.list_silences(db, principal=principal, active_only=active)
    return {"items": [SilenceOut.model_validate(s).model_dump(mode="json") for s in items], "total": len(items)}


@router.post("/silences", status_code=201)
def create_silence(body: SilenceIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    silence = service.create_silence(db, principal=principal, silence_in=body)
    return SilenceOut.model_validate(silence).model_dump(mode="json")


@router.delete("/silences/{silence_id}")
def expire_silence(silence_id: int, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    silence = service.expire_silence(db, principal=principal, silence_id=silence_id)
    return SilenceOut.model_validate(silence).model_dump(mode="json")


# ------------------------------------------------------------------------------------------------ directives


@router.get("/directives")
def list_directives(db: DB, principal: CurrentPrincipal, status: str | None = None, agency: str | None = None,
                    deadline_from: date | None = None, deadline_to: date | None = None) -> dict[str, Any]:
    today = dsvc.today_local()
    items = dsvc.list_directives(db, principal=principal, status=status, agency=agency,
                                 deadline_from=deadline_from, deadline_to=deadline_to, today=today)
    return {"items": [dsvc.directive_dict(d, today) for d in items], "total": len(items)}


@router.post("/directives", status_code=201)
def create_directive(body: DirectiveIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    directive = dsvc.create_directive(db, principal=principal, agency_code=body.agency, deadline=body.deadline,
                                      instruction=body.instruction, title=body.title, source_ref=body.source_ref)
    return dsvc.directive_dict(directive)


@router.get("/directives/overdue-by-agency")
def overdue(db: DB, principal: CurrentPrincipal) -> dict[str, int]:
    authorize(principal, "officials.read")
    return dsvc.overdue_by_agency(db)


@router.get("/directives/{directive_id}")
def get_directive(directive_id: int, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return dsvc.directive_dict(dsvc.get_directive(db, principal=principal, directive_id=directive_id))


@router.post("/directives/{directive_id}/updates", status_code=201)
def add_update(directive_id: int, body: DirectiveUpdateIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    dsvc.add_update(db, principal=principal, directive_id=directive_id, text=body.text, percent=body.percent)
    directive = dsvc.get_directive(db, principal=principal, directive_id=directive_id)
    db.refresh(directive)
    return dsvc.directive_dict(directive)


@router.post("/directives/{directive_id}/close")
def close(directive_id: int, body: DirectiveCloseIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    directive = dsvc.close_directive(db, principal=principal, directive_id=directive_id, result=body.result)
    return dsvc.directive_dict(directive)
