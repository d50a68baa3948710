"""API, pages and CLI of the indicator set."""

from __future__ import annotations

import subprocess
import sys

import yaml
from ind_helpers import A, C, add_definition, create_and_load, vax_definition

from conftest import login
from dieuhanh.indicators import service


def _setup(db, warehouse):
    batch = create_and_load(db, warehouse)
    add_definition(db)  # public
    add_definition(db, code="noi_bo", name="Chỉ số nội bộ", public=False)
    with db.session() as session:
        service.compute(session, warehouse, province_code="37")
    return batch


def test_public_indicator_is_readable_anonymously_and_internal_needs_login(client, db, warehouse, factory):
    batch = _setup(db, warehouse)
    listed = client.get("/api/v1/indicators").json()
    assert [d["code"] for d in listed] == ["ty_le_tiem"]
    assert listed[0]["latest"]["period"] == "2025-06"
    assert client.get("/api/v1/indicators/ty_le_tiem").status_code == 200
    assert client.get("/api/v1/indicators/noi_bo").status_code == 401
    assert client.get("/api/v1/indicators/noi_bo/values").status_code == 401
    _, secret = factory.token(["read"])
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/indicators/noi_bo", headers=headers).status_code == 200
    assert {d["code"] for d in client.get("/api/v1/indicators", headers=headers).json()} == {"noi_bo", "ty_le_tiem"}
    values = client.get("/api/v1/indicators/noi_bo/values", headers=headers,
                        params={"period": "2025-06", "level": "province"}).json()
    assert len(values) == 1
    row = values[0]
    assert row["unit_code"] == "37" and row["value"] == 88.0 and row["status"] == "warning"
    assert row["batches"] == [batch] and row["target"] == 95 and row["numerator"] == 176
    assert set(row) >= {"period", "unit_code", "unit_name", "value", "target", "status", "computed_at", "batches"}


def test_values_filter_by_period_unit_and_level(client, db, warehouse):
    _setup(db, warehouse)
    base = "/api/v1/indicators/ty_le_tiem/values"
    everything = client.get(base).json()
    assert {r["period"] for r in everything} == {"2025-05", "2025-06"}
    commune = client.get(base, params={"unit": C, "period": "2025-06"}).json()
    assert len(commune) == 1 and commune[0]["value"] is None and commune[0]["status"] == "nodata"
    assert commune[0]["unit_name"]
    communes = client.get(base, params={"level": "commune", "period": "2025-05"}).json()
    assert all(r["level"] == "commune" for r in communes) and len(communes) == 129
    assert [r["value"] for r in client.get(base, params={"unit": A}).json()] == [90.0, 96.0]
    assert client.get("/api/v1/indicators/khong_co").status_code == 404


def test_compute_and_define_need_analyst(client, db, warehouse, factory):
    _setup(db, warehouse)
    assert client.post("/api/v1/indicators/compute", json={}).status_code in (401, 403)  # CSRF or login
    _, secret = factory.token(["read"])
    assert client.post("/api/v1/indicators/compute", json={},
                       headers={"Authorization": f"Bearer {secret}"}).status_code == 403
    _, username, _ = factory.user("analyst")
    _, csrf = login(client, username)
    headers = {"X-CSRF-Token": csrf}
    response = client.post("/api/v1/indicators/compute", json={"codes": ["ty_le_tiem"]}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["computed"] == {"ty_le_tiem": 260}
    body = vax_definition(code="moi", name="Chỉ số mới của chuyên viên")
    created = client.post("/api/v1/indicators", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["origin"] == "analyst" and created.json()["check"]["ok"]
    assert len(client.get("/api/v1/indicators/moi/values").json()) == 260
    bad = client.post("/api/v1/indicators", json=vax_definition(code="hong", sql="SELECT 1 AS x FROM tiem_thu"),
                      headers=headers)
    assert bad.status_code == 422 and "period" in bad.json()["detail"]


def test_pages_list_and_detail(client, db, warehouse, factory):
    _setup(db, warehouse)
    add_definition(db, code="loi", name="Chỉ số lỗi", sql="SELECT 1 AS period FROM tiem_thu")
    with db.session() as session:
        service.compute(session, warehouse, province_code="37", codes=["loi"])
    _, username, _ = factory.user("leader")
    login(client, username)
    page = client.get("/indicators", params={"q": "tiem chung"})
    assert page.status_code == 200 and "Tỷ lệ tiêm chủng" in page.text and "Chỉ số lỗi" not in page.text
    assert "88" in page.text
    errors = client.get("/indicators").text
    assert "Lỗi:" in errors
    detail = client.get("/indicators/ty_le_tiem")
    assert detail.status_code == 200
    assert "/datasets/tiem_thu" in detail.text and "echarts.min.js" in detail.text and "GROUPING SETS" in detail.text


def _run_check(env, path):
    return subprocess.run([sys.executable, "-m", "dieuhanh.cli", "indicators", "check", str(path)], env=env,
                          capture_output=True, text=True, timeout=180)


def test_cli_check_good_and_bad_files(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
    env["DIEUHANH_DATA_DIR"] = str(tmp_path / "var")
    env["COLUMNS"] = "200"
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump([vax_definition(code="hang_so", sql=(
        "SELECT '2025' AS period, NULL AS unit_code, 42 AS value"), periodicity="year", levels=["province"])],
        allow_unicode=True), encoding="utf-8")
    result = _run_check(env, good)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hang_so" in result.stdout and "42" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump([vax_definition(code="hong", sql="SELECT 1 AS x FROM khong_co_bang")],
                                  allow_unicode=True), encoding="utf-8")
    result = _run_check(env, bad)
    assert result.returncode == 1 and "khong_co_bang" in result.stderr
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(yaml.safe_dump([vax_definition(code="X-Y")]), encoding="utf-8")
    result = _run_check(env, invalid)
    assert result.returncode == 1 and "code" in result.stderr
