"""Citizen field reports: catalogue, routing, submission, workflow, duplicates, rating, merge, overdue.

Knows nothing of HTTP. Pages, the JSON API, Open311 and the demo call these functions.

Workflow (trạng thái và thao tác hợp lệ)::

    new ──accept──► accepted ──start──► in_progress ──resolve──► resolved ──close──► closed
     │  ▲             │                    │                        │ (citizen unsatisfied, once)
     │  └─forward─────┴────────────────────┘──► forwarded           └──reopen──► reopened
     └──reject──► rejected

Every transition checks ``feedback.handle`` (the responsible agency's officer or an admin), writes a
``ReportEvent`` and an audit row in the same transaction. Rating and ``reopen`` are the citizen's: the tracking code
is public (the map, Open311 GET), so they need the secret key handed out once in the tracking link when the report
was made (:func:`check_owner_key`); the report stores only the key's SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, event, func, insert, literal, or_, select, text
from sqlalchemy.orm import Session, aliased, selectinload

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from dieuhanh.core.formatting import to_local
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.feedback import catalogue
from dieuhanh.feedback import photos as photo_lib
from dieuhanh.feedback.dupindex import DuplicateIndex
from dieuhanh.feedback.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    SOURCES,
    STATUS_LABELS,
    STATUSES,
    Category,
    Report,
    ReportContact,
    ReportEvent,
    ReportPhoto,
    RoutingRule,
)
from dieuhanh.feedback.schemas import (
    ACTIONS,
    ATTRIBUTE_TYPES,
    CategoryIn,
    CategoryUpdate,
    Page,
    PageResult,
    ReportFilters,
    ReportIn,
    RoutingRuleIn,
)
from dieuhanh.geo import reference
from dieuhanh.geo.service import commune_shapes, locate
from dieuhanh.orgs.catalogue import PROVINCE_COMMITTEE, commune_agency_code
from dieuhanh.orgs.models import Agency

CODE_PREFIX = "PA"
ACTION_LABELS = {
    "submit": "Tiếp nhận phản ánh",
    "accept": "Nhận xử lý",
    "start": "Bắt đầu xử lý",
    "resolve": "Trả lời",
    "close": "Đóng",
    "forward": "Chuyển cơ quan khác",
    "reject": "Từ chối",
    "reopen": "Người dân mở lại",
    "rate": "Người dân đánh giá",
    "merge": "Gộp vào phản ánh khác",
}
# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accept": (("new", "forwarded", "reopened"), "accepted"),
    "start": (("new", "accepted", "forwarded", "reopened"), "in_progress"),
    "resolve": (("new", "accepted", "in_progress", "forwarded", "reopened"), "resolved"),
    "close": (("accepted", "in_progress", "resolved", "reopened"), "closed"),
    "forward": (("new", "accepted", "in_progress", "forwarded", "reopened"), "forwarded"),
    "reject": (("new", "accepted", "forwarded", "reopened"), "rejected"),
    "reopen": (("resolved", "closed"), "reopened"),
}
NEAR_DEADLINE_SHARE = 0.2  # highlighted when less than this share of the handling time is left
OWNER_KEY_BYTES = 18  # 144 random bits, 24 URL-safe characters: far beyond guessing, short enough for a link


_sqlite_writes = threading.Lock()


@contextmanager
def serialized_writes(session: Session) -> Iterator[None]:
    """On SQLite, one submitting transaction at a time in this process (held until the caller commits).

    SQLite has one writer per file; concurrent transactions that read and then write fail with "database is
    locked" or wait in the busy handler's back-off. Queueing them on a lock is both correct and faster. On
    PostgreSQL this does nothing.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    with _sqlite_writes:
        yield


# ----------------------------------------------------------------------------------------------- catalogue


def ensure_catalogue(session: Session) -> int:
    """Create the default categories and routing rules when the catalogue is empty (idempotent)."""
    if session.scalar(select(func.count()).select_from(Category)):
        return 0
    for order, item in enumerate(catalogue.DEFAULT_CATEGORIES):
        session.add(Category(sort_order=order, **item))
    session.flush()
    _catalogue_touched(session)
    agencies = set(session.scalars(select(Agency.code)))
    for category_code, unit_code, agency_code in catalogue.DEFAULT_RULES:
        if agency_code in agencies:
            session.add(RoutingRule(category_code=category_code, unit_code=unit_code, agency_code=agency_code))
    session.flush()
    return len(catalogue.DEFAULT_CATEGORIES)


def list_categories(session: Session, *, include_inactive: bool = False) -> list[Category]:
    ensure_catalogue(session)
    query = select(Category)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    return list(session.scalars(query.order_by(Category.sort_order, Category.name)))


def get_category(session: Session, service_code: str) -> Category:
    category = session.scalar(select(Category).where(Category.service_code == service_code))
    if category is None and ensure_catalogue(session):
        category = session.scalar(select(Category).where(Category.service_code == service_code))
    if category is None:
        raise NotFound(f"Không có lĩnh vực phản ánh mã «{service_code}».")
    return category


def _check_attribute_defs(defs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, d in enumerate(defs):
        code = str(d.get("code") or "").strip()
        datatype = d.get("datatype", "string")
        if not code or datatype not in ATTRIBUTE_TYPES:
            raise InvalidInput(f"Thuộc tính thứ {i + 1}: cần «code» và «datatype» là một trong "
                               + ", ".join(ATTRIBUTE_TYPES) + ".")
        values = [{"key": str(v.get("key")), "name": str(v.get("name", v.get("key")))} for v in d.get("values") or []]
        if datatype.endswith("valuelist") and not values:
            raise InvalidInput(f"Thuộc tính «{code}» kiểu danh sách cần ít nhất một giá trị.")
        out.append({"variable": bool(d.get("variable", True)), "code": code, "datatype": datatype,
                    "required": bool(d.get("required", False)),
                    "datatype_description": str(d.get("datatype_description") or ""),
                    "order": int(d.get("order") or i + 1), "description": str(d.get("description") or code),
                    "values": values})
    return out


def create_category(session: Session, *, principal: Principal, data: CategoryIn) -> Category:
    authorize(principal, "feedback.manage")
    ensure_catalogue(session)
    if session.scalar(select(Category).where(Category.service_code == data.service_code)):
        raise Conflict(f"Đã có lĩnh vực mã «{data.service_code}».")
    values = data.model_dump()
    values["attributes"] = _check_attribute_defs(data.attributes)
    category = Category(**values)
    session.add(category)
    session.flush()
    _catalogue_touched(session)
    audit.record(session, actor=principal.actor, action="feedback.category.create", entity_type="feedback_category",
                 entity_id=category.service_code, after=values)
    return category


def update_category(session: Session, *, principal: Principal, service_code: str, data: CategoryUpdate) -> Category:
    authorize(principal, "feedback.manage")
    category = get_category(session, service_code)
    changes = data.model_dump(exclude_unset=True)
    if "attributes" in changes and changes["attributes"] is not None:
        changes["attributes"] = _check_attribute_defs(changes["attributes"])
    before = {k: getattr(category, k) for k in changes}
    for key, value in changes.items():
        if value is not None or key == "emergency_message":
            setattr(category, key, value)
    _catalogue_touched(session)
    audit.record(session, actor=principal.actor, action="feedback.category.update", entity_type="feedback_category",
                 entity_id=service_code, before=before, after=changes)
    return category


def routing_rules(session: Session) -> list[RoutingRule]:
    ensure_catalogue(session)
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.category_code, RoutingRule.unit_code)))


