"""Answers of ``GET /open311/v2/requests`` kept while the reports they show have not changed.

Third-party apps poll the same filtered list again and again (every app asks "the open reports of this service
since …"); an answer of up to 1,000 reports costs tens of milliseconds to read and encode, while the data behind
it changes far less often than it is read. An answer is therefore kept, as encoded bytes, under its normalised
arguments (format, base address, ids, service codes, statuses, window) and the **version of the data** it was made
from, and served again only while that version is current:

* the *generation* of this process, raised whenever a session of this process writes a report, a service
  (category), an agency or an administrative unit — through the ORM (flush) or a statement (insert, update,
  delete on those tables) — both when it writes and when it commits;
* the database's own summary of the reports, ``count(*)`` and ``max(updated_at)`` of ``feedback_report`` (one
  index look-up and one count), which another process's writes (a second worker, ``dieuhanh demo``) change too.

An entry is also dropped after ``TTL_SECONDS`` whatever happens, and the whole store is bounded
(``MAX_BYTES``, least recently used out first). No personal data is ever in an answer (the list never reads the
contact table), so nothing private is held here either.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

TTL_SECONDS = 60.0
MAX_BYTES = 32 * 1024 * 1024
WATCHED_TABLES = frozenset({"feedback_report", "feedback_category", "agency", "admin_unit"})

_lock = threading.Lock()
_entries: OrderedDict[tuple[Any, ...], tuple[float, tuple[Any, ...], bytes, str]] = OrderedDict()
_size = 0
_generation = 0
_MARK = "open311_cache_dirty"


def generation() -> int:
    return _generation


def bump() -> None:
    """Forget every kept answer (a write this process made, or a test that changes data behind the ORM)."""
    global _generation, _size
    with _lock:
        _generation += 1
        _entries.clear()
        _size = 0


def data_version(session: Session) -> tuple[Any, ...]:
    from dieuhanh.feedback.models import Report

    count, latest = session.execute(select(func.count(Report.id), func.max(Report.updated_at))).one()
    return _generation, count, latest


def get(key: tuple[Any, ...], version: tuple[Any, ...]) -> tuple[bytes, str] | None:
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            return None
        made, entry_version, body, media_type = entry
        if entry_version != version or time.monotonic() - made > TTL_SECONDS:
            _drop(key)
            return None
        _entries.move_to_end(key)
        return body, media_type


def put(key: tuple[Any, ...], version: tuple[Any, ...], body: bytes, media_type: str) -> None:
    global _size
    if len(body) > MAX_BYTES // 8 or version[0] != _generation:
        return
    with _lock:
        _drop(key)
        _entries[key] = (time.monotonic(), version, body, media_type)
        _size += len(body)
        while _size > MAX_BYTES and _entries:
            _drop(next(iter(_entries)))


def _drop(key: tuple[Any, ...]) -> None:
    global _size
    entry = _entries.pop(key, None)
    if entry is not None:
        _size -= len(entry[2])


# ------------------------------------------------------------------------------------------------ invalidation


def _watched_objects(session: Session) -> bool:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", None)
        if table in WATCHED_TABLES:
            return True
    return False


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _watched_objects(session):
        session.info[_MARK] = True
        bump()


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in WATCHED_TABLES:
        state.session.info[_MARK] = True
        bump()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_MARK, False):
        bump()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_MARK, None)
