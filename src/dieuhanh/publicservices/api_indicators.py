"""JSON API of the Decision 766 indicators: a unit's scores for a period, and the dossiers behind a number.

``GET /api/v1/publicservices/indicators?period=2025-06|2025-Q2|2025&scope=province|agency|commune&unit=CODE``
``GET /api/v1/publicservices/dossiers?period=&scope=&unit=&late=true&indicator=2.1&page=&page_size=``
``POST /api/v1/publicservices/indicators/recompute`` (admins, analysts: full recomputation now)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from dieuhanh.core.security import Principal
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.publicservices import compute
from dieuhanh.web.deps import DB, CurrentPrincipal
from dieuhanh.web.params import PERIOD_PATTERN, documented, one_of

router = APIRouter(prefix="/api/v1/publicservices", tags=["dịch vụ công"])


@router.get("/indicators")
def indicators(request: Request, db: DB, principal: CurrentPrincipal,
               period: str = Query(..., description="2025-06 (tháng), 2025-Q2 (quý) hoặc 2025 (năm)",
                                   json_schema_extra=documented(pattern=PERIOD_PATTERN)),
               scope: str = Query("province", description="province | agency | commune",
                                  json_schema_extra=one_of(compute.SCOPES)),
               unit: str | None = Query(None, description="mã cơ quan (agency) hoặc mã xã (commune)"),
               ) -> dict[str, Any]:
    """Total, group and indicator scores of one unit for one period (QĐ 766/QĐ-TTg). Province scores are
    published; agency and commune scores are for officials (an officer: their own agency)."""
    return compute.read_scores(db, request.app.state.warehouse, principal=principal, period=period, scope=scope,
                               unit=unit, province_code=request.app.state.settings.province_code)


def list_dossiers(db: Session, warehouse: Warehouse, *, principal: Principal, period: str, scope: str,
                  unit: str | None, province_code: str, indicator: str | None = None, late: bool = False,
                  page: int = 1, page_size: int = 50) -> dict[str, Any]:
    """The dossiers behind a number (also used by the board's drill-down page)."""
    return compute.list_dossiers(db, warehouse, principal=principal, period=period, scope=scope, unit=unit,
                                 province_code=province_code, indicator=indicator, late=late, page=page,
                                 page_size=page_size)


@router.get("/dossiers")
def dossiers(request: Request, db: DB, principal: CurrentPrincipal,
             period: str = Query(..., description="2025-06, 2025-Q2 hoặc 2025",
                                 json_schema_extra=documented(pattern=PERIOD_PATTERN)),
             scope: str = Query("province", description="province | agency | commune",
                                json_schema_extra=one_of(compute.SCOPES)),
             unit: str | None = None, late: bool = False,
             indicator: str = Query("2.1", description="mã chỉ tiêu: danh sách mẫu số, đánh dấu tử số"),
             page: int = Query(1, ge=1), page_size: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    """The dossiers behind an indicator's number (officials only; an officer: their agency's dossiers), those
    outside the numerator (late ones for 2.1) first, paginated with the total."""
    return list_dossiers(db, request.app.state.warehouse, principal=principal, period=period, scope=scope,
                         unit=unit, province_code=request.app.state.settings.province_code, indicator=indicator,
                         late=late, page=page, page_size=page_size)


@router.get("/ranking")
def ranking(request: Request, db: DB,
            period: str | None = Query(None, description="2026-09, 2026-Q3 hoặc 2026; trống: kỳ mới nhất đã nhập",
                                        json_schema_extra=documented(pattern=PERIOD_PATTERN)),
            ) -> dict[str, Any]:
    """The 34 provinces' published Decision 766 scores (imported from the national portal's table) with this
    province's rank and its gap to the first province and to the average of the provinces, in total and per
    group (``groups``: the group's name, the leader's name). Published data: no sign-in."""
    from dieuhanh.publicservices import records

    names = {g.code: g.name for g in compute.stored_profile(request.app.state.warehouse).groups}
    return records.ranking(db, period=period, province_code=request.app.state.settings.province_code,
                           group_names=names)


@router.post("/indicators/recompute")
def recompute(request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """Recompute every period × scope × unit now (admins, analysts), then the indicator set's values."""
    result = compute.recompute(db, request.app.state.warehouse,
                               province_code=request.app.state.settings.province_code,
                               settings=request.app.state.settings, principal=principal, trigger="manual")
    return result.as_dict()
