"""Pages: /reports (an officer's reports to submit; the overview, late list and definitions for the office)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dieuhanh.core.errors import DomainError, InvalidInput
from dieuhanh.core.formatting import period_label
from dieuhanh.core.periods import KIND_LABELS
from dieuhanh.core.periods import parse as parse_period
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.orgs import service as orgs_service
from dieuhanh.reporting import periods, service
from dieuhanh.reporting.models import ReportType
from dieuhanh.reporting.schemas import FIELD_TYPES, AssignmentIn, ReportTypeIn
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)
STATE_CLASSES = {"on_time": "badge-ok", "late": "badge-warn", "missing": "badge-bad", "pending": ""}
STATE_COLOURS = {"on_time": "#e8f5e9", "late": "#fff3e0", "missing": "#fdecea", "pending": "#f5f5f5"}


def _default_month(today: date) -> str:
    return periods.latest_ended("month", today)


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()))
        parts.append(f"{loc}: {str(e.get('msg', '')).removeprefix('Value error, ')}" if loc else str(e.get("msg")))
    return "; ".join(parts)


def _agency_items(db: Any, principal: Principal, today: date) -> list[dict[str, Any]]:
    """For an officer: each assigned report type, the periods to submit (open and recent) with their state."""
    if not principal.agency_code:
        return []
    types = [t for t in service.list_types(db, principal=principal)
             if service.assignment_for(t, principal.agency_code) is not None]
    out = []
    all_obs = service.obligations(db, agency_code=principal.agency_code, types=types,
                                  until=today + timedelta(days=62))
    for rt in types:
        own = sorted([o for o in all_obs if o.report_type.id == rt.id  # periods already begun
                      and parse_period(o.period).start <= today],
                     key=lambda o: o.due_date, reverse=True)
        # Everything still owed (the latest 12) and the three latest submitted, newest first.
        open_ = [o for o in own if o.first is None][:12]
        done = [o for o in own if o.first is not None][:3]
        obs = sorted(open_ + done, key=lambda o: o.due_date, reverse=True)
        out.append({"type": rt, "obligations": obs,
                    "periods": [o.period for o in obs] or [periods.latest_ended(rt.periodicity, today)]})
    return out


def _page(request: Request, db: Any, principal: Principal, *, status_code: int = 200,
          **extra: Any) -> HTMLResponse:
    authorize(principal, "report.read")
    today = service.today_local()
    period = request.query_params.get("period") or _default_month(today)
    try:
        parse_period(period)
    except InvalidInput:
        period = _default_month(today)
    can_all = allowed(principal, "report.read_all")
    can_manage = allowed(principal, "report.manage")
    ctx: dict[str, Any] = {
        "period": period, "period_label": period_label(period), "today": today,
        "can_all": can_all, "can_manage": can_manage, "STATE_CLASSES": STATE_CLASSES,
        "STATE_COLOURS": STATE_COLOURS, "STATE_LABELS": service.STATE_LABELS, "FIELD_TYPES": FIELD_TYPES,
        "PERIODICITY_LABELS": KIND_LABELS, "STATUS_LABELS": service.STATUS_LABELS,
        "mine": _agency_items(db, principal, today),
        "submissions": service.list_submissions(db, principal=principal, limit=30),
        "late": [{**r, "due": date.fromisoformat(r["due_date"])}
                 for r in service.late_list(db, principal=principal, period=period, today=today)],
        "upload_errors": [], "upload_code": None, "error": request.query_params.get("error", ""),
    }
    if can_all:
        ctx["overview"] = service.overview(db, principal=principal, period=period, today=today)
    if can_manage or can_all:
        ctx["types"] = service.list_types(db, principal=principal)
        agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
        ctx["agencies"] = [a for a in agencies if a.kind != "commune"] + [a for a in agencies if a.kind == "commune"]
    edit = request.query_params.get("edit")
    ctx["edit_type"] = None
    ctx["edit_yaml"] = ""
    if can_manage and edit:
        rt = service.get_type(db, edit)
        ctx["edit_type"] = rt
        ctx["edit_yaml"] = yaml.safe_dump(rt.fields, allow_unicode=True, sort_keys=False)
    ctx.update(extra)
    return render(request, "reporting/reports.html", ctx, status_code=status_code)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, db: DB, principal: LoggedIn) -> HTMLResponse:
    return _page(request, db, principal)


@router.post("/reports/{code}/upload", response_model=None)
async def upload(code: str, request: Request, db: DB, principal: LoggedIn) -> Response:
    settings = request.app.state.settings
    max_bytes = settings.max_upload_mb * 1024 * 1024
    form = await request.form(max_part_size=max_bytes + 1)
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return _page(request, db, principal, status_code=422, upload_code=code,
                     upload_errors=[{"cell": None, "message": "Chọn tệp Excel đã điền để nộp."}])
    data = await upload_file.read(max_bytes + 1)
    result = await run_in_threadpool(
        service.submit_file, db, request.app.state.warehouse, principal=principal, code=code, data=data,
        filename=upload_file.filename, agency_code=str(form.get("agency") or "") or None,
        period=str(form.get("period") or "") or None, province_code=settings.province_code, max_bytes=max_bytes)
    if not result.accepted:
        return _page(request, db, principal, status_code=422, upload_code=code,
                     upload_errors=[e.as_dict() for e in result.errors])
    return RedirectResponse(f"/reports?submitted={result.submission.id}", status_code=303)


GRID_ROWS = 10  # empty rows of a new table-layout web form (enough without JavaScript)
GRID_ADD = 5  # rows added by «Thêm dòng» without JavaScript
GRID_MAX = 500  # longer tables go by Excel file


def _form_ctx(db: Any, principal: Principal, rt: ReportType, agency: str | None, period: str) -> dict[str, Any]:
    units = service.unit_choices(db) if any(f.get("type") == "unit" for f in rt.fields) else []
    return {"rt": rt, "agency": agency or principal.agency_code or "", "period": period,
            "period_label": period_label(period), "values": {}, "errors": {}, "general_errors": [],
            "rows": [], "grid_errors": {}, "previous": None, "FIELD_TYPES": FIELD_TYPES, "grid_max": GRID_MAX,
            "units": units, "unit_codes": {code for code, _ in units},
            "agencies": orgs_service.list_agencies(db, page_size=10_000)[0] if principal.has_role("admin") else [],
            "due_date": service.due_for(rt, service.assignment_for(rt, agency or principal.agency_code or ""),
                                        period)}


def _grid(rows: list[dict[str, str]], at_least: int = GRID_ROWS) -> list[dict[str, str]]:
    """The rows as entered up to the last filled one, then empty rows up to ``at_least``."""
    while rows and all(not v.strip() for v in rows[-1].values()):
        rows = rows[:-1]
    return rows + [{} for _ in range(max(0, min(at_least, GRID_MAX) - len(rows)))]


def _grid_rows(rt: ReportType, form: Any) -> list[dict[str, str]]:
    """The grid's inputs (``c.<field>`` once per row, in order) as one dict per row."""
    columns = {f["name"]: [str(v) for v in form.getlist(f"c.{f['name']}")] for f in rt.fields}
    count = min(max((len(v) for v in columns.values()), default=0), GRID_MAX)
    return [{name: (values[i] if i < len(values) else "") for name, values in columns.items()} for i in range(count)]


