"""Pages of the incoming documents.

``/van-ban`` (the register and the leaders' watch: overdue and near-due, "cần xem"), ``/van-ban/moi`` (a clerk
registers a document: file and/or metadata), ``/van-ban/{id}`` (metadata, summary, entities, deadlines, related
documents, routing suggestions with the one-click bút phê, progress and history), ``/van-ban/thong-ke`` (per
department and month). Routes parse the form, call one service function and redirect or render.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dieuhanh.core.errors import DomainError, FieldError, InvalidInput
from dieuhanh.core.security import allowed
from dieuhanh.documents import service
from dieuhanh.documents.files import Upload
from dieuhanh.documents.models import INPUT_KINDS, ROLE_LABELS, SOURCE_LABELS, STATUS_LABELS, Document
from dieuhanh.documents.reference import DOC_TYPES, PRIORITIES
from dieuhanh.documents.schemas import FILTER_STATUSES, DocumentIn, parse_date, vietnamese_error
from dieuhanh.web.deps import DB, LoggedIn, read_body_limited
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 30
DocumentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
STATUS_FILTERS = {"all": "Tất cả", "new": "Chờ phân công", "review": "Cần xem", "open": "Đang xử lý",
                  "near_due": "Sắp đến hạn", "overdue": "Quá hạn", "done": "Đã hoàn thành", "duplicate": "Trùng"}
FIELD_LABELS = {"code_number": "Số", "code_notation": "Ký hiệu", "organ_name": "Cơ quan ban hành",
                "issued_date": "Ngày ban hành", "subject": "Trích yếu", "priority": "Độ khẩn",
                "due_date": "Hạn ghi trên văn bản", "arrival_date": "Ngày đến", "arrival_number": "Số đến"}
EVENT_LABELS = {"registered": "Đăng ký văn bản đến", "assigned": "Bút phê, giao xử lý", "reassigned": "Đổi phân công",
                "progress": "Báo cáo tiến độ", "contribution": "Ý kiến phối hợp", "completed": "Hoàn thành",
                "reopened": "Mở lại"}


def _month(text: str | None) -> str | None:
    if text and len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() \
            and 1 <= int(text[5:]) <= 12:
        return text
    return None


@router.get("/van-ban")
def documents_page(request: Request, db: DB, principal: LoggedIn,
                   trang_thai: Annotated[str, Query(max_length=20)] = "all",
                   co_quan: Annotated[str, Query(max_length=40)] = "",
                   q: Annotated[str, Query(max_length=200)] = "",
                   loai: Annotated[str, Query(max_length=8)] = "",
                   thang: Annotated[str, Query(max_length=7)] = "",
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    status = trang_thai if trang_thai in FILTER_STATUSES else "all"
    settings = request.app.state.settings
    q = "".join(c for c in q if c.isprintable())
    filters = service.Filters(status=status, agency=co_quan or None, q=q or None, doc_type=loai or None,
                              month=_month(thang))
    result = service.list_documents(db, principal=principal, filters=filters, page=page, size=PAGE_SIZE,
                                    settings=settings)
    today = service.today_local()
    near = service.near_due_limit(today, settings)
    watch = service.leader_watch(db, principal=principal, settings=settings, today=today)
    query = urlencode({k: v for k, v in {"trang_thai": status, "co_quan": co_quan, "q": q, "loai": loai,
                                          "thang": thang}.items() if v})
    names = service.agency_names(db)
    return render(request, "documents/list.html", {
        "result": result, "status": status, "status_filters": STATUS_FILTERS, "co_quan": co_quan, "q": q,
        "loai": loai, "thang": thang, "agencies": names, "doc_types": DOC_TYPES, "query": query,
        "states": {d.id: service.deadline_state(d, today=today, near_limit=near) for d in result.items
                   + watch["overdue"] + watch["near_due"]},
        "watch": watch, "today": today, "priorities": PRIORITIES,
        "can_register": allowed(principal, "documents.register"),
        "overdue_by_agency": service.overdue_by_agency(db, today=today) if service.permissions.sees_all(principal)
        else [],
    })


# ------------------------------------------------------------------------------------------------ register


def _form_metadata(form: Any) -> dict[str, Any]:
    keys = {"so": "CodeNumber", "ky_hieu": "CodeNotation", "co_quan_ban_hanh": "OrganName",
            "ngay_ban_hanh": "IssuedDate", "trich_yeu": "Subject", "do_khan": "Priority", "han": "DueDate",
            "ngay_den": "ArrivalDate", "so_den": "ArrivalNumber", "noi_nhan": "ToPlaces", "toan_van": "text"}
    meta: dict[str, Any] = {}
    for form_key, field_name in keys.items():
        value = form.get(form_key)
        if isinstance(value, str) and value.strip():
            meta[field_name] = value.strip() if field_name != "text" else value
    return meta


@router.get("/van-ban/moi")
def register_page(request: Request, principal: LoggedIn) -> Response:
    from dieuhanh.core.security import authorize

    authorize(principal, "documents.register")
    return render(request, "documents/register.html", {"errors": {}, "values": {}, "priorities": PRIORITIES,
                                                        "max_mb": service.max_upload_bytes(request.app.state.settings)
                                                        // (1024 * 1024)})


@router.post("/van-ban/moi")
async def register_submit(request: Request, db: DB, principal: LoggedIn) -> Response:
    settings = request.app.state.settings
    max_bytes = service.max_upload_bytes(settings)
    await read_body_limited(request, max_bytes + 1024 * 1024)
    form = await request.form(max_part_size=max_bytes + 1)
    meta = _form_metadata(form)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    item = form.get("file")
    upload = None
    if isinstance(item, UploadFile) and item.filename:
        upload = Upload(filename=item.filename, data=await item.read(),
                        content_type=item.content_type or "application/octet-stream")
    errors: dict[str, str] = {}
    context = {"values": values, "priorities": PRIORITIES, "max_mb": max_bytes // (1024 * 1024)}
    try:
        data = DocumentIn.model_validate(meta)
    except ValidationError as exc:
        for err in exc.errors():
            errors[str(err["loc"][0]) if err.get("loc") else "form"] = vietnamese_error(err)
        return render(request, "documents/register.html", context | {"errors": errors,
                      "error": "Thông tin chưa hợp lệ, xem các ô được đánh dấu."}, status_code=422)
    if upload is None and not data.text and not data.subject:
        return render(request, "documents/register.html", context | {"errors": {"file": "Chọn tệp văn bản hoặc "
                      "nhập toàn văn / trích yếu."}, "error": "Chưa có nội dung văn bản."}, status_code=422)

    def run() -> int:
        result = service.register(db, principal=principal, data=data, upload=upload, settings=settings, source="web")
        db.commit()
        return result.document.id

    try:
        doc_id = await run_in_threadpool(run)
    except DomainError as exc:
        db.rollback()
        for problem in exc.errors:
            errors[problem.field or "form"] = problem.message
        return render(request, "documents/register.html", context | {"errors": errors, "error": exc.message},
                      status_code=exc.status_code)
    return RedirectResponse(f"/van-ban/{doc_id}?da_dang_ky=1", status_code=303)


# ------------------------------------------------------------------------------------------------ detail


def _detail_context(request: Request, db: Any, principal: Any, doc: Document) -> dict[str, Any]:
    settings = request.app.state.settings
    today = service.today_local()
    names = service.agency_names(db)
    routing = service.routing_view(db, doc, principal=principal, settings=settings) if doc.status != "done" else None
    lead_pick = doc.lead_agency_code
    coop_pick = set(doc.cooperating)
    if lead_pick is None and routing and routing["suggestions"]:
        lead_pick = next((s["agency_code"] for s in routing["suggestions"] if s["role"] == "chu_tri"), None)
        coop_pick = {s["agency_code"] for s in routing["suggestions"] if s["role"] == "phoi_hop"}
    default_due = doc.handling_due or doc.due_date or service.working_days_adder(settings)(
        doc.arrival_date, service.DEFAULT_HANDLING_DAYS)
    departments = sorted(((c, n) for c, n in names.items() if not c.startswith("UBND") or c == "UBND"),
                         key=lambda t: t[1])
    communes = sorted(((c, n) for c, n in names.items() if c.startswith("UBND") and c != "UBND"), key=lambda t: t[1])
    return {
        "doc": doc, "names": names,
        "state": service.deadline_state(doc, today=today, near_limit=service.near_due_limit(today, settings)),
        "routing": routing, "lead_pick": lead_pick, "coop_pick": coop_pick, "default_due": default_due,
        "departments": departments, "commune_agencies": communes,
        "related": service.related(db, doc, principal=principal),
        "can_assign": allowed(principal, "documents.assign", doc) and doc.status != "done",
        "can_handle": allowed(principal, "documents.handle", doc) and doc.status in ("assigned", "in_progress"),
        "can_contribute": (not allowed(principal, "documents.handle", doc)
                           and allowed(principal, "documents.contribute", doc)
                           and doc.status in ("assigned", "in_progress")),
        "can_reopen": allowed(principal, "documents.assign", doc) and doc.status == "done",
        "doc_types": DOC_TYPES, "priorities": PRIORITIES, "role_labels": ROLE_LABELS, "field_labels": FIELD_LABELS,
        "event_labels": EVENT_LABELS, "input_kinds": INPUT_KINDS, "source_labels": SOURCE_LABELS,
        "status_labels": STATUS_LABELS, "errors": {}, "today": today,
        "deadlines": [d | {"due": _iso_date(d.get("due_date"))} for d in doc.deadlines or []],
        "entity_dates": [x for x in (_iso_date(v) for v in (doc.entities or {}).get("dates", [])) if x],
    }


def _iso_date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


@router.get("/van-ban/thong-ke")
def stats_page(request: Request, db: DB, principal: LoggedIn,
               thang: Annotated[str, Query(max_length=7)] = "") -> Response:
    today = service.today_local()
    month = _month(thang) or today.strftime("%Y-%m")
    rows = service.department_stats(db, principal=principal, month=month, settings=request.app.state.settings)
    months = []
    cursor = today.replace(day=1)
    for _ in range(13):
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    totals = {k: sum(r[k] for r in rows) for k in ("received", "completed", "on_time", "overdue")}
    return render(request, "documents/stats.html", {
        "rows": rows, "month": month, "months": months, "provisional": month == today.strftime("%Y-%m"),
        "today": today, "totals": totals})


@router.get("/van-ban/{document_id}")
def detail_page(document_id: DocumentId, request: Request, db: DB, principal: LoggedIn) -> Response:
    doc = service.get(db, document_id, principal=principal)
    service.ensure_analysed(db, doc, settings=request.app.state.settings)
    return render(request, "documents/detail.html", _detail_context(request, db, principal, doc))


async def _form(request: Request) -> Any:
    await read_body_limited(request, 256 * 1024)
    return await request.form()


def _failed(request: Request, db: Any, principal: Any, doc: Document, exc: DomainError) -> Response:
    db.rollback()
    doc = service.get(db, doc.id, principal=principal)
    context = _detail_context(request, db, principal, doc)
    context["error"] = exc.message
    context["errors"] = {e.field or "form": e.message for e in exc.errors}
    return render(request, "documents/detail.html", context, status_code=exc.status_code)


@router.post("/van-ban/{document_id}/phan-cong")
async def assign_submit(document_id: DocumentId, request: Request, db: DB, principal: LoggedIn) -> Response:
    form = await _form(request)
    doc = service.get(db, document_id, principal=principal)
    lead = str(form.get("lead") or "")
    cooperating = [str(v) for v in form.getlist("cooperating") if str(v) and str(v) != lead]
    try:
        if not lead:
            raise InvalidInput("Chọn cơ quan chủ trì.", errors=[FieldError("Chọn cơ quan chủ trì",
                                                                                  field="lead")])
        try:
            due = parse_date(str(form.get("due_date") or "")) or None
        except ValueError as exc:
            raise InvalidInput(str(exc), errors=[FieldError(str(exc), field="due_date")]) from None
        instruction = str(form.get("instruction") or "").strip()[:4000] or None
        service.assign(db, principal=principal, document=doc, lead=lead, cooperating=cooperating, due_date=due,
                       instruction=instruction, settings=request.app.state.settings)
    except DomainError as exc:
        return _failed(request, db, principal, doc, exc)
    return RedirectResponse(f"/van-ban/{doc.id}?da_phan_cong=1", status_code=303)


@router.post("/van-ban/{document_id}/tien-do")
async def progress_submit(document_id: DocumentId, request: Request, db: DB, principal: LoggedIn) -> Response:
    form = await _form(request)
    doc = service.get(db, document_id, principal=principal)
    try:
        raw = str(form.get("progress") or "").strip()
        progress = None
        if raw:
            if not raw.isdigit() or not 0 <= int(raw) <= 100:
                raise InvalidInput("Phần trăm hoàn thành là số từ 0 đến 100.",
                                   errors=[FieldError("Từ 0 đến 100", field="progress")])
            progress = int(raw)
        note = str(form.get("note") or "").strip()[:4000] or None
        service.report_progress(db, principal=principal, document=doc, progress=progress, note=note,
                                done=form.get("done") == "1", settings=request.app.state.settings)
    except DomainError as exc:
        return _failed(request, db, principal, doc, exc)
    return RedirectResponse(f"/van-ban/{doc.id}?da_cap_nhat=1", status_code=303)


@router.post("/van-ban/{document_id}/mo-lai")
async def reopen_submit(document_id: DocumentId, request: Request, db: DB, principal: LoggedIn) -> Response:
    form = await _form(request)
    doc = service.get(db, document_id, principal=principal)
    try:
        service.reopen(db, principal=principal, document=doc, note=str(form.get("note") or "").strip()[:4000] or None,
                       settings=request.app.state.settings)
    except DomainError as exc:
        return _failed(request, db, principal, doc, exc)
    return RedirectResponse(f"/van-ban/{doc.id}?da_mo_lai=1", status_code=303)
