"""The live feed: what was committed reaches the connected screens (``GET /api/v1/events/stream``, SSE) at once.

Service functions put messages on the session (:func:`queue`); a SQLAlchemy ``after_commit`` listener hands them
to the :class:`Broadcaster` of that database, which copies each message (encoded once) into every subscriber's
asyncio queue with ``call_soon_threadsafe`` — the writers run in worker threads, the streams in the event loop.
Nothing is sent for a transaction that rolls back.

One process sees its own commits at once. Writes of *other* processes (a second uvicorn worker, the CLI) are picked
up by a poller that runs while at least one stream is open: once a second it reads events with an id above the
highest it has seen and incidents changed since its last look, and publishes what this process has not already sent
(ids are remembered). So with several workers the feed is complete but up to ~1 s later for events written by
another worker; see docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUE_LIMIT = 2000  # messages waiting for one slow client; beyond that it is told to reload (``overflow``)
POLL_SECONDS = 1.0
_INFO_KEY = "ops_live"


@dataclass
class Message:
    kind: str  # events | event_update | incident
    data: str  # JSON, encoded once for every subscriber
    last_id: int | None = None  # highest event id in the message (SSE ``id:``, for Last-Event-ID)
    keys: tuple[str, ...] = ()  # what the message carries (dedup between in-process publishing and the poller)
    _frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        """The SSE frame, encoded once for every stream (a list of 1.000 events is ~700 KB; 20 screens share it)."""
        if self._frame is None:
            from sse_starlette.event import ServerSentEvent

            self._frame = ServerSentEvent(data=self.data, event=self.kind,
                                          id=str(self.last_id) if self.last_id is not None else None).encode()
        return self._frame


@dataclass(eq=False)
class Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Message | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))
    overflowed: bool = False

    def put(self, message: Message | None) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True


class Broadcaster:
    """The subscribers of one database's feed in this process."""

    def __init__(self) -> None:
        self._subs: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._sent: OrderedDict[str, None] = OrderedDict()  # keys published recently
        self.poller: asyncio.Task[None] | None = None
        self.published = 0

    @property
    def count(self) -> int:
        return len(self._subs)

    def subscribe(self) -> Subscriber:
        sub = Subscriber(asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    def seen(self, key: str) -> bool:
        with self._lock:
            return key in self._sent

    def publish(self, message: Message) -> None:
        """From any thread. Keys already published are dropped from the message's reach (whole message skipped
        when every key was already sent)."""
        with self._lock:
            if message.keys and all(k in self._sent for k in message.keys):
                return
            for k in message.keys:
                self._sent[k] = None
            while len(self._sent) > 50_000:
                self._sent.popitem(last=False)
            subs = list(self._subs)
            self.published += 1
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.put, message)
            except RuntimeError:  # its loop is closed: the stream is gone
                self.unsubscribe(sub)


_broadcasters: dict[str, Broadcaster] = {}
_registry_lock = threading.Lock()


def broadcaster_for(url: str) -> Broadcaster:
    with _registry_lock:
        found = _broadcasters.get(url)
        if found is None:
            found = _broadcasters[url] = Broadcaster()
        return found


def _url(session: Session) -> str:
    return str(session.get_bind().engine.url)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def queue(session: Session, kind: str, payload: dict[str, Any], *, last_id: int | None = None,
          keys: tuple[str, ...] = ()) -> None:
    """Send ``payload`` to the live screens once the session's transaction commits."""
    session.info.setdefault(_INFO_KEY, []).append(Message(kind, dumps(payload), last_id, keys))


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_INFO_KEY, None)
    if not pending:
        return
    try:
        target = broadcaster_for(_url(session))
    except Exception:  # noqa: BLE001  (the session lost its bind: nothing to publish to)
        return
    for item in pending:
        try:
            target.publish(item)
        except Exception:  # noqa: BLE001  (the change is committed; a screen missing it catches up by polling)
            log.exception("live message not published")


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)


def event_key(event_id: int, updated: str) -> str:
    """An event's key: its id and last change (ids alone may come back after rows are deleted)."""
    return f"e{event_id}@{updated}"


def incident_key(incident_id: int, updated_at: datetime) -> str:
    return f"i{incident_id}@{updated_at.isoformat()}"
