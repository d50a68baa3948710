"""Incidents (sự cố) handled by standard operating procedures, with automatic escalation.

Workflow::

    open ──assign──► assigned ──ack──► acknowledged ──steps/{n}/done … ──close──► closed
      └──────────────ack──────────────┘        (escalate: any time before close; automatic when a step's time
                                                runs out)

An incident gets the active procedure of its type: the steps are copied (title, agency in charge, time limit), so
editing a procedure later does not change incidents already running. The first step starts when the incident is
created; each next one when the previous is done; ``due_at = started_at + time limit``. When the current step is
past due, :func:`escalate_due` (a job every minute; the clock is a parameter) raises the escalation level, logs it,
notifies the next level of the procedure's escalation list, and looks again one time limit later. Every transition
writes an ``IncidentLog`` line and an audit row in the caller's transaction and goes to the live feed.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, FieldError, InvalidInput, NotFound
from dieuhanh.core.formatting import format_datetime, to_local
from dieuhanh.core.security import SYSTEM, Principal, allowed, authorize
from dieuhanh.geo.service import commune_centroid, locate
from dieuhanh.operations import catalogue, live
from dieuhanh.operations.models import (
    INCIDENT_STATE_LABELS,
    OUTCOMES,
    SEVERITY_LABELS,
    SEVERITY_RANK,
    Event,
    Incident,
    IncidentLog,
    IncidentRule,
    IncidentStep,
    Procedure,
)
from dieuhanh.operations.schemas import IncidentIn
from dieuhanh.orgs.catalogue import PROVINCE_COMMITTEE, commune_agency_code
from dieuhanh.orgs.models import Agency

ACTION_LABELS = {"create": "Tạo sự cố", "assign": "Giao xử lý", "ack": "Tiếp nhận xử lý", "step": "Hoàn thành bước",
                 "note": "Ghi chú", "photo": "Ảnh hiện trường", "escalate": "Leo thang", "close": "Đóng sự cố",
                 "link": "Gắn sự kiện", "rule": "Tạo tự động theo quy tắc"}
OPEN_STATES = ("open", "assigned", "acknowledged")


def _code(incident_id: int, created_at: datetime) -> str:
    return f"SC-{to_local(created_at).year}-{incident_id:06d}"


def procedure_for(session: Session, incident_type: str) -> Procedure | None:
    return session.scalar(select(Procedure).where(Procedure.incident_type == incident_type,
                                                  Procedure.active.is_(True))
                          .options(selectinload(Procedure.steps)).order_by(Procedure.id))


def _default_agency(session: Session, procedure: Procedure | None, unit_code: str | None) -> str:
    if procedure is not None:
        for step in procedure.steps:
            if step.agency_code:
                return step.agency_code
    if unit_code:
        code = commune_agency_code(unit_code)
        if session.get(Agency, code) is not None:
            return code
    return PROVINCE_COMMITTEE[0]


def _log(session: Session, incident: Incident, action: str, actor: str, now: datetime, *, note: str | None = None,
         step: int | None = None, data: dict[str, Any] | None = None) -> None:
    incident.log.append(IncidentLog(at=now, actor=actor, action=action, note=note, step=step, data=data or {}))
    incident.updated_at = now


def _publish(session: Session, incident: Incident, province_code: str) -> None:
    session.flush()
    live.queue(session, "incident", incident_out(session, incident, province_code=province_code, brief=True),
               keys=(live.incident_key(incident.id, incident.updated_at),))


def get(session: Session, incident_id: int, *, principal: Principal) -> Incident:
    authorize(principal, "events.read")
    found = session.scalar(select(Incident).where(Incident.id == incident_id).options(
        selectinload(Incident.steps), selectinload(Incident.log)))
    if found is None:
        raise NotFound(f"Không có sự cố số {incident_id}.")
    return found


def create(session: Session, *, principal: Principal, data: IncidentIn, province_code: str,
           now: datetime | None = None, rule: IncidentRule | None = None, demo: bool = False) -> Incident:
    """A new incident from events and/or a place; it gets its type's procedure and is assigned at once to the
    agency of the first step (or the commune's People's Committee)."""
    authorize(principal, "incident.create")
    from dieuhanh.operations.service import commune_names, ensure_catalogue

    ensure_catalogue(session)
    now = now or utcnow()
    errors: list[FieldError] = []
    if data.type not in catalogue.INCIDENT_TYPES:
        errors.append(FieldError(f"Loại sự cố «{data.type}» không có. Các loại: "
                                 f"{', '.join(catalogue.INCIDENT_TYPES)}.", field="type"))
    events = list(session.scalars(select(Event).where(Event.id.in_(data.event_ids)))) if data.event_ids else []
    missing = sorted(set(data.event_ids) - {e.id for e in events})
    if missing:
        errors.append(FieldError(f"Không có sự kiện số {', '.join(map(str, missing))}.", field="event_ids"))
    taken = [e for e in events if e.incident_id is not None]
    if taken:
        errors.append(FieldError(f"Sự kiện số {', '.join(str(e.id) for e in taken)} đã thuộc sự cố khác.",
                                 field="event_ids"))
    if data.agency_code and session.get(Agency, data.agency_code) is None:
        errors.append(FieldError(f"Không có cơ quan mã «{data.agency_code}».", field="agency_code"))
    lat, lon, unit = data.lat, data.lon, data.unit_code
    if (lat is None) != (lon is None):
        errors.append(FieldError("Cần có cả lat và lon.", field="lat"))
    elif lat is not None and lon is not None:
        unit = locate(session, lat, lon, near=True) or unit
        if unit is None:
            errors.append(FieldError("Tọa độ nằm ngoài địa giới tỉnh.", field="lat"))
    elif unit:
        if unit not in commune_names(province_code):
            errors.append(FieldError(f"Mã xã, phường «{unit}» không thuộc tỉnh.", field="unit_code"))
        else:
            point = commune_centroid(session, unit)
            lat, lon = (point[0], point[1]) if point else (None, None)
    elif events:
        first = next((e for e in events if e.lat is not None), events[0])
        lat, lon, unit = first.lat, first.lon, first.unit_code
    else:
        errors.append(FieldError("Hãy chọn sự kiện hoặc vị trí (unit_code hoặc lat, lon) của sự cố.",
                                 field="event_ids"))
    if errors:
        raise InvalidInput("Không tạo được sự cố: " + errors[0].message, errors=errors)
    severity: str = data.severity or max((e.severity for e in events), key=lambda s: SEVERITY_RANK.get(s, 0),
                                         default="major")
    procedure = procedure_for(session, data.type)
    agency = data.agency_code or _default_agency(session, procedure, unit)
    incident = Incident(code="pending", title=data.title, type=data.type, severity=severity, state="assigned",
                        procedure_id=procedure.id if procedure else None,
                        procedure_name=procedure.name if procedure else None, lat=lat, lon=lon, unit_code=unit,
                        description=data.description, agency_code=agency, created_by=principal.actor,
                        created_at=now, assigned_at=now, rule_id=rule.id if rule else None, demo=demo, updated_at=now,
                        address=next((e.address for e in events if e.address), None))
    if procedure is not None:
        for step in procedure.steps:
            incident.steps.append(IncidentStep(position=step.position, title=step.title,
                                               agency_code=step.agency_code or agency,
                                               time_limit_minutes=step.time_limit_minutes,
                                               description=step.description))
    session.add(incident)
    session.flush()
    incident.code = _code(incident.id, now)
    _start_step(incident, now)
    for e in events:
        e.incident_id = incident.id
        e.updated_at = now
    _log(session, incident, "rule" if rule else "create", principal.actor, now,
         note=f"Quy tắc «{rule.name}»" if rule else None,
         data={"events": [e.id for e in events], "procedure": incident.procedure_name, "agency": agency})
    _log(session, incident, "assign", principal.actor, now, data={"agency": agency})
    audit.record(session, actor=principal.actor, action="incident.create", entity_type="ops_incident",
                 entity_id=incident.id, after={"code": incident.code, "type": incident.type, "agency": agency,
                                               "events": [e.id for e in events], "rule": rule.id if rule else None})
    from dieuhanh.operations import notices
    from dieuhanh.operations.service import publish_events

    notices.notify_incident(session, incident, "incident_new", now=now, province_code=province_code)
    if events:
        publish_events(session, events, province_code=province_code, kind="event_update")
    _publish(session, incident, province_code)
    return incident


def _start_step(incident: Incident, now: datetime) -> None:
    step = incident.current_step
    if step is not None and step.started_at is None:
        step.started_at = now
        step.due_at = now + timedelta(minutes=step.time_limit_minutes)
        incident.next_escalation_at = step.due_at
    elif step is None:
        incident.next_escalation_at = None


def _open(incident: Incident, action: str) -> None:
    if incident.state == "closed":
        raise Conflict(f"Sự cố {incident.code} đã đóng: không thể {ACTION_LABELS.get(action, action).lower()}.")


def acknowledge(session: Session, incident: Incident, *, principal: Principal, province_code: str,
                note: str | None = None, now: datetime | None = None) -> Incident:
    authorize(principal, "incident.handle", incident)
    _open(incident, "ack")
    if incident.acknowledged_at is not None and incident.state == "acknowledged":
        raise Conflict(f"Sự cố {incident.code} đã được tiếp nhận lúc {format_datetime(incident.acknowledged_at)}.")
    now = now or utcnow()
    incident.state, incident.acknowledged_at, incident.acknowledged_by = "acknowledged", now, principal.actor
    _log(session, incident, "ack", principal.actor, now, note=note)
    audit.record(session, actor=principal.actor, action="incident.ack", entity_type="ops_incident",
                 entity_id=incident.id, after={"state": incident.state})
    _publish(session, incident, province_code)
    return incident


def assign(session: Session, incident: Incident, *, principal: Principal, agency_code: str, province_code: str,
           note: str | None = None, now: datetime | None = None) -> Incident:
    authorize(principal, "incident.direct", incident)
    _open(incident, "assign")
    if session.get(Agency, agency_code) is None:
        raise InvalidInput(f"Không có cơ quan mã «{agency_code}».",
                           errors=[FieldError("Cơ quan không có.", field="agency_code")])
    now = now or utcnow()
    before = incident.agency_code
    for step in incident.steps:  # the steps the former agency held move with the incident
        if step.done_at is None and step.agency_code == before:
            step.agency_code = agency_code
    incident.agency_code, incident.state, incident.assigned_at = agency_code, "assigned", now
    incident.acknowledged_at = incident.acknowledged_by = None  # the new agency acknowledges again
    _log(session, incident, "assign", principal.actor, now, note=note, data={"from": before, "agency": agency_code})
    audit.record(session, actor=principal.actor, action="incident.assign", entity_type="ops_incident",
                 entity_id=incident.id, before={"agency": before}, after={"agency": agency_code})
    from dieuhanh.operations import notices

    notices.notify_incident(session, incident, "incident_assigned", now=now, province_code=province_code)
    _publish(session, incident, province_code)
    return incident


def complete_step(session: Session, incident: Incident, position: int, *, principal: Principal,
                  province_code: str, note: str | None = None, now: datetime | None = None) -> Incident:
    authorize(principal, "incident.handle", _step_agency(incident, position))
    _open(incident, "step")
    step = next((s for s in incident.steps if s.position == position), None)
    if step is None:
        raise NotFound(f"Sự cố {incident.code} không có bước {position} (có {len(incident.steps)} bước).")
    if step.done_at is not None:
        raise Conflict(f"Bước {position} đã hoàn thành lúc {format_datetime(step.done_at)}.")
    current = incident.current_step
    if current is not None and current.position != position:
        raise Conflict(f"Bước {position} chưa tới lượt: hãy hoàn thành bước {current.position} "
                       f"«{current.title}» trước.")
    now = now or utcnow()
    if incident.state in ("open", "assigned"):  # doing the work acknowledges it
        incident.state, incident.acknowledged_at, incident.acknowledged_by = "acknowledged", now, principal.actor
        _log(session, incident, "ack", principal.actor, now)
    step.done_at, step.done_by, step.note = now, principal.actor, note
    _log(session, incident, "step", principal.actor, now, note=note, step=position,
         data={"title": step.title, "late": bool(step.due_at and now > step.due_at)})
    _start_step(incident, now)
    audit.record(session, actor=principal.actor, action="incident.step", entity_type="ops_incident",
                 entity_id=incident.id, after={"step": position, "late": bool(step.due_at and now > step.due_at)})
    _publish(session, incident, province_code)
    return incident


def _step_agency(incident: Incident, position: int) -> str | None:
    step = next((s for s in incident.steps if s.position == position), None)
    return (step.agency_code if step is not None else None) or incident.agency_code


def can_do_step(principal: Principal, incident: Incident, position: int) -> bool:
    return allowed(principal, "incident.handle", _step_agency(incident, position)) or allowed(
        principal, "incident.handle", incident)


def escalate(session: Session, incident: Incident, *, principal: Principal, province_code: str,
             note: str | None = None, now: datetime | None = None, automatic: bool = False) -> Incident:
    """One level up the procedure's escalation list: the next level is notified and the timeline says why."""
    if not automatic:
        authorize(principal, "incident.direct", incident)
    _open(incident, "escalate")
    now = now or utcnow()
    incident.escalation_level += 1
    step = incident.current_step
    level = escalation_target(session, incident)
    reason = note or (f"Quá thời hạn bước {step.position} «{step.title}» "
                      f"({step.time_limit_minutes} phút, hạn {format_datetime(step.due_at)})"
                      if automatic and step is not None and step.due_at else "Leo thang thủ công")
    if step is not None and automatic:
        step.escalated = True
    if step is not None and step.time_limit_minutes:
        incident.next_escalation_at = now + timedelta(minutes=step.time_limit_minutes)
    _log(session, incident, "escalate", principal.actor, now, note=reason,
         step=step.position if step else None,
         data={"level": incident.escalation_level, "to": level.get("label") if level else None,
               "automatic": automatic})
    audit.record(session, actor=principal.actor, action="incident.escalate", entity_type="ops_incident",
                 entity_id=incident.id, after={"level": incident.escalation_level, "automatic": automatic,
                                               "to": level.get("label") if level else None})
    from dieuhanh.operations import notices

    notices.notify_incident(session, incident, "incident_escalated", now=now, province_code=province_code,
                            escalation=level, reason=reason)
    _publish(session, incident, province_code)
    return incident


