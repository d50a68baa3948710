"""Internal JSON API of the citizen reports under ``/api/v1/feedback/...`` (thin: every rule is in service.py).

* ``/api/v1/feedback/categories`` and ``/routing-rules``: the catalogue (anyone reads; admins change);
* ``/api/v1/feedback/reports``: the officer's inbox, a report with its history, workflow actions and merge;
* ``/api/v1/feedback/public/...``: what a citizen may do with a tracking code (no personal data; exempt from
  CSRF because these calls always act as the anonymous citizen, never with the session's authority): submit,
  track, the public list; rating and reopening also need the secret ``key`` that only the submission's response
  gave (``tracking_key``), else 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse

from dieuhanh.core.formatting import to_local
from dieuhanh.core.security import ANONYMOUS, Principal, allowed
from dieuhanh.feedback import links, ratelimit, service, views
from dieuhanh.feedback.models import STATUS_LABELS, STATUSES, Category, Report, RoutingRule
from dieuhanh.feedback.schemas import (
    ActionIn,
    CategoryIn,
    CategoryUpdate,
    MergeIn,
    Page,
    RateIn,
    ReopenIn,
    ReportFilters,
    ReportIn,
    RoutingRuleIn,
)
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.params import csv_of

router = APIRouter(prefix="/api/v1/feedback", tags=["phản ánh hiện trường"])
PUBLIC_PREFIX = "/api/v1/feedback/public/"


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


def category_dict(c: Category) -> dict[str, Any]:
    return {"service_code": c.service_code, "name": c.name, "description": c.description, "group": c.group,
            "keywords": list(c.keywords or []), "attributes": list(c.attributes or []),
            "deadline_hours": c.deadline_hours, "emergency": c.emergency, "emergency_message": c.emergency_message,
            "active": c.active, "sort_order": c.sort_order}


def rule_dict(r: RoutingRule) -> dict[str, Any]:
    return {"id": r.id, "category_code": r.category_code, "unit_code": r.unit_code, "agency_code": r.agency_code}


def report_public(report: Report) -> dict[str, Any]:
    """What anyone may see of a report: no contact data, no internal notes; a merged one shows its main report."""
    shown = service.effective(report)
    info = service.deadline_info(shown)
    return {
        "code": report.code, "category": report.category_code,
        "category_name": report.category.name if report.category else report.category_code,
        "description": report.description, "lat": report.lat, "lon": report.lon,
        "address_string": report.address_string, "unit_code": report.unit_code,
        "agency_code": shown.agency_code, "status": shown.status, "status_label": STATUS_LABELS.get(shown.status),
        "open311_status": shown.open311_status, "public_reply": shown.public_reply,
        "created_at": _iso(report.created_at), "updated_at": _iso(max(report.updated_at, shown.updated_at)),
        "due_at": _iso(shown.due_at), "resolved_at": _iso(shown.resolved_at), "closed_at": _iso(shown.closed_at),
        "overdue": info.overdue, "rating": shown.rating, "reopened_count": shown.reopened_count,
        "merged_into": shown.code if shown.id != report.id else None,
        "media": [m for m in report.media or [] if m.get("url")],
        "photos": [{"id": p.id, "url": f"/api/v1/feedback/public/photos/{p.id}",
                    "thumb_url": f"/api/v1/feedback/public/photos/{p.id}?thumb=1", "width": p.width,
                    "height": p.height} for p in report.photos],
        "events": [{"at": _iso(e.at), "action": e.action, "from_status": e.from_status, "to_status": e.to_status,
                    "note_public": e.note_public, "agency_to": e.agency_to} for e in service.public_events(report)],
    }


def report_internal(session: Any, report: Report, principal: Principal) -> dict[str, Any]:
    """The officials' view. Internal notes follow the page's rule (``feedback.read_internal``: the report's agency,
    admins, leaders); analysts and ``read`` tokens get the events without them. The citizen's contact only for the
    report's agency's officers (``feedback.contact``)."""
    data = report_public(report)
    internal = allowed(principal, "feedback.read_internal", report)
    data.update({
        "agency_code": report.agency_code, "status": report.status, "source": report.source,
        "possible_duplicate_of": report.possible_duplicate_of.code if report.possible_duplicate_of else None,
        "duplicate_of": report.duplicate_of.code if report.duplicate_of else None,
        "duplicates": [r.code for r in service.duplicates_of(session, report)],
        "attributes": report.attributes, "location_source": report.location_source,
        "can_handle": service.can_handle(principal, report),
        "events": [{"at": _iso(e.at), "actor": e.actor, "action": e.action, "from_status": e.from_status,
                    "to_status": e.to_status, "note_public": e.note_public,
                    "note_internal": e.note_internal if internal else None,
                    "agency_from": e.agency_from, "agency_to": e.agency_to} for e in report.events],
    })
    if allowed(principal, "feedback.contact", report):
        contact = service.contact(session, report, principal=principal)
        data["contact"] = ({"name": contact.name, "phone": contact.phone, "email": contact.email}
                           if contact else None)
    return data


# ------------------------------------------------------------------------------------------------ catalogue


@router.get("/categories")
def list_categories(db: DB, include_inactive: bool = False) -> list[dict[str, Any]]:
    return [category_dict(c) for c in service.list_categories(db, include_inactive=include_inactive)]


@router.post("/categories", status_code=201)
def create_category(body: CategoryIn, db: DB, principal: LoggedIn) -> dict[str, Any]:
    return category_dict(service.create_category(db, principal=principal, data=body))


@router.patch("/categories/{service_code}")
def update_category(service_code: str, body: CategoryUpdate, db: DB, principal: LoggedIn) -> dict[str, Any]:
    return category_dict(service.update_category(db, principal=principal, service_code=service_code, data=body))


@router.get("/routing-rules")
def list_rules(db: DB) -> list[dict[str, Any]]:
    return [rule_dict(r) for r in service.routing_rules(db)]


@router.put("/routing-rules")
def set_rule(body: RoutingRuleIn, db: DB, principal: LoggedIn) -> dict[str, Any]:
    return rule_dict(service.set_routing_rule(db, principal=principal, data=body))


@router.delete("/routing-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: int, db: DB, principal: LoggedIn) -> None:
    service.delete_routing_rule(db, principal=principal, rule_id=rule_id)


# ------------------------------------------------------------------------------------------------ officers


def _filters(category: str | None, unit_code: str | None, agency: str | None, status: str | None, q: str | None,
             duplicates: bool) -> ReportFilters:
    return ReportFilters(category=category or None, unit_code=unit_code or None, agency_code=agency or None,
                         status=status or None, q=q or None, possible_duplicates=duplicates)


# one status or several, comma separated: a stored status, or open | closed | overdue
ReportStatuses = Annotated[str | None, Query(json_schema_extra=csv_of(("open", "closed", "overdue", *STATUSES)))]


@router.get("/reports")
def inbox(db: DB, principal: LoggedIn, category: str | None = None, unit_code: str | None = None,
          agency: str | None = None, status: ReportStatuses = None, q: str | None = None, duplicates: bool = False,
          page: int = Query(1, ge=1), size: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    result = service.inbox(db, principal, _filters(category, unit_code, agency, status, q, duplicates),
                           Page(number=page, size=size))
    return {"total": result.total, "page": result.page, "size": result.size,
            "items": [report_public(r) | {"agency_code": r.agency_code, "status": r.status,
                                          "possible_duplicate_of": r.possible_duplicate_of.code
                                          if r.possible_duplicate_of else None} for r in result.items]}


@router.get("/reports/{code}")
def detail(code: str, db: DB, principal: LoggedIn) -> dict[str, Any]:
    report = service.get_by_code(db, code)
    if not (allowed(principal, "feedback.read_internal", report) or principal.can_read_all()):
        from dieuhanh.core.errors import PermissionDenied

        raise PermissionDenied("Phản ánh này không thuộc cơ quan của bạn.")
    return report_internal(db, report, principal)


@router.post("/reports/{code}/actions")
def act(code: str, body: ActionIn, request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    report = service.get_by_code(db, code)
    service.transition(db, report, body.action, principal=principal, note_public=body.note_public,
                       note_internal=body.note_internal, target_agency=body.agency, reason=body.reason,
                       settings=request.app.state.settings)
    return report_internal(db, report, principal)


@router.post("/reports/{code}/merge")
def merge(code: str, body: MergeIn, db: DB, principal: LoggedIn) -> dict[str, Any]:
    duplicate = service.get_by_code(db, code)
    main = service.get_by_code(db, body.main)
    service.merge(db, duplicate, main, principal)
    return report_internal(db, duplicate, principal)


@router.get("/overdue")
def overdue(db: DB, principal: LoggedIn) -> list[dict[str, Any]]:
    reports = service.overdue(db)
    if principal.has_role("officer"):
        reports = [r for r in reports if r.agency_code == principal.agency_code]
    elif not principal.has_role("admin", "leader", "analyst"):
        return []
    return [report_public(r) | {"agency_code": r.agency_code} for r in reports]


# ------------------------------------------------------------------------------------------------ public


@router.get("/public/reports")
def public_list(db: DB, category: str | None = None, unit_code: str | None = None, status: ReportStatuses = None,
                page: int = Query(1, ge=1), size: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    result = service.public_list(db, _filters(category, unit_code, None, status, None, False),
                                 Page(number=page, size=size))
    return {"total": result.total, "page": result.page, "size": result.size,
            "items": [report_public(r) for r in result.items]}


@router.post("/public/reports", status_code=201, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": ReportIn.model_json_schema()}}}})
async def public_submit(request: Request, db: DB) -> dict[str, Any]:
    """A report as JSON (no photos; the web form and Open311 take photos). Rate-limited per client address.

    The response carries, this once, the secret ``tracking_key`` and the citizen's ``tracking_url`` (with the key):
    rating and reopening need them; the server keeps only the key's hash."""
    from starlette.concurrency import run_in_threadpool

    await ratelimit.read_body_limited(request, 64 * 1024)
    ratelimit.limiter(request).check_ip(ratelimit.client_ip(request))
    data = ReportIn.model_validate_json(await request.body())

    def run() -> dict[str, Any]:
        key = service.new_owner_key()
        with service.serialized_writes(db):
            report = service.submit(db, data=data, photos=[], source="web", principal=ANONYMOUS,
                                    settings=request.app.state.settings, ip=ratelimit.client_ip(request),
                                    owner_key=key)
            db.commit()
        return report_public(report) | {"tracking_key": key,
                                        "tracking_url": links.tracking_url(request, report.code, key)}

    return await run_in_threadpool(run)


@router.get("/public/reports/{code}")
def track(code: str, db: DB) -> dict[str, Any]:
    return report_public(service.get_by_code(db, code))


@router.post("/public/reports/{code}/rating")
def rate(code: str, body: RateIn, db: DB) -> dict[str, Any]:
    """The citizen rates the answer: ``{satisfied, comment, key}``; 403 without the report's own key."""
    return report_public(service.rate(db, code, body.satisfied, key=body.key, comment=body.comment,
                                      principal=ANONYMOUS))


@router.post("/public/reports/{code}/reopen")
def reopen(code: str, body: ReopenIn, db: DB) -> dict[str, Any]:
    """The citizen reopens an answer rated unsatisfied: ``{reason, key}``; 403 without the report's own key."""
    return report_public(service.reopen(db, code, key=body.key, reason=body.reason, principal=ANONYMOUS))


@router.get("/public/photos/{photo_id}")
def photo(photo_id: int, request: Request, db: DB, thumb: bool = False) -> FileResponse:
    return views.photo_response(request, db, photo_id, thumb=thumb)
