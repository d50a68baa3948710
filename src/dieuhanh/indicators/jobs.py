"""Unattended recomputation: every minute, indicators whose source datasets got a new batch (or a rollback)
since they were last computed are recomputed (debounced: a burst of batches is one recompute)."""

from __future__ import annotations

import logging

from dieuhanh.core.jobs import Scheduler
from dieuhanh.indicators import service

log = logging.getLogger(__name__)

CHECK_SECONDS = 60
JOB_ID = "indicators.recompute_stale"


def recompute_job(scheduler: Scheduler) -> int | None:
    province_code = scheduler.settings.province_code
    with scheduler.database.session() as session:
        codes = service.stale_codes(session)
    if not codes:
        return 0
    with scheduler.database.session() as session:
        summary = service.compute(session, scheduler.warehouse, codes=codes, province_code=province_code,
                                  trigger="batch")
    if summary.errors:
        log.warning("indicators with errors after recompute: %s", ", ".join(sorted(summary.errors)))
    return summary.values_written


def register(scheduler: Scheduler) -> None:
    try:
        with scheduler.database.session() as session:
            service.load_library(session)
    except Exception:  # noqa: BLE001  (a broken library file must not keep the web down; the CLI says why)
        log.exception("could not load the indicator library at start-up")
    scheduler.add(JOB_ID, lambda: recompute_job(scheduler), seconds=CHECK_SECONDS,
                  name="Tính lại chỉ số khi có dữ liệu mới")
