"""CAP 1.2 (OASIS Common Alerting Protocol) messages → events; ``Update`` and ``Cancel`` change the referenced ones.

Parsed with defusedxml (no DTDs, entities or external references: a weather feed is untrusted input). Each
``<info>`` × ``<area>`` becomes one event of source ``cap:<sender>`` and id ``<identifier>`` (``<identifier>/<n>``
when the message has several), placed at the area's polygon or circle (its part inside the province) or its
``geocode`` (valueName ``ma_xa``/``unit_code``: a commune code); the area's shape and every commune it covers are
kept in the payload for the map. Mapping: CAP severity Extreme → critical, Severe → major, Moderate → minor,
Minor/Unknown → info; the type from ``<eventCode valueName="dieuhanh">`` if given, else from the category
(Met/Geo → weather_warning, Fire → fire_alarm, Env → environment, Transport → traffic_jam, Safety/Security →
public_order, others → other).

``status`` Actual is stored; Exercise is stored marked «Diễn tập»; Test, Draft and System messages are answered
but not stored (they must never sound on the wall). ``msgType`` Alert creates; Update creates nothing new but
rewrites the referenced events (severity, title, text, expiry, place) and Cancel cancels them; Ack and Error are
acknowledged and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dieuhanh.core.errors import FieldError, InvalidInput
from dieuhanh.core.security import Principal, authorize
from dieuhanh.operations.models import Event
from dieuhanh.operations.schemas import EventIn

NS = {"1.2": "urn:oasis:names:tc:emergency:cap:1.2", "1.1": "urn:oasis:names:tc:emergency:cap:1.1"}
MAX_BYTES = 1024 * 1024
SEVERITY = {"Extreme": "critical", "Severe": "major", "Moderate": "minor", "Minor": "info", "Unknown": "info"}
CATEGORY_TYPES = {"Met": "weather_warning", "Geo": "weather_warning", "Fire": "fire_alarm", "Env": "environment",
                  "Transport": "traffic_jam", "Safety": "public_order", "Security": "public_order"}
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")


@dataclass
class CapResult:
    identifier: str
    sender: str
    status: str
    msg_type: str
    stored: bool
    created: int = 0
    duplicates: int = 0
    updated: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    note: str = ""


def _err(message: str, where: str) -> InvalidInput:
    return InvalidInput(f"Bản tin CAP không hợp lệ: {message}", errors=[FieldError(message, field=where)])


def parse(xml: bytes) -> Element:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    if len(xml) > MAX_BYTES:
        from dieuhanh.core.errors import TooLarge

        raise TooLarge(f"Bản tin CAP quá lớn ({len(xml):,} byte; tối đa {MAX_BYTES:,}).".replace(",", "."))
    if not xml.strip():
        raise _err("nội dung rỗng.", "alert")
    try:
        root: Element = fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _err(f"không chấp nhận DTD, thực thể hay tham chiếu ngoài trong XML ({type(exc).__name__}).",
                   "alert") from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise _err(f"XML không đúng cú pháp (dòng {line}, cột {column}).", "alert") from exc
    return root


def _ns(root: Element) -> str:
    tag = root.tag
    if not tag.startswith("{") or not tag.endswith("}alert"):
        raise _err(f"phần tử gốc phải là <alert> của CAP 1.2 (không gian tên {NS['1.2']}), không phải "
                   f"<{tag.split('}')[-1]}>.", "alert")
    ns = tag[1:tag.index("}")]
    if ns not in NS.values():
        raise _err(f"không gian tên «{ns}» không phải CAP 1.2.", "alert")
    return ns


class _Reader:
    def __init__(self, ns: str) -> None:
        self.ns = ns

    def all(self, node: Element, name: str) -> list[Element]:
        return node.findall(f"{{{self.ns}}}{name}")

    def text(self, node: Element, name: str, where: str, *, required: bool = True,
             allowed: tuple[str, ...] | None = None) -> str | None:
        found = node.find(f"{{{self.ns}}}{name}")
        value = (found.text or "").strip() if found is not None else ""
        if not value:
            if required:
                raise _err(f"thiếu <{name}>.", f"{where}/{name}")
            return None
        if allowed and value not in allowed:
            raise _err(f"<{name}> «{value[:40]}» phải là một trong {', '.join(allowed)}.", f"{where}/{name}")
        return value


def _time(value: str | None, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _err(f"thời điểm «{value[:40]}» không đúng dạng CAP (2026-12-07T08:00:00+07:00).", where) from exc
    if parsed.tzinfo is None:
        raise _err(f"thời điểm «{value[:40]}» phải có múi giờ (CAP 1.2, mục 3.3.2).", where)
    return parsed


def _points(text: str, where: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.split():
        try:
            lat, lon = (float(x) for x in pair.split(","))
        except ValueError as exc:
            raise _err(f"tọa độ «{pair[:40]}» phải có dạng vĩ_độ,kinh_độ.", where) from exc
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise _err(f"tọa độ «{pair[:40]}» ngoài phạm vi WGS84.", where)
        points.append((lat, lon))
    return points


def _area_place(session: Session, r: _Reader, area: Element, where: str) -> dict[str, Any]:
    """The area's point inside the province, the communes it covers and its shape for the map."""
    from shapely.geometry import Point, Polygon
    from shapely.ops import unary_union

    from dieuhanh.geo.service import commune_shapes

    shapes: list[Any] = []
    drawn: list[dict[str, Any]] = []
    for i, poly in enumerate(r.all(area, "polygon"), start=1):
        pts = _points(poly.text or "", f"{where}/polygon[{i}]")
        if len(pts) < 4 or pts[0] != pts[-1]:
            raise _err("<polygon> cần ít nhất 4 điểm, điểm cuối trùng điểm đầu (CAP 1.2, mục 3.3.2).",
                       f"{where}/polygon[{i}]")
        shapes.append(Polygon([(lon, lat) for lat, lon in pts]))
        drawn.append({"type": "polygon", "points": [[lat, lon] for lat, lon in pts]})
    for i, circle in enumerate(r.all(area, "circle"), start=1):
        text = (circle.text or "").strip()
        try:
            centre, radius = text.split()
            (lat, lon), km = _points(centre, f"{where}/circle[{i}]")[0], float(radius)
        except ValueError as exc:
            raise _err(f"<circle> «{text[:40]}» phải có dạng «vĩ_độ,kinh_độ bán_kính_km».",
                       f"{where}/circle[{i}]") from exc
        shapes.append(Point(lon, lat).buffer(max(km, 0.05) / 111.0))
        drawn.append({"type": "circle", "center": [lat, lon], "radius_km": km})
    geocodes: list[str] = []
    for gc in r.all(area, "geocode"):
        name, value = r.text(gc, "valueName", where, required=False), r.text(gc, "value", where, required=False)
        if name and value and name.lower() in ("ma_xa", "unit_code", "ma_don_vi_hanh_chinh"):
            geocodes.append(value)
    communes = commune_shapes(session)
    covered: list[str] = []
    point: tuple[float, float] | None = None
    if shapes:
        region = unary_union(shapes)
        if communes is not None:
            hits = [communes.codes[int(i)] for i in communes.tree.query(region, predicate="intersects")]
            covered = sorted(set(hits))
            if not covered:
                raise _err("vùng cảnh báo (polygon/circle) nằm ngoài địa giới tỉnh.", where)
            inside = region.intersection(unary_union([communes.geoms[communes.codes.index(c)] for c in covered]))
            rep = (inside if not inside.is_empty else region).representative_point()
        else:
            rep = region.representative_point()
        point = (float(rep.y), float(rep.x))
    elif geocodes:
        covered = geocodes
    else:
        raise _err("<area> cần <polygon>, <circle> hoặc <geocode> (valueName ma_xa) để biết nơi cảnh báo.", where)
    return {"point": point, "communes": covered, "shapes": drawn}