def set_routing_rule(session: Session, *, principal: Principal, data: RoutingRuleIn) -> RoutingRule:
    authorize(principal, "feedback.manage")
    get_category(session, data.category_code)
    if session.get(Agency, data.agency_code) is None:
        raise InvalidInput(f"Không có cơ quan mã «{data.agency_code}».")
    if data.unit_code and reference.get_commune(data.unit_code) is None:
        raise InvalidInput(f"Không có xã, phường mã «{data.unit_code}».")
    query = select(RoutingRule).where(RoutingRule.category_code == data.category_code)
    query = query.where(
        RoutingRule.unit_code.is_(None) if not data.unit_code else RoutingRule.unit_code == data.unit_code)
    rule_row = session.scalar(query)
    before = None
    if rule_row is None:
        rule_row = RoutingRule(category_code=data.category_code, unit_code=data.unit_code or None,
                               agency_code=data.agency_code)
        session.add(rule_row)
    else:
        before = {"agency_code": rule_row.agency_code}
        rule_row.agency_code = data.agency_code
    session.flush()
    _catalogue_touched(session)
    audit.record(session, actor=principal.actor, action="feedback.routing.set", entity_type="feedback_routing_rule",
                 entity_id=rule_row.id, before=before, after=data.model_dump())
    return rule_row


def delete_routing_rule(session: Session, *, principal: Principal, rule_id: int) -> None:
    authorize(principal, "feedback.manage")
    rule_row = session.get(RoutingRule, rule_id)
    if rule_row is None:
        raise NotFound("Không có quy tắc phân công này.")
    audit.record(session, actor=principal.actor, action="feedback.routing.delete", entity_type="feedback_routing_rule",
                 entity_id=rule_id, before={"category_code": rule_row.category_code, "unit_code": rule_row.unit_code,
                                            "agency_code": rule_row.agency_code})
    session.delete(rule_row)
    _catalogue_touched(session)


def route(session: Session, category_code: str, unit_code: str | None) -> str:
    """The responsible agency: a rule for category+commune, else for the category, else the commune's committee."""
    rules = {r.unit_code: r.agency_code for r in session.scalars(
        select(RoutingRule).where(RoutingRule.category_code == category_code))}
    if unit_code and unit_code in rules:
        return rules[unit_code]
    if None in rules:
        return rules[None]
    if unit_code:
        code = commune_agency_code(unit_code)
        if session.get(Agency, code) is not None:
            return code
    return PROVINCE_COMMITTEE[0]


# ------------------------------------------------------------------------------------------------ location


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def _province_code(settings: Any) -> str:
    return str(getattr(settings, "province_code", "37") or "37")


def _resolve_location(session: Session, data: ReportIn, settings: Any, hint: tuple[float, float] | None
                      ) -> tuple[float | None, float | None, str | None, str | None]:
    """(lat, lon, unit_code, location_source) from the explicit point, the address, an address id or a photo."""
    province = _province_code(settings)
    lat, lon = data.lat, data.lon
    if (lat is None) != (lon is None):
        raise InvalidInput("Cần cả vĩ độ (lat) và kinh độ (long) của vị trí.",
                           errors=[FieldError(message="Thiếu vĩ độ hoặc kinh độ.", field="lat")])
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
            raise InvalidInput("Vĩ độ, kinh độ không hợp lệ.",
                               errors=[FieldError(message="Ngoài phạm vi.", field="lat")])
        if data.unit_code and reference.get_commune(data.unit_code) is None:
            raise InvalidInput(f"Không có xã, phường mã «{data.unit_code}».")
        unit = data.unit_code or locate(session, lat, lon)
        source = data.location_source if data.location_source in ("gps", "map") else "gps"
        if unit is None and text_address(data):
            resolution = reference.resolve_address(province, text_address(data) or "")
            unit = resolution.code
        if unit is None and commune_shapes(session) is None:
            return lat, lon, None, source  # no boundaries imported: the province's committee routes it
        if unit is None:
            raise InvalidInput("Vị trí đã chọn không thuộc xã, phường nào của tỉnh. Hãy chọn lại trên bản đồ "
                               "hoặc nhập địa chỉ.", errors=[FieldError(message="Ngoài địa bàn tỉnh.", field="lat")])
        return lat, lon, unit, source
    if data.unit_code:
        commune = reference.get_commune(data.unit_code)
        if commune is None or commune.parent_code != province:
            raise InvalidInput(f"Không có xã, phường mã «{data.unit_code}» trong tỉnh.")
        if hint:
            return hint[0], hint[1], commune.code, "photo"
        return None, None, commune.code, "map"
    text = data.address_string or data.address_id
    if text:
        resolution = reference.resolve_address(province, text)
        if resolution.resolved:
            if hint and locate(session, *hint) == resolution.code:
                return hint[0], hint[1], resolution.code, "photo"
            return None, None, resolution.code, "address" if data.address_string else "address_id"
        if resolution.ambiguous:
            names = ", ".join(c.name for c in resolution.candidates[:6])
            raise InvalidInput(f"Địa chỉ «{text}» có thể thuộc nhiều xã, phường ({names}). Hãy ghi rõ xã, phường "
                               "hiện nay hoặc chọn vị trí trên bản đồ.",
                               errors=[FieldError(message="Địa chỉ chưa rõ xã, phường.", field="address_string")])
        raise InvalidInput(f"Không xác định được xã, phường của địa chỉ «{text}». {resolution.message}".strip(),
                           errors=[FieldError(message="Không xác định được địa chỉ.", field="address_string")])
    if hint:
        unit_code = locate(session, *hint)
        if unit_code:
            return hint[0], hint[1], unit_code, "photo"
    raise InvalidInput("Hãy cho biết vị trí: chọn trên bản đồ, dùng vị trí của điện thoại hoặc nhập địa chỉ.",
                       errors=[FieldError(message="Thiếu vị trí.", field="location")])


def text_address(data: ReportIn) -> str | None:
    return data.address_string or data.address_id


def _check_attributes(category: Category, given: dict[str, Any]) -> dict[str, Any]:
    defs = {d["code"]: d for d in category.attributes or []}
    out: dict[str, Any] = {}
    for code, value in given.items():
        d = defs.get(code)
        if value in (None, "", []):
            continue
        if d is None:
            raise InvalidInput(f"Lĩnh vực «{category.name}» không có thuộc tính «{code}».",
                               errors=[FieldError(message="Thuộc tính không có.", field=f"attribute[{code}]")])
        if value in (None, "", []):
            continue
        keys = {v["key"] for v in d.get("values") or []}
        datatype = d.get("datatype", "string")
        if datatype == "singlevaluelist":
            if isinstance(value, list):
                value = value[0] if len(value) == 1 else value
            if not isinstance(value, str) or value not in keys:
                raise InvalidInput(f"Giá trị «{value}» của thuộc tính «{d['description']}» không có trong danh sách.",
                                   errors=[FieldError(message="Giá trị không hợp lệ.", field=f"attribute[{code}]")])
        elif datatype == "multivaluelist":
            value = value if isinstance(value, list) else [value]
            bad = [v for v in value if v not in keys]
            if bad:
                raise InvalidInput(f"Giá trị «{bad[0]}» của thuộc tính «{d['description']}» không có trong danh sách.",
                                   errors=[FieldError(message="Giá trị không hợp lệ.", field=f"attribute[{code}]")])
        elif datatype == "number":
            try:
                value = float(str(value).replace(",", "."))
            except ValueError as exc:
                raise InvalidInput(f"Thuộc tính «{d['description']}» phải là số.",
                                   errors=[FieldError(message="Phải là số.", field=f"attribute[{code}]")]) from exc
        elif datatype == "datetime":
            try:
                datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError as exc:
                raise InvalidInput(f"Thuộc tính «{d['description']}» phải là ngày giờ ISO 8601.",
                                   errors=[FieldError(message="Ngày giờ không hợp lệ.",
                                                      field=f"attribute[{code}]")]) from exc
            value = str(value)
        else:
            value = str(value)[:4000]
        out[code] = value
    missing = [d for c, d in defs.items() if d.get("required") and c not in out]
    if missing:
        raise InvalidInput(f"Thiếu thuộc tính bắt buộc «{missing[0]['description']}».",
                           errors=[FieldError(message="Bắt buộc.", field=f"attribute[{missing[0]['code']}]")])
    return out


