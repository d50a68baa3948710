"""Administrative units of the configured province: reference list, search, address resolution, boundaries."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.errors import InvalidInput, NotFound
from dieuhanh.core.security import Principal, authorize
from dieuhanh.geo import boundaries, reference
from dieuhanh.geo.models import AdminUnit

PACKAGED_SOURCE = "Dữ liệu ranh giới mẫu 2025 (Vietnamese Provinces Database, MIT)"


def sync_units(session: Session, *, province_code: str) -> int:
    """Make the unit table match the packaged official list for the province; idempotent. Returns new units."""
    province = reference.get_province(province_code)
    if province is None:
        raise InvalidInput(f"Mã tỉnh '{province_code}' không có trong danh mục đơn vị hành chính.")
    wanted = [province, *reference.communes_of(province_code)]
    existing = {u.code: u for u in session.scalars(select(AdminUnit))}
    created = 0
    for unit in wanted:
        row = existing.get(unit.code)
        if row is None:
            session.add(
                AdminUnit(
                    code=unit.code, name=unit.name, type=unit.type, level=unit.level,
                    parent_code=unit.parent_code, search_name=reference.normalize(unit.name),
                )
            )
            created += 1
        elif row.name != unit.name:
            row.name, row.search_name = unit.name, reference.normalize(unit.name)
    if created:
        audit.record(
            session, actor="system", action="unit.sync", entity_type="admin_unit", entity_id=province_code,
            after={"created": created, "source": reference.source()},
        )
    session.flush()
    if province_code == "37" and not session.scalar(
        select(AdminUnit.code).where(AdminUnit.boundary.is_not(None)).limit(1)
    ):
        _apply_match(session, _packaged_match(province_code), source=PACKAGED_SOURCE)
    return created


_packaged: tuple[tuple[float, str], boundaries.BoundaryMatch] | None = None


def _packaged_match(province_code: str) -> boundaries.BoundaryMatch:
    """The packaged boundaries parsed and checked once per process (the file is ~2 MB and its geometries are
    validated one by one; it only changes with the package). Callers never modify the result."""
    global _packaged
    path = boundaries.packaged_boundaries_path()
    key = (path.stat().st_mtime, province_code)
    if _packaged is None or _packaged[0] != key:
        _packaged = (key, boundaries.match_features(json.loads(path.read_text(encoding="utf-8")), province_code))
    return _packaged[1]


def list_units(session: Session, *, level: str | None = None, q: str | None = None) -> list[AdminUnit]:
    query = select(AdminUnit)
    if level:
        if level not in ("province", "commune"):
            raise InvalidInput("Tham số level phải là 'province' hoặc 'commune'.")
        query = query.where(AdminUnit.level == level)
    if q:
        needle = reference.normalize(q)
        query = query.where(or_(AdminUnit.search_name.contains(needle), AdminUnit.code.startswith(q.strip())))
    return list(session.scalars(query.order_by(AdminUnit.level.desc(), AdminUnit.code)))


def get_unit(session: Session, code: str) -> AdminUnit:
    unit = session.get(AdminUnit, code)
    if unit is None:
        raise NotFound(f"Không có đơn vị hành chính mã '{code}' trong tỉnh.")
    return unit


def communes(session: Session) -> list[AdminUnit]:
    return list_units(session, level="commune")


def resolve(*, province_code: str, address: str) -> reference.Resolution:
    if not address or not address.strip():
        raise InvalidInput("Hãy nhập địa chỉ cần tra cứu.")
    if len(address) > 500:
        raise InvalidInput("Địa chỉ quá dài (tối đa 500 ký tự).")
    return reference.resolve_address(province_code, address)


@dataclass
class BoundaryImport:
    matched: int
    unmatched: list[str]
    missing: list[str]


def _apply_boundaries(session: Session, geojson: dict, province_code: str, *, source: str) -> BoundaryImport:
    return _apply_match(session, boundaries.match_features(geojson, province_code), source=source)


def _apply_match(session: Session, match: boundaries.BoundaryMatch, *, source: str) -> BoundaryImport:
    if not match.matched:
        raise InvalidInput(
            "Không đối chiếu được đối tượng nào trong tệp với xã, phường của tỉnh (theo mã hoặc tên). "
            + ("Không khớp: " + "; ".join(match.unmatched[:10]) if match.unmatched else "")
        )
    units = {u.code: u for u in session.scalars(select(AdminUnit).where(AdminUnit.level == "commune"))}
    for unit in units.values():  # replace, never mix two sources of boundaries
        unit.boundary, unit.boundary_source = None, None
    for code, feature in match.matched.items():
        if code in units:
            units[code].boundary = json.dumps(feature["geometry"], separators=(",", ":"))
            units[code].boundary_source = source
    missing = sorted(set(units) - set(match.matched))
    forget_shapes()  # this process sees the new boundaries at once (others within SHAPES_RECHECK_SECONDS)
    return BoundaryImport(matched=len(match.matched), unmatched=match.unmatched, missing=missing)


def import_boundaries(
    session: Session, *, principal: Principal, geojson: dict, province_code: str, source: str
) -> BoundaryImport:
    authorize(principal, "geo.import_boundaries")
    result = _apply_boundaries(session, geojson, province_code, source=source)
    audit.record(
        session, actor=principal.actor, action="geo.import_boundaries", entity_type="admin_unit",
        entity_id=province_code,
        after={"matched": result.matched, "unmatched": len(result.unmatched), "source": source},
    )
    return result


def boundaries_geojson(session: Session) -> dict:
    """Communes with their boundaries as a FeatureCollection for the map (code and name properties)."""
    features = []
    for unit in session.scalars(
        select(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.boundary.is_not(None)).order_by(
            AdminUnit.code
        )
    ):
        features.append(
            {
                "type": "Feature",
                "id": unit.code,
                "properties": {"code": unit.code, "name": unit.name},
                "geometry": json.loads(unit.boundary or "null"),
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ------------------------------------------------------------------------------------------------ point → commune


@dataclass
class _Shapes:
    key: tuple[Any, ...]
    tree: Any
    geoms: list[Any]
    codes: list[str]
    checked: float = 0.0


_shapes_lock = threading.Lock()
_shapes_cache: dict[str, _Shapes] = {}
SHAPES_RECHECK_SECONDS = 30.0  # boundaries change only by an import; look for one at most this often
# A point this close to a commune (in degrees, ~300 m) but inside none — a river on the border, a polygon's
# simplified edge — belongs to the nearest one; farther away it is outside the province.
NEAR_DEGREES = 0.003


def forget_shapes() -> None:
    """Drop the cached polygons (after an import, or when a database was reset underneath this process)."""
    with _shapes_lock:
        _shapes_cache.clear()


def commune_shapes(session: Session) -> _Shapes | None:
    """The communes' polygons in an STRtree, cached per database and rebuilt when the boundaries change."""
    from shapely import STRtree
    from shapely.geometry import shape

    cache_key = str(session.get_bind().engine.url)
    now = time.monotonic()
    cached = _shapes_cache.get(cache_key)
    if cached is not None and now - cached.checked < SHAPES_RECHECK_SECONDS:
        return cached if cached.codes else None
    key = tuple(session.execute(
        select(func.count(AdminUnit.boundary), func.max(AdminUnit.updated_at)).where(AdminUnit.level == "commune")
    ).one())
    with _shapes_lock:
        cached = _shapes_cache.get(cache_key)
        if cached is not None and cached.key == key:
            cached.checked = now
            return cached if cached.codes else None
        if not key[0]:
            _shapes_cache[cache_key] = _Shapes(key=key, tree=None, geoms=[], codes=[], checked=now)
            return None
        geoms, codes = [], []
        for code, boundary in session.execute(select(AdminUnit.code, AdminUnit.boundary).where(
                AdminUnit.level == "commune", AdminUnit.boundary.is_not(None))):
            try:
                geoms.append(shape(json.loads(boundary or "null")))
                codes.append(code)
            except Exception:  # noqa: BLE001 - a broken polygon only makes that commune unlocatable
                continue
        shapes = _Shapes(key=key, tree=STRtree(geoms), geoms=geoms, codes=codes, checked=now)
        _shapes_cache[cache_key] = shapes
        return shapes


