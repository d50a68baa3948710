"""Alert sources of air-quality monitoring (alerts/sources.py): a station's AQI^h at "Xấu" or worse, a QCVN
05:2023/BTNMT exceedance (1-hour values of the latest hour, 24-hour and 8-hour values of the last complete day),
and a silent station. Keys are station codes; the environment department (SNNMT) is responsible."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.alerts import sources
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.environment import aqi, service
from dieuhanh.environment.models import Station

RESPONSIBLE_AGENCY = "SNNMT"


def _local(now_utc: datetime) -> datetime:
    return now_utc.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)


def _names(session: Session, keys: set[str]) -> dict[str, str]:
    rows = session.execute(select(Station.code, Station.name).where(Station.code.in_(keys)))
    return {code: name for code, name in rows}


def _responsible(_session: Session, keys: set[str]) -> dict[str, str]:
    return {k: RESPONSIBLE_AGENCY for k in keys}


def _validate_level(params: dict[str, Any]) -> None:
    level = params.get("min_level", aqi.BAD_LEVEL)
    if not isinstance(level, int) or not 1 <= level <= 6:
        raise ValueError("«min_level» là mức VN_AQI từ 1 (Tốt) đến 6 (Nguy hại); mặc định 4 (Xấu).")


def _evaluate_aqi(session: Session, params: dict[str, Any], now: datetime) -> Iterator[sources.SourceCondition]:
    level = int(params.get("min_level", aqi.BAD_LEVEL))
    for st in service.current(session, service.list_stations(session), _local(now)):
        if st.aqi is None or st.silent or st.at is None:
            continue
        cat = aqi.category(st.aqi)
        firing = cat.level >= level
        yield sources.SourceCondition(
            key=st.station.code, firing=firing, value=float(st.aqi), period=st.at.strftime("%Y-%m-%d"),
            message=f"Trạm {st.station.name}: VN_AQI {st.aqi} ({cat.name}) lúc {st.at:%H:%M %d/%m/%Y}, thông số "
                    f"chính {aqi.PARAMETER_LABELS[st.dominant or 'pm25']}." if firing else
                    f"Trạm {st.station.name}: VN_AQI {st.aqi} ({cat.name}).")


def _evaluate_qcvn(session: Session, _params: dict[str, Any], now: datetime) -> Iterator[sources.SourceCondition]:
    local = _local(now).replace(minute=0, second=0, microsecond=0)
    stations = service.list_stations(session)
    yesterday = (local - timedelta(hours=1)).date() - timedelta(days=1)
    grids = service.daily_grids(session, stations, yesterday, yesterday)
    hour = service.load_series(session, [s.id for s in stations], local - 2 * service.HOUR, local)
    for st in stations:
        found: list[aqi.Exceedance] = []
        if st.id in grids:
            grid, _ = grids[st.id]
            found += service.daily_exceedances(grid, [yesterday])[0]
        for p, values in hour.get(st.id, {}).items():
            latest = values[~(values != values)]  # present values (NaN != NaN)
            if len(latest):
                e = aqi.exceeds(p, "1h", float(latest[-1]), local.date())
                if e and all(x.parameter != p or x.averaging != "1h" for x in found):
                    found.append(e)
        if not found and st.id not in grids and st.id not in hour:
            continue
        yield sources.SourceCondition(
            key=st.code, firing=bool(found), value=float(len(found)), period=yesterday.isoformat(),
            message=f"Trạm {st.name}: " + ("; ".join(e.text for e in found) if found else "không vượt QCVN 05:2023."))


def _validate_silent(params: dict[str, Any]) -> None:
    hours = params.get("hours", 3)
    if not isinstance(hours, int) or not 1 <= hours <= 168:
        raise ValueError("«hours» là số giờ không có số liệu (1–168) trước khi báo trạm mất tín hiệu.")


def _evaluate_silent(session: Session, params: dict[str, Any], now: datetime) -> Iterator[sources.SourceCondition]:
    hours = int(params.get("hours", 3))
    local = _local(now)
    for st in service.list_stations(session):
        last = service.last_reading(session, st)
        silent = last is None or local - last >= timedelta(hours=hours)
        since = "chưa gửi số liệu nào" if last is None else f"không gửi số liệu từ {last:%H:%M %d/%m/%Y}"
        yield sources.SourceCondition(key=st.code, firing=silent, value=None,
                                      message=f"Trạm {st.name} {since}." if silent else f"Trạm {st.name} hoạt động.")


AQI_SOURCE = sources.register(sources.AlertSource(
    name="environment.aqi", label="VN_AQI giờ của trạm ở mức Xấu trở lên", domain="environment",
    evaluate=_evaluate_aqi, names=_names, validate=_validate_level, responsible=_responsible,
    params_help="min_level: mức VN_AQI bắt đầu cảnh báo, 1–6 (mặc định 4 = Xấu)"))
QCVN_SOURCE = sources.register(sources.AlertSource(
    name="environment.qcvn", label="Vượt QCVN 05:2023/BTNMT (trung bình 1 giờ, 8 giờ, 24 giờ)", domain="environment",
    evaluate=_evaluate_qcvn, names=_names, responsible=_responsible))
SILENT_SOURCE = sources.register(sources.AlertSource(
    name="environment.silent", label="Trạm quan trắc không khí mất tín hiệu", domain="environment",
    evaluate=_evaluate_silent, names=_names, validate=_validate_silent, responsible=_responsible,
    params_help="hours: số giờ không có số liệu (mặc định 3)"))
