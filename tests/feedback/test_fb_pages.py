"""Citizen pages (/phan-anh, /phan-anh/{code}, /phan-anh/ban-do) and the officer inbox (/xu-ly-phan-anh), through
the real forms: CSRF, multipart photos, errors next to fields, no contact data or internal notes in public."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from conftest import login
from dieuhanh.core.db import utcnow
from dieuhanh.feedback.models import Report

PHONE, EMAIL = "0912 000 111", "nguoi.dan.thu@example.com"
INTERNAL = "GHI-CHU-NOI-BO-khong-cong-khai"


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    # Several submissions per test come from one address; the per-IP limit has its own tests (FB-A).
    settings.feedback_rate_per_ip_per_minute = 1000
    return settings


def png(colour: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def csrf(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/phan-anh")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def submit(client, *, photos: list[tuple[str, bytes, str]] | None = None, **fields):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf(client), "service_code": "rac-thai", "address_string": "Phường Phủ Lý",
            "description": "Rác thải sinh hoạt ùn ứ ở đầu ngõ 12 đường Trần Hưng Đạo đã ba ngày chưa thu gom."}
    data.update({k: v for k, v in fields.items() if v is not None})
    files = [("photos", p) for p in photos] if photos else [("photos", ("", b"", "application/octet-stream"))]
    return client.post("/phan-anh", data=data, files=files, follow_redirects=False)


def code_and_key(response) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The tracking code and the submitter's secret key from the redirect after a submission."""
    assert response.status_code == 303, response.text[:2000]
    match = re.fullmatch(r"/phan-anh/(PA-\d{4}-\d{6})\?k=([A-Za-z0-9_-]{24})&da_gui=1", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1), match.group(2)


def code_of(response) -> str:  # type: ignore[no-untyped-def]
    return code_and_key(response)[0]


def test_form_shows_categories_location_choices_and_emergency_numbers(client):
    page = client.get("/phan-anh")
    assert page.status_code == 200
    text = page.text
    for name in ("Rác thải và vệ sinh môi trường", "Hư hỏng đường, vỉa hè", "Chiếu sáng công cộng",
                 "Ngập úng, thoát nước", "Cháy, nổ"):
        assert name in text
    assert "Dùng vị trí của tôi" in text and 'id="fb-map"' in text and 'name="address_string"' in text
    for number in ("114", "113", "115"):
        assert f'href="tel:{number}"' in text
    assert 'accept="image/*"' in text and 'maxlength="4000"' in text
    assert "Không bao giờ được công khai" in text and 'name="csrf_token"' in text


def test_citizen_submits_with_a_photo_and_gets_a_tracking_code(client):
    response = submit(client, photos=[("anh.png", png(), "image/png")], email=EMAIL, phone=PHONE)
    code, key = code_and_key(response)
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert 'data-testid="tracking-code">' + code in page.text
    # The citizen's own link, with the key, and the advice to keep it (shown this once).
    assert f'href="http://127.0.0.1/phan-anh/{code}?k={key}" data-testid="tracking-link"' in page.text
    assert "Hãy lưu lại đường liên kết này: chỉ người có đường liên kết mới đánh giá hoặc yêu cầu xử lý lại được." \
        in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
    assert "Mới tiếp nhận" in page.text
    assert "Ủy ban nhân dân Phường Phủ Lý" in page.text or "Phủ Lý" in page.text
    # The photo was stored and is served, re-encoded; the thumbnail is a JPEG.
    thumbs = re.findall(r'src="(/phan-anh/anh/\d+/thu-nho)"', page.text)
    assert len(thumbs) == 1
    thumb = client.get(thumbs[0])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    full = client.get(thumbs[0].removesuffix("/thu-nho"))
    assert full.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(full.content)).size == (64, 48)
    # Contact data is never shown to the public.
    assert EMAIL not in page.text and PHONE not in page.text and "0912" not in page.text


def test_errors_are_shown_next_to_the_fields_and_nothing_is_stored(client, db):
    response = submit(client, address_string="", description="ngắn", email="khong-phai-thu", phone="abc")
    assert response.status_code == 422
    text = response.text
    assert 'data-testid="form-error"' in text
    assert 'data-testid="error-email"' in text and 'data-testid="error-phone"' in text
    # The typed values come back so nothing has to be typed again.
    assert "khong-phai-thu" in text and "ngắn" in text
    response = submit(client, address_string="")
    assert response.status_code == 422
    assert 'data-testid="error-location"' in response.text
    response = submit(client, description="ngắn")
    assert response.status_code == 422 and 'data-testid="error-description"' in response.text
    response = submit(client, description="x" * 4001)
    assert response.status_code == 422 and 'data-testid="error-description"' in response.text
    with db.session() as session:
        assert session.scalar(select(Report.id)) is None


