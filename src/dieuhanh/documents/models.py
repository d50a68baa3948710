"""Tables of the documents domain: incoming documents (văn bản đến), their files, assignments (chủ trì / phối
hợp), history, and the trained routing models."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.core.db import Base, utcnow

# Workflow: new (chờ phân công) → assigned (đã phân công: bút phê) → in_progress (đơn vị báo cáo tiến độ) → done.
STATUSES = ("new", "assigned", "in_progress", "done")
STATUS_LABELS = {"new": "Chờ phân công", "assigned": "Đã giao xử lý", "in_progress": "Đang xử lý",
                 "done": "Đã hoàn thành"}
OPEN_STATUSES = ("assigned", "in_progress")
SOURCES = ("upload", "eoffice", "web", "demo")
SOURCE_LABELS = {"upload": "Tải lên (API)", "eoffice": "Hệ thống quản lý văn bản", "web": "Văn thư nhập trên trang",
                 "demo": "Dữ liệu mẫu"}
ROLES = ("chu_tri", "phoi_hop")
ROLE_LABELS = {"chu_tri": "Chủ trì", "phoi_hop": "Phối hợp"}
INPUT_KINDS = {"pdf": "PDF có lớp chữ", "scan": "PDF bản quét (nhập thông tin tay)", "docx": "Word (DOCX)",
               "text": "Văn bản thuần", "metadata": "Chỉ thông tin (không có tệp)"}


class Document(Base):
    """An incoming document (văn bản đến) registered by the office."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    arrival_number: Mapped[int] = mapped_column(Integer, index=True)  # số đến, from 1 each year
    arrival_date: Mapped[date] = mapped_column(Date, index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    code_number: Mapped[str | None] = mapped_column(String(20), index=True)
    code_notation: Mapped[str | None] = mapped_column(String(60), index=True)
    doc_type: Mapped[str | None] = mapped_column(String(8), index=True)
    organ_name: Mapped[str | None] = mapped_column(String(300))
    organ_key: Mapped[str | None] = mapped_column(String(300), index=True)  # folded organ name (duplicates)
    issued_place: Mapped[str | None] = mapped_column(String(100))
    issued_date: Mapped[date | None] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(12), default="thuong")
    due_date: Mapped[date | None] = mapped_column(Date, index=True)  # the document's own deadline (DueDate)
    to_places: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    input_kind: Mapped[str] = mapped_column(String(10), default="metadata")
    summary: Mapped[list[str]] = mapped_column(JSON, default=list)
    entities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Field names the sender or clerk gave (the rest were extracted from the text).
    provided: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(10), default="upload")
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id", ondelete="SET NULL"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="new", index=True)
    # Routing suggestions of the model (or the keyword rules before any model): [{agency_code, role, confidence}]
    suggestions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    suggestion_confidence: Mapped[float | None] = mapped_column(Float)
    suggestion_model_id: Mapped[int | None] = mapped_column(Integer)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)  # "cần xem"
    lead_agency_code: Mapped[str | None] = mapped_column(ForeignKey("agency.code"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column()
    assigned_by: Mapped[str | None] = mapped_column(String(160))
    instruction: Mapped[str | None] = mapped_column(Text)  # bút phê
    handling_due: Mapped[date | None] = mapped_column(Date, index=True)  # the task's deadline
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent reported by the lead department
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    assignments: Mapped[list[DocumentAssignment]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentAssignment.id")
    events: Mapped[list[DocumentEvent]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentEvent.id")
    file: Mapped[DocumentFile | None] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                     uselist=False, lazy="select")
    duplicate_of: Mapped[Document | None] = relationship(remote_side="Document.id", foreign_keys=[duplicate_of_id])

    @property
    def code(self) -> str | None:
        from dieuhanh.documents.extract import full_code

        return full_code(self.code_number, self.code_notation)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def agency_code(self) -> str | None:
        """For authorisation: the lead department (core.security reads ``agency_code``)."""
        return self.lead_agency_code

    @property
    def cooperating(self) -> list[str]:
        return [a.agency_code for a in self.assignments if a.role == "phoi_hop"]


class DocumentFile(Base):
    """The uploaded original (PDF, DOCX or text), kept with the document in the same transaction."""

    __tablename__ = "document_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="file")


class DocumentAssignment(Base):
    """A department's part in a document: the lead (chủ trì, the task's owner) or a cooperating one (phối hợp).
    Every confirmed assignment is a training example of the routing model."""

    __tablename__ = "document_assignment"
    __table_args__ = (UniqueConstraint("document_id", "agency_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    # What the model had proposed for this agency when the leader confirmed (None: not proposed).
    suggested_confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="assignments")


class DocumentEvent(Base):
    """History: registered, assigned, reassigned, progress, completed, reopened."""

    __tablename__ = "document_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(20))
    agency_code: Mapped[str | None] = mapped_column(String(20))
    progress: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="events")


class RoutingModel(Base):
    """A trained routing model (lead and cooperating departments), kept in the database so every process of the
    installation uses the same one. The newest row is the one in use."""

    __tablename__ = "document_routing_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)
    trained_by: Mapped[str] = mapped_column(String(160))
    examples: Mapped[int] = mapped_column(Integer)
    last_document_id: Mapped[int] = mapped_column(Integer)  # the newest confirmed document it learned from
    classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    seconds: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lead_model: Mapped[bytes] = mapped_column(LargeBinary)
    coop_model: Mapped[bytes | None] = mapped_column(LargeBinary)
