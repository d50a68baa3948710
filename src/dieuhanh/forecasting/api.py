"""JSON API of forecasting: traffic per link, solid waste per commune with scenarios, year-end targets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from dieuhanh.core.security import authorize
from dieuhanh.forecasting import targets, traffic, waste
from dieuhanh.indicators import service as indicators
from dieuhanh.web.deps import DB, CurrentPrincipal
from dieuhanh.web.params import one_of

router = APIRouter(prefix="/api/v1", tags=["dự báo"])

OptCode = Annotated[str | None, Query(max_length=60, pattern=r"^[A-Za-z0-9_.\-]*$")]
LinkPath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
CodePath = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.\-]+$")]


# ------------------------------------------------------------------------------------------------ traffic


class TrafficForecastOut(BaseModel):
    link: str
    time: str
    value: float
    lower: float
    upper: float
    model: str
    horizon: int
    issued_at: str
    backtest_rmse: float | None
    baseline: str
    baseline_rmse: float | None
    congestion: str


@router.get("/forecasts/traffic", response_model=list[TrafficForecastOut])
def traffic_forecasts(db: DB, principal: CurrentPrincipal, link: OptCode = None,
                      horizon: Annotated[int | None, Query(ge=15, le=60,
                                                           json_schema_extra=one_of(traffic.HORIZONS))] = None,
                      ) -> list[dict[str, Any]]:
    """Latest forecasts ``[{link, time, value, lower, upper, model, …}]`` (``horizon`` 15, 30 or 60 minutes;
    ``lower``/``upper`` the 80 % interval; ``backtest_rmse`` of ``model`` beside the best baseline's)."""
    authorize(principal, "officials.read")
    return [traffic.forecast_out(f) for f in traffic.forecasts(db, link=link or None, horizon=horizon)]


@router.get("/forecasts/traffic/links")
def traffic_links(request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """Links with their line, road, commune, free-flow speed and latest forecasts (the `/giao-thong` map)."""
    authorize(principal, "officials.read")
    return traffic.network_view(db, request.app.state.warehouse, province_code=request.app.state.settings.province_code)


@router.get("/forecasts/traffic/links/{code}")
def traffic_link(request: Request, code: LinkPath, db: DB,
                 principal: CurrentPrincipal) -> dict[str, Any]:
    """One link: recent observations (6 h), forecasts with intervals and backtest errors, daily and weekly
    profiles."""
    authorize(principal, "officials.read")
    return traffic.link_view(db, request.app.state.warehouse, code)


@router.get("/forecasts/traffic/anomalies")
def traffic_anomalies(request: Request, db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Hours of the latest day in which a link ran much slower than usual for that weekday and hour."""
    authorize(principal, "officials.read")
    return traffic.anomalies(request.app.state.warehouse, session=db)


@router.post("/forecasts/traffic/refresh")
def traffic_refresh(request: Request, db: DB, principal: CurrentPrincipal) -> dict[str, Any] | None:
    """Recompute the forecasts now (admin, analyst)."""
    run = traffic.refresh(db, request.app.state.warehouse, principal=principal, force=True)
    return traffic.run_out(run)


# ------------------------------------------------------------------------------------------------ waste


@router.get("/forecasts/waste")
def waste_forecast(request: Request, db: DB, principal: CurrentPrincipal, unit: OptCode = None,
                   scenario: Annotated[str | None, Query(max_length=120)] = None,
                   years: Annotated[int | None, Query(ge=1, le=10)] = None,
                   population_growth: Annotated[float | None, Query(ge=-5, le=10)] = None,
                   urbanisation_pace: Annotated[float | None, Query(ge=0, le=5)] = None,
                   collection_rate: Annotated[float | None, Query(ge=0, le=100)] = None,
                   recycling_share: Annotated[float | None, Query(ge=0, le=90)] = None,
                   income_growth: Annotated[float | None, Query(ge=-5, le=20)] = None,
                   income_elasticity: Annotated[float | None, Query(ge=0, le=1.5)] = None) -> dict[str, Any]:
    """Solid waste per year ``years: [{year, tonnes_per_day, urban, rural, collection_capacity_needed, …}]``
    for the province or one commune (``unit``), under a saved ``scenario`` (id or name; default: the default
    scenario) with any parameter overridden by the query (the page's sliders)."""
    authorize(principal, "officials.read")
    params = waste.resolve_params(db, scenario=scenario, overrides={
        "years": years, "population_growth": population_growth, "urbanisation_pace": urbanisation_pace,
        "collection_rate": collection_rate, "recycling_share": recycling_share, "income_growth": income_growth,
        "income_elasticity": income_elasticity})
    out = waste.forecast(request.app.state.warehouse, province_code=request.app.state.settings.province_code,
                         params=params, unit=unit or None, session=db)
    out["scenario"] = scenario
    return out


@router.get("/forecasts/waste/scenarios")
def list_scenarios(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    authorize(principal, "officials.read")
    return [waste.scenario_out(s) for s in waste.list_scenarios(db)]


@router.post("/forecasts/waste/scenarios", status_code=201)
def create_scenario(body: waste.ScenarioIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """An analyst saves a scenario: ``{name, description, params: {years, population_growth, …}}``."""
    return waste.scenario_out(waste.create_scenario(db, principal=principal, scenario_in=body))


@router.get("/forecasts/waste/scenarios/{scenario_id}")
def get_scenario(scenario_id: IdPath, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    authorize(principal, "officials.read")
    return waste.scenario_out(waste.get_scenario(db, scenario_id))


@router.put("/forecasts/waste/scenarios/{scenario_id}")
def update_scenario(scenario_id: IdPath, body: waste.ScenarioIn, db: DB,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    return waste.scenario_out(waste.update_scenario(db, principal=principal, ref=scenario_id, scenario_in=body))


@router.delete("/forecasts/waste/scenarios/{scenario_id}", status_code=204)
def delete_scenario(scenario_id: IdPath, db: DB, principal: CurrentPrincipal) -> Response:
    waste.delete_scenario(db, principal=principal, ref=scenario_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------------------ targets


@router.get("/indicators/{code}/forecast")
def indicator_forecast(code: CodePath, db: DB, principal: CurrentPrincipal,
                       year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> dict[str, Any]:
    """``{year, forecast, lower, upper, target, probability_target_met, model, backtest_error, …}``: the
    year-end value forecast with its 80 % interval and the probability of reaching the year's target."""
    defn = indicators.get_definition(db, principal=principal, code=code)
    return targets.forecast_indicator(db, defn, year=year).as_dict()


@router.get("/forecasts/targets")
def target_forecasts(db: DB, principal: CurrentPrincipal,
                     codes: Annotated[str, Query(max_length=4000, pattern=r"^[A-Za-z0-9_.,\-]*$")] = "",
                     year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> dict[str, Any]:
    """Forecasts of many indicators at once ``{code: {...}}`` (board tiles); codes the caller may not read or
    that have no yearly target with a monthly/quarterly series are left out."""
    wanted = [c for c in codes.split(",") if c][:200]
    out: dict[str, Any] = {}
    for defn in indicators.list_definitions(db, principal=principal):
        if (not wanted or defn.code in wanted) and targets.eligible(defn):
            out[defn.code] = {**targets.forecast_indicator(db, defn, year=year).as_dict(), "unit": defn.unit,
                              "name": defn.name}
    return out
