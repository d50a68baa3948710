"""Upload, validation by cell, late list, timeliness indicator, permissions (both stores)."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))

from reporting_helpers import FORM_TYPE, TABLE_TYPE, fill, make_type, rows_of  # noqa: E402

from conftest import login  # noqa: E402
from dieuhanh.catalog.models import Dataset, LoadBatch  # noqa: E402
from dieuhanh.core.security import SYSTEM  # noqa: E402
from dieuhanh.reporting.models import ReportSubmission  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GOOD = {"C7": 12.5, "C8": "1.234,5", "C9": 7, "C10": "15/06/2025", "C11": "Ổn định"}


def _token(factory, agency: str, scopes=("reports",)) -> dict[str, str]:
    _, secret = factory.token(list(scopes), agency=agency, name=f"he-thong-{agency.lower()}")
    return {"Authorization": f"Bearer {secret}"}


def _template(client, headers, code="kt_xh_thang", period="2025-06", agency="SYT") -> bytes:
    response = client.get(f"/api/v1/reports/{code}/template.xlsx", params={"period": period, "agency": agency},
                          headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    return response.content


def _upload(client, headers, data: bytes, code="kt_xh_thang", **form):
    return client.post(f"/api/v1/reports/{code}/submissions", headers=headers, data=form,
                       files={"file": ("bao-cao.xlsx", data, XLSX)})


def _nothing_stored(db, warehouse, dataset: str) -> None:
    with db.session() as session:
        ds_id = session.scalar(select(Dataset.id).where(Dataset.name == dataset))
        assert session.scalar(select(func.count()).select_from(LoadBatch).where(LoadBatch.dataset_id == ds_id)) == 0
    assert rows_of(warehouse, dataset) == []


def test_template_round_trip_loads_values_and_resubmission_replaces(client, db, warehouse, factory):
    make_type(db)
    token = _token(factory, "SYT")
    template = _template(client, token)
    response = _upload(client, token, fill(template, GOOD))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "accepted" and body["agency_code"] == "SYT" and body["period"] == "2025-06"
    assert body["due_date"] == "2025-07-05" and body["late"] is True  # submitted today, long after 05/07/2025
    rows = rows_of(warehouse, "bao_cao_kt_xh_thang_tn")
    assert len(rows) == 1
    row = rows[0]
    assert (row["ky"], row["co_quan"], row["giai_ngan_von"], row["doanh_thu"], row["so_nhiem_vu"]) == (
        "2025-06", "SYT", 12.5, 1234.5, 7)
    assert str(row["ngay_chot"]) == "2025-06-15" and row["ghi_chu"] == "Ổn định"
    assert row["_batch_id"] == body["batch_id"]
    # A corrected resubmission replaces the figures: one row, the new batch; the first is rolled back.
    again = _upload(client, token, fill(template, {**GOOD, "C7": 20}))
    assert again.status_code == 201, again.text
    rows = rows_of(warehouse, "bao_cao_kt_xh_thang_tn")
    assert [(r["giai_ngan_von"], r["_batch_id"]) for r in rows] == [(20.0, again.json()["batch_id"])]
    with db.session() as session:
        first = session.get(LoadBatch, body["batch_id"])
        assert first is not None and first.status == "rolled_back"
        statuses = sorted(s.status for s in session.scalars(select(ReportSubmission)))
        assert statuses == ["accepted", "replaced"]
    listed = client.get("/api/v1/reports/kt_xh_thang/submissions", headers=token).json()
    assert listed["total"] == 2


def test_malformed_upload_is_refused_with_cell_references_and_nothing_stored(client, db, warehouse, factory):
    make_type(db)
    token = _token(factory, "SYT")
    template = _template(client, token)
    bad = fill(template, {"C8": "abc", "C9": "12,5", "C10": "31/02/2025", "C7": None})
    response = _upload(client, token, bad)
    assert response.status_code == 422, response.text
    errors = {e["cell"]: e for e in response.json()["errors"]}
    assert set(errors) == {"C7", "C8", "C9", "C10"}
    assert errors["C8"]["message"] == "Ô C8: «abc» không phải là số."
    assert errors["C8"]["field"] == "doanh_thu"
    assert errors["C7"]["message"].startswith("Ô C7: thiếu giá trị bắt buộc")
    assert "không phải là số nguyên" in errors["C9"]["message"]
    # Out of bounds
    response = _upload(client, token, fill(template, {**GOOD, "C9": 5000}))
    assert response.status_code == 422
    assert response.json()["errors"][0]["cell"] == "C9" and "tối đa" in response.json()["errors"][0]["message"]
    _nothing_stored(db, warehouse, "bao_cao_kt_xh_thang_tn")
    with db.session() as session:
        refused = list(session.scalars(select(ReportSubmission)))
        assert {s.status for s in refused} == {"rejected"} and all(s.batch_id is None for s in refused)


def test_wrong_template_period_or_agency_is_refused(client, db, warehouse, factory):
    make_type(db, agencies=("SYT", "SGDDT"))
    make_type(db, TABLE_TYPE, agencies=("SYT",))
    token = _token(factory, "SYT")
    # Not a template at all: a workbook without the report sheet.
    wb = Workbook()
    wb.active.title = "Sheet1"
    out = io.BytesIO()
    wb.save(out)
    response = _upload(client, token, out.getvalue())
    assert response.status_code == 422
    assert "Không có trang tính «Báo cáo»" in response.json()["errors"][0]["message"]
    # Another report type's template.
    other = _template(client, token, code="du_an_quy", period="2025-Q2")
    response = _upload(client, token, other)
    assert response.status_code == 422
    assert response.json()["errors"][0]["cell"] == "C5"
    # Not an Excel file.
    response = _upload(client, token, b"ten,so\nA,1\n")
    assert response.status_code == 422 and "Excel" in response.json()["errors"][0]["message"]
    # Period announced differs from the template's.
    template = fill(_template(client, token), GOOD)
    response = _upload(client, token, template, period="2025-07")
    assert response.status_code == 422
    assert response.json()["errors"][0]["cell"] == "C4"
    # Another agency's template uploaded with this agency's token.
    theirs = fill(_template(client, _token(factory, "SGDDT"), agency="SGDDT"), GOOD)
    response = _upload(client, token, theirs)
    assert response.status_code == 422
    assert response.json()["errors"][0]["cell"] == "C3"
    _nothing_stored(db, warehouse, "bao_cao_kt_xh_thang_tn")


def test_too_large_file_is_refused(db, warehouse):
    from dieuhanh.reporting import service

    make_type(db)
    with db.session() as session:
        result = service.submit_file(session, warehouse, principal=SYSTEM, code="kt_xh_thang", data=b"x" * 5000,
                                     filename="lon.xlsx", agency_code="SYT", period="2025-06", province_code="37",
                                     max_bytes=1000)
        assert not result.accepted
        assert "vượt quá giới hạn" in result.errors[0].message
    _nothing_stored(db, warehouse, "bao_cao_kt_xh_thang_tn")


def test_table_layout_rows_and_errors_by_cell(client, db, warehouse, factory):
    make_type(db, TABLE_TYPE, agencies=("SYT",))
    token = _token(factory, "SYT")
    template = _template(client, token, code="du_an_quy", period="2025-Q2")
    bad = fill(template, {"A7": "Bệnh viện tỉnh", "B7": 100, "C7": 40, "A8": "Trạm y tế", "B8": "nhiều", "C8": -1})
    response = _upload(client, token, bad, code="du_an_quy")
    assert response.status_code == 422
    assert [e["cell"] for e in response.json()["errors"]] == ["B8", "C8"]
    good = fill(template, {"A7": "Bệnh viện tỉnh", "B7": 100, "C7": 40, "A8": "Trạm y tế", "B8": "25,5", "C8": 5})
    response = _upload(client, token, good, code="du_an_quy")
    assert response.status_code == 201, response.text
    rows = rows_of(warehouse, "bao_cao_du_an_quy_tn")
    assert sorted((r["ten_du_an"], r["ke_hoach_von"]) for r in rows) == [("Bệnh viện tỉnh", 100.0),
                                                                         ("Trạm y tế", 25.5)]


def test_late_report_on_late_list_and_lowers_timeliness_indicator(client, db, warehouse, factory, settings):
    from dieuhanh.indicators import service as indicators
    from dieuhanh.indicators.models import IndicatorValue
    from dieuhanh.reporting import service

    make_type(db, agencies=("SYT", "SGDDT", "SNV"), from_period="2025-06")
    # SGDDT on time (02/07/2025 for a 05/07/2025 due date), through the service with an explicit moment.
    with db.session() as session:
        result = service.submit_values(session, warehouse, principal=SYSTEM, code="kt_xh_thang",
                                       values={"giai_ngan_von": "5", "doanh_thu": "7"}, agency_code="SGDDT",
                                       period="2025-06", province_code="37", max_bytes=1 << 20,
                                       now=datetime(2025, 7, 2, 3, 0))
        assert result.accepted and not result.submission.late
    # SYT uploads today: long after the due date. SNV never submits.
    token = _token(factory, "SYT")
    assert _upload(client, token, fill(_template(client, token), GOOD)).status_code == 201
    _, leader, _ = factory.user("leader")
    login(client, leader)
    late = client.get("/api/v1/reports/late", params={"period": "2025-06"})
    assert late.status_code == 200, late.text
    items = {i["agency_code"]: i for i in late.json()["items"]}
    assert set(items) == {"SYT", "SNV"}
    assert items["SYT"]["status"] == "nộp muộn" and items["SYT"]["days_late"] > 300
    assert items["SNV"]["status"] == "chưa nộp" and items["SYT"]["due_date"] == "2025-07-05"
    assert items["SNV"]["agency_name"] == "Sở Nội vụ" and items["SNV"]["report_type"] == "kt_xh_thang"
    assert items["SNV"]["title"] == FORM_TYPE["title"] and items["SNV"]["period"] == "2025-06"
    # The timeliness indicator per agency: on time 100, late 0, missing 0; the province 1 of 3.
    yaml_path = Path(service.__file__).parent / "indicators.yaml"
    with db.session() as session:
        indicators.load_library(session, paths=[yaml_path])
        summary = indicators.compute(session, warehouse, codes=["ty_le_bao_cao_dung_han"], province_code="37")
        assert summary.errors == {}
        values = {v.unit_code: v for v in session.scalars(select(IndicatorValue).where(
            IndicatorValue.code == "ty_le_bao_cao_dung_han", IndicatorValue.period == "2025-06"))}
    assert values["SGDDT"].value == 100 and values["SGDDT"].level == "agency"
    assert values["SYT"].value == 0 and values["SNV"].value == 0
    assert round(values["37"].value, 1) == 33.3 and values["37"].denominator == 3


def test_permissions(client, db, warehouse, factory):
    make_type(db, agencies=("SYT", "SGDDT"))
    syt = _token(factory, "SYT")
    template = fill(_template(client, syt), GOOD)
    # An officer of another agency may not submit for SYT (nor download its template).
    _, other, _ = factory.user("officer", agency="SGDDT")
    _, csrf = login(client, other)
    response = client.post("/api/v1/reports/kt_xh_thang/submissions", data={"agency": "SYT"},
                           files={"file": ("x.xlsx", template, XLSX)}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    assert client.get("/api/v1/reports/kt_xh_thang/template.xlsx", params={"agency": "SYT"}).status_code == 403
    # Without the CSRF header a session upload is refused.
    response = client.post("/api/v1/reports/kt_xh_thang/submissions", files={"file": ("x.xlsx", template, XLSX)})
    assert response.status_code == 403
    client.cookies.clear()
    # A read-only token, a token of another agency and a leader: refused. The datasets scope is accepted.
    assert _upload(client, _token(factory, "SYT", scopes=("read",)), template).status_code == 403
    assert _upload(client, _token(factory, "SGDDT"), template, agency="SYT").status_code == 403
    assert _upload(client, {}, template).status_code == 403  # anonymous: no token, no session (CSRF)
    assert _upload(client, _token(factory, "SYT", scopes=("datasets",)), template).status_code == 201
    _, leader, _ = factory.user("leader")
    _, csrf = login(client, leader)
    response = client.post("/api/v1/reports/kt_xh_thang/submissions", data={"agency": "SYT"},
                           files={"file": ("x.xlsx", template, XLSX)}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 403
    # Only admins and analysts define report types.
    assert client.post("/api/v1/reports", json=FORM_TYPE, headers={"X-CSRF-Token": csrf}).status_code == 403
    client.cookies.clear()
    _, admin, _ = factory.user("admin")
    _, csrf = login(client, admin)
    response = client.post("/api/v1/reports/kt_xh_thang/submissions", data={"agency": "SGDDT"},
                           files={"file": ("x.xlsx", fill(_template(client, {}, agency="SGDDT"), GOOD), XLSX)},
                           headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    assert response.json()["submitted_by"] == f"user:{admin}"
