"""Notifications of the operations room: per-role and per-agency subscriptions (``NotifyRule``) on the channels the
province configured — in-app, e-mail, webhook (the SMS/Zalo gateway the province runs) — with quiet hours, and
repeats of an incident nobody acknowledged (an acknowledgement stops them).

Every delivery is a row of the alerts' ``Notification`` table (``payload.kind = "operations"``), so the alerts page
and the room list them with the rest. In-app rows are delivered at once; e-mail and webhook rows are written
``pending`` in the caller's transaction and sent by :func:`deliver_pending` (a job every few seconds), so no request
waits for a mail server or a gateway, and nothing is sent for a change that rolled back. Sending reuses the alert
channels of ``alerts/notify.py`` (its webhook poster and mail sender).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dieuhanh.alerts.models import Notification
from dieuhanh.core.db import utcnow
from dieuhanh.core.formatting import format_datetime, to_local
from dieuhanh.core.security import Principal
from dieuhanh.operations.models import SEVERITY_LABELS, SEVERITY_RANK, Event, Incident, NotifyRule

KIND_TITLES = {"event_critical": "Sự kiện khẩn cấp", "incident_new": "Sự cố mới",
               "incident_assigned": "Giao xử lý sự cố", "incident_escalated": "Sự cố leo thang",
               "incident_closed": "Sự cố đã đóng",
               "incident_repeat": "Nhắc lại: sự cố chưa được tiếp nhận"}


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def in_quiet_hours(rule: NotifyRule, now: datetime) -> bool:
    """Local time inside [quiet_start, quiet_end) (may wrap midnight, e.g. 22:00–06:00)."""
    if not rule.quiet_start or not rule.quiet_end:
        return False
    local = to_local(now).time()
    minute = local.hour * 60 + local.minute
    start, end = _minutes(rule.quiet_start), _minutes(rule.quiet_end)
    return start <= minute < end if start <= end else (minute >= start or minute < end)


def _matches(rule: NotifyRule, kind: str, type_code: str, severity: str, agencies: set[str | None]) -> bool:
    if not rule.enabled or (kind not in (rule.kinds or []) and not (kind == "incident_repeat" and (
            "incident_new" in (rule.kinds or []) or "incident_assigned" in (rule.kinds or [])))):
        return False
    if rule.types and type_code not in rule.types:
        return False
    if SEVERITY_RANK.get(severity, 0) < SEVERITY_RANK.get(rule.min_severity, 0):
        return False
    return rule.agency_code is None or rule.agency_code in agencies


def _deliver(session: Session, rule: NotifyRule, kind: str, payload: dict[str, Any], severity: str, *,
             now: datetime, group_key: str) -> Notification:
    quiet = in_quiet_hours(rule, now) and not (severity == "critical" and rule.quiet_allow_critical)
    note = Notification(channel=rule.channel, agency_code=rule.agency_code, group_key=group_key[:255],
                        payload={**payload, "role": rule.role, "rule_id": rule.id, "rule": rule.name},
                        created_at=now, recipient=(rule.target or None) if rule.channel != "inapp" else None)
    if quiet:
        note.status = "skipped"
        note.error = f"Giờ yên lặng {rule.quiet_start}–{rule.quiet_end} của đăng ký «{rule.name}»: không gửi."
    elif rule.channel == "inapp":
        note.status, note.sent_at = "sent", now
    else:
        note.status = "pending"
    session.add(note)
    return note


def _rules(session: Session) -> list[NotifyRule]:
    return list(session.scalars(select(NotifyRule).where(NotifyRule.enabled.is_(True)).order_by(NotifyRule.id)))


def notify_events(session: Session, events: list[Event], *, now: datetime, province_code: str) -> int:
    """A critical event just arrived: one notification per matching subscription and event."""
    rules = [r for r in _rules(session) if "event_critical" in (r.kinds or [])]
    if not rules:
        return 0
    from dieuhanh.operations.service import unit_name

    sent = 0
    for e in events:
        where = unit_name(province_code, e.unit_code)
        title = f"{KIND_TITLES['event_critical']}: {e.title}" + (f" — {where}" if where else "")
        payload = {"status": "firing", "kind": "operations", "event": "event_critical", "title": title,
                   "event_id": e.id, "type": e.type, "severity": e.severity,
                   "lines": [f"Mức độ: {SEVERITY_LABELS.get(e.severity, e.severity)}",
                             f"Thời điểm: {format_datetime(e.occurred_at)}", f"Nơi xảy ra: {where or '–'}",
                             f"Nguồn: {e.source}"], "url": f"/operations?event={e.id}"}
        for rule in rules:
            if _matches(rule, "event_critical", e.type, e.severity, {e.agency_code}):
                _deliver(session, rule, "event_critical", payload, e.severity, now=now, group_key=f"ops:event:{e.id}")
                sent += 1
    return sent


def _agencies_of(incident: Incident) -> set[str | None]:
    """The agency in charge and every agency with a step of the incident's procedure: all of them act on it."""
    return {incident.agency_code, *(s.agency_code for s in incident.steps)}


