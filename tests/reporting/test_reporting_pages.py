"""/reports for officers and the office, the web form, definitions from the page; a browser upload."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).parent))

from reporting_helpers import FORM_TYPE, fill, make_type, rows_of  # noqa: E402

from conftest import login, sign_in  # noqa: E402


def test_web_form_errors_next_to_fields_then_accepted(client, db, warehouse, factory):
    make_type(db, agencies=("SYT",))
    _, officer, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, officer)
    page = client.get("/reports/kt_xh_thang/form", params={"period": "2025-06"})
    assert page.status_code == 200 and "Vốn đầu tư công giải ngân" in page.text and "05/07/2025" in page.text
    form = {"csrf_token": csrf, "period": "2025-06", "agency": "SYT", "giai_ngan_von": "abc", "doanh_thu": "",
            "so_nhiem_vu": "3"}
    response = client.post("/reports/kt_xh_thang/form", data=form)
    assert response.status_code == 422
    assert re.search(r'data-testid="error-giai_ngan_von">«Vốn đầu tư công giải ngân»: «abc» không phải là số',
                     response.text)
    assert 'data-testid="error-doanh_thu"' in response.text and 'data-testid="error-so_nhiem_vu"' not in response.text
    assert 'value="abc"' in response.text  # what was typed is kept
    assert rows_of(warehouse, "bao_cao_kt_xh_thang_tn") == []
    response = client.post("/reports/kt_xh_thang/form", data={**form, "giai_ngan_von": "1.250,5", "doanh_thu": "9"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    rows = rows_of(warehouse, "bao_cao_kt_xh_thang_tn")
    assert [(r["co_quan"], r["ky"], r["giai_ngan_von"], r["so_nhiem_vu"]) for r in rows] == [
        ("SYT", "2025-06", 1250.5, 3)]
    # The officer's page: the submission (late: the period is long past) and what is still owed, with links to
    # the template and the web form.
    from dieuhanh.reporting import periods, service

    page = client.get("/reports", params={"period": "2025-06"})
    assert page.status_code == 200
    assert 'data-testid="my-reports"' in page.text
    submissions = page.text.split('data-testid="submissions"')[1]
    assert "Đã nhận" in submissions and "05/07/2025" in submissions and "biểu mẫu web" in submissions
    owed = periods.previous(periods.of_date(service.today_local(), "month"))
    assert f"/api/v1/reports/kt_xh_thang/template.xlsx?period={owed}&agency=SYT" in page.text
    assert f"/reports/kt_xh_thang/form?period={owed}" in page.text
    # Another agency's officer cannot open SYT's form.
    client.cookies.clear()
    _, other, _ = factory.user("officer", agency="SGDDT")
    login(client, other)
    assert client.get("/reports/kt_xh_thang/form", params={"agency": "SYT"}).status_code == 403


def test_overview_and_definitions_for_the_office(client, db, warehouse, factory):
    from dieuhanh.reporting.models import ReportType

    make_type(db, agencies=("SYT", "SNV"), from_period="2025-06")
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    page = client.get("/reports", params={"period": "2025-06"})
    assert page.status_code == 200
    assert 'data-testid="overview"' in page.text and "Chưa nộp: 2" in page.text
    assert 'data-testid="late-list"' in page.text and "Sở Nội vụ" in page.text
    # A new report type from the page (fields in YAML), then an assignment.
    fields = ("- {name: so_vu, label: Số vụ việc, type: int, required: true, min: 0, cell: C7}\n"
              "- {name: ghi_chu, label: Ghi chú, type: text, cell: C8}\n")
    response = client.post("/reports/types", data={"csrf_token": csrf, "code": "vu_viec_quy", "title":
                                                   "Báo cáo vụ việc quý", "periodicity": "quarter", "due_day": "15",
                                                   "dataset": "vu_viec_quy", "fields": fields},
                           follow_redirects=False)
    assert response.status_code == 303 and "saved=1" in response.headers["location"], response.headers
    response = client.post("/reports/vu_viec_quy/assignments", data={"csrf_token": csrf, "agency_code": "TTT",
                                                                     "from_period": "2025-Q1"},
                           follow_redirects=False)
    assert response.status_code == 303 and "saved=1" in response.headers["location"]
    with db.session() as session:
        rt = session.scalar(select(ReportType).where(ReportType.code == "vu_viec_quy"))
        assert rt.layout == "form" and [a.agency_code for a in rt.assignments] == ["TTT"]
    # An invalid definition comes back as a message, not a 500.
    response = client.post("/reports/types", data={"csrf_token": csrf, "code": "x_y", "title": "Sai ô",
                                                   "dataset": "x_y", "fields": "- {name: a, label: A, cell: A1}"})
    assert response.status_code == 200 and 'data-testid="form-error"' in response.text
    assert "ô nhập liệu phải từ cột B trở đi" in response.text
    # Leaders see the overview but cannot define.
    client.cookies.clear()
    _, leader, _ = factory.user("leader")
    _, csrf = login(client, leader)
    page = client.get("/reports", params={"period": "2025-06"})
    assert 'data-testid="overview"' in page.text and 'data-testid="type-form"' not in page.text
    assert client.post("/reports/types", data={"csrf_token": csrf, "code": "z_z"}).status_code == 403



@pytest.mark.browser
def test_officer_uploads_a_filled_template_on_reports_page(page, live_server, factory, db, warehouse, tmp_path):
    make_type(db, agencies=("SYT",), from_period="2025-06")
    _, officer, _ = factory.user("officer", agency="SYT")
    sign_in(page, live_server, officer)
    page.goto(f"{live_server}/reports")
    assert page.locator("[data-testid=my-reports]").is_visible()
    link = page.locator("[data-testid^=template-kt_xh_thang-]").first
    period = re.search(r"period=([^&]+)", link.get_attribute("href")).group(1)
    template = page.request.get(live_server + link.get_attribute("href")).body()
    # First a wrong file: refused, the cell named on the page.
    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(fill(template, {"C7": "mười hai", "C8": 5}))
    page.select_option("[data-testid=upload-kt_xh_thang] select[name=period]", period)
    page.set_input_files("[data-testid=upload-kt_xh_thang] input[type=file]", str(bad))
    page.click("[data-testid=upload-kt_xh_thang] button[type=submit]")
    assert "Ô C7: «mười hai» không phải là số." in page.inner_text("[data-testid=upload-errors]")
    good = tmp_path / "dung.xlsx"
    good.write_bytes(fill(template, {"C7": 12, "C8": "3.400,5"}))
    page.select_option("[data-testid=upload-kt_xh_thang] select[name=period]", period)
    page.set_input_files("[data-testid=upload-kt_xh_thang] input[type=file]", str(good))
    page.click("[data-testid=upload-kt_xh_thang] button[type=submit]")
    page.wait_for_url("**/reports?submitted=*")
    assert page.locator("[data-testid=submitted]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The refused upload answers 422 (Chromium logs that status); nothing else went wrong in the page.
    assert [e for e in page.console_errors if "status of 422" not in e] == []
    rows = rows_of(warehouse, FORM_TYPE["dataset"])
    assert [(r["co_quan"], r["ky"], r["doanh_thu"]) for r in rows] == [("SYT", period, 3400.5)]
