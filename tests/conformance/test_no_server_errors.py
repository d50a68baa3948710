"""No 500 on any input (issue 17): each input schemathesis answered with a server error, replayed as an admin, gets
a 4xx with a Vietnamese message; the OpenAPI document bounds every integer parameter and names each operation once.
``tools/fuzz_openapi.py`` is the property-based run that found them."""

from __future__ import annotations

import warnings

import pytest

from conftest import csrf_from, login
from dieuhanh.web.params import INT64_MAX, MAX_PAGE

BIG = 2**64 + 1  # beyond 64 bits: what SQLite and PostgreSQL integers hold

# (method, path, query, JSON body or None)
REPLAYS = [
    ("GET", f"/api/v1/alert-rules/{BIG}", None, None),
    ("PATCH", f"/api/v1/alert-rules/{BIG}", None, {"group_by": ["\x02|\x1c", ""]}),
    ("GET", f"/api/v1/alerts/{BIG}", None, None),
    ("GET", f"/api/v1/ingest/sources/{BIG}", None, None),
    ("GET", f"/api/v1/ingest/sources/{BIG}/runs", {"limit": 218}, None),
    ("POST", f"/api/v1/ingest/sources/{BIG}/run", None, None),
    ("POST", f"/api/v1/ingest/subscriptions/{BIG}/enabled", None, {"enabled": True}),
    ("POST", f"/api/v1/access-requests/{BIG}/deny", None, {"reason": "Không"}),
    ("POST", f"/api/v1/access-requests/{BIG}/approve", None, {"b": {}}),
    ("POST", f"/api/v1/directives/{BIG}/close", None, {"result": "0"}),
    ("DELETE", f"/api/v1/feedback/routing-rules/{BIG}", None, None),
    ("GET", "/api/v1/feedback/public/reports", {"page": str(BIG)}, None),
    ("GET", "/api/v1/feedback/public/reports", {"page": str(MAX_PAGE + 1)}, None),
    ("GET", "/api/v1/feedback/public/reports", {"unit_code": "13285\x00\x1f"}, None),
    ("POST", "/api/v1/feedback/public/reports", None, None),  # no body at all
    ("GET", "/api/v1/documents", {"month": "0000-01"}, None),
    ("GET", "/api/v1/documents/stats", {"month": "0000-01"}, None),
    ("PATCH", "/api/v1/agencies/TKT", None, {"name": None, "email": "0@0.com"}),
]


@pytest.fixture
def admin(client, factory):  # type: ignore[no-untyped-def]
    _, username, _ = factory.user("admin")
    login(client, username)
    return {"X-CSRF-Token": csrf_from(client)}


def test_no_server_error_on_inputs_that_gave_500(client, admin) -> None:  # type: ignore[no-untyped-def]
    """One app and one signed-in admin for the three checks (building them is most of the time)."""
    _inputs_that_gave_500_are_refused_with_a_vietnamese_4xx(client, admin)
    _empty_agency_codes_mean_no_agency_not_a_broken_reference(client, admin)
    _openapi_bounds_every_integer_parameter_and_names_each_operation_once(client)


def _inputs_that_gave_500_are_refused_with_a_vietnamese_4xx(client, admin) -> None:  # type: ignore[no-untyped-def]
    for method, path, query, body in REPLAYS:
        response = client.request(method, path, params=query, json=body, headers=admin)
        assert 400 <= response.status_code < 500, (method, path, query, response.status_code, response.text)
        detail = response.json()["detail"]
        assert isinstance(detail, str) and any(ch in detail for ch in "ạảãáàâấầậơớờợưứừựđịọộổốồểếềệ"), detail


def _empty_agency_codes_mean_no_agency_not_a_broken_reference(client, admin) -> None:  # type: ignore[no-untyped-def]
    rule = client.post("/api/v1/notify-rules", headers=admin, json={
        "agency_code": "", "channel": "inapp", "enabled": True, "kinds": ["incident_new"], "min_severity": "info",
        "name": "Trực ban", "quiet_allow_critical": True, "repeat_minutes": 5, "target": "", "types": []})
    assert rule.status_code < 500, rule.text
    feed = client.post("/api/v1/event-feeds", headers=admin, json={
        "defaults": {}, "enabled": True, "kind": "mqtt", "mapping": {}, "name": "Cảm biến ngập", "owner_agency": "",
        "severity_map": {}, "slug": "cam-bien-ngap", "source": "mqtt", "topic": "ngap/+", "type_map": {}})
    assert feed.status_code < 500, feed.text


def _openapi_bounds_every_integer_parameter_and_names_each_operation_once(client) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns on a duplicate operation id
        client.app.openapi_schema = None
        document = client.get("/openapi.json").json()
    operation_ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            for param in operation.get("parameters", []):
                schema = param["schema"]
                options = schema.get("anyOf", [schema])
                for option in options:
                    if option.get("type") == "integer":
                        assert "minimum" in option and option.get("maximum", INT64_MAX + 1) <= INT64_MAX, (
                            method, path, param["name"], option)
    assert len(operation_ids) == len(set(operation_ids))
    ckan = document["paths"]["/api/3/action/{action}"]
    assert ckan["get"]["operationId"] != ckan["post"]["operationId"]
    public_submit = document["paths"]["/api/v1/feedback/public/reports"]["post"]
    assert public_submit["requestBody"]["required"] is True
    assert "service_code" in public_submit["requestBody"]["content"]["application/json"]["schema"]["required"]
