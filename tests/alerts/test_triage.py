"""Alert triage: identical alerts of a rule are one group, filters and paging, counts that agree on the API, the
alert page and the overview, names (source keys included) instead of codes, and directives preselecting the body
responsible for the alert's unit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from conftest import csrf_from, login
from dieuhanh.alerts import service
from dieuhanh.alerts import sources as alert_sources
from dieuhanh.alerts.models import AlertInstance, AlertRule, Directive
from dieuhanh.geo import reference
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue

T0 = datetime(2026, 12, 7, 3, 0)  # 07/12/2026 10:00 in Hà Nội
COMMUNES = [u for u in reference.communes_of("37")][:5]
READINGS: dict[str, float] = {}


def _readings(session: Any, params: dict[str, Any], now: datetime) -> Iterator[alert_sources.SourceCondition]:
    for key, value in sorted(READINGS.items()):
        yield alert_sources.SourceCondition(key=key, firing=value > params["limit"], value=value, period="2026-12-07",
                                            message=f"AQI {value:.0f}")


@pytest.fixture(autouse=True)
def stations() -> Iterator[None]:
    src = alert_sources.register(alert_sources.AlertSource(
        name="test.aqi", label="AQI giờ vượt ngưỡng", domain="environment", evaluate=_readings,
        names=lambda _s, keys: {k: f"Trạm quan trắc {k[-2:]}" for k in keys},
        responsible=lambda _s, keys: {k: "SNNMT" for k in keys}))
    READINGS.clear()
    yield
    alert_sources.SOURCES.pop(src.name, None)


def _indicator(session: Any, code: str, domain: str, owner: str, levels: list[str]) -> None:
    session.add(IndicatorDefinition(code=code, name=f"Chỉ số {code}", domain=domain, unit="vụ", periodicity="month",
                                    levels=levels, sql="SELECT 1", datasets=[], direction="lower_better", targets={},
                                    thresholds={}, state="ok", owner_agency=owner))


def _value(session: Any, code: str, unit: str, level: str, value: float, period: str = "2026-11") -> None:
    partial = period == "2026-12"  # as the engine marks a month that has not ended at T0
    session.add(IndicatorValue(code=code, period=period, unit_code=unit, level=level, value=value,
                               status="neutral", batches=[], partial=partial, as_of=T0 if partial else None))


def _rule(session: Any, name: str, code: str, level: str, severity: str = "warning", **params: Any) -> AlertRule:
    rule = AlertRule(name=name, indicator_code=code, level=level, kind="threshold",
                     params={"op": ">", "value": 0, **params}, severity=severity, pending_for=0, channels=[],
                     group_by=["rule"])
    session.add(rule)
    session.flush()
    return rule


def _province(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Five communes over a commune-level rule (traffic), four commune committees over an agency-level rule
    (citizen reports), one province rule, two stations of a source rule (environment)."""
    with db.session() as s:
        _indicator(s, "tai_nan", "traffic", "CAT", ["province", "commune"])
        _indicator(s, "qua_han", "citizen_reports", "VPUBND", ["province", "agency"])
        for c in COMMUNES:
            _value(s, "tai_nan", c.code, "commune", 3)
        for c in COMMUNES[:4]:
            _value(s, "qua_han", f"UBND{c.code}", "agency", 1)
        _value(s, "tai_nan", "37", "province", 40)
        _value(s, "tai_nan", "37", "province", 55, period="2026-12")  # partial month: not scored by default
        s.flush()
        ids = {"commune": _rule(s, "Tai nạn giao thông ở xã", "tai_nan", "commune", "critical").id,
               "agency": _rule(s, "Phản ánh quá hạn chưa trả lời", "qua_han", "agency").id,
               "province": _rule(s, "Tai nạn toàn tỉnh vượt ngưỡng", "tai_nan", "province", value=30).id}
        s.add(AlertRule(name="AQI vượt ngưỡng", indicator_code="test.aqi", level="province", kind="source",
                        params={"limit": 150}, severity="critical", pending_for=0, channels=[], group_by=["rule"]))
        READINGS.update({"KK01": 180.0, "KK02": 200.0, "KK03": 90.0})
        service.evaluate(s, now=T0)
    return ids


def test_identical_alerts_are_one_group_with_names_and_counts_that_agree(client, factory, db):
    ids = _province(db)
    _, leader, _ = factory.user("leader")
    login(client, leader)
    body = client.get("/api/v1/alerts", params={"state": "alerting", "group": "rule"}).json()
    assert body["total"] == 5 + 4 + 1 + 2 and body["total_groups"] == 4
    groups = {g["rule_id"]: g for g in body["groups"]}
    agency = groups[ids["agency"]]
    assert set(agency) >= {"rule_id", "title", "severity", "count", "units", "since"}
    assert agency["count"] == 4 and agency["title"] == "Phản ánh quá hạn chưa trả lời — 4 xã, phường"
    assert {u["name"] for u in agency["units"]} == {f"UBND {c.name[0].lower()}{c.name[1:]}" for c in COMMUNES[:4]}
    assert groups[ids["commune"]]["title"] == "Tai nạn giao thông ở xã — 5 xã, phường"
    assert {u["name"] for u in groups[ids["commune"]]["units"]} == {c.name for c in COMMUNES}
    assert groups[ids["province"]]["title"] == "Tai nạn toàn tỉnh vượt ngưỡng — toàn tỉnh"
    # The province rule scored November (40 > 30), not the partial December.
    assert groups[ids["province"]]["items"][0]["period"] == "2026-11"
    source = next(g for g in body["groups"] if g["indicator"]["code"] == "test.aqi")
    assert source["title"] == "AQI vượt ngưỡng — 2 đối tượng"
    assert {u["name"] for u in source["units"]} == {"Trạm quan trắc 01", "Trạm quan trắc 02"}
    # Critical groups first.
    assert [g["severity"] for g in body["groups"]][:2] == ["critical", "critical"]

    # Counts agree: the flat list, the page's tab and heading, the overview's badge.
    flat = client.get("/api/v1/alerts", params={"state": "alerting"}).json()
    assert flat["total"] == body["total"] == flat["counts"]["alerting"] == 12
    page = client.get("/alerts").text
    assert re.search(r'data-testid="count-alerting">12<', page) and 'data-testid="alert-total">12<' in page
    assert page.count('data-testid="alert-group"') == 4
    overview = client.get("/").text
    assert 'data-testid="alert-count">12<' in overview
    assert "Phản ánh quá hạn chưa trả lời — 4 xã, phường" in overview


