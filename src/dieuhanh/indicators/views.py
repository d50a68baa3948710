"""Pages: the indicator catalogue (/indicators) and one indicator (/indicators/{code})."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.core import formatting
from dieuhanh.core.cache import LRUCache
from dieuhanh.core.errors import DomainError, NotFound
from dieuhanh.core.security import allowed
from dieuhanh.indicators import rules, service
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue
from dieuhanh.indicators.schemas import DIRECTIONS, DOMAINS, PERIODICITIES
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn
from dieuhanh.web.templating import render, render_fragment

router = APIRouter(include_in_schema=False)

STATUS_LABELS = rules.STATUS_LABELS
LEVEL_LABELS = {"province": "Tỉnh", "commune": "Xã, phường", "agency": "Cơ quan, đơn vị"}


def _common() -> dict[str, Any]:
    return {"DOMAINS": DOMAINS, "PERIODICITIES": PERIODICITIES, "DIRECTIONS": DIRECTIONS,
            "STATUS_LABELS": STATUS_LABELS, "LEVEL_LABELS": LEVEL_LABELS}


@router.get("/indicators", response_class=HTMLResponse)
def catalogue(request: Request, db: DB, principal: CurrentPrincipal, q: str = "", domain: str = "") -> HTMLResponse:
    items = service.list_definitions(db, principal=principal, q=q or None, domain=domain or None)
    latest = service.latest_province_values(db, [d.code for d in items])
    stale = {}
    for d in items:
        fresh = service.freshness(d, latest[d.code].period if d.code in latest else None)
        if fresh.stale:
            stale[d.code] = fresh.expected_period
    return render(request, "indicators/list.html", {
        **_common(), "items": items, "latest": latest, "q": q, "domain": domain, "stale": stale,
        "period_label": period_label, "partial_label": rules.partial_label,
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


def period_label(period: str | None) -> str:
    return formatting.period_label(period, short=True)


_json = formatting.json_for_script


@dataclass(frozen=True)
class _DetailValues:
    html: Markup
    period: str
    batch_ids: list[str]


_DETAILS = LRUCache(256)  # the values part of /indicators/{code}, per indicator, period, unit and data state


@router.get("/indicators/{code}", response_class=HTMLResponse)
def detail(request: Request, code: str, db: DB, principal: CurrentPrincipal, period: str = "",
           unit: str = "", page: int = Query(1, ge=1)) -> HTMLResponse:
    """One indicator: definition, chart over time with its target (the province's or, with ``?unit=``, a
    commune's), the per-commune table and map of a period, and the load batches behind each value."""
    from dieuhanh.orgs.models import Agency

    defn = service.get_definition(db, principal=principal, code=code)
    province_code = request.app.state.settings.province_code
    names = service.unit_names(province_code)
    unit_code = unit.strip() if unit and unit.strip() != province_code else ""
    if unit_code and unit_code not in names:
        raise NotFound(f"Không có xã, phường mã «{unit_code}» trong tỉnh.")
    key = (code, period, unit_code, province_code, *service.data_state(db))
    part = _DETAILS.get_or_build(key, lambda: _detail_values(request, db, defn, period, unit_code))
    # Load batches, dataset titles and the owner are read live: a rolled-back batch shows at once.
    lineage = []
    if part.batch_ids:
        lineage = list(db.execute(
            select(LoadBatch, Dataset.name, Dataset.title).join(Dataset, Dataset.id == LoadBatch.dataset_id)
            .where(LoadBatch.id.in_(part.batch_ids)).order_by(Dataset.name, LoadBatch.created_at)))
    datasets = {name: title for name, title in db.execute(
        select(Dataset.name, Dataset.title).where(Dataset.name.in_(list(defn.datasets or []))))}
    owner = db.get(Agency, defn.owner_agency) if defn.owner_agency else None
    return render(request, "indicators/detail.html", {
        **_common(), "d": defn, "values_html": part.html, "period": part.period, "unit_code": unit_code,
        "unit_name": names.get(unit_code or province_code, unit_code), "lineage": lineage, "datasets": datasets,
        "owner": owner, "can_compute": allowed(principal, "indicator.compute") and principal.kind != "system",
    })


def _detail_values(request: Request, db: Session, defn: IndicatorDefinition, period: str,
                   unit_code: str) -> _DetailValues:
    code = defn.code
    province_code = request.app.state.settings.province_code
    names = service.unit_names(province_code)
    if unit_code:
        series = service.list_values(db, code=code, unit=unit_code)
    else:
        series = service.list_values(db, code=code, level="province")
    has_communes = "commune" in (defn.levels or [])
    commune_periods = sorted(set(db.scalars(select(IndicatorValue.period).where(
        IndicatorValue.code == code, IndicatorValue.level == "commune").distinct()))) if has_communes else []
    periods = sorted({v.period for v in series} | set(commune_periods))
    # By default the latest complete period (a period that has not ended is shown when asked for, marked so).
    partial = {v.period for v in series if v.partial}
    complete = [p for p in periods if p not in partial]
    shown = period if period in periods else (complete[-1] if complete else periods[-1] if periods else "")
    communes = service.list_values(db, code=code, period=shown, level="commune") if shown and has_communes else []
    batch_ids = sorted({b for v in [*series, *communes] for b in (v.batches or [])})
    chart = {"labels": [period_label(v.period) for v in series], "values": [v.value for v in series],
             "targets": [v.target for v in series], "unit": defn.unit, "name": defn.name}
    commune_map = {"code": defn.code, "unit": defn.unit, "values": {v.unit_code: v.value for v in communes},
                   "statuses": {v.unit_code: v.status for v in communes}}
    sign = 1.0 if defn.direction == "lower_better" else -1.0
    ranked = sorted(communes, key=lambda v: (v.value is None, sign * (v.value or 0.0), names.get(v.unit_code, "")))
    html = render_fragment(request, "indicators/_detail_values.html", {
        **_common(), "d": defn, "series": series, "periods": periods, "period": shown, "communes": ranked,
        "names": names,
        "chart_json": _json(chart), "map_json": _json(commune_map), "period_label": period_label,
        "unit_code": unit_code, "unit_name": names.get(unit_code or province_code, unit_code),
        "province_name": names.get(province_code, province_code),
        "unit_choices": sorted(((c, n) for c, n in names.items() if c != province_code), key=lambda cn: cn[1]),
        "province_value": next((v for v in series if v.period == shown), None) if not unit_code else
        next((v for v in service.list_values(db, code=code, period=shown, level="province")), None),
        "unit_value": next((v for v in series if v.period == shown), None) if unit_code else None,
        "partial_label": rules.partial_label,
        "freshness": service.freshness(defn, next((v.period for v in reversed(series) if v.value is not None),
                                                  None)),
        "schedule": rules.schedule_of(defn.periodicity, defn.publication).describe(defn.periodicity),
    })
    return _DetailValues(html=html, period=shown, batch_ids=batch_ids)
