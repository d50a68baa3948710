"""JSON API of the one-stop-shop synchronisation: push procedures and dossiers (portal field names).

Callers are systems with a ``publicservices`` token (``Authorization: Bearer …``; no CSRF) or admins signed in
(session + ``X-CSRF-Token``). A token without an agency pushes for every agency; a token with one only that
agency's records (any other record: 403 with the records' indexes, nothing stored).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request

from dieuhanh.publicservices import schemas, service
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn

router = APIRouter(prefix="/api/v1/publicservices", tags=["dịch vụ công"])

_ERRORS = {
    401: {"description": "Thiếu hoặc sai mã truy cập"},
    403: {"description": "Mã truy cập không có phạm vi publicservices, hoặc gửi bản ghi của cơ quan khác "
                         "(errors: index, field, message)"},
    413: {"description": "Quá số bản ghi tối đa của một lần gửi (mặc định 5.000)"},
    422: {"description": "Có bản ghi không hợp lệ: {\"errors\": [{\"index\", \"field\", \"message\"}]}; không lưu gì"},
}


def _max(request: Request) -> int:
    return int(request.app.state.settings.publicservices_max_records)


@router.post("/procedures", response_model=schemas.UpsertOut, responses=_ERRORS)  # type: ignore[arg-type]
def push_procedures(request: Request, db: DB, principal: CurrentPrincipal,
                    records: list[Any] = Body(..., examples=[schemas.PROCEDURE_EXAMPLE])) -> dict[str, Any]:
    """Upsert procedures by ``MaTTHC`` (all records valid, or nothing stored)."""
    result = service.upsert_procedures(
        db, request.app.state.warehouse, records, principal=principal, source="push",
        province_code=request.app.state.settings.province_code, max_records=_max(request))
    return result.as_dict()


@router.post("/dossiers", response_model=schemas.UpsertOut, responses=_ERRORS)  # type: ignore[arg-type]
def push_dossiers(request: Request, db: DB, principal: CurrentPrincipal,
                  records: list[Any] = Body(..., examples=[schemas.DOSSIER_EXAMPLE])) -> dict[str, Any]:
    """Upsert dossiers by ``MaHoSo``; a version older (``NgayCapNhat``) than the stored one is skipped."""
    result = service.upsert_dossiers(
        db, request.app.state.warehouse, records, principal=principal, source="push",
        province_code=request.app.state.settings.province_code, max_records=_max(request))
    return result.as_dict()


@router.post("/petitions", responses=_ERRORS)  # type: ignore[arg-type]
def push_petitions(request: Request, db: DB, principal: CurrentPrincipal,
                   records: list[Any] = Body(..., examples=[[{
                       "MaPAKN": "PAKN-2026-0001", "MaCoQuan": "STP", "MaDonViHanhChinh": "13285",
                       "PhanLoai": "tthc", "NgayTiepNhan": "20261102080000", "HanXuLy": "20261123170000",
                       "NgayXuLy": "20261110090000", "TrangThai": "da_xu_ly", "DanhGia": "hai_long",
                       "CongKhai": 1, "NgayCapNhat": "20261110090000"}]])) -> dict[str, Any]:
    """Upsert petitions and recommendations on procedures (PAKN) by ``MaPAKN`` (all valid or nothing)."""
    from dieuhanh.publicservices import records as ps_records

    return ps_records.upsert_petitions(db, records, principal=principal,
                                       province_code=request.app.state.settings.province_code,
                                       max_records=_max(request)).as_dict()


@router.post("/certified-copies", responses=_ERRORS)  # type: ignore[arg-type]
def push_certified_copies(request: Request, db: DB, principal: CurrentPrincipal,
                          records: list[Any] = Body(..., examples=[[{
                              "MaDonViHanhChinh": "13285", "Thang": "2026-11", "CoCungCap": 1}]])) -> dict[str, Any]:
    """Upsert, per commune and month, whether electronic certified copies from originals were provided."""
    from dieuhanh.publicservices import records as ps_records

    return ps_records.upsert_certified_copies(db, records, principal=principal,
                                              province_code=request.app.state.settings.province_code,
                                              max_records=_max(request)).as_dict()


@router.get("/procedures/{ma_tthc}")
def get_procedure(ma_tthc: str, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """A procedure's current state (officials)."""
    return service.get_procedure(db, principal=principal, ma_tthc=ma_tthc)


@router.get("/dossiers/{ma_ho_so}")
def get_dossier(ma_ho_so: str, db: DB, principal: LoggedIn) -> dict[str, Any]:
    """A dossier's current state. Personal fields only for officials of the dossier's agency."""
    return service.get_dossier(db, principal=principal, ma_ho_so=ma_ho_so)
