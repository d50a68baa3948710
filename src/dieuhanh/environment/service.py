"""Air-quality stations, their readings, VN_AQI on demand, QCVN 05:2023 exceedances and station indicators.

All writes go through one function each (create_station, push_observations) that authorises first and audits.
AQI is computed from the stored readings with the vectorised functions of environment/aqi.py; readings flagged
suspect are kept (and shown) but left out of the AQI, as QĐ 1459 mục 2.1.a asks for checked data only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.errors import Conflict, FieldError, InvalidInput, NotFound
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.core.security import Principal, authorize
from dieuhanh.environment import aqi
from dieuhanh.environment.aqi import Category
from dieuhanh.environment.models import Observation, Station
from dieuhanh.environment.schemas import StationIn
from dieuhanh.geo.service import locate

HOUR = timedelta(hours=1)
UNITS = {"ug/m3": 1.0, "µg/m3": 1.0, "µg/m³": 1.0, "mg/m3": 1000.0, "mg/m³": 1000.0}
# Above these (µg/m³) a reading is outside any analyser's range: kept, flagged, not used (QĐ 1459 mục 2.1.a).
PLAUSIBLE_MAX = {"pm25": 1000.0, "pm10": 2000.0, "o3": 2000.0, "co": 200000.0, "so2": 5000.0, "no2": 5000.0}
MAX_ITEMS = 5000
# A spike: a reading more than SPIKE_RATIO times the same station's reading of the hour before and higher by more
# than this much (µg/m³) — a sensor glitch far more often than real air (dust on a low-cost sensor, a power
# cycle). Kept and flagged ("spike"), not used for AQI, shown to the department; a real episode that persists is
# not a spike in its second hour.
SPIKE_RATIO = 4.0
SPIKE_JUMP = {"pm25": 150.0, "pm10": 250.0, "o3": 250.0, "co": 15000.0, "so2": 250.0, "no2": 250.0}
SILENT_AFTER = timedelta(hours=3)


def local_now() -> datetime:
    return datetime.now(LOCAL_TZ).replace(tzinfo=None)


def to_local(value: datetime) -> datetime:
    """A naive value is local time already; an aware one is converted to Asia/Ho_Chi_Minh."""
    return value if value.tzinfo is None else value.astimezone(LOCAL_TZ).replace(tzinfo=None)


def iso_local(value: datetime) -> str:
    return value.replace(tzinfo=LOCAL_TZ).isoformat()


# ------------------------------------------------------------------------------------------------ stations


def station_dict(st: Station) -> dict[str, Any]:
    return {"code": st.code, "name": st.name, "lat": st.lat, "lon": st.lon, "unit_code": st.unit_code,
            "operator": st.operator, "kind": st.kind, "parameters": list(st.parameters), "demo": st.demo}


def create_station(session: Session, *, principal: Principal, station_in: StationIn, demo: bool = False) -> Station:
    authorize(principal, "environment.station.manage")
    if session.scalar(select(Station.id).where(Station.code == station_in.code)) is not None:
        raise Conflict(f"Mã trạm «{station_in.code}» đã có.", errors=[FieldError("Mã trạm đã có.", field="code")])
    unit = station_in.unit_code or locate(session, station_in.lat, station_in.lon, near=True)
    st = Station(code=station_in.code, name=station_in.name, lat=station_in.lat, lon=station_in.lon, unit_code=unit,
                 operator=station_in.operator, kind=station_in.kind,
                 parameters=list(dict.fromkeys(station_in.parameters)), demo=demo, created_by=principal.actor)
    session.add(st)
    session.flush()
    audit.record(session, actor=principal.actor, action="environment.station.create", entity_type="env_station",
                 entity_id=st.id, after=station_dict(st))
    return st


def list_stations(session: Session) -> list[Station]:
    return list(session.scalars(select(Station).where(Station.active).order_by(Station.code)))


def get_station(session: Session, code: str) -> Station:
    st = session.scalar(select(Station).where(Station.code == code))
    if st is None:
        raise NotFound(f"Không có trạm quan trắc mã «{code[:40]}».",
                       errors=[FieldError("Mã trạm không có.", field="station")])
    return st


# ------------------------------------------------------------------------------------------------ readings


@dataclass
class PushResult:
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    flagged: int = 0


def _parse_time(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return to_local(raw)
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        return to_local(datetime.fromisoformat(raw.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def _flag(parameter: str, value: float) -> str | None:
    return "out_of_range" if value > PLAUSIBLE_MAX[parameter] else None


def _flag_spikes(session: Session, rows: dict[tuple[int, str, datetime], dict[str, Any]]) -> None:
    """Flag "spike" readings against the hour before (from the same push or stored), in place."""
    wanted = {(sid, par, at - HOUR) for sid, par, at in rows} - set(rows)
    before: dict[tuple[int, str, datetime], float] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        for sid, par, at, value in session.execute(select(
                Observation.station_id, Observation.parameter, Observation.observed_at, Observation.value).where(
                tuple_(Observation.station_id, Observation.parameter, Observation.observed_at).in_(
                    keys[start:start + 500]), Observation.flag.is_(None))):
            before[(sid, par, at)] = value
    for (sid, par, at), row in rows.items():
        if row["flag"] is not None:
            continue
        prev_row = rows.get((sid, par, at - HOUR))
        prev = prev_row["value"] if prev_row is not None and prev_row["flag"] is None else before.get(
            (sid, par, at - HOUR))
        if prev is not None and row["value"] > SPIKE_RATIO * prev and row["value"] - prev > SPIKE_JUMP[par]:
            row["flag"] = "spike"


def push_observations(session: Session, *, principal: Principal, items: Sequence[Any], demo: bool = False,
                      now: datetime | None = None) -> PushResult:
    """Store hourly readings, all or none. Each error names the record's index (from 0) and the field.
    Idempotent per (station, parameter, observed_at): the same value again is a duplicate, another value corrects
    the reading (audited)."""
    authorize(principal, "environment.push")
    if not isinstance(items, list):
        raise InvalidInput("Cần một danh sách bản ghi quan trắc (mảng JSON).", errors=[FieldError(
            "Không phải danh sách.", field="body")])
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"Mỗi lần gửi tối đa {MAX_ITEMS:,} bản ghi.".replace(",", "."))
    now = now or local_now()
    stations = {s.code: s for s in session.scalars(select(Station))}
    errors: list[FieldError] = []
    rows: dict[tuple[int, str, datetime], dict[str, Any]] = {}
    for index, item in enumerate(items):
        def err(message: str, fld: str, _index: int = index) -> None:
            errors.append(FieldError(f"Bản ghi {_index}: {message}", field=fld, index=_index))

        if not isinstance(item, dict):
            err("không phải một đối tượng JSON.", "item")
            continue
        code = item.get("station")
        st = stations.get(code) if isinstance(code, str) else None
        if st is None:
            err(f"không có trạm mã «{str(code)[:40]}».", "station")
            continue
        parameter = item.get("parameter")
        if parameter not in aqi.PARAMETERS:
            err(f"thông số «{str(parameter)[:20]}» không hợp lệ (pm25, pm10, o3, co, so2, no2).", "parameter")
            continue
        if parameter not in st.parameters:
            err(f"trạm {st.name} không khai báo đo {aqi.PARAMETER_LABELS[parameter]}.", "parameter")
            continue
        unit = item.get("unit", "ug/m3")
        if unit not in UNITS:
            err(f"đơn vị «{str(unit)[:20]}» không hợp lệ (ug/m3 hoặc mg/m3).", "unit")
            continue
        raw_value = item.get("value")
        if isinstance(raw_value, bool) or not isinstance(raw_value, int | float) or not math.isfinite(raw_value):
            err("giá trị phải là một số.", "value")
            continue
        if raw_value < 0:
            err(f"giá trị âm ({raw_value}) không phải nồng độ.", "value")
            continue
        if item.get("averaging", "1h") != "1h":
            err("chỉ nhận số liệu trung bình 1 giờ (averaging: 1h).", "averaging")
            continue
        at = _parse_time(item.get("observed_at"))
        if at is None:
            err("observed_at phải là thời điểm ISO 8601 (cuối giờ đo, giờ Việt Nam), ví dụ 2026-12-07T14:00:00.",
                "observed_at")
            continue
        if at.minute or at.second or at.microsecond:
            err("observed_at phải là cuối một giờ tròn (phút và giây bằng 0).", "observed_at")
            continue
        if at > now + HOUR:
            err(f"thời điểm {at:%H:%M %d/%m/%Y} ở tương lai.", "observed_at")
            continue
        key = (st.id, parameter, at)
        if key in rows:
            err("trùng trạm, thông số và thời điểm với một bản ghi khác trong cùng lần gửi.", "observed_at")
            continue
        value = float(raw_value) * UNITS[unit]
        rows[key] = {"station_id": st.id, "parameter": parameter, "observed_at": at, "value": value,
                     "unit": "ug/m3" if UNITS[unit] == 1.0 else "mg/m3", "flag": _flag(parameter, value),
                     "demo": demo}
    if errors:
        raise InvalidInput(f"{len(errors)} bản ghi không hợp lệ; không lưu bản ghi nào.", errors=errors)
    _flag_spikes(session, rows)
    result = PushResult()
    existing: dict[tuple[int, str, datetime], Observation] = {}
    keys = list(rows)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for obs in session.scalars(select(Observation).where(
                tuple_(Observation.station_id, Observation.parameter, Observation.observed_at).in_(chunk))):
            existing[(obs.station_id, obs.parameter, obs.observed_at)] = obs
    new: list[dict[str, Any]] = []
    for key, row in rows.items():
        old = existing.get(key)
        if old is None:
            new.append(row)
        elif abs(old.value - row["value"]) < 1e-9 and old.flag == row["flag"]:
            result.duplicates += 1
            continue
        else:
            audit.record(session, actor=principal.actor, action="environment.observation.correct",
                         entity_type="env_observation", entity_id=old.id,
                         before={"value": old.value, "flag": old.flag}, after={"value": row["value"]})
            old.value, old.flag, old.unit = row["value"], row["flag"], row["unit"]
            result.updated += 1
        result.flagged += row["flag"] is not None
    if new:
        session.execute(Observation.__table__.insert(), new)  # type: ignore[attr-defined]
        result.created = len(new)
    if result.created or result.updated:
        audit.record(session, actor=principal.actor, action="environment.observation.push",
                     entity_type="env_observation", after={"created": result.created, "updated": result.updated,
                                                           "flagged": result.flagged})
    session.flush()
    return result


def load_series(session: Session, station_ids: Iterable[int], start: datetime, end: datetime,
                ) -> dict[int, dict[str, np.ndarray]]:
    """Dense hourly arrays per station and parameter for the hours ending ``start`` … ``end`` (NaN = missing or
    flagged)."""
    ids = list(station_ids)
    n = int((end - start) / HOUR) + 1
    out: dict[int, dict[str, np.ndarray]] = {i: {} for i in ids}
    if not ids or n <= 0:
        return out
    q = (select(Observation.station_id, Observation.parameter, Observation.observed_at, Observation.value)
         .where(Observation.station_id.in_(ids), Observation.observed_at >= start, Observation.observed_at <= end,
                Observation.flag.is_(None)))
    for sid, parameter, at, value in session.execute(q):
        arr = out[sid].get(parameter)
        if arr is None:
            arr = out[sid][parameter] = np.full(n, np.nan)
        arr[int((at - start) / HOUR)] = value
    return out


# ------------------------------------------------------------------------------------------------ AQI


def _subs(grid: aqi.Grid, i: int) -> dict[str, int]:
    return {p: int(v[i]) for p, v in grid.sub_indices.items() if not math.isnan(v[i])}


def _aqi_row(station: Station, when: str, grid: aqi.Grid, i: int, *, hourly: bool) -> dict[str, Any] | None:
    subs = _subs(grid, i)
    if not subs:
        return None
    value = None if math.isnan(grid.aqi[i]) else int(grid.aqi[i])
    cat = None if value is None else aqi.category(value)
    row: dict[str, Any] = {
        "station": station.code, "time": when, "aqi": value, "category": cat.name if cat else None,
        "colour": cat.colour if cat else None, "dominant": None if value is None else aqi.PARAMETERS[grid.dominant[i]],
        "sub_indices": subs}
    if hourly:
        row["nowcast"] = {p: round(float(v[i]), 1) for p, v in grid.nowcast.items() if not math.isnan(v[i])}
    else:
        row["nowcast"] = {}
    return row


def hourly(session: Session, stations: Sequence[Station], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """AQI^h rows for the hours ending ``start`` … ``end`` (local time), 11 earlier hours read for the NowCast."""
    series = load_series(session, [s.id for s in stations], start - 11 * HOUR, end)
    rows = []
    for st in stations:
        data = series[st.id]
        if not data:
            continue
        grid = aqi.hourly_grid(data)
        n = len(next(iter(data.values())))
        for i in range(11, n):
            row = _aqi_row(st, iso_local(start + (i - 11) * HOUR), grid, i, hourly=True)
            if row:
                rows.append(row)
    return rows


def daily_grids(session: Session, stations: Sequence[Station], first: date, last: date,
                ) -> dict[int, tuple[aqi.Grid, dict[str, np.ndarray]]]:
    start = datetime.combine(first, time(1)) - 7 * HOUR
    end = datetime.combine(last + timedelta(days=1), time(0))
    series = load_series(session, [s.id for s in stations], start, end)
    return {sid: (aqi.daily_grid(data, lookback=7), data) for sid, data in series.items() if data}


def daily(session: Session, stations: Sequence[Station], first: date, last: date) -> list[dict[str, Any]]:
    rows = []
    grids = daily_grids(session, stations, first, last)
    for st in stations:
        if st.id not in grids:
            continue
        grid, _ = grids[st.id]
        for i in range(len(grid.aqi)):
            row = _aqi_row(st, (first + timedelta(days=i)).isoformat(), grid, i, hourly=False)
            if row:
                rows.append(row)
    return rows


@dataclass
class StationNow:
    station: Station
    at: datetime | None  # the hour of the latest reading
    aqi: int | None
    dominant: str | None
    sub_indices: dict[str, int] = field(default_factory=dict)
    silent: bool = True

    @property
    def category(self) -> Category | None:
        return None if self.aqi is None else aqi.category(self.aqi)


def current(session: Session, stations: Sequence[Station], now: datetime | None = None) -> list[StationNow]:
    """Each station's AQI^h at its latest hour with readings (within the last day), and whether it is silent."""
    now = (now or local_now()).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(hours=24)
    rows = {r["station"]: r for r in hourly(session, stations, start, now)}  # last row per station wins
    out = []
    for st in stations:
        r = rows.get(st.code)
        if r is None:
            out.append(StationNow(st, None, None, None))
            continue
        at = datetime.fromisoformat(r["time"]).replace(tzinfo=None)
        out.append(StationNow(st, at, r["aqi"], r["dominant"], r["sub_indices"], silent=now - at >= SILENT_AFTER))
    return out


