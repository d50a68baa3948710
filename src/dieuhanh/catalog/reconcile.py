"""Start-up reconciliation of the warehouse with the operational database.

A load writes its rows to the warehouse first and commits its ``LoadBatch`` row in the operational database
after (core/warehouse_tx.py). A process killed in between (kill -9, power loss) leaves rows whose batch the
catalog does not know: visible to SQL, indicators and the Decision 766 computation, though never loaded. At
start-up, for every catalog dataset, rows of a batch that has no ``LoadBatch`` row, or whose batch was rolled
back, are deleted, and each removal is logged and audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.core import audit
from dieuhanh.core.warehouse import BATCH_COLUMN, Warehouse, _quote

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Orphan:
    dataset: str
    batch_id: str
    rows: int


def reconcile(session: Session, warehouse: Warehouse) -> list[Orphan]:
    """Delete warehouse rows of batches not committed in the operational database; returns what went."""
    removed: list[Orphan] = []
    for ds in session.scalars(select(Dataset).order_by(Dataset.name)):
        if not warehouse.table_exists(ds.name):
            continue
        present = warehouse.query(f"SELECT DISTINCT {BATCH_COLUMN} AS b FROM {_quote(ds.name)}").column(0).to_pylist()
        if not present:
            continue
        known = dict(session.execute(select(LoadBatch.id, LoadBatch.status).where(LoadBatch.dataset_id == ds.id)).all())
        for batch_id in present:
            status = known.get(batch_id)
            if status is not None and status != "rolled_back":
                continue
            rows = warehouse.drop_batch(ds.name, str(batch_id))
            removed.append(Orphan(ds.name, str(batch_id), rows))
            log.warning("Reconciliation: removed %s rows of batch %s from %s (%s in the operational database).",
                        rows, batch_id, ds.name, "rolled back" if status else "not committed")
            audit.record(session, actor="system", action="warehouse.reconcile", entity_type="dataset",
                         entity_id=ds.name, before={"batch_id": str(batch_id), "rows": rows,
                                                    "status": status or "missing"}, after=None)
    return removed
