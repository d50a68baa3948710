"""The forecasting module: what it adds to the application (see core/plugin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.forecasting import alerting as _alerting  # noqa: F401  (registers the alert source)
from dieuhanh.forecasting import api, views
from dieuhanh.forecasting import permissions as _permissions  # noqa: F401  (registers forecast.*)

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

HERE = Path(__file__).parent


def _jobs(scheduler: Scheduler) -> None:
    from dieuhanh.forecasting.jobs import register

    register(scheduler)


def _demo(ctx: Any) -> None:
    from dieuhanh.forecasting.demo import run

    run(ctx)


MODULE = Module(
    name="forecasting",
    routers=[api.router, views.router],
    nav=[NavItem("Giao thông", "/giao-thong", "officials.read", section="Điều hành"),
         NavItem("Dự báo chất thải rắn", "/du-bao/chat-thai", "officials.read", section="Điều hành"),
         NavItem("Dự báo đạt chỉ tiêu", "/du-bao/chi-tieu", "officials.read", section="Điều hành")],
    templates=HERE / "templates",
    demo=_demo,
    jobs=_jobs,
)
