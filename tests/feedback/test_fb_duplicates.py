"""Possible duplicates (same category, ≤ 50 m, ≤ 7 days, of an open report) and merging them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fb_core_helpers import communes_with_points, load, offset, submit

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, PermissionDenied
from dieuhanh.core.security import Principal
from dieuhanh.feedback import service
from dieuhanh.orgs.catalogue import commune_agency_code


def officer(agency: str) -> Principal:
    return Principal(kind="user", id=77, name=f"cb-{agency}", role="officer", agency_code=agency)


def test_flagged_within_distance_and_window_only(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    now = utcnow()
    main = submit(db, settings, lat=lat, lon=lon, now=now - timedelta(days=2))
    near = submit(db, settings, lat=offset(lat, lon, 30)[0], lon=offset(lat, lon, 0, 20)[1], now=now)
    assert load(db, near)["possible_duplicate_of"] == main  # ≈ 36 m away
    far = submit(db, settings, lat=offset(lat, lon, -60)[0], lon=lon, now=now)
    assert load(db, far)["possible_duplicate_of"] is None  # 60 m south of main, ≈ 92 m from near
    other_category = submit(db, settings, service_code="cay-xanh", lat=lat, lon=lon, now=now)
    assert load(db, other_category)["possible_duplicate_of"] is None
    later = submit(db, settings, lat=lat, lon=lon, now=now + timedelta(days=6))  # still within 7 days of `main`
    assert load(db, later)["possible_duplicate_of"] == near  # main is 8 days older by then
    lat2, lon2 = offset(lat, lon, -300)
    old = submit(db, settings, lat=lat2, lon=lon2, now=now - timedelta(days=8))
    after_window = submit(db, settings, lat=lat2, lon=lon2, now=now)
    assert load(db, after_window)["possible_duplicate_of"] is None and old


def test_closed_reports_are_not_duplicate_targets_and_settings_apply(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    first = submit(db, settings, lat=lat, lon=lon)
    with db.session() as session:
        service.transition(session, service.get_by_code(session, first), "reject", reason="Đã có kế hoạch",
                           principal=officer(commune_agency_code(unit)))
    assert load(db, submit(db, settings, lat=lat, lon=lon))["possible_duplicate_of"] is None
    settings.feedback_duplicate_distance_m = 200.0
    a = submit(db, settings, service_code="chieu-sang", lat=lat, lon=lon)
    b = submit(db, settings, service_code="chieu-sang", lat=offset(lat, lon, 150)[0], lon=lon)
    assert load(db, b)["possible_duplicate_of"] == a


def test_merge_follows_the_main_report(db, settings, client) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    agency = commune_agency_code(unit)
    main = submit(db, settings, lat=lat, lon=lon)
    dup = submit(db, settings, lat=offset(lat, lon, 10)[0], lon=lon)
    assert load(db, dup)["possible_duplicate_of"] == main
    with db.session() as session, pytest.raises(PermissionDenied):
        service.merge(session, service.get_by_code(session, dup), service.get_by_code(session, main), officer("SXD"))
    with db.session() as session:
        service.merge(session, service.get_by_code(session, dup), service.get_by_code(session, main),
                      officer(agency))
    snap = load(db, dup)
    assert snap["duplicate_of"] == main and snap["status"] == "closed" and snap["possible_duplicate_of"] is None
    with db.session() as session, pytest.raises(Conflict):
        service.transition(session, service.get_by_code(session, dup), "accept", principal=officer(agency))
    # the citizen of the merged report sees the main one's status and answer
    tracked = client.get(f"/api/v1/feedback/public/reports/{dup}").json()
    assert tracked["merged_into"] == main and tracked["status"] == "new"
    (o311,) = client.get(f"/open311/v2/requests/{dup}.json").json()
    assert o311["status"] == "open"
    with db.session() as session:
        service.transition(session, service.get_by_code(session, main), "resolve", note_public="Đã thu dọn sạch.",
                           principal=officer(agency))
    tracked = client.get(f"/api/v1/feedback/public/reports/{dup}").json()
    assert tracked["status"] == "resolved" and tracked["public_reply"] == "Đã thu dọn sạch."
    (o311,) = client.get(f"/open311/v2/requests/{dup}.json").json()
    assert o311["status"] == "closed" and "Đã thu dọn sạch." in o311["status_notes"] and main in o311["status_notes"]
    with db.session() as session:
        assert [r.code for r in service.duplicates_of(session, service.get_by_code(session, main))] == [dup]
        # Only the citizen's own key rates an answer, never an officer's session (test_fb_owner_key.py: with it).
        with pytest.raises(PermissionDenied):
            service.rate(session, dup, True, key=None, principal=officer(agency))


def test_merge_through_the_api(db, settings, client, factory) -> None:  # type: ignore[no-untyped-def]
    from conftest import login

    (unit, lat, lon), = communes_with_points(db, 1)
    main = submit(db, settings, lat=lat, lon=lon)
    dup = submit(db, settings, lat=lat, lon=lon)
    _, username, _ = factory.user("officer", agency=commune_agency_code(unit))
    _, csrf = login(client, username)
    flagged = client.get("/api/v1/feedback/reports", params={"duplicates": "true"}).json()["items"]
    assert [(i["code"], i["possible_duplicate_of"]) for i in flagged] == [(dup, main)]
    r = client.post(f"/api/v1/feedback/reports/{dup}/merge", json={"main": dup}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422
    r = client.post(f"/api/v1/feedback/reports/{dup}/merge", json={"main": main}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["duplicate_of"] == main
    assert client.get(f"/api/v1/feedback/reports/{main}").json()["duplicates"] == [dup]


def test_open311_list_agrees_with_single_requests_through_merges_of_merges(db, settings, client) -> None:  # type: ignore[no-untyped-def]
    """The Open311 list reads plain rows and a single request reads its Report: both must give the same answer,
    also for a report merged into one that was merged in turn (b → a → c)."""
    (unit, lat, lon), = communes_with_points(db, 1)
    agency = commune_agency_code(unit)
    a = submit(db, settings, lat=lat, lon=lon)
    b = submit(db, settings, lat=offset(lat, lon, 10)[0], lon=lon)
    c = submit(db, settings, lat=offset(lat, lon, 20)[0], lon=lon)
    other = submit(db, settings, service_code="cay-xanh", lat=lat, lon=lon)
    with db.session() as session:
        service.merge(session, service.get_by_code(session, b), service.get_by_code(session, a), officer(agency))
        service.merge(session, service.get_by_code(session, a), service.get_by_code(session, c), officer(agency))
        service.transition(session, service.get_by_code(session, c), "resolve", note_public="Đã xử lý xong.",
                           principal=officer(agency))
    listed = {r["service_request_id"]: r for r in client.get("/open311/v2/requests.json").json()}
    assert {a, b, c, other} <= set(listed)
    for code in (a, b, c, other):
        (single,) = client.get(f"/open311/v2/requests/{code}.json").json()
        assert listed[code] == single, code
    assert listed[b]["status"] == "closed" and listed[other]["status"] == "open"
    assert c in listed[b]["status_notes"] and "Đã xử lý xong." in listed[b]["status_notes"]
