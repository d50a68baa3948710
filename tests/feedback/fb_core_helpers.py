"""Builders shared by the citizen-report service tests (test_fb_*.py): points, photos, reports, Open311 keys."""

from __future__ import annotations

import io
import math
from datetime import datetime
from typing import Any

from PIL import Image

from dieuhanh.core.security import ANONYMOUS, Principal
from dieuhanh.feedback import service
from dieuhanh.feedback.models import Report
from dieuhanh.feedback.schemas import ReportIn
from dieuhanh.geo.reference import communes_of
from dieuhanh.geo.service import commune_centroid

# The submitter's secret key given to every report made by ``submit`` below (test_fb_owner_key.py uses its own).
OWNER_KEY = "khoa-bi-mat-cua-nguoi-gui-thu"


def communes_with_points(db: Any, count: int = 2) -> list[tuple[str, float, float]]:
    """(unit_code, lat, lon) of points inside the first communes that have a boundary."""
    out = []
    with db.session() as session:
        for unit in communes_of("37"):
            point = commune_centroid(session, unit.code)
            if point is not None:
                out.append((unit.code, point[0], point[1]))
            if len(out) == count:
                break
    assert len(out) == count, "the packaged Ninh Bình boundaries should be loaded by bootstrap"
    return out


def offset(lat: float, lon: float, metres_north: float = 0.0, metres_east: float = 0.0) -> tuple[float, float]:
    return (lat + metres_north / 111_320.0,
            lon + metres_east / (111_320.0 * math.cos(math.radians(lat))))


def submit(db: Any, settings: Any, *, service_code: str = "rac-thai", lat: float | None = None,
           lon: float | None = None, now: datetime | None = None, photos: list[bytes] | None = None,
           principal: Principal = ANONYMOUS, source: str = "web", owner_key: str | None = OWNER_KEY,
           **fields: Any) -> str:
    """Submit through the service in its own transaction; returns the tracking code."""
    fields.setdefault("description", "Rác thải tồn đọng nhiều ngày ở đầu ngõ, bốc mùi.")
    with db.session() as session:
        report = service.submit(session, data=ReportIn(service_code=service_code, lat=lat, lon=lon, **fields),
                                photos=photos or [], source=source, principal=principal, settings=settings, now=now,
                                owner_key=owner_key)
        return report.code


def load(db: Any, code: str) -> dict[str, Any]:
    """A plain snapshot of a report (to assert on outside the session)."""
    with db.session() as session:
        r: Report = service.get_by_code(session, code)
        return {"id": r.id, "code": r.code, "status": r.status, "agency_code": r.agency_code, "unit_code": r.unit_code,
                "due_at": r.due_at, "created_at": r.created_at, "lat": r.lat, "lon": r.lon,
                "possible_duplicate_of": r.possible_duplicate_of.code if r.possible_duplicate_of else None,
                "duplicate_of": r.duplicate_of.code if r.duplicate_of else None, "rating": r.rating,
                "public_reply": r.public_reply, "reopened_count": r.reopened_count, "paused_at": r.paused_at,
                "location_source": r.location_source, "events": [(e.action, e.to_status) for e in r.events],
                "photos": [(p.path, p.thumb_path, p.content_type, p.gps_lat, p.gps_lon) for p in r.photos]}


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), gps: tuple[float, float] | None = None,
                camera: str | None = None) -> bytes:
    img = Image.new("RGB", size, (180, 120, 60))
    for x in range(0, size[0], 16):  # some structure so the encoders have work to do
        for y in range(0, size[1], 16):
            img.putpixel((x, y), (x % 255, y % 255, 90))
    exif = Image.Exif()
    if camera:
        exif[0x010F] = camera
    if gps:
        ifd = exif.get_ifd(0x8825)
        for tag_ref, tag_val, value, pos, neg in ((1, 2, gps[0], "N", "S"), (3, 4, gps[1], "E", "W")):
            v = abs(value)
            d = int(v)
            m = int((v - d) * 60)
            s = round(((v - d) * 60 - m) * 60, 4)
            ifd[tag_ref] = pos if value >= 0 else neg
            ifd[tag_val] = (float(d), float(m), s)
    buf = io.BytesIO()
    if fmt == "JPEG" and (gps or camera):
        img.save(buf, fmt, exif=exif)
    else:
        img.save(buf, fmt)
    return buf.getvalue()
