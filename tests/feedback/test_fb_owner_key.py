"""Only the citizen who sent a report rates its answer or reopens it: the tracking code is public (map, Open311 GET),
so both need the secret key handed out once, in the tracking link, when the report is made. The database keeps only
the key's SHA-256; no public output, audit row or event carries the key."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fb_core_helpers import submit as service_submit
from sqlalchemy import select

from dieuhanh.alerts.models import Notification
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.security import Principal
from dieuhanh.feedback import service
from dieuhanh.feedback.models import Report, ReportEvent

PHU_LY = "13285"
BASE = "http://127.0.0.1"  # the test client's address (conftest), the base of the links handed out
KEY = r"[A-Za-z0-9_-]{24}"
ADMIN = Principal(kind="user", id=1, name="qt", role="admin")
REFUSED = "đường liên kết riêng"
WRONG_KEY = "khoa-do-doan-cua-nguoi-khac-0000"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    settings.feedback_rate_per_ip_per_minute = 1000  # many posts from one address; limits have their own tests
    return settings


def csrf(client) -> str:  # type: ignore[no-untyped-def]
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/phan-anh").text).group(1)


def web_submit(client) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """Through the citizen form: (code, key, the redirect's location)."""
    response = client.post("/phan-anh", data={
        "csrf_token": csrf(client), "service_code": "rac-thai", "unit_code": PHU_LY, "email": "dan@example.vn",
        "description": "Rác thải sinh hoạt ùn ứ ở đầu ngõ 12 đã ba ngày chưa thu gom."},
        files=[("photos", ("", b"", "application/octet-stream"))], follow_redirects=False)
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["location"]
    match = re.fullmatch(rf"/phan-anh/(PA-\d{{4}}-\d{{6}})\?k=({KEY})&da_gui=1", location)
    assert match, location
    return match.group(1), match.group(2), location


def api_submit(client, description: str = "Rác đổ trộm ven đường, bốc mùi khó chịu.") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/feedback/public/reports",
                    json={"service_code": "rac-thai", "unit_code": PHU_LY, "description": description})
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(KEY, body["tracking_key"])
    assert body["tracking_url"] == f"{BASE}/phan-anh/{body['code']}?k={body['tracking_key']}"
    return body["code"], body["tracking_key"]


def resolve(db, code: str, reply: str = "Đã thu gom xong rác tại đầu ngõ.") -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        service.transition(session, service.get_by_code(session, code), "resolve", principal=ADMIN, note_public=reply)


def state(db, *codes: str) -> Any:  # type: ignore[no-untyped-def]
    """Everything a rating or a reopening would change: the reports, their events, audit rows, notifications."""
    with db.session() as session:
        reports = [(r.status, r.rating, r.rated_at, r.reopened_count, r.updated_at, r.due_at,
                    [(e.action, e.to_status, e.note_public) for e in r.events])
                   for r in (service.get_by_code(session, c) for c in codes)]
        audits = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
        notes = session.scalars(select(Notification.id).order_by(Notification.id)).all()
        return reports, audits, notes


def stored_everywhere(db) -> str:  # type: ignore[no-untyped-def]
    """Every report row, event, audit row and notification as text (to look for a key in it)."""
    with db.session() as session:
        parts: list[Any] = []
        for model in (Report, ReportEvent, AuditEntry, Notification):
            for row in session.scalars(select(model)):
                parts.append({c.name: getattr(row, c.key) for c in model.__mapper__.columns})
        return json.dumps(parts, default=str, ensure_ascii=False)


def test_the_web_form_gives_the_link_with_the_key_once_and_stores_only_its_hash(client, db) -> None:  # type: ignore[no-untyped-def]
    code, key, location = web_submit(client)
    with db.session() as session:
        row = service.get_by_code(session, code)
        assert row.owner_key_hash == hashlib.sha256(key.encode()).hexdigest() != key
    assert key not in stored_everywhere(db)
    sent = client.get(location)
    assert f"{BASE}/phan-anh/{code}?k={key}" in sent.text
    assert "Hãy lưu lại đường liên kết này: chỉ người có đường liên kết mới đánh giá hoặc yêu cầu xử lý lại được." \
        in sent.text
    # With the code alone nobody learns the key; a second submission gets another key.
    assert key not in client.get(f"/phan-anh/{code}").text
    assert key not in client.get("/phan-anh/ban-do").text
    other_code, other_key, _ = web_submit(client)
    assert other_code != code and other_key != key


