"""Demo air-quality network of Ninh Bình (with former Hà Nam and Nam Định): 4 automatic stations and 3 low-cost
sensors, a year of hourly readings ending at the demo's present, the open datasets of VN_AQI and the alert rules.

Everything is **sample data** (rows marked ``demo``; the pages say so). Station positions are approximate points in
the towns where the former provinces' automatic stations are (Phủ Lý, Nam Định, Hoa Lư, Tam Điệp), not surveyed
coordinates. Levels follow the published picture of the Red River delta: PM2.5 around 20 µg/m³ in summer and 50–70
in the winter inversion season (November–March), PM10 about 1,6–2 × PM2.5 (more near the Tam Điệp cement plants),
O3 peaking on summer afternoons, NO2 and CO with the traffic peaks. Sensors drop out now and then, one sensor is
silent now and a few out-of-range values are flagged.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select

from dieuhanh.core.db import utcnow
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.environment import aqi, service
from dieuhanh.environment.models import Station
from dieuhanh.environment.schemas import StationIn

ALL = ["pm25", "pm10", "o3", "co", "so2", "no2"]
# code, name, lat, lon, operator, kind, parameters, PM2.5 annual mean, PM10/PM2.5 ratio
STATIONS: list[tuple[str, str, float, float, str, str, list[str], float, float]] = [
    ("NB-PL", "Trạm tự động Phủ Lý", 20.5436, 105.9130, "Trung tâm Quan trắc môi trường tỉnh", "auto", ALL, 38.0, 1.7),
    ("NB-ND", "Trạm tự động Nam Định", 20.4213, 106.1683, "Trung tâm Quan trắc môi trường tỉnh", "auto", ALL, 40.0,
     1.6),
    ("NB-HL", "Trạm tự động Hoa Lư", 20.2539, 105.9750, "Trung tâm Quan trắc môi trường tỉnh", "auto", ALL, 33.0, 1.65),
    ("NB-TD", "Trạm tự động Tam Điệp", 20.1565, 105.9190, "Trung tâm Quan trắc môi trường tỉnh", "auto", ALL, 39.0,
     2.1),
    ("NB-DV", "Cảm biến KCN Đồng Văn", 20.6441, 105.9420, "Ban Quản lý các khu công nghiệp", "lowcost",
     ["pm25", "pm10"], 42.0, 1.7),
    ("NB-HH", "Cảm biến Hải Hậu", 20.1420, 106.2830, "UBND xã Hải Hậu", "lowcost", ["pm25", "pm10"], 27.0, 1.6),
    ("NB-KS", "Cảm biến Kim Sơn", 20.0560, 106.0980, "UBND xã Kim Sơn", "lowcost", ["pm25", "pm10"], 29.0, 1.6),
]
SILENT_STATION = "NB-KS"  # stopped sending 6 hours ago: the «mất tín hiệu» alert
DIURNAL = np.array([0.95, 0.9, 0.88, 0.88, 0.92, 1.0, 1.15, 1.3, 1.25, 1.05, 0.95, 0.88, 0.85, 0.83, 0.83, 0.86,
                    0.92, 1.02, 1.2, 1.3, 1.28, 1.18, 1.08, 1.0])
DAYS = 365
GAS_DAYS = 90  # the automatic stations' gas analysers: the last quarter (keeps the demo quick)


def _ar1(rng: np.random.Generator, n: int, phi: float, sigma: float) -> np.ndarray:
    """AR(1) in log space, so pollution episodes last days (a loop over 8.760 floats: a few ms)."""
    noise = rng.normal(0.0, sigma, n)
    out = np.empty(n)
    level = 0.0
    for i in range(n):
        level = phi * level + noise[i]
        out[i] = level
    return out


def _series(rng: np.random.Generator, hod: np.ndarray, winter: np.ndarray, mean25: float, ratio: float,
            params: list[str]) -> dict[str, np.ndarray]:
    """Hourly values for the hours whose local hour (of the hour's end) is ``hod``; ``winter`` is +1 mid-January,
    −1 mid-July."""
    n = len(hod)
    # Cold surges and rain clear the air for a day or two, several times a month (more often in winter).
    clean = np.ones(n)
    for start in np.nonzero(rng.random(n) < (1 / 120) * (1 + 0.5 * np.clip(winter, 0, None)))[0]:
        clean[start:start + int(rng.integers(18, 48))] = 0.45
    pm25 = (mean25 * (1 + 0.42 * winter) * DIURNAL[hod] * clean
            * np.exp(_ar1(rng, n, 0.97, 0.07) - 0.1))
    out = {"pm25": np.round(np.maximum(pm25, 3.0), 1)}
    out["pm10"] = np.round(out["pm25"] * ratio * rng.uniform(0.9, 1.1, n), 1)
    if "o3" in params:
        sun = np.clip(np.sin(math.pi * (hod - 6) / 12.0), 0, None)
        out["o3"] = np.round(np.maximum(15 + (70 - 25 * winter) * sun * np.exp(_ar1(rng, n, 0.9, 0.1)), 2.0), 1)
        traffic = DIURNAL[hod]
        out["no2"] = np.round(np.maximum(28 * traffic * (1 + 0.3 * winter) * np.exp(_ar1(rng, n, 0.9, 0.12)), 2), 1)
        out["so2"] = np.round(np.maximum(14 * (1 + 0.2 * winter) * np.exp(_ar1(rng, n, 0.9, 0.15)), 1), 1)
        out["co"] = np.round(np.maximum(900 * traffic * (1 + 0.4 * winter) * np.exp(_ar1(rng, n, 0.9, 0.1)), 100), 0)
    return out


def run(ctx: Any) -> None:
    session = ctx.session
    if session.scalar(select(Station.id).limit(1)) is not None:
        return
    rng = np.random.default_rng(ctx.rng.randrange(2**32))
    now_local = ctx.now.replace(tzinfo=UTC).astimezone(LOCAL_TZ).replace(tzinfo=None)
    end = now_local.replace(minute=0, second=0, microsecond=0)
    start = datetime.combine(end.date() - timedelta(days=DAYS), time(1)) - timedelta(hours=7)
    hours = np.arange(np.datetime64(start, "h"), np.datetime64(end, "h") + 1)
    stations = []
    for code, name, lat, lon, operator, kind, params, _mean25, _ratio in STATIONS:
        stations.append(service.create_station(session, principal=ctx.principal, demo=True, station_in=StationIn(
            code=code, name=name, lat=lat, lon=lon, operator=operator, kind=kind, parameters=params)))  # type: ignore[arg-type]
    rows: list[tuple[Any, ...]] = []
    times = hours.astype(datetime)
    hod = hours.astype(np.int64) % 24  # naive local hours: the hour of day of each hour's end
    day = (hours.astype("datetime64[D]") - hours.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    winter = np.cos(2 * math.pi * (day - 14) / 365.0)
    for st, (_code, _n, _la, _lo, _op, kind, params, mean25, ratio) in zip(stations, STATIONS, strict=True):
        data = _series(rng, hod, winter, mean25, ratio, params)
        n = len(hours)
        present = rng.random(n) > (0.02 if kind == "lowcost" else 0.008)
        for _ in range(3 if kind == "lowcost" else 2):  # outages of half a day to three days
            a = int(rng.integers(0, n - 80))
            present[a:a + int(rng.integers(12, 72))] = False
        if st.code == SILENT_STATION:
            present[-6:] = False
        else:
            present[-3:] = True
        flagged = rng.choice(n, 2, replace=False) if kind == "lowcost" else np.array([], dtype=int)
        received = utcnow()
        for p, values in data.items():
            keep = present & (np.arange(n) >= n - GAS_DAYS * 24) if p in aqi.GASES else present
            vals = values.copy()
            if p == "pm25":
                vals[flagged] = 1500.0  # a stuck optical sensor: kept and flagged, not used
            idx = np.nonzero(keep)[0]
            for i, v in zip(idx.tolist(), vals[idx].tolist(), strict=True):
                rows.append((st.id, p, times[i], v, "ug/m3", service._flag(p, v), True, received))
    service.store_bulk(session, principal=ctx.principal, rows=rows)
    _alert_rules(ctx)
    first = end.date() - timedelta(days=DAYS - 1)
    ctx.summary["environment"] = {"stations": len(stations), "readings": len(rows)}
    publish_open_data(ctx, first, end.date())


def publish_open_data(ctx: Any, first: date, last: date) -> None:
    from dieuhanh.environment import opendata

    opendata.publish(ctx.session, ctx.warehouse, principal=ctx.principal, first=first, last=last,
                     province_code=ctx.settings.province_code, max_bytes=ctx.settings.max_upload_mb * 1024 * 1024,
                     demo=True)


def _alert_rules(ctx: Any) -> None:
    from dieuhanh.alerts import service as alerts
    from dieuhanh.alerts.models import AlertRule
    from dieuhanh.alerts.schemas import RuleIn

    for name, source, params, severity in (
            ("Không khí ở mức Xấu trở lên tại trạm quan trắc", "environment.aqi", {"min_level": aqi.BAD_LEVEL},
             "critical"),
            ("Vượt QCVN 05:2023/BTNMT tại trạm quan trắc", "environment.qcvn", {}, "warning"),
            ("Trạm quan trắc không khí mất tín hiệu", "environment.silent", {"hours": 3}, "warning")):
        if ctx.session.scalar(select(AlertRule.id).where(AlertRule.name == name)) is None:
            alerts.create_rule(ctx.session, principal=ctx.principal, rule_in=RuleIn(
                name=name, indicator_code=source, kind="source", params=params, severity=severity,
                channels=[{"type": "inapp"}], group_by=["rule"], repeat_interval_minutes=24 * 60))
