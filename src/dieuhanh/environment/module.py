"""The environment module: what it adds to the application (see core/plugin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.environment import alerting, api, demo, permissions, views  # noqa: F401  (registers rules, sources)

HERE = Path(__file__).parent


def _register_hooks() -> None:
    """Readings by MQTT ride on ingest's subscriber (environment/mqtt.py)."""
    from dieuhanh.environment import mqtt as environment_mqtt
    from dieuhanh.ingest import mqtt

    mqtt.register_handlers(environment_mqtt.mqtt_handlers)


_register_hooks()


def _jobs(scheduler: Any) -> None:
    """Pull sources are asked every minute whether their interval has passed (environment/pull.py); the open
    VN_AQI datasets are recomputed every night at 01:20 (after the day's last hour, 24:00, has arrived)."""
    from dieuhanh.environment import opendata, pull
    from dieuhanh.ingest.guard import PullGuard

    database, settings = scheduler.database, scheduler.settings

    def run() -> int:
        with database.session() as session:
            return pull.run_due(session, guard=PullGuard.from_settings(settings))

    scheduler.add("environment.pull", run, seconds=60, name="Kéo số liệu quan trắc không khí theo lịch")

    def publish() -> int:
        with database.session() as session:
            return sum(opendata.publish_nightly(session, scheduler.warehouse, province_code=settings.province_code,
                                                max_bytes=settings.max_upload_mb * 1024 * 1024).values())

    scheduler.add("environment.publish", publish, cron="20 1 * * *",
                  name="Tính lại dữ liệu mở VN_AQI ngày và giờ (hằng đêm)")


MODULE = Module(
    name="environment",
    routers=[api.router, views.router],
    nav=[NavItem("Quan trắc không khí", "/environment", "environment.officials", section="Điều hành")],
    templates=HERE / "templates",
    demo=demo.run,
    jobs=_jobs,
    indicators=(HERE / "indicators.yaml",),
)
