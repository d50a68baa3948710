"""Property-based run of schemathesis over the whole OpenAPI document, against a local server on fresh stores.

    uv run python tools/fuzz_openapi.py [--store sqlite|postgresql] [-n 25] [--checks not_a_server_error] [...]

Builds the app on brand-new stores (a temporary SQLite + DuckDB pair, or a temporary PostgreSQL database on
127.0.0.1:5432), signs an admin in through the real login form, serves the app with uvicorn on 127.0.0.1 and runs
``schemathesis run`` against ``/openapi.json`` with the admin's session cookie and CSRF header, so the protected
operations are exercised past their authorisation checks. Any other argument is passed on to ``schemathesis run``
(e.g. ``--include-path-regex /api/v1/feedback``). Exit status: schemathesis's (non-zero on any failure).

Whether the documented input schemas say what the validation accepts (issue 17): schema-valid requests refused
with 400/422 are ``positive_data_acceptance`` failures, e.g.

    uv run python tools/fuzz_openapi.py -n 12 --mode positive --phases fuzzing --continue-on-failure \
        --checks not_a_server_error,positive_data_acceptance

The test suite holds deterministic regressions of every 5xx found this way (tests/conformance/); this script is
the tool that finds new ones, too slow for every CI run over all operations.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import uvicorn

from dieuhanh.app import create_app
from dieuhanh.core.bootstrap import bootstrap
from dieuhanh.core.db import Database
from dieuhanh.core.migrate import upgrade
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from dieuhanh.orgs import service as orgs_service
from dieuhanh.orgs.schemas import UserIn
from dieuhanh.settings import Settings

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "mat-khau-kiem-thu-fuzz"


def _stores(kind: str, root: Path) -> tuple[str, Warehouse, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{root / 'dieuhanh.db'}", DuckDBWarehouse(str(root / "warehouse.duckdb")), None
    import psycopg

    name = f"dieuhanh_fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    return url, PostgresWarehouse(url), name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("-n", "--max-examples", type=int, default=25)
    parser.add_argument("--checks", default="not_a_server_error")
    args, rest = parser.parse_known_args()
    root = Path(tempfile.mkdtemp(prefix="dieuhanh-fuzz-"))
    db_url, warehouse, pg_name = _stores(args.store, root)
    db = Database(db_url)
    upgrade(db.engine)
    with db.session() as session:
        bootstrap(session, province_code="37")
        orgs_service.create_user(session, principal=SYSTEM, user_in=UserIn(
            username="fuzz-admin", role="admin", agency_code=None, password=PASSWORD))
    settings = Settings(data_dir=root / "var", database_url=db_url, warehouse_url=db_url if pg_name else
                        f"duckdb:///{root / 'warehouse.duckdb'}", secret_key="fuzz-secret", province_code="37",
                        scheduler_enabled=False)
    app = create_app(settings, database=db, warehouse=warehouse)
    with socket_port() as port:
        pass
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base) as web:
            token = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text).group(1)  # type: ignore[union-attr]
            web.post("/login", data={"username": "fuzz-admin", "password": PASSWORD, "csrf_token": token})
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/account").text).group(1)  # type: ignore[union-attr]
            cookie = "; ".join(f"{k}={v}" for k, v in web.cookies.items())
        command = [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json",
                   "--checks", args.checks, "-n", str(args.max_examples), "--no-color",
                   "-H", f"Cookie: {cookie}", "-H", f"X-CSRF-Token: {csrf}", *rest]
        return subprocess.call(command, cwd=root)  # its cache (.schemathesis/) stays out of the source tree
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


class socket_port:  # noqa: N801 - a context manager used like a function
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


if __name__ == "__main__":
    sys.exit(main())
