"""The operating indicator set (bộ chỉ số điều hành): definitions, computed values with lineage, runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, utcnow


class IndicatorDefinition(Base):
    """One indicator, loaded from a domain's ``indicators.yaml`` (or written by an analyst)."""

    __tablename__ = "indicator_definition"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str] = mapped_column(String(40), index=True)  # socio_economy, health, education, …
    unit: Mapped[str] = mapped_column(String(40))  # "%", "người", "tỷ đồng", …
    periodicity: Mapped[str] = mapped_column(String(10))  # month | quarter | year
    levels: Mapped[list[str]] = mapped_column(JSON)  # ["province", "commune"]
    sql: Mapped[str] = mapped_column(Text)  # DuckDB dialect; returns period, unit_code, value[, numerator, denominator]
    datasets: Mapped[list[str]] = mapped_column(JSON, default=list)  # datasets the SQL reads (lineage)
    direction: Mapped[str] = mapped_column(String(20))  # higher_better | lower_better | neutral
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"2025": 95.0}
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"warning": x, "critical": y}
    owner_agency: Mapped[str | None] = mapped_column(String(40))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    # When a period's data is due (indicators/rules.py Schedule): {"months_after": 1, "day": 20}; {} = default
    publication: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The value accumulates from the start of the year; a yearly target is pro-rated by the elapsed share
    cumulative: Mapped[bool] = mapped_column(Boolean, default=False)
    # What is behind a value, e.g. "/publicservices/dossiers?period={period}&scope={scope}&unit={unit}&indicator=2.1"
    details_url: Mapped[str | None] = mapped_column(String(300))
    origin: Mapped[str] = mapped_column(String(120), default="")  # "publicservices/indicators.yaml" or "analyst"
    state: Mapped[str] = mapped_column(String(10), default="ok")  # ok | error
    error: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IndicatorValue(Base):
    """A value of an indicator for one period and one unit (the province or a commune)."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("code", "period", "unit_code"),
        Index("ix_indicator_value_code_level_period", "code", "level", "period"),
        # A board's tiles for one unit, an indicator's series for one commune (issue 24): a seek, not a scan of
        # every period and commune of the indicator.
        Index("ix_indicator_value_code_unit_period", "code", "unit_code", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), index=True)
    period: Mapped[str] = mapped_column(String(10))  # 2025-06 | 2025-Q2 | 2025
    unit_code: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))  # province | commune | agency
    value: Mapped[float | None] = mapped_column(Float)  # None: no data (never zero for missing data)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))  # good | warning | critical | nodata | neutral
    # The period had not ended at the computation instant ``as_of`` (naive UTC): counted as of then
    partial: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime | None] = mapped_column()
    # Like for like: the value of ``base_period`` (the previous period) over the same elapsed time
    base_value: Mapped[float | None] = mapped_column(Float)
    base_period: Mapped[str | None] = mapped_column(String(10))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    batches: Mapped[list[str]] = mapped_column(JSON, default=list)  # load batch ids behind the value


class ComputeRun(Base):
    __tablename__ = "indicator_compute_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    trigger: Mapped[str] = mapped_column(String(20))  # manual | schedule | batch | cli
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    values_written: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(10), default="running")