def escalation_target(session: Session, incident: Incident) -> dict[str, Any] | None:
    """The escalation level the incident is at (1 = the first entry of the procedure's list), capped at the last."""
    procedure = session.get(Procedure, incident.procedure_id) if incident.procedure_id else None
    chain = (procedure.escalation if procedure else None) or [{"label": "Lãnh đạo UBND tỉnh", "agency_code": None,
                                                                "role": "leader"}]
    if incident.escalation_level <= 0:
        return None
    return dict(chain[min(incident.escalation_level, len(chain)) - 1])


def close(session: Session, incident: Incident, *, principal: Principal, outcome: str, result: str,
          province_code: str, now: datetime | None = None) -> Incident:
    authorize(principal, "incident.direct", incident)
    _open(incident, "close")
    if outcome not in OUTCOMES:
        raise InvalidInput("Kết quả phải là resolved, false_alarm hoặc transferred.",
                           errors=[FieldError("Kết quả không hợp lệ.", field="outcome")])
    if not result or len(result.strip()) < 3:
        raise InvalidInput("Hãy ghi kết quả xử lý.", errors=[FieldError("Bắt buộc.", field="result")])
    now = now or utcnow()
    open_steps = [s.position for s in incident.steps if s.done_at is None]
    incident.state, incident.closed_at, incident.closed_by = "closed", now, principal.actor
    incident.outcome, incident.result, incident.next_escalation_at = outcome, result.strip(), None
    _log(session, incident, "close", principal.actor, now, note=result.strip(),
         data={"outcome": outcome, "steps_not_done": open_steps})
    audit.record(session, actor=principal.actor, action="incident.close", entity_type="ops_incident",
                 entity_id=incident.id, after={"outcome": outcome, "steps_not_done": open_steps})
    from dieuhanh.operations import notices
    from dieuhanh.operations.service import set_status

    events = list(session.scalars(select(Event).where(Event.incident_id == incident.id, Event.status == "active")))
    if events:
        set_status(session, events, "closed", actor=principal.actor, province_code=province_code, now=now)
    notices.notify_incident(session, incident, "incident_closed", now=now, province_code=province_code)
    _publish(session, incident, province_code)
    return incident