def test_the_page_refuses_rating_and_reopening_without_the_right_key(client, db) -> None:  # type: ignore[no-untyped-def]
    code, key, _ = web_submit(client)
    resolve(db, code)
    public = client.get(f"/phan-anh/{code}")
    assert "Đã thu gom xong" in public.text  # the answer is public, read-only
    assert 'data-testid="rate-form"' not in public.text and 'data-testid="needs-key"' in public.text
    guessed = client.get(f"/phan-anh/{code}?k={WRONG_KEY}")
    assert 'data-testid="rate-form"' not in guessed.text and WRONG_KEY not in guessed.text
    own = client.get(f"/phan-anh/{code}?k={key}")
    assert 'data-testid="rate-form"' in own.text and f'name="k" value="{key}"' in own.text
    assert 'data-testid="needs-key"' not in own.text

    token = csrf(client)
    before = state(db, code)
    for k in (None, "", WRONG_KEY, key.upper() if key.upper() != key else key.lower()):
        data = {"csrf_token": token, "satisfied": "0"} | ({} if k is None else {"k": k})
        refused = client.post(f"/phan-anh/{code}/danh-gia", data=data, follow_redirects=False)
        assert refused.status_code == 403, k
        assert 'data-testid="form-error"' in refused.text and REFUSED in refused.text
        assert 'data-testid="rate-form"' not in refused.text
        assert state(db, code) == before
    rated = client.post(f"/phan-anh/{code}/danh-gia", data={"csrf_token": token, "satisfied": "0", "k": key},
                        follow_redirects=False)
    assert rated.status_code == 303
    assert state(db, code)[0][0][1] == "unsatisfied"

    before = state(db, code)
    for k in (None, WRONG_KEY):
        data = {"csrf_token": token, "reason": "Rác vẫn còn nguyên ở đầu ngõ"} | ({} if k is None else {"k": k})
        refused = client.post(f"/phan-anh/{code}/mo-lai", data=data, follow_redirects=False)
        assert refused.status_code == 403 and REFUSED in refused.text
        assert state(db, code) == before
    reopened = client.post(f"/phan-anh/{code}/mo-lai",
                           data={"csrf_token": token, "reason": "Rác vẫn còn nguyên ở đầu ngõ", "k": key},
                           follow_redirects=False)
    assert reopened.status_code == 303
    assert state(db, code)[0][0][0] == "reopened"
    assert key not in stored_everywhere(db)


def test_the_public_api_needs_the_key_for_rating_and_reopening(client, db) -> None:  # type: ignore[no-untyped-def]
    code, key = api_submit(client)
    tracked = client.get(f"/api/v1/feedback/public/reports/{code}")
    assert tracked.status_code == 200 and key not in tracked.text and "tracking_key" not in tracked.json()
    resolve(db, code)
    url = f"/api/v1/feedback/public/reports/{code}"
    before = state(db, code)
    for body in ({"satisfied": False}, {"satisfied": False, "key": WRONG_KEY}, {"satisfied": False, "key": ""}):
        refused = client.post(f"{url}/rating", json=body)
        assert refused.status_code == 403, body
        assert REFUSED in refused.json()["detail"]
        assert state(db, code) == before
    rated = client.post(f"{url}/rating", json={"satisfied": False, "comment": "Chưa sạch", "key": key})
    assert rated.status_code == 200 and rated.json()["rating"] == "unsatisfied"

    before = state(db, code)
    for body in ({"reason": "Vẫn còn rác"}, {"reason": "Vẫn còn rác", "key": WRONG_KEY}):
        refused = client.post(f"{url}/reopen", json=body)
        assert refused.status_code == 403 and REFUSED in refused.json()["detail"]
        assert state(db, code) == before
    reopened = client.post(f"{url}/reopen", json={"reason": "Vẫn còn rác", "key": key})
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"
    assert key not in stored_everywhere(db)


