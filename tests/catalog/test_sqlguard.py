"""The SQL guard: only single reads over readable datasets, no file/system access, no PII columns."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from dieuhanh.catalog.sqlguard import QueryRefused, TableAccess, check_query
from dieuhanh.core.errors import InvalidInput

NO_PII = TableAccess(pii_columns=frozenset())
READABLE: dict[str, TableAccess] = {
    "population": NO_PII,
    "district": NO_PII,
    "citizen": TableAccess(pii_columns=frozenset({"cccd", "phone"})),
}


def refused(sql: str, readable: dict[str, TableAccess] | None = None) -> str:
    with pytest.raises(QueryRefused) as info:
        check_query(sql, READABLE if readable is None else readable)
    message = info.value.message
    assert message and message == str(info.value)
    return message


# ---------------------------------------------------------------------------------------------------------
# Accepted
# ---------------------------------------------------------------------------------------------------------

ACCEPTED = [
    "SELECT province, sum(total) AS s, count(*) AS n FROM population GROUP BY province ORDER BY province",
    "SELECT d.name, p.total FROM population p JOIN district d ON p.district = d.code WHERE p.year = 2024",
    "WITH t AS (SELECT district, sum(total) AS s FROM population GROUP BY district) SELECT * FROM t WHERE s > 10",
    "SELECT district, year, total, rank() OVER (PARTITION BY district ORDER BY total DESC) AS r FROM population",
    "SELECT name FROM district WHERE code IN (SELECT district FROM population WHERE total > 100)",
    "SELECT (SELECT max(total) FROM population) AS m",
    "SELECT district FROM population UNION SELECT code FROM district",
    "SELECT name, district FROM citizen WHERE age >= 18",
    "SELECT count(*) FROM citizen",
    "SELECT d.*, c.name FROM citizen c JOIN district d ON c.district = d.code",
    "WITH citizen AS (SELECT 1 AS cccd) SELECT * FROM citizen",
    "WITH RECURSIVE t AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT n FROM t",
    "SELECT 1;",
]


@pytest.mark.parametrize("sql", ACCEPTED)
def test_accepts_reads(sql: str) -> None:
    out = check_query(sql, READABLE)
    assert isinstance(out, str) and out.upper().lstrip("( ").startswith(("SELECT", "WITH"))
    assert ";" not in out


def test_cte_shadowing_a_readable_name_is_fine() -> None:
    # The CTE named like a dataset hides it; the dataset's own PII rules do not apply to the CTE.
    out = check_query("WITH citizen AS (SELECT name FROM district) SELECT * FROM citizen", READABLE)
    assert "FROM citizen" in out
    # Even shadowing a name the user cannot read at all is fine: it is the CTE that is read.
    assert check_query("WITH secret AS (SELECT 1 AS x) SELECT x FROM secret", READABLE)


def test_comments_are_dropped_from_the_rendered_sql() -> None:
    out = check_query("SELECT 1 AS x -- */ DROP TABLE population", READABLE)
    assert "DROP" not in out.upper() and "--" not in out and "/*" not in out


def test_refusal_is_invalid_input_422() -> None:
    with pytest.raises(InvalidInput) as info:
        check_query("DELETE FROM population", READABLE)
    assert isinstance(info.value, QueryRefused)
    assert info.value.status_code == 422


# ---------------------------------------------------------------------------------------------------------
# Refused: statement kinds
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("INSERT INTO population VALUES ('x', 'y', 2024, 1)", "INSERT"),
        ("UPDATE population SET total = 0", "UPDATE"),
        ("DELETE FROM population", "DELETE"),
        ("CREATE TABLE x AS SELECT 1", "CREATE"),
        ("DROP TABLE population", "DROP"),
        ("ALTER TABLE population ADD COLUMN x INT", "ALTER"),
        ("ATTACH 'x.db'", "ATTACH"),
        ("DETACH x", "DETACH"),
        ("COPY population TO '/tmp/a.csv'", "COPY"),
        ("PRAGMA table_info('population')", "PRAGMA"),
        ("SET threads = 1", "SET"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("CALL pragma_version()", "CALL"),
        ("DESCRIBE population", "DESCRIBE"),
        ("SUMMARIZE population", "SUMMARIZE"),
        ("SELECT 1 INTO newtable", "INTO"),
        ("WITH a AS (SELECT 1) INSERT INTO population SELECT * FROM a", "INSERT"),
    ],
)
def test_refuses_non_reads(sql: str, named: str) -> None:
    assert named in refused(sql)


@pytest.mark.parametrize("sql", ["EXPORT DATABASE '/tmp/x'", "IMPORT DATABASE '/tmp/x'", "CHECKPOINT", "VACUUM"])
def test_refuses_other_statements(sql: str) -> None:
    refused(sql)


def test_refuses_two_statements() -> None:
    assert "một câu lệnh" in refused("SELECT 1; DROP TABLE population")
    assert "một câu lệnh" in refused("SELECT 1; SELECT 2")


def test_refuses_unparsable_and_empty() -> None:
    assert "không hợp lệ" in refused("SELECT FROM WHERE (")
    assert "trống" in refused("   ")
    assert "trống" in refused(";")


def test_length_limit() -> None:
    sql = "SELECT 1 AS x" + " " * 100
    assert check_query(sql, READABLE, max_length=200)
    with pytest.raises(QueryRefused, match="quá dài"):
        check_query(sql, READABLE, max_length=50)
    refused("SELECT " + " + ".join(["1"] * 10_000))  # default limit 20 000


# ---------------------------------------------------------------------------------------------------------
# Refused: tables and functions
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
        ("SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv_auto"),
        ("SELECT * FROM read_parquet('s3://b/x.parquet')", "read_parquet"),
        ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
        ("SELECT * FROM 'data.csv' AS t", "data.csv"),
        ("SELECT * FROM glob('/etc/*')", "glob"),
        ("SELECT * FROM range(10)", "range"),
        ("SELECT * FROM unnest([1, 2])", "UNNEST"),
        ("SELECT * FROM duckdb_tables()", "duckdb_tables"),
        ("SELECT * FROM query_table('population')", "query_table"),
        ("SELECT * FROM population, LATERAL (SELECT 1)", "LATERAL"),
        ("SELECT read_text('/etc/passwd')", "read_text"),
        ("SELECT \"read_blob\"('/etc/passwd')", "read_blob"),
        ("SELECT main.read_text('/etc/passwd')", "read_text"),
        ("SELECT getenv('HOME')", "getenv"),
        ("SELECT current_setting('threads')", "current_setting"),
        ("SELECT query('SELECT 1')", "query"),
        ("SELECT district FROM population WHERE EXISTS (SELECT 1 FROM sniff_csv('/etc/passwd'))", "sniff_csv"),
        ("SELECT upper(pg_read_file('/etc/passwd'))", "pg_read_file"),
        ("SELECT json_execute_serialized_sql('x')", "json_execute_serialized_sql"),
    ],
)
def test_refuses_files_and_system_functions(sql: str, named: str) -> None:
    assert named in refused(sql)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT * FROM information_schema.tables", "information_schema.tables"),
        ("SELECT * FROM main.population", "main.population"),
        ("SELECT * FROM memory.main.population", "memory.main.population"),
        ("SELECT * FROM pg_catalog.pg_tables", "pg_catalog.pg_tables"),
        ("SELECT * FROM secret_registry", "secret_registry"),
        ("SELECT p.total FROM population p JOIN salaries s ON p.district = s.district", "salaries"),
    ],
)
def test_refuses_unknown_and_qualified_tables(sql: str, named: str) -> None:
    assert named in refused(sql)


def test_cte_scope_is_respected() -> None:
    # The outer "secret" is not the CTE (which lives only inside the subquery): it is the warehouse table.
    assert "secret" in refused(
        "SELECT * FROM secret UNION SELECT * FROM (WITH secret AS (SELECT 1 AS x) SELECT * FROM secret)"
    )
    # A CTE sees only earlier CTEs (non-recursive WITH).
    assert "'b'" in refused("WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a")
    assert check_query("WITH b AS (SELECT 1 AS x), a AS (SELECT * FROM b) SELECT * FROM a", READABLE)
    # Inside its own definition a non-recursive CTE's name is the dataset, with the dataset's PII rules.
    assert "cccd" in refused("WITH citizen AS (SELECT cccd FROM citizen) SELECT * FROM citizen")


def test_table_names_are_case_insensitive() -> None:
    assert check_query('SELECT total FROM "Population"', READABLE)
    assert check_query("SELECT total FROM population", {"Population": NO_PII})


# ---------------------------------------------------------------------------------------------------------
# Refused: personal data
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT name, cccd FROM citizen", "cccd"),
        ("SELECT c.cccd FROM citizen c", "cccd"),
        ("SELECT citizen.phone FROM citizen", "phone"),
        ('SELECT "CCCD" FROM citizen', "cccd"),
        ("SELECT x FROM (SELECT cccd AS x FROM citizen) t", "cccd"),
        ("WITH t AS (SELECT phone AS p FROM citizen) SELECT p FROM t", "phone"),
        ("SELECT name FROM citizen WHERE cccd = '001'", "cccd"),
        ("SELECT name FROM citizen ORDER BY phone", "phone"),
        ("SELECT count(DISTINCT cccd) FROM citizen", "cccd"),
        ("SELECT d.name FROM district d JOIN citizen c ON c.cccd = d.code", "cccd"),
        ("SELECT name FROM citizen JOIN (SELECT '001' AS cccd) x USING (cccd)", "cccd"),
    ],
)
def test_refuses_pii_columns(sql: str, named: str) -> None:
    assert named in refused(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM citizen",
        "FROM citizen",
        "SELECT c.* FROM citizen c",
        "SELECT citizen.* FROM citizen",
        "SELECT * FROM citizen c JOIN district d ON c.district = d.code",
        "WITH t AS (SELECT * FROM citizen) SELECT name FROM t",
        "SELECT * EXCLUDE (name) FROM citizen",
    ],
)
def test_refuses_star_over_pii_table(sql: str) -> None:
    message = refused(sql)
    assert "citizen" in message and "liệt kê" in message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT c FROM citizen c",  # whole row as a struct
        "SELECT to_json(citizen) FROM citizen",
        "SELECT COLUMNS('c.*') FROM citizen",
        "SELECT min(COLUMNS(*)) FROM citizen",
        "SELECT #2 FROM citizen",
        "SELECT c2 FROM citizen AS t(c1, c2)",  # renaming columns positionally
        "SELECT name FROM citizen NATURAL JOIN (SELECT '001' AS cccd)",
        "SELECT name FROM citizen PIVOT (count(*) FOR district IN ('a'))",
    ],
)
def test_refuses_indirect_pii_reads(sql: str) -> None:
    refused(sql)


def test_pii_rules_do_not_touch_tables_without_pii() -> None:
    assert check_query("SELECT * FROM population", READABLE)
    # A column called cccd is fine when no table with PII is read.
    assert check_query("SELECT code AS cccd FROM district", READABLE)
    # The same dataset with no PII for this user (e.g. a permitted reader) allows it all.
    assert check_query("SELECT * FROM citizen", {"citizen": NO_PII})


# ---------------------------------------------------------------------------------------------------------
# The re-rendered SQL runs on DuckDB and gives the expected rows
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(":memory:")
    c.execute("CREATE TABLE population (district VARCHAR, province VARCHAR, year INTEGER, total INTEGER)")
    c.execute(
        "INSERT INTO population VALUES ('D1', 'P1', 2023, 100), ('D1', 'P1', 2024, 120), "
        "('D2', 'P1', 2024, 50), ('D3', 'P2', 2024, 70)"
    )
    c.execute("CREATE TABLE district (code VARCHAR, name VARCHAR)")
    c.execute("INSERT INTO district VALUES ('D1', 'Ba Đình'), ('D2', 'Hoàn Kiếm'), ('D3', 'Đống Đa')")
    c.execute("CREATE TABLE citizen (name VARCHAR, cccd VARCHAR, phone VARCHAR, age INTEGER, district VARCHAR)")
    c.execute(
        "INSERT INTO citizen VALUES ('An', '001', '090', 30, 'D1'), ('Bình', '002', '091', 15, 'D2'), "
        "('Chi', '003', '092', 40, 'D1')"
    )
    try:
        yield c
    finally:
        c.close()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SELECT province, sum(total) AS s FROM population GROUP BY province ORDER BY province",
            [("P1", 270), ("P2", 70)],
        ),
        (
            "SELECT d.name, p.total FROM population p JOIN district d ON p.district = d.code "
            "WHERE p.year = 2024 ORDER BY p.total DESC",
            [("Ba Đình", 120), ("Đống Đa", 70), ("Hoàn Kiếm", 50)],
        ),
        (
            "WITH t AS (SELECT district, sum(total) AS s FROM population GROUP BY district) "
            "SELECT district, s FROM t WHERE s > 60 ORDER BY district",
            [("D1", 220), ("D3", 70)],
        ),
        (
            "SELECT district, year, total - lag(total) OVER (PARTITION BY district ORDER BY year) AS delta "
            "FROM population WHERE district = 'D1' ORDER BY year",
            [("D1", 2023, None), ("D1", 2024, 20)],
        ),
        (
            "SELECT name FROM district WHERE code IN (SELECT district FROM population WHERE total >= 70) ORDER BY name",
            [("Ba Đình",), ("Đống Đa",)],
        ),
        (
            "SELECT d.name, count(*) AS n, avg(c.age) AS a FROM citizen c JOIN district d ON c.district = d.code "
            "GROUP BY d.name ORDER BY d.name",
            [("Ba Đình", 2, 35.0), ("Hoàn Kiếm", 1, 15.0)],
        ),
        ("WITH citizen AS (SELECT name FROM district WHERE code = 'D3') SELECT * FROM citizen", [("Đống Đa",)]),
        (
            "WITH RECURSIVE t AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT n FROM t",
            [(1,), (2,), (3,)],
        ),
        ("SELECT name FROM district WHERE name = 'Hoàn Kiếm' OR name = 'it''s'", [("Hoàn Kiếm",)]),
        ("FROM population SELECT count(*)", [(4,)]),
    ],
)
def test_accepted_sql_runs_on_duckdb(con: duckdb.DuckDBPyConnection, sql: str, expected: list[tuple]) -> None:
    out = check_query(sql, READABLE)
    assert con.execute(out).fetchall() == expected
    # Checking is idempotent: the rendered SQL passes again, unchanged.
    assert check_query(out, READABLE) == out


def test_a_kept_check_depends_on_the_caller_s_access() -> None:
    """Checks are kept per (text, access map): the same text is allowed for a caller who may read the column,
    refused for one who may not, in any order, and a refusal is raised again every time."""
    sql = "SELECT name, cccd FROM citizen"
    open_access = {**READABLE, "citizen": NO_PII}
    for _ in range(2):
        assert check_query(sql, open_access) == "SELECT name, cccd FROM citizen"
        assert "cccd" in refused(sql)
        assert "citizen" in refused(sql, {"population": NO_PII})
