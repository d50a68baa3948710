"""Open311 GeoReport v2 under /open311/v2/: JSON and XML against the spec, errors, filters, no contact data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from fb_core_helpers import communes_with_points, submit

from dieuhanh.core.db import utcnow
from dieuhanh.orgs.catalogue import commune_agency_code

V2 = "/open311/v2"
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
CONTACT = {"email": "nguoi.dan@example.vn", "phone": "0912345678", "first_name": "Lan", "last_name": "Nguyễn Thị",
           "device_id": "thiet-bi-bi-mat-42", "account_id": "tai-khoan-7"}
ISO_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")


@pytest.fixture
def key(factory) -> str:  # type: ignore[no-untyped-def]
    _, secret = factory.token(["open311"], name="ung-dung-do-thi")
    return secret


@pytest.fixture
def point(db):  # type: ignore[no-untyped-def]
    return communes_with_points(db, 1)[0]


def post(client, key, fmt="json", query_key=False, **fields):  # type: ignore[no-untyped-def]
    data = {"service_code": "rac-thai", "description": "Rác thải đổ trộm ven đường, bốc mùi khó chịu."} | fields
    params = {}
    if key is not None:
        if query_key:
            params["api_key"] = key
        else:
            data["api_key"] = key
    return client.post(f"{V2}/requests.{fmt}", data=data, params=params)


def errors_of(response) -> list[dict]:  # type: ignore[no-untyped-def]
    body = response.json()
    assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == response.status_code
    return body


def xml_errors(response) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    return [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")]


def test_discovery_and_services(client) -> None:  # type: ignore[no-untyped-def]
    d = client.get(f"{V2}/discovery.json").json()
    assert d["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert d["endpoints"][0]["url"].endswith("/open311/v2") and "application/json" in d["endpoints"][0]["formats"]
    root = ET.fromstring(client.get(f"{V2}/discovery.xml").content)
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats").findall("format")] == ["text/xml",
                                                                                       "application/json"]
    services = client.get(f"{V2}/services.json").json()
    by_code = {s["service_code"]: s for s in services}
    assert {"rac-thai", "duong-via-he", "chieu-sang", "ngap-ung", "an-ninh", "khac"} <= set(by_code)
    assert set(by_code["rac-thai"]) == {"service_code", "service_name", "description", "metadata", "type",
                                        "keywords", "group"}
    assert by_code["rac-thai"]["metadata"] is True and by_code["cay-xanh"]["metadata"] is False
    assert by_code["rac-thai"]["type"] == "realtime"
    response = client.get(f"{V2}/services.xml")
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = ET.fromstring(response.content)
    assert root.tag == "services"
    names = {s.findtext("service_code"): s.findtext("service_name") for s in root.findall("service")}
    assert names["duong-via-he"] == "Hư hỏng đường, vỉa hè"
    assert {s.findtext("metadata") for s in root.findall("service")} == {"true", "false"}


def test_service_definition(client) -> None:  # type: ignore[no-untyped-def]
    d = client.get(f"{V2}/services/rac-thai.json").json()
    assert d["service_code"] == "rac-thai"
    attr = d["attributes"][0]
    assert set(attr) == {"variable", "code", "datatype", "required", "datatype_description", "order",
                         "description", "values"}
    assert attr["datatype"] == "singlevaluelist" and {"key": "nguy_hai", "name": "Chất thải nguy hại"} in attr["values"]
    root = ET.fromstring(client.get(f"{V2}/services/rac-thai.xml").content)
    assert root.tag == "service_definition"
    values = root.findall("attributes/attribute/values/value")
    assert ("sinh_hoat", "Rác sinh hoạt") in [(v.findtext("key"), v.findtext("name")) for v in values]
    missing = client.get(f"{V2}/services/khong-co.json")
    assert missing.status_code == 404 and "khong-co" in errors_of(missing)[0]["description"]
    missing = client.get(f"{V2}/services/khong-co.xml")
    assert missing.status_code == 404 and xml_errors(missing)[0][0] == "404"


def test_post_with_key_in_body_or_query_and_read_back(client, key, point) -> None:  # type: ignore[no-untyped-def]
    unit, lat, lon = point
    r = post(client, key, lat=lat, long=lon, **{"attribute[loai_rac]": "xay_dung"}, **CONTACT)
    assert r.status_code == 200, r.text
    (created,) = r.json()
    # The spec's fields and one more: the citizen's own tracking link, with the key (given only here).
    assert set(created) == {"service_request_id", "service_notice", "account_id", "tracking_url"}
    code = created["service_request_id"]
    assert re.fullmatch(r"PA-\d{4}-\d{6}", code) and created["account_id"] == "tai-khoan-7"
    r = post(client, key, "xml", query_key=True, address_string="xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam",
             service_code="chieu-sang", description="Đèn đường không sáng cả tuần nay.")
    assert r.status_code == 200, r.text
    root = ET.fromstring(r.content)
    assert root.tag == "service_requests"
    code2 = root.findtext("request/service_request_id")
    assert code2 and code2 != code

    (one,) = client.get(f"{V2}/requests/{code}.json").json()
    assert set(one) == REQUEST_FIELDS
    assert one["status"] == "open" and one["service_code"] == "rac-thai" and one["lat"] == pytest.approx(lat)
    assert one["long"] == pytest.approx(lon)
    assert ISO_OFFSET.match(one["requested_datetime"]) and ISO_OFFSET.match(one["expected_datetime"])
    assert one["agency_responsible"].startswith("Ủy ban nhân dân") or one["agency_responsible"].startswith("UBND")
    root = ET.fromstring(client.get(f"{V2}/requests/{code2}.xml").content)
    req = root.find("request")
    assert {c.tag for c in req} == REQUEST_FIELDS
    assert req.findtext("status") == "open" and req.findtext("lat") == ""  # located by address only
    assert "Thanh Sơn" in req.findtext("address")
    token = client.get(f"{V2}/tokens/{code}.json").json()
    assert token == [{"service_request_id": code, "token": code}]


def test_post_errors(client, key, factory, point) -> None:  # type: ignore[no-untyped-def]
    unit, lat, lon = point
    r = post(client, None, lat=lat, long=lon)
    assert r.status_code == 403 and "api_key" in errors_of(r)[0]["description"]
    r = post(client, "dh_sai-ma", lat=lat, long=lon)
    assert r.status_code == 403
    _, read_key = factory.token(["read"], name="bi-doc")
    r = post(client, read_key, lat=lat, long=lon)
    assert r.status_code == 403 and "open311" in errors_of(r)[0]["description"]
    r = post(client, "dh_sai", "xml", lat=lat, long=lon)
    assert r.status_code == 403 and xml_errors(r)[0][0] == "403"
    assert post(client, key, service_code="", lat=lat, long=lon).status_code == 400
    r = post(client, key)  # no location
    assert r.status_code == 400 and "lat" in errors_of(r)[0]["description"]
    r = post(client, key, lat=lat, long=lon, description="x" * 4001)
    assert r.status_code == 400 and "4000" in errors_of(r)[0]["description"]
    assert post(client, key, lat="bac", long=lon).status_code == 400
    r = post(client, key, lat=lat, long=lon, **{"attribute[loai_rac]": "phong-xa"})
    assert r.status_code == 400 and "danh sách" in errors_of(r)[0]["description"]
    r = post(client, key, service_code="chay-no", lat=lat, long=lon, description="Cháy nhà ở đầu phố")
    assert r.status_code == 400
    assert all(n in errors_of(r)[0]["description"] for n in ("114", "113", "115"))
    r = post(client, key, service_code="khong-co", lat=lat, long=lon)
    assert r.status_code == 404
    r = post(client, key, lat=10.77, long=106.70)  # Hồ Chí Minh: outside the province
    assert r.status_code == 400
    assert client.get(f"{V2}/requests.json").json() == []  # nothing was created by the refused posts


def test_get_requests_filters_window_and_limits(client, key, db, settings, point) -> None:  # type: ignore[no-untyped-def]
    unit, lat, lon = point
    now = utcnow()
    old = submit(db, settings, lat=lat, lon=lon, now=now - timedelta(days=120))
    a = submit(db, settings, service_code="cay-xanh", lat=lat, lon=lon, now=now - timedelta(days=3))
    b = submit(db, settings, service_code="ngap-ung", lat=lat, lon=lon, now=now - timedelta(hours=1))
    from dieuhanh.core.security import Principal
    from dieuhanh.feedback import service

    with db.session() as session:
        report = service.get_by_code(session, a)
        service.transition(session, report, "resolve", note_public="Đã cắt tỉa cây.",
                           principal=Principal(kind="user", id=1, name="cb", role="officer",
                                               agency_code=commune_agency_code(unit)))

    def ids(**params):  # type: ignore[no-untyped-def]
        response = client.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [b, a]  # default window: the last 90 days, newest first
    assert ids(status="closed") == [a] and ids(status="open") == [b] and ids(status="open,closed") == [b, a]
    assert ids(service_code="cay-xanh,ngap-ung") == [b, a] and ids(service_code="ngap-ung") == [b]
    assert ids(service_request_id=f"{old},{b}") == [b, old]  # ids override the window
    start = (now - timedelta(days=125)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(start_date=start, end_date=end) == [old]
    local_start = (datetime.now().astimezone() - timedelta(days=5)).isoformat(timespec="seconds")
    assert ids(start_date=local_start) == [b, a]
    (closed,) = client.get(f"{V2}/requests.json", params={"service_request_id": a}).json()
    assert closed["status"] == "closed" and closed["status_notes"] == "Đã cắt tỉa cây."
    for params in ({"status": "dang-xu-ly"}, {"start_date": "hom-qua"},
                   {"start_date": start, "end_date": (now - timedelta(days=1)).isoformat()},
                   {"start_date": end, "end_date": start}):
        response = client.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 400, params
        errors_of(response)
    r = client.get(f"{V2}/requests.xml", params={"service_code": "khong-co"})
    assert r.status_code == 404 and xml_errors(r)[0][0] == "404"
    r = client.get(f"{V2}/requests/PA-2020-999999.json")
    assert r.status_code == 404 and errors_of(r)
    root = ET.fromstring(client.get(f"{V2}/requests.xml").content)
    assert root.tag == "service_requests"
    assert [x.findtext("service_request_id") for x in root.findall("request")] == [b, a]


def test_at_most_1000_results(client, db, settings, point) -> None:  # type: ignore[no-untyped-def]
    from dieuhanh.core.security import ANONYMOUS
    from dieuhanh.feedback import service
    from dieuhanh.feedback.schemas import ReportIn

    unit, lat, lon = point
    now = utcnow() - timedelta(days=1)
    with db.session() as session:
        for i in range(1003):
            service.submit(session, data=ReportIn(service_code="khac", description=f"Phản ánh thử số {i}",
                                                  lat=lat + (i // 40) * 0.001, lon=lon + (i % 40) * 0.001,
                                                  unit_code=unit),
                           photos=[], source="demo", principal=ANONYMOUS, settings=settings,
                           now=now + timedelta(seconds=i))
    assert len(client.get(f"{V2}/requests.json").json()) == 1000


def test_no_contact_data_in_any_get(client, key, point) -> None:  # type: ignore[no-untyped-def]
    unit, lat, lon = point
    r = post(client, key, lat=lat, long=lon, **CONTACT)
    code = r.json()[0]["service_request_id"]
    urls = [f"{V2}/requests.json", f"{V2}/requests.xml", f"{V2}/requests/{code}.json", f"{V2}/requests/{code}.xml",
            f"{V2}/tokens/{code}.json", f"/api/v1/feedback/public/reports/{code}", "/api/v1/feedback/public/reports"]
    secrets = [v for k, v in CONTACT.items() if k != "account_id"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert code in text, url
        for secret in secrets:
            assert secret not in text, (url, secret)


def test_rate_limit_per_key_and_oversize_body(client, key, settings, point) -> None:  # type: ignore[no-untyped-def]
    unit, lat, lon = point
    settings.feedback_rate_per_key_per_minute = 3  # read when the first public POST builds the buckets
    codes = [post(client, key, lat=lat, long=lon + i * 0.001).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    r = post(client, key, lat=lat, long=lon)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and errors_of(r)
    big = b"x" * ((settings.feedback_max_photos * settings.feedback_max_photo_mb + 2) * 1024 * 1024)
    r = client.post(f"{V2}/requests.json", params={"api_key": key}, content=big,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and errors_of(r)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"y" * (1024 * 1024)

    r = client.post(f"{V2}/requests.json", params={"api_key": key}, content=chunks(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_public_json_submit_is_limited_per_address(client, settings, point) -> None:  # type: ignore[no-untyped-def]
    unit, lat, lon = point
    settings.feedback_rate_per_ip_per_minute = 2
    body = {"service_code": "cay-xanh", "description": "Cành cây gãy treo lơ lửng trên vỉa hè", "lat": lat,
            "lon": lon, "phone": "0987654321"}
    first = client.post("/api/v1/feedback/public/reports", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "new" and "0987654321" not in first.text
    assert client.post("/api/v1/feedback/public/reports", json=body).status_code == 201
    third = client.post("/api/v1/feedback/public/reports", json=body)
    assert third.status_code == 429 and "thử lại" in third.json()["detail"]
    huge = client.post("/api/v1/feedback/public/reports", content=b"{" + b" " * (200 * 1024) + b"}",
                       headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
