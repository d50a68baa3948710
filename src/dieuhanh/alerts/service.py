"""Rule evaluation (the alert state machine) plus rules, silences, instances and acknowledgement.

``evaluate(session, now=...)`` is the one entry point: the scheduler calls it every minute and the indicators
engine after each recompute. For every enabled rule and every unit it computes a condition, moves the instance
Normal → Pending → Alerting (after ``pending_for`` evaluations or minutes), back to Normal when the condition
clears, to NoData without a value and to Error when the indicator or the evaluation fails; every transition is
an ``AlertStateChange``. Transitions to Alerting, resolutions and repeats after ``repeat_interval`` are then
handed to ``notify.dispatch`` (grouped, silences applied).
"""

from __future__ import annotations

import logging
import operator
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dieuhanh.alerts import sources as alert_sources
from dieuhanh.alerts.models import AlertInstance, AlertRule, AlertStateChange, Notification, Silence
from dieuhanh.alerts.schemas import RuleIn, RulePatch, SilenceIn
from dieuhanh.core import audit
from dieuhanh.core import periods as period_codes
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import FieldError, InvalidInput, NotFound
from dieuhanh.core.formatting import LOCAL_TZ, format_number, period_label, to_local
from dieuhanh.core.security import Principal, authorize
from dieuhanh.indicators import rules
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue

log = logging.getLogger(__name__)

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
}
OP_WORDS = {">": "lớn hơn", ">=": "từ", "<": "nhỏ hơn", "<=": "không quá", "==": "bằng", "!=": "khác"}
WHOLE_LEVEL = "*"  # instance key when a rule for every unit has no unit to speak of yet
STATE_FILTERS = {"alerting": "Alerting", "pending": "Pending", "normal": "Normal", "nodata": "NoData",
                 "error": "Error"}


# ------------------------------------------------------------------------------------------------ periods


def same_period_last_year(period: str) -> str:
    p = period_codes.parse(period)
    return period_codes.Period(p.kind, p.year - 1, p.index).code


def year_fraction(period: str, as_of: datetime | None = None) -> float:
    """Share of the year elapsed at the end of the period, or at ``as_of`` for a partial one (rules.py)."""
    return rules.year_fraction(period, as_of)


def expected_period(periodicity: str, now: datetime, lag: int = 1) -> str:
    """The period ``lag`` periods before the one containing ``now`` (local time): rules with an explicit lag."""
    return period_codes.containing(to_local(now).date(), periodicity).shift(-lag).code


# ------------------------------------------------------------------------------------------------ conditions


@dataclass
class Outcome:
    kind: str  # firing | ok | nodata | error
    message: str
    value: float | None = None
    period: str | None = None


def _period(period: str | None) -> str:
    """2026-11 -> 11/2026, 2025-Q3 -> Quý 3/2025 (as on the boards)."""
    return period_label(period, short=True)


def _fmt(v: float | None) -> str:
    return format_number(v) if v is not None else "–"


def _dataset_lateness(session: Session, names: list[str], now: datetime) -> list[str]:
    """Titles of the source datasets whose last load is older than their frequency allows. Monthly, quarterly and
    yearly data are left out: for them the period covered counts, not the load time, and the rule already checks
    the indicator's periods against the one due by its publication schedule."""
    from dieuhanh.catalog.models import Dataset
    from dieuhanh.catalog.schemas import FREQUENCIES
    from dieuhanh.catalog.snapshots import FREQUENCY_KINDS

    late = []
    for ds in session.scalars(select(Dataset).where(Dataset.name.in_(names))):
        days_allowed = FREQUENCIES.get(ds.update_frequency, ("", None))[1]
        if days_allowed is None or ds.update_frequency in FREQUENCY_KINDS:
            continue
        if ds.last_batch_at is None or (now - ds.last_batch_at).days > days_allowed:
            late.append(f"«{ds.title}»")
    return sorted(late)


