"""Tables of the reporting module: report types, who owes them, submissions and reminders sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.core.db import Base, utcnow


class ReportType(Base):
    """A periodic report departments owe (loại báo cáo định kỳ) and its XLSX template.

    Due date rule: the report for a period is due on day ``due_day`` of the month that follows the end of the
    period (the last day of that month when it is shorter). Monthly 2025-06 with due_day 5 → 05/07/2025;
    quarterly 2025-Q2 with due_day 10 → 10/07/2025; yearly 2025 with due_day 15 → 15/01/2026.
    """

    __tablename__ = "report_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    periodicity: Mapped[str] = mapped_column(String(10))  # month | quarter | year
    due_day: Mapped[int] = mapped_column(Integer, default=5)
    dataset: Mapped[str] = mapped_column(String(63))  # target catalog dataset
    layout: Mapped[str] = mapped_column(String(10), default="form")  # form (fixed cells) | table (rows)
    table_header_row: Mapped[int | None] = mapped_column(Integer)  # table layout: row of the column headers
    # [{name, label, type: number|int|text|date, required, min, max, cell | header, unit}]
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped when the fields change
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    assignments: Mapped[list[ReportAssignment]] = relationship(
        back_populates="report_type", cascade="all, delete-orphan", order_by="ReportAssignment.agency_code")


class ReportAssignment(Base):
    """An agency owes a report type from ``from_period`` on (optionally with its own due day)."""

    __tablename__ = "report_assignment"
    __table_args__ = (UniqueConstraint("report_type_id", "agency_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_type_id: Mapped[int] = mapped_column(ForeignKey("report_type.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    from_period: Mapped[str] = mapped_column(String(10))
    due_day: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report_type: Mapped[ReportType] = relationship(back_populates="assignments")


class ReportSubmission(Base):
    """One submission (accepted or refused) of a report for an agency and period."""

    __tablename__ = "report_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_type_id: Mapped[int] = mapped_column(ForeignKey("report_type.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    period: Mapped[str] = mapped_column(String(10), index=True)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(10), default="upload")  # upload | form | api | demo
    status: Mapped[str] = mapped_column(String(10))  # accepted | rejected | replaced
    filename: Mapped[str | None] = mapped_column(String(255))
    batch_id: Mapped[str | None] = mapped_column(String(36))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date | None] = mapped_column()
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    days_late: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    report_type: Mapped[ReportType] = relationship()


class ReportReminder(Base):
    """A reminder sent (before or after the due date); one of each kind per report, agency and period."""

    __tablename__ = "report_reminder"
    __table_args__ = (UniqueConstraint("report_type_id", "agency_code", "period", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_type_id: Mapped[int] = mapped_column(ForeignKey("report_type.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    period: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))  # before | after
    due_date: Mapped[date] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
