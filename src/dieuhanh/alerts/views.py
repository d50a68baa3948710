"""Pages: /alerts (rules, instances by state, ack, directive form, in-app notifications) and /directives."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.alerts import directives as dsvc
from dieuhanh.alerts import service, triage
from dieuhanh.alerts import state as alert_state
from dieuhanh.alerts.api import source_label
from dieuhanh.alerts.models import Directive
from dieuhanh.alerts.schemas import RuleIn
from dieuhanh.core.cache import LRUCache
from dieuhanh.core.errors import DomainError
from dieuhanh.core.formatting import period_label as _period_label
from dieuhanh.core.formatting import today_local
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.indicators import service as indicator_service
from dieuhanh.indicators.models import IndicatorDefinition
from dieuhanh.indicators.schemas import DOMAINS
from dieuhanh.orgs import service as orgs_service
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)


def period_label(period: str | None) -> str:
    return _period_label(period, short=True)


def people_names(db: DB, actors: list[str | None]) -> dict[str, str]:
    """Audit-style actors ("user:lanhdao") to what people read (the user's full name)."""
    from dieuhanh.orgs.people import actor_names

    return actor_names(db, [a for a in actors if a])

STATE_ORDER = triage.STATE_ORDER
STATE_LABELS = {"Alerting": "Đang cảnh báo", "Pending": "Chờ xác nhận điều kiện", "Error": "Lỗi",
                "NoData": "Không có số liệu", "Normal": "Bình thường"}
STATE_COLOURS = {"Alerting": "#c62828", "Pending": "#ef6c00", "Error": "#6a1b9a", "NoData": "#616161",
                 "Normal": "#2e7d32"}
KIND_LABELS = {"threshold": "Ngưỡng", "change": "Biến động", "behind_target": "Chậm so với kế hoạch",
               "missing_data": "Thiếu dữ liệu", "anomaly": "Bất thường", "source": "Theo nguồn của lĩnh vực"}
SEVERITY_LABELS = triage.SEVERITY_LABELS
GROUPS_PER_PAGE = 20


def _page_number(text: str) -> int:
    try:
        return max(1, min(100_000, int(text)))
    except ValueError:
        return 1


def _state_key(text: str) -> str:
    return text.lower() if text.lower() in triage.STATE_FILTERS else "alerting"


_KEPT = LRUCache(64)


def _kept_triage(db: Session, principal: Principal, filters: triage.Filters, page: int) -> triage.Triage:
    """The page's triage, kept in memory until an alert, rule, silence or directive changes
    (``alerts.state.alerts_state``, one cheap query; names without a change marker: at most ``MAX_AGE`` s), as
    the overview keeps its alert part: the page triaged every instance through the ORM on each view (~60 % of its
    time). Checked for the caller first; kept per role, agency and what the caller may read."""
    authorize(principal, "officials.read")
    filters.check()
    key = ("alerts", today_local(), principal.kind, principal.role, principal.agency_code, principal.can_read_all(),
           filters.state, filters.domain, filters.severity, filters.agency, filters.unit, page)
    return alert_state.kept(db, _KEPT, key, lambda: triage.triage(
        db, principal=principal, filters=filters, group=True, page=page, page_size=GROUPS_PER_PAGE))


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, db: DB, principal: LoggedIn, state: str = "alerting", domain: str = "",
                severity: str = "", agency: str = "", unit: str = "", page: str = "1",
                error: str = "") -> HTMLResponse:
    """Triage: the alerts of one state grouped by rule (one row per rule, the units inside), filtered and paged;
    an officer's own agency or commune first."""
    state = _state_key(state)
    filters = triage.Filters(state=state, domain=domain or None, severity=severity or None, agency=agency or None,
                             unit=unit or None)
    try:
        result = _kept_triage(db, principal, filters, _page_number(page))
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        filters = triage.Filters(state=state)
        result = triage.triage(db, principal=principal, filters=filters, group=True, page_size=GROUPS_PER_PAGE)
        error = error or exc.message
    agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
    others = {k: v for k, v in (("domain", domain), ("severity", severity), ("agency", agency), ("unit", unit)) if v}
    query = urlencode({"state": state, **others})
    tab_urls = {key: "/alerts?" + urlencode({"state": key, **others}) for key in triage.STATE_FILTERS}
    province_code = request.app.state.settings.province_code
    communes = sorted(((c, n) for c, n in indicator_service.unit_names(province_code).items() if c != province_code),
                      key=lambda cn: cn[1])
    rules = service.list_rules(db, principal=principal)
    indicator_names = {str(c): str(n) for c, n in db.execute(select(IndicatorDefinition.code,
                                                                    IndicatorDefinition.name))}
    return render(request, "alerts/alerts.html", {
        "result": result, "state": state, "filters": filters, "query": query, "tab_urls": tab_urls,
        "STATE_ORDER": STATE_ORDER,
        "STATE_KEYS": {v: k for k, v in triage.STATE_FILTERS.items()}, "STATE_FILTERS": triage.STATE_FILTERS,
        "STATE_LABELS": STATE_LABELS, "STATE_COLOURS": STATE_COLOURS, "KIND_LABELS": KIND_LABELS,
        "SEVERITY_LABELS": SEVERITY_LABELS, "DOMAINS": DOMAINS, "communes": communes,
        "agency_names": {a.code: a.name for a in agencies}, "period_label": period_label,
        "rules": rules, "indicator_names": indicator_names, "source_label": source_label,
        "notifications": service.list_notifications(db, principal=principal, limit=20),
        "silences": service.list_silences(db, principal=principal, active_only=True),
        "can_ack": allowed(principal, "alert.ack"), "can_direct": allowed(principal, "directive.create"),
        "can_manage": allowed(principal, "alert.manage"),
        "indicators": db.scalars(select(IndicatorDefinition).order_by(IndicatorDefinition.name)).all(),
        "agencies": agencies, "error": error,
    })


