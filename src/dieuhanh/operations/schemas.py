"""Input shapes of the operations room (validated again by the services, which know the catalogue and the map)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dieuhanh.operations.catalogue import INCIDENT_TYPES

Severity = Literal["info", "minor", "major", "critical"]
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # no control characters (tabs and new lines are fine)


class EventIn(BaseModel):
    """One event as a source sends it (``POST /api/v1/events``, feeds, CAP, the officer's form, the demo).

    The location is a point (``lat``/``lon``), a commune (``unit_code``), an address, or a registered device
    (``camera_code``, ``sensor_code``): at least one of them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.:@\-/]+$",
                        description="the sending system, e.g. camera-vendor, cong-an, pccc-kcn")
    source_event_id: str = Field(min_length=1, max_length=120, pattern=TEXT,
                                 description="the event's id in the sending system (idempotency key)")
    type: str = Field(min_length=1, max_length=40, description="a code of GET /api/v1/events/types")
    severity: Severity | None = Field(default=None, description="info, minor, major or critical (default: the "
                                                                 "type's)")
    occurred_at: datetime = Field(description="ISO 8601; without an offset: Vietnam time")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    unit_code: str | None = Field(default=None, max_length=10, pattern=r"^[0-9]{1,10}$")
    address: str | None = Field(default=None, max_length=500, pattern=TEXT)
    camera_code: str | None = Field(default=None, max_length=60, pattern=TEXT)
    sensor_code: str | None = Field(default=None, max_length=60, pattern=TEXT)
    device: str | None = Field(default=None, max_length=120, pattern=TEXT,
                               description="the detector or channel inside the source (counted by incident rules)")
    title: str | None = Field(default=None, max_length=255, pattern=TEXT)
    description: str = Field(default="", max_length=4000, pattern=TEXT)
    expires_at: datetime | None = None
    payload: dict[str, Any] = Field(default_factory=dict, description="anything else, kept as sent (≤ 16 KB)")


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=255, pattern=TEXT)
    type: str = Field(min_length=1, max_length=40, description="fire, flood, traffic_accident, public_order, "
                                                                "environment, other",
                      json_schema_extra={"enum": list(INCIDENT_TYPES)})  # checked by incidents.create
    event_ids: list[int] = Field(default_factory=list, max_length=200)
    unit_code: str | None = Field(default=None, max_length=10, pattern=r"^[0-9]{1,10}$")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    severity: Severity | None = None
    description: str = Field(default="", max_length=4000, pattern=TEXT)
    agency_code: str | None = Field(default=None, max_length=40)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(default=None, max_length=4000, pattern=TEXT)


class AssignIn(NoteIn):
    agency_code: str = Field(min_length=1, max_length=40)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: Literal["resolved", "false_alarm", "transferred"] = "resolved"
    result: str = Field(min_length=3, max_length=4000, pattern=TEXT)


class CameraIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=2, max_length=200, pattern=TEXT)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500, pattern=TEXT)
    owner_agency: str | None = Field(default=None, max_length=40)
    kind: Literal["fixed", "ptz", "ai", "anpr"] = "fixed"
    vendor: str = Field(default="", max_length=60, pattern=TEXT)
    stream_url: str | None = Field(default=None, max_length=1000, pattern=r"^(rtsp|rtsps|https?)://\S+$")
    snapshot_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://\S+$")
    offline_after_seconds: int = Field(default=300, ge=30, le=86_400)


class HeartbeatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime | None = None
    snapshot_base64: str | None = Field(default=None, max_length=7_000_000,
                                        description="the latest frame, JPEG/PNG/WebP in base64 (≤ 5 MB)")


class SensorIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=2, max_length=200, pattern=TEXT)
    kind: Literal["fire_panel", "smoke", "water_level", "rain", "other"] = "other"
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=500, pattern=TEXT)
    owner_agency: str | None = Field(default=None, max_length=40)
    river: str | None = Field(default=None, max_length=120, pattern=TEXT)
    levels: dict[Literal["1", "2", "3"], float] = Field(default_factory=dict)
    value_unit: str = Field(default="", max_length=20, pattern=TEXT)


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: str = Field(min_length=2, max_length=60, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    name: str = Field(min_length=3, max_length=160, pattern=TEXT)
    kind: Literal["mqtt", "webhook"]
    topic: str | None = Field(default=None, max_length=255,
                              description="MQTT filter; a segment {sensor_code}, {camera_code} or {device} fills it")
    source: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.:\-/]+$")
    owner_agency: str | None = Field(default=None, max_length=40)
    mapping: dict[str, str] = Field(default_factory=dict, description="event field → dotted path in the payload")
    type_map: dict[str, str] = Field(default_factory=dict)
    severity_map: dict[str, str] = Field(default_factory=dict)
    defaults: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class ProcedureStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=2, max_length=255, pattern=TEXT)
    agency_code: str | None = Field(default=None, max_length=40)
    time_limit_minutes: int = Field(ge=1, le=60 * 24 * 30)
    description: str = Field(default="", max_length=2000, pattern=TEXT)


class EscalationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(min_length=2, max_length=160, pattern=TEXT)
    agency_code: str | None = Field(default=None, max_length=40)
    role: Literal["admin", "leader", "analyst", "officer"] | None = None


class ProcedureIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    incident_type: str = Field(min_length=1, max_length=40,
                               json_schema_extra={"enum": list(INCIDENT_TYPES)})  # checked by procedures.save
    name: str = Field(min_length=3, max_length=200, pattern=TEXT)
    description: str = Field(default="", max_length=4000, pattern=TEXT)
    escalation: list[EscalationIn] = Field(default_factory=list, max_length=10)
    steps: list[ProcedureStepIn] = Field(min_length=1, max_length=50)
    active: bool = True


class NotifyRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=3, max_length=160, pattern=TEXT)
    role: Literal["admin", "leader", "analyst", "officer"] | None = None
    agency_code: str | None = Field(default=None, max_length=40)
    kinds: list[Literal["event_critical", "incident_new", "incident_assigned", "incident_escalated",
                        "incident_closed"]] = Field(min_length=1)
    types: list[str] = Field(default_factory=list, max_length=50)
    min_severity: Severity = "info"
    channel: Literal["inapp", "email", "webhook"] = "inapp"
    target: str | None = Field(default=None, max_length=500)
    quiet_start: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    quiet_end: str | None = Field(default=None, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    quiet_allow_critical: bool = True
    repeat_minutes: int | None = Field(default=None, ge=5, le=24 * 60)
    enabled: bool = True
