"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) under ``/open311/v2/``, in JSON and XML.

Third-party apps (a city app, a chatbot, a Zalo mini-app) list the services, post reports with an API key (a
token with the ``open311`` scope, sent as ``api_key`` in the form body or the query string) and read them back.
Every call goes through :mod:`dieuhanh.feedback.service`; contact fields given on POST are stored apart and never
appear in any GET. Errors are the spec's list of ``{code, description}`` with status 400, 403 or 404 (and 413/429
for abuse control).

The POST response adds one field to the spec's: ``tracking_url``, the citizen's own tracking link with the secret
key that rating and reopening need (clients ignore fields they do not know; the app hands the link to its user).
It is given once, there only: no GET carries it.

Requests are never queued: a POST answers only once the report is stored, always with its
``service_request_id`` and never with a ``token``. ``GET tokens/{token}`` is still served, as the spec describes
it for a request that has been processed: a token is the request's own id, and the answer is
``[{service_request_id, token}]`` (404 in the spec's error list for an unknown one). A client written for
queued servers therefore works unchanged.

The ``status`` filter of ``GET requests`` and the ``status`` each request shows use one mapping
(:func:`open311_status`) applied to the status shown: a merged duplicate shows, and is filtered by, the status at
the end of its chain of merges.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied, TooLarge, TooManyRequests
from dieuhanh.core.formatting import to_local
from dieuhanh.core.security import Principal
from dieuhanh.feedback import links, open311cache, ratelimit, service
from dieuhanh.feedback.models import CLOSED_STATUSES, Category, Report
from dieuhanh.feedback.schemas import ReportFilters, ReportIn
from dieuhanh.feedback.writer import writer_for
from dieuhanh.orgs import service as orgs_service
from dieuhanh.orgs.models import Agency
from dieuhanh.web.deps import DB

PREFIX = "/open311/v2"
# What the path parameters accept, said in the OpenAPI document too (anything else: 422)
Fmt = Annotated[str, Path(pattern=r"^(json|xml)$", description="Định dạng trả về: json hoặc xml.")]
NamedFmt = Annotated[str, Path(pattern=r"^[^/]+\.(json|xml|JSON|XML)$", max_length=200,
                               description="Mã kèm định dạng, ví dụ PA-2026-000001.json hoặc rac-thai.xml.")]
router = APIRouter(prefix=PREFIX, tags=["Open311 GeoReport v2"])

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ("json", "xml")
MAX_RESULTS = 1000  # the spec's limit for GET requests
DEFAULT_WINDOW_DAYS = 90  # the spec's default (and maximum) span of start_date..end_date
MAX_DESCRIPTION = 4000
CHANGESET = "2026-11-26T00:00:00+07:00"
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url")


ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status, self.description = status, description


# ------------------------------------------------------------------------------------------------ output


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, tag: str, value: Any, item_tags: dict[str, str]) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _append(el, k, v, item_tags)
    elif isinstance(value, list):
        child_tag = item_tags.get(tag, "item")
        for item in value:
            _append(el, child_tag, item, item_tags)
    else:
        el.text = _xml_value(value)


# list element -> the tag of its items
ITEM_TAGS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _xml(root_tag: str, item_tag: str | None, data: Any) -> bytes:
    root = ET.Element(root_tag)
    if item_tag is None:
        for k, v in data.items():
            _append(root, k, v, ITEM_TAGS)
    else:
        for item in data:
            el = ET.SubElement(root, item_tag)
            for k, v in item.items():
                _append(el, k, v, ITEM_TAGS)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def _respond(fmt: str, data: Any, root_tag: str, item_tag: str | None, status: int = 200,
             headers: dict[str, str] | None = None) -> Response:
    if fmt == "xml":
        return Response(_xml(root_tag, item_tag, data), status_code=status, media_type="text/xml; charset=utf-8",
                        headers=headers)
    return JSONResponse(data, status_code=status, headers=headers)


def _error(fmt: str, status: int, description: str, headers: dict[str, str] | None = None) -> Response:
    return _respond(fmt, [{"code": status, "description": description}], "errors", "error", status, headers)


