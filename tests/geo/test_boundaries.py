"""Specification of boundary binding: packaged Ninh Bình file, binding by code or name, rejections."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from shapely.geometry import shape

from dieuhanh.geo import boundaries, reference
from dieuhanh.geo.boundaries import BoundaryMatch, match_features

NB = "37"
PACKAGED_SHA256 = "c2b2caa8ed7b790ef14c3b798ed5ffd02e3229a3d6d748d09664c97bdfadf62f"


@pytest.fixture(scope="module")
def packaged() -> dict[str, Any]:
    return json.loads(boundaries.packaged_boundaries_path().read_text(encoding="utf-8"))


def _feature(props: dict[str, Any], geometry: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry, **extra}


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[105.9, 20.5], [106.0, 20.5], [106.0, 20.6], [105.9, 20.6], [105.9, 20.5]]],
}
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[105.9, 20.5], [106.0, 20.6], [106.0, 20.5], [105.9, 20.6], [105.9, 20.5]]],
}


def test_packaged_file_is_the_shared_one() -> None:
    path = boundaries.packaged_boundaries_path()
    assert path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PACKAGED_SHA256
    assert (path.parent / "NOTICE.md").is_file()


def test_packaged_file_matches_all_129_by_code(packaged: dict[str, Any]) -> None:
    assert len(packaged["features"]) == 129
    result = match_features(packaged, NB)
    assert isinstance(result, BoundaryMatch)
    assert result.unmatched == [] and result.missing == []
    assert set(result.matched) == {u.code for u in reference.communes_of(NB)}
    names = {u.code: u.name for u in reference.communes_of(NB)}
    for code, feature in result.matched.items():
        assert feature["type"] == "Feature" and feature["id"] == code
        assert feature["properties"] == {"code": code, "name": names[code]}
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert shape(feature["geometry"]).is_valid
    # The six codes that vietnam-provinces 2025.10.1 got wrong sit on the right polygons.
    by_code = {f["properties"]["code"]: f for f in packaged["features"]}
    for code in ("13285", "13291", "13318", "13669", "13708", "14614"):
        assert result.matched[code]["geometry"] == by_code[code]["geometry"]
        assert by_code[code]["properties"]["name"] == names[code]


def test_binding_by_name_when_codes_are_absent(packaged: dict[str, Any]) -> None:
    stripped = copy.deepcopy(packaged)
    for i, feature in enumerate(stripped["features"]):
        feature.pop("id", None)
        props = feature["properties"]
        name = props["name"]
        # Vary the way names are written: short, without diacritics, upper case, other property names.
        if i % 4 == 0:
            feature["properties"] = {"ten_xa": reference.normalize(name)}
        elif i % 4 == 1:
            feature["properties"] = {"TEN": props["name_short"]}
        elif i % 4 == 2:
            feature["properties"] = {"name": name.upper()}
        else:
            feature["properties"] = {"Name": name, "area": 1.0}
    result = match_features(stripped, NB)
    assert result.unmatched == []
    assert len(result.matched) == 129
    assert result.matched["13285"]["properties"] == {"code": "13285", "name": "Phường Phủ Lý"}


def test_binding_by_other_code_properties() -> None:
    gj = {
        "type": "FeatureCollection",
        "features": [
            _feature({"MA_XA": "13285"}, SQUARE),
            _feature({"ma": 13291}, SQUARE),
            _feature({}, SQUARE, id=13318),
            _feature(
                {"ma_dvhc": "14614.0"}, SQUARE
            ),  # not a clean code: falls back to name, none → unmatched
        ],
    }
    result = match_features(gj, NB)
    assert set(result.matched) == {"13285", "13291", "13318"}
    assert len(result.unmatched) == 1 and "#4" in result.unmatched[0]
    assert len(result.missing) == 126


def test_tone_mark_variants_match_by_name() -> None:
    gj = {
        "type": "FeatureCollection",
        "features": [
            _feature({"name": "Xã Giao Hòa"}, SQUARE),
            _feature({"name": "Phường Nguyễn Úy"}, SQUARE),
        ],
    }
    result = match_features(gj, NB)
    assert set(result.matched) == {"14182", "13396"}


def test_unmatched_features_are_listed() -> None:
    gj = {
        "type": "FeatureCollection",
        "features": [
            _feature({"code": "13285", "name": "Phường Phủ Lý"}, SQUARE),
            _feature({"code": "00004", "name": "Phường Ba Đình"}, SQUARE),  # Hà Nội
            _feature({"name": "Xã Không Có Thật"}, SQUARE),
            _feature({"code": "13285"}, SQUARE),  # duplicate
            _feature({"code": "13291"}, {"type": "Point", "coordinates": [105.9, 20.5]}),
            _feature({"code": "13318"}, None),  # type: ignore[arg-type]
            {"type": "NotAFeature"},
            "garbage",
        ],
    }
    result = match_features(gj, NB)
    assert list(result.matched) == ["13285"]
    assert len(result.unmatched) == 7
    text = "\n".join(result.unmatched)
    assert "Ba Đình" in text and "Không Có Thật" in text
    assert "trùng" in text and "Point" in text and "Polygon" in text
    assert all(line.startswith("Đối tượng #") for line in result.unmatched)


def test_code_contradicting_name_is_rejected() -> None:
    # A file coded with vietnam-provinces 2025.10.1: Phủ Lý's polygon carries 13291 (Phù Vân's official code).
    gj = {
        "type": "FeatureCollection",
        "features": [_feature({"code": "13291", "name": "Phường Phủ Lý"}, SQUARE)],
    }
    result = match_features(gj, NB)
    assert result.matched == {}
    assert "mâu thuẫn" in result.unmatched[0]


def test_invalid_geometry_is_repaired() -> None:
    assert not shape(BOWTIE).is_valid
    gj = {"type": "FeatureCollection", "features": [_feature({"code": "13285"}, BOWTIE)]}
    result = match_features(gj, NB)
    geometry = result.matched["13285"]["geometry"]
    assert geometry["type"] in ("Polygon", "MultiPolygon")
    assert shape(geometry).is_valid and shape(geometry).area > 0


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "Feature", "properties": {}, "geometry": SQUARE},
        {"type": "Polygon", "coordinates": []},
        {"features": []},
        [],
        "FeatureCollection",
        None,
    ],
)
def test_not_a_feature_collection_raises(bad: Any) -> None:
    with pytest.raises(ValueError, match="FeatureCollection"):
        match_features(bad, NB)


def test_feature_collection_without_features_list_raises() -> None:
    with pytest.raises(ValueError, match="features"):
        match_features({"type": "FeatureCollection", "features": {}}, NB)


def test_unknown_province_raises() -> None:
    with pytest.raises(ValueError, match="Mã tỉnh"):
        match_features({"type": "FeatureCollection", "features": []}, "99")


def test_other_province_file_binds_nothing_for_ninh_binh(packaged: dict[str, Any]) -> None:
    result = match_features(packaged, "01")  # Hà Nội: no Ninh Bình code or name belongs there
    assert len(result.matched) < 5  # a few names may exist in both provinces; codes never do
    assert all(reference.get_commune(c).parent_code == "01" for c in result.matched)  # type: ignore[union-attr]
