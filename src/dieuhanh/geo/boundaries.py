"""Commune boundaries: the packaged Ninh Bình file, and binding any GeoJSON file to official commune codes.

A province may bring its own boundaries (any GeoJSON FeatureCollection of polygons). :func:`match_features`
binds each feature to a current commune of the province, by a code property when there is one and otherwise
by name, checks the geometry, and returns features reduced to ``code`` and ``name``. It never binds silently
to the wrong unit: a feature whose code and name point to two different communes is rejected (this catches
files made with ``vietnam-provinces`` 2025.10.1, whose Phủ Lý codes are permuted).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely import make_valid
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from dieuhanh.geo import reference
from dieuhanh.geo.reference import Unit

__all__ = ["BoundaryMatch", "PACKAGED_PROVINCE_CODE", "match_features", "packaged_boundaries_path"]

PACKAGED_PROVINCE_CODE = "37"
_PACKAGED_FILE = Path(__file__).parent / "data" / "ninh-binh-2025-communes.geojson"

# Property names that may carry the commune code or name (compared case-insensitively).
CODE_PROPERTIES = (
    "code",
    "ma",
    "ma_xa",
    "maxa",
    "ma_px",
    "ma_phuong_xa",
    "ma_dvhc",
    "madvhc",
    "ma_dvhc_xa",
    "ward_code",
    "commune_code",
    "id",
)
NAME_PROPERTIES = (
    "name",
    "ten",
    "ten_xa",
    "tenxa",
    "ten_px",
    "ten_phuong_xa",
    "ten_dvhc",
    "tendvhc",
    "ward_name",
    "commune_name",
    "name_vi",
    "name_short",
)
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


def packaged_boundaries_path() -> Path:
    """The packaged boundaries of the 129 communes of Ninh Bình (province 37) after 1 July 2025.

    Source: Vietnamese Provinces Database (MIT), derived from sapnhap.bando.com.vn; see ``data/NOTICE.md``.
    Only for province 37; other provinces bring their own file.
    """
    return _PACKAGED_FILE


@dataclass
class BoundaryMatch:
    """``matched``: commune code → normalised feature (``id``, properties ``code`` and ``name``, geometry).

    ``unmatched``: one Vietnamese description per rejected feature. ``missing``: codes of the province's
    communes that no feature covers.
    """

    matched: dict[str, dict[str, Any]]
    unmatched: list[str]
    missing: list[str] = field(default_factory=list)


def _props_ci(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature.get("properties")
    return {str(k).lower(): v for k, v in props.items()} if isinstance(props, dict) else {}


def _code_values(feature: dict[str, Any], props: dict[str, Any]) -> list[str]:
    out: list[str] = []
    values = [props.get(name) for name in CODE_PROPERTIES] + [feature.get("id")]
    for value in values:
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if text.isdigit() and len(text) <= 5:
            text = text.zfill(5)
            if text not in out:
                out.append(text)
    return out


def _name_value(props: dict[str, Any]) -> str | None:
    for name in NAME_PROPERTIES:
        value = props.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _name_index(units: list[Unit]) -> tuple[dict[str, list[Unit]], dict[str, list[Unit]]]:
    full: dict[str, list[Unit]] = {}
    short: dict[str, list[Unit]] = {}
    for unit in units:
        full.setdefault(reference.normalize(unit.name), []).append(unit)
        short.setdefault(reference.normalize(unit.short_name), []).append(unit)
    return full, short


def _units_by_name(name: str, full: dict[str, list[Unit]], short: dict[str, list[Unit]]) -> list[Unit]:
    key = reference.normalize(name)
    if key in full:
        return full[key]
    bare = reference.normalize(_strip_prefix(name))
    return short.get(bare, [])


def _strip_prefix(name: str) -> str:
    return Unit("", name, "", "commune", None).short_name


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    if isinstance(geom, Polygon | MultiPolygon):
        return geom if not geom.is_empty else None
    if isinstance(geom, GeometryCollection):
        polys: list[Polygon] = []
        for part in geom.geoms:
            if isinstance(part, Polygon):
                polys.append(part)
            elif isinstance(part, MultiPolygon):
                polys.extend(part.geoms)
        polys = [p for p in polys if not p.is_empty]
        if not polys:
            return None
        return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    return None


def _check_geometry(geometry: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The geometry to keep (valid Polygon/MultiPolygon), or None and the reason in Vietnamese."""
    if not isinstance(geometry, dict):
        return None, "không có hình học (geometry)"
    gtype = geometry.get("type")
    if gtype not in GEOMETRY_TYPES:
        return None, f"hình học kiểu “{gtype}”, cần Polygon hoặc MultiPolygon"
    try:
        geom = shape(geometry)
    except Exception as exc:  # noqa: BLE001 - any malformed coordinate array
        return None, f"hình học không đọc được ({exc})"
    if geom.is_empty:
        return None, "hình học rỗng"
    if geom.is_valid:
        return geometry, None
    fixed = _polygonal(make_valid(geom))
    if fixed is None or not fixed.is_valid:
        return None, "hình học không hợp lệ và không sửa được"
    return json.loads(json.dumps(mapping(fixed))), None


