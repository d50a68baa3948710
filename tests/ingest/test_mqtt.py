"""MQTT sensor messages: micro-batches through load(), bad messages to dead letters, good ones still land.

The broker is the machine's real Mosquitto on 127.0.0.1:1883; each test uses its own topic prefix so that
concurrent runs do not see each other's messages.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from conftest import csrf_from, login, missing
from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.models import LoadBatch
from dieuhanh.catalog.schemas import DatasetIn
from dieuhanh.core.errors import InvalidInput, PermissionDenied
from dieuhanh.core.security import SYSTEM, Principal
from dieuhanh.ingest import mqtt
from dieuhanh.ingest.models import DeadLetter

BROKER = ("127.0.0.1", 1883)
AIR_SCHEMA = [
    {"name": "ma_tram", "type": "string", "required": True},
    {"name": "thoi_gian", "type": "datetime", "required": True},
    {"name": "pm25", "type": "number", "required": True},
    {"name": "nhiet_do", "type": "number"},
]


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value: {predicate()!r})")


def at_least(n: int, fetch):  # type: ignore[no-untyped-def]
    """A predicate for wait_for: fetch()'s list once it has n items."""
    def check():  # type: ignore[no-untyped-def]
        items = fetch()
        return items if len(items) >= n else None
    return check


@pytest.fixture
def broker() -> tuple[str, int]:
    try:
        socket.create_connection(BROKER, timeout=2).close()
    except OSError as exc:
        missing(f"Mosquitto is not reachable at {BROKER[0]}:{BROKER[1]}: {exc}")
    return BROKER


@pytest.fixture
def air(db) -> str:  # type: ignore[no-untyped-def]
    with db.session() as session:
        catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate({
            "name": "khong_khi", "title": "Quan trắc không khí tự động", "owner_agency": "SNNMT",
            "update_frequency": "realtime", "schema": AIR_SCHEMA}))
    return "khong_khi"


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def subscribe(db, prefix: str, **overrides: Any) -> int:  # type: ignore[no-untyped-def]
    body = {"name": f"Không khí {prefix}", "topic": f"{prefix}/sensors/air/{{ma_tram}}", "dataset": "khong_khi",
            "field_map": {"ts": "thoi_gian", "pm25": "pm25", "temp.c": "nhiet_do"}, "batch_size": 3,
            "max_wait_seconds": 0.5, **overrides}
    with db.session() as session:
        return mqtt.create_subscription(session, principal=SYSTEM,
                                        subscription_in=mqtt.SubscriptionIn.model_validate(body)).id


@pytest.fixture
def subscriber(db, warehouse, broker) -> Iterator[mqtt.MqttSubscriber]:  # type: ignore[no-untyped-def]
    sub = mqtt.MqttSubscriber(db, warehouse, province_code="37", max_bytes=10 * 1024 * 1024, host=broker[0],
                              port=broker[1], reload_seconds=0.5)
    yield sub
    sub.stop()


@pytest.fixture
def publisher(broker) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    client.connect(*broker)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


def publish(client, topic: str, payload: Any) -> None:  # type: ignore[no-untyped-def]
    data = payload if isinstance(payload, bytes | str) else json.dumps(payload, ensure_ascii=False)
    client.publish(topic, data, qos=1).wait_for_publish(timeout=5)


def rows(warehouse) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    if not warehouse.table_exists("khong_khi"):
        return []
    return warehouse.query("SELECT ma_tram, pm25, nhiet_do FROM khong_khi ORDER BY pm25").to_pylist()


def dead_letters(db) -> list[DeadLetter]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(session.scalars(select(DeadLetter).order_by(DeadLetter.id)))


def reading(pm25: Any, minute: int = 0, temp: float = 28.5) -> dict[str, Any]:
    return {"ts": f"2025-03-01T07:{minute:02d}:00+07:00", "pm25": pm25, "temp": {"c": temp}, "extra": "bỏ qua"}