# ------------------------------------------------------------------------------------------------- submit


def _local_year(now: datetime) -> int:
    return to_local(now).year


def make_code(report_id: int, created_at: datetime) -> str:
    return f"{CODE_PREFIX}-{_local_year(created_at)}-{report_id:06d}"


def _notify(session: Session, report: Report, kind: str, now: datetime) -> None:
    """An in-app notification for the responsible agency (shown with the alerts' notifications)."""
    from dieuhanh.alerts.models import Notification

    title = {"new": f"Phản ánh mới {report.code}", "forwarded": f"Phản ánh {report.code} được chuyển đến",
             "reopened": f"Phản ánh {report.code} bị mở lại", "overdue": f"Phản ánh {report.code} quá hạn"}[kind]
    session.add(Notification(
        channel="inapp", agency_code=report.agency_code, group_key=f"feedback:{report.code}", created_at=now,
        sent_at=now, status="sent",
        payload={"status": "firing", "kind": "feedback", "event": kind, "code": report.code,
                 "title": f"{title}: {report.category.name if report.category else report.category_code}",
                 "url": f"/xu-ly-phan-anh/{report.code}"}))


def find_possible_duplicate(session: Session, *, category_code: str, lat: float | None, lon: float | None,
                            now: datetime, settings: Any, exclude_id: int | None = None) -> Report | None:
    """The nearest open report of the category within the distance and time window, or None."""
    if lat is None or lon is None:
        return None
    distance = float(getattr(settings, "feedback_duplicate_distance_m", 50.0))
    best: tuple[float, int] | None = None
    for other_id, other_lat, other_lon, _code in _duplicate_candidates(
            session, category_code=category_code, lat=lat, lon=lon, now=now, settings=settings, exclude_id=exclude_id):
        d = distance_m(lat, lon, float(other_lat or 0.0), float(other_lon or 0.0))  # both set by the query
        if d <= distance and (best is None or d < best[0]):
            best = (d, other_id)
    return session.get(Report, best[1]) if best else None


@dataclass
class _Checked:
    category: Category
    description: str
    attributes: dict[str, Any]
    processed: list[Any]
    lat: float | None
    lon: float | None
    unit_code: str | None
    location_source: str | None


def _check_submission(session: Session, *, data: ReportIn, photos: list[bytes], source: str, principal: Principal,
                      settings: Any, category: Category | None = None) -> _Checked:
    """Everything :func:`submit` checks before writing (raises the DomainError the caller gets)."""
    if source not in SOURCES:
        raise InvalidInput(f"Nguồn «{source}» không hợp lệ.")
    if source == "open311":
        authorize(principal, "feedback.open311")
    if category is None:
        category = get_category(session, data.service_code)
    if not category.active:
        raise InvalidInput(f"Lĩnh vực «{category.name}» hiện không tiếp nhận phản ánh.")
    if category.emergency:
        raise InvalidInput(category.emergency_message or catalogue.EMERGENCY_MESSAGE,
                           errors=[FieldError(message="Tình huống khẩn cấp: gọi 114, 113, 115.", field="service_code")])
    description = (data.description or "").strip()
    if len(description) > 4000:
        raise InvalidInput("Nội dung phản ánh dài quá 4000 ký tự.",
                           errors=[FieldError(message="Tối đa 4000 ký tự.", field="description")])
    if source != "demo" and len(description) < 10 and not photos and not data.media_url:
        raise InvalidInput("Hãy mô tả sự việc (ít nhất 10 ký tự) hoặc đính kèm ảnh.",
                           errors=[FieldError(message="Nội dung quá ngắn.", field="description")])
    attributes = _check_attributes(category, data.attributes)
    processed = photo_lib.process_all(photos, max_count=int(getattr(settings, "feedback_max_photos", 3)),
                                      max_mb=int(getattr(settings, "feedback_max_photo_mb", 10))) if photos else []
    hint = next(((p.gps_lat, p.gps_lon) for p in processed if p.gps_lat is not None and p.gps_lon is not None), None)
    lat, lon, unit_code, location_source = _resolve_location(session, data, settings, hint)  # type: ignore[arg-type]
    if data.media_url and not data.media_url.lower().startswith(("http://", "https://")):
        raise InvalidInput("media_url phải là địa chỉ http(s).",
                           errors=[FieldError(message="Địa chỉ không hợp lệ.", field="media_url")])
    return _Checked(category, description, attributes, processed, lat, lon, unit_code, location_source)


def _duplicate_candidates(session: Session, *, category_code: str, lat: float, lon: float, now: datetime,
                          settings: Any, exclude_id: int | None = None) -> list[tuple[int, float, float, str]]:
    """(id, lat, lon, code) of the category's open reports in the time window and the distance's bounding box."""
    distance = float(getattr(settings, "feedback_duplicate_distance_m", 50.0))
    window = int(getattr(settings, "feedback_duplicate_window_days", 7))
    dlat = distance / 111_320.0
    dlon = distance / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    query = select(Report.id, Report.lat, Report.lon, Report.code).where(
        Report.category_code == category_code, Report.status.in_(OPEN_STATUSES), Report.duplicate_of_id.is_(None),
        Report.created_at >= now - timedelta(days=window), Report.created_at <= now,
        Report.lat.between(lat - dlat, lat + dlat), Report.lon.between(lon - dlon, lon + dlon))
    if exclude_id is not None:
        query = query.where(Report.id != exclude_id)
    return [tuple(row) for row in session.execute(query.order_by(Report.id.desc()).limit(2000))]  # type: ignore[misc]


