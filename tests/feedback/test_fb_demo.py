"""The citizen-report demo: ~2,000 consistent reports over 12 months, quickly, and the indicators and overdue alert
that come with them."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dieuhanh.alerts.models import AlertInstance, AlertRule
from dieuhanh.alerts.service import evaluate
from dieuhanh.core.db import utcnow
from dieuhanh.demo.service import DemoContext
from dieuhanh.feedback import demo, service
from dieuhanh.feedback.models import CLOSED_STATUSES, Report, ReportContact, ReportEvent
from dieuhanh.feedback.snapshot import REPORTS_DATASET
from dieuhanh.geo import reference
from dieuhanh.indicators import service as indicators
from dieuhanh.indicators.models import IndicatorValue


@pytest.fixture
def demo_db(db, warehouse, settings):  # type: ignore[no-untyped-def]
    with db.session() as session:
        ctx = DemoContext(session=session, warehouse=warehouse, settings=settings, rng=random.Random(7))
        started = time.perf_counter()
        demo.run(ctx)
        elapsed = time.perf_counter() - started
    return db, ctx, elapsed


def test_demo_generates_consistent_reports_quickly(demo_db, warehouse, settings):
    db, ctx, elapsed = demo_db
    # A few seconds on an idle 2-core machine (bulk inserts); generous here because tests share the machine.
    assert elapsed < 30, f"feedback demo took {elapsed:.1f} s"
    now = utcnow()
    with db.session() as session:
        reports = list(session.scalars(select(Report)))
        events: dict[int, list[ReportEvent]] = {}
        for e in session.scalars(select(ReportEvent).order_by(ReportEvent.at, ReportEvent.id)):
            events.setdefault(e.report_id, []).append(e)
        categories = {c.service_code: c for c in service.list_categories(session)}
        assert len(reports) == 2000 == ctx.summary["feedback"]["reports"]
        assert len({r.code for r in reports}) == 2000 and all(r.code.startswith("PA-") for r in reports)

        # Spread: 12 months, (almost) every commune, realistic category mix, no emergency reports.
        assert min(r.created_at for r in reports) >= now - timedelta(days=366)
        assert max(r.created_at for r in reports) <= now
        months = Counter(r.created_at.strftime("%Y-%m") for r in reports)
        assert len(months) >= 12
        communes = {u.code for u in reference.communes_of("37")}
        assert {r.unit_code for r in reports} <= communes
        assert len({r.unit_code for r in reports}) >= 120
        by_category = Counter(r.category_code for r in reports)
        top4 = {code for code, _ in by_category.most_common(4)}
        assert top4 == {"rac-thai", "duong-via-he", "chieu-sang", "ngap-ung"}
        assert not any(categories[c].emergency for c in by_category)

        # Points lie inside their commune; agencies follow the routing unless the report was forwarded.
        located = [r for r in reports if r.lat is not None]
        assert len(located) > 1900
        for r in located[::10]:
            assert service.locate(session, r.lat, r.lon) == r.unit_code, r.code
        forwarded = {rid for rid, evs in events.items() if any(e.action == "forward" for e in evs)}
        assert 20 <= len(forwarded) <= 200
        for r in reports:
            if r.id not in forwarded:
                assert r.agency_code == service.route(session, r.category_code, r.unit_code), r.code
            else:
                last = [e for e in events[r.id] if e.action == "forward"][-1]
                assert r.agency_code == last.agency_to and last.note_public

        # Every story is consistent: starts with the submission, its last status change is the report's status,
        # deadlines follow the category, times move forward.
        for r in reports:
            evs = events[r.id]
            assert evs[0].action == "submit" and evs[0].at == r.created_at
            changes = [e for e in evs if e.to_status and e.from_status != e.to_status or e.action == "submit"]
            assert changes[-1].to_status == r.status, r.code
            assert all(a.at <= b.at for a, b in zip(evs, evs[1:], strict=False))
            hours = categories[r.category_code].deadline_hours
            if not r.reopened_count:
                assert r.due_at == r.created_at + timedelta(hours=hours)
            if r.resolved_at is not None:
                assert r.resolved_at >= r.created_at and r.public_reply
            if r.status in CLOSED_STATUSES:
                assert r.public_reply
            assert r.updated_at == max(e.at for e in evs if not (e.action == "merge" and e.to_status is None))

        # Timing: most answered on time, some late, a few still open and past the deadline now.
        answered = [r for r in reports if r.resolved_at is not None and r.duplicate_of_id is None]
        on_time = sum(r.resolved_at <= r.due_at for r in answered) / len(answered)
        assert 0.8 <= on_time <= 0.97
        overdue_now = service.overdue(session, now)
        assert 3 <= len(overdue_now) == ctx.summary["feedback"]["overdue_open"]
        assert 0 < sum(r.status not in CLOSED_STATUSES for r in reports) < 100

        # Duplicates: flagged ones and merged ones, near their main report, same category, within the window.
        by_id = {r.id: r for r in reports}
        merged = [r for r in reports if r.duplicate_of_id is not None]
        flagged = [r for r in reports if r.possible_duplicate_of_id is not None]
        assert len(merged) >= 40 and len(flagged) >= 15
        for r in merged + flagged:
            main = by_id[r.duplicate_of_id or r.possible_duplicate_of_id]
            assert main.category_code == r.category_code and main.created_at < r.created_at
            assert r.created_at - main.created_at <= timedelta(days=settings.feedback_duplicate_window_days)
            assert service.distance_m(r.lat, r.lon, main.lat, main.lon) <= settings.feedback_duplicate_distance_m
        for r in merged:
            assert r.status == "closed" and by_id[r.duplicate_of_id].code in r.public_reply
            assert any(e.action == "merge" for e in events[r.id])

        # Reopened once, rated both ways, rejected with a reason.
        reopened = [r for r in reports if r.reopened_count]
        assert reopened and all(r.reopened_count == 1 for r in reopened)
        assert all(any(e.action == "reopen" for e in events[r.id]) for r in reopened)
        ratings = Counter(r.rating for r in reports if r.rating)
        assert ratings["satisfied"] > ratings["unsatisfied"] > 20
        assert any(r.status == "rejected" and r.public_reply for r in reports)

        # Contacts: only obviously fake e-mail addresses, never a phone number.
        contacts = list(session.scalars(select(ReportContact)))
        assert contacts and all(c.email.endswith("@example.com") and not c.phone for c in contacts)

        # Warehouse snapshot and the default alert rule.
        assert warehouse.query(f"SELECT count(*) FROM {REPORTS_DATASET}").column(0)[0].as_py() == 2000
        assert session.scalar(select(func.count()).select_from(AlertRule).where(
            AlertRule.name == demo.ALERT_RULE_NAME)) == 1

    # A second run adds nothing.
    with db.session() as session:
        demo.run(DemoContext(session=session, warehouse=warehouse, settings=settings, rng=random.Random(8)))
        assert session.scalar(select(func.count()).select_from(Report)) == 2000


def test_demo_indicators_are_plausible_and_overdue_reports_alert(demo_db, warehouse, settings):
    db, _ctx, _ = demo_db
    with db.session() as session:
        summary = indicators.compute(session, warehouse, province_code="37",
                                     codes=["phan_anh_tiep_nhan", "phan_anh_da_giai_quyet", "ty_le_phan_anh_dung_han",
                                            "thoi_gian_xu_ly_phan_anh", "ty_le_hai_long_phan_anh",
                                            "phan_anh_qua_han_dang_mo"])
        assert summary.errors == {}

        def province(code: str) -> dict[str, float | None]:
            return dict(session.execute(select(IndicatorValue.period, IndicatorValue.value).where(
                IndicatorValue.code == code, IndicatorValue.level == "province")).all())

        received = province("phan_anh_tiep_nhan")
        assert sum(v or 0 for v in received.values()) == 2000
        full_months = sorted(received)[1:-1]  # the first and the current month are partial
        for period in full_months:
            assert 60 <= received[period] <= 400
            assert 70 <= province("ty_le_phan_anh_dung_han")[period] <= 100
            assert 50 <= province("ty_le_hai_long_phan_anh")[period] <= 100
            assert 2 <= province("thoi_gian_xu_ly_phan_anh")[period] <= 120
        # Later months get more reports than the first ones (the service is adopted over the year).
        assert sum(received[p] for p in full_months[-3:]) > sum(received[p] for p in full_months[:3])
        overdue = province("phan_anh_qua_han_dang_mo")
        assert overdue[max(overdue)] >= 3
        agency_rows = session.scalar(select(func.count()).select_from(IndicatorValue).where(
            IndicatorValue.code == "ty_le_phan_anh_dung_han", IndicatorValue.level == "agency"))
        assert agency_rows > 100

        evaluate(session)
        rule = session.scalar(select(AlertRule).where(AlertRule.name == demo.ALERT_RULE_NAME))
        alerting = session.scalars(select(AlertInstance).where(AlertInstance.rule_id == rule.id,
                                                               AlertInstance.state == "Alerting")).all()
        late_agencies = {r.agency_code for r in service.overdue(session)}
        assert alerting and {i.unit_code for i in alerting} == late_agencies
