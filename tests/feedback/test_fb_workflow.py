"""Workflow of a citizen report: legal and illegal transitions, permissions, audit, deadlines, rating, reopen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fb_core_helpers import OWNER_KEY, communes_with_points, load, submit
from sqlalchemy import select

from dieuhanh.alerts.models import Notification
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, InvalidInput, PermissionDenied
from dieuhanh.core.security import ANONYMOUS, Principal
from dieuhanh.feedback import service
from dieuhanh.feedback.models import ReportEvent
from dieuhanh.orgs.catalogue import commune_agency_code


def officer(agency: str) -> Principal:
    return Principal(kind="user", id=9001, name=f"cb-{agency}", role="officer", agency_code=agency)


def act(db, settings, code, action, principal, **kw):  # type: ignore[no-untyped-def]
    with db.session() as session:
        report = service.get_by_code(session, code)
        service.transition(session, report, action, principal=principal, settings=settings, **kw)


@pytest.fixture
def report(db, settings):  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    code = submit(db, settings, lat=lat, lon=lon)
    return code, commune_agency_code(unit)


def test_happy_path_with_events_and_audit(db, settings, report) -> None:  # type: ignore[no-untyped-def]
    code, agency = report
    me = officer(agency)
    act(db, settings, code, "accept", me, note_internal="Giao tổ vệ sinh")
    act(db, settings, code, "start", me)
    act(db, settings, code, "resolve", me, note_public="Đã thu gom rác và phun khử mùi.", note_internal="Xe số 3")
    snap = load(db, code)
    assert snap["status"] == "resolved"
    assert snap["public_reply"] == "Đã thu gom rác và phun khử mùi."
    assert [e[0] for e in snap["events"]] == ["submit", "accept", "start", "resolve"]
    with db.session() as session:
        service.rate(session, code, True, key=OWNER_KEY, principal=ANONYMOUS)
    act(db, settings, code, "close", me)
    assert load(db, code)["status"] == "closed"
    with db.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == code)
                                  .order_by(AuditEntry.id)).all()
        events = session.scalars(select(ReportEvent).join(ReportEvent.report).order_by(ReportEvent.id)).all()
        assert actions == ["feedback.submit", "feedback.accept", "feedback.start", "feedback.resolve",
                           "feedback.rate", "feedback.close"]
        accept = next(e for e in events if e.action == "accept")
        assert accept.actor == me.actor and accept.note_internal == "Giao tổ vệ sinh"
        assert accept.from_status == "new" and accept.to_status == "accepted"


@pytest.mark.parametrize("steps, action", [
    ([], "close"),  # new cannot be closed
    ([("reject", {"reason": "Không thuộc địa bàn"})], "accept"),
    ([("reject", {"reason": "Không thuộc địa bàn"})], "resolve"),
    ([("resolve", {"note_public": "Đã xử lý"})], "accept"),
    ([("resolve", {"note_public": "Đã xử lý"}), ("close", {})], "start"),
])
def test_illegal_transitions_are_conflicts(db, settings, report, steps, action) -> None:  # type: ignore[no-untyped-def]
    code, agency = report
    me = officer(agency)
    for step, kw in steps:
        act(db, settings, code, step, me, **kw)
    before = load(db, code)["status"]
    with pytest.raises(Conflict) as err:
        act(db, settings, code, action, me, note_public="x", reason="y")
    assert "Không thể" in err.value.message
    assert load(db, code)["status"] == before


def test_reopening_is_the_citizens_and_never_an_officers_action(db, settings, report) -> None:  # type: ignore[no-untyped-def]
    code, agency = report
    act(db, settings, code, "resolve", officer(agency), note_public="Đã thu gom.")
    with db.session() as session:
        service.rate(session, code, False, key=OWNER_KEY, principal=ANONYMOUS)
    admin = Principal(kind="user", id=1, name="qt", role="admin")
    for who in (officer(agency), admin):
        with pytest.raises(PermissionDenied, match="người gửi phản ánh"):
            act(db, settings, code, "reopen", who, reason="Vẫn còn rác")
    snap = load(db, code)
    assert snap["status"] == "resolved" and snap["reopened_count"] == 0


def test_required_inputs(db, settings, report) -> None:  # type: ignore[no-untyped-def]
    code, agency = report
    me = officer(agency)
    with pytest.raises(InvalidInput, match="trả lời công khai"):
        act(db, settings, code, "resolve", me, note_public="  ")
    with pytest.raises(InvalidInput, match="cơ quan"):
        act(db, settings, code, "forward", me, reason="Không đúng thẩm quyền")
    with pytest.raises(InvalidInput, match="lý do"):
        act(db, settings, code, "forward", me, target_agency="SXD")
    with pytest.raises(InvalidInput, match="lý do từ chối"):
        act(db, settings, code, "reject", me)
    with pytest.raises(InvalidInput, match="không hợp lệ"):
        act(db, settings, code, "fly", me)
    assert load(db, code)["status"] == "new"


def test_only_the_responsible_agency_handles(db, settings, report) -> None:  # type: ignore[no-untyped-def]
    code, agency = report
    with pytest.raises(PermissionDenied):
        act(db, settings, code, "accept", officer("SXD"))
    act(db, settings, code, "forward", officer(agency), target_agency="SXD", reason="Thuộc thẩm quyền Sở Xây dựng")
    snap = load(db, code)
    assert snap["status"] == "forwarded" and snap["agency_code"] == "SXD"
    with pytest.raises(PermissionDenied):  # the former agency no longer handles it
        act(db, settings, code, "accept", officer(agency))
    act(db, settings, code, "accept", officer("SXD"))
    assert load(db, code)["status"] == "accepted"
    admin = Principal(kind="user", id=1, name="qt", role="admin")
    act(db, settings, code, "resolve", admin, note_public="Đã sửa")
    with pytest.raises(PermissionDenied):
        act(db, settings, code, "close", Principal(kind="user", id=2, name="ld", role="leader"))


def test_rating_and_reopen_once_only_when_unsatisfied(db, settings, report) -> None:  # type: ignore[no-untyped-def]
    code, agency = report
    me = officer(agency)
    with db.session() as session, pytest.raises(Conflict, match="đã trả lời"):
        service.rate(session, code, False, key=OWNER_KEY, principal=ANONYMOUS)
    act(db, settings, code, "resolve", me, note_public="Đã thu gom.")
    with db.session() as session, pytest.raises(Conflict, match="chưa hài lòng"):
        service.reopen(session, code, key=OWNER_KEY, reason="Vẫn còn rác", principal=ANONYMOUS)
    with db.session() as session:
        service.rate(session, code, False, key=OWNER_KEY, comment="Vẫn còn rác", principal=ANONYMOUS)
    with db.session() as session, pytest.raises(Conflict, match="đã được đánh giá"):
        service.rate(session, code, True, key=OWNER_KEY, principal=ANONYMOUS)
    with db.session() as session:
        service.reopen(session, code, key=OWNER_KEY, reason="Vẫn còn rác", principal=ANONYMOUS)
    snap = load(db, code)
    assert snap["status"] == "reopened" and snap["reopened_count"] == 1 and snap["rating"] == "unsatisfied"
    act(db, settings, code, "resolve", me, note_public="Đã thu gom lần hai.")
    assert load(db, code)["rating"] is None  # the new answer is rated afresh
    with db.session() as session:
        service.rate(session, code, False, key=OWNER_KEY, principal=ANONYMOUS)
    with db.session() as session, pytest.raises(Conflict, match="một lần"):
        service.reopen(session, code, key=OWNER_KEY, reason="Lại còn", principal=ANONYMOUS)


def test_deadline_pauses_while_forwarded_only_when_configured(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    t0 = utcnow() - timedelta(hours=10)
    for pause in (False, True):
        settings.feedback_pause_when_forwarded = pause
        code = submit(db, settings, lat=lat, lon=lon + (0.001 if pause else 0), now=t0)
        due = load(db, code)["due_at"]
        assert due == t0 + timedelta(hours=48)  # rác thải: 48 h
        act(db, settings, code, "forward", officer(commune_agency_code(unit)), target_agency="SNNMT",
            reason="Chất thải nguy hại", now=t0 + timedelta(hours=2))
        assert (load(db, code)["paused_at"] is not None) is pause
        act(db, settings, code, "accept", officer("SNNMT"), now=t0 + timedelta(hours=8))
        expected = due + timedelta(hours=6) if pause else due
        assert load(db, code)["due_at"] == expected


def test_overdue_and_api_inbox(db, settings, client, factory) -> None:  # type: ignore[no-untyped-def]
    from conftest import login

    (unit, lat, lon), = communes_with_points(db, 1)
    agency = commune_agency_code(unit)
    late = submit(db, settings, service_code="ngap-ung", lat=lat, lon=lon, now=utcnow() - timedelta(hours=30))
    fresh = submit(db, settings, service_code="cay-xanh", lat=lat, lon=lon)
    with db.session() as session:
        assert [r.code for r in service.overdue(session)] == [late]
    with db.session() as session:
        assert service.notify_overdue(session) == 1
    with db.session() as session:
        assert service.notify_overdue(session) == 0  # once per report
        notes = session.scalars(select(Notification).where(Notification.agency_code == agency)
                                .order_by(Notification.id)).all()
        assert [(n.payload["event"], n.payload["code"]) for n in notes] == [("new", late), ("new", fresh),
                                                                            ("overdue", late)]
    _, username, _ = factory.user("officer", agency=agency)
    _, csrf = login(client, username)
    body = client.get("/api/v1/feedback/reports", params={"status": "overdue"}).json()
    assert [i["code"] for i in body["items"]] == [late] and body["items"][0]["overdue"] is True
    assert {i["code"] for i in client.get("/api/v1/feedback/reports").json()["items"]} == {late, fresh}
    headers = {"X-CSRF-Token": csrf}
    r = client.post(f"/api/v1/feedback/reports/{late}/actions", json={"action": "resolve"}, headers=headers)
    assert r.status_code == 422 and "trả lời công khai" in r.json()["detail"]
    r = client.post(f"/api/v1/feedback/reports/{late}/actions",
                    json={"action": "resolve", "note_public": "Đã khơi thông cống.", "note_internal": "Đội 2"},
                    headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "resolved" and r.json()["events"][-1]["note_internal"] == "Đội 2"
    r = client.post(f"/api/v1/feedback/reports/{late}/actions", json={"action": "start"}, headers=headers)
    assert r.status_code == 409 and "Không thể" in r.json()["detail"]
    # another agency's officer sees nothing of it and cannot act
    _, other, _ = factory.user("officer", agency="SXD")
    _, csrf2 = login(client, other)
    assert client.get("/api/v1/feedback/reports").json()["total"] == 0
    r = client.post(f"/api/v1/feedback/reports/{fresh}/actions", json={"action": "accept"},
                    headers={"X-CSRF-Token": csrf2})
    assert r.status_code == 403
    assert client.get(f"/api/v1/feedback/reports/{fresh}").status_code == 403
