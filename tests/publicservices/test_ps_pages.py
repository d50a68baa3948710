"""The public-services board: numbers from a small pushed data set, officer's view, drill-down, exports, browser."""

from __future__ import annotations

import io
import re
import zlib

import pytest

from conftest import ONE_STORE, login
from dieuhanh.core.security import SYSTEM
from dieuhanh.publicservices import compute, service

PROCEDURES = [
    {"MaTTHC": "1.000001", "TenTTHC": "Cấp giấy phép hành nghề khám bệnh, chữa bệnh", "MaLinhVuc": "YT",
     "TenLinhVuc": "Khám bệnh, chữa bệnh", "MaCoQuan": "SYT", "MucDoDVC": "toan_trinh", "CoPhiLePhi": 1,
     "YeuCauKetQua": 1, "ThoiHanGiaiQuyet": 5},
    {"MaTTHC": "1.000002", "TenTTHC": "Cấp Phiếu lý lịch tư pháp", "MaLinhVuc": "LLTP",
     "TenLinhVuc": "Lý lịch tư pháp", "MaCoQuan": "STP", "MucDoDVC": "mot_phan", "CoPhiLePhi": 0,
     "YeuCauKetQua": 1, "ThoiHanGiaiQuyet": 10},
]
A, B = "13285", "13291"  # Phường Phủ Lý, Phường Phù Vân


def _dossier(code: str, proc: str, agency: str, commune: str, channel: int, received: str, due: str, end: str,
             **extra: object) -> dict[str, object]:
    return {"MaHoSo": code, "MaTTHC": proc, "MaCoQuan": agency, "MaDonViHanhChinh": commune,
            "KenhThucHien": channel, "TrangThaiHoSo": 10, "NgayTiepNhan": received, "NgayHenTra": due,
            "NgayKetThucXuLy": end, "NgayCapNhat": end, "SoLanYeuCauBoSung": 0, "DuocThanhToanTrucTuyen": 0,
            "CoKetQuaDienTu": 1, "DuocSoHoa": 1, "DuocTaiSuDung": 0, "DanhGia": "", "CoPhanAnh": 0, **extra}


# June 2025: SYT has one late dossier of two, STP none late of two. Province 2.1 = 3/4, 3.3 = 2/4.
DOSSIERS = [
    _dossier("SYT-1", "1.000001", "SYT", A, 2, "2025-06-02T08:00:00", "2025-06-09T17:00:00", "2025-06-05T10:00:00",
             DuocThanhToanTrucTuyen=1),
    _dossier("SYT-2", "1.000001", "SYT", A, 1, "2025-06-02T09:00:00", "2025-06-09T17:00:00", "2025-06-12T10:00:00"),
    _dossier("STP-1", "1.000002", "STP", B, 2, "2025-06-03T08:00:00", "2025-06-17T17:00:00", "2025-06-10T10:00:00"),
    _dossier("STP-2", "1.000002", "STP", B, 1, "2025-06-04T08:00:00", "2025-06-18T17:00:00", "2025-06-11T10:00:00"),
]


def _load(db, warehouse) -> None:
    with db.session() as session:
        service.upsert_procedures(session, warehouse, PROCEDURES, principal=SYSTEM, province_code="37")
    with db.session() as session:
        service.upsert_dossiers(session, warehouse, DOSSIERS, principal=SYSTEM, province_code="37")
    with db.session() as session:
        compute.recompute(session, warehouse, province_code="37", principal=SYSTEM, indicators=False)


def _value(warehouse, scope: str, unit: str, code: str, column: str = "score"):
    return warehouse.query(
        f"SELECT {column} FROM tthc_chi_so_766 WHERE period = '2025-06' AND scope = ? AND unit_code = ? "
        "AND indicator_code = ?", [scope, unit, code]).column(0).to_pylist()[0]


