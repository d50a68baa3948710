def test_units_list_is_public_and_has_129_communes(client):
    communes = client.get("/api/v1/units", params={"level": "commune"}).json()
    assert len(communes) == 129
    assert {"code": "13285", "name": "Phường Phủ Lý", "type": "phường", "parent_code": "37"} in communes
    province = client.get("/api/v1/units", params={"level": "province"}).json()
    assert [p["code"] for p in province] == ["37"]


def test_units_search_matches_without_diacritics(client):
    found = client.get("/api/v1/units", params={"q": "phu ly"}).json()
    assert [u["code"] for u in found] == ["13285"]
    assert client.get("/api/v1/units", params={"q": "Phủ Lý"}).json() == found


def test_unit_by_code_and_unknown_code(client):
    assert client.get("/api/v1/units/13669").json()["name"] == "Phường Nam Định"
    response = client.get("/api/v1/units/99999")
    assert response.status_code == 404
    assert "99999" in response.json()["detail"]


def test_resolve_legacy_address_over_http(client):
    # Kim Bảng's Thanh Sơn commune became part of Phường Lý Thường Kiệt on 1 July 2025.
    response = client.get("/api/v1/units/resolve",
                          params={"address": "xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam"})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "13435" and body["name"] == "Phường Lý Thường Kiệt"
    assert set(body) == {"code", "name", "matched_from", "confidence"}


def test_resolve_ambiguous_address_lists_candidates_with_409(client):
    response = client.get("/api/v1/units/resolve", params={"address": "thành phố Phủ Lý, tỉnh Hà Nam"})
    assert response.status_code == 409
    codes = {c["code"] for c in response.json()["candidates"]}
    assert {"13285", "13291", "13318"} <= codes


def test_resolve_garbage_gives_404_with_a_message(client):
    response = client.get("/api/v1/units/resolve", params={"address": "qwerty asdfgh"})
    assert response.status_code == 404
    assert response.json()["detail"]


def test_boundaries_geojson_has_every_commune(client):
    geo = client.get("/api/v1/units/boundaries.geojson").json()
    assert len(geo["features"]) == 129
    assert geo["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_boundaries_import_replaces_and_lists_unmatched(db):
    import json

    import pytest
    from sqlalchemy import select

    from dieuhanh.core.errors import PermissionDenied
    from dieuhanh.core.security import SYSTEM, Principal
    from dieuhanh.geo import boundaries, service
    from dieuhanh.geo.models import AdminUnit

    packaged = json.loads(boundaries.packaged_boundaries_path().read_text(encoding="utf-8"))
    subset = {"type": "FeatureCollection", "features": packaged["features"][:10] + [
        {"type": "Feature", "properties": {"code": "00001", "name": "Xã Không Có"},
         "geometry": packaged["features"][0]["geometry"]}]}
    with pytest.raises(PermissionDenied), db.session() as session:
        service.import_boundaries(session, principal=Principal(kind="user", id=1, role="leader"),
                                  geojson=subset, province_code="37", source="x")
    with db.session() as session:
        result = service.import_boundaries(session, principal=SYSTEM, geojson=subset, province_code="37",
                                           source="tinh.geojson")
    assert result.matched == 10 and len(result.unmatched) == 1 and len(result.missing) == 119
    with db.session() as session:
        with_boundary = session.scalars(select(AdminUnit.code).where(AdminUnit.boundary.is_not(None))).all()
    assert len(with_boundary) == 10
