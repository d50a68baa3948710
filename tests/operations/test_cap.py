"""POST /api/v1/events/cap: CAP 1.2 alerts become events; Update and Cancel change the referenced ones; malformed or
hostile XML is refused with the element at fault and nothing stored."""

from __future__ import annotations

from ops_helpers import events_token
from sqlalchemy import func, select

from dieuhanh.operations.models import Event

ALERT = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{ident}</identifier><sender>kttv@example.vn</sender><sent>2026-01-05T06:00:00+07:00</sent>
  <status>{status}</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}
  <info><category>Met</category><event>Mưa lớn</event><urgency>Expected</urgency><severity>{severity}</severity>
    <certainty>Likely</certainty><headline>{headline}</headline><description>Mưa 100-150 mm</description>
    <area><areaDesc>Gia Viễn, Hoa Lư</areaDesc>{area}</area></info>
</alert>"""
POLYGON = "<polygon>20.36,105.84 20.36,105.96 20.24,106.00 20.22,105.95 20.30,105.84 20.36,105.84</polygon>"


def cap(ident: str = "A1", *, status: str = "Actual", msg_type: str = "Alert", refs: str = "",
        severity: str = "Severe", headline: str = "Cảnh báo mưa lớn", area: str = POLYGON) -> bytes:
    return ALERT.format(ident=ident, status=status, msg_type=msg_type, refs=refs, severity=severity,
                        headline=headline, area=area).encode()


def post(client, headers, body: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/events/cap", content=body, headers={**headers, "Content-Type": "application/xml"})


def stored(db) -> list[Event]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(session.scalars(select(Event).order_by(Event.id)))


def test_alert_update_and_cancel(client, db, factory):
    headers = events_token(factory, agency=None)
    created = post(client, headers, cap())
    assert created.status_code == 201, created.text
    [event] = stored(db)
    assert (event.type, event.severity, event.source, event.source_event_id) == (
        "weather_warning", "major", "cap:kttv@example.vn", "A1")
    assert event.unit_code and len(event.payload["communes"]) > 3
    refs = "<references>kttv@example.vn,A1,2026-01-05T06:00:00+07:00</references>"
    updated = post(client, headers, cap("A2", msg_type="Update", refs=refs, severity="Extreme",
                                        headline="Lũ vượt báo động II"))
    assert updated.status_code == 200 and updated.json()["updated"] == [event.id]
    [event] = stored(db)
    assert (event.severity, event.title, event.status) == ("critical", "Lũ vượt báo động II", "active")
    cancelled = post(client, headers, cap("A3", msg_type="Cancel", refs=refs))
    assert cancelled.json()["cancelled"] == [event.id]
    assert stored(db)[0].status == "cancelled"
    again = post(client, headers, cap())  # the same alert re-sent: idempotent
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    test = post(client, headers, cap("T1", status="Test"))
    assert test.status_code == 200 and test.json()["stored"] is False
    assert len(stored(db)) == 1


def test_malformed_and_hostile_cap_store_nothing(client, db, factory):
    headers = events_token(factory, agency=None)
    cases = {
        b"<alert><unclosed></alert>": "cú pháp",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>':
            "DTD",
        b'<feed xmlns="http://www.w3.org/2005/Atom"/>': "<alert>",
        cap().replace(b"<severity>Severe</severity>", b"<severity>Awful</severity>"): "severity",
        cap().replace(b"<identifier>A1</identifier>", b""): "identifier",
        cap(area="<polygon>21.0,105.0 21.1,105.0 21.1,105.1 21.0,105.0</polygon>"): "ngoài địa giới",
        cap(area="<circle>abc</circle>"): "circle",
        cap(area=""): "<area>",
        cap(msg_type="Cancel", refs="<references>kttv@example.vn,NOPE,2026-01-05T06:00:00+07:00</references>"):
            "tham chiếu",
    }
    for body, expected in cases.items():
        response = post(client, headers, body)
        assert response.status_code == 422, (body[:60], response.text)
        assert expected in response.text, (expected, response.text)
        assert response.json()["errors"][0]["field"]
    huge = post(client, headers, b"<alert>" + b" " * (1024 * 1024 + 10) + b"</alert>")
    assert huge.status_code == 413
    with db.session() as session:
        assert session.scalar(select(func.count(Event.id))) == 0