def condition(session: Session, rule: AlertRule, definition: IndicatorDefinition,
              rows: dict[str, IndicatorValue], now: datetime) -> Outcome:
    """Whether the rule's condition holds for one unit, given that unit's values by period."""
    p = rule.params or {}
    if not p.get("partial"):
        # Rules evaluate complete periods unless they opt in (params.partial): a month 7 days in is not scored
        # as if it had ended.
        rows = {period: row for period, row in rows.items() if not row.partial}
    periods = sorted(rows)
    if rule.kind == "missing_data":
        periodicity = definition.periodicity or (period_codes.kind_of(periods[-1]) if periods else "month")
        if "lag" in p:
            expected = expected_period(periodicity, now, int(p["lag"]))
            due_text = ""
        else:  # the definition's publication schedule says which period should exist by now
            expected = rules.expected_period(periodicity, definition.publication, rules.local_day(now))
            due = rules.schedule_of(periodicity, definition.publication).due(expected)
            due_text = f", hạn công bố {due.strftime('%d/%m/%Y')}"
        row = rows.get(expected)
        expected_end = period_codes.parse(expected).end
        newer = [q for q in periods if rows[q].value is not None and period_codes.parse(q).end >= expected_end]
        reasons = []
        if not newer:  # nothing for the expected period or a later one: stale
            reasons.append(f"kỳ {_period(expected)} chưa có số liệu{due_text}")
        elif row is None or row.value is None:
            row = rows[newer[-1]]
        if p.get("datasets", True) and definition.datasets:
            late = _dataset_lateness(session, list(definition.datasets), now)
            if late:
                reasons.append("bộ dữ liệu nguồn chậm cập nhật: " + ", ".join(late))
        value = row.value if row is not None else None
        if reasons:
            return Outcome("firing", "Thiếu dữ liệu: " + "; ".join(reasons) + ".", value, expected)
        return Outcome("ok", f"Kỳ {_period(expected)} đã có số liệu.", value, expected)

    if not periods:
        return Outcome("nodata", "Chưa có số liệu của chỉ số.")
    latest = periods[-1]
    value = rows[latest].value
    if value is None:
        return Outcome("nodata", f"Kỳ {_period(latest)} chưa có số liệu.", None, latest)

    latest_row = rows[latest]
    partial_text = f" ({rules.partial_label(latest_row.as_of or now)})" if latest_row.partial else ""

    if rule.kind == "threshold":
        op, limit = p.get("op", ">"), float(p["value"])
        if latest_row.partial and definition.unit.strip() != "%":
            # An amount of a period that has not ended is compared with the threshold pro-rated by elapsed time.
            limit = round(limit * rules.elapsed_fraction(latest, latest_row.as_of or now), 6)
        holds = OPERATORS[op](value, limit)
        return Outcome("firing" if holds else "ok",
                       f"Kỳ {_period(latest)}{partial_text}: {_fmt(value)} {OP_WORDS.get(op, op)} {_fmt(limit)}"
                       + ("" if holds else " — không thỏa") + ".", value, latest)

    if rule.kind == "change":
        compare = p.get("compare", "previous")
        if compare == "last_year":
            base_period: str | None = same_period_last_year(latest)
        else:
            base_period = periods[-2] if len(periods) > 1 else None
        base_row = rows.get(base_period) if base_period else None
        if base_row is None or base_row.value is None:
            return Outcome("nodata", f"Kỳ {_period(latest)}: không có số liệu kỳ so sánh.", value, latest)
        base = base_row.value
        if p.get("mode", "percent") == "percent":
            if base == 0:
                return Outcome("nodata", f"Kỳ so sánh {_period(base_period)} bằng 0, không tính được tỷ lệ thay đổi.",
                               value, latest)
            delta = (value - base) / abs(base) * 100
            text = f"{_fmt(round(delta, 2))} %"
        else:
            delta = value - base
            text = _fmt(delta)
        op, limit = p.get("op", ">"), float(p["value"])
        holds = OPERATORS[op](delta, limit)
        return Outcome("firing" if holds else "ok",
                       f"Kỳ {_period(latest)} so với {_period(base_period)}: thay đổi {text} "
                       f"({_fmt(base)} → {_fmt(value)}).", value, latest)

    if rule.kind == "behind_target":
        year = str(period_codes.parse(latest).year)
        target = rows[latest].target
        if target is None:
            raw = (definition.targets or {}).get(year)
            target = float(raw) if isinstance(raw, int | float) else None
        if target is None:
            return Outcome("nodata", f"Chỉ số chưa có chỉ tiêu năm {year}.", value, latest)
        fraction = year_fraction(latest, latest_row.as_of or now) if p.get("cumulative", True) else 1.0
        expected_value = target * fraction
        tolerance = float(p.get("tolerance", 0)) / 100
        if definition.direction == "lower_better":
            holds = value > expected_value * (1 + tolerance)
        else:
            holds = value < expected_value * (1 - tolerance)
        return Outcome("firing" if holds else "ok",
                       f"Kỳ {_period(latest)}: đạt {_fmt(value)}, cần {_fmt(expected_value)} "
                       f"({_fmt(round(fraction * 100, 1))} % chỉ tiêu năm {_fmt(target)}).", value, latest)

    if rule.kind == "anomaly":
        window, k = int(p.get("window", 12)), float(p.get("k", 3.5))
        history = [rows[q].value for q in periods[:-1] if rows[q].value is not None][-window:]
        if len(history) < int(p.get("min_points", 4)):
            return Outcome("nodata", f"Chưa đủ {p.get('min_points', 4)} kỳ số liệu để phát hiện bất thường.",
                           value, latest)
        values = [float(v) for v in history if v is not None]
        median = statistics.median(values)
        mad = statistics.median([abs(v - median) for v in values])
        if mad == 0:
            z = 0.0 if value == median else float("inf")
        else:
            z = 0.6745 * (value - median) / mad
        holds = abs(z) > k
        z_text = "∞" if z in (float("inf"), float("-inf")) else _fmt(round(z, 2))
        return Outcome("firing" if holds else "ok", f"Kỳ {_period(latest)}: {_fmt(value)}, trung vị {_fmt(median)}, "
                       f"z = {z_text} (ngưỡng ±{_fmt(k)}).", value, latest)

    return Outcome("error", f"Loại quy tắc «{rule.kind}» không được hỗ trợ.")


