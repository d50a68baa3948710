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

from sqlalchemy.orm import Session

from dieuhanh.core.cache import LRUCache
from dieuhanh.core.warehouse import Warehouse

T = TypeVar("T")
TTL_SECONDS = 600.0
_kept = LRUCache(64)


def datasets_version(session: Session, warehouse: Warehouse, names: Sequence[str]) -> tuple[Any, ...]:
    """The state of these datasets in the catalog (``catalog.service.datasets_state``) in these stores."""
    from dieuhanh.catalog.service import datasets_state, warehouse_key

    return (str(session.get_bind().engine.url), warehouse_key(warehouse), datasets_state(session, names))


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
