"""The wall screen in a real headless Chromium: fills 1920×1080 and 3840×2160 without scrollbars, advances by
itself, survives a network outage and a server restart without a reload, reloads for a new release and hourly."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_wall_api import load_wall_data

from conftest import ONE_STORE, free_port
from dieuhanh.core.security import SYSTEM
from dieuhanh.dashboard import service as dashboard

SIZES = [(1920, 1080), (3840, 2160)]
VIEW_API = "**/api/v1/boards/*/view*"
# Layout and the wall's own scripts (playlist, outage banner, reloads): on one store (conftest.ONE_STORE); the wall's
# data on both stores is tests/dashboard/test_wall_api.py's.
pytestmark = ONE_STORE


def open_wall(page, base: str, username: str, query: str, password: str = "mat-khau-thu-nghiem") -> None:
    """Sign in through the form and land on the wall (the wall PC signs in once)."""
    from urllib.parse import quote

    page.goto(f"{base}/login?next={quote('/wall' + query)}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/wall.*"))
    page.wait_for_selector(".wall-tile")


@pytest.fixture
def officer(db, warehouse, factory) -> str:  # type: ignore[no-untyped-def]
    """Health indicators computed, a custom board of ten KPI tiles (no map), and a signed-in-able officer."""
    codes = load_wall_data(db, warehouse)
    with db.session() as session:
        dashboard.create_board(session, principal=SYSTEM, slug="tiem-chung", title="Tiêm chủng mở rộng")
        for code in codes:
            dashboard.add_item(session, principal=SYSTEM, slug="tiem-chung", indicator_code=code)
    _, username, _ = factory.user("officer", agency="SYT")
    return username


def no_scrollbars(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
        " && document.documentElement.scrollHeight <= window.innerHeight"
        " && document.body.scrollWidth <= window.innerWidth && document.body.scrollHeight <= window.innerHeight"))


def inside_viewport(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    """Every matched element is fully on screen (overflow: hidden must not be hiding a cut-off tile)."""
    return bool(page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].every((e) => {
             const r = e.getBoundingClientRect();
             return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0
                    && r.right <= window.innerWidth && r.bottom <= window.innerHeight; })""", selector))


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SIZES, ids=["1080p", "4k"])
@pytest.mark.parametrize(("board", "tiles", "with_map"), [("health", 6, True), ("tiem-chung", 8, False)])
def test_wall_fills_the_screen_without_scrollbars(page, live_server, officer, tmp_path: Path, width, height,
                                                  board, tiles, with_map) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": width, "height": height})
    open_wall(page, live_server, officer, f"?board={board}")
    page.wait_for_selector(".wall-tile .tile-spark canvas")
    if with_map:
        page.wait_for_selector("[data-testid=wall-map] canvas")
    page.screenshot(path=str(tmp_path / f"wall-{board}-{width}x{height}.png"))
    assert (tmp_path / f"wall-{board}-{width}x{height}.png").stat().st_size > 10_000

    assert no_scrollbars(page)
    assert page.console_errors == []
    # Ten indicators: one screen holds 8 tiles (6 beside the map); the rest is the board's next page.
    assert page.locator(".wall-tile").count() == tiles
    assert inside_viewport(page, ".wall-tile, .wall-header, .wall-footer, [data-testid=wall-clock]")
    assert page.inner_text("[data-testid=wall-title]") == ("Y tế" if with_map else "Tiêm chủng mở rộng")
    assert "trang 1/2" in page.inner_text("#wall-position")
    # Clock (Asia/Ho_Chi_Minh) and the time of the last computation, both dd/mm/yyyy HH:MM.
    assert re.fullmatch(r"\d\d:\d\d", page.inner_text("#wall-time").strip())
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", page.inner_text("#wall-date").strip())
    assert re.fullmatch(r"Cập nhật lúc \d\d/\d\d/\d{4} \d\d:\d\d", page.inner_text("[data-testid=wall-updated]"))
    assert page.locator("[data-testid=wall-clock]").is_visible()
    # Legible from 5 m: the type scales with the screen (24 px root at 1920 px wide, 48 px at 3840 px) and a
    # value is at least ~3 rem; a value is never cut, a long name is ellipsised rather than pushing the grid.
    root = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert root == pytest.approx(24 * width / 1920, rel=0.02)
    value_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.tile-value .v')).fontSize)")
    assert value_px >= 2.5 * root
    assert page.evaluate("[...document.querySelectorAll('.tile-value .v')].every(e => e.scrollWidth <= e.clientWidth)")
    long_name = page.locator(".wall-tile[data-code=wall_tiem_01] .tile-name")
    assert long_name.evaluate("e => e.scrollHeight > e.clientHeight")  # clamped to two lines
    statuses = set(page.eval_on_selector_all(".wall-tile", "els => els.map(e => e.className)"))
    assert any("status-good" in s for s in statuses) and any("status-critical" in s for s in statuses)


