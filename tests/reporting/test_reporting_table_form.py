"""The web form of table-layout reports: a grid checked like the Excel upload, prefilled for corrections."""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))

from reporting_helpers import fill, make_type, rows_of  # noqa: E402

from conftest import ONE_STORE, login, sign_in  # noqa: E402
from dieuhanh.catalog.models import Dataset, LoadBatch  # noqa: E402
from dieuhanh.core.audit import AuditEntry  # noqa: E402
from dieuhanh.geo.reference import communes_of  # noqa: E402
from dieuhanh.reporting import xlsx  # noqa: E402
from dieuhanh.reporting.models import ReportSubmission  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CASES_TYPE: dict[str, Any] = {
    "code": "ca_benh_quy", "title": "Báo cáo ca bệnh truyền nhiễm theo xã, phường quý", "periodicity": "quarter",
    "due_day": 10, "dataset": "bao_cao_ca_benh_quy_tn", "dataset_owner": "SYT",
    "fields": [
        {"name": "ma_xa", "label": "Xã, phường", "type": "unit", "required": True},
        {"name": "benh", "label": "Bệnh", "type": "text", "required": True},
        {"name": "so_ca_mac", "label": "Số ca mắc", "type": "int", "required": True, "min": 0, "unit": "ca"},
        {"name": "ty_le_tiem", "label": "Tỷ lệ tiêm chủng", "type": "number", "min": 0, "max": 100, "unit": "%"},
        {"name": "ngay_ghi_nhan", "label": "Ngày ghi nhận ca đầu", "type": "date"},
    ],
}
DATASET = CASES_TYPE["dataset"]
NAMES = [f["name"] for f in CASES_TYPE["fields"]]
COMMUNES = [u.code for u in communes_of("37")[:3]]
# What an officer types: a Vietnamese thousands separator, a decimal comma, a dd/mm/yyyy date, empty optionals.
ENTERED = [
    [COMMUNES[0], "Sốt xuất huyết", "1.234", "95,5", "02/04/2025"],
    [COMMUNES[1], "Tay chân miệng", "7", "", ""],
    [COMMUNES[2], "Cúm A", "0", "88,25", "30/06/2025"],
]


def _grid(csrf: str, rows: list[list[str]], total: int = 10, **extra: str) -> list[tuple[str, str]]:
    """The form body as the browser sends it: each column's input once per grid row, blank rows included."""
    body = [("csrf_token", csrf), ("period", "2025-Q2"), ("agency", "SYT"), *extra.items()]
    padded = rows + [[""] * len(NAMES)] * (total - len(rows))
    for row in padded:
        body += [(f"c.{name}", value) for name, value in zip(NAMES, row, strict=True)]
    return body


