from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.feedback import api, demo, jobs, open311, views

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

HERE = Path(__file__).parent
OVERDUE_JOB_ID = "feedback.notify_overdue"


def _jobs(scheduler: Scheduler) -> None:
    jobs.register(scheduler)

    def notify_overdue() -> int:
        from dieuhanh.feedback.service import notify_overdue as notify

        with scheduler.database.session() as session:
            return notify(session)

    scheduler.add(OVERDUE_JOB_ID, notify_overdue, seconds=300, name="Báo cơ quan về phản ánh quá hạn xử lý")


def _body_limits(settings: Any) -> dict[str, int]:
    """The citizen form: up to the allowed photos plus 2 MB of text, refused before being read whole."""
    return {"/phan-anh": (settings.feedback_max_photos * settings.feedback_max_photo_mb + 2) * 1024 * 1024}


MODULE = Module(
    name="feedback",
    routers=[open311.router, api.router, views.router],
    nav=[NavItem("Xử lý phản ánh", "/xu-ly-phan-anh", "officials.read", section="Điều hành"),
         NavItem("Gửi phản ánh", "/phan-anh", "public.read", section="Người dân"),
         NavItem("Bản đồ phản ánh", "/phan-anh/ban-do", "public.read", section="Người dân")],
    templates=HERE / "templates",
    demo=demo.run,
    jobs=_jobs,
    csrf_exempt_prefixes=("/open311/", api.PUBLIC_PREFIX),
    indicators=(HERE / "indicators.yaml",),
    body_limits=_body_limits,
)