def add_note(session: Session, incident: Incident, *, principal: Principal, note: str, province_code: str,
             photos: list[bytes] | None = None, settings: Any = None, now: datetime | None = None) -> Incident:
    authorize(principal, "incident.handle", incident)
    _open(incident, "note")
    now = now or utcnow()
    stored: list[int] = []
    if photos:
        from dieuhanh.operations import media

        stored = media.store_incident_photos(session, incident, photos, actor=principal.actor, settings=settings,
                                             step=incident.current_step.position if incident.current_step else None)
    if not (note or "").strip() and not stored:
        raise InvalidInput("Hãy nhập ghi chú hoặc đính kèm ảnh.", errors=[FieldError("Bắt buộc.", field="note")])
    _log(session, incident, "photo" if stored and not note else "note", principal.actor, now, note=note or None,
         step=incident.current_step.position if incident.current_step else None, data={"photos": stored})
    audit.record(session, actor=principal.actor, action="incident.note", entity_type="ops_incident",
                 entity_id=incident.id, after={"photos": stored})
    _publish(session, incident, province_code)
    return incident


def link_events(session: Session, incident: Incident, event_ids: list[int], *, principal: Principal,
                province_code: str, now: datetime | None = None) -> Incident:
    authorize(principal, "incident.handle", incident)
    _open(incident, "link")
    events = list(session.scalars(select(Event).where(Event.id.in_(event_ids), Event.incident_id.is_(None))))
    if not events:
        raise InvalidInput("Không có sự kiện nào để gắn (đã thuộc sự cố khác hoặc không tồn tại).",
                           errors=[FieldError("Không có sự kiện.", field="event_ids")])
    now = now or utcnow()
    for e in events:
        e.incident_id, e.updated_at = incident.id, now
    _log(session, incident, "link", principal.actor, now, data={"events": [e.id for e in events]})
    audit.record(session, actor=principal.actor, action="incident.link", entity_type="ops_incident",
                 entity_id=incident.id, after={"events": [e.id for e in events]})
    from dieuhanh.operations.service import publish_events

    publish_events(session, events, province_code=province_code, kind="event_update")
    _publish(session, incident, province_code)
    return incident