def test_emergency_category_is_refused_with_the_numbers(client):
    response = submit(client, service_code="chay-no")
    assert response.status_code == 422
    assert "114" in response.text and 'data-testid="error-service_code"' in response.text


def test_photos_are_checked_by_the_server(client, db):
    four = [(f"a{i}.png", png(), "image/png") for i in range(4)]
    response = submit(client, photos=four)
    assert response.status_code == 422 and "tối đa 3 ảnh" in response.text
    fake = [("anh.png", b"<html>not an image</html>", "image/png")]
    response = submit(client, photos=fake)
    assert response.status_code == 422
    assert 'data-testid="error-photos"' in response.text and "JPEG, PNG hoặc WebP" in response.text
    with db.session() as session:
        assert session.scalar(select(Report.id)) is None


def test_form_post_without_csrf_is_refused(client):
    response = client.post("/phan-anh", data={"service_code": "rac-thai", "address_string": "Phường Phủ Lý",
                                              "description": "Rác thải ùn ứ nhiều ngày chưa thu gom"},
                           files=[("photos", ("", b"", "application/octet-stream"))])
    assert response.status_code == 403


def test_officer_works_the_report_and_the_public_never_sees_contact_or_internal_notes(client, factory):
    code, key = code_and_key(submit(client, email=EMAIL, phone=PHONE))
    _, officer, _ = factory.user("officer", agency="UBND13285")
    _, token = login(client, officer)
    inbox = client.get("/xu-ly-phan-anh")
    assert inbox.status_code == 200 and f'data-testid="row-{code}"' in inbox.text
    detail = client.get(f"/xu-ly-phan-anh/{code}")
    assert EMAIL in detail.text and PHONE in detail.text  # the responsible officer may call back
    act = f"/xu-ly-phan-anh/{code}/thao-tac"
    assert client.post(act, data={"csrf_token": token, "action": "accept", "note_internal": INTERNAL},
                       follow_redirects=False).status_code == 303
    # Answering without a public reply is refused, the error is shown on the page.
    refused = client.post(act, data={"csrf_token": token, "action": "resolve", "note_public": ""})
    assert refused.status_code == 422 and 'data-testid="form-error"' in refused.text
    assert client.post(act, data={"csrf_token": token, "action": "start"}, follow_redirects=False).status_code == 303
    reply = "Tổ vệ sinh môi trường đã thu gom xong rác tại đầu ngõ 12 trong sáng nay."
    done = client.post(act, data={"csrf_token": token, "action": "resolve", "note_public": reply,
                                  "note_internal": INTERNAL}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?ok=resolve")
    detail = client.get(f"/xu-ly-phan-anh/{code}")
    assert "Đã trả lời" in detail.text and INTERNAL in detail.text
    # Illegal transition: accepting an answered report.
    illegal = client.post(act, data={"csrf_token": token, "action": "accept"})
    assert illegal.status_code == 409 and "Không thể" in illegal.text

    client.post("/logout", data={"csrf_token": token})
    public = client.get(f"/phan-anh/{code}")
    assert reply in public.text and "Đã trả lời" in public.text
    for secret in (INTERNAL, EMAIL, PHONE):
        assert secret not in public.text
    board = client.get("/phan-anh/ban-do")
    assert code in board.text
    for secret in (INTERNAL, EMAIL, PHONE):
        assert secret not in board.text

    # The public page (code only) offers no rating; the citizen's own link does, with the key in the form.
    assert 'data-testid="rate-form"' not in public.text and 'data-testid="needs-key"' in public.text
    own = client.get(f"/phan-anh/{code}?k={key}")
    assert 'data-testid="rate-form"' in own.text and f'name="k" value="{key}"' in own.text
    # The citizen is not satisfied and reopens once; then the officer sees it again.
    token = csrf(client)
    rated = client.post(f"/phan-anh/{code}/danh-gia", data={"csrf_token": token, "satisfied": "0", "k": key},
                        follow_redirects=False)
    assert rated.status_code == 303 and rated.headers["location"] == f"/phan-anh/{code}?k={key}&da_danh_gia=1"
    page = client.get(rated.headers["location"])
    assert "Không hài lòng" in page.text and 'data-testid="reopen-form"' in page.text
    assert 'data-testid="rate-form"' not in page.text
    assert 'data-testid="reopen-form"' not in client.get(f"/phan-anh/{code}").text
    reopened = client.post(f"/phan-anh/{code}/mo-lai",
                           data={"csrf_token": token, "reason": "Rác vẫn còn ở đầu ngõ", "k": key},
                           follow_redirects=False)
    assert reopened.status_code == 303
    page = client.get(reopened.headers["location"])
    assert "Mở lại" in page.text and 'data-testid="reopen-form"' not in page.text


def test_forward_needs_a_reason_and_an_officer_of_another_agency_cannot_see_the_report(client, factory):
    code = code_of(submit(client))
    _, other, _ = factory.user("officer", agency="SYT")
    _, token = login(client, other)
    assert client.get(f"/xu-ly-phan-anh/{code}").status_code == 403
    assert code not in client.get("/xu-ly-phan-anh").text
    client.post("/logout", data={"csrf_token": token})
    _, officer, _ = factory.user("officer", agency="UBND13285")
    _, token = login(client, officer)
    act = f"/xu-ly-phan-anh/{code}/thao-tac"
    missing = client.post(act, data={"csrf_token": token, "action": "forward", "agency": "SXD", "reason": ""})
    assert missing.status_code == 422 and 'data-testid="error-reason"' in missing.text
    moved = client.post(act, data={"csrf_token": token, "action": "forward", "agency": "SXD",
                                   "reason": "Vỉa hè do Sở Xây dựng quản lý"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"].startswith("/xu-ly-phan-anh?da_chuyen=")
    assert client.get(f"/xu-ly-phan-anh/{code}").status_code == 403
    public = client.get(f"/phan-anh/{code}")
    assert "Sở Xây dựng" in public.text and "Vỉa hè do Sở Xây dựng quản lý" in public.text


def test_inbox_highlights_reports_near_or_past_their_deadline(client, factory, db):
    late, near, fresh = (code_of(submit(client, description=f"Rác thải ùn ứ tại điểm số {i} chưa thu gom"))
                         for i in range(3))
    now = utcnow()
    with db.session() as session:
        for code, created, due in ((late, now - timedelta(hours=60), now - timedelta(hours=12)),
                                   (near, now - timedelta(hours=44), now + timedelta(hours=4))):
            report = session.scalar(select(Report).where(Report.code == code))
            report.created_at, report.due_at = created, due
    _, officer, _ = factory.user("officer", agency="UBND13285")
    login(client, officer)
    page = client.get("/xu-ly-phan-anh")
    rows = {code: re.search(rf'<tr class="([^"]*)" data-testid="row-{code}"', page.text).group(1)
            for code in (late, near, fresh)}
    assert rows == {late: "fb-overdue", near: "fb-near", fresh: ""}
    assert re.search(r'data-testid="count-overdue">1<', page.text)
    overdue_only = client.get("/xu-ly-phan-anh?trang_thai=overdue")
    assert late in overdue_only.text and fresh not in overdue_only.text


def test_officer_merges_a_possible_duplicate_and_the_citizen_follows_the_main_report(client, factory):
    point = {"lat": "20.5430", "lon": "105.9130", "location_source": "map", "address_string": ""}
    main = code_of(submit(client, **point))
    dup = code_of(submit(client, description="Đống rác lớn bốc mùi ở đầu ngõ, đề nghị thu gom", **point))
    _, officer, _ = factory.user("officer", agency="UBND13285")
    _, token = login(client, officer)
    detail = client.get(f"/xu-ly-phan-anh/{dup}")
    assert 'data-testid="possible-duplicate"' in detail.text and main in detail.text
    merged = client.post(f"/xu-ly-phan-anh/{dup}/gop", data={"csrf_token": token, "main": main},
                         follow_redirects=False)
    assert merged.status_code == 303
    act = f"/xu-ly-phan-anh/{main}/thao-tac"
    client.post(act, data={"csrf_token": token, "action": "resolve", "note_public": "Đã thu gom toàn bộ rác."})
    client.post("/logout", data={"csrf_token": token})
    public = client.get(f"/phan-anh/{dup}")
    assert 'data-testid="merged-into"' in public.text and "Đã thu gom toàn bộ rác." in public.text


def test_public_map_filters_and_exposes_no_personal_data(client):
    road = code_of(submit(client, service_code="duong-via-he", email=EMAIL, phone=PHONE, lat="20.5430",
                          lon="105.9130", location_source="gps", address_string="",
                          description="Ổ gà lớn giữa đường gây nguy hiểm cho xe máy"))
    rubbish = code_of(submit(client))
    page = client.get("/phan-anh/ban-do?linh_vuc=duong-via-he")
    assert page.status_code == 200
    assert f'data-testid="report-{road}"' in page.text and f'data-testid="report-{rubbish}"' not in page.text
    points = json.loads(re.search(r'<script type="application/json" id="fb-points">(.*?)</script>', page.text,
                                  re.S).group(1))
    assert [p["code"] for p in points] == [road]
    assert set(points[0]) == {"lat", "lon", "code", "open", "tip"}
    assert EMAIL not in page.text and PHONE not in page.text
    closed = client.get("/phan-anh/ban-do?trang_thai=closed")
    assert road not in closed.text and rubbish not in closed.text
    assert client.get("/phan-anh/PA-1999-000001").status_code == 404