def _post(client, body: list[tuple[str, str]]):
    from urllib.parse import urlencode

    return client.post("/reports/ca_benh_quy/form", content=urlencode(body), follow_redirects=False,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def _stored(warehouse) -> list[dict[str, Any]]:
    rows = [{k: v for k, v in r.items() if k != "_batch_id"} for r in rows_of(warehouse, DATASET)]
    return sorted(rows, key=lambda r: r["ma_xa"])


def _nothing_stored(db, warehouse) -> None:
    with db.session() as session:
        ds_id = session.scalar(select(Dataset.id).where(Dataset.name == DATASET))
        assert session.scalar(select(func.count()).select_from(LoadBatch).where(LoadBatch.dataset_id == ds_id)) == 0
        assert session.scalar(select(func.count()).select_from(ReportSubmission)
                              .where(ReportSubmission.status == "accepted")) == 0
    assert rows_of(warehouse, DATASET) == []


def _officer(client, factory, agency: str = "SYT") -> str:
    client.cookies.clear()
    _, officer, _ = factory.user("officer", agency=agency)
    return login(client, officer)[1]


def test_grid_stores_the_same_rows_as_the_excel_upload_of_the_same_data(client, db, warehouse, factory):
    make_type(db, CASES_TYPE, agencies=("SYT",))
    csrf = _officer(client, factory)
    page = client.get("/reports/ca_benh_quy/form", params={"period": "2025-Q2"})
    assert page.status_code == 200, page.text
    grid = page.text.split('data-testid="grid"')[1]
    assert len(re.findall(r"<tr data-grid-row>", grid)) == 10  # enough empty rows without JavaScript
    assert "Số ca mắc *" in grid and "ca · Số nguyên" in grid and "% · Số" in grid and "10/07/2025" in page.text
    assert re.search(r'<option value="13285"\s*>Phường Phủ Lý \(13285\)</option>', grid)  # communes as a select
    response = _post(client, _grid(csrf, ENTERED))
    assert response.status_code == 303, response.text
    web = _stored(warehouse)
    assert [(r["ma_xa"], r["so_ca_mac"], r["ty_le_tiem"], str(r["ngay_ghi_nhan"])) for r in web] == sorted([
        (COMMUNES[0], 1234, 95.5, "2025-04-02"), (COMMUNES[1], 7, None, "None"),
        (COMMUNES[2], 0, 88.25, "2025-06-30")])
    assert {(r["ky"], r["co_quan"]) for r in web} == {("2025-Q2", "SYT")}
    # The same figures in the Excel template, uploaded for the same agency and period: identical rows (the
    # upload replaces the web submission, as a second upload would).
    client.cookies.clear()
    _, secret = factory.token(["reports"], agency="SYT")
    token = {"Authorization": f"Bearer {secret}"}
    template = client.get("/api/v1/reports/ca_benh_quy/template.xlsx", params={"period": "2025-Q2", "agency": "SYT"},
                          headers=token).content
    cells = {f"{'ABCDE'[j]}{7 + i}": value or None for i, row in enumerate(ENTERED) for j, value in enumerate(row)}
    response = client.post("/api/v1/reports/ca_benh_quy/submissions", headers=token,
                           files={"file": ("ca-benh.xlsx", fill(template, cells), XLSX)})
    assert response.status_code == 201, response.text
    assert _stored(warehouse) == web
    with db.session() as session:
        subs = list(session.scalars(select(ReportSubmission).order_by(ReportSubmission.id)))
        assert [(s.channel, s.status, s.rows, s.late) for s in subs] == [("form", "replaced", 3, True),
                                                                        ("api", "accepted", 3, True)]
        audit = [(a.action, a.actor, a.after["channel"]) for a in session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "report_submission").order_by(AuditEntry.id))]
        assert [(action, channel) for action, _, channel in audit] == [("report.submit", "form"),
                                                                       ("report.submit", "api")]
        assert audit[0][1].startswith("user:officer-")


def test_bad_cell_is_named_by_row_and_column_and_nothing_is_stored(client, db, warehouse, factory):
    make_type(db, CASES_TYPE, agencies=("SYT",))
    csrf = _officer(client, factory)
    rows = [ENTERED[0], [""] * 5, [COMMUNES[1], "Cúm A", "nhiều", "120", "31/02/2025"],
            ["Xã Không Có", "", "3", "", ""]]
    response = _post(client, _grid(csrf, rows))
    assert response.status_code == 422, response.text
    text = unescape(response.text)
    assert re.search(r'data-testid="error-3-so_ca_mac">Dòng 3, cột «Số ca mắc»: «nhiều» không phải là số nguyên\.',
                     text)
    assert 'data-testid="error-3-ty_le_tiem">Dòng 3, cột «Tỷ lệ tiêm chủng»: 120 lớn hơn giá trị tối đa 100.' in text
    assert 'data-testid="error-3-ngay_ghi_nhan">Dòng 3, cột «Ngày ghi nhận ca đầu»: «31/02/2025» không phải' in text
    assert ('data-testid="error-4-ma_xa">Dòng 4, cột «Xã, phường»: Không xác định được xã, phường từ «Xã Không Có».'
            in text)
    assert 'data-testid="error-4-benh">Dòng 4, cột «Bệnh»: thiếu giá trị bắt buộc.' in text
    assert "error-1-" not in text and "sửa 5 lỗi" in text
    assert 'value="nhiều"' in text and 'value="Sốt xuất huyết"' in text  # what was typed is kept, in place
    assert '<option value="Xã Không Có" selected>' in text
    _nothing_stored(db, warehouse)
    with db.session() as session:
        refused = session.scalars(select(ReportSubmission)).one()
        assert refused.status == "rejected" and refused.channel == "form" and len(refused.errors) == 5
        assert {(e["row"], e["field"]) for e in refused.errors} == {
            (3, "so_ca_mac"), (3, "ty_le_tiem"), (3, "ngay_ghi_nhan"), (4, "ma_xa"), (4, "benh")}
    # An entirely empty grid is refused with its own message.
    response = _post(client, _grid(csrf, []))
    assert response.status_code == 422
    assert "Bảng chưa có dòng số liệu nào: nhập ít nhất một dòng rồi nộp." in unescape(response.text)
    # «Thêm dòng» without JavaScript: the same page with five more rows, the entries kept, nothing submitted.
    response = _post(client, _grid(csrf, ENTERED[:2], action="add_rows"))
    assert response.status_code == 200
    assert len(re.findall(r"<tr data-grid-row>", response.text)) == 15
    assert 'value="Tay chân miệng"' in unescape(response.text)
    _nothing_stored(db, warehouse)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ReportSubmission)) == 2


