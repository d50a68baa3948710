"""Input and output shapes of the feedback service and its JSON API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

ACTIONS = ("accept", "start", "resolve", "close", "forward", "reject", "reopen")


class ReportIn(BaseModel):
    """A new report, from the web form, the Open311 POST or the demo (validated again by the service)."""

    service_code: str = Field(min_length=1, max_length=40)
    description: str = Field(default="", max_length=4000)
    lat: float | None = None
    lon: float | None = None
    address_string: str | None = Field(default=None, max_length=500)
    address_id: str | None = Field(default=None, max_length=60)
    # Explicit commune code (the commune picker of the web form); otherwise derived from lat/lon or address.
    unit_code: str | None = Field(default=None, max_length=10)
    attributes: dict[str, Any] = Field(default_factory=dict)
    media_url: str | None = Field(default=None, max_length=1000)
    # Contact (stored in ReportContact only; never shown publicly)
    name: str | None = Field(default=None, max_length=160)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=160)
    device_id: str | None = Field(default=None, max_length=160)
    account_id: str | None = Field(default=None, max_length=160)
    # Where lat/lon came from on the web form: gps | map (address and photo are set by the service)
    location_source: str | None = Field(default=None, max_length=12)


class ActionIn(BaseModel):
    action: str
    note_public: str | None = Field(default=None, max_length=4000)
    note_internal: str | None = Field(default=None, max_length=4000)
    agency: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, max_length=2000)


class MergeIn(BaseModel):
    main: str = Field(min_length=1, max_length=20)  # the tracking code of the main report


class RateIn(BaseModel):
    satisfied: bool
    comment: str | None = Field(default=None, max_length=2000)
    # The submitter's secret key (``tracking_key`` of the creation response, ``k`` of the tracking link).
    key: str | None = Field(default=None, max_length=200)


class ReopenIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)
    key: str | None = Field(default=None, max_length=200)  # as in RateIn


ATTRIBUTE_TYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
# one Open311 attribute definition as service._check_attribute_defs accepts it (a list type needs values)
ATTRIBUTE_SCHEMA: dict[str, Any] = {"type": "object", "required": ["code"], "properties": {
    "code": {"type": "string", "pattern": r"\S"}, "variable": {"type": "boolean"}, "required": {"type": "boolean"},
    "order": {"type": "integer", "minimum": 1, "maximum": 1000}, "description": {"type": "string"},
    "datatype_description": {"type": "string"},
    "values": {"type": "array", "items": {"type": "object", "required": ["key"]}}},
    "anyOf": [{"properties": {"datatype": {"enum": [t for t in ATTRIBUTE_TYPES if not t.endswith("valuelist")]}}},
              {"required": ["datatype", "values"], "properties": {
                  "datatype": {"enum": [t for t in ATTRIBUTE_TYPES if t.endswith("valuelist")]},
                  "values": {"minItems": 1}}}]}


class CategoryIn(BaseModel):
    service_code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=2, max_length=160)
    description: str = Field(default="", max_length=2000)
    group: str = Field(default="", max_length=120)
    keywords: list[str] = Field(default_factory=list)
    attributes: list[dict[str, Any]] = Field(default_factory=list, json_schema_extra={"items": ATTRIBUTE_SCHEMA})
    deadline_hours: int = Field(default=72, ge=1, le=24 * 365)
    emergency: bool = False
    emergency_message: str | None = Field(default=None, max_length=2000)
    active: bool = True
    sort_order: int = 0


class CategoryUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=2, max_length=160)
    description: str | None = Field(default=None, max_length=2000)
    group: str | None = Field(default=None, max_length=120)
    keywords: list[str] | None = None
    attributes: list[dict[str, Any]] | None = None
    deadline_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    emergency: bool | None = None
    emergency_message: str | None = Field(default=None, max_length=2000)
    active: bool | None = None
    sort_order: int | None = None


class RoutingRuleIn(BaseModel):
    category_code: str = Field(min_length=1, max_length=40)
    unit_code: str | None = Field(default=None, max_length=10)
    agency_code: str = Field(min_length=1, max_length=40)


@dataclass
class ReportFilters:
    """Filters of the public list, the officer inbox and the Open311 GET."""

    category: str | None = None  # service_code (or several, comma separated)
    unit_code: str | None = None
    agency_code: str | None = None
    status: str | None = None  # a workflow status, or "open" / "closed" (Open311), or "overdue"
    q: str | None = None  # free text in description/code
    codes: list[str] = field(default_factory=list)  # tracking codes (Open311 service_request_id)
    start: datetime | None = None  # created_at >= (naive UTC)
    end: datetime | None = None  # created_at <= (naive UTC)
    possible_duplicates: bool = False  # only reports flagged as possible duplicates
    include_merged: bool = True
    # "open"/"closed" by the status shown (a merged duplicate shows its main report's), as Open311 displays it
    status_of_main: bool = False


@dataclass
class Page:
    number: int = 1
    size: int = 50


@dataclass
class PageResult:
    items: list[Any]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))
