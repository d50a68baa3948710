"""Scheduled work of the reporting module (registered through ``Module.jobs``)."""

from __future__ import annotations

from dieuhanh.core.jobs import Scheduler


def register(scheduler: Scheduler) -> None:
    def remind() -> int:
        from dieuhanh.reporting.reminders import send_reminders

        with scheduler.database.session() as session:
            return send_reminders(session, settings=scheduler.settings)

    def timeliness() -> int:
        from dieuhanh.reporting.service import refresh_timeliness

        settings = scheduler.settings
        with scheduler.database.session() as session:
            return refresh_timeliness(session, scheduler.warehouse, province_code=settings.province_code,
                                      max_bytes=settings.max_upload_mb * 1024 * 1024)

    # Hourly: a reminder due today goes out in the morning even when the server started late.
    scheduler.add("reporting.reminders", remind, cron="5 7-17 * * *", name="Nhắc nộp báo cáo định kỳ")
    # Just after midnight: yesterday's due dates turn into "missing" in the timeliness dataset.
    scheduler.add("reporting.timeliness", timeliness, cron="20 0 * * *", name="Tình hình nộp báo cáo định kỳ")