def _split_format(name: str) -> tuple[str, str]:
    stem, dot, fmt = name.rpartition(".")
    if not dot or fmt.lower() not in FORMATS:
        raise Open311Error(404, "Định dạng không hỗ trợ: dùng .json hoặc .xml.")
    return stem, fmt.lower()


def _fmt_of(name: str) -> str:
    _, dot, fmt = name.rpartition(".")
    return fmt.lower() if dot and fmt.lower() in FORMATS else "json"


def _handle(fmt: str, session: Session, fn: Any) -> Response:
    try:
        return fn()  # type: ignore[no-any-return]
    except (Open311Error, DomainError) as exc:
        session.rollback()
        return _handle_error(fmt, exc)


def _handle_error(fmt: str, exc: Open311Error | DomainError) -> Response:
    if isinstance(exc, Open311Error):
        return _error(fmt, exc.status, exc.description)
    status = exc.status_code
    headers = None
    if isinstance(exc, NotAuthenticated | PermissionDenied):
        status = 403
    elif isinstance(exc, NotFound):
        status = 404
    elif isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(getattr(exc, "retry_after", 60))}
    elif not isinstance(exc, TooLarge):
        status = 400
    description = exc.message
    if exc.errors and exc.errors[0].field and exc.errors[0].field not in description:
        description = f"{description} ({exc.errors[0].field})"
    return _error(fmt, status, description, headers)


def service_json(c: Category) -> dict[str, Any]:
    return {"service_code": c.service_code, "service_name": c.name, "description": c.description or "",
            "metadata": bool(c.attributes), "type": "realtime", "keywords": ", ".join(c.keywords or []),
            "group": c.group or ""}


def definition_json(c: Category) -> dict[str, Any]:
    attributes = []
    for a in sorted(c.attributes or [], key=lambda a: int(a.get("order") or 0)):
        attributes.append({"variable": bool(a.get("variable", True)), "code": a["code"],
                           "datatype": a.get("datatype", "string"), "required": bool(a.get("required", False)),
                           "datatype_description": a.get("datatype_description") or "",
                           "order": int(a.get("order") or 0), "description": a.get("description") or a["code"],
                           "values": [{"key": v["key"], "name": v["name"]} for v in a.get("values") or []]})
    return {"service_code": c.service_code, "attributes": attributes}


def request_json(report: Report, *, base_url: str, agency_names: dict[str, str],
                 unit_names: dict[str, str]) -> dict[str, Any]:
    """A report as an Open311 service request (never any contact data; a merged one shows its main report)."""
    category = report.category
    return _request_dict(report, service.effective(report), category.name if category else None,
                         category.deadline_hours if category else None, base_url=base_url,
                         agency_names=agency_names, unit_names=unit_names)


def _request_dict(report: Any, shown: Any, category_name: str | None, deadline_hours: int | None, *,
                  base_url: str, agency_names: dict[str, str], unit_names: dict[str, str]) -> dict[str, Any]:
    """``report`` and ``shown`` (its main report when merged) are Report objects or plain rows with the same
    column names: the list reads plain rows, a single request its Report."""
    status_notes = shown.public_reply
    if report.duplicate_of_id is not None:
        status_notes = (f"Trùng với phản ánh {shown.code}. " + (shown.public_reply or "")).strip()
    media_url = None
    for m in report.media or []:
        url = m.get("url")
        if url:
            media_url = url if url.startswith(("http://", "https://")) else base_url + url
            break
    address = report.address_string
    if not address and report.unit_code:
        address = unit_names.get(report.unit_code)
    return {
        "service_request_id": report.code,
        "status": open311_status(shown.status),
        "status_notes": status_notes,
        "service_name": category_name or report.category_code,
        "service_code": report.category_code,
        "description": report.description,
        "agency_responsible": agency_names.get(shown.agency_code, shown.agency_code),
        "service_notice": _notice_text(report.code, deadline_hours) if deadline_hours is not None else None,
        "requested_datetime": _iso(report.created_at),
        "updated_datetime": _iso(max(report.updated_at, shown.updated_at)),
        "expected_datetime": _iso(shown.due_at),
        "address": address,
        "address_id": report.address_id,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": media_url,
    }


