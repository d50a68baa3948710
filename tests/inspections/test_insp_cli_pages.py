"""`dieuhanh inspections import FILE.xlsx --agency CODE --year YYYY` through the real command line (once, on
SQLite: it calls the service the API tests check on both stores), and the officers' pages (names, not codes)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import ONE_STORE, csrf_from, login
from dieuhanh.core.bootstrap import bootstrap
from dieuhanh.core.db import Database
from dieuhanh.core.migrate import upgrade
from dieuhanh.core.security import SYSTEM
from dieuhanh.inspections import service
from dieuhanh.inspections.models import Plan, Visit
from dieuhanh.inspections.schemas import COLUMNS

HEADER = list(COLUMNS.values())


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(name: str, tax: str = "", kind: str = "Kiểm tra", content: str = "ATTP", month: object = 5) -> list[object]:
    values = {"Mã số thuế": tax, "Tên doanh nghiệp": name, "Địa chỉ": "Số 12, đường Lê Lợi, Phường Phủ Lý",
              "Hình thức": kind, "Nội dung": content, "Tháng": month}
    return [values.get(h, "") for h in HEADER]


def test_cli_import_lists_row_and_column_errors_and_stores_nothing_then_a_good_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from dieuhanh.cli import app

    data = tmp_path / "var"
    data.mkdir()
    for key in [k for k in os.environ if k.startswith("DIEUHANH_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DIEUHANH_DATA_DIR", str(data))
    db = Database(f"sqlite:///{data / 'dieuhanh.db'}")
    upgrade(db.engine)
    with db.session() as s:
        bootstrap(s, province_code="37")
    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(xlsx([row("Công ty TNHH Thực phẩm Minh Phát", tax="0100233488"),
                          row("Công ty CP Dệt may Hoàng Long", tax="0100233480", month=14)]))
    result = CliRunner().invoke(app, ["inspections", "import", str(bad), "--agency", "SYT", "--year", "2027"],
                                env={"COLUMNS": "200"})
    assert result.exit_code != 0
    out = " ".join(result.output.split())
    assert "dòng 3: Mã số thuế: mã số thuế “0100233480” sai chữ số kiểm tra" in out, out
    assert "dòng 3: Tháng: tháng “14” phải từ 1 đến 12" in out
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Visit)) == 0
    good = tmp_path / "dung.xlsx"
    good.write_bytes(xlsx([row("Công ty TNHH Thực phẩm Minh Phát", tax="0100233488"),
                           row("Công ty TNHH Thực phẩm Minh Phát", tax="0100233488", kind="Thanh tra")]))
    result = CliRunner().invoke(app, ["inspections", "import", str(good), "--agency", "SYT", "--year", "2027"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Đã nạp 2 cuộc của SYT năm 2027" in result.output and "1 xung đột" in result.output
    db.dispose()


@ONE_STORE
def test_officer_uploads_a_plan_and_pages_show_names_not_codes(client, factory, db):
    with db.session() as s:
        service.load_register(s, principal=SYSTEM, rows=[
            {"tax_code": "0100233488", "name": "Công ty TNHH Thực phẩm Minh Phát",
             "address": "Số 12, đường Lê Lợi, Phường Phủ Lý, Ninh Bình"}])
    factory.user("officer", agency="SYT", username="canbo-syt")
    login(client, "canbo-syt")
    token = csrf_from(client)
    page = client.get("/thanh-tra/ke-hoach?nam=2027")
    assert page.status_code == 200 and "Nộp kế hoạch" in page.text and "Sở Y tế" in page.text
    # another agency cannot be chosen by this officer
    assert not re.search(r'<option value="SCT"', page.text)
    bad = client.post("/thanh-tra/ke-hoach", data={"csrf_token": token, "co_quan": "SYT", "nam": "2027"},
                      files={"tep": ("ke-hoach.xlsx", xlsx([row("", content="XYZ")]), "application/octet-stream")})
    assert bad.status_code == 422
    assert "Tên doanh nghiệp" in bad.text and "không có trong danh mục" in bad.text
    assert 'data-testid="upload-errors"' in bad.text
    ok = client.post("/thanh-tra/ke-hoach", data={"csrf_token": token, "co_quan": "SYT", "nam": "2027"},
                     files={"tep": ("ke-hoach.xlsx", xlsx([row("Cty TNHH Thực phẩm Minh Phát", tax="0100233488"),
                                                           row("CÔNG TY TNHH THỰC PHẨM MINH PHÁT", content="TDC")]),
                            "application/octet-stream")}, follow_redirects=True)
    assert ok.status_code == 200 and "Đã nạp kế hoạch" in ok.text
    overview = client.get("/thanh-tra?nam=2027").text
    assert "Quá 01 cuộc kiểm tra/năm" in overview and "Công ty TNHH Thực phẩm Minh Phát" in overview
    assert "An toàn thực phẩm" in overview and "Sở Y tế" in overview and "once_kiem_tra" not in overview
    assert 'data-testid="sign"' not in overview  # an officer does not sign
    enterprise_id = re.search(r'href="/thanh-tra/doanh-nghiep/(\d+)"', overview).group(1)
    detail = client.get(f"/thanh-tra/doanh-nghiep/{enterprise_id}").text
    assert "CÔNG TY TNHH THỰC PHẨM MINH PHÁT" in detail and "Tự động (điểm cao)" in detail
    # one visit on the web form: a wrong tax code is refused with the field named, a good one joins the plan
    form = {"csrf_token": token, "co_quan": "SYT", "nam": "2027", "enterprise_name": "Công ty TNHH Minh Phát",
            "kind": "thanh_tra", "content_code": "DUOC", "month": "7", "tax_code": "0100233480"}
    refused = client.post("/thanh-tra/ke-hoach/them", data=form)
    assert refused.status_code == 422 and "Mã số thuế: mã số thuế “0100233480” sai chữ số kiểm tra" in refused.text
    added = client.post("/thanh-tra/ke-hoach/them", data={**form, "tax_code": "0100233488"}, follow_redirects=True)
    assert added.status_code == 200 and "Đã thêm cuộc vào kế hoạch" in added.text
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Visit).where(Visit.content_code == "DUOC")) == 1
    # the agency's limits for the optimiser, on the plans page: a wrong number is refused, then saved
    assert 'data-testid="limits-form"' in client.get("/thanh-tra/ke-hoach?nam=2027").text
    limits = {"csrf_token": token, "co_quan": "SYT", "nam": "2027", "toi_da": "ba", "thang_nghi": ["2", "12"]}
    refused = client.post("/thanh-tra/ke-hoach/gioi-han", data=limits)
    assert refused.status_code == 422 and "phải là số nguyên" in refused.text
    saved = client.post("/thanh-tra/ke-hoach/gioi-han", data={**limits, "toi_da": "3"}, follow_redirects=True)
    assert saved.status_code == 200 and "Đã lưu giới hạn" in saved.text
    with db.session() as s:
        plan = s.scalar(select(Plan).where(Plan.agency_code == "SYT", Plan.year == 2027))
        assert plan is not None and (plan.capacity_per_month, plan.blackout_months) == (3, [2, 12])
    assert client.get("/thanh-tra/de-xuat?nam=2027").status_code == 200
    assert client.post("/thanh-tra/de-xuat?nam=2027", data={"csrf_token": token}).status_code == 403
    template = client.get("/thanh-tra/ke-hoach/mau.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
