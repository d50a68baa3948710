"""The forecasting pages in a real headless Chromium: the traffic map with its link detail, the waste sliders."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_fc_service import _waste_data, load_network

from conftest import ONE_STORE, sign_in
from dieuhanh.core.security import SYSTEM
from dieuhanh.forecasting import traffic


@pytest.mark.browser
@ONE_STORE
def test_traffic_and_waste_pages(page, live_server, db, warehouse, factory):
    with db.session() as s:
        load_network(s, warehouse)
        traffic.refresh(s, warehouse, principal=SYSTEM, models=("ridge",))
        _waste_data(s, warehouse)
    _id, user, pw = factory.user("analyst")
    sign_in(page, live_server, user, pw)
    page.goto(f"{live_server}/giao-thong?link=L0")
    page.wait_for_function("document.querySelectorAll('#traffic-map canvas').length > 0")
    page.wait_for_function("document.querySelectorAll('#link-forecasts tbody tr').length === 3")
    assert "QL1A: đoạn 0" in page.locator("#link-title").inner_text()
    rows = page.locator("#link-forecasts tbody tr").all_inner_texts()
    assert rows[0].startswith("15 phút")
    page.click("[data-testid=horizon-60]")
    page.click("a.fc-link[data-link=L2]")
    page.wait_for_function("document.querySelector('#link-title').textContent.includes('đoạn 2')")
    page.goto(f"{live_server}/du-bao/chat-thai")
    page.wait_for_function("document.querySelector('#waste-summary').textContent.includes('tấn/ngày')")
    before = page.locator("#waste-table tbody tr").count()
    page.locator("#waste-form input[name=years]").fill("3")
    page.wait_for_function("document.querySelectorAll('#waste-table tbody tr').length === 4")
    assert before == 11
    # An analyst saves the sliders as a scenario and lands on it.
    page.fill("#waste-save input[name=name]", "Ba năm thử")
    page.click("#waste-save button[type=submit]")
    page.wait_for_url("**/du-bao/chat-thai?scenario=*")
    assert page.locator("#w-scenario option:checked").inner_text() == "Ba năm thử"
    expect(page.locator("#waste-table tbody tr")).to_have_count(4)
    assert page.console_errors == []
