"""The public air page in real Chromium at phone size: no login, the day's advice, the station map, a station's 48
hours and 30 days after a tap; a station name with markup stays text."""

from __future__ import annotations

from datetime import timedelta

from conftest import ONE_STORE
from dieuhanh.core.security import SYSTEM
from dieuhanh.environment import service
from dieuhanh.environment.schemas import StationIn


@ONE_STORE
def test_public_air_page_on_a_phone(page, live_server, db):
    now = service.local_now().replace(minute=0, second=0, microsecond=0)
    with db.session() as s:
        service.create_station(s, principal=SYSTEM, station_in=StationIn(
            code="KK01", name="Trạm <b>Phủ Lý</b>", lat=20.5436, lon=105.9130, operator="Trung tâm Quan trắc",
            parameters=["pm25", "pm10"]))
        items = [{"station": "KK01", "parameter": "pm25", "value": 90.0 + h, "unit": "ug/m3",
                  "observed_at": (now - timedelta(hours=h)).isoformat()} for h in range(72)]
        service.push_observations(s, principal=SYSTEM, items=items)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/khong-khi")
    today = page.locator("[data-testid=air-today]")
    assert "Xấu" in today.inner_text() and "khẩu trang" in today.inner_text()  # NowCast ≈ 90 → AQI 164 (Xấu)
    page.wait_for_selector("#air-map[data-ready='1'] canvas", timeout=10000)
    button = page.locator(".air-station", has_text="Trạm <b>Phủ Lý</b>")  # the markup is shown as text
    button.click()
    page.wait_for_selector("#air-detail[data-loaded='KK01']", timeout=10000)
    assert page.locator("#air-hourly canvas").count() == 1 and page.locator("#air-daily canvas").count() == 1
    assert page.locator("#air-detail-title").inner_text().startswith("Trạm <b>Phủ Lý</b>: VN_AQI")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
    assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors
