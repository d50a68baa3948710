"""Public services: procedures and dossiers of the one-stop-shop system and the Decision 766 indicators.

Pieces are wired only when their file exists, so the module loads while parts are still being written:
``api`` (push API), ``api_indicators`` (scores and dossier lists), ``views`` (board), ``demo.run``,
``jobs.register``, ``indicators.yaml``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.publicservices import api

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

HERE = Path(__file__).parent


def _optional(name: str) -> Any:
    if not (HERE / f"{name}.py").exists():
        return None
    return importlib.import_module(f"dieuhanh.publicservices.{name}")


def _routers() -> list[Any]:
    routers = [api.router]
    for name in ("api_indicators", "views"):
        mod = _optional(name)
        if mod is not None and getattr(mod, "router", None) is not None:
            routers.append(mod.router)
    return routers


def _demo(ctx: Any) -> None:
    mod = _optional("demo")
    if mod is not None:
        mod.run(ctx)


def _jobs(scheduler: Scheduler) -> None:
    mod = _optional("jobs")
    if mod is not None:
        mod.register(scheduler)


def _nav() -> list[NavItem]:
    if not (HERE / "views.py").exists():
        return []
    return [NavItem("Dịch vụ công", "/publicservices", "publicservices.read")]


MODULE = Module(
    name="publicservices",
    routers=_routers(),
    nav=_nav(),
    templates=HERE / "templates",
    demo=_demo,
    indicators=tuple(p for p in (HERE / "indicators.yaml",) if p.exists()),
    jobs=_jobs,
)
