from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from dieuhanh.core.security import ROLES, SCOPES
from dieuhanh.core.stamps import Stamp


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    kind: str
    commune: str | None = Field(default=None, validation_alias="unit_code")


class AgencyUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=3, max_length=255)
    address: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9 +().-]*$")
    email: EmailStr | None = None
    website: str | None = Field(default=None, max_length=255)


class AgencyIn(BaseModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Z0-9_]+$")
    name: str = Field(min_length=3, max_length=255)
    kind: str = Field(pattern=r"^(department|sector|province|commune)$")
    unit_code: str | None = None


class UserIn(BaseModel):
    username: str = Field(min_length=3, max_length=80, pattern=r"^[a-zA-Z0-9_.-]+$")
    role: str = Field(json_schema_extra={"enum": list(ROLES)})  # checked by _role (its message)
    agency_code: str | None = None
    full_name: str = ""
    email: EmailStr | None = None
    password: str | None = Field(default=None, min_length=10, max_length=200)

    @field_validator("role")
    @classmethod
    def _role(cls, v: str) -> str:
        if v not in ROLES:
            raise ValueError(f"Vai trò phải là một trong: {', '.join(ROLES)}")
        return v


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    full_name: str
    role: str
    agency_code: str | None
    is_active: bool
    last_login_at: Stamp | None


class TokenIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["name", "scopes"]})  # scopes: at least one

    name: str = Field(min_length=2, max_length=120)
    agency_code: str | None = None
    # at least one (orgs.service.create_token says so), each checked by _scopes
    scopes: list[str] = Field(default_factory=list, json_schema_extra={
        "minItems": 1, "items": {"type": "string", "enum": list(SCOPES)}})
    expires_at: datetime | None = None

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, v: list[str]) -> list[str]:
        unknown = [s for s in v if s not in SCOPES]
        if unknown:
            raise ValueError(f"Phạm vi không hợp lệ: {', '.join(unknown)}. Hợp lệ: {', '.join(SCOPES)}")
        return sorted(set(v))


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    agency_code: str | None
    scopes: list[str]
    created_by: str
    created_at: Stamp
    expires_at: Stamp | None
    last_used_at: Stamp | None
    revoked_at: Stamp | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: Stamp
    actor: str
    action: str
    entity_type: str
    entity_id: str | None
    before: dict | None
    after: dict | None
