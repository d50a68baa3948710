"""Items 1-3 of the audit: user SQL and indicator SQL cannot read what the caller may not (PostgreSQL
functions that run a query string, PII columns, the operational schema); errors echo no data value; tokens
read agency data only with the scope that names it."""

from __future__ import annotations

import pytest
from sec_helpers import DATASET, assert_no_canary, create_beneficiaries

from conftest import login

ATTACKS = [
    "SELECT query_to_xml('select username, password_hash from public.app_user', true, false, '')",
    "SELECT pg_catalog.query_to_xml('select token_hash from public.api_token', true, false, '')",
    "SELECT table_to_xml('public.app_user', true, false, '')",
    "SELECT database_to_xml(true, false, '')",
    "SELECT * FROM ts_stat('select so_cccd from doi_tuong_bao_tro_xa_hoi')",
    "SELECT ts_stat('select 1')",
    "SELECT current_user, version()",
    "SELECT md5(ma_xa) FROM doi_tuong_bao_tro_xa_hoi",
]


@pytest.fixture
def analyst(client, factory):
    create_beneficiaries(client, factory)
    _, username, _ = factory.user("analyst")
    _, csrf = login(client, username)
    return {"X-CSRF-Token": csrf}


def test_functions_outside_the_allow_list_are_refused(client, analyst):
    for sql in ATTACKS:
        response = client.post("/api/v1/query", headers=analyst, json={"sql": sql})
        assert response.status_code == 422, (sql, response.text)
        assert "argon2" not in response.text and "password" not in response.text.lower()
    ok = client.post("/api/v1/query", headers=analyst, json={
        "sql": f"SELECT ma_xa, round(sum(muc_tro_cap) / 1000, 1) AS nghin, count(*) FROM {DATASET} "
               "WHERE lower(ghi_chu) LIKE '%qwv%' OR ghi_chu IS NULL GROUP BY ma_xa ORDER BY ma_xa"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["rows"] == [["13285", 540.0, 1], ["13291", 720.0, 1]]


def test_engine_errors_do_not_echo_data_values(client, analyst):
    response = client.post("/api/v1/query", headers=analyst,
                           json={"sql": f"SELECT CAST(ghi_chu AS INTEGER) FROM {DATASET}"})
    assert response.status_code == 422
    assert "Qwv123" not in response.text


@pytest.mark.parametrize("store_kind", ["postgresql"], indirect=True)  # database roles are PostgreSQL's
def test_postgres_user_sql_runs_as_a_role_that_reads_only_granted_warehouse_columns(warehouse, client, factory):
    import psycopg

    from dieuhanh.core.warehouse import ReadScope

    create_beneficiaries(client, factory)
    pii = frozenset({"ho_ten", "so_cccd", "so_dien_thoai"})
    scope = ReadScope(tables={DATASET: pii}, pii=False)
    # Even past the guard (called directly), the role cannot reach the operational schema or a PII column.
    for sql in ("SELECT count(*) FROM public.app_user", f"SELECT so_cccd FROM {DATASET}",
                "SELECT count(*) FROM public.api_token"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            warehouse.query(sql, scope=scope)
    assert warehouse.query(f"SELECT count(*) AS n FROM {DATASET}", scope=scope).to_pylist() == [{"n": 2}]
    owner_scope = ReadScope(tables={DATASET: pii}, pii=True)
    names = warehouse.query(f"SELECT ho_ten FROM {DATASET} ORDER BY 1", scope=owner_scope).column(0).to_pylist()
    assert len(names) == 2
    # and once more without PII: the grants follow the scope both ways
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        warehouse.query(f"SELECT ho_ten FROM {DATASET}", scope=scope)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        warehouse.query(f"SELECT ma_xa FROM {DATASET} FOR UPDATE", scope=owner_scope)


def test_indicator_definitions_cannot_read_pii_and_errors_show_no_value(client, analyst):
    sql = (f"SELECT thang AS period, '37' AS unit_code, (SELECT string_agg(ho_ten || ' ' || so_cccd || ' ' || "
           f"so_dien_thoai, '; ') FROM {DATASET}) AS value FROM {DATASET}")
    body = {"code": "ro_ri", "name": "Chỉ số thử", "domain": "population", "unit": "người", "periodicity": "month",
            "levels": ["province"], "direction": "higher_better", "owner_agency": "SNV", "public": False, "sql": sql}
    response = client.post("/api/v1/indicators", json=body, headers=analyst)
    assert response.status_code == 422
    assert "dữ liệu cá nhân" in response.json()["detail"]  # refused for the column, at definition time
    assert_no_canary(response.text)
    leaking_error = {**body, "sql": f"SELECT ghi_chu AS period, '37' AS unit_code, 1 AS value FROM {DATASET}"}
    response = client.post("/api/v1/indicators", json=leaking_error, headers=analyst)
    assert response.status_code == 422 and "Qwv123" not in response.text


def test_tokens_read_agency_data_only_with_the_datasets_scope(client, factory):
    create_beneficiaries(client, factory)
    for scope in ("reports", "publicservices", "open311"):
        _, secret = factory.token([scope], agency="SNV", name=f"he-thong-{scope}")
        headers = {"Authorization": f"Bearer {secret}"}
        response = client.get(f"/api/v1/datasets/{DATASET}/rows", headers=headers)
        assert response.status_code in (403, 404), (scope, response.status_code)
        assert_no_canary(response.text)
    _, secret = factory.token(["read"], agency="SNV", name="bi-noi-vu")
    rows = client.get(f"/api/v1/datasets/{DATASET}/rows", headers={"Authorization": f"Bearer {secret}"})
    assert rows.status_code == 200 and rows.json()["total"] == 2
    assert_no_canary(rows.text)  # read = what a leader reads: never PII
