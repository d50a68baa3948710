"""Directives: overdue by the local calendar, per-agency visibility, progress and closing, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from conftest import login
from dieuhanh.alerts import directives as dsvc
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.errors import PermissionDenied
from dieuhanh.core.security import Principal

LEADER = Principal(kind="user", id=2, name="lanh-dao", role="leader")
OFFICER_SYT = Principal(kind="user", id=4, name="can-bo-syt", role="officer", agency_code="SYT")


def test_a_directive_goes_overdue_after_its_deadline(db):
    today = date(2025, 7, 10)
    with db.session() as s:
        late = dsvc.create_directive(s, principal=LEADER, agency_code="SYT", deadline=today - timedelta(days=1),
                                     instruction="Báo cáo tình hình dịch sốt xuất huyết")
        due = dsvc.create_directive(s, principal=LEADER, agency_code="SYT", deadline=today,
                                    instruction="Rà soát trạm y tế xã")
        done = dsvc.create_directive(s, principal=LEADER, agency_code="SGDDT", deadline=today - timedelta(days=5),
                                     instruction="Tổng hợp số học sinh bỏ học")
        dsvc.close_directive(s, principal=Principal(kind="user", id=1, name="qt", role="admin"),
                             directive_id=done.id, result="Đã tổng hợp")
        assert dsvc.is_overdue(late, today) and not dsvc.is_overdue(due, today) and not dsvc.is_overdue(done, today)
        assert dsvc.is_overdue(due, today + timedelta(days=1))
        overdue = dsvc.list_directives(s, principal=LEADER, status="overdue", today=today)
        assert [d.id for d in overdue] == [late.id]
        assert dsvc.overdue_by_agency(s, today=today) == {"SYT": 1}
        assert dsvc.overdue_by_agency(s, today=today + timedelta(days=1)) == {"SYT": 2}
        assert [d.id for d in dsvc.list_directives(s, principal=LEADER, status="done", today=today)] == [done.id]
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "directive")))
        assert actions == {"directive.create", "directive.close"}


def test_only_leaders_and_admins_give_directives(db):
    with db.session() as s:
        for role in ("analyst", "officer"):
            with pytest.raises(PermissionDenied):
                dsvc.create_directive(s, principal=Principal(kind="user", id=9, name="x", role=role,
                                                             agency_code="SYT"),
                                      agency_code="SYT", deadline=date(2030, 1, 1), instruction="Làm ngay")


def test_officer_reports_progress_and_closes_only_for_their_agency(db):
    with db.session() as s:
        own = dsvc.create_directive(s, principal=LEADER, agency_code="SYT", deadline=date(2030, 1, 1),
                                    instruction="Tăng tỷ lệ tiêm chủng")
        other = dsvc.create_directive(s, principal=LEADER, agency_code="SGDDT", deadline=date(2030, 1, 1),
                                      instruction="Sửa chữa trường học")
        assert [d.id for d in dsvc.list_directives(s, principal=OFFICER_SYT)] == [own.id]
        dsvc.add_update(s, principal=OFFICER_SYT, directive_id=own.id, text="Đã tiêm 60 %", percent=60)
        assert own.progress == 60
        with pytest.raises(PermissionDenied):
            dsvc.add_update(s, principal=OFFICER_SYT, directive_id=other.id, text="…")
        with pytest.raises(PermissionDenied):
            dsvc.close_directive(s, principal=OFFICER_SYT, directive_id=other.id, result="…")
        with pytest.raises(PermissionDenied):
            dsvc.add_update(s, principal=LEADER, directive_id=own.id, text="lãnh đạo không báo cáo tiến độ")
        dsvc.close_directive(s, principal=OFFICER_SYT, directive_id=own.id, result="Đạt 95 %")
        assert own.status == "done" and own.closed_by == "user:can-bo-syt" and own.progress == 100


def test_directives_api_roles(client, factory):
    _, leader, _ = factory.user("leader")
    _, officer, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, leader)
    headers = {"X-CSRF-Token": csrf}
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    r = client.post("/api/v1/directives", json={"agency": "SYT", "deadline": yesterday,
                                                "instruction": "Báo cáo số ca bệnh", "source_ref": "board:y-te"},
                    headers=headers)
    assert r.status_code == 201, r.text
    own_id = r.json()["id"]
    assert r.json()["overdue"] is True
    r = client.post("/api/v1/directives", json={"agency": "SGDDT", "deadline": "2030-01-01",
                                                "instruction": "Báo cáo số học sinh"}, headers=headers)
    other_id = r.json()["id"]
    assert {d["id"] for d in client.get("/api/v1/directives").json()["items"]} == {own_id, other_id}
    assert [d["id"] for d in client.get("/api/v1/directives?status=overdue").json()["items"]] == [own_id]
    assert client.get("/api/v1/directives/overdue-by-agency").json() == {"SYT": 1}
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()

    _, csrf = login(client, officer)
    headers = {"X-CSRF-Token": csrf}
    assert [d["id"] for d in client.get("/api/v1/directives").json()["items"]] == [own_id]
    assert client.get(f"/api/v1/directives/{other_id}").status_code == 403
    r = client.post(f"/api/v1/directives/{other_id}/updates", json={"text": "không phải việc của tôi"},
                    headers=headers)
    assert r.status_code == 403
    assert client.post(f"/api/v1/directives/{other_id}/close", json={"result": "x"}, headers=headers).status_code == 403
    r = client.post("/api/v1/directives", json={"agency": "SYT", "deadline": "2030-01-01", "instruction": "tự giao"},
                    headers=headers)
    assert r.status_code == 403
    r = client.post(f"/api/v1/directives/{own_id}/updates", json={"text": "Đã tổng hợp 3 xã", "percent": 40},
                    headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["progress"] == 40 and r.json()["updates"][0]["text"] == "Đã tổng hợp 3 xã"
    r = client.post(f"/api/v1/directives/{own_id}/close", json={"result": "Đã báo cáo"}, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["overdue"] is False
    assert client.post(f"/api/v1/directives/{own_id}/close", json={"result": "lần hai"},
                       headers=headers).status_code == 409
    page = client.get("/directives")
    assert page.status_code == 200 and "Báo cáo số ca bệnh" in page.text and "Báo cáo số học sinh" not in page.text


def test_directives_page_highlights_overdue_and_updates_by_form(client, factory):
    _, leader, _ = factory.user("leader")
    _, officer, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, leader)
    r = client.post("/directives/new", data={"agency": "SYT", "deadline": "2020-01-01",
                                             "instruction": "Kiểm tra an toàn thực phẩm", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/directives?status=overdue")
    assert "Kiểm tra an toàn thực phẩm" in page.text and "Quá hạn" in page.text and 'class="overdue"' in page.text
    client.cookies.clear()
    _, csrf = login(client, officer)
    directive_id = client.get("/api/v1/directives").json()["items"][0]["id"]
    r = client.post(f"/directives/{directive_id}/updates", data={"text": "Đã kiểm tra 10 cơ sở", "percent": "50",
                                                                 "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/v1/directives/{directive_id}").json()["progress"] == 50
    r = client.post(f"/directives/{directive_id}/close", data={"text": "", "csrf_token": "sai"})
    assert r.status_code == 403  # CSRF checked on the page forms
