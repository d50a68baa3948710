"""JSON API: alert instances, acknowledgement, rules, silences, directives. Session or Bearer token."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from dieuhanh.alerts import directives as dsvc
from dieuhanh.alerts import service, triage
from dieuhanh.alerts import sources as alert_sources
from dieuhanh.alerts.models import SEVERITIES, AlertInstance
from dieuhanh.alerts.schemas import (
    DirectiveCloseIn,
    DirectiveFromAlertIn,
    DirectiveIn,
    DirectiveUpdateIn,
    RuleIn,
    RuleOut,
    RulePatch,
    SilenceIn,
    SilenceOut,
)
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import authorize
from dieuhanh.indicators.schemas import DOMAINS
from dieuhanh.orgs.models import Agency
from dieuhanh.web.deps import DB, CurrentPrincipal
from dieuhanh.web.params import one_of

router = APIRouter(prefix="/api/v1", tags=["cảnh báo, chỉ đạo"])


def source_label(code: str) -> str | None:
    source = alert_sources.get(code)
    return source.label if source else None


def _at(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def row_dict(row: triage.AlertRow, agency_names: dict[str, str]) -> dict[str, Any]:
    i = row.instance
    return {
        "id": i.id, "state": i.state, "since": _at(i.since), "value": i.last_value, "period": i.period,
        "message": i.message, "domain": row.domain,
        "rule": {"id": row.rule.id, "name": row.rule.name, "kind": row.rule.kind, "severity": row.rule.severity},
        "indicator": {"code": row.rule.indicator_code, "name": row.indicator_name},
        "unit": {"code": row.unit_code, "name": row.unit_name, "kind": row.unit_kind},
        "responsible_agency": ({"code": row.responsible, "name": agency_names.get(row.responsible)}
                               if row.responsible else None),
        "last_evaluated_at": _at(i.last_evaluated_at),
        "acknowledged_by": i.acknowledged_by,
        "acknowledged_at": _at(i.acknowledged_at),
    }


def agency_names(db: DB) -> dict[str, str]:
    return {str(c): str(n) for c, n in db.execute(select(Agency.code, Agency.name))}


def instance_dicts(db: DB, instances: list[AlertInstance]) -> list[dict[str, Any]]:
    names = agency_names(db)
    return [row_dict(r, names) for r in triage.rows_for(db, instances)]


def group_dict(group: triage.AlertGroup, agency_names: dict[str, str]) -> dict[str, Any]:
    return {"rule_id": group.rule.id, "title": group.title, "rule_name": group.rule.name,
            "severity": group.rule.severity, "kind": group.rule.kind, "domain": group.domain,
            "indicator": {"code": group.rule.indicator_code, "name": group.indicator_name},
            "count": group.count, "units_text": group.units_text,
            "units": [{"code": r.unit_code, "name": r.unit_name} for r in group.rows],
            "since": _at(group.since), "latest": _at(group.latest),
            "items": [row_dict(r, agency_names) for r in group.rows]}


@router.get("/alerts", summary="Danh sách cảnh báo (lọc, nhóm theo quy tắc, phân trang)")
def list_alerts(db: DB, principal: CurrentPrincipal,
                state: Annotated[str | None, Query(max_length=10, description="alerting | pending | normal | "
                                                   "nodata | error",
                                                   json_schema_extra=one_of(triage.STATE_FILTERS))] = None,
                group: Annotated[str | None, Query(pattern="^rule$", description="rule: nhóm theo quy tắc")] = None,
                domain: Annotated[str | None, Query(max_length=40, description="Lĩnh vực của chỉ số",
                                                    json_schema_extra=one_of(DOMAINS))] = None,
                severity: Annotated[str | None, Query(max_length=10, description="info | warning | critical",
                                                      json_schema_extra=one_of(SEVERITIES))] = None,
                agency: Annotated[str | None, Query(max_length=40, pattern=r"^[^\x00-\x1f]*$",
                                                    description="Mã cơ quan chịu trách nhiệm")] = None,
                unit: Annotated[str | None, Query(max_length=40, pattern=r"^[^\x00-\x1f]*$",
                                                  description="Mã xã, phường")] = None,
                page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                page_size: Annotated[int, Query(ge=1, le=triage.MAX_PAGE_SIZE)] = 50) -> dict[str, Any]:
    """Cảnh báo theo trạng thái, lĩnh vực, mức độ, cơ quan, xã; ``group=rule`` trả về các nhóm
    ``{rule_id, title, severity, count, units: [{code, name}], since}``. ``total`` là số cảnh báo khớp bộ lọc."""
    filters = triage.Filters(state=state, domain=domain, severity=severity, agency=agency, unit=unit)
    result = triage.triage(db, principal=principal, filters=filters, group=group == "rule", page=page,
                           page_size=page_size)
    names = agency_names(db)
    out: dict[str, Any] = {"total": result.total, "page": result.page, "page_size": result.page_size,
                           "counts": {k.lower(): v for k, v in result.counts.items()}}
    if group == "rule":
        out["groups"] = [group_dict(g, names) for g in result.groups]
        out["total_groups"] = result.total_groups
    else:
        out["items"] = [row_dict(r, names) for r in result.rows]
    return out


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


@router.post("/alerts/{instance_id}/directive", status_code=201, summary="Giao chỉ đạo từ một cảnh báo")
def directive_from_alert(instance_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: DirectiveFromAlertIn, db: DB,
                         principal: CurrentPrincipal) -> dict[str, Any]:
    """Không gửi ``agency``: giao cho cơ quan chịu trách nhiệm về đơn vị của cảnh báo (UBND xã, phường; cơ quan
    của cảnh báo cấp cơ quan; hoặc cơ quan chủ trì chỉ số)."""
    authorize(principal, "officials.read")
    agency = body.agency or triage.responsible_agency(db, service.get_instance(db, instance_id))
    if not agency:
        raise InvalidInput("Cảnh báo này chưa xác định được cơ quan chịu trách nhiệm: hãy chọn cơ quan (agency).")
    directive = dsvc.create_directive(db, principal=principal, agency_code=agency, deadline=body.deadline,
                                      instruction=body.instruction, title=body.title, source_alert_id=instance_id,
                                      source_ref=body.source_ref)
    return dsvc.directive_dict(directive)


# ------------------------------------------------------------------------------------------------ rules


def _rule(rule: Any, principal: Any = None) -> dict[str, Any]:
    """A rule; webhook URLs (they often embed a secret) only for admins, others see «***»."""
    out = RuleOut.model_validate(rule).model_dump(mode="json")
    if principal is None or not principal.has_role("admin"):
        out["channels"] = [{**c, "url": "***"} if isinstance(c, dict) and c.get("url") else c
                           for c in out.get("channels") or []]
    return out


@router.get("/alert-rules")
def list_rules(db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    rules = service.list_rules(db, principal=principal)
    return {"items": [_rule(r, principal) for r in rules], "total": len(rules)}


@router.post("/alert-rules", status_code=201)
def create_rule(body: RuleIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return _rule(service.create_rule(db, principal=principal, rule_in=body), principal)


@router.get("/alert-rules/{rule_id}")
def get_rule(rule_id: int, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    authorize(principal, "officials.read")
    return _rule(service.get_rule(db, rule_id), principal)


@router.patch("/alert-rules/{rule_id}")
def update_rule(rule_id: int, body: RulePatch, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return _rule(service.update_rule(db, principal=principal, rule_id=rule_id, patch=body), principal)


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
def list_directives(db: DB, principal: CurrentPrincipal,
                    status: Annotated[str | None, Query(json_schema_extra=one_of(dsvc.STATUS_FILTERS))] = None,
                    agency: str | None = None,
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
