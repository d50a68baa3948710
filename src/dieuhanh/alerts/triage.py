"""Alert triage: the instances of the alert engine as a leader reads them — filtered, grouped by rule, paged,
with names instead of codes and the body responsible for each unit — so that the alert page, the overview,
the wall and the API count the same things.

One pass (``triage``) reads the instances matching the state and severity in SQL, resolves what each instance is
about (domain, unit name and kind, responsible agency), applies the remaining filters in memory (a province has
a few thousand instances at most: rules × units), sorts (the officer's own agency or commune first, then
severity, then the newest) and pages either the instances or their groups. Counts per state are computed from
the same filtered rows, so a badge and a list never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dieuhanh.alerts import sources as alert_sources
from dieuhanh.alerts.models import SEVERITIES, AlertInstance, AlertRule
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import Principal, authorize
from dieuhanh.geo.models import AdminUnit
from dieuhanh.indicators.models import IndicatorDefinition
from dieuhanh.indicators.schemas import DOMAINS
from dieuhanh.orgs.models import Agency

STATE_FILTERS = {"alerting": "Alerting", "pending": "Pending", "normal": "Normal", "nodata": "NoData",
                 "error": "Error"}
STATE_ORDER = ("Alerting", "Pending", "Error", "NoData", "Normal")
OPEN_STATES = ("Alerting", "Pending")
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
SEVERITY_LABELS = {"info": "Thông tin", "warning": "Cảnh báo", "critical": "Nghiêm trọng"}
MAX_PAGE_SIZE = 200


@dataclass
class AlertRow:
    """One instance with everything a person reads about it."""

    instance: AlertInstance
    rule: AlertRule
    domain: str
    indicator_name: str
    unit_code: str
    unit_name: str
    unit_kind: str  # province | commune | agency | other
    responsible: str | None  # agency code of the body the alert is for (a directive's default addressee)
    mine: bool = False

    @property
    def id(self) -> int:
        return self.instance.id


@dataclass
class AlertGroup:
    """The instances of one rule in the listed states: "Phản ánh quá hạn chưa trả lời — 44 xã, phường"."""

    rule: AlertRule
    domain: str
    indicator_name: str
    rows: list[AlertRow]

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def since(self) -> datetime:
        return min(r.instance.since for r in self.rows)

    @property
    def latest(self) -> datetime:
        return max(r.instance.since for r in self.rows)

    @property
    def mine(self) -> bool:
        return any(r.mine for r in self.rows)

    @property
    def units_text(self) -> str:
        """"44 xã, phường", "3 cơ quan, đơn vị", "toàn tỉnh", "5 đối tượng"."""
        kinds = {r.unit_kind for r in self.rows}
        n = len(self.rows)
        if kinds == {"province"}:
            return "toàn tỉnh"
        if n == 1:
            return self.rows[0].unit_name
        if kinds <= {"commune"}:
            return f"{n} xã, phường"
        if kinds <= {"agency", "commune_agency"}:
            return f"{n} xã, phường" if kinds == {"commune_agency"} else f"{n} cơ quan, đơn vị"
        return f"{n} đối tượng"

    @property
    def title(self) -> str:
        return f"{self.rule.name} — {self.units_text}"


@dataclass
class Triage:
    rows: list[AlertRow]  # the page of instances (or every instance of the page's groups)
    groups: list[AlertGroup]  # the page of groups (grouped view)
    total: int  # instances matching the filters
    total_groups: int
    counts: dict[str, int]  # instances per state matching the other filters
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        size = self.total_groups if self.groups or not self.rows else self.total
        return max(1, -(-size // self.page_size))


@dataclass
class Filters:
    state: str | None = None  # alerting | pending | normal | nodata | error; None = every state
    domain: str | None = None
    severity: str | None = None
    agency: str | None = None
    unit: str | None = None
    rule_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        if self.state and self.state.lower() not in STATE_FILTERS:
            raise InvalidInput(f"Trạng thái «{self.state}» không hợp lệ ({', '.join(STATE_FILTERS)}).")
        if self.domain and self.domain not in DOMAINS:
            raise InvalidInput(f"Lĩnh vực «{self.domain}» không hợp lệ ({', '.join(DOMAINS)}).")
        if self.severity and self.severity not in SEVERITIES:
            raise InvalidInput(f"Mức độ «{self.severity}» không hợp lệ ({', '.join(SEVERITIES)}).")


# ------------------------------------------------------------------------------------------------ rows


def _names(session: Session, rules: Iterable[AlertRule], instances: Sequence[AlertInstance]
           ) -> tuple[dict[str, IndicatorDefinition], dict[str, tuple[str, str]], dict[str, Agency]]:
    codes = {r.indicator_code for r in rules}
    definitions = {d.code: d for d in session.scalars(
        select(IndicatorDefinition).where(IndicatorDefinition.code.in_(codes)))} if codes else {}
    units = {i.unit_code for i in instances}
    unit_info: dict[str, tuple[str, str]] = {}
    for code, name, level in session.execute(select(AdminUnit.code, AdminUnit.name, AdminUnit.level)
                                             .where(AdminUnit.code.in_(units))):
        unit_info[code] = (name, "commune" if level == "commune" else "province")
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    return definitions, unit_info, agencies


def _commune_committees(agencies: dict[str, Agency]) -> dict[str, str]:
    return {a.unit_code: a.code for a in agencies.values() if a.kind == "commune" and a.unit_code and a.is_active}


def rows_for(session: Session, instances: Sequence[AlertInstance], *, principal: Principal | None = None
             ) -> list[AlertRow]:
    """Each instance with its domain, names and responsible agency."""
    rules = {i.rule.id: i.rule for i in instances}
    definitions, unit_info, agencies = _names(session, rules.values(), instances)
    committees = _commune_committees(agencies)
    source_names: dict[str, dict[str, str]] = {}
    for name in {r.indicator_code for r in rules.values() if r.kind == "source"}:
        keys = {i.unit_code for i in instances if i.rule.indicator_code == name}
        source_names[name] = alert_sources.key_names(session, name, keys)
    home_agency = principal.agency_code if principal is not None else None
    home_unit = agencies[home_agency].unit_code if home_agency in agencies else None
    out: list[AlertRow] = []
    for inst in instances:
        rule = inst.rule
        defn = definitions.get(rule.indicator_code)
        source = alert_sources.get(rule.indicator_code) if rule.kind == "source" else None
        domain = defn.domain if defn is not None else source.domain if source is not None else ""
        indicator_name = defn.name if defn is not None else source.label if source is not None \
            else rule.indicator_code
        code = inst.unit_code
        owner = defn.owner_agency if defn is not None else None
        if code in source_names.get(rule.indicator_code, {}):
            name, kind = source_names[rule.indicator_code][code], "other"
            responsible = (source.responsible(session, {code}).get(code) if source is not None
                           and source.responsible is not None else None)
        elif code in unit_info:
            name, kind = unit_info[code]
            responsible = committees.get(code) if kind == "commune" else owner
        elif code in agencies:
            agency = agencies[code]
            name, kind, responsible = agency.name, ("commune_agency" if agency.kind == "commune" else "agency"), code
        elif code == "*":
            name, kind, responsible = "toàn bộ", "province", owner
        else:
            name, kind, responsible = code, "other", owner
        mine = home_agency is not None and (responsible == home_agency or code == home_agency
                                            or (home_unit is not None and code == home_unit))
        out.append(AlertRow(instance=inst, rule=rule, domain=domain, indicator_name=indicator_name, unit_code=code,
                            unit_name=name, unit_kind=kind, responsible=responsible, mine=mine))
    return out


def responsible_agency(session: Session, instance: AlertInstance) -> str | None:
    """The body an alert is for: the commune's People's Committee, the agency of an agency-level alert, or the
    indicator's owner agency (the default addressee of a directive made from the alert)."""
    return rows_for(session, [instance])[0].responsible


