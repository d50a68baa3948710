"""Loading files and pushed records: all rows or none, every error by row and column."""

from __future__ import annotations

import io
import zipfile

import pytest
from catalog_helpers import CSV_OK, csv_upload, dataset_body

from conftest import login
from dieuhanh.catalog.models import LoadBatch


def test_csv_upload_is_one_batch_with_typed_values_and_mapped_units(client, population, agency_token):
    response = csv_upload(client, "dan_so_xa", CSV_OK, agency_token)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"batch_id", "rows", "status"} and body["rows"] == 3 and body["status"] == "loaded"
    rows = client.get("/api/v1/datasets/dan_so_xa/rows", headers=agency_token).json()
    assert rows["total"] == 3
    by_unit = {r["ma_xa"]: r for r in rows["rows"]}
    assert by_unit["13285"]["dan_so"] == 45123 and by_unit["13285"]["dien_tich"] == 12.5
    assert by_unit["13291"]["dan_so"] == 38210  # Phường Phù Vân by current name
    assert by_unit["13435"]["dan_so"] == 21004  # legacy Thanh Sơn (Kim Bảng) -> Phường Lý Thường Kiệt
    assert by_unit["13285"]["ngay_cap_nhat"] == "2024-12-31"
    assert all(r["_batch_id"] == body["batch_id"] for r in rows["rows"])


@pytest.mark.parametrize(("content", "row", "column", "fragment"), [
    ("ma_xa,nam,dan_so\n13285,2024,abc\n", 2, "dan_so", "Cần một số"),
    ("ma_xa,nam,dan_so,ngay_cap_nhat\n13285,2024,1,31/02/2024\n", 2, "ngay_cap_nhat", "không tồn tại"),
    ("ma_xa,nam,dan_so\n13285,2024,1\nXã Không Tồn Tại,2024,2\n", 3, "ma_xa", "Không xác định được"),
    ("ma_xa,nam,dan_so\n13285,2024,1\n13285,2024,2\n", 3, "ma_xa", "trùng với dòng 2"),
    ("ma_xa,nam,dan_so\n13285,,1\n", 2, "nam", "để trống"),
    ("ma_xa,nam\n13285,2024\n", None, "dan_so", "Thiếu cột bắt buộc"),
    ("ma_xa,nam,dan_so,ghi_chu\n13285,2024,1,x\n", None, "ghi_chu", "không có trong lược đồ"),
])
def test_bad_files_are_refused_with_row_and_column_and_store_nothing(
        client, population, agency_token, warehouse, content, row, column, fragment):
    response = csv_upload(client, "dan_so_xa", content, agency_token)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_count"] >= 1
    match = [e for e in body["errors"] if e.get("column") == column and fragment in e["message"]]
    assert match, body["errors"]
    if row is not None:
        assert match[0]["row"] == row
    assert not warehouse.table_exists("dan_so_xa") or warehouse.query(
        "SELECT count(*) FROM dan_so_xa").column(0)[0].as_py() == 0
    batches = client.get("/api/v1/datasets/dan_so_xa/batches", headers=agency_token).json()
    assert [b["status"] for b in batches] == ["rejected"] and batches[0]["error_count"] >= 1


@pytest.mark.parametrize("content", ["", "ma_xa,nam,dan_so\n"])
def test_empty_file_and_header_only_are_refused(client, population, agency_token, content):
    response = csv_upload(client, "dan_so_xa", content, agency_token)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_duplicate_unique_key_against_existing_rows_is_refused(client, population, agency_token, warehouse):
    assert csv_upload(client, "dan_so_xa", CSV_OK, agency_token).status_code == 201
    again = csv_upload(client, "dan_so_xa", "ma_xa,nam,dan_so\n13285,2025,46000\n", agency_token)
    assert again.status_code == 422
    assert "đã có trong bộ dữ liệu" in again.json()["errors"][0]["message"]
    assert warehouse.query("SELECT count(*) FROM dan_so_xa").column(0)[0].as_py() == 3


def test_replace_mode_swaps_the_data_and_supersedes_old_batches(client, population, agency_token, db):
    first = csv_upload(client, "dan_so_xa", CSV_OK, agency_token).json()
    second = csv_upload(client, "dan_so_xa", "ma_xa,nam,dan_so\n13285,2025,46000\n", agency_token,
                        mode="replace").json()
    rows = client.get("/api/v1/datasets/dan_so_xa/rows", headers=agency_token).json()
    assert rows["total"] == 1 and rows["rows"][0]["dan_so"] == 46000
    with db.session() as session:
        assert session.get(LoadBatch, first["batch_id"]).status == "superseded"
        assert session.get(LoadBatch, second["batch_id"]).status == "loaded"


def test_pushed_records_with_idempotency_key_load_once(client, population, agency_token):
    records = {"records": [{"ma_xa": "13285", "nam": 2024, "dan_so": 45123, "dien_tich": 12.5}]}
    headers = {**agency_token, "Idempotency-Key": "tkt-2024-001"}
    first = client.post("/api/v1/datasets/dan_so_xa/batches", json=records, headers=headers)
    retry = client.post("/api/v1/datasets/dan_so_xa/batches", json=records, headers=headers)
    assert first.status_code == 201 and retry.status_code == 201
    assert retry.json() == first.json()
    assert client.get("/api/v1/datasets/dan_so_xa/rows", headers=agency_token).json()["total"] == 1
    assert len(client.get("/api/v1/datasets/dan_so_xa/batches", headers=agency_token).json()) == 1


