"""The one guarded path for user-written SQL over the warehouse (DuckDB dialect).

``check_query`` parses the text with sqlglot, refuses anything that is not a single read-only query over
datasets the user may read, and returns the statement re-rendered by sqlglot (without comments). The
re-rendered text is parsed and checked a second time, so what is returned is exactly what was checked.

The checks are deliberately conservative: when a construct could expose a personal-data (PII) column
(``SELECT *``, ``COLUMNS(...)``, ``#n``, whole-row references, NATURAL joins, PIVOT, renaming the columns
of a table), it is refused whenever a table with PII is involved, even if a precise analysis might allow it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from dieuhanh.core.errors import InvalidInput

DIALECT = "duckdb"


class QueryRefused(InvalidInput):
    """The query was refused; ``message`` (Vietnamese) says what is wrong."""

    status_code = 422


@dataclass(frozen=True)
class TableAccess:
    """What one user may do with one readable table."""

    pii_columns: frozenset[str] = frozenset()  # columns this user may NOT read in that table


# --------------------------------------------------------------------------------------------------------
# Deny lists
# --------------------------------------------------------------------------------------------------------

# Statement / clause node types that never belong in a read-only query, wherever they appear.
_FORBIDDEN_NODE_NAMES = (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable", "Command", "Pragma",
    "Set", "SetItem", "Copy", "Attach", "Detach", "Export", "Install", "Load", "LoadData", "Use", "Describe",
    "Summarize", "Show", "Transaction", "Commit", "Rollback", "Grant", "Revoke", "Analyze", "Cache", "Uncache",
    "Refresh", "Into", "Kill", "Execute", "Declare",
)  # fmt: skip
_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    cls for name in _FORBIDDEN_NODE_NAMES if isinstance(cls := getattr(exp, name, None), type)
)

# Root node types accepted as "a read".
_READ_ROOTS: tuple[type[exp.Expr], ...] = (exp.Select, exp.SetOperation, exp.Values)

# Function names (lowercase) refused anywhere in the query.
_DENY_EXACT = frozenset(
    {
        "glob", "getenv", "current_setting", "set_config", "query", "query_table", "sniff_csv", "system", "shell",
        "checkpoint", "force_checkpoint", "which_secret", "dblink", "lo_import", "lo_export",
        "json_execute_serialized_sql", "json_deserialize_sql", "from_substrait", "from_substrait_json",
        "get_substrait", "get_substrait_json", "parquet_metadata", "parquet_schema",
    }
)  # fmt: skip
_DENY_PREFIXES = (
    "read_", "duckdb_", "pragma_", "parquet_", "pg_", "lo_", "dblink", "sqlite_", "postgres_", "mysql_",
    "iceberg_", "delta_", "ducklake_", "http_", "st_read", "load_", "glob",
)  # fmt: skip
_DENY_SUFFIXES = ("_scan",)

# Function names (lowercase, as the engine receives them) allowed in user SQL, on both stores. A deny-list
# cannot be complete (PostgreSQL's query_to_xml, table_to_xml, ts_stat... run a query string): anything not
# named here is refused. Aggregates, window functions, conditionals, arithmetic, text and date functions only.
ALLOWED_FUNCTIONS = frozenset(
    {
        # aggregates
        "count", "sum", "avg", "min", "max", "median", "mode", "stddev", "stddev_pop", "stddev_samp", "variance",
        "var_pop", "var_samp", "string_agg", "listagg", "group_concat", "array_agg", "list", "bool_and",
        "bool_or", "every", "count_if", "countif", "first", "last", "any_value", "arg_max", "arg_min", "argmax",
        "argmin", "max_by", "min_by", "percentile_cont", "percentile_disc", "quantile", "quantile_cont",
        "quantile_disc", "approx_count_distinct", "approx_quantile", "corr", "covar_pop", "covar_samp",
        "product", "within_group", "filter",
        # window functions
        "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value",
        "last_value", "nth_value",
        # conditionals and types
        "coalesce", "nullif", "ifnull", "nvl", "if", "iif", "greatest", "least", "cast", "try_cast",
        "isnan", "isinf", "isfinite",
        # arithmetic
        "abs", "ceil", "ceiling", "floor", "round", "trunc", "sqrt", "cbrt", "power", "pow", "exp", "ln", "log",
        "log10", "log2", "mod", "sign", "div", "pi", "degrees", "radians", "sin", "cos", "tan", "asin", "acos",
        "atan", "atan2", "width_bucket", "round_even",
        # text
        "length", "len", "char_length", "character_length", "octet_length", "lower", "upper", "lcase", "ucase",
        "trim", "ltrim", "rtrim", "btrim", "substr", "substring", "left", "right", "replace", "concat",
        "concat_ws", "lpad", "rpad", "position", "strpos", "instr", "split_part", "starts_with", "ends_with",
        "suffix", "prefix", "contains", "reverse", "repeat", "initcap", "regexp_replace", "regexp_matches",
        "regexp_extract", "regexp_like", "regexp_full_match", "strip_accents", "translate", "ascii", "chr",
        "format", "printf", "to_char", "to_number",
        # dates and times
        "date_trunc", "date_part", "datepart", "extract", "strftime", "strptime", "to_date", "to_timestamp",
        "date_diff", "datediff", "date_sub", "date_add", "age", "make_date", "make_time", "make_timestamp",
        "make_interval", "current_date", "current_timestamp", "now", "epoch", "epoch_ms", "year", "month",
        "day", "quarter", "week", "weekofyear", "dayofweek", "dayofmonth", "dayofyear", "isodow", "dow", "doy",
        "isoyear", "hour", "minute", "second", "millisecond", "last_day", "monthname", "dayname", "yearweek",
        "time_to_str", "timestamp_trunc", "str_to_time", "str_to_date", "date", "to_days", "to_months",
        "to_years", "to_hours", "to_minutes", "to_seconds", "justify_days", "justify_hours", "generate_series",
        "range", "unnest", "interval",
    }
)  # fmt: skip

_TOKEN_REPR = re.compile(r"<Token token_type: [^,]*, text: ([^,]*),[^>]*>")
_RENDERED_NAME = re.compile(r'^\s*"?([A-Za-z_][A-Za-z0-9_]*)"?\s*\(')


def _refuse(message: str) -> QueryRefused:
    return QueryRefused(message)


def _is_dangerous(name: str) -> bool:
    return name in _DENY_EXACT or name.startswith(_DENY_PREFIXES) or name.endswith(_DENY_SUFFIXES)


def _function_names(node: exp.Func) -> set[str]:
    """Every name under which this function call may reach DuckDB (lowercase)."""
    names: set[str] = set()
    if isinstance(node, exp.Anonymous):
        names.add(node.name.lower())
    else:
        try:
            names.update(n.lower() for n in type(node).sql_names())
        except NotImplementedError:  # pragma: no cover - abstract function classes
            pass
        rendered = _RENDERED_NAME.match(node.sql(dialect=DIALECT, comments=False))
        if rendered:
            names.add(rendered.group(1).lower())
    return names


def _display_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Func):
        m = _RENDERED_NAME.match(node.sql(dialect=DIALECT, comments=False))
        if m:
            return m.group(1).lower()
    return _snippet(node)


def _snippet(node: exp.Expr, limit: int = 80) -> str:
    text = node.sql(dialect=DIALECT, comments=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------------


def check_query(sql: str, readable: dict[str, TableAccess], *, max_length: int = 20_000) -> str:
    """Returns the statement (re-rendered in DuckDB dialect) if it is safe, else raises QueryRefused."""
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("Câu truy vấn trống: hãy nhập một câu lệnh SELECT.")
    if len(sql) > max_length:
        raise _refuse(f"Câu truy vấn quá dài ({len(sql)} ký tự); tối đa {max_length} ký tự.")
    access = {name.lower(): acc for name, acc in readable.items()}
    return _checked(sql, frozenset(access.items()))


@functools.lru_cache(maxsize=1024)
def _checked(sql: str, access_items: frozenset[tuple[str, TableAccess]]) -> str:
    """``check_query`` proper, kept per (text, access map): the checks are a function of those two alone, and the
    indicator engine and the pages check the same statements again and again (sqlglot takes ~10–20 ms for each).
    A refusal is not kept (``lru_cache`` keeps no exception): it is checked again, and raised again."""
    access = dict(access_items)
    tree = _parse_single(sql)
    _check_tree(tree, access)
    rendered = tree.sql(dialect=DIALECT, comments=False)

    # Check again exactly what will be executed (guards against any drift in sqlglot's rendering).
    _check_tree(_parse_single(rendered), access)
    return rendered


# --------------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------------


def _parse_single(sql: str) -> exp.Expr:
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as e:
        raise _refuse(f"Câu SQL không hợp lệ: {_brief_parse_error(e)}") from None
    except TokenError as e:
        raise _refuse(f"Câu SQL không hợp lệ: {str(e).splitlines()[0] if str(e) else 'lỗi tách từ'}") from None
    except RecursionError:
        raise _refuse("Câu SQL lồng nhau quá sâu, không thể phân tích.") from None
    except Exception as e:  # sqlglot may raise other errors on odd input
        raise _refuse(f"Câu SQL không phân tích được: {type(e).__name__}.") from None
    if not statements:
        raise _refuse("Câu truy vấn trống: hãy nhập một câu lệnh SELECT.")
    if len(statements) > 1:
        raise _refuse(f"Chỉ được gửi đúng một câu lệnh; phát hiện {len(statements)} câu lệnh ngăn cách bởi dấu ';'.")
    return statements[0]


def _brief_parse_error(e: ParseError) -> str:
    if e.errors:
        first = e.errors[0]
        desc = _TOKEN_REPR.sub(r"'\1'", str(first.get("description") or "cú pháp không đúng"))
        line, col = first.get("line"), first.get("col")
        where = f" (dòng {line}, cột {col})" if line is not None and col is not None else ""
        near = first.get("highlight")
        near_text = f" gần '{near}'" if near else ""
        return f"{desc}{near_text}{where}"
    return str(e).splitlines()[0] if str(e) else "cú pháp không đúng"


# --------------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------------


def _statement_label(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).split()[0].upper() if node.this else "COMMAND"
    if isinstance(node, _FORBIDDEN_NODES):
        return type(node).__name__.upper()
    words = node.sql(dialect=DIALECT, comments=False).split()
    return words[0].upper() if words else type(node).__name__.upper()


def _check_tree(tree: exp.Expr, access: Mapping[str, TableAccess]) -> None:
    # Rule 2: a read. Unwrap "(SELECT ...)".
    root = tree
    while isinstance(root, exp.Subquery):
        root = root.this
    if not isinstance(root, _READ_ROOTS):
        raise _refuse(
            f"Chỉ cho phép câu lệnh đọc dữ liệu (SELECT, có thể kèm WITH/UNION); "
            f"câu lệnh {_statement_label(root)} bị từ chối."
        )
    nodes = list(tree.walk())
    for node in nodes:
        if isinstance(node, _FORBIDDEN_NODES):
            if isinstance(node, exp.Into):
                raise _refuse("Không được dùng SELECT ... INTO (tạo bảng mới); chỉ được đọc dữ liệu.")
            raise _refuse(f"Câu lệnh {_statement_label(node)} không được phép; chỉ được đọc dữ liệu (SELECT).")

    # Rule 4: dangerous functions anywhere, then only functions of the allow-list.
    for node in nodes:
        if isinstance(node, exp.Func):
            bad = sorted(n for n in _function_names(node) if _is_dangerous(n))
            if bad:
                raise _refuse(
                    f"Không được dùng hàm '{bad[0]}': hàm này có thể đọc tệp, cấu hình hệ thống "
                    f"hoặc chạy truy vấn khác."
                )
    _check_allowed_functions(nodes, DIALECT)

    # Rule 3: sources in FROM/JOIN are plain tables, subqueries or VALUES; no table functions.
    for node in nodes:
        if isinstance(node, (exp.From, exp.Join)):
            src = node.this
            if not isinstance(src, (exp.Table, exp.Subquery, exp.Values)):
                raise _refuse(
                    f"Không được dùng hàm bảng hay nguồn dữ liệu đặc biệt trong FROM/JOIN: '{_snippet(src)}'. "
                    f"Chỉ được truy vấn các bộ dữ liệu trong danh mục."
                )

    base_refs: list[tuple[exp.Table, TableAccess]] = []
    for table in (n for n in nodes if isinstance(n, exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            raise _refuse(
                f"Không được dùng hàm bảng '{_display_name(table.this)}' trong FROM/JOIN; "
                f"chỉ được truy vấn các bộ dữ liệu trong danh mục."
            )
        if table.args.get("db") is not None or table.args.get("catalog") is not None:
            raise _refuse(
                f"Không được dùng tên bảng kèm lược đồ/cơ sở dữ liệu ('{_snippet(table)}'); "
                f"chỉ được dùng tên bộ dữ liệu trong danh mục, không kèm tiền tố."
            )
        name = table.name.lower()
        if _refers_to_cte(table, name):
            continue
        acc = access.get(name)
        if acc is None:
            if table.this.quoted and any(ch in name for ch in "/\\.:~"):
                raise _refuse(
                    f"Không được đọc tệp trực tiếp ('{table.name}'); chỉ được truy vấn các bộ dữ liệu trong danh mục."
                )
            raise _refuse(f"Không có bảng '{table.name}' hoặc bạn không có quyền đọc bộ dữ liệu này.")
        base_refs.append((table, acc))

    _check_pii(nodes, base_refs)


def _called_name(node: exp.Func, dialect: str) -> str | None:
    """The name under which the engine receives this call, or None for syntax that is no call (a AND b, CASE)."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    rendered = _RENDERED_NAME.match(node.sql(dialect=dialect, comments=False))
    return rendered.group(1).lower() if rendered else None