# ------------------------------------------------------------------------------------------------ state machine


def _transition(session: Session, inst: AlertInstance, new: str, now: datetime, reason: str) -> None:
    session.add(AlertStateChange(instance_id=inst.id, at=now, from_state=inst.state, to_state=new,
                                 value=inst.last_value, reason=reason))
    if inst.state == "Alerting":
        inst.acknowledged_by = inst.acknowledged_at = None
    inst.state, inst.since = new, now


def apply_outcome(session: Session, rule: AlertRule, inst: AlertInstance, outcome: Outcome,
                  now: datetime) -> str | None:
    """Move one instance; returns "firing" on a transition to Alerting, "resolved" when Alerting clears."""
    previous = inst.state
    inst.last_evaluated_at, inst.message = now, outcome.message
    inst.last_value, inst.period = outcome.value, outcome.period
    if outcome.kind == "firing":
        if previous == "Alerting":
            new = "Alerting"
        elif previous == "Pending":
            inst.pending_count += 1
            if rule.pending_unit == "minutes":
                held = now - inst.since >= timedelta(minutes=rule.pending_for)
            else:
                held = inst.pending_count > rule.pending_for
            new = "Alerting" if held else "Pending"
        else:
            inst.pending_count = 1
            new = "Alerting" if rule.pending_for <= 0 else "Pending"
    else:
        inst.pending_count = 0
        new = {"ok": "Normal", "nodata": "NoData", "error": "Error"}[outcome.kind]
    if new != previous:
        _transition(session, inst, new, now, outcome.message)
    if new == "Alerting" and previous != "Alerting":
        return "firing"
    if previous == "Alerting" and new == "Normal":
        return "resolved"
    return None


def _units(session: Session, rule: AlertRule, values: dict[str, dict[str, IndicatorValue]]) -> list[str]:
    units = set(values)
    units.update(i.unit_code for i in rule.instances)
    if rule.unit_code:
        units = {rule.unit_code}
    if not units:
        units = {WHOLE_LEVEL}
    elif len(units) > 1:
        units.discard(WHOLE_LEVEL)
    return sorted(units)


def _instance(session: Session, rule: AlertRule, existing: dict[str, AlertInstance], unit: str,
              now: datetime) -> AlertInstance:
    inst = existing.get(unit)
    if inst is None:
        inst = AlertInstance(rule_id=rule.id, unit_code=unit, state="Normal", since=now, pending_count=0, message="")
        session.add(inst)
        session.flush()
        rule.instances.append(inst)
        existing[unit] = inst
    return inst


