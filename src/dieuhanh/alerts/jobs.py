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
