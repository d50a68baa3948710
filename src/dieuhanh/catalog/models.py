from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.core.db import Base, utcnow


class Dataset(Base):
    """A dataset of the shared warehouse (bộ dữ liệu): one warehouse table named ``name``."""

    __tablename__ = "dataset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    license_id: Mapped[str] = mapped_column(String(40))
    access: Mapped[str] = mapped_column(String(20))  # public | internal | restricted
    update_frequency: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    last_batch_at: Mapped[datetime | None] = mapped_column()
    row_count: Mapped[int] = mapped_column(Integer, default=0)

    columns: Mapped[list[DatasetColumn]] = relationship(
        back_populates="dataset", order_by="DatasetColumn.position", cascade="all, delete-orphan"
    )

    @property
    def agency_code(self) -> str:
        return self.owner_agency


class DatasetColumn(Base):
    __tablename__ = "dataset_column"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(63))
    type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    unique: Mapped[bool] = mapped_column(Boolean, default=False)
    pii: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the load-time scan suggested (cccd, cmnd, phone) until an analyst confirms or dismisses it.
    pii_suggestion: Mapped[str | None] = mapped_column(String(40))
    pii_reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")

    dataset: Mapped[Dataset] = relationship(back_populates="columns")


class SchemaVersion(Base):
    __tablename__ = "dataset_schema_version"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoadBatch(Base):
    """One load of a dataset (lô nạp): all its rows or none; every warehouse row carries its id."""

    __tablename__ = "load_batch"
    __table_args__ = (UniqueConstraint("dataset_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # loaded | rolled_back | superseded | rejected
    mode: Mapped[str] = mapped_column(String(10))  # append | replace
    source: Mapped[str] = mapped_column(String(20))  # upload | push | pull | mqtt | cli | demo
    filename: Mapped[str | None] = mapped_column(String(255))
    encoding: Mapped[str | None] = mapped_column(String(20))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    checksum: Mapped[str | None] = mapped_column(String(64))
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    rolled_back_at: Mapped[datetime | None] = mapped_column()
    rolled_back_by: Mapped[str | None] = mapped_column(String(120))
    # Rejected attempts are kept (status "rejected", no rows stored) so the error rate can be shown.
    error_count: Mapped[int] = mapped_column(Integer, default=0)


class Grant(Base):
    """Access of another agency to a restricted dataset (chia sẻ dữ liệu giữa cơ quan)."""

    __tablename__ = "dataset_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    include_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column()
    granted_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    request_id: Mapped[int | None] = mapped_column(Integer)


class AccessRequest(Base):
    __tablename__ = "access_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    requested_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    include_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | approved | denied
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UpdateRequest(Base):
    """An analyst's request that the owner agency load fresh data; closed by the next batch."""

    __tablename__ = "update_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fulfilled_batch_id: Mapped[str | None] = mapped_column(String(36))
    fulfilled_at: Mapped[datetime | None] = mapped_column()