def _event_type(r: _Reader, info: Element, where: str, known: set[str]) -> str:
    for code in r.all(info, "eventCode"):
        if (r.text(code, "valueName", where, required=False) or "").lower() == "dieuhanh":
            value = r.text(code, "value", where, required=False) or ""
            if value not in known:
                raise _err(f"eventCode dieuhanh «{value[:40]}» không có trong danh mục loại sự kiện.",
                           f"{where}/eventCode")
            return value
    categories = [(c.text or "").strip() for c in r.all(info, "category")]
    if not categories:
        raise _err("thiếu <category>.", f"{where}/category")
    for category in categories:
        if category in CATEGORY_TYPES:
            return CATEGORY_TYPES[category]
    return "other"


def _events_of(session: Session, root: Element, r: _Reader, *, identifier: str, sender: str, exercise: bool,
               known: set[str]) -> list[EventIn]:
    infos = r.all(root, "info")
    if not infos:
        raise _err("bản tin Alert/Update cần ít nhất một <info>.", "alert/info")
    sent = _time(r.text(root, "sent", "alert"), "alert/sent")
    items: list[dict[str, Any]] = []
    for n, info in enumerate(infos, start=1):
        where = f"alert/info[{n}]"
        language = r.text(info, "language", where, required=False) or "en-US"
        event_name = r.text(info, "event", where) or ""
        severity = r.text(info, "severity", where, allowed=tuple(SEVERITY)) or "Unknown"
        urgency = r.text(info, "urgency", where, allowed=URGENCY)
        certainty = r.text(info, "certainty", where, allowed=CERTAINTY)
        type_code = _event_type(r, info, where, known)
        onset = _time(r.text(info, "onset", where, required=False), f"{where}/onset")
        effective = _time(r.text(info, "effective", where, required=False), f"{where}/effective")
        expires = _time(r.text(info, "expires", where, required=False), f"{where}/expires")
        headline = r.text(info, "headline", where, required=False)
        description = r.text(info, "description", where, required=False) or ""
        instruction = r.text(info, "instruction", where, required=False)
        areas = r.all(info, "area")
        if not areas:
            raise _err("<info> cần ít nhất một <area>.", f"{where}/area")
        for m, area in enumerate(areas, start=1):
            place = _area_place(session, r, area, f"{where}/area[{m}]")
            area_desc = r.text(area, "areaDesc", f"{where}/area[{m}]") or ""
            items.append({
                "type": type_code, "severity": "info" if exercise else SEVERITY[severity],
                "occurred_at": onset or effective or sent, "expires_at": expires,
                "title": (("[Diễn tập] " if exercise else "") + (headline or event_name))[:255],
                "description": "\n\n".join(x for x in (description, instruction and f"Hướng dẫn: {instruction}") if x
                                           )[:4000],
                "lat": place["point"][0] if place["point"] else None,
                "lon": place["point"][1] if place["point"] else None,
                "unit_code": None if place["point"] else place["communes"][0],
                "address": area_desc[:500],
                "payload": {"cap": {"identifier": identifier, "sender": sender, "event": event_name,
                                    "urgency": urgency, "certainty": certainty, "severity": severity,
                                    "language": language, "info": n, "area": m},
                            "communes": place["communes"], "shapes": place["shapes"]},
            })
    out = []
    for k, item in enumerate(items, start=1):
        ident = identifier if len(items) == 1 else f"{identifier}/{k}"
        out.append(EventIn.model_validate({**item, "source": _source(sender), "source_event_id": ident[:120]}))
    return out


