"""Alert rules, their per-unit instances and state history, silences, notifications; directives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.core.db import Base, utcnow

# source: a condition a domain module evaluates (alerts/sources.py); indicator_code holds the source's name.
RULE_KINDS = ("threshold", "change", "behind_target", "missing_data", "anomaly", "source")
STATES = ("Normal", "Pending", "Alerting", "NoData", "Error")
SEVERITIES = ("info", "warning", "critical")


class AlertRule(Base):
    """A rule on one indicator (quy tắc cảnh báo), evaluated for one unit or every unit of a level."""

    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    indicator_code: Mapped[str] = mapped_column(String(60), index=True)
    level: Mapped[str] = mapped_column(String(10), default="province")  # province | commune | agency
    unit_code: Mapped[str | None] = mapped_column(String(40))  # None: every unit of the level
    kind: Mapped[str] = mapped_column(String(20))  # threshold | change | behind_target | missing_data | anomaly
    # threshold: {op, value}; change: {compare: previous|last_year, mode: percent|absolute, op, value};
    # behind_target: {cumulative: bool, tolerance: %}; missing_data: {lag: periods, datasets: bool};
    # anomaly: {window: N, k: z}
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    pending_for: Mapped[int] = mapped_column(Integer, default=0)
    pending_unit: Mapped[str] = mapped_column(String(12), default="evaluations")  # evaluations | minutes
    # [{"type": "webhook", "url": ...}, {"type": "email", "to": [...]}, {"type": "inapp", "agency": "SYT"}]
    channels: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    group_by: Mapped[list[str]] = mapped_column(JSON, default=list)  # rule | indicator | severity | unit | level
    repeat_interval_minutes: Mapped[int] = mapped_column(Integer, default=240)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    instances: Mapped[list[AlertInstance]] = relationship(back_populates="rule", cascade="all, delete-orphan")


class AlertInstance(Base):
    """The state of one rule for one unit (một cảnh báo)."""

    __tablename__ = "alert_instance"
    __table_args__ = (UniqueConstraint("rule_id", "unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id", ondelete="CASCADE"), index=True)
    unit_code: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default="Normal", index=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    period: Mapped[str | None] = mapped_column(String(10))
    last_value: Mapped[float | None] = mapped_column(Float)
    last_evaluated_at: Mapped[datetime | None] = mapped_column()
    last_notified_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    message: Mapped[str] = mapped_column(Text, default="")

    rule: Mapped[AlertRule] = relationship(back_populates="instances")


class AlertStateChange(Base):
    __tablename__ = "alert_state_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("alert_instance.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_state: Mapped[str] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    value: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")


class Silence(Base):
    """Notifications matching every given matcher are suppressed between starts_at and ends_at (tạm tắt)."""

    __tablename__ = "alert_silence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rule.id", ondelete="CASCADE"), index=True)
    indicator_code: Mapped[str | None] = mapped_column(String(60))
    unit_code: Mapped[str | None] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """One delivery (or in-app message) of a group of alerts."""

    __tablename__ = "alert_notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # inapp | webhook | email
    recipient: Mapped[str | None] = mapped_column(String(500))
    agency_code: Mapped[str | None] = mapped_column(String(40), index=True)
    group_key: Mapped[str] = mapped_column(String(255), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="pending")  # sent | failed | skipped
    error: Mapped[str | None] = mapped_column(Text)


class Directive(Base):
    """A leader's instruction to an agency with a deadline (chỉ đạo)."""

    __tablename__ = "directive"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    instruction: Mapped[str] = mapped_column(Text)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    source_alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_instance.id", ondelete="SET NULL"), index=True)
    source_ref: Mapped[str | None] = mapped_column(String(255))  # e.g. "board:kinh-te"
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | done
    progress: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(120))
    result: Mapped[str | None] = mapped_column(Text)

    updates: Mapped[list[DirectiveUpdate]] = relationship(
        back_populates="directive", order_by="DirectiveUpdate.id", cascade="all, delete-orphan")


class DirectiveUpdate(Base):
    __tablename__ = "directive_update"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int | None] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    directive: Mapped[Directive] = relationship(back_populates="updates")
