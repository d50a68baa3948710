"""Pages: the public air page ``/khong-khi`` (no login) and the department's page ``/environment``."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dieuhanh.core.security import authorize
from dieuhanh.environment import aqi, service
from dieuhanh.web.deps import DB, CurrentPrincipal, require_login
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)


def _station_now(now: service.StationNow) -> dict:
    cat = now.category
    st = now.station
    return {"code": st.code, "name": st.name, "lat": st.lat, "lon": st.lon, "kind": st.kind,
            "operator": st.operator, "aqi": now.aqi, "category": cat.name if cat else None,
            "colour": cat.colour if cat else "#9e9e9e", "level": cat.level if cat else 0,
            "dominant": aqi.PARAMETER_LABELS.get(now.dominant or "", None),
            "at": now.at.strftime("%H:%M %d/%m/%Y") if now.at else None, "silent": now.silent,
            "advice": cat.advice if cat else None, "advice_sensitive": cat.advice_sensitive if cat else None,
            "sub_indices": {aqi.PARAMETER_LABELS[p]: v for p, v in now.sub_indices.items()}}


@router.get("/khong-khi", response_class=HTMLResponse)
def public_air(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    authorize(principal, "environment.read")
    stations = [_station_now(n) for n in service.current(db, service.list_stations(db))]
    live = [s for s in stations if s["aqi"] is not None and not s["silent"]]
    worst = max(live, key=lambda s: s["aqi"], default=None)
    return render(request, "environment/public.html", {
        "stations": stations, "worst": worst, "categories": aqi.CATEGORIES})


@router.get("/environment", response_class=HTMLResponse)
def officials(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    require_login(principal)
    authorize(principal, "environment.officials")
    stations = service.list_stations(db)
    today = service.local_now().date()
    first = today - timedelta(days=30)
    last = today - timedelta(days=1)
    nows = {n.station.code: n for n in service.current(db, stations)}
    rows = []
    for summary in service.summaries(db, stations, first, last):
        st = summary.station
        rows.append({"station": st, "now": _station_now(nows[st.code]), "summary": summary,
                     "last": service.last_reading(db, st)})
    return render(request, "environment/officials.html", {
        "rows": rows, "first": first, "last": last, "kinds": {"auto": "Tự động", "lowcost": "Cảm biến"}})
