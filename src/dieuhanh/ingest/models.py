"""Inputs that arrive without a person: scheduled pulls from department REST APIs (LGSP) and MQTT sensor
messages. Every record they bring still goes through ``ingest.service.load``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.catalog.models import Dataset
from dieuhanh.core.db import Base, utcnow

PAGINATION_KINDS = ("none", "page", "offset", "cursor")


class _FeedsADataset:
    """What authorisation (``agency_code``) and pages (``dataset_name``) read of a pull source or subscription."""

    owner_agency: str
    dataset: Dataset

    @property
    def agency_code(self) -> str:
        return self.owner_agency

    @property
    def dataset_name(self) -> str:
        return self.dataset.name


class PullSource(_FeedsADataset, Base):
    """A department REST JSON API pulled on a schedule into one dataset (nguồn kéo dữ liệu)."""

    __tablename__ = "pull_source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Extra fixed query parameters sent with every request.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    auth_header: Mapped[str | None] = mapped_column(String(120))
    # Write-only: never returned by the API or shown on pages (see pull.mask_secret).
    auth_value: Mapped[str | None] = mapped_column(Text)
    pagination: Mapped[str] = mapped_column(String(10), default="none")  # none | page | offset | cursor
    page_param: Mapped[str | None] = mapped_column(String(60))  # page number / offset / cursor parameter
    size_param: Mapped[str | None] = mapped_column(String(60))  # page size / limit parameter
    page_size: Mapped[int] = mapped_column(Integer, default=100)
    page_start: Mapped[int] = mapped_column(Integer, default=1)  # first page number (page pagination)
    cursor_path: Mapped[str | None] = mapped_column(String(200))  # where the next cursor is in a response
    records_path: Mapped[str] = mapped_column(String(200), default="")  # e.g. "data.items"; "" = the body
    field_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # source field (dotted) -> column
    incremental_field: Mapped[str | None] = mapped_column(String(120))  # e.g. "updated_at"
    incremental_param: Mapped[str | None] = mapped_column(String(60))  # e.g. "updated_since"
    high_water_mark: Mapped[str | None] = mapped_column(String(200))
    cron: Mapped[str] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(10), default="append")  # append | replace
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    retries: Mapped[int] = mapped_column(Integer, default=3)
    backoff_seconds: Mapped[float] = mapped_column(Float, default=2.0)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    dataset: Mapped[Dataset] = relationship(lazy="joined", innerjoin=True)


class PullRun(Base):
    """One run of a pull source: every run is recorded, successful or not."""

    __tablename__ = "pull_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("pull_source.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(10), default="running")  # running | success | failed
    trigger: Mapped[str] = mapped_column(String(10), default="manual")  # manual | schedule
    triggered_by: Mapped[str] = mapped_column(String(120))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # HTTP requests made, retries included
    batch_id: Mapped[str | None] = mapped_column(String(36))
    error: Mapped[str | None] = mapped_column(Text)
    # Row errors of a validation failure (first ones), as FieldError dicts.
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class MqttSubscription(_FeedsADataset, Base):
    """Messages on a topic pattern loaded into one dataset in micro-batches (đăng ký MQTT)."""

    __tablename__ = "mqtt_subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # MQTT filter with + and #; a segment written {column} matches like + and fills that column.
    topic: Mapped[str] = mapped_column(String(255))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    field_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # message field (dotted) -> column
    batch_size: Mapped[int] = mapped_column(Integer, default=100)
    max_wait_seconds: Mapped[float] = mapped_column(Float, default=5.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    dataset: Mapped[Dataset] = relationship(lazy="joined", innerjoin=True)


class DeadLetter(Base):
    """A message that could not be loaded: malformed JSON or a record failing validation."""

    __tablename__ = "dead_letter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("mqtt_subscription.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)  # as received (decoded leniently), truncated
    error: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
