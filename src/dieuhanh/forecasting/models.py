"""Tables of the forecasting domain.

Observations stay in the warehouse (catalog datasets); these tables hold what the forecasting runs produce:
the latest traffic forecast per link and horizon with its backtest error, each run, the jam warnings already
raised (so a jam is announced once), and the waste scenarios analysts save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, utcnow


class TrafficForecastRun(Base):
    """One refresh of the traffic forecasts (scheduled when data arrives, or by hand)."""

    __tablename__ = "traffic_forecast_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    dataset: Mapped[str] = mapped_column(String(120))
    data_until: Mapped[datetime | None] = mapped_column()  # the latest observation used (naive UTC)
    links: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(10), default="running")  # running | ok | failed | skipped
    message: Mapped[str] = mapped_column(Text, default="")
    # Backtest summary: {"15": {"ridge": rmse, "last_value": rmse, ...}, ...} over every link.
    backtest: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    jam_events: Mapped[int] = mapped_column(Integer, default=0)


class TrafficForecast(Base):
    """The latest forecast of one link for one horizon (15, 30 or 60 minutes), replaced by each run."""

    __tablename__ = "traffic_forecast"
    __table_args__ = (UniqueConstraint("link_code", "horizon_min"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, index=True)
    link_code: Mapped[str] = mapped_column(String(40), index=True)
    horizon_min: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column()  # forecast origin: the latest observation (naive UTC)
    target_time: Mapped[datetime] = mapped_column()  # naive UTC
    value: Mapped[float] = mapped_column(Float)  # km/h (or the dataset's measure)
    lower: Mapped[float] = mapped_column(Float)  # 80 % interval from the backtest's residuals
    upper: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(40))  # the model used for this link and horizon
    backtest_rmse: Mapped[float | None] = mapped_column(Float)  # of that model
    baseline: Mapped[str] = mapped_column(String(40))  # the best plain baseline on this series
    baseline_rmse: Mapped[float | None] = mapped_column(Float)
    candidates: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {model: backtest rmse}
    congestion: Mapped[str] = mapped_column(String(10))  # free | busy | slow | jam


class TrafficJamNotice(Base):
    """A forecast jam on a main link already announced to the operations room."""

    __tablename__ = "traffic_jam_notice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_code: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expected_at: Mapped[datetime] = mapped_column()  # when the jam is forecast (naive UTC)
    speed: Mapped[float] = mapped_column(Float)
    horizon_min: Mapped[int] = mapped_column(Integer)
    event_ref: Mapped[str | None] = mapped_column(String(60))  # the operations event's id, when one was made
    message: Mapped[str] = mapped_column(Text, default="")


class WasteScenario(Base):
    """A named set of waste-forecast parameters saved by an analyst."""

    __tablename__ = "waste_scenario"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
