"""The data version of DTI results, so that the rankings are computed when their inputs change and read from
memory on every other GET (issue 24: `/chuyen-doi-so` recomputed every automatic answer and every score on each
view).

Inputs of :func:`dieuhanh.dti.service.results`: the DTI rows (frameworks, campaigns, forms, answers), the
indicator values automatic answers read, the warehouse datasets their SQL reads, the agencies (names, communes)
and the day (``as_of``). The version is one small query each:

* ``dti.version`` in ``app_meta``: a new random value written in the same transaction as any change to a DTI row
  (ORM flushes, see :func:`_bump_on_flush`; the service's Core statements call :func:`bump`), so it commits or
  rolls back with the change and every process sees it;
* the definitions (``updated_at``, ``computed_at``) and the highest value id of the indicators the campaign's
  automatic answers read (a computation replaces a definition's values and stamps ``computed_at``);
* the catalog states of the datasets their SQL reads (every dataset when a query cannot be parsed), so the
  snapshots other modules load every few minutes do not invalidate the rankings;
* the agencies' codes, names and communes (a hash of the rows).

The results are stored only when the version read before computing them equals the version read after, so a view
never keeps a mix of two versions; when they differ (usually because the computation refreshed automatic answers
itself) it computes once more on the new state and keeps that if nothing moved again (under the version of its
own transaction: visible to other views once it commits, never if it rolls back).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, event, func, insert, select, update
from sqlalchemy.orm import Session

from dieuhanh.core.cache import LRUCache
from dieuhanh.core.meta import AppMeta

KEY = "dti.version"
TTL_SECONDS = 600.0  # bounds what a change behind the version's back (a direct SQL edit) could leave
_kept = LRUCache(32)


def bump(session: Session) -> None:
    """A new DTI version in the session's transaction."""
    conn = session.connection()
    value = uuid.uuid4().hex
    table = cast(Table, AppMeta.__table__)
    done = conn.execute(update(table).where(table.c.key == KEY).values(value=value))
    if not done.rowcount:
        conn.execute(insert(table).values(key=KEY, value=value))


def _dti_types() -> tuple[type, ...]:
    from dieuhanh.dti.models import DtiAnswer, DtiCampaign, DtiEvidenceFile, DtiForm, DtiFramework

    return DtiAnswer, DtiCampaign, DtiEvidenceFile, DtiForm, DtiFramework


@event.listens_for(Session, "before_flush")
def _bump_on_flush(session: Session, flush_context: Any, instances: Any) -> None:
    """Any DTI row this flush adds, changes or deletes changes the version in the same transaction — written
    before the rows, so that concurrent DTI writers queue on the version row first (PostgreSQL: no deadlock
    between a transaction holding the version and one holding an answer the first one needs next)."""
    types = _dti_types()
    for objects in (session.new, session.deleted, session.dirty):
        if any(isinstance(o, types) for o in objects):
            bump(session)
            return


def version(session: Session, today: date, codes: tuple[str, ...],
            tables: tuple[str, ...] | None) -> tuple[Any, ...]:
    """``codes``: the indicators automatic answers read; ``tables``: the datasets their SQL reads (None: any)."""
    from dieuhanh.catalog.models import Dataset
    from dieuhanh.catalog.service import datasets_state
    from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue
    from dieuhanh.orgs.models import Agency

    own = session.scalar(select(AppMeta.value).where(AppMeta.key == KEY))
    # A computation replaces a definition's values (new ids) and stamps its computed_at.
    indicators = (tuple(session.execute(select(IndicatorDefinition.code, IndicatorDefinition.updated_at,
                                               IndicatorDefinition.computed_at)
                                        .where(IndicatorDefinition.code.in_(codes))
                                        .order_by(IndicatorDefinition.code)).all()),
                  session.scalar(select(func.max(IndicatorValue.id)).where(IndicatorValue.code.in_(codes)))
                  ) if codes else ()
    if tables is None:
        datasets: tuple[Any, ...] = tuple(session.execute(select(
            func.count(), func.max(Dataset.updated_at), func.max(Dataset.last_batch_at),
            func.sum(Dataset.row_count))).one())
    else:
        datasets = datasets_state(session, tables) if tables else ()
    agencies = hash(tuple(session.execute(select(Agency.code, Agency.name, Agency.unit_code)
                                          .order_by(Agency.code)).all()))
    return own, indicators, datasets, agencies, today


def kept(session: Session, key: tuple[Any, ...], today: date, codes: tuple[str, ...], tables: tuple[str, ...] | None,
         compute: Callable[[], dict[str, Any]], *, max_age: float = TTL_SECONDS) -> dict[str, Any]:
    """``compute()`` once per DTI data version (see above); ``max_age``: a kept value older than this is computed
    again (the job passes less than the TTL). Callers must not change the value."""
    before = version(session, today, codes, tables)
    found = _kept.get((key, before))
    now = time.monotonic()
    if found is not None and now - found[0] < min(max_age, TTL_SECONDS):
        return found[1]  # type: ignore[no-any-return]
    value = compute()
    after = version(session, today, codes, tables)
    if after != before:  # usually the computation's own refresh of automatic answers: once more, on that state
        before, value = after, compute()
        after = version(session, today, codes, tables)
    if after == before:
        _kept.put((key, before), (now, value))
    return value