def test_other_agency_refused_and_unassigned_agency_rejected(client, db, warehouse, factory):
    make_type(db, CASES_TYPE, agencies=("SYT",))
    csrf = _officer(client, factory, agency="SGDDT")
    assert client.get("/reports/ca_benh_quy/form", params={"agency": "SYT"}).status_code == 403
    assert _post(client, _grid(csrf, ENTERED)).status_code == 403  # the body names SYT
    assert _post(client, _grid(csrf, ENTERED, action="add_rows")).status_code == 403
    # For its own agency, which does not owe this report: refused like an upload, nothing loaded.
    body = [(k, "SGDDT" if k == "agency" else v) for k, v in _grid(csrf, ENTERED)]
    response = _post(client, body)
    assert response.status_code == 422 and "không được giao báo cáo" in response.text
    # SYT's own officer without the CSRF token.
    csrf = _officer(client, factory)
    assert _post(client, [(k, v) for k, v in _grid(csrf, ENTERED) if k != "csrf_token"]).status_code == 403
    _nothing_stored(db, warehouse)


def test_form_prefilled_with_the_accepted_rows_for_a_correction(client, db, warehouse, factory):
    make_type(db, CASES_TYPE, agencies=("SYT",))
    csrf = _officer(client, factory)
    precise = [[*ENTERED[0][:3], "95,123456789", ENTERED[0][4]], ENTERED[1]]
    assert _post(client, _grid(csrf, precise)).status_code == 303
    page = client.get("/reports/ca_benh_quy/form", params={"period": "2025-Q2"})
    assert page.status_code == 200 and 'data-testid="previous"' in page.text
    text = unescape(page.text.split('data-testid="grid"')[1])
    rows = text.split("<tr data-grid-row>")[1:]
    assert len(rows) == 10
    # The submitted rows in their order, as typed (no rounding), then empty rows.
    for row, entered in zip(rows, precise, strict=False):
        assert re.search(rf'<option value="{entered[0]}" selected>', row)
        for name, value in zip(NAMES[1:], entered[1:], strict=True):
            assert f'name="c.{name}" value="{value}"' in row, (name, value)
    assert 'value="1.234"' in rows[0] and 'value="95,123456789"' in rows[0]
    assert 'name="c.benh" value=""' in rows[2] and " selected>" not in rows[2]
    # Resubmitting the prefilled grid with one figure corrected replaces the first submission.
    corrected = [precise[0], [*precise[1][:2], "9", *precise[1][3:]]]
    assert _post(client, _grid(csrf, corrected)).status_code == 303
    stored = _stored(warehouse)
    assert [(r["ma_xa"], r["so_ca_mac"], r["ty_le_tiem"]) for r in stored] == sorted([
        (COMMUNES[0], 1234, 95.123456789), (COMMUNES[1], 9, None)])
    with db.session() as session:
        assert [s.status for s in session.scalars(select(ReportSubmission).order_by(ReportSubmission.id))] == [
            "replaced", "accepted"]