def last_reading(session: Session, station: Station) -> datetime | None:
    return session.scalar(select(Observation.observed_at).where(Observation.station_id == station.id)
                          .order_by(Observation.observed_at.desc()).limit(1))


# ------------------------------------------------------------------------------------------------ QCVN, indicators


def daily_exceedances(grid: aqi.Grid, days: Sequence[date]) -> list[list[aqi.Exceedance]]:
    """QCVN 05:2023 exceedances of each day of a daily grid (24 h means, maximum 1 h and 8 h values)."""
    table = aqi.exceedance_grid(grid, days)
    return [aqi.exceedances_on(table, i, d) for i, d in enumerate(days)]


@dataclass
class StationSummary:
    station: Station
    days_with_aqi: int
    good_days: int
    days_over_qcvn: int
    completeness: float  # % of the period's hours with a valid PM2.5 (or PM10) reading

    @property
    def good_share(self) -> float | None:
        return None if not self.days_with_aqi else 100.0 * self.good_days / self.days_with_aqi


def summaries(session: Session, stations: Sequence[Station], first: date, last: date) -> list[StationSummary]:
    grids = daily_grids(session, stations, first, last)
    days = (last - first).days + 1
    out = []
    for st in stations:
        if st.id not in grids:
            out.append(StationSummary(st, 0, 0, 0, 0.0))
            continue
        grid, data = grids[st.id]
        valid = ~np.isnan(grid.aqi)
        dates = [first + timedelta(days=i) for i in range(days)]
        over = sum(1 for found in daily_exceedances(grid, dates) if found)
        pm = data.get("pm25", data.get("pm10"))
        hours = 0 if pm is None else int((~np.isnan(pm[7:])).sum())
        out.append(StationSummary(st, int(valid.sum()), int((grid.aqi[valid] <= 50).sum()), over,
                                  100.0 * hours / (24 * days)))
    return out