def _notify_event(rule: AlertRule, inst: AlertInstance, event: str | None, now: datetime) -> str | None:
    if event is None and inst.state == "Alerting" and inst.acknowledged_at is None and (
            inst.last_notified_at is None
            or now - inst.last_notified_at >= timedelta(minutes=rule.repeat_interval_minutes)):
        return "firing"  # still firing: repeat after the interval (or first send after a silence ended)
    return event


def _evaluate_source_rule(session: Session, rule: AlertRule, now: datetime) -> list[tuple[AlertInstance, str]]:
    """A rule of kind ``source``: the domain's conditions, one instance per key (alerts/sources.py)."""
    source = alert_sources.get(rule.indicator_code)
    existing = {i.unit_code: i for i in rule.instances}
    outcomes: dict[str, Outcome] = {}
    if source is None:
        outcomes[rule.unit_code or WHOLE_LEVEL] = Outcome("error", f"Nguồn cảnh báo «{rule.indicator_code}» không có.")
    else:
        try:
            for cond in source.evaluate(session, dict(rule.params or {}), now):
                if rule.unit_code and cond.key != rule.unit_code:
                    continue
                outcomes[cond.key[:40]] = Outcome("firing" if cond.firing else "ok", cond.message, cond.value,
                                                  cond.period)
        except Exception as exc:  # noqa: BLE001  (a broken source is an Error instance, never a failed run)
            log.warning("alert source %s failed for rule %s: %s", rule.indicator_code, rule.id, exc)
            outcomes = {rule.unit_code or WHOLE_LEVEL: Outcome("error", f"Lỗi khi đánh giá: {type(exc).__name__}")}
        for key, inst in existing.items():  # keys the source no longer reports are back to normal
            if key not in outcomes and inst.state != "Normal":
                outcomes[key] = Outcome("ok", "Đã trở lại bình thường.")
    events: list[tuple[AlertInstance, str]] = []
    for key in sorted(outcomes):
        inst = _instance(session, rule, existing, key, now)
        event = _notify_event(rule, inst, apply_outcome(session, rule, inst, outcomes[key], now), now)
        if event:
            events.append((inst, event))
    return events


def _evaluate_rule(session: Session, rule: AlertRule, now: datetime) -> list[tuple[AlertInstance, str]]:
    if rule.kind == "source":
        return _evaluate_source_rule(session, rule, now)
    definition = session.get(IndicatorDefinition, rule.indicator_code)
    query = select(IndicatorValue).where(IndicatorValue.code == rule.indicator_code,
                                         IndicatorValue.level == rule.level)
    if rule.unit_code:
        query = query.where(IndicatorValue.unit_code == rule.unit_code)
    values: dict[str, dict[str, IndicatorValue]] = {}
    for row in session.scalars(query):
        values.setdefault(row.unit_code, {})[row.period] = row
    existing = {i.unit_code: i for i in rule.instances}
    events: list[tuple[AlertInstance, str]] = []
    for unit in _units(session, rule, values):
        inst = _instance(session, rule, existing, unit, now)
        if definition is None:
            outcome = Outcome("error", f"Chỉ số «{rule.indicator_code}» không tồn tại.")
        elif definition.state == "error":
            outcome = Outcome("error", f"Chỉ số «{definition.code}» đang lỗi: {definition.error or 'không rõ'}")
        else:
            try:
                outcome = condition(session, rule, definition, values.get(unit, {}), now)
            except Exception as exc:  # noqa: BLE001  (a broken rule is an Error instance, never a failed run)
                log.warning("alert rule %s failed for %s: %s", rule.id, unit, exc)
                outcome = Outcome("error", f"Lỗi khi đánh giá: {type(exc).__name__}: {exc}")
        event = _notify_event(rule, inst, apply_outcome(session, rule, inst, outcome, now), now)
        if event:
            events.append((inst, event))
    return events


