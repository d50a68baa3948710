"""Open311 GET answers are kept per question (feedback/open311cache) and never outlive a change of what they show:
a workflow step, a statement on the table, another process's write and an agency's new name all show at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fb_core_helpers import communes_with_points, submit
from sqlalchemy import update

from dieuhanh.core.db import utcnow
from dieuhanh.core.security import Principal
from dieuhanh.feedback import open311cache, service
from dieuhanh.feedback.models import Report
from dieuhanh.orgs.catalogue import commune_agency_code
from dieuhanh.orgs.models import Agency

V2 = "/open311/v2"


@pytest.fixture
def point(db):  # type: ignore[no-untyped-def]
    return communes_with_points(db, 1)[0]


def test_kept_answers_follow_every_change(client, db, settings, point) -> None:  # type: ignore[no-untyped-def]
    unit, lat, lon = point
    code = submit(db, settings, service_code="cay-xanh", lat=lat, lon=lon, now=utcnow() - timedelta(hours=2))
    params = {"service_code": "cay-xanh", "start_date": (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def mine() -> dict:  # type: ignore[type-arg]
        response = client.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 200, response.text
        listed = next(r for r in response.json() if r["service_request_id"] == code)
        (single,) = client.get(f"{V2}/requests/{code}.json").json()  # kept too, under the same data version
        assert single == listed
        return listed

    first = client.get(f"{V2}/requests.json", params=params)
    again = client.get(f"{V2}/requests.json", params=params)
    assert again.content == first.content and mine()["status"] == "open"

    # a workflow step through the service (ORM flush and commit)
    officer = Principal(kind="user", id=1, name="cb", role="officer", agency_code=commune_agency_code(unit))
    with db.session() as session:
        service.transition(session, service.get_by_code(session, code), "resolve", note_public="Đã cắt tỉa cây.",
                           principal=officer)
    assert mine()["status"] == "closed" and mine()["status_notes"] == "Đã cắt tỉa cây."
    assert [r["service_request_id"] for r in client.get(f"{V2}/requests.json",
                                                        params={**params, "status": "open"}).json()].count(code) == 0

    # an UPDATE statement through a session (no ORM object)
    with db.session() as session:
        session.execute(update(Report).where(Report.code == code).values(public_reply="Trả lời sửa lại."))
    assert mine()["status_notes"] == "Trả lời sửa lại."

    # another process's write (no session of this process at all): seen through the data's version
    generation = open311cache.generation()
    with db.engine.begin() as conn:
        conn.execute(update(Report).where(Report.code == code).values(public_reply="Từ tiến trình khác.",
                                                                      updated_at=utcnow() + timedelta(seconds=1)))
    assert open311cache.generation() == generation  # this process saw nothing ...
    assert mine()["status_notes"] == "Từ tiến trình khác."  # ... and still answers with the new data

    # the responsible agency renamed (shown as agency_responsible)
    agency_code = commune_agency_code(unit)
    with db.session() as session:
        session.get(Agency, agency_code).name = "UBND xã Đổi Tên"  # type: ignore[union-attr]
    assert mine()["agency_responsible"] == "UBND xã Đổi Tên"


def test_xml_and_json_and_hosts_are_kept_apart(client, db, settings, point) -> None:  # type: ignore[no-untyped-def]
    _, lat, lon = point
    submit(db, settings, lat=lat, lon=lon, now=utcnow() - timedelta(hours=1))
    params = {"start_date": (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    as_json = client.get(f"{V2}/requests.json", params=params)
    as_xml = client.get(f"{V2}/requests.xml", params=params)
    assert as_json.headers["content-type"].startswith("application/json")
    assert as_xml.headers["content-type"].startswith("text/xml") and as_xml.content.startswith(b"<?xml")
    assert client.get(f"{V2}/requests.xml", params=params).content == as_xml.content
