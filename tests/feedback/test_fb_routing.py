"""Routing: category + commune rule, category rule, else the commune's People's Committee; locating reports."""

from __future__ import annotations

import pytest
from fb_core_helpers import communes_with_points, load, submit

from dieuhanh.core.errors import InvalidInput, PermissionDenied
from dieuhanh.core.security import SYSTEM, Principal
from dieuhanh.feedback import service
from dieuhanh.feedback.schemas import RoutingRuleIn
from dieuhanh.geo import reference
from dieuhanh.orgs.catalogue import commune_agency_code

OLD_ADDRESS = "xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam"


def test_default_is_the_commune_committee_and_rules_win(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), (unit2, lat2, lon2) = communes_with_points(db, 2)
    code = submit(db, settings, service_code="duong-via-he", lat=lat, lon=lon)
    assert load(db, code)["unit_code"] == unit and load(db, code)["agency_code"] == commune_agency_code(unit)
    # the built-in category-wide rule: security reports go to the provincial police
    assert load(db, submit(db, settings, service_code="an-ninh", lat=lat, lon=lon))["agency_code"] == "CAT"
    with db.session() as session:
        service.set_routing_rule(session, principal=SYSTEM,
                                 data=RoutingRuleIn(category_code="duong-via-he", agency_code="SXD"))
        service.set_routing_rule(session, principal=SYSTEM,
                                 data=RoutingRuleIn(category_code="duong-via-he", unit_code=unit2,
                                                    agency_code=commune_agency_code(unit2)))
    assert load(db, submit(db, settings, service_code="duong-via-he", lat=lat, lon=lon))["agency_code"] == "SXD"
    other = submit(db, settings, service_code="duong-via-he", lat=lat2, lon=lon2)
    assert load(db, other)["unit_code"] == unit2 and load(db, other)["agency_code"] == commune_agency_code(unit2)
    # a rule for another category does not apply
    assert load(db, submit(db, settings, service_code="cay-xanh", lat=lat, lon=lon))["agency_code"] == \
        commune_agency_code(unit)


def test_rules_are_managed_by_admins_only(db) -> None:  # type: ignore[no-untyped-def]
    officer = Principal(kind="user", id=5, name="cb", role="officer", agency_code="SXD")
    with db.session() as session:
        with pytest.raises(PermissionDenied):
            service.set_routing_rule(session, principal=officer,
                                     data=RoutingRuleIn(category_code="cay-xanh", agency_code="SXD"))
        with pytest.raises(InvalidInput, match="cơ quan"):
            service.set_routing_rule(session, principal=SYSTEM,
                                     data=RoutingRuleIn(category_code="cay-xanh", agency_code="KHONGCO"))


def test_old_address_resolves_to_the_current_commune(db, settings) -> None:  # type: ignore[no-untyped-def]
    expected = reference.resolve_address("37", OLD_ADDRESS)
    assert expected.resolved
    code = submit(db, settings, service_code="chieu-sang", address_string=OLD_ADDRESS)
    snap = load(db, code)
    assert snap["unit_code"] == expected.code and snap["agency_code"] == commune_agency_code(expected.code)
    assert snap["location_source"] == "address" and snap["lat"] is None
    with pytest.raises(InvalidInput, match="Không xác định được"):
        submit(db, settings, address_string="số 1 phố Không Tồn Tại, hành tinh Sao Hỏa")


def test_point_outside_the_province_is_refused(db, settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="không thuộc xã, phường nào"):
        submit(db, settings, lat=21.0285, lon=105.8542)  # Hà Nội
    with pytest.raises(InvalidInput, match="vị trí"):
        submit(db, settings)


def test_routing_api(client, factory) -> None:  # type: ignore[no-untyped-def]
    from conftest import login

    assert {"category_code": "an-ninh", "unit_code": None, "agency_code": "CAT"} in [
        {k: r[k] for k in ("category_code", "unit_code", "agency_code")}
        for r in client.get("/api/v1/feedback/routing-rules").json()]
    _, admin, _ = factory.user("admin")
    _, csrf = login(client, admin)
    r = client.put("/api/v1/feedback/routing-rules", json={"category_code": "o-nhiem", "agency_code": "SNNMT"},
                   headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["agency_code"] == "SNNMT"
    r = client.patch("/api/v1/feedback/categories/o-nhiem", json={"deadline_hours": 36},
                     headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["deadline_hours"] == 36
    _, officer, _ = factory.user("officer", agency="SXD")
    _, csrf = login(client, officer)
    r = client.put("/api/v1/feedback/routing-rules", json={"category_code": "o-nhiem", "agency_code": "SXD"},
                   headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
