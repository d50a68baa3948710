"""Notifications for alert events: grouped, silenced, sent by webhook / e-mail, kept in-app.

Alerts that fire (or resolve) in the same evaluation with the same group key go out as ONE notification per
channel. Every delivery attempt is a ``Notification`` row with its outcome; in-app rows are what ``/alerts``
shows. Silences suppress notifications only (the instance's state still changes).
"""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.alerts.models import AlertInstance, AlertRule, Notification, Silence
from dieuhanh.core.errors import DomainError
from dieuhanh.core.formatting import format_datetime

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10.0
SEVERITY_LABELS = {"info": "Thông tin", "warning": "Cảnh báo", "critical": "Nghiêm trọng"}


def group_key(rule: AlertRule, inst: AlertInstance) -> str:
    fields = rule.group_by or ["rule"]
    values = {"rule": str(rule.id), "indicator": rule.indicator_code, "severity": rule.severity,
              "unit": inst.unit_code, "level": rule.level}
    return "|".join(f"{f}={values[f]}" for f in fields if f in values)


def silenced(silences: list[Silence], rule: AlertRule, inst: AlertInstance) -> Silence | None:
    for s in silences:
        if s.rule_id is not None and s.rule_id != rule.id:
            continue
        if s.indicator_code and s.indicator_code != rule.indicator_code:
            continue
        if s.unit_code and s.unit_code != inst.unit_code:
            continue
        return s
    return None


def _alert_payload(inst: AlertInstance, status: str, names: dict[int, str]) -> dict[str, Any]:
    rule = inst.rule
    return {"id": inst.id, "status": status, "state": inst.state, "rule_id": rule.id, "rule": rule.name,
            "indicator": rule.indicator_code, "unit_code": inst.unit_code,
            "unit_name": names.get(inst.id, inst.unit_code), "severity": rule.severity,
            "period": inst.period, "value": inst.last_value, "since": inst.since.isoformat() + "Z",
            "message": inst.message}


def _channel_key(channel: dict[str, Any]) -> str:
    return json.dumps(channel, sort_keys=True, ensure_ascii=False)


def dispatch(session: Session, events: list[tuple[AlertInstance, str]], *, now: datetime,
             settings: Any = None) -> list[Notification]:
    """Send one notification per (channel, group key) for the events of one evaluation."""
    if not events:
        return []
    silences = list(session.scalars(select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)))
    buckets: dict[tuple[str, str], list[tuple[AlertInstance, str]]] = {}
    channels: dict[str, dict[str, Any]] = {}
    for inst, status in events:
        rule = inst.rule
        if silenced(silences, rule, inst):
            continue  # state changed, nobody is told; a firing alert is sent once the silence ends
        rule_channels = [c for c in rule.channels or [] if c.get("type") != "inapp"]
        inapp = [c for c in rule.channels or [] if c.get("type") == "inapp"] or [{"type": "inapp"}]
        for channel in [*inapp, *rule_channels]:
            key = _channel_key(channel)
            channels[key] = channel
            buckets.setdefault((key, group_key(rule, inst)), []).append((inst, status))
        if status == "firing":
            inst.last_notified_at = now
        else:
            inst.last_notified_at = None
    sent = []
    for (key, group), items in buckets.items():
        sent.append(_deliver(session, channels[key], group, items, now=now, settings=settings))
    session.flush()
    return sent


def _summary(session: Session, items: list[tuple[AlertInstance, str]]) -> tuple[str, dict[int, str]]:
    """The notification's title, by name and grouped by rule ("Phản ánh quá hạn chưa trả lời — 44 xã, phường"),
    and the unit name of each instance."""
    from dieuhanh.alerts.triage import AlertGroup, rows_for

    rows = {r.instance.id: r for r in rows_for(session, [i for i, _s in items])}
    names = {i: r.unit_name for i, r in rows.items()}

    def text(insts: list[AlertInstance]) -> str:
        groups: dict[int, AlertGroup] = {}
        for inst in insts:
            row = rows[inst.id]
            groups.setdefault(inst.rule.id, AlertGroup(rule=inst.rule, domain=row.domain,
                                                       indicator_name=row.indicator_name, rows=[])).rows.append(row)
        return "; ".join(g.rule.name + (f" ({g.units_text})" if g.count == 1 else f" — {g.units_text}")
                         for g in groups.values())

    firing = [i for i, s in items if s == "firing"]
    resolved = [i for i, s in items if s == "resolved"]
    parts = []
    if firing:
        parts.append(f"{len(firing)} cảnh báo: {text(firing)}")
    if resolved:
        parts.append(f"{len(resolved)} đã trở lại bình thường: {text(resolved)}")
    return " — ".join(parts), names


