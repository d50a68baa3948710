"""The DTI pages in a real headless Chromium: the ranking, a unit's form with its radar chart and an answer with
evidence, the national indices board."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import ONE_STORE, sign_in
from dieuhanh.core.security import SYSTEM
from dieuhanh.dti import governance, service


@pytest.mark.browser
@ONE_STORE
def test_ranking_form_and_indices_pages(page, live_server, db, factory):
    with db.session() as s:
        c = service.create_campaign(s, principal=SYSTEM, framework="dti_so_nganh", year=2026,
                                    deadline=date(2026, 12, 31), units=["SYT", "STP", "SCT"])
        service.save_answer(s, principal=SYSTEM, campaign_id=c.id, unit="STP", sub_code="NT.1.1", value=True)
        governance.record(s, principal=SYSTEM, data=governance.GovernanceIn(
            index="dti", year=2021, province_code="37", value=0.5064, rank=6, source="Bộ TT&TT"))
    _id, user, pw = factory.user("officer", agency="SYT")
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, user, pw)
    page.goto(f"{live_server}/chuyen-doi-so")
    rows = page.locator("[data-testid=dti-ranking] tbody tr").all_inner_texts()
    assert len(rows) == 3 and rows[0].startswith("1\tSở Tư pháp")
    assert "Tạm tính đến" in page.locator("[data-testid=dti-asof]").inner_text()
    table = page.locator("[data-testid=dti-ranking]")
    assert table.locator("a").all_inner_texts() == ["Sở Y tế"]  # an officer's own unit only is a link
    table.locator("a", has_text="Sở Y tế").click()
    page.wait_for_function("document.querySelectorAll('#dti-radar canvas').length > 0")
    sub = page.locator("[data-testid='sub-NT.4.1']")
    sub.locator("summary", has_text="Trả lời").click()
    sub.locator("input[name=value]").fill("<b>85</b>")
    sub.locator("button[type=submit]").click()
    assert "giá trị phải là một số" in page.locator("[data-testid=dti-error]").inner_text()
    sub = page.locator("[data-testid='sub-NT.4.1']")
    sub.locator("summary", has_text="Trả lời").click()
    sub.locator("input[name=value]").fill("85")
    sub.locator("textarea[name=evidence]").fill("Danh sách lớp <script>x</script> https://syt.example/ds.pdf")
    sub.locator("button[type=submit]").click()
    sub = page.locator("[data-testid='sub-NT.4.1']")
    assert "40,0 / 40" in sub.inner_text() and sub.locator("a", has_text="<script>x</script>").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366 + 1
    page.goto(f"{live_server}/chinh-quyen-so")
    assert "6/63" in page.locator("[data-testid=gov-indices]").inner_text()
    assert page.console_errors == []
