"""JSON API of the operating indicator set."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from dieuhanh.core.cache import LRUCache
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import authorize
from dieuhanh.indicators import service
from dieuhanh.indicators.schemas import IndicatorIn
from dieuhanh.web.deps import DB, CurrentPrincipal
from dieuhanh.web.params import json_body

router = APIRouter(prefix="/api/v1", tags=["bộ chỉ số"])
_VALUES = LRUCache(512)  # encoded answers of the values API, keyed by query and data state


@router.get("/indicators")
def list_indicators(db: DB, principal: CurrentPrincipal, q: str | None = None,
                    domain: str | None = None) -> list[dict[str, Any]]:
    """Indicators the caller may read (public ones without login), with their latest province value."""
    items = service.list_definitions(db, principal=principal, q=q, domain=domain)
    latest = service.latest_province_values(db, [d.code for d in items])
    return [service.definition_out(d, latest.get(d.code)) for d in items]


class ComputeIn(BaseModel):
    codes: list[str] | None = None
    period: str | None = None


@router.post("/indicators/compute")
def compute(request: Request, db: DB, principal: CurrentPrincipal, body: ComputeIn | None = None) -> dict[str, Any]:
    """Recompute now (admin, analyst): all indicators, or the given codes, optionally one period."""
    authorize(principal, "indicator.compute")
    body = body or ComputeIn()
    summary = service.compute(db, request.app.state.warehouse, codes=body.codes, period=body.period,
                              province_code=request.app.state.settings.province_code, trigger="manual",
                              principal=principal)
    return summary.as_dict()


@router.post("/indicators", status_code=201, openapi_extra=json_body(IndicatorIn))
async def define(request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """An analyst defines an indicator: a JSON object, or YAML text (``Content-Type: application/yaml``)."""
    authorize(principal, "indicator.define")
    content_type = request.headers.get("content-type", "")
    raw = await request.body()
    data: Any
    if "json" in content_type:
        import json

        try:
            data = json.loads(raw or b"null")
        except ValueError as exc:
            raise InvalidInput(f"JSON không hợp lệ: {exc}") from None
        if isinstance(data, dict) and isinstance(data.get("yaml"), str):
            data = data["yaml"]
    else:
        data = raw.decode("utf-8", errors="replace")
    defn, checked = service.define(db, request.app.state.warehouse, principal=principal, data=data,
                                   province_code=request.app.state.settings.province_code)
    return {**service.definition_out(defn), "check": checked.as_dict()}


@router.get("/indicators/{code}")
def get_indicator(code: str, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    defn = service.get_definition(db, principal=principal, code=code)
    latest = service.latest_province_values(db, [code]).get(code)
    return service.definition_out(defn, latest)


@router.get("/indicators/{code}/values")
def values(request: Request, code: str, db: DB, principal: CurrentPrincipal, period: str | None = None,
           unit: str | None = None, level: str | None = None,
           limit: int = Query(10_000, ge=1, le=100_000), offset: int = Query(0, ge=0)) -> Response:
    """Values: ``{period, unit_code, unit_name, level, value, numerator, denominator, target, status,
    computed_at, batches}``, filtered by period, unit code and level (province | commune | agency)."""
    defn = service.get_definition(db, principal=principal, code=code)
    province = request.app.state.settings.province_code

    def encode() -> bytes:  # plain rows straight to JSON: no ORM objects, no response-model pass
        return bytes(JSONResponse(service.values_out(db, code=code, province_code=province, period=period,
                                                     unit=unit, level=level, limit=limit, offset=offset)).body)

    if "agency" in (defn.levels or []):
        return Response(encode(), media_type="application/json")  # agency names are read live
    # Wall screens poll this: the encoded answer is kept per data state.
    key = (code, province, period, unit, level, limit, offset, *service.data_state(db))
    return Response(_VALUES.get_or_build(key, encode), media_type="application/json")