def submit(session: Session, *, data: ReportIn, photos: list[bytes], source: str, principal: Principal,
           settings: Any, now: datetime | None = None, ip: str | None = None, owner_key: str | None = None) -> Report:
    """Accept a citizen's report: validate, locate, route, set the deadline, flag duplicates, store photos.

    ``owner_key`` (from :func:`new_owner_key`, shown to the submitter once) is stored as its hash; without one
    nobody can rate or reopen the report."""
    now = now or utcnow()
    checked = _check_submission(session, data=data, photos=photos, source=source, principal=principal,
                                settings=settings)
    category, description, attributes, processed = (checked.category, checked.description, checked.attributes,
                                                    checked.processed)
    lat, lon, unit_code, location_source = checked.lat, checked.lon, checked.unit_code, checked.location_source
    agency = route(session, category.service_code, unit_code)
    report = Report(
        code=f"tmp-{uuid.uuid4().hex[:16]}", category_code=category.service_code, description=description,
        lat=lat, lon=lon, address_string=(data.address_string or None), address_id=data.address_id or None,
        unit_code=unit_code, agency_code=agency, status="new", created_at=now, updated_at=now,
        due_at=now + timedelta(hours=category.deadline_hours), source=source,
        api_token_id=principal.id if principal.kind == "token" else None, attributes=attributes,
        media=[{"url": data.media_url}] if data.media_url else [], location_source=location_source,
        owner_key_hash=owner_key_hash(owner_key) if owner_key else None,
    )
    report.category = category
    duplicate = find_possible_duplicate(session, category_code=category.service_code, lat=lat, lon=lon, now=now,
                                        settings=settings)
    if duplicate is not None:
        report.possible_duplicate_of_id = duplicate.id
    session.add(report)
    session.flush()
    report.code = make_code(report.id, now)
    if any([data.name, data.phone, data.email, data.device_id, data.account_id]):
        session.add(ReportContact(report_id=report.id, name=data.name, phone=data.phone, email=data.email,
                                  device_id=data.device_id, account_id=data.account_id))
    media = list(report.media)
    for p in processed:
        path, thumb = photo_lib.store(settings, report.code, p)
        photo = ReportPhoto(report_id=report.id, path=path, thumb_path=thumb, content_type=p.content_type,
                            width=p.width, height=p.height, size_bytes=len(p.content), gps_lat=p.gps_lat,
                            gps_lon=p.gps_lon, created_at=now)
        session.add(photo)
        session.flush()
        media.append({"photo_id": photo.id, "url": f"/api/v1/feedback/public/photos/{photo.id}"})
    report.media = media
    session.add(ReportEvent(report_id=report.id, at=now, actor=principal.actor, action="submit", to_status="new",
                            agency_to=agency,
                            note_internal=f"Có thể trùng phản ánh {duplicate.code}" if duplicate else None))
    audit.record(session, actor=principal.actor, action="feedback.submit", entity_type="feedback_report",
                 entity_id=report.code, ip=ip,
                 after={"category": category.service_code, "unit_code": unit_code, "agency_code": agency,
                        "source": source, "photos": len(processed),
                        "possible_duplicate_of": duplicate.code if duplicate else None})
    _notify(session, report, "new", now)
    return report


@dataclass
class Submission:
    """One report for :func:`submit_many` (the arguments of :func:`submit`)."""

    data: ReportIn
    source: str
    principal: Principal
    ip: str | None = None
    photos: list[bytes] | None = None
    owner_key: str | None = None  # the submitter's secret key (see submit); only its hash is written


@dataclass
class Submitted:
    """What the submitter learns of a stored report."""

    id: int
    code: str
    deadline_hours: int


def submit_many(session_factory: Any, items: list[Submission], *, settings: Any,
                now: datetime | None = None) -> list[Submitted | Exception]:
    """Submit many reports in one transaction (group commit); returns each one's result or its own error.

    The same checks, routing, deadline, duplicate flag (reports of the same batch see each other), event, contact
    row, audit row and agency notification as :func:`submit`, but written with one multi-row INSERT per table and one
    commit for the batch (one write-lock round on SQLite), with the catalogue read once per batch and tracking codes
    made from ids drawn before the INSERT (no flush + UPDATE per report). A record that fails its checks gets its
    DomainError and the others are written; if the write itself fails, every valid record is retried alone through
    :func:`submit` in its own transaction, so each caller gets its own result. Reports with photos always take that
    path (photos are stored under the tracking code).
    """
    results: list[Submitted | Exception | None] = [None] * len(items)
    todo = list(range(len(items)))
    if not any(item.photos for item in items):
        session: Session = session_factory()
        try:
            with serialized_writes(session):
                _submit_bulk(session, items, results, settings=settings, now=now or utcnow())
                session.commit()
            todo = []
        except Exception:  # noqa: BLE001 - the batch write failed: redo the records one at a time below
            session.rollback()
            todo = [i for i, r in enumerate(results) if not isinstance(r, DomainError)]
        finally:
            session.close()
    for i in todo:
        item = items[i]
        single: Session = session_factory()
        try:
            with serialized_writes(single):
                report = submit(single, data=item.data, photos=item.photos or [], source=item.source,
                                principal=item.principal, settings=settings, ip=item.ip, now=now,
                                owner_key=item.owner_key)
                single.commit()
            results[i] = Submitted(id=report.id, code=report.code, deadline_hours=report.category.deadline_hours)
        except Exception as exc:  # noqa: BLE001 - reported to that caller only
            single.rollback()
            results[i] = exc
        finally:
            single.close()
    return [r if r is not None else RuntimeError("not submitted") for r in results]


