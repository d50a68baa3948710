"""JSON API of periodic reports: types, templates, submissions (upload with the agency's token or session), late
list. Token callers are exempt from CSRF by the core (Bearer); session callers send X-CSRF-Token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dieuhanh.core.errors import InvalidInput, TooLarge
from dieuhanh.reporting import service
from dieuhanh.reporting.models import ReportType
from dieuhanh.reporting.schemas import AssignmentIn, ReportTypeIn
from dieuhanh.web.deps import DB, CurrentPrincipal
from dieuhanh.web.params import PERIOD_PATTERN, documented

router = APIRouter(prefix="/api/v1/reports", tags=["báo cáo định kỳ"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def type_out(rt: ReportType) -> dict[str, Any]:
    return {"code": rt.code, "title": rt.title, "description": rt.description, "periodicity": rt.periodicity,
            "due_day": rt.due_day, "dataset": rt.dataset, "layout": rt.layout, "version": rt.version,
            "fields": rt.fields, "active": rt.active,
            "assignments": [{"agency_code": a.agency_code, "from_period": a.from_period, "due_day": a.due_day}
                            for a in rt.assignments if a.active]}


@router.get("")
def list_types(db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    return {"items": [type_out(t) for t in service.list_types(db, principal=principal)]}


@router.post("", status_code=201)
def save_type(body: ReportTypeIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """Create or change a report type (analyst, admin). Creates its dataset when it does not exist."""
    return type_out(service.save_type(db, principal=principal, data=body))


@router.get("/late")
def late(db: DB, principal: CurrentPrincipal,
         period: str = Query(..., examples=["2025-06"], json_schema_extra=documented(pattern=PERIOD_PATTERN)),
         ) -> dict[str, Any]:
    """Reports owed for ``period`` (2025-06, 2025-Q2, 2025) missing after the due date or submitted late."""
    items = service.late_list(db, principal=principal, period=period)
    return {"period": period, "items": items, "total": len(items)}


@router.get("/{code}")
def get_type(code: str, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    types = {t.code: t for t in service.list_types(db, principal=principal)}
    if code not in types:
        service.get_type(db, code)  # 404 when it does not exist
        from dieuhanh.core.errors import PermissionDenied

        raise PermissionDenied("Cơ quan của bạn không được giao báo cáo này.")
    return type_out(types[code])


@router.post("/{code}/assignments", status_code=201)
def assign(code: str, body: AssignmentIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    a = service.assign(db, principal=principal, code=code, data=body)
    return {"report_type": code, "agency_code": a.agency_code, "from_period": a.from_period, "due_day": a.due_day}


@router.delete("/{code}/assignments/{agency_code}", status_code=204)
def unassign(code: str, agency_code: str, db: DB, principal: CurrentPrincipal) -> Response:
    service.unassign(db, principal=principal, code=code, agency_code=agency_code)
    return Response(status_code=204)


@router.get("/{code}/template.xlsx")
def template(code: str, db: DB, principal: CurrentPrincipal, period: str | None = None,
             agency: str | None = None) -> Response:
    data, filename = service.template(db, principal=principal, code=code, agency_code=agency, period=period)
    return Response(data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{code}/submissions")
def submissions(code: str, db: DB, principal: CurrentPrincipal, agency: str | None = None,
                period: str | None = None) -> dict[str, Any]:
    items = service.list_submissions(db, principal=principal, code=code, agency_code=agency, period=period)
    return {"items": [service.submission_out(s) for s in items], "total": len(items)}


@router.post("/{code}/submissions", status_code=201, response_model=None)
async def submit(code: str, request: Request, db: DB, principal: CurrentPrincipal) -> Any:
    """Upload a filled template (multipart, field ``file``; optional ``period``; ``agency`` for admins).
    201 with the submission; 422 with ``errors`` [{cell, field, message}] and nothing stored."""
    settings = request.app.state.settings
    max_bytes = settings.max_upload_mb * 1024 * 1024
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes + 64 * 1024:
        raise TooLarge(f"Tệp vượt quá giới hạn {settings.max_upload_mb} MB.")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("Gửi tệp Excel trong trường 'file' của biểu mẫu multipart/form-data.")
    form = await request.form(max_part_size=max_bytes + 1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput("Thiếu tệp: gửi tệp Excel trong trường 'file'.")
    data = await upload.read(max_bytes + 1)
    agency = str(form.get("agency") or "") or None
    period = str(form.get("period") or "") or None
    result = await run_in_threadpool(
        service.submit_file, db, request.app.state.warehouse, principal=principal, code=code, data=data,
        filename=upload.filename, agency_code=agency, period=period, province_code=settings.province_code,
        max_bytes=max_bytes, channel="api")
    body = service.submission_out(result.submission)
    if not result.accepted:
        return JSONResponse({"detail": f"Báo cáo bị từ chối: {len(result.errors)} lỗi. Chưa có số liệu nào được "
                                       "lưu.", "errors": body["errors"], "error_count": len(result.errors),
                             "submission": body}, status_code=422)
    return body
