"""Indicator definitions as written in the YAML library (or by an analyst), validated with pydantic."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dieuhanh.core import periods
from dieuhanh.core.errors import FieldError, InvalidInput

DOMAINS = {
    "socio_economy": "Kinh tế – xã hội",
    "population": "Dân số",
    "health": "Y tế",
    "education": "Giáo dục",
    "traffic": "Giao thông",
    "environment": "Môi trường",
    "digital_government": "Chính quyền số",
    "public_services": "Dịch vụ công",
    "citizen_reports": "Phản ánh của người dân",
    "public_safety": "An ninh, trật tự, an toàn",
    "documents": "Văn bản, chỉ đạo điều hành",
    "inspections": "Thanh tra, kiểm tra doanh nghiệp",
    "data": "Dữ liệu",
}
PERIODICITIES = periods.KIND_LABELS
PERIOD_PATTERNS = periods.PATTERNS  # one parser of period codes: core/periods.py
PERIOD_EXAMPLES = periods.EXAMPLES
DIRECTIONS = {"higher_better": "Càng cao càng tốt", "lower_better": "Càng thấp càng tốt", "neutral": "Theo dõi"}
LEVELS = ("province", "commune", "agency")  # agency: unit_code is an agency code (orgs)
_CODE = re.compile(r"^[a-z0-9_]+$")


class PublicationIn(BaseModel):
    """When a period's data is due: on ``day`` of the ``months_after``-th month after the period's last month
    (monthly data by the 20th of the next month: ``{months_after: 1, day: 20}``; yearly data by 31/3 of the next
    year: ``{months_after: 3, day: 31}``)."""

    model_config = ConfigDict(extra="forbid")

    months_after: int = Field(ge=0, le=36)
    day: int = Field(ge=1, le=31)


class IndicatorIn(BaseModel):
    """One indicator of the operating set."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=60)
    name: str = Field(min_length=2, max_length=255)
    domain: Literal["socio_economy", "population", "health", "education", "traffic", "environment",
                    "digital_government", "public_services", "citizen_reports", "public_safety", "data",
                    "documents", "inspections"]
    unit: str = Field(min_length=1, max_length=40)
    periodicity: Literal["month", "quarter", "year"]
    levels: list[Literal["province", "commune", "agency"]] = Field(default=["province"], min_length=1)
    direction: Literal["higher_better", "lower_better", "neutral"] = "neutral"
    owner_agency: str | None = Field(default=None, max_length=40)
    legal_basis: str = ""
    source: str = ""
    description: str = ""
    public: bool = False
    published: bool = True
    targets: dict[str, float] = Field(default_factory=dict)
    thresholds: dict[str, float] = Field(default_factory=dict)
    absolute: bool = False
    sql: str = Field(min_length=10, max_length=20_000)
    publication: PublicationIn | None = None
    cumulative: bool = False
    details_url: str | None = Field(default=None, max_length=300)

    @field_validator("details_url")
    @classmethod
    def _details_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not value.startswith("/") or value.startswith("//"):
            raise ValueError("phải là đường dẫn trong hệ thống, bắt đầu bằng «/»")
        try:
            value.format(period="", unit="", code="", scope="")
        except (KeyError, IndexError, ValueError):
            raise ValueError("chỉ dùng các chỗ thay {period}, {unit}, {scope}, {code}") from None
        return value

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError("chỉ dùng chữ thường không dấu, số và dấu gạch dưới")
        return value

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, target in value.items():
                key = str(key)
                if not any(p.match(key) for p in PERIOD_PATTERNS.values()):
                    raise ValueError(f"khóa «{key}» phải là năm (2025) hoặc kỳ (2025-06, 2025-Q2)")
                out[key] = target
            return out
        return value

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[str]) -> list[str]:
        return [level for level in LEVELS if level in value]

    @model_validator(mode="before")
    @classmethod
    def _thresholds_absolute(cls, data: Any) -> Any:
        # `absolute: true` may sit at the top level or inside `thresholds`.
        if isinstance(data, dict) and isinstance(data.get("thresholds"), dict) and "absolute" in data["thresholds"]:
            data = dict(data)
            thresholds = dict(data["thresholds"])
            data["absolute"] = bool(thresholds.pop("absolute"))
            data["thresholds"] = thresholds
        return data

    @model_validator(mode="after")
    def _check_thresholds(self) -> IndicatorIn:
        unknown = set(self.thresholds) - {"warning", "critical"}
        if unknown:
            raise ValueError(f"thresholds chỉ có warning và critical (có thêm: {', '.join(sorted(unknown))})")
        if self.thresholds and self.direction == "neutral":
            raise ValueError("thresholds cần direction higher_better hoặc lower_better")
        return self

    def stored_thresholds(self) -> dict[str, Any]:
        return {**self.thresholds, **({"absolute": True} if self.absolute else {})}


def parse_definition(data: Any, *, origin: str = "") -> IndicatorIn:
    """Validate one definition; errors name the file (origin), the code and the field."""
    code = data.get("code") if isinstance(data, dict) else None
    where = f"{origin}: " if origin else ""
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}mỗi chỉ số phải là một bảng khóa–giá trị (code, name, sql…).")
    try:
        return IndicatorIn.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(chỉ số)"
            message = str(err["msg"]).removeprefix("Value error, ")
            errors.append(FieldError(message=f"{where}chỉ số «{code or '?'}», trường «{field}»: {message}",
                                     field=field))
        raise InvalidInput(errors[0].message if len(errors) == 1 else
                           f"{errors[0].message} (và {len(errors) - 1} lỗi khác)", errors=errors) from None