def _new_ids(session: Session, n: int, highest: int) -> list[int]:
    """``n`` report ids taken before the INSERT, so the tracking code goes into the same row (``highest``: the
    table's highest id, read in this transaction)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":  # inside the process's write lock; another process writing makes the INSERT fail
        return list(range(highest + 1, highest + 1 + n))
    if dialect == "postgresql":
        return [int(v) for v in session.scalars(text(
            "SELECT nextval(pg_get_serial_sequence('feedback_report', 'id')) FROM generate_series(1, :n)"),
            {"n": n})]
    raise RuntimeError(f"no bulk ids for {dialect}")


def _submit_bulk(session: Session, items: list[Submission], results: list[Submitted | Exception | None], *,
                 settings: Any, now: datetime) -> None:
    from dieuhanh.alerts.models import Notification

    categories, rules, agencies = _catalogue_snapshot(session)
    distance = float(getattr(settings, "feedback_duplicate_distance_m", 50.0))

    checked: list[tuple[int, _Checked]] = []
    for i, item in enumerate(items):
        try:
            category = categories.get(item.data.service_code) or get_category(session, item.data.service_code)
            checked.append((i, _check_submission(session, data=item.data, photos=[], source=item.source,
                                                 principal=item.principal, settings=settings, category=category)))
        except DomainError as exc:
            results[i] = exc
    if not checked:
        return
    index = DuplicateIndex(session, settings, now)
    index.refresh()
    ids = _new_ids(session, len(checked), index.highest)
    year = _local_year(now)
    proposed = {i: index.candidates(c.category.service_code, c.lat, c.lon, distance_m)
                for i, c in checked if c.lat is not None and c.lon is not None}
    live = index.still_open({rid: code for cands in proposed.values() for _d, rid, code in cands})
    batch: list[tuple[int, str, str, float, float]] = []  # (id, code, category, lat, lon) of this batch
    reports, contacts, events, audits, notes = [], [], [], [], []
    for (i, c), report_id in zip(checked, ids, strict=True):
        item, data = items[i], items[i].data
        code = f"{CODE_PREFIX}-{year}-{report_id:06d}"
        category_code = c.category.service_code
        agency = _route_with(rules.get(category_code, {}), agencies, c.unit_code)
        duplicate: tuple[int, str] | None = None
        if c.lat is not None and c.lon is not None:
            best = next(((d, rid, other) for d, rid, other in proposed[i] if rid in live), None)
            for other_id, other_code, other_category, other_lat, other_lon in batch:
                if other_category == category_code:
                    d = distance_m(c.lat, c.lon, other_lat, other_lon)
                    if d <= distance and (best is None or d < best[0] or (d == best[0] and other_id > best[1])):
                        best = (d, other_id, other_code)
            duplicate = (best[1], best[2]) if best else None
            batch.append((report_id, code, category_code, c.lat, c.lon))
        principal = item.principal
        reports.append({
            "id": report_id, "code": code, "category_code": category_code, "description": c.description,
            "lat": c.lat, "lon": c.lon, "address_string": data.address_string or None,
            "address_id": data.address_id or None, "unit_code": c.unit_code, "agency_code": agency, "status": "new",
            "created_at": now, "updated_at": now, "due_at": now + timedelta(hours=c.category.deadline_hours),
            "resolved_at": None, "closed_at": None, "paused_at": None, "public_reply": None, "rating": None,
            "rated_at": None, "reopened_count": 0, "duplicate_of_id": None,
            "possible_duplicate_of_id": duplicate[0] if duplicate else None, "source": item.source,
            "api_token_id": principal.id if principal.kind == "token" else None, "attributes": c.attributes,
            "media": [{"url": data.media_url}] if data.media_url else [], "location_source": c.location_source,
            "owner_key_hash": owner_key_hash(item.owner_key) if item.owner_key else None})
        if any([data.name, data.phone, data.email, data.device_id, data.account_id]):
            contacts.append({"report_id": report_id, "name": data.name, "phone": data.phone, "email": data.email,
                             "device_id": data.device_id, "account_id": data.account_id})
        events.append({"report_id": report_id, "at": now, "actor": principal.actor, "action": "submit",
                       "from_status": None, "to_status": "new", "note_public": None,
                       "note_internal": f"Có thể trùng phản ánh {duplicate[1]}" if duplicate else None,
                       "agency_from": None, "agency_to": agency})
        audits.append({"at": now, "actor": principal.actor, "action": "feedback.submit",
                       "entity_type": "feedback_report", "entity_id": code, "ip": item.ip,
                       "after": {"category": category_code, "unit_code": c.unit_code, "agency_code": agency,
                                 "source": item.source, "photos": 0,
                                 "possible_duplicate_of": duplicate[1] if duplicate else None}})
        notes.append({"channel": "inapp", "recipient": None, "agency_code": agency, "group_key": f"feedback:{code}",
                      "created_at": now, "sent_at": now, "status": "sent", "error": None,
                      "payload": {"status": "firing", "kind": "feedback", "event": "new", "code": code,
                                  "title": f"Phản ánh mới {code}: {c.category.name}",
                                  "url": f"/xu-ly-phan-anh/{code}"}})
        results[i] = Submitted(id=report_id, code=code, deadline_hours=c.category.deadline_hours)
    session.execute(insert(cast(Table, Report.__table__)), reports)
    if contacts:
        session.execute(insert(cast(Table, ReportContact.__table__)), contacts)
    session.execute(insert(cast(Table, ReportEvent.__table__)), events)
    audit.record_many(session, audits)
    session.execute(insert(cast(Table, Notification.__table__)), notes)


@dataclass
class _Snapshot:
    version: int
    loaded: float
    categories: dict[str, Category]
    rules: dict[str, dict[str | None, str]]
    agencies: set[str]


_catalogue_version = 0
_snapshots: weakref.WeakKeyDictionary[Any, _Snapshot] = weakref.WeakKeyDictionary()
CATALOGUE_RECHECK_SECONDS = 30.0  # changes made by another process (CLI, a second worker) are seen this late


def catalogue_changed() -> None:
    """The bulk writer reloads its catalogue snapshot (categories, routing rules) before its next batch."""
    global _catalogue_version
    _catalogue_version += 1


def _catalogue_touched(session: Session) -> None:
    """Every function that changes categories or routing rules calls this: now and again after the commit (so a
    snapshot read between the change and its commit does not stay)."""
    catalogue_changed()
    session.info[_CHANGED_KEY] = True


_CHANGED_KEY = "feedback_catalogue_changed"


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED_KEY, None):
        catalogue_changed()


def _catalogue_snapshot(session: Session) -> tuple[dict[str, Category], dict[str, dict[str | None, str]], set[str]]:
    """Categories (detached, read-only), routing rules and agency codes, kept per database for the bulk writer."""
    engine = session.get_bind().engine
    snap = _snapshots.get(engine)
    now = time.monotonic()
    if snap is None or snap.version != _catalogue_version or now - snap.loaded > CATALOGUE_RECHECK_SECONDS:
        version = _catalogue_version
        categories = {c.service_code: c for c in session.scalars(select(Category))}
        if not categories:
            ensure_catalogue(session)
            session.flush()
            categories = {c.service_code: c for c in session.scalars(select(Category))}
        rules: dict[str, dict[str | None, str]] = {}
        for category_code, unit_code, agency_code in session.execute(
                select(RoutingRule.category_code, RoutingRule.unit_code, RoutingRule.agency_code)):
            rules.setdefault(category_code, {})[unit_code] = agency_code
        agencies = set(session.scalars(select(Agency.code)))
        for category in categories.values():
            session.expunge(category)
        snap = _Snapshot(version, now, categories, rules, agencies)
        _snapshots[engine] = snap
    return snap.categories, snap.rules, snap.agencies


def _route_with(rules: dict[str | None, str], agencies: set[str], unit_code: str | None) -> str:
    """:func:`route` over rules and agencies read once per batch."""
    if unit_code and unit_code in rules:
        return rules[unit_code]
    if None in rules:
        return rules[None]
    if unit_code and commune_agency_code(unit_code) in agencies:
        return commune_agency_code(unit_code)
    return PROVINCE_COMMITTEE[0]


# ------------------------------------------------------------------------------------------------ owner key

NO_KEY_MESSAGE = ("Phản ánh {code} được gửi trước khi có đường liên kết riêng cho người gửi, nên không đánh giá "
                  "hoặc yêu cầu xử lý lại trực tuyến được: chỉ người mở trang theo dõi bằng đường liên kết riêng "
                  "(có khoá bí mật) nhận được khi gửi phản ánh mới làm được việc này. Hãy liên hệ cơ quan xử lý.")
WRONG_KEY_MESSAGE = ("Chỉ người gửi phản ánh, mở trang theo dõi bằng đường liên kết riêng nhận được khi gửi, mới "
                     "đánh giá hoặc yêu cầu xử lý lại được. Đường liên kết này thiếu khoá hoặc khoá không đúng.")


class OwnerKeyRefused(PermissionDenied):
    """Rating or reopening without the submitter's key (403): the tracking code alone proves nothing."""


def new_owner_key() -> str:
    """A fresh secret key for a new report (the caller shows it once and passes it to :func:`submit`)."""
    return secrets.token_urlsafe(OWNER_KEY_BYTES)


def owner_key_hash(key: str) -> str:
    # A plain SHA-256 is enough: the key is 144 random bits, not a password that could be guessed from a list.
    return hashlib.sha256(key.strip().encode()).hexdigest()


def owner_key_matches(report: Report, key: str | None) -> bool:
    """Whether ``key`` is the key of this very report (not of the report it was merged into)."""
    if not report.owner_key_hash or not key or not key.strip():
        return False
    return hmac.compare_digest(report.owner_key_hash, owner_key_hash(key))


def check_owner_key(report: Report, key: str | None) -> None:
    """Raise :class:`OwnerKeyRefused` unless ``key`` is the report's own key (reports without one: always)."""
    if not report.owner_key_hash:
        raise OwnerKeyRefused(NO_KEY_MESSAGE.format(code=report.code))
    if not owner_key_matches(report, key):
        raise OwnerKeyRefused(WRONG_KEY_MESSAGE)


# ------------------------------------------------------------------------------------------------- reading


def get_by_code(session: Session, code: str) -> Report:
    code = (code or "").strip().upper()
    report = session.scalar(select(Report).where(Report.code == code)) if code else None
    if report is None:
        raise NotFound(f"Không tìm thấy phản ánh mã «{code}».")
    return report


def effective(report: Report) -> Report:
    """The report whose status and answer are shown: the main one for a merged duplicate."""
    seen = {report.id}
    current = report
    while current.duplicate_of is not None and current.duplicate_of.id not in seen:
        current = current.duplicate_of
        seen.add(current.id)
    return current


def public_events(report: Report) -> list[ReportEvent]:
    """The history a citizen sees (public pages read only the public fields of these rows)."""
    return [e for e in report.events if e.action != "overdue"]


def contact(session: Session, report: Report, *, principal: Principal) -> ReportContact | None:
    """The citizen's contact details: only for the responsible agency's officers (``feedback.contact``)."""
    authorize(principal, "feedback.contact", report)
    return session.scalar(select(ReportContact).where(ReportContact.report_id == report.id))


