from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dieuhanh.geo import service
from dieuhanh.web.deps import DB, CurrentPrincipal
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/units", response_class=HTMLResponse)
def units_page(request: Request, db: DB, principal: CurrentPrincipal, q: str = "", address: str = "") -> HTMLResponse:
    units = service.list_units(db, level="commune", q=q or None)
    resolution = service.resolve(province_code=request.app.state.province.code, address=address) if address else None
    template = "geo/_unit_rows.html" if request.headers.get("hx-request") else "geo/units.html"
    return render(request, template, {"units": units, "q": q, "address": address, "resolution": resolution})
