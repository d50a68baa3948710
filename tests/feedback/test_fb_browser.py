"""A citizen reports from a phone (390×844) and an officer answers in the inbox, in a real headless Chromium."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from PIL import Image
from playwright.sync_api import expect

from conftest import sign_in, watched_page

PHU_LY = (20.5308, 105.9308)  # well inside Phường Phủ Lý


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), "orange").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def phone(browser_instance, live_server) -> Iterator:  # type: ignore[no-untyped-def]
    """A phone-sized browser page (390×844, touch) that records console errors like the ``page`` fixture."""
    # bypass_csp as the ``page`` fixture: Playwright runs wait_for_function strings with eval, which the CSP blocks
    # (the policy itself is tested with it on in tests/security/test_xss_headers.py)
    context = browser_instance.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                           is_mobile=True, has_touch=True, locale="vi-VN", bypass_csp=True)
    context.grant_permissions(["geolocation"], origin=live_server)
    context.set_geolocation({"latitude": PHU_LY[0], "longitude": PHU_LY[1]})
    yield watched_page(context)
    context.close()


def no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))



@pytest.mark.browser
def test_citizen_reports_from_a_phone_and_an_officer_answers(phone, page, live_server, factory):
    base = live_server
    phone.goto(f"{base}/phan-anh")
    assert no_horizontal_scroll(phone)
    assert not phone.locator("[data-testid=sidebar]").is_visible()  # the form comes first on a phone

    # An emergency shows the numbers to call instead of the form.
    phone.get_by_text("Cháy, nổ", exact=True).click()
    assert phone.locator("[data-testid=emergency]").is_visible()
    assert phone.locator("[data-testid=call-114]").get_attribute("href") == "tel:114"
    assert not phone.locator("[data-testid=submit]").is_visible()
    phone.get_by_text("Rác thải và vệ sinh môi trường", exact=True).click()
    assert not phone.locator("[data-testid=emergency]").is_visible()
    assert phone.locator("select[name='attribute[loai_rac]']").is_visible()

    # Location: the phone's position, then a point chosen on the commune map.
    phone.click("[data-testid=use-gps]")
    status = phone.locator("[data-testid=location-status]")
    phone.wait_for_function("document.querySelector('[data-testid=location-status]').textContent.includes('Phủ Lý')")
    assert "Vị trí của bạn" in status.inner_text()
    phone.wait_for_function("window.fbReportMap !== undefined")
    phone.locator("[data-testid=report-map]").scroll_into_view_if_needed()
    x, y = phone.evaluate(f"window.fbReportMap.convertToPixel({{geoIndex: 0}}, [{PHU_LY[1]}, {PHU_LY[0]}])")
    box = phone.locator("[data-testid=report-map]").bounding_box()
    phone.mouse.click(box["x"] + x, box["y"] + y)
    phone.wait_for_function("document.querySelector('[data-testid=location-status]').textContent"
                            ".startsWith('Điểm chọn trên bản đồ')")
    assert "Phường Phủ Lý" in status.inner_text()
    assert phone.input_value("input[name=location_source]") == "map"
    lat, lon = float(phone.input_value("input[name=lat]")), float(phone.input_value("input[name=lon]"))
    assert abs(lat - PHU_LY[0]) < 0.03 and abs(lon - PHU_LY[1]) < 0.03  # a few pixels on a phone-sized map

    # An address in its pre-2025 form resolves to the current commune while typing; so does the new form.
    resolved = "document.querySelector('[data-testid=address-resolved]').textContent"
    phone.fill("input[name=address_string]", "xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam")
    phone.wait_for_function(f"{resolved}.startsWith('→ Phường Lý Thường Kiệt')")
    phone.fill("input[name=address_string]", "số 12 đường Trần Hưng Đạo, Phường Phủ Lý")
    phone.wait_for_function(f"{resolved}.startsWith('→ Phường Phủ Lý')")

    description = "Rác thải sinh hoạt đổ tràn ra vỉa hè trước số nhà 12, đã ba ngày chưa được thu gom."
    phone.fill("textarea[name=description]", description)
    assert phone.inner_text("[data-testid=counter]").startswith(f"{len(description)}/4.000")
    phone.set_input_files("input[name=photos]", files=[{"name": "rac.png", "mimeType": "image/png", "buffer": png()}])
    expect(phone.locator("#fb-previews img")).to_have_count(1)
    phone.fill("input[name=email]", "nguoi.dan.thu@example.com")
    assert no_horizontal_scroll(phone)
    phone.click("[data-testid=submit]")
    phone.wait_for_url(re.compile(r".*/phan-anh/PA-\d{4}-\d{6}\?k=[A-Za-z0-9_-]+&da_gui=1$"))
    code = phone.inner_text("[data-testid=tracking-code]").strip()
    assert re.fullmatch(r"PA-\d{4}-\d{6}", code)
    assert "Hãy lưu lại đường liên kết này" in phone.inner_text("[data-testid=keep-link]")
    assert no_horizontal_scroll(phone)
    # The citizen keeps the link shown after sending (it holds the key that rating needs) and follows it.
    own_link = phone.inner_text("[data-testid=tracking-link]").strip()
    assert re.fullmatch(rf"{re.escape(base)}/phan-anh/{code}\?k=[A-Za-z0-9_-]{{24}}", own_link)
    phone.click("[data-testid=tracking-link]")
    phone.wait_for_url(own_link)
    assert phone.inner_text("[data-testid=status]") == "Mới tiếp nhận"
    assert phone.locator("[data-testid=photos] img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert "example.com" not in phone.content()
    assert no_horizontal_scroll(phone)

    # The officer of Phủ Lý answers it from the inbox.
    _, officer, _ = factory.user("officer", agency="UBND13285")
    sign_in(page, base, officer)
    page.click("[data-testid=sidebar] a:has-text('Xử lý phản ánh')")
    page.wait_for_url(f"{base}/xu-ly-phan-anh")
    page.click(f"[data-testid=row-{code}] a")
    page.wait_for_url(f"{base}/xu-ly-phan-anh/{code}")
    assert "nguoi.dan.thu@example.com" in page.inner_text("[data-testid=contact]")
    page.click("[data-testid=action-accept] button[type=submit]")
    page.wait_for_url(f"{base}/xu-ly-phan-anh/{code}?ok=accept")
    reply = "Tổ vệ sinh môi trường phường Phủ Lý đã thu gom hết rác trước số nhà 12 sáng nay."
    page.fill("[data-testid=action-resolve] textarea[name=note_public]", reply)
    page.fill("[data-testid=action-resolve] textarea[name=note_internal]", "Đã nhắc hộ kinh doanh đầu ngõ.")
    page.click("[data-testid=action-resolve] button[type=submit]")
    page.wait_for_url(f"{base}/xu-ly-phan-anh/{code}?ok=resolve")
    assert page.inner_text("[data-testid=status]") == "Đã trả lời"
    assert page.console_errors == []

    # With the code alone (as anyone on the map) the answer shows but no rating form.
    phone.goto(f"{base}/phan-anh/{code}")
    assert phone.inner_text("[data-testid=public-reply]") == reply
    assert phone.locator("[data-testid=rate-form]").count() == 0
    assert phone.locator("[data-testid=needs-key]").is_visible()
    # The citizen opens their own link, sees the answer (not the internal note) and rates it.
    phone.goto(own_link)
    assert phone.inner_text("[data-testid=public-reply]") == reply
    assert "nhắc hộ kinh doanh" not in phone.content()
    phone.click("[data-testid=rate-yes]")
    phone.wait_for_url(f"{own_link}&da_danh_gia=1")
    assert "Hài lòng" in phone.inner_text("[data-testid=rating]")
    assert phone.locator("[data-testid=rate-form]").count() == 0
    assert no_horizontal_scroll(phone)

    # The public map lists it, with its point.
    phone.goto(f"{base}/phan-anh/ban-do")
    phone.wait_for_function("window.fbPublicMap !== undefined")
    assert phone.locator(f"[data-testid=report-{code}]").is_visible()
    assert no_horizontal_scroll(phone)
    assert phone.console_errors == []