# ------------------------------------------------------------------------------------------------ jobs


def escalate_due(session: Session, *, province_code: str, now: datetime | None = None) -> int:
    """Escalate every open incident whose current step is past due (the clock is injectable); returns how many."""
    now = now or utcnow()
    due = list(session.scalars(select(Incident).where(Incident.state.in_(OPEN_STATES),
                                                      Incident.next_escalation_at.is_not(None),
                                                      Incident.next_escalation_at <= now)
                               .options(selectinload(Incident.steps), selectinload(Incident.log))))
    for incident in due:
        escalate(session, incident, principal=SYSTEM, province_code=province_code, now=now, automatic=True)
    return len(due)


# ------------------------------------------------------------------------------------------------ rules


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def apply_rules(session: Session, events: list[Event], *, now: datetime, province_code: str) -> list[Incident]:
    """Incident rules on new events: enough events of the rule's type and severity from distinct devices near each
    other within the window, none in an incident yet → one incident of those events, created as the system."""
    types = {e.type for e in events}
    rules = list(session.scalars(select(IncidentRule).where(IncidentRule.enabled.is_(True),
                                                            IncidentRule.event_type.in_(types))))
    made: list[Incident] = []
    for rule in rules:
        rank = SEVERITY_RANK.get(rule.min_severity, 2)
        for event in events:
            if (event.type != rule.event_type or SEVERITY_RANK.get(event.severity, 0) < rank
                    or event.incident_id is not None or event.lat is None or event.lon is None):
                continue
            since = event.occurred_at - timedelta(minutes=rule.window_minutes)
            near = [e for e in session.scalars(select(Event).where(
                Event.type == rule.event_type, Event.incident_id.is_(None), Event.status == "active",
                Event.occurred_at >= since, Event.occurred_at <= event.occurred_at + timedelta(minutes=1),
                Event.lat.is_not(None)))
                if SEVERITY_RANK.get(e.severity, 0) >= rank and e.lat is not None and e.lon is not None
                and _distance_m(event.lat, event.lon, e.lat, e.lon) <= rule.radius_m]
            devices = {e.device or e.sensor_id or e.camera_id or e.source_event_id for e in near}
            if len(devices) < rule.min_count:
                continue
            first = min(near, key=lambda e: e.occurred_at)
            title = (f"{first.title} — {rule.name.lower()}" if rule.min_count > 1 else first.title)[:255]
            made.append(create(session, principal=SYSTEM, province_code=province_code, now=now, rule=rule,
                               data=IncidentIn(title=title, type=rule.incident_type,
                                               event_ids=[e.id for e in near]),
                               demo=any(e.demo for e in near)))
    return made


