"""The warehouse as a resubmission sees it: its writes and deletions follow the operational transaction.

The warehouse and the operational database cannot commit together. A resubmitted report adds a new batch and
removes the previous one; done in that order directly, a failure of the final operational commit would leave
the new rows without a record and the old rows gone. Through :class:`TransactionalWarehouse`:

* rows it appends are in the warehouse at once, under their new batch id, and are deleted again when the
  operational transaction ends without committing (rollback, failed commit, session closed);
* batches it is asked to drop stay until the operational transaction has committed; ``drop_batch`` answers
  with the number of rows that will go (what the catalog's row count needs now).

So until the commit the old and the new rows are both present (a reader may briefly count both); after a
failure only the old ones are. If the deferred deletion itself fails (warehouse busy, process killed right
after the commit), the rows of a batch the catalog shows as rolled back remain: it is logged with the batch id,
and ``DELETE FROM <dataset> WHERE _batch_id = '<id>'`` removes them.

Only the outermost transaction counts; savepoints are not tracked.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from dieuhanh.core.warehouse import BATCH_COLUMN, Check, Incoming, Warehouse, _quote

log = logging.getLogger(__name__)
_KEY = "dieuhanh.reporting.warehouse_tx"


@dataclass
class _Pending:
    warehouse: Warehouse
    on_commit: list[tuple[str, str]] = field(default_factory=list)  # (dataset, batch id) to drop after commit
    on_rollback: list[tuple[str, str]] = field(default_factory=list)  # to drop if the transaction fails


class TransactionalWarehouse:
    """A view of ``warehouse`` bound to ``session``'s transaction (see the module's docstring)."""

    def __init__(self, session: Session, warehouse: Warehouse) -> None:
        self.kind = warehouse.kind
        self._session = session
        self._warehouse = warehouse

    def _pending(self) -> _Pending:
        pending = self._session.info.get(_KEY)
        if pending is None:
            pending = self._session.info[_KEY] = _Pending(self._warehouse)
        return pending

    def append(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None) -> int:
        # Registered first: a failure between the append and the registration must not leave the rows behind.
        self._pending().on_rollback.append((dataset, batch_id))
        return self._warehouse.append(dataset, data, batch_id, check=check)

    def replace(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None) -> int:
        raise RuntimeError("A replaced table cannot be restored if the transaction fails: append instead.")

    def drop_batch(self, dataset: str, batch_id: str) -> int:
        if not self._warehouse.table_exists(dataset):
            return 0
        rows = self._warehouse.query(f"SELECT count(*) FROM {_quote(dataset)} WHERE {BATCH_COLUMN} = ?",
                                     [batch_id]).column(0)[0].as_py()
        self._pending().on_commit.append((dataset, batch_id))
        return int(rows)

    def drop_dataset(self, dataset: str) -> None:
        raise RuntimeError("A dropped table cannot be restored if the transaction fails.")

    def table_exists(self, dataset: str) -> bool:
        return self._warehouse.table_exists(dataset)

    def query(self, sql: str, params: Sequence[Any] | None = None, *, timeout: float | None = None,
              max_rows: int | None = None) -> pa.Table:
        return self._warehouse.query(sql, params, timeout=timeout, max_rows=max_rows)


def _drop(pending: _Pending, batches: list[tuple[str, str]], when: str) -> None:
    for dataset, batch_id in batches:
        try:
            pending.warehouse.drop_batch(dataset, batch_id)
        except Exception:
            log.exception("Could not remove batch %s of %s from the warehouse %s; delete its rows by hand.",
                          batch_id, dataset, when)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: the transaction goes on
        return
    pending = session.info.pop(_KEY, None)
    if pending is not None:
        _drop(pending, pending.on_commit, "after the commit")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    pending = session.info.pop(_KEY, None)  # still here: the outermost transaction ended without a commit
    if pending is not None:
        _drop(pending, pending.on_rollback, "after the failed transaction")
