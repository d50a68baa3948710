"""Fixtures: every test that touches a store runs twice, on SQLite+DuckDB and on PostgreSQL for both stores.

PostgreSQL is the machine's server on 127.0.0.1:5432 (trust auth); each test run creates its own database and
drops it at the end. Without PostgreSQL (or Chromium) those tests skip with the reason, except under CI=true,
where a missing one is a failure.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

from dieuhanh.core.bootstrap import bootstrap
from dieuhanh.core.db import Base, Database
from dieuhanh.core.migrate import upgrade
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from dieuhanh.settings import Settings

# Builders shared by several test folders (catalog, indicators, open data) live in tests/catalog.
sys.path.insert(0, str(Path(__file__).parent / "catalog"))


def _shared_bytecode_cache() -> None:
    """Child Python processes (the CLI tests start `python -m dieuhanh.cli` some fifty times) share one bytecode
    cache for this run, outside the source tree. With PYTHONDONTWRITEBYTECODE set (as on this machine) and no
    cache, each child compiled every module it imports from source again: about 3 of the 4 seconds of a CLI call.
    Only the environment of child processes changes; this process and the code under test are untouched."""
    prefix = Path(tempfile.mkdtemp(prefix="dieuhanh-test-pycache-"))
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    atexit.register(shutil.rmtree, prefix, ignore_errors=True)


_shared_bytecode_cache()

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("DIEUHANH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CHROMIUM = os.environ.get("DIEUHANH_TEST_CHROMIUM", "/usr/bin/chromium")
# Tables of reference data that bootstrap fills once per database and tests do not change.
KEEP_TABLES = {"admin_unit", "alembic_version"}


STORE_IDS = ("sqlite", "postgresql")


def store_of(nodeid: str) -> str | None:
    """The store kind a test runs on, from its id (``test_x[sqlite]``, ``test_y[postgresql-INSERT …]``,
    ``test_z[analyst-sqlite]``: pytest joins parameter ids with ``-``), or None for a test without a store."""
    start = nodeid.find("[")
    if start < 0 or not nodeid.endswith("]"):
        return None
    params = nodeid[start + 1:-1].split("-")
    found = [p for p in params if p in STORE_IDS]
    return found[0] if len(found) == 1 else None


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under pytest-xdist (`-n 2 --dist loadgroup`, pyproject.toml), every test of one store kind runs in the same
    worker: each store's session fixtures (its databases, the demo template) are built once per run, and the two
    stores' tests run side by side on the two cores. Tests without a store are shared out freely.

    xdist's own ``loadgroup`` (``xdist_group`` marks) no longer groups anything with pytest 9.2, whose node ids
    are not the attribute xdist rewrites: both workers ran both stores and built each store's session fixtures,
    the demo template too, two or more times. So the grouping is done here, from the test id."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class StoreScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            kind = store_of(nodeid)
            return f"store-{kind}" if kind else nodeid

    return StoreScheduling(config, log)


def missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this is a failure, not a skip)")
    pytest.skip(reason)


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


def pg_url(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the test server."""
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    try:
        conn = _pg_admin()
    except Exception as exc:  # noqa: BLE001
        missing(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    name = f"dieuhanh_test_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory, store_kind: str) -> Path:
    return tmp_path_factory.mktemp(f"stores-{store_kind}")


@pytest.fixture(scope="session")
def store_urls(request: pytest.FixtureRequest, store_kind: str, session_dir: Path) -> tuple[str, str]:
    if store_kind == "sqlite":
        return f"sqlite:///{session_dir / 'dieuhanh.db'}", f"duckdb:///{session_dir / 'warehouse.duckdb'}"
    url = request.getfixturevalue("pg_database")
    return url, url


def new_database(url: str) -> Database:
    """A migrated database with the province's reference data, as `dieuhanh up` leaves a new installation."""
    db = Database(url)
    upgrade(db.engine)
    with db.session() as session:
        bootstrap(session, province_code="37")
    return db


@pytest.fixture(scope="session")
def database(store_urls: tuple[str, str]) -> Iterator[Database]:
    db = new_database(store_urls[0])
    yield db
    db.dispose()


def warehouse_at(url: str) -> Warehouse:
    if url.startswith("duckdb:///"):
        return DuckDBWarehouse(url[len("duckdb:///"):])
    return PostgresWarehouse(url)


@pytest.fixture(scope="session")
def warehouse_store(store_urls: tuple[str, str]) -> Warehouse:
    return warehouse_at(store_urls[1])


def _clean(db: Database, wh: Warehouse) -> None:
    with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                session.execute(table.delete())
        # admin_unit is kept (reference data), but a test may have imported boundaries: back to none, as
        # bootstrap leaves a new installation
        # (only when a test changed them: re-applying the packaged file rewrites ~2 MB per test)
        from sqlalchemy import or_, select, update

        from dieuhanh.geo.models import AdminUnit
        from dieuhanh.geo.service import PACKAGED_SOURCE

        changed = session.scalar(select(AdminUnit.code).where(
            AdminUnit.level == "commune",
            or_(AdminUnit.boundary.is_(None), AdminUnit.boundary_source.is_distinct_from(PACKAGED_SOURCE))).limit(1))
        if changed is not None:
            session.execute(update(AdminUnit).where(AdminUnit.boundary.is_not(None))
                            .values(boundary=None, boundary_source=None))
        bootstrap(session, province_code="37")
    if wh.kind == "duckdb":
        names = wh.query("SELECT table_name FROM information_schema.tables WHERE table_schema='main'")
    else:
        names = wh.query("SELECT table_name FROM information_schema.tables WHERE table_schema=current_schema()")
    for name in names.column(0).to_pylist():
        wh.drop_dataset(str(name))
    from dieuhanh.demo import service as demo_service

    demo_service._demo_cache.clear()
    from dieuhanh.geo.service import forget_shapes

    forget_shapes()  # the tables were reset behind the process's cache of commune polygons


@pytest.fixture
def db(database: Database, warehouse_store: Warehouse) -> Iterator[Database]:
    _clean(database, warehouse_store)
    yield database


@pytest.fixture
def warehouse(db: Database, warehouse_store: Warehouse) -> Warehouse:
    return warehouse_store


def make_settings(data_dir: Path, database_url: str, warehouse_url: str) -> Settings:
    return Settings(
        data_dir=data_dir, database_url=database_url, warehouse_url=warehouse_url, secret_key="test-secret",
        province_code="37", scheduler_enabled=False,
        # the tests' fake department APIs and webhook receivers listen on this machine
        pull_allowed_hosts="127.0.0.1,localhost", webhook_allowed_hosts="127.0.0.1,localhost",
    )


@pytest.fixture
def settings(tmp_path: Path, store_urls: tuple[str, str]) -> Settings:
    return make_settings(tmp_path / "var", *store_urls)


@pytest.fixture
def app(settings: Settings, db: Database, warehouse: Warehouse):  # type: ignore[no-untyped-def]
    from dieuhanh.app import create_app

    return create_app(settings, database=db, warehouse=warehouse)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


class Factory:
    """Small builders for test data, through the real services."""

    def __init__(self, db: Database):
        self.db = db

    def user(self, role: str, agency: str | None = None, username: str | None = None,
             password: str = "mat-khau-thu-nghiem") -> tuple[int, str, str]:
        from dieuhanh.orgs import service
        from dieuhanh.orgs.schemas import UserIn

        username = username or f"{role}-{uuid.uuid4().hex[:6]}"
        with self.db.session() as session:
            user, pw = service.create_user(
                session, principal=SYSTEM,
                user_in=UserIn(username=username, role=role, agency_code=agency, password=password),
            )
            return user.id, username, pw

    def token(self, scopes: list[str], agency: str | None = None, name: str = "he-thong") -> tuple[int, str]:
        from dieuhanh.orgs import service
        from dieuhanh.orgs.schemas import TokenIn

        with self.db.session() as session:
            token, secret = service.create_token(
                session, principal=SYSTEM, token_in=TokenIn(name=name, agency_code=agency, scopes=scopes)
            )
            return token.id, secret


@pytest.fixture
def factory(db: Database) -> Factory:
    return Factory(db)


def login(client, username: str, password: str = "mat-khau-thu-nghiem"):  # type: ignore[no-untyped-def]
    """Sign in through the real form, CSRF token included."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           follow_redirects=False)
    if response.status_code == 303:  # the CSRF token rotates at sign-in: the session's new one
        token = csrf_from(client)
    return response, token


def csrf_from(client) -> str:  # type: ignore[no-untyped-def]
    import re

    page = client.get("/account")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


# ------------------------------------------------------------------------------------------------ browser

# Browser checks of layout and page behaviour (screen sizes, scrollbars, console errors, scripts, clicks and
# navigation) run on SQLite + DuckDB only: what the pages show comes from the same services and routes whose
# behaviour on each store the API and page tests check on both. A browser test that itself exercises a store
# (uploads into it, downloads from it) leaves this out and runs on both.
ONE_STORE = pytest.mark.parametrize("store_kind", ["sqlite"], indirect=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    import uvicorn

    port = free_port()
    # open streams (the wall's and the room's SSE) are cut after 1 s at shutdown instead of held 10 s
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser_instance():  # type: ignore[no-untyped-def]
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def watched_page(context):  # type: ignore[no-untyped-def]
    """A new page of ``context`` that collects console errors and uncaught exceptions in ``page.console_errors``."""
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.console_errors = errors
    return pg


@pytest.fixture
def page(browser_instance):  # type: ignore[no-untyped-def]
    # bypass_csp: Playwright evaluates wait_for_function strings with eval, which the Content-Security-Policy
    # forbids; tests/security/test_xss_headers.py browses with the policy in force.
    context = browser_instance.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN",
                                           bypass_csp=True)
    yield watched_page(context)
    context.close()


def sign_in(page, base: str, username: str, password: str = "mat-khau-thu-nghiem") -> None:  # type: ignore[no-untyped-def]
    """Sign in through the real login form in the browser."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


# ------------------------------------------------------------------------------------------------ catalog


@pytest.fixture
def agency_token(factory: Factory) -> dict[str, str]:
    """A department system's token: the statistics office (TKT) pushing its own data."""
    _, secret = factory.token(["datasets"], agency="TKT", name="he-thong-thong-ke")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def population(client, agency_token):  # type: ignore[no-untyped-def]
    from catalog_helpers import dataset_body

    response = client.post("/api/v1/datasets", json=dataset_body(), headers=agency_token)
    assert response.status_code == 201, response.text
    return response.json()


# ------------------------------------------------------------------------------------------------ demo province

# The files of a SQLite + DuckDB installation (the write-ahead logs only exist while something writes).
STORE_FILES = ("dieuhanh.db", "dieuhanh.db-wal", "warehouse.duckdb", "warehouse.duckdb.wal")


def sqlite_stores(root: Path) -> tuple[str, str]:
    return f"sqlite:///{root / 'dieuhanh.db'}", f"duckdb:///{root / 'warehouse.duckdb'}"


# The day the test demo province lives in (`dieuhanh demo --today`): tests of the demo do not drift with the clock.
DEMO_TODAY = date(2026, 12, 7)


@dataclass
class DemoProvince:
    """The demo province as `run_demo` loaded it: its stores, settings and what the run reported."""

    db: Database
    warehouse: Warehouse
    settings: Settings
    summary: dict[str, Any]
    credentials: list[tuple[str, str, str]]


@dataclass
class DemoTemplate:
    kind: str
    source: str  # SQLite: the folder of the template's files; PostgreSQL: the template database
    summary: dict[str, Any]
    credentials: list[tuple[str, str, str]]


@pytest.fixture(scope="session")
def demo_template(request: pytest.FixtureRequest, store_kind: str,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTemplate]:
    """`run_demo` once per store kind, on brand-new stores (migrated and bootstrapped, nothing else) that no test
    opens: each test that needs the demo gets its own copy (`demo_province`). Loading takes 20-30 s on an idle
    2-core machine (52,000 dossiers, 2,000 citizen reports, every indicator); copying takes about a second."""
    from dieuhanh.demo.service import run_demo

    root = tmp_path_factory.mktemp(f"demo-template-{store_kind}")
    if store_kind == "sqlite":
        source = str(root)
        db_url, warehouse_url = sqlite_stores(root)
    else:
        source = make_url(request.getfixturevalue("pg_database")).database + "_demo"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{source}"')
        db_url = warehouse_url = pg_url(source)
    db = new_database(db_url)
    try:
        ctx = run_demo(db, warehouse_at(warehouse_url), make_settings(root, db_url, warehouse_url), today=DEMO_TODAY)
    finally:
        db.dispose()
    if store_kind == "postgresql":
        # Nobody may be connected to a template while it is copied; autovacuum skips databases that refuse
        # connections.
        with _pg_admin() as admin:
            admin.execute(f'ALTER DATABASE "{source}" WITH ALLOW_CONNECTIONS false')
    yield DemoTemplate(store_kind, source, ctx.summary, ctx.credentials)
    if store_kind == "postgresql":
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{source}" WITH (FORCE)')


@pytest.fixture
def demo_province(demo_template: DemoTemplate, tmp_path: Path) -> Iterator[DemoProvince]:
    """A private copy of the demo province (see `demo_template`): the test may read and change it freely."""
    if demo_template.kind == "sqlite":
        root = tmp_path / "demo"
        root.mkdir()
        for name in STORE_FILES:
            if (Path(demo_template.source) / name).exists():
                shutil.copyfile(Path(demo_template.source) / name, root / name)
        db_url, warehouse_url = sqlite_stores(root)
    else:
        import psycopg

        name = f"{demo_template.source}_{uuid.uuid4().hex[:6]}"
        with _pg_admin() as admin:
            for attempt in range(20):
                try:
                    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{demo_template.source}"')
                    break
                except psycopg.errors.ObjectInUse:  # an autovacuum worker finishing on the template
                    if attempt == 19:
                        raise
                    time.sleep(0.5)
        db_url = warehouse_url = pg_url(name)
    db = Database(db_url)
    try:
        yield DemoProvince(db=db, warehouse=warehouse_at(warehouse_url),
                           settings=make_settings(tmp_path / "var", db_url, warehouse_url),
                           summary=demo_template.summary, credentials=demo_template.credentials)
    finally:
        db.dispose()
        if demo_template.kind == "sqlite":
            shutil.rmtree(tmp_path / "demo", ignore_errors=True)  # 100 MB a copy
        else:
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
