"""Exports: a board to PDF (WeasyPrint, vendored DejaVu Sans, Vietnamese text) and tables to XLSX (openpyxl)."""

from __future__ import annotations

import io
import logging
from datetime import date

from dash_helpers import PROVINCE, A, B, add_definition, add_series, add_value
from openpyxl import load_workbook

from conftest import login
from dieuhanh.core.security import Principal
from dieuhanh.dashboard import exports, service
from dieuhanh.dashboard.views import print_html

LEADER = Principal(kind="user", id=1, name="lanh-dao", role="leader")


def _data(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_definition(session, "thu_ngan_sach", domain="socio_economy", unit="tỷ đồng", levels=("province",),
                       name="Thu ngân sách nhà nước")
        add_definition(session, "tiem_chung", domain="health", name="Tỷ lệ tiêm chủng đầy đủ")
        add_series(session, "thu_ngan_sach", [1000.0, 1234.5], target=1500.0, status="warning")
        add_series(session, "tiem_chung", [90.0, 96.5], target=95.0, status="good")
        add_value(session, "tiem_chung", "2024-02", 71.0, unit=A, status="critical")
        add_value(session, "tiem_chung", "2024-02", 99.0, unit=B, status="good")


def test_table_to_xlsx_keeps_numbers_and_vietnamese_headers():
    data = exports.table_to_xlsx("Thu ngân sách: tháng 6/2025", ["Xã, phường", "Giá trị (tỷ đồng)", "Ngày"],
                                 [["Phường Hoa Lư", 1234.5, date(2025, 6, 30)], ["Xã Gia Viễn", None, None]],
                                 subtitle="Đơn vị: tỷ đồng")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Thu ngân sách  tháng 6 2025"  # ":" and "/" are not allowed in sheet names
    assert sheet["A1"].value == "Thu ngân sách: tháng 6/2025" and sheet["A2"].value == "Đơn vị: tỷ đồng"
    assert [c.value for c in sheet[3]] == ["Xã, phường", "Giá trị (tỷ đồng)", "Ngày"]
    assert sheet["B4"].value == 1234.5 and sheet["B4"].number_format == "#,##0.00"
    assert sheet["C4"].value.date() == date(2025, 6, 30) and sheet["C4"].number_format == "dd/mm/yyyy"
    assert sheet["B5"].value is None and sheet.freeze_panes == "A4"
    assert exports.filename("Kinh tế – xã hội Đồng Nai", "xlsx") == "kinh-te-xa-hoi-dong-nai.xlsx"


def test_board_pdf_has_vietnamese_text_in_the_vendored_font(db, app, caplog):
    _data(db)
    assert (exports.FONTS_DIR / "DejaVuSans.ttf").is_file() and (exports.FONTS_DIR / "LICENSE").is_file()
    with db.session() as session:
        view = service.board_view(session, slug="socio_economy", unit_code=None, province_code=PROVINCE,
                                  principal=LEADER)
        html = print_html(app.state.templates, app.state.province, view, title=view.board.title)
    assert "DejaVuSans.ttf" in html and html.count("@font-face") == 2
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        document = exports.render_document(html)
    assert not [r for r in caplog.records if "font" in r.getMessage().lower()]  # the font files loaded
    pieces = exports.document_text(document)
    text = " ".join(t for t, _f in pieces)
    assert "Kinh tế – xã hội" in text and "Thu ngân sách nhà nước" in text and "1.234,5" in text
    assert "Gần đạt" in text and "Tỉnh Ninh Bình" in text
    assert {f for _t, f in pieces} == {("IOC Sans",)}  # every piece of text in the vendored font
    pdf = document.write_pdf()
    assert pdf.startswith(b"%PDF-") and b"/Length1" in pdf  # an embedded TrueType font program


def test_pdf_and_xlsx_downloads(client, db, factory):
    _data(db)
    _, username, _ = factory.user("leader")
    login(client, username)
    pdf = client.get("/?format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"%%EOF" in pdf.content[-64:]
    assert 'filename="tong-quan-tinh-ninh-binh.pdf"' in pdf.headers["content-disposition"]
    board = client.get("/boards/health.pdf", params={"unit": A})
    assert board.status_code == 200 and board.content.startswith(b"%PDF-")
    assert client.get("/boards/health", params={"format": "pdf"}).content.startswith(b"%PDF-")

    sheet = load_workbook(io.BytesIO(client.get("/boards/socio_economy.xlsx").content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][:5] == ("Chỉ số", "Đơn vị tính", "Kỳ", "Giá trị", "Mục tiêu")
    assert ("Thu ngân sách nhà nước", "tỷ đồng", "02/2024", 1234.5, 1500.0, 234.5, "Gần đạt") in [
        r[:7] for r in rows]

    communes = load_workbook(io.BytesIO(client.get("/indicators/tiem_chung.xlsx").content)).active
    ranked = [r for r in communes.iter_rows(min_row=4, values_only=True)]
    assert ranked[0][1:4] == (B, ranked[0][2], 99.0) and ranked[1][1] == A and ranked[1][3] == 71.0
    assert len(ranked) == 2 and communes["A2"].value == "Theo xã, phường · 02/2024"
    series = load_workbook(io.BytesIO(client.get("/indicators/tiem_chung.xlsx",
                                                 params={"table": "series"}).content)).active
    assert [r[1:3] for r in series.iter_rows(min_row=4, values_only=True)] == [("2024-01", 90.0), ("2024-02", 96.5)]
    ranking = load_workbook(io.BytesIO(client.get("/map.xlsx", params={"indicator": "tiem_chung"}).content)).active
    assert [r[0:2] for r in ranking.iter_rows(min_row=4, values_only=True)] == [(1, B), (2, A)]
    assert client.get("/indicators/thu_ngan_sach.xlsx").status_code == 422  # province only: no commune table