def get_photo(session: Session, photo_id: int) -> ReportPhoto:
    photo = session.get(ReportPhoto, photo_id)
    if photo is None:
        raise NotFound("Không có ảnh này.")
    return photo


def _apply_filters(query: Any, filters: ReportFilters, now: datetime) -> Any:
    if filters.category:
        codes = [c.strip() for c in filters.category.split(",") if c.strip()]
        query = query.where(Report.category_code.in_(codes))
    if filters.unit_code:
        query = query.where(Report.unit_code == filters.unit_code)
    if filters.agency_code:
        query = query.where(Report.agency_code == filters.agency_code)
    if filters.status:
        wanted = [s.strip() for s in filters.status.split(",") if s.strip()]
        conditions: list[Any] = []
        for s in wanted:
            if s in ("open", "closed") and filters.status_of_main:
                conditions.append(_shown_status_in(OPEN_STATUSES if s == "open" else CLOSED_STATUSES, s))
            elif s == "open":
                conditions.append(Report.status.in_(OPEN_STATUSES))
            elif s == "closed":
                conditions.append(Report.status.in_(CLOSED_STATUSES))
            elif s == "overdue":
                conditions.append(_overdue_condition(now))
            elif s in STATUSES:
                conditions.append(Report.status == s)
            else:
                raise InvalidInput(f"Trạng thái «{s}» không hợp lệ.")
        query = query.where(or_(*conditions))
    if filters.codes:
        query = query.where(Report.code.in_([c.strip().upper() for c in filters.codes]))
    if filters.start is not None:
        query = query.where(Report.created_at >= filters.start)
    if filters.end is not None:
        query = query.where(Report.created_at <= filters.end)
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(or_(Report.description.ilike(like), Report.code.ilike(like),
                                Report.address_string.ilike(like)))
    if filters.possible_duplicates:
        query = query.where(Report.possible_duplicate_of_id.is_not(None), Report.duplicate_of_id.is_(None))
    if not filters.include_merged:
        query = query.where(Report.duplicate_of_id.is_(None))
    return query


MAX_MERGE_DEPTH = 20


def _shown_status_in(statuses: tuple[str, ...], label: str) -> Any:
    """Reports whose *shown* status (see :func:`effective`: a merged duplicate shows its main report's) is one of
    ``statuses``: a report not merged by its own status, a merged one by the status at the end of its chain of
    merges (a recursive query, so merges of merges count too)."""
    chain = select(Report.id.label("id"), Report.duplicate_of_id.label("main_id"), literal(1).label("depth")).where(
        Report.duplicate_of_id.is_not(None)).cte(f"merge_chain_{label}", recursive=True)
    step = aliased(Report)
    chain = chain.union_all(
        select(chain.c.id, step.duplicate_of_id, chain.c.depth + 1)
        .join(step, step.id == chain.c.main_id)
        .where(step.duplicate_of_id.is_not(None), chain.c.depth < MAX_MERGE_DEPTH))
    root = aliased(Report)
    merged = select(chain.c.id).join(root, root.id == chain.c.main_id).where(
        root.duplicate_of_id.is_(None), root.status.in_(statuses))
    return or_(and_(Report.duplicate_of_id.is_(None), Report.status.in_(statuses)), Report.id.in_(merged))


def _page(session: Session, query: Any, page: Page, order: Any) -> PageResult:
    size = max(1, min(int(page.size), 1000))
    number = max(1, int(page.number))
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = list(session.scalars(query.order_by(*order).offset((number - 1) * size).limit(size)))
    return PageResult(items=items, total=int(total), page=number, size=size)


def public_list(session: Session, filters: ReportFilters, page: Page) -> PageResult:
    """Reports anyone may see (no personal data is part of a Report row)."""
    now = utcnow()
    query = _apply_filters(select(Report).options(selectinload(Report.duplicate_of)), filters, now)
    return _page(session, query, page, (Report.created_at.desc(), Report.id.desc()))


def public_points(session: Session, filters: ReportFilters, limit: int) -> tuple[list[Any], int]:
    """The newest ``limit`` reports of the public list as plain rows ``(code, status, category_code, lat, lon)``
    — what the public map draws, without building report objects — and how many reports match."""
    query = _apply_filters(select(Report.code, Report.status, Report.category_code, Report.lat, Report.lon),
                           filters, utcnow())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)).all()
    return list(rows), int(total)


_SHOWN_COLUMNS = (Report.id, Report.code, Report.status, Report.public_reply, Report.duplicate_of_id,
                  Report.agency_code, Report.updated_at, Report.due_at)


def open311_rows(session: Session, filters: ReportFilters, limit: int) -> tuple[list[Any], dict[int, Any]]:
    """The newest ``limit`` reports of the public list as plain rows for Open311 (report columns, the category's
    ``category_name`` and ``deadline_hours``), and by report id the row whose status and answer are shown: the
    report itself, or the main report it was merged into (following merges of merges, like :func:`effective`)."""
    query = _apply_filters(_open311_select(), filters, utcnow())
    rows = session.execute(query.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)).all()
    return list(rows), _mains(session, rows, _SHOWN_COLUMNS)


def open311_rows_by_id(session: Session, ids: list[int]) -> tuple[list[Any], dict[int, Any]]:
    """:func:`open311_rows` of the given reports (any order)."""
    rows = session.execute(_open311_select().where(Report.id.in_(ids))).all() if ids else []
    return list(rows), _mains(session, rows, _SHOWN_COLUMNS)


def open311_keys(session: Session, filters: ReportFilters, limit: int) -> list[tuple[int, Any, int, Any]]:
    """The list of :func:`open311_rows` as ``(id, updated_at, shown id, shown updated_at)`` only, newest first:
    read from the covering indexes of migration 0025 without reading a report row (the caller keeps the encoded
    reports and reads in full only those it does not have in their current version).

    The Open311 ``status`` filter (by the status *shown*) is applied here without the recursive query of
    :func:`_shown_status_in`: a report not merged is chosen by its own status in the index, a merged one (few) is
    read with its chain of merges and kept when the end of the chain has a wanted status — the same rule; when
    merged ones fall out, the next reports are read until ``limit`` are found or none are left."""
    lean = (Report.id, Report.duplicate_of_id, Report.updated_at, Report.status)
    wanted = [s.strip() for s in (filters.status or "").split(",") if s.strip()]
    allowed: set[str] | None = None
    if filters.status_of_main and wanted and set(wanted) <= {"open", "closed"}:
        allowed = set(OPEN_STATUSES if "open" in wanted else ()) | set(CLOSED_STATUSES if "closed" in wanted else ())
        query = _apply_filters(select(*lean), replace(filters, status=None), utcnow()).where(
            or_(Report.duplicate_of_id.is_not(None), Report.status.in_(sorted(allowed))))
    else:
        query = _apply_filters(select(*lean), filters, utcnow())
    query = query.order_by(Report.created_at.desc(), Report.id.desc())
    # Rows are read by index (r[0] …), not by name: over 1,000 rows the attribute look-ups of Row cost more than
    # the query. When merged reports fall out, only the next rows are read (OFFSET), not the first ones again.
    chosen: list[tuple[int, Any, int, Any]] = []
    read, fetch = 0, limit
    while True:
        rows = session.execute(query.offset(read).limit(fetch)).all() if read else \
            session.execute(query.limit(fetch)).all()
        read += len(rows)
        ends = _chain_ends(session, [r for r in rows if r[1] is not None], lean)
        for r in rows:
            if r[1] is None:
                if allowed is None or r[3] in allowed:
                    chosen.append((r[0], r[2], r[0], r[2]))
            else:
                end = ends[r[0]]
                if allowed is None or (end[1] is None and end[3] in allowed):
                    chosen.append((r[0], r[2], end[0], end[2]))
        if len(chosen) >= limit or len(rows) < fetch:
            break
        fetch = limit - len(chosen)
    return chosen[:limit]


