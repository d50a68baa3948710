"""Pages: /alerts (rules, instances by state, ack, directive form, in-app notifications) and /directives."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from dieuhanh.alerts import directives as dsvc
from dieuhanh.alerts import service
from dieuhanh.alerts.api import instance_dicts
from dieuhanh.alerts.schemas import RuleIn
from dieuhanh.core.errors import DomainError
from dieuhanh.core.security import allowed, authorize
from dieuhanh.indicators.models import IndicatorDefinition
from dieuhanh.orgs import service as orgs_service
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

STATE_ORDER = ("Alerting", "Pending", "Error", "NoData", "Normal")
STATE_LABELS = {"Alerting": "Đang cảnh báo", "Pending": "Chờ xác nhận điều kiện", "Error": "Lỗi",
                "NoData": "Không có số liệu", "Normal": "Bình thường"}
STATE_COLOURS = {"Alerting": "#c62828", "Pending": "#ef6c00", "Error": "#6a1b9a", "NoData": "#616161",
                 "Normal": "#2e7d32"}
KIND_LABELS = {"threshold": "Ngưỡng", "change": "Biến động", "behind_target": "Chậm so với kế hoạch",
               "missing_data": "Thiếu dữ liệu", "anomaly": "Bất thường"}
SEVERITY_LABELS = {"info": "Thông tin", "warning": "Cảnh báo", "critical": "Nghiêm trọng"}


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, db: DB, principal: LoggedIn, error: str = "") -> HTMLResponse:
    instances = service.list_instances(db, principal=principal)
    items = instance_dicts(db, instances)
    by_state = {s: [i for i in items if i["state"] == s] for s in STATE_ORDER}
    agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
    return render(request, "alerts/alerts.html", {
        "rules": service.list_rules(db, principal=principal), "by_state": by_state, "STATE_ORDER": STATE_ORDER,
        "STATE_LABELS": STATE_LABELS, "STATE_COLOURS": STATE_COLOURS, "KIND_LABELS": KIND_LABELS,
        "SEVERITY_LABELS": SEVERITY_LABELS,
        "notifications": service.list_notifications(db, principal=principal),
        "silences": service.list_silences(db, principal=principal, active_only=True),
        "can_ack": allowed(principal, "alert.ack"), "can_direct": allowed(principal, "directive.create"),
        "can_manage": allowed(principal, "alert.manage"),
        "indicators": db.scalars(select(IndicatorDefinition).order_by(IndicatorDefinition.name)).all(),
        "agencies": agencies, "error": error,
    })


def _number(text: str | None, label: str) -> float:
    """Numbers typed the Vietnamese way (1.234,5) or with a decimal point."""
    from dieuhanh.ingest.values import parse_number

    value = None
    for decimal in (",", "."):
        try:
            value = parse_number(text or "", decimal)
            break
        except ValueError:
            continue
    if value is None:
        raise ValueError(f"{label}: cần một số.")
    return value


def rule_from_form(form: dict[str, str]) -> RuleIn:
    """The rule form's fields -> RuleIn, with the parameters each rule type reads."""
    kind = form.get("kind", "")
    params: dict[str, object] = {}
    if kind in ("threshold", "change"):
        params = {"op": form.get("op") or ">", "value": _number(form.get("value"), "Giá trị")}
    if kind == "change":
        params |= {"compare": form.get("compare") or "previous", "mode": "percent"}
    if kind == "behind_target":
        params = {"tolerance": _number(form.get("tolerance") or "0", "Dung sai")}
    channels: list[dict[str, object]] = []
    if form.get("webhook"):
        channels.append({"type": "webhook", "url": form["webhook"].strip()})
    if form.get("email"):
        channels.append({"type": "email", "to": [e.strip() for e in form["email"].split(",") if e.strip()]})
    return RuleIn(name=form.get("name", ""), indicator_code=form.get("indicator_code", ""),
                  level=form.get("level") or "province", kind=kind, params=params,
                  severity=form.get("severity") or "warning", pending_for=int(form.get("pending_for") or 0),
                  channels=channels)