def _source(sender: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "_.:@-/" else "-" for ch in sender)
    return f"cap:{safe}"[:60]


def _references(text: str | None) -> list[tuple[str, str]]:
    refs = []
    for entry in (text or "").split():
        parts = entry.split(",")
        if len(parts) == 3:
            refs.append((parts[0], parts[1]))
    if not refs:
        raise _err("<references> phải liệt kê «sender,identifier,sent» của bản tin được cập nhật hoặc hủy.",
                   "alert/references")
    return refs


def _referenced(session: Session, refs: list[tuple[str, str]]) -> list[Event]:
    found: list[Event] = []
    for sender, identifier in refs:
        found += list(session.scalars(select(Event).where(
            Event.source == _source(sender),
            or_(Event.source_event_id == identifier, Event.source_event_id.like(f"{identifier}/%")))
            .order_by(Event.id)))
    return found


def receive(session: Session, xml: bytes, *, principal: Principal, province_code: str,
            now: datetime | None = None, demo: bool = False) -> CapResult:
    """One CAP message (see the module docstring). Any error refuses the whole message; nothing is stored."""
    from dieuhanh.operations.service import event_types, push_events, set_status, to_utc

    authorize(principal, "events.push", principal.agency_code)
    root = parse(xml)
    r = _Reader(_ns(root))
    identifier = r.text(root, "identifier", "alert") or ""
    sender = r.text(root, "sender", "alert") or ""
    _time(r.text(root, "sent", "alert"), "alert/sent")
    status = r.text(root, "status", "alert", allowed=STATUSES) or ""
    msg_type = r.text(root, "msgType", "alert", allowed=MSG_TYPES) or ""
    r.text(root, "scope", "alert", allowed=("Public", "Restricted", "Private"))
    result = CapResult(identifier=identifier, sender=sender, status=status, msg_type=msg_type, stored=False)
    if status not in ("Actual", "Exercise"):
        result.note = f"Bản tin {status}: đã nhận, không lưu (chỉ lưu Actual và Exercise)."
        return result
    if msg_type in ("Ack", "Error"):
        result.note = f"Bản tin {msg_type}: đã nhận, không có gì để lưu."
        return result
    known = set(event_types(session))
    if msg_type == "Alert":
        items = _events_of(session, root, r, identifier=identifier, sender=sender, exercise=status == "Exercise",
                           known=known)
        pushed = push_events(session, principal=principal, items=items, province_code=province_code, now=now,
                             demo=demo)
        result.stored, result.created, result.duplicates = True, pushed.created, pushed.duplicates
        result.event_ids = [i["id"] for i in pushed.items]
        return result
    targets = _referenced(session, _references(r.text(root, "references", "alert")))
    if not targets:
        raise _err("không tìm thấy bản tin được tham chiếu trong <references> (chưa nhận bản tin gốc?).",
                   "alert/references")
    if msg_type == "Cancel":
        live = [e for e in targets if e.status != "cancelled"]
        set_status(session, live, "cancelled", actor=principal.actor, province_code=province_code, now=now)
        result.stored, result.cancelled = True, [e.id for e in live]
        result.event_ids = [e.id for e in targets]
        return result
    # Update: rewrite the referenced events in place, info/area by position (the last one when fewer).
    items = _events_of(session, root, r, identifier=identifier, sender=sender, exercise=status == "Exercise",
                       known=known)
    for k, target in enumerate(targets):
        item = items[min(k, len(items) - 1)]
        changes: dict[str, Any] = {"severity": item.severity, "title": item.title, "description": item.description,
                                   "expires_at": to_utc(item.expires_at) if item.expires_at else target.expires_at,
                                   "type": item.type,
                                   "payload": {**item.payload, "updates": [*(target.payload or {}).get("updates", []),
                                                                            identifier]}}
        if item.lat is not None and item.lon is not None:
            changes.update({"lat": item.lat, "lon": item.lon})
        set_status(session, [target], "active", actor=principal.actor, province_code=province_code, now=now,
                   changes=changes)
    result.stored, result.updated = True, [e.id for e in targets]
    result.event_ids = result.updated
    return result
