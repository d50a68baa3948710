"""Alerts API and pages: instances by state, ack, directive from an alert, rules CRUD, silences, tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from conftest import login
from dieuhanh.alerts import service
from dieuhanh.alerts.models import AlertRule
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue

T0 = datetime(2025, 7, 10, 3, 0)  # naive UTC


def add_indicator(session: Any, code: str = "thu_ngan_sach") -> None:
    session.add(IndicatorDefinition(
        code=code, name=f"Chỉ số {code}", domain="socio_economy", unit="tỷ đồng", periodicity="month",
        levels=["province", "commune"], sql="SELECT 1", datasets=[], direction="higher_better", targets={},
        thresholds={}, state="ok"))
    session.flush()


def add_value(session: Any, period: str, value: float | None, *, unit: str = "37", level: str = "province") -> None:
    session.add(IndicatorValue(code="thu_ngan_sach", period=period, unit_code=unit, level=level, value=value,
                               status="neutral", batches=[]))
    session.flush()


def add_rule(session: Any, **kw: Any) -> AlertRule:
    rule = AlertRule(**{"name": "Quy tắc", "indicator_code": "thu_ngan_sach", "level": "province", "kind": "threshold",
                        "params": {"op": ">", "value": 100}, "pending_for": 0, "channels": [], "group_by": ["rule"],
                        **kw})
    session.add(rule)
    session.flush()
    return rule


def _firing_alert(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150)
        add_value(s, "2025-06", 150, unit="11111", level="commune")
        add_rule(s, name="Thu ngân sách vượt ngưỡng")
        add_rule(s, name="Chờ", pending_for=3, level="commune")
        service.evaluate(s, now=T0)
    with db.session() as s:
        from sqlalchemy import select

        from dieuhanh.alerts.models import AlertInstance

        return int(s.scalar(select(AlertInstance.id).where(AlertInstance.state == "Alerting")))


def test_list_alerts_by_state_with_a_read_token(client, factory, db):
    alert_id = _firing_alert(db)
    _, secret = factory.token(["read"], name="man-hinh")
    auth = {"Authorization": f"Bearer {secret}"}
    r = client.get("/api/v1/alerts?state=alerting", headers=auth)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["id"] == alert_id and item["value"] == 150 and item["rule"]["name"] == "Thu ngân sách vượt ngưỡng"
    assert item["indicator"] == {"code": "thu_ngan_sach", "name": "Chỉ số thu_ngan_sach"}
    assert item["unit"]["code"] == "37" and item["since"].startswith("2025-07-10T03:00")
    assert [i["unit"]["code"] for i in client.get("/api/v1/alerts?state=pending", headers=auth).json()["items"]] \
        == ["11111"]
    assert client.get("/api/v1/alerts?state=normal", headers=auth).json()["items"] == []
    assert client.get("/api/v1/alerts?state=bogus", headers=auth).status_code == 422
    assert client.get("/api/v1/alerts").status_code == 401
    # A read token reads; it does not acknowledge.
    assert client.post(f"/api/v1/alerts/{alert_id}/ack", headers=auth).status_code == 403
    history = client.get(f"/api/v1/alerts/{alert_id}", headers=auth).json()["history"]
    assert [(h["from"], h["to"]) for h in history] == [("Normal", "Alerting")]


def test_ack_by_role(client, factory, db):
    alert_id = _firing_alert(db)
    _, officer, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, officer)
    assert client.post(f"/api/v1/alerts/{alert_id}/ack", headers={"X-CSRF-Token": csrf}).status_code == 403
    client.cookies.clear()
    _, leader, _ = factory.user("leader")
    _, csrf = login(client, leader)
    assert client.post(f"/api/v1/alerts/{alert_id}/ack").status_code == 403  # no CSRF token with the cookie
    r = client.post(f"/api/v1/alerts/{alert_id}/ack", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by"] == f"user:{leader}" and r.json()["acknowledged_at"]


def test_directive_from_an_alert(client, factory, db):
    _, leader, _ = factory.user("leader")
    _, csrf = login(client, leader)
    # The page keeps its triage until an alert changes: the alert fired after a first view shows at the next one.
    assert "Thu ngân sách vượt ngưỡng" not in client.get("/alerts").text
    alert_id = _firing_alert(db)
    assert "Thu ngân sách vượt ngưỡng" in client.get("/alerts").text
    body = {"agency": "STC", "deadline": "2030-06-30", "instruction": "Rà soát nguồn thu vượt dự toán"}
    r = client.post(f"/api/v1/alerts/{alert_id}/directive", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["source_alert_id"] == alert_id and d["agency"] == "STC" and d["status"] == "open"
    assert "Thu ngân sách vượt ngưỡng" in d["title"] and d["source_ref"] == f"alert:{alert_id}"
    assert client.post("/api/v1/alerts/999999/directive", json=body,
                       headers={"X-CSRF-Token": csrf}).status_code == 404
    assert client.post(f"/api/v1/alerts/{alert_id}/directive", json={**body, "agency": "KHONG_CO"},
                       headers={"X-CSRF-Token": csrf}).status_code == 422
    # The same through the page form ("Giao chỉ đạo").
    page = client.get("/alerts")
    assert page.status_code == 200 and "Giao chỉ đạo" in page.text and "Đang cảnh báo" in page.text
    r = client.post(f"/alerts/{alert_id}/directive", data={**body, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert len(client.get("/api/v1/directives").json()["items"]) == 2


def test_rules_crud(client, factory, db):
    with db.session() as s:
        add_indicator(s)
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    h = {"X-CSRF-Token": csrf}
    body = {"name": "Giải ngân chậm", "indicator_code": "thu_ngan_sach", "kind": "behind_target",
            "params": {"cumulative": True}, "severity": "critical", "pending_for": 2,
            "channels": [{"type": "webhook", "url": "http://127.0.0.1:9/hook"}], "group_by": ["indicator"]}
    r = client.post("/api/v1/alert-rules", json=body, headers=h)
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    assert client.post("/api/v1/alert-rules", json={**body, "kind": "magic"}, headers=h).status_code == 422
    assert client.post("/api/v1/alert-rules", json={**body, "indicator_code": "khong_co"}, headers=h).status_code \
        == 422
    assert client.post("/api/v1/alert-rules", json={**body, "channels": [{"type": "webhook"}]},
                       headers=h).status_code == 422
    r = client.patch(f"/api/v1/alert-rules/{rule_id}", json={"enabled": False, "pending_for": 5}, headers=h)
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["pending_for"] == 5
    assert [x["name"] for x in client.get("/api/v1/alert-rules").json()["items"]] == ["Giải ngân chậm"]
    assert "Giải ngân chậm" in client.get("/alerts").text
    assert client.delete(f"/api/v1/alert-rules/{rule_id}", headers=h).status_code == 204
    assert client.get(f"/api/v1/alert-rules/{rule_id}").status_code == 404
    client.cookies.clear()
    _, leader, _ = factory.user("leader")
    _, csrf = login(client, leader)
    assert client.post("/api/v1/alert-rules", json=body, headers={"X-CSRF-Token": csrf}).status_code == 403


def test_silences_api(client, factory, db):
    with db.session() as s:
        add_indicator(s)
        rule_id = add_rule(s).id
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    h = {"X-CSRF-Token": csrf}
    ends = (datetime.now() + timedelta(hours=2)).isoformat()
    r = client.post("/api/v1/silences", json={"rule_id": rule_id, "ends_at": ends, "comment": "bảo trì"}, headers=h)
    assert r.status_code == 201, r.text
    silence_id = r.json()["id"]
    assert client.post("/api/v1/silences", json={"ends_at": ends}, headers=h).status_code == 422
    assert [x["id"] for x in client.get("/api/v1/silences?active=true").json()["items"]] == [silence_id]
    assert client.delete(f"/api/v1/silences/{silence_id}", headers=h).status_code == 200
    assert client.get("/api/v1/silences?active=true").json()["items"] == []


def test_pages_need_login_and_show_in_app_notifications(client, factory, db):
    _firing_alert(db)
    assert client.get("/alerts", follow_redirects=False).status_code in (302, 303, 401)
    _, officer, _ = factory.user("officer", agency="SYT")
    login(client, officer)
    page = client.get("/alerts")
    assert page.status_code == 200
    assert "Thu ngân sách vượt ngưỡng" in page.text and 'data-testid="notifications"' in page.text
    assert "1 cảnh báo: Thu ngân sách vượt ngưỡng (toàn tỉnh)" in page.text
    assert 'href="/alerts"' in page.text and 'href="/directives"' in page.text


def test_agency_level_rule_fires_per_agency_with_its_name(client, factory, db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150, unit="TTPVHCC", level="agency")
        add_value(s, "2025-06", 50, unit="SYT", level="agency")
        add_value(s, "2025-06", 150, unit="11111", level="commune")  # another level: not this rule's
        add_rule(s, name="Cơ quan vượt ngưỡng", level="agency")
        service.evaluate(s, now=T0)
    _, secret = factory.token(["read"], name="man-hinh")
    items = client.get("/api/v1/alerts?state=alerting", headers={"Authorization": f"Bearer {secret}"}).json()["items"]
    assert [(i["unit"]["code"], i["unit"]["name"]) for i in items] == [
        ("TTPVHCC", "Trung tâm Phục vụ hành chính công tỉnh")]


def test_overview_names_the_agency_of_an_agency_level_alert(client, factory, db):
    with db.session() as s:
        add_indicator(s)
        add_value(s, "2025-06", 150, unit="TTPVHCC", level="agency")
        add_rule(s, name="Cơ quan vượt ngưỡng", level="agency")
        service.evaluate(s, now=T0)
    _, leader, _ = factory.user("leader")
    login(client, leader)
    panel = client.get("/").text.split('data-testid="alerts-panel"', 1)[1].split("</section>", 1)[0]
    assert "Cơ quan vượt ngưỡng" in panel and "Trung tâm Phục vụ hành chính công tỉnh" in panel
    assert "Kỳ 06/2025: 150 lớn hơn 100" in panel and "TTPVHCC ·" not in panel