# ------------------------------------------------------------------------------------------------ triage


def _matches(row: AlertRow, filters: Filters, agencies: dict[str, Agency]) -> bool:
    if filters.domain and row.domain != filters.domain:
        return False
    if filters.agency and filters.agency not in (row.responsible, row.unit_code):
        return False
    if filters.unit:
        unit_of_agency = agencies[row.unit_code].unit_code if row.unit_code in agencies else None
        if filters.unit not in (row.unit_code, unit_of_agency):
            return False
    return True


def _sort_key(row: AlertRow) -> tuple[Any, ...]:
    return (not row.mine, SEVERITY_RANK.get(row.rule.severity, 9), -row.instance.since.timestamp(), row.unit_name)


def triage(session: Session, *, principal: Principal, filters: Filters, group: bool = False, page: int = 1,
           page_size: int = 50) -> Triage:
    """The instances matching ``filters`` (one page of them, or one page of their groups by rule)."""
    authorize(principal, "officials.read")
    filters.check()
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size phải từ 1 đến {MAX_PAGE_SIZE}.")
    if page < 1:
        raise InvalidInput("page phải từ 1.")
    query = select(AlertInstance).join(AlertRule, AlertRule.id == AlertInstance.rule_id).options(
        selectinload(AlertInstance.rule))
    if filters.severity:
        query = query.where(AlertRule.severity == filters.severity)
    if filters.rule_id is not None:
        query = query.where(AlertRule.id == filters.rule_id)
    instances = list(session.scalars(query))
    rows = rows_for(session, instances, principal=principal)
    agencies = {a.code: a for a in session.scalars(select(Agency).where(Agency.kind == "commune"))}
    rows = [r for r in rows if _matches(r, filters, agencies)]
    counts = {state: 0 for state in STATE_ORDER}
    for r in rows:
        counts[r.instance.state] = counts.get(r.instance.state, 0) + 1
    if filters.state:
        wanted = STATE_FILTERS[filters.state.lower()]
        rows = [r for r in rows if r.instance.state == wanted]
    rows.sort(key=_sort_key)
    total = len(rows)
    start = (page - 1) * page_size
    if not group:
        return Triage(rows=rows[start:start + page_size], groups=[], total=total, total_groups=0, counts=counts,
                      page=page, page_size=page_size)
    by_rule: dict[int, AlertGroup] = {}
    for r in rows:
        if r.rule.id not in by_rule:
            by_rule[r.rule.id] = AlertGroup(rule=r.rule, domain=r.domain, indicator_name=r.indicator_name, rows=[])
        by_rule[r.rule.id].rows.append(r)
    groups = sorted(by_rule.values(), key=lambda g: (not g.mine, SEVERITY_RANK.get(g.rule.severity, 9),
                                                     -g.count, -g.latest.timestamp(), g.rule.name))
    shown = groups[start:start + page_size]
    return Triage(rows=[r for g in shown for r in g.rows], groups=shown, total=total, total_groups=len(groups),
                  counts=counts, page=page, page_size=page_size)


def open_count(session: Session, *, principal: Principal, unit: str | None = None) -> int:
    """Alerts in state Alerting (what badges count), optionally for one commune: the same filter as the list."""
    return triage(session, principal=principal, filters=Filters(state="alerting", unit=unit), page_size=1).total
