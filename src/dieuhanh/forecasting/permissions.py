"""Named permissions of the forecasting domain (core.security.rule)."""

from __future__ import annotations

from typing import Any

from dieuhanh.core.security import Principal, rule


@rule("forecast.refresh")
def _refresh(p: Principal, _t: Any) -> bool:
    """Recompute traffic forecasts: the scheduler (system), admins and analysts."""
    return p.kind == "system" or p.has_role("admin", "analyst")


@rule("forecast.scenario.manage")
def _scenario_manage(p: Principal, _t: Any) -> bool:
    """Save, change and delete waste scenarios: analysts and admins."""
    return p.kind == "system" or p.has_role("admin", "analyst")