def test_pushed_records_json_numbers_use_a_decimal_point(client, population, agency_token):
    records = {"records": [{"ma_xa": "13285", "nam": 2024, "dan_so": 45123, "dien_tich": 1234.5}]}
    assert client.post("/api/v1/datasets/dan_so_xa/batches", json=records, headers=agency_token).status_code == 201
    row = client.get("/api/v1/datasets/dan_so_xa/rows", headers=agency_token).json()["rows"][0]
    assert row["dien_tich"] == 1234.5


def test_over_size_upload_gets_413(client, population, agency_token, app):
    app.state.settings.max_upload_mb = 1
    big = "ma_xa,nam,dan_so\n" + "13285,2024,1\n" * 120_000
    response = csv_upload(client, "dan_so_xa", big, agency_token)
    assert response.status_code == 413
    assert "1 MB" in response.json()["detail"]


def test_zip_bomb_xlsx_is_refused(client, population, agency_token):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<a>" + "0" * (300 * 1024 * 1024) + "</a>")
    response = client.post("/api/v1/datasets/dan_so_xa/batches", headers=agency_token,
                           files={"file": ("bom.xlsx", buf.getvalue(),
                                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
    assert response.status_code in (413, 422)
    assert response.json()["detail"]
    batches = client.get("/api/v1/datasets/dan_so_xa/batches", headers=agency_token).json()
    assert all(b["status"] == "rejected" for b in batches)


def test_legacy_encoded_csv_is_detected_and_converted(client, population, agency_token):
    from dieuhanh.ingest.encodings import encode

    text = "ma_xa,nam,dan_so\nPhường Phủ Lý,2024,45123\nXã Bình Mỹ,2024,30000\n"
    for label in ("windows-1258", "tcvn3", "vni"):
        preview = client.post("/api/v1/datasets/dan_so_xa/preview", headers=agency_token,
                              files={"file": ("bao-cao.csv", encode(text, label), "text/csv")})
        assert preview.status_code == 200, preview.text
        body = preview.json()
        assert body["encoding"] == label and body["error_count"] == 0
        assert body["sample"][0]["ma_xa"] == "Phường Phủ Lý"


def test_officer_cannot_load_into_another_agencys_dataset(client, population, factory):
    _, secret = factory.token(["datasets"], agency="SYT", name="he-thong-y-te")
    response = csv_upload(client, "dan_so_xa", CSV_OK, {"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403
    _, username, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, username)
    response = csv_upload(client, "dan_so_xa", CSV_OK, {"X-CSRF-Token": csrf})
    assert response.status_code == 403


def test_agency_token_defines_only_its_own_agencys_datasets(client, agency_token):


    assert client.post("/api/v1/datasets", json=dataset_body(name="cua_so_y_te", owner="SYT"),
                       headers=agency_token).status_code == 403
    assert client.post("/api/v1/datasets", json=dataset_body(name="cua_thong_ke"),
                       headers=agency_token).status_code == 201
    # ... and a datasets token cannot do anything else, e.g. read the audit log or run SQL.
    assert client.get("/api/v1/audit", headers=agency_token).status_code == 403
    assert client.post("/api/v1/query", json={"sql": "SELECT 1"}, headers=agency_token).status_code == 403


def test_rollback_removes_the_batch_rows_and_is_audited(client, population, agency_token, factory):
    batch = csv_upload(client, "dan_so_xa", CSV_OK, agency_token).json()
    _, username, _ = factory.user("analyst")
    _, csrf = login(client, username)
    response = client.delete(f"/api/v1/datasets/dan_so_xa/batches/{batch['batch_id']}",
                             headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.json()["status"] == "rolled_back"
    assert client.get("/api/v1/datasets/dan_so_xa/rows").json()["total"] == 0
    _, admin, _ = factory.user("admin")
    client.cookies.clear()
    login(client, admin)
    audit = client.get("/api/v1/audit", params={"action": "batch.rollback"}).json()
    assert audit["total"] == 1 and audit["items"][0]["entity_id"] == batch["batch_id"]


def test_schema_versions_add_columns_and_batches_record_their_version(client, population, agency_token, db):
    from catalog_helpers import POPULATION_SCHEMA

    assert csv_upload(client, "dan_so_xa", CSV_OK, agency_token).status_code == 201
    new_schema = [*POPULATION_SCHEMA, {"name": "so_ho", "type": "integer", "description": "Số hộ"}]
    response = client.put("/api/v1/datasets/dan_so_xa/schema", json={"schema": new_schema}, headers=agency_token)
    assert response.status_code == 200 and response.json()["schema_version"] == 2
    changed_type = [{**c, "type": "string"} if c["name"] == "dan_so" else c for c in new_schema]
    refused = client.put("/api/v1/datasets/dan_so_xa/schema", json={"schema": changed_type}, headers=agency_token)
    assert refused.status_code == 422 and "dan_so" in refused.json()["detail"]
    loaded = csv_upload(client, "dan_so_xa", "ma_xa,nam,dan_so,so_ho\n13318,2024,25000,7100\n", agency_token)
    assert loaded.status_code == 201
    rows = client.get("/api/v1/datasets/dan_so_xa/rows", headers=agency_token).json()
    assert {r["ma_xa"]: r["so_ho"] for r in rows["rows"]}["13318"] == 7100
    with db.session() as session:
        versions = sorted(b.schema_version for b in session.query(LoadBatch).all())
    assert versions == [1, 2]
