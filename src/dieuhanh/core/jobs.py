"""Scheduled work: one scheduler interface, cron or interval jobs, every run recorded.

The embedded default runs in the web process: APScheduler 3's ``BackgroundScheduler`` fires the jobs in a small
thread pool, and long-running background services (the MQTT subscriber) start and stop with it. ``app.py``
starts it from the FastAPI lifespan when ``settings.scheduler_enabled`` is true.

Rules for jobs:

- A job is a plain callable without arguments returning the number of rows it handled (or ``None``).
- Jobs are idempotent: a run may be repeated after a crash or a restart, and a missed run is coalesced into one
  (``coalesce``), never run twice at once (``max_instances=1``).
- Each run is a ``JobRun`` row (start, end, outcome, rows, error) written in its own short transactions, so a
  failing job still leaves its record. Housekeeping jobs may opt out (``record=False``).
- Run the scheduler in one process per installation. With several web workers set
  ``DIEUHANH_SCHEDULER_ENABLED=false`` on all but one (the pull runs also refuse to overlap, see ingest.pull).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Integer, String, Text, delete
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, Database, utcnow
from dieuhanh.core.errors import DomainError, InvalidInput
from dieuhanh.core.formatting import LOCAL_TZ

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 4000
KEEP_RUNS_DAYS = 90


class JobRun(Base):
    """One execution of a scheduled job (lần chạy tác vụ)."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(120), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(10), default="running")  # running | success | failed
    rows: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


JobFunc = Callable[[], "int | None"]


class Service(Protocol):
    """A long-running background worker that lives as long as the scheduler (e.g. the MQTT subscriber)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


def describe_error(exc: BaseException) -> str:
    """A message for the run record: the Vietnamese message of domain errors, else type and text."""
    text = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_CHARS]


_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _cron_dow(field: str) -> str:
    """Standard cron numbers the days of the week from Sunday = 0 (7 too); APScheduler from Monday = 0.
    Numbers are rewritten as names, which both read the same way (steps like */2 are left alone)."""

    def name(match: re.Match[str]) -> str:
        number = int(match.group(0))
        if number > 7:
            raise ValueError(f"ngày trong tuần {number} không hợp lệ")
        return _DOW_NAMES[number]

    return re.sub(r"(?<![/\d])\d+", name, field)


def parse_cron(expression: str, *, timezone: Any = LOCAL_TZ) -> CronTrigger:
    """A five-field crontab expression (minute hour day month weekday), in the province's time zone."""
    fields = expression.split()
    if len(fields) != 5:
        raise InvalidInput(
            f"Biểu thức cron «{expression}» cần đúng 5 trường: phút giờ ngày tháng thứ (ví dụ «0 2 * * *» là "
            "2 giờ sáng hằng ngày)."
        )
    try:
        minute, hour, day, month, dow = fields
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_cron_dow(dow),
                           timezone=timezone)
    except ValueError as exc:
        raise InvalidInput(f"Biểu thức cron «{expression}» không hợp lệ: {exc}") from exc