def test_good_messages_land_and_bad_ones_go_to_dead_letters(db, warehouse, air, prefix, subscriber, publisher):
    sub_id = subscribe(db, prefix)
    subscriber.start()
    assert subscriber.wait_ready(15), "the subscriber did not subscribe in time"
    topic = f"{prefix}/sensors/air"
    publish(publisher, f"{topic}/NB-01", reading(35.5, 1))
    publish(publisher, f"{topic}/NB-02", reading(41.0, 2))
    publish(publisher, f"{topic}/NB-03", reading("cao lắm", 3))  # fails validation: its batch is retried 1 by 1
    publish(publisher, f"{topic}/NB-01", b'{"ts": "2025-03-01T07:04:00", "pm25": ')  # malformed JSON
    publish(publisher, f"{topic}/NB-02", reading(22.25, 5))
    publish(publisher, f"{topic}/NB-04", reading(18.0, 6, temp=27.0))  # the last batch goes out on max_wait
    publish(publisher, f"{prefix}/sensors/water/NB-01", reading(99.0))  # another topic: not ours

    landed = wait_for(at_least(4, lambda: rows(warehouse)))
    assert landed == [
        {"ma_tram": "NB-04", "pm25": 18.0, "nhiet_do": 27.0},
        {"ma_tram": "NB-02", "pm25": 22.25, "nhiet_do": 28.5},
        {"ma_tram": "NB-01", "pm25": 35.5, "nhiet_do": 28.5},
        {"ma_tram": "NB-02", "pm25": 41.0, "nhiet_do": 28.5},
    ]
    letters = wait_for(at_least(2, lambda: dead_letters(db)))
    assert len(letters) == 2 and {d.subscription_id for d in letters} == {sub_id}
    by_topic = {d.topic: d for d in letters}
    assert "JSON không hợp lệ" in by_topic[f"{topic}/NB-01"].error
    assert by_topic[f"{topic}/NB-01"].payload.startswith('{"ts": "2025-03-01T07:04:00"')
    invalid = by_topic[f"{topic}/NB-03"]
    assert invalid.error.startswith("Bản ghi không hợp lệ — cột «pm25»: Cần một số")
    assert '"pm25": "cao lắm"' in invalid.payload
    with db.session() as session:
        sources = {b.source for b in session.scalars(select(LoadBatch))}
    assert sources == {"mqtt"}
    time.sleep(0.5)
    assert len(rows(warehouse)) == 4  # nothing else arrived (the water topic is not subscribed)


def test_a_full_micro_batch_is_one_load(db, warehouse, air, prefix, subscriber, publisher):
    subscribe(db, prefix, batch_size=5, max_wait_seconds=30)
    subscriber.start()
    assert subscriber.wait_ready(15)
    for i in range(5):
        publish(publisher, f"{prefix}/sensors/air/NB-{i:02d}", reading(10 + i, i))
    wait_for(lambda: len(rows(warehouse)) == 5)
    with db.session() as session:
        [batch] = session.scalars(select(LoadBatch)).all()
    assert batch.rows == 5 and batch.source == "mqtt"


def test_stop_flushes_what_is_waiting(db, warehouse, air, prefix, subscriber, publisher):
    subscribe(db, prefix, batch_size=100, max_wait_seconds=600)
    subscriber.start()
    assert subscriber.wait_ready(15)
    publish(publisher, f"{prefix}/sensors/air/NB-09", reading(12.0))
    wait_for(lambda: subscriber.stats.received >= 1)
    subscriber.stop()
    assert rows(warehouse) == [{"ma_tram": "NB-09", "pm25": 12.0, "nhiet_do": 28.5}]


def test_no_subscription_no_connection(db, warehouse, subscriber):
    subscriber.start()
    assert subscriber.wait_ready(5)
    assert subscriber._client is None


# ------------------------------------------------------------------------------------------------ unit


def test_topic_patterns():
    assert mqtt.parse_topic("sensors/air/{ma_tram}") == ("sensors/air/+", {2: "ma_tram"})
    assert mqtt.parse_topic("sensors/+/{ma_tram}/#") == ("sensors/+/+/#", {2: "ma_tram"})
    assert mqtt.topic_captures({2: "ma_tram"}, "sensors/air/NB-01") == {"ma_tram": "NB-01"}
    for bad in ("sensors/#/x", "sensors/air+", "sensors/{Trạm}", "a/{x}/{x}"):
        with pytest.raises(ValueError):
            mqtt.parse_topic(bad)


