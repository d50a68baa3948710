"""POST /api/v1/events: all or nothing, clear errors with index and field, idempotent; the list and its filters."""

from __future__ import annotations

from ops_helpers import HANOI, PHU_LY, event, events_token
from sqlalchemy import func, select

from dieuhanh.core.audit import AuditEntry
from dieuhanh.operations.models import Event


def count(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return int(session.scalar(select(func.count(Event.id))) or 0)


def test_push_one_and_a_list_resolves_the_commune_and_is_audited(client, db, factory):
    headers = events_token(factory)
    one = client.post("/api/v1/events", json=event(1), headers=headers)
    assert one.status_code == 201, one.text
    assert one.json()["created"] == 1 and one.json()["items"][0]["status"] == "created"
    many = client.post("/api/v1/events", json=[event(2), event(3, lat=PHU_LY[0], lon=PHU_LY[1],
                                                                type="public_order", severity="major")],
                       headers=headers)
    assert many.status_code == 201 and many.json()["created"] == 2
    listed = client.get("/api/v1/events", headers=headers).json()
    assert listed["total"] == 3
    by_title = {e["title"]: e for e in listed["items"]}
    assert by_title["Ùn tắc số 1"]["unit_name"] == "Phường Hoa Lư"
    assert by_title["Ùn tắc số 3"]["unit_name"] == "Phường Phủ Lý"
    assert by_title["Ùn tắc số 3"]["agency_name"] == "Công an tỉnh"
    with db.session() as session:  # one audit row per push, naming its events
        audited = [a.after["ids"] for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "event.create")
                                                           .order_by(AuditEntry.id))]
        assert sum(audited, []) == [e["id"] for e in sorted(listed["items"], key=lambda e: e["id"])]


def test_same_event_again_is_idempotent(client, db, factory):
    headers = events_token(factory)
    first = client.post("/api/v1/events", json=event(7), headers=headers).json()
    again = client.post("/api/v1/events", json=[event(7), event(8)], headers=headers)
    assert again.status_code == 201
    body = again.json()
    assert body["created"] == 1 and body["duplicates"] == 1
    assert body["items"][0] == {"index": 0, "id": first["items"][0]["id"], "status": "duplicate"}
    assert count(db) == 2


def test_bad_items_refuse_the_whole_list_with_index_and_field(client, db, factory):
    headers = events_token(factory)
    response = client.post("/api/v1/events", headers=headers, json=[
        event(1), event(2, type="ufo_sighting"), event(3, lat=HANOI[0], lon=HANOI[1]), event(4, severity="huge"),
        event(5, source_event_id="evt-1"), event(6, payload={"blob": "x" * 20_000})])
    assert response.status_code == 422, response.text
    body = response.json()
    found = {(e["index"], e.get("field")) for e in body["errors"]}
    assert (1, "type") in found and (2, "lat") in found and (3, "severity") in found
    assert (4, "source_event_id") in found and (5, "payload") in found
    messages = " ".join(e["message"] for e in body["errors"])
    assert "ufo_sighting" in messages and "ngoài địa giới tỉnh" in messages and "trùng" in messages
    assert "Không sự kiện nào được lưu" in body["detail"]
    assert count(db) == 0


def test_same_id_with_other_content_is_refused(client, db, factory):
    headers = events_token(factory)
    client.post("/api/v1/events", json=event(1), headers=headers)
    other = client.post("/api/v1/events", json=event(1, type="crowd"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "source_event_id"
    assert count(db) == 1


def test_oversize_and_malformed_bodies(client, db, factory):
    headers = events_token(factory)
    too_many = client.post("/api/v1/events", json=[event(i) for i in range(1001)], headers=headers)
    assert too_many.status_code == 422 and "1.000" in too_many.json()["detail"]
    huge = client.post("/api/v1/events", content=b"[" + b" " * (5 * 1024 * 1024) + b"]",
                       headers={**headers, "Content-Type": "application/json"})
    assert huge.status_code == 413
    broken = client.post("/api/v1/events", content=b'{"source": ', headers={**headers,
                                                                              "Content-Type": "application/json"})
    assert broken.status_code == 422 and "JSON" in broken.json()["detail"]
    future = client.post("/api/v1/events", json=event(1, occurred_at="2999-01-01T00:00:00+07:00"), headers=headers)
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "occurred_at"
    assert count(db) == 0


def test_token_scope_and_agency(client, db, factory):
    _, read_secret = factory.token(["read"], name="bi")
    refused = client.post("/api/v1/events", json=event(1), headers={"Authorization": f"Bearer {read_secret}"})
    assert refused.status_code == 403
    assert client.post("/api/v1/events", json=event(1)).status_code == 403  # no token, no session: refused
    assert count(db) == 0


def test_filters_and_bbox(client, factory):
    headers = events_token(factory)
    client.post("/api/v1/events", headers=headers, json=[
        event(1), event(2, type="public_order", severity="critical", lat=PHU_LY[0], lon=PHU_LY[1])])
    assert client.get("/api/v1/events?type=public_order", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/events?severity=minor,major", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/events?unit=13285", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/events?bbox=105.9,20.5,106.0,20.6", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/events?bbox=1,2,3", headers=headers).status_code == 422
    assert client.get("/api/v1/events?type=nope", headers=headers).status_code == 422
    assert client.get("/api/v1/events?since=yesterday", headers=headers).status_code == 422
