"""The demo province's room is never still: while `dieuhanh up` runs with the demo loaded, a job (every 20 s) sends
one event through the real intake — a camera's analytics, a gauge reading, a police report — so a few events a
minute appear on the map, the feed and the wall, and the demo cameras keep beating (the offline check would
otherwise take them down). Marked demo like the rest; turn it off with ``DIEUHANH_OPS_DEMO_REPLAY=false``."""

from __future__ import annotations

import random
import uuid
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.security import SYSTEM
from dieuhanh.operations import devices, service
from dieuhanh.operations.demo import CAMERAS, OFFLINE
from dieuhanh.operations.models import Camera, EventFeed
from dieuhanh.operations.schemas import EventIn

AI_EVENTS = [("traffic_jam", "Mật độ phương tiện cao, ùn tắc cục bộ"), ("crowd", "Tụ tập đông người"),
             ("traffic_jam", "Phương tiện dừng đỗ sai quy định gây ùn tắc"),
             ("intrusion", "Phát hiện người vào khu vực cấm"),
             ("watchlist_plate", "Biển số trong danh sách theo dõi đi qua")]
POLICE = [("public_order", "Tin báo gây mất trật tự nơi công cộng"), ("traffic_accident", "Va chạm giao thông nhẹ")]
_rng = random.Random()


def tick(session: Session, *, province_code: str, settings: Any) -> int:
    now = utcnow()
    for camera in session.scalars(select(Camera).where(Camera.demo.is_(True), Camera.code.not_in(OFFLINE))):
        camera.last_heartbeat_at = now
        if camera.status != "online":
            devices.heartbeat(session, camera, principal=SYSTEM, settings=settings, province_code=province_code,
                              now=now)
    roll = _rng.random()
    if roll < 0.25:
        feed = session.scalar(select(EventFeed).where(EventFeed.slug == "tram-thuy-van"))
        if feed is None:
            return 0
        code = _rng.choice(["TV-PHULY", "TV-NINHBINH", "TV-BENDE", "TV-GIANKHAU"])
        from dieuhanh.operations.models import Sensor

        sensor = session.scalar(select(Sensor).where(Sensor.code == code))
        base = sensor.last_value if sensor and sensor.last_value is not None else 2.5
        value = round(max(0.5, base + _rng.uniform(-0.04, 0.05)), 2)
        result, _refused = devices.apply_feed(session, feed, [({"h": value}, {"sensor_code": code},
                                                                uuid.uuid4().bytes)],
                                              province_code=province_code, now=now, all_or_nothing=False, demo=True)
        return int(result.created)
    code, name, lat, lon, kind, _owner = _rng.choice(CAMERAS)
    item: dict[str, Any]
    if roll < 0.85 and kind in ("ai", "anpr"):
        event_type, title = _rng.choice(AI_EVENTS[:4] if kind == "ai" else AI_EVENTS[4:])
        item = {"source": "camera-ai", "camera_code": code, "type": event_type, "title": f"{title} — {name}",
                "severity": "major" if event_type in ("intrusion", "watchlist_plate") else "minor"}
    else:
        event_type, title = _rng.choice(POLICE)
        item = {"source": "cong-an-tinh", "type": event_type, "title": f"{title} — {name}", "severity": "minor",
                "lat": round(lat + _rng.uniform(-0.002, 0.002), 5), "lon": round(lon + _rng.uniform(-0.002, 0.002), 5)}
    item.update({"source_event_id": f"replay-{uuid.uuid4().hex[:12]}", "occurred_at": now.replace(tzinfo=UTC),
                 "payload": {"replay": True}})
    result = service.push_events(session, principal=SYSTEM, items=[EventIn.model_validate(item)],
                                 province_code=province_code, now=now, demo=True, agency_code="CAT")
    return result.created
