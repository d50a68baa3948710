"""The wall screen's page and JSON without a browser: who may open them, the playlist and interval parameters,
and the board content the screen refreshes (on both stores)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import login

sys.path.insert(0, str(Path(__file__).parents[1] / "indicators"))
from ind_helpers import COMMUNES, A, add_definition, create_and_load  # noqa: E402

from dieuhanh.core.security import SYSTEM  # noqa: E402
from dieuhanh.dashboard import service as dashboard  # noqa: E402
from dieuhanh.dashboard import wall  # noqa: E402
from dieuhanh.indicators import service as indicators  # noqa: E402

# Sorted by name on the health board, it stays on the first screen.
LONG_NAME = ("Chỉ số tiêm chủng số 2: tỷ lệ trẻ em dưới một tuổi được tiêm chủng đầy đủ các loại vắc xin theo "
             "Chương trình tiêm chủng mở rộng tại trạm y tế xã, phường và các điểm tiêm lưu động")
# (target → status on the province value 88 %): good, warning, critical, neutral (no target).
TARGETS = [80, 92, 120, None]


def load_wall_data(db, warehouse, count: int = 10) -> list[str]:  # type: ignore[no-untyped-def]
    """``count`` health indicators computed from a small dataset (two months, two communes): the health board
    gets ``count`` tiles, a line chart and a commune map; names, units and statuses vary."""
    create_and_load(db, warehouse)
    codes = []
    for i in range(count):
        code = f"wall_tiem_{i:02d}"
        target = TARGETS[i % len(TARGETS)]
        add_definition(db, code=code, name=LONG_NAME if i == 1 else f"Chỉ số tiêm chủng số {i + 1}",
                       unit="trẻ/1.000 trẻ dưới 1 tuổi" if i == 2 else "%",
                       targets={"2025": target} if target else {}, thresholds={})
        codes.append(code)
    with db.session() as session:
        summary = indicators.compute(session, warehouse, province_code="37", trigger="manual")
        assert summary.errors == {}
    dashboard.clear_cache()
    return codes


@pytest.fixture
def wall_data(db, warehouse) -> list[str]:  # type: ignore[no-untyped-def]
    return load_wall_data(db, warehouse)


def wall_config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="wall-config">(.*?)</script>', html, re.S)
    assert match, html[:500]
    return json.loads(match.group(1))


def test_anonymous_is_sent_to_login_and_refused_the_json(client, wall_data) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/wall?board=health", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    response = client.get("/api/v1/boards/health/view")
    assert response.status_code == 401
    assert "tiles" not in response.json()


def test_officer_gets_the_board_as_json(client, factory, wall_data) -> None:  # type: ignore[no-untyped-def]
    _, username, _ = factory.user("officer", agency="SYT")
    login(client, username)
    body = client.get("/api/v1/boards/health/view").json()
    assert body["board"] == {"slug": "health", "title": "Y tế", "domain": "health"}
    assert body["unit_code"] == "37" and body["level"] == "province"
    assert body["build"] == wall.BUILD
    assert body["updated_text"]  # dd/mm/yyyy HH:MM of the last computation
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", body["updated_text"])
    tiles = {t["code"]: t for t in body["tiles"] if t["chart_kind"] == "kpi"}
    assert set(tiles) == set(wall_data)
    first = tiles["wall_tiem_00"]
    assert first["value"] == pytest.approx(88.0) and first["value_text"] == "88"
    assert first["period"] == "2025-06" and first["period_text"] == "06/2025"
    assert first["trend_periods"] == ["2025-05", "2025-06"]
    assert first["trend"][0] == pytest.approx(140 / 150 * 100)
    assert first["status"] == "good" and first["target_text"] == "80"
    assert tiles["wall_tiem_02"]["status"] == "critical"
    assert tiles["wall_tiem_03"]["status"] == "neutral" and tiles["wall_tiem_03"]["target_text"] == ""
    assert first["href"] == "/indicators/wall_tiem_00"
    # The board's map item: commune values of its indicator for the latest period (no data is null, not 0).
    assert body["map"]["period"] == "2025-06"
    assert body["map"]["values"][A] == pytest.approx(96.0)
    assert body["map"]["values"][COMMUNES[2]] is None
    assert len(body["map"]["values"]) == len(COMMUNES)


def test_commune_view_and_unknown_commune(client, factory, wall_data) -> None:  # type: ignore[no-untyped-def]
    _, username, _ = factory.user("leader")
    login(client, username)
    body = client.get(f"/api/v1/boards/health/view?unit={A}").json()
    assert body["unit_code"] == A and body["level"] == "commune"
    assert body["map"]["highlight"] == A
    tile = next(t for t in body["tiles"] if t["code"] == "wall_tiem_00")
    assert tile["value"] == pytest.approx(96.0)
    assert client.get("/api/v1/boards/health/view?unit=99999").status_code == 404
    assert client.get("/api/v1/boards/khong-co/view").status_code == 404
    page = client.get(f"/wall?unit={A}")
    assert page.status_code == 200 and wall_config(page.text)["unit"] == A
    assert client.get("/wall?unit=99999").status_code == 404


def test_read_token_gets_the_json_but_another_scope_does_not(client, factory, wall_data) -> None:  # type: ignore[no-untyped-def]
    _, secret = factory.token(["read"], name="man-hinh-tuong")
    ok = client.get("/api/v1/boards/overview/view", headers={"Authorization": f"Bearer {secret}"})
    assert ok.status_code == 200 and ok.json()["board"]["slug"] == "overview"
    _, other = factory.token(["datasets"], agency="SYT")
    refused = client.get("/api/v1/boards/overview/view", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
    # The page itself takes no token in its URL (it would leak into logs and history).
    assert client.get(f"/wall?token={secret}", follow_redirects=False).status_code == 303


def test_playlist_defaults_to_every_board_in_order_and_follows_board_param(client, factory, wall_data) -> None:  # type: ignore[no-untyped-def]
    _, username, _ = factory.user("leader")
    login(client, username)
    config = wall_config(client.get("/wall").text)
    with client.app.state.db.session() as session:
        expected = [b.slug for b in dashboard.list_boards(session, SYSTEM)]
    assert [b["slug"] for b in config["boards"]] == expected and expected[0] == "overview"
    assert config["interval"] == wall.DEFAULT_INTERVAL and config["unit"] is None
    chosen = wall_config(client.get("/wall?board=health,overview,health").text)
    assert [b["slug"] for b in chosen["boards"]] == ["health", "overview"]
    assert [b["title"] for b in chosen["boards"]] == ["Y tế", "Tổng quan"]
    missing = client.get("/wall?board=health,khong-co")
    assert missing.status_code == 404 and "khong-co" in missing.text


@pytest.mark.parametrize(("raw", "status", "seconds"), [
    ("2", 200, 2), ("45", 200, 45), ("3600", 200, 3600), ("", 200, 30),
    ("1", 422, None), ("0", 422, None), ("-5", 422, None), ("3601", 422, None), ("abc", 422, None),
    ("2.5", 422, None),
])
def test_interval_is_validated(client, factory, raw, status, seconds) -> None:  # type: ignore[no-untyped-def]
    _, username, _ = factory.user("officer", agency="SYT")
    login(client, username)
    response = client.get("/wall", params={"interval": raw})
    assert response.status_code == status
    if status == 200:
        assert wall_config(response.text)["interval"] == seconds
    else:
        assert "từ 2 đến 3600" in response.text


def test_parse_interval_bounds() -> None:
    assert wall.parse_interval(None) == wall.DEFAULT_INTERVAL
    assert wall.parse_interval(" 10 ") == 10
    with pytest.raises(wall.InvalidInput):
        wall.parse_interval(str(wall.MIN_INTERVAL - 1))


def test_period_text() -> None:
    assert wall.period_text("2025-06") == "06/2025"
    assert wall.period_text("2025-Q2") == "Quý 2/2025"
    assert wall.period_text("2025") == "2025"
    assert wall.period_text(None) == "–"
