"""An analyst defines alert rules from the /alerts page (the same service as the API)."""

from __future__ import annotations

from test_rules import add_indicator

from conftest import login
from dieuhanh.alerts.models import AlertRule


def test_analyst_adds_a_threshold_rule_with_a_webhook_from_the_page(client, factory, db):
    with db.session() as s:
        add_indicator(s)
    _, username, _ = factory.user("analyst")
    _, csrf = login(client, username)
    form = {"csrf_token": csrf, "name": "Tai nạn tăng", "indicator_code": "thu_ngan_sach", "level": "province",
            "kind": "threshold", "op": ">", "value": "100", "severity": "critical", "pending_for": "2",
            "webhook": "http://127.0.0.1:9/hook"}
    response = client.post("/alerts/rules", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/alerts?created=1"
    with db.session() as s:
        rule = s.query(AlertRule).one()
        assert (rule.kind, rule.params, rule.pending_for, rule.severity) == (
            "threshold", {"op": ">", "value": 100.0}, 2, "critical")
        assert rule.channels == [{"type": "webhook", "url": "http://127.0.0.1:9/hook"}]
    bad = client.post("/alerts/rules", data={**form, "webhook": "ftp://x"}, follow_redirects=True)
    assert "webhook" in bad.text and "http" in bad.text


def test_officers_cannot_add_rules(client, factory, db):
    with db.session() as s:
        add_indicator(s)
    _, username, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, username)
    response = client.post("/alerts/rules", data={"csrf_token": csrf, "name": "x y z", "kind": "threshold",
                                                  "indicator_code": "thu_ngan_sach", "value": "1"})
    assert response.status_code == 403