@router.post("/alerts/rules", response_model=None)
async def create_rule(request: Request, db: DB, principal: LoggedIn) -> Response:
    authorize(principal, "alert.manage")  # before reading the form: an officer gets 403, not a form error
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        service.create_rule(db, principal=principal, rule_in=rule_from_form(form))
    except ValidationError as exc:
        message = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())
        return RedirectResponse(f"/alerts?error={quote(message)}", status_code=303)
    except (DomainError, ValueError) as exc:
        if isinstance(exc, DomainError) and exc.status_code in (401, 403):
            raise
        return RedirectResponse(f"/alerts?error={quote(getattr(exc, 'message', str(exc)))}", status_code=303)
    return RedirectResponse("/alerts?created=1", status_code=303)


@router.post("/alerts/{instance_id}/ack")
def ack(instance_id: int, db: DB, principal: LoggedIn) -> Response:
    service.acknowledge(db, principal=principal, instance_id=instance_id)
    return RedirectResponse("/alerts?acked=1", status_code=303)


@router.post("/alerts/{instance_id}/directive", response_model=None)
def directive_from_alert(request: Request, instance_id: int, db: DB, principal: LoggedIn,
                         agency: Annotated[str, Form()], deadline: Annotated[date, Form()],
                         instruction: Annotated[str, Form()]) -> Response:
    try:
        directive = dsvc.create_directive(db, principal=principal, agency_code=agency, deadline=deadline,
                                          instruction=instruction, source_alert_id=instance_id)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        db.rollback()
        return alerts_page(request, db, principal, error=exc.message)
    return RedirectResponse(f"/directives?created={directive.id}", status_code=303)


@router.get("/directives", response_class=HTMLResponse)
def directives_page(request: Request, db: DB, principal: LoggedIn, status: str = "", agency: str = "",
                    deadline_to: str = "", error: str = "") -> HTMLResponse:
    today = dsvc.today_local()
    try:
        until = date.fromisoformat(deadline_to) if deadline_to else None
    except ValueError:
        until = None
    items = dsvc.list_directives(db, principal=principal, status=status or None, agency=agency or None,
                                 deadline_to=until, today=today)
    agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
    return render(request, "alerts/directives.html", {
        "directives": items, "today": today, "status": status, "agency": agency, "deadline_to": deadline_to,
        "agencies": agencies, "is_overdue": dsvc.is_overdue, "error": error,
        "can_update": {d.id: allowed(principal, "directive.update", d) for d in items},
        "can_create": allowed(principal, "directive.create"),
        "overdue_counts": dsvc.overdue_by_agency(db, today=today) if principal.can_read_all() else {},
    })


@router.post("/directives/new", response_model=None)
def new_directive(request: Request, db: DB, principal: LoggedIn, agency: Annotated[str, Form()],
                  deadline: Annotated[date, Form()], instruction: Annotated[str, Form()],
                  title: Annotated[str, Form()] = "", source_ref: Annotated[str, Form()] = "") -> Response:
    try:
        dsvc.create_directive(db, principal=principal, agency_code=agency, deadline=deadline,
                              instruction=instruction, title=title or None, source_ref=source_ref or None)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        db.rollback()
        return directives_page(request, db, principal, error=exc.message)
    return RedirectResponse("/directives", status_code=303)


@router.post("/directives/{directive_id}/updates", response_model=None)
def post_update(request: Request, directive_id: int, db: DB, principal: LoggedIn, text: Annotated[str, Form()],
                percent: Annotated[int | None, Form()] = None) -> Response:
    try:
        dsvc.add_update(db, principal=principal, directive_id=directive_id, text=text, percent=percent)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        db.rollback()
        return directives_page(request, db, principal, error=exc.message)
    return RedirectResponse("/directives", status_code=303)


@router.post("/directives/{directive_id}/close", response_model=None)
def post_close(request: Request, directive_id: int, db: DB, principal: LoggedIn,
               result: Annotated[str, Form()]) -> Response:
    try:
        dsvc.close_directive(db, principal=principal, directive_id=directive_id, result=result)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        db.rollback()
        return directives_page(request, db, principal, error=exc.message)
    return RedirectResponse("/directives", status_code=303)
