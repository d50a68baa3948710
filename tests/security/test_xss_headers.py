"""Item 5 and 12 (headers): no user text reaches innerHTML in the map; a Content-Security-Policy forbids inline
script, so an injected handler does not run; the other security headers are on every response."""

from __future__ import annotations

import pytest

from conftest import ONE_STORE

pytestmark = ONE_STORE

PAYLOAD = '<img src=x onerror="window.__xss=1">'


def test_security_headers_on_pages_api_and_static(client):
    for path in ("/", "/login", "/api/v1/units?level=commune", "/static/map.js"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    first, second = client.get("/login"), client.get("/login")
    nonce = second.headers["content-security-policy"].split("'nonce-")[1].split("'")[0]
    assert nonce in second.text and nonce not in first.text  # the page's own scripts carry a fresh nonce


@pytest.mark.browser
def test_map_legend_and_tooltip_show_definition_text_as_text_and_csp_blocks_injected_handlers(
        browser_instance, live_server, factory):
    from conftest import sign_in, watched_page

    context = browser_instance.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")  # CSP on
    page = watched_page(context)
    try:
        page.goto(f"{live_server}/")
        page.evaluate("() => new Promise((r) => { const t = () => (typeof drawUnitMap === 'function' && "
                      "typeof echarts !== 'undefined') ? r() : setTimeout(t, 20); t(); })")
        page.evaluate("""async (payload) => {
            const el = document.getElementById('unit-map');
            await drawUnitMap('unit-map', {values: {}, unit: payload});
            const scale = unitMapScale({a: 1, b: 5}, {});
            unitMapLegend(el, scale, {unit: payload}, new Intl.NumberFormat('vi-VN'));
        }""", PAYLOAD)
        legend = page.locator("[data-testid=map-legend]")
        assert PAYLOAD in legend.inner_text()
        assert legend.locator("img").count() == 0
        assert unit_map_escape(page) == "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;"
        # The next mistake cannot execute: an inline handler injected into the page is refused by the policy.
        page.evaluate("""() => new Promise((resolve) => {
            document.body.insertAdjacentHTML('beforeend', '<img id="x2" src="/nothing.png" onerror="window.__xss2=1">');
            document.getElementById('x2').addEventListener('error', () => setTimeout(resolve, 0));
        })""")
        assert page.evaluate("window.__xss === undefined && window.__xss2 === undefined")
        injected = [e for e in page.console_errors if "Content Security Policy" in e]
        assert injected and all("inline event handler" in e for e in injected)
        # The application's own pages run under the policy: their inline scripts carry the nonce.
        page.console_errors.clear()
        _, username, _ = factory.user("leader")
        sign_in(page, live_server, username)
        page.wait_for_selector("#overview-map canvas, [data-testid=unit-map] canvas, canvas")
        assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    finally:
        context.close()


def unit_map_escape(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.evaluate("(t) => unitMapEscape(t)", PAYLOAD))
