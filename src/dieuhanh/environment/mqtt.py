"""Readings by MQTT: the sensors publish to ``dieuhanh/khong-khi/<station code>`` a JSON record or a list of records
in the API's form (``station`` may be left out: the topic names it). Served by ingest's subscriber
(``ingest/mqtt.py`` keeps the broker connection, batching and dead letters); each message is stored all or nothing
through ``service.push_observations``, and a refused message goes to the dead letters with the reason.

The subscription exists only once a real (non-demo) station is registered, so a demo or an empty installation does
not connect to a broker for nothing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from dieuhanh.core.db import Database
from dieuhanh.core.errors import DomainError
from dieuhanh.core.security import Principal
from dieuhanh.environment import service
from dieuhanh.environment.models import Station

TOPIC_FILTER = "dieuhanh/khong-khi/+"
MQTT_PRINCIPAL = Principal(kind="system", name="mqtt-khong-khi", role="admin")


def handle_batch(database: Database, batch: list[tuple[str, bytes, datetime]]) -> list[tuple[int, str]]:
    """Store each message of a batch on its own; return the refused ones as (position, Vietnamese reason)."""
    refused: list[tuple[int, str]] = []
    for i, (topic, payload, _received) in enumerate(batch):
        try:
            data = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            refused.append((i, f"Bản tin không phải JSON UTF-8: {exc}"))
            continue
        station = topic.rsplit("/", 1)[-1]
        records = data if isinstance(data, list) else [data]
        items: list[Any] = [{"station": station, **r} if isinstance(r, dict) else r for r in records]
        try:
            with database.session() as session:
                service.push_observations(session, principal=MQTT_PRINCIPAL, items=items)
        except DomainError as exc:
            details = "; ".join(e.message for e in exc.errors[:5])
            refused.append((i, f"{exc.message} {details}".strip()))
    return refused


def mqtt_handlers(database: Database) -> list[Any]:
    from dieuhanh.ingest.mqtt import MessageHandler

    with database.session() as session:
        if session.scalar(select(Station.id).where(Station.demo.is_(False)).limit(1)) is None:
            return []
    return [MessageHandler(key="environment", name="Quan trắc không khí", filter=TOPIC_FILTER,
                           handle=lambda batch: handle_batch(database, batch))]
