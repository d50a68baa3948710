"""Loads stay atomic across the two stores when the final operational commit fails (both stores).

``ingest.load`` writes the warehouse first and the caller commits the ``LoadBatch`` later. If that commit fails:
an append leaves no row of its batch, a replace leaves every previous row, a catalog batch rollback leaves the
batch's rows; a committed load keeps its rows.

The fault is injected at the database edge: a SQLAlchemy ``before_commit`` listener raises, as a lost
connection or a refused commit would. None of our components is replaced."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from catalog_helpers import dataset_body
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core.security import SYSTEM
from dieuhanh.ingest import service as ingest

sys.path.insert(0, str(Path(__file__).parents[1] / "publicservices"))

from ps_sync_helpers import dossier, procedure  # noqa: E402

NAME = "chi_tieu_xa"
SCHEMA = [{"name": "ma_xa", "type": "unit_code", "required": True}, {"name": "gia_tri", "type": "number"}]
FIRST = [{"ma_xa": "13285", "gia_tri": 1}, {"ma_xa": "13291", "gia_tri": 2}, {"ma_xa": "13318", "gia_tri": 3}]
SECOND = [{"ma_xa": "13669", "gia_tri": 40}, {"ma_xa": "13708", "gia_tri": 50}]


class InjectedFault(Exception):
    pass


def _refuse_commit(session: Session) -> None:
    raise InjectedFault("commit refused (injected fault)")


def _define(db: Any, schema: list[dict[str, Any]] = SCHEMA) -> None:
    with db.session() as session:
        catalog.create_dataset(session, principal=SYSTEM,
                               dataset_in=DatasetIn.model_validate(dataset_body(name=NAME, schema=schema)))


def _load(session: Session, warehouse: Any, records: list[dict[str, Any]], mode: str = "append") -> str:
    return ingest.load(session, warehouse, principal=SYSTEM, dataset_name=NAME, source=records, mode=mode,
                       province_code="37", max_bytes=1 << 20).batch_id


def _rows(warehouse: Any, name: str = NAME) -> list[tuple[Any, ...]]:
    if not warehouse.table_exists(name):
        return []
    return [tuple(r.values()) for r in warehouse.query(
        f"SELECT ma_xa, gia_tri, _batch_id FROM {name} ORDER BY ma_xa").to_pylist()]


def _catalog(db: Any, name: str = NAME) -> tuple[int, dict[str, str]]:
    with db.session() as session:
        ds = session.scalar(select(Dataset).where(Dataset.name == name))
        assert ds is not None
        return ds.row_count, dict(session.execute(select(LoadBatch.id, LoadBatch.status)
                                                  .where(LoadBatch.dataset_id == ds.id)).all())


def _holding_tables(warehouse: Any) -> list[str]:
    schema = "'main'" if warehouse.kind == "duckdb" else "current_schema()"
    return warehouse.query(f"SELECT table_name FROM information_schema.tables WHERE table_schema = {schema} "
                           "AND table_name LIKE 'replaced%'").column(0).to_pylist()


@pytest.fixture
def loaded(db: Any, warehouse: Any) -> str:
    """The dataset with one committed batch of three rows; returns its batch id."""
    _define(db)
    with db.session() as session:
        return _load(session, warehouse, FIRST)


def _first_rows(batch: str) -> list[tuple[Any, ...]]:
    return [(r["ma_xa"], float(r["gia_tri"]), batch) for r in FIRST]


def test_committed_load_keeps_its_rows_even_if_the_session_later_rolls_back(db, warehouse, loaded) -> None:
    assert _rows(warehouse) == _first_rows(loaded)
    with db.session() as session:
        second = _load(session, warehouse, SECOND)
        session.commit()
        session.execute(select(Dataset.id)).all()
        session.rollback()  # a later transaction of the same session: nothing of the committed load is undone
    assert {r[2] for r in _rows(warehouse)} == {loaded, second} and len(_rows(warehouse)) == 5
    assert _catalog(db) == (5, {loaded: "loaded", second: "loaded"})


def test_failed_commit_of_an_append_leaves_no_row_of_its_batch(db, warehouse, loaded) -> None:
    with pytest.raises(InjectedFault), db.session() as session:
        event.listen(session, "before_commit", _refuse_commit)
        new = _load(session, warehouse, SECOND)
        assert len(_rows(warehouse)) == 5  # in the warehouse until the transaction ends
    assert new not in {r[2] for r in _rows(warehouse)}
    assert _rows(warehouse) == _first_rows(loaded)
    assert _catalog(db) == (3, {loaded: "loaded"})


def test_failed_commit_of_a_replace_keeps_every_previous_row(db, warehouse, loaded) -> None:
    with pytest.raises(InjectedFault), db.session() as session:
        event.listen(session, "before_commit", _refuse_commit)
        new = _load(session, warehouse, SECOND, mode="replace")
        # Readers see what a replace gives them: only the new rows.
        assert [r[2] for r in _rows(warehouse)] == [new, new]
    assert _rows(warehouse) == _first_rows(loaded)
    assert _catalog(db) == (3, {loaded: "loaded"})
    assert _holding_tables(warehouse) == []

    with db.session() as session:
        new = _load(session, warehouse, SECOND, mode="replace")
    assert _rows(warehouse) == [("13669", 40.0, new), ("13708", 50.0, new)]
    assert _catalog(db) == (2, {loaded: "superseded", new: "loaded"})
    assert _holding_tables(warehouse) == []


def test_failed_commit_of_a_replace_after_a_schema_change_restores_the_old_rows(db, warehouse, loaded) -> None:
    with db.session() as session:
        catalog.update_schema(session, principal=SYSTEM, name=NAME, columns=[
            *[ColumnIn.model_validate(c) for c in SCHEMA], ColumnIn(name="ghi_chu", type="string")])
    with pytest.raises(InjectedFault), db.session() as session:
        event.listen(session, "before_commit", _refuse_commit)
        _load(session, warehouse, [{**r, "ghi_chu": "mới"} for r in SECOND], mode="replace")
    assert _rows(warehouse) == _first_rows(loaded)
    assert warehouse.query(f"SELECT count(ghi_chu) FROM {NAME}").column(0)[0].as_py() == 0


def test_two_replaces_in_one_failed_transaction_restore_the_first_state(db, warehouse, loaded) -> None:
    with pytest.raises(InjectedFault), db.session() as session:
        event.listen(session, "before_commit", _refuse_commit)
        _load(session, warehouse, SECOND, mode="replace")
        _load(session, warehouse, FIRST[:1], mode="replace")
        _load(session, warehouse, SECOND[:1])
    assert _rows(warehouse) == _first_rows(loaded)
    assert _holding_tables(warehouse) == []


def test_failed_bookkeeping_undoes_the_write_at_once(db, warehouse, loaded) -> None:
    """The flush of the LoadBatch fails: the rows go (a replace's old rows come back) before load() raises, and
    the caller's rollback does not touch the warehouse again."""

    def refuse_flush(session: Session, *_: Any) -> None:
        raise InjectedFault("flush refused (injected fault)")

    for mode in ("append", "replace"):
        with db.session() as session:
            session.execute(select(Dataset.id)).all()
            event.listen(session, "before_flush", refuse_flush)
            with pytest.raises(InjectedFault):
                _load(session, warehouse, SECOND, mode=mode)
            assert _rows(warehouse) == _first_rows(loaded), mode
            event.remove(session, "before_flush", refuse_flush)
            session.rollback()
            second = _load(session, warehouse, SECOND)  # the session goes on normally
        assert _rows(warehouse)[-2:] == [("13669", 40.0, second), ("13708", 50.0, second)]
        with db.session() as session:
            catalog.rollback_batch(session, warehouse, principal=SYSTEM, name=NAME, batch_id=second)
        assert _rows(warehouse) == _first_rows(loaded)
        assert _holding_tables(warehouse) == []


def test_failed_commit_of_a_batch_rollback_keeps_its_rows(db, warehouse, loaded) -> None:
    with pytest.raises(InjectedFault), db.session() as session:
        event.listen(session, "before_commit", _refuse_commit)
        batch = catalog.rollback_batch(session, warehouse, principal=SYSTEM, name=NAME, batch_id=loaded)
        assert batch.status == "rolled_back"
    assert _rows(warehouse) == _first_rows(loaded)
    assert _catalog(db) == (3, {loaded: "loaded"})

    with db.session() as session:
        catalog.rollback_batch(session, warehouse, principal=SYSTEM, name=NAME, batch_id=loaded)
        assert len(_rows(warehouse)) == 3  # deleted only once the rollback is committed
    assert _rows(warehouse) == []
    assert _catalog(db) == (0, {loaded: "rolled_back"})


# ------------------------------------------------------------------------------------------- other writers


def _count(warehouse: Any, name: str) -> int:
    return int(warehouse.query(f"SELECT count(*) FROM {name}").column(0)[0].as_py())


def test_failed_commit_of_public_service_pushes_leaves_the_warehouse_as_it_was(db, warehouse) -> None:
    from dieuhanh.publicservices import service as ps

    with db.session() as session:
        ps.upsert_procedures(session, warehouse, [procedure("1.000001")], principal=SYSTEM, province_code="37")
        ps.upsert_dossiers(session, warehouse, [dossier("HS-0001")], principal=SYSTEM, province_code="37")
    before = {t: _rows_of(warehouse, t) for t in ("tthc_thu_tuc", "tthc_ho_so")}
    assert [len(v) for v in before.values()] == [1, 1]

    with pytest.raises(InjectedFault), db.session() as session:
        event.listen(session, "before_commit", _refuse_commit)
        ps.upsert_procedures(session, warehouse, [procedure("1.000002", agency="SYT")], principal=SYSTEM,
                             province_code="37")
        ps.upsert_dossiers(session, warehouse, [dossier("HS-0002"), dossier("HS-0001", updated="20250613090000")],
                           principal=SYSTEM, province_code="37")
        assert _count(warehouse, "tthc_thu_tuc") == 2 and _count(warehouse, "tthc_ho_so") == 3
    assert {t: _rows_of(warehouse, t) for t in before} == before


def _rows_of(warehouse: Any, name: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in warehouse.query(f"SELECT * FROM {name}").to_pylist())


def test_failed_commit_of_stored_766_results_brings_the_previous_results_back(db, warehouse) -> None:
    from dieuhanh.publicservices import compute

    def results(score: float) -> pa.Table:
        return pa.Table.from_pylist([{"period": "2025-06", "period_type": "month", "scope": "province",
                                      "unit_code": "37", "indicator_code": "tong", "kind": "total",
                                      "score": score, "computed_at": datetime(2025, 7, 1)}],
                                    schema=compute.RESULT_SCHEMA)

    with db.session() as session:
        first = compute.store(session, warehouse, results(70.0), principal=SYSTEM)
    with pytest.raises(InjectedFault), db.session() as session:
        event.listen(session, "before_commit", _refuse_commit)
        compute.store(session, warehouse, results(90.0), principal=SYSTEM)
    assert [(r["score"], r["_batch_id"]) for r in warehouse.query(f"SELECT * FROM {compute.RESULTS}").to_pylist()] \
        == [(70.0, first)]


# ------------------------------------------------------------------------------------------------- web


def test_pushed_batch_whose_commit_fails_is_a_500_and_leaves_no_row(app, db, warehouse, agency_token) -> None:
    from fastapi.testclient import TestClient

    _define(db)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        ok = client.post(f"/api/v1/datasets/{NAME}/batches", json={"records": FIRST}, headers=agency_token)
        assert ok.status_code == 201, ok.text
        event.listen(app.state.db.session_factory, "before_commit", _refuse_commit)
        try:
            for mode in ("append", "replace"):
                failed = client.post(f"/api/v1/datasets/{NAME}/batches", params={"mode": mode},
                                     json={"records": SECOND}, headers=agency_token)
                assert failed.status_code == 500, (mode, failed.text)
        finally:
            event.remove(app.state.db.session_factory, "before_commit", _refuse_commit)
    batch = ok.json()["batch_id"]
    assert _rows(warehouse) == _first_rows(batch)
    assert _catalog(db) == (3, {batch: "loaded"})
