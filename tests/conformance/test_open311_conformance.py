"""Open311 GeoReport v2 conformance (issue 17): the ``status`` filter and the shown ``status`` use one mapping,
also for merged duplicates and merges of merges; ``tokens/{token}`` as documented (requests are never queued)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "feedback"))

from fb_core_helpers import communes_with_points, offset, submit  # noqa: E402

from dieuhanh.core.security import Principal  # noqa: E402
from dieuhanh.feedback import service  # noqa: E402
from dieuhanh.feedback.models import STATUSES  # noqa: E402
from dieuhanh.feedback.open311 import open311_status  # noqa: E402
from dieuhanh.orgs.catalogue import commune_agency_code  # noqa: E402


def _codes(client, status: str) -> set[str]:  # type: ignore[no-untyped-def]
    response = client.get("/open311/v2/requests.json", params={"status": status})
    assert response.status_code == 200, response.text
    listed = response.json()
    assert {r["status"] for r in listed} <= set(status.split(",")), f"status={status} returned {listed}"
    return {r["service_request_id"] for r in listed}


def test_status_filter_agrees_with_the_shown_status_and_tokens_resolve(db, settings, client) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    agency = commune_agency_code(unit)
    officer = Principal(kind="user", id=77, name=f"cb-{agency}", role="officer", agency_code=agency)
    main = submit(db, settings, lat=lat, lon=lon)
    dup = submit(db, settings, lat=offset(lat, lon, 10)[0], lon=lon)
    a = submit(db, settings, service_code="chieu-sang", lat=lat, lon=lon)
    b = submit(db, settings, service_code="chieu-sang", lat=offset(lat, lon, 10)[0], lon=lon)
    c = submit(db, settings, service_code="chieu-sang", lat=offset(lat, lon, 20)[0], lon=lon)
    forwarded = submit(db, settings, service_code="cay-xanh", lat=lat, lon=lon)
    with db.session() as session:
        get = lambda code: service.get_by_code(session, code)  # noqa: E731
        service.merge(session, get(dup), get(main), officer)  # dup is "closed" itself, shown as main: open
        service.merge(session, get(b), get(a), officer)
        service.merge(session, get(a), get(c), officer)  # b -> a -> c
        service.transition(session, get(c), "resolve", note_public="Đã thay bóng đèn.", principal=officer)
        service.transition(session, get(forwarded), "accept", principal=officer)
    open_codes, closed_codes = _codes(client, "open"), _codes(client, "closed")
    assert {main, dup, forwarded} <= open_codes and not {a, b, c} & open_codes
    assert {a, b, c} <= closed_codes and not {main, dup, forwarded} & closed_codes
    assert _codes(client, "open,closed") == open_codes | closed_codes
    assert open311_status("forwarded") == open311_status("reopened") == "open"
    assert {s for s in STATUSES if open311_status(s) == "closed"} == {"resolved", "closed", "rejected"}
    # tokens/{token}: requests are never queued (created before the POST answers), so a token is the request's
    # own id and the lookup answers at once with both (see the module docstring of feedback/open311.py)
    code = main
    assert client.get(f"/open311/v2/tokens/{code}.json").json() == [{"service_request_id": code, "token": code}]
    xml = client.get(f"/open311/v2/tokens/{code}.xml")
    assert xml.status_code == 200 and f"<service_request_id>{code}</service_request_id>" in xml.text
    missing = client.get("/open311/v2/tokens/KHONG-CO.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
