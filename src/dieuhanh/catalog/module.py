from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.catalog import api, views
from dieuhanh.core.plugin import Module, NavItem

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler


def _demo(ctx: Any) -> None:
    """The demo datasets (their freshness is snapshot by the indicator set's demo, after every module's data)."""
    from dieuhanh.catalog.demo import generate

    generate(ctx)


def _jobs(scheduler: Scheduler) -> None:
    """Once a day, the catalog's freshness goes into the warehouse (source of the data-freshness indicator)."""
    from dieuhanh.catalog.snapshots import snapshot_freshness

    def run() -> int:
        settings = scheduler.settings
        with scheduler.database.session() as session:
            return snapshot_freshness(session, scheduler.warehouse, province_code=settings.province_code,
                                      max_bytes=settings.max_upload_mb * 1024 * 1024)

    scheduler.add("catalog.snapshot_freshness", run, cron="5 0 * * *", name="Ảnh chụp tình trạng cập nhật dữ liệu")

    def clean_previews() -> int:
        return views.remove_stale_previews(scheduler.settings.uploads_dir)

    scheduler.add("catalog.clean_previews", clean_previews, cron="17 * * * *",
                  name="Xóa tệp xem trước bỏ dở quá một ngày")


MODULE = Module(
    name="catalog",
    routers=[api.router, views.router],
    nav=[
        NavItem("Kho dữ liệu", "/datasets", "officials.read", section="Dữ liệu"),
        NavItem("Chất lượng, cập nhật", "/data-quality", "officials.read", section="Dữ liệu"),
        NavItem("Truy vấn SQL", "/query", "query.run", section="Dữ liệu"),
    ],
    templates=Path(__file__).parent / "templates",
    demo=_demo,
    jobs=_jobs,
)
