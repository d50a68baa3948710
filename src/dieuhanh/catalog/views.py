from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from dieuhanh.catalog import service
from dieuhanh.catalog.schemas import ACCESS, COLUMN_TYPES, FREQUENCIES, LICENSES, DatasetIn
from dieuhanh.core.errors import DomainError, InvalidInput
from dieuhanh.core.security import allowed, authorize
from dieuhanh.ingest import service as ingest
from dieuhanh.orgs import service as orgs_service
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

ACCESS_LABELS = {"public": "Công khai", "internal": "Nội bộ", "restricted": "Hạn chế"}


def _common() -> dict[str, Any]:
    return {"ACCESS_LABELS": ACCESS_LABELS, "FREQUENCIES": FREQUENCIES, "LICENSES": LICENSES,
            "COLUMN_TYPES": COLUMN_TYPES, "ACCESS": ACCESS}


@router.get("/datasets", response_class=HTMLResponse)
def datasets_page(request: Request, db: DB, principal: LoggedIn, q: str = "", agency: str = "",
                  page: int = Query(1, ge=1)) -> HTMLResponse:
    rows, total = service.list_datasets(db, principal=principal, q=q or None, agency=agency or None, page=page,
                                        page_size=50)
    agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
    return render(request, "catalog/datasets.html", {
        **_common(), "datasets": rows, "total": total, "q": q, "agency": agency, "page": page, "page_size": 50,
        "agencies": agencies, "can_create": allowed(principal, "dataset.create", principal.agency_code)
        or principal.has_role("admin", "analyst"),
    })


def parse_schema_lines(text: str) -> list[dict[str, Any]]:
    """One column per line: name | type | flags (bắt buộc, duy nhất, cá nhân) | description."""
    columns = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 2:
            raise InvalidInput(f"Dòng {number} của lược đồ cần dạng «tên_cột | kiểu | cờ | mô tả».")
        flags = parts[2].lower() if len(parts) > 2 else ""
        columns.append({"name": parts[0], "type": parts[1], "required": "bắt buộc" in flags or "required" in flags,
                        "unique": "duy nhất" in flags or "unique" in flags,
                        "pii": "cá nhân" in flags or "pii" in flags,
                        "description": parts[3] if len(parts) > 3 else ""})
    return columns


@router.get("/datasets/new", response_class=HTMLResponse)
def new_dataset_page(request: Request, db: DB, principal: LoggedIn) -> HTMLResponse:
    agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
    return render(request, "catalog/new.html", {**_common(), "agencies": agencies, "form": {
        "owner_agency": principal.agency_code or "", "access": "internal", "update_frequency": "monthly",
        "license_id": "cc-by-4.0"}})


