"""JSON API of air-quality monitoring (thin: the rules are in service.py and aqi.py).

``POST/GET /api/v1/environment/stations``, ``POST /api/v1/environment/observations`` (scope ``environment``),
``GET /api/v1/environment/aqi`` (hourly/daily VN_AQI), ``/api/v1/environment/pull-sources`` (scheduled pull)
and ``GET /api/v1/environment/ngsi-ld/AirQualityObserved``
(FIWARE Smart Data Model). Reads are public: VN_AQI is published information (QĐ 1459/QĐ-TCMT mục 3).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from dieuhanh.core.errors import FieldError, InvalidInput
from dieuhanh.core.security import authorize
from dieuhanh.environment import aqi, pull, service
from dieuhanh.environment.models import Observation
from dieuhanh.environment.schemas import PushOut, StationIn, StationOut
from dieuhanh.ingest.guard import PullGuard
from dieuhanh.web.deps import DB, CurrentPrincipal, read_body_limited
from dieuhanh.web.params import documented, json_body, one_of

router = APIRouter(prefix="/api/v1/environment", tags=["môi trường"])

MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_HOURLY_DAYS = 31
MAX_DAILY_DAYS = 400
StationCode = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Text40 = Annotated[str | None, Query(max_length=40)]
NGSI_CONTEXT = ["https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld",
                "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"]


@router.post("/stations", status_code=201, response_model=StationOut, summary="Khai báo trạm quan trắc")
def create_station(station_in: StationIn, db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    st = service.create_station(db, principal=principal, station_in=station_in)
    db.commit()
    return service.station_dict(st)


@router.get("/stations", response_model=list[StationOut], summary="Danh sách trạm quan trắc")
def list_stations(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    authorize(principal, "environment.read")
    return [service.station_dict(s) for s in service.list_stations(db)]


# the end of a whole hour in the past, Vietnam time unless an offset says otherwise
WHOLE_HOUR = (r"^(19[0-9]{2}|20[01][0-9]|202[0-5])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
              r"T([01][0-9]|2[0-3]):00:00(\+07:00)?$")
# what push_observations accepts (the station must exist and measure the parameter; not in the future)
OBSERVATIONS_SCHEMA = {"type": "array", "maxItems": service.MAX_ITEMS, "items": {
    "type": "object", "required": ["station", "parameter", "value", "observed_at"], "properties": {
        "station": {"type": "string", "maxLength": 40}, "parameter": one_of(aqi.PARAMETERS),
        "unit": one_of(service.UNITS), "value": {"type": "number", "minimum": 0},
        "averaging": one_of(("1h",)),
        "observed_at": {"type": "string", "pattern": WHOLE_HOUR}}}}


@router.post("/observations", response_model=PushOut, summary="Gửi số liệu quan trắc trung bình 1 giờ",
             openapi_extra=json_body(OBSERVATIONS_SCHEMA))
async def push_observations(request: Request, db: DB, principal: CurrentPrincipal) -> JSONResponse:
    authorize(principal, "environment.push")
    body = await read_body_limited(request, MAX_BODY_BYTES)
    try:
        items = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput("Nội dung gửi lên không phải JSON hợp lệ.",
                           errors=[FieldError("JSON không hợp lệ.", field="body")]) from exc
    result = service.push_observations(db, principal=principal, items=items)
    db.commit()
    return JSONResponse(result.__dict__, status_code=201 if result.created else 200)


def _parse(value: str | None, kind: str, name: str) -> Any:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if kind == "daily" else service.to_local(datetime.fromisoformat(value))
    except ValueError as exc:
        example = "2026-12-07" if kind == "daily" else "2026-12-07T14:00:00"
        raise InvalidInput(f"«{name}» không phải {'ngày' if kind == 'daily' else 'thời điểm'} ISO (ví dụ {example}).",
                           errors=[FieldError("Sai định dạng.", field=name)]) from exc


@router.get("/aqi", summary="VN_AQI giờ hoặc ngày theo Quyết định 1459/QĐ-TCMT")
def get_aqi(db: DB, principal: CurrentPrincipal, station: StationCode = None,
            kind: Annotated[str | None, Query(max_length=40, json_schema_extra=one_of(("hourly", "daily")))]
            = "hourly",
            # a date is read by both kinds (hourly: from its midnight); a time, by hourly only
            from_: Annotated[str | None, Query(alias="from", max_length=40,
                                               json_schema_extra=documented(format="date"))] = None,
            to: Annotated[str | None, Query(max_length=40, json_schema_extra=documented(format="date"))] = None,
            ) -> list[dict[str, Any]]:
    """Hourly rows: ``time`` = end of the hour (ISO, +07:00); daily rows: ``time`` = the date. AQI values are
    rounded half up to integers, as the decision's worked examples do."""
    authorize(principal, "environment.read")
    if kind not in ("hourly", "daily"):
        raise InvalidInput("«kind» phải là hourly hoặc daily.", errors=[FieldError("Sai giá trị.", field="kind")])
    stations = [service.get_station(db, station)] if station else service.list_stations(db)
    start, end = _parse(from_, kind, "from"), _parse(to, kind, "to")
    if kind == "hourly":
        end = (end or service.local_now()).replace(minute=0, second=0, microsecond=0)
        start = start or end - timedelta(hours=47)
        limit = timedelta(days=MAX_HOURLY_DAYS)
    else:
        end = end or service.local_now().date()
        start = start or end - timedelta(days=29)
        limit = timedelta(days=MAX_DAILY_DAYS)
    if start > end:
        raise InvalidInput("«from» phải trước «to».", errors=[FieldError("Khoảng thời gian ngược.", field="from")])
    if end - start > limit:
        raise InvalidInput(f"Khoảng thời gian tối đa {limit.days} ngày.",
                           errors=[FieldError("Khoảng thời gian quá dài.", field="from")])
    if kind == "hourly":
        return service.hourly(db, stations, start, end)
    return service.daily(db, stations, start, end)


