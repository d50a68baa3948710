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


DEMO_FRESHNESS_MONTHS = 6


def _demo(ctx: Any) -> None:
    """After the other modules' demo data: load the library, snapshot the datasets' freshness (the last month-ends,
    data taken to have arrived on its due dates, then today) and compute every indicator once, as of the demo's
    present."""
    from datetime import date, timedelta

    from dieuhanh.catalog.snapshots import snapshot_freshness
    from dieuhanh.indicators import service

    service.load_library(ctx.session, principal=ctx.principal)
    max_bytes = ctx.settings.max_upload_mb * 1024 * 1024
    first = date(ctx.today.year, ctx.today.month, 1)
    month_ends = []
    for _ in range(DEMO_FRESHNESS_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
        month_ends.append((first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
    covered: dict[str, str | None] = {}  # the data does not change between these snapshots: read it once
    for day in sorted(month_ends):
        snapshot_freshness(ctx.session, ctx.warehouse, province_code=ctx.settings.province_code, max_bytes=max_bytes,
                           today=day, clip=True, covered_cache=covered)
    snapshot_freshness(ctx.session, ctx.warehouse, province_code=ctx.settings.province_code, max_bytes=max_bytes,
                       today=ctx.today, covered_cache=covered)
    summary = service.compute(ctx.session, ctx.warehouse, province_code=ctx.settings.province_code,
                              trigger="manual", principal=ctx.principal, as_of=ctx.now)
    ctx.summary["indicators"] = {"computed": len(summary.computed), "errors": len(summary.errors)}


MODULE = Module(
    name="indicators",
    routers=[api.router, views.router],
    nav=[NavItem("Bộ chỉ số", "/indicators", "officials.read", section="Điều hành")],
    templates=Path(__file__).parent / "templates",
    demo=_demo,
    jobs=_jobs,
)
