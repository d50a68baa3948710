"""Tables of the operations room: events (sự kiện) from every source, the devices that send them (cameras,
sensors), the feeds that map foreign payloads to events (MQTT topics, vendors' webhooks), incidents (sự cố)
handled by standard operating procedures (quy trình xử lý) with automatic escalation, incident rules and the
notification subscriptions of roles and agencies.

Times are naive UTC like everywhere else (``core.db.utcnow``); pages show them in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.core.db import Base, utcnow

SEVERITIES = ("info", "minor", "major", "critical")
SEVERITY_LABELS = {"info": "Thông tin", "minor": "Nhẹ", "major": "Nghiêm trọng", "critical": "Khẩn cấp"}
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
EVENT_STATUSES = ("active", "cancelled", "closed")
EVENT_STATUS_LABELS = {"active": "Đang hiệu lực", "cancelled": "Đã hủy", "closed": "Đã xử lý"}
INCIDENT_STATES = ("open", "assigned", "acknowledged", "closed")
INCIDENT_STATE_LABELS = {"open": "Mới", "assigned": "Đã giao", "acknowledged": "Đang xử lý", "closed": "Đã đóng"}
OUTCOMES = {"resolved": "Đã xử lý xong", "false_alarm": "Báo động giả", "transferred": "Chuyển cơ quan khác xử lý"}
CAMERA_KINDS = {"fixed": "Cố định", "ptz": "Quay quét (PTZ)", "ai": "Camera AI", "anpr": "Nhận dạng biển số"}
SENSOR_KINDS = {"fire_panel": "Tủ báo cháy", "smoke": "Đầu báo khói", "water_level": "Đo mực nước",
                "rain": "Đo mưa", "other": "Khác"}
DEVICE_STATUS_LABELS = {"online": "Trực tuyến", "offline": "Mất kết nối", "unknown": "Chưa có tín hiệu"}
NOTIFY_KINDS = {"event_critical": "Sự kiện khẩn cấp mới", "incident_new": "Sự cố mới",
                "incident_assigned": "Sự cố được giao", "incident_escalated": "Sự cố bị leo thang (quá hạn bước)",
                "incident_closed": "Sự cố được đóng"}
CHANNELS = {"inapp": "Trong hệ thống", "email": "Thư điện tử", "webhook": "Webhook (SMS/Zalo qua cổng của tỉnh)"}


class EventType(Base):
    """A kind of event the room knows (loại sự kiện); anything else is refused with the list of known codes."""

    __tablename__ = "ops_event_type"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    group: Mapped[str] = mapped_column(String(20), default="other")  # map layer group: fire, water, traffic...
    default_severity: Mapped[str] = mapped_column(String(10), default="minor")
    incident_type: Mapped[str | None] = mapped_column(String(40))  # the procedure type an incident of it gets
    color: Mapped[str] = mapped_column(String(9), default="#5aa9e6")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """One event (sự kiện) from a source, idempotent on (source, source_event_id)."""

    __tablename__ = "ops_event"
    __table_args__ = (UniqueConstraint("source", "source_event_id"),
                      Index("ix_ops_event_type_occurred", "type", "occurred_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(60))
    source_event_id: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(ForeignKey("ops_event_type.code"))
    severity: Mapped[str] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    unit_code: Mapped[str | None] = mapped_column(String(10), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agency.code"), index=True)  # who reported it
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("ops_camera.id", ondelete="SET NULL"), index=True)
    sensor_id: Mapped[int | None] = mapped_column(ForeignKey("ops_sensor.id", ondelete="SET NULL"), index=True)
    device: Mapped[str | None] = mapped_column(String(120))  # the detector / channel inside the source
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("ops_incident.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Camera(Base):
    """A camera of the registry; stream and snapshot URLs stay on the server (never in pages or public JSON)."""

    __tablename__ = "ops_camera"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    unit_code: Mapped[str | None] = mapped_column(String(10), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="fixed")
    vendor: Mapped[str] = mapped_column(String(60), default="")
    stream_url: Mapped[str | None] = mapped_column(String(1000))
    snapshot_url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10), default="unknown", index=True)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column()
    offline_after_seconds: Mapped[int] = mapped_column(Integer, default=300)
    snapshot_path: Mapped[str | None] = mapped_column(String(255))
    snapshot_at: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sensor(Base):
    """A sensor that reports through a feed (fire alarm panel, smoke detector, water-level gauge...)."""

    __tablename__ = "ops_sensor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    unit_code: Mapped[str | None] = mapped_column(String(10), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    river: Mapped[str | None] = mapped_column(String(120))
    # Alarm levels of a gauge (báo động I, II, III), in the reading's unit: {"1": 2.5, "2": 3.0, "3": 3.5}
    levels: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    value_unit: Mapped[str] = mapped_column(String(20), default="")
    last_value: Mapped[float | None] = mapped_column(Float)
    last_at: Mapped[datetime | None] = mapped_column()
    alarm_level: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="unknown")
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventFeed(Base):
    """How a foreign payload becomes events: an MQTT topic (``kind='mqtt'``) or a vendor's webhook
    (``kind='webhook'``, posted to ``/api/v1/events/webhooks/{slug}``), with the same mapping for both."""

    __tablename__ = "ops_event_feed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(10))  # mqtt | webhook
    topic: Mapped[str | None] = mapped_column(String(255))  # MQTT filter; {sensor_code}/{camera_code}/{device}
    source: Mapped[str] = mapped_column(String(60))  # the events' source
    owner_agency: Mapped[str | None] = mapped_column(ForeignKey("agency.code"), index=True)
    # event field -> dotted path in the payload (source_event_id, type, severity, occurred_at, lat, lon, title...)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    type_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # the payload's value -> event type
    severity_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    defaults: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {type, severity, title}
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Procedure(Base):
    """A standard operating procedure (quy trình xử lý) for one incident type, defined by analysts as data."""

    __tablename__ = "ops_procedure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    incident_type: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Who is told at each escalation level: [{"label": ..., "agency_code": ... | null, "role": ... | null}]
    escalation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    steps: Mapped[list[ProcedureStep]] = relationship(
        lambda: ProcedureStep, back_populates="procedure", order_by=lambda: ProcedureStep.position,
        cascade="all, delete-orphan")


class ProcedureStep(Base):
    __tablename__ = "ops_procedure_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("ops_procedure.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agency.code"))  # None: the incident's agency
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")

    procedure: Mapped[Procedure] = relationship(lambda: Procedure, back_populates="steps")


class Incident(Base):
    """An incident (sự cố) worked by procedure; ``agency_code`` is the agency in charge."""

    __tablename__ = "ops_incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12), default="open", index=True)
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("ops_procedure.id", ondelete="SET NULL"))
    procedure_name: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    unit_code: Mapped[str | None] = mapped_column(String(10), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agency.code"), index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[str | None] = mapped_column(Text)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None] = mapped_column(index=True)
    last_notified_at: Mapped[datetime | None] = mapped_column()
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("ops_incident_rule.id", ondelete="SET NULL"))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    steps: Mapped[list[IncidentStep]] = relationship(
        lambda: IncidentStep, back_populates="incident", order_by=lambda: IncidentStep.position,
        cascade="all, delete-orphan")
    log: Mapped[list[IncidentLog]] = relationship(
        lambda: IncidentLog, back_populates="incident", order_by=lambda: IncidentLog.id, cascade="all, delete-orphan")

    @property
    def state_label(self) -> str:
        return INCIDENT_STATE_LABELS.get(self.state, self.state)

    @property
    def current_step(self) -> IncidentStep | None:
        return next((s for s in self.steps if s.done_at is None), None)


class IncidentStep(Base):
    """A step of the incident's procedure (copied when the incident got it, so later edits do not change it)."""

    __tablename__ = "ops_incident_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("ops_incident.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    agency_code: Mapped[str | None] = mapped_column(String(40))
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    done_at: Mapped[datetime | None] = mapped_column()
    done_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)

    incident: Mapped[Incident] = relationship(lambda: Incident, back_populates="steps")


