"""The documents module: what it adds to the application (see core/plugin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.documents import api, demo, permissions, snapshot, views  # noqa: F401 (permissions registers rules)

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

HERE = Path(__file__).parent


def _jobs(scheduler: Scheduler) -> None:
    snapshot.register_jobs(scheduler)


def _body_limits(settings: Any) -> dict[str, int]:
    """Uploads of documents: the file limit plus 1 MB of form fields, refused before being read whole."""
    limit = (int(getattr(settings, "documents_max_upload_mb", 20)) + 1) * 1024 * 1024
    return {"/van-ban": limit, "/api/v1/documents": limit}


MODULE = Module(
    name="documents",
    routers=[api.router, views.router],
    nav=[NavItem("Văn bản đến", "/van-ban", "documents.read", section="Điều hành")],
    templates=HERE / "templates",
    demo=demo.run,
    jobs=_jobs,
    indicators=(HERE / "indicators.yaml",),
    body_limits=_body_limits,
)
