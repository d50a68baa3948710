"""The overview, the map and the indicator detail in a real headless Chromium at 1920×1080: drawn, no horizontal
scrollbar, no console errors, and a click on a commune of the map drills down to that commune."""

from __future__ import annotations

import re

import pytest
from dash_helpers import COMMUNES, MONTHS, add_definition, add_series, add_value

from conftest import ONE_STORE, sign_in
from dieuhanh.geo import reference

# Drawing, scrollbars and map clicks: on one store (conftest.ONE_STORE); the same pages' content on both stores is
# tests/dashboard/test_dashboard_pages.py's.
pytestmark = ONE_STORE
NAMES = {u.code: u.name for u in reference.communes_of("37")}


def _data(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_definition(session, "tiem_chung", domain="health", name="Tỷ lệ tiêm chủng đầy đủ")
        add_definition(session, "thu_ngan_sach", domain="socio_economy", unit="tỷ đồng", levels=("province",),
                       name="Thu ngân sách")
        add_series(session, "tiem_chung", [88.0 + i * 0.5 for i in range(14)], target=95.0, status="warning")
        add_series(session, "thu_ngan_sach", [900.0 + 25 * i for i in range(14)], status="neutral")
        for i, code in enumerate(COMMUNES[:-5]):  # the last five communes have no data
            for period in MONTHS[-2:]:
                value = 70.0 + (i * 7) % 30
                add_value(session, "tiem_chung", period, value, unit=code,
                          status="good" if value >= 95 else "warning" if value >= 85 else "critical")


def _sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1920, "height": 1080})
    sign_in(page, base, username)


def _no_horizontal_scrollbar(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _map_drawn(page, selector: str = "[data-testid=unit-map]") -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        """(sel) => { const el = document.querySelector(sel); const c = el && echarts.getInstanceByDom(el);
                      return !!(c && el.querySelector('canvas') && c.getOption().series.length); }""", arg=selector)


def _click_a_commune(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    """Click the middle of a commune's region on the ECharts map; returns the code of the commune clicked."""
    point = page.evaluate(
        """(sel) => { const el = document.querySelector(sel); const chart = echarts.getInstanceByDom(el);
                      const data = chart.getModel().getSeriesByIndex(0).getData();
                      const box = el.getBoundingClientRect();
                      for (let i = 0; i < data.count(); i++) {
                        const code = data.getName(i);
                        const geo = chart.getModel().getSeriesByIndex(0).coordinateSystem;
                        const region = geo && geo.getRegion ? geo.getRegion(code) : null;
                        if (!region) continue;
                        const [x, y] = chart.convertToPixel({seriesIndex: 0}, region.getCenter());
                        if (x > 20 && y > 20 && x < box.width - 20 && y < box.height - 20) {
                          return {code, x: box.left + x, y: box.top + y};
                        }
                      }
                      return null; }""", selector)
    assert point is not None
    page.mouse.click(point["x"], point["y"])
    return str(point["code"])


@pytest.mark.browser
def test_overview_at_1920_and_drill_down_by_clicking_the_map(page, live_server, db, factory, tmp_path):
    _data(db)
    _, username, _ = factory.user("leader")
    _sign_in(page, live_server, username)
    page.wait_for_selector("[data-testid=tile]")
    assert "Tỷ lệ tiêm chủng đầy đủ" in page.inner_text("[data-testid=tiles]")
    assert "Gần đạt" in page.inner_text("[data-testid=tiles]")
    _map_drawn(page)
    page.wait_for_selector("[data-spark] svg")  # trend sparklines drawn
    page.wait_for_selector("[data-testid=map-legend]")
    page.screenshot(path=str(tmp_path / "overview-1920.png"), full_page=True)
    assert _no_horizontal_scrollbar(page)
    assert page.console_errors == []
    # every number links to its indicator
    href = page.get_attribute("[data-testid=tile][data-code=tiem_chung]", "href")
    assert href == "/indicators/tiem_chung"
    # drill-down: a click on a commune of the map opens the overview of that commune
    _click_a_commune(page, "#overview-map")
    page.wait_for_url(re.compile(r".*/\?unit=\d{5}$"))
    clicked = page.url.rsplit("=", 1)[1]
    assert NAMES[clicked] in page.inner_text("h1") and "Tổng quan" in page.inner_text("h1")
    assert "Toàn tỉnh" not in page.inner_text("[data-testid=breadcrumbs]")
    assert "Tỉnh Ninh Bình" in page.inner_text("[data-testid=breadcrumbs]")
    assert page.console_errors == []
    page.click("[data-testid=crumb-province]")
    page.wait_for_url(re.compile(r".*/\?unit=$"))
    assert "Thu ngân sách" in page.inner_text("[data-testid=tiles]")


@pytest.mark.browser
def test_map_page_choropleth_with_legend(page, live_server, db, factory, tmp_path):
    _data(db)
    _, username, _ = factory.user("analyst")
    _sign_in(page, live_server, username)
    page.goto(f"{live_server}/map?indicator=tiem_chung")
    _map_drawn(page, "#full-map")
    legend = page.inner_text("[data-testid=map-legend]")
    assert "Chưa có số liệu" in legend and "70" in legend
    colours = page.evaluate(
        """() => { const c = echarts.getInstanceByDom(document.getElementById('full-map'));
                   return [...new Set(c.getOption().series[0].data.map(d => d.itemStyle.areaColor))]; }""")
    assert len(colours) >= 4  # classes of values, and grey for the communes without data
    page.screenshot(path=str(tmp_path / "map-1920.png"), full_page=True)
    assert _no_horizontal_scrollbar(page)
    assert page.console_errors == []
    _click_a_commune(page, "#full-map")
    page.wait_for_url(re.compile(r".*/indicators/tiem_chung\?unit=\d{5}.*"))
    clicked = re.search(r"unit=(\d{5})", page.url).group(1)
    assert NAMES[clicked] in page.inner_text("h1")


@pytest.mark.browser
def test_indicator_detail_at_1920(page, live_server, db, factory, tmp_path):
    _data(db)
    _, username, _ = factory.user("leader")
    _sign_in(page, live_server, username)
    page.goto(f"{live_server}/indicators/tiem_chung")
    page.wait_for_selector("[data-testid=chart] canvas")
    _map_drawn(page, "#ind-map")
    assert "mục tiêu 95" in page.inner_text("[data-testid=current-value]")
    page.screenshot(path=str(tmp_path / "indicator-1920.png"), full_page=True)
    assert _no_horizontal_scrollbar(page)
    assert page.console_errors == []
    page.select_option("[data-testid=unit-select]", COMMUNES[0])
    page.wait_for_url(re.compile(rf".*unit={COMMUNES[0]}.*"))
    assert NAMES[COMMUNES[0]] in page.inner_text("h1")
    page.wait_for_selector("[data-testid=chart] canvas")
    assert _no_horizontal_scrollbar(page)
    assert page.console_errors == []