@router.post("/datasets/new", response_class=HTMLResponse)
def new_dataset(request: Request, db: DB, principal: LoggedIn,
                name: Annotated[str, Form()], title: Annotated[str, Form()],
                owner_agency: Annotated[str, Form()], schema_text: Annotated[str, Form()],
                description: Annotated[str, Form()] = "", license_id: Annotated[str, Form()] = "cc-by-4.0",
                access: Annotated[str, Form()] = "internal", update_frequency: Annotated[str, Form()] = "monthly",
                tags: Annotated[str, Form()] = "") -> Response:
    form = {"name": name, "title": title, "owner_agency": owner_agency, "schema_text": schema_text,
            "description": description, "license_id": license_id, "access": access,
            "update_frequency": update_frequency, "tags": tags}
    try:
        dataset_in = DatasetIn.model_validate({
            "name": name.strip(), "title": title.strip(), "description": description, "owner_agency": owner_agency,
            "license_id": license_id, "access": access, "update_frequency": update_frequency,
            "tags": [t.strip() for t in tags.split(",") if t.strip()], "schema": parse_schema_lines(schema_text)})
        service.create_dataset(db, principal=principal, dataset_in=dataset_in)
    except (ValidationError, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status_code in (401, 403):
            raise
        message = exc.message if isinstance(exc, DomainError) else "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        agencies, _ = orgs_service.list_agencies(db, page_size=10_000)
        return render(request, "catalog/new.html", {**_common(), "agencies": agencies, "form": form,
                                                    "error": message}, status_code=422)
    return RedirectResponse(f"/datasets/{name.strip()}", status_code=303)


ROWS_PAGE = 25


def _detail(request: Request, db: DB, principal: Any, name: str, **extra: Any) -> dict[str, Any]:
    ds = service.get_dataset(db, name)
    readable = service.can_read(db, principal, ds)
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    page = service.read_rows(db, request.app.state.warehouse, principal=principal, name=name,
                             limit=ROWS_PAGE, offset=(page_no - 1) * ROWS_PAGE) if readable else None
    batches = service.list_batches(db, principal=principal, name=name) if readable else []
    from dieuhanh.orgs.people import actor_names

    return {
        **_common(), "ds": ds, "readable": readable, "rows": page, "rows_page": page_no,
        "rows_page_size": ROWS_PAGE, "batches": batches,
        "people": actor_names(db, [b.created_by for b in batches]),
        "fresh": service.freshness(db, ds, request.app.state.warehouse),
        "can_load": allowed(principal, "dataset.load", ds),
        "can_rollback": allowed(principal, "dataset.rollback", ds),
        "can_publish": allowed(principal, "dataset.publish", ds),
        "can_review": allowed(principal, "dataset.review_pii", ds),
        "can_request": ds.access == "restricted" and not readable and allowed(principal, "dataset.request_access"),
        "can_request_update": allowed(principal, "dataset.request_update", ds),
        "hidden_pii": [c.name for c in ds.columns if c.pii and not service.can_read_pii(db, principal, ds)],
        **extra,
    }


@router.get("/datasets/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str, db: DB, principal: LoggedIn) -> HTMLResponse:
    return render(request, "catalog/dataset.html", _detail(request, db, principal, name))


PREVIEW_MAX_AGE_SECONDS = 24 * 3600


def remove_stale_previews(directory: Path, *, max_age: float = PREVIEW_MAX_AGE_SECONDS,
                          now: float | None = None) -> int:
    """Delete files kept for a preview that nobody loaded (older than a day); returns how many went."""
    import time

    if not directory.is_dir():
        return 0
    limit = (now if now is not None else time.time()) - max_age
    removed = 0
    for path in directory.iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _upload_dir(request: Request) -> Path:
    path = request.app.state.settings.uploads_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


@router.post("/datasets/{name}/upload", response_class=HTMLResponse)
async def upload_preview(request: Request, name: str, db: DB, principal: LoggedIn) -> HTMLResponse:
    """Step 1: keep the file aside and show what loading it would do."""
    settings = request.app.state.settings
    max_bytes = settings.max_upload_mb * 1024 * 1024
    # The right to load into this dataset is checked before a byte is written (no file kept after a 403).
    authorize(principal, "dataset.load", service.get_dataset(db, name))
    form = await request.form(max_part_size=max_bytes)
    upload = form.get("file")
    context: dict[str, Any] = {}
    if not isinstance(upload, UploadFile) or not upload.filename:
        context["error"] = "Hãy chọn tệp CSV, XLSX, JSON hoặc Parquet để tải lên."
    else:
        token = secrets.token_hex(16)
        suffix = Path(upload.filename).suffix.lower()[:10]
        target = _upload_dir(request) / f"{token}{suffix}"
        size = 0
        try:
            with target.open("wb") as out:
                while chunk := await upload.read(1 << 20):
                    size += len(chunk)
                    if size > max_bytes:
                        break
                    out.write(chunk)
        except BaseException:
            target.unlink(missing_ok=True)  # a full disk, a client gone: nothing half-written stays
            raise
        if size > max_bytes:
            target.unlink(missing_ok=True)
            context["error"] = f"Tệp vượt quá giới hạn {settings.max_upload_mb} MB."
        else:
            try:
                context["preview"] = ingest.preview(db, principal=principal, dataset_name=name, source=target,
                                                    filename=upload.filename, province_code=settings.province_code,
                                                    max_bytes=max_bytes)
                context["upload_token"] = f"{token}{suffix}"
                context["upload_name"] = upload.filename
            except DomainError as exc:
                target.unlink(missing_ok=True)
                if exc.status_code in (401, 403):
                    raise
                context["error"] = exc.message
                context["load_errors"] = exc.errors
            except BaseException:
                target.unlink(missing_ok=True)
                raise
    return render(request, "catalog/dataset.html", _detail(request, db, principal, name, **context),
                  status_code=422 if context.get("error") else 200)


@router.post("/datasets/{name}/commit", response_class=HTMLResponse)
def upload_commit(request: Request, name: str, db: DB, principal: LoggedIn,
                  upload_token: Annotated[str, Form()], upload_name: Annotated[str, Form()],
                  mode: Annotated[str, Form()] = "append") -> Response:
    """Step 2: load the previewed file as one batch."""
    settings = request.app.state.settings
    if not upload_token.replace(".", "").isalnum():
        raise InvalidInput("Mã tệp tải lên không hợp lệ.")
    path = _upload_dir(request) / upload_token
    if not path.exists():
        raise InvalidInput("Tệp tải lên đã hết hạn. Hãy chọn lại tệp.")
    try:
        result = ingest.load(db, request.app.state.warehouse, principal=principal, dataset_name=name, source=path,
                             filename=upload_name, mode=mode, source_kind="upload",
                             province_code=settings.province_code, max_bytes=settings.max_upload_mb * 1024 * 1024)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        db.rollback()
        ingest.record_rejection(db, principal=principal, dataset_name=name, error_count=len(exc.errors),
                                filename=upload_name, source_kind="upload", mode=mode)
        db.commit()
        return render(request, "catalog/dataset.html", _detail(request, db, principal, name, error=exc.message,
                                                                load_errors=exc.errors), status_code=422)
    finally:
        path.unlink(missing_ok=True)
    return RedirectResponse(f"/datasets/{name}?loaded={result.rows}", status_code=303)


@router.post("/datasets/{name}/batches/{batch_id}/rollback")
def rollback(request: Request, name: str, batch_id: str, db: DB, principal: LoggedIn) -> Response:
    service.rollback_batch(db, request.app.state.warehouse, principal=principal, name=name, batch_id=batch_id)
    return RedirectResponse(f"/datasets/{name}", status_code=303)


@router.post("/datasets/{name}/publish")
def publish(request: Request, name: str, db: DB, principal: LoggedIn,
            published: Annotated[str, Form()]) -> Response:
    try:
        service.set_published(db, principal=principal, name=name, published=published == "1")
    except InvalidInput as exc:
        return render(request, "catalog/dataset.html", _detail(request, db, principal, name, error=exc.message),
                      status_code=422)
    return RedirectResponse(f"/datasets/{name}", status_code=303)


@router.post("/datasets/{name}/columns/{column}/pii")
def review_pii(name: str, column: str, db: DB, principal: LoggedIn, is_pii: Annotated[str, Form()]) -> Response:
    service.review_pii(db, principal=principal, name=name, column=column, is_pii=is_pii == "1")
    return RedirectResponse(f"/datasets/{name}", status_code=303)


@router.post("/datasets/{name}/access-request")
def access_request(request: Request, name: str, db: DB, principal: LoggedIn,
                   reason: Annotated[str, Form()], include_pii: Annotated[str, Form()] = "") -> Response:
    try:
        service.request_access(db, principal=principal, name=name, reason=reason, include_pii=include_pii == "1")
    except InvalidInput as exc:
        return render(request, "catalog/dataset.html", _detail(request, db, principal, name, error=exc.message),
                      status_code=422)
    return RedirectResponse(f"/datasets/{name}?requested=1", status_code=303)


@router.post("/datasets/{name}/update-request")
def update_request(name: str, db: DB, principal: LoggedIn, message: Annotated[str, Form()] = "") -> Response:
    service.request_update(db, principal=principal, name=name, message=message)
    return RedirectResponse("/data-quality?requested=1", status_code=303)


@router.get("/data-quality", response_class=HTMLResponse)
def quality_page(request: Request, db: DB, principal: LoggedIn) -> HTMLResponse:
    board = service.leaderboard(db, principal=principal, warehouse=request.app.state.warehouse)
    requests_ = service.list_access_requests(db, principal=principal)
    return render(request, "catalog/quality.html", {**_common(), "board": board, "access_requests": requests_,
                                                    "can_request_update": allowed(principal, "dataset.request_update")})


@router.post("/access-requests/{request_id}/decide")
def decide(request_id: int, db: DB, principal: LoggedIn, approve: Annotated[str, Form()],
           days: Annotated[int, Form()] = 365) -> Response:
    service.decide_access(db, principal=principal, request_id=request_id, approve=approve == "1", days=days)
    return RedirectResponse("/data-quality", status_code=303)


@router.get("/query", response_class=HTMLResponse)
def query_page(request: Request, principal: LoggedIn) -> HTMLResponse:
    return render(request, "catalog/query.html", {"sql": "", "result": None})


@router.post("/query", response_class=HTMLResponse)
def query_run(request: Request, db: DB, principal: LoggedIn, sql: Annotated[str, Form()]) -> HTMLResponse:
    settings = request.app.state.settings
    try:
        result = service.run_query(db, request.app.state.warehouse, principal=principal, sql=sql,
                                   timeout=settings.query_timeout_seconds, max_rows=min(settings.query_max_rows, 1000))
        return render(request, "catalog/query.html", {"sql": sql, "result": result})
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        return render(request, "catalog/query.html", {"sql": sql, "result": None, "error": exc.message},
                      status_code=422)
