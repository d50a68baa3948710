"""The warehouse: one table per dataset, each row tagged with its load batch (``_batch_id``).

Two engines behind one small interface: DuckDB (embedded default) and PostgreSQL (schema ``warehouse``).
SQL given to ``query`` is written in DuckDB's dialect and translated by sqlglot for PostgreSQL.

DuckDB lets one process at a time open a database file for writing. This class therefore keeps the file open
only while some work needs it, so that ``dieuhanh ingest`` or ``dieuhanh indicators compute`` can write while
the server runs. Inside one process (``_FileAccess``), reads run concurrently — each on its own cursor of one
shared read-only instance, so a slow analyst query does not hold up a page or an open-data call — and a write
has the file alone (waiting readers let a waiting writer go first). When another process holds the file, a read
gives up after ``read_busy_timeout`` (pages answer at once) and a write after ``busy_timeout``, with
``WarehouseBusy`` and a message in Vietnamese that names no server path.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import pyarrow as pa
import sqlglot

from dieuhanh.core.errors import DomainError, InvalidInput

BATCH_COLUMN = "_batch_id"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class WarehouseBusy(DomainError):
    status_code = 503


class QueryTimeout(DomainError):
    status_code = 408


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"Tên bảng dữ liệu '{name}' không hợp lệ: chỉ dùng chữ thường không dấu, số và dấu gạch dưới, "
            "bắt đầu bằng chữ cái, tối đa 63 ký tự."
        )
    return name


@dataclass(frozen=True)
class SqlSource:
    """Rows a query of the warehouse's own engine produces (DuckDB only): ``sql`` is a SELECT giving the columns of
    ``schema`` by name — e.g. ``read_csv`` of a file with every cell converted and checked in SQL, so that DuckDB
    reads, converts and writes in one parallel pass (``ingest/sqlload.py``). ``on_start``, if given, is called just
    before the query runs with a function that interrupts it (from any thread): the load then fails with the
    engine's error and rolls back, for a caller that learns meanwhile that the rows will be refused."""

    sql: str
    schema: pa.Schema
    on_start: Callable[[Callable[[], None]], None] | None = None


# Data to load: a whole table, a stream of record batches (validated on the fly, never all in memory), or a query
# the engine runs itself.
Incoming: TypeAlias = pa.Table | pa.RecordBatchReader | SqlSource  # noqa: UP040
# Called inside the load's transaction after the rows are in, with a function that queries that same
# transaction; raising aborts the load (all rows of the batch or none).
Check: TypeAlias = Callable[  # noqa: UP040
    [Callable[[str], list[tuple[Any, ...]]]], None]


@dataclass(frozen=True)
class ReadScope:
    """User SQL (``POST /api/v1/query``, indicator definitions): the warehouse tables it reads, each with its
    personal-data columns (from the catalog), and whether the caller may read those columns in all of them.

    On PostgreSQL such a query runs as a database role that can read nothing but these tables of the
    warehouse schema (never the operational schema), without the PII columns unless ``pii`` is true, inside a
    read-only transaction with a statement timeout, after its final text passed the function allow-list."""

    tables: Mapping[str, frozenset[str]] = field(default_factory=dict)
    pii: bool = False


READER_ROLE = "dieuhanh_sql_reader"  # PostgreSQL role for user SQL: warehouse columns that are not PII
READER_PII_ROLE = "dieuhanh_sql_reader_pii"  # the same, PII columns included (owner agency, PII grants)
DEFAULT_USER_SQL_TIMEOUT = 30.0


class Warehouse(Protocol):
    kind: str

    def append(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None) -> int: ...
    def replace(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None,
                keep_as: str | None = None) -> int: ...
    def restore(self, dataset: str, batch_id: str, kept: str) -> None: ...
    def drop_batch(self, dataset: str, batch_id: str) -> int: ...
    def drop_dataset(self, dataset: str) -> None: ...
    def table_exists(self, dataset: str) -> bool: ...
    def query(
        self, sql: str, params: Sequence[Any] | None = None, *, timeout: float | None = None,
        max_rows: int | None = None, scope: ReadScope | None = None,
    ) -> pa.Table: ...
    def reading(self) -> AbstractContextManager[None]: ...


