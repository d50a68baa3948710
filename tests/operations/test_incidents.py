"""Incidents by procedure: created from events (by an officer or a rule), acknowledged, worked step by step,
escalated automatically when a step's time runs out (the clock is injected), closed; every transition audited and on
the timeline; notifications by subscription with quiet hours and repeats that an acknowledgement stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ops_helpers import GIAN_KHAU, event, events_token
from sqlalchemy import func, select

from conftest import csrf_from, login
from dieuhanh.alerts.models import Notification
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.security import SYSTEM
from dieuhanh.operations import incidents, notices, procedures
from dieuhanh.operations.models import Incident
from dieuhanh.operations.schemas import NotifyRuleIn


def test_incident_from_event_follows_the_procedure_and_escalates_when_a_step_runs_out(client, db, factory):
    headers = events_token(factory)
    pushed = client.post("/api/v1/events", headers=headers, json=event(1, type="traffic_accident", severity="major"))
    event_id = pushed.json()["items"][0]["id"]
    with db.session() as session:
        procedures.save_notify_rule(session, principal=SYSTEM, data=NotifyRuleIn(
            name="Lãnh đạo", role="leader", kinds=["incident_escalated"], channel="inapp"))
        procedures.save_notify_rule(session, principal=SYSTEM, data=NotifyRuleIn(
            name="Công an", agency_code="CAT", kinds=["incident_new"], channel="webhook",
            target="http://127.0.0.1:9/sms", repeat_minutes=10))
    factory.user("officer", agency="CAT", username="truc-ban-cat")
    login(client, "truc-ban-cat")
    csrf = {"X-CSRF-Token": csrf_from(client)}
    made = client.post("/api/v1/incidents", headers=csrf, json={"title": "Tai nạn QL1A", "type": "traffic_accident",
                                                                "event_ids": [event_id]})
    assert made.status_code == 201, made.text
    inc = made.json()
    assert inc["procedure"] == "Quy trình xử lý tai nạn giao thông" and inc["state"] == "assigned"
    assert inc["agency_name"] == "Sở Y tế"  # the first step's agency (call 115) is in charge
    first = inc["steps"][0]
    assert first["time_limit_minutes"] == 5 and first["due_at"]
    # The officer of CAT may not do step 1 (it is the health department's), but the assigned agency's may.
    refused = client.post(f"/api/v1/incidents/{inc['id']}/steps/1/done", headers=csrf, json={})
    assert refused.status_code == 403
    out_of_turn = client.post(f"/api/v1/incidents/{inc['id']}/steps/2/done", headers=csrf, json={})
    assert out_of_turn.status_code in (403, 409)
    # Time runs out: the job, with an injected clock, escalates once per step time.
    with db.session() as session:
        row = session.get(Incident, inc["id"])
        due = row.steps[0].due_at
        assert incidents.escalate_due(session, province_code="37", now=due - timedelta(seconds=1)) == 0
        assert incidents.escalate_due(session, province_code="37", now=due + timedelta(seconds=1)) == 1
        assert incidents.escalate_due(session, province_code="37", now=due + timedelta(minutes=1)) == 0
        row = session.get(Incident, inc["id"])
        assert row.escalation_level == 1 and row.steps[0].escalated
        assert incidents.escalate_due(session, province_code="37", now=due + timedelta(minutes=6)) == 1
        # Repeats of the unacknowledged incident (webhook rule, 10 minutes), then an acknowledgement stops them.
        assert notices.repeat_unacknowledged(session, province_code="37", now=row.created_at + timedelta(minutes=11))
    detail = client.get(f"/api/v1/incidents/{inc['id']}").json()
    assert detail["escalation_level"] == 2
    escalations = [x for x in detail["timeline"] if x["action"] == "escalate"]
    assert escalations[0]["data"]["automatic"] and "Quá thời hạn bước 1" in escalations[0]["note"]
    assert escalations[0]["data"]["to"] == "Chỉ huy Công an tỉnh"
    with db.session() as session:
        notes = list(session.scalars(select(Notification).where(Notification.group_key.like("ops:%"))))
        kinds = [(n.channel, n.payload["event"]) for n in notes]
        assert ("inapp", "incident_escalated") in kinds and ("webhook", "incident_new") in kinds
        assert ("webhook", "incident_repeat") in kinds
        assert all(n.status == "pending" for n in notes if n.channel == "webhook")
        row = session.get(Incident, inc["id"])
        incidents.acknowledge(session, row, principal=SYSTEM, province_code="37")
        assert notices.repeat_unacknowledged(session, province_code="37",
                                             now=row.created_at + timedelta(hours=2)) == 0
        audited = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "ops_incident")))
        assert {"incident.create", "incident.escalate", "incident.ack"} <= audited


def test_steps_done_in_order_then_closed_on_the_page(client, db, factory):
    headers = events_token(factory)
    pushed = client.post("/api/v1/events", headers=headers, json=event(1, type="public_order", severity="major"))
    event_id = pushed.json()["items"][0]["id"]
    factory.user("officer", agency="CAT", username="cat-1")
    login(client, "cat-1")
    csrf = {"X-CSRF-Token": csrf_from(client)}
    inc = client.post("/api/v1/incidents", headers=csrf, json={"title": "Gây rối", "type": "public_order",
                                                               "event_ids": [event_id]}).json()
    assert inc["agency_code"] == "CAT" and len(inc["steps"]) == 3
    assert client.post(f"/api/v1/incidents/{inc['id']}/ack", headers=csrf, json={"note": "Đã nhận"}).status_code == 200
    for n in (1, 2, 3):
        done = client.post(f"/api/v1/incidents/{inc['id']}/steps/{n}/done", headers=csrf, json={"note": f"Bước {n}"})
        assert done.status_code == 200, done.text
    again = client.post(f"/api/v1/incidents/{inc['id']}/steps/3/done", headers=csrf, json={})
    assert again.status_code == 409
    page = client.get(f"/operations/incidents/{inc['id']}")
    assert page.status_code == 200 and "Đóng sự cố" in page.text
    closed = client.post(f"/operations/incidents/{inc['id']}/close", data={
        "csrf_token": csrf["X-CSRF-Token"], "outcome": "resolved", "result": "Đã giải tán, lập biên bản."},
        follow_redirects=False)
    assert closed.status_code == 303
    detail = client.get(f"/api/v1/incidents/{inc['id']}").json()
    assert detail["state"] == "closed" and detail["outcome"] == "resolved"
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "closed"
    assert client.post(f"/api/v1/incidents/{inc['id']}/escalate", headers=csrf, json={}).status_code == 409
    assert client.get("/api/v1/incidents?state=open").json()["total"] == 0
    assert client.get("/api/v1/incidents?state=closed").json()["total"] == 1


def test_fire_alarm_confirmed_by_two_detectors_opens_an_incident_by_rule(client, db, factory):
    headers = events_token(factory)
    one = {"type": "fire_alarm", "severity": "critical", "lat": GIAN_KHAU[0], "lon": GIAN_KHAU[1]}
    client.post("/api/v1/events", headers=headers, json=event(1, device="D-12", **one))
    with db.session() as session:
        assert session.scalar(select(func.count(Incident.id))) == 0  # one detector is not enough
    client.post("/api/v1/events", headers=headers, json=event(2, device="D-14", **one))
    with db.session() as session:
        [inc] = session.scalars(select(Incident))
        assert inc.type == "fire" and inc.procedure_name == "Quy trình xử lý cháy, nổ" and inc.rule_id
        assert inc.agency_code == "CAT" and len(inc.steps) == 6


def test_quiet_hours(db):
    from dieuhanh.operations.models import NotifyRule

    rule = NotifyRule(name="x", kinds=["incident_new"], channel="inapp", quiet_start="22:00", quiet_end="06:00",
                      created_by="t")
    local = lambda h: datetime(2026, 1, 5, h, 30, tzinfo=UTC) - timedelta(hours=7)  # noqa: E731
    assert notices.in_quiet_hours(rule, local(23).replace(tzinfo=None))
    assert notices.in_quiet_hours(rule, local(5).replace(tzinfo=None))
    assert not notices.in_quiet_hours(rule, local(12).replace(tzinfo=None))
