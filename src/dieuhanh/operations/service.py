"""Events (sự kiện): the catalogue of types, intake from every source, queries for the room, cancel and update.

Knows nothing of HTTP. The push API, vendors' webhooks, MQTT feeds, CAP messages, the officer's form, camera
heartbeats and the demo all end in :func:`push_events`, which is all-or-nothing: every item is checked first (type
known, severity, time, location inside the province, payload size, ids unique in the request and not reused for a
different event) and any error refuses the whole request with each error's index and field; then the new events
go in with one multi-row INSERT, one audit row each, in the caller's transaction. Re-sending an event already
stored (same source and id, same content) is not an error: it answers ``duplicate`` with the stored id.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import FieldError, InvalidInput, NotFound
from dieuhanh.core.formatting import LOCAL_TZ, format_datetime, to_local
from dieuhanh.core.security import Principal, authorize
from dieuhanh.geo import reference
from dieuhanh.geo.service import commune_centroid, commune_shapes, locate_many
from dieuhanh.operations import catalogue, live
from dieuhanh.operations import permissions as _permissions  # noqa: F401  (the rules this service checks)
from dieuhanh.operations.models import (
    EVENT_STATUS_LABELS,
    SEVERITIES,
    SEVERITY_LABELS,
    Camera,
    Event,
    EventType,
    IncidentRule,
    Procedure,
    ProcedureStep,
    Sensor,
)
from dieuhanh.operations.schemas import EventIn
from dieuhanh.orgs.models import Agency

MAX_EVENTS_PER_REQUEST = 1000
MAX_PAYLOAD_BYTES = 16 * 1024
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks of field devices drift
MAX_AGE = timedelta(days=400)
LIST_LIMIT = 500


# ------------------------------------------------------------------------------------------------ catalogue

_seed_lock = threading.Lock()


def ensure_catalogue(session: Session) -> None:
    """Event types, procedures and incident rules of a new installation (idempotent: seeds only an empty
    catalogue; one indexed look-up otherwise)."""
    if session.scalar(select(EventType.code).limit(1)) is not None:
        return
    with _seed_lock:
        existing = set(session.scalars(select(EventType.code)))
        for order, (code, name, group, severity, incident_type, color) in enumerate(catalogue.EVENT_TYPES):
            if code not in existing:
                session.add(EventType(code=code, name=name, group=group, default_severity=severity,
                                      incident_type=incident_type, color=color, sort_order=order))
        session.flush()
        agencies = set(session.scalars(select(Agency.code)))
        if not session.scalar(select(func.count()).select_from(Procedure)):
            for code, incident_type, name, description, escalation, steps in catalogue.PROCEDURES:
                proc = Procedure(code=code, incident_type=incident_type, name=name, description=description,
                                 escalation=[e for e in escalation
                                             if e.get("agency_code") in (None, *agencies)])
                for position, (title, agency, minutes, text) in enumerate(steps, start=1):
                    proc.steps.append(ProcedureStep(position=position, title=title,
                                                    agency_code=agency if agency in agencies else None,
                                                    time_limit_minutes=minutes, description=text))
                session.add(proc)
        if not session.scalar(select(func.count()).select_from(IncidentRule)):
            for name, event_type, min_severity, count, window, radius, incident_type in catalogue.INCIDENT_RULES:
                session.add(IncidentRule(name=name, event_type=event_type, min_severity=min_severity,
                                         min_count=count, window_minutes=window, radius_m=radius,
                                         incident_type=incident_type))
        session.flush()


def event_types(session: Session) -> dict[str, EventType]:
    ensure_catalogue(session)
    return {t.code: t for t in session.scalars(select(EventType).order_by(EventType.sort_order, EventType.code))}


@lru_cache(maxsize=8)
def commune_names(province_code: str) -> dict[str, str]:
    return {u.code: u.name for u in reference.communes_of(province_code)}


def agency_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Agency.code, Agency.name))}


def unit_name(province_code: str, code: str | None) -> str:
    if not code:
        return ""
    return commune_names(province_code).get(code, code)


# ------------------------------------------------------------------------------------------------ time


def to_utc(value: datetime) -> datetime:
    """An aware time → naive UTC; a naive one is Vietnam time (what field devices and officers mean)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC).replace(tzinfo=None)


