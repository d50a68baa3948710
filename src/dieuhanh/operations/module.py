"""The operations module: what it adds to the application (see core/plugin.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.operations import api, demo, permissions, views  # noqa: F401  (permissions registers its rules)

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

HERE = Path(__file__).parent


def _jobs(scheduler: Scheduler) -> None:
    from dieuhanh.operations import jobs

    jobs.register(scheduler)


def _body_limits(_settings: Any) -> dict[str, int]:
    """The incident page's note form takes up to five photos of 10 MB."""
    return {"/operations/incidents/": 52 * 1024 * 1024}


def _register_hooks() -> None:
    """The MQTT event feeds ride on ingest's subscriber; the wall gets the «Sự kiện» board."""
    from dieuhanh.dashboard import wall
    from dieuhanh.ingest import mqtt
    from dieuhanh.operations import devices

    mqtt.register_handlers(devices.mqtt_handlers)
    wall.register_panel(wall.WallPanel(slug="events", title="Sự kiện",
                                       scripts=("/static/operations-live.js", "/static/operations-wall.js"),
                                       stylesheet="/static/operations-wall.css"))


_register_hooks()

MODULE = Module(
    name="operations",
    routers=[api.router, views.router],
    nav=[NavItem("Phòng điều hành", "/operations", "events.read", section="Điều hành"),
         NavItem("Sự cố", "/operations/incidents", "events.read", section="Điều hành"),
         NavItem("Camera, cảm biến", "/operations/devices", "events.read", section="Điều hành"),
         NavItem("Quy trình xử lý", "/operations/procedures", "events.read", section="Điều hành")],
    templates=HERE / "templates",
    demo=demo.run,
    jobs=_jobs,
    indicators=(HERE / "indicators.yaml",),
    body_limits=_body_limits,
)
