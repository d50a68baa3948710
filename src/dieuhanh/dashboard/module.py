from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.dashboard import views

if TYPE_CHECKING:
    from fastapi import APIRouter


def _demo(ctx: Any) -> None:
    """The default boards (the overview and one per domain); their items are filled from the indicator set
    on first use, once the indicators module has loaded and computed it."""
    from sqlalchemy import func, select

    from dieuhanh.dashboard.models import Board
    from dieuhanh.dashboard.service import ensure_default_boards

    ensure_default_boards(ctx.session)
    ctx.summary["dashboard"] = {"boards": ctx.session.scalar(select(func.count()).select_from(Board))}


def _routers() -> list[APIRouter]:
    routers = [views.router]
    # The wall screen (/wall) lives in dashboard/wall.py, built on this module's service.
    if importlib.util.find_spec("dieuhanh.dashboard.wall") is not None:
        wall = importlib.import_module("dieuhanh.dashboard.wall")
        if hasattr(wall, "router"):
            routers.append(wall.router)
    return routers


MODULE = Module(
    name="dashboard",
    routers=_routers(),
    nav=[
        NavItem("Tổng quan", "/", "public.read", section="Điều hành"),
        NavItem("Bảng điều hành", "/boards", "officials.read", section="Điều hành"),
        NavItem("Bản đồ", "/map", "officials.read", section="Điều hành"),
    ],
    templates=Path(__file__).parent / "templates",
    demo=_demo,
)