# ------------------------------------------------------------------------------------------------ queries


def list_incidents(session: Session, *, principal: Principal, state: str | None = None, limit: int = 50,
                   offset: int = 0, agency_code: str | None = None) -> tuple[list[Incident], int]:
    authorize(principal, "events.read")
    query = select(Incident)
    if state == "open":
        query = query.where(Incident.state.in_(OPEN_STATES))
    elif state:
        if state not in INCIDENT_STATE_LABELS:
            raise InvalidInput("state phải là open, assigned, acknowledged hoặc closed.",
                               errors=[FieldError("Trạng thái không hợp lệ.", field="state")])
        query = query.where(Incident.state == state)
    if agency_code:
        query = query.where(Incident.agency_code == agency_code)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.options(selectinload(Incident.steps)).order_by(
        Incident.created_at.desc(), Incident.id.desc()).limit(limit).offset(offset)))
    return rows, int(total)


def incident_out(session: Session, incident: Incident, *, province_code: str, brief: bool = False,
                 now: datetime | None = None) -> dict[str, Any]:
    from dieuhanh.operations.service import agency_names, iso_local, unit_name

    now = now or utcnow()
    agencies = agency_names(session)
    current = incident.current_step
    overdue = bool(current and current.due_at and current.due_at < now and incident.state != "closed")
    out: dict[str, Any] = {
        "id": incident.id, "code": incident.code, "title": incident.title, "type": incident.type,
        "type_name": catalogue.INCIDENT_TYPES.get(incident.type, incident.type), "severity": incident.severity,
        "severity_label": SEVERITY_LABELS.get(incident.severity, incident.severity), "state": incident.state,
        "state_label": incident.state_label, "lat": incident.lat, "lon": incident.lon,
        "unit_code": incident.unit_code, "unit_name": unit_name(province_code, incident.unit_code),
        "agency_code": incident.agency_code,
        "agency_name": agencies.get(incident.agency_code or "", incident.agency_code or ""),
        "procedure": incident.procedure_name, "escalation_level": incident.escalation_level,
        "created_at": iso_local(incident.created_at), "created_text": format_datetime(incident.created_at),
        "acknowledged_at": iso_local(incident.acknowledged_at), "closed_at": iso_local(incident.closed_at),
        "outcome": incident.outcome, "outcome_label": OUTCOMES.get(incident.outcome or "", ""),
        "current_step": None if current is None else {
            "position": current.position, "title": current.title, "agency_code": current.agency_code,
            "agency_name": agencies.get(current.agency_code or "", current.agency_code or ""),
            "due_at": iso_local(current.due_at), "due_text": format_datetime(current.due_at)},
        "steps_done": sum(1 for s in incident.steps if s.done_at is not None), "steps_total": len(incident.steps),
        "overdue": overdue, "demo": incident.demo, "updated": incident.updated_at.isoformat(),
    }
    if brief:
        return out
    out.update({
        "description": incident.description, "address": incident.address, "result": incident.result,
        "steps": [{"position": s.position, "title": s.title, "agency_code": s.agency_code,
                   "agency_name": agencies.get(s.agency_code or "", s.agency_code or ""),
                   "time_limit_minutes": s.time_limit_minutes, "started_at": iso_local(s.started_at),
                   "due_at": iso_local(s.due_at), "done_at": iso_local(s.done_at), "done_by": s.done_by,
                   "note": s.note, "escalated": s.escalated,
                   "late": bool(s.due_at and ((s.done_at or now) > s.due_at))} for s in incident.steps],
        "timeline": [{"at": iso_local(x.at), "at_text": format_datetime(x.at), "actor": x.actor, "action": x.action,
                      "action_label": ACTION_LABELS.get(x.action, x.action), "step": x.step, "note": x.note,
                      "data": x.data} for x in incident.log],
        "event_ids": list(session.scalars(select(Event.id).where(Event.incident_id == incident.id)
                                          .order_by(Event.id))),
    })
    return out
