"""The leaders' pages keep their heavy parts per data state (`/`, `/indicators/{code}`, the values API): what
changes in the database shows at the next request, and nothing of one user leaks into another user's page."""

from __future__ import annotations

import re
from datetime import date

from dash_helpers import A, B, add_definition, add_series, add_value
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import login
from dieuhanh.alerts.directives import create_directive
from dieuhanh.core.db import utcnow
from dieuhanh.core.security import SYSTEM


def _data(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_definition(session, "tiem_chung", domain="health", name="Tỷ lệ tiêm chủng đầy đủ")
        add_series(session, "tiem_chung", [90.0, 91.5], target=95.0, status="warning")
        add_series(session, "tiem_chung", [70.0, 77.25], unit=A, target=95.0, status="critical")
        add_value(session, "tiem_chung", "2024-02", 98.0, unit=B, status="good")


def _csrf(text: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', text))


def test_new_values_show_at_the_next_request(client, db, factory):
    _data(db)
    _, username, _ = factory.user("leader")
    login(client, username)
    assert "91,5" in client.get("/indicators/tiem_chung").text
    api = client.get("/api/v1/indicators/tiem_chung/values", params={"level": "province"}).json()
    assert [v["value"] for v in api] == [90.0, 91.5]
    assert "91,5" in client.get("/").text
    with db.session() as session:
        add_value(session, "tiem_chung", "2024-03", 96.5, status="good")
        add_value(session, "tiem_chung", "2024-03", 88.0, unit=A, status="warning")
    page = client.get("/indicators/tiem_chung").text
    assert "96,5" in page and "03/2024" in page
    assert "88" in client.get("/indicators/tiem_chung", params={"period": "2024-03"}).text
    api = client.get("/api/v1/indicators/tiem_chung/values", params={"level": "province"}).json()
    assert [v["value"] for v in api] == [90.0, 91.5, 96.5]
    assert "96,5" in client.get("/").text


def test_alerts_and_directives_are_read_live_beside_cached_tiles(client, db, factory):
    _data(db)
    _, username, _ = factory.user("leader")
    login(client, username)
    first = client.get("/").text
    assert "Không có chỉ đạo nào quá hạn." in first
    with db.session() as session:
        create_directive(session, principal=SYSTEM, agency_code="SYT", deadline=date(2020, 3, 1),
                         instruction="Rà soát tiêm chủng ở các xã vùng sâu")
    second = client.get("/").text
    assert "Rà soát tiêm chủng ở các xã vùng sâu" in second and "Không có chỉ đạo nào quá hạn." not in second


def test_one_users_page_never_carries_another_users_token_or_rights(app, db, factory):
    _data(db)
    _, analyst, _ = factory.user("analyst")
    _, leader, _ = factory.user("leader")
    with TestClient(app, base_url="http://127.0.0.1") as one, TestClient(app, base_url="http://127.0.0.1") as two:
        login(one, analyst)
        login(two, leader)
        for path in ("/", "/indicators/tiem_chung"):
            a, b = one.get(path).text, two.get(path).text
            tokens_a, tokens_b = _csrf(a), _csrf(b)
            assert tokens_a and tokens_b and not tokens_a & tokens_b, path
        # the analyst may arrange boards and recompute, the leader neither: the cached parts do not decide that
        assert "/boards/overview/edit" in one.get("/").text
        assert "/boards/overview/edit" not in two.get("/").text
        assert "Tính lại chỉ số này" in one.get("/indicators/tiem_chung").text
        assert "Tính lại chỉ số này" not in two.get("/indicators/tiem_chung").text


def test_overview_alert_part_kept_in_memory_agrees_with_triage_for_every_commune(demo_province):
    """The overview keeps the province's open alerts until an alert changes and filters a commune's from them:
    the same groups, order and totals as the alert triage asked directly, and a change shows at once."""
    from dieuhanh.alerts import triage
    from dieuhanh.alerts.models import AlertInstance
    from dieuhanh.core import cache
    from dieuhanh.core.security import Principal
    from dieuhanh.dashboard import service
    from dieuhanh.indicators.service import unit_names

    cache.clear_all()
    leader = Principal(kind="user", id=1, name="lanhdao", role="leader")
    province = demo_province.settings.province_code
    communes = sorted(c for c in unit_names(province) if c != province)

    def both(session, unit):  # type: ignore[no-untyped-def]
        shown = service.overview(session, unit_code=unit, province_code=province, principal=leader)
        asked = triage.triage(session, principal=leader, group=True, page_size=service.OVERVIEW_ALERT_GROUPS,
                              filters=triage.Filters(state="alerting", unit=unit))
        return ([(g.rule.id, [r.id for r in g.rows]) for g in shown.alerts], shown.alert_total, shown.alert_groups,
                [(g.rule.id, [r.id for r in g.rows]) for g in asked.groups], asked.total, asked.total_groups)

    with demo_province.db.session() as session:
        seen_alerts = 0
        for unit in [None, *communes[::8]]:
            mine, total, groups, theirs, their_total, their_groups = both(session, unit)
            assert (mine, total, groups) == (theirs, their_total, their_groups), unit
            seen_alerts += total
        assert seen_alerts > 0  # the demo has open alerts: the comparison is not between empty lists
        # An alert that clears shows at the next request (the change markers are part of the key).
        instance = session.scalars(select(AlertInstance).where(AlertInstance.state == "Alerting")).first()
        assert instance is not None
        instance.state = "Normal"
        instance.since = utcnow()
        session.commit()
        mine, total, groups, theirs, their_total, their_groups = both(session, None)
        assert (mine, total, groups) == (theirs, their_total, their_groups)
        assert instance.id not in {i for _, ids in mine for i in ids}