@router.get("/ngsi-ld/AirQualityObserved", summary="Quan trắc mới nhất dạng NGSI-LD (Smart Data Models)",
            responses={200: {"content": {"application/ld+json": {}}}})
def ngsi_ld(db: DB, principal: CurrentPrincipal, station: StationCode = None) -> JSONResponse:
    authorize(principal, "environment.read")
    stations = [service.get_station(db, station)] if station else service.list_stations(db)
    entities = []
    for now in service.current(db, stations):
        st = now.station
        at = service.last_reading(db, st)
        if at is None:
            continue
        entity: dict[str, Any] = {
            "id": f"urn:ngsi-ld:AirQualityObserved:{st.code}", "type": "AirQualityObserved",
            "name": {"type": "Property", "value": st.name},
            "dateObserved": {"type": "Property", "value": service.iso_local(at)},
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [st.lon, st.lat]}},
            "typeofLocation": {"type": "Property", "value": "outdoor"},
            "dataProvider": {"type": "Property", "value": st.operator},
        }
        for p, value in db.execute(select(Observation.parameter, Observation.value).where(
                Observation.station_id == st.id, Observation.observed_at == at)):
            entity[p] = {"type": "Property", "value": round(value, 1), "unitCode": "GQ",
                         "observedAt": service.iso_local(at)}
        if now.aqi is not None and now.at == at:
            cat = aqi.category(now.aqi)
            entity["airQualityIndex"] = {"type": "Property", "value": now.aqi, "observedAt": service.iso_local(at)}
            entity["airQualityLevel"] = {"type": "Property", "value": cat.name}
        entity["@context"] = NGSI_CONTEXT
        entities.append(entity)
    return JSONResponse(entities, media_type="application/ld+json")


# ------------------------------------------------------------------------------------------------ scheduled pull


@router.post("/pull-sources", status_code=201, summary="Khai báo nguồn kéo số liệu quan trắc theo lịch")
def create_pull_source(data: pull.PullSourceIn, request: Request, db: DB,
                       principal: CurrentPrincipal) -> dict[str, Any]:
    src = pull.create_source(db, principal=principal, data=data,
                             guard=PullGuard.from_settings(request.app.state.settings))
    db.commit()
    return pull.source_dict(src)


@router.get("/pull-sources", summary="Danh sách nguồn kéo số liệu quan trắc")
def list_pull_sources(db: DB, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [pull.source_dict(s) for s in pull.list_sources(db, principal=principal)]


@router.post("/pull-sources/{source_id}/run", summary="Kéo số liệu từ một nguồn ngay bây giờ")
def run_pull_source(source_id: Annotated[int, Path(ge=1, le=2**63 - 1)], request: Request, db: DB,
                    principal: CurrentPrincipal) -> dict[str, Any]:
    result = pull.run_source(db, principal=principal, source_id=source_id,
                             guard=PullGuard.from_settings(request.app.state.settings))
    db.commit()
    return result
