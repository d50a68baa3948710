"""Values computed from warehouse datasets (the traffic links and anomalies, the waste model's base year), kept
per *data version*: the catalog state of the datasets they read (id, row count, last load, schema version, last
change), read in one query on each request. Every load, replace, rolled-back batch or schema change changes that
state, so a page shows a change at once; a value is stored only whole, after it was computed, and only when the
state read after computing it is still the one read before (a load committed meanwhile is never kept under the
older state). Datasets are made and loaded through the catalog; the TTL bounds what a change outside it (a table
written directly) could leave behind, as for ``catalog.service.dataset_summary``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core.cache import LRUCache
from dieuhanh.core.warehouse import Warehouse

T = TypeVar("T")
TTL_SECONDS = 600.0
_kept = LRUCache(64)


def datasets_version(session: Session, warehouse: Warehouse, names: Sequence[str]) -> tuple[Any, ...]:
    """The state of these datasets in the catalog (a dataset not in it yet is absent from the tuple; its
    creation changes the version)."""
    from dieuhanh.catalog.models import Dataset
    from dieuhanh.catalog.service import _warehouse_key

    rows = session.execute(select(Dataset.name, Dataset.id, Dataset.row_count, Dataset.last_batch_at,
                                  Dataset.schema_version, Dataset.updated_at)
                           .where(Dataset.name.in_(list(names))).order_by(Dataset.name)).all()
    return (str(session.get_bind().engine.url), _warehouse_key(warehouse), tuple(tuple(r) for r in rows))


def kept(session: Session | None, warehouse: Warehouse, what: tuple[Any, ...], names: Sequence[str],
         compute: Callable[[], T], *, max_age: float = TTL_SECONDS) -> T:
    """``compute()`` once per data version of ``names`` (and ``what``); computed every time without a session.
    ``max_age``: a kept value older than this is computed again (the job passes less than the TTL, so that views
    do not meet an expired value). Callers must not change the value they get."""
    if session is None:
        return compute()
    version = datasets_version(session, warehouse, names)
    key = (what, version)
    found = _kept.get(key)
    now = time.monotonic()
    if found is not None and now - found[0] < min(max_age, TTL_SECONDS):
        return found[1]  # type: ignore[no-any-return]
    with warehouse.reading():  # one open of the warehouse for the computation's reads
        value = compute()
    if datasets_version(session, warehouse, names) == version:  # no load committed while computing
        _kept.put(key, (now, value))
    return value