def _check_allowed_functions(nodes: list[exp.Expr], dialect: str) -> None:
    for node in nodes:
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            raise _refuse(
                f"Không được gọi hàm kèm tiền tố ('{_snippet(node)}'); chỉ được gọi hàm theo tên trong danh sách "
                f"hàm cho phép."
            )
        if isinstance(node, exp.Func):
            name = _called_name(node, dialect)
            if name is not None and name not in ALLOWED_FUNCTIONS:
                raise _refuse(
                    f"Không được dùng hàm '{name}': chỉ được dùng các hàm tổng hợp, số học, chuỗi, ngày tháng "
                    f"trong danh sách hàm cho phép (xem docs/security.md)."
                )


def check_functions(sql: str, dialect: str) -> None:
    """Checks exactly the text an engine will run (e.g. the PostgreSQL translation) against the allow-list."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except Exception:  # noqa: BLE001 - what cannot be checked is not run
        raise _refuse("Câu SQL sau khi chuyển đổi không phân tích được; truy vấn bị từ chối.") from None
    if len(statements) != 1:
        raise _refuse("Chỉ được gửi đúng một câu lệnh.")
    _check_allowed_functions(list(statements[0].walk()), dialect)


_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def engine_error(exc: BaseException, sql: str) -> str:
    """The first line of an engine error, with every quoted text that is not in the query itself replaced by
    «…»: the engines quote offending values ("invalid input syntax for type integer: \"Nguyễn Văn A\""), and no
    warehouse value may reach the user through an error message. Names the user wrote stay readable."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    lowered = sql.lower()

    def mask(m: re.Match[str]) -> str:
        inner = m.group(0)[1:-1]
        return m.group(0) if inner and inner.lower() in lowered else "«…»"

    masked = _QUOTED.sub(mask, first)
    # long runs of digits (ID numbers, phones) unquoted in some messages
    return re.sub(r"\d{6,}", lambda m: m.group(0) if m.group(0) in sql else "…", masked)


