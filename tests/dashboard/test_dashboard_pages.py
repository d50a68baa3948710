"""Pages: the overview `/` for each kind of visitor, the boards, board editing, the map, the indicator detail."""

from __future__ import annotations

import re
from datetime import date

import pytest
from dash_helpers import A, B, add_definition, add_series, add_value
from sqlalchemy import select

from conftest import login
from dieuhanh.alerts.directives import create_directive
from dieuhanh.core.security import SYSTEM
from dieuhanh.dashboard import service
from dieuhanh.orgs.catalogue import commune_agency_code


def _data(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_definition(session, "tiem_chung", domain="health", name="Tỷ lệ tiêm chủng đầy đủ",
                       legal_basis="Quyết định 1234/QĐ-BYT")
        add_definition(session, "giuong_benh", domain="health", unit="giường", levels=("province",),
                       name="Số giường bệnh")
        add_series(session, "tiem_chung", [90.0, 91.5], target=95.0, status="warning")
        add_series(session, "tiem_chung", [70.0, 77.25], unit=A, target=95.0, status="critical")
        add_value(session, "tiem_chung", "2024-02", 98.0, unit=B, status="good", batches=["lo-nap-b"])
        add_series(session, "giuong_benh", [1234.0, 1250.0])
        create_directive(session, principal=SYSTEM, agency_code="SYT", deadline=date(2020, 3, 1),
                         instruction="Tăng tỷ lệ tiêm chủng ở xã vùng sâu")


def test_anonymous_home_keeps_the_public_page(client, db):
    _data(db)
    page = client.get("/")
    assert page.status_code == 200
    assert "data-testid=\"unit-map\"" in page.text and "Đăng nhập" in page.text
    assert "Tỷ lệ tiêm chủng" not in page.text and "Chỉ đạo quá hạn" not in page.text
    for path in ("/boards", "/boards/health", "/map"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_leader_sees_the_overview_and_drills_to_a_commune(client, db, factory):
    _data(db)
    _, username, _ = factory.user("leader")
    login(client, username)
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert "Tổng quan" in text and "Tỷ lệ tiêm chủng đầy đủ" in text
    assert "91,5" in text and "1.250" in text  # latest province values, Vietnamese format
    assert 'href="/indicators/tiem_chung"' in text
    assert "Tăng tỷ lệ tiêm chủng ở xã vùng sâu" in text  # overdue directive panel
    assert 'data-testid="alerts-panel"' in text and 'data-testid="unit-map"' in text
    assert "echarts.min.js" in text and "map.js" in text
    commune = client.get("/", params={"unit": A})
    assert commune.status_code == 200
    assert "77,25" in commune.text and f'href="/indicators/tiem_chung?unit={A}"' in commune.text
    assert "Số giường bệnh" not in commune.text  # province-only indicator
    assert 'data-testid="crumb-province"' in commune.text
    assert client.get("/", params={"unit": "00000"}).status_code == 404


def test_commune_officer_home_is_their_commune(client, db, factory):
    _data(db)
    _, username, _ = factory.user("officer", agency=commune_agency_code(A))
    response, _ = login(client, username)
    assert response.headers["location"] == "/"
    page = client.get("/")
    assert page.status_code == 200 and "77,25" in page.text and "91,5" not in page.text
    # they can still look at the province
    assert "91,5" in client.get("/", params={"unit": ""}).text


@pytest.mark.parametrize("role", ["admin", "leader", "analyst", "officer"])
def test_every_role_gets_home_and_boards(client, db, factory, role):
    _data(db)
    _, username, _ = factory.user(role, agency="SYT" if role == "officer" else None)
    login(client, username)
    assert client.get("/").status_code == 200
    boards = client.get("/boards")
    assert boards.status_code == 200 and "Kinh tế – xã hội" in boards.text and "Phản ánh hiện trường" in boards.text
    health = client.get("/boards/health")
    assert health.status_code == 200 and "Tỷ lệ tiêm chủng đầy đủ" in health.text
    assert client.get("/boards/khong-co").status_code == 404
    edit = client.get("/boards/health/edit")
    assert edit.status_code == (200 if role in ("admin", "analyst") else 403)


def test_analyst_edits_a_board_through_the_forms(client, db, factory):
    _data(db)
    _, username, _ = factory.user("analyst")
    _, csrf = login(client, username)
    page = client.get("/boards/traffic/edit")
    assert page.status_code == 200 and 'data-testid="add-item"' in page.text
    response = client.post("/boards/traffic/items", data={"indicator_code": "tiem_chung", "chart_kind": "table",
                                                           "span": "2", "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    with db.session() as session:
        items = service.get_board(session, "traffic").items
        assert [(i.indicator_code, i.chart_kind, i.span) for i in items][-1] == ("tiem_chung", "table", 2)
        item_id = items[-1].id
    board = client.get("/boards/traffic")
    assert 'data-testid="commune-table"' in board.text and "98" in board.text
    refused = client.post("/boards/traffic/items", data={"indicator_code": "giuong_benh", "chart_kind": "map",
                                                         "span": "1", "csrf_token": csrf})
    assert refused.status_code == 422 and "không tính theo xã" in refused.text
    no_csrf = client.post(f"/boards/traffic/items/{item_id}/delete", follow_redirects=False)
    assert no_csrf.status_code == 403
    deleted = client.post(f"/boards/traffic/items/{item_id}/delete", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert deleted.status_code == 303
    with db.session() as session:
        assert item_id not in [i.id for i in service.get_board(session, "traffic").items]
    created = client.post("/boards", data={"slug": "giao-ban", "title": "Giao ban tuần", "csrf_token": csrf},
                          follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/boards/giao-ban/edit"


def test_leader_cannot_edit_boards(client, db, factory):
    _data(db)
    _, username, _ = factory.user("leader")
    _, csrf = login(client, username)
    response = client.post("/boards/health/items", data={"indicator_code": "tiem_chung", "chart_kind": "kpi",
                                                         "span": "1", "csrf_token": csrf})
    assert response.status_code == 403


def test_map_page_ranks_the_communes(client, db, factory):
    _data(db)
    _, username, _ = factory.user("leader")
    login(client, username)
    page = client.get("/map", params={"indicator": "tiem_chung"})
    assert page.status_code == 200
    ranking = page.text[page.text.index('data-testid="ranking"'):]
    names = re.findall(r'title="Bảng điều hành của ([^"]+)"', ranking)
    with db.session() as session:
        from dieuhanh.geo.models import AdminUnit

        name_a = session.scalar(select(AdminUnit.name).where(AdminUnit.code == A))
        name_b = session.scalar(select(AdminUnit.name).where(AdminUnit.code == B))
    assert names.index(name_b) < names.index(name_a)  # 98 before 77,25
    assert f"/indicators/tiem_chung?unit={A}" in page.text
    assert client.get("/map", params={"indicator": "giuong_benh"}).status_code == 422
    assert client.get("/map", params={"indicator": "khong_co"}).status_code == 404
    assert client.get("/map").status_code == 200  # the first indicator with commune values


def test_indicator_detail_drills_to_a_commune(client, db, factory):
    _data(db)
    _, username, _ = factory.user("leader")
    login(client, username)
    page = client.get("/indicators/tiem_chung")
    assert page.status_code == 200
    for text in ("Quyết định 1234/QĐ-BYT", 'data-testid="unit-map"', 'data-testid="commune-values"',
                 'data-testid="lineage"', "Sở Y tế", "Mục tiêu"):
        assert text in page.text, text
    commune = client.get("/indicators/tiem_chung", params={"unit": A})
    assert commune.status_code == 200
    assert "77,25" in commune.text and 'data-testid="crumb-province"' in commune.text
    assert client.get("/indicators/tiem_chung", params={"unit": "00000"}).status_code == 404
    with_batches = client.get("/indicators/tiem_chung", params={"unit": B})
    # The series counts the load batches behind each value (the lineage section lists them by time and source);
    # internal batch ids are not shown.
    assert "98" in with_batches.text and "lo-nap-b" not in with_batches.text
    assert "Chỉ số này chỉ tính cho toàn tỉnh" in client.get("/indicators/giuong_benh").text