def notify_incident(session: Session, incident: Incident, kind: str, *, now: datetime, province_code: str,
                    escalation: dict[str, Any] | None = None, reason: str | None = None) -> int:
    """News of an incident for the subscriptions of its agency (and, on escalation, of the level's agency or role)."""
    from dieuhanh.operations.service import unit_name

    agencies = _agencies_of(incident)
    if escalation and escalation.get("agency_code"):
        agencies.add(escalation["agency_code"])
    where = unit_name(province_code, incident.unit_code)
    step = incident.current_step
    title = f"{KIND_TITLES.get(kind, kind)} {incident.code}: {incident.title}" + (f" — {where}" if where else "")
    lines = [f"Mức độ: {SEVERITY_LABELS.get(incident.severity, incident.severity)}",
             f"Quy trình: {incident.procedure_name or '–'}"]
    if step is not None:
        lines.append(f"Bước hiện tại: {step.position}. {step.title} (hạn {format_datetime(step.due_at)})")
    if reason:
        lines.append(f"Lý do: {reason}")
    if escalation:
        lines.append(f"Cấp leo thang {incident.escalation_level}: {escalation.get('label')}")
    if incident.result and kind == "incident_closed":
        lines.append(f"Kết quả: {incident.result}")
    payload = {"status": "resolved" if kind == "incident_closed" else "firing", "kind": "operations", "event": kind,
               "title": title, "incident_id": incident.id, "code": incident.code, "type": incident.type,
               "severity": incident.severity, "lines": lines, "url": f"/operations/incidents/{incident.id}",
               "escalation_role": escalation.get("role") if escalation else None}
    sent = 0
    for rule in _rules(session):
        role_hit = bool(escalation and escalation.get("role") and rule.role == escalation.get("role"))
        if _matches(rule, kind, incident.type, incident.severity, agencies) or (
                role_hit and kind in (rule.kinds or [])):
            _deliver(session, rule, kind, payload, incident.severity, now=now,
                     group_key=f"ops:incident:{incident.id}:{kind}")
            sent += 1
    if kind in ("incident_new", "incident_assigned"):
        incident.last_notified_at = now
    return sent


def repeat_unacknowledged(session: Session, *, province_code: str, now: datetime | None = None) -> int:
    """Repeat the news of incidents nobody acknowledged, every ``repeat_minutes`` of the subscriptions that ask."""
    now = now or utcnow()
    rules = [r for r in _rules(session) if r.repeat_minutes]
    if not rules:
        return 0
    shortest = min(int(r.repeat_minutes or 0) for r in rules)
    count = 0
    for incident in session.scalars(select(Incident).where(Incident.state.in_(("open", "assigned")))):
        last = incident.last_notified_at or incident.created_at
        if (now - last).total_seconds() < shortest * 60:
            continue
        for rule in rules:
            if (now - last).total_seconds() >= int(rule.repeat_minutes or 0) * 60 and _matches(
                    rule, "incident_repeat", incident.type, incident.severity, _agencies_of(incident)):
                _deliver(session, rule, "incident_repeat", {
                    "status": "firing", "kind": "operations", "event": "incident_repeat",
                    "title": f"{KIND_TITLES['incident_repeat']} {incident.code}: {incident.title}",
                    "incident_id": incident.id, "code": incident.code, "severity": incident.severity,
                    "lines": [f"Tạo lúc {format_datetime(incident.created_at)}, chưa cơ quan nào tiếp nhận."],
                    "url": f"/operations/incidents/{incident.id}"}, incident.severity, now=now,
                    group_key=f"ops:incident:{incident.id}:repeat")
                count += 1
        incident.last_notified_at = now
    return count


def deliver_pending(session: Session, *, settings: Any, now: datetime | None = None, limit: int = 200) -> int:
    """Send the pending e-mail and webhook notifications of the room (alerts/notify.py's channels)."""
    from dieuhanh.alerts import notify

    now = now or utcnow()
    pending = [n for n in session.scalars(select(Notification).where(
        Notification.status == "pending", Notification.channel.in_(("email", "webhook")))
        .order_by(Notification.id).limit(limit)) if (n.payload or {}).get("kind") == "operations"]
    for note in pending:
        payload = dict(note.payload or {})
        if not note.recipient:
            note.status, note.error = "failed", "Đăng ký không có địa chỉ nhận (thư điện tử hoặc URL webhook)."
        elif note.channel == "webhook":
            notify._webhook(note, {"type": "webhook", "url": note.recipient}, payload, now=now, settings=settings)
        else:
            status, error = notify.send_mail(settings, note.recipient, f"[Điều hành] {payload.get('title', '')}",
                                             "\n".join([str(payload.get("title", "")), "",
                                                        *[str(x) for x in payload.get("lines", [])], "",
                                                        f"Xem: {payload.get('url', '/operations')}",
                                                        f"Gửi lúc {format_datetime(now)}"]))
            note.status, note.error = status, error
            if status == "sent":
                note.sent_at = now
    session.flush()
    return len(pending)


def inbox(session: Session, principal: Principal, *, limit: int = 20) -> list[Notification]:
    """The room's in-app notifications this principal should see (own agency or none; own role or none)."""
    query = select(Notification).where(Notification.channel == "inapp", Notification.group_key.like("ops:%"))
    if not principal.can_read_all() and principal.agency_code:
        query = query.where(or_(Notification.agency_code.is_(None), Notification.agency_code == principal.agency_code))
    rows = list(session.scalars(query.order_by(Notification.id.desc()).limit(limit * 3)))
    return [n for n in rows if (n.payload or {}).get("role") in (None, principal.role)][:limit]
