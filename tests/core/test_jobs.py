"""The scheduler: jobs on an interval or a cron, each run recorded (success with rows, failure with its error)."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.core.jobs import JobRun, Scheduler, list_runs, parse_cron, prune_runs


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def runs_of(db, job_id: str, outcome: str | None = None) -> list[JobRun]:  # type: ignore[no-untyped-def]
    query = select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)
    if outcome:
        query = query.where(JobRun.outcome == outcome)
    with db.session() as session:
        return list(session.scalars(query))


def at_least(n: int, db, job_id: str, outcome: str):  # type: ignore[no-untyped-def]
    runs = runs_of(db, job_id, outcome)
    return runs if len(runs) >= n else None


@pytest.fixture
def scheduler(db):  # type: ignore[no-untyped-def]
    s = Scheduler(db)
    yield s
    s.shutdown()


def test_an_interval_job_runs_and_each_run_is_recorded(db, scheduler):
    calls: list[float] = []

    def tick() -> int:
        calls.append(time.monotonic())
        return 7

    scheduler.add("test.tick", tick, seconds=0.2)
    scheduler.start()
    finished = wait_for(lambda: at_least(2, db, "test.tick", "success"))
    scheduler.shutdown()
    assert len(calls) >= 2
    first = finished[0]
    assert first.rows == 7 and first.error is None
    assert first.finished_at is not None and first.finished_at >= first.started_at
    assert [r.job_id for r in list_runs(db, job_id="test.tick")][0] == "test.tick"


def test_a_failing_job_records_its_error_and_the_scheduler_goes_on(db, scheduler):
    def broken() -> None:
        raise ValueError("máy chủ nguồn trả về dữ liệu hỏng")

    scheduler.add("test.broken", broken, seconds=0.2)
    scheduler.start()
    failed = wait_for(lambda: at_least(2, db, "test.broken", "failed"))
    assert "ValueError: máy chủ nguồn trả về dữ liệu hỏng" in (failed[0].error or "")
    assert failed[0].rows is None and failed[0].finished_at is not None
    assert len(failed) >= 2  # it ran again: a failure does not unschedule the job


def test_run_now_is_recorded_like_a_scheduled_run_and_domain_errors_keep_their_message(db, scheduler):
    scheduler.add("test.domain", lambda: (_ for _ in ()).throw(InvalidInput("Dữ liệu không hợp lệ: 3 lỗi")),
                  cron="0 3 * * *")
    run = scheduler.run("test.domain")
    assert run is not None and run.outcome == "failed" and run.error == "Dữ liệu không hợp lệ: 3 lỗi"
    scheduler.add("test.count", lambda: 12, cron="0 3 * * *")
    assert scheduler.run("test.count").rows == 12  # type: ignore[union-attr]


def test_a_job_never_runs_twice_at_once(db, scheduler):
    running, overlaps, release = [0], [0], threading.Event()

    def slow() -> int:
        running[0] += 1
        if running[0] > 1:
            overlaps[0] += 1
        release.wait(1.0)
        running[0] -= 1
        return 0

    scheduler.add("test.slow", slow, seconds=0.1)
    scheduler.start()
    wait_for(lambda: len(runs_of(db, "test.slow")) >= 1)
    time.sleep(0.5)
    release.set()
    scheduler.shutdown()
    assert overlaps[0] == 0


def test_unrecorded_jobs_leave_no_rows_and_jobs_can_be_replaced_and_removed(db, scheduler):
    calls: list[str] = []
    scheduler.add("test.quiet", lambda: calls.append("a") and None, seconds=0.1, record=False)
    scheduler.add("test.quiet", lambda: calls.append("b") and None, seconds=0.1, record=False)  # replaces
    scheduler.start()
    wait_for(lambda: len(calls) >= 2)
    assert set(calls) == {"b"}
    assert runs_of(db, "test.quiet") == []
    assert scheduler.remove("test.quiet") and "test.quiet" not in scheduler.job_ids()
    assert not scheduler.remove("test.quiet")


def test_cron_uses_standard_weekday_numbers_in_the_provinces_time_zone():
    trigger = parse_cron("30 2 * * 1-5")  # 02:30 Monday to Friday (cron: 0 = Sunday)
    saturday = datetime(2025, 1, 4, 12, 0, tzinfo=LOCAL_TZ)
    assert trigger.get_next_fire_time(None, saturday) == datetime(2025, 1, 6, 2, 30, tzinfo=LOCAL_TZ)
    sunday_only = parse_cron("0 6 * * 0")
    assert sunday_only.get_next_fire_time(None, saturday).weekday() == 6
    for bad in ("* * *", "61 * * * *", "0 2 * * 9", "mỗi ngày"):
        with pytest.raises(InvalidInput):
            parse_cron(bad)


def test_services_start_and_stop_with_the_scheduler(db, scheduler):
    events: list[str] = []

    class Service:
        def start(self) -> None:
            events.append("start")

        def stop(self) -> None:
            events.append("stop")

    scheduler.add_service(Service())
    scheduler.start()
    scheduler.shutdown()
    assert events == ["start", "stop"]


def test_old_runs_are_pruned(db):
    from datetime import timedelta

    from dieuhanh.core.db import utcnow

    with db.session() as session:
        session.add(JobRun(job_id="old", started_at=utcnow() - timedelta(days=200), outcome="success"))
        session.add(JobRun(job_id="new", started_at=utcnow(), outcome="success"))
    assert prune_runs(db) == 1
    assert [r.job_id for r in list_runs(db)] == ["new"]


def test_the_app_starts_the_scheduler_only_when_enabled(settings, db, warehouse):
    from fastapi.testclient import TestClient

    from dieuhanh.app import create_app

    app = create_app(settings, database=db, warehouse=warehouse)
    with TestClient(app):
        assert app.state.scheduler is None
    enabled = settings.model_copy(update={"scheduler_enabled": True})
    app = create_app(enabled, database=db, warehouse=warehouse)
    with TestClient(app):
        scheduler = app.state.scheduler
        assert scheduler is not None and scheduler.running
        assert "ingest.sync_pull_schedules" in scheduler.job_ids()
    assert not scheduler.running
