"""Pages in a real headless Chromium (Debian's chromium driven by Playwright)."""

from __future__ import annotations

import pytest

from conftest import ONE_STORE, sign_in

# Menus, forms, CSRF and HTMX in a browser: on one store (conftest.ONE_STORE); the same routes on both stores are
# tested in tests/orgs and tests/geo.
pytestmark = ONE_STORE

BASE = {"Tổng quan", "Đơn vị hành chính", "Cơ quan, đơn vị", "Cổng dữ liệu mở", "Bộ chỉ số", "Cảnh báo", "Chỉ đạo",
        "Bảng điều hành", "Bản đồ", "Báo cáo định kỳ", "Dịch vụ công", "Xử lý phản ánh", "Gửi phản ánh",
        "Bản đồ phản ánh", "Văn bản đến",
        # the operations room (issue 18) and the forecasts (issue 22), for every signed-in role
        "Phòng điều hành", "Sự cố", "Camera, cảm biến", "Quy trình xử lý", "Giao thông", "Dự báo chất thải rắn",
        "Dự báo đạt chỉ tiêu",
        # environment monitoring (issue 19)
        "Quan trắc không khí",
        # inspections without overlap (issue 21)
        "Thanh tra, kiểm tra DN",
        # DTI and the national indices (issue 23), for every signed-in role
        "Chuyển đổi số (DTI)", "Chính quyền số"}
DATA = {"Kho dữ liệu", "Chất lượng, cập nhật", "Nguồn dữ liệu tự động", "Bản tin không nạp được"}
# Each role's menu shows what the role uses (web/templating.py HIDDEN_FOR_ROLE): a leader does not see the
# ingestion plumbing, SQL or the citizens' submission form; the pages stay reachable by address.
MENUS = {
    "admin": BASE | DATA | {"Truy vấn SQL", "Người dùng", "Mã truy cập API", "Nhật ký thay đổi"},
    "leader": (BASE - {"Gửi phản ánh", "Đơn vị hành chính"}) | {"Kho dữ liệu", "Chất lượng, cập nhật"},
    "analyst": BASE | DATA | {"Truy vấn SQL"},
    "officer": (BASE - {"Đơn vị hành chính", "Bản đồ phản ánh"}) | (DATA - {"Bản tin không nạp được"}),
}



@pytest.mark.browser
@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_sees_its_menu(role, page, live_server, factory):
    _, username, _ = factory.user(role, agency="SYT" if role == "officer" else None)
    sign_in(page, live_server, username)
    links = set(page.locator("[data-testid=sidebar] a .label").all_inner_texts())
    assert {link.strip() for link in links} == MENUS[role]
    assert username in page.inner_text("[data-testid=user-menu]")
    # No horizontal scrollbar at 1366×768 and no script errors.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.console_errors == []


@pytest.mark.browser
def test_officer_edits_own_agency_but_gets_403_for_another(page, live_server, factory):
    _, username, _ = factory.user("officer", agency="SYT")
    sign_in(page, live_server, username)
    page.goto(f"{live_server}/agencies/SYT")
    page.fill("input[name=phone]", "0226 3852 000")
    page.click("[data-testid=agency-form] button[type=submit]")
    page.wait_for_url("**/agencies/SYT?saved=1")
    assert page.input_value("input[name=phone]") == "0226 3852 000"
    # Another agency's page has no form, and posting to it anyway is refused.
    page.goto(f"{live_server}/agencies/SGDDT")
    assert page.locator("[data-testid=agency-form]").count() == 0
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    response = page.request.post(f"{live_server}/agencies/SGDDT", form={"phone": "1", "csrf_token": token})
    assert response.status == 403
    assert "không có quyền" in response.text()


@pytest.mark.browser
def test_form_post_without_csrf_is_refused(page, live_server, factory):
    _, username, _ = factory.user("admin")
    sign_in(page, live_server, username)
    response = page.request.post(f"{live_server}/admin/users", form={"username": "gia-mao", "role": "admin"})
    assert response.status == 403
    page.goto(f"{live_server}/admin/users")
    assert "gia-mao" not in page.inner_text("table")


@pytest.mark.browser
def test_admin_creates_a_token_sees_it_once_and_revokes_it(page, live_server, factory):
    _, username, _ = factory.user("admin")
    sign_in(page, live_server, username)
    page.goto(f"{live_server}/admin/tokens")
    page.fill("input[name=name]", "man-hinh-tuong")
    page.check("input[name=scopes][value=read]")
    page.click("[data-testid=token-form] button[type=submit]")
    secret = page.inner_text("[data-testid=new-token]").strip()
    assert page.request.get(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).ok
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Thu hồi")
    page.wait_for_load_state()
    assert "Đã thu hồi" in page.inner_text("table")
    revoked = page.request.get(f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert revoked.status == 401


@pytest.mark.browser
def test_units_page_searches_without_diacritics_and_resolves_legacy_addresses(page, live_server):
    page.goto(f"{live_server}/units")
    page.fill("[data-testid=unit-search]", "phu ly")
    page.wait_for_function("document.querySelectorAll('#unit-rows tr').length === 1")
    assert "Phường Phủ Lý" in page.inner_text("#unit-rows")
    page.fill("[data-testid=address-input]", "xa Thanh Son, H. Kim Bang, T. Ha Nam")
    page.click("button:has-text('Tra cứu')")
    page.wait_for_selector("[data-testid=resolution]")
    assert "Phường Lý Thường Kiệt" in page.inner_text("[data-testid=resolution]")
    assert page.console_errors == []


@pytest.mark.browser
def test_home_map_draws_the_communes(page, live_server):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server}/")
    page.wait_for_function("document.querySelector('[data-testid=unit-map] canvas') !== null")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.console_errors == []
