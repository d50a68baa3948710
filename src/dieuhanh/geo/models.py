from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, utcnow


class AdminUnit(Base):
    """A unit of the configured province (the province itself and its communes/wards), official codes."""

    __tablename__ = "admin_unit"

    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(20), index=True)  # province | commune
    parent_code: Mapped[str | None] = mapped_column(String(10), index=True)
    search_name: Mapped[str] = mapped_column(String(120), index=True)  # without diacritics, lower case
    # GeoJSON geometry (RFC 7946) of the unit, from the packaged demo file or a province's own import.
    boundary: Mapped[str | None] = mapped_column(Text)
    boundary_source: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