def test_filters_by_domain_severity_agency_commune_and_paging(client, factory, db):
    ids = _province(db)
    _, secret = factory.token(["read"])
    headers = {"Authorization": f"Bearer {secret}"}

    def get(**params: Any) -> dict[str, Any]:
        response = client.get("/api/v1/alerts", params={"state": "alerting", **params}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    assert get(domain="traffic")["total"] == 6
    assert get(domain="environment")["total"] == 2
    assert get(severity="critical")["total"] == 5 + 2
    assert get(severity="warning", domain="citizen_reports")["total"] == 4
    first = COMMUNES[0].code
    by_unit = get(unit=first)
    # The commune's own alert and its People's Committee's alert.
    assert by_unit["total"] == 2 and {i["rule"]["id"] for i in by_unit["items"]} == {ids["commune"], ids["agency"]}
    by_agency = get(agency=f"UBND{first}")
    assert by_agency["total"] == 2
    assert get(agency="CAT")["total"] == 1  # the province rule: the indicator's owner
    assert get(agency="SNNMT")["total"] == 2  # the stations: the source's responsible agency
    page1, page2 = get(page_size=5), get(page_size=5, page=3)
    assert page1["total"] == page2["total"] == 12 and len(page1["items"]) == 5 and len(page2["items"]) == 2
    assert len(get(group="rule", page_size=3)["groups"]) == 3
    assert client.get("/api/v1/alerts", params={"domain": "khong_co"}, headers=headers).status_code == 422
    assert client.get("/api/v1/alerts", params={"page_size": 1000}, headers=headers).status_code == 422
    assert client.get("/api/v1/alerts", params={"group": "unit"}, headers=headers).status_code == 422
    # The page filters the same way.
    _, leader, _ = factory.user("leader")
    login(client, leader)
    page = client.get("/alerts", params={"domain": "traffic"}).text
    assert 'data-testid="alert-total">6<' in page


def test_an_officer_sees_their_own_commune_first(client, factory, db):
    ids = _province(db)
    last = COMMUNES[3]
    _, officer, _ = factory.user("officer", agency=f"UBND{last.code}")
    login(client, officer)
    body = client.get("/api/v1/alerts", params={"state": "alerting"}).json()
    assert {i["rule"]["id"] for i in body["items"][:2]} == {ids["commune"], ids["agency"]}
    assert {i["unit"]["code"] for i in body["items"][:2]} == {last.code, f"UBND{last.code}"}


def test_directive_from_a_commune_alert_goes_to_its_peoples_committee(client, factory, db):
    ids = _province(db)
    commune = COMMUNES[2]
    with db.session() as s:
        at_commune = s.scalar(select(AlertInstance.id).where(AlertInstance.rule_id == ids["commune"],
                                                             AlertInstance.unit_code == commune.code))
        at_province = s.scalar(select(AlertInstance.id).where(AlertInstance.rule_id == ids["province"]))
        at_agency = s.scalar(select(AlertInstance.id).where(AlertInstance.rule_id == ids["agency"],
                                                            AlertInstance.unit_code == f"UBND{commune.code}"))
    _, leader, _ = factory.user("leader")
    login(client, leader)
    committee = f"UBND {commune.name[0].lower()}{commune.name[1:]}"
    # The alert page preselects the commune's People's Committee, by name.
    page = client.get(f"/alerts/{at_commune}").text
    assert re.search(rf'<option value="UBND{commune.code}" selected>{re.escape(committee)}</option>', page)
    assert f'data-testid="responsible">{committee}<' in page
    # The API without an agency addresses the same body; the title names the commune, not its code.
    made = client.post(f"/api/v1/alerts/{at_commune}/directive",
                       json={"deadline": "2026-12-20", "instruction": "Kiểm tra các điểm đen tai nạn"},
                       headers={"X-CSRF-Token": csrf_from(client)})
    assert made.status_code == 201, made.text
    assert made.json()["agency"] == f"UBND{commune.code}"
    assert commune.name in made.json()["title"] and commune.code not in made.json()["title"]
    # A province alert goes to the indicator's owner; an agency-level alert to that agency.
    assert 'value="CAT" selected' in client.get(f"/alerts/{at_province}").text
    assert f'value="UBND{commune.code}" selected' in client.get(f"/alerts/{at_agency}").text
    with db.session() as s:
        assert s.scalar(select(Directive.agency_code).where(Directive.source_alert_id == at_commune)) == \
            f"UBND{commune.code}"
