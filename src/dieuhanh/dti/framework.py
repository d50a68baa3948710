"""A DTI scoring framework as data, and its four scoring rules.

A framework (YAML or JSON) is pillars → main indices → sub-indicators. Each sub-indicator has its points, a rule
(``yes_no``, ``ratio`` with thresholds, ``count`` with a cap, ``ordinal`` levels), a source (``self``: the unit
answers with evidence; ``indicator``: a value of the operating indicator set over the campaign year; ``sql``: a
query over the warehouse returning ``unit_code, value``), the national decision it follows (``basis``) and how sure
we are of that mapping (``confidence``: high | medium | low).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dieuhanh.core.errors import FieldError, InvalidInput

CODE = r"^[A-Za-z0-9_.\-]+$"
LEVEL_LABELS = {"department": "Sở, ban, ngành", "commune": "Xã, phường"}
RULE_LABELS = {"yes_no": "Có/không", "ratio": "Tỷ lệ theo ngưỡng", "count": "Đếm có mức trần",
               "ordinal": "Thang mức"}
SOURCE_LABELS = {"self": "Tự đánh giá kèm minh chứng", "indicator": "Tự động từ chỉ số của nền tảng",
                 "sql": "Tự động từ truy vấn kho dữ liệu"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class YesNoRule(_Strict):
    kind: Literal["yes_no"]


class RatioRule(_Strict):
    """A percentage: the first threshold (from the highest) the value reaches gives its share of the points."""

    kind: Literal["ratio"]
    thresholds: list[tuple[float, float]] = Field(min_length=1)  # [(min %, share of points 0..1)]

    @model_validator(mode="after")
    def _sorted(self) -> RatioRule:
        for _low, share in self.thresholds:
            if not 0 <= share <= 1:
                raise ValueError(f"tỷ lệ điểm {share} phải từ 0 đến 1")
        self.thresholds = sorted(self.thresholds, key=lambda t: -t[0])
        return self


class CountRule(_Strict):
    kind: Literal["count"]
    per_item: float = Field(gt=0)
    cap: float | None = Field(default=None, gt=0)  # at most this many points (default: the sub-indicator's)


class OrdinalRule(_Strict):
    kind: Literal["ordinal"]
    levels: dict[str, float] = Field(min_length=2)  # label -> share of points 0..1


Rule = Annotated[YesNoRule | RatioRule | CountRule | OrdinalRule, Field(discriminator="kind")]


class Source(_Strict):
    kind: Literal["self", "indicator", "sql"] = "self"
    indicator: str | None = Field(default=None, pattern=CODE, max_length=60)
    aggregate: Literal["ratio", "mean", "sum", "last"] = "ratio"
    sql: str | None = Field(default=None, max_length=10_000)

    @model_validator(mode="after")
    def _complete(self) -> Source:
        if self.kind == "indicator" and not self.indicator:
            raise ValueError("nguồn «indicator» cần mã chỉ số (indicator)")
        if self.kind == "sql" and not self.sql:
            raise ValueError("nguồn «sql» cần câu truy vấn (sql)")
        return self


class SubIndicator(_Strict):
    code: str = Field(pattern=CODE, max_length=40)
    name: str = Field(min_length=1, max_length=300)
    points: float = Field(gt=0)
    rule: Rule
    source: Source = Source()
    basis: str = Field(default="", max_length=500)  # the national decision and item it follows
    confidence: Literal["high", "medium", "low"] = "medium"
    evidence_hint: str = Field(default="", max_length=500)

    @property
    def automatic(self) -> bool:
        return self.source.kind != "self"


class MainIndex(_Strict):
    code: str = Field(pattern=CODE, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    sub_indicators: list[SubIndicator] = Field(min_length=1)


class Pillar(_Strict):
    code: str = Field(pattern=CODE, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    indices: list[MainIndex] = Field(min_length=1)


class Framework(_Strict):
    code: str = Field(pattern=CODE, max_length=60)
    name: str = Field(min_length=1, max_length=255)
    level: Literal["department", "commune"]
    basis: str = Field(default="", max_length=2000)
    weights_note: str = Field(default="", max_length=2000)
    target: float | None = Field(default=None, gt=0)  # the province's goal for a unit's total (status vs target)
    pillars: list[Pillar] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Framework:
        seen: set[str] = set()
        for code in [p.code for p in self.pillars] + [i.code for p in self.pillars for i in p.indices] + [
                s.code for s in self.subs()]:
            if code in seen:
                raise ValueError(f"mã «{code}» lặp lại: mỗi trụ cột, chỉ số, chỉ số thành phần một mã")
            seen.add(code)
        return self

    def subs(self) -> list[SubIndicator]:
        return [s for p in self.pillars for i in p.indices for s in i.sub_indicators]

    def sub(self, code: str) -> SubIndicator | None:
        return next((s for s in self.subs() if s.code == code), None)

    def where(self) -> dict[str, tuple[str, str]]:
        """sub-indicator code -> (pillar code, index code)."""
        return {s.code: (p.code, i.code) for p in self.pillars for i in p.indices for s in i.sub_indicators}

    @property
    def total_points(self) -> float:
        return sum(s.points for s in self.subs())


def parse(data: str | dict[str, Any], *, origin: str = "khung đánh giá") -> Framework:
    """A framework from YAML/JSON text or a dict; a clear Vietnamese error naming the field otherwise."""
    if isinstance(data, str):
        try:
            # The C loader when present: the shipped frameworks parse in milliseconds instead of ~0.3 s.
            data = yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (dòng {mark.line + 1}, cột {mark.column + 1})" if mark is not None else ""
            raise InvalidInput(f"{origin}: không đọc được YAML/JSON{where}.") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{origin}: cần một đối tượng có code, name, level, pillars.")
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(message(e), field=_loc(data, e.get("loc", ()))) for e in exc.errors()]
        raise InvalidInput(f"{origin} không hợp lệ: " + "; ".join(f"{e.field}: {e.message}" for e in errors[:5]),
                           errors=errors) from exc


def _loc(data: Any, loc: tuple[Any, ...]) -> str:
    """A readable path: pillars[0].indices[1].sub_indicators[2] (CQS.1.3).rule.thresholds."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            code = node[item].get("code") if isinstance(node, list) and item < len(node) and isinstance(
                node[item], dict) else None
            parts[-1] = f"{parts[-1]}[{item}]" + (f" ({code})" if code else "") if parts else f"[{item}]"
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "khung"


