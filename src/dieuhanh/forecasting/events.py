"""The one place a forecast becomes an event for the operations room.

The operations room (``operations/``, issue 18) owns events. :func:`raise_jam_event` hands it a forecast jam and
returns the event's reference. Without the operations service the warning goes to the in-app notifications of
the transport authority (Sở Xây dựng, which took over the Department of Transport in 2025) and the jam stays
listed on ``/giao-thong``, so nothing is lost.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.security import Principal

TRANSPORT_AGENCY = "SXD"


def raise_jam_event(session: Session, *, principal: Principal, link_code: str, link_name: str, road: str,
                    commune_code: str | None, expected_at: datetime, speed: float, free_flow: float,
                    message: str, coords: list[list[float]]) -> str | None:
    """Create the operations-room event for a jam forecast on a main link; the event's id (as text) or None."""
    return _notify_fallback(session, message=message, link_code=link_code, link_name=link_name)


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