class IncidentLog(Base):
    """One line of an incident's timeline: every transition, note, photo and escalation."""

    __tablename__ = "ops_incident_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("ops_incident.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(30))
    step: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    incident: Mapped[Incident] = relationship(lambda: Incident, back_populates="log")


class IncidentPhoto(Base):
    """A photo attached to an incident (verified and re-encoded without EXIF), under DATA_DIR/uploads/operations."""

    __tablename__ = "ops_incident_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("ops_incident.id", ondelete="CASCADE"), index=True)
    step: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(255))
    thumb_path: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IncidentRule(Base):
    """Turns events into an incident by itself: ``min_count`` events of ``event_type`` at ``min_severity`` or
    above from distinct devices within ``window_minutes`` and ``radius_m`` (e.g. a fire alarm confirmed by two
    detectors; a gauge above alarm level II is one event of severity major)."""

    __tablename__ = "ops_incident_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    event_type: Mapped[str] = mapped_column(ForeignKey("ops_event_type.code"), index=True)
    min_severity: Mapped[str] = mapped_column(String(10), default="major")
    min_count: Mapped[int] = mapped_column(Integer, default=1)
    window_minutes: Mapped[int] = mapped_column(Integer, default=10)
    radius_m: Mapped[int] = mapped_column(Integer, default=300)
    incident_type: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotifyRule(Base):
    """A subscription (đăng ký nhận thông báo) of a role and/or an agency to kinds of operations news, on one
    channel, with quiet hours; unacknowledged incidents are repeated every ``repeat_minutes``."""

    __tablename__ = "ops_notify_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    role: Mapped[str | None] = mapped_column(String(20))
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agency.code"), index=True)
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    types: Mapped[list[str]] = mapped_column(JSON, default=list)  # event / incident types; empty: all
    min_severity: Mapped[str] = mapped_column(String(10), default="info")
    channel: Mapped[str] = mapped_column(String(10), default="inapp")
    target: Mapped[str | None] = mapped_column(String(500))  # e-mail addresses or the webhook URL
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "22:00" local time
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    quiet_allow_critical: Mapped[bool] = mapped_column(Boolean, default=True)
    repeat_minutes: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
