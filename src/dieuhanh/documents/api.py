"""JSON API of the incoming documents under ``/api/v1/documents`` (thin: the rules are in service.py).

* ``POST /api/v1/documents``: register — multipart (``file`` plus the NĐ 30 Phụ lục VI fields, each as a form field
  or all together as JSON in ``metadata``) or JSON (the NĐ 30 fields, optionally ``text``); token scope
  ``documents`` for the e-office system;
* ``POST /api/v1/documents/extract``: extraction only, nothing stored (multipart ``file`` or JSON ``{text}``);
* ``GET /api/v1/documents?status=open|overdue|done|...&agency=``: the list; ``GET /{id}``; ``GET /{id}/file``;
* ``GET /{id}/routing`` → ``{suggestions: [{agency_code, role, confidence}]}``; ``POST /{id}/assign``
  ``{lead, cooperating, due_date, instruction}``; ``POST /{id}/progress``; ``POST /{id}/reopen``;
* ``GET /{id}/related``; ``GET /api/v1/documents/stats?month=``; ``POST /api/v1/documents/routing/train``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dieuhanh.core.errors import FieldError, InvalidInput
from dieuhanh.core.formatting import to_local
from dieuhanh.documents import service
from dieuhanh.documents.files import Upload
from dieuhanh.documents.models import ROLE_LABELS, Document
from dieuhanh.documents.reference import DOC_TYPES, EOFFICE_FIELDS, PRIORITIES
from dieuhanh.documents.schemas import (
    FILTER_STATUSES,
    AssignIn,
    DocumentIn,
    ExtractIn,
    ProgressIn,
    vietnamese_error,
)
from dieuhanh.web.deps import DB, LoggedIn, read_body_limited
from dieuhanh.web.params import NOT_BLANK_PATTERN, one_of

router = APIRouter(prefix="/api/v1/documents", tags=["văn bản đến"])

DocumentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Mã văn bản trong hệ thống")]
_SAFE_TEXT = re.compile(r"^[^\x00-\x1f\x7f]*$")
_MULTIPART_SCHEMA = {
    "type": "object",
    "additionalProperties": False,  # another field is refused (NĐ 30 Phụ lục VI names only)
    "properties": {"file": {"type": "string", "format": "binary", "description": "PDF có lớp chữ, DOCX hoặc .txt"},
                   "metadata": {"type": "string", "description": "JSON các trường NĐ 30 Phụ lục VI"},
                   **{name: {"type": "string"} for name in EOFFICE_FIELDS}},
}


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


def _validation(exc: ValidationError, prefix: str = "") -> InvalidInput:
    errors = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()))
        errors.append(FieldError(vietnamese_error(err), field=f"{prefix}{loc}" if loc else prefix or None))
    return InvalidInput("Dữ liệu văn bản không hợp lệ: " + "; ".join(
        f"{e.field}: {e.message}" if e.field else e.message for e in errors), errors=errors)


def document_dict(doc: Document, *, names: dict[str, str], full: bool = True) -> dict[str, Any]:
    state = service.deadline_state(doc)
    data: dict[str, Any] = {
        "id": doc.id, "arrival_number": doc.arrival_number, "arrival_date": doc.arrival_date.isoformat(),
        "code": doc.code, "code_number": doc.code_number, "code_notation": doc.code_notation,
        "doc_type": doc.doc_type, "doc_type_name": DOC_TYPES.get(doc.doc_type or ""), "organ_name": doc.organ_name,
        "issued_date": doc.issued_date.isoformat() if doc.issued_date else None, "issued_place": doc.issued_place,
        "subject": doc.subject, "priority": doc.priority, "priority_label": PRIORITIES.get(doc.priority),
        "due_date": doc.due_date.isoformat() if doc.due_date else None, "status": doc.status,
        "status_label": doc.status_label, "needs_review": doc.needs_review, "source": doc.source,
        "duplicate_of": doc.duplicate_of_id, "lead": doc.lead_agency_code,
        "lead_name": names.get(doc.lead_agency_code or "") if doc.lead_agency_code else None,
        "cooperating": doc.cooperating, "handling_due": doc.handling_due.isoformat() if doc.handling_due else None,
        "deadline_state": state.state, "deadline_label": state.label, "progress": doc.progress,
        "completed_at": _iso(doc.completed_at), "url": f"/van-ban/{doc.id}",
    }
    if full:
        data.update({
            "to_places": doc.to_places, "input_kind": doc.input_kind, "provided": doc.provided,
            "summary": doc.summary, "entities": doc.entities, "deadlines": doc.deadlines, "references": doc.references,
            "suggestions": doc.suggestions, "suggestion_confidence": doc.suggestion_confidence,
            "instruction": doc.instruction, "assigned_at": _iso(doc.assigned_at), "assigned_by": doc.assigned_by,
            "assignments": [{"agency_code": a.agency_code, "agency_name": names.get(a.agency_code, a.agency_code),
                             "role": a.role, "role_label": ROLE_LABELS[a.role]} for a in doc.assignments],
            "events": [{"at": _iso(e.at), "actor": e.actor, "action": e.action, "agency_code": e.agency_code,
                        "progress": e.progress, "note": e.note} for e in doc.events],
            "file": ({"filename": doc.file.filename, "size": doc.file.size, "content_type": doc.file.content_type,
                      "url": f"/api/v1/documents/{doc.id}/file"} if doc.file else None),
            "extracted": {
                "code_number": doc.code_number, "code_notation": doc.code_notation, "doc_type": doc.doc_type,
                "organ_name": doc.organ_name, "issued_date": doc.issued_date.isoformat() if doc.issued_date else None,
                "issued_place": doc.issued_place, "subject": doc.subject, "priority": doc.priority,
                "deadlines": [{"text": d["text"], "due_date": d["due_date"], "kind": d.get("kind", "deadline"),
                               "time": d.get("time")} for d in doc.deadlines],
                "references": doc.references, "provided": doc.provided,
            },
        })
    return data


async def _read_request(request: Request, *, max_bytes: int) -> tuple[dict[str, Any], Upload | None]:
    """(metadata dict, upload) from a multipart or a JSON body."""
    content_type = request.headers.get("content-type", "")
    await read_body_limited(request, max_bytes + 1024 * 1024)
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_part_size=max_bytes + 1)
        upload = None
        item = form.get("file")
        if isinstance(item, UploadFile):
            data = await item.read()
            upload = Upload(filename=item.filename or "van-ban", data=data,
                            content_type=item.content_type or "application/octet-stream")
        elif item not in (None, ""):
            raise InvalidInput("Trường «file» phải là một tệp.", errors=[FieldError("Không phải tệp", field="file")])
        meta: dict[str, Any] = {}
        raw = form.get("metadata")
        if isinstance(raw, str) and raw.strip():
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"Trường «metadata» không phải JSON hợp lệ: {exc.msg} (vị trí {exc.pos}).",
                                   errors=[FieldError("JSON không hợp lệ", field="metadata")]) from None
            if not isinstance(parsed, dict):
                raise InvalidInput("Trường «metadata» phải là một đối tượng JSON.",
                                   errors=[FieldError("Không phải đối tượng", field="metadata")])
            meta.update(parsed)
        for key, value in form.multi_items():
            if key in ("file", "metadata", "csrf_token") or not isinstance(value, str):
                continue
            if key == "ToPlaces":
                meta.setdefault("ToPlaces", []).append(value)
            elif value.strip():
                meta[key] = value
        return meta, upload
    if content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"JSON không hợp lệ: {exc}") from None
        if not isinstance(body, dict):
            raise InvalidInput("Cần một đối tượng JSON với các trường NĐ 30 (CodeNumber, CodeNotation, ...).")
        return body, None
    raise InvalidInput("Gửi multipart/form-data (trường «file» và các trường NĐ 30) hoặc JSON.")


def _names(db: Any) -> dict[str, str]:
    return service.agency_names(db)


@router.post("", status_code=201, openapi_extra={"requestBody": {"required": True, "content": {
    # without a file, the subject (register refuses a document without one; it reads one from a pasted text only
    # when the text has a recognisable heading, which the schema cannot say)
    "application/json": {"schema": {**DocumentIn.model_json_schema(by_alias=True), "required": ["Subject"],
                                    "properties": {**DocumentIn.model_json_schema(by_alias=True)["properties"],
                                                   "Subject": {"type": "string", "maxLength": 2000,
                                                               "pattern": NOT_BLANK_PATTERN}}}},
    "multipart/form-data": {"schema": _MULTIPART_SCHEMA}}}})
async def register(request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """Register an incoming document (file and/or NĐ 30 metadata). 201 with the document and ``extracted``;
    ``duplicate_of`` is set when the same number, notation and issuer was already registered."""
    settings = request.app.state.settings
    meta, upload = await _read_request(request, max_bytes=service.max_upload_bytes(settings))
    try:
        data = DocumentIn.model_validate(meta)
    except ValidationError as exc:
        raise _validation(exc) from None
    if upload is None and not data.text and not data.subject:
        raise InvalidInput("Cần tệp văn bản (file), toàn văn (text) hoặc ít nhất trích yếu (Subject).",
                           errors=[FieldError("Thiếu nội dung", field="file")])
    source = "eoffice" if principal.kind == "token" else "upload"

    def run() -> dict[str, Any]:
        result = service.register(db, principal=principal, data=data, upload=upload, settings=settings, source=source)
        out = document_dict(result.document, names=_names(db))
        out["extracted"].update({"entities": result.extracted.entities, "summary": result.extracted.summary})
        return out

    return await run_in_threadpool(run)


@router.post("/extract", openapi_extra={"requestBody": {"required": True, "content": {
    "application/json": {"schema": ExtractIn.model_json_schema(by_alias=True)},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}})
async def extract(request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """Extraction only (nothing stored): the metadata, deadlines, entities and summary read from a file or text."""
    from dieuhanh.core.security import authorize
    from dieuhanh.documents.files import read_upload

    authorize(principal, "documents.read")
    settings = request.app.state.settings
    meta, upload = await _read_request(request, max_bytes=service.max_upload_bytes(settings))
    arrival = None
    if upload is not None:
        read = read_upload(upload, max_bytes=service.max_upload_bytes(settings))
        text, kind = read.text, read.kind
        if kind == "scan":
            raise InvalidInput("Tệp PDF là bản quét, không có lớp chữ để trích xuất.",
                               errors=[FieldError("PDF không có lớp chữ", field="file")])
    else:
        try:
            parsed = ExtractIn.model_validate(meta)
        except ValidationError as exc:
            raise _validation(exc) from None
        text, kind, arrival = parsed.text, "text", parsed.arrival_date
    found = await run_in_threadpool(service.extract_text, db, text=text, arrival=arrival, settings=settings)
    return {"input_kind": kind, "extracted": service.extraction_dict(found)}


@router.get("")
def list_documents(
    db: DB, principal: LoggedIn, request: Request,
    status: Annotated[str, Query(max_length=12, description="all | new | open | overdue | near_due | done | review | "
                                                            "duplicate",
                                 json_schema_extra=one_of(FILTER_STATUSES))] = "all",
    agency: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_.-]*$")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    doc_type: Annotated[str | None, Query(max_length=8)] = None,
    priority: Annotated[str | None, Query(max_length=12)] = None,
    month: Annotated[str | None, Query(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=service.PAGE_SIZE_MAX)] = 50,
) -> dict[str, Any]:
    if status not in FILTER_STATUSES:
        raise InvalidInput(f"status phải là một trong: {', '.join(FILTER_STATUSES)}.",
                           errors=[FieldError("Trạng thái không hợp lệ", field="status")])
    if q is not None and not _SAFE_TEXT.match(q):
        raise InvalidInput("Từ khóa có ký tự điều khiển.", errors=[FieldError("Ký tự không hợp lệ", field="q")])
    result = service.list_documents(db, principal=principal, settings=request.app.state.settings,
                                    filters=service.Filters(status=status, agency=agency or None, q=q or None,
                                                            doc_type=doc_type or None, priority=priority or None,
                                                            month=month),
                                    page=page, size=size)
    names = _names(db)
    return {"total": result.total, "page": result.page, "size": result.size, "counts": result.counts,
            "items": [document_dict(d, names=names, full=False) for d in result.items]}


@router.get("/stats")
def stats(db: DB, principal: LoggedIn,
          month: Annotated[str | None, Query(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")] = None) -> dict[str, Any]:
    """Per department for a month (default: the current one): received, completed, on time, overdue, average
    handling days."""
    month = month or service.today_local().strftime("%Y-%m")
    return {"month": month, "provisional": month == service.today_local().strftime("%Y-%m"),
            "departments": service.department_stats(db, principal=principal, month=month)}


class TrainOut(BaseModel):
    id: int
    examples: int
    seconds: float
    classes: list[str]


@router.post("/routing/train", response_model=TrainOut)
def train(db: DB, principal: LoggedIn) -> Any:
    """Retrain the routing model from every confirmed assignment now (admins, analysts)."""
    model = service.train(db, principal=principal)
    return TrainOut(id=model.id, examples=model.examples, seconds=model.seconds, classes=model.classes)


@router.get("/{document_id}")
def detail(document_id: DocumentId, db: DB, principal: LoggedIn) -> dict[str, Any]:
    return document_dict(service.get(db, document_id, principal=principal), names=_names(db))


@router.get("/{document_id}/file")
def download(document_id: DocumentId, db: DB, principal: LoggedIn) -> Response:
    doc = service.get(db, document_id, principal=principal)
    if doc.file is None:
        from dieuhanh.core.errors import NotFound

        raise NotFound("Văn bản này không có tệp đính kèm.")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", doc.file.filename)[:120] or "van-ban"
    return Response(doc.file.data, media_type=doc.file.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{safe}"',
                             "X-Content-Type-Options": "nosniff"})


@router.get("/{document_id}/routing")
def routing(document_id: DocumentId, request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """Routing suggestions: ``{suggestions: [{agency_code, role: chu_tri|phoi_hop, confidence}], ...}``."""
    doc = service.get(db, document_id, principal=principal)
    out = service.routing_view(db, doc, principal=principal, settings=request.app.state.settings)
    names = _names(db)
    for s in out["suggestions"]:
        s["agency_name"] = names.get(s["agency_code"], s["agency_code"])
    return out


@router.post("/{document_id}/assign")
def assign(document_id: DocumentId, body: AssignIn, request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """Bút phê: ``{lead, cooperating, due_date, instruction}``."""
    doc = service.get(db, document_id, principal=principal)
    service.assign(db, principal=principal, document=doc, lead=body.lead, cooperating=body.cooperating,
                   due_date=body.due_date, instruction=body.instruction, settings=request.app.state.settings)
    return document_dict(doc, names=_names(db))


@router.post("/{document_id}/progress")
def progress(document_id: DocumentId, body: ProgressIn, request: Request, db: DB,
             principal: LoggedIn) -> dict[str, Any]:
    """The lead department's progress (``{progress, note}``) or completion (``{done: true}``); a cooperating
    department's note."""
    doc = service.get(db, document_id, principal=principal)
    service.report_progress(db, principal=principal, document=doc, progress=body.progress, note=body.note,
                            done=body.done, settings=request.app.state.settings)
    return document_dict(doc, names=_names(db))


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=4000)


@router.post("/{document_id}/reopen")
def reopen(document_id: DocumentId, body: ReopenIn, request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    doc = service.get(db, document_id, principal=principal)
    service.reopen(db, principal=principal, document=doc, note=(body.note or "").strip() or None,
                   settings=request.app.state.settings)
    return document_dict(doc, names=_names(db))


@router.get("/{document_id}/related")
def related(document_id: DocumentId, db: DB, principal: LoggedIn) -> list[dict[str, Any]]:
    doc = service.get(db, document_id, principal=principal)
    names = _names(db)
    return [document_dict(other, names=names, full=False) | {"reason": reason}
            for other, reason in service.related(db, doc, principal=principal)]
