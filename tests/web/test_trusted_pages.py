"""A leader's screens on a fresh demo province, in Chromium: names, never raw agency or commune codes, in the
visible text of `/`, `/alerts`, `/boards/public_services` and `/wall`; the phone layout at 390×844; `/docs`
offline with Vietnamese summaries."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from conftest import ONE_STORE, sign_in, watched_page
from dieuhanh.geo import reference
from dieuhanh.orgs.models import Agency

pytestmark = [ONE_STORE, pytest.mark.browser]
PAGES = ("/", "/alerts", "/boards/public_services", "/wall")


@pytest.fixture
def app(demo_province):  # type: ignore[no-untyped-def]
    """The application on the demo province (conftest's ``live_server`` serves it)."""
    from dieuhanh.app import create_app

    return create_app(demo_province.settings, database=demo_province.db, warehouse=demo_province.warehouse)


@pytest.fixture
def demo_server(live_server: str) -> str:
    return live_server


def _password(demo_province, username: str) -> str:  # type: ignore[no-untyped-def]
    return next(p for u, _role, p in demo_province.credentials if u == username)


def _codes(demo_province) -> re.Pattern[str]:  # type: ignore[no-untyped-def]
    """Whole-word agency codes (but "UBND", a word of every committee's name) and commune codes."""
    with demo_province.db.session() as s:
        agencies = [c for c in s.scalars(select(Agency.code)) if c != "UBND"]
    communes = [u.code for u in reference.communes_of("37")]
    words = sorted(set(agencies) | set(communes), key=len, reverse=True)
    return re.compile(r"(?<![\w.,])(" + "|".join(map(re.escape, words)) + r")(?![\w])")


def test_no_raw_agency_or_commune_code_on_the_leaders_screens(browser_instance, demo_server, demo_province):
    codes = _codes(demo_province)
    context = browser_instance.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    page = watched_page(context)
    try:
        sign_in(page, demo_server, "lanhdao", _password(demo_province, "lanhdao"))
        for path in PAGES:
            page.goto(f"{demo_server}{path}")
            if path == "/wall":
                page.wait_for_selector(".wall-tile", timeout=30_000)
            else:
                page.wait_for_load_state("networkidle")
            text = page.inner_text("body")
            found = sorted(set(codes.findall(text)))
            assert not found, f"{path}: mã thay cho tên: {found}"
            assert "DỮ LIỆU MẪU" in text, path
        # The alert groups of the demo: each title names a count of communes or agencies, not codes.
        page.goto(f"{demo_server}/alerts")
        groups = page.locator("[data-testid=alert-group] .group-title").all_inner_texts()
        assert groups and all(" — " in g for g in groups)
        page.locator("details.alert-group").first.click()
        opened = page.inner_text("[data-testid=alert-groups]")
        assert not codes.findall(opened)
        assert page.console_errors == []
    finally:
        context.close()


def test_phone_layout_menu_and_tables(browser_instance, demo_server, demo_province):
    context = browser_instance.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN",
                                           is_mobile=True, has_touch=True)
    page = watched_page(context)
    try:
        sign_in(page, demo_server, "lanhdao", _password(demo_province, "lanhdao"))
        for path in ("/", "/alerts", "/directives"):
            page.goto(f"{demo_server}{path}")
            page.wait_for_load_state("networkidle")
            # Nothing wider than the phone: wide tables stack or scroll inside their own box.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
            assert not page.locator("[data-testid=sidebar]").is_visible(), path
            badge = page.locator("[data-testid=user-menu]").bounding_box()
            assert badge is not None and badge["x"] + badge["width"] <= 390
        page.click("[data-testid=nav-toggle]")
        menu = page.locator("[data-testid=sidebar]")
        assert menu.is_visible()
        labels = {t.strip() for t in menu.locator("a .label").all_inner_texts()}
        assert "Cảnh báo" in labels and "Bảng điều hành" in labels
        assert "Nguồn dữ liệu tự động" not in labels and "Truy vấn SQL" not in labels  # a leader's menu
        page.click("[data-testid=nav-close]")
        assert not menu.is_visible()
        assert page.console_errors == []
    finally:
        context.close()


def test_docs_work_offline_with_vietnamese_summaries(browser_instance, demo_server):
    context = browser_instance.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = watched_page(context)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(demo_server) else None)
    try:
        page.goto(f"{demo_server}/docs")
        page.wait_for_selector(".opblock-summary-description", timeout=30_000)
        # Swagger UI renders only the tags near the viewport: scroll through the page collecting what it shows
        seen: set[str] = set()
        for _ in range(200):
            seen.update(page.locator(".opblock-summary-description").all_inner_texts())
            if page.evaluate("window.scrollY + window.innerHeight >= document.body.scrollHeight - 2"):
                break
            page.mouse.wheel(0, 600)
            page.wait_for_timeout(50)
        summaries = sorted(seen)
        assert "Danh sách cảnh báo (lọc, nhóm theo quy tắc, phân trang)" in summaries
        assert "Giá trị của chỉ số theo kỳ và đơn vị (kỳ tạm tính được đánh dấu)" in summaries
        assert outside == []  # no CDN, no validator badge: works without internet
        assert page.console_errors == []
    finally:
        context.close()
