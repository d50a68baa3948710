"""The nightly job that recomputes the open VN_AQI datasets (environment/opendata.py, both stores): nothing is
published while no station is placed, then yesterday's readings become a published row anyone can read."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from dieuhanh.catalog.models import Dataset
from dieuhanh.core.jobs import Scheduler
from dieuhanh.environment import service
from dieuhanh.environment.module import MODULE

PHU_LY = (20.5436, 105.9130)


def test_nightly_publish_recomputes_yesterday_for_everyone(client, db, warehouse, factory, settings):
    scheduler = Scheduler(db, warehouse=warehouse, settings=settings)
    assert MODULE.jobs is not None
    MODULE.jobs(scheduler)
    assert "environment.publish" in scheduler.job_ids()
    first = scheduler.run("environment.publish")
    assert first is not None and first.outcome == "success", first and first.error
    with db.session() as s:  # no station yet: no empty dataset appears on the portal
        assert s.scalar(select(Dataset).where(Dataset.name == "vn_aqi_ngay")) is None

    _, secret = factory.token(["environment"], agency="SNNMT", name="mang-quan-trac")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/environment/stations", headers=headers, json={
        "code": "KK01", "name": "Trạm Phủ Lý", "lat": PHU_LY[0], "lon": PHU_LY[1], "operator": "Trung tâm Quan trắc",
        "parameters": ["pm25"]}).status_code == 201
    yesterday = service.local_now().date() - timedelta(days=1)
    start = datetime.combine(yesterday, time(1))
    readings = [{"station": "KK01", "parameter": "pm25", "value": 55.7, "unit": "ug/m3", "averaging": "1h",
                 "observed_at": (start + timedelta(hours=h)).isoformat()} for h in range(24)]
    assert client.post("/api/v1/environment/observations", headers=headers, json=readings).status_code == 201

    run = scheduler.run("environment.publish")
    assert run is not None and run.outcome == "success", run and run.error
    assert run.rows and run.rows >= 1 + 24  # the day's row and its hours
    client.cookies.clear()
    got = client.get("/opendata/datasets/vn_aqi_ngay/download.json")
    assert got.status_code == 200, got.text
    records = got.json()
    records = records if isinstance(records, list) else records.get("records", records.get("rows", []))
    day = [r for r in records if str(r["ngay"])[:10] == yesterday.isoformat()]
    assert len(day) == 1 and day[0]["aqi"] == 110 and day[0]["muc"] == "Kém" and day[0]["so_gio_pm"] == 24
