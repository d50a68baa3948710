"""MQTT sensor messages → micro-batches → ``ingest.service.load``; what cannot be loaded goes to dead letters.

``MqttSubscriber`` is a background service (started and stopped with the scheduler, see ``ingest.jobs``):

- paho-mqtt's network thread only puts received messages on a queue; one worker thread does everything else.
- Each enabled ``MqttSubscription`` has a topic filter (``+``/``#``; a segment written ``{column}`` matches
  like ``+`` and its value fills that column, e.g. ``sensors/air/{ma_tram}``) and a mapping from message
  fields to columns. Messages are JSON objects (or arrays of objects).
- Records are collected per subscription and loaded when ``batch_size`` is reached or the oldest waited
  ``max_wait_seconds``: one batch, one ``load(..., source_kind="mqtt")``.
- Malformed JSON goes to the dead-letter table at once. When a micro-batch fails validation, its records are
  retried one by one: the good ones land, only the bad ones are dead-lettered with their error.
- Subscriptions are re-read every ``reload_seconds``: new ones are subscribed, disabled ones dropped. With no
  enabled subscription the subscriber does not connect to the broker at all.

Messages are at-least-once (QoS 1); a message in a micro-batch not yet loaded when the process stops abruptly
is lost (``stop()`` flushes what it holds).

paho-mqtt (Eclipse, 2.x) rather than aiomqtt: the subscriber runs in a thread of the web process next to
APScheduler's threads, and paho's own network thread with automatic reconnects fits that without an event loop.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.core import audit
from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.errors import Conflict, DomainError, InvalidInput, NotFound
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.ingest.models import DeadLetter, MqttSubscription
from dieuhanh.ingest.pull import COLUMN_NAME, check_columns, check_field_map, load_and_commit, map_record, owner_for

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 256 * 1024
MAX_DEAD_PAYLOAD_CHARS = 8000
MAX_ERROR_CHARS = 2000
QUEUE_SIZE = 100_000
LOAD_ATTEMPTS = 3
CAPTURE = re.compile(r"^\{([a-z][a-z0-9_]{0,62})\}$")

# ------------------------------------------------------------------------------------------------ topics


def parse_topic(pattern: str) -> tuple[str, dict[int, str]]:
    """A subscription's topic → (MQTT filter, {segment index: column}). Raises ValueError if malformed."""
    if not pattern or len(pattern) > 255:
        raise ValueError("Chủ đề (topic) không được rỗng và tối đa 255 ký tự")
    segments = pattern.split("/")
    captures: dict[int, str] = {}
    out = []
    for i, seg in enumerate(segments):
        match = CAPTURE.match(seg)
        if match:
            if match.group(1) in captures.values():
                raise ValueError(f"Cột «{match.group(1)}» xuất hiện hai lần trong chủ đề")
            captures[i] = match.group(1)
            out.append("+")
        elif seg == "#":
            if i != len(segments) - 1:
                raise ValueError("Ký tự # chỉ được đứng ở đoạn cuối của chủ đề")
            out.append(seg)
        elif seg == "+":
            out.append(seg)
        elif any(c in seg for c in "+#{}"):
            raise ValueError(f"Đoạn «{seg}» không hợp lệ: + và # phải đứng riêng một đoạn, "
                             "{cột} phải là tên cột chữ thường không dấu")
        else:
            out.append(seg)
    return "/".join(out), captures


def topic_captures(captures: dict[int, str], topic: str) -> dict[str, str]:
    segments = topic.split("/")
    return {column: segments[i] for i, column in captures.items() if i < len(segments)}


def topic_matches(filter_: str, topic: str) -> bool:
    from paho.mqtt.client import topic_matches_sub

    return bool(topic_matches_sub(filter_, topic))