@router.get("/reports/{code}/form", response_class=HTMLResponse)
def web_form(code: str, request: Request, db: DB, principal: LoggedIn, period: str | None = None,
             agency: str | None = None) -> HTMLResponse:
    rt = service.get_type(db, code)
    target = agency or principal.agency_code
    authorize(principal, "report.submit", target)
    period = periods.chosen(period, rt.periodicity, service.today_local())
    ctx = _form_ctx(db, principal, rt, target, period)
    entries: list[dict[str, str]] = []
    if target:  # prefilled with the figures already accepted for the period, to correct and resubmit
        ctx["previous"], entries = service.submitted_entries(db, request.app.state.warehouse, principal=principal,
                                                             code=code, agency_code=target, period=period)
    if rt.layout == "form":
        ctx["values"] = entries[0] if entries else {}
    else:
        ctx["rows"] = _grid(entries, at_least=max(GRID_ROWS, len(entries) + 1))
    return render(request, "reporting/form.html", ctx)


@router.post("/reports/{code}/form", response_model=None)
async def web_form_submit(code: str, request: Request, db: DB, principal: LoggedIn) -> Response:
    settings = request.app.state.settings
    raw = await request.form()
    form = {k: str(v) for k, v in raw.items()}
    rt = service.get_type(db, code)
    agency = form.get("agency") or None
    period = form.get("period", "")
    rows = _grid_rows(rt, raw) if rt.layout == "table" else None
    try:
        chosen = periods.chosen(period, rt.periodicity, service.today_local())
    except InvalidInput:
        chosen = periods.latest_ended(rt.periodicity, service.today_local())
    if rows is not None and form.get("action") == "add_rows":  # «Thêm dòng» without JavaScript
        authorize(principal, "report.submit", agency or principal.agency_code)
        ctx = _form_ctx(db, principal, rt, agency, chosen)
        ctx["rows"] = _grid(rows)
        ctx["rows"] += [{} for _ in range(min(GRID_ADD, GRID_MAX - len(ctx["rows"])))]
        return render(request, "reporting/form.html", ctx)
    result = await run_in_threadpool(
        service.submit_values, db, request.app.state.warehouse, principal=principal, code=code,
        values=form if rows is None else None, rows=rows, agency_code=agency, period=period,
        province_code=settings.province_code, max_bytes=settings.max_upload_mb * 1024 * 1024)
    if result.accepted:
        return RedirectResponse(f"/reports?submitted={result.submission.id}", status_code=303)
    ctx = _form_ctx(db, principal, rt, agency, chosen)
    if rows is None:
        ctx["values"] = form
        ctx["errors"] = {e.field: e.message for e in result.errors if e.field}
        ctx["general_errors"] = [e.message for e in result.errors if not e.field or e.field in ("agency", "period")]
    else:  # each cell's error under it (and all of them listed above the grid, in order)
        ctx["rows"] = _grid(rows, at_least=len(rows))
        for e in result.errors:
            if e.row is not None and e.field:
                ctx["grid_errors"].setdefault(e.row, {}).setdefault(e.field, e.message)
        ctx["general_errors"] = [e.message for e in result.errors]
    return render(request, "reporting/form.html", ctx, status_code=422)