def iso_local(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


# ------------------------------------------------------------------------------------------------ intake


@dataclass
class Located:
    lat: float | None
    lon: float | None
    unit_code: str | None
    camera_id: int | None = None
    sensor_id: int | None = None


@dataclass
class PushResult:
    created: int = 0
    duplicates: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)  # {index, id, status: created | duplicate}
    rows: list[dict[str, Any]] = field(default_factory=list)  # the new events' column values, with their ids

    @property
    def events_created(self) -> list[int]:
        return [r["id"] for r in self.rows]


@dataclass
class _Devices:
    cameras: dict[str, Camera]
    sensors: dict[str, Sensor]


def _devices(session: Session, items: Sequence[EventIn]) -> _Devices:
    cams = {i.camera_code for i in items if i.camera_code}
    sens = {i.sensor_code for i in items if i.sensor_code}
    cameras = {c.code: c for c in session.scalars(select(Camera).where(Camera.code.in_(cams)))} if cams else {}
    sensors = {s.code: s for s in session.scalars(select(Sensor).where(Sensor.code.in_(sens)))} if sens else {}
    return _Devices(cameras, sensors)


def _locate(session: Session, item: EventIn, index: int, province: str, devices: _Devices,
            errors: list[FieldError], point_unit: str | None = None) -> Located | None:
    camera = devices.cameras.get(item.camera_code) if item.camera_code else None
    sensor = devices.sensors.get(item.sensor_code) if item.sensor_code else None
    if item.camera_code and camera is None:
        errors.append(FieldError(f"Không có camera mã «{item.camera_code}» trong danh mục (GET /api/v1/cameras).",
                                 field="camera_code", index=index))
        return None
    if item.sensor_code and sensor is None:
        errors.append(FieldError(f"Không có cảm biến mã «{item.sensor_code}» trong danh mục.",
                                 field="sensor_code", index=index))
        return None
    device = camera or sensor
    camera_id = camera.id if camera else None
    sensor_id = sensor.id if sensor else None
    if (item.lat is None) != (item.lon is None):
        errors.append(FieldError("Cần có cả vĩ độ (lat) và kinh độ (lon).", field="lat" if item.lat is None else "lon",
                                 index=index))
        return None
    if item.lat is not None and item.lon is not None:
        unit = point_unit
        if unit is None and commune_shapes(session) is not None:
            errors.append(FieldError(
                f"Tọa độ ({item.lat}, {item.lon}) nằm ngoài địa giới tỉnh: sự kiện phải xảy ra trong tỉnh "
                "(vĩ độ trước, kinh độ sau; hệ WGS84).", field="lat", index=index))
            return None
        return Located(item.lat, item.lon, unit or item.unit_code, camera_id, sensor_id)
    if device is not None:
        return Located(device.lat, device.lon, device.unit_code, camera_id, sensor_id)
    if item.unit_code:
        if item.unit_code not in commune_names(province):
            errors.append(FieldError(f"Mã xã, phường «{item.unit_code}» không thuộc tỉnh.", field="unit_code",
                                     index=index))
            return None
        point = commune_centroid(session, item.unit_code)
        return Located(point[0] if point else None, point[1] if point else None, item.unit_code)
    if item.address:
        resolution = reference.resolve_address(province, item.address)
        code = getattr(resolution, "code", None)
        if not resolution.resolved or not code:
            errors.append(FieldError(
                f"Không xác định được xã, phường từ địa chỉ «{item.address[:120]}»: hãy ghi rõ tên xã, phường "
                "hoặc gửi tọa độ (lat, lon).", field="address", index=index))
            return None
        point = commune_centroid(session, code)
        return Located(point[0] if point else None, point[1] if point else None, code)
    errors.append(FieldError("Thiếu vị trí: hãy gửi lat và lon, unit_code, address, camera_code hoặc sensor_code.",
                             field="lat", index=index))
    return None