# ------------------------------------------------------------------------------------------------ subscriptions


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=3, max_length=120)
    topic: str = Field(min_length=1, max_length=255, description="ví dụ sensors/air/{ma_tram}")
    dataset: str = Field(min_length=1, max_length=63)
    owner_agency: str | None = None
    field_map: dict[str, str] = Field(default_factory=dict, description="trường trong bản tin → cột",
                                      json_schema_extra={  # what check_field_map accepts (one column per field)
                                          "propertyNames": {"pattern": r"\S"},
                                          "additionalProperties": {"type": "string", "pattern": COLUMN_NAME.pattern}})
    batch_size: int = Field(default=100, ge=1, le=10_000)
    max_wait_seconds: float = Field(default=5.0, ge=0.1, le=3600)
    enabled: bool = True

    @field_validator("topic")
    @classmethod
    def _topic(cls, v: str) -> str:
        parse_topic(v)
        return v

    @field_validator("field_map")
    @classmethod
    def _field_map(cls, v: dict[str, str]) -> dict[str, str]:
        return check_field_map(v)


def _snapshot(sub: MqttSubscription) -> dict[str, Any]:
    return {"name": sub.name, "topic": sub.topic, "dataset": sub.dataset.name, "owner_agency": sub.owner_agency,
            "field_map": sub.field_map, "batch_size": sub.batch_size, "max_wait_seconds": sub.max_wait_seconds,
            "enabled": sub.enabled}


def create_subscription(session: Session, *, principal: Principal,
                        subscription_in: SubscriptionIn) -> MqttSubscription:
    ds = catalog.get_dataset(session, subscription_in.dataset)
    owner = owner_for(ds, subscription_in.owner_agency)
    authorize(principal, "source.manage", owner)
    _filter, captures = parse_topic(subscription_in.topic)
    check_columns(ds, [*subscription_in.field_map.values(), *captures.values()])
    if session.scalar(select(MqttSubscription.id).where(MqttSubscription.name == subscription_in.name)):
        raise Conflict(f"Đã có đăng ký MQTT tên '{subscription_in.name}'. Hãy chọn tên khác.")
    sub = MqttSubscription(dataset_id=ds.id, owner_agency=owner, created_by=principal.actor,
                           **subscription_in.model_dump(exclude={"dataset", "owner_agency"}))
    sub.dataset = ds
    session.add(sub)
    session.flush()
    audit.record(session, actor=principal.actor, action="subscription.create", entity_type="mqtt_subscription",
                 entity_id=sub.id, after=_snapshot(sub))
    return sub


def set_subscription_enabled(session: Session, *, principal: Principal, subscription_id: int,
                             enabled: bool) -> MqttSubscription:
    sub = session.get(MqttSubscription, subscription_id)
    if sub is None:
        raise NotFound(f"Không có đăng ký MQTT số {subscription_id}.")
    authorize(principal, "source.manage", sub)
    before = _snapshot(sub)
    sub.enabled = enabled
    session.flush()
    audit.record(session, actor=principal.actor, action="subscription.update", entity_type="mqtt_subscription",
                 entity_id=sub.id, before=before, after=_snapshot(sub))
    return sub


def list_subscriptions(session: Session, *, principal: Principal) -> list[MqttSubscription]:
    authorize(principal, "source.read")
    query = select(MqttSubscription).order_by(MqttSubscription.name)
    if not principal.has_role("admin", "leader", "analyst"):
        query = query.where(MqttSubscription.owner_agency == principal.agency_code)
    return list(session.scalars(query))


def list_dead_letters(session: Session, *, principal: Principal, subscription_id: int | None = None,
                      limit: int = 100, offset: int = 0) -> list[DeadLetter]:
    authorize(principal, "source.read")
    query = select(DeadLetter).order_by(DeadLetter.received_at.desc(), DeadLetter.id.desc())
    if subscription_id is not None:
        query = query.where(DeadLetter.subscription_id == subscription_id)
    if not principal.has_role("admin", "leader", "analyst"):
        own = select(MqttSubscription.id).where(MqttSubscription.owner_agency == principal.agency_code)
        query = query.where(DeadLetter.subscription_id.in_(own))
    return list(session.scalars(query.limit(limit).offset(offset)))


