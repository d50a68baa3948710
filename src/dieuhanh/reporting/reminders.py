"""Reminders of periodic reports: ``report_remind_days_before`` days before the due date (when not yet
submitted) and ``report_remind_days_after`` days after it (when still missing). Each kind once per report type,
agency and period (a ``ReportReminder`` row, unique), delivered as an in-app notification to the agency (shown
on /alerts) and by e-mail to the agency's address when SMTP is configured (the alert module's channels)."""

from __future__ import annotations

import logging
import smtplib
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.alerts.models import Notification
from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.formatting import period_label
from dieuhanh.core.security import SYSTEM
from dieuhanh.orgs.models import Agency
from dieuhanh.reporting.models import ReportReminder
from dieuhanh.reporting.service import obligations, today_local

log = logging.getLogger(__name__)
# "After" reminders are sent only for due dates in this window (a first start does not chase old periods).
AFTER_WINDOW_DAYS = 31


def _email(settings: Any, to: str, subject: str, body: str) -> tuple[str, str | None]:
    host = getattr(settings, "smtp_host", None)
    if not host:
        return "skipped", "Chưa cấu hình máy chủ thư (smtp_host): không gửi thư điện tử."
    message = EmailMessage()
    message["Subject"] = subject[:250]
    message["From"] = getattr(settings, "smtp_from", None) or "dieuhanh@localhost"
    message["To"] = to
    message.set_content(body)
    try:
        with smtplib.SMTP(host, int(getattr(settings, "smtp_port", None) or 25), timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return "failed", f"{type(exc).__name__}: {exc}"[:2000]
    return "sent", None


def send_reminders(session: Session, *, settings: Any, today: date | None = None) -> int:
    """Send the reminders due today; returns how many were sent."""
    today = today or today_local()
    before = int(getattr(settings, "report_remind_days_before", 3))
    after = int(getattr(settings, "report_remind_days_after", 1))
    sent_keys: set[tuple[int, str, str, str]] = {
        (r[0], r[1], r[2], r[3]) for r in session.execute(select(
            ReportReminder.report_type_id, ReportReminder.agency_code, ReportReminder.period, ReportReminder.kind))}
    horizon = today + timedelta(days=max(before, 0) + 1)
    emails = dict(session.execute(select(Agency.code, Agency.email)).all())
    now = utcnow()
    count = 0
    for ob in obligations(session, until=horizon):
        if ob.first is not None:
            continue
        kind = None
        if ob.due_date - timedelta(days=before) <= today <= ob.due_date:
            kind = "before"
        elif ob.due_date + timedelta(days=after) <= today <= ob.due_date + timedelta(days=AFTER_WINDOW_DAYS):
            kind = "after"
        if kind is None or (ob.report_type.id, ob.agency_code, ob.period, kind) in sent_keys:
            continue
        rt = ob.report_type
        due = f"{ob.due_date:%d/%m/%Y}"
        if kind == "before":
            title = (f"Nhắc nộp báo cáo «{rt.title}» {period_label(ob.period).lower()}: hạn nộp {due} "
                     f"(còn {(ob.due_date - today).days} ngày).")
        else:
            title = (f"Quá hạn nộp báo cáo «{rt.title}» {period_label(ob.period).lower()}: hạn {due}, đã trễ "
                     f"{(today - ob.due_date).days} ngày. Đề nghị {ob.agency_name} nộp ngay.")
        payload = {"status": "firing", "title": title, "kind": "report_reminder", "reminder": kind,
                   "report_type": rt.code, "period": ob.period, "due_date": ob.due_date.isoformat(),
                   "url": "/reports"}
        channels = ["inapp"]
        session.add(Notification(channel="inapp", agency_code=ob.agency_code, group_key=f"report:{rt.code}:"
                                 f"{ob.agency_code}:{ob.period}:{kind}"[:255], payload=payload, created_at=now,
                                 sent_at=now, status="sent"))
        address = emails.get(ob.agency_code)
        if address:
            status, error = _email(settings, address, f"[Báo cáo định kỳ] {title}",
                                   f"{title}\n\nTải mẫu và nộp báo cáo tại trang «Báo cáo định kỳ» (/reports).")
            session.add(Notification(channel="email", agency_code=ob.agency_code, recipient=address[:500],
                                     group_key=f"report:{rt.code}:{ob.agency_code}:{ob.period}:{kind}"[:255],
                                     payload=payload, created_at=now, sent_at=now if status == "sent" else None,
                                     status=status, error=error))
            channels.append("email")
        session.add(ReportReminder(report_type_id=rt.id, agency_code=ob.agency_code, period=ob.period, kind=kind,
                                   due_date=ob.due_date, sent_at=now, channels=channels))
        sent_keys.add((rt.id, ob.agency_code, ob.period, kind))
        audit.record(session, actor=SYSTEM.actor, action="report.remind", entity_type="report_reminder",
                     entity_id=f"{rt.code}:{ob.agency_code}:{ob.period}:{kind}",
                     after={"due_date": ob.due_date.isoformat(), "channels": channels})
        count += 1
    session.flush()
    return count
