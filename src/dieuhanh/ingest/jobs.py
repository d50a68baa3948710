"""What the ingest module runs unattended: one scheduled job per enabled pull source (on its cron) and the
MQTT subscriber as a background service. Registered through ``Module.jobs`` when the scheduler starts."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from sqlalchemy import select

from dieuhanh.core.errors import DomainError
from dieuhanh.core.jobs import Scheduler
from dieuhanh.ingest.guard import PullGuard
from dieuhanh.ingest.models import PullSource
from dieuhanh.ingest.mqtt import subscriber_from_url
from dieuhanh.ingest.pull import run_scheduled, seal_legacy_secrets

log = logging.getLogger(__name__)

SYNC_SECONDS = 60
DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"


def pull_job_id(source_id: int) -> str:
    return f"pull:{source_id}"


class PullSchedules:
    """Keeps the scheduler's pull jobs in step with the ``pull_source`` table: a source added, re-timed or
    disabled on a page or through the API is picked up within ``SYNC_SECONDS`` (services never talk to the
    scheduler directly)."""

    def __init__(self, scheduler: Scheduler, *, province_code: str, max_bytes: int, guard: PullGuard) -> None:
        self.scheduler = scheduler
        self.province_code, self.max_bytes, self.guard = province_code, max_bytes, guard
        self.registered: dict[int, str] = {}  # source id -> cron

    def __call__(self) -> int:
        with self.scheduler.database.session() as session:
            rows = session.execute(
                select(PullSource.id, PullSource.name, PullSource.cron).where(PullSource.enabled.is_(True))).all()
        desired = {row.id: (row.name, row.cron) for row in rows}
        for source_id, (name, cron) in desired.items():
            if self.registered.get(source_id) == cron:
                continue
            job = partial(run_scheduled, self.scheduler.database, self.scheduler.warehouse, source_id=source_id,
                          province_code=self.province_code, max_bytes=self.max_bytes, guard=self.guard)
            try:
                self.scheduler.add(pull_job_id(source_id), job, cron=cron, name=f"Kéo dữ liệu «{name}»")
            except DomainError as exc:
                log.warning("pull source %s has an unusable schedule: %s", source_id, exc.message)
                continue
            self.registered[source_id] = cron
        for source_id in set(self.registered) - set(desired):
            self.scheduler.remove(pull_job_id(source_id))
            del self.registered[source_id]
        return len(desired)


def _mqtt_url(settings: Any) -> str:
    return str(getattr(settings, "mqtt_url", None) or DEFAULT_MQTT_URL)


def register(scheduler: Scheduler) -> None:
    settings = scheduler.settings
    max_bytes = settings.max_upload_mb * 1024 * 1024
    scheduler.add_service(subscriber_from_url(scheduler.database, scheduler.warehouse, _mqtt_url(settings),
                                              province_code=settings.province_code, max_bytes=max_bytes))
    try:
        guard = PullGuard.from_settings(settings)
    except DomainError as exc:  # a mistyped DIEUHANH_PULL_ALLOWED_HOSTS: no pull runs until it is fixed
        log.error("scheduled pulls are off: %s", exc.message)
        return
    sync = PullSchedules(scheduler, province_code=settings.province_code, max_bytes=max_bytes, guard=guard)
    try:
        sealed = seal_legacy_secrets(scheduler.database, guard)
        if sealed:
            log.info("sealed %s pull source secret(s) stored in plain text", sealed)
        sync()
    except Exception:  # noqa: BLE001  (a database hiccup at start-up: the periodic sync catches up)
        log.exception("could not read the pull sources at start-up")
    scheduler.add("ingest.sync_pull_schedules", sync, seconds=SYNC_SECONDS, record=False)
