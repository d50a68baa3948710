"""Pages: the indicator catalogue (/indicators) and one indicator (/indicators/{code})."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.core.errors import DomainError
from dieuhanh.core.security import allowed
from dieuhanh.indicators import service
from dieuhanh.indicators.schemas import DIRECTIONS, DOMAINS, PERIODICITIES
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {"good": "Đạt", "warning": "Cảnh báo", "critical": "Nghiêm trọng", "neutral": "Theo dõi",
                 "nodata": "Chưa có số liệu"}
LEVEL_LABELS = {"province": "Tỉnh", "commune": "Xã, phường", "agency": "Cơ quan, đơn vị"}
PAGE_SIZE = 50


def _common() -> dict[str, Any]:
    return {"DOMAINS": DOMAINS, "PERIODICITIES": PERIODICITIES, "DIRECTIONS": DIRECTIONS,
            "STATUS_LABELS": STATUS_LABELS, "LEVEL_LABELS": LEVEL_LABELS}


@router.get("/indicators", response_class=HTMLResponse)
def catalogue(request: Request, db: DB, principal: CurrentPrincipal, q: str = "", domain: str = "") -> HTMLResponse:
    items = service.list_definitions(db, principal=principal, q=q or None, domain=domain or None)
    latest = service.latest_province_values(db, [d.code for d in items])
    return render(request, "indicators/list.html", {
        **_common(), "items": items, "latest": latest, "q": q, "domain": domain,
        "can_compute": allowed(principal, "indicator.compute") and principal.kind != "system",
        "runs": service.recent_runs(db, 1),
    })


@router.post("/indicators/compute")
def compute_page(request: Request, db: DB, principal: LoggedIn,
                 code: str = Form(""), csrf_token: str = Form("")) -> Response:
    codes = [code] if code else None
    try:
        service.compute(db, request.app.state.warehouse, codes=codes,
                        province_code=request.app.state.settings.province_code, trigger="manual",
                        principal=principal)
    except DomainError:
        raise
    return RedirectResponse(f"/indicators/{code}" if code else "/indicators", status_code=303)


@router.get("/indicators/{code}", response_class=HTMLResponse)
def detail(request: Request, code: str, db: DB, principal: CurrentPrincipal, period: str = "",
           page: int = Query(1, ge=1)) -> HTMLResponse:
    defn = service.get_definition(db, principal=principal, code=code)
    province_code = request.app.state.settings.province_code
    series = service.list_values(db, code=code, level="province")
    periods = sorted({v.period for v in series})
    if not periods:
        periods = sorted({v.period for v in service.list_values(db, code=code, level="commune", limit=5000)})
    shown = period if period in periods else (periods[-1] if periods else "")
    total = service.count_values(db, code=code, period=shown, level="commune") if shown else 0
    communes = service.list_values(db, code=code, period=shown, level="commune", limit=PAGE_SIZE,
                                   offset=(page - 1) * PAGE_SIZE) if shown else []
    batch_ids = sorted({b for v in [*series[-1:], *communes[:1]] for b in (v.batches or [])})
    lineage = []
    if batch_ids:
        from sqlalchemy import select

        lineage = list(db.execute(
            select(LoadBatch, Dataset.name, Dataset.title).join(Dataset, Dataset.id == LoadBatch.dataset_id)
            .where(LoadBatch.id.in_(batch_ids)).order_by(Dataset.name, LoadBatch.created_at)))
    chart = {"labels": [v.period for v in series], "values": [v.value for v in series],
             "targets": [v.target for v in series], "unit": defn.unit, "name": defn.name}
    names = service.unit_names(province_code)
    return render(request, "indicators/detail.html", {
        **_common(), "d": defn, "series": series, "periods": periods, "period": shown, "communes": communes,
        "names": names, "total": total, "page": page, "page_size": PAGE_SIZE, "lineage": lineage,
        "chart_json": json.dumps(chart, ensure_ascii=False).replace("</", "<\\/"),
        "province_value": next((v for v in series if v.period == shown), None),
        "can_compute": allowed(principal, "indicator.compute") and principal.kind != "system",
    })