def daily_table(session: Session, stations: Sequence[Station], first: date, last: date) -> list[dict[str, Any]]:
    """Rows of the open daily dataset: one per station and day, ``aqi`` empty when the day has no AQI, with the
    hours of PM readings (data completeness)."""
    rows = []
    grids = daily_grids(session, stations, first, last)
    days = (last - first).days + 1
    dates = [first + timedelta(days=i) for i in range(days)]
    for st in stations:
        if st.id not in grids:
            continue
        grid, data = grids[st.id]
        over = daily_exceedances(grid, dates)
        pm = data.get("pm25", data.get("pm10"))
        hours = (np.zeros(days, dtype=int) if pm is None
                 else (~np.isnan(pm[7:].reshape(-1, 24))).sum(axis=1))
        for i, day in enumerate(dates):
            value = None if math.isnan(grid.aqi[i]) else int(grid.aqi[i])
            rows.append({"ngay": day.isoformat(), "ma_tram": st.code, "ten_tram": st.name, "ma_xa": st.unit_code,
                         "aqi": value, "muc": aqi.category(value).name if value is not None else None,
                         "thong_so_chinh": (aqi.PARAMETER_LABELS[aqi.PARAMETERS[grid.dominant[i]]]
                                            if value is not None else None),
                         "vuot_qcvn": 1 if over[i] else 0, "so_gio_pm": int(hours[i])})
    return rows


