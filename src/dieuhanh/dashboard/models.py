"""Tables of the dashboard module: boards an analyst arranges without code, and their ordered items."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.core.db import Base, utcnow

CHART_KINDS = {"kpi": "Ô chỉ số (KPI)", "line": "Biểu đồ đường", "bar": "Biểu đồ cột", "map": "Bản đồ xã, phường",
               "table": "Bảng theo xã, phường"}


class Board(Base):
    """A board (bảng điều hành): the overview or a domain's board, an ordered list of indicator items."""

    __tablename__ = "dashboard_board"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(160))
    domain: Mapped[str | None] = mapped_column(String(40))  # None: a cross-domain board (the overview)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the list of boards and on the wall
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown to the public (only public indicators)
    description: Mapped[str] = mapped_column(Text, default="")
    customised: Mapped[bool] = mapped_column(Boolean, default=False)  # edited by a person: never refilled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    items: Mapped[list[BoardItem]] = relationship(back_populates="board", cascade="all, delete-orphan",
                                                  order_by="BoardItem.position")


class BoardItem(Base):
    """One indicator on a board, drawn as a chart of the given kind over ``span`` columns (1–4)."""

    __tablename__ = "dashboard_board_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("dashboard_board.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    indicator_code: Mapped[str] = mapped_column(String(60))
    chart_kind: Mapped[str] = mapped_column(String(10), default="kpi")  # kpi | line | bar | map | table
    span: Mapped[int] = mapped_column(Integer, default=1)

    board: Mapped[Board] = relationship(back_populates="items")
