"""Rule profiles of the Decision 766 indicator set: loaded from YAML and validated (see rules_profile.yaml).

A profile is data: its groups (code, name, max score), its rules (code, name, group, max score, which of the
engine's measures counts the numerator and denominator, the scoring formula, the extra field a rule needs,
the rule's text and legal source). ``load_profile()`` returns the default profile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from dieuhanh.core.errors import InvalidInput

PROFILE_DIR = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = PROFILE_DIR / "qd766-dvcqg-2026.yaml"
EVEN_SPLIT_PROFILE = Path(__file__).parent / "rules_profile.yaml"  # code qd766_2022: issue 8's even split
PROFILE_FILES = (DEFAULT_PROFILE, EVEN_SPLIT_PROFILE)

# The counts the engine (compute.py) knows how to make.
MEASURES = {
    "on_time", "average_working_days", "online_procedures", "online_procedures_used", "received_online",
    "received_digitised", "received_reused", "paid_online", "electronic_result", "satisfaction",
    "procedure_flag", "fee_procedure_flag", "received_flag", "petition_flag", "received_flag_all",
    "procedure_published_on_time", "procedure_public_on_time", "procedures_with_paid_dossiers",
    "procedures_with_citizen_data", "certified_copies", "petition_classification", "petition_on_time",
    "petition_satisfaction",
}
PROCEDURE_MEASURES = {"online_procedures", "online_procedures_used", "procedure_flag", "fee_procedure_flag",
                      "procedure_published_on_time", "procedure_public_on_time", "procedures_with_paid_dossiers",
                      "procedures_with_citizen_data"}
EXTRA_MEASURES = {"procedure_flag", "fee_procedure_flag", "received_flag", "petition_flag", "received_flag_all"}
_COLUMN_OK = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class Score:
    factor: float
    target: float
    cap: float

    def of(self, ratio: float) -> float:
        """Score for a ratio given as a fraction (0–1)."""
        return min(self.cap, self.factor * ratio / self.target)


@dataclass(frozen=True)
class ExtraField:
    field: str  # PascalCase name in the portal's record
    column: str  # snake_case column in the warehouse tables
    level: str  # dossier | procedure


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    group: str
    max_score: float
    measure: str
    score: Score | None
    empty_score: float | None
    rule_text: str
    source: str
    extra_field: ExtraField | None = None
    unit: str = "%"
    max_score_basis: str = "decision"
    unknown_deadline: str = "late"
    choice: str = ""  # where the sources disagree: the option this profile applies ("cách tính")
    # Another rule whose ratio multiplies this one's before scoring (3.3 × the 1.4 sync ratio, S1); the ratio
    # shown stays numerator / denominator. Empty: scored on its own ratio.
    scale_by: str = ""

    @property
    def procedure_based(self) -> bool:
        return self.measure in PROCEDURE_MEASURES

    @property
    def scored(self) -> bool:
        return self.score is not None and self.max_score > 0


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    max_score: float


@dataclass(frozen=True)
class Profile:
    code: str
    name: str
    source: str
    groups: tuple[Group, ...]
    rules: tuple[Rule, ...]
    total_max: float = 100.0
    not_applicable_full: bool = False  # a rule that does not apply to a scope scores its maximum
    parameters: dict[str, Any] = field(default_factory=dict)
    make_up_days: tuple[date, ...] = ()  # working Saturdays (làm bù)
    days_off: tuple[date, ...] = ()  # extra days off (nghỉ hoán đổi)
    calendar_notes: tuple[str, ...] = ()

    def param(self, name: str, default: Any) -> Any:
        return self.parameters.get(name, default)

    def rule(self, code: str) -> Rule:
        for r in self.rules:
            if r.code == code:
                return r
        raise InvalidInput(f"Không có chỉ tiêu «{code}» trong bộ chỉ số {self.code}.")

    def group(self, code: str) -> Group:
        for g in self.groups:
            if g.code == code:
                return g
        raise InvalidInput(f"Không có nhóm «{code}» trong bộ chỉ số {self.code}.")

    def extra_fields(self) -> list[ExtraField]:
        return [r.extra_field for r in self.rules if r.extra_field is not None]


def round2(value: float | None) -> float | None:
    """Half-up to 2 decimals, as the portal shows scores (1,875 → 1,88)."""
    if value is None:
        return None
    if value >= 0:  # the common case, without Decimal (the engine rounds ~10⁶ numbers)
        return math.floor(value * 100 + 0.5 + 1e-9) / 100
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _err(origin: str, message: str) -> InvalidInput:
    return InvalidInput(f"{origin}: {message}")


def _number(value: Any, what: str, origin: str, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(origin, f"{what} phải là số.")
    return float(value)


def parse_profile(data: Any, *, origin: str = "hồ sơ quy tắc") -> Profile:
    if not isinstance(data, dict):
        raise _err(origin, "tệp phải là một bảng (code, name, groups, rules).")
    for key in ("code", "name", "groups", "rules"):
        if key not in data:
            raise _err(origin, f"thiếu mục «{key}».")
    groups: list[Group] = []
    for g in data["groups"] or []:
        if not isinstance(g, dict) or not {"code", "name", "max_score"} <= set(g):
            raise _err(origin, "mỗi nhóm cần code, name, max_score.")
        groups.append(Group(code=str(g["code"]), name=str(g["name"]),
                            max_score=float(_number(g["max_score"], f"Điểm tối đa của nhóm {g['code']}", origin) or 0)))
    group_codes = [g.code for g in groups]
    if len(set(group_codes)) != len(group_codes):
        raise _err(origin, "mã nhóm bị lặp.")
    total_max = float(_number(data.get("total_max", 100), "total_max", origin) or 0)
    empty_default = data.get("empty_default")
    if abs(sum(g.max_score for g in groups) - total_max) > 1e-9:
        raise _err(origin, f"tổng điểm tối đa các nhóm ({sum(g.max_score for g in groups):g}) khác {total_max:g}.")
    rules: list[Rule] = []
    for r in data["rules"] or []:
        if not isinstance(r, dict):
            raise _err(origin, "mỗi chỉ tiêu phải là một bảng.")
        code = str(r.get("code", ""))
        where = f"chỉ tiêu {code or '?'}"
        for key in ("code", "name", "group", "max_score", "measure", "rule_text", "source"):
            if key not in r:
                raise _err(origin, f"{where} thiếu «{key}».")
        if str(r["group"]) not in group_codes:
            raise _err(origin, f"{where} thuộc nhóm «{r['group']}» không có.")
        if r["measure"] not in MEASURES:
            raise _err(origin, f"{where}: cách đếm «{r['measure']}» không có (chỉ: {', '.join(sorted(MEASURES))}).")
        score = None
        if r.get("score") is not None:
            s = r["score"]
            if not isinstance(s, dict) or not {"factor", "target", "cap"} <= set(s):
                raise _err(origin, f"{where}: score cần factor, target, cap.")
            score = Score(factor=float(_number(s["factor"], "factor", origin) or 0),
                          target=float(_number(s["target"], "target", origin) or 0),
                          cap=float(_number(s["cap"], "cap", origin) or 0))
            if score.target <= 0:
                raise _err(origin, f"{where}: target phải lớn hơn 0.")
        max_score = float(_number(r["max_score"], f"Điểm tối đa của {where}", origin) or 0)
        if score is not None and score.cap > max_score + 1e-9:
            raise _err(origin, f"{where}: cap ({score.cap:g}) lớn hơn điểm tối đa ({max_score:g}).")
        extra = None
        if r.get("extra_field") is not None:
            e = r["extra_field"]
            if not isinstance(e, dict) or not {"field", "column", "level"} <= set(e):
                raise _err(origin, f"{where}: extra_field cần field, column, level.")
            if e["level"] not in ("dossier", "procedure") or not set(str(e["column"])) <= _COLUMN_OK:
                raise _err(origin, f"{where}: extra_field không hợp lệ.")
            extra = ExtraField(field=str(e["field"]), column=str(e["column"]), level=str(e["level"]))
        if r["measure"] in EXTRA_MEASURES and extra is None:
            raise _err(origin, f"{where}: cách đếm «{r['measure']}» cần extra_field.")
        rules.append(Rule(
            code=code, name=str(r["name"]), group=str(r["group"]), max_score=max_score, measure=str(r["measure"]),
            score=score, empty_score=_empty(r.get("empty_score", empty_default), max_score, where, origin),
            rule_text=" ".join(str(r["rule_text"]).split()), source=str(r["source"]), extra_field=extra,
            unit=str(r.get("unit", "%")), max_score_basis=str(r.get("max_score_basis", "decision")),
            unknown_deadline=str(r.get("unknown_deadline", "late")),
            choice=" ".join(str(r.get("choice") or "").split()), scale_by=str(r.get("scale_by") or ""),
        ))
    codes = [r.code for r in rules]
    if len(set(codes)) != len(codes):
        raise _err(origin, "mã chỉ tiêu bị lặp.")
    for rule in rules:
        if rule.scale_by and (rule.scale_by not in codes or rule.scale_by == rule.code
                              or next(x for x in rules if x.code == rule.scale_by).scale_by):
            raise _err(origin, f"chỉ tiêu {rule.code}: scale_by «{rule.scale_by}» phải là mã một chỉ tiêu khác "
                               "(không tự nhân theo chỉ tiêu khác).")
    for g in groups:
        total = sum(r.max_score for r in rules if r.group == g.code)
        if abs(total - g.max_score) > 1e-9:
            raise _err(origin, f"nhóm {g.code} ({g.name}) có tổng điểm chỉ tiêu {total:g}, khác {g.max_score:g}.")
    cal = data.get("calendar") or {}
    if not isinstance(cal, dict):
        raise _err(origin, "calendar phải là một bảng (make_up_working_days, extra_days_off).")
    make_up: list[date] = []
    off: list[date] = []
    notes: list[str] = []
    for key, out in (("make_up_working_days", make_up), ("extra_days_off", off)):
        for item in cal.get(key) or []:
            day = item.get("date") if isinstance(item, dict) else None
            if not isinstance(day, date):
                raise _err(origin, f"calendar.{key}: mỗi mục cần date (yyyy-mm-dd).")
            out.append(day)
            notes.append(f"{day:%d/%m/%Y}: {item.get('decision', '')}")
    params = data.get("parameters") or {}
    if not isinstance(params, dict):
        raise _err(origin, "parameters phải là một bảng.")
    return Profile(code=str(data["code"]), name=str(data["name"]), source=str(data.get("source", "")),
                   groups=tuple(groups), rules=tuple(rules), total_max=total_max,
                   not_applicable_full=str(data.get("not_applicable", "none")) == "max", parameters=params,
                   make_up_days=tuple(make_up), days_off=tuple(off), calendar_notes=tuple(notes))


def _empty(value: Any, max_score: float, where: str, origin: str) -> float | None:
    """``empty_score``: a number, ``max`` (full points when nothing is to be counted) or null (not scored)."""
    if value == "max":
        return max_score
    return _number(value, f"empty_score của {where}", origin, allow_none=True)


def read_profile(path: Path) -> Profile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path.name}: không đọc được hồ sơ quy tắc ({exc}).") from None
    return parse_profile(data, origin=path.name)


@lru_cache(maxsize=8)
def load_profile(path: str | None = None) -> Profile:
    return read_profile(Path(path) if path else DEFAULT_PROFILE)


def profile_by_code(code: str | None) -> Profile:
    """A built-in profile by its code (None: the default)."""
    if not code:
        return load_profile()
    for path in PROFILE_FILES:
        p = load_profile(str(path))
        if p.code == code:
            return p
    codes = ", ".join(load_profile(str(path)).code for path in PROFILE_FILES)
    raise InvalidInput(f"Không có bộ quy tắc «{code}» (có: {codes}).")


def extra_fields(profile: Profile | None = None) -> list[ExtraField]:
    """The extra PascalCase fields (and their warehouse columns) the profile's rules read, for the push API."""
    return (profile or load_profile()).extra_fields()