def base_tables(sql: str) -> set[str]:
    """Names (lowercase) of the tables a checked query reads, CTE names excluded."""
    return set(_base_tables(sql))


@functools.lru_cache(maxsize=1024)
def _base_tables(sql: str) -> frozenset[str]:
    tree = _parse_single(sql)
    return frozenset(t.name.lower() for t in tree.find_all(exp.Table)
                     if isinstance(t.this, exp.Identifier) and not _refers_to_cte(t, t.name.lower()))


def _refers_to_cte(table: exp.Table, name: str) -> bool:
    """Whether ``table`` names a CTE visible at its position (otherwise it names a warehouse table).

    A reference inside a CTE's own definition sees only the CTEs defined before it (and itself when the
    WITH is RECURSIVE); a reference in the body of a query sees all of that query's CTEs. When unsure, the
    answer is "no", which makes the reference subject to the readable-table and PII checks.
    """
    child: exp.Expr = table
    parent = table.parent
    while parent is not None:
        if isinstance(parent, exp.With):
            ctes = list(parent.expressions)
            idx = next((i for i, c in enumerate(ctes) if c is child), None)
            if idx is not None:
                visible = ctes[: idx + 1] if parent.args.get("recursive") else ctes[:idx]
                if any(c.alias.lower() == name for c in visible):
                    return True
        else:
            with_ = parent.args.get("with_") or parent.args.get("with")
            if isinstance(with_, exp.With) and with_ is not child:
                if any(c.alias.lower() == name for c in with_.expressions):
                    return True
        child, parent = parent, parent.parent
    return False


