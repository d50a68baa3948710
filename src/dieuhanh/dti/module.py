"""The dti module: what it adds to the application (see core/plugin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.dti import api, views
from dieuhanh.dti import permissions as _permissions  # noqa: F401  (registers dti.* and governance.*)

HERE = Path(__file__).parent


def _demo(ctx: Any) -> None:
    from dieuhanh.dti.demo import run

    run(ctx)


def _jobs(scheduler: Any) -> None:
    def keep_results_current() -> None:
        from dieuhanh.dti import service

        with scheduler.database.session() as session:
            service.keep_results_current(session, scheduler.warehouse)

    # The rankings are computed here when their inputs change (indicator recomputes, answers, loads), not by
    # the next view of /chuyen-doi-so.
    scheduler.add("dti.keep_results_current", keep_results_current, seconds=60, record=False)


def _body_limits(_settings: Any) -> dict[str, int]:
    """Evidence uploads: up to 10 MB of files per answer plus the form fields."""
    return {"/api/v1/dti/campaigns": 11 * 1024 * 1024, "/chuyen-doi-so/danh-gia": 11 * 1024 * 1024}


MODULE = Module(
    name="dti",
    routers=[api.router, views.router],
    nav=[NavItem("Chuyển đổi số (DTI)", "/chuyen-doi-so", "officials.read", section="Điều hành"),
         NavItem("Chính quyền số", "/chinh-quyen-so", "officials.read", section="Điều hành")],
    templates=HERE / "templates",
    demo=_demo,
    jobs=_jobs,
    body_limits=_body_limits,
)
