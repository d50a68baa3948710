"""Other sources: an MQTT event feed through ingest's subscriber (gauge readings → events only when an alarm level is
crossed; bad messages to dead letters), a camera vendor's webhook through a feed's mapping, camera heartbeats with
a snapshot and offline cameras as events; the demo day."""

from __future__ import annotations

import base64
import io
import json
import socket
import time
import uuid
from datetime import timedelta

import pytest
from ops_helpers import HOA_LU, events_token
from PIL import Image
from sqlalchemy import select

import dieuhanh.operations.module  # noqa: F401  (registers the permissions and the MQTT handler provider)
from conftest import missing
from dieuhanh.core.db import utcnow
from dieuhanh.core.security import SYSTEM
from dieuhanh.ingest import mqtt
from dieuhanh.ingest.models import DeadLetter
from dieuhanh.operations import devices
from dieuhanh.operations.models import Camera, Event
from dieuhanh.operations.schemas import FeedIn, SensorIn


def wait_for(predicate, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not met within {timeout} s: {predicate()!r}")


def test_mqtt_gauge_feed_makes_events_only_on_a_new_alarm_level(db, warehouse):
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=2).close()
    except OSError as exc:
        missing(f"Mosquitto is not reachable at 127.0.0.1:1883: {exc}")
    import paho.mqtt.client as paho

    prefix = f"t{uuid.uuid4().hex[:8]}"
    with db.session() as session:
        devices.save_sensor(session, principal=SYSTEM, data=SensorIn(
            code="TV-BENDE", name="Trạm Bến Đế", kind="water_level", lat=20.327, lon=105.87, owner_agency="SNNMT",
            river="Sông Hoàng Long", levels={"1": 3.0, "2": 3.5, "3": 4.0}, value_unit="m"))
        devices.save_feed(session, principal=SYSTEM, data=FeedIn(
            slug="thuy-van", name="Trạm thủy văn", kind="mqtt", topic=f"{prefix}/thuyvan/{{sensor_code}}",
            source="thuy-van", owner_agency="SNNMT", mapping={"value": "h"}, defaults={"type": "water_level"}))
    subscriber = mqtt.MqttSubscriber(db, warehouse, province_code="37", max_bytes=1 << 20, reload_seconds=0.5)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"pub-{prefix}")
    try:
        subscriber.start()
        assert subscriber.wait_ready(15)
        client.connect("127.0.0.1", 1883)
        client.loop_start()
        for level in (2.9, 3.2, 3.3, 3.6):
            client.publish(f"{prefix}/thuyvan/TV-BENDE", json.dumps({"h": level}), qos=1).wait_for_publish(5)
        client.publish(f"{prefix}/thuyvan/TV-BENDE", b"{not json", qos=1).wait_for_publish(5)
        client.publish(f"{prefix}/thuyvan/NO-SUCH", json.dumps({"h": 1.0}), qos=1).wait_for_publish(5)

        def events() -> list[tuple[str, str]]:
            with db.session() as session:
                return [(e.severity, e.title) for e in session.scalars(select(Event).order_by(Event.id))]

        found = wait_for(lambda: len(events()) >= 2 and events())
        assert [s for s, _ in found] == ["minor", "major"]
        assert "vượt báo động II" in found[1][1]

        def letters() -> list[str]:
            with db.session() as session:
                return [d.error for d in session.scalars(select(DeadLetter).where(DeadLetter.topic.like(f"{prefix}%")))]

        errors = wait_for(lambda: len(letters()) >= 2 and letters())
        assert any("JSON" in e for e in errors) and any("NO-SUCH" in e for e in errors)
        with db.session() as session:
            assert session.scalar(select(Event.id).where(Event.type == "water_level", Event.incident_id.is_not(None)))
    finally:
        client.loop_stop()
        client.disconnect()
        subscriber.stop()


