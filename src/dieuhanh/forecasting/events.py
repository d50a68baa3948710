"""The one place a forecast becomes an event for the operations room.

The operations room (``operations/``, issue 18) owns events. :func:`raise_jam_event` hands it a forecast jam
through the operations service's one intake (``push_events``: the same validation, idempotency on
``(source, source_event_id)``, live feed and statistics as every other source) and returns the event's id. The
transport authority (Sở Xây dựng, which took over the Department of Transport in 2025) also gets an in-app
notification, and the jam stays listed on ``/giao-thong``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.security import SYSTEM, Principal

TRANSPORT_AGENCY = "SXD"


def raise_jam_event(session: Session, *, principal: Principal, link_code: str, link_name: str, road: str,
                    commune_code: str | None, expected_at: datetime, speed: float, free_flow: float,
                    message: str, coords: list[list[float]], demo: bool = False) -> str | None:
    """Create the operations-room event for a jam forecast on a main link; the event's id (as text) or None.

    ``expected_at`` is naive UTC. The event is the server's own (``SYSTEM``), whoever asked for the refresh."""
    from dieuhanh.geo.models import AdminUnit
    from dieuhanh.operations.schemas import EventIn
    from dieuhanh.operations.service import push_events

    _notify_fallback(session, message=message, link_code=link_code, link_name=link_name)
    province = session.scalar(select(AdminUnit.code).where(AdminUnit.level == "province").limit(1))
    if province is None:
        return None
    lon, lat = coords[len(coords) // 2] if coords else (None, None)
    item = EventIn(
        source="du-bao-giao-thong", source_event_id=f"jam:{link_code}:{expected_at:%Y%m%d%H%M}", type="traffic_jam",
        severity="major" if speed < 0.2 * free_flow else "minor", occurred_at=utcnow().replace(tzinfo=UTC),
        lat=lat, lon=lon, unit_code=None if coords else commune_code,
        title=f"Dự báo ùn tắc: {link_name}"[:255], description=message,
        payload={"link": link_code, "road": road, "expected_at": expected_at.replace(tzinfo=UTC).isoformat(),
                 "forecast_speed_kmh": round(speed, 1), "free_flow_kmh": round(free_flow, 1),
                 "url": f"/giao-thong?link={link_code}"})
    result = push_events(session, principal=SYSTEM, items=[item], province_code=str(province),
                         demo=demo)
    ids = result.events_created or [i["id"] for i in result.items if i.get("id")]
    return str(ids[0]) if ids else None


def _notify_fallback(session: Session, *, message: str, link_code: str, link_name: str) -> str | None:
    from dieuhanh.alerts.models import Notification
    from dieuhanh.orgs.models import Agency

    now = utcnow()
    agency = TRANSPORT_AGENCY if session.get(Agency, TRANSPORT_AGENCY) is not None else None
    session.add(Notification(
        channel="inapp", agency_code=agency, group_key=f"forecast:jam:{link_code}", created_at=now, sent_at=now,
        status="sent", payload={"status": "firing", "kind": "forecast", "event": "jam", "code": link_code,
                                "title": f"Dự báo ùn tắc: {link_name}", "message": message,
                                "url": f"/giao-thong?link={link_code}"}))
    return None
