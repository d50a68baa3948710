"""Reads through the real `georeport` client package (PyPI) against a live server; POSTs over plain HTTP."""

from __future__ import annotations

import httpx
import pytest
from fb_core_helpers import communes_with_points
from georeport import GeoReport


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads(live_server, factory, db, fmt) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    _, key = factory.token(["open311"], name="ung-dung-thanh-pho")
    created = []
    for code, desc in (("duong-via-he", "Ổ gà sâu trước cổng trường"), ("chieu-sang", "Đèn đường tắt cả tuần")):
        r = httpx.post(f"{live_server}/open311/v2/requests.{fmt}", params={"api_key": key}, timeout=60,
                       data={"service_code": code, "lat": lat, "long": lon, "description": desc,
                             "email": "bi-mat@example.vn",
                             "attribute[muc_do]": "cao" if code == "duong-via-he" else ""})
        assert r.status_code == 200, r.text
        created.append(r)
    codes = [c.json()[0]["service_request_id"] if fmt == "json" else
             c.text.split("<service_request_id>")[1].split("<")[0] for c in created]

    client = GeoReport(f"{live_server}/open311/v2", output_format=fmt)
    services = client.get_service_list()
    assert {"duong-via-he", "chieu-sang", "rac-thai"} <= {s["service_code"] for s in services}
    definition = client.get_service_definition("duong-via-he")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    attribute = attributes[0] if isinstance(attributes, list) else attributes
    assert attribute["code"] == "muc_do" and attribute["datatype"] == "singlevaluelist"
    requests_ = client.get_service_requests(service_code="duong-via-he,chieu-sang", status="open")
    if isinstance(requests_, dict):  # xmltodict gives a dict for a single element
        requests_ = [requests_]
    assert sorted(r["service_request_id"] for r in requests_) == sorted(codes)
    one = client.get_service_request(codes[0])
    assert one["service_request_id"] == codes[0] and one["status"] == "open"
    assert one["service_code"] == "duong-via-he" and "bi-mat@example.vn" not in str(one)
    assert str(one["expected_datetime"]).endswith("+07:00")
    filtered = client.get_service_requests(service_request_id=codes[1])
    filtered = [filtered] if isinstance(filtered, dict) else filtered
    assert [r["service_request_id"] for r in filtered] == [codes[1]]
