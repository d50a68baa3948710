"""Named permissions of the operations room (registered at import of operations/module.py)."""

from __future__ import annotations

from typing import Any

from dieuhanh.core.security import Principal, acts_for_agency, rule


def _events_token(p: Principal, target: Any) -> bool:
    """A system token with the ``events`` scope: without an agency for anything, with one for its agency's own."""
    if not p.has_scope("events"):
        return False
    return p.agency_code is None or target is None or acts_for_agency(p, target)


@rule("events.push")
def _events_push(p: Principal, target: Any) -> bool:
    """Send events: source systems (``events`` tokens), officers by hand, admins and the server itself.
    Target: the agency the events are reported for (None: the capability)."""
    return p.has_role("admin", "officer") or _events_token(p, target)


@rule("events.read")
def _events_read(p: Principal, _t: Any) -> bool:
    """The live room, the feed, incidents and cameras: every official, ``read`` tokens and ``events`` tokens."""
    return p.kind in ("user", "system") or p.has_scope("read") or p.has_scope("events")


@rule("events.manage")
def _events_manage(p: Principal, _t: Any) -> bool:
    """Event types, feeds (MQTT, webhooks), sensors, incident rules, procedures and notification subscriptions."""
    return p.has_role("admin", "analyst")


@rule("camera.manage")
def _camera_manage(p: Principal, target: Any) -> bool:
    """Register or change a camera (target: its owner agency): admins, analysts, the vendor's ``events`` token."""
    return p.has_role("admin", "analyst") or _events_token(p, target)


@rule("incident.create")
def _incident_create(p: Principal, _t: Any) -> bool:
    """Open an incident from events (the duty officer, a leader) — rules do it as the system."""
    return p.has_role("admin", "leader", "officer")


@rule("incident.handle")
def _incident_handle(p: Principal, target: Any) -> bool:
    """Acknowledge, do steps, add notes and photos: officers of the agency in charge (target: the incident or an
    agency code), admins."""
    return p.has_role("admin") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("incident.direct")
def _incident_direct(p: Principal, target: Any) -> bool:
    """Assign, escalate and close: leaders and admins; the agency in charge for its own incident."""
    return p.has_role("admin", "leader") or (p.has_role("officer") and acts_for_agency(p, target))
