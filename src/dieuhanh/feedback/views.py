"""Pages of the citizen field reports.

Citizens (no sign-in): ``/phan-anh`` (the report form), ``/phan-anh/{code}`` (tracking; with the submitter's
secret key, ``?k=...``, also rating and reopening), ``/phan-anh/ban-do`` (public list and map). Officers:
``/xu-ly-phan-anh`` (the agency's inbox) and ``/xu-ly-phan-anh/{code}`` (details, history and the workflow
actions). Routes parse the form, call one service function and render; public pages never read contact data,
internal notes or key hashes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import DomainError, FieldError, InvalidInput, NotFound, PermissionDenied, TooLarge
from dieuhanh.core.security import Principal, allowed
from dieuhanh.feedback import links, service
from dieuhanh.feedback import photos as photo_lib
from dieuhanh.feedback.models import CLOSED_STATUSES, STATUS_LABELS, Report
from dieuhanh.feedback.ratelimit import client_ip, limiter
from dieuhanh.feedback.schemas import Page, ReportFilters, ReportIn
from dieuhanh.geo import reference
from dieuhanh.orgs import service as orgs_service
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

PUBLIC_PAGE_SIZE = 20
INBOX_PAGE_SIZE = 30
MAP_POINTS = 1000
EMERGENCY_NUMBERS = (("114", "Cứu nạn, cứu hộ, cháy nổ"), ("113", "Công an"), ("115", "Cấp cứu y tế"))
PUBLIC_STATUS_FILTERS = {"open": "Đang xử lý", "closed": "Đã xử lý xong", "resolved": "Đã trả lời",
                         "rejected": "Từ chối"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 .()-]{8,20}$")


# ------------------------------------------------------------------------------------------------ helpers


def _commune_names(request: Request) -> dict[str, str]:
    return {u.code: u.name for u in reference.communes_of(request.app.state.province.code)}


def _agency_names(db: Session) -> dict[str, str]:
    agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
    return {a.code: a.name for a in agencies}


def _field_errors(exc: DomainError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors:
        name = err.field or "form"
        if name in ("lat", "lon", "long"):
            name = "location"
        out.setdefault(name, err.message)
    return out


def _pydantic_errors(exc: ValidationError) -> dict[str, str]:
    labels = {"description": "Nội dung tối đa 4.000 ký tự.", "address_string": "Địa chỉ tối đa 500 ký tự.",
              "phone": "Số điện thoại quá dài.", "email": "Thư điện tử quá dài.", "service_code": "Hãy chọn lĩnh vực."}
    out: dict[str, str] = {}
    for err in exc.errors():
        name = str(err["loc"][0]) if err.get("loc") else "form"
        out.setdefault(name, labels.get(name, str(err.get("msg", "Không hợp lệ."))))
    return out


def _float(text: str, errors: dict[str, str]) -> float | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        errors["location"] = "Tọa độ không hợp lệ; hãy chọn lại vị trí."
        return None


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "", False)})


def _photo_urls(report: Report) -> list[dict[str, str]]:
    return [{"full": f"/phan-anh/anh/{p.id}", "thumb": f"/phan-anh/anh/{p.id}/thu-nho"} for p in report.photos]


def _ip_limit(request: Request) -> None:
    limiter(request).check_ip(client_ip(request))


# ------------------------------------------------------------------------------------------------ citizen form


def _form_context(request: Request, db: Session, values: dict[str, Any], errors: dict[str, str],
                  message: str = "") -> dict[str, Any]:
    settings = request.app.state.settings
    return {"categories": service.list_categories(db), "values": values, "errors": errors, "message": message,
            "emergency_numbers": EMERGENCY_NUMBERS, "max_photos": settings.feedback_max_photos,
            "max_photo_mb": settings.feedback_max_photo_mb}


@router.get("/phan-anh", response_class=HTMLResponse)
def report_form(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    return render(request, "feedback/form.html", _form_context(request, db, {}, {}))


def _submit(request: Request, db: Session, principal: Principal, data: ReportIn, photos: list[bytes],
            owner_key: str) -> Report:
    return service.submit(db, data=data, photos=photos, source="web", principal=principal,
                          settings=request.app.state.settings, ip=client_ip(request), owner_key=owner_key)


@router.post("/phan-anh", response_model=None)
async def submit_report(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    settings = request.app.state.settings
    max_bytes = (settings.feedback_max_photos * settings.feedback_max_photo_mb + 2) * 1024 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"Dữ liệu gửi lên quá lớn (tối đa {max_bytes // (1024 * 1024)} MB).")
    # The CSRF check has already parsed the form when the token came as a form field (see web.deps).
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("csrf_token",)}
    errors: dict[str, str] = {}
    photos: list[bytes] = []
    for upload in form.getlist("photos"):
        if isinstance(upload, str) or not upload.filename:
            continue
        photos.append(await upload.read())
    lat, lon = _float(values.get("lat", ""), errors), _float(values.get("lon", ""), errors)
    email, phone = values.get("email", "").strip(), values.get("phone", "").strip()
    if email and not _EMAIL.match(email):
        errors["email"] = "Thư điện tử không đúng dạng (ví dụ: ten@example.com)."
    if phone and not _PHONE.match(phone):
        errors["phone"] = "Số điện thoại chỉ gồm chữ số (8–15 số), có thể có dấu cách."
    if not values.get("service_code"):
        errors["service_code"] = "Hãy chọn lĩnh vực phản ánh."
    attributes = {k[len("attribute["):-1]: v for k, v in values.items()
                  if k.startswith("attribute[") and k.endswith("]") and v.strip()}
    report: Report | None = None
    message = ""
    status = 422
    owner_key = service.new_owner_key()
    try:
        _ip_limit(request)
        data = ReportIn(service_code=values.get("service_code", ""), description=values.get("description", ""),
                        lat=lat, lon=lon, address_string=values.get("address_string", "").strip() or None,
                        unit_code=values.get("unit_code", "").strip() or None, attributes=attributes,
                        phone=phone or None, email=email or None,
                        location_source=values.get("location_source") or None)
        if not errors:
            report = await run_in_threadpool(_submit, request, db, principal, data, photos, owner_key)
    except ValidationError as exc:
        errors.update(_pydantic_errors(exc))
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        db.rollback()
        status = exc.status_code
        message = exc.message
        errors.update(_field_errors(exc))
    if report is None:
        message = message or "Phản ánh chưa được gửi: hãy sửa các mục được đánh dấu bên dưới."
        return render(request, "feedback/form.html", _form_context(request, db, values, errors, message),
                      status_code=status)
    # The key is shown this once: the confirmation page gives the citizen their own tracking link.
    return RedirectResponse(_tracking_path(report.code, owner_key, da_gui=1), status_code=303)


# ------------------------------------------------------------------------------------------------ public map


@router.get("/phan-anh/ban-do", response_class=HTMLResponse)
def public_map(request: Request, db: DB, principal: CurrentPrincipal, linh_vuc: str = "", xa: str = "",
               trang_thai: str = "", page: int = 1) -> HTMLResponse:
    if trang_thai and trang_thai not in PUBLIC_STATUS_FILTERS:
        trang_thai = ""
    categories = service.list_categories(db, include_inactive=True)
    known = {c.service_code for c in categories}
    filters = ReportFilters(category=linh_vuc if linh_vuc in known else None, unit_code=xa or None,
                            status=trang_thai or None)
    result = service.public_list(db, filters, Page(number=max(1, page), size=PUBLIC_PAGE_SIZE))
    rows, map_total = service.public_points(db, filters, MAP_POINTS)
    names = {c.service_code: c.name for c in categories}
    points = [{"lat": lat, "lon": lon, "code": code, "open": status not in CLOSED_STATUSES,
               "tip": f"{code} · {names.get(category, category)} · {STATUS_LABELS.get(status, status)}"}
              for code, status, category, lat, lon in rows if lat is not None and lon is not None]
    communes = _commune_names(request)
    return render(request, "feedback/public_map.html", {
        "result": result, "points": points, "categories": categories, "category_names": names,
        "communes": communes, "status_filters": PUBLIC_STATUS_FILTERS, "linh_vuc": linh_vuc, "xa": xa,
        "trang_thai": trang_thai, "query": _query(linh_vuc=linh_vuc, xa=xa, trang_thai=trang_thai),
        "map_limited": map_total > MAP_POINTS, "map_total": map_total,
    })


# ------------------------------------------------------------------------------------------------ photos


@router.get("/phan-anh/anh/{photo_id}")
def photo(request: Request, photo_id: int, db: DB) -> Response:
    return photo_response(request, db, photo_id, thumb=False)


@router.get("/phan-anh/anh/{photo_id}/thu-nho")
def photo_thumb(request: Request, photo_id: int, db: DB) -> Response:
    return photo_response(request, db, photo_id, thumb=True)


def photo_response(request: Request, db: Session, photo_id: int, *, thumb: bool) -> FileResponse:
    """A stored photo or its thumbnail (the pages and the public API serve photos alike)."""
    item = service.get_photo(db, photo_id)
    path = photo_lib.resolve_path(request.app.state.settings, item.thumb_path if thumb else item.path)
    if not path.is_file():
        raise NotFound("Tệp ảnh không còn trên máy chủ.")
    # Re-encoded without metadata when stored; served with a fixed type so nothing is sniffed.
    return FileResponse(path, media_type="image/jpeg" if thumb else item.content_type,
                        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


# ------------------------------------------------------------------------------------------------ tracking


def _public_history(report: Report, shown: Report) -> list[Any]:
    """The citizen's timeline: the report's own steps and, once merged, the main report's (public notes only)."""
    events = list(service.public_events(report))
    if shown.id != report.id:
        events += service.public_events(shown)
    events = [e for e in events if not (e.action == "merge" and not e.note_public)]
    return sorted(events, key=lambda e: (e.at, e.id))