def message(err: Any) -> str:
    """A pydantic error in Vietnamese."""
    kind = err.get("type", "")
    if kind == "missing":
        return "thiếu trường bắt buộc"
    if kind == "extra_forbidden":
        return "trường không được hỗ trợ"
    if kind == "union_tag_invalid":
        return "kind phải là yes_no, ratio, count hoặc ordinal"
    ctx = err.get("ctx") or {}
    if kind == "greater_than":
        return f"phải lớn hơn {ctx.get('gt', 0)}"
    if kind == "greater_than_equal":
        return f"phải từ {ctx.get('ge')} trở lên"
    if kind in ("less_than_equal", "less_than"):
        return f"phải không quá {ctx.get('le', ctx.get('lt'))}"
    if kind in ("int_parsing", "float_parsing", "int_type", "float_type", "int_from_float"):
        return "phải là số"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "phải là ngày dạng YYYY-MM-DD"
    if kind in ("string_too_long", "too_long"):
        return "quá dài"
    if kind in ("string_too_short", "too_short"):
        return "không được để trống"
    if kind == "string_pattern_mismatch":
        return "mã chỉ gồm chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới"
    if kind == "literal_error":
        return "giá trị không nằm trong danh sách cho phép: " + str(err.get("ctx", {}).get("expected", ""))
    msg = str(err.get("msg", "không hợp lệ"))
    return msg.removeprefix("Value error, ")


# ------------------------------------------------------------------------------------------------ scoring


def check_value(sub: SubIndicator, value: Any) -> Any:
    """The answer's value in the form its rule needs; InvalidInput (naming the sub-indicator) otherwise."""
    rule = sub.rule
    where = f"chỉ số thành phần {sub.code}"
    if value is None:
        return None
    if isinstance(rule, YesNoRule):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("co", "có", "yes", "true", "1", "khong", "không",
                                                                 "no", "false", "0"):
            return value.strip().lower() in ("co", "có", "yes", "true", "1")
        raise InvalidInput(f"{where}: giá trị phải là có/không (true/false).",
                           errors=[FieldError("phải là có/không", field="value")])
    if isinstance(rule, OrdinalRule):
        if str(value) in rule.levels:
            return str(value)
        raise InvalidInput(f"{where}: mức «{value}» không có; chọn một trong: {', '.join(rule.levels)}.",
                           errors=[FieldError("mức không hợp lệ", field="value")])
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{where}: giá trị phải là một số.",
                           errors=[FieldError("phải là số", field="value")]) from None
    if number < 0 or (isinstance(rule, RatioRule) and number > 100):
        limit = "từ 0 đến 100 (%)" if isinstance(rule, RatioRule) else "không âm"
        raise InvalidInput(f"{where}: giá trị {number:g} phải {limit}.",
                           errors=[FieldError(f"phải {limit}", field="value")])
    return number


def score(sub: SubIndicator, value: Any) -> float | None:
    """The points the rule gives for a value (None: no value yet)."""
    if value is None:
        return None
    rule = sub.rule
    if isinstance(rule, YesNoRule):
        share = 1.0 if value else 0.0
    elif isinstance(rule, RatioRule):
        share = next((s for low, s in rule.thresholds if float(value) >= low), 0.0)
    elif isinstance(rule, CountRule):
        return round(min(float(value) * rule.per_item, rule.cap or sub.points, sub.points), 2)
    else:
        share = rule.levels.get(str(value), 0.0)
    return round(sub.points * share, 2)


def describe_rule(sub: SubIndicator) -> str:
    """The rule in words, for the form and the framework page."""
    rule = sub.rule
    if isinstance(rule, YesNoRule):
        return f"Có: {sub.points:g} điểm; không: 0"
    if isinstance(rule, RatioRule):
        return "; ".join(f"≥ {low:g}%: {sub.points * s:g} điểm" for low, s in rule.thresholds) + "; thấp hơn: 0"
    if isinstance(rule, CountRule):
        return f"{rule.per_item:g} điểm mỗi mục, tối đa {min(rule.cap or sub.points, sub.points):g}"
    return "; ".join(f"{label}: {sub.points * s:g} điểm" for label, s in rule.levels.items())