def test_decode_message_maps_fields_and_refuses_what_is_not_json_objects():
    config = mqtt.SubscriptionConfig(id=1, name="x", filter="s/+", captures={1: "ma_tram"}, dataset="d",
                                     owner_agency="SNNMT", field_map={"v.pm": "pm25"}, batch_size=1,
                                     max_wait_seconds=1)
    assert mqtt.decode_message(config, "s/A", b'{"v": {"pm": 3}}') == [{"pm25": 3, "ma_tram": "A"}]
    assert mqtt.decode_message(config, "s/A", b'[{"v": {"pm": 1}}, {}]') == [
        {"pm25": 1, "ma_tram": "A"}, {"pm25": None, "ma_tram": "A"}]
    for payload, fragment in ((b"\xff\xfe", "UTF-8"), (b"{", "JSON không hợp lệ"), (b"42", "đối tượng JSON"),
                              (b"[]", "đối tượng JSON"), (b" " * (300 * 1024), "quá lớn")):
        with pytest.raises(mqtt.MessageError, match=fragment):
            mqtt.decode_message(config, "s/A", payload)


def test_subscription_checks_columns_and_owner(db, air, prefix):
    with pytest.raises(InvalidInput, match="khong_co"):
        subscribe(db, prefix, topic=f"{prefix}/{{khong_co}}")
    other = Principal(kind="user", id=9, name="o", role="officer", agency_code="SYT")
    with db.session() as session, pytest.raises(PermissionDenied):
        mqtt.create_subscription(session, principal=other, subscription_in=mqtt.SubscriptionIn(
            name="thu", topic="a/b", dataset="khong_khi"))


def test_api_subscriptions_and_dead_letters(client, factory, db, air, prefix):
    _, username, _ = factory.user("officer", agency="SNNMT")
    _, csrf = login(client, username)
    body = {"name": "Không khí", "topic": f"{prefix}/air/{{ma_tram}}", "dataset": "khong_khi",
            "field_map": {"pm": "pm25", "ts": "thoi_gian"}, "batch_size": 50}
    created = client.post("/api/v1/ingest/subscriptions", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["owner_agency"] == "SNNMT" and sub["max_wait_seconds"] == 5.0
    assert [s["id"] for s in client.get("/api/v1/ingest/subscriptions").json()] == [sub["id"]]
    bad = client.post("/api/v1/ingest/subscriptions", json={**body, "name": "Khác", "topic": "a/#/b"},
                      headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422
    with db.session() as session:
        session.add(DeadLetter(subscription_id=sub["id"], topic=f"{prefix}/air/X", payload="{", error="JSON hỏng"))
    letters = client.get("/api/v1/ingest/dead-letters", params={"subscription_id": sub["id"]}).json()
    assert [(d["topic"], d["error"]) for d in letters] == [(f"{prefix}/air/X", "JSON hỏng")]
    page = client.get("/ingest/dead-letters")
    assert page.status_code == 200 and "JSON hỏng" in page.text
    off = client.post(f"/api/v1/ingest/subscriptions/{sub['id']}/enabled", json={"enabled": False},
                      headers={"X-CSRF-Token": csrf})
    assert off.status_code == 200 and off.json()["enabled"] is False

    client.cookies.clear()
    _, other, _ = factory.user("officer", agency="SYT")
    login(client, other)
    assert client.get("/api/v1/ingest/dead-letters").json() == []  # another agency's data
    assert client.get("/api/v1/ingest/subscriptions").json() == []


def test_subscription_form_on_the_sources_page(client, factory, air, prefix):
    _, username, _ = factory.user("admin")
    login(client, username)
    csrf = csrf_from(client)
    form = {"csrf_token": csrf, "name": "Trạm không khí", "topic": f"{prefix}/air/{{ma_tram}}",
            "dataset": "khong_khi", "field_map": "pm = pm25\nts = thoi_gian", "batch_size": "10",
            "max_wait_seconds": "2"}
    page = client.post("/ingest/subscriptions", data=form)
    assert page.status_code == 200 and "Trạm không khí" in page.text and "Đã thêm đăng ký MQTT" in page.text
    again = client.post("/ingest/subscriptions", data={**form, "name": "Khác", "field_map": "pm -> khong_co"})
    assert again.status_code == 422 and "khong_co" in again.text