@pytest.mark.browser
def test_playlist_advances_through_pages_and_boards(page, live_server, officer) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_wall(page, live_server, officer, "?board=overview,health&interval=3")
    title = page.locator("[data-testid=wall-title]")
    assert title.inner_text() == "Tổng quan"
    page.wait_for_function("document.querySelector('[data-testid=wall-title]').textContent === 'Y tế'",
                           timeout=10_000)
    first_page = set(page.eval_on_selector_all(".wall-tile", "els => els.map(e => e.dataset.code)"))
    page.wait_for_function("document.getElementById('wall-position').textContent.includes('trang 2/2')",
                           timeout=10_000)
    second_page = set(page.eval_on_selector_all(".wall-tile", "els => els.map(e => e.dataset.code)"))
    assert first_page and second_page and not first_page & second_page
    page.wait_for_function("document.querySelector('[data-testid=wall-title]').textContent === 'Tổng quan'",
                           timeout=10_000)
    assert no_scrollbars(page)
    assert page.console_errors == []


def _only_failed_loads(errors: list[str]) -> bool:
    return all("Failed to load resource" in e for e in errors)


@pytest.mark.browser
def test_network_outage_shows_banner_keeps_content_and_recovers_without_reload(page, live_server, officer) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_wall(page, live_server, officer, "?board=overview,health&interval=2")
    page.evaluate("window.__sameDocument = 'yes'")
    banner = page.locator("[data-testid=wall-banner]")
    assert banner.is_hidden()

    page.route(VIEW_API, lambda route: route.abort("internetdisconnected"))  # the network is gone
    banner.wait_for(state="visible", timeout=10_000)
    assert "Mất kết nối — đang thử lại" in banner.inner_text()
    assert page.locator(".wall-tile").count() > 0  # the last content stays on screen
    shown = page.inner_text("[data-testid=wall-title]")
    time.sleep(3)
    assert page.inner_text("[data-testid=wall-title]") == shown  # nothing advances while offline

    page.unroute(VIEW_API)  # the network is back
    banner.wait_for(state="hidden", timeout=35_000)
    page.wait_for_function(f"document.querySelector('[data-testid=wall-title]').textContent !== {shown!r}",
                           timeout=10_000)
    assert page.evaluate("window.__sameDocument") == "yes"  # recovered in place, no reload
    assert no_scrollbars(page)
    assert _only_failed_loads(page.console_errors)


class _Uvicorn:
    """A server we can stop and start again on the same port (a restart of `dieuhanh up`)."""

    def __init__(self, app, port: int) -> None:  # type: ignore[no-untyped-def]
        self.app, self.port = app, port
        self.server = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def restartable(app) -> Iterator[_Uvicorn]:  # type: ignore[no-untyped-def]
    server = _Uvicorn(app, free_port())
    server.start()
    yield server
    if server.server is not None and not server.server.should_exit:
        server.stop()


@pytest.mark.browser
def test_wall_recovers_after_a_server_restart(page, restartable, officer) -> None:  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{restartable.port}"
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_wall(page, base, officer, "?board=overview,health&interval=2")
    page.evaluate("window.__sameDocument = 'yes'")
    banner = page.locator("[data-testid=wall-banner]")

    restartable.stop()
    banner.wait_for(state="visible", timeout=15_000)
    assert page.locator(".wall-tile").count() > 0
    restartable.start()  # same port, same data: the session cookie is still valid
    banner.wait_for(state="hidden", timeout=40_000)
    shown = page.inner_text("[data-testid=wall-title]")
    page.wait_for_function(f"document.querySelector('[data-testid=wall-title]').textContent !== {shown!r}",
                           timeout=10_000)
    assert page.evaluate("window.__sameDocument") == "yes"
    assert _only_failed_loads(page.console_errors)
    restartable.stop()


@pytest.mark.browser
def test_wall_reloads_itself_when_the_server_build_changes(page, live_server, officer) -> None:  # type: ignore[no-untyped-def]
    import json

    page.set_viewport_size({"width": 1920, "height": 1080})
    open_wall(page, live_server, officer, "?board=overview,health&interval=2")
    page.evaluate("window.__sameDocument = 'yes'")
    changed = {"n": 0}

    def new_release(route) -> None:  # type: ignore[no-untyped-def]
        response = route.fetch()
        body = response.json()
        if changed["n"] == 0:  # the server answers once as a new release, then as itself again
            body["build"] = "9.9.9-nouveau"
        changed["n"] += 1
        route.fulfill(response=response, body=json.dumps(body))

    page.route(VIEW_API, new_release)
    with page.expect_event("load", timeout=15_000):
        pass
    page.wait_for_selector(".wall-tile")
    assert page.evaluate("window.__sameDocument") is None  # a fresh document
    assert page.url.endswith("/wall?board=overview,health&interval=2")


@pytest.mark.browser
def test_wall_reloads_itself_after_an_hour_once_the_server_answers(page, live_server, officer) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.clock.install()
    open_wall(page, live_server, officer, "?board=overview&interval=60")
    page.evaluate("window.__sameDocument = 'yes'")
    page.clock.fast_forward("59:00")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__sameDocument") == "yes"  # refreshes in place within the hour
    with page.expect_event("load", timeout=15_000):
        page.clock.fast_forward("02:00")
    page.wait_for_selector(".wall-tile")
    assert page.evaluate("window.__sameDocument") is None