def _sql_type(arrow_type: pa.DataType, dialect: str) -> str:
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "DOUBLE" if dialect == "duckdb" else "DOUBLE PRECISION"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    return "VARCHAR" if dialect == "duckdb" else "TEXT"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------------------------- DuckDB


def _run(conn: Any, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Execute and consume the result: DuckDB refuses new work on a connection with an unfinished result."""
    return conn.execute(sql, params or []).fetchall()


# Read connections run user SQL (after sqlguard): no files, no network, no extension loading, no scans of
# Python variables, and a configuration the query itself cannot change.
READ_ONLY_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "python_enable_replacements": False,
    "lock_configuration": True,
}


class _FileAccess:
    """Who uses one DuckDB file in this process. DuckDB allows one configuration per file in a process (read-only
    with ``READ_ONLY_CONFIG`` for reads, read-write for writes), so at any time the file is either open once
    read-only, shared by any number of concurrent readers (a cursor each), or open read-write for one writing
    thread (nested work of that thread gets cursors of the same instance). The instance closes when its last
    user is done, releasing the file to other processes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cond = threading.Condition()
        self.instance: Any = None
        self.mode: str | None = None  # "r" | "w" while open or opening
        self.opening = False
        self.readers = 0
        self.writer: int | None = None
        self.write_depth = 0
        self.writers_waiting = 0
        self.reads_held: dict[int, int] = {}  # thread → reads it holds (nested reads never wait for a writer)

    def _wait(self, deadline: float, ready: Callable[[], bool]) -> None:
        while not ready():
            left = deadline - time.monotonic()
            if left <= 0 or not self.cond.wait(left):
                if ready():
                    return
                raise WarehouseBusy("Kho dữ liệu đang bận cập nhật. Vui lòng thử lại sau ít phút.")

    def _open(self, mode: str, deadline: float) -> None:
        """Open the instance (``cond`` held on entry and exit, released while waiting for another process)."""
        import duckdb

        self.mode, self.opening = mode, True
        self.cond.release()
        try:
            while True:
                try:
                    instance = duckdb.connect(self.path, read_only=mode == "r",
                                              config=dict(READ_ONLY_CONFIG) if mode == "r" else {})
                    break
                except duckdb.IOException as exc:
                    if "lock" not in str(exc).lower():
                        raise
                    if time.monotonic() > deadline:
                        raise WarehouseBusy("Kho dữ liệu đang được một tiến trình khác cập nhật (ví dụ lệnh nạp dữ "
                                            "liệu). Vui lòng thử lại sau ít phút.") from exc
                    time.sleep(0.05)
        except BaseException:
            self.cond.acquire()
            self.mode, self.opening = None, False
            self.cond.notify_all()
            raise
        self.cond.acquire()
        self.instance, self.opening = instance, False
        self.cond.notify_all()

    def _close_if_idle(self) -> None:
        if self.readers == 0 and self.write_depth == 0 and self.instance is not None:
            self.instance.close()
            self.instance, self.mode, self.writer = None, None, None
            self.cond.notify_all()

    @contextmanager
    def read(self, timeout: float) -> Iterator[Any]:
        me = threading.get_ident()
        deadline = time.monotonic() + timeout
        with self.cond:
            if self.writer == me:  # a read inside this thread's own write sees the write's instance
                self.write_depth += 1
                mode = "w"
            else:
                nested = self.reads_held.get(me, 0) > 0
                self._wait(deadline, lambda: (self.mode in (None, "r") and not self.opening
                                              and (nested or not self.writers_waiting)))
                if self.instance is None:
                    self._open("r", deadline)
                self.readers += 1
                self.reads_held[me] = self.reads_held.get(me, 0) + 1
                mode = "r"
            cursor = self.instance.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self.cond:
                if mode == "w":
                    self.write_depth -= 1
                else:
                    self.readers -= 1
                    held = self.reads_held.get(me, 1) - 1
                    if held:
                        self.reads_held[me] = held
                    else:
                        self.reads_held.pop(me, None)
                self._close_if_idle()

    @contextmanager
    def write(self, timeout: float) -> Iterator[Any]:
        me = threading.get_ident()
        deadline = time.monotonic() + timeout
        with self.cond:
            if self.writer != me:
                if self.reads_held.get(me):
                    raise RuntimeError("a warehouse write inside a read of the same thread")  # a bug, not input
                self.writers_waiting += 1
                try:
                    self._wait(deadline, lambda: self.mode is None and not self.opening)
                    self._open("w", deadline)
                finally:
                    self.writers_waiting -= 1
                self.writer = me
            self.write_depth += 1
            cursor = self.instance.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self.cond:
                self.write_depth -= 1
                self._close_if_idle()


class DuckDBWarehouse:
    kind = "duckdb"
    # One access manager per file and process (see _FileAccess).
    _files: dict[str, _FileAccess] = {}
    _files_lock = threading.Lock()

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0, read_busy_timeout: float = 2.0):
        self.path = str(Path(path).resolve())
        self.busy_timeout = busy_timeout
        self.read_busy_timeout = read_busy_timeout
        with self._files_lock:
            self._access = self._files.setdefault(self.path, _FileAccess(self.path))
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect():
            pass

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[Any]:
        """A cursor for one unit of work: shared with concurrent readers, or the file alone to write."""
        if read_only:
            with self._access.read(self.read_busy_timeout) as cursor:
                yield cursor
        else:
            with self._access.write(self.busy_timeout) as cursor:
                yield cursor

    def table_exists(self, dataset: str) -> bool:
        with self._connect(read_only=True) as conn:
            return self._exists(conn, dataset)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One read held for a unit of work of many queries (a page reading dozens of tables): the reads of this
        thread inside share the instance it opened, instead of opening and closing the file for each query
        (tens of milliseconds each). Writes wait for it like for any read; no write may run inside it."""
        with self._connect(read_only=True):
            yield

    @staticmethod
    def _exists(conn: Any, dataset: str) -> bool:
        rows = _run(
            conn, "SELECT count(*) FROM information_schema.tables WHERE table_schema='main' AND table_name=?",
            [dataset],
        )
        return bool(rows and rows[0][0])

    def _prepare(self, conn: Any, dataset: str, schema: pa.Schema) -> None:
        if not self._exists(conn, dataset):
            cols = ", ".join(f"{_quote(f.name)} {_sql_type(f.type, 'duckdb')}" for f in schema)
            _run(
                conn,
                f"CREATE TABLE {_quote(dataset)} ({cols}{', ' if cols else ''}{BATCH_COLUMN} VARCHAR NOT NULL)"
            )
            return
        existing = {r[0] for r in _run(conn, f"DESCRIBE {_quote(dataset)}")}
        for f in schema:
            if f.name not in existing:
                _run(
                    conn,
                    f"ALTER TABLE {_quote(dataset)} ADD COLUMN {_quote(f.name)} {_sql_type(f.type, 'duckdb')}"
                )

    def _insert(self, conn: Any, dataset: str, data: Incoming, batch_id: str) -> int:
        if isinstance(data, SqlSource):
            if data.on_start is not None:
                data.on_start(conn.interrupt)
            inserted = _run(
                conn, f"INSERT INTO {_quote(dataset)} BY NAME SELECT *, ? AS {BATCH_COLUMN} FROM ({data.sql})",
                [batch_id],
            )
            return int(inserted[0][0])
        conn.register("_incoming", data)
        try:
            _run(
                conn,
                f"INSERT INTO {_quote(dataset)} BY NAME SELECT *, ? AS {BATCH_COLUMN} FROM _incoming",
                [batch_id],
            )
            rows = _run(conn, f"SELECT count(*) FROM {_quote(dataset)} WHERE {BATCH_COLUMN} = ?", [batch_id])
            return int(rows[0][0])
        finally:
            conn.unregister("_incoming")

    def _load(self, dataset: str, data: Incoming, batch_id: str, check: Check | None, replace: bool,
              keep_as: str | None = None) -> int:
        check_name(dataset)
        with self._connect() as conn:
            _run(conn, "BEGIN TRANSACTION")
            try:
                self._prepare(conn, dataset, data.schema)
                if replace:
                    if keep_as is not None:
                        _run(conn, f"CREATE TABLE {_quote(check_name(keep_as))} AS SELECT * FROM {_quote(dataset)}")
                    _run(conn, f"DELETE FROM {_quote(dataset)}")
                n = self._insert(conn, dataset, data, batch_id)
                if check is not None:
                    check(lambda sql: conn.execute(sql).fetchall())
                _run(conn, "COMMIT")
            except BaseException:
                _run(conn, "ROLLBACK")
                raise
        return n

    def append(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None) -> int:
        return self._load(dataset, data, batch_id, check, replace=False)

    def replace(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None,
                keep_as: str | None = None) -> int:
        """Only ``batch_id``'s rows remain. With ``keep_as``, the previous rows are moved (same transaction)
        into that new table, for ``restore`` or ``drop_dataset``."""
        return self._load(dataset, data, batch_id, check, replace=True, keep_as=keep_as)

    def restore(self, dataset: str, batch_id: str, kept: str) -> None:
        """Undo ``replace(..., batch_id, keep_as=kept)``: the batch's rows out, the kept rows back, one transaction.
        Rows other loads appended since stay."""
        check_name(dataset)
        check_name(kept)
        with self._connect() as conn:
            _run(conn, "BEGIN TRANSACTION")
            try:
                if self._exists(conn, dataset):
                    _run(conn, f"DELETE FROM {_quote(dataset)} WHERE {BATCH_COLUMN} = ?", [batch_id])
                    if self._exists(conn, kept):
                        _run(conn, f"INSERT INTO {_quote(dataset)} BY NAME SELECT * FROM {_quote(kept)}")
                _run(conn, f"DROP TABLE IF EXISTS {_quote(kept)}")
                _run(conn, "COMMIT")
            except BaseException:
                _run(conn, "ROLLBACK")
                raise

    def drop_batch(self, dataset: str, batch_id: str) -> int:
        check_name(dataset)
        with self._connect() as conn:
            if not self._exists(conn, dataset):
                return 0
            return len(_run(conn, f"DELETE FROM {_quote(dataset)} WHERE {BATCH_COLUMN} = ? RETURNING 1", [batch_id]))

    def drop_dataset(self, dataset: str) -> None:
        check_name(dataset)
        with self._connect() as conn:
            _run(conn, f"DROP TABLE IF EXISTS {_quote(dataset)}")

    def query(
        self, sql: str, params: Sequence[Any] | None = None, *, timeout: float | None = None,
        max_rows: int | None = None, scope: ReadScope | None = None,
    ) -> pa.Table:
        if scope is not None:
            from dieuhanh.catalog.sqlguard import check_functions

            check_functions(sql, "duckdb")
            timeout = timeout or DEFAULT_USER_SQL_TIMEOUT
        with self._connect(read_only=True) as conn:
            timer = threading.Timer(timeout, conn.interrupt) if timeout else None
            if timer:
                timer.start()
            try:
                relation = conn.sql(sql, params=list(params) if params else None)
                if relation is None:
                    return pa.table({})
                if max_rows is not None:
                    reader = relation.to_arrow_reader(max(1, min(max_rows + 1, 100_000)))
                    batches, count = [], 0
                    for batch in reader:
                        batches.append(batch)
                        count += batch.num_rows
                        if count > max_rows:
                            break
                    return pa.Table.from_batches(batches, schema=reader.schema).slice(0, max_rows + 1)
                return relation.to_arrow_table()
            except Exception as exc:
                if timer and not timer.is_alive() and "interrupt" in str(exc).lower():
                    raise QueryTimeout(f"Truy vấn chạy quá {timeout:g} giây và đã bị dừng.") from exc
                raise
            finally:
                if timer:
                    timer.cancel()


# ---------------------------------------------------------------------------------------------- PostgreSQL


class PostgresWarehouse:
    kind = "postgresql"

    def __init__(self, url: str, *, schema: str = "warehouse"):
        self.dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.schema = schema
        with self._connect() as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        import psycopg

        with psycopg.connect(self.dsn) as conn:
            yield conn

    def _t(self, dataset: str) -> str:
        return f"{_quote(self.schema)}.{_quote(dataset)}"

    def _exists(self, conn: Any, dataset: str) -> bool:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema=%s AND table_name=%s",
            [self.schema, dataset],
        ).fetchone()
        return bool(row and row[0])

    def table_exists(self, dataset: str) -> bool:
        with self._connect() as conn:
            return self._exists(conn, dataset)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Nothing to hold: each query opens its own connection (see DuckDBWarehouse.reading)."""
        yield

    def _prepare(self, conn: Any, dataset: str, schema: pa.Schema) -> None:
        if not self._exists(conn, dataset):
            cols = ", ".join(f"{_quote(f.name)} {_sql_type(f.type, 'postgres')}" for f in schema)
            conn.execute(
                f"CREATE TABLE {self._t(dataset)} ({cols}{', ' if cols else ''}{BATCH_COLUMN} TEXT NOT NULL)"
            )
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {_quote('ix_' + dataset[:50] + '_batch')} "
                f"ON {self._t(dataset)} ({BATCH_COLUMN})"
            )
            return
        existing = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema=%s AND table_name=%s",
                [self.schema, dataset],
            ).fetchall()
        }
        for f in schema:
            if f.name not in existing:
                conn.execute(
                    f"ALTER TABLE {self._t(dataset)} ADD COLUMN {_quote(f.name)} {_sql_type(f.type, 'postgres')}"
                )

    def _insert(self, conn: Any, dataset: str, data: Incoming, batch_id: str) -> int:
        if isinstance(data, SqlSource):
            raise TypeError("SqlSource is for the DuckDB warehouse only")
        names = [*data.schema.names, BATCH_COLUMN]
        cols = ", ".join(_quote(n) for n in names)
        batches = data.to_batches(max_chunksize=50_000) if isinstance(data, pa.Table) else data
        n = 0
        with conn.cursor() as cur, cur.copy(f"COPY {self._t(dataset)} ({cols}) FROM STDIN") as copy:
            for batch in batches:
                columns = [c.to_pylist() for c in batch.columns]
                for i in range(batch.num_rows):
                    copy.write_row([c[i] for c in columns] + [batch_id])
                n += batch.num_rows
        return n

    def _load(self, dataset: str, data: Incoming, batch_id: str, check: Check | None, replace: bool,
              keep_as: str | None = None) -> int:
        check_name(dataset)
        # Create or extend the table in a short transaction of its own, serialised per dataset by an advisory
        # lock: two first loads running side by side would otherwise both try CREATE TABLE and one would fail.
        # An empty table left by a failed first load holds no rows, so the load itself stays all-or-nothing.
        with self._connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{self.schema}.{dataset}"])
            self._prepare(conn, dataset, data.schema)
        with self._connect() as conn, conn.transaction():
            # Loads of one dataset run one after the other (until this transaction ends): the checks of unique
            # columns run inside the load and must see the rows of any load committed before it.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"load:{self.schema}.{dataset}"])
            conn.execute(f"SET LOCAL search_path TO {_quote(self.schema)}")
            if replace:
                if keep_as is not None:
                    conn.execute(f"CREATE TABLE {self._t(check_name(keep_as))} AS SELECT * FROM {self._t(dataset)}")
                conn.execute(f"DELETE FROM {self._t(dataset)}")
            n = self._insert(conn, dataset, data, batch_id)
            if check is not None:
                check(lambda sql: conn.execute(self.translate(sql)).fetchall())
            return n

    def append(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None) -> int:
        return self._load(dataset, data, batch_id, check, replace=False)

    def replace(self, dataset: str, data: Incoming, batch_id: str, *, check: Check | None = None,
                keep_as: str | None = None) -> int:
        return self._load(dataset, data, batch_id, check, replace=True, keep_as=keep_as)

    def restore(self, dataset: str, batch_id: str, kept: str) -> None:
        check_name(dataset)
        check_name(kept)
        with self._connect() as conn, conn.transaction():
            if self._exists(conn, dataset):
                conn.execute(f"DELETE FROM {self._t(dataset)} WHERE {BATCH_COLUMN} = %s", [batch_id])
                if self._exists(conn, kept):
                    cols = ", ".join(_quote(r[0]) for r in conn.execute(
                        "SELECT column_name FROM information_schema.columns WHERE table_schema=%s AND table_name=%s "
                        "ORDER BY ordinal_position", [self.schema, kept]).fetchall())
                    conn.execute(f"INSERT INTO {self._t(dataset)} ({cols}) SELECT {cols} FROM {self._t(kept)}")
            conn.execute(f"DROP TABLE IF EXISTS {self._t(kept)}")

    def drop_batch(self, dataset: str, batch_id: str) -> int:
        check_name(dataset)
        with self._connect() as conn, conn.transaction():
            if not self._exists(conn, dataset):
                return 0
            cur = conn.execute(f"DELETE FROM {self._t(dataset)} WHERE {BATCH_COLUMN} = %s", [batch_id])
            return cur.rowcount

    def drop_dataset(self, dataset: str) -> None:
        check_name(dataset)
        with self._connect() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {self._t(dataset)}")

    # ------------------------------------------------------------------ the database roles of user SQL

    _roles_ready: set[str] = set()

    def _ensure_roles(self, conn: Any) -> None:
        """Create (once, idempotently) the two NOLOGIN reader roles and let this connection's user take them.
        They get USAGE on the warehouse schema only: no grant on the operational schema, ever."""
        import psycopg

        if self.dsn in self._roles_ready:
            return
        for role in (READER_ROLE, READER_PII_ROLE):
            for _attempt in range(3):
                try:
                    with conn.transaction():
                        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
                        if not exists:
                            conn.execute(f"CREATE ROLE {_quote(role)} NOLOGIN NOINHERIT")
                        member = conn.execute("SELECT pg_has_role(current_user, %s, 'USAGE')", [role]).fetchone()
                        if not (member and member[0]):
                            conn.execute(f"GRANT {_quote(role)} TO CURRENT_USER")
                        conn.execute(f"GRANT USAGE ON SCHEMA {_quote(self.schema)} TO {_quote(role)}")
                    break
                except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateObject,
                        psycopg.errors.InternalError):
                    continue  # another process created it at the same moment: look again
                except psycopg.Error as exc:
                    raise DomainError(
                        f"Không tạo được vai trò cơ sở dữ liệu «{role}» để chạy SQL của người dùng ({exc}). "
                        f"Người quản trị PostgreSQL cần tạo vai trò này (NOLOGIN) và cấp nó cho người dùng của "
                        f"ứng dụng; xem docs/security.md."
                    ) from exc
        self._roles_ready.add(self.dsn)

    def _reader_for(self, scope: ReadScope) -> str:
        """The role that runs this query, with SELECT on exactly the scope's tables (and, for the role without
        PII, on their columns that are not PII). Grants are compared and repaired before each query, so a table
        created, a column added or a column newly marked PII is covered at once."""
        role = READER_PII_ROLE if scope.pii else READER_ROLE
        with self._connect() as conn:
            conn.autocommit = True
            self._ensure_roles(conn)
            for table, pii in scope.tables.items():
                check_name(table)
                with conn.transaction():
                    rows = conn.execute(
                        "SELECT column_name, has_column_privilege(%s, format('%%I.%%I', table_schema, table_name), "
                        "column_name, 'SELECT') FROM information_schema.columns "
                        "WHERE table_schema=%s AND table_name=%s", [role, self.schema, table]).fetchall()
                    if not rows:
                        continue  # no such table yet: the query fails on its own
                    hidden = set() if scope.pii else {c.lower() for c in pii}
                    wanted = {name: name.lower() not in hidden for name, _ in rows}
                    if all(bool(granted) == wanted[name] for name, granted in rows):
                        continue
                    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"grants:{self.schema}.{table}"])
                    conn.execute(f"REVOKE ALL ON {self._t(table)} FROM {_quote(role)}")
                    if scope.pii:
                        conn.execute(f"GRANT SELECT ON {self._t(table)} TO {_quote(role)}")
                    else:
                        granted_cols = ", ".join(_quote(n) for n, ok in wanted.items() if ok)
                        if granted_cols:
                            conn.execute(f"GRANT SELECT ({granted_cols}) ON {self._t(table)} TO {_quote(role)}")
        return role

    def translate(self, sql: str, *, has_params: bool = False) -> str:
        """DuckDB dialect -> PostgreSQL, with ``?`` placeholders turned into ``%s``.

        With parameters psycopg reads ``%`` as a placeholder marker, so literal percent signs in strings
        (``LIKE '%x%'``) are doubled first.
        """
        trees = sqlglot.parse(sql, read="duckdb")
        if len(trees) != 1 or trees[0] is None:
            raise InvalidInput("Chỉ được chạy một câu lệnh SQL.")
        tree = trees[0]
        if has_params:
            for lit in tree.find_all(sqlglot.exp.Literal):
                if lit.is_string and "%" in lit.this:
                    lit.set("this", lit.this.replace("%", "%%"))
        return tree.sql(dialect="postgres")

    def query(
        self, sql: str, params: Sequence[Any] | None = None, *, timeout: float | None = None,
        max_rows: int | None = None, scope: ReadScope | None = None,
    ) -> pa.Table:
        import psycopg

        pg_sql = self.translate(sql, has_params=bool(params))
        role = None
        if scope is not None:
            from dieuhanh.catalog.sqlguard import check_functions

            check_functions(pg_sql, "postgres")  # exactly the text PostgreSQL receives
            role = self._reader_for(scope)
            timeout = timeout or DEFAULT_USER_SQL_TIMEOUT
        with self._connect() as conn:
            conn.execute("BEGIN READ ONLY")
            conn.execute(f"SET LOCAL search_path TO {_quote(self.schema)}")
            if role is not None:
                conn.execute(f"SET LOCAL ROLE {_quote(role)}")
            if timeout:
                conn.execute(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
            try:
                with conn.cursor() as cur:
                    cur.execute(pg_sql, list(params) if params else None)
                    names = [d.name for d in cur.description or []]
                    rows = cur.fetchmany(max_rows + 1) if max_rows is not None else cur.fetchall()
            except psycopg.errors.QueryCanceled as exc:
                raise QueryTimeout(f"Truy vấn chạy quá {timeout:g} giây và đã bị dừng.") from exc
            finally:
                conn.rollback()
        return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows]) if rows else pa.table(
            {n: pa.array([], pa.string()) for n in names}
        )


def open_warehouse(url: str) -> Warehouse:
    if url.startswith("duckdb:///"):
        return DuckDBWarehouse(url[len("duckdb:///"):])
    if url.startswith("postgresql"):
        return PostgresWarehouse(url)
    scheme = url.split("://")[0]
    raise InvalidInput(
        f"WAREHOUSE_URL không hợp lệ: chỉ hỗ trợ duckdb:///đường/dẫn hoặc postgresql://… (đã nhận: {scheme}://…)"
    )
