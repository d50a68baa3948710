"""Pages of the operations room.

``/operations`` (the live room: full-screen map with layers, live feed over server-sent events, filters, timeline),
``/operations/incidents`` and ``/operations/incidents/{id}`` (steps, timeline, the actions as forms),
``/operations/events/new`` (an officer reports an event by hand), ``/operations/devices`` (cameras, sensors,
feeds), ``/operations/procedures`` (procedures as data; analysts edit them). Routes parse, call one service function
and render or redirect.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from dieuhanh.core.errors import DomainError
from dieuhanh.core.security import allowed, authorize
from dieuhanh.operations import catalogue, devices, incidents, notices, procedures, service
from dieuhanh.operations.models import (
    CHANNELS,
    INCIDENT_STATE_LABELS,
    NOTIFY_KINDS,
    OUTCOMES,
    SEVERITIES,
    SEVERITY_LABELS,
    Event,
    IncidentPhoto,
)
from dieuhanh.operations.schemas import EventIn, ProcedureIn
from dieuhanh.web.deps import DB, CurrentPrincipal, read_body_limited
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PAGE_SIZE = 30


def _province(request: Request) -> str:
    return str(request.app.state.settings.province_code)


def _agencies(db: Any) -> dict[str, str]:
    return service.agency_names(db)


@router.get("/operations", response_class=HTMLResponse)
def room(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    authorize(principal, "events.read")
    types = service.event_types(db)
    province = _province(request)
    config = {
        "types": [{"code": t.code, "name": t.name, "group": t.group, "color": t.color} for t in types.values()
                  if t.active],
        "groups": catalogue.GROUP_LABELS,
        "severities": [{"code": s, "name": SEVERITY_LABELS[s]} for s in SEVERITIES],
        "communes": sorted(({"code": c, "name": n} for c, n in service.commune_names(province).items()),
                           key=lambda x: x["name"]),
        "incident_types": catalogue.INCIDENT_TYPES,
        "type_incident": {t.code: t.incident_type for t in types.values()},
        "can_create_incident": allowed(principal, "incident.create"),
        "boundaries": "/api/v1/units/boundaries.geojson",
    }
    return render(request, "operations/room.html", {"config": config, "stats": service.stats_today(db)})


@router.get("/operations/incidents", response_class=HTMLResponse)
def incident_list(request: Request, db: DB, principal: CurrentPrincipal,
                  state: Annotated[str | None, Query(pattern=r"^(open|assigned|acknowledged|closed)?$")] = "open",
                  page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    rows, total = incidents.list_incidents(db, principal=principal, state=state or None, limit=PAGE_SIZE,
                                           offset=(page - 1) * PAGE_SIZE)
    province = _province(request)
    return render(request, "operations/incidents.html", {
        "items": [incidents.incident_out(db, i, province_code=province, brief=True) for i in rows], "total": total,
        "page": page, "page_size": PAGE_SIZE, "state": state or "", "states": INCIDENT_STATE_LABELS,
        "query": urlencode({"state": state or ""}), "notices": notices.inbox(db, principal, limit=10)})


def _incident_page(request: Request, db: Any, principal: Any, incident_id: int, *, error: str | None = None,
                   done: str | None = None, status_code: int = 200) -> HTMLResponse:
    inc = incidents.get(db, incident_id, principal=principal)
    province = _province(request)
    data = incidents.incident_out(db, inc, province_code=province)
    events = service.events_out(db, list(db.scalars(
        select(Event).where(Event.incident_id == inc.id).order_by(Event.id))), province_code=province)
    photos = list(db.scalars(select(IncidentPhoto).where(IncidentPhoto.incident_id == inc.id)
                             .order_by(IncidentPhoto.id)))
    current = inc.current_step
    return render(request, "operations/incident.html", {
        "inc": data, "events": events, "photos": photos, "agencies": _agencies(db), "outcomes": OUTCOMES,
        "error": error, "done": done, "action_labels": incidents.ACTION_LABELS,
        "can_handle": allowed(principal, "incident.handle", inc),
        "can_step": current is not None and incidents.can_do_step(principal, inc, current.position),
        "can_direct": allowed(principal, "incident.direct", inc),
        "escalation": incidents.escalation_target(db, inc)}, status_code=status_code)


@router.get("/operations/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(incident_id: Id, request: Request, db: DB, principal: CurrentPrincipal,
                  done: Annotated[str | None, Query(max_length=20, pattern=r"^[a-z_]*$")] = None) -> HTMLResponse:
    return _incident_page(request, db, principal, incident_id, done=done)


@router.post("/operations/incidents/{incident_id}/{action}", response_class=HTMLResponse)
async def incident_action(incident_id: Id, action: Annotated[str, Path(pattern=r"^(ack|assign|step|escalate|close|"
                                                                                r"note)$")],
                          request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    from starlette.concurrency import run_in_threadpool

    await read_body_limited(request, 52 * 1024 * 1024)
    form = await request.form()
    note = str(form.get("note") or "").strip()[:4000] or None
    photos = [await f.read() for f in form.getlist("photos")
              if not isinstance(f, str) and getattr(f, "filename", None)]
    province = _province(request)

    def run() -> Response:
        inc = incidents.get(db, incident_id, principal=principal)
        try:
            if action == "ack":
                incidents.acknowledge(db, inc, principal=principal, province_code=province, note=note)
            elif action == "assign":
                incidents.assign(db, inc, principal=principal, agency_code=str(form.get("agency_code") or ""),
                                 note=note, province_code=province)
            elif action == "step":
                position = int(str(form.get("position") or "0") or 0)
                incidents.complete_step(db, inc, position, principal=principal, note=note, province_code=province)
                if photos:
                    incidents.add_note(db, inc, principal=principal, note="", photos=photos,
                                       settings=request.app.state.settings, province_code=province)
            elif action == "escalate":
                incidents.escalate(db, inc, principal=principal, note=note, province_code=province)
            elif action == "close":
                incidents.close(db, inc, principal=principal, outcome=str(form.get("outcome") or "resolved"),
                                result=str(form.get("result") or ""), province_code=province)
            else:
                incidents.add_note(db, inc, principal=principal, note=note or "", photos=photos,
                                   settings=request.app.state.settings, province_code=province)
        except DomainError as exc:
            db.rollback()
            return _incident_page(request, db, principal, incident_id, error=exc.message,
                                  status_code=exc.status_code)
        db.commit()
        return RedirectResponse(f"/operations/incidents/{incident_id}?done={action}", status_code=303)

    return await run_in_threadpool(run)


# ------------------------------------------------------------------------------------------------ events by hand


@router.get("/operations/events/new", response_class=HTMLResponse)
def event_form(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    authorize(principal, "events.push", principal.agency_code)
    return _event_form(request, db, {}, {})


def _event_form(request: Request, db: Any, values: dict[str, Any], errors: dict[str, str],
                status_code: int = 200) -> HTMLResponse:
    province = _province(request)
    return render(request, "operations/event_form.html", {
        "types": [t for t in service.event_types(db).values() if t.active and t.group != "device"],
        "severities": SEVERITY_LABELS, "communes": sorted(service.commune_names(province).items(),
                                                          key=lambda x: x[1]),
        "values": values, "errors": errors}, status_code=status_code)


@router.post("/operations/events/new", response_class=HTMLResponse)
def event_submit(request: Request, db: DB, principal: CurrentPrincipal,
                 type: Annotated[str, Form(max_length=40)] = "",
                 severity: Annotated[str, Form(max_length=10)] = "",
                 title: Annotated[str, Form(max_length=255)] = "",
                 description: Annotated[str, Form(max_length=4000)] = "",
                 unit_code: Annotated[str, Form(max_length=10)] = "",
                 address: Annotated[str, Form(max_length=500)] = "",
                 lat: Annotated[str, Form(max_length=30)] = "", lon: Annotated[str, Form(max_length=30)] = "",
                 occurred_at: Annotated[str, Form(max_length=30)] = "") -> Response:
    import uuid

    from dieuhanh.core.db import utcnow

    values = {"type": type, "severity": severity, "title": title, "description": description,
              "unit_code": unit_code, "address": address, "lat": lat, "lon": lon, "occurred_at": occurred_at}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"source": "web", "source_event_id": f"web-{uuid.uuid4().hex[:16]}", "type": type,
                            "title": title or None, "description": description,
                            "occurred_at": occurred_at or service.iso_local(utcnow())}
    if severity:
        body["severity"] = severity
    for key in ("unit_code", "address"):
        if values[key].strip():
            body[key] = values[key].strip()
    for key in ("lat", "lon"):
        if values[key].strip():
            try:
                body[key] = float(values[key].replace(",", "."))
            except ValueError:
                errors[key] = "Phải là số (ví dụ 20,2539)."
    try:
        if occurred_at:
            datetime.fromisoformat(occurred_at)
        item = EventIn.model_validate(body)
    except (ValidationError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            for err in exc.errors():
                errors.setdefault(str(err["loc"][0]) if err.get("loc") else "form", str(err.get("msg")))
        else:
            errors["occurred_at"] = "Thời điểm không hợp lệ."
        return _event_form(request, db, values, errors, 422)
    if errors:
        return _event_form(request, db, values, errors, 422)
    try:
        result = service.push_events(db, principal=principal, items=[item], province_code=_province(request))
    except DomainError as exc:
        db.rollback()
        for field_error in exc.errors:
            errors.setdefault(field_error.field or "form", field_error.message)
        errors.setdefault("form", exc.message)
        return _event_form(request, db, values, errors, exc.status_code)
    return RedirectResponse(f"/operations?event={result.items[0]['id']}", status_code=303)


# ------------------------------------------------------------------------------------------------ registry pages


@router.get("/operations/devices", response_class=HTMLResponse)
def devices_page(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    names = service.commune_names(_province(request))
    agencies = _agencies(db)
    return render(request, "operations/devices.html", {
        "cameras": [devices.camera_out(c, names, agencies) for c in devices.list_cameras(db, principal=principal)],
        "sensors": [devices.sensor_out(s, names) for s in devices.list_sensors(db, principal=principal)],
        "feeds": devices.list_feeds(db, principal=principal), "agencies": agencies,
        "rules": procedures.list_notify_rules(db, principal=principal), "kinds": NOTIFY_KINDS,
        "channels": CHANNELS, "severities": SEVERITY_LABELS})


@router.get("/operations/procedures", response_class=HTMLResponse)
def procedures_page(request: Request, db: DB, principal: CurrentPrincipal,
                    saved: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    items = [procedures.procedure_out(db, p) for p in procedures.list_procedures(db, principal=principal)]
    return render(request, "operations/procedures.html", {
        "items": items, "can_manage": allowed(principal, "events.manage"), "agencies": _agencies(db),
        "incident_types": catalogue.INCIDENT_TYPES, "saved": saved, "error": None})


def _steps_from_text(text: str, agencies: dict[str, str]) -> list[dict[str, Any]]:
    """One step per line: «Tiêu đề | Mã cơ quan (trống: cơ quan được giao) | số phút»."""
    steps = []
    for number, line in enumerate((x for x in text.splitlines() if x.strip()), start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            raise ValueError(f"Dòng {number}: cần 3 phần «tiêu đề | mã cơ quan | số phút».")
        title, agency, minutes = parts
        if agency and agency not in agencies:
            raise ValueError(f"Dòng {number}: không có cơ quan mã «{agency}».")
        if not minutes.isdigit() or int(minutes) < 1:
            raise ValueError(f"Dòng {number}: thời hạn «{minutes}» phải là số phút nguyên dương.")
        steps.append({"title": title, "agency_code": agency or None, "time_limit_minutes": int(minutes)})
    return steps


@router.post("/operations/procedures", response_class=HTMLResponse)
def procedure_save(request: Request, db: DB, principal: CurrentPrincipal,
                   code: Annotated[str, Form(max_length=40)], incident_type: Annotated[str, Form(max_length=40)],
                   name: Annotated[str, Form(max_length=200)], steps: Annotated[str, Form(max_length=20_000)],
                   description: Annotated[str, Form(max_length=4000)] = "") -> Response:
    authorize(principal, "events.manage")
    agencies = _agencies(db)
    try:
        existing = procedures.get(db, code, principal=principal) if code else None
        escalation = existing.escalation if existing else []
        data = ProcedureIn.model_validate({"code": code, "incident_type": incident_type, "name": name,
                                           "description": description, "escalation": escalation,
                                           "steps": _steps_from_text(steps, agencies)})
        procedures.save(db, principal=principal, data=data)
    except (ValueError, ValidationError, DomainError) as exc:
        db.rollback()
        message = exc.message if isinstance(exc, DomainError) else (
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            if isinstance(exc, ValidationError) else str(exc))
        items = [procedures.procedure_out(db, p) for p in procedures.list_procedures(db, principal=principal)]
        return render(request, "operations/procedures.html", {
            "items": items, "can_manage": True, "agencies": agencies, "incident_types": catalogue.INCIDENT_TYPES,
            "saved": None, "error": message}, status_code=422)
    return RedirectResponse(f"/operations/procedures?saved={code}#{code}", status_code=303)
