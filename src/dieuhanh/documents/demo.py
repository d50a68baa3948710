"""Demo incoming documents: a year of documents ending at ``ctx.today`` with the office's routing history.

The texts and their metadata come from ``demo_texts.generate`` (templates, varied wording; source "demo", shown as
DỮ LIỆU MẪU). Documents older than two working days were routed by the office (lead and cooperating departments,
a deadline: the document's own less one working day, or 10 working days), and each department works at its own
pace: most finish on time, some late, a few are still open past their deadline today (the overdue alert fires for
their departments). The newest documents wait for the leader's bút phê; a few arrived twice (flagged duplicates).

Rows are written in bulk (a few statements); extraction of entities and the summary of a demo document run when
someone first opens it, and the routing model is trained by the job or at the first routing request — so the demo
stays within its time budget.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.documents import routing, snapshot
from dieuhanh.documents.calendar import add_working_days, calendar_from
from dieuhanh.documents.calendar import is_working as working
from dieuhanh.documents.demo_texts import generate
from dieuhanh.documents.extract import fold
from dieuhanh.documents.models import Document, DocumentAssignment, DocumentEvent
from dieuhanh.geo import reference
from dieuhanh.orgs.models import Agency

DOCUMENTS = 1400
ALERT_RULE_NAME = "Văn bản quá hạn xử lý"
_UTC = ZoneInfo("UTC")


def _utc(day: date, hour: int, minute: int) -> datetime:
    local = datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)
    return local.astimezone(_UTC).replace(tzinfo=None)


def run(ctx: Any) -> None:
    session: Session = ctx.session
    if session.scalar(select(Document.id).limit(1)) is not None:
        return  # documents already exist (a demo re-run): never duplicate them
    rng = random.Random(ctx.rng.random())
    today: date = ctx.today
    agencies = set(session.scalars(select(Agency.code)))
    cal = calendar_from(ctx.settings)

    def is_working(day: date) -> bool:
        return working(cal, day)

    def plus(day: date, n: int) -> date:
        return add_working_days(cal, day, n)

    communes = [(u.code, u.name) for u in reference.communes_of(ctx.settings.province_code)]
    generated = generate(rng, today, count=DOCUMENTS, communes=communes, is_working=is_working)
    pace = {code: math.exp(rng.gauss(0, 0.25)) for code in agencies}
    recent_limit = plus(today - timedelta(days=5), 0)
    new_after = today - timedelta(days=4)
    rows: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    numbers: dict[int, int] = {}
    next_id = (session.scalar(select(Document.id).order_by(Document.id.desc()).limit(1)) or 0) + 1
    for g in generated:
        if g.lead not in agencies:
            continue
        numbers[g.arrival_date.year] = numbers.get(g.arrival_date.year, 0) + 1
        doc_id = next_id
        next_id += 1
        received = _utc(g.arrival_date, rng.randint(7, 16), rng.randint(0, 59))
        deadline = min((date.fromisoformat(d["due_date"]) for d in g.deadlines), default=None)
        row: dict[str, Any] = {
            "id": doc_id, "arrival_number": numbers[g.arrival_date.year], "arrival_date": g.arrival_date,
            "received_at": received, "code_number": g.code_number, "code_notation": g.code_notation,
            "doc_type": g.doc_type, "organ_name": g.organ_name, "organ_key": fold(g.organ_name),
            "issued_place": g.issued_place, "issued_date": g.issued_date, "subject": g.subject,
            "priority": g.priority, "due_date": deadline, "to_places": [], "text": g.text, "input_kind": "text",
            "summary": [], "entities": {}, "deadlines": g.deadlines, "references": g.references,
            "provided": ["code_number", "code_notation", "organ_name", "issued_date", "subject", "priority",
                         "arrival_date", "arrival_number"],
            "source": "demo", "api_token_id": None, "duplicate_of_id": None, "status": "new", "suggestions": [],
            "suggestion_confidence": None, "suggestion_model_id": None, "needs_review": False,
            "lead_agency_code": None, "assigned_at": None, "assigned_by": None, "instruction": None,
            "handling_due": None, "progress": 0, "completed_at": None, "created_at": received,
            "updated_at": received,
        }
        rows.append(row)
        if g.arrival_date > new_after:
            example = routing.Example(g.subject, g.text, g.organ_name, g.doc_type)
            prediction = routing.keyword_prediction(example, known=agencies)
            row["suggestions"] = [s.as_dict() for s in prediction.suggestions()]
            row["suggestion_confidence"] = round(prediction.confidence, 4) if prediction.lead else None
            row["needs_review"] = True
            continue
        # Routed by the office: a day or so after arrival; deadline = the document's own less one working day.
        assigned_day = plus(g.arrival_date, rng.choice((0, 0, 1)))
        if deadline is not None:
            due = max(plus(g.arrival_date, 1), deadline - timedelta(days=1))
        else:
            due = plus(g.arrival_date, 10)
        span = max((due - g.arrival_date).days, 1)
        factor = pace.get(g.lead, 1.0) * math.exp(rng.gauss(-0.35, 0.35))
        if rng.random() < 0.07:  # a straggler: waits on another body's opinion, a site visit, a second draft
            factor *= rng.uniform(1.6, 3.0)
        finish_day = g.arrival_date + timedelta(days=max(1, round(span * factor)))
        row.update({"lead_agency_code": g.lead, "assigned_at": _utc(assigned_day, rng.randint(8, 17), 0),
                    "assigned_by": "lanhdao", "handling_due": due, "status": "assigned",
                    "instruction": rng.choice(("Giao chủ trì tham mưu, báo cáo UBND tỉnh.", "Đề nghị xử lý theo quy "
                                               "định, báo cáo kết quả.", "Khẩn trương thực hiện.", None))})
        if finish_day <= today - timedelta(days=1) and g.arrival_date < recent_limit:
            row.update({"status": "done", "progress": 100, "completed_at": _utc(finish_day, rng.randint(8, 17), 30),
                        "updated_at": _utc(finish_day, 17, 45)})
        elif rng.random() < 0.6:
            row.update({"status": "in_progress", "progress": rng.choice((20, 30, 50, 70, 80)),
                        "updated_at": _utc(min(today, plus(assigned_day, 2)), 10, 0)})
        plans.append({"id": doc_id, "lead": g.lead, "coop": [c for c in g.cooperating if c in agencies],
                      "assigned_at": row["assigned_at"], "row": row})
    # A few documents received twice (by e-office and on paper): flagged as duplicates, waiting on the clerk.
    originals = [r for r in rows if r["arrival_date"] > today - timedelta(days=20)][:40]
    for original in rng.sample(originals, min(4, len(originals))):
        copy = dict(original)
        numbers[today.year] = numbers.get(today.year, 0) + 1
        copy.update({"id": next_id, "arrival_number": numbers[today.year], "arrival_date": today,
                     "received_at": _utc(today, 8, rng.randint(0, 59)), "duplicate_of_id": original["id"],
                     "status": "new", "lead_agency_code": None, "assigned_at": None, "assigned_by": None,
                     "instruction": None, "handling_due": None, "progress": 0, "completed_at": None,
                     "needs_review": True})
        next_id += 1
        rows.append(copy)
    session.execute(insert(cast(Table, Document.__table__)), rows)
    assignments: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in rows:
        events.append({"document_id": row["id"], "at": row["received_at"], "actor": "user:vanthu",
                       "action": "registered", "agency_code": None, "progress": None,
                       "note": "Văn bản trùng số, ký hiệu, cơ quan ban hành" if row["duplicate_of_id"] else None})
    for plan in plans:
        row = plan["row"]
        assignments.append({"document_id": plan["id"], "agency_code": plan["lead"], "role": "chu_tri",
                            "suggested_confidence": None, "created_at": plan["assigned_at"]})
        for code in plan["coop"]:
            assignments.append({"document_id": plan["id"], "agency_code": code, "role": "phoi_hop",
                                "suggested_confidence": None, "created_at": plan["assigned_at"]})
        events.append({"document_id": plan["id"], "at": plan["assigned_at"], "actor": "user:lanhdao",
                       "action": "assigned", "agency_code": plan["lead"], "progress": None,
                       "note": row["instruction"]})
        if row["status"] in ("in_progress", "done") and row["progress"] < 100:
            events.append({"document_id": plan["id"], "at": row["updated_at"], "actor": f"user:canbo.{plan['lead']}",
                           "action": "progress", "agency_code": plan["lead"], "progress": row["progress"],
                           "note": "Đang tổng hợp ý kiến các đơn vị."})
        if row["status"] == "done":
            events.append({"document_id": plan["id"], "at": row["completed_at"], "actor": f"user:canbo.{plan['lead']}",
                           "action": "completed", "agency_code": plan["lead"], "progress": 100,
                           "note": "Đã tham mưu, báo cáo UBND tỉnh."})
    if assignments:
        session.execute(insert(cast(Table, DocumentAssignment.__table__)), assignments)
    session.execute(insert(cast(Table, DocumentEvent.__table__)), events)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT setval(pg_get_serial_sequence('document', 'id'), (SELECT max(id) FROM document))"))
    audit.record(session, actor=ctx.principal.actor, action="document.demo_load", entity_type="document",
                 after={"documents": len(rows), "assigned": len(plans), "generated": True})
    snapshot.snapshot(session, ctx.warehouse, province_code=ctx.settings.province_code,
                      max_bytes=ctx.settings.max_upload_mb * 1024 * 1024,
                      now=datetime.combine(today, time(10, 0), tzinfo=LOCAL_TZ).astimezone(_UTC).replace(tzinfo=None))
    _alert_rule(ctx)
    ctx.summary["documents"] = {"documents": len(rows), "assigned": len(plans)}


def _alert_rule(ctx: Any) -> None:
    from dieuhanh.alerts import service as alerts
    from dieuhanh.alerts.models import AlertRule
    from dieuhanh.alerts.schemas import RuleIn

    session: Session = ctx.session
    if session.scalar(select(AlertRule.id).where(AlertRule.name == ALERT_RULE_NAME)) is None:
        alerts.create_rule(session, principal=ctx.principal, rule_in=RuleIn(
            name=ALERT_RULE_NAME, indicator_code="documents.overdue", kind="source", params={"min_overdue": 1},
            severity="warning", channels=[{"type": "inapp"}], group_by=["rule"], repeat_interval_minutes=24 * 60))
