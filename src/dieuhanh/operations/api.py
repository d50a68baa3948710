"""JSON API of the operations room (thin: the rules are in service.py, incidents.py, devices.py, cap.py).

Events: ``POST /api/v1/events`` (one or a list ≤ 1.000, all or nothing, idempotent), ``POST /api/v1/events/cap``,
``POST /api/v1/events/webhooks/{slug}`` (a vendor's own payload through a feed's mapping), ``GET /api/v1/events``
(filters, pages), ``GET /api/v1/events/stream`` (server-sent events). Incidents under ``/api/v1/incidents``,
procedures under ``/api/v1/procedures-sop``, cameras under ``/api/v1/cameras``, sensors, feeds and notification
subscriptions beside them.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import FieldError, InvalidInput, NotFound
from dieuhanh.core.security import Principal, authorize
from dieuhanh.feedback.service import serialized_writes
from dieuhanh.operations import cap, catalogue, devices, incidents, live, media, notices, procedures, service
from dieuhanh.operations.models import (
    SEVERITIES,
    SEVERITY_LABELS,
    Camera,
    EventFeed,
    Incident,
    IncidentPhoto,
    NotifyRule,
    Sensor,
)
from dieuhanh.operations.schemas import (
    AssignIn,
    CameraIn,
    CloseIn,
    EventIn,
    FeedIn,
    HeartbeatIn,
    IncidentIn,
    NoteIn,
    NotifyRuleIn,
    ProcedureIn,
    SensorIn,
)
from dieuhanh.web.deps import DB, CurrentPrincipal, read_body_limited
from dieuhanh.web.params import csv_of, documented, json_body

router = APIRouter(prefix="/api/v1", tags=["phòng điều hành"])

MAX_BODY_BYTES = 4 * 1024 * 1024  # 1.000 events of a few KB each
WEBHOOK_MAX_BYTES = 1024 * 1024
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
ShortText = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
IsoTime = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$",
                                      json_schema_extra=documented(format="date-time"))]
Severities = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$",
                                         json_schema_extra=csv_of(SEVERITIES))]


def _province(request: Request) -> str:
    return str(request.app.state.settings.province_code)


async def _json_body(request: Request, limit: int) -> Any:
    body = await read_body_limited(request, limit)
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (dòng {exc.lineno}, cột {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidInput(f"Nội dung gửi lên không phải JSON hợp lệ{where}.",
                           errors=[FieldError("JSON không hợp lệ.", field="body")]) from exc


def _push_answer(result: service.PushResult) -> JSONResponse:
    return JSONResponse({"created": result.created, "duplicates": result.duplicates, "items": result.items},
                        status_code=201 if result.created else 200)


# ------------------------------------------------------------------------------------------------ events


@router.get("/events/types")
def event_types(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """The event types the room accepts (``type`` of ``POST /api/v1/events``)."""
    authorize(principal, "events.read")
    return [{"code": t.code, "name": t.name, "group": t.group, "group_name": catalogue.GROUP_LABELS.get(t.group),
             "default_severity": t.default_severity, "incident_type": t.incident_type, "color": t.color}
            for t in service.event_types(db).values() if t.active]


_EVENT_SCHEMA = EventIn.model_json_schema()


@router.post("/events", status_code=201, openapi_extra={"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"oneOf": [_EVENT_SCHEMA, {"type": "array", "minItems": 1, "maxItems": 1000,
                                                              "items": _EVENT_SCHEMA}]}}}}})
async def push(request: Request, db: DB, principal: CurrentPrincipal) -> JSONResponse:
    """One event or a list of at most 1.000 (token scope ``events``; a token bound to an agency reports for it).
    All or nothing: 422 with ``errors[].index`` and ``field`` for each problem, and nothing stored. Idempotent on
    ``(source, source_event_id)``: an event already stored answers ``status: duplicate`` with its id."""
    authorize(principal, "events.push", principal.agency_code)
    items, errors = service.parse_items(await _json_body(request, MAX_BODY_BYTES))
    province = _province(request)

    def run() -> service.PushResult:
        with serialized_writes(db):
            result = service.push_events(db, principal=principal, items=items, province_code=province,
                                         errors=errors)
            db.commit()
        return result

    return _push_answer(await run_in_threadpool(run))


@router.post("/events/cap", openapi_extra={"requestBody": {"required": True, "content": {
    "application/xml": {"schema": {"type": "string", "description": "CAP 1.2 <alert>"}}}}})
async def push_cap(request: Request, db: DB, principal: CurrentPrincipal) -> JSONResponse:
    """A CAP 1.2 ``<alert>`` (weather service, disaster management): Alert → events; Update/Cancel → the events of
    the messages in ``<references>`` are updated/cancelled. 422 with the element at fault; nothing stored."""
    authorize(principal, "events.push", principal.agency_code)
    body = await read_body_limited(request, cap.MAX_BYTES)
    province = _province(request)

    def run() -> cap.CapResult:
        with serialized_writes(db):
            result = cap.receive(db, body, principal=principal, province_code=province)
            db.commit()
        return result

    r = await run_in_threadpool(run)
    return JSONResponse({"identifier": r.identifier, "sender": r.sender, "status": r.status, "msgType": r.msg_type,
                         "stored": r.stored, "created": r.created, "duplicates": r.duplicates, "updated": r.updated,
                         "cancelled": r.cancelled, "event_ids": r.event_ids, "note": r.note},
                        status_code=201 if r.created else 200)


@router.post("/events/webhooks/{slug}", openapi_extra=json_body(
    {"anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}))
async def push_webhook(slug: Annotated[str, Path(max_length=60, pattern=r"^[a-z0-9][a-z0-9\-]*$")],
                       request: Request, db: DB, principal: CurrentPrincipal) -> JSONResponse:
    """A camera vendor's (or any system's) own JSON — an object or a list — mapped to events by the feed ``slug``
    (its field paths, type and severity maps). Token scope ``events``. All or nothing, like ``POST /events``."""
    authorize(principal, "events.push", principal.agency_code)
    raw = await read_body_limited(request, WEBHOOK_MAX_BYTES)
    data = await _json_body(request, WEBHOOK_MAX_BYTES)
    messages = data if isinstance(data, list) else [data]
    if not messages or len(messages) > service.MAX_EVENTS_PER_REQUEST or not all(isinstance(m, dict)
                                                                                for m in messages):
        raise InvalidInput("Nội dung phải là một đối tượng JSON hoặc danh sách (tối đa 1.000) đối tượng.",
                           errors=[FieldError("Không hợp lệ.", field="body")])
    province = _province(request)

    def run() -> service.PushResult:
        feed = devices.get_feed(db, slug)
        if feed.kind != "webhook":
            raise NotFound(f"Nguồn «{slug}» là nguồn MQTT, không nhận webhook.")
        authorize(principal, "events.push", feed.owner_agency)
        with serialized_writes(db):
            result, _refused = devices.apply_feed(
                db, feed, [(m, {}, raw if len(messages) == 1 else json.dumps(m, sort_keys=True).encode())
                           for m in messages], province_code=province)
            db.commit()
        return result

    return _push_answer(await run_in_threadpool(run))


def _csv(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return service.to_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError as exc:
        raise InvalidInput(f"{name} phải là thời điểm ISO 8601 (ví dụ 2026-12-07T08:00:00+07:00).",
                           errors=[FieldError("Không phải thời điểm.", field=name)]) from exc


def filters_from(since: str | None, until: str | None, type_: str | None, severity: str | None, unit: str | None,
                 bbox: str | None, status: str | None = None, hours: int | None = None) -> service.EventFilters:
    start = _time(since, "since")
    if start is None and hours:
        start = utcnow() - timedelta(hours=hours)
    return service.EventFilters(since=start, until=_time(until, "until"), types=_csv(type_),
                                severities=_csv(severity), unit_code=unit or None, bbox=service.parse_bbox(bbox),
                                status=status or None)


@router.get("/events")
def list_events(request: Request, db: DB, principal: CurrentPrincipal, since: IsoTime = None,
                until: IsoTime = None, type: ShortText = None, severity: Severities = None,
                unit: Annotated[str | None, Query(max_length=10, pattern=r"^[0-9]*$")] = None,
                bbox: ShortText = None,
                status: Annotated[str | None, Query(pattern=r"^(active|cancelled|closed)?$")] = None,
                page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                page_size: Annotated[int, Query(ge=1, le=500)] = 100) -> dict[str, Any]:
    """Events, newest first. ``type``/``severity``: one or several (comma separated); ``unit``: a commune code;
    ``bbox``: west,south,east,north; ``since``/``until``: ISO 8601."""
    flt = filters_from(since, until, type, severity, unit, bbox, status)
    rows, total = service.list_events(db, principal=principal, filters=flt, limit=page_size,
                                      offset=(page - 1) * page_size)
    return {"total": total, "page": page, "page_size": page_size,
            "items": service.events_out(db, rows, province_code=_province(request))}


@router.get("/events/timeline")
def event_timeline(db: DB, principal: CurrentPrincipal, since: IsoTime = None, until: IsoTime = None,
                   type: ShortText = None, severity: Severities = None,
                   unit: Annotated[str | None, Query(max_length=10, pattern=r"^[0-9]*$")] = None,
                   hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
                   buckets: Annotated[int, Query(ge=4, le=96)] = 24) -> dict[str, Any]:
    """Events per time slice and severity (the room's timeline)."""
    authorize(principal, "events.read")
    flt = filters_from(since, until, type, severity, unit, None, hours=hours)
    service.check_filters(db, flt)
    return service.timeline(db, filters=flt, buckets=buckets)


async def _poll(broadcaster: live.Broadcaster, database: Any, province: str) -> None:
    """Publishes what other processes wrote (see live.py) while this process has streams open."""
    from sqlalchemy import func

    from dieuhanh.operations.models import Event

    def start() -> tuple[int, datetime]:
        with database.session() as s:
            return (s.scalar(select(func.max(Event.id))) or 0,
                    s.scalar(select(func.max(Incident.updated_at))) or utcnow())

    def look(after_id: int, since: datetime) -> tuple[int, datetime]:
        with database.session() as s:
            items = [i for i in service.events_out(s, service.events_after(s, after_id), province_code=province)
                     if not broadcaster.seen(live.event_key(i["id"], i["updated"]))]
            if items:
                broadcaster.publish(live.Message("events", live.dumps({"items": items}), max(i["id"] for i in items),
                                                 tuple(live.event_key(i["id"], i["updated"]) for i in items)))
            top = s.scalar(select(func.max(Event.id))) or after_id
            changed = list(s.scalars(select(Incident).where(Incident.updated_at > since).limit(100)))
            for inc in changed:
                key = live.incident_key(inc.id, inc.updated_at)
                if not broadcaster.seen(key):
                    broadcaster.publish(live.Message("incident", live.dumps(
                        incidents.incident_out(s, inc, province_code=province, brief=True)), keys=(key,)))
            latest = max([since, *(i.updated_at for i in changed)])
            return max(top, after_id), latest

    try:
        after_id, since = await run_in_threadpool(start)
        while broadcaster.count:
            await asyncio.sleep(live.POLL_SECONDS)
            try:
                after_id, since = await run_in_threadpool(look, after_id, since)
            except Exception:  # noqa: BLE001  (a database hiccup: try again next second)
                continue
    finally:
        broadcaster.poller = None


# Not in the OpenAPI document: a stream never ends, which generic API clients and fuzzers cannot handle; it is
# documented in docs/api.md.
@router.get("/events/stream", response_class=Response, include_in_schema=False)
async def stream(request: Request, principal: CurrentPrincipal,
                 after: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None) -> Response:
    """Server-sent events: ``events`` (new events), ``event_update`` (cancelled, closed, linked, updated),
    ``incident`` (an incident changed). Each ``events`` message has ``id:`` = its highest event id; a reconnecting
    client (``Last-Event-ID``, or ``?after=``) first gets what it missed (at most 500 events)."""
    from sse_starlette.sse import EventSourceResponse

    authorize(principal, "events.read")
    database = request.app.state.db
    province = _province(request)
    broadcaster = live.broadcaster_for(str(database.engine.url))
    header = request.headers.get("last-event-id", "")
    resume = int(header) if header.isdigit() and len(header) < 11 else after
    sub = broadcaster.subscribe()
    if broadcaster.poller is None:
        broadcaster.poller = asyncio.create_task(_poll(broadcaster, database, province))

    def missed(after_id: int) -> dict[str, Any] | None:
        with database.session() as s:
            rows = service.events_after(s, after_id)
            return {"items": service.events_out(s, rows, province_code=province)} if rows else None

    async def messages() -> Any:
        try:
            yield {"event": "hello", "data": live.dumps({"at": utcnow().isoformat() + "Z"}), "retry": 2000}
            if resume is not None:
                back = await run_in_threadpool(missed, resume)
                if back:
                    yield {"event": "events", "data": live.dumps(back), "id": str(back["items"][-1]["id"])}
            while True:
                message = await sub.queue.get()
                if sub.overflowed or message is None:
                    yield {"event": "reload", "data": "{}"}
                    return
                yield message.frame
        finally:
            broadcaster.unsubscribe(sub)

    return EventSourceResponse(messages(), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/events/{event_id}")
def get_event(event_id: Id, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    e = service.get_event(db, event_id, principal=principal)
    out = service.events_out(db, [e], province_code=_province(request))[0]
    out["payload"] = e.payload
    return out


# ------------------------------------------------------------------------------------------------ incidents


def _incident(db: Session, incident_id: int, principal: Principal) -> Incident:
    return incidents.get(db, incident_id, principal=principal)


@router.post("/incidents", status_code=201)
def create_incident(body: IncidentIn, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """An incident from events and/or a place (``unit_code`` or ``lat``/``lon``); it gets its type's procedure."""
    inc = incidents.create(db, principal=principal, data=body, province_code=_province(request))
    return incidents.incident_out(db, inc, province_code=_province(request))


@router.get("/incidents")
def list_incidents(request: Request, db: DB, principal: CurrentPrincipal,
                   state: Annotated[str | None, Query(pattern=r"^(open|assigned|acknowledged|closed)?$")] = None,
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                   page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    """Incidents, newest first; ``state=open`` gives every incident not closed."""
    rows, total = incidents.list_incidents(db, principal=principal, state=state or None, limit=page_size,
                                           offset=(page - 1) * page_size)
    return {"total": total, "page": page, "page_size": page_size,
            "items": [incidents.incident_out(db, i, province_code=_province(request), brief=True) for i in rows]}


@router.get("/incidents/{incident_id}")
def get_incident(incident_id: Id, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return incidents.incident_out(db, _incident(db, incident_id, principal), province_code=_province(request))


@router.post("/incidents/{incident_id}/ack")
def ack(incident_id: Id, request: Request, db: DB, principal: CurrentPrincipal,
        body: NoteIn | None = None) -> dict[str, Any]:
    inc = incidents.acknowledge(db, _incident(db, incident_id, principal), principal=principal,
                                province_code=_province(request), note=body.note if body else None)
    return incidents.incident_out(db, inc, province_code=_province(request))


@router.post("/incidents/{incident_id}/assign")
def assign(incident_id: Id, body: AssignIn, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    inc = incidents.assign(db, _incident(db, incident_id, principal), principal=principal,
                           agency_code=body.agency_code, note=body.note, province_code=_province(request))
    return incidents.incident_out(db, inc, province_code=_province(request))


@router.post("/incidents/{incident_id}/steps/{n}/done")
def step_done(incident_id: Id, n: Annotated[int, Path(ge=1, le=100)], request: Request, db: DB,
              principal: CurrentPrincipal, body: NoteIn | None = None) -> dict[str, Any]:
    inc = incidents.complete_step(db, _incident(db, incident_id, principal), n, principal=principal,
                                  note=body.note if body else None, province_code=_province(request))
    return incidents.incident_out(db, inc, province_code=_province(request))


@router.post("/incidents/{incident_id}/escalate")
def escalate(incident_id: Id, request: Request, db: DB, principal: CurrentPrincipal,
             body: NoteIn | None = None) -> dict[str, Any]:
    inc = incidents.escalate(db, _incident(db, incident_id, principal), principal=principal,
                             note=body.note if body else None, province_code=_province(request))
    return incidents.incident_out(db, inc, province_code=_province(request))


@router.post("/incidents/{incident_id}/close")
def close(incident_id: Id, body: CloseIn, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    inc = incidents.close(db, _incident(db, incident_id, principal), principal=principal, outcome=body.outcome,
                          result=body.result, province_code=_province(request))
    return incidents.incident_out(db, inc, province_code=_province(request))


@router.post("/incidents/{incident_id}/notes")
def note(incident_id: Id, body: NoteIn, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """A note on the incident's timeline (photos: the incident page's form)."""
    inc = incidents.add_note(db, _incident(db, incident_id, principal), principal=principal, note=body.note or "",
                             province_code=_province(request), settings=request.app.state.settings)
    return incidents.incident_out(db, inc, province_code=_province(request))


@router.get("/incidents/{incident_id}/photos/{photo_id}")
def incident_photo(incident_id: Id, photo_id: Id, request: Request, db: DB, principal: CurrentPrincipal,
                   thumb: bool = False) -> FileResponse:
    authorize(principal, "events.read")
    photo = db.get(IncidentPhoto, photo_id)
    if photo is None or photo.incident_id != incident_id:
        raise NotFound("Không có ảnh này.")
    settings = request.app.state.settings
    path = media.resolve(settings, photo.thumb_path if thumb else photo.path)
    return FileResponse(path, media_type="image/jpeg" if thumb else photo.content_type,
                        headers={"Cache-Control": "private, max-age=3600"})


# ------------------------------------------------------------------------------------------------ procedures


@router.get("/procedures-sop")
def list_procedures(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Standard operating procedures (quy trình xử lý) with their steps, agencies and time limits."""
    return [procedures.procedure_out(db, p) for p in procedures.list_procedures(db, principal=principal)]


@router.post("/procedures-sop", status_code=201)
def save_procedure(body: ProcedureIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """Create a procedure, or replace the one with the same ``code`` (a new version; running incidents keep the
    steps they got)."""
    return procedures.procedure_out(db, procedures.save(db, principal=principal, data=body))


@router.get("/procedures-sop/{code}")
def get_procedure(code: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")], db: DB,
                  principal: CurrentPrincipal) -> dict[str, Any]:
    return procedures.procedure_out(db, procedures.get(db, code, principal=principal))


# ------------------------------------------------------------------------------------------------ cameras


def _names(request: Request, db: Session) -> tuple[dict[str, str], dict[str, str]]:
    return service.commune_names(_province(request)), service.agency_names(db)


@router.get("/cameras")
def list_cameras(request: Request, db: DB, principal: CurrentPrincipal,
                 status: Annotated[str | None, Query(pattern=r"^(online|offline|unknown)?$")] = None
                 ) -> list[dict[str, Any]]:
    """The camera registry (never the stream or snapshot URLs: they stay on the server)."""
    names, agencies = _names(request, db)
    return [devices.camera_out(c, names, agencies)
            for c in devices.list_cameras(db, principal=principal, status=status or None)]


@router.post("/cameras", status_code=201)
def save_camera(body: CameraIn, request: Request, db: DB, principal: CurrentPrincipal) -> JSONResponse:
    """Register a camera, or update the one with this ``code`` (200). An ``events`` token registers its agency's."""
    camera, created = devices.save_camera(db, principal=principal, data=body)
    names, agencies = _names(request, db)
    return JSONResponse(devices.camera_out(camera, names, agencies), status_code=201 if created else 200)


@router.get("/cameras/{camera_id}")
def get_camera(camera_id: Id, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    camera = devices.get_camera(db, camera_id, principal=principal)
    names, agencies = _names(request, db)
    rows, _total = service.list_events(db, principal=principal, filters=service.EventFilters(camera_id=camera.id),
                                       limit=20)
    return devices.camera_out(camera, names, agencies) | {
        "events": service.events_out(db, rows, province_code=_province(request))}


@router.post("/cameras/{camera_id}/heartbeat")
def camera_heartbeat(camera_id: Id, request: Request, db: DB, principal: CurrentPrincipal,
                     body: HeartbeatIn | None = None) -> dict[str, Any]:
    """The camera (or its vendor's system) is alive; optionally with its latest frame (base64 JPEG/PNG/WebP)."""
    camera = db.get(Camera, camera_id)
    if camera is None:
        raise NotFound(f"Không có camera số {camera_id}.")
    at = service.to_utc(body.at) if body and body.at else None
    devices.heartbeat(db, camera, principal=principal, settings=request.app.state.settings,
                      province_code=_province(request), at=at,
                      snapshot=devices.decode_snapshot(body.snapshot_base64 if body else None))
    return {"id": camera.id, "status": camera.status, "last_heartbeat_at": camera.last_heartbeat_at.isoformat() + "Z"
            if camera.last_heartbeat_at else None}


@router.get("/cameras/{camera_id}/snapshot")
def camera_snapshot(camera_id: Id, request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    """The camera's latest frame: the one its heartbeat sent, else fetched by the server from the camera's
    snapshot URL (the URL, often with credentials, never reaches the browser)."""
    camera = devices.get_camera(db, camera_id, principal=principal)
    data, content_type = devices.snapshot(camera, settings=request.app.state.settings)
    return Response(data, media_type=content_type, headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------------------------------------ sensors, feeds


@router.get("/sensors")
def list_sensors(request: Request, db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    names = service.commune_names(_province(request))
    return [devices.sensor_out(s, names) for s in devices.list_sensors(db, principal=principal)]


@router.post("/sensors", status_code=201)
def save_sensor(body: SensorIn, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return devices.sensor_out(devices.save_sensor(db, principal=principal, data=body),
                              service.commune_names(_province(request)))


def feed_out(f: EventFeed) -> dict[str, Any]:
    return {"id": f.id, "slug": f.slug, "name": f.name, "kind": f.kind, "topic": f.topic, "source": f.source,
            "owner_agency": f.owner_agency, "mapping": f.mapping, "type_map": f.type_map,
            "severity_map": f.severity_map, "defaults": f.defaults, "enabled": f.enabled, "received": f.received,
            "accepted": f.accepted, "rejected": f.rejected, "last_error": f.last_error,
            "webhook_url": f"/api/v1/events/webhooks/{f.slug}" if f.kind == "webhook" else None}


@router.get("/event-feeds")
def list_feeds(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Feeds mapping MQTT topics and vendors' webhooks to events."""
    return [feed_out(f) for f in devices.list_feeds(db, principal=principal)]


@router.post("/event-feeds", status_code=201)
def save_feed(body: FeedIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return feed_out(devices.save_feed(db, principal=principal, data=body))


# ------------------------------------------------------------------------------------------------ notifications


def rule_out(r: NotifyRule) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "role": r.role, "agency_code": r.agency_code, "kinds": r.kinds,
            "types": r.types, "min_severity": r.min_severity, "channel": r.channel, "target": r.target,
            "quiet_start": r.quiet_start, "quiet_end": r.quiet_end, "quiet_allow_critical": r.quiet_allow_critical,
            "repeat_minutes": r.repeat_minutes, "enabled": r.enabled}


@router.get("/notify-rules")
def list_rules(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Notification subscriptions of roles and agencies (channels, quiet hours, repeats)."""
    return [rule_out(r) for r in procedures.list_notify_rules(db, principal=principal)]


@router.post("/notify-rules", status_code=201)
def save_rule(body: NotifyRuleIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return rule_out(procedures.save_notify_rule(db, principal=principal, data=body))


@router.get("/operations/notifications")
def my_notifications(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    authorize(principal, "events.read")
    return [{"id": n.id, "at": service.iso_local(n.created_at), "title": (n.payload or {}).get("title"),
             "url": (n.payload or {}).get("url"), "severity": (n.payload or {}).get("severity"),
             "severity_label": SEVERITY_LABELS.get(str((n.payload or {}).get("severity")), "")}
            for n in notices.inbox(db, principal)]


@router.get("/operations/layers")
def layers(request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """What the room's map draws besides events: cameras, sensors, open incidents, citizen reports (last 7 days)."""
    authorize(principal, "events.read")
    province = _province(request)
    names, agencies = _names(request, db)
    open_incidents, _ = incidents.list_incidents(db, principal=principal, state="open", limit=200)
    return {
        "cameras": [devices.camera_out(c, names, agencies) for c in devices.list_cameras(db, principal=principal)],
        "sensors": [devices.sensor_out(s, names) for s in db.scalars(select(Sensor).order_by(Sensor.name))],
        "incidents": [incidents.incident_out(db, i, province_code=province, brief=True) for i in open_incidents],
        "reports": service.citizen_reports(db, days=7),
    }
