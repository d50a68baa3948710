"""A key that changes whenever what the alert lists show may have changed (one cheap query), so pages may keep
their alert part in memory between changes: the overview's open alerts and overdue directives are rebuilt when
an alert fires, clears, is evaluated or acknowledged, a rule or silence changes, or a directive is given,
updated or closed, in this process or any other.

Names read alongside (agencies, units) have no change marker in the database; writes of this process bump
``generation()`` (see ``web.deps``), and entries built from them are kept at most ``MAX_AGE`` seconds, so an
agency renamed by another process shows within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Select, event, func, select
from sqlalchemy.orm import Session

from dieuhanh.alerts.models import AlertInstance, AlertRule, AlertStateChange, Directive, DirectiveUpdate, Silence
from dieuhanh.core.cache import LRUCache

T = TypeVar("T")

MAX_AGE = 60.0
_statement: Select[Any] | None = None
_generation = 0
_lock = threading.Lock()


def _state_statement() -> Select[Any]:
    global _statement
    if _statement is None:  # built once: constructing the statement costs more than running it
        _statement = select(
            select(func.count()).select_from(AlertInstance).scalar_subquery(),
            select(func.max(AlertInstance.id)).scalar_subquery(),
            select(func.max(AlertInstance.since)).scalar_subquery(),
            select(func.max(AlertInstance.last_evaluated_at)).scalar_subquery(),
            select(func.max(AlertInstance.acknowledged_at)).scalar_subquery(),
            select(func.max(AlertStateChange.id)).scalar_subquery(),
            select(func.count()).select_from(AlertRule).scalar_subquery(),
            select(func.max(AlertRule.updated_at)).scalar_subquery(),
            select(func.count()).select_from(Silence).scalar_subquery(),
            select(func.max(Silence.id)).scalar_subquery(),
            select(func.count()).select_from(Directive).scalar_subquery(),
            select(func.max(Directive.id)).scalar_subquery(),
            select(func.max(Directive.closed_at)).scalar_subquery(),
            select(func.sum(Directive.progress)).scalar_subquery(),
            select(func.max(DirectiveUpdate.id)).scalar_subquery(),
        )
    return _statement


def alerts_state(session: Session) -> tuple[Any, ...]:
    """The key: this process's write generation and the alert and directive tables' change markers."""
    row = session.execute(_state_statement()).one()
    return (generation(), *tuple(row))


def kept(session: Session, cache: LRUCache, key: tuple[Any, ...], build: Callable[[], T]) -> T:
    """``build()`` once per ``key`` and alert state (:func:`alerts_state`), at most ``MAX_AGE`` seconds: the
    pages' alert parts (the overview's, `/alerts`' triage). Callers check the caller's rights before, key by what
    the answer depends on, and must not change the value."""
    full = (*key, *alerts_state(session))
    found = cache.get(full)
    if found is None or time.monotonic() - found[0] >= MAX_AGE:
        found = (time.monotonic(), build())
        cache.put(full, found)
    value: T = found[1]
    return value


def generation() -> int:
    return _generation


def bump() -> None:
    """A write of this process touched alerts, directives, agencies or units."""
    global _generation
    with _lock:
        _generation += 1


_WATCHED: tuple[type, ...] = ()


def _watched() -> tuple[type, ...]:
    global _WATCHED
    if not _WATCHED:
        from dieuhanh.geo.models import AdminUnit
        from dieuhanh.orgs.models import Agency

        _WATCHED = (AlertInstance, AlertRule, AlertStateChange, Silence, Directive, DirectiveUpdate, Agency,
                    AdminUnit)
    return _WATCHED


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    watched = _watched()
    if any(isinstance(o, watched) for group in (session.new, session.dirty, session.deleted) for o in group):
        session.info["dieuhanh_alerts_changed"] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("dieuhanh_alerts_changed", False):
        bump()  # after the commit: an entry built between flush and commit cannot outlive the change


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("dieuhanh_alerts_changed", None)
