"""The alert evaluation every minute (registered through ``Module.jobs`` when the scheduler starts)."""

from __future__ import annotations

from dieuhanh.core.jobs import Scheduler

JOB_ID = "alerts.evaluate"
EVERY_SECONDS = 60


def register(scheduler: Scheduler) -> None:
    def run() -> int:
        from dieuhanh.alerts.service import evaluate

        with scheduler.database.session() as session:
            counts = evaluate(session, settings=scheduler.settings)
        return sum(v for k, v in counts.items() if k != "notifications")

    scheduler.add(JOB_ID, run, seconds=EVERY_SECONDS, name="Đánh giá quy tắc cảnh báo")


def register_snapshot(scheduler: Scheduler) -> None:
    """Once a day, open and overdue directives per agency go into the warehouse (source of an indicator)."""

    def run() -> int:
        from dieuhanh.alerts.snapshots import snapshot_directives

        settings = scheduler.settings
        with scheduler.database.session() as session:
            return snapshot_directives(session, scheduler.warehouse, province_code=settings.province_code,
                                       max_bytes=settings.max_upload_mb * 1024 * 1024)

    scheduler.add("alerts.snapshot_directives", run, cron="10 0 * * *", name="Ảnh chụp tình hình thực hiện chỉ đạo")