def system_principal(owner_agency: str, name: str) -> Principal:
    return Principal(kind="system", name=f"mqtt:{name}", role="officer", agency_code=owner_agency)


# ------------------------------------------------------------------------------------------------ messages


class MessageError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SubscriptionConfig:
    """What the worker needs of a subscription, detached from the database session."""

    id: int
    name: str
    filter: str
    captures: dict[int, str]
    dataset: str
    owner_agency: str
    field_map: dict[str, str]
    batch_size: int
    max_wait_seconds: float

    @classmethod
    def of(cls, sub: MqttSubscription) -> SubscriptionConfig:
        filter_, captures = parse_topic(sub.topic)
        return cls(id=sub.id, name=sub.name, filter=filter_, captures=captures, dataset=sub.dataset.name,
                   owner_agency=sub.owner_agency, field_map=dict(sub.field_map or {}), batch_size=sub.batch_size,
                   max_wait_seconds=sub.max_wait_seconds)


@dataclass(frozen=True)
class MessageHandler:
    """A subscription served by another module (the operations room's MQTT event feeds): this subscriber keeps
    the broker connection, the topic matching, the micro-batching and the dead letters; ``handle`` gets the raw
    messages ``(topic, payload, received_at)`` of one batch and returns the ones it refused as ``(index, error)``."""

    key: str
    name: str
    filter: str
    handle: Callable[[list[tuple[str, bytes, datetime]]], list[tuple[int, str]]]
    batch_size: int = 100
    max_wait_seconds: float = 1.0


# Providers of handlers, registered at import by the modules that have some; called at every reload.
HANDLER_PROVIDERS: list[Callable[[Database], list[MessageHandler]]] = []


def register_handlers(provider: Callable[[Database], list[MessageHandler]]) -> None:
    if provider not in HANDLER_PROVIDERS:
        HANDLER_PROVIDERS.append(provider)