def _tracking_path(code: str, key: str | None, **flags: int) -> str:
    """The tracking page (relative), keeping the citizen's key so the rating and reopening forms stay available."""
    query = _query(k=key, **flags)
    return f"/phan-anh/{code}" + (f"?{query}" if query else "")


def _tracking_context(request: Request, db: Session, code: str, *, key: str | None,
                      error: str = "") -> dict[str, Any]:
    report = service.get_by_code(db, code)
    shown = service.effective(report)
    # The key is the report's own, also for a merged one (its citizen acts on the main report with it).
    owner = service.owner_key_matches(report, key)
    answered = shown.status in ("resolved", "closed") and bool(shown.public_reply)
    may_rate = answered and shown.rating is None
    may_reopen = shown.rating == "unsatisfied" and shown.reopened_count < 1 and shown.status in ("resolved", "closed")
    agencies = _agency_names(db)
    events = [{"at": e.at, "label": service.ACTION_LABELS.get(e.action, e.action), "action": e.action,
               "note": e.note_public, "to": STATUS_LABELS.get(e.to_status or "", ""),
               "agency_to": agencies.get(e.agency_to or "", e.agency_to)}
              for e in _public_history(report, shown)]
    return {
        "report": report, "shown": shown, "merged": shown.id != report.id, "events": events,
        "agency_name": agencies.get(shown.agency_code, shown.agency_code),
        "commune_name": _commune_names(request).get(shown.unit_code or "", ""),
        "photos": _photo_urls(report) + ([] if shown.id == report.id else _photo_urls(shown)),
        "can_rate": owner and may_rate, "can_reopen": owner and may_reopen,
        # Someone without the key (or a report that has none) sees why the forms are missing.
        "needs_key": not owner and (may_rate or may_reopen), "has_key": bool(report.owner_key_hash),
        "key": key if owner else "",
        "deadline": service.deadline_info(shown), "error": error,
        "just_sent": request.query_params.get("da_gui") == "1",
        "tracking_url": links.tracking_url(request, report.code, key if owner else None),
    }