def _row(html: str, code: str) -> str:
    match = re.search(rf'<tr data-code="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert match, code
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def test_board_shows_the_engine_numbers_for_the_province(client, db, warehouse, factory):
    _load(db, warehouse)
    _, leader, _ = factory.user("leader")
    login(client, leader)
    page = client.get("/publicservices", params={"period": "2025-06"})
    assert page.status_code == 200, page.text
    html = page.text
    assert "Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)" in html
    assert "Dữ liệu mô phỏng" not in html  # pushed data, not the demo
    row = _row(html, "2.1")
    assert " 3 " in row and " 4 " in row and "75,00 %" in row
    assert "15,00 / 20" in row  # 20 × 0,75
    assert "50,00 %" in _row(html, "3.3")
    assert "50,00 %" in _row(html, "3.6")  # one of SYT's two fee dossiers was paid online
    total = _value(warehouse, "province", "37", "tong")
    covered = _value(warehouse, "province", "37", "tong", "covered_points")
    assert f"{total:.2f}".replace(".", ",") in html
    assert f"{covered:g}/100 điểm có dữ liệu".replace(".", ",") in html
    # Rankings: STP (no late dossier) before SYT; communes too; rows link to the unit's scores.
    agencies = re.search(r'data-testid="ps-rank-agency">(.*?)</table>', html, re.S).group(1)
    assert agencies.index('data-unit="STP"') < agencies.index('data-unit="SYT"')
    assert "/publicservices?scope=agency&unit=SYT&period=2025-06" in agencies
    communes = re.search(r'data-testid="ps-rank-commune">(.*?)</table>', html, re.S).group(1)
    assert communes.index(f'data-unit="{B}"') < communes.index(f'data-unit="{A}"')
    # One agency's page: its own numbers.
    syt = client.get("/publicservices", params={"period": "2025-06", "scope": "agency", "unit": "SYT"}).text
    assert "50,00 %" in _row(syt, "2.1")
    # Period selector: the quarter and the year exist too.
    year = client.get("/publicservices", params={"period": "2025", "kind": "year"}).text
    assert "75,00 %" in _row(year, "2.1")


def test_officer_sees_only_their_own_agency(client, db, warehouse, factory):
    _load(db, warehouse)
    _, officer, _ = factory.user("officer", agency="SYT")
    login(client, officer)
    page = client.get("/publicservices", params={"period": "2025-06"})
    assert page.status_code == 200
    assert "Sở Y tế" in page.text and "50,00 %" in _row(page.text, "2.1")
    assert 'data-testid="ps-rank-agency"' not in page.text
    assert client.get("/publicservices", params={"scope": "agency", "unit": "STP"}).status_code == 403
    assert client.get("/publicservices", params={"scope": "province"}).status_code == 403
    assert client.get("/publicservices/ranking.xlsx", params={"scope": "agency"}).status_code == 403
    assert client.get("/publicservices/dossiers", params={"scope": "agency", "unit": "STP"}).status_code == 403
    late = client.get("/publicservices/dossiers", params={"period": "2025-06", "indicator": "2.1", "late": "true"})
    assert late.status_code == 200
    assert "SYT-2" in late.text and "SYT-1" not in late.text and "STP-" not in late.text


def test_drill_down_lists_late_dossiers_first(client, db, warehouse, factory):
    _load(db, warehouse)
    _, leader, _ = factory.user("leader")
    login(client, leader)
    page = client.get("/publicservices/dossiers", params={"indicator": "2.1", "period": "2025-06",
                                                          "scope": "province", "unit": "37"})
    assert page.status_code == 200, page.text
    codes = re.findall(r'<tr data-late="(\d)" data-code="([^"]+)"', page.text)
    assert [c for _l, c in codes][0] == "SYT-2" and codes[0][0] == "1"
    assert {c for _l, c in codes} == {"SYT-1", "SYT-2", "STP-1", "STP-2"}
    assert "02/06/2025" in page.text and "12/06/2025" in page.text  # dd/mm/yyyy
    assert "Đã trả kết quả" in page.text and "Trực tuyến" in page.text


def test_ranking_exports_xlsx_and_pdf(client, db, warehouse, factory):
    from openpyxl import load_workbook

    _load(db, warehouse)
    _, leader, _ = factory.user("leader")
    login(client, leader)
    response = client.get("/publicservices/ranking.xlsx", params={"scope": "agency", "period": "2025-06"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r[0] == "Hạng")
    body = {r[1]: r for r in rows[header + 1:]}
    assert set(body) == {"SYT", "STP"}
    assert body["STP"][0] == 1 and body["SYT"][0] == 2
    assert body["SYT"][3] == pytest.approx(_value(warehouse, "agency", "SYT", "tong"))
    assert body["SYT"][11] == pytest.approx(50.0) and body["STP"][11] == pytest.approx(100.0)
    assert body["SYT"][2] == "Sở Y tế"

    pdf = client.get("/publicservices/ranking.pdf", params={"scope": "commune", "period": "2025-06"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    data = pdf.content
    assert data.startswith(b"%PDF")
    parts = _pdf_streams(data)
    # The vendored DejaVu Sans ("IOC Sans" in the print CSS) is embedded as a TrueType font file.
    assert any(b"/FontFile2" in p for p in parts) and any(b"/BaseFont /" in p and b"IOC-Sans" in p for p in parts)
    text = _pdf_unicode(parts)
    for ch in "ếườạ":  # Vietnamese letters of "Xếp hạng xã, phường" are mapped in the embedded font
        assert ch in text, ch


def _pdf_streams(data: bytes) -> list[bytes]:
    """The file and its inflated streams (object streams included; no PDF library needed)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return parts


def _pdf_unicode(parts: list[bytes]) -> str:
    """The characters of the embedded fonts' ToUnicode maps (bfchar and bfrange entries)."""
    chars = []
    for raw in parts:
        if b"begincmap" not in raw:
            continue
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", raw, re.S):
            for _gid, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                chars.append(bytes.fromhex(uni.decode()).decode("utf-16-be", "ignore"))
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", raw, re.S):
            for lo, hi, start in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                chars.extend(chr(int(start, 16) + i) for i in range(int(hi, 16) - int(lo, 16) + 1))
    return "".join(chars)


@pytest.mark.browser
@ONE_STORE  # sorting, clicks and drawing; the board's numbers on both stores are the tests above
def test_board_in_a_browser_at_full_hd(page, live_server, db, warehouse, factory):
    _load(db, warehouse)
    _, leader, _ = factory.user("leader")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", leader)
    page.fill("input[name=password]", "mat-khau-thu-nghiem")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/publicservices?period=2025-06")
    assert "Quyết định 766/QĐ-TTg" in page.inner_text("[data-testid=ps-title]")
    page.wait_for_selector("#ps-trend svg")
    page.wait_for_selector("#ps-map canvas, #ps-map svg")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A click on "Tổng điểm" sorts ascending (the lower score first); a click on a row opens the unit.
    header = page.locator("[data-testid=ps-rank-agency] th", has_text="Tổng điểm")
    header.click()
    first = page.locator("[data-testid=ps-rank-agency] tbody tr").first.get_attribute("data-unit")
    assert first == "SYT"
    page.locator("[data-testid=ps-rank-agency] tbody tr[data-unit=SYT] td").nth(3).click()
    page.wait_for_url("**/publicservices?scope=agency&unit=SYT&period=2025-06")
    assert "Sở Y tế" in page.inner_text("[data-testid=ps-unit]")
    assert page.console_errors == []