def decode_message(sub: SubscriptionConfig, topic: str, payload: bytes) -> list[dict[str, Any]]:
    """A message → the records to load (mapped fields plus the values captured from the topic)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MessageError(f"Bản tin quá lớn ({len(payload)} byte; tối đa {MAX_PAYLOAD_BYTES}).")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageError(f"Bản tin không phải văn bản UTF-8 (byte lỗi ở vị trí {exc.start}).") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MessageError(f"JSON không hợp lệ: {exc.msg} (dòng {exc.lineno}, cột {exc.colno}).") from exc
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise MessageError("Bản tin phải là một đối tượng JSON (hoặc một mảng các đối tượng).")
    captured = topic_captures(sub.captures, topic)
    records = []
    for item in items:
        record = map_record(item, sub.field_map)
        record = {**record, **captured}
        records.append(record)
    return records


def _describe(exc: DomainError, single: bool) -> str:
    """A dead letter's error: the cell errors (column and message), else the load's message."""
    parts = ["Bản ghi không hợp lệ" if exc.errors and single else exc.message]
    for err in exc.errors[:5]:
        where = ", ".join(x for x in (
            f"dòng {err.row}" if err.row and not single else "",
            f"cột «{err.column}»" if err.column else "") if x)
        parts.append(f"{where}: {err.message}" if where else err.message)
    return " — ".join(parts)[:MAX_ERROR_CHARS]


@dataclass
class _Pending:
    topic: str
    payload: bytes
    record: dict[str, Any]
    received_at: datetime


@dataclass
class SubscriberStats:
    received: int = 0
    loaded_rows: int = 0
    batches: int = 0
    dead_letters: int = 0
    last_error: str | None = None
    last_message_at: datetime | None = None


class MqttSubscriber:
    """The background subscriber. ``start()``/``stop()``; ``wait_ready()`` blocks until the broker has
    acknowledged the current subscriptions (used by tests and health checks)."""

    def __init__(self, database: Database, warehouse: Warehouse, *, province_code: str, max_bytes: int,
                 host: str = "127.0.0.1", port: int = 1883, username: str | None = None,
                 password: str | None = None, reload_seconds: float = 30.0, client_id: str | None = None) -> None:
        self.database, self.warehouse = database, warehouse
        self.province_code, self.max_bytes = province_code, max_bytes
        self.host, self.port, self.username, self.password = host, port, username, password
        self.reload_seconds = reload_seconds
        self.client_id = client_id or f"dieuhanh-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.stats = SubscriberStats()
        self._queue: queue.Queue[tuple[str, bytes, datetime]] = queue.Queue(maxsize=QUEUE_SIZE)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self._connected = False
        self._subs: dict[int, SubscriptionConfig] = {}
        self._filters: frozenset[str] = frozenset()
        self._sent_mids: set[int] = set()
        self._acked_mids: set[int] = set()
        self._buffers: dict[int, list[_Pending]] = {}
        self._first_at: dict[int, float] = {}
        self._next_reload = 0.0
        self._handlers: dict[str, MessageHandler] = {}
        self._handler_buffers: dict[str, list[tuple[str, bytes, datetime]]] = {}
        self._handler_first_at: dict[str, float] = {}

    # ---------------------------------------------------------------------------------------- lifecycle

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mqtt-subscriber", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def reload_now(self) -> None:
        """Re-read the subscriptions at the next turn of the worker (e.g. right after one was added)."""
        self._ready.clear()
        self._next_reload = 0.0

    # ---------------------------------------------------------------------------------------- broker

    def _on_connect(self, client: Any, _userdata: Any, _flags: Any, reason_code: Any, _props: Any = None) -> None:
        if getattr(reason_code, "is_failure", False):
            log.warning("MQTT broker %s:%s refused the connection: %s", self.host, self.port, reason_code)
            return
        self._connected = True
        self._sent_mids, self._acked_mids = set(), set()
        self._subscribe(sorted(self._filters))

    def _on_disconnect(self, *_args: Any) -> None:
        self._connected = False
        self._ready.clear()

    def _on_subscribe(self, _client: Any, _userdata: Any, mid: int, reason_codes: Any = None, *_rest: Any) -> None:
        refused = [str(rc) for rc in reason_codes or [] if getattr(rc, "is_failure", False)]
        if refused:  # e.g. the broker's ACL forbids a topic: say so, the other filters still work
            self.stats.last_error = f"Máy chủ MQTT từ chối đăng ký: {', '.join(refused)}"
            log.warning("MQTT broker refused a subscription: %s", ", ".join(refused))
        self._acked_mids.add(mid)

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        try:
            self._queue.put_nowait((str(message.topic), bytes(message.payload), utcnow()))
        except queue.Full:
            log.error("MQTT queue full: message on %s dropped", message.topic)

    def _subscribe(self, filters: list[str]) -> None:
        if not filters or self._client is None:
            return
        result, mid = self._client.subscribe([(f, 1) for f in filters])
        if result == 0 and mid is not None:
            self._sent_mids.add(mid)

    def _connect(self) -> None:
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=True)
        if self.username:
            client.username_pw_set(self.username, self.password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        self._client = client
        client.connect_async(self.host, self.port, keepalive=30)
        client.loop_start()

    def _disconnect(self) -> None:
        if self._client is None:
            return
        try:
            self._client.disconnect()
            self._client.loop_stop()
        except Exception:  # noqa: BLE001
            log.exception("MQTT disconnect failed")
        self._client = None
        self._connected = False
        self._ready.clear()

    def _reload(self) -> None:
        with self.database.session() as session:
            subs = list(session.scalars(select(MqttSubscription).where(MqttSubscription.enabled.is_(True))))
            configs = {s.id: SubscriptionConfig.of(s) for s in subs}
        for gone in set(self._subs) - set(configs):
            self._flush(self._subs[gone])
        self._subs = configs
        handlers: dict[str, MessageHandler] = {}
        for provider in HANDLER_PROVIDERS:
            try:
                handlers.update({h.key: h for h in provider(self.database)})
            except Exception:  # noqa: BLE001  (a broken provider must not stop the dataset subscriptions)
                log.exception("MQTT handler provider failed")
        for gone_key in set(self._handlers) - set(handlers):
            self._flush_handler(self._handlers[gone_key])
        self._handlers = handlers
        filters = frozenset([*(c.filter for c in configs.values()), *(h.filter for h in handlers.values())])
        added, removed = filters - self._filters, self._filters - filters
        self._filters = filters
        if not filters:
            self._disconnect()
            return
        if self._client is None:
            self._connect()
        elif self._connected:
            if removed:
                self._client.unsubscribe(sorted(removed))
            if added:
                self._subscribe(sorted(added))

    # ---------------------------------------------------------------------------------------- worker

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._turn()
                except Exception as exc:  # noqa: BLE001  (the worker must survive a bad turn)
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                    log.exception("MQTT worker error")
                    self._stop.wait(1.0)
        finally:
            try:
                self._drain()
                for sub in list(self._subs.values()):
                    self._flush(sub)
                for handler in list(self._handlers.values()):
                    self._flush_handler(handler)
            except Exception:  # noqa: BLE001
                log.exception("MQTT worker could not flush on stop")
            self._disconnect()

    def _turn(self) -> None:
        now = time.monotonic()
        if now >= self._next_reload:
            self._next_reload = now + self.reload_seconds
            self._reload()
        if self._connected and self._sent_mids and self._sent_mids <= self._acked_mids:
            self._ready.set()
        elif not self._filters:
            self._ready.set()  # nothing to subscribe: ready by definition
        try:
            item = self._queue.get(timeout=0.1)
        except queue.Empty:
            pass
        else:
            self._accept(*item)
            self._drain(limit=1000)
        self._flush_due()

    def _drain(self, limit: int | None = None) -> None:
        count = 0
        while limit is None or count < limit:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            self._accept(*item)
            count += 1

    def _accept(self, topic: str, payload: bytes, received_at: datetime) -> None:
        self.stats.received += 1
        self.stats.last_message_at = received_at
        for sub in self._subs.values():
            if not topic_matches(sub.filter, topic):
                continue
            try:
                records = decode_message(sub, topic, payload)
            except MessageError as exc:
                self._dead_letter(sub, topic, payload, exc.message, received_at)
                continue
            buffer = self._buffers.setdefault(sub.id, [])
            if not buffer:
                self._first_at[sub.id] = time.monotonic()
            buffer.extend(_Pending(topic, payload, r, received_at) for r in records)
            if len(buffer) >= sub.batch_size:
                self._flush(sub)
        for handler in self._handlers.values():
            if not topic_matches(handler.filter, topic):
                continue
            pending = self._handler_buffers.setdefault(handler.key, [])
            if not pending:
                self._handler_first_at[handler.key] = time.monotonic()
            pending.append((topic, payload, received_at))
            if len(pending) >= handler.batch_size:
                self._flush_handler(handler)

    def _flush_due(self) -> None:
        now = time.monotonic()
        for sub_id, first in list(self._first_at.items()):
            sub = self._subs.get(sub_id)
            if sub is not None and now - first >= sub.max_wait_seconds:
                self._flush(sub)
        for handler_key, since in list(self._handler_first_at.items()):
            handler = self._handlers.get(handler_key)
            if handler is not None and now - since >= handler.max_wait_seconds:
                self._flush_handler(handler)

    def _flush_handler(self, handler: MessageHandler) -> None:
        items = self._handler_buffers.pop(handler.key, [])
        self._handler_first_at.pop(handler.key, None)
        if not items:
            return
        try:
            refused = handler.handle(items)
        except Exception as exc:  # noqa: BLE001  (keep every message rather than lose them)
            log.exception("MQTT handler %s failed", handler.key)
            refused = [(i, f"Không xử lý được: {type(exc).__name__}: {exc}") for i in range(len(items))]
        for index, error in refused:
            topic, payload, received_at = items[index]
            self._dead_letter(None, topic, payload, f"{handler.name}: {error}", received_at)

    def _flush(self, sub: SubscriptionConfig) -> None:
        items = self._buffers.pop(sub.id, [])
        self._first_at.pop(sub.id, None)
        if not items:
            return
        try:
            self._load(sub, items)
            return
        except InvalidInput as exc:
            if len(items) == 1:
                self._dead_letter(sub, items[0].topic, items[0].payload, _describe(exc, True), items[0].received_at)
                return
        except DomainError as exc:  # not the data's fault (no permission, dataset gone): keep every message
            self._dead_letter_all(sub, items, exc.message)
            return
        # The micro-batch failed validation: retry its records one by one so the good ones still land.
        for item in items:
            try:
                self._load(sub, [item])
            except DomainError as exc:
                self._dead_letter(sub, item.topic, item.payload, _describe(exc, True), item.received_at)

    def _load(self, sub: SubscriptionConfig, items: list[_Pending]) -> None:
        """One load, retried a few times on errors that are not the data's fault (busy warehouse, database
        connection); after that the records are dead-lettered with the error rather than lost."""
        records = [i.record for i in items]
        for attempt in range(1, LOAD_ATTEMPTS + 1):
            try:
                result = load_and_commit(
                    self.database, self.warehouse, principal=system_principal(sub.owner_agency, sub.name),
                    dataset_name=sub.dataset, source=records, filename=f"mqtt-{sub.id}.json", mode="append",
                    source_kind="mqtt", province_code=self.province_code, max_bytes=self.max_bytes)
            except DomainError as exc:
                if exc.status_code < 500 or attempt == LOAD_ATTEMPTS:
                    if exc.status_code >= 500:
                        self._dead_letter_all(sub, items, exc.message)
                        return
                    raise
            except Exception as exc:  # noqa: BLE001
                if attempt == LOAD_ATTEMPTS:
                    log.exception("MQTT load into %s failed", sub.dataset)
                    self._dead_letter_all(sub, items, f"Không nạp được: {type(exc).__name__}: {exc}")
                    return
            else:
                self.stats.batches += 1
                self.stats.loaded_rows += result.rows
                return
            self._stop.wait(float(2 ** (attempt - 1)))

    def _dead_letter_all(self, sub: SubscriptionConfig, items: list[_Pending], error: str) -> None:
        seen: set[int] = set()
        for item in items:
            if id(item.payload) not in seen:  # one dead letter per message, even if it held several records
                seen.add(id(item.payload))
                self._dead_letter(sub, item.topic, item.payload, error, item.received_at)

    def _dead_letter(self, sub: SubscriptionConfig | None, topic: str, payload: bytes, error: str,
                     received_at: datetime) -> None:
        self.stats.dead_letters += 1
        text = payload.decode("utf-8", errors="replace")
        if len(text) > MAX_DEAD_PAYLOAD_CHARS:
            text = text[:MAX_DEAD_PAYLOAD_CHARS] + f"… (cắt bớt, {len(payload)} byte)"
        try:
            with self.database.session() as session:
                session.add(DeadLetter(subscription_id=sub.id if sub else None, topic=topic[:255], payload=text,
                                       error=error[:MAX_ERROR_CHARS], received_at=received_at))
        except Exception:  # noqa: BLE001
            log.exception("could not store a dead letter for %s: %s", topic, error)


def subscriber_from_url(database: Database, warehouse: Warehouse, url: str, *, province_code: str,
                        max_bytes: int, **kwargs: Any) -> MqttSubscriber:
    """``mqtt://user:password@host:port`` → a subscriber."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp"):
        raise InvalidInput(f"Địa chỉ MQTT «{parts.scheme}://…» không được hỗ trợ: dùng mqtt://máy:cổng")
    return MqttSubscriber(database, warehouse, province_code=province_code, max_bytes=max_bytes,
                          host=parts.hostname or "127.0.0.1", port=parts.port or 1883,
                          username=unquote(parts.username) if parts.username else None,
                          password=unquote(parts.password) if parts.password else None, **kwargs)