def _private(response: Response, key: str | None) -> Response:
    """A page opened with the key: neither cached nor named in the Referer of what it links to."""
    if key:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/phan-anh/{code}", response_class=HTMLResponse, name="tracking_page")
def tracking_page(request: Request, code: str, db: DB, principal: CurrentPrincipal, k: str = "") -> Response:
    return _private(render(request, "feedback/tracking.html", _tracking_context(request, db, code, key=k)), k)


@router.post("/phan-anh/{code}/danh-gia", response_model=None)
def rate_answer(request: Request, code: str, db: DB, principal: CurrentPrincipal,
                satisfied: Annotated[str, Form()] = "", comment: Annotated[str, Form()] = "",
                k: Annotated[str, Form()] = "") -> Response:
    try:
        _ip_limit(request)
        if satisfied not in ("1", "0"):
            raise InvalidInput("Hãy chọn «Hài lòng» hoặc «Không hài lòng».")
        service.rate(db, code, satisfied == "1", key=k, comment=comment or None, principal=principal)
    except DomainError as exc:
        return _tracking_error(request, db, code, k, exc)
    return RedirectResponse(_tracking_path(code, k, da_danh_gia=1), status_code=303)


def _tracking_error(request: Request, db: Session, code: str, key: str, exc: DomainError) -> Response:
    """A citizen's rating or reopening refused: the tracking page again with the message, nothing changed (a
    missing or wrong key is a 403 shown on the page; other 401/403/404 propagate)."""
    if exc.status_code in (401, 403, 404) and not isinstance(exc, service.OwnerKeyRefused):
        raise exc
    db.rollback()
    return _private(render(request, "feedback/tracking.html",
                           _tracking_context(request, db, code, key=key, error=exc.message),
                           status_code=exc.status_code), key)