def parse_items(raw: Any) -> tuple[list[EventIn | None], list[FieldError]]:
    """A JSON body (one object or a list) → the items (None where invalid) and every shape problem as a FieldError
    with its index; :func:`push_events` adds the catalogue and map checks and refuses the whole list if any."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise InvalidInput("Danh sách sự kiện rỗng.")
    if len(items) > MAX_EVENTS_PER_REQUEST:
        raise InvalidInput(f"Mỗi lần gửi tối đa {MAX_EVENTS_PER_REQUEST:,} sự kiện (đã gửi {len(items):,}).".replace(
            ",", "."), errors=[FieldError("Quá nhiều sự kiện.", field="events")])
    out: list[EventIn | None] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(FieldError("Mỗi sự kiện phải là một đối tượng JSON.", index=index))
            out.append(None)
            continue
        try:
            out.append(EventIn.model_validate(item))
        except ValidationError as exc:
            out.append(None)
            for err in exc.errors():
                loc = ".".join(str(x) for x in err.get("loc", ()))
                text = _pydantic_message(dict(err))
                errors.append(FieldError(f"{loc}: {text}" if loc else text, field=loc or None, index=index))
    return out, errors


def _pydantic_message(err: dict[str, Any]) -> str:
    kind = str(err.get("type", ""))
    messages = {"missing": "bắt buộc phải có", "extra_forbidden": "trường không được hỗ trợ",
                "string_too_long": "quá dài", "string_too_short": "không được rỗng",
                "string_pattern_mismatch": "có ký tự không hợp lệ", "literal_error": "giá trị không hợp lệ",
                "datetime_from_date_parsing": "không phải thời điểm ISO 8601 (ví dụ 2026-12-07T08:30:00+07:00)",
                "datetime_parsing": "không phải thời điểm ISO 8601 (ví dụ 2026-12-07T08:30:00+07:00)",
                "datetime_type": "không phải thời điểm ISO 8601", "float_parsing": "không phải số",
                "float_type": "không phải số", "greater_than_equal": "nhỏ hơn giới hạn",
                "less_than_equal": "lớn hơn giới hạn", "dict_type": "phải là đối tượng JSON"}
    if kind == "literal_error" and err.get("loc") and err["loc"][-1] == "severity":
        return "mức độ phải là info, minor, major hoặc critical"
    return messages.get(kind, str(err.get("msg", "không hợp lệ")))


def _summary(errors: list[FieldError], total: int) -> str:
    first = errors[0]
    where = f"sự kiện thứ {first.index + 1}" if first.index is not None else "dữ liệu"
    more = f" (và {len(errors) - 1} lỗi khác)" if len(errors) > 1 else ""
    message = first.message.rstrip(".")
    return (f"Không sự kiện nào được lưu: {where}: {message}{more}. Sửa lỗi rồi gửi lại cả {total} sự kiện."
            if total > 1 else f"Sự kiện không được lưu: {message}.")


def _same(row: Any, item: EventIn, occurred: datetime, type_code: str) -> bool:
    return row.type == type_code and abs((row.occurred_at - occurred).total_seconds()) < 1


def push_events(session: Session, *, principal: Principal, items: Sequence[EventIn | None], province_code: str,
                now: datetime | None = None, demo: bool = False, agency_code: str | None = None,
                errors: list[FieldError] | None = None) -> PushResult:
    """Store events, all or none (see the module docstring). ``agency_code``: the reporting agency (default: the
    principal's). ``errors``/None items: problems :func:`parse_items` already found (reported with the rest)."""
    reporter = agency_code or principal.agency_code
    authorize(principal, "events.push", reporter)
    now = now or utcnow()
    types = event_types(session)
    valid = [i for i in items if i is not None]
    devices = _devices(session, valid)
    errors = list(errors or [])
    seen: dict[tuple[str, str], int] = {}
    rows: list[dict[str, Any]] = []
    with_point = [i for i, it in enumerate(items) if it is not None and it.lat is not None and it.lon is not None]
    units = dict(zip(with_point, locate_many(session, [(cast(EventIn, items[i]).lat or 0.0,
                                                         cast(EventIn, items[i]).lon or 0.0) for i in with_point],
                                             near=True), strict=True))
    for index, item in enumerate(items):
        if item is None:
            continue
        key = (item.source, item.source_event_id)
        if key in seen:
            errors.append(FieldError(
                f"Mã sự kiện «{item.source_event_id}» của nguồn «{item.source}» trùng với sự kiện thứ "
                f"{seen[key] + 1} trong cùng lần gửi.", field="source_event_id", index=index))
            continue
        seen[key] = index
        etype = types.get(item.type)
        if etype is None or not etype.active:
            errors.append(FieldError(
                f"Loại sự kiện «{item.type[:40]}» không có trong danh mục. Các loại: {', '.join(types)}.",
                field="type", index=index))
            continue
        occurred = to_utc(item.occurred_at)
        if occurred > now + FUTURE_TOLERANCE:
            errors.append(FieldError(f"Thời điểm xảy ra {format_datetime(occurred)} ở tương lai.",
                                     field="occurred_at", index=index))
            continue
        if occurred < now - MAX_AGE:
            errors.append(FieldError("Thời điểm xảy ra quá cũ (hơn 400 ngày): đây không phải sự kiện trực tiếp; "
                                     "dữ liệu lịch sử hãy nạp thành bộ dữ liệu.", field="occurred_at", index=index))
            continue
        # str() of a small dict is much cheaper than encoding it; only a long one is measured exactly as JSON bytes
        # (a character is at most 3 bytes in UTF-8 here, so under a quarter of the limit in characters is safe).
        size = 0 if len(str(item.payload)) < MAX_PAYLOAD_BYTES // 4 else len(
            json.dumps(item.payload, ensure_ascii=False, default=str).encode())
        if size > MAX_PAYLOAD_BYTES:
            errors.append(FieldError(f"payload quá lớn ({size:,} byte; tối đa {MAX_PAYLOAD_BYTES:,}).".replace(
                ",", "."), field="payload", index=index))
            continue
        where = _locate(session, item, index, province_code, devices, errors, units.get(index))
        if where is None:
            continue
        rows.append({
            "source": item.source, "source_event_id": item.source_event_id, "type": item.type,
            "severity": item.severity or etype.default_severity, "status": "active", "occurred_at": occurred,
            "received_at": now, "expires_at": to_utc(item.expires_at) if item.expires_at else None,
            "lat": where.lat, "lon": where.lon, "unit_code": where.unit_code, "address": item.address,
            "title": (item.title or etype.name)[:255], "description": item.description, "payload": item.payload,
            "agency_code": reporter, "camera_id": where.camera_id, "sensor_id": where.sensor_id,
            "device": item.device, "actor": principal.actor, "demo": demo, "updated_at": now, "_index": index})
    existing = _existing(session, list(seen)) if seen else {}
    fresh = []
    result = PushResult()
    for row in rows:
        found = existing.get((row["source"], row["source_event_id"]))
        if found is None:
            fresh.append(row)
            continue
        item = cast(EventIn, items[row["_index"]])
        if _same(found, item, row["occurred_at"], row["type"]):
            result.items.append({"index": row["_index"], "id": found.id, "status": "duplicate"})
            result.duplicates += 1
        else:
            errors.append(FieldError(
                f"Mã sự kiện «{row['source_event_id']}» đã được dùng cho sự kiện số {found.id} "
                f"({found.type}, {format_datetime(found.occurred_at)}) khác nội dung: mỗi sự kiện cần một mã riêng.",
                field="source_event_id", index=row["_index"]))
    if errors:
        errors.sort(key=lambda e: (e.index if e.index is not None else -1))
        raise InvalidInput(_summary(errors, len(items)), errors=errors)
    if fresh:
        _insert(session, fresh, result)
    result.items.sort(key=lambda i: i["index"])
    if result.rows:
        _after_insert(session, result.rows, now=now, province_code=province_code)
    return result