def evaluate(session: Session, *, now: datetime | None = None, settings: Any = None,
             rule_ids: list[int] | None = None) -> dict[str, int]:
    """Evaluate every enabled rule (or ``rule_ids``) once and send the notifications that result.

    ``now`` is naive UTC (defaults to the current time). Returns counts of instances per state and
    notifications sent. The caller owns the transaction.
    """
    from dieuhanh.alerts.notify import dispatch
    from dieuhanh.indicators.service import AS_OF_KEY

    # After an indicator compute: the instant its values were computed as of (a demo pinned to a day).
    now = now or session.info.get(AS_OF_KEY) or utcnow()
    query = select(AlertRule).where(AlertRule.enabled.is_(True)).options(selectinload(AlertRule.instances))
    if rule_ids is not None:
        query = query.where(AlertRule.id.in_(rule_ids))
    events: list[tuple[AlertInstance, str]] = []
    counts: dict[str, int] = {}
    for rule in session.scalars(query.order_by(AlertRule.id)):
        events.extend(_evaluate_rule(session, rule, now))
        for inst in rule.instances:
            counts[inst.state] = counts.get(inst.state, 0) + 1
    session.flush()
    notifications = dispatch(session, events, now=now, settings=settings)
    counts["notifications"] = len(notifications)
    return counts


# ------------------------------------------------------------------------------------------------ rules


def list_rules(session: Session, *, principal: Principal) -> list[AlertRule]:
    authorize(principal, "officials.read")
    return list(session.scalars(select(AlertRule).order_by(AlertRule.id)))


