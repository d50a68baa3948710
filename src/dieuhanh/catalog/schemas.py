from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

COLUMN_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "unit_code")
ACCESS = ("public", "internal", "restricted")
FREQUENCIES = {
    "realtime": ("Thời gian thực", 1),
    "daily": ("Hằng ngày", 2),
    "weekly": ("Hằng tuần", 9),
    "monthly": ("Hằng tháng", 35),
    "quarterly": ("Hằng quý", 100),
    "yearly": ("Hằng năm", 380),
    "irregular": ("Không định kỳ", None),
}  # label, days after which a dataset is late
LICENSES = {
    "cc-by-4.0": "Creative Commons Ghi công 4.0",
    "cc0-1.0": "CC0 1.0 (miễn trừ bản quyền)",
    "odc-by": "Open Data Commons Attribution",
    "other-open": "Giấy phép mở khác",
    "internal": "Chỉ sử dụng nội bộ cơ quan nhà nước",
}
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
RESERVED = {"_batch_id"}


class ColumnIn(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    type: str = "string"
    required: bool = False
    unique: bool = False
    pii: bool = False
    description: str = ""

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v not in COLUMN_TYPES:
            raise ValueError(f"Kiểu cột phải là một trong: {', '.join(COLUMN_TYPES)}")
        return v

    @field_validator("name")
    @classmethod
    def _reserved(cls, v: str) -> str:
        if v in RESERVED:
            raise ValueError(f"Tên cột '{v}' dành riêng cho hệ thống")
        return v


class DatasetIn(BaseModel):
    name: str = Field(pattern=NAME_PATTERN, description="tên bảng: chữ thường không dấu, số, gạch dưới")
    title: str = Field(min_length=3, max_length=255)
    description: str = ""
    owner_agency: str
    license_id: str = "cc-by-4.0"
    access: str = "internal"
    update_frequency: str = "monthly"
    tags: list[str] = Field(default_factory=list)
    schema_: list[ColumnIn] = Field(alias="schema", min_length=1)

    model_config = ConfigDict(populate_by_name=True)

    @field_validator("access")
    @classmethod
    def _access(cls, v: str) -> str:
        if v not in ACCESS:
            raise ValueError("access phải là public, internal hoặc restricted")
        return v

    @field_validator("update_frequency")
    @classmethod
    def _frequency(cls, v: str) -> str:
        if v not in FREQUENCIES:
            raise ValueError(f"update_frequency phải là một trong: {', '.join(FREQUENCIES)}")
        return v

    @field_validator("license_id")
    @classmethod
    def _license(cls, v: str) -> str:
        if v not in LICENSES:
            raise ValueError(f"license_id phải là một trong: {', '.join(LICENSES)}")
        return v

    @model_validator(mode="after")
    def _unique_columns(self) -> DatasetIn:
        names = [c.name for c in self.schema_]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"Tên cột bị trùng: {', '.join(dupes)}")
        return self


class ColumnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    type: str
    required: bool
    unique: bool
    pii: bool
    pii_suggestion: str | None
    pii_reviewed: bool
    description: str


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)
    name: str
    title: str
    description: str
    owner_agency: str
    license_id: str
    access: str
    update_frequency: str
    tags: list[str]
    published: bool
    schema_version: int
    last_batch_at: datetime | None
    row_count: int
    schema_: list[ColumnOut] = Field(serialization_alias="schema", validation_alias="columns")


class BatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    batch_id: str = Field(validation_alias="id")
    rows: int
    status: str
    mode: str
    source: str
    filename: str | None
    encoding: str | None
    checksum: str | None
    created_by: str
    created_at: datetime
    rolled_back_at: datetime | None
    error_count: int


class RecordsIn(BaseModel):
    records: list[dict] = Field(max_length=100_000)
