"""A resubmission is all or nothing across the two stores: when the operational commit fails, the previous
submission and its rows stay and the new rows go (both stores).

The fault is injected at the database edge: a SQLAlchemy ``before_commit`` listener on the one session that
makes the resubmission raises, as a lost connection or a refused commit would. Nothing of ours is replaced."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))

from reporting_helpers import make_type, rows_of  # noqa: E402

from dieuhanh.catalog.models import Dataset, LoadBatch  # noqa: E402
from dieuhanh.core.security import SYSTEM  # noqa: E402
from dieuhanh.reporting import service  # noqa: E402
from dieuhanh.reporting.models import ReportSubmission  # noqa: E402

DATASET = "bao_cao_kt_xh_thang_tn"
VALUES = {"giai_ngan_von": "12,5", "doanh_thu": "1.234,5", "so_nhiem_vu": "7", "ngay_chot": "15/06/2025",
          "ghi_chu": "Lần đầu"}


class InjectedFault(Exception):
    pass


def _refuse_commit(session: Session) -> None:
    raise InjectedFault("commit refused (injected fault)")


def _submit(session: Session, warehouse: Any, **values: Any) -> service.SubmitResult:
    result = service.submit_values(session, warehouse, principal=SYSTEM, code="kt_xh_thang",
                                   values={**VALUES, **values}, agency_code="SYT", period="2025-06",
                                   province_code="37", max_bytes=1 << 20)
    assert result.accepted, result.errors
    return result


def _resubmit_with_failing_commit(db: Any, warehouse: Any, previous: float) -> str:
    """The corrected figures, accepted, but the operational commit fails. Returns the new batch id."""
    with pytest.raises(InjectedFault), db.session() as session:
        event.listen(session, "before_commit", _refuse_commit)
        again = _submit(session, warehouse, giai_ngan_von="20", ghi_chu="Sửa lại")
        new_batch = again.submission.batch_id
        assert new_batch is not None
        # Before the commit both are in the warehouse: nothing is deleted yet.
        assert {r["giai_ngan_von"] for r in rows_of(warehouse, DATASET) if r["ky"] == "2025-06"} == {previous, 20.0}
    return new_batch


def _state(db: Any) -> tuple[list[tuple[str, str, str | None]], dict[str, str], int]:
    with db.session() as session:
        submissions = [(s.period, s.status, s.batch_id) for s in session.scalars(
            select(ReportSubmission).order_by(ReportSubmission.period, ReportSubmission.id))]
        batches = {b.id: b.status for b in session.scalars(select(LoadBatch))}
        row_count = session.scalar(select(Dataset.row_count).where(Dataset.name == DATASET))
        return submissions, batches, int(row_count or 0)


def test_failed_commit_of_a_resubmission_keeps_the_previous_one(db, warehouse) -> None:
    make_type(db)
    with db.session() as session:
        first = _submit(session, warehouse).submission.batch_id
    assert first is not None

    new_batch = _resubmit_with_failing_commit(db, warehouse, previous=12.5)

    assert [(r["giai_ngan_von"], r["ghi_chu"], r["_batch_id"]) for r in rows_of(warehouse, DATASET)] == [
        (12.5, "Lần đầu", first)]
    submissions, batches, row_count = _state(db)
    assert submissions == [("2025-06", "accepted", first)]
    assert batches.get(first) == "loaded" and new_batch not in batches
    assert row_count == 1

    # The same resubmission, committed: the new figures replace the old ones, and only then are they deleted.
    with db.session() as session:
        again = _submit(session, warehouse, giai_ngan_von="20").submission.batch_id
        assert len(rows_of(warehouse, DATASET)) == 2
    assert [(r["giai_ngan_von"], r["_batch_id"]) for r in rows_of(warehouse, DATASET)] == [(20.0, again)]
    submissions, batches, row_count = _state(db)
    assert submissions == [("2025-06", "replaced", first), ("2025-06", "accepted", again)]
    assert batches[first] == "rolled_back" and batches[again] == "loaded" and row_count == 1


def test_failed_commit_keeps_a_batch_shared_with_other_periods(db, warehouse) -> None:
    # Past reports imported in one batch: replacing one period reloads the others as a new batch first.
    make_type(db)
    rows = {"giai_ngan_von": 10.0, "doanh_thu": 100.0, "so_nhiem_vu": 1, "ngay_chot": None, "ghi_chu": "Nhập"}
    with db.session() as session:
        service.import_history(session, warehouse, principal=SYSTEM, code="kt_xh_thang", province_code="37",
                               max_bytes=1 << 20, entries=[
                                   service.HistoricEntry(agency="SYT", period=p, rows=[rows],
                                                         submitted_at=datetime(2025, 7, 3, 2, 0))
                                   for p in ("2025-05", "2025-06")])
    shared = {r["_batch_id"] for r in rows_of(warehouse, DATASET)}
    assert len(shared) == 1

    _resubmit_with_failing_commit(db, warehouse, previous=10.0)

    assert [(r["ky"], r["giai_ngan_von"], r["_batch_id"]) for r in rows_of(warehouse, DATASET)] == [
        ("2025-05", 10.0, *shared), ("2025-06", 10.0, *shared)]
    submissions, batches, row_count = _state(db)
    assert submissions == [("2025-05", "accepted", *shared), ("2025-06", "accepted", *shared)]
    assert batches == {next(iter(shared)): "loaded"} and row_count == 2

    with db.session() as session:
        again = _submit(session, warehouse, giai_ngan_von="20").submission.batch_id
    after = rows_of(warehouse, DATASET)
    assert [(r["ky"], r["giai_ngan_von"]) for r in after] == [("2025-05", 10.0), ("2025-06", 20.0)]
    assert after[1]["_batch_id"] == again and after[0]["_batch_id"] not in shared | {again}
    submissions, batches, row_count = _state(db)
    assert [s[1] for s in submissions] == ["accepted", "replaced", "accepted"] and row_count == 2
    assert batches[next(iter(shared))] == "rolled_back"
