"""Items 7 and 8: a batch orphaned by kill -9 is removed at start-up; parallel loads of one dataset cannot
break a unique column on PostgreSQL."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest
from sqlalchemy import select

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.reconcile import reconcile
from dieuhanh.catalog.schemas import DatasetIn
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.security import SYSTEM
from dieuhanh.ingest import service as ingest

SCHEMA = [{"name": "ma", "type": "string", "required": True, "unique": True}, {"name": "so", "type": "integer"}]


def _dataset(db, name: str = "ho_so_thu") -> None:
    with db.session() as session:
        catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
            name=name, title="Hồ sơ thử", owner_agency="STP", access="internal", schema=SCHEMA))


def test_rows_of_a_batch_the_catalog_never_committed_are_removed_at_start_up(db, warehouse):
    _dataset(db)
    with db.session() as session:
        kept = ingest.load(session, warehouse, principal=SYSTEM, dataset_name="ho_so_thu", source=b"ma,so\nA,1\nB,2\n",
                           filename="a.csv", province_code="37", max_bytes=1_000_000).batch_id
    # kill -9 between the warehouse commit and the operational commit: rows without their load_batch row
    warehouse.append("ho_so_thu", pa.table({"ma": ["X", "Y", "Z"], "so": [7, 8, 9]}), "orphan-batch")
    with db.session() as session:
        removed = reconcile(session, warehouse)
    assert [(o.batch_id, o.rows) for o in removed] == [("orphan-batch", 3)]
    rows = warehouse.query("SELECT ma, _batch_id FROM ho_so_thu ORDER BY ma").to_pylist()
    assert rows == [{"ma": "A", "_batch_id": kept}, {"ma": "B", "_batch_id": kept}]
    with db.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "warehouse.reconcile"))
        assert entry is not None and entry.entity_id == "ho_so_thu"
        assert reconcile(session, warehouse) == []  # idempotent


# DuckDB has one writer per file (core/warehouse.py); the race is PostgreSQL's.
@pytest.mark.parametrize("store_kind", ["postgresql"], indirect=True)
def test_parallel_loads_of_one_dataset_run_one_after_the_other(db, warehouse):
    import psycopg

    warehouse.append("tai_song_song", pa.table({"ma": ["seed"]}), "seed")
    data = pa.table({"ma": [f"K{i}" for i in range(200)]})
    first_inside, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def unique_check(run) -> None:  # type: ignore[no-untyped-def]
        if run("SELECT ma FROM tai_song_song GROUP BY ma HAVING count(*) > 1"):
            raise ValueError("duplicate")

    def first_check(run) -> None:  # type: ignore[no-untyped-def]
        unique_check(run)
        first_inside.set()
        release.wait(10)

    def load(name: str, check) -> None:  # type: ignore[no-untyped-def]
        try:
            outcome[name] = warehouse.append("tai_song_song", data, name, check=check)
        except Exception as exc:  # noqa: BLE001
            outcome[name] = exc

    a = threading.Thread(target=load, args=("a", first_check))
    a.start()
    assert first_inside.wait(10)
    b = threading.Thread(target=load, args=("b", unique_check))
    b.start()
    # Either b finishes while a is still open (the race), or it waits for a's lock: see which, without sleeping.
    with psycopg.connect(warehouse.dsn, autocommit=True) as conn:
        while b.is_alive():
            waiting = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if waiting.fetchone()[0]:
                break
            b.join(0.02)
    release.set()
    a.join(10)
    b.join(10)
    assert outcome["a"] == 200 and isinstance(outcome["b"], ValueError)
    counts = warehouse.query("SELECT count(*) AS n, count(DISTINCT ma) AS d FROM tai_song_song").to_pylist()
    assert counts == [{"n": 201, "d": 201}]
