"""Debounced recomputation of the Decision 766 indicators when dossiers arrive.

Every ``CHECK_SECONDS`` the job looks at the newest load batch of ``tthc_ho_so`` and ``tthc_thu_tuc`` (pushes,
imports, rollbacks). When it is newer than the last computation (``app_meta``
``publicservices.indicators_computed_at``) and at least ``QUIET_SECONDS`` old — a burst of pushes is one
recomputation — every period × scope is recomputed and the indicator set's values that read the results follow.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dieuhanh.core.db import utcnow
from dieuhanh.core.jobs import Scheduler
from dieuhanh.core.meta import get_meta
from dieuhanh.publicservices import compute

log = logging.getLogger(__name__)

CHECK_SECONDS = 15
QUIET_SECONDS = 10.0
JOB_ID = "publicservices.recompute"
SOURCES = (compute.DOSSIERS, compute.PROCEDURES)


def latest_change(session: Session) -> datetime | None:
    from dieuhanh.catalog.models import Dataset, LoadBatch

    row = session.execute(
        select(func.max(LoadBatch.created_at), func.max(LoadBatch.rolled_back_at))
        .join(Dataset, LoadBatch.dataset_id == Dataset.id)
        .where(Dataset.name.in_(SOURCES), or_(LoadBatch.status == "loaded", LoadBatch.rolled_back_at.is_not(None)))
    ).one()
    stamps = [s for s in row if s is not None]
    return max(stamps) if stamps else None


def last_computed(session: Session) -> datetime | None:
    value = get_meta(session, compute.META_COMPUTED_AT)
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def due(session: Session, *, now: datetime | None = None, quiet_seconds: float = QUIET_SECONDS) -> bool:
    """New batches since the last computation, the newest at least ``quiet_seconds`` old."""
    changed = latest_change(session)
    if changed is None:
        return False
    done = last_computed(session)
    if done is not None and changed <= done:
        return False
    return (now or utcnow()) - changed >= timedelta(seconds=quiet_seconds)


def recompute_job(scheduler: Scheduler) -> int | None:
    with scheduler.database.session() as session:
        if not due(session):
            return 0
    with scheduler.database.session() as session:
        result = compute.recompute(session, scheduler.warehouse, province_code=scheduler.settings.province_code,
                                   settings=scheduler.settings, trigger="batch")
    log.info("Decision 766 indicators recomputed: %s rows in %.2f s", result.rows, result.seconds)
    return result.rows


def register(scheduler: Scheduler) -> None:
    scheduler.add(JOB_ID, lambda: recompute_job(scheduler), seconds=CHECK_SECONDS,
                  name="Tính lại chỉ số phục vụ người dân, doanh nghiệp (QĐ 766) khi có hồ sơ mới", record=False)