@router.post("/reports/types", response_model=None)
async def save_type(request: Request, db: DB, principal: LoggedIn) -> Response:
    authorize(principal, "report.manage")
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        fields = yaml.safe_load(form.get("fields") or "") or []
        data = ReportTypeIn.model_validate({
            "code": form.get("code", "").strip(), "title": form.get("title", "").strip(),
            "description": form.get("description", ""), "periodicity": form.get("periodicity") or "month",
            "due_day": int(form.get("due_day") or 5), "dataset": form.get("dataset", "").strip(),
            "dataset_owner": form.get("dataset_owner") or "VPUBND", "fields": fields})
        service.save_type(db, principal=principal, data=data)
    except ValidationError as exc:
        return RedirectResponse(f"/reports?error={quote(_validation_message(exc))}#types", status_code=303)
    except (yaml.YAMLError, ValueError) as exc:
        return RedirectResponse(f"/reports?error={quote('Danh sách trường không hợp lệ: ' + str(exc)[:300])}#types",
                                status_code=303)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return RedirectResponse(f"/reports?error={quote(exc.message)}#types", status_code=303)
    return RedirectResponse("/reports?saved=1#types", status_code=303)


@router.post("/reports/{code}/assignments", response_model=None)
async def save_assignment(code: str, request: Request, db: DB, principal: LoggedIn) -> Response:
    authorize(principal, "report.manage")
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        if form.get("action") == "end":
            service.unassign(db, principal=principal, code=code, agency_code=form.get("agency_code", ""))
        else:
            service.assign(db, principal=principal, code=code, data=AssignmentIn(
                agency_code=form.get("agency_code", ""), from_period=form.get("from_period") or None,
                due_day=int(form["due_day"]) if form.get("due_day") else None))
    except ValidationError as exc:
        return RedirectResponse(f"/reports?error={quote(_validation_message(exc))}#types", status_code=303)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return RedirectResponse(f"/reports?error={quote(exc.message)}#types", status_code=303)
    return RedirectResponse("/reports?saved=1#types", status_code=303)
