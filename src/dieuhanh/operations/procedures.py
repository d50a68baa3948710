"""Standard operating procedures (quy trình xử lý) and notification subscriptions: data analysts maintain.

Saving a procedure with an existing code replaces its steps and bumps its version; incidents already running
keep the steps they copied when they got the procedure.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import FieldError, InvalidInput, NotFound
from dieuhanh.core.security import Principal, authorize
from dieuhanh.operations import catalogue
from dieuhanh.operations.models import NotifyRule, Procedure, ProcedureStep
from dieuhanh.operations.schemas import NotifyRuleIn, ProcedureIn
from dieuhanh.orgs.models import Agency


def list_procedures(session: Session, *, principal: Principal) -> list[Procedure]:
    authorize(principal, "events.read")
    from dieuhanh.operations.service import ensure_catalogue

    ensure_catalogue(session)
    return list(session.scalars(select(Procedure).options(selectinload(Procedure.steps))
                                .order_by(Procedure.incident_type, Procedure.code)))


def get(session: Session, code: str, *, principal: Principal) -> Procedure:
    authorize(principal, "events.read")
    found = session.scalar(select(Procedure).where(Procedure.code == code).options(selectinload(Procedure.steps)))
    if found is None:
        raise NotFound(f"Không có quy trình mã «{code}».")
    return found


def procedure_out(session: Session, p: Procedure) -> dict[str, Any]:
    from dieuhanh.operations.service import agency_names

    agencies = agency_names(session)
    return {"code": p.code, "incident_type": p.incident_type,
            "incident_type_name": catalogue.INCIDENT_TYPES.get(p.incident_type, p.incident_type), "name": p.name,
            "description": p.description, "escalation": p.escalation, "active": p.active, "version": p.version,
            "total_minutes": sum(s.time_limit_minutes for s in p.steps),
            "steps": [{"position": s.position, "title": s.title, "agency_code": s.agency_code,
                       "agency_name": agencies.get(s.agency_code or "", "Cơ quan được giao xử lý"),
                       "time_limit_minutes": s.time_limit_minutes, "description": s.description} for s in p.steps]}


def _check_agencies(session: Session, codes: list[tuple[str, str | None]]) -> list[FieldError]:
    known = set(session.scalars(select(Agency.code)))
    return [FieldError(f"Không có cơ quan mã «{code}».", field=where) for where, code in codes
            if code and code not in known]


def save(session: Session, *, principal: Principal, data: ProcedureIn) -> Procedure:
    authorize(principal, "events.manage")
    errors = _check_agencies(session, [(f"steps.{i}.agency_code", s.agency_code) for i, s in enumerate(data.steps)]
                             + [(f"escalation.{i}.agency_code", e.agency_code)
                                for i, e in enumerate(data.escalation)])
    if data.incident_type not in catalogue.INCIDENT_TYPES:
        errors.append(FieldError(f"Loại sự cố «{data.incident_type}» không có; các loại: "
                                 f"{', '.join(catalogue.INCIDENT_TYPES)}.", field="incident_type"))
    if errors:
        raise InvalidInput("Quy trình không hợp lệ: " + errors[0].message, errors=errors)
    proc = session.scalar(select(Procedure).where(Procedure.code == data.code)
                          .options(selectinload(Procedure.steps)))
    before = procedure_out(session, proc) if proc else None
    if proc is None:
        proc = Procedure(code=data.code, created_by=principal.actor, version=0)
        session.add(proc)
    proc.incident_type, proc.name, proc.description = data.incident_type, data.name, data.description
    proc.escalation = [e.model_dump() for e in data.escalation]
    proc.active, proc.version, proc.updated_at = data.active, proc.version + 1, utcnow()
    proc.steps.clear()
    session.flush()
    for position, step in enumerate(data.steps, start=1):
        proc.steps.append(ProcedureStep(position=position, title=step.title, agency_code=step.agency_code,
                                        time_limit_minutes=step.time_limit_minutes, description=step.description))
    session.flush()
    audit.record(session, actor=principal.actor, action="procedure.save", entity_type="ops_procedure",
                 entity_id=proc.code, before=before, after=procedure_out(session, proc))
    return proc


def list_notify_rules(session: Session, *, principal: Principal) -> list[NotifyRule]:
    authorize(principal, "events.read")
    return list(session.scalars(select(NotifyRule).order_by(NotifyRule.id)))


def save_notify_rule(session: Session, *, principal: Principal, data: NotifyRuleIn) -> NotifyRule:
    authorize(principal, "events.manage")
    errors = _check_agencies(session, [("agency_code", data.agency_code)])
    if data.channel != "inapp" and not data.target:
        errors.append(FieldError("Kênh thư điện tử hoặc webhook cần địa chỉ nhận (target).", field="target"))
    if data.channel == "webhook" and data.target and not data.target.startswith(("https://", "http://")):
        errors.append(FieldError("Webhook phải là địa chỉ http(s)://.", field="target"))
    if bool(data.quiet_start) != bool(data.quiet_end):
        errors.append(FieldError("Giờ yên lặng cần cả giờ bắt đầu và giờ kết thúc.", field="quiet_end"))
    if errors:
        raise InvalidInput("Đăng ký nhận thông báo không hợp lệ: " + errors[0].message, errors=errors)
    # "" is "no agency" (a foreign key cannot hold an empty code)
    rule = NotifyRule(created_by=principal.actor, **(data.model_dump() | {"agency_code": data.agency_code or None}))
    session.add(rule)
    session.flush()
    audit.record(session, actor=principal.actor, action="notify_rule.create", entity_type="ops_notify_rule",
                 entity_id=rule.id, after=data.model_dump())
    return rule