def _deliver(session: Session, channel: dict[str, Any], group: str, items: list[tuple[AlertInstance, str]], *,
             now: datetime, settings: Any) -> Notification:
    status = "firing" if any(s == "firing" for _, s in items) else "resolved"
    title, names = _summary(session, items)
    payload = {"status": status, "group_key": group, "title": title, "sent_at": now.isoformat() + "Z",
               "alerts": [_alert_payload(inst, s, names) for inst, s in items]}
    kind = channel.get("type", "inapp")
    note = Notification(channel=kind, group_key=group[:255], payload=payload, created_at=now, status="pending",
                        agency_code=channel.get("agency"))
    session.add(note)
    if kind == "inapp":
        note.status, note.sent_at = "sent", now
    elif kind == "webhook":
        note.recipient = str(channel.get("url"))[:500]
        _webhook(note, channel, payload, now=now, settings=settings)
    elif kind == "email":
        to = channel.get("to") or []
        note.recipient = ", ".join(to if isinstance(to, list) else [str(to)])[:500]
        _email(note, note.recipient, payload, now=now, settings=settings)
    else:
        note.status, note.error = "failed", f"Kênh «{kind}» không được hỗ trợ."
    return note


def _webhook(note: Notification, channel: dict[str, Any], payload: dict[str, Any], *, now: datetime,
             settings: Any) -> None:
    timeout = float(channel.get("timeout") or getattr(settings, "alert_webhook_timeout", None)
                    or WEBHOOK_TIMEOUT_SECONDS)
    from dieuhanh.ingest.guard import HostPolicy, HostRefused, guarded_client

    # The same host policy as pull sources (DIEUHANH_WEBHOOK_ALLOWED_HOSTS): no link-local or metadata address,
    # no loopback or private address unless listed, checked again on the address connected to (no DNS
    # rebinding). Only the status is kept of the answer, never its body.
    try:
        hosts = getattr(settings, "webhook_allowed_hosts", None)
        if hosts is None:  # called without settings (CLI evaluations): the environment's setting
            import os

            hosts = os.environ.get("DIEUHANH_WEBHOOK_ALLOWED_HOSTS", "")
        policy = HostPolicy.parse(hosts or "", setting="DIEUHANH_WEBHOOK_ALLOWED_HOSTS")
        with guarded_client(policy, timeout=timeout, headers={"User-Agent": "dieuhanh-alerts"}) as client:
            response = client.post(str(channel["url"]), json=payload)
    except HostRefused as exc:
        note.status, note.error = "failed", exc.message[:2000]
        return
    except DomainError as exc:  # a mistyped allow-list
        note.status, note.error = "failed", exc.message[:2000]
        return
    except httpx.HTTPError as exc:
        note.status, note.error = "failed", f"Không gửi được tới webhook ({type(exc).__name__})."
        return
    if response.is_success:
        note.status, note.sent_at = "sent", now
    else:
        note.status, note.error = "failed", f"Webhook trả lời HTTP {response.status_code}."


def _email(note: Notification, recipients: str, payload: dict[str, Any], *, now: datetime, settings: Any) -> None:
    lines = [payload["title"], ""]
    for a in payload["alerts"]:
        lines.append(f"- [{SEVERITY_LABELS.get(a['severity'], a['severity'])}] {a['rule']} — "
                     f"{a.get('unit_name') or a['unit_code']}: "
                     f"{a['message']} ({a['status']})")
    lines.append("")
    lines.append(f"Gửi lúc {format_datetime(now)}")
    note.status, note.error = send_mail(settings, recipients, f"[Cảnh báo] {payload['title']}", "\n".join(lines))
    if note.status == "sent":
        note.sent_at = now


def send_mail(settings: Any, recipients: str, subject: str, body: str) -> tuple[str, str | None]:
    """One plain-text message through the configured SMTP server: (sent | skipped | failed, error)."""
    host = getattr(settings, "smtp_host", None)
    if not host:
        return "skipped", "Chưa cấu hình máy chủ thư (smtp_host): không gửi thư điện tử."
    message = EmailMessage()
    message["Subject"] = subject[:250]
    message["From"] = getattr(settings, "smtp_from", None) or "dieuhanh@localhost"
    message["To"] = recipients
    message.set_content(body)
    try:
        with smtplib.SMTP(host, int(getattr(settings, "smtp_port", None) or 25), timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return "failed", f"{type(exc).__name__}: {exc}"[:2000]
    return "sent", None