@router.post("/phan-anh/{code}/mo-lai", response_model=None)
def reopen_report(request: Request, code: str, db: DB, principal: CurrentPrincipal,
                  reason: Annotated[str, Form()] = "", k: Annotated[str, Form()] = "") -> Response:
    try:
        _ip_limit(request)
        if len(reason.strip()) < 5:
            raise InvalidInput("Hãy cho biết vì sao câu trả lời chưa giải quyết được sự việc (ít nhất 5 ký tự).",
                               errors=[FieldError(message="Cần lý do.", field="reason")])
        service.reopen(db, code, key=k, reason=reason[:2000], principal=principal)
    except DomainError as exc:
        return _tracking_error(request, db, code, k, exc)
    return RedirectResponse(_tracking_path(code, k, da_mo_lai=1), status_code=303)


# ------------------------------------------------------------------------------------------------ officer inbox


INBOX_STATUS_FILTERS = {"open": "Đang mở (chưa xong)", "overdue": "Quá hạn", **{
    s: STATUS_LABELS[s] for s in ("new", "accepted", "in_progress", "forwarded", "reopened", "resolved", "closed",
                                  "rejected")}}


@router.get("/xu-ly-phan-anh", response_class=HTMLResponse)
def inbox_page(request: Request, db: DB, principal: LoggedIn, trang_thai: str = "open", linh_vuc: str = "",
               xa: str = "", co_quan: str = "", trung: str = "", q: str = "", page: int = 1) -> HTMLResponse:
    if trang_thai and trang_thai not in INBOX_STATUS_FILTERS and trang_thai != "all":
        trang_thai = "open"
    base = {"category": linh_vuc or None, "unit_code": xa or None,
            "agency_code": None if principal.has_role("officer") else (co_quan or None), "q": q or None,
            "possible_duplicates": trung == "1"}
    filters = ReportFilters(status=None if trang_thai in ("", "all") else trang_thai, **base)  # type: ignore[arg-type]
    result = service.inbox(db, principal, filters, Page(number=max(1, page), size=INBOX_PAGE_SIZE))
    counts = {key: service.inbox(db, principal, ReportFilters(status=key, **base), Page(1, 1)).total  # type: ignore[arg-type]
              for key in ("open", "overdue")}
    now = utcnow()
    near = [r for r in result.items if service.deadline_info(r, now).near]
    agencies = _agency_names(db)
    return render(request, "feedback/inbox.html", {
        "result": result, "deadline": {r.id: service.deadline_info(r, now) for r in result.items},
        "counts": counts, "near_on_page": len(near), "categories": service.list_categories(db, include_inactive=True),
        "communes": _commune_names(request), "agencies": agencies, "status_filters": INBOX_STATUS_FILTERS,
        "trang_thai": trang_thai, "linh_vuc": linh_vuc, "xa": xa, "co_quan": co_quan, "trung": trung, "q": q,
        "query": _query(trang_thai=trang_thai, linh_vuc=linh_vuc, xa=xa, co_quan=co_quan, trung=trung, q=q),
        "is_officer": principal.has_role("officer"), "now": now,
    })


