from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from dieuhanh.core.stamps import Stamp

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
    # CKAN's standard licences without an equivalent above (ids as CKAN and its harvesters send them)
    "cc-by-sa": "Creative Commons Ghi công - Chia sẻ tương tự",
    "cc-nc": "Creative Commons Phi thương mại",
    "odc-odbl": "Open Data Commons Open Database License (ODbL)",
    "odc-pddl": "Open Data Commons Public Domain Dedication and License (PDDL)",
    "gfdl": "GNU Free Documentation License",
    "uk-ogl": "UK Open Government Licence (OGL)",
    "other-pd": "Phạm vi công cộng khác",
    "other-at": "Giấy phép ghi công khác",
    "other-nc": "Giấy phép phi thương mại khác",
    "other-closed": "Giấy phép không mở khác",
    "notspecified": "Chưa xác định giấy phép",
}
# Other names of the licences above: CKAN's ids (as in its default licence list) and SPDX ids; matched without
# regard to case. A dataset always stores the product's own id.
LICENSE_ALIASES = {
    "cc-by": "cc-by-4.0", "cc-by-4": "cc-by-4.0", "cc-zero": "cc0-1.0", "cc0": "cc0-1.0",
    "odc-by-1.0": "odc-by", "odbl-1.0": "odc-odbl", "odc-odbl-1.0": "odc-odbl", "pddl-1.0": "odc-pddl",
    "cc-by-sa-4.0": "cc-by-sa", "cc-by-nc-4.0": "cc-nc", "gfdl-1.3": "gfdl", "gfdl-1.3-only": "gfdl",
    "ogl-uk-3.0": "uk-ogl",
}
LICENSE_URLS = {
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "odc-by": "https://opendatacommons.org/licenses/by/1-0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-nc": "https://creativecommons.org/licenses/by-nc/4.0/",
    "odc-odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odc-pddl": "https://opendatacommons.org/licenses/pddl/1-0/",
    "gfdl": "https://www.gnu.org/licenses/fdl-1.3.html",
    "uk-ogl": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
}
# Licences that are open in the Open Definition's sense (CKAN's ``isopen`` / ``is_okd_compliant``).
OPEN_LICENSES = {"cc-by-4.0", "cc0-1.0", "odc-by", "other-open", "cc-by-sa", "odc-odbl", "odc-pddl", "gfdl",
                 "uk-ogl", "other-pd", "other-at"}


def canonical_license(value: str) -> str | None:
    """The product's id of a licence given by its own id, its CKAN id or its SPDX id; None when unknown."""
    text = value.strip()
    if text in LICENSES:
        return text
    lowered = text.lower()
    if lowered in LICENSES:
        return lowered
    return LICENSE_ALIASES.get(lowered)


NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
RESERVED = {"_batch_id"}


class ColumnIn(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    type: str = Field(default="string", json_schema_extra={"enum": list(COLUMN_TYPES)})  # checked by _type
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
    # the enums document what the validators below accept (their messages stay)
    license_id: str = Field(default="cc-by-4.0", json_schema_extra={"enum": [*LICENSES, *LICENSE_ALIASES]})
    access: str = Field(default="internal", json_schema_extra={"enum": list(ACCESS)})
    update_frequency: str = Field(default="monthly", json_schema_extra={"enum": list(FREQUENCIES)})
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
        known = canonical_license(v)
        if known is None:
            raise ValueError(f"license_id phải là một trong: {', '.join(LICENSES)} (hoặc mã CKAN/SPDX tương ứng)")
        return known

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
    last_batch_at: Stamp | None
    row_count: int
    schema_: list[ColumnOut] = Field(serialization_alias="schema", validation_alias="columns")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def license_title(self) -> str:
        return LICENSES.get(self.license_id, self.license_id)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def license_url(self) -> str:
        return LICENSE_URLS.get(self.license_id, "")



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
    created_at: Stamp
    rolled_back_at: Stamp | None
    error_count: int


class RecordsIn(BaseModel):
    records: list[dict] = Field(max_length=100_000)