def open311_status(status: str) -> str:
    """The one mapping of a workflow status to Open311's two (the list's ``status`` filter uses the same sets):
    resolved, closed and rejected are ``closed``; every other (new, accepted, in_progress, forwarded, reopened)
    is ``open``."""
    return "closed" if status in CLOSED_STATUSES else "open"


def _notice_text(code: str, deadline_hours: int) -> str:
    return f"Thời hạn xử lý {deadline_hours} giờ. Tra cứu tại /phan-anh/{code}."


def _names(session: Session, reports: list[Report]) -> tuple[dict[str, str], dict[str, str]]:
    return _names_of(session, {r.agency_code for r in reports} | {service.effective(r).agency_code for r in reports},
                     {r.unit_code for r in reports if r.unit_code})


def _names_of(session: Session, agencies: set[str], units: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    from dieuhanh.geo.models import AdminUnit

    agency_names = {code: name for code, name in session.execute(
        select(Agency.code, Agency.name).where(Agency.code.in_(agencies)))} if agencies else {}
    unit_names = {code: name for code, name in session.execute(
        select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(units)))} if units else {}
    return agency_names, unit_names


# ------------------------------------------------------------------------------------------------ discovery


@router.get("/discovery.{fmt}", summary="Open311 service discovery")
def discovery(fmt: Fmt, request: Request) -> Response:
    if fmt not in FORMATS:
        return _error("json", 404, "Định dạng không hỗ trợ: dùng .json hoặc .xml.")
    settings = request.app.state.settings
    base = links.base_url(request)
    data = {
        "changeset": CHANGESET,
        "contact": f"Trung tâm điều hành thông minh tỉnh (mã tỉnh {settings.province_code}) — {base}",
        "key_service": f"{base}/admin/tokens (quản trị viên cấp mã API phạm vi open311)",
        "endpoints": [{"specification": SPECIFICATION, "url": base + PREFIX, "changeset": CHANGESET,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }
    return _respond(fmt, data, "discovery", None)


# ------------------------------------------------------------------------------------------------ services


@router.get("/services.{fmt}", summary="Danh sách lĩnh vực (GET Service List)")
def services(fmt: Fmt, db: DB) -> Response:
    if fmt not in FORMATS:
        return _error("json", 404, "Định dạng không hỗ trợ: dùng .json hoặc .xml.")
    return _handle(fmt, db, lambda: _respond(
        fmt, [service_json(c) for c in service.list_categories(db)], "services", "service"))


@router.get("/services/{name}", summary="Định nghĩa thuộc tính của lĩnh vực (GET Service Definition)")
def service_definition(name: NamedFmt, db: DB) -> Response:
    fmt = _fmt_of(name)

    def run() -> Response:
        code, fmt_ = _split_format(name)
        if not code:
            raise Open311Error(400, "Thiếu service_code.")
        category = service.get_category(db, code)
        return _respond(fmt_, definition_json(category), "service_definition", None)

    return _handle(fmt, db, run)


# ------------------------------------------------------------------------------------------------ requests


def _parse_dt(name: str, value: str | None) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if " " in text and "T" not in text:
        text = text.replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Open311Error(400, f"{name} không đúng định dạng W3C/ISO 8601 (ví dụ 2025-07-01T00:00:00+07:00).") \
            from exc
    if parsed.tzinfo is None:  # no offset: the province's local time
        parsed = parsed.replace(tzinfo=to_local(utcnow()).tzinfo)
    return parsed.astimezone(UTC).replace(tzinfo=None)


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    span = timedelta(days=DEFAULT_WINDOW_DAYS)
    if start is None and end is None:
        end = utcnow()
        start = end - span
    elif start is None:
        assert end is not None
        start = end - span
    elif end is None:
        end = start + span
    if end < start:
        raise Open311Error(400, "end_date phải sau start_date.")
    if end - start > span:
        raise Open311Error(400, f"Khoảng start_date–end_date không được quá {DEFAULT_WINDOW_DAYS} ngày.")
    return start, end


@router.get("/requests.{fmt}", summary="Tra cứu nhiều phản ánh (GET Service Requests)")
def list_requests(fmt: Fmt, request: Request, db: DB) -> Response:
    if fmt not in FORMATS:
        return _error("json", 404, "Định dạng không hỗ trợ: dùng .json hoặc .xml.")

    def run() -> Response:
        q = request.query_params
        ids = [s.strip() for s in (q.get("service_request_id") or "").split(",") if s.strip()]
        filters = ReportFilters(status_of_main=True)  # the filter uses the mapping the response shows
        if ids:  # overrides every other argument (spec)
            filters.codes = ids[:MAX_RESULTS]
        else:
            codes = [s.strip() for s in (q.get("service_code") or "").split(",") if s.strip()]
            if codes:
                filters.category = ",".join(codes)
            statuses = [s.strip().lower() for s in (q.get("status") or "").split(",") if s.strip()]
            bad = [s for s in statuses if s not in ("open", "closed")]
            if bad:
                raise Open311Error(400, f"status «{bad[0]}» không hợp lệ: chỉ nhận open hoặc closed.")
            if statuses:
                filters.status = ",".join(sorted(set(statuses)))
            filters.start, filters.end = _window(_parse_dt("start_date", q.get("start_date")),
                                                 _parse_dt("end_date", q.get("end_date")))
        base = links.base_url(request)
        # The same question on the same data: the answer kept (see open311cache), else made and kept.
        key = (fmt, base, tuple(filters.codes), filters.category, filters.status, filters.start, filters.end)
        version = open311cache.data_version(db)
        kept = open311cache.get(key, version)
        if kept is not None:
            return Response(kept[0], media_type=kept[1])
        if filters.category:  # checked when the answer is made (a kept one was made with known codes only)
            known = set(db.scalars(select(Category.service_code)))
            unknown = [c for c in filters.category.split(",") if c not in known]
            if unknown:
                raise Open311Error(404, f"Không có lĩnh vực service_code «{unknown[0]}».")
        if fmt == "json":
            response: Response = Response(_encoded_list(db, filters, base), media_type="application/json")
        else:
            # Up to 1,000 reports per call: plain rows, not Report objects (several times less CPU).
            rows, main_of = service.open311_rows(db, filters, MAX_RESULTS)
            response = _respond(fmt, _request_dicts(db, rows, main_of, base), "service_requests", "request")
        open311cache.put(key, version, bytes(response.body), response.media_type or "application/json")
        return response

    return _handle(fmt, db, run)


def _request_dicts(db: Session, rows: list[Any], main_of: dict[int, Any], base: str) -> list[dict[str, Any]]:
    agency_names, unit_names = _names_of(db, {main_of[r.id].agency_code for r in rows},
                                         {r.unit_code for r in rows if r.unit_code})
    return [_request_dict(r, main_of[r.id], r.category_name, r.deadline_hours, base_url=base,
                          agency_names=agency_names, unit_names=unit_names) for r in rows]


def _encoded_list(db: Session, filters: ReportFilters, base: str) -> bytes:
    """The JSON list, byte for byte what ``JSONResponse`` makes of the dicts: the ids and versions of its reports
    from the indexes, each report's encoded object kept from earlier answers when its version is the same, the
    others read in full and encoded (see open311cache)."""
    keys = service.open311_keys(db, filters, MAX_RESULTS)
    found, stamp = open311cache.fragments(keys, base)
    missing = [k for k in keys if k[0] not in found]
    if missing:
        rows, main_of = service.open311_rows_by_id(db, [k[0] for k in missing])
        by_id = {r.id: d for r, d in zip(rows, _request_dicts(db, rows, main_of, base), strict=True)}
        made = [(k, _encode(by_id[k[0]])) for k in missing if k[0] in by_id]
        found.update((k[0], body) for k, body in made)
        open311cache.keep(stamp, made)
    return b"[" + b",".join(found[k[0]] for k in keys if k[0] in found) + b"]"


def _encode(item: dict[str, Any]) -> bytes:
    return json.dumps(item, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


@router.get("/requests/{name}", summary="Tra cứu một phản ánh (GET Service Request)")
def get_request(name: NamedFmt, request: Request, db: DB) -> Response:
    fmt = _fmt_of(name)

    def run() -> Response:
        code, fmt_ = _split_format(name)
        base = links.base_url(request)
        # Kept like the lists (same data version): apps poll the reports they sent.
        key = ("request", fmt_, base, code)
        version = open311cache.data_version(db)
        kept = open311cache.get(key, version)
        if kept is not None:
            return Response(kept[0], media_type=kept[1])
        report = service.get_by_code(db, code)
        agency_names, unit_names = _names(db, [report])
        data = [request_json(report, base_url=base, agency_names=agency_names, unit_names=unit_names)]
        response = _respond(fmt_, data, "service_requests", "request")
        open311cache.put(key, version, bytes(response.body), response.media_type or "application/json")
        return response

    return _handle(fmt, db, run)


@router.get("/tokens/{name}", summary="Mã phản ánh từ token (GET service_request_id from a token)")
def get_token(name: NamedFmt, db: DB) -> Response:
    """Requests are created in real time (never queued), so the token of a request is its own id."""
    fmt = _fmt_of(name)

    def run() -> Response:
        token, fmt_ = _split_format(name)
        report = service.get_by_code(db, token)
        return _respond(fmt_, [{"service_request_id": report.code, "token": report.code}], "service_requests",
                        "request")

    return _handle(fmt, db, run)


TOKEN_CACHE_SECONDS = 30.0  # how long a key's principal is reused (its row is still checked on every request)


def _principal_for_key(request: Request, form: FormData) -> tuple[Principal, str]:
    """The key's principal; valid keys are cached per application for ``TOKEN_CACHE_SECONDS`` (keyed by the key's
    SHA-256, so the cache holds no key), hence a revocation takes effect within that time. A cache miss looks the key
    up in a session of its own (blocking: call it from a worker thread)."""
    key = form.get("api_key") or request.query_params.get("api_key")
    if not key:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            key = auth[7:]
    if not isinstance(key, str) or not key.strip():
        raise Open311Error(403, "Thiếu api_key: cần mã API có phạm vi open311.")
    state = request.app.state
    cache: dict[str, tuple[Principal, float]] | None = getattr(state, "feedback_token_cache", None)
    if cache is None:
        cache = state.feedback_token_cache = {}
    digest = hashlib.sha256(key.strip().encode()).hexdigest()
    now = time.monotonic()
    hit = cache.get(digest)
    if hit is not None and hit[1] > now and _still_valid(state, hit[0]):
        principal = hit[0]
    else:
        try:
            with state.db.session_factory() as own, service.serialized_writes(own):  # it may note the last use
                principal = orgs_service.principal_for_token(own, key)
                own.commit()
        except NotAuthenticated as exc:
            cache.pop(digest, None)
            raise Open311Error(403, f"api_key không hợp lệ: {exc.message}") from exc
        if len(cache) > 10_000:
            cache.clear()
        cache[digest] = (principal, now + TOKEN_CACHE_SECONDS)
    if not principal.has_scope("open311"):
        raise Open311Error(403, "api_key không có phạm vi open311.")
    return principal, key


def _still_valid(state: Any, principal: Principal) -> bool:
    """A cached key is checked against its row on every request (one indexed read, no write): revoking or
    expiring a token takes effect at once, here as everywhere else."""
    from sqlalchemy import or_, select

    from dieuhanh.core.db import utcnow
    from dieuhanh.orgs.models import ApiToken

    with state.db.session_factory() as own:
        return own.scalar(select(ApiToken.id).where(
            ApiToken.id == principal.id, ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()))) is not None


def _float(form: FormData, name: str) -> float | None:
    value = form.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError as exc:
        raise Open311Error(400, f"{name} phải là số thập phân (WGS84).") from exc


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


def report_in_from_form(form: FormData, *, has_photos: bool = False) -> ReportIn:
    code = _text(form, "service_code")
    if not code:
        raise Open311Error(400, "Thiếu service_code.")
    description = form.get("description")
    description = description if isinstance(description, str) else ""
    if len(description) > MAX_DESCRIPTION:
        raise Open311Error(400, f"description dài quá {MAX_DESCRIPTION} ký tự.")
    lat, lon = _float(form, "lat"), _float(form, "long")
    address, address_id = _text(form, "address_string"), _text(form, "address_id")
    if (lat is None or lon is None) and not address and not address_id and not has_photos:
        raise Open311Error(400, "Cần vị trí: lat và long, hoặc address_string, hoặc address_id.")
    attributes: dict[str, Any] = {}
    for key in form:
        match = ATTRIBUTE_KEY.match(key)
        if match:
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            attributes[match.group(1)] = values if len(values) > 1 or match.group(2) else (values[0] if values else "")
    first, last = _text(form, "first_name"), _text(form, "last_name")
    name = " ".join(p for p in (last, first) if p) or None
    try:
        return ReportIn(
            service_code=code, description=description, lat=lat, lon=lon, address_string=address,
            address_id=address_id, attributes=attributes, media_url=_text(form, "media_url"), name=name,
            phone=_text(form, "phone"), email=_text(form, "email"), device_id=_text(form, "device_id"),
            account_id=_text(form, "account_id"),
        )
    except ValueError as exc:
        raise Open311Error(400, f"Tham số không hợp lệ: {exc}") from exc


@router.post("/requests.{fmt}", summary="Gửi phản ánh (POST Service Request)")
async def post_request(fmt: Fmt, request: Request) -> Response:
    """Validation, key and limits on the event loop; the write goes to the group-commit writer (see writer.py).

    A POST with photos is written directly in a worker thread (decoding and re-encoding the photos should not hold
    up the writer's batch)."""
    if fmt not in FORMATS:
        return _error("json", 404, "Định dạng không hỗ trợ: dùng .json hoặc .xml.")
    settings = request.app.state.settings
    limiter = ratelimit.limiter(request)
    max_bytes = (int(settings.feedback_max_photos) * int(settings.feedback_max_photo_mb) + 1) * 1024 * 1024
    try:
        await ratelimit.read_body_limited(request, max_bytes)
    except TooLarge as exc:
        return _error(fmt, 413, exc.message)
    try:
        form = await request.form(max_files=int(settings.feedback_max_photos) + 1,
                                  max_part_size=int(settings.feedback_max_photo_mb) * 1024 * 1024 + 1)
        photos: list[bytes] = []
        for item in form.getlist("media"):
            if isinstance(item, UploadFile):
                photos.append(await item.read())
    except Exception:  # noqa: BLE001 - malformed or over-limit multipart
        return _error(fmt, 400, "Không đọc được dữ liệu gửi lên (form) hoặc quá nhiều tệp.")
    ip = ratelimit.client_ip(request)

    async def run() -> Response:
        try:
            principal, _key = await _key_principal(request, form)
        except Open311Error:
            limiter.check_ip(ip)  # guessing keys is throttled like an anonymous caller
            raise
        limiter.check_key(str(principal.id))
        data = report_in_from_form(form, has_photos=bool(photos))  # a photo's GPS may give the location
        owner_key = service.new_owner_key()
        item = service.Submission(data=data, source="open311", principal=principal, ip=ip, photos=photos,
                                  owner_key=owner_key)
        if photos:
            done = (await run_in_threadpool(service.submit_many, request.app.state.db.session_factory, [item],
                                            settings=settings))[0]
            if isinstance(done, Exception):
                raise done
        else:
            done = await writer_for(request.app.state).submit(item)
        body = [{"service_request_id": done.code, "service_notice": _notice_text(done.code, done.deadline_hours),
                 "account_id": data.account_id, "tracking_url": links.tracking_url(request, done.code, owner_key)}]
        return _respond(fmt, body, "service_requests", "request")

    try:
        return await run()
    except (Open311Error, DomainError) as exc:
        return _handle_error(fmt, exc)


async def _key_principal(request: Request, form: FormData) -> tuple[Principal, str]:
    cache = getattr(request.app.state, "feedback_token_cache", None) or {}
    key = form.get("api_key") or request.query_params.get("api_key")
    hit = cache.get(hashlib.sha256(key.strip().encode()).hexdigest()) if isinstance(key, str) else None
    if hit is not None and hit[1] > time.monotonic():  # the common case: no thread, no session
        return _principal_for_key(request, form)
    return await run_in_threadpool(_principal_for_key, request, form)