def _distance(report: Report, other: Report | None) -> float | None:
    if other is None or report.lat is None or report.lon is None or other.lat is None or other.lon is None:
        return None
    return service.distance_m(report.lat, report.lon, other.lat, other.lon)


def _handle_context(request: Request, db: Session, principal: Principal, code: str, *, error: str = "",
                    errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> dict[str, Any]:
    report = service.get_by_code(db, code)
    can_internal = allowed(principal, "feedback.read_internal", report)
    if not can_internal and not principal.can_read_all():
        raise PermissionDenied("Phản ánh này thuộc cơ quan khác; bạn không có quyền xem.")
    can_handle = service.can_handle(principal, report)
    agencies = _agency_names(db)
    actions = [a for a, (sources, _target) in service.TRANSITIONS.items()
               if a != "reopen" and report.status in sources and report.duplicate_of_id is None] if can_handle else []
    duplicate = report.possible_duplicate_of
    return {
        "report": report, "shown": service.effective(report), "can_internal": can_internal, "can_handle": can_handle,
        "contact": (service.contact(db, report, principal=principal)
                    if allowed(principal, "feedback.contact", report) else None),
        "events": list(report.events), "actions": actions, "action_labels": service.ACTION_LABELS,
        "people": _people(db, [e.actor for e in report.events]),
        "agencies": agencies, "agency_name": agencies.get(report.agency_code, report.agency_code),
        "commune_name": _commune_names(request).get(report.unit_code or "", ""),
        "photos": _photo_urls(report), "duplicate": duplicate,
        "duplicate_distance": _distance(report, duplicate),
        "merged_here": service.duplicates_of(db, report), "deadline": service.deadline_info(report),
        "on_time": service.is_resolved_on_time(report), "status_labels": STATUS_LABELS,
        "error": error, "errors": errors or {}, "values": values or {},
        "done": request.query_params.get("ok", ""),
    }


def _people(db: Any, actors: list[str]) -> dict[str, str]:
    from dieuhanh.orgs.people import actor_names

    return actor_names(db, actors)


@router.get("/xu-ly-phan-anh/{code}", response_class=HTMLResponse)
def handle_page(request: Request, code: str, db: DB, principal: LoggedIn) -> HTMLResponse:
    return render(request, "feedback/handle.html", _handle_context(request, db, principal, code))


@router.post("/xu-ly-phan-anh/{code}/thao-tac", response_model=None)
def handle_action(request: Request, code: str, db: DB, principal: LoggedIn, action: Annotated[str, Form()] = "",
                  note_public: Annotated[str, Form()] = "", note_internal: Annotated[str, Form()] = "",
                  agency: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    report = service.get_by_code(db, code)
    try:
        service.transition(db, report, action, principal=principal, note_public=note_public or None,
                           note_internal=note_internal or None, target_agency=agency or None, reason=reason or None,
                           settings=request.app.state.settings)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        db.rollback()
        values = {"action": action, "note_public": note_public, "note_internal": note_internal, "agency": agency,
                  "reason": reason}
        return render(request, "feedback/handle.html", _handle_context(
            request, db, principal, code, error=exc.message, errors=_field_errors(exc), values=values),
            status_code=exc.status_code)
    if action == "forward" and not allowed(principal, "feedback.read_internal", report) \
            and not principal.can_read_all():
        return RedirectResponse(f"/xu-ly-phan-anh?{_query(da_chuyen=report.code)}", status_code=303)
    return RedirectResponse(f"/xu-ly-phan-anh/{report.code}?ok={action}", status_code=303)


@router.post("/xu-ly-phan-anh/{code}/gop", response_model=None)
def merge_report(request: Request, code: str, db: DB, principal: LoggedIn,
                 main: Annotated[str, Form()] = "") -> Response:
    report = service.get_by_code(db, code)
    try:
        if not main.strip():
            raise InvalidInput("Hãy nhập mã phản ánh chính để gộp vào.",
                               errors=[FieldError(message="Cần mã phản ánh chính.", field="main")])
        service.merge(db, report, service.get_by_code(db, main), principal)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        db.rollback()
        return render(request, "feedback/handle.html", _handle_context(
            request, db, principal, code, error=exc.message, errors=_field_errors(exc)),
            status_code=exc.status_code)
    return RedirectResponse(f"/xu-ly-phan-anh/{report.code}?ok=merge", status_code=303)