class Scheduler:
    """Cron and interval jobs in the current process, each run recorded as a ``JobRun``.

    ``database``, ``warehouse`` and ``settings`` are carried for the modules' ``jobs(scheduler)`` hooks, which
    register what they need (see ``core.plugin.Module.jobs``).
    """

    def __init__(self, database: Database, *, warehouse: Any = None, settings: Any = None,
                 timezone: Any = LOCAL_TZ, max_workers: int = 4) -> None:
        self.database = database
        self.warehouse = warehouse
        self.settings = settings
        self.timezone = timezone
        self._scheduler = BackgroundScheduler(
            timezone=timezone,
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
        )
        self._jobs: dict[str, tuple[JobFunc, bool]] = {}
        self._services: list[Service] = []
        self._lock = threading.Lock()

    # ---------------------------------------------------------------------------------------- registration

    def add(self, job_id: str, func: JobFunc, *, cron: str | None = None, seconds: float | None = None,
            name: str | None = None, record: bool = True) -> None:
        """Register (or replace) a job run on a crontab expression or every ``seconds``."""
        if (cron is None) == (seconds is None):
            raise ValueError("give exactly one of cron or seconds")
        trigger: CronTrigger | IntervalTrigger
        if cron is not None:
            trigger = parse_cron(cron, timezone=self.timezone)
        else:
            assert seconds is not None
            if seconds <= 0:
                raise ValueError("seconds must be positive")
            trigger = IntervalTrigger(seconds=seconds, timezone=self.timezone)
        with self._lock:
            self._jobs[job_id] = (func, record)
            self._scheduler.add_job(self._execute, trigger, args=[job_id], id=job_id, name=name or job_id,
                                    replace_existing=True)

    def remove(self, job_id: str) -> bool:
        with self._lock:
            if job_id not in self._jobs:
                return False
            del self._jobs[job_id]
            try:
                self._scheduler.remove_job(job_id)
            except Exception:  # noqa: BLE001  (already gone)
                pass
            return True

    def job_ids(self) -> list[str]:
        return sorted(self._jobs)

    def next_run_time(self, job_id: str) -> datetime | None:
        job = self._scheduler.get_job(job_id)
        return getattr(job, "next_run_time", None) if job else None

    def add_service(self, service: Service) -> None:
        """A background worker started with the scheduler and stopped with it."""
        self._services.append(service)
        if self.running:
            service.start()

    # ---------------------------------------------------------------------------------------- running

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        self.add("core.prune_job_runs", lambda: prune_runs(self.database), cron="17 3 * * *", record=False)
        self._scheduler.start()
        for service in self._services:
            try:
                service.start()
            except Exception:  # noqa: BLE001  (one broken service must not keep the others or the web down)
                log.exception("background service %r did not start", service)

    def shutdown(self, wait: bool = True) -> None:
        for service in reversed(self._services):
            try:
                service.stop()
            except Exception:  # noqa: BLE001
                log.exception("background service %r did not stop cleanly", service)
        if self.running:
            self._scheduler.shutdown(wait=wait)

    def run(self, job_id: str) -> JobRun | None:
        """Run a registered job now, in this thread (recorded like a scheduled run)."""
        return self._execute(job_id)

    def _execute(self, job_id: str) -> JobRun | None:
        entry = self._jobs.get(job_id)
        if entry is None:
            raise KeyError(job_id)
        func, record = entry
        run_id: int | None = None
        if record:
            try:
                with self.database.session() as session:
                    started = JobRun(job_id=job_id, started_at=utcnow(), outcome="running")
                    session.add(started)
                    session.flush()
                    run_id = started.id
            except Exception:  # noqa: BLE001  (the job still runs when its record cannot be written)
                log.exception("could not record the start of job %s", job_id)
        try:
            rows = func()
        except Exception as exc:  # noqa: BLE001  (a failing job is recorded, never kills the scheduler)
            log.warning("job %s failed: %s", job_id, describe_error(exc), exc_info=not isinstance(exc, DomainError))
            return self._finish(run_id, "failed", None, describe_error(exc))
        return self._finish(run_id, "success", rows if isinstance(rows, int) else None, None)

    def _finish(self, run_id: int | None, outcome: str, rows: int | None, error: str | None) -> JobRun | None:
        if run_id is None:
            return None
        try:
            with self.database.session() as session:
                run = session.get(JobRun, run_id)
                if run is None:
                    return None
                run.finished_at, run.outcome, run.rows, run.error = utcnow(), outcome, rows, error
                session.flush()
                return run
        except Exception:  # noqa: BLE001
            log.exception("could not record the end of job run %s", run_id)
            return None


def prune_runs(database: Database, *, keep_days: int = KEEP_RUNS_DAYS) -> int:
    """Delete job-run records older than ``keep_days``."""
    with database.session() as session:
        result = session.execute(delete(JobRun).where(JobRun.started_at < utcnow() - timedelta(days=keep_days)))
        return int(getattr(result, "rowcount", 0) or 0)


def list_runs(database: Database, *, job_id: str | None = None, limit: int = 50) -> list[JobRun]:
    from sqlalchemy import select

    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job_id:
        query = query.where(JobRun.job_id == job_id)
    with database.session() as session:
        return list(session.scalars(query))