def _describe(index: int, codes: list[str], name: str | None) -> str:
    parts = []
    if codes:
        parts.append(f"mã {', '.join(codes)}")
    if name:
        parts.append(f"tên “{name}”")
    return f"Đối tượng #{index + 1}" + (f" ({'; '.join(parts)})" if parts else "")


def match_features(geojson: dict[str, Any], province_code: str) -> BoundaryMatch:
    """Bind the features of a GeoJSON FeatureCollection to the current communes of ``province_code``.

    A feature binds by a code property (``code``, ``ma``, ``ma_xa``, ``MA_XA``, ``ma_dvhc`` …, or the
    feature ``id``) naming a commune of the province; otherwise by its name (``name``, ``ten``, ``ten_xa`` …),
    with or without diacritics and with or without the "Xã"/"Phường"/"Đặc khu" prefix. A code whose commune
    contradicts the feature's name is rejected, not trusted. Geometry must be a Polygon or MultiPolygon; an
    invalid one is repaired with ``make_valid`` when possible. Features that cannot be bound, are duplicates,
    or have no usable geometry are listed in ``unmatched`` with the reason.

    :raises ValueError: (Vietnamese message) if ``geojson`` is not a FeatureCollection or the province is
        unknown.
    """
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        found = geojson.get("type") if isinstance(geojson, dict) else type(geojson).__name__
        raise ValueError(
            f"Tệp ranh giới phải là GeoJSON kiểu FeatureCollection (nhận được: {found!s}). "
            "Hãy xuất lại tệp dưới dạng FeatureCollection gồm các vùng (Polygon/MultiPolygon) của xã, phường."
        )
    features = geojson.get("features")
    if not isinstance(features, list):
        raise ValueError("Tệp GeoJSON FeatureCollection không có danh sách “features”.")
    if reference.get_province(province_code) is None:
        raise ValueError(f"Mã tỉnh “{province_code}” không có trong danh mục đơn vị hành chính.")

    units = reference.communes_of(province_code)
    by_code = {u.code: u for u in units}
    full, short = _name_index(units)

    matched: dict[str, dict[str, Any]] = {}
    unmatched: list[str] = []
    for i, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            unmatched.append(f"Đối tượng #{i + 1}: không phải một Feature GeoJSON")
            continue
        props = _props_ci(feature)
        codes = _code_values(feature, props)
        name = _name_value(props)
        label = _describe(i, codes, name)

        by_name = _units_by_name(name, full, short) if name else []
        unit: Unit | None = None
        reason = ""
        code_units = [by_code[c] for c in codes if c in by_code]
        if code_units:
            unit = code_units[0]
            if len(by_name) == 1 and by_name[0].code != unit.code:
                unit = None
                reason = (
                    f"mã {code_units[0].code} là {code_units[0].name} nhưng tên là {by_name[0].name}; "
                    "mã và tên mâu thuẫn (có thể do bảng mã sai), không gán"
                )
        elif len(by_name) == 1:
            unit = by_name[0]
        elif len(by_name) > 1:
            reason = "tên trùng với nhiều đơn vị: " + ", ".join(f"{u.name} ({u.code})" for u in by_name)
        else:
            reason = "không khớp mã hay tên xã, phường nào của tỉnh"

        if unit is None:
            unmatched.append(f"{label}: {reason}")
            continue
        if unit.code in matched:
            unmatched.append(f"{label}: trùng với đối tượng khác đã gán cho {unit.name} ({unit.code})")
            continue
        geometry, problem = _check_geometry(feature.get("geometry"))
        if geometry is None:
            unmatched.append(f"{label}: {problem}")
            continue
        matched[unit.code] = {
            "type": "Feature",
            "id": unit.code,
            "properties": {"code": unit.code, "name": unit.name},
            "geometry": geometry,
        }

    missing = [u.code for u in units if u.code not in matched]
    return BoundaryMatch(matched=matched, unmatched=unmatched, missing=missing)