def test_prefill_of_an_imported_batch_shows_only_the_agency_and_period(client, db, warehouse, factory):
    from datetime import date, datetime

    from dieuhanh.core.security import SYSTEM
    from dieuhanh.reporting import service

    make_type(db, CASES_TYPE, agencies=("SYT", "SGDDT"))
    row = {"ma_xa": COMMUNES[0], "benh": "Sởi", "so_ca_mac": 2, "ty_le_tiem": None, "ngay_ghi_nhan": date(2025, 5, 1)}
    with db.session() as session:  # one batch for several agencies and periods, as the demo loads history
        service.import_history(session, warehouse, principal=SYSTEM, code="ca_benh_quy", province_code="37",
                               max_bytes=1 << 20, entries=[
                                   service.HistoricEntry("SYT", "2025-Q2", [row], datetime(2025, 7, 1)),
                                   service.HistoricEntry("SYT", "2025-Q1", [{**row, "benh": "Quý 1"}],
                                                         datetime(2025, 4, 1)),
                                   service.HistoricEntry("SGDDT", "2025-Q2", [{**row, "benh": "Khác"}],
                                                         datetime(2025, 7, 1))])
    _officer(client, factory)
    text = unescape(client.get("/reports/ca_benh_quy/form", params={"period": "2025-Q2"}).text)
    assert 'name="c.benh" value="Sởi"' in text and 'name="c.ngay_ghi_nhan" value="01/05/2025"' in text
    assert "Quý 1" not in text and "Khác" not in text
    assert len(re.findall(r'name="c.benh" value="[^"]', text)) == 1


@pytest.mark.parametrize(("kind", "value", "text"), [
    ("number", 1234.5, "1.234,5"), ("number", 0.1, "0,1"), ("number", -1234567.25, "-1.234.567,25"),
    ("number", 1e20, "100.000.000.000.000.000.000"), ("number", 2.0, "2"), ("int", 1234, "1.234"), ("int", 0, "0"),
    ("unit", "13285", "13285"), ("text", "Ổn định", "Ổn định")])
def test_stored_values_typed_back_unchanged(kind, value, text):
    field = {"name": "x", "label": "X", "type": kind}
    assert xlsx.as_text(field, value) == text
    errors: list[xlsx.CellError] = []
    assert xlsx.convert(field, text, None, errors) == value and errors == []


@pytest.mark.browser
@ONE_STORE  # the clicks and the page script; the grid's storage on both stores is the tests above
def test_officer_fills_the_grid_adds_a_row_and_submits(page, live_server, factory, db, warehouse):

    make_type(db, CASES_TYPE, agencies=("SYT",))
    _, officer, _ = factory.user("officer", agency="SYT")
    sign_in(page, live_server, officer)
    page.goto(f"{live_server}/reports")
    page.locator("[data-testid^=web-ca_benh_quy-]").first.click()
    page.wait_for_url("**/reports/ca_benh_quy/form*")
    rows = page.locator("[data-testid=grid] tbody tr")
    expect(rows).to_have_count(10)
    for i, entry in enumerate(ENTERED[:2]):
        rows.nth(i).locator("select").select_option(entry[0])
        for name, value in zip(NAMES[1:], entry[1:], strict=True):
            rows.nth(i).locator(f"input[name='c.{name}']").fill(value)
    page.click("[data-grid-add]")  # JavaScript: one more row here, no round trip
    expect(rows).to_have_count(11)
    assert rows.nth(10).locator("[data-row-number]").inner_text() == "11"
    rows.nth(2).locator("[data-grid-remove]").click()  # and × takes one away
    expect(rows).to_have_count(10)
    assert rows.nth(9).locator("[data-row-number]").inner_text() == "10"
    last = rows.nth(9)
    last.locator("select").select_option(ENTERED[2][0])
    for name, value in zip(NAMES[1:], ENTERED[2][1:], strict=True):
        last.locator(f"input[name='c.{name}']").fill(value)
    page.click("button[value=submit]")
    page.wait_for_url("**/reports?submitted=*")
    assert page.locator("[data-testid=submitted]").is_visible()
    assert page.console_errors == []
    assert [(r["ma_xa"], r["so_ca_mac"]) for r in _stored(warehouse)] == sorted(
        [(COMMUNES[0], 1234), (COMMUNES[1], 7), (COMMUNES[2], 0)])
