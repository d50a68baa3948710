from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from dieuhanh.core.errors import NotFound
from dieuhanh.geo import service
from dieuhanh.geo.schemas import ResolutionOut, UnitOut
from dieuhanh.web.deps import DB
from dieuhanh.web.params import NOT_BLANK_PATTERN, documented, one_of

router = APIRouter(prefix="/api/v1/units", tags=["đơn vị hành chính"])


@router.get("", response_model=list[UnitOut])
def list_units(db: DB, level: Annotated[str | None, Query(json_schema_extra=one_of(("province", "commune")))] = None,
               q: str | None = None) -> list[UnitOut]:
    """Units of the province (public reference data). `q` matches with or without diacritics."""
    return [UnitOut.model_validate(u) for u in service.list_units(db, level=level, q=q)]


@router.get("/resolve", response_model=ResolutionOut, responses={404: {}, 409: {}})
def resolve(request: Request,
            address: Annotated[str, Query(json_schema_extra=documented(pattern=NOT_BLANK_PATTERN))],
            ) -> ResolutionOut | JSONResponse:
    """Resolve an address (current or pre-2025 names, with or without diacritics) to a current commune."""
    result = service.resolve(province_code=request.app.state.province.code, address=address)
    if result.code is None and result.candidates:
        return JSONResponse(
            {
                "detail": result.message,
                "candidates": [{"code": c.code, "name": c.name} for c in result.candidates],
                "matched_from": result.matched_from,
            },
            status_code=409,
        )
    if result.code is None or result.name is None:
        raise NotFound(result.message or "Không xác định được xã, phường từ địa chỉ này.")
    return ResolutionOut(
        code=result.code, name=result.name, matched_from=result.matched_from, confidence=result.confidence
    )


@router.get("/boundaries.geojson", responses={200: {"content": {"application/geo+json": {}}}})
def boundaries(db: DB) -> JSONResponse:
    return JSONResponse(service.boundaries_geojson(db), media_type="application/geo+json")


@router.get("/{code}", response_model=UnitOut)
def get_unit(code: str, db: DB) -> UnitOut:
    return UnitOut.model_validate(service.get_unit(db, code))