BULK_COLUMNS = ("station_id", "parameter", "observed_at", "value", "unit", "flag", "demo", "received_at")


def store_bulk(session: Session, *, principal: Principal, rows: list[tuple[Any, ...]]) -> int:
    """Insert many trusted readings at once (the demo, a validated file): tuples of ``BULK_COLUMNS``, none already
    stored. PostgreSQL takes them by COPY, SQLite by one executemany (a year of a network in about a second).
    One audit row for the load."""
    authorize(principal, "environment.push")
    conn = session.connection()
    columns = ", ".join(BULK_COLUMNS)
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        text: dict[Any, str] = {None: "\\N", True: "t", False: "f"}  # COPY's text format; times formatted once

        def cell(v: Any) -> str:
            if isinstance(v, datetime):
                if v not in text:
                    text[v] = v.isoformat(sep=" ")
                return text[v]
            if v is None or isinstance(v, bool):
                return text[v]
            return str(v)

        with raw.cursor() as cur, cur.copy(f"COPY env_observation ({columns}) FROM STDIN") as copy:
            for start in range(0, len(rows), 20000):
                copy.write("".join("\t".join(cell(v) for v in row) + "\n" for row in rows[start:start + 20000]))
    else:
        # SQLAlchemy's own text form of SQLite DATETIME, so comparisons with its bound values hold
        marks = ", ".join("?" for _ in BULK_COLUMNS)
        stamps: dict[datetime, str] = {}

        def stamp(v: datetime) -> str:
            if v not in stamps:
                stamps[v] = v.strftime("%Y-%m-%d %H:%M:%S.%f")
            return stamps[v]

        conn.exec_driver_sql(f"INSERT INTO env_observation ({columns}) VALUES ({marks})", [
            (r[0], r[1], stamp(r[2]), r[3], r[4], r[5], r[6], stamp(r[7])) for r in rows])
    audit.record(session, actor=principal.actor, action="environment.observation.load", entity_type="env_observation",
                 after={"created": len(rows)})
    return len(rows)


def read_file(filename: str, data: bytes) -> list[Any]:
    """Records of a CSV (header station,parameter,value,unit,observed_at[,averaging]) or JSON file, for
    :func:`push_observations` (which validates them and names the record's index = CSV data row − 1)."""
    import csv
    import io
    import json

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("Tệp phải mã hóa UTF-8.", errors=[FieldError("Sai mã hóa.", field="file")]) from exc
    if filename.lower().endswith(".json"):
        try:
            return list(json.loads(text))
        except (json.JSONDecodeError, TypeError) as exc:
            raise InvalidInput("Tệp JSON không hợp lệ.", errors=[FieldError("JSON không hợp lệ.", field="file")]
                               ) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = {"station", "parameter", "value", "observed_at"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput(f"Tệp CSV thiếu cột: {', '.join(sorted(missing))}.",
                           errors=[FieldError("Thiếu cột.", column=", ".join(sorted(missing)), row=1)])
    items: list[Any] = []
    for row in reader:
        item: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            item["value"] = float(item["value"].replace(",", "."))
        except ValueError:
            pass  # left as text: push_observations reports it by index and field
        item["unit"] = item.get("unit") or "ug/m3"
        item["averaging"] = item.get("averaging") or "1h"
        items.append(item)
    return items
