"""Stations, readings, VN_AQI and NGSI-LD through the API; alert sources; the two pages (both stores)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from conftest import login
from dieuhanh.alerts import service as alerts
from dieuhanh.alerts.models import AlertInstance
from dieuhanh.alerts.schemas import RuleIn
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import SYSTEM
from dieuhanh.environment.models import Observation

PHU_LY = (20.5436, 105.9130)
T = datetime(2026, 12, 7, 14)  # local time, end of the hour


def _token(factory, scopes=("environment",)) -> dict[str, str]:
    _, secret = factory.token(list(scopes), agency="SNNMT", name="mang-quan-trac")
    return {"Authorization": f"Bearer {secret}"}


def _station(client, headers, code="KK01", params=("pm25", "pm10", "o3", "co", "no2")) -> dict:
    r = client.post("/api/v1/environment/stations", headers=headers, json={
        "code": code, "name": f"Trạm {code}", "lat": PHU_LY[0], "lon": PHU_LY[1], "operator": "Trung tâm Quan trắc",
        "parameters": list(params)})
    assert r.status_code == 201, r.text
    return r.json()


def _reading(station, parameter, value, at, unit="ug/m3") -> dict:
    return {"station": station, "parameter": parameter, "value": value, "unit": unit,
            "observed_at": at.isoformat(), "averaging": "1h"}


def test_station_needs_the_environment_scope_and_gets_its_commune(client, factory):
    r = client.post("/api/v1/environment/stations", headers=_token(factory, ["events"]), json={
        "code": "KK01", "name": "Trạm", "lat": PHU_LY[0], "lon": PHU_LY[1], "operator": "x", "parameters": ["pm25"]})
    assert r.status_code == 403
    st = _station(client, _token(factory))
    assert st["unit_code"]  # resolved from the coordinates
    listed = client.get("/api/v1/environment/stations").json()  # public
    assert [s["code"] for s in listed] == ["KK01"]


def test_invalid_records_are_refused_by_index_and_field_and_nothing_is_stored(client, db, factory):
    headers = _token(factory)
    _station(client, headers)
    r = client.post("/api/v1/environment/observations", headers=headers, json=[
        _reading("KK01", "pm25", 30.0, T),
        _reading("KK01", "pm25", -4.0, T - timedelta(hours=1)),
        _reading("KK01", "so2", 10.0, T),  # not measured by this station
        {**_reading("KK01", "pm10", 50.0, T), "observed_at": "2026-12-07T14:30:00"},
        _reading("KK99", "pm25", 30.0, T),
    ])
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "value"), (2, "parameter"), (3, "observed_at"), (4, "station")]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Observation)) == 0
    anonymous = client.post("/api/v1/environment/observations", json=[_reading("KK01", "pm25", 1.0, T)])
    assert anonymous.status_code in (401, 403)


def test_push_is_idempotent_converts_mg_and_flags_out_of_range(client, db, factory):
    headers = _token(factory)
    _station(client, headers)
    batch = [_reading("KK01", "pm25", 30.0, T), _reading("KK01", "co", 1.2, T, unit="mg/m3"),
             _reading("KK01", "pm10", 2500.0, T)]
    first = client.post("/api/v1/environment/observations", headers=headers, json=batch)
    assert first.status_code == 201
    assert first.json() == {"created": 3, "updated": 0, "duplicates": 0, "flagged": 1}
    again = client.post("/api/v1/environment/observations", headers=headers, json=batch)
    assert again.json() == {"created": 0, "updated": 0, "duplicates": 3, "flagged": 0}
    fixed = client.post("/api/v1/environment/observations", headers=headers,
                        json=[_reading("KK01", "pm25", 31.0, T)])
    assert fixed.json()["updated"] == 1
    with db.session() as s:
        co = s.scalar(select(Observation).where(Observation.parameter == "co"))
        assert co.value == 1200.0 and co.unit == "mg/m3"
        pm10 = s.scalar(select(Observation).where(Observation.parameter == "pm10"))
        assert pm10.flag == "out_of_range"
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "environment.observation.correct")) == 1


def test_a_sudden_jump_is_kept_and_flagged_as_a_spike(client, db, factory):
    headers = _token(factory)
    _station(client, headers)
    h = timedelta(hours=1)
    # 20 then 400 µg/m³ within the same push: a spike; a reading that stays high an hour later is an episode
    pushed = client.post("/api/v1/environment/observations", headers=headers, json=[
        _reading("KK01", "pm25", 20.0, T - 3 * h), _reading("KK01", "pm25", 400.0, T - 2 * h),
        _reading("KK01", "pm25", 35.0, T - h)])
    assert pushed.json()["flagged"] == 1
    # against the stored hour before: 35 → 300 is a spike; 35 → 120 is not (the jump is too small)
    assert client.post("/api/v1/environment/observations", headers=headers, json=[
        _reading("KK01", "pm25", 300.0, T)]).json()["flagged"] == 1
    assert client.post("/api/v1/environment/observations", headers=headers, json=[
        _reading("KK01", "pm10", 30.0, T - h), _reading("KK01", "pm10", 120.0, T)]).json()["flagged"] == 0
    with db.session() as s:
        flags = dict(s.execute(select(Observation.observed_at, Observation.flag).where(
            Observation.parameter == "pm25")).all())
    assert flags == {T - 3 * h: None, T - 2 * h: "spike", T - h: None, T: "spike"}


def test_hourly_and_daily_aqi_rows(client, factory):
    headers = _token(factory)
    _station(client, headers)
    day_start = datetime(2026, 12, 6, 1)
    readings = []
    for h in range(24):  # 06/12 01:00 … 07/12 00:00: PM2.5 55,7 all day, NO2 peak 130,8 (mục 2.3.c)
        at = day_start + timedelta(hours=h)
        readings += [_reading("KK01", "pm25", 55.7, at), _reading("KK01", "no2", 130.8 if h == 8 else 60.0, at)]
    assert client.post("/api/v1/environment/observations", headers=headers, json=readings).status_code == 201
    daily = client.get("/api/v1/environment/aqi", params={"station": "KK01", "kind": "daily", "from": "2026-12-06",
                                                          "to": "2026-12-06"}).json()
    assert daily == [{"station": "KK01", "time": "2026-12-06", "aqi": 110, "category": "Kém", "colour": "#ff7e00",
                      "dominant": "pm25", "sub_indices": {"pm25": 110, "no2": 65}, "nowcast": {}}]
    hourly = client.get("/api/v1/environment/aqi", params={
        "station": "KK01", "kind": "hourly", "from": "2026-12-06T23:00:00", "to": "2026-12-07T00:00:00"}).json()
    assert [r["time"] for r in hourly] == ["2026-12-06T23:00:00+07:00", "2026-12-07T00:00:00+07:00"]
    assert hourly[-1]["nowcast"] == {"pm25": 55.7} and hourly[-1]["aqi"] == 110
    bad = client.get("/api/v1/environment/aqi", params={"kind": "weekly"})
    assert bad.status_code == 422


def test_ngsi_ld_latest_observation(client, factory):
    headers = _token(factory)
    _station(client, headers)
    client.post("/api/v1/environment/observations", headers=headers, json=[
        _reading("KK01", "pm25", 20.0, T - timedelta(hours=1)), _reading("KK01", "pm25", 22.0, T)])
    r = client.get("/api/v1/environment/ngsi-ld/AirQualityObserved", params={"station": "KK01"})
    assert r.headers["content-type"].startswith("application/ld+json")
    (entity,) = r.json()
    assert entity["type"] == "AirQualityObserved" and entity["id"] == "urn:ngsi-ld:AirQualityObserved:KK01"
    assert entity["location"]["value"] == {"type": "Point", "coordinates": [PHU_LY[1], PHU_LY[0]]}
    assert entity["pm25"]["value"] == 22.0 and entity["dateObserved"]["value"] == "2026-12-07T14:00:00+07:00"


def test_alert_sources_bad_air_qcvn_and_silent_station(client, db, factory):
    headers = _token(factory)
    _station(client, headers, "KK01")
    _station(client, headers, "KK02", params=("pm25",))
    now_local = datetime(2026, 12, 7, 14)
    readings = [_reading("KK01", "pm25", 120.0, now_local - timedelta(hours=h)) for h in range(40)]
    readings.append(_reading("KK02", "pm25", 20.0, now_local - timedelta(hours=8)))
    assert client.post("/api/v1/environment/observations", headers=headers, json=readings).status_code == 201
    now_utc = now_local - timedelta(hours=7)
    with db.session() as s:
        for name, source in (("Không khí xấu", "environment.aqi"), ("Vượt QCVN", "environment.qcvn"),
                             ("Mất tín hiệu", "environment.silent")):
            alerts.create_rule(s, principal=SYSTEM, rule_in=RuleIn(name=name, indicator_code=source, kind="source",
                                                                   severity="warning"))
        alerts.evaluate_sources(s, names=["environment.aqi", "environment.qcvn", "environment.silent"], now=now_utc)
        states = {(i.rule.indicator_code, i.unit_code): i.state for i in s.scalars(select(AlertInstance))}
    assert states[("environment.aqi", "KK01")] == "Alerting"  # NowCast 120 → AQI 179 (Xấu)
    assert states[("environment.qcvn", "KK01")] == "Alerting"  # PM2.5 24 h 120 > 45 µg/m³
    assert states[("environment.silent", "KK02")] == "Alerting"
    assert states[("environment.silent", "KK01")] == "Normal"


def test_public_page_without_login_and_department_page_for_officials(client, factory):
    _station(client, _token(factory))
    page = client.get("/khong-khi")
    assert page.status_code == 200 and "Trạm KK01" in page.text and "Thang VN_AQI" in page.text
    assert client.get("/environment", follow_redirects=False).status_code in (302, 303, 401)
    _, username, password = factory.user("leader")
    login(client, username, password)
    officials = client.get("/environment")
    assert officials.status_code == 200 and "Trạm KK01" in officials.text and "Số ngày vượt QCVN" in officials.text


def test_mqtt_messages_are_stored_per_message_and_bad_ones_refused(client, db, factory):
    from dieuhanh.environment import mqtt

    _station(client, _token(factory))
    assert [h.filter for h in mqtt.mqtt_handlers(db)] == [mqtt.TOPIC_FILTER]  # a real station: subscribed
    good = json.dumps([{"parameter": "pm25", "value": 12.5, "unit": "ug/m3", "observed_at": T.isoformat()}])
    bad = json.dumps({"parameter": "pm25", "value": "cao", "observed_at": T.isoformat()})
    refused = mqtt.handle_batch(db, [("dieuhanh/khong-khi/KK01", good.encode(), T),
                                     ("dieuhanh/khong-khi/KK01", bad.encode(), T),
                                     ("dieuhanh/khong-khi/KK01", b"\xff", T)])
    assert [i for i, _ in refused] == [1, 2] and "giá trị phải là một số" in refused[0][1]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Observation)) == 1


def test_csv_file_import_goes_through_the_same_checks(client, db, factory):
    from dieuhanh.environment import service

    _station(client, _token(factory))
    csv_text = ("station,parameter,value,unit,observed_at\n"
                "KK01,pm25,\"12,5\",ug/m3,2026-12-07T13:00:00\n"
                "KK01,co,1.4,mg/m3,2026-12-07T13:00:00\n")
    items = service.read_file("so-do.csv", csv_text.encode("utf-8"))
    with db.session() as s:
        assert service.push_observations(s, principal=SYSTEM, items=items).created == 2
    bad = service.read_file("so-do.csv", b"station,parameter,value,observed_at\nKK01,pm25,abc,2026-12-07T12:00:00\n")
    with db.session() as s, pytest.raises(InvalidInput) as refused:
        service.push_observations(s, principal=SYSTEM, items=bad)
    assert [(e.index, e.field) for e in refused.value.errors] == [(0, "value")]
