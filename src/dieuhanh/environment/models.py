"""Tables of the environment domain: air-quality monitoring stations and their hourly readings.

Readings are stored as they arrive, converted to µg/m³, one row per (station, parameter, hour). ``observed_at`` is
the **end** of the averaging hour in local time (Asia/Ho_Chi_Minh, naive), because QĐ 1459/QĐ-TCMT defines a day's
values as the hours ending 01:00 … 24:00 local time; everything else in the application is naive UTC. AQI is not
stored: it is computed from the readings (environment/aqi.py) when asked, so late or corrected readings count at
once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, utcnow

STATION_KINDS = {"auto": "Trạm tự động, liên tục", "lowcost": "Cảm biến chi phí thấp"}
FLAG_LABELS = {"out_of_range": "Ngoài dải đo", "spike": "Tăng đột biến"}


class Station(Base):
    __tablename__ = "env_station"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    unit_code: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    operator: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="auto")
    parameters: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Observation(Base):
    __tablename__ = "env_observation"
    __table_args__ = (UniqueConstraint("station_id", "parameter", "observed_at"),
                      Index("ix_env_observation_station_time", "station_id", "observed_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("env_station.id", ondelete="CASCADE"))
    parameter: Mapped[str] = mapped_column(String(8))
    observed_at: Mapped[datetime] = mapped_column()  # end of the averaging hour, local time (see above)
    value: Mapped[float] = mapped_column(Float)  # µg/m³
    unit: Mapped[str] = mapped_column(String(8), default="ug/m3")  # as sent
    flag: Mapped[str | None] = mapped_column(String(20), nullable=True)  # suspect: kept, not used for AQI
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class PullSource(Base):
    """A station network's API that the server asks for readings on a schedule (the readings' JSON as for
    ``POST /api/v1/environment/observations``). The secret sent in ``header_name`` is sealed at rest."""

    __tablename__ = "env_pull_source"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    header_name: Mapped[str] = mapped_column(String(100), default="Authorization")
    secret: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    every_minutes: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(10), nullable=True)  # ok | error
    last_message: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
