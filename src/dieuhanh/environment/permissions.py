"""Named permissions of the environment domain (registered at import of environment/module.py)."""

from __future__ import annotations

from typing import Any

from dieuhanh.core.security import Principal, rule


@rule("environment.station.manage")
def _station_manage(p: Principal, _t: Any) -> bool:
    """Register a monitoring station: admins, analysts, or a system token with the ``environment`` scope."""
    return p.has_role("admin", "analyst") or p.has_scope("environment")


@rule("environment.push")
def _push(p: Principal, _t: Any) -> bool:
    """Send readings: a station network's token (scope ``environment``), admins and the server itself."""
    return p.has_scope("environment") or p.has_role("admin") or p.kind == "system"


@rule("environment.read")
def _read(_p: Principal, _t: Any) -> bool:
    """Stations and VN_AQI are public information (QĐ 1459/QĐ-TCMT mục 3: published to the community)."""
    return True


@rule("environment.officials")
def _officials(p: Principal, _t: Any) -> bool:
    """The department's page (completeness, QCVN exceedances, silent stations): every official, read tokens."""
    return p.kind in ("user", "system") or p.has_scope("read")
