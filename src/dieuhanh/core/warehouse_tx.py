"""Warehouse writes that follow the operational transaction.

The warehouse and the operational database cannot commit together, and a load's record (``LoadBatch``, row
count, audit row, a report submission …) is committed by the caller after the warehouse already holds the rows
(the request's ``_db`` dependency, ``Database.session()``, a job, the demo). Through
:class:`TransactionalWarehouse`, bound to the session that will hold the record:

* rows it appends are in the warehouse at once, under their new batch id, and are deleted again when the
  session's outermost transaction ends without a commit (rollback, failed commit, session closed);
* a replace moves the previous rows, in the warehouse's own transaction, into a holding table
  (``replaced_<hex>``) and loads the new ones: readers see what a plain replace gives them. After the commit
  the holding table is dropped; if the transaction ends without a commit the new rows go and the held ones
  come back (rows other loads appended in the meantime stay);
* batches it is asked to drop stay until the transaction has committed; ``drop_batch`` answers with the number
  of rows that will go (what the catalog's row count needs now).

Several writes in one transaction are undone in reverse order. Wrapping a ``TransactionalWarehouse`` of the same
session again gives the same bookkeeping (no double undo).

Remaining windows: between the commit and the deferred deletions readers still see the rows of a batch the
catalog shows as rolled back (milliseconds). If a deferred deletion or an undo itself fails (warehouse busy,
process killed just after the commit or before the undo), it is logged with the batch id and the rows stay:
``DELETE FROM <dataset> WHERE _batch_id = '<id>'`` removes a batch; a left ``replaced_<hex>`` table holds the
rows a replace took out (``INSERT INTO <dataset> BY NAME SELECT * FROM replaced_<hex>`` restores them when its
replace was not committed; drop it otherwise).

Only the outermost transaction counts; savepoints are not tracked (no load runs inside one).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from dieuhanh.core.warehouse import BATCH_COLUMN, Check, Incoming, ReadScope, Warehouse, _quote

log = logging.getLogger(__name__)
_KEY = "dieuhanh.warehouse_tx"


@dataclass(frozen=True)
class _Step:
    """One warehouse action run after the transaction: ``drop_batch`` of (dataset, batch); ``restore`` the rows
    held in ``kept`` in place of the batch; ``release`` (drop) the holding table ``kept``."""

    action: str
    dataset: str
    batch_id: str
    kept: str | None = None

    def run(self, warehouse: Warehouse) -> None:
        if self.action == "drop_batch":
            warehouse.drop_batch(self.dataset, self.batch_id)
        elif self.action == "restore":
            assert self.kept is not None
            warehouse.restore(self.dataset, self.batch_id, self.kept)
        else:
            assert self.kept is not None
            warehouse.drop_dataset(self.kept)


@dataclass
class _Pending:
    warehouse: Warehouse
    on_commit: list[_Step] = field(default_factory=list)  # after the commit, in order
    on_rollback: list[_Step] = field(default_factory=list)  # if the transaction fails, in reverse order


class TransactionalWarehouse:
    """A view of ``warehouse`` bound to ``session``'s transaction (see the module's docstring)."""

    _session: Session
    _warehouse: Warehouse

    def __init__(self, session: Session, warehouse: Warehouse) -> None:
        if isinstance(warehouse, TransactionalWarehouse) and warehouse._session is session:
            warehouse = warehouse._warehouse
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
        # An append that raises stored nothing (one warehouse transaction): nothing to undo then.
        undo = _Step("drop_batch", dataset, batch_id)
        pending = self._pending()
        pending.on_rollback.append(undo)
        try:
            return self._warehouse.append(dataset, data, batch_id, check=check)
        except BaseException:
            pending.on_rollback.remove(undo)
            raise

    def replace(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None,
                keep_as: str | None = None) -> int:
        if keep_as is not None:
            raise ValueError("TransactionalWarehouse chooses its own holding table.")
        kept = f"replaced_{uuid.uuid4().hex}"
        undo = _Step("restore", dataset, batch_id, kept)
        pending = self._pending()
        pending.on_rollback.append(undo)
        try:
            rows = self._warehouse.replace(dataset, data, batch_id, check=check, keep_as=kept)
        except BaseException:
            pending.on_rollback.remove(undo)
            raise
        pending.on_commit.append(_Step("release", dataset, batch_id, kept))
        return rows

    def undo(self, dataset: str, batch_id: str) -> None:
        """Undo now what this transaction wrote for ``batch_id`` (its bookkeeping failed and the caller may go on
        with the session); the commit or rollback later does not touch it again."""
        pending: _Pending | None = self._session.info.get(_KEY)
        if pending is None:
            return
        steps = [s for s in pending.on_rollback if (s.dataset, s.batch_id) == (dataset, batch_id)]
        kept = {s.kept for s in steps}
        pending.on_rollback = [s for s in pending.on_rollback if s not in steps]
        pending.on_commit = [s for s in pending.on_commit if not (s.action == "release" and s.kept in kept)]
        _run(pending, list(reversed(steps)), "after its bookkeeping failed")

    def restore(self, dataset: str, batch_id: str, kept: str) -> None:
        raise RuntimeError("Restores follow the transaction: use undo().")

    def drop_batch(self, dataset: str, batch_id: str) -> int:
        if not self._warehouse.table_exists(dataset):
            return 0
        rows = self._warehouse.query(f"SELECT count(*) FROM {_quote(dataset)} WHERE {BATCH_COLUMN} = ?",
                                     [batch_id]).column(0)[0].as_py()
        self._pending().on_commit.append(_Step("drop_batch", dataset, batch_id))
        return int(rows)

    def drop_dataset(self, dataset: str) -> None:
        raise RuntimeError("A dropped table cannot be restored if the transaction fails.")

    def table_exists(self, dataset: str) -> bool:
        return self._warehouse.table_exists(dataset)

    def query(self, sql: str, params: Sequence[Any] | None = None, *, timeout: float | None = None,
              max_rows: int | None = None, scope: ReadScope | None = None) -> pa.Table:
        return self._warehouse.query(sql, params, timeout=timeout, max_rows=max_rows, scope=scope)

    def reading(self) -> AbstractContextManager[None]:
        return self._warehouse.reading()


def _run(pending: _Pending, steps: list[_Step], when: str) -> None:
    for step in steps:
        try:
            step.run(pending.warehouse)
        except Exception:
            log.exception("Warehouse %s of batch %s of %s failed %s (holding table %s); fix it by hand.",
                          step.action, step.batch_id, step.dataset, when, step.kept or "-")


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released: the transaction goes on
        return
    pending = session.info.pop(_KEY, None)
    if pending is not None:
        _run(pending, pending.on_commit, "after the commit")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None or transaction.nested:
        return
    pending = session.info.pop(_KEY, None)  # still here: the outermost transaction ended without a commit
    if pending is not None:
        _run(pending, list(reversed(pending.on_rollback)), "after the failed transaction")