def locate(session: Session, lat: float, lon: float, *, near: bool = False) -> str | None:
    """The current commune containing the point (imported boundaries), or None. With ``near``, a point just
    outside every polygon (within ``NEAR_DEGREES``) gets the nearest commune."""
    from shapely.geometry import Point

    shapes = commune_shapes(session)
    if shapes is None:
        return None
    point = Point(lon, lat)
    for idx in shapes.tree.query(point, predicate="intersects"):
        return shapes.codes[int(idx)]
    if near:
        found = shapes.tree.query_nearest(point, max_distance=NEAR_DEGREES)
        if len(found):
            return shapes.codes[int(found[0])]
    return None


def locate_many(session: Session, points: list[tuple[float, float]], *, near: bool = False) -> list[str | None]:
    """:func:`locate` for many (lat, lon) points at once (one vectorised tree query)."""
    import numpy as np
    import shapely

    shapes = commune_shapes(session)
    if shapes is None or not points:
        return [None] * len(points)
    geoms = shapely.points(np.array([[lon, lat] for lat, lon in points], dtype=float))
    found: list[str | None] = [None] * len(points)
    pairs = shapes.tree.query(geoms, predicate="intersects")
    for i, j in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
        if found[i] is None:
            found[i] = shapes.codes[j]
    if near:
        for i, code in enumerate(found):
            if code is None:
                hit = shapes.tree.query_nearest(geoms[i], max_distance=NEAR_DEGREES)
                if len(hit):
                    found[i] = shapes.codes[int(hit[0])]
    return found


def commune_centroid(session: Session, unit_code: str) -> tuple[float, float] | None:
    """(lat, lon) of a point inside the commune, when its boundary is known."""
    shapes = commune_shapes(session)
    if shapes is None or unit_code not in shapes.codes:
        return None
    point = shapes.geoms[shapes.codes.index(unit_code)].representative_point()
    return float(point.y), float(point.x)
