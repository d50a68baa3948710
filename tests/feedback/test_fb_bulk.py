"""Group commit: ``service.submit_many`` writes a batch in one transaction with the same rows as ``submit``."""

from __future__ import annotations

import re

from fb_core_helpers import communes_with_points, load, offset, submit
from sqlalchemy import select

from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import ANONYMOUS, Principal
from dieuhanh.feedback import service
from dieuhanh.feedback.models import ReportContact
from dieuhanh.feedback.schemas import CategoryUpdate, ReportIn, RoutingRuleIn

TEXT = "Rác thải tồn đọng nhiều ngày ở đầu ngõ, bốc mùi."


def item(service_code: str, lat: float, lon: float, principal: Principal = ANONYMOUS, source: str = "web",
         **fields: object) -> service.Submission:
    data = ReportIn(service_code=service_code, lat=lat, lon=lon, description=TEXT, **fields)  # type: ignore[arg-type]
    return service.Submission(data=data, source=source, principal=principal, ip="10.0.0.9")


def test_batch_writes_every_row_and_flags_duplicates_within_the_batch(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), (unit2, lat2, lon2) = communes_with_points(db, 2)
    with db.session() as session:
        emergency = next(c.service_code for c in service.list_categories(session) if c.emergency)
    near = offset(lat, lon, 12)
    results = service.submit_many(db.session_factory, [
        item("rac-thai", lat, lon),
        item(emergency, lat, lon),
        item("rac-thai", near[0], near[1], email="dan@example.com"),
        item("cay-xanh", lat2, lon2),
    ], settings=settings)
    assert isinstance(results[1], InvalidInput) and "114" in results[1].message
    first, dup, other = results[0], results[2], results[3]
    assert isinstance(first, service.Submitted) and isinstance(dup, service.Submitted)
    assert isinstance(other, service.Submitted)
    assert all(re.fullmatch(r"PA-\d{4}-\d{6}", r.code) and r.code.endswith(f"{r.id:06d}") for r in (first, dup, other))
    a, b, c = load(db, first.code), load(db, dup.code), load(db, other.code)
    assert b["possible_duplicate_of"] == first.code and a["possible_duplicate_of"] is None
    assert c["possible_duplicate_of"] is None
    with db.session() as session:
        assert a["agency_code"] == service.route(session, "rac-thai", unit) and a["unit_code"] == unit
        assert c["agency_code"] == service.route(session, "cay-xanh", unit2)
        audits = {e.entity_id: e for e in session.scalars(select(AuditEntry).where(
            AuditEntry.action == "feedback.submit", AuditEntry.entity_id.in_([first.code, dup.code, other.code])))}
        assert set(audits) == {first.code, dup.code, other.code}
        assert audits[dup.code].after["possible_duplicate_of"] == first.code and audits[dup.code].ip == "10.0.0.9"
        contacts = session.scalars(select(ReportContact).where(ReportContact.report_id.in_([a["id"], b["id"]]))).all()
        assert [(x.report_id, x.email) for x in contacts] == [(b["id"], "dan@example.com")]
        report = service.get_by_code(session, dup.code)
        assert report.events[0].note_internal == f"Có thể trùng phản ánh {first.code}"
    assert a["events"] == [("submit", "new")] and a["status"] == "new" and a["due_at"] > a["created_at"]
    # a later single submission sees the batch's reports
    later = submit(db, settings, lat=near[0], lon=near[1])
    assert load(db, later)["possible_duplicate_of"] == dup.code


def test_a_failing_record_is_retried_alone_and_the_others_are_kept(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    ghost_key = Principal(kind="token", id=987_654, name="gone", scopes=frozenset({"open311"}))  # no such token row
    results = service.submit_many(db.session_factory, [
        item("rac-thai", lat, lon),
        item("rac-thai", lat, lon, principal=ghost_key, source="open311"),  # its INSERT breaks the foreign key
        item("chieu-sang", lat, lon),
    ], settings=settings)
    assert isinstance(results[0], service.Submitted) and isinstance(results[2], service.Submitted)
    assert isinstance(results[1], Exception) and not isinstance(results[1], service.Submitted)
    assert load(db, results[0].code)["events"] == [("submit", "new")]
    assert load(db, results[2].code)["status"] == "new"


def test_catalogue_changes_reach_the_next_batch(db, settings) -> None:  # type: ignore[no-untyped-def]
    (unit, lat, lon), = communes_with_points(db, 1)
    admin = Principal(kind="user", id=1, name="qtv", role="admin")
    first = service.submit_many(db.session_factory, [item("cay-xanh", lat, lon)], settings=settings)[0]
    assert isinstance(first, service.Submitted) and first.deadline_hours != 5
    with db.session() as session:  # the writer keeps a snapshot of the catalogue: these changes must reach it
        service.update_category(session, principal=admin, service_code="cay-xanh",
                                data=CategoryUpdate(deadline_hours=5))
        service.set_routing_rule(session, principal=admin,
                                 data=RoutingRuleIn(category_code="cay-xanh", unit_code=unit, agency_code="SXD"))
        service.update_category(session, principal=admin, service_code="chieu-sang",
                                data=CategoryUpdate(active=False))
    second, refused = service.submit_many(db.session_factory, [item("cay-xanh", lat, lon),
                                                               item("chieu-sang", lat, lon)], settings=settings)
    assert isinstance(second, service.Submitted) and second.deadline_hours == 5
    assert load(db, second.code)["agency_code"] == "SXD"
    assert isinstance(refused, InvalidInput) and "không tiếp nhận" in refused.message
