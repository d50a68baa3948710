"""Traffic forecasts, waste scenarios and year-end target forecasts through the services and the JSON API, on
both stores, with small synthetic data loaded through the one ingestion path."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from fc_helpers import synthetic_network
from sqlalchemy import select

from conftest import csrf_from, login
from dieuhanh.alerts import service as alerts
from dieuhanh.alerts.models import AlertInstance
from dieuhanh.alerts.schemas import RuleIn
from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.security import SYSTEM
from dieuhanh.forecasting import alerting, targets, traffic, waste
from dieuhanh.forecasting.models import TrafficForecast, TrafficJamNotice
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue
from dieuhanh.ingest import service as ingest
from dieuhanh.operations.models import Event

END = datetime(2026, 12, 7, 17, 30)  # local time of the latest observation


def _dataset(session, wh, name, columns, text):  # type: ignore[no-untyped-def]
    catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
        name=name, title=name, owner_agency="SXD", license_id="cc-by-4.0", access="public",
        update_frequency="irregular", schema=[ColumnIn(name=n, type=t) for n, t in columns]))
    ingest.load(session, wh, principal=SYSTEM, dataset_name=name, source=text.encode(), filename=f"{name}.csv",
                source_kind="test", province_code="37", max_bytes=10**8)


def load_network(session, wh, *, days: int = 3, jam_last: bool = True) -> np.ndarray:  # type: ignore[no-untyped-def]
    speed, _adj = synthetic_network(n_links=4, days=days, start_slot=(17 * 60 + 35) % 1440 // 5)
    # Incidents in the history (90 minutes at walking pace, cleared at once), so models learn that a blocked
    # link stays blocked for a while.
    for t0, j in ((150, 1), (400, 2), (620, 3), (700, 0)):
        speed[t0:t0 + 18, j] = 5.0
    if jam_last:  # an incident blocking the main link L0 for the last half hour
        speed[-6:, 0] = 5.0
    lines = ["ma_doan;ten_doan;tuyen_duong;ma_xa;toc_do_tu_do;truc_chinh;toa_do"]
    for j in range(4):
        lon = 105.90 + 0.01 * j
        lines.append(f"L{j};QL1A: đoạn {j};QL1A;13285;60;{'có' if j == 0 else 'không'};"
                     f"\"{lon:.3f} 20.54; {lon + 0.01:.3f} 20.54\"")
    _dataset(session, wh, traffic.LINKS_DATASET, [("ma_doan", "string"), ("ten_doan", "string"),
             ("tuyen_duong", "string"), ("ma_xa", "unit_code"), ("toc_do_tu_do", "number"),
             ("truc_chinh", "boolean"), ("toa_do", "string")], "\n".join(lines))
    n = len(speed)
    start = END - timedelta(minutes=5 * (n - 1))
    rows = ["thoi_diem;ma_doan;toc_do"]
    for t in range(n):
        stamp = (start + timedelta(minutes=5 * t)).strftime("%Y-%m-%d %H:%M")
        rows.extend(f"{stamp};L{j};{speed[t, j]:.1f}".replace(".", ",", 1).replace(",", ".", 0)
                    for j in range(4))
    _dataset(session, wh, traffic.OBS_DATASET, [("thoi_diem", "datetime"), ("ma_doan", "string"),
                                                ("toc_do", "number")], "\n".join(rows))
    return speed


def test_refresh_forecasts_every_link_and_horizon_with_backtests_and_announces_a_jam_once(db, warehouse):
    with db.session() as s:
        load_network(s, warehouse)
        run = traffic.refresh(s, warehouse, principal=SYSTEM, models=("ridge",))
        assert run.outcome == "ok", run.message
        assert run.links == 4
        rows = list(s.scalars(select(TrafficForecast)))
        assert {(f.link_code, f.horizon_min) for f in rows} == {(f"L{j}", h) for j in range(4) for h in (15, 30, 60)}
        for f in rows:
            assert f.lower <= f.value <= f.upper
            assert f.backtest_rmse is not None and f.baseline_rmse is not None
            # The model used has the lowest backtest error: a learned model never loses to its baseline.
            assert f.backtest_rmse <= f.baseline_rmse + 1e-9
            assert f.backtest_rmse == pytest.approx(min(f.candidates.values()), abs=1e-3)
        assert set(run.backtest) == {"15", "30", "60"}
        assert {"historical_average", "last_value", "seasonal_naive", "ridge"} <= set(run.backtest["15"])
        l0 = {f.horizon_min: f for f in rows if f.link_code == "L0"}
        assert "jam" in {f.congestion for f in l0.values()}
        assert l0[15].issued_at == datetime(2026, 12, 7, 10, 30)  # 17:30 local = 10:30 UTC
        notices = list(s.scalars(select(TrafficJamNotice)))
        assert [n.link_code for n in notices] == ["L0"] and "QL1A: đoạn 0" in notices[0].message
        assert run.jam_events == 1
        # The jam is an event of the operations room (its one intake: live feed, map, statistics).
        event = s.scalars(select(Event).where(Event.source == "du-bao-giao-thong")).one()
        assert notices[0].event_ref == str(event.id)
        assert event.type == "traffic_jam" and event.title == "Dự báo ùn tắc: QL1A: đoạn 0"
        assert event.payload["link"] == "L0" and event.unit_code is not None
        # Same data again: nothing new, nothing recomputed; forced: recomputed, the jam not announced twice.
        assert traffic.refresh(s, warehouse, principal=SYSTEM, models=("ridge",)).outcome == "skipped"
        again = traffic.refresh(s, warehouse, principal=SYSTEM, models=("ridge",), force=True)
        assert again.outcome == "ok" and again.jam_events == 0
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "forecast.traffic_refresh")).first()


def test_traffic_api_contract_profiles_and_anomalies(db, warehouse, client, factory):
    with db.session() as s:
        load_network(s, warehouse, days=8)
        traffic.refresh(s, warehouse, principal=SYSTEM, models=("ridge",))
    assert client.get("/api/v1/forecasts/traffic").status_code == 401
    _id, user, pw = factory.user("leader")
    login(client, user, pw)
    r = client.get("/api/v1/forecasts/traffic", params={"link": "L1", "horizon": 30})
    assert r.status_code == 200
    body = r.json()
    assert len(body) == 1
    assert {"link", "time", "value", "lower", "upper", "model"} <= set(body[0])
    assert body[0]["link"] == "L1" and body[0]["time"] == "2026-12-07T18:00:00+07:00"
    assert client.get("/api/v1/forecasts/traffic", params={"horizon": 45}).status_code == 422
    assert client.get("/api/v1/forecasts/traffic", params={"horizon": 999}).status_code == 422
    assert len(client.get("/api/v1/forecasts/traffic").json()) == 12
    detail = client.get("/api/v1/forecasts/traffic/links/L0").json()
    assert len(detail["recent"]) == 6 * 12 + 1
    assert len(detail["profile"]["daily"]["working_day"]) == 96
    assert len(detail["profile"]["weekly"]) == 7 and len(detail["profile"]["weekly"][0]) == 24
    assert client.get("/api/v1/forecasts/traffic/links/NOPE").status_code == 404
    anomalies = client.get("/api/v1/forecasts/traffic/anomalies").json()
    assert any(a["link"] == "L0" and a["speed"] < a["typical"] for a in anomalies)
    page = client.get("/giao-thong?link=L0")
    assert page.status_code == 200 and "QL1A: đoạn 0" in page.text and "traffic-data" in page.text
    assert client.post("/api/v1/forecasts/traffic/refresh", headers={"X-CSRF-Token": csrf_from(client)}
                       ).status_code == 403  # leaders read; analysts and admins recompute


def _waste_data(session, wh):  # type: ignore[no-untyped-def]
    pop = ["ma_xa;nam;dan_so"] + [f"{c};{y};{n}" for c, base in (("13285", 60000), ("13669", 40000))
                                  for y, n in ((2023, base), (2025, int(base * 1.02)))]
    _dataset(session, wh, waste.POPULATION_DATASET, [("ma_xa", "unit_code"), ("nam", "integer"),
                                                     ("dan_so", "integer")], "\n".join(pop))
    gen = ["thang;ma_xa;phat_sinh_tan;thu_gom_tan"] + [
        f"01/{m:02d}/2025;{c};{t};{t * 0.9:.1f}" for m in range(1, 13) for c, t in (("13285", 1800), ("13669", 900))]
    _dataset(session, wh, waste.GENERATION_DATASET, [("thang", "date"), ("ma_xa", "unit_code"),
                                                     ("phat_sinh_tan", "number"), ("thu_gom_tan", "number")],
             "\n".join(gen).replace(".", ","))
    _dataset(session, wh, waste.FACILITIES_DATASET, [("ten_co_so", "string"), ("loai_hinh", "string"),
             ("ma_xa", "unit_code"), ("cong_suat_tan_ngay", "number")], "ten_co_so;loai_hinh;ma_xa;cong_suat_tan_ngay\n"
             "Lò đốt A;Đốt;13285;60")


def test_waste_forecast_is_calibrated_and_scenarios_are_saved_by_analysts(db, warehouse, client, factory):
    with db.session() as s:
        _waste_data(s, warehouse)
        out = waste.forecast(warehouse, province_code="37", params=waste.WasteParams(years=5))
    years = out["years"]
    assert [y["year"] for y in years] == list(range(2025, 2031))
    # Calibrated: the base year's generation equals the reported 12-month average per day.
    reported = (1800 + 900) * 12 / 365
    assert years[0]["tonnes_per_day"] == pytest.approx(reported, rel=0.01)
    assert out["reported_tonnes_per_day"] == pytest.approx(reported, rel=0.01)
    assert all(y["tonnes_per_day"] == pytest.approx(y["urban"] + y["rural"], abs=0.2) for y in years)
    assert years[-1]["tonnes_per_day"] > years[0]["tonnes_per_day"]  # population, urbanisation and income grow
    assert years[0]["collection_rate"] == pytest.approx(90.0, abs=0.1)  # today's reported collection
    assert years[-1]["collection_capacity_needed"] == pytest.approx(years[-1]["tonnes_per_day"] * 0.95, rel=0.01)
    assert out["capacity"]["treatment_tonnes_per_day"] == 60
    assert "35.624" in out["sources"]["urban_rate"] and "What a Waste 2.0" in out["sources"]["income_elasticity"]

    _id, officer, pw = factory.user("officer", agency="SYT")
    login(client, officer, pw)
    body = {"name": "Tái chế cao", "params": {"years": 3, "recycling_share": 40}}
    token = csrf_from(client)
    assert client.post("/api/v1/forecasts/waste/scenarios", json=body,
                       headers={"X-CSRF-Token": token}).status_code == 403
    _id, analyst, pw = factory.user("analyst")
    login(client, analyst, pw)
    token = csrf_from(client)
    r = client.post("/api/v1/forecasts/waste/scenarios", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert client.post("/api/v1/forecasts/waste/scenarios", json=body,
                       headers={"X-CSRF-Token": token}).status_code == 409
    bad = client.post("/api/v1/forecasts/waste/scenarios", json={"name": "x", "params": {"years": 40}},
                      headers={"X-CSRF-Token": token})
    assert bad.status_code == 422
    f = client.get("/api/v1/forecasts/waste", params={"scenario": "Tái chế cao", "unit": "13285"}).json()
    assert len(f["years"]) == 4 and set(f["years"][0]) >= {"year", "tonnes_per_day", "urban", "rural",
                                                            "collection_capacity_needed"}
    last = f["years"][-1]
    assert last["treatment_capacity_needed"] == pytest.approx(last["collection_capacity_needed"] * 0.6, rel=0.01)
    slider = client.get("/api/v1/forecasts/waste", params={"scenario": sid, "recycling_share": 10}).json()
    assert slider["params"]["recycling_share"] == 10 and slider["params"]["years"] == 3
    assert client.get("/api/v1/forecasts/waste", params={"unit": "99999"}).status_code == 404
    assert client.get("/api/v1/forecasts/waste", params={"scenario": "không có"}).status_code == 404
    r = client.put(f"/api/v1/forecasts/waste/scenarios/{sid}", json={**body, "description": "mới"},
                   headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["description"] == "mới"
    assert client.delete(f"/api/v1/forecasts/waste/scenarios/{sid}", headers={"X-CSRF-Token": token}
                         ).status_code == 204
    assert client.get(f"/api/v1/forecasts/waste/scenarios/{sid}").status_code == 404
    assert client.get("/api/v1/forecasts/waste/scenarios/0").status_code == 422
    with db.session() as s:
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "waste_scenario")))
    assert actions == {"forecast.scenario.create", "forecast.scenario.update", "forecast.scenario.delete"}
    page = client.get("/du-bao/chat-thai")
    assert page.status_code == 200 and "What a Waste 2.0" in page.text
    # The base year is kept per data version of the datasets it reads: a new load shows in the next answer.
    assert client.get("/api/v1/forecasts/waste").json()["base_year"] == 2025
    with db.session() as s:
        ingest.load(s, warehouse, principal=SYSTEM, dataset_name=waste.POPULATION_DATASET, filename="2026.csv",
                    source=b"ma_xa;nam;dan_so\n13285;2026;62000\n13669;2026;41000", source_kind="test",
                    province_code="37", max_bytes=10**8)
    assert client.get("/api/v1/forecasts/waste").json()["base_year"] == 2026


def _indicator(session, code: str, monthly: list[float], *, target: float, year: int = 2026) -> None:  # type: ignore[no-untyped-def]
    session.add(IndicatorDefinition(
        code=code, name=f"Tỷ lệ thử {code}", domain="socio_economy", unit="%", periodicity="month",
        levels=["province"], sql="SELECT 1", datasets=[], direction="higher_better", targets={str(year): target},
        thresholds={}, public=False, published=True, origin="test"))
    first = (year - 2, 1)
    for i, v in enumerate(monthly):
        y, m = first[0] + (first[1] - 1 + i) // 12, (first[1] - 1 + i) % 12 + 1
        session.add(IndicatorValue(code=code, period=f"{y}-{m:02d}", unit_code="37", level="province", value=v,
                                   status="neutral"))
    session.flush()


def test_year_end_forecast_probability_and_the_alert_rule(db, client, factory):
    rng = np.random.default_rng(3)
    season = np.tile([0, 0.5, 1, 1, 0.5, 0, -0.5, -1, -1, -0.5, 0, 0.5], 3)
    with db.session() as s:
        # 2024–2025 full, 2026 up to September: one indicator near 97 %, one near 88 %; both have a 95 % target.
        _indicator(s, "fc_tot", list(97 + season[:33] + rng.normal(0, 0.3, 33)), target=95)
        _indicator(s, "fc_kem", list(88 + season[:33] + rng.normal(0, 0.3, 33)), target=95)
        _indicator(s, "fc_som", list(97 + season[:26] + rng.normal(0, 0.3, 26)), target=95)  # only Jan–Feb 2026
        good = targets.forecast_indicator(s, s.get(IndicatorDefinition, "fc_tot"), year=2026)
        bad = targets.forecast_indicator(s, s.get(IndicatorDefinition, "fc_kem"), year=2026)
        early = targets.forecast_indicator(s, s.get(IndicatorDefinition, "fc_som"), year=2026)
        assert good.shown and bad.shown and not early.shown
        assert good.periods_observed == 9 and good.as_of == "2026-09"
        assert good.lower < good.forecast < good.upper
        assert 96 < good.forecast < 98 and good.probability_target_met > 0.9
        assert bad.probability_target_met < 0.1
        assert good.backtest_error is not None and good.baseline_error is not None
        assert good.backtest_error <= good.baseline_error
        assert set(good.candidates) == {"ytd_mean", "last_value", "seasonal_naive", "damped_trend"}
        alerts.create_rule(s, principal=SYSTEM, rule_in=RuleIn(
            name="Dự báo không đạt chỉ tiêu", indicator_code=alerting.SOURCE_NAME, kind="source",
            params={"threshold": 0.5}))
        alerts.evaluate_sources(s, names=[alerting.SOURCE_NAME])
        states = {i.unit_code: i.state for i in s.scalars(select(AlertInstance))}
        assert states["fc_kem"] == "Alerting"
        assert states["fc_tot"] == "Normal"
        assert "fc_som" not in states  # before mid-year: no forecast shown, no condition
        with pytest.raises(Exception, match="threshold"):
            alerts.create_rule(s, principal=SYSTEM, rule_in=RuleIn(
                name="Sai tham số", indicator_code=alerting.SOURCE_NAME, kind="source", params={"threshold": 2}))
    _id, user, pw = factory.user("leader")
    login(client, user, pw)
    r = client.get("/api/v1/indicators/fc_kem/forecast", params={"year": 2026})
    assert r.status_code == 200
    body = r.json()
    assert {"year", "forecast", "lower", "upper", "target", "probability_target_met", "model",
            "backtest_error"} <= set(body)
    assert body["year"] == 2026 and body["target"] == 95 and 0 <= body["probability_target_met"] < 0.1
    assert client.get("/api/v1/indicators/fc_kem/forecast", params={"year": 1900}).status_code == 422
    assert client.get("/api/v1/indicators/khong_co/forecast").status_code == 404
    tiles = client.get("/api/v1/forecasts/targets", params={"codes": "fc_kem,fc_tot"}).json()
    assert set(tiles) == {"fc_kem", "fc_tot"} and tiles["fc_tot"]["shown"]
    box = client.get("/du-bao/chi-tieu/fc_kem/tom-tat")
    assert box.status_code == 200 and "khả năng đạt" in box.text
    assert client.get("/du-bao/chi-tieu/fc_som/tom-tat").text.strip() == ""
    assert "Tỷ lệ thử fc_kem" in client.get("/du-bao/chi-tieu").text
