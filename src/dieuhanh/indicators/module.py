from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.indicators import api, views

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler


def _jobs(scheduler: Scheduler) -> None:
    from dieuhanh.indicators.jobs import register

    register(scheduler)


def _demo(ctx: Any) -> None:
    """After the other modules' demo data: load the library and compute every indicator once."""
    from dieuhanh.indicators import service

    service.load_library(ctx.session, principal=ctx.principal)
    summary = service.compute(ctx.session, ctx.warehouse, province_code=ctx.settings.province_code,
                              trigger="manual", principal=ctx.principal)
    ctx.summary["indicators"] = {"computed": len(summary.computed), "errors": len(summary.errors)}


MODULE = Module(
    name="indicators",
    routers=[api.router, views.router],
    nav=[NavItem("Bộ chỉ số", "/indicators", "officials.read", section="Điều hành")],
    templates=Path(__file__).parent / "templates",
    demo=_demo,
    jobs=_jobs,
)
