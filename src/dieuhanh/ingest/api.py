"""JSON API of the unattended inputs: pull sources and their runs, MQTT subscriptions, dead letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from dieuhanh.ingest import mqtt, pull
from dieuhanh.ingest.guard import PullGuard
from dieuhanh.ingest.models import DeadLetter, MqttSubscription, PullRun, PullSource
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(prefix="/api/v1/ingest", tags=["nạp dữ liệu tự động"])


def pull_guard(request: Request) -> PullGuard:
    """The secret box and host policy of the running application's settings."""
    return PullGuard.from_settings(request.app.state.settings)


Guard = Annotated[PullGuard, Depends(pull_guard)]


def source_out(source: PullSource, guard: PullGuard, last_run: PullRun | None = None) -> dict[str, Any]:
    """A source as shown to callers: the authentication value never leaves the server (``auth_value`` is a
    mask; ``auth_error`` says when the stored secret cannot be decrypted and must be entered again)."""
    secret = pull.secret_state(source, guard)
    return {
        "id": source.id, "name": source.name, "dataset": source.dataset.name, "owner_agency": source.owner_agency,
        "url": source.url, "params": source.params, "auth_header": source.auth_header,
        "auth_value": secret.mask, "auth_error": secret.problem, "pagination": source.pagination,
        "page_param": source.page_param, "size_param": source.size_param, "page_size": source.page_size,
        "page_start": source.page_start, "cursor_path": source.cursor_path, "records_path": source.records_path,
        "field_map": source.field_map, "incremental_field": source.incremental_field,
        "incremental_param": source.incremental_param, "high_water_mark": source.high_water_mark,
        "cron": source.cron, "mode": source.mode, "enabled": source.enabled, "retries": source.retries,
        "backoff_seconds": source.backoff_seconds, "created_by": source.created_by,
        "created_at": source.created_at, "updated_at": source.updated_at,
        "last_run": run_out(last_run) if last_run else None,
    }


def run_out(run: PullRun) -> dict[str, Any]:
    return {"id": run.id, "source_id": run.source_id, "started_at": run.started_at,
            "finished_at": run.finished_at, "outcome": run.outcome, "trigger": run.trigger,
            "triggered_by": run.triggered_by, "rows": run.rows, "pages": run.pages, "attempts": run.attempts,
            "batch_id": run.batch_id, "error": run.error, "errors": run.errors or []}


def subscription_out(sub: MqttSubscription) -> dict[str, Any]:
    return {"id": sub.id, "name": sub.name, "topic": sub.topic, "dataset": sub.dataset.name,
            "owner_agency": sub.owner_agency, "field_map": sub.field_map, "batch_size": sub.batch_size,
            "max_wait_seconds": sub.max_wait_seconds, "enabled": sub.enabled, "created_by": sub.created_by,
            "created_at": sub.created_at}


def dead_letter_out(letter: DeadLetter) -> dict[str, Any]:
    return {"id": letter.id, "subscription_id": letter.subscription_id, "topic": letter.topic,
            "payload": letter.payload, "error": letter.error, "received_at": letter.received_at}


@router.post("/sources", status_code=201)
def create_source(body: pull.PullSourceIn, db: DB, principal: CurrentPrincipal, guard: Guard) -> dict[str, Any]:
    """Define a scheduled pull from a department REST JSON API. ``auth_value`` is write-only (stored encrypted);
    the URL's host must be allowed (``DIEUHANH_PULL_ALLOWED_HOSTS``), else 422 with an error on ``url``."""
    return source_out(pull.create_source(db, principal=principal, source_in=body, guard=guard), guard)


@router.get("/sources")
def list_sources(db: DB, principal: LoggedIn, guard: Guard) -> list[dict[str, Any]]:
    sources = pull.list_sources(db, principal=principal)
    last = pull.last_runs(db, [s.id for s in sources])
    return [source_out(s, guard, last.get(s.id)) for s in sources]


@router.get("/sources/{source_id}")
def get_source(source_id: int, db: DB, principal: LoggedIn, guard: Guard) -> dict[str, Any]:
    source = pull.readable_source(db, principal=principal, source_id=source_id)
    return source_out(source, guard, pull.last_runs(db, [source.id]).get(source.id))


@router.patch("/sources/{source_id}")
def update_source(source_id: int, body: pull.PullSourceUpdate, db: DB, principal: CurrentPrincipal,
                  guard: Guard) -> dict[str, Any]:
    """Change a source (fields left out stay; ``auth_value: ""`` removes the secret; a URL on another server
    needs ``auth_value`` again)."""
    return source_out(pull.update_source(db, principal=principal, source_id=source_id, changes=body, guard=guard),
                      guard)


@router.post("/sources/{source_id}/run")
async def run_source(source_id: int, request: Request, db: DB, principal: CurrentPrincipal,
                     guard: Guard) -> dict[str, Any]:
    """Run the pull now and answer with its recorded run (``outcome`` success or failed)."""
    # The run writes in its own short transactions; end this request's (it may hold a token's last-used
    # time) so that, on SQLite, it cannot hold the write lock while the run waits for it.
    db.commit()
    settings = request.app.state.settings
    run = await run_in_threadpool(
        pull.run_source, request.app.state.db, request.app.state.warehouse, principal=principal,
        source_id=source_id, province_code=settings.province_code, max_bytes=settings.max_upload_mb * 1024 * 1024,
        guard=guard)
    return run_out(run)


@router.get("/sources/{source_id}/runs")
def list_runs(source_id: int, db: DB, principal: LoggedIn,
              limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    return [run_out(r) for r in pull.list_runs(db, principal=principal, source_id=source_id, limit=limit)]


@router.post("/subscriptions", status_code=201)
def create_subscription(body: mqtt.SubscriptionIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """Subscribe a dataset to an MQTT topic (``+``/``#``; ``{column}`` segments fill that column)."""
    return subscription_out(mqtt.create_subscription(db, principal=principal, subscription_in=body))


@router.get("/subscriptions")
def list_subscriptions(db: DB, principal: LoggedIn) -> list[dict[str, Any]]:
    return [subscription_out(s) for s in mqtt.list_subscriptions(db, principal=principal)]


class EnabledIn(BaseModel):
    enabled: bool


@router.post("/subscriptions/{subscription_id}/enabled")
def set_subscription_enabled(subscription_id: int, body: EnabledIn, db: DB,
                             principal: CurrentPrincipal) -> dict[str, Any]:
    return subscription_out(mqtt.set_subscription_enabled(db, principal=principal, subscription_id=subscription_id,
                                                          enabled=body.enabled))


@router.get("/dead-letters")
def list_dead_letters(db: DB, principal: LoggedIn, subscription_id: int | None = None,
                      limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    """Messages that could not be loaded (malformed JSON, records failing validation), newest first."""
    return [dead_letter_out(d) for d in mqtt.list_dead_letters(db, principal=principal,
                                                               subscription_id=subscription_id, limit=limit,
                                                               offset=offset)]
