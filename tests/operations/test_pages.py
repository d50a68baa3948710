"""The room's pages render for officials and the officer's event form stores an event (errors shown in place)."""

from __future__ import annotations

from ops_helpers import event, events_token

from conftest import csrf_from, login


def test_pages_and_the_event_form(client, db, factory):
    headers = events_token(factory)
    client.post("/api/v1/events", headers=headers, json=event(1, type="public_order", severity="major"))
    factory.user("officer", agency="CAT", username="cat-form")
    login(client, "cat-form")
    csrf = csrf_from(client)
    for path, text in (("/operations", "Phòng điều hành"), ("/operations/incidents", "Sự cố xử lý theo quy trình"),
                       ("/operations/devices", "Camera, cảm biến"), ("/operations/procedures", "QT-CHAY"),
                       ("/operations/events/new", "Báo sự kiện"), ("/boards/public_safety", "An ninh")):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert text in page.text, path
    refused = client.post("/operations/events/new", data={"csrf_token": csrf, "type": "fire_alarm", "title": "Cháy",
                                                          "lat": "21,03", "lon": "105,85"})
    assert refused.status_code == 422 and "ngoài địa giới tỉnh" in refused.text
    stored = client.post("/operations/events/new", follow_redirects=False, data={
        "csrf_token": csrf, "type": "fire_alarm", "severity": "critical", "title": "Cháy nhà dân phố Lê Hoàn",
        "unit_code": "13285"})
    assert stored.status_code == 303 and stored.headers["location"].startswith("/operations?event=")
    listed = client.get("/api/v1/events?type=fire_alarm").json()
    assert listed["total"] == 1 and listed["items"][0]["unit_name"] == "Phường Phủ Lý"
    assert listed["items"][0]["agency_name"] == "Công an tỉnh"
