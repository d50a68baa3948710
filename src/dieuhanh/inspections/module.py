"""The inspections module: what it adds to the application (see core/plugin.py)."""

from __future__ import annotations

from pathlib import Path

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.inspections import (  # noqa: F401 (permissions registers rules, alerting its alert source)
    alerting,
    api,
    demo,
    permissions,
    views,
)

HERE = Path(__file__).parent

MODULE = Module(
    name="inspections",
    routers=[api.router, views.router],
    nav=[NavItem("Thanh tra, kiểm tra DN", "/thanh-tra", "inspections.read", section="Điều hành")],
    templates=HERE / "templates",
    demo=demo.run,
    indicators=(HERE / "indicators.yaml",),
)
