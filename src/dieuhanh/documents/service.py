"""Incoming documents: register, extract, route, assign (bút phê), track to the deadline, related documents.

Knows nothing of HTTP. Pages, the JSON API, the CLI and the demo call these functions; every write first calls
``authorize`` (documents/permissions.py) and writes an audit row in the same transaction.

Workflow::

    new (chờ phân công) ──assign──► assigned ──progress──► in_progress ──done──► done
                           ◄──assign (đổi phân công)──┘                          └──reopen──► in_progress
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Text, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from dieuhanh.core.formatting import to_local
from dieuhanh.core.formatting import today_local as today_local  # one definition of "today in Hà Nội"
from dieuhanh.core.security import SYSTEM, Principal, allowed, authorize
from dieuhanh.documents import permissions, routing
from dieuhanh.documents.calendar import add_working_days, calendar_from
from dieuhanh.documents.extract import Extraction, Gazetteer, doc_type_of, extract, fold
from dieuhanh.documents.files import Upload, read_upload
from dieuhanh.documents.models import (
    OPEN_STATUSES,
    Document,
    DocumentAssignment,
    DocumentEvent,
    DocumentFile,
    RoutingModel,
)
from dieuhanh.documents.reference import PRIORITIES
from dieuhanh.documents.schemas import DocumentIn
from dieuhanh.orgs.models import Agency

# Quy chế làm việc: a document without a stated deadline is handled within 10 working days of its arrival.
DEFAULT_HANDLING_DAYS = 10
NEAR_DUE_WORKING_DAYS = 2  # "sắp đến hạn": due within this many working days
REVIEW_THRESHOLD = 0.6  # below this confidence of the lead department a document is "cần xem"
MIN_TRAINING_EXAMPLES = 30
RETRAIN_AFTER_NEW = 20  # the job retrains once this many documents were confirmed since the last model
ALERT_SOURCE = "documents.overdue"
PAGE_SIZE_MAX = 200


def _settings_value(settings: Any, name: str, default: Any) -> Any:
    return getattr(settings, name, default) if settings is not None else default


def review_threshold(settings: Any) -> float:
    return float(_settings_value(settings, "documents_review_threshold", REVIEW_THRESHOLD))


def max_upload_bytes(settings: Any) -> int:
    return int(_settings_value(settings, "documents_max_upload_mb", 20)) * 1024 * 1024


def working_days_adder(settings: Any) -> Any:
    return partial(add_working_days, calendar_from(settings))


# ------------------------------------------------------------------------------------------------ gazetteer


def agency_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Agency.code, Agency.name)).all())


def gazetteer(session: Session, settings: Any) -> Gazetteer:
    """Known agencies (the province's agencies and the central bodies) and the commune resolver of geo."""
    from dieuhanh.geo import reference

    province = str(_settings_value(settings, "province_code", "37"))
    names: list[tuple[str, str | None]] = [
        (name, code) for code, name in session.execute(select(Agency.code, Agency.name)).all()]
    names.append(("UBND tỉnh", "UBND"))
    names.append(("Văn phòng UBND tỉnh", "VPUBND"))

    def resolve(text: str) -> tuple[str, str] | None:
        found = reference.resolve_address(province, text)
        return (found.code, found.name or found.code) if found.code else None

    return Gazetteer(agencies=names, resolve_commune=resolve)


def extract_text(session: Session, *, text: str, arrival: date | None, settings: Any) -> Extraction:
    """Extraction only (nothing stored): ``POST /api/v1/documents/extract`` and the register path."""
    return extract(text, arrival=arrival or today_local(), gazetteer=gazetteer(session, settings),
                   add_working_days=working_days_adder(settings))


def extraction_dict(found: Extraction) -> dict[str, Any]:
    """The ``extracted`` object of the API (its contract: code_number, code_notation, doc_type, organ_name,
    issued_date, subject, priority, deadlines: [{text, due_date}] plus place, references, entities, summary)."""
    data = found.as_dict()
    data["code"] = found.code
    return data


def ensure_analysed(session: Session, doc: Document, *, settings: Any = None) -> Document:
    """Summary, entities and references of a document that has a text but was stored without them (the demo's
    bulk load; documents registered before an extraction rule existed). Metadata already stored is kept."""
    if not doc.text or (doc.entities and doc.summary):
        return doc
    found = extract_text(session, text=doc.text, arrival=doc.arrival_date, settings=settings)
    doc.summary = found.summary or [doc.subject]
    doc.entities = found.entities
    if not doc.references:
        doc.references = found.references
    if not doc.deadlines:
        doc.deadlines = [d.as_dict() for d in found.deadlines]
    return doc


# ------------------------------------------------------------------------------------------------ register


@dataclass
class Registered:
    document: Document
    extracted: Extraction
    duplicate: Document | None = None


def _next_arrival_number(session: Session, arrival: date) -> int:
    first, last = date(arrival.year, 1, 1), date(arrival.year, 12, 31)
    highest = session.scalar(select(func.max(Document.arrival_number)).where(
        Document.arrival_date >= first, Document.arrival_date <= last))
    return int(highest or 0) + 1


def find_duplicate(session: Session, *, code_number: str | None, code_notation: str | None, organ_key: str | None,
                   issued_date: date | None, exclude_id: int | None = None) -> Document | None:
    """A document already registered with the same number, notation and issuer (and issued the same year, since
    numbers restart every year: NĐ 30, Điều 15)."""
    if not code_number or not code_notation or not organ_key:
        return None
    query = select(Document).where(Document.code_number == code_number, Document.code_notation == code_notation,
                                   Document.organ_key == organ_key, Document.duplicate_of_id.is_(None))
    if exclude_id is not None:
        query = query.where(Document.id != exclude_id)
    for doc in session.scalars(query.order_by(Document.id)):
        if issued_date is None or doc.issued_date is None or doc.issued_date.year == issued_date.year:
            return doc
    return None


def _require_metadata(kind: str, merged: dict[str, Any]) -> None:
    missing = []
    if not merged.get("subject"):
        missing.append(FieldError("Cần trích yếu (Subject): không đọc được từ tệp, hãy nhập.", field="Subject"))
    if kind == "scan":
        for name, label in (("code_notation", "ký hiệu (CodeNotation)"),
                            ("organ_name", "cơ quan ban hành (OrganName)")):
            if not merged.get(name):
                missing.append(FieldError(f"Tệp PDF là bản quét (không có lớp chữ): hãy nhập {label}.",
                                          field={"code_notation": "CodeNotation", "organ_name": "OrganName"}[name]))
    if missing:
        head = ("Tệp PDF là bản quét, không có lớp chữ để đọc: hãy nhập số, ký hiệu, cơ quan ban hành và trích yếu."
                if kind == "scan" else "Thiếu thông tin văn bản: " + "; ".join(m.message for m in missing))
        raise InvalidInput(head, errors=missing)


def register(session: Session, *, principal: Principal, data: DocumentIn, upload: Upload | None = None,
             settings: Any = None, source: str = "upload", now: datetime | None = None) -> Registered:
    """Register an incoming document: read the file (if any), extract what the metadata does not give, flag a
    duplicate, number it (số đến), propose a routing. All or nothing."""
    authorize(principal, "documents.register")
    now = now or utcnow()
    text, kind, content_type = "", "metadata", None
    if upload is not None:
        read = read_upload(upload, max_bytes=max_upload_bytes(settings))
        text, kind, content_type = read.text, read.kind, read.content_type
    elif data.text:
        text, kind = data.text, "text"
    arrival = data.arrival_date or today_local(now)
    if arrival > today_local(now) + timedelta(days=1):
        raise InvalidInput("Ngày đến (ArrivalDate) không thể ở tương lai.",
                           errors=[FieldError("Ngày đến ở tương lai", field="ArrivalDate")])
    found = extract_text(session, text=text, arrival=arrival, settings=settings) if text.strip() else Extraction()
    given = data.given()
    merged: dict[str, Any] = {
        "code_number": data.code_number or found.code_number,
        "code_notation": data.code_notation or found.code_notation,
        "organ_name": data.organ_name or found.organ_name,
        "issued_date": data.issued_date or (date.fromisoformat(found.issued_date) if found.issued_date else None),
        "subject": data.subject or found.subject,
        "priority": data.priority or found.priority or "thuong",
    }
    _require_metadata(kind, merged)
    if merged["issued_date"] and merged["issued_date"] > arrival + timedelta(days=1):
        raise InvalidInput("Ngày ban hành sau ngày đến: kiểm tra lại IssuedDate hoặc ArrivalDate.",
                           errors=[FieldError("Ngày ban hành sau ngày đến", field="IssuedDate")])
    deadlines = [d.as_dict() for d in found.deadlines]
    due = data.due_date
    if due is None and deadlines:
        due = min(date.fromisoformat(d["due_date"]) for d in deadlines)
    organ_key = fold(merged["organ_name"]) if merged["organ_name"] else None
    duplicate = find_duplicate(session, code_number=merged["code_number"], code_notation=merged["code_notation"],
                               organ_key=organ_key, issued_date=merged["issued_date"])
    if data.arrival_number is not None:
        taken = session.scalar(select(Document.id).where(
            Document.arrival_number == data.arrival_number, Document.arrival_date >= date(arrival.year, 1, 1),
            Document.arrival_date <= date(arrival.year, 12, 31)))
        if taken is not None:
            raise Conflict(f"Số đến {data.arrival_number} năm {arrival.year} đã được dùng cho văn bản khác.",
                           errors=[FieldError("Số đến đã dùng", field="ArrivalNumber")])
    doc = Document(
        arrival_number=data.arrival_number or _next_arrival_number(session, arrival), arrival_date=arrival,
        received_at=now, code_number=merged["code_number"], code_notation=merged["code_notation"],
        doc_type=doc_type_of(merged["code_notation"]) or found.doc_type, organ_name=merged["organ_name"],
        organ_key=organ_key, issued_place=found.issued_place, issued_date=merged["issued_date"],
        subject=merged["subject"], priority=merged["priority"], due_date=due, to_places=list(data.to_places),
        text=text, input_kind=kind, summary=found.summary or [merged["subject"]], entities=found.entities,
        deadlines=deadlines, references=found.references, provided=given, source=source,
        api_token_id=principal.id if principal.kind == "token" else None,
        duplicate_of_id=duplicate.id if duplicate else None, status="new", created_at=now, updated_at=now)
    session.add(doc)
    session.flush()
    if upload is not None:
        session.add(DocumentFile(document_id=doc.id, filename=upload.filename[:255] or "van-ban",
                                 content_type=content_type or upload.content_type, size=len(upload.data),
                                 sha256=upload.sha256, data=upload.data, created_at=now))
    session.add(DocumentEvent(document_id=doc.id, at=now, actor=principal.actor, action="registered",
                              note=f"Trùng văn bản số đến {duplicate.arrival_number}" if duplicate else None))
    suggest(session, doc, settings=settings)
    audit.record(session, actor=principal.actor, action="document.register", entity_type="document",
                 entity_id=doc.id, after={"code": doc.code, "organ": doc.organ_name, "source": source,
                                          "arrival_number": doc.arrival_number, "duplicate_of": doc.duplicate_of_id})
    return Registered(document=doc, extracted=found, duplicate=duplicate)


# ------------------------------------------------------------------------------------------------ routing


def _example(doc: Document) -> routing.Example:
    return routing.Example(subject=doc.subject, text=doc.text, organ=doc.organ_name, doc_type=doc.doc_type,
                           lead=doc.lead_agency_code, cooperating=doc.cooperating)


def current_model(session: Session) -> RoutingModel | None:
    return session.scalar(select(RoutingModel).order_by(RoutingModel.id.desc()).limit(1))


def _router(model: RoutingModel) -> routing.Router:
    key = (model.id, model.trained_at.isoformat(), model.last_document_id, model.examples)
    return routing.Router.cached(key, model.lead_model, model.coop_model)


def training_examples(session: Session, *, before_id: int | None = None, limit: int = 50_000) -> list[routing.Example]:
    """Confirmed assignments (every document with a lead department), newest ``limit``."""
    query = (select(Document).where(Document.lead_agency_code.is_not(None), Document.duplicate_of_id.is_(None))
             .options(selectinload(Document.assignments)).order_by(Document.id.desc()).limit(limit))
    if before_id is not None:
        query = query.where(Document.id <= before_id)
    return [_example(d) for d in reversed(list(session.scalars(query)))]


def confirmed_count(session: Session) -> tuple[int, int]:
    """(number of confirmed documents, highest id among them)."""
    count, highest = session.execute(select(func.count(Document.id), func.max(Document.id)).where(
        Document.lead_agency_code.is_not(None), Document.duplicate_of_id.is_(None))).one()
    return int(count or 0), int(highest or 0)


def train(session: Session, *, principal: Principal) -> RoutingModel:
    """Retrain routing from every confirmed assignment (``dieuhanh documents train``, the job, the admin page)."""
    authorize(principal, "documents.train")
    count, highest = confirmed_count(session)
    if count < MIN_TRAINING_EXAMPLES:
        raise InvalidInput(f"Mới có {count} văn bản đã phân công; cần ít nhất {MIN_TRAINING_EXAMPLES} để học gợi ý "
                           "phân công.")
    examples = training_examples(session, before_id=highest)
    try:
        trained = routing.train(examples)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    counts = Counter(e.lead for e in examples)
    model = RoutingModel(trained_by=principal.actor, examples=trained.examples, last_document_id=highest,
                         classes=trained.classes, seconds=round(trained.seconds, 3),
                         metrics={"per_lead": dict(counts)}, lead_model=trained.lead_blob,
                         coop_model=trained.coop_blob)
    session.add(model)
    session.flush()
    # Keep the two newest models only (each ~1 MB).
    old = session.scalars(select(RoutingModel.id).where(RoutingModel.id < model.id)
                          .order_by(RoutingModel.id.desc()).offset(1)).all()
    for old_id in old:
        stale = session.get(RoutingModel, old_id)
        if stale is not None:
            session.delete(stale)
    audit.record(session, actor=principal.actor, action="document.routing_train", entity_type="routing_model",
                 entity_id=model.id, after={"examples": model.examples, "seconds": model.seconds,
                                            "classes": len(model.classes)})
    return model


def train_if_due(session: Session, *, force_missing: bool = True) -> RoutingModel | None:
    """The job: train when there is no model yet (and enough examples) or RETRAIN_AFTER_NEW documents were
    confirmed since the last one."""
    count, highest = confirmed_count(session)
    if count < MIN_TRAINING_EXAMPLES:
        return None
    model = current_model(session)
    if model is None and force_missing:
        return train(session, principal=SYSTEM)
    if model is not None:
        newer = session.scalar(select(func.count(Document.id)).where(
            Document.lead_agency_code.is_not(None), Document.id > model.last_document_id)) or 0
        if newer >= RETRAIN_AFTER_NEW:
            return train(session, principal=SYSTEM)
    return None


def predict(session: Session, doc: Document, *, train_missing: bool = True) -> routing.Prediction:
    """Lead and cooperating departments for a document: the model (trained now if none exists and there are
    enough confirmed examples), else the keyword rules."""
    known = set(agency_names(session))
    model = current_model(session)
    if model is None and train_missing and confirmed_count(session)[0] >= MIN_TRAINING_EXAMPLES:
        model = train(session, principal=SYSTEM)
    if model is not None:
        return _router(model).predict(_example(doc), known=known)
    return routing.keyword_prediction(_example(doc), known=known)


def suggest(session: Session, doc: Document, *, settings: Any = None, train_missing: bool = True) -> Document:
    """Store the routing suggestions on the document and mark it "cần xem" when the lead's confidence is below the
    threshold (or when only the keyword rules could propose)."""
    prediction = predict(session, doc, train_missing=train_missing)
    doc.suggestions = [s.as_dict() for s in prediction.suggestions()]
    doc.suggestion_confidence = round(prediction.confidence, 4) if prediction.lead else None
    model = current_model(session) if prediction.method == "model" else None
    doc.suggestion_model_id = model.id if model else None
    if doc.status == "new":
        doc.needs_review = (prediction.method != "model" or not prediction.lead
                            or prediction.confidence < review_threshold(settings))
    return doc


def routing_view(session: Session, doc: Document, *, principal: Principal, settings: Any = None) -> dict[str, Any]:
    """``GET /documents/{id}/routing``: the suggestions (recomputed when the model changed since)."""
    authorize(principal, "documents.read", doc)
    model = current_model(session)
    if model is None or doc.suggestion_model_id != (model.id if model else None) or not doc.suggestions:
        suggest(session, doc, settings=settings)
        model = current_model(session)
    return {"suggestions": doc.suggestions, "confidence": doc.suggestion_confidence, "needs_review": doc.needs_review,
            "threshold": review_threshold(settings),
            "method": "model" if doc.suggestion_model_id else "keywords",
            "model": {"id": model.id, "trained_at": model.trained_at.isoformat(), "examples": model.examples}
            if model else None}


# ------------------------------------------------------------------------------------------------ assign, track


def _agency_or_error(known: dict[str, str], code: str, field_name: str) -> str:
    if code not in known:
        raise InvalidInput(f"Không có cơ quan mã «{code}».", errors=[FieldError("Cơ quan không tồn tại",
                                                                              field=field_name)])
    return code


def _notify(session: Session, doc: Document, agency_code: str, event: str, now: datetime) -> None:
    """In-app notification for a department (shown with the alerts' notifications)."""
    from dieuhanh.alerts.models import Notification

    title = {"assigned": "Văn bản được giao chủ trì xử lý", "cooperating": "Văn bản được giao phối hợp",
             "reopened": "Văn bản được mở lại"}[event]
    session.add(Notification(
        channel="inapp", agency_code=agency_code, group_key=f"documents:{doc.id}", created_at=now, sent_at=now,
        status="sent", payload={"status": "firing", "kind": "documents", "event": event, "id": doc.id,
                                "title": f"{title}: {doc.subject[:160]}", "url": f"/van-ban/{doc.id}"}))


def assign(session: Session, *, principal: Principal, document: Document, lead: str, cooperating: list[str],
           due_date: date | None, instruction: str | None, settings: Any = None,
           now: datetime | None = None) -> Document:
    """Bút phê: the lead department, the cooperating ones, the deadline and the instruction, in one step. Every
    confirmed assignment becomes a training example of the routing model."""
    authorize(principal, "documents.assign", document)
    now = now or utcnow()
    if document.status == "done":
        raise Conflict("Văn bản đã hoàn thành: mở lại trước khi đổi phân công.")
    known = agency_names(session)
    _agency_or_error(known, lead, "lead")
    coop: list[str] = []
    for i, code in enumerate(cooperating):
        _agency_or_error(known, code, f"cooperating[{i}]")
        if code != lead and code not in coop:
            coop.append(code)
    if due_date is None:
        due_date = document.due_date or working_days_adder(settings)(document.arrival_date, DEFAULT_HANDLING_DAYS)
    if due_date < document.arrival_date:
        raise InvalidInput("Hạn xử lý trước ngày đến của văn bản.",
                           errors=[FieldError("Hạn xử lý trước ngày đến", field="due_date")])
    before = {"lead": document.lead_agency_code, "cooperating": document.cooperating,
              "due": document.handling_due.isoformat() if document.handling_due else None}
    proposed = {(s["agency_code"], s["role"]): s["confidence"] for s in document.suggestions or []}
    reassigned = document.lead_agency_code is not None
    for a in list(document.assignments):
        document.assignments.remove(a)
    session.flush()
    document.assignments.append(DocumentAssignment(agency_code=lead, role="chu_tri", created_at=now,
                                                   suggested_confidence=proposed.get((lead, "chu_tri"))))
    for code in coop:
        document.assignments.append(DocumentAssignment(agency_code=code, role="phoi_hop", created_at=now,
                                                       suggested_confidence=proposed.get((code, "phoi_hop"))))
    previous_lead = document.lead_agency_code
    document.lead_agency_code = lead
    document.handling_due = due_date
    document.instruction = instruction
    document.assigned_at = now
    document.assigned_by = principal.name if principal.kind == "user" else principal.actor
    document.needs_review = False
    if document.status == "new" or previous_lead != lead:
        document.status = "assigned"
        document.progress = 0
    document.updated_at = now
    names = ", ".join(known[c] for c in coop)
    note = f"Chủ trì: {known[lead]}" + (f"; phối hợp: {names}" if coop else "") + f"; hạn {due_date:%d/%m/%Y}"
    document.events.append(DocumentEvent(at=now, actor=principal.actor,
                                         action="reassigned" if reassigned else "assigned",
                                         agency_code=lead, note=note + (f". Bút phê: {instruction}" if instruction
                                                                        else "")))
    _notify(session, document, lead, "assigned", now)
    for code in coop:
        _notify(session, document, code, "cooperating", now)
    audit.record(session, actor=principal.actor, action="document.assign", entity_type="document",
                 entity_id=document.id, before=before,
                 after={"lead": lead, "cooperating": coop, "due": due_date.isoformat(), "instruction": instruction,
                        "suggested": document.suggestions[:1]})
    session.flush()
    _evaluate_alerts(session, settings)
    return document


def report_progress(session: Session, *, principal: Principal, document: Document, progress: int | None,
                    note: str | None, done: bool, settings: Any = None, now: datetime | None = None) -> Document:
    """The lead department reports progress or completion; a cooperating department adds a note."""
    now = now or utcnow()
    if document.status == "new":
        raise Conflict("Văn bản chưa được phân công xử lý.")
    if document.status == "done":
        raise Conflict("Văn bản đã hoàn thành.")
    is_lead = allowed(principal, "documents.handle", document)
    if not is_lead:
        authorize(principal, "documents.contribute", document)
        if done or progress is not None:
            raise PermissionDenied("Chỉ cơ quan chủ trì báo cáo tiến độ và hoàn thành; cơ quan phối hợp gửi ý kiến.")
    if not done and progress is None and not note:
        raise InvalidInput("Hãy nhập phần trăm hoàn thành, ý kiến hoặc đánh dấu hoàn thành.",
                           errors=[FieldError("Chưa có nội dung báo cáo", field="note")])
    before = {"status": document.status, "progress": document.progress}
    if done:
        document.status = "done"
        document.progress = 100
        document.completed_at = now
        action = "completed"
    else:
        if progress is not None:
            document.progress = progress
            document.status = "in_progress"
        action = "progress" if is_lead else "contribution"
    document.updated_at = now
    document.events.append(DocumentEvent(at=now, actor=principal.actor, action=action,
                                         agency_code=principal.agency_code, note=note,
                                         progress=document.progress if is_lead else None))
    audit.record(session, actor=principal.actor, action=f"document.{action}", entity_type="document",
                 entity_id=document.id, before=before,
                 after={"status": document.status, "progress": document.progress, "note": note})
    session.flush()
    _evaluate_alerts(session, settings)
    return document


def reopen(session: Session, *, principal: Principal, document: Document, note: str | None,
           settings: Any = None, now: datetime | None = None) -> Document:
    """A leader reopens a completed document (the answer was not enough)."""
    authorize(principal, "documents.assign", document)
    if document.status != "done":
        raise Conflict("Chỉ mở lại văn bản đã hoàn thành.")
    now = now or utcnow()
    document.status = "in_progress"
    document.completed_at = None
    document.updated_at = now
    document.events.append(DocumentEvent(at=now, actor=principal.actor, action="reopened",
                                         agency_code=document.lead_agency_code, note=note))
    if document.lead_agency_code:
        _notify(session, document, document.lead_agency_code, "reopened", now)
    audit.record(session, actor=principal.actor, action="document.reopen", entity_type="document",
                 entity_id=document.id, after={"note": note})
    session.flush()
    _evaluate_alerts(session, settings)
    return document


def _evaluate_alerts(session: Session, settings: Any) -> None:
    from dieuhanh.alerts import service as alerts

    with session.begin_nested():
        alerts.evaluate_sources(session, names=[ALERT_SOURCE], settings=settings)


# ------------------------------------------------------------------------------------------------ deadlines


@dataclass
class DeadlineState:
    state: str  # none | ok | near | overdue | done_on_time | done_late
    label: str
    days_late: int = 0


def near_due_limit(today: date, settings: Any = None) -> date:
    return working_days_adder(settings)(today, NEAR_DUE_WORKING_DAYS)


def deadline_state(doc: Document, *, today: date | None = None, near_limit: date | None = None) -> DeadlineState:
    today = today or today_local()
    due = doc.handling_due
    if due is None:
        return DeadlineState("none", "Chưa giao hạn")
    if doc.status == "done" and doc.completed_at is not None:
        finished = to_local(doc.completed_at).date()
        if finished <= due:
            return DeadlineState("done_on_time", "Hoàn thành đúng hạn")
        return DeadlineState("done_late", f"Hoàn thành trễ {(finished - due).days} ngày", (finished - due).days)
    if due < today:
        return DeadlineState("overdue", f"Quá hạn {(today - due).days} ngày", (today - due).days)
    if due <= (near_limit or today + timedelta(days=2)):
        return DeadlineState("near", "Sắp đến hạn" if due > today else "Đến hạn hôm nay")
    return DeadlineState("ok", "Trong hạn")


# ------------------------------------------------------------------------------------------------ reading


def get(session: Session, document_id: int, *, principal: Principal) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("Không có văn bản này.")
    authorize(principal, "documents.read", doc)
    return doc


@dataclass
class Filters:
    status: str = "all"
    agency: str | None = None
    q: str | None = None
    doc_type: str | None = None
    priority: str | None = None
    month: str | None = None  # yyyy-mm of arrival


@dataclass
class PageResult:
    items: list[Document]
    total: int
    page: int
    size: int
    counts: dict[str, int] = field(default_factory=dict)


def _visible(query: Any, principal: Principal) -> Any:
    if permissions.sees_all(principal):
        return query
    if not (principal.has_role("officer") or principal.has_scope("documents")) or principal.agency_code is None:
        return query.where(Document.id == -1)
    return query.where(exists().where(DocumentAssignment.document_id == Document.id,
                                      DocumentAssignment.agency_code == principal.agency_code))


def _status_condition(status: str, today: date, near: date) -> Any:
    open_ = Document.status.in_(OPEN_STATUSES)
    return {
        "all": None, "new": Document.status == "new", "open": open_, "done": Document.status == "done",
        "overdue": and_(open_, Document.handling_due < today),
        "near_due": and_(open_, Document.handling_due >= today, Document.handling_due <= near),
        "review": and_(Document.status == "new", Document.needs_review.is_(True)),
        "duplicate": Document.duplicate_of_id.is_not(None),
    }[status]


def list_documents(session: Session, *, principal: Principal, filters: Filters, page: int = 1, size: int = 30,
                   settings: Any = None, today: date | None = None) -> PageResult:
    authorize(principal, "documents.read")
    today = today or today_local()
    near = near_due_limit(today, settings)
    size = max(1, min(size, PAGE_SIZE_MAX))
    base = _visible(select(Document), principal)
    if filters.agency:
        base = base.where(exists().where(DocumentAssignment.document_id == Document.id,
                                         DocumentAssignment.agency_code == filters.agency))
    if filters.q:
        needle = f"%{filters.q.strip()}%"
        base = base.where(or_(Document.subject.ilike(needle), Document.code_notation.ilike(needle),
                              Document.organ_name.ilike(needle), Document.code_number.ilike(needle)))
    if filters.doc_type:
        base = base.where(Document.doc_type == filters.doc_type)
    if filters.priority:
        base = base.where(Document.priority == filters.priority)
    if filters.month:
        year, month = (int(p) for p in filters.month.split("-"))
        first = date(year, month, 1)
        base = base.where(Document.arrival_date >= first,
                          Document.arrival_date < (first + timedelta(days=32)).replace(day=1))
    counts = {}
    for key in ("new", "open", "overdue", "near_due", "review", "done"):
        cond = _status_condition(key, today, near)
        counts[key] = int(session.scalar(select(func.count()).select_from(base.where(cond).subquery())) or 0)
    cond = _status_condition(filters.status, today, near)
    query = base if cond is None else base.where(cond)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    order = ((Document.handling_due.asc(), Document.id.asc()) if filters.status in ("overdue", "near_due", "open")
             else (Document.arrival_date.desc(), Document.arrival_number.desc(), Document.id.desc()))
    items = list(session.scalars(query.options(selectinload(Document.assignments)).order_by(*order)
                                 .offset((page - 1) * size).limit(size)))
    return PageResult(items=items, total=total, page=page, size=size, counts=counts)


def related(session: Session, doc: Document, *, principal: Principal, limit: int = 6) -> list[tuple[Document, str]]:
    """Earlier documents related to this one: referenced by number, referencing it, duplicates, and the most
    similar trích yếu (cosine of TF-IDF over syllables and syllable pairs, ≥ 0.35) among the last two years."""
    out: list[tuple[Document, str]] = []
    seen = {doc.id}

    def add(other: Document | None, reason: str) -> None:
        if other is not None and other.id not in seen and allowed(principal, "documents.read", other):
            seen.add(other.id)
            out.append((other, reason))

    for ref in doc.references or []:
        number, _, notation = ref.rpartition("/")
        for other in session.scalars(select(Document).where(Document.code_number == number,
                                                            Document.code_notation == notation).limit(3)):
            add(other, f"Được viện dẫn: số {ref}")
    if doc.code:
        for other in session.scalars(select(Document).where(Document.references.is_not(None))
                                     .where(Document.id != doc.id)
                                     .where(func.cast(Document.references, Text)
                                            .like(f"%{json.dumps(doc.code)}%"))
                                     .limit(5)):
            add(other, "Viện dẫn văn bản này")
    if doc.duplicate_of is not None:
        add(doc.duplicate_of, "Văn bản trùng (cùng số, ký hiệu, cơ quan ban hành)")
    for other in session.scalars(select(Document).where(Document.duplicate_of_id == doc.id).limit(5)):
        add(other, "Bản trùng của văn bản này")
    since = doc.arrival_date - timedelta(days=730)
    candidates = list(session.execute(
        _visible(select(Document.id, Document.subject), principal)
        .where(Document.id != doc.id, Document.arrival_date >= since, Document.arrival_date <= doc.arrival_date)
        .order_by(Document.id.desc()).limit(5000)).all())
    for other_id, score in similar_subjects(doc.subject, candidates)[: limit]:
        if score >= 0.35:
            add(session.get(Document, other_id), f"Cùng nội dung (độ tương đồng {score:.0%})".replace(".", ","))
    return out[: limit + 4]


def _terms(text: str) -> list[str]:
    words = re.findall(r"[0-9a-zà-ỹđ]+", (text or "").lower())
    words = [w for w in words if not w.isdigit()]
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


def similar_subjects(subject: str, candidates: list[Any]) -> list[tuple[int, float]]:
    """(id, cosine) of the candidates' subjects against ``subject``, best first (TF-IDF, smooth idf)."""
    docs = [(row[0], Counter(_terms(row[1]))) for row in candidates]
    df: Counter[str] = Counter()
    for _, terms in docs:
        df.update(terms.keys())
    n = len(docs) + 1

    def vector(terms: Counter[str]) -> dict[str, float]:
        return {t: (1 + math.log(c)) * (math.log(n / (1 + df[t])) + 1) for t, c in terms.items()}

    query = vector(Counter(_terms(subject)))
    qnorm = math.sqrt(sum(v * v for v in query.values())) or 1.0
    scored = []
    for doc_id, terms in docs:
        if not terms.keys() & query.keys():
            continue
        vec = vector(terms)
        dot = sum(query[t] * vec[t] for t in query.keys() & vec.keys())
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        scored.append((doc_id, dot / (qnorm * norm)))
    scored.sort(key=lambda t: -t[1])
    return scored


def overdue_by_agency(session: Session, *, today: date | None = None) -> list[tuple[str, int, int]]:
    """(agency code, open overdue documents, days the oldest is late) for every department with any."""
    today = today or today_local()
    rows = session.execute(
        select(Document.lead_agency_code, func.count(Document.id), func.min(Document.handling_due))
        .where(Document.status.in_(OPEN_STATUSES), Document.handling_due < today,
               Document.lead_agency_code.is_not(None))
        .group_by(Document.lead_agency_code)).all()
    return sorted(((str(code), int(n), (today - oldest).days if oldest else 0) for code, n, oldest in rows),
                  key=lambda t: -t[1])


def leader_watch(session: Session, *, principal: Principal, settings: Any = None, today: date | None = None,
                 limit: int = 10) -> dict[str, list[Document]]:
    """The leaders' side: overdue and near-due documents (most urgent first)."""
    today = today or today_local()
    near = near_due_limit(today, settings)
    base = _visible(select(Document), principal).where(Document.status.in_(OPEN_STATUSES))
    overdue = list(session.scalars(base.where(Document.handling_due < today)
                                   .order_by(Document.handling_due, Document.id).limit(limit)))
    soon = list(session.scalars(base.where(Document.handling_due >= today, Document.handling_due <= near)
                                .order_by(Document.handling_due, Document.id).limit(limit)))
    return {"overdue": overdue, "near_due": soon}


def department_stats(session: Session, *, principal: Principal, month: str, settings: Any = None,
                     now: datetime | None = None) -> list[dict[str, Any]]:
    """Per department for one month (yyyy-mm): received (assigned as lead), completed, on time, overdue open at
    the month's end (or now), average handling days (arrival → completion) of those completed in the month."""
    authorize(principal, "documents.read")
    year, mon = (int(p) for p in month.split("-"))
    first = date(year, mon, 1)
    end = (first + timedelta(days=32)).replace(day=1)
    today = today_local(now)
    moment = min(end, today)  # the month's end, or today for the month under way
    names = agency_names(session)
    rows: dict[str, dict[str, Any]] = {}

    def row(code: str) -> dict[str, Any]:
        return rows.setdefault(code, {"agency_code": code, "agency_name": names.get(code, code), "received": 0,
                                      "completed": 0, "on_time": 0, "overdue": 0, "days": []})

    docs = session.execute(
        _visible(select(Document.lead_agency_code, Document.arrival_date, Document.completed_at,
                        Document.handling_due, Document.status), principal)
        .where(Document.lead_agency_code.is_not(None), Document.arrival_date < end)).all()
    for code, arrival, completed_at, due, _status in docs:
        if arrival is None:
            continue
        r = row(code)
        finished = to_local(completed_at).date() if completed_at else None
        if first <= arrival < end:
            r["received"] += 1
        if finished and first <= finished < end:
            r["completed"] += 1
            if due is None or finished <= due:
                r["on_time"] += 1
            r["days"].append((finished - arrival).days)
        if due is not None and due < moment and arrival < moment and (finished is None or finished >= moment):
            r["overdue"] += 1
    out = []
    for r in sorted(rows.values(), key=lambda r: (-r["received"], r["agency_name"])):
        days = r.pop("days")
        r["average_days"] = round(sum(days) / len(days), 1) if days else None
        r["on_time_rate"] = round(100 * r["on_time"] / r["completed"], 1) if r["completed"] else None
        if r["received"] or r["completed"] or r["overdue"]:
            out.append(r)
    return out


def priority_label(code: str | None) -> str:
    return PRIORITIES.get(code or "thuong", code or "")