@router.get("/alerts/{instance_id}", response_class=HTMLResponse)
def alert_page(request: Request, instance_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DB,
               principal: LoggedIn, error: str = "") -> HTMLResponse:
    """One alert: what it is about (names), its history in local time, acknowledgement, and a directive to the
    body responsible for its unit (preselected)."""
    authorize(principal, "officials.read")
    inst = service.get_instance(db, instance_id)
    row = triage.rows_for(db, [inst], principal=principal)[0]
    agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
    names = {a.code: a.name for a in agencies}
    return render(request, "alerts/alert.html", {
        "row": row, "inst": inst, "history": service.history(db, inst.id), "agencies": agencies,
        "agency_names": names, "STATE_LABELS": STATE_LABELS, "STATE_COLOURS": STATE_COLOURS,
        "KIND_LABELS": KIND_LABELS, "SEVERITY_LABELS": SEVERITY_LABELS, "DOMAINS": DOMAINS,
        "period_label": period_label, "people": people_names(db, [inst.acknowledged_by]),
        "directives": db.scalars(select(Directive).where(Directive.source_alert_id == inst.id)
                                 .order_by(Directive.id)).all(),
        "can_ack": allowed(principal, "alert.ack"), "can_direct": allowed(principal, "directive.create"),
        "default_deadline": dsvc.today_local() + timedelta(days=7), "error": error,
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
    if form.get("partial"):
        params["partial"] = True
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
def ack(instance_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DB, principal: LoggedIn,
        back: Annotated[str, Form()] = "") -> Response:
    service.acknowledge(db, principal=principal, instance_id=instance_id)
    target = f"/alerts/{instance_id}?acked=1" if back == "alert" else "/alerts?acked=1"
    return RedirectResponse(target, status_code=303)


@router.post("/alerts/{instance_id}/directive", response_model=None)
def directive_from_alert(request: Request, instance_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DB,
                         principal: LoggedIn, agency: Annotated[str, Form(max_length=40)],
                         deadline: Annotated[date, Form()],
                         instruction: Annotated[str, Form(max_length=10_000)]) -> Response:
    try:
        directive = dsvc.create_directive(db, principal=principal, agency_code=agency, deadline=deadline,
                                          instruction=instruction, source_alert_id=instance_id)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        db.rollback()
        return alert_page(request, instance_id, db, principal, error=exc.message)
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
    actors = [d.created_by for d in items] + [d.closed_by for d in items] + [u.by for d in items for u in d.updates]
    return render(request, "alerts/directives.html", {
        "directives": items, "today": today, "status": status, "agency": agency, "deadline_to": deadline_to,
        "agencies": agencies, "is_overdue": dsvc.is_overdue, "error": error,
        "agency_names": {a.code: a.name for a in agencies}, "people": people_names(db, actors),
        "can_update": {d.id: allowed(principal, "directive.update", d) for d in items},
        "can_create": allowed(principal, "directive.create"),
        "overdue_counts": dsvc.overdue_by_agency(db, today=today) if principal.can_read_all() else {},
    })


@router.get("/directives/{directive_id}", response_model=None)
def directive_page(directive_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DB, principal: LoggedIn) -> Response:
    """A directive in the list (links from the overview and alerts)."""
    directive = dsvc.get_directive(db, principal=principal, directive_id=directive_id)
    query = "status=done" if directive.status == "done" else ""
    return RedirectResponse(f"/directives?{query}#chi-dao-{directive.id}", status_code=303)


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