def get_rule(session: Session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFound(f"Không có quy tắc cảnh báo số {rule_id}.")
    return rule


def _rule_dict(rule: AlertRule) -> dict[str, Any]:
    return {k: getattr(rule, k) for k in ("name", "indicator_code", "level", "unit_code", "kind", "params",
                                          "severity", "pending_for", "pending_unit", "channels", "group_by",
                                          "repeat_interval_minutes", "enabled")}


def _check_target(session: Session, kind: str, code: str, params: dict[str, Any]) -> None:
    """An indicator rule needs its indicator; a source rule its registered source and parameters it accepts."""
    if kind != "source":
        if session.get(IndicatorDefinition, code) is None:
            raise InvalidInput(f"Không có chỉ số «{code}».")
        return
    source = alert_sources.get(code)
    if source is None:
        known = ", ".join(sorted(alert_sources.SOURCES)) or "chưa có"
        message = f"Không có nguồn cảnh báo «{code}» (có: {known})."
        raise InvalidInput(message, errors=[FieldError(message, field="indicator_code")])
    if source.validate is not None:
        try:
            source.validate(params)
        except ValueError as exc:
            raise InvalidInput(str(exc), errors=[FieldError(str(exc), field="params")]) from exc


def evaluate_sources(session: Session, *, names: list[str], now: datetime | None = None,
                     settings: Any = None) -> dict[str, int]:
    """Evaluate now the enabled source rules of these sources (a domain calls it when its facts changed)."""
    ids = list(session.scalars(select(AlertRule.id).where(AlertRule.kind == "source",
                                                         AlertRule.indicator_code.in_(names),
                                                         AlertRule.enabled.is_(True))))
    if not ids:
        return {"notifications": 0}
    return evaluate(session, now=now, settings=settings, rule_ids=ids)


def create_rule(session: Session, *, principal: Principal, rule_in: RuleIn) -> AlertRule:
    authorize(principal, "alert.manage")
    _check_target(session, rule_in.kind, rule_in.indicator_code, rule_in.params)
    rule = AlertRule(**rule_in.model_dump(), created_by=principal.actor)
    session.add(rule)
    session.flush()
    audit.record(session, actor=principal.actor, action="alert_rule.create", entity_type="alert_rule",
                 entity_id=rule.id, after=_rule_dict(rule))
    return rule


def update_rule(session: Session, *, principal: Principal, rule_id: int, patch: RulePatch) -> AlertRule:
    authorize(principal, "alert.manage")
    rule = get_rule(session, rule_id)
    before = _rule_dict(rule)
    merged = RuleIn.model_validate({**before, **patch.model_dump(exclude_unset=True)})
    _check_target(session, merged.kind, merged.indicator_code, merged.params)
    for key, value in merged.model_dump().items():
        setattr(rule, key, value)
    session.flush()
    audit.record(session, actor=principal.actor, action="alert_rule.update", entity_type="alert_rule",
                 entity_id=rule.id, before=before, after=_rule_dict(rule))
    return rule


def delete_rule(session: Session, *, principal: Principal, rule_id: int) -> None:
    authorize(principal, "alert.manage")
    rule = get_rule(session, rule_id)
    audit.record(session, actor=principal.actor, action="alert_rule.delete", entity_type="alert_rule",
                 entity_id=rule.id, before=_rule_dict(rule))
    session.delete(rule)
    session.flush()


# ------------------------------------------------------------------------------------------------ instances


def list_instances(session: Session, *, principal: Principal, state: str | None = None) -> list[AlertInstance]:
    authorize(principal, "officials.read")
    query = select(AlertInstance).options(selectinload(AlertInstance.rule))
    if state:
        wanted = STATE_FILTERS.get(state.lower())
        if wanted is None:
            raise InvalidInput(f"Trạng thái «{state}» không hợp lệ ({', '.join(STATE_FILTERS)}).")
        query = query.where(AlertInstance.state == wanted)
    return list(session.scalars(query.order_by(AlertInstance.since.desc(), AlertInstance.id.desc())))


def get_instance(session: Session, instance_id: int) -> AlertInstance:
    inst = session.get(AlertInstance, instance_id)
    if inst is None:
        raise NotFound(f"Không có cảnh báo số {instance_id}.")
    return inst


def acknowledge(session: Session, *, principal: Principal, instance_id: int) -> AlertInstance:
    authorize(principal, "alert.ack")
    inst = get_instance(session, instance_id)
    if inst.state not in ("Alerting", "Pending", "Error", "NoData"):
        raise InvalidInput("Chỉ xác nhận được cảnh báo đang hoạt động.")
    inst.acknowledged_by, inst.acknowledged_at = principal.actor, utcnow()
    session.flush()
    audit.record(session, actor=principal.actor, action="alert.ack", entity_type="alert_instance",
                 entity_id=inst.id, after={"rule": inst.rule_id, "unit": inst.unit_code, "state": inst.state})
    return inst


def history(session: Session, instance_id: int) -> list[AlertStateChange]:
    return list(session.scalars(select(AlertStateChange).where(AlertStateChange.instance_id == instance_id)
                                .order_by(AlertStateChange.id)))


def list_notifications(session: Session, *, principal: Principal, limit: int = 50) -> list[Notification]:
    authorize(principal, "officials.read")
    query = select(Notification).where(Notification.channel == "inapp")
    if not principal.can_read_all() and principal.agency_code:
        query = query.where((Notification.agency_code.is_(None))
                            | (Notification.agency_code == principal.agency_code))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


# ------------------------------------------------------------------------------------------------ silences


def list_silences(session: Session, *, principal: Principal, active_only: bool = False) -> list[Silence]:
    authorize(principal, "officials.read")
    query = select(Silence)
    if active_only:
        now = utcnow()
        query = query.where(Silence.starts_at <= now, Silence.ends_at > now)
    return list(session.scalars(query.order_by(Silence.id.desc())))


def create_silence(session: Session, *, principal: Principal, silence_in: SilenceIn) -> Silence:
    authorize(principal, "alert.manage")
    starts = _naive_utc(silence_in.starts_at) if silence_in.starts_at else utcnow()
    ends = _naive_utc(silence_in.ends_at)
    if ends <= starts:
        raise InvalidInput("Thời điểm kết thúc phải sau thời điểm bắt đầu.")
    if silence_in.rule_id is not None:
        get_rule(session, silence_in.rule_id)
    silence = Silence(rule_id=silence_in.rule_id, indicator_code=silence_in.indicator_code or None,
                      unit_code=silence_in.unit_code or None, starts_at=starts, ends_at=ends,
                      created_by=principal.actor, comment=silence_in.comment)
    session.add(silence)
    session.flush()
    audit.record(session, actor=principal.actor, action="silence.create", entity_type="alert_silence",
                 entity_id=silence.id, after=silence_in.model_dump())
    return silence


def expire_silence(session: Session, *, principal: Principal, silence_id: int) -> Silence:
    authorize(principal, "alert.manage")
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFound(f"Không có lệnh tạm tắt số {silence_id}.")
    now = utcnow()
    before = {"ends_at": silence.ends_at}
    if silence.ends_at > now:
        silence.ends_at = max(now, silence.starts_at)
    session.flush()
    audit.record(session, actor=principal.actor, action="silence.expire", entity_type="alert_silence",
                 entity_id=silence.id, before=before, after={"ends_at": silence.ends_at})
    return silence


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None)


__all__ = ["LOCAL_TZ", "evaluate", "condition", "apply_outcome"]
