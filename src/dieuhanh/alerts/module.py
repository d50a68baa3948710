from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.alerts import api, views
from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.indicators.service import AFTER_COMPUTE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from dieuhanh.core.jobs import Scheduler


def _evaluate_after_compute(session: Session) -> None:
    """Alerts are evaluated after each indicator recompute (and every minute by the scheduler)."""
    from dieuhanh.alerts.service import evaluate

    evaluate(session)


AFTER_COMPUTE.append(_evaluate_after_compute)


def _jobs(scheduler: Scheduler) -> None:
    from dieuhanh.alerts.jobs import register, register_snapshot

    register(scheduler)
    register_snapshot(scheduler)


def _demo(ctx: Any) -> None:
    """Before the indicator set computes: today's directive snapshot (zeros in a fresh demo)."""
    from dieuhanh.alerts.snapshots import snapshot_directives

    snapshot_directives(ctx.session, ctx.warehouse, province_code=ctx.settings.province_code,
                        max_bytes=ctx.settings.max_upload_mb * 1024 * 1024, today=ctx.today)


MODULE = Module(
    name="alerts",
    routers=[api.router, views.router],
    nav=[
        NavItem("Cảnh báo", "/alerts", "officials.read", section="Điều hành"),
        NavItem("Chỉ đạo", "/directives", "officials.read", section="Điều hành"),
    ],
    templates=Path(__file__).parent / "templates",
    jobs=_jobs,
    demo=_demo,
)