def test_open311_post_returns_the_tracking_link_and_no_get_shows_the_key(client, db, factory) -> None:  # type: ignore[no-untyped-def]
    _, api_key = factory.token(["open311"], name="ung-dung-do-thi")
    form = {"api_key": api_key, "service_code": "rac-thai", "address_string": "Phường Phủ Lý",
            "description": "Rác đổ trộm ven đường, bốc mùi khó chịu."}
    (created,) = client.post("/open311/v2/requests.json", data=form).json()
    code = created["service_request_id"]
    match = re.fullmatch(re.escape(BASE) + rf"/phan-anh/{code}\?k=({KEY})", created["tracking_url"])
    assert match, created
    key = match.group(1)
    xml = ET.fromstring(client.post("/open311/v2/requests.xml", data=form).content)
    xml_code = xml.findtext("request/service_request_id")
    xml_match = re.fullmatch(re.escape(BASE) + rf"/phan-anh/{xml_code}\?k=({KEY})",
                             xml.findtext("request/tracking_url"))
    assert xml_match and xml_match.group(1) != key
    with db.session() as session:  # the group-commit writer stored the hash too
        assert service.get_by_code(session, code).owner_key_hash == hashlib.sha256(key.encode()).hexdigest()
    resolve(db, code)
    rated = client.post(f"/api/v1/feedback/public/reports/{code}/rating", json={"satisfied": True, "key": key})
    assert rated.status_code == 200 and rated.json()["rating"] == "satisfied"

    public = ["/open311/v2/requests.json", "/open311/v2/requests.xml", f"/open311/v2/requests/{code}.json",
              f"/open311/v2/requests/{code}.xml", f"/open311/v2/tokens/{code}.json", "/phan-anh/ban-do",
              f"/phan-anh/{code}", "/api/v1/feedback/public/reports", f"/api/v1/feedback/public/reports/{code}"]
    for path in public:
        response = client.get(path)
        assert response.status_code == 200 and code in response.text, path
        assert key not in response.text and xml_match.group(1) not in response.text, path
        assert "tracking_url" not in response.text and "owner_key" not in response.text, path
    text = stored_everywhere(db)
    assert key not in text and xml_match.group(1) not in text


def test_a_merged_reports_citizen_rates_and_reopens_with_their_own_key(client, db) -> None:  # type: ignore[no-untyped-def]
    main, main_key = api_submit(client)
    dup, dup_key = api_submit(client, "Đống rác lớn ở đầu ngõ 12 bốc mùi, đề nghị thu gom.")
    with db.session() as session:
        service.merge(session, service.get_by_code(session, dup), service.get_by_code(session, main), ADMIN)
    resolve(db, main, "Đã thu gom toàn bộ rác ở đầu ngõ 12.")
    page = client.get(f"/phan-anh/{dup}?k={dup_key}")
    assert 'data-testid="merged-into"' in page.text and "Đã thu gom toàn bộ rác" in page.text
    assert 'data-testid="rate-form"' in page.text and f'name="k" value="{dup_key}"' in page.text
    # Each key opens its own report only.
    assert 'data-testid="rate-form"' not in client.get(f"/phan-anh/{dup}?k={main_key}").text
    before = state(db, main, dup)
    for code, key in ((dup, main_key), (main, dup_key)):
        refused = client.post(f"/api/v1/feedback/public/reports/{code}/rating", json={"satisfied": False, "key": key})
        assert refused.status_code == 403
        assert state(db, main, dup) == before

    rated = client.post(f"/phan-anh/{dup}/danh-gia", data={"csrf_token": csrf(client), "satisfied": "0",
                                                           "k": dup_key}, follow_redirects=False)
    assert rated.status_code == 303 and rated.headers["location"] == f"/phan-anh/{dup}?k={dup_key}&da_danh_gia=1"
    (main_state, dup_state), _, _ = state(db, main, dup)
    assert main_state[1] == "unsatisfied" and dup_state[1] is None  # the main report's answer was rated
    assert 'data-testid="reopen-form"' in client.get(rated.headers["location"]).text
    reopened = client.post(f"/api/v1/feedback/public/reports/{dup}/reopen",
                           json={"reason": "Rác lại đổ ra sau một ngày", "key": dup_key})
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert body["code"] == dup and body["merged_into"] == main and body["status"] == "reopened"
    assert state(db, main, dup)[0][0][0] == "reopened"


def test_a_report_without_a_key_cannot_be_rated_or_reopened_online(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    code = service_submit(db, settings, unit_code=PHU_LY, owner_key=None)  # as before keys existed
    resolve(db, code)
    page = client.get(f"/phan-anh/{code}")
    assert 'data-testid="rate-form"' not in page.text
    assert "được gửi trước khi có đường liên kết riêng" in page.text
    before = state(db, code)
    refused = client.post(f"/phan-anh/{code}/danh-gia", data={"csrf_token": csrf(client), "satisfied": "1",
                                                              "k": WRONG_KEY})
    assert refused.status_code == 403 and "được gửi trước khi có đường liên kết riêng" in refused.text
    api = client.post(f"/api/v1/feedback/public/reports/{code}/rating", json={"satisfied": True, "key": ""})
    assert api.status_code == 403 and "trước khi có đường liên kết riêng" in api.json()["detail"]
    assert state(db, code) == before
