from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.reporting import api, views

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler


def _jobs(scheduler: Scheduler) -> None:
    from dieuhanh.reporting.jobs import register

    register(scheduler)


def _demo(ctx: Any) -> None:
    """Before the indicator set computes: report types, assignments, a year of submissions, timeliness."""
    from dieuhanh.reporting.demo import run

    ctx.summary["reporting"] = run(ctx)


# Token callers (Bearer) are exempt from CSRF by the core already: no csrf_exempt_prefixes needed.
MODULE = Module(
    name="reporting",
    routers=[api.router, views.router],
    nav=[NavItem("Báo cáo định kỳ", "/reports", "officials.read", section="Điều hành")],
    templates=Path(__file__).parent / "templates",
    demo=_demo,
    indicators=(Path(__file__).parent / "indicators.yaml",),
    jobs=_jobs,
)
