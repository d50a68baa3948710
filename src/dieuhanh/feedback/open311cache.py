"""Answers of ``GET /open311/v2/requests`` kept while the reports they show have not changed.

Third-party apps poll the same filtered list again and again (every app asks "the open reports of this service
since …"); an answer of up to 1,000 reports costs tens of milliseconds to read and encode, while the data behind
it changes far less often than it is read. An answer is therefore kept, as encoded bytes, under its normalised
arguments (format, base address, ids, service codes, statuses, window) and the **version of the data** it was made
from, and served again only while that version is current:

* the *generation* of this process, raised whenever a session of this process writes a report, a service
  (category), an agency or an administrative unit — through the ORM (flush) or a statement (insert, update,
  delete on those tables) — both when it writes and when it commits;
* the database's own summary of the reports, ``max(id)`` and ``max(updated_at)`` of ``feedback_report`` (two
  index look-ups), which another process's new reports and workflow steps (a second worker, ``dieuhanh demo``)
  change too.

An entry is also dropped after ``TTL_SECONDS`` whatever happens, and the whole store is bounded
(``MAX_BYTES``, least recently used out first). No personal data is ever in an answer (the list never reads the
contact table), so nothing private is held here either.

Below the answers, each report's own encoded JSON object is kept too (``fragments``), under the report's and its
shown (main) report's ``updated_at`` — every change of a report sets it — and the *names generation* (raised by
writes of services, agencies or administrative units, whose names the object shows). A new question (another
window, another service) then reads only the ids and versions of its reports from the covering indexes of
migration 0025 and reads in full, and encodes, only the reports not kept in their current version.
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
NAME_TABLES = frozenset({"feedback_category", "agency", "admin_unit"})
MAX_FRAGMENTS = 100_000
_fragments: dict[int, tuple[tuple[Any, ...], bytes]] = {}
_names_generation = 0


def generation() -> int:
    return _generation


def bump() -> None:
    """Forget every kept answer (a write this process made, or a test that changes data behind the ORM)."""
    global _generation, _size
    with _lock:
        _generation += 1
        _entries.clear()
        _size = 0


def bump_names() -> None:
    """A name shown in the reports changed: forget the kept reports too."""
    global _names_generation
    with _lock:
        _names_generation += 1
        _fragments.clear()
    bump()


def fragments(keys: list[tuple[int, Any, int, Any]], tag: Any) -> tuple[dict[int, bytes], tuple[Any, ...]]:
    """The kept encoded reports among ``keys`` (``(id, updated_at, shown id, shown updated_at)``) in that
    version, and the stamp under which to keep the others (see :func:`keep`)."""
    stamp = (tag, _names_generation)
    found: dict[int, bytes] = {}
    with _lock:
        for key in keys:
            kept = _fragments.get(key[0])
            if kept is not None and kept[0] == (stamp, key):
                found[key[0]] = kept[1]
    return found, stamp


def keep(stamp: tuple[Any, ...], items: list[tuple[tuple[int, Any, int, Any], bytes]]) -> None:
    with _lock:
        if stamp[1] != _names_generation:
            return
        if len(_fragments) + len(items) > MAX_FRAGMENTS:
            _fragments.clear()
        for key, body in items:
            _fragments[key[0]] = ((stamp, key), body)


def data_version(session: Session) -> tuple[Any, ...]:
    from dieuhanh.feedback.models import Report

    # Two scalar subqueries, not one SELECT of two aggregates: SQLite answers a lone max() from the index's end
    # (two look-ups) but scans the whole updated_at index for max(id), max(updated_at) together.
    highest, latest = session.execute(select(select(func.max(Report.id)).scalar_subquery(),
                                             select(func.max(Report.updated_at)).scalar_subquery())).one()
    return _generation, highest, latest


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


def _touched(session: Session) -> set[str]:
    return {t for t in (getattr(o, "__tablename__", None) for o in (*session.new, *session.dirty, *session.deleted))
            if t in WATCHED_TABLES}


def _mark(session: Session, tables: set[str], *, reports_too: bool = False) -> None:
    """Forget kept answers (and, when names changed or ``reports_too``, the kept reports) now and at the commit."""
    if not tables:
        return
    names = reports_too or bool(tables & NAME_TABLES)
    session.info[_MARK] = session.info.get(_MARK, False) or names
    if names:
        bump_names()
    else:
        bump()


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    _mark(session, _touched(session))


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in WATCHED_TABLES:
        # An UPDATE or DELETE statement may change reports without touching their updated_at: the kept reports go
        # too (such statements are rare; an INSERT only adds new reports)
        _mark(state.session, {name}, reports_too=not state.is_insert)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if _MARK in session.info:
        bump_names() if session.info.pop(_MARK) else bump()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_MARK, None)