def _check_pii(nodes: list[exp.Expr], base_refs: list[tuple[exp.Table, TableAccess]]) -> None:
    pii_refs = [(t, acc) for t, acc in base_refs if acc.pii_columns]
    if not pii_refs:
        return
    pii_columns = {c.lower() for _, acc in pii_refs for c in acc.pii_columns}
    pii_tables: dict[str, str] = {}  # name or alias (lowercase) -> dataset name
    pii_owners: list[exp.Select | None] = []
    for table, _ in pii_refs:
        pii_tables[table.name.lower()] = table.name.lower()
        pii_tables[table.alias_or_name.lower()] = table.name.lower()
        pii_owners.append(table.find_ancestor(exp.Select))
        alias = table.args.get("alias")
        if isinstance(alias, exp.TableAlias) and alias.columns:
            raise _refuse(
                f"Không được đặt lại tên cột cho bảng '{table.name.lower()}' (bảng có cột dữ liệu cá nhân); "
                f"hãy chọn cột theo tên và dùng AS cho từng cột."
            )
    first_table = pii_refs[0][0].name.lower()

    def star_refusal(table_name: str) -> QueryRefused:
        return _refuse(
            f"Không được dùng SELECT * với bảng '{table_name}' vì bảng có cột dữ liệu cá nhân mà bạn không được "
            f"đọc; hãy liệt kê rõ các cột cần lấy."
        )

    for node in nodes:
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                qualifier = node.table.lower()
                if qualifier in pii_tables:
                    raise star_refusal(pii_tables[qualifier])
                continue
            col = node.name.lower()
            if col in pii_columns:
                raise _refuse(
                    f"Không được đọc cột '{col}': đây là dữ liệu cá nhân mà bạn không có quyền truy cập "
                    f"(kể cả trong WHERE, JOIN, ORDER BY...)."
                )
            if col in pii_tables:
                raise _refuse(
                    f"Không được tham chiếu cả bản ghi của bảng '{pii_tables[col]}' (chứa dữ liệu cá nhân); "
                    f"hãy liệt kê rõ các cột cần lấy."
                )
        elif isinstance(node, exp.Star):
            if isinstance(node.parent, exp.Column):
                continue  # t.* handled above
            if isinstance(node.parent, exp.Count) and node.arg_key == "this":
                continue  # COUNT(*) reads no column
            owner = node.find_ancestor(exp.Select)
            for (table, _), table_owner in zip(pii_refs, pii_owners, strict=True):
                if owner is None or table_owner is owner:
                    raise star_refusal(table.name.lower())
        elif isinstance(node, exp.Columns) or (isinstance(node, exp.Anonymous) and node.name.lower() == "columns"):
            raise _refuse(
                f"Không được dùng COLUMNS(...) khi truy vấn bảng có dữ liệu cá nhân ('{first_table}'); "
                f"hãy liệt kê rõ các cột cần lấy."
            )
        elif isinstance(node, exp.PositionalColumn):
            raise _refuse(
                f"Không được tham chiếu cột theo vị trí ('{_snippet(node)}') khi truy vấn bảng có dữ liệu cá nhân "
                f"('{first_table}'); hãy dùng tên cột."
            )
        elif isinstance(node, exp.Pivot):
            raise _refuse(f"Không được dùng PIVOT/UNPIVOT khi truy vấn bảng có dữ liệu cá nhân ('{first_table}').")
        elif isinstance(node, exp.Join):
            if (node.method or "").upper() == "NATURAL":
                raise _refuse(
                    f"Không được dùng NATURAL JOIN khi truy vấn bảng có dữ liệu cá nhân ('{first_table}'); "
                    f"hãy ghi rõ điều kiện nối bằng ON."
                )
            for ident in node.args.get("using") or []:
                if isinstance(ident, exp.Expression) and ident.name.lower() in pii_columns:
                    raise _refuse(
                        f"Không được nối bảng theo cột '{ident.name.lower()}': đây là dữ liệu cá nhân "
                        f"mà bạn không có quyền truy cập."
                    )