def test_camera_webhook_heartbeat_snapshot_and_offline(client, db, factory, settings):
    headers = events_token(factory)
    camera = client.post("/api/v1/cameras", headers=headers, json={
        "code": "HL-01", "name": "Ngã tư Trần Hưng Đạo – Lê Thái Tổ", "lat": HOA_LU[0], "lon": HOA_LU[1],
        "kind": "ai", "vendor": "Hikvision", "stream_url": "rtsp://admin:secret@10.0.0.5/stream",
        "snapshot_url": "http://10.0.0.5/snap.jpg"})
    assert camera.status_code == 201, camera.text
    body = camera.json()
    assert body["owner_agency"] == "CAT" and body["unit_name"] == "Phường Hoa Lư" and "secret" not in camera.text
    outside = client.post("/api/v1/cameras", headers=headers, json={"code": "HN-1", "name": "Hà Nội", "lat": 21.03,
                                                                    "lon": 105.85})
    assert outside.status_code == 422
    frame = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 60, 90)).save(frame, "JPEG")
    beat = client.post(f"/api/v1/cameras/{body['id']}/heartbeat", headers=headers,
                       json={"snapshot_base64": base64.b64encode(frame.getvalue()).decode()})
    assert beat.status_code == 200 and beat.json()["status"] == "online"
    snap = client.get(f"/api/v1/cameras/{body['id']}/snapshot", headers=headers)
    assert snap.status_code == 200 and snap.headers["content-type"].startswith("image/")
    bad = client.post(f"/api/v1/cameras/{body['id']}/heartbeat", headers=headers, json={"snapshot_base64": "@@"})
    assert bad.status_code == 422
    # The vendor's own payload through a webhook feed.
    with db.session() as session:
        devices.save_feed(session, principal=SYSTEM, data=FeedIn(
            slug="hik", name="Hikvision AI", kind="webhook", source="hik", owner_agency="CAT",
            mapping={"source_event_id": "alarm_id", "type": "event_type", "camera_code": "channel",
                     "title": "description"}, type_map={"crowd_gathering": "crowd"},
            defaults={"severity": "minor"}))
    hook = client.post("/api/v1/events/webhooks/hik", headers=headers, json={
        "alarm_id": "A-77", "event_type": "crowd_gathering", "channel": "HL-01", "description": "Tụ tập đông người"})
    assert hook.status_code == 201, hook.text
    wrong = client.post("/api/v1/events/webhooks/hik", headers=headers, json=[
        {"alarm_id": "A-78", "event_type": "crowd_gathering", "channel": "HL-01"},
        {"alarm_id": "A-79", "event_type": "dancing", "channel": "HL-01"}])
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["index"] == 1
    assert client.post("/api/v1/events/webhooks/nope", headers=headers, json={}).status_code == 404
    # Silent longer than allowed: offline, with an event; the next heartbeat closes it.
    with db.session() as session:
        row = session.get(Camera, body["id"])
        assert devices.check_offline(session, province_code="37",
                                     now=utcnow() + timedelta(seconds=row.offline_after_seconds + 5)) == 1
    offline = client.get("/api/v1/events?type=camera_offline", headers=headers).json()
    assert offline["total"] == 1 and offline["items"][0]["status"] == "active"
    client.post(f"/api/v1/cameras/{body['id']}/heartbeat", headers=headers, json={})
    assert client.get("/api/v1/events?type=camera_offline", headers=headers).json()["items"][0]["status"] == "closed"
    detail = client.get(f"/api/v1/cameras/{body['id']}", headers=headers).json()
    assert {e["type"] for e in detail["events"]} == {"crowd", "camera_offline"}
    _ = settings, pytest


def test_demo_day(demo_province):
    from dieuhanh.operations.models import Incident

    with demo_province.db.session() as session:
        incidents = {i.type: i for i in session.scalars(select(Incident))}
        assert {"fire", "flood", "traffic_accident"} <= set(incidents)
        assert incidents["fire"].state == "closed" and incidents["fire"].procedure_name == "Quy trình xử lý cháy, nổ"
        assert incidents["flood"].escalation_level >= 1
        types = set(session.scalars(select(Event.type)))
        assert {"weather_warning", "water_level", "fire_alarm", "traffic_jam", "camera_offline"} <= types
        assert session.scalar(select(Event.id).where(Event.demo.is_(False))) is None
        assert len(list(session.scalars(select(Camera)))) == 30
    values = demo_province.warehouse.query("SELECT count(*) FROM su_kien_dieu_hanh").column(0).to_pylist()
    assert values[0] > 15
