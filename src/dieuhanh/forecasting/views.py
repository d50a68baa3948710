"""Pages: `/giao-thong` (traffic forecasts), `/du-bao/chat-thai` (solid waste), `/du-bao/chi-tieu` (year-end
targets) and the fragment the indicator page includes (`/du-bao/chi-tieu/{code}/tom-tat`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dieuhanh.core import formatting
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import allowed, authorize
from dieuhanh.forecasting import targets, traffic, waste
from dieuhanh.indicators import service as indicators
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)


def period_label(period: str | None) -> str:
    return formatting.period_label(period, short=True)


def fmt(iso: str | None) -> str:
    """ISO 8601 local time -> "HH:MM dd/mm/yyyy"."""
    if not iso:
        return "—"
    return f"{iso[11:16]} {iso[8:10]}/{iso[5:7]}/{iso[:4]}"

CodePath = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")]


@router.get("/giao-thong", response_class=HTMLResponse)
def traffic_page(request: Request, db: DB, principal: LoggedIn,
                 link: Annotated[str, Query(max_length=40, pattern=r"^[A-Za-z0-9_.\-]*$")] = "") -> HTMLResponse:
    authorize(principal, "officials.read")
    wh = request.app.state.warehouse
    # links and anomalies are kept per data version: the warehouse is read only when the data changed
    view = traffic.network_view(db, wh, province_code=request.app.state.settings.province_code)
    found = traffic.anomalies(wh, session=db)[:30]
    return render(request, "forecasting/traffic.html", {
        "view": view, "selected": link, "anomalies": found,
        "can_refresh": allowed(principal, "forecast.refresh"), "labels": traffic.CONGESTION_LABELS,
        "model_labels": traffic.MODEL_LABELS, "links_dataset": traffic.LINKS_DATASET,
        "obs_dataset": traffic.OBS_DATASET, "fmt": fmt,
    })


@router.post("/giao-thong/tinh-lai")
def traffic_refresh(request: Request, db: DB, principal: LoggedIn) -> Response:
    traffic.refresh(db, request.app.state.warehouse, principal=principal, force=True)
    return RedirectResponse("/giao-thong", status_code=303)


@router.get("/du-bao/chat-thai", response_class=HTMLResponse)
def waste_page(request: Request, db: DB, principal: LoggedIn,
               scenario: Annotated[str, Query(max_length=120)] = "") -> HTMLResponse:
    authorize(principal, "officials.read")
    province = request.app.state.settings.province_code
    names = indicators.unit_names(province)
    scenarios = waste.list_scenarios(db)
    params = waste.resolve_params(db, scenario=scenario or None, overrides={})
    error = None
    result: dict[str, Any] | None = None
    try:
        result = waste.forecast(request.app.state.warehouse, province_code=province, params=params, session=db)
    except InvalidInput as exc:
        error = exc.message
    return render(request, "forecasting/waste.html", {
        "scenarios": scenarios, "scenario": scenario, "params": params.model_dump(), "result": result,
        "error": error, "sources": waste.SOURCES, "can_manage": allowed(principal, "forecast.scenario.manage"),
        "communes": sorted(((c, n) for c, n in names.items() if c != province), key=lambda cn: cn[1]),
    })


@router.post("/du-bao/chat-thai/kich-ban")
def waste_save(request: Request, db: DB, principal: LoggedIn, name: str = Form(..., max_length=120),
               description: str = Form("", max_length=2000), years: int = Form(10, ge=1, le=10),
               population_growth: str = Form("", max_length=20), urbanisation_pace: float = Form(0.8),
               collection_rate: float = Form(95.0), recycling_share: float = Form(15.0),
               income_growth: float = Form(6.0), income_elasticity: float = Form(0.35)) -> Response:
    growth = population_growth.strip().replace(",", ".")
    try:
        body = waste.ScenarioIn(name=name, description=description, params=waste.WasteParams(
            years=years, population_growth=float(growth) if growth else None, urbanisation_pace=urbanisation_pace,
            collection_rate=collection_rate, recycling_share=recycling_share, income_growth=income_growth,
            income_elasticity=income_elasticity))
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(f"Tham số kịch bản không hợp lệ: {exc}") from None
    s = waste.create_scenario(db, principal=principal, scenario_in=body)
    return RedirectResponse(f"/du-bao/chat-thai?scenario={s.id}", status_code=303)


@router.get("/du-bao/chi-tieu", response_class=HTMLResponse)
def targets_page(request: Request, db: DB, principal: LoggedIn,
                 year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> HTMLResponse:
    rows = []
    for defn in indicators.list_definitions(db, principal=principal):
        if targets.eligible(defn):
            rows.append((defn, targets.forecast_indicator(db, defn, year=year)))
    rows.sort(key=lambda r: (not r[1].shown, r[1].probability_target_met if r[1].probability_target_met is not None
                             else 2.0))
    return render(request, "forecasting/targets.html", {"rows": rows, "labels": targets.MODEL_LABELS,
                                                        "period_label": period_label})


@router.get("/du-bao/chi-tieu/{code}/tom-tat", response_class=HTMLResponse)
def target_fragment(request: Request, code: CodePath, db: DB, principal: CurrentPrincipal,
                    year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> HTMLResponse:
    """The year-end forecast box the indicator page includes (HTMX); empty when there is nothing to show."""
    defn = indicators.get_definition(db, principal=principal, code=code)
    fc = targets.forecast_indicator(db, defn, year=year) if targets.eligible(defn) else None
    return render(request, "forecasting/_target_box.html", {"d": defn, "fc": fc, "labels": targets.MODEL_LABELS,
                                                            "period_label": period_label})