def _chain_ends(session: Session, merged: list[Any], columns: tuple[Any, ...]) -> dict[int, Any]:
    """By id of each merged report (rows whose ``[1]`` is ``duplicate_of_id``), the end of its chain of merges
    (rows of ``columns``; like :func:`_mains`, a cycle or a missing report stops the walk)."""
    by_id: dict[int, Any] = {}
    wanted = {r[1] for r in merged}
    while wanted:
        found = session.execute(select(*columns).where(Report.id.in_(wanted))).all()
        by_id.update((r[0], r) for r in found)
        wanted = {r[1] for r in found if r[1] is not None} - set(by_id)
    ends: dict[int, Any] = {}
    for row in merged:
        current, seen = row, {row[0]}
        while current[1] in by_id and current[1] not in seen:
            current = by_id[current[1]]
            seen.add(current[0])
        ends[row[0]] = current
    return ends


def _open311_select() -> Any:
    return select(
        *_SHOWN_COLUMNS, Report.media, Report.address_string, Report.unit_code, Report.category_code,
        Report.description, Report.created_at, Report.address_id, Report.lat, Report.lon,
        Category.name.label("category_name"), Category.deadline_hours,
    ).join(Category, Category.service_code == Report.category_code)


def _mains(session: Session, rows: Any, columns: tuple[Any, ...]) -> dict[int, Any]:
    """By report id, the row shown for it: itself, or the end of its chain of merges (rows of ``columns``)."""
    by_id: dict[int, Any] = {r.id: r for r in rows}
    wanted = {r.duplicate_of_id for r in rows if r.duplicate_of_id is not None} - set(by_id)
    while wanted:
        found = session.execute(select(*columns).where(Report.id.in_(wanted))).all()
        by_id.update((r.id, r) for r in found)
        wanted = {r.duplicate_of_id for r in found if r.duplicate_of_id is not None} - set(by_id)
    main_of: dict[int, Any] = {}
    for row in rows:
        current, seen = row, {row.id}
        while current.duplicate_of_id in by_id and current.duplicate_of_id not in seen:
            current = by_id[current.duplicate_of_id]
            seen.add(current.id)
        main_of[row.id] = current
    return main_of


def inbox(session: Session, principal: Principal, filters: ReportFilters, page: Page) -> PageResult:
    """An officer's reports (their agency's); admins, leaders and analysts see every agency."""
    if not principal.is_authenticated:
        raise NotAuthenticated("Bạn cần đăng nhập.")
    now = utcnow()
    query = select(Report)
    if principal.has_role("officer"):
        if not principal.agency_code:
            raise PermissionDenied("Tài khoản cán bộ chưa gắn với cơ quan nào.")
        query = query.where(Report.agency_code == principal.agency_code)
    elif not principal.has_role("admin", "leader", "analyst"):
        raise PermissionDenied("Bạn không có quyền xem hộp xử lý phản ánh.")
    query = _apply_filters(query, filters, now)
    # open ones first, the most urgent deadline first
    return _page(session, query, page, (Report.status.in_(CLOSED_STATUSES), Report.due_at.asc(), Report.id.desc()))


def deadline_info(report: Report, now: datetime | None = None) -> DeadlineInfo:
    now = now or utcnow()
    if report.status in CLOSED_STATUSES or report.due_at is None or report.paused_at is not None:
        return DeadlineInfo(overdue=False, near=False)
    if report.due_at < now:
        return DeadlineInfo(overdue=True, near=False)
    total = max((report.due_at - report.created_at).total_seconds(), 1.0)
    left = (report.due_at - now).total_seconds()
    return DeadlineInfo(overdue=False, near=left < min(total * NEAR_DEADLINE_SHARE, 24 * 3600))


@dataclass
class DeadlineInfo:
    overdue: bool
    near: bool  # less than 20 % of the handling time (at most 24 h) left


def _overdue_condition(now: datetime) -> Any:
    return (Report.status.in_(OPEN_STATUSES) & Report.due_at.is_not(None) & (Report.due_at < now)
            & Report.paused_at.is_(None) & Report.duplicate_of_id.is_(None))


def overdue(session: Session, now: datetime | None = None) -> list[Report]:
    """Open reports past their deadline (not counting merged duplicates or paused forwards)."""
    now = now or utcnow()
    return list(session.scalars(select(Report).where(_overdue_condition(now)).order_by(Report.due_at)))


def notify_overdue(session: Session, now: datetime | None = None) -> int:
    """Tell each responsible agency once about each report that went past its deadline (in-app notification and a
    history event); returns how many were newly notified. Run by the scheduler."""
    now = now or utcnow()
    already = select(ReportEvent.report_id).where(ReportEvent.action == "overdue")
    reports = session.scalars(select(Report).where(_overdue_condition(now), Report.id.not_in(already))).all()
    for report in reports:
        session.add(ReportEvent(report_id=report.id, at=now, actor="system", action="overdue",
                                from_status=report.status, to_status=report.status,
                                note_internal="Quá hạn xử lý."))
        _notify(session, report, "overdue", now)
    session.flush()
    return len(reports)


def is_resolved_on_time(report: Report) -> bool | None:
    if report.resolved_at is None or report.due_at is None:
        return None
    return report.resolved_at <= report.due_at


# ------------------------------------------------------------------------------------------------ workflow


def _illegal(report: Report, action: str) -> Conflict:
    return Conflict(f"Không thể «{ACTION_LABELS.get(action, action).lower()}» phản ánh {report.code} đang ở trạng "
                    f"thái «{STATUS_LABELS.get(report.status, report.status)}».")


