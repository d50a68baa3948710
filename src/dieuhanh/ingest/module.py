from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.ingest import api, views

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler


def _jobs(scheduler: Scheduler) -> None:
    from dieuhanh.ingest.jobs import register

    register(scheduler)


MODULE = Module(
    name="ingest",
    routers=[api.router, views.router],
    nav=[
        NavItem("Nguồn dữ liệu tự động", "/ingest/sources", "source.read", section="Dữ liệu"),
        NavItem("Bản tin không nạp được", "/ingest/dead-letters", "source.read", section="Dữ liệu"),
    ],
    templates=Path(__file__).parent / "templates",
    jobs=_jobs,
)
