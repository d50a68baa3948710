"""Pages: automatic sources (scheduled pulls, MQTT subscriptions) and the dead letters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dieuhanh.catalog.models import Dataset
from dieuhanh.core.errors import DomainError, InvalidInput
from dieuhanh.core.security import Principal, allowed
from dieuhanh.ingest import mqtt, pull
from dieuhanh.ingest.api import Guard
from dieuhanh.ingest.guard import PullGuard
from dieuhanh.ingest.models import PAGINATION_KINDS
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

PAGINATION_LABELS = {
    "none": "Không phân trang",
    "page": "Theo số trang (page)",
    "offset": "Theo vị trí (offset/limit)",
    "cursor": "Theo con trỏ (cursor)",
}
OUTCOME_LABELS = {"success": "Thành công", "failed": "Thất bại", "running": "Đang chạy"}


def parse_pairs(text: str, what: str) -> dict[str, str]:
    """Lines «left = right» (also «left -> right») → dict; blank lines are skipped."""
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        sep = "->" if "->" in line else "="
        left, found, right = line.partition(sep)
        if not found or not left.strip() or not right.strip():
            raise InvalidInput(f"Dòng {number} của {what} cần dạng «trường = cột».")
        pairs[left.strip()] = right.strip()
    return pairs


def _manageable_datasets(db: DB, principal: Principal) -> list[Dataset]:
    datasets = db.scalars(select(Dataset).options(selectinload(Dataset.columns)).order_by(Dataset.name))
    return [d for d in datasets if allowed(principal, "source.manage", d)]


def _context(request: Request, db: DB, principal: Principal, guard: PullGuard, selected: int | None = None,
             **extra: Any) -> dict[str, Any]:
    sources = pull.list_sources(db, principal=principal)
    datasets = _manageable_datasets(db, principal)
    return {
        "sources": sources,
        "last_runs": pull.last_runs(db, [s.id for s in sources]),
        "runs": pull.list_runs(db, principal=principal, source_id=selected, limit=50),
        "selected": selected,
        "selected_name": next((s.name for s in sources if s.id == selected), None),
        "subscriptions": mqtt.list_subscriptions(db, principal=principal),
        "datasets": datasets,
        "can_manage": bool(datasets),
        "can_run": {s.id: allowed(principal, "source.manage", s) for s in sources},
        "secrets": {s.id: pull.secret_state(s, guard) for s in sources},
        "PAGINATION_KINDS": PAGINATION_KINDS,
        "PAGINATION_LABELS": PAGINATION_LABELS,
        "OUTCOME_LABELS": OUTCOME_LABELS,
        "form": {}, "sub_form": {},
        **extra,
    }


@router.get("/ingest/sources", response_class=HTMLResponse)
def sources_page(request: Request, db: DB, principal: LoggedIn, guard: Guard,
                 source: int | None = None) -> HTMLResponse:
    ran = request.query_params.get("ran")
    context = _context(request, db, principal, guard, selected=source)
    if ran and ran.isdigit():
        context["ran"] = next((r for r in context["runs"] if r.id == int(ran)), None) or next(
            (r for r in pull.list_runs(db, principal=principal, source_id=None, limit=200) if r.id == int(ran)), None)
    return render(request, "ingest/sources.html", context)


def _error_message(exc: ValidationError | DomainError) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    return pull.validation_message(exc)


@router.post("/ingest/sources", response_class=HTMLResponse)
def create_source(
    request: Request, db: DB, principal: LoggedIn, guard: Guard,
    name: Annotated[str, Form()], dataset: Annotated[str, Form()], url: Annotated[str, Form()],
    cron: Annotated[str, Form()] = "0 2 * * *", mode: Annotated[str, Form()] = "append",
    pagination: Annotated[str, Form()] = "none", page_param: Annotated[str, Form()] = "",
    size_param: Annotated[str, Form()] = "", page_size: Annotated[int, Form()] = 100,
    cursor_path: Annotated[str, Form()] = "", records_path: Annotated[str, Form()] = "",
    field_map: Annotated[str, Form()] = "", params: Annotated[str, Form()] = "",
    auth_header: Annotated[str, Form()] = "", auth_value: Annotated[str, Form()] = "",
    incremental_field: Annotated[str, Form()] = "", incremental_param: Annotated[str, Form()] = "",
    retries: Annotated[int, Form()] = 3, backoff_seconds: Annotated[float, Form()] = 2.0,
) -> Response:
    form = {"name": name, "dataset": dataset, "url": url, "cron": cron, "mode": mode, "pagination": pagination,
            "page_param": page_param, "size_param": size_param, "page_size": page_size, "cursor_path": cursor_path,
            "records_path": records_path, "field_map": field_map, "params": params, "auth_header": auth_header,
            "incremental_field": incremental_field, "incremental_param": incremental_param, "retries": retries,
            "backoff_seconds": backoff_seconds}  # the secret is never echoed back into the page
    try:
        source_in = pull.PullSourceIn.model_validate({
            **form, "field_map": parse_pairs(field_map, "ánh xạ trường"), "params": parse_pairs(params, "tham số"),
            "auth_value": auth_value or None, "auth_header": auth_header or None,
        })
        created = pull.create_source(db, principal=principal, source_in=source_in, guard=guard)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code in (401, 403):
            raise
        db.rollback()
        return render(request, "ingest/sources.html",
                      _context(request, db, principal, guard, form=form, error=_error_message(exc)), status_code=422)
    return RedirectResponse(f"/ingest/sources?source={created.id}&created=1", status_code=303)


@router.post("/ingest/sources/{source_id}/run", response_class=HTMLResponse)
def run_source(request: Request, source_id: int, db: DB, principal: LoggedIn, guard: Guard) -> Response:
    """«Chạy ngay»: run the pull in this request, then show its outcome."""
    db.commit()  # the run writes in its own transactions (see api.run_source)
    settings = request.app.state.settings
    try:
        run = pull.run_source(request.app.state.db, request.app.state.warehouse, principal=principal,
                              source_id=source_id, province_code=settings.province_code,
                              max_bytes=settings.max_upload_mb * 1024 * 1024, guard=guard)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        return render(request, "ingest/sources.html",
                      _context(request, db, principal, guard, selected=source_id, error=exc.message),
                      status_code=exc.status_code)
    return RedirectResponse(f"/ingest/sources?source={source_id}&ran={run.id}", status_code=303)


@router.post("/ingest/sources/{source_id}/enabled")
def set_source_enabled(source_id: int, db: DB, principal: LoggedIn, guard: Guard,
                       enabled: Annotated[str, Form()]) -> Response:
    pull.update_source(db, principal=principal, source_id=source_id,
                       changes=pull.PullSourceUpdate(enabled=enabled == "1"), guard=guard)
    return RedirectResponse(f"/ingest/sources?source={source_id}", status_code=303)


@router.post("/ingest/sources/{source_id}/secret", response_class=HTMLResponse)
def set_source_secret(request: Request, source_id: int, db: DB, principal: LoggedIn, guard: Guard,
                      auth_header: Annotated[str, Form()] = "", auth_value: Annotated[str, Form()] = "") -> Response:
    """«Nhập lại bí mật»: a new authentication value (e.g. after SECRET_KEY changed); empty removes it."""
    changes = pull.PullSourceUpdate(auth_header=auth_header or None, auth_value=auth_value)
    try:
        pull.update_source(db, principal=principal, source_id=source_id, changes=changes, guard=guard)
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        db.rollback()
        return render(request, "ingest/sources.html",
                      _context(request, db, principal, guard, selected=source_id, secret_error=exc.message),
                      status_code=422)
    return RedirectResponse(f"/ingest/sources?source={source_id}&secret=1", status_code=303)


@router.post("/ingest/subscriptions", response_class=HTMLResponse)
def create_subscription(
    request: Request, db: DB, principal: LoggedIn, guard: Guard,
    name: Annotated[str, Form()], topic: Annotated[str, Form()], dataset: Annotated[str, Form()],
    field_map: Annotated[str, Form()] = "", batch_size: Annotated[int, Form()] = 100,
    max_wait_seconds: Annotated[float, Form()] = 5.0,
) -> Response:
    sub_form = {"name": name, "topic": topic, "dataset": dataset, "field_map": field_map, "batch_size": batch_size,
                "max_wait_seconds": max_wait_seconds}
    try:
        sub_in = mqtt.SubscriptionIn.model_validate({**sub_form, "field_map": parse_pairs(field_map, "ánh xạ trường")})
        mqtt.create_subscription(db, principal=principal, subscription_in=sub_in)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code in (401, 403):
            raise
        db.rollback()
        return render(request, "ingest/sources.html",
                      _context(request, db, principal, guard, sub_form=sub_form, sub_error=_error_message(exc)),
                      status_code=422)
    return RedirectResponse("/ingest/sources?subscribed=1#mqtt", status_code=303)


@router.post("/ingest/subscriptions/{subscription_id}/enabled")
def set_subscription_enabled(subscription_id: int, db: DB, principal: LoggedIn,
                             enabled: Annotated[str, Form()]) -> Response:
    mqtt.set_subscription_enabled(db, principal=principal, subscription_id=subscription_id, enabled=enabled == "1")
    return RedirectResponse("/ingest/sources#mqtt", status_code=303)


@router.get("/ingest/dead-letters", response_class=HTMLResponse)
def dead_letters_page(request: Request, db: DB, principal: LoggedIn,
                      subscription: int | None = None) -> HTMLResponse:
    subscriptions = mqtt.list_subscriptions(db, principal=principal)
    letters = mqtt.list_dead_letters(db, principal=principal, subscription_id=subscription, limit=200)
    return render(request, "ingest/dead_letters.html", {
        "letters": letters, "subscriptions": subscriptions, "names": {s.id: s.name for s in subscriptions},
        "subscription": subscription,
    })
