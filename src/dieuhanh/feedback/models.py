"""Tables of the feedback module: the service catalogue, routing rules, reports and their history.

Personal data (name, phone, e-mail, device) lives only in ``ReportContact``, a separate table that no public
output (page, Open311 GET, JSON API for the public) ever reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.core.db import Base, utcnow

# Workflow states (trạng thái) and their Vietnamese labels.
STATUSES = ("new", "accepted", "in_progress", "resolved", "closed", "forwarded", "rejected", "reopened")
STATUS_LABELS = {
    "new": "Mới tiếp nhận",
    "accepted": "Đã nhận xử lý",
    "in_progress": "Đang xử lý",
    "resolved": "Đã trả lời",
    "closed": "Đã đóng",
    "forwarded": "Đã chuyển cơ quan khác",
    "rejected": "Từ chối",
    "reopened": "Mở lại",
}
# Open311 has two statuses: a report is closed once answered, closed or rejected.
CLOSED_STATUSES = ("resolved", "closed", "rejected")
OPEN_STATUSES = tuple(s for s in STATUSES if s not in CLOSED_STATUSES)
SOURCES = ("web", "open311", "demo")
RATINGS = ("satisfied", "unsatisfied")


class Category(Base):
    """A service of the catalogue (lĩnh vực phản ánh), also an Open311 service."""

    __tablename__ = "feedback_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(120), default="")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Open311 attribute definitions: [{code, variable, datatype, required, datatype_description, order,
    # description, values: [{key, name}]}]
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    deadline_hours: Mapped[int] = mapped_column(Integer, default=72)
    # Emergencies (fire, accidents) are not accepted as reports: the page and the API show the message.
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_message: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def has_attributes(self) -> bool:
        return bool(self.attributes)


class RoutingRule(Base):
    """Category (+ commune) → responsible agency. No rule: the commune's People's Committee."""

    __tablename__ = "feedback_routing_rule"
    __table_args__ = (UniqueConstraint("category_code", "unit_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_code: Mapped[str] = mapped_column(
        ForeignKey("feedback_category.service_code", ondelete="CASCADE"), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(10), index=True)  # None: every commune
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A citizen's field report (phản ánh hiện trường); ``code`` is the tracking code and Open311 id."""

    __tablename__ = "feedback_report"
    # The Open311 list answered from the index alone (migration 0025): service, window, shown status, last change.
    __table_args__ = (
        Index("ix_feedback_report_open311_service", "category_code", "created_at", "status", "duplicate_of_id",
              "updated_at"),
        Index("ix_feedback_report_open311_window", "created_at", "status", "duplicate_of_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("feedback_category.service_code"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address_string: Mapped[str | None] = mapped_column(String(500))
    address_id: Mapped[str | None] = mapped_column(String(60))
    unit_code: Mapped[str | None] = mapped_column(String(10), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="new", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # Deadline pauses while forwarded (setting feedback_pause_when_forwarded): when the pause started.
    paused_at: Mapped[datetime | None] = mapped_column()
    public_reply: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[str | None] = mapped_column(String(12))  # satisfied | unsatisfied
    rated_at: Mapped[datetime | None] = mapped_column()
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_report.id", ondelete="SET NULL"), index=True)
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_report.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="web")  # web | open311 | demo
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id", ondelete="SET NULL"), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # media: [{"url": ..., "photo_id": ...}] — public photo URLs and third-party media_url
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Where the location came from: gps | map | address | photo | address_id
    location_source: Mapped[str | None] = mapped_column(String(12))
    # SHA-256 (hex) of the citizen's secret key, shown once in the tracking link ``/phan-anh/{code}?k=...``: only
    # its holder may rate the answer or reopen the report (the code alone is public, on the map). Never output.
    # None for reports made before keys existed and for demo reports: nobody can rate or reopen those online.
    owner_key_hash: Mapped[str | None] = mapped_column(String(64))

    category: Mapped[Category] = relationship(lazy="joined", foreign_keys=[category_code])
    events: Mapped[list[ReportEvent]] = relationship(
        back_populates="report", order_by="ReportEvent.id", cascade="all, delete-orphan")
    photos: Mapped[list[ReportPhoto]] = relationship(
        back_populates="report", order_by="ReportPhoto.id", cascade="all, delete-orphan")
    duplicate_of: Mapped[Report | None] = relationship(
        remote_side=[id], foreign_keys=[duplicate_of_id])
    possible_duplicate_of: Mapped[Report | None] = relationship(
        remote_side=[id], foreign_keys=[possible_duplicate_of_id])

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def open311_status(self) -> str:
        return "closed" if self.status in CLOSED_STATUSES else "open"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class ReportContact(Base):
    """Personal data given with a report. Never part of any public output."""

    __tablename__ = "feedback_report_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_report.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str | None] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(160))
    device_id: Mapped[str | None] = mapped_column(String(160))
    account_id: Mapped[str | None] = mapped_column(String(160))


class ReportEvent(Base):
    """One step of a report's history (every transition, forward, merge, rating)."""

    __tablename__ = "feedback_report_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("feedback_report.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    note_public: Mapped[str | None] = mapped_column(Text)
    note_internal: Mapped[str | None] = mapped_column(Text)
    agency_from: Mapped[str | None] = mapped_column(String(40))
    agency_to: Mapped[str | None] = mapped_column(String(40))

    report: Mapped[Report] = relationship(back_populates="events")


class ReportPhoto(Base):
    """A verified, re-encoded (EXIF stripped) photo and its thumbnail, under DATA_DIR/uploads/feedback."""

    __tablename__ = "feedback_report_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("feedback_report.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(255))  # relative to uploads/feedback
    thumb_path: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="photos")
