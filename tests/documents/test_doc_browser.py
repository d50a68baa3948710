"""The leader's pages in a real headless Chromium: the register at an office laptop's size and on a phone, and the
bút phê in one click (layout and page behaviour: SQLite only, see conftest.ONE_STORE)."""

from __future__ import annotations

from datetime import date

import pytest
from doc_helpers import FINANCE_TEXT

from conftest import ONE_STORE, sign_in, watched_page
from dieuhanh.core.security import SYSTEM
from dieuhanh.documents import service
from dieuhanh.documents.schemas import DocumentIn


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@ONE_STORE
@pytest.mark.browser
def test_leader_reads_and_assigns_on_a_laptop_and_a_phone(page, browser_instance, live_server, factory, db):
    with db.session() as s:
        doc = service.register(s, principal=SYSTEM, data=DocumentIn(text=FINANCE_TEXT, ArrivalDate=date(2026, 3, 6)))
        doc_id = doc.document.id
    _, leader, _ = factory.user("leader")
    sign_in(page, live_server, leader)
    page.goto(f"{live_server}/van-ban")
    assert page.locator("[data-testid=documents] tbody tr").count() == 1
    assert fits(page)
    page.click(f"[data-testid=row-{doc_id}] a")
    page.wait_for_selector("[data-testid=routing]")
    assert page.locator("[data-testid=code]").inner_text().startswith("1234/BTC-NSNN")
    assert "trước 16 giờ ngày 15/4/2026" in page.locator("[data-testid=deadlines]").inner_text()
    assert page.locator("[data-testid=lead]").input_value() == "STC"  # the keyword rules' proposal, preselected
    page.click("[data-testid=assign-submit]")
    page.wait_for_selector("[data-testid=assigned]")
    assert "Đã giao Sở Tài chính chủ trì" in page.locator("[data-testid=assigned]").inner_text()
    assert fits(page)
    assert page.console_errors == []

    context = browser_instance.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                           locale="vi-VN")
    phone = watched_page(context)
    try:
        sign_in(phone, live_server, leader)
        for url in ("/van-ban", f"/van-ban/{doc_id}", "/van-ban/thong-ke"):
            phone.goto(f"{live_server}{url}")
            assert fits(phone), url
        assert phone.console_errors == []
    finally:
        context.close()
