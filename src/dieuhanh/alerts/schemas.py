"""Input and output shapes of the alerts and directives API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dieuhanh.alerts.models import RULE_KINDS, SEVERITIES
from dieuhanh.core.stamps import Stamp

OPS = (">", ">=", "<", "<=", "==", "!=")
GROUP_FIELDS = ("rule", "indicator", "severity", "unit", "level")
CHANNEL_TYPES = ("webhook", "email", "inapp")


class RuleIn(BaseModel):
    # the enums document what _check accepts (its Vietnamese messages stay those of the checks)
    name: str = Field(min_length=3, max_length=160)
    indicator_code: str = Field(min_length=1, max_length=60)
    level: str = Field(default="province", json_schema_extra={"enum": ["province", "commune", "agency"]})
    unit_code: str | None = Field(default=None, max_length=10)
    kind: str = Field(json_schema_extra={"enum": list(RULE_KINDS)})
    params: dict[str, Any] = Field(default_factory=dict)
    severity: str = Field(default="warning", json_schema_extra={"enum": list(SEVERITIES)})
    pending_for: int = Field(default=0, ge=0, le=10_000)
    pending_unit: str = Field(default="evaluations", json_schema_extra={"enum": ["evaluations", "minutes"]})
    channels: list[dict[str, Any]] = Field(default_factory=list)
    group_by: list[str] = Field(default_factory=lambda: ["rule"],
                                json_schema_extra={"items": {"type": "string", "enum": list(GROUP_FIELDS)}})
    repeat_interval_minutes: int = Field(default=240, ge=1, le=60 * 24 * 30)
    enabled: bool = True

    @field_validator("unit_code")
    @classmethod
    def _blank_unit(cls, v: str | None) -> str | None:
        return v.strip() or None if v else None

    @model_validator(mode="after")
    def _check(self) -> RuleIn:
        if self.level not in ("province", "commune", "agency"):
            raise ValueError("Cấp phải là «province», «commune» hoặc «agency».")
        if self.kind not in RULE_KINDS:
            raise ValueError(f"Loại quy tắc phải là một trong {', '.join(RULE_KINDS)}.")
        if self.severity not in SEVERITIES:
            raise ValueError(f"Mức độ phải là một trong {', '.join(SEVERITIES)}.")
        if self.pending_unit not in ("evaluations", "minutes"):
            raise ValueError("Đơn vị thời gian chờ phải là «evaluations» hoặc «minutes».")
        for g in self.group_by:
            if g not in GROUP_FIELDS:
                raise ValueError(f"Nhóm theo «{g}» không hợp lệ ({', '.join(GROUP_FIELDS)}).")
        for ch in self.channels:
            kind = ch.get("type")
            if kind not in CHANNEL_TYPES:
                raise ValueError(f"Kênh thông báo «{kind}» không hợp lệ ({', '.join(CHANNEL_TYPES)}).")
            if kind == "webhook" and not str(ch.get("url", "")).startswith(("http://", "https://")):
                raise ValueError("Kênh webhook cần «url» bắt đầu bằng http:// hoặc https://.")
            if kind == "email" and not ch.get("to"):
                raise ValueError("Kênh thư điện tử cần danh sách người nhận «to».")
        p = self.params
        if "partial" in p and not isinstance(p["partial"], bool):
            raise ValueError("«partial» (đánh giá cả kỳ chưa kết thúc) phải là true hoặc false.")
        if self.kind in ("threshold", "change"):
            if p.get("op", ">") not in OPS:
                raise ValueError(f"Phép so sánh phải là một trong {' '.join(OPS)}.")
            if not isinstance(p.get("value"), int | float):
                raise ValueError("Cần ngưỡng số «value» trong params.")
        if self.kind == "change":
            if p.get("compare", "previous") not in ("previous", "last_year"):
                raise ValueError("«compare» phải là «previous» hoặc «last_year».")
            if p.get("mode", "percent") not in ("percent", "absolute"):
                raise ValueError("«mode» phải là «percent» hoặc «absolute».")
        return self


class RulePatch(BaseModel):
    name: str | None = None
    params: dict[str, Any] | None = None
    severity: str | None = None
    pending_for: int | None = Field(default=None, ge=0)
    pending_unit: str | None = None
    channels: list[dict[str, Any]] | None = None
    group_by: list[str] | None = None
    repeat_interval_minutes: int | None = Field(default=None, ge=1)
    enabled: bool | None = None


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    indicator_code: str
    level: str
    unit_code: str | None
    kind: str
    params: dict[str, Any]
    severity: str
    pending_for: int
    pending_unit: str
    channels: list[dict[str, Any]]
    group_by: list[str]
    repeat_interval_minutes: int
    enabled: bool
    created_by: str
    created_at: Stamp


class SilenceIn(BaseModel):
    # at least one matcher (checked by _matchers, with its message)
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"required": ["rule_id"], "properties": {"rule_id": {"type": "integer"}}},
        {"required": ["indicator_code"], "properties": {"indicator_code": {"type": "string", "minLength": 1}}},
        {"required": ["unit_code"], "properties": {"unit_code": {"type": "string", "minLength": 1}}}]})

    rule_id: int | None = None
    indicator_code: str | None = None
    unit_code: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime
    comment: str = ""

    @model_validator(mode="after")
    def _matchers(self) -> SilenceIn:
        if self.rule_id is None and not self.indicator_code and not self.unit_code:
            raise ValueError("Cần ít nhất một điều kiện: quy tắc, chỉ số hoặc đơn vị.")
        return self


class SilenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule_id: int | None
    indicator_code: str | None
    unit_code: str | None
    starts_at: Stamp
    ends_at: Stamp
    created_by: str
    comment: str


class DirectiveIn(BaseModel):
    agency: str = Field(min_length=1, max_length=40)
    deadline: date
    instruction: str = Field(min_length=3, max_length=10_000)
    title: str | None = Field(default=None, max_length=255)
    source_ref: str | None = Field(default=None, max_length=255)


class DirectiveFromAlertIn(BaseModel):
    """A directive made from an alert: without ``agency`` it goes to the body responsible for the alert's unit
    (the commune's People's Committee, the agency of an agency-level alert, or the indicator's owner agency)."""

    agency: str | None = Field(default=None, min_length=1, max_length=40)
    deadline: date
    instruction: str = Field(min_length=3, max_length=10_000)
    title: str | None = Field(default=None, max_length=255)
    source_ref: str | None = Field(default=None, max_length=255)


class DirectiveUpdateIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    percent: int | None = Field(default=None, ge=0, le=100)


class DirectiveCloseIn(BaseModel):
    result: str = Field(min_length=1, max_length=10_000)