def _required(text: str | None, message: str, field_name: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInput(message, errors=[FieldError(message=message, field=field_name)])
    return value


def transition(session: Session, report: Report, action: str, *, principal: Principal,
               note_public: str | None = None, note_internal: str | None = None,
               target_agency: str | None = None, reason: str | None = None, settings: Any = None,
               now: datetime | None = None) -> Report:
    """Apply one workflow action; raises Conflict (409) for an illegal one and InvalidInput (422) for bad input.

    ``reopen`` is not an officer's action: only the citizen holding the report's key reopens it (:func:`reopen`)."""
    if action == "reopen":
        raise PermissionDenied("Chỉ người gửi phản ánh mới yêu cầu xử lý lại được, qua đường liên kết riêng "
                               "nhận được khi gửi phản ánh.")
    return _transition(session, report, action, principal=principal, note_public=note_public,
                       note_internal=note_internal, target_agency=target_agency, reason=reason, settings=settings,
                       now=now)


def _transition(session: Session, report: Report, action: str, *, principal: Principal,
                note_public: str | None = None, note_internal: str | None = None,
                target_agency: str | None = None, reason: str | None = None, settings: Any = None,
                now: datetime | None = None) -> Report:
    now = now or utcnow()
    if action not in ACTIONS:
        raise InvalidInput(f"Thao tác «{action}» không hợp lệ. Hợp lệ: " + ", ".join(ACTIONS) + ".",
                           errors=[FieldError(message="Thao tác không hợp lệ.", field="action")])
    if action != "reopen":  # the citizen's own action, checked by reopen() with the key
        authorize(principal, "feedback.handle", report)
    if report.duplicate_of_id is not None:
        raise Conflict(f"Phản ánh {report.code} đã được gộp vào {effective(report).code}; hãy xử lý phản ánh chính.")
    sources, target = TRANSITIONS[action]
    if report.status not in sources:
        raise _illegal(report, action)
    before = {"status": report.status, "agency_code": report.agency_code}
    from_status, agency_from = report.status, report.agency_code
    agency_to: str | None = None
    note_public = (note_public or "").strip() or None
    note_internal = (note_internal or "").strip() or None
    reason = (reason or "").strip() or None
    pause = bool(getattr(settings, "feedback_pause_when_forwarded", False)) if settings is not None else False

    if action == "resolve":
        report.public_reply = _required(note_public, "Cần nội dung trả lời công khai cho người dân.", "note_public")
        report.resolved_at = now
        report.rating = None
        report.rated_at = None
    elif action == "close":
        if from_status != "resolved":
            report.public_reply = _required(note_public or report.public_reply,
                                            "Cần nội dung trả lời công khai trước khi đóng phản ánh.", "note_public")
            if note_public:
                report.public_reply = note_public
            report.resolved_at = report.resolved_at or now
        report.closed_at = now
    elif action == "forward":
        agency_to = _required(target_agency, "Cần chọn cơ quan được chuyển đến.", "agency")
        reason = _required(reason, "Cần nêu lý do chuyển.", "reason")
        if session.get(Agency, agency_to) is None:
            raise InvalidInput(f"Không có cơ quan mã «{agency_to}».",
                               errors=[FieldError(message="Cơ quan không có.", field="agency")])
        if agency_to == report.agency_code:
            raise InvalidInput("Phản ánh đang thuộc cơ quan này; hãy chọn cơ quan khác.",
                               errors=[FieldError(message="Trùng cơ quan hiện tại.", field="agency")])
        report.agency_code = agency_to
        if pause and report.paused_at is None:
            report.paused_at = now
    elif action == "reject":
        reason = _required(reason or note_public, "Cần nêu lý do từ chối.", "reason")
        report.public_reply = note_public or reason
        report.closed_at = now
    elif action == "reopen":
        if report.reopened_count >= 1:
            raise Conflict(f"Phản ánh {report.code} đã được mở lại một lần; không thể mở lại nữa.")
        if report.rating != "unsatisfied":
            raise Conflict("Chỉ mở lại được khi đã đánh giá «chưa hài lòng» với câu trả lời.")
        report.reopened_count += 1
        report.resolved_at = None
        report.closed_at = None
        category = report.category
        report.due_at = now + timedelta(hours=category.deadline_hours if category else 72)
        note_public = note_public or reason

    if from_status == "forwarded" and action != "forward" and report.paused_at is not None:
        if report.due_at is not None:
            report.due_at = report.due_at + (now - report.paused_at)
        report.paused_at = None
    if action in ("forward", "reject") and reason and not note_public:
        note_public = reason
    report.status = target
    report.updated_at = now
    session.add(ReportEvent(report_id=report.id, at=now, actor=principal.actor, action=action,
                            from_status=from_status, to_status=target, note_public=note_public,
                            note_internal=note_internal if action != "reopen" else None,
                            agency_from=agency_from if agency_to else None, agency_to=agency_to))
    audit.record(session, actor=principal.actor, action=f"feedback.{action}", entity_type="feedback_report",
                 entity_id=report.code, before=before,
                 after={"status": target, "agency_code": report.agency_code, "reason": reason})
    if action == "forward":
        _notify(session, report, "forwarded", now)
    elif action == "reopen":
        _notify(session, report, "reopened", now)
    session.flush()
    return report


def rate(session: Session, code: str, satisfied: bool, *, key: str | None, comment: str | None = None,
         principal: Principal, now: datetime | None = None) -> Report:
    """The citizen's rating of the answer, once per answer; returns the citizen's report.

    ``key`` must be the key of the report ``code`` (:func:`check_owner_key`). A report merged into another one is
    answered there, so its citizen rates the main report's answer with their own report's key."""
    now = now or utcnow()
    own = get_by_code(session, code)
    check_owner_key(own, key)
    report = effective(own)
    if report.status not in ("resolved", "closed") or not report.public_reply:
        raise Conflict("Chỉ đánh giá được khi cơ quan đã trả lời phản ánh.")
    if report.rating is not None:
        raise Conflict("Câu trả lời này đã được đánh giá.")
    report.rating = "satisfied" if satisfied else "unsatisfied"
    report.rated_at = now
    report.updated_at = now
    comment = (comment or "").strip()[:2000] or None
    session.add(ReportEvent(report_id=report.id, at=now, actor=principal.actor, action="rate",
                            from_status=report.status, to_status=report.status,
                            note_public=("Hài lòng" if satisfied else "Chưa hài lòng")
                            + (f": {comment}" if comment else "")))
    audit.record(session, actor=principal.actor, action="feedback.rate", entity_type="feedback_report",
                 entity_id=report.code, after={"rating": report.rating}
                 | ({"via": own.code} if own.id != report.id else {}))
    session.flush()
    return own


def reopen(session: Session, code: str, *, key: str | None, reason: str | None, principal: Principal,
           now: datetime | None = None) -> Report:
    """The citizen reopens an answer they rated unsatisfied (once); returns the citizen's report.

    Needs the key of the report ``code``, like :func:`rate`; a merged report reopens its main report."""
    own = get_by_code(session, code)
    check_owner_key(own, key)
    _transition(session, effective(own), "reopen", principal=principal, reason=reason, now=now)
    return own


def merge(session: Session, duplicate: Report, main: Report, principal: Principal,
          now: datetime | None = None) -> Report:
    """Merge a duplicate into the main report: it is closed and from now on shows the main one's status."""
    now = now or utcnow()
    authorize(principal, "feedback.handle", duplicate)
    main = effective(main)
    if main.id == duplicate.id:
        raise InvalidInput("Không thể gộp một phản ánh vào chính nó.")
    if duplicate.duplicate_of_id is not None:
        raise Conflict(f"Phản ánh {duplicate.code} đã được gộp trước đó.")
    if duplicate.status in CLOSED_STATUSES:
        raise Conflict(f"Phản ánh {duplicate.code} đã kết thúc; không gộp được.")
    from_status = duplicate.status
    duplicate.duplicate_of_id = main.id
    duplicate.duplicate_of = main
    duplicate.possible_duplicate_of_id = None
    duplicate.status = "closed"
    duplicate.closed_at = now
    duplicate.updated_at = now
    duplicate.public_reply = f"Phản ánh trùng với {main.code}; được theo dõi và trả lời cùng phản ánh đó."
    session.add(ReportEvent(report_id=duplicate.id, at=now, actor=principal.actor, action="merge",
                            from_status=from_status, to_status="closed",
                            note_public=f"Gộp vào phản ánh {main.code}.", agency_from=duplicate.agency_code,
                            agency_to=main.agency_code))
    session.add(ReportEvent(report_id=main.id, at=now, actor=principal.actor, action="merge",
                            from_status=main.status, to_status=main.status,
                            note_internal=f"Đã gộp phản ánh trùng {duplicate.code} vào đây."))
    audit.record(session, actor=principal.actor, action="feedback.merge", entity_type="feedback_report",
                 entity_id=duplicate.code, before={"status": from_status}, after={"duplicate_of": main.code})
    session.flush()
    return duplicate


def duplicates_of(session: Session, report: Report) -> list[Report]:
    """Reports merged into this one."""
    return list(session.scalars(select(Report).where(Report.duplicate_of_id == report.id).order_by(Report.id)))


def can_handle(principal: Principal, report: Report) -> bool:
    return allowed(principal, "feedback.handle", report)
