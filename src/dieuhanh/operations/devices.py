"""Cameras, sensors and event feeds (MQTT topics and vendors' webhooks mapped to events).

* Cameras: a registry (name, place, commune, owner agency, kind, vendor; stream and snapshot URLs stay on the
  server and never appear in pages or JSON), heartbeats (``POST /api/v1/cameras/{id}/heartbeat``, optionally with
  the latest frame) and :func:`check_offline`, a job that turns a camera silent for longer than its
  ``offline_after_seconds`` into an offline camera **and an event** (``camera_offline``); the next heartbeat puts it
  back online and closes that event. dieuhanh does not process video: vendors' analytics send events.
* Sensors: fire alarm panels, smoke detectors, water-level gauges. A gauge's readings update the sensor; an event
  is made only when the reading rises to a higher alarm level (báo động I/II/III → minor/major/critical), so a
  gauge reporting every minute does not flood the room.
* Feeds: one mapping for both MQTT and webhooks — ``mapping`` (event field → dotted path in the payload),
  ``type_map``/``severity_map`` (the vendor's words → ours), ``defaults``; a topic segment ``{sensor_code}``,
  ``{camera_code}`` or ``{device}`` fills that field. MQTT messages come through ingest/mqtt.py's subscriber
  (:func:`mqtt_handlers` is registered with it); what a feed refuses goes to its dead letters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.errors import Conflict, FieldError, InvalidInput, NotFound
from dieuhanh.core.formatting import format_datetime, format_number
from dieuhanh.core.security import Principal, authorize
from dieuhanh.geo.service import commune_shapes, locate
from dieuhanh.operations import media
from dieuhanh.operations.models import (
    CAMERA_KINDS,
    DEVICE_STATUS_LABELS,
    SENSOR_KINDS,
    Camera,
    Event,
    EventFeed,
    Sensor,
)
from dieuhanh.operations.schemas import CameraIn, EventIn, FeedIn, SensorIn
from dieuhanh.orgs.models import Agency

FEED_FIELDS = ("source_event_id", "type", "severity", "occurred_at", "lat", "lon", "unit_code", "address", "title",
               "description", "camera_code", "sensor_code", "device", "value", "expires_at")
TOPIC_FIELDS = ("sensor_code", "camera_code", "device")
ROMAN = {1: "I", 2: "II", 3: "III"}
LEVEL_SEVERITY = {1: "minor", 2: "major", 3: "critical"}
SYSTEM_SOURCE = "dieuhanh"


def _agency(session: Session, code: str | None, field: str) -> str:
    if not code or session.get(Agency, code) is None:
        raise InvalidInput(f"Không có cơ quan mã «{code or ''}».", errors=[FieldError("Cơ quan không có.",
                                                                                        field=field)])
    return code


def _in_province(session: Session, lat: float, lon: float) -> str | None:
    unit = locate(session, lat, lon, near=True)
    if unit is None and commune_shapes(session) is not None:
        raise InvalidInput(f"Tọa độ ({lat}, {lon}) nằm ngoài địa giới tỉnh.",
                           errors=[FieldError("Ngoài tỉnh.", field="lat")])
    return unit


# ------------------------------------------------------------------------------------------------ cameras


def save_camera(session: Session, *, principal: Principal, data: CameraIn) -> tuple[Camera, bool]:
    """Register a camera, or update the one with the same code (the vendor's system re-sends its list)."""
    owner = data.owner_agency or principal.agency_code
    authorize(principal, "camera.manage", owner)
    owner = _agency(session, owner, "owner_agency")
    unit = _in_province(session, data.lat, data.lon)
    camera = session.scalar(select(Camera).where(Camera.code == data.code))
    created = camera is None
    if camera is None:
        camera = Camera(code=data.code)
        session.add(camera)
    else:
        authorize(principal, "camera.manage", camera.owner_agency)
    before = None if created else camera_out(camera)
    for key, value in data.model_dump(exclude={"code", "owner_agency"}).items():
        setattr(camera, key, value)
    camera.owner_agency, camera.unit_code, camera.updated_at = owner, unit, utcnow()
    session.flush()
    audit.record(session, actor=principal.actor, action="camera.create" if created else "camera.update",
                 entity_type="ops_camera", entity_id=camera.id, before=before, after=camera_out(camera))
    return camera, created


def list_cameras(session: Session, *, principal: Principal, status: str | None = None) -> list[Camera]:
    authorize(principal, "events.read")
    query = select(Camera).where(Camera.active.is_(True))
    if status:
        query = query.where(Camera.status == status)
    return list(session.scalars(query.order_by(Camera.name)))


def get_camera(session: Session, camera_id: int, *, principal: Principal) -> Camera:
    authorize(principal, "events.read")
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise NotFound(f"Không có camera số {camera_id}.")
    return camera


def camera_out(c: Camera, names: dict[str, str] | None = None, agencies: dict[str, str] | None = None
               ) -> dict[str, Any]:
    """What pages and the API show of a camera: never its stream or snapshot URL (credentials live in them)."""
    return {"id": c.id, "code": c.code, "name": c.name, "lat": c.lat, "lon": c.lon, "unit_code": c.unit_code,
            "unit_name": (names or {}).get(c.unit_code or "", c.unit_code or ""), "address": c.address,
            "owner_agency": c.owner_agency, "owner_name": (agencies or {}).get(c.owner_agency, c.owner_agency),
            "kind": c.kind, "kind_label": CAMERA_KINDS.get(c.kind, c.kind), "vendor": c.vendor, "status": c.status,
            "status_label": DEVICE_STATUS_LABELS.get(c.status, c.status),
            "last_heartbeat_at": c.last_heartbeat_at.isoformat() + "Z" if c.last_heartbeat_at else None,
            "last_heartbeat_text": format_datetime(c.last_heartbeat_at) if c.last_heartbeat_at else "–",
            "has_stream": bool(c.stream_url), "has_snapshot": bool(c.snapshot_path or c.snapshot_url or c.demo),
            "snapshot_url": f"/api/v1/cameras/{c.id}/snapshot" if (c.snapshot_path or c.snapshot_url or c.demo)
            else None,
            "offline_after_seconds": c.offline_after_seconds, "demo": c.demo}


def heartbeat(session: Session, camera: Camera, *, principal: Principal, settings: Any, province_code: str,
              at: datetime | None = None, snapshot: bytes | None = None, now: datetime | None = None) -> Camera:
    authorize(principal, "camera.manage", camera.owner_agency)
    now = now or utcnow()
    if snapshot:
        media.store_snapshot(camera, snapshot, settings=settings)
        camera.snapshot_at = now
    was = camera.status
    camera.last_heartbeat_at, camera.status = at or now, "online"
    if was == "offline":
        from dieuhanh.operations.service import set_status

        open_events = list(session.scalars(select(Event).where(
            Event.camera_id == camera.id, Event.type == "camera_offline", Event.status == "active")))
        if open_events:
            set_status(session, open_events, "closed", actor=principal.actor, province_code=province_code, now=now)
        audit.record(session, actor=principal.actor, action="camera.online", entity_type="ops_camera",
                     entity_id=camera.id, before={"status": was}, after={"status": "online"})
    session.flush()
    return camera


def decode_snapshot(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("snapshot_base64 không phải base64 hợp lệ.",
                           errors=[FieldError("Không phải base64.", field="snapshot_base64")]) from exc


def check_offline(session: Session, *, province_code: str, now: datetime | None = None) -> int:
    """Cameras silent for longer than their limit go offline, each with a ``camera_offline`` event."""
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.operations.service import push_events

    now = now or utcnow()
    gone = [c for c in session.scalars(select(Camera).where(Camera.active.is_(True), Camera.status == "online",
                                                            Camera.last_heartbeat_at.is_not(None)))
            if c.last_heartbeat_at is not None
            and (now - c.last_heartbeat_at).total_seconds() > c.offline_after_seconds]
    if not gone:
        return 0
    items = []
    for camera in gone:
        camera.status = "offline"
        audit.record(session, actor=SYSTEM.actor, action="camera.offline", entity_type="ops_camera",
                     entity_id=camera.id, before={"status": "online"}, after={"status": "offline"})
        items.append(EventIn(source=SYSTEM_SOURCE, source_event_id=f"camera-offline:{camera.code}:{now:%Y%m%d%H%M%S}",
                             type="camera_offline", occurred_at=now.replace(tzinfo=UTC),
                             camera_code=camera.code, severity="minor" if camera.kind in ("ai", "anpr") else "info",
                             title=f"Camera «{camera.name}» mất kết nối",
                             description=f"Không nhận được tín hiệu từ {format_datetime(camera.last_heartbeat_at)} "
                                         f"(quá {camera.offline_after_seconds // 60} phút).",
                             payload={"last_heartbeat_at": camera.last_heartbeat_at.isoformat() + "Z"
                                      if camera.last_heartbeat_at else None}))
    session.flush()
    push_events(session, principal=SYSTEM, items=items, province_code=province_code, now=now,
                demo=any(c.demo for c in gone), agency_code=None)
    return len(gone)


# ------------------------------------------------------------------------------------------------ sensors


def save_sensor(session: Session, *, principal: Principal, data: SensorIn) -> Sensor:
    authorize(principal, "events.manage")
    owner = _agency(session, data.owner_agency or principal.agency_code, "owner_agency")
    unit = _in_province(session, data.lat, data.lon)
    levels: dict[str, float] = {str(k): float(v) for k, v in sorted(data.levels.items())}
    values = list(levels.values())
    if values != sorted(values):
        raise InvalidInput("Các mức báo động phải tăng dần: I < II < III.",
                           errors=[FieldError("Mức báo động không tăng dần.", field="levels")])
    sensor = session.scalar(select(Sensor).where(Sensor.code == data.code))
    created = sensor is None
    if sensor is None:
        sensor = Sensor(code=data.code)
        session.add(sensor)
    for key, value in data.model_dump(exclude={"code", "owner_agency", "levels"}).items():
        setattr(sensor, key, value)
    sensor.levels, sensor.owner_agency, sensor.unit_code = levels, owner, unit
    session.flush()
    audit.record(session, actor=principal.actor, action="sensor.create" if created else "sensor.update",
                 entity_type="ops_sensor", entity_id=sensor.id,
                 after={"code": sensor.code, "name": sensor.name, "kind": sensor.kind, "levels": levels})
    return sensor


def list_sensors(session: Session, *, principal: Principal) -> list[Sensor]:
    authorize(principal, "events.read")
    return list(session.scalars(select(Sensor).order_by(Sensor.kind, Sensor.name)))


def sensor_out(s: Sensor, names: dict[str, str] | None = None) -> dict[str, Any]:
    return {"id": s.id, "code": s.code, "name": s.name, "kind": s.kind, "kind_label": SENSOR_KINDS.get(s.kind, s.kind),
            "lat": s.lat, "lon": s.lon, "unit_code": s.unit_code,
            "unit_name": (names or {}).get(s.unit_code or "", s.unit_code or ""), "river": s.river,
            "levels": s.levels, "value_unit": s.value_unit, "last_value": s.last_value,
            "last_value_text": f"{format_number(s.last_value, 2)} {s.value_unit}".strip()
            if s.last_value is not None else "–",
            "last_at": format_datetime(s.last_at) if s.last_at else "–", "alarm_level": s.alarm_level,
            "status": s.status, "status_label": DEVICE_STATUS_LABELS.get(s.status, s.status), "demo": s.demo}


def alarm_level(sensor: Sensor, value: float) -> int:
    level = 0
    for key, threshold in (sensor.levels or {}).items():
        if value >= float(threshold):
            level = max(level, int(key))
    return level


def reading(sensor: Sensor, value: float, at: datetime) -> int | None:
    """Record a gauge's reading; the new alarm level when it rose (an event is due), else None."""
    sensor.last_value, sensor.last_at, sensor.status = value, at, "online"
    level = alarm_level(sensor, value)
    rose = level > sensor.alarm_level
    sensor.alarm_level = level
    return level if rose else None


# ------------------------------------------------------------------------------------------------ feeds


def _check_mapping(data: FeedIn, known_types: set[str]) -> list[FieldError]:
    errors = [FieldError(f"Trường «{k}» không có; các trường: {', '.join(FEED_FIELDS)}.", field="mapping")
              for k in data.mapping if k not in FEED_FIELDS]
    errors += [FieldError(f"Loại «{v}» (cho «{k}») không có trong danh mục.", field="type_map")
               for k, v in data.type_map.items() if v not in known_types]
    errors += [FieldError(f"Mức độ «{v}» không hợp lệ.", field="severity_map")
               for v in data.severity_map.values() if v not in ("info", "minor", "major", "critical")]
    if data.defaults.get("type") and data.defaults["type"] not in known_types:
        errors.append(FieldError(f"Loại mặc định «{data.defaults['type']}» không có.", field="defaults"))
    if data.kind == "mqtt":
        if not data.topic:
            errors.append(FieldError("Nguồn MQTT cần chủ đề (topic).", field="topic"))
        else:
            from dieuhanh.ingest.mqtt import parse_topic

            try:
                _filter, captures = parse_topic(data.topic)
            except ValueError as exc:
                errors.append(FieldError(str(exc), field="topic"))
            else:
                errors += [FieldError(f"Đoạn {{{c}}} không dùng được; chỉ {', '.join(TOPIC_FIELDS)}.", field="topic")
                           for c in captures.values() if c not in TOPIC_FIELDS]
    return errors


def save_feed(session: Session, *, principal: Principal, data: FeedIn) -> EventFeed:
    authorize(principal, "events.manage")
    from dieuhanh.operations.service import event_types

    errors = _check_mapping(data, set(event_types(session)))
    if data.owner_agency and session.get(Agency, data.owner_agency) is None:
        errors.append(FieldError(f"Không có cơ quan mã «{data.owner_agency}».", field="owner_agency"))
    if errors:
        raise InvalidInput("Nguồn sự kiện không hợp lệ: " + errors[0].message, errors=errors)
    feed = session.scalar(select(EventFeed).where(EventFeed.slug == data.slug))
    created = feed is None
    if feed is None:
        feed = EventFeed(slug=data.slug, created_by=principal.actor)
        session.add(feed)
    elif feed.kind != data.kind:
        raise Conflict(f"Nguồn «{data.slug}» là {feed.kind}: không đổi sang {data.kind} được; hãy tạo nguồn mới.")
    for key, value in data.model_dump(exclude={"slug"}).items():
        setattr(feed, key, value or None if key == "owner_agency" else value)  # "" is no agency
    feed.updated_at = utcnow()
    session.flush()
    audit.record(session, actor=principal.actor, action="feed.create" if created else "feed.update",
                 entity_type="ops_event_feed", entity_id=feed.id, after=data.model_dump())
    return feed


def list_feeds(session: Session, *, principal: Principal) -> list[EventFeed]:
    authorize(principal, "events.read")
    return list(session.scalars(select(EventFeed).order_by(EventFeed.kind, EventFeed.name)))


def get_feed(session: Session, slug: str) -> EventFeed:
    feed = session.scalar(select(EventFeed).where(EventFeed.slug == slug))
    if feed is None or not feed.enabled:
        raise NotFound(f"Không có nguồn sự kiện «{slug}» (hoặc nguồn đang tắt).")
    return feed


def _path(payload: Any, dotted: str) -> Any:
    value = payload
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def map_payload(feed: EventFeed, payload: dict[str, Any], *, captured: dict[str, str], received_at: datetime,
                raw: bytes, sensors: dict[str, Sensor]) -> EventIn | None:
    """A foreign payload → an event (None: a gauge reading below a new alarm level). Raises ValueError with a
    Vietnamese message when the payload cannot make an event."""
    values: dict[str, Any] = {}
    for name in FEED_FIELDS:
        path = (feed.mapping or {}).get(name)
        value = _path(payload, path) if path else None
        if value is None:
            value = captured.get(name)
        if value is None:
            value = (feed.defaults or {}).get(name)
        if value is not None:
            values[name] = value
    if "type" in values:
        values["type"] = (feed.type_map or {}).get(str(values["type"]), values["type"])
    if "severity" in values:
        values["severity"] = (feed.severity_map or {}).get(str(values["severity"]), values["severity"])
    if "source_event_id" not in values:  # a redelivered message (QoS 1) gets the same id: stored once
        values["source_event_id"] = hashlib.sha256(raw).hexdigest()[:40]
    if "occurred_at" not in values:
        values["occurred_at"] = received_at.isoformat() + "+00:00"
    elif isinstance(values["occurred_at"], int | float):  # epoch seconds (or milliseconds) of field devices
        stamp = float(values["occurred_at"])
        values["occurred_at"] = datetime.fromtimestamp(stamp / 1000 if stamp > 1e11 else stamp, UTC).isoformat()
    reading_value = values.pop("value", None)
    sensor = sensors.get(str(values.get("sensor_code"))) if values.get("sensor_code") else None
    if reading_value is not None and sensor is not None and sensor.levels:
        try:
            number = float(str(reading_value).replace(",", "."))
        except ValueError as exc:
            raise ValueError(f"Giá trị đo «{reading_value}» không phải số.") from exc
        level = reading(sensor, number, received_at)
        if level is None:
            return None
        values.setdefault("type", "water_level" if sensor.kind == "water_level" else "other")
        values["severity"] = LEVEL_SEVERITY[level]
        values["title"] = (f"{sensor.name}: {format_number(number, 2)} {sensor.value_unit}, vượt báo động "
                           f"{ROMAN[level]}")[:255]
        values["source_event_id"] = f"{values['source_event_id']}"
        payload = {**payload, "alarm_level": level, "levels": sensor.levels}
    for key in ("source_event_id", "type", "severity", "title", "description", "camera_code", "sensor_code",
                "device", "address", "unit_code"):
        if key in values and values[key] is not None:
            values[key] = str(values[key])
    try:
        return EventIn.model_validate({**values, "source": feed.source, "payload": payload})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        from dieuhanh.operations.service import _pydantic_message

        raise ValueError(f"{where}: {_pydantic_message(dict(err))}" if where else _pydantic_message(dict(err))
                         ) from exc


def apply_feed(session: Session, feed: EventFeed, messages: list[tuple[dict[str, Any], dict[str, str], bytes]], *,
               province_code: str, now: datetime | None = None, all_or_nothing: bool = True,
               demo: bool = False) -> tuple[Any, list[tuple[int, str]]]:
    """Map and push the feed's messages ``(payload, topic captures, raw bytes)``. All or nothing (webhooks: 422
    with each refused index); otherwise (MQTT) the good ones are stored and the refused returned."""
    from dieuhanh.core.security import Principal as P
    from dieuhanh.operations.service import PushResult, push_events

    now = now or utcnow()
    principal = P(kind="system", name=f"feed:{feed.slug}", role="admin", agency_code=feed.owner_agency)
    codes = {str(c.get("sensor_code") or _path(p, (feed.mapping or {}).get("sensor_code", "") or "_"))
             for p, c, _raw in messages}
    sensors = {s.code: s for s in session.scalars(select(Sensor).where(Sensor.code.in_(codes)))} if codes else {}
    refused: list[tuple[int, str]] = []
    items: list[EventIn] = []
    index_of: list[int] = []
    for index, (payload, captured, raw) in enumerate(messages):
        try:
            item = map_payload(feed, payload, captured=captured, received_at=now, raw=raw, sensors=sensors)
        except ValueError as exc:
            refused.append((index, str(exc)))
            continue
        if item is not None:
            items.append(item)
            index_of.append(index)
    feed.received += len(messages)
    feed.last_at = now
    if refused and all_or_nothing:
        raise InvalidInput(f"Không sự kiện nào được lưu: bản tin thứ {refused[0][0] + 1}: {refused[0][1]}",
                           errors=[FieldError(m, index=i) for i, m in refused])
    result = PushResult()
    if items:
        try:
            result = push_events(session, principal=principal, items=items, province_code=province_code, now=now,
                                 agency_code=feed.owner_agency, demo=demo)
        except InvalidInput as exc:
            if all_or_nothing:
                for err in exc.errors:
                    if err.index is not None:
                        err.index = index_of[err.index]
                raise
            # MQTT: store the good ones, refuse the rest one by one
            bad = {e.index for e in exc.errors if e.index is not None}
            for err in exc.errors:
                if err.index is not None:
                    refused.append((index_of[err.index], err.message))
            good = [it for i, it in enumerate(items) if i not in bad]
            if good:
                result = push_events(session, principal=principal, items=good, province_code=province_code,
                                     now=now, agency_code=feed.owner_agency, demo=demo)
    feed.accepted += result.created
    feed.rejected += len(refused)
    if refused:
        feed.last_error = refused[-1][1][:2000]
    return result, refused


def mqtt_handlers(database: Database) -> list[Any]:
    """The enabled MQTT feeds as handlers of ingest/mqtt.py's subscriber (registered by module.py)."""
    from dieuhanh.ingest.mqtt import MessageHandler, parse_topic, topic_captures

    with database.session() as session:
        feeds = [(f.id, f.name, f.topic) for f in session.scalars(
            select(EventFeed).where(EventFeed.kind == "mqtt", EventFeed.enabled.is_(True)))]
        province = _province(session)
    handlers = []
    for feed_id, name, topic in feeds:
        try:
            filter_, captures = parse_topic(topic or "")
        except ValueError:
            continue

        def handle(batch: list[tuple[str, bytes, datetime]], feed_id: int = feed_id,
                   captures: dict[int, str] = captures) -> list[tuple[int, str]]:
            decoded: list[tuple[dict[str, Any], dict[str, str], bytes]] = []
            refused: list[tuple[int, str]] = []
            positions: list[int] = []
            for i, (topic_name, payload, _at) in enumerate(batch):
                try:
                    data = json.loads(payload.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    refused.append((i, f"Bản tin không phải JSON UTF-8: {exc}"))
                    continue
                if not isinstance(data, dict):
                    refused.append((i, "Bản tin phải là một đối tượng JSON."))
                    continue
                decoded.append((data, topic_captures(captures, topic_name), payload))
                positions.append(i)
            if decoded:
                with database.session() as session:
                    feed = session.get(EventFeed, feed_id)
                    if feed is None or not feed.enabled:
                        return [(i, "Nguồn đã bị tắt.") for i in positions] + refused
                    _result, bad = apply_feed(session, feed, decoded, province_code=province, all_or_nothing=False)
                    refused += [(positions[i], message) for i, message in bad]
            return refused

        handlers.append(MessageHandler(key=f"ops-feed:{feed_id}", name=f"Nguồn sự kiện «{name}»", filter=filter_,
                                       handle=handle, batch_size=200, max_wait_seconds=0.3))
    return handlers


def _province(session: Session) -> str:
    from dieuhanh.geo.models import AdminUnit

    return session.scalar(select(AdminUnit.code).where(AdminUnit.level == "province")) or "37"


SNAPSHOT_FETCH_SECONDS = 5.0


def snapshot(camera: Camera, *, settings: Any) -> tuple[bytes, str]:
    """The latest frame: stored from a heartbeat, else fetched from the camera's snapshot URL by the server
    through the pull sources' host policy (``DIEUHANH_PULL_ALLOWED_HOSTS``; link-local and metadata addresses are
    always refused), checked and re-encoded like an upload."""
    if camera.snapshot_path:
        try:
            path = media.resolve(settings, camera.snapshot_path)
            return path.read_bytes(), "image/jpeg" if path.suffix == ".jpg" else f"image/{path.suffix[1:]}"
        except InvalidInput:
            pass
    if not camera.snapshot_url:
        if camera.demo:
            return demo_frame(camera), "image/jpeg"
        raise NotFound(f"Camera «{camera.name}» chưa có ảnh chụp.")
    import httpx

    from dieuhanh.feedback import photos as photo_lib
    from dieuhanh.ingest.guard import PullGuard, guarded_transport

    try:
        guard = PullGuard.from_settings(settings)
        with httpx.Client(transport=guarded_transport(guard.hosts), timeout=SNAPSHOT_FETCH_SECONDS,
                          follow_redirects=False) as client:
            response = client.get(camera.snapshot_url)
            response.raise_for_status()
            photo = photo_lib.process(response.content, max_mb=media.SNAPSHOT_MAX_MB)
    except Exception as exc:  # noqa: BLE001  (any network or image problem: say so, do not fail the page)
        raise NotFound(f"Không lấy được ảnh từ camera «{camera.name}»: {type(exc).__name__}.") from exc
    return photo.content, photo.content_type


def demo_frame(camera: Camera) -> bytes:
    """A demo camera's «frame»: a drawn placeholder marked ẢNH MẪU (dieuhanh processes no video; the demo has no
    cameras), with the camera's name and the current time, in the bundled DejaVu Sans."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    from dieuhanh.core.formatting import format_datetime
    from dieuhanh.web.templating import WEB_DIR

    img = Image.new("RGB", (640, 360), (24, 34, 52))
    draw = ImageDraw.Draw(img)
    for y in range(200, 360, 12):  # a road in perspective
        draw.line([(320 - (y - 180) * 2, y), (320 + (y - 180) * 2, y)], fill=(46, 58, 78), width=1)
    font_path = WEB_DIR / "static" / "fonts" / "DejaVuSans.ttf"
    big: Any
    small: Any
    try:
        big, small = ImageFont.truetype(str(font_path), 26), ImageFont.truetype(str(font_path), 18)
    except OSError:
        big = small = ImageFont.load_default()
    draw.text((20, 18), camera.name[:48], fill=(238, 243, 250), font=big)
    draw.text((20, 56), f"{camera.code} · {format_datetime(utcnow())}", fill=(159, 176, 199), font=small)
    draw.text((20, 320), "ẢNH MẪU — camera của tỉnh mẫu, không phải hình thật", fill=(245, 180, 60), font=small)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()
