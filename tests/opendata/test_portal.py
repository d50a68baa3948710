"""The open data portal: search and facets, dataset pages, streamed downloads, and a phone-sized browser run."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from catalog_helpers import CSV_OK, csv_upload, dataset_body
from openpyxl import load_workbook

from conftest import login

SCHOOLS_SCHEMA = [
    {"name": "ma_xa", "type": "unit_code", "required": True},
    {"name": "ten_truong", "type": "string", "required": True},
    {"name": "so_hoc_sinh", "type": "integer"},
    {"name": "ty_le", "type": "number"},
    {"name": "ghi_chu", "type": "string"},
    {"name": "nguoi_lien_he", "type": "string"},
]
SCHOOLS_CSV = (
    "ma_xa,ten_truong,so_hoc_sinh,ty_le,ghi_chu,nguoi_lien_he\n"
    '13285,Trường Tiểu học Phù Vân,"1.250","12,5","=HYPERLINK(""x"")",Nguyễn Văn Bảo\n'
    '13291,Trường THCS Lê Hồng Phong,980,"-3,5",@ghi chú,Trần Thị Cúc\n'
    "13318,Trường Mầm non Hoa Sen,410,7,-giảm sĩ số,Lê Văn Dũng\n"
)
POPULATION_PUBLIC = ["ma_xa", "nam", "dan_so", "dien_tich", "ngay_cap_nhat"]
SCHOOLS_PUBLIC = ["ma_xa", "ten_truong", "so_hoc_sinh", "ty_le", "ghi_chu"]  # nguoi_lien_he becomes PII


@pytest.fixture(autouse=True)
def portal(app):  # type: ignore[no-untyped-def]
    """Mount the portal on the test app (the module list is wired elsewhere)."""
    from dieuhanh.opendata import downloads, views

    if not any(getattr(r, "path", "") == "/opendata" for r in app.routes):
        app.include_router(views.router)
        app.include_router(downloads.router)
        app.state.templates.env.loader.loaders[0].searchpath.append(str(Path(views.__file__).parent / "templates"))
    return app


def _publish(client, factory, *names: str, expect: int = 200) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    for name in names:
        response = client.post(f"/api/v1/datasets/{name}/publish", headers={"X-CSRF-Token": csrf})
        assert response.status_code == expect, response.text
    client.cookies.clear()


@pytest.fixture
def catalog(client, factory, agency_token, db):  # type: ignore[no-untyped-def]
    """Two published public datasets (TKT population, SGDDT schools), and three that must never show."""
    _, secret = factory.token(["datasets"], agency="SGDDT", name="he-thong-giao-duc")
    school_token = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/datasets", json=dataset_body(access="public"), headers=agency_token).status_code == 201
    assert csv_upload(client, "dan_so_xa", CSV_OK, agency_token).status_code == 201
    schools = dataset_body(name="truong_hoc", owner="SGDDT", access="public", schema=SCHOOLS_SCHEMA,
                           title="Trường học các cấp theo xã", tags=["giáo dục", "trường học"],
                           description="Các trường và học sinh theo xã.")
    assert client.post("/api/v1/datasets", json=schools, headers=school_token).status_code == 201
    assert csv_upload(client, "truong_hoc", SCHOOLS_CSV, school_token).status_code == 201
    # Never on the portal: internal, public-but-unpublished, public with a PII column (publishing refused).
    hidden = [
        dataset_body(name="dan_so_noi_bo", title="Dân số nội bộ theo thôn"),
        dataset_body(name="dan_so_du_thao", title="Dân số dự thảo", access="public"),
        dataset_body(name="dan_so_ca_nhan", title="Dân số có họ tên", access="public",
                     schema=[{"name": "ma_xa", "type": "unit_code"},
                             {"name": "ho_ten", "type": "string", "pii": True}]),
    ]
    for body in hidden:
        assert client.post("/api/v1/datasets", json=body, headers=agency_token).status_code == 201
    assert csv_upload(client, "dan_so_ca_nhan", "ma_xa,ho_ten\n13285,Phạm Thị Bí Mật\n",
                      agency_token).status_code == 201
    _publish(client, factory, "dan_so_xa", "truong_hoc")
    _publish(client, factory, "dan_so_noi_bo", "dan_so_ca_nhan", expect=422)
    # After publishing, the contact column is reclassified as personal data: it must vanish everywhere.
    from dieuhanh.catalog.models import Dataset, DatasetColumn

    with db.session() as session:
        ds = session.query(Dataset).filter_by(name="truong_hoc").one()
        col = session.query(DatasetColumn).filter_by(dataset_id=ds.id, name="nguoi_lien_he").one()
        col.pii = True
    return client


def _names(html: str) -> list[str]:
    return re.findall(r'data-testid="dataset-item" data-name="([^"]+)"', html)


def test_search_without_diacritics_and_facets(catalog, factory, db):
    client = catalog
    page = client.get("/opendata")
    assert page.status_code == 200
    assert sorted(_names(page.text)) == ["dan_so_xa", "truong_hoc"]
    assert "Sở Giáo dục" in page.text  # organisation facet shows agency names, not only codes
    # Without diacritics, with and without upper case.
    assert _names(client.get("/opendata", params={"q": "dan so"}).text) == ["dan_so_xa"]
    assert _names(client.get("/opendata", params={"q": "TRUONG hoc"}).text) == ["truong_hoc"]
    assert _names(client.get("/opendata", params={"q": "trường"}).text) == ["truong_hoc"]
    assert _names(client.get("/opendata", params={"q": "khong co gi"}).text) == []
    # Facet links are real filters: follow the organisation link of SGDDT.
    link = re.search(r'href="([^"]+)"[^>]*data-value="sgddt"', page.text)
    assert link, "organisation facet link missing"
    filtered = client.get(link.group(1).replace("&amp;", "&"))
    assert _names(filtered.text) == ["truong_hoc"]
    assert _names(client.get("/opendata", params={"groups": "dan-cu"}).text) == ["dan_so_xa"]
    assert _names(client.get("/opendata", params={"tags": "trường học"}).text) == ["truong_hoc"]
    assert sorted(_names(client.get("/opendata", params={"res_format": "CSV"}).text)) == ["dan_so_xa", "truong_hoc"]
    assert _names(client.get("/opendata", params={"organization": "tkt", "tags": "giáo dục"}).text) == []
    # Sorting and paging.
    assert _names(client.get("/opendata", params={"sort": "title desc"}).text) == ["truong_hoc", "dan_so_xa"]
    assert _names(client.get("/opendata", params={"sort": "title asc"}).text) == ["dan_so_xa", "truong_hoc"]
    assert "Trang 1/1 · 2 mục" in page.text
    # Organisation pages list only agencies with published datasets.
    orgs = client.get("/opendata/organizations").text
    assert "/opendata/organizations/tkt" in orgs and "/opendata/organizations/sgddt" in orgs
    assert "/opendata/organizations/syt" not in orgs
    org = client.get("/opendata/organizations/SGDDT")
    assert org.status_code == 200 and "/opendata/datasets/truong_hoc" in org.text
    assert "/opendata/datasets/dan_so_xa" not in org.text
    assert client.get("/opendata/organizations/syt").status_code == 404
    # The index's page, counts and facets over every hit; an unpublish leaves it at the next search.
    from dieuhanh.opendata import service

    with db.session() as session:
        second = service.search(session, q="XA", rows=1, start=1)
        assert second.count == 2 and [d.name for d in second.items] == ["truong_hoc"]
        assert second.facets["organization"] == {"tkt": 1, "sgddt": 1}
        assert second.facets["res_format"]["CSV"] == 2
    client.cookies.clear()
    _, analyst, _ = factory.user("analyst")
    _, csrf = login(client, analyst)
    assert client.post("/api/v1/datasets/truong_hoc/unpublish", headers={"X-CSRF-Token": csrf}).status_code == 200
    with db.session() as session:
        left = service.search(session, q="", filters={"res_format": ["CSV"]})
        assert [d.name for d in left.items] == ["dan_so_xa"] and left.facets["organization"] == {"tkt": 1}


def test_unpublished_and_personal_data_never_appear(catalog):
    client = catalog
    listing = client.get("/opendata", params={"q": "dan so"}).text
    for hidden in ("dan_so_noi_bo", "dan_so_du_thao", "dan_so_ca_nhan"):
        assert hidden not in listing
        assert client.get(f"/opendata/datasets/{hidden}").status_code == 404
        for fmt in ("csv", "json", "parquet", "xlsx"):
            assert client.get(f"/opendata/datasets/{hidden}/download.{fmt}").status_code == 404
    assert client.get("/opendata/datasets/khong_ton_tai").status_code == 404
    assert client.get("/opendata/datasets/truong_hoc/download.exe").status_code == 404
    detail = client.get("/opendata/datasets/truong_hoc").text
    assert "nguoi_lien_he" not in detail and "Nguyễn Văn Bảo" not in detail
    for fmt in ("csv", "json"):
        body = client.get(f"/opendata/datasets/truong_hoc/download.{fmt}").text
        assert "nguoi_lien_he" not in body and "Nguyễn Văn Bảo" not in body and "Trần Thị Cúc" not in body
    assert "Phạm Thị Bí Mật" not in client.get("/opendata", params={"q": "ho ten"}).text


def test_dataset_page_metadata_preview_chart_and_api_examples(catalog):
    page = catalog.get("/opendata/datasets/dan_so_xa")
    assert page.status_code == 200
    html = page.text
    assert "Dân số trung bình theo xã, phường" in html
    assert "Cục Thống kê" in html or "Thống kê" in html  # organisation name
    assert "Creative Commons Ghi công 4.0" in html and "Hằng năm" in html
    assert re.search(r'data-testid="modified">\d\d/\d\d/\d{4}<', html)
    assert "Dân cư, lao động" in html and "dân số" in html
    assert "45.123" in html and "38.210" in html  # preview numbers in Vietnamese form
    assert 'data-testid="chart"' in html and "/static/vendor/echarts/echarts.min.js" in html
    chart = json.loads(re.search(r'id="od-chart-data">(.*?)</script>', html, re.S).group(1))
    assert chart["y"] == "dan_so" and chart["x"] == "ma_xa" and sorted(chart["values"]) == [21004, 38210, 45123]
    # Communes by name, one period only (the latest), never the sum of different years.
    assert "Phường Phủ Lý" in chart["labels"] and "13285" not in chart["labels"] and chart["period"] == "2024"
    assert "/api/3/action/datastore_search?resource_id=dan_so_xa-csv&amp;limit=5" in html
    assert "/api/3/action/package_show?id=dan_so_xa" in html
    assert 'RemoteCKAN("http://127.0.0.1")' in html and 'package_show(id="dan_so_xa")' in html
    assert 'href="/dataset/dan_so_xa.ttl"' in html
    for fmt in ("csv", "json", "parquet", "xlsx"):
        assert f"/opendata/datasets/dan_so_xa/download.{fmt}" in html
    assert "download.csv?bom=1" in html


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


@pytest.mark.parametrize("name,columns,rows", [("dan_so_xa", POPULATION_PUBLIC, 3), ("truong_hoc", SCHOOLS_PUBLIC, 3)])
def test_every_download_format_parses_back_with_public_columns_and_all_rows(catalog, tmp_path, name, columns, rows):
    client = catalog
    got = client.get(f"/opendata/datasets/{name}/download.csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
    assert not got.content.startswith(b"\xef\xbb\xbf")
    parsed = _csv_rows(got.content)
    assert list(parsed[0]) == columns and len(parsed) == rows

    got = client.get(f"/opendata/datasets/{name}/download.json")
    assert got.headers["content-disposition"] == f'attachment; filename="{name}.json"'
    data = json.loads(got.content)
    assert isinstance(data, list) and len(data) == rows and all(list(r) == columns for r in data)

    got = client.get(f"/opendata/datasets/{name}/download.parquet")
    assert got.headers["content-disposition"] == f'attachment; filename="{name}.parquet"'
    (tmp_path / "d.parquet").write_bytes(got.content)
    table = pq.read_table(tmp_path / "d.parquet")
    assert table.column_names == columns and table.num_rows == rows

    got = client.get(f"/opendata/datasets/{name}/download.xlsx")
    assert got.headers["content-disposition"] == f'attachment; filename="{name}.xlsx"'
    (tmp_path / "d.xlsx").write_bytes(got.content)
    sheet = load_workbook(tmp_path / "d.xlsx", read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == columns and len(values) == rows + 1

    if name == "dan_so_xa":
        assert sorted(int(r["dan_so"]) for r in parsed) == [21004, 38210, 45123]
        assert sorted(r["dan_so"] for r in data) == [21004, 38210, 45123]
        assert sorted(table.column("dan_so").to_pylist()) == [21004, 38210, 45123]
        assert sorted(v[columns.index("dan_so")] for v in values[1:]) == [21004, 38210, 45123]


def test_csv_bom_for_excel(catalog):
    got = catalog.get("/opendata/datasets/dan_so_xa/download.csv", params={"bom": "1"})
    assert got.content.startswith(b"\xef\xbb\xbf")
    assert got.content[3:].decode("utf-8").splitlines()[0] == ",".join(POPULATION_PUBLIC)


def test_formula_injection_is_neutralised_in_csv_and_xlsx(catalog, tmp_path):
    rows = {r["ten_truong"]: r for r in _csv_rows(catalog.get("/opendata/datasets/truong_hoc/download.csv").content)}
    assert rows["Trường Tiểu học Phù Vân"]["ghi_chu"] == "'=HYPERLINK(\"x\")"
    assert rows["Trường THCS Lê Hồng Phong"]["ghi_chu"] == "'@ghi chú"
    assert rows["Trường Mầm non Hoa Sen"]["ghi_chu"] == "'-giảm sĩ số"
    assert rows["Trường THCS Lê Hồng Phong"]["ty_le"] == "-3.5"  # a real number is left alone
    # JSON is data, not a spreadsheet: the value comes out as it is.
    data = catalog.get("/opendata/datasets/truong_hoc/download.json").json()
    assert {r["ghi_chu"] for r in data} >= {'=HYPERLINK("x")'}

    (tmp_path / "t.xlsx").write_bytes(catalog.get("/opendata/datasets/truong_hoc/download.xlsx").content)
    sheet = load_workbook(tmp_path / "t.xlsx").active
    header = [c.value for c in sheet[1]]
    by_name = {r[header.index("ten_truong")].value: r for r in sheet.iter_rows(min_row=2)}
    cell = by_name["Trường Tiểu học Phù Vân"][header.index("ghi_chu")]
    assert cell.value == "'=HYPERLINK(\"x\")" and cell.data_type == "s"
    negative = by_name["Trường THCS Lê Hồng Phong"][header.index("ty_le")]
    assert negative.value == -3.5 and negative.data_type == "n"
    assert by_name["Trường Tiểu học Phù Vân"][header.index("so_hoc_sinh")].value == 1250


def test_dataset_without_numbers_has_no_chart(client, factory, agency_token):
    body = dataset_body(name="dia_chi_cong", access="public", title="Địa điểm công cộng",
                        schema=[{"name": "ma_xa", "type": "unit_code"}, {"name": "ten", "type": "string"}])
    assert client.post("/api/v1/datasets", json=body, headers=agency_token).status_code == 201
    assert csv_upload(client, "dia_chi_cong", "ma_xa,ten\n13285,Nhà văn hóa\n", agency_token).status_code == 201
    _publish(client, factory, "dia_chi_cong")
    html = client.get("/opendata/datasets/dia_chi_cong").text
    assert "Nhà văn hóa" in html and 'data-testid="chart"' not in html and "echarts.min.js" not in html


# ------------------------------------------------------------------------------------------------ browser


def _no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.browser
def test_phone_search_open_dataset_and_download_csv(catalog, page, live_server):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/opendata")
    assert _no_horizontal_scroll(page)
    page.fill("[data-testid=search-input]", "dan so")
    page.press("[data-testid=search-input]", "Enter")
    page.wait_for_url("**/opendata?q=dan+so*")
    items = page.locator("[data-testid=dataset-item]")
    assert items.count() == 1
    items.first.locator("h3 a").click()
    page.wait_for_url("**/opendata/datasets/dan_so_xa")
    page.wait_for_selector("[data-testid=chart] canvas")
    assert page.inner_text("[data-testid=dataset-title]") == "Dân số trung bình theo xã, phường"
    assert _no_horizontal_scroll(page)
    assert page.console_errors == []  # type: ignore[attr-defined]
    with page.expect_download() as info:
        page.click("[data-testid=download-csv]")
    download = info.value
    assert download.suggested_filename == "dan_so_xa.csv"
    with open(download.path(), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == POPULATION_PUBLIC
    assert sorted(int(r["dan_so"]) for r in rows) == [21004, 38210, 45123]
    # The same pages at 1920×1080.
    page.set_viewport_size({"width": 1920, "height": 1080})
    for path in ("/opendata", "/opendata/datasets/truong_hoc", "/opendata/organizations"):
        page.goto(f"{live_server}{path}")
        assert _no_horizontal_scroll(page), path
    assert page.console_errors == []  # type: ignore[attr-defined]


# One process at a time holds a DuckDB file for writing (the embedded store); PostgreSQL has no such lock.
@pytest.mark.parametrize("store_kind", ["sqlite"], indirect=True)
def test_download_while_another_process_holds_the_warehouse_fails_before_its_first_byte(catalog, warehouse):
    import subprocess
    import sys

    warehouse.read_busy_timeout = 0.5
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ok', flush=True); time.sleep(60)"),
        warehouse.path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        for fmt in ("csv", "json"):
            got = catalog.get(f"/opendata/datasets/dan_so_xa/download.{fmt}")
            # a clear answer instead of a file cut off after its header; no server path in it
            assert got.status_code == 503 and "Vui lòng thử lại" in got.text, got.text[:300]
            assert warehouse.path not in got.text
    finally:
        holder.kill()
        holder.wait()
        warehouse.read_busy_timeout = 2.0
    got = catalog.get("/opendata/datasets/dan_so_xa/download.csv")
    assert got.status_code == 200 and got.headers["content-length"] == str(len(got.content))
