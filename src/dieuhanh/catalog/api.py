from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from dieuhanh.catalog import service
from dieuhanh.catalog.schemas import BatchOut, ColumnIn, DatasetIn, DatasetOut
from dieuhanh.core.errors import FieldError, InvalidInput, TooLarge
from dieuhanh.ingest import service as ingest
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(prefix="/api/v1", tags=["kho dữ liệu"])


def _out(ds: Any) -> dict[str, Any]:
    return DatasetOut.model_validate(ds).model_dump(by_alias=True)


@router.post("/datasets", status_code=201)
def create_dataset(dataset_in: DatasetIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """Define a dataset (analyst, or an officer/agency token for its own agency)."""
    return _out(service.create_dataset(db, principal=principal, dataset_in=dataset_in))


@router.get("/datasets")
def list_datasets(db: DB, principal: CurrentPrincipal, q: str | None = None, agency: str | None = None,
                  page: int = Query(1, ge=1), page_size: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    rows, total = service.list_datasets(db, principal=principal, q=q, agency=agency, page=page, page_size=page_size)
    return {"items": [_out(d) for d in rows], "total": total, "page": page, "page_size": page_size}


@router.get("/datasets/freshness")
def freshness(request: Request, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """Freshness and quality per dataset and per agency (the leaderboard)."""
    return service.leaderboard(db, principal=principal, warehouse=request.app.state.warehouse)


@router.get("/datasets/{name}")
def get_dataset(name: str, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    ds = service.get_dataset(db, name)
    if not principal.is_authenticated and not (ds.access == "public" and ds.published):
        from dieuhanh.core.errors import NotFound

        raise NotFound(f"Không có bộ dữ liệu '{name}'.")
    return _out(ds)


@router.post("/datasets/{name}/publish")
def publish(name: str, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return _out(service.set_published(db, principal=principal, name=name, published=True))


@router.post("/datasets/{name}/unpublish")
def unpublish(name: str, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return _out(service.set_published(db, principal=principal, name=name, published=False))


class SchemaIn(BaseModel):
    schema_: list[ColumnIn] = Field(alias="schema", min_length=1)


@router.put("/datasets/{name}/schema")
def update_schema(name: str, body: SchemaIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """A new version of the schema: add columns, change descriptions or PII flags (types stay)."""
    return _out(service.update_schema(db, principal=principal, name=name, columns=body.schema_))


class PiiReview(BaseModel):
    is_pii: bool


@router.post("/datasets/{name}/columns/{column}/pii")
def review_pii(name: str, column: str, body: PiiReview, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return _out(service.review_pii(db, principal=principal, name=name, column=column, is_pii=body.is_pii))


async def _batch_source(request: Request, max_bytes: int) -> tuple[Any, str | None, str]:
    """The body of a batch request: a multipart file or JSON {"records": [...]}, and the mode."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise TooLarge(f"Tệp vượt quá giới hạn {max_bytes // (1024 * 1024)} MB.")
    content_type = request.headers.get("content-type", "")
    mode = request.query_params.get("mode", "append")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_part_size=max_bytes)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("Thiếu tệp: gửi tệp trong trường 'file' của biểu mẫu multipart.")
        mode = str(form.get("mode") or mode)
        return upload.file, upload.filename, mode
    if content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"JSON không hợp lệ: {exc}") from exc
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise InvalidInput('Cần JSON dạng {"records": [{...}, ...]}.',
                               errors=[FieldError(message="records phải là danh sách đối tượng", field="records")])
        mode = str(body.get("mode") or mode)
        return records, "records.json", mode
    raise InvalidInput("Gửi tệp (multipart/form-data, trường 'file') hoặc JSON {\"records\": [...]}.")


# what _batch_source reads: a file in a multipart form, or pushed records (each must fit the dataset's schema)
_MODE = {"type": "string", "enum": ["append", "replace"]}
BATCH_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "required": ["records"], "properties": {
        "records": {"type": "array", "items": {"type": "object"}}, "mode": _MODE}}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}, "mode": _MODE}}}}}}


@router.post("/datasets/{name}/batches", status_code=201, openapi_extra=BATCH_BODY)
async def create_batch(
    name: str, request: Request, db: DB, principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(max_length=120)] = None,
) -> dict[str, Any]:
    """Load a batch (CSV, XLSX, JSON, Parquet file or pushed records). All rows or none; 422 lists every
    error by row and column. A retry with the same Idempotency-Key returns the first result."""
    settings = request.app.state.settings
    max_bytes = settings.max_upload_mb * 1024 * 1024
    source, filename, mode = await _batch_source(request, max_bytes)
    from starlette.concurrency import run_in_threadpool

    kind = "push" if isinstance(source, list) else "upload"
    try:
        result = await run_in_threadpool(
            ingest.load, db, request.app.state.warehouse, principal=principal, dataset_name=name, source=source,
            filename=filename, mode=mode, idempotency_key=idempotency_key, source_kind=kind,
            province_code=settings.province_code, max_bytes=max_bytes,
        )
    except InvalidInput as exc:
        db.rollback()
        ingest.record_rejection(db, principal=principal, dataset_name=name, error_count=len(exc.errors),
                                filename=filename, source_kind=kind, mode=mode)
        db.commit()
        raise
    return result.as_dict()


@router.post("/datasets/{name}/preview", openapi_extra=BATCH_BODY)
async def preview_batch(name: str, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """What a load of this file would do (encoding, columns, types, errors, PII hints), storing nothing."""
    settings = request.app.state.settings
    max_bytes = settings.max_upload_mb * 1024 * 1024
    source, filename, _mode = await _batch_source(request, max_bytes)
    from starlette.concurrency import run_in_threadpool

    p = await run_in_threadpool(ingest.preview, db, principal=principal, dataset_name=name, source=source,
                                filename=filename, province_code=settings.province_code, max_bytes=max_bytes)
    return {"dataset": p.dataset, "format": p.format, "encoding": p.encoding, "columns": p.columns,
            "sample": p.sample, "rows": p.rows, "errors": [e.as_dict() for e in p.errors],
            "error_count": p.error_count, "pii_suggestions": p.pii_suggestions}


@router.get("/datasets/{name}/batches")
def list_batches(name: str, db: DB, principal: LoggedIn) -> list[dict[str, Any]]:
    return [BatchOut.model_validate(b).model_dump() for b in service.list_batches(db, principal=principal, name=name)]


@router.delete("/datasets/{name}/batches/{batch_id}")
def rollback_batch(name: str, batch_id: str, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    batch = service.rollback_batch(db, request.app.state.warehouse, principal=principal, name=name,
                                   batch_id=batch_id)
    return BatchOut.model_validate(batch).model_dump()


@router.get("/datasets/{name}/rows")
def rows(name: str, request: Request, db: DB, principal: CurrentPrincipal,
         limit: int = Query(100, ge=1, le=10_000), offset: int = Query(0, ge=0),
         batch: str | None = None) -> dict[str, Any]:
    page = service.read_rows(db, request.app.state.warehouse, principal=principal, name=name, limit=limit,
                             offset=offset, batch=batch)
    return {"columns": page.columns, "rows": page.rows, "total": page.total, "limit": limit, "offset": offset}


class AccessRequestIn(BaseModel):
    reason: str = Field(min_length=10, max_length=2000)
    include_pii: bool = False


@router.post("/datasets/{name}/access-requests", status_code=201)
def request_access(name: str, body: AccessRequestIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    req = service.request_access(db, principal=principal, name=name, reason=body.reason,
                                 include_pii=body.include_pii)
    return {"id": req.id, "status": req.status}


@router.get("/access-requests")
def list_access_requests(db: DB, principal: LoggedIn) -> list[dict[str, Any]]:
    return [{"id": r.id, "dataset_id": r.dataset_id, "agency_code": r.agency_code, "reason": r.reason,
             "include_pii": r.include_pii, "status": r.status, "created_at": r.created_at,
             "decided_by": r.decided_by} for r in service.list_access_requests(db, principal=principal)]


class Decision(BaseModel):
    days: int | None = Field(default=365, ge=1, le=3650)
    note: str = ""


@router.post("/access-requests/{request_id}/approve")
def approve(request_id: int, body: Decision, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    req = service.decide_access(db, principal=principal, request_id=request_id, approve=True, days=body.days,
                                note=body.note)
    return {"id": req.id, "status": req.status}


@router.post("/access-requests/{request_id}/deny")
def deny(request_id: int, body: Decision, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    req = service.decide_access(db, principal=principal, request_id=request_id, approve=False, note=body.note)
    return {"id": req.id, "status": req.status}


class UpdateRequestIn(BaseModel):
    message: str = Field(default="", max_length=2000)


@router.post("/datasets/{name}/update-requests", status_code=201)
def request_update(name: str, body: UpdateRequestIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    req = service.request_update(db, principal=principal, name=name, message=body.message)
    return {"id": req.id}


class QueryIn(BaseModel):
    sql: str = Field(min_length=1, max_length=20_000)


@router.post("/query")
def run_query(body: QueryIn, request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """One SELECT over the datasets you may read, read-only, with a time and row limit."""
    settings = request.app.state.settings
    result = service.run_query(db, request.app.state.warehouse, principal=principal, sql=body.sql,
                               timeout=settings.query_timeout_seconds, max_rows=settings.query_max_rows)
    return result

