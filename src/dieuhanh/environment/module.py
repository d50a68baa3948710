"""The environment module: what it adds to the application (see core/plugin.py)."""

from __future__ import annotations

from pathlib import Path

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.environment import alerting, api, demo, permissions, views  # noqa: F401  (registers rules, sources)

HERE = Path(__file__).parent


def _register_hooks() -> None:
    """Readings by MQTT ride on ingest's subscriber (environment/mqtt.py)."""
    from dieuhanh.environment import mqtt as environment_mqtt
    from dieuhanh.ingest import mqtt

    mqtt.register_handlers(environment_mqtt.mqtt_handlers)


_register_hooks()

MODULE = Module(
    name="environment",
    routers=[api.router, views.router],
    nav=[NavItem("Quan trắc không khí", "/environment", "environment.officials", section="Điều hành")],
    templates=HERE / "templates",
    demo=demo.run,
    indicators=(HERE / "indicators.yaml",),
)
