"""POST /api/v1/query: one guarded SELECT over readable datasets, read-only, limited."""

from __future__ import annotations

import pytest
from catalog_helpers import CSV_OK, csv_upload

from conftest import login


@pytest.fixture
def analyst(client, factory, population, agency_token):
    assert csv_upload(client, "dan_so_xa", CSV_OK, agency_token).status_code == 201
    _, username, _ = factory.user("analyst")
    _, csrf = login(client, username)
    return {"X-CSRF-Token": csrf}


def test_one_caller_runs_at_most_two_queries_at_a_time(client, factory, population, agency_token):
    from dieuhanh.catalog.service import QUERY_LIMITER

    assert csv_upload(client, "dan_so_xa", CSV_OK, agency_token).status_code == 201
    _, username, _ = factory.user("analyst")
    _, csrf = login(client, username)
    headers = {"X-CSRF-Token": csrf}
    sql = {"sql": "SELECT count(*) AS n FROM dan_so_xa"}
    actor = f"user:{username}"
    with QUERY_LIMITER.slot(actor), QUERY_LIMITER.slot(actor):  # two of this analyst's queries still running
        refused = client.post("/api/v1/query", headers=headers, json=sql)
        assert refused.status_code == 429 and "2 truy vấn chạy cùng lúc" in refused.json()["detail"]
        with QUERY_LIMITER.slot("user:someone-else"):  # other callers are not held up
            pass
    assert client.post("/api/v1/query", headers=headers, json=sql).json()["rows"] == [[3]]


def test_select_over_a_dataset(client, analyst):
    response = client.post("/api/v1/query", headers=analyst,
                           json={"sql": "SELECT ma_xa, sum(dan_so) AS dan_so FROM dan_so_xa GROUP BY ma_xa ORDER BY 1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"columns": ["ma_xa", "dan_so"], "truncated": False,
                    "rows": [["13285", 45123], ["13291", 38210], ["13435", 21004]]}


@pytest.mark.parametrize("sql", [
    "INSERT INTO dan_so_xa (ma_xa) VALUES ('x')",
    "ATTACH 'other.db' AS o",
    "COPY dan_so_xa TO '/tmp/leak.csv'",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT 1; DROP TABLE dan_so_xa",
    "SELECT * FROM information_schema.tables",
])
def test_dangerous_statements_are_refused_and_change_nothing(client, analyst, sql):
    response = client.post("/api/v1/query", headers=analyst, json={"sql": sql})
    assert response.status_code == 422
    assert response.json()["detail"]
    count = client.post("/api/v1/query", headers=analyst, json={"sql": "SELECT count(*) AS n FROM dan_so_xa"})
    assert count.json()["rows"] == [[3]]


def test_row_limit_flags_truncation(client, analyst, app):
    app.state.settings.query_max_rows = 2
    body = client.post("/api/v1/query", headers=analyst, json={"sql": "SELECT * FROM dan_so_xa"}).json()
    assert body["truncated"] is True and len(body["rows"]) == 2


def test_unknown_column_gives_a_readable_error(client, analyst):
    response = client.post("/api/v1/query", headers=analyst, json={"sql": "SELECT khong_co FROM dan_so_xa"})
    assert response.status_code == 422
    assert "khong_co" in response.json()["detail"]


def test_officers_cannot_run_sql(client, factory, population):
    _, username, _ = factory.user("officer", agency="TKT")
    _, csrf = login(client, username)
    response = client.post("/api/v1/query", headers={"X-CSRF-Token": csrf}, json={"sql": "SELECT 1"})
    assert response.status_code == 403


def test_read_token_runs_queries_like_a_leader(client, factory, analyst):
    _, secret = factory.token(["read"], name="cong-cu-bi")
    response = client.post("/api/v1/query", headers={"Authorization": f"Bearer {secret}"},
                           json={"sql": "SELECT count(*) FROM dan_so_xa"})
    assert response.status_code == 200 and response.json()["rows"] == [[3]]