def _existing(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    by_source: dict[str, list[str]] = {}
    for source, ident in keys:
        by_source.setdefault(source, []).append(ident)
    found: dict[tuple[str, str], Any] = {}
    for source, idents in by_source.items():
        for start in range(0, len(idents), 500):
            for row in session.execute(select(Event.id, Event.source, Event.source_event_id, Event.type,
                                              Event.occurred_at).where(
                    Event.source == source, Event.source_event_id.in_(idents[start:start + 500]))):
                found[(row.source, row.source_event_id)] = row
    return found


def _insert(session: Session, rows: list[dict[str, Any]], result: PushResult) -> None:
    table = cast(Table, Event.__table__)
    dialect = session.get_bind().dialect.name
    values = [{k: v for k, v in r.items() if k != "_index"} for r in rows]
    stmt: Any
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=["source", "source_event_id"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["source", "source_event_id"])
    else:  # pragma: no cover - the two supported databases
        stmt = table.insert()
    returned = session.execute(stmt.returning(table.c.id, table.c.source, table.c.source_event_id), values).all()
    ids = {(r.source, r.source_event_id): r.id for r in returned}
    missing = [r for r in rows if (r["source"], r["source_event_id"]) not in ids]
    if missing:  # another request stored the same ids between our check and our insert: they are duplicates
        for row in missing:
            other = session.scalar(select(Event.id).where(Event.source == row["source"],
                                                          Event.source_event_id == row["source_event_id"]))
            result.items.append({"index": row["_index"], "id": other, "status": "duplicate"})
            result.duplicates += 1
    new_ids = [ids[(r["source"], r["source_event_id"])] for r in rows if (r["source"], r["source_event_id"]) in ids]
    for row in rows:
        key = (row["source"], row["source_event_id"])
        if key in ids:
            result.items.append({"index": row["_index"], "id": ids[key], "status": "created"})
    result.created = len(new_ids)
    result.rows = [{**r, "id": ids[(r["source"], r["source_event_id"])], "incident_id": None}
                   for r in rows if (r["source"], r["source_event_id"]) in ids]
    if result.rows:
        # One audit row per push (a list of up to 1.000 events is one change by one sender), naming every event.
        first = result.rows[0]
        audit.record_many(session, [{"actor": first["actor"], "action": "event.create", "entity_type": "ops_event",
                                     "entity_id": first["id"] if len(result.rows) == 1 else
                                     f"{first['id']}…{result.rows[-1]['id']}",
                                     "after": {"count": len(result.rows), "ids": [r["id"] for r in result.rows],
                                               "sources": sorted({r["source"] for r in result.rows}),
                                               "types": sorted({r["type"] for r in result.rows})}}])


def _after_insert(session: Session, rows: list[dict[str, Any]], *, now: datetime, province_code: str) -> None:
    """Incident rules, notifications of critical events, and the live feed (sent after the commit). Only the events
    a rule or a notification needs are loaded as objects; the feed is built from the inserted values."""
    from dieuhanh.operations import incidents, notices

    ruled = set(session.scalars(select(IncidentRule.event_type).where(IncidentRule.enabled.is_(True))))
    needed = [r["id"] for r in rows if r["type"] in ruled or r["severity"] == "critical"]
    events = list(session.scalars(select(Event).where(Event.id.in_(needed)).order_by(Event.id))) if needed else []
    if events:
        incidents.apply_rules(session, [e for e in events if e.type in ruled], now=now, province_code=province_code)
        critical = [e for e in events if e.severity == "critical"]
        if critical:
            notices.notify_events(session, critical, now=now, province_code=province_code)
    linked = {e.id: e.incident_id for e in events if e.incident_id}
    publish_events(session, [SimpleNamespace(**{**r, "incident_id": linked.get(r["id"])}) for r in rows],
                   province_code=province_code)


def publish_events(session: Session, events: Iterable[Any], *, province_code: str, kind: str = "events") -> None:
    items = events_out(session, list(events), province_code=province_code)
    if items:
        live.queue(session, kind, {"items": items}, last_id=max(i["id"] for i in items),
                   keys=tuple(("" if kind == "events" else "u") + live.event_key(i["id"], i["updated"])
                              for i in items))


# ------------------------------------------------------------------------------------------------ output


def events_out(session: Session, events: Sequence[Any], *, province_code: str) -> list[dict[str, Any]]:
    types = event_types(session)
    names = commune_names(province_code)
    agencies = agency_names(session) if any(e.agency_code for e in events) else {}
    return [event_out(e, types, names, agencies) for e in events]


def event_out(e: Any, types: dict[str, EventType], names: dict[str, str], agencies: dict[str, str]
              ) -> dict[str, Any]:
    t = types.get(e.type)
    return {
        "id": e.id, "source": e.source, "source_event_id": e.source_event_id, "type": e.type,
        "type_name": t.name if t else e.type, "group": t.group if t else "other",
        "color": t.color if t else "#5aa9e6", "severity": e.severity,
        "severity_label": SEVERITY_LABELS.get(e.severity, e.severity), "status": e.status,
        "status_label": EVENT_STATUS_LABELS.get(e.status, e.status),
        "occurred_at": iso_local(e.occurred_at), "occurred_text": format_datetime(e.occurred_at),
        "received_at": iso_local(e.received_at), "lat": e.lat, "lon": e.lon, "unit_code": e.unit_code,
        "unit_name": names.get(e.unit_code or "", e.unit_code or ""), "address": e.address, "title": e.title,
        "description": e.description[:500], "agency_code": e.agency_code,
        "agency_name": agencies.get(e.agency_code or "", e.agency_code or ""), "camera_id": e.camera_id,
        "sensor_id": e.sensor_id, "device": e.device, "incident_id": e.incident_id, "demo": e.demo,
        "updated": e.updated_at.isoformat(),
    }


# ------------------------------------------------------------------------------------------------ queries


@dataclass
class EventFilters:
    since: datetime | None = None
    until: datetime | None = None
    types: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    unit_code: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    status: str | None = None
    after_id: int | None = None
    incident_id: int | None = None
    camera_id: int | None = None


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = [float(x) for x in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not (parts[0] < parts[2] and parts[1] < parts[3]) or not (
            -180 <= parts[0] <= 180 and -90 <= parts[1] <= 90 and -180 <= parts[2] <= 180 and -90 <= parts[3] <= 90):
        raise InvalidInput("bbox phải có dạng kinh_độ_tây,vĩ_độ_nam,kinh_độ_đông,vĩ_độ_bắc (ví dụ "
                           "105.5,20.0,106.5,20.6).", errors=[FieldError("bbox không hợp lệ.", field="bbox")])
    return parts[0], parts[1], parts[2], parts[3]


def check_filters(session: Session, filters: EventFilters) -> None:
    types = event_types(session)
    unknown = [t for t in filters.types if t not in types]
    if unknown:
        raise InvalidInput(f"Loại sự kiện «{', '.join(unknown)}» không có. Các loại: {', '.join(types)}.",
                           errors=[FieldError("Loại không có.", field="type")])
    bad = [s for s in filters.severities if s not in SEVERITIES]
    if bad:
        raise InvalidInput("Mức độ phải là info, minor, major hoặc critical.",
                           errors=[FieldError("Mức độ không hợp lệ.", field="severity")])


def _filtered(query: Any, filters: EventFilters) -> Any:
    if filters.since is not None:
        query = query.where(Event.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(Event.occurred_at < filters.until)
    if filters.types:
        query = query.where(Event.type.in_(filters.types))
    if filters.severities:
        query = query.where(Event.severity.in_(filters.severities))
    if filters.unit_code:
        query = query.where(Event.unit_code == filters.unit_code)
    if filters.bbox is not None:
        w, s, e, n = filters.bbox
        query = query.where(Event.lon >= w, Event.lon <= e, Event.lat >= s, Event.lat <= n)
    if filters.status:
        query = query.where(Event.status == filters.status)
    if filters.after_id is not None:
        query = query.where(Event.id > filters.after_id)
    if filters.incident_id is not None:
        query = query.where(Event.incident_id == filters.incident_id)
    if filters.camera_id is not None:
        query = query.where(Event.camera_id == filters.camera_id)
    return query


def list_events(session: Session, *, principal: Principal, filters: EventFilters, limit: int = 100,
                offset: int = 0) -> tuple[list[Event], int]:
    authorize(principal, "events.read")
    check_filters(session, filters)
    total = session.scalar(_filtered(select(func.count(Event.id)), filters)) or 0
    rows = list(session.scalars(_filtered(select(Event), filters).order_by(Event.occurred_at.desc(),
                                                                            Event.id.desc())
                                .limit(limit).offset(offset)))
    return rows, int(total)


def events_after(session: Session, after_id: int, limit: int = LIST_LIMIT) -> list[Event]:
    """Events stored after ``after_id`` (the stream's catch-up after a reconnection or from another process)."""
    return list(session.scalars(select(Event).where(Event.id > after_id).order_by(Event.id).limit(limit)))


def get_event(session: Session, event_id: int, *, principal: Principal) -> Event:
    authorize(principal, "events.read")
    found = session.get(Event, event_id)
    if found is None:
        raise NotFound(f"Không có sự kiện số {event_id}.")
    return found


def timeline(session: Session, *, filters: EventFilters, buckets: int = 24) -> dict[str, Any]:
    """Events per time bucket and severity over the filter's window (the room's timeline)."""
    since = filters.since or utcnow() - timedelta(hours=24)
    until = filters.until or utcnow()
    span = max((until - since).total_seconds(), 60.0)
    step = span / buckets
    counts = [[0] * len(SEVERITIES) for _ in range(buckets)]
    flt = EventFilters(**{**filters.__dict__, "since": since, "until": until})
    for occurred, severity in session.execute(_filtered(select(Event.occurred_at, Event.severity), flt)):
        i = min(buckets - 1, max(0, int((occurred - since).total_seconds() // step)))
        counts[i][SEVERITIES.index(severity) if severity in SEVERITIES else 0] += 1
    labels = [to_local(since + timedelta(seconds=step * i)).strftime("%H:%M" if span <= 2 * 86400 else "%d/%m")
              for i in range(buckets)]
    return {"labels": labels, "series": {s: [c[i] for c in counts] for i, s in enumerate(SEVERITIES)},
            "since": iso_local(since), "until": iso_local(until)}


# ------------------------------------------------------------------------------------------------ changes


def set_status(session: Session, events: list[Event], status: str, *, actor: str, province_code: str,
               now: datetime | None = None, changes: dict[str, Any] | None = None) -> None:
    """Cancel, close or update events (CAP Update/Cancel, a closed incident); audited and sent to the feed."""
    now = now or utcnow()
    for e in events:
        before = {"status": e.status, "severity": e.severity, "title": e.title}
        e.status = status
        for key, value in (changes or {}).items():
            setattr(e, key, value)
        e.updated_at = now
        audit.record(session, actor=actor, action=f"event.{'update' if changes else status}",
                     entity_type="ops_event", entity_id=e.id, before=before,
                     after={"status": e.status, "severity": e.severity, "title": e.title})
    session.flush()
    publish_events(session, events, province_code=province_code, kind="event_update")


def stats_today(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Counters for the room's header: events since local midnight, critical ones, active ones."""
    now = now or utcnow()
    local = to_local(now)
    midnight = to_utc(local.replace(hour=0, minute=0, second=0, microsecond=0))
    total, critical = session.execute(select(
        func.count(Event.id), func.count(Event.id).filter(Event.severity == "critical")).where(
        Event.occurred_at >= midnight)).one()
    return {"today": int(total or 0), "critical_today": int(critical or 0)}


def citizen_reports(session: Session, *, days: int = 7, limit: int = 500) -> list[dict[str, Any]]:
    """Citizen field reports of the last days for the room's map layer (through the feedback service: codes,
    category, status and place only — never contact data)."""
    from dieuhanh.feedback import service as feedback
    from dieuhanh.feedback.models import STATUS_LABELS
    from dieuhanh.feedback.schemas import ReportFilters

    rows, _total = feedback.public_points(session, ReportFilters(start=utcnow() - timedelta(days=days)), limit)
    return [{"code": r.code, "status": r.status, "status_label": STATUS_LABELS.get(r.status, r.status),
             "category": r.category_code, "lat": r.lat, "lon": r.lon} for r in rows if r.lat is not None]
