"""Scheduled work of the operations room (registered through ``Module.jobs``): automatic escalation and repeats
(every minute), cameras gone silent (every minute), pending e-mail/webhook notifications (every 10 s), the
statistics snapshot (every 5 minutes) and, while the demo province is loaded, the live replay of events."""

from __future__ import annotations

from dieuhanh.core.jobs import Scheduler


def register(scheduler: Scheduler) -> None:
    settings = scheduler.settings
    province = settings.province_code
    database = scheduler.database

    def escalate() -> int:
        from dieuhanh.operations import incidents, notices

        with database.session() as session:
            return incidents.escalate_due(session, province_code=province) + notices.repeat_unacknowledged(
                session, province_code=province)

    def offline() -> int:
        from dieuhanh.operations import devices

        with database.session() as session:
            return devices.check_offline(session, province_code=province)

    def deliver() -> int:
        from dieuhanh.operations import notices

        with database.session() as session:
            return notices.deliver_pending(session, settings=settings)

    def statistics() -> int:
        from dieuhanh.operations import snapshot

        with database.session() as session:
            return snapshot.snapshot(session, scheduler.warehouse, province_code=province,
                                     max_bytes=settings.max_upload_mb * 1024 * 1024)

    def replay() -> int:
        from dieuhanh.demo.service import demo_loaded
        from dieuhanh.operations import replay as live_replay

        if not demo_loaded(database):
            return 0
        with database.session() as session:
            return live_replay.tick(session, province_code=province, settings=settings)

    scheduler.add("operations.escalate", escalate, seconds=60, name="Leo thang sự cố quá hạn bước, nhắc lại thông báo")
    scheduler.add("operations.cameras_offline", offline, seconds=60, name="Camera mất kết nối")
    scheduler.add("operations.deliver", deliver, seconds=10, record=False,
                  name="Gửi thông báo phòng điều hành (thư, webhook)")
    scheduler.add("operations.snapshot", statistics, seconds=300, name="Ảnh chụp sự kiện, sự cố vào kho dữ liệu")
    if getattr(settings, "ops_demo_replay", True):
        scheduler.add("operations.replay", replay, seconds=20, record=False,
                      name="Tỉnh mẫu: phát lại sự kiện trực tiếp")
