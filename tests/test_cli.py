"""The command line, run as a user runs it: in subprocesses, on a temporary data directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import free_port

DIEUHANH = [sys.executable, "-m", "dieuhanh.cli"]


def run(args: list[str], env: dict[str, str], stdin: str | None = None, timeout: int = 120):
    return subprocess.run(DIEUHANH + args, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli_env(tmp_path: Path, store_kind: str, request: pytest.FixtureRequest) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
    env["DIEUHANH_DATA_DIR"] = str(tmp_path / "var")
    env["COLUMNS"] = "200"
    if store_kind == "postgresql":
        url = request.getfixturevalue("pg_database")
        # A CLI test gets its own database so it does not disturb the shared test database's fixtures.
        import psycopg

        name = f"cli_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
        admin_url = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        request.addfinalizer(lambda: _drop(admin_url, name))
        own = url.rsplit("/", 1)[0] + "/" + name
        env["DIEUHANH_DATABASE_URL"] = own
        env["DIEUHANH_WAREHOUSE_URL"] = own
    return env


def _drop(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_health(base: str, proc: subprocess.Popen, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"dieuhanh up exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            response = httpx.get(f"{base}/healthz", timeout=2)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("dieuhanh up did not answer /healthz in time")


def test_up_answers_at_once_while_the_demo_loads_and_refuses_a_second_up(cli_env, store_kind):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(DIEUHANH + ["up", "--port", str(port)], env=cli_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        health = wait_health(base, proc)
        assert health["status"] == "ok"
        assert health["database"] == ("sqlite" if store_kind == "sqlite" else "postgresql")
        assert health["warehouse"] == ("duckdb" if store_kind == "sqlite" else "postgresql")
        # The first start answers before the demo province has loaded (it loads in the background, ~30 s):
        # /healthz says how far it is, pages show the progress instead of half-loaded data, the API says 503.
        assert health["demo"]["state"] == "loading" and 0 <= health["demo"]["percent"] < 100
        home = httpx.get(f"{base}/")
        assert home.status_code == 503 and "Đang nạp dữ liệu tỉnh mẫu lần đầu" in home.text
        api = httpx.get(f"{base}/api/v1/indicators")
        assert api.status_code == 503 and api.headers["retry-after"] == "5"
        second = run(["up", "--port", str(free_port())], cli_env, timeout=60)
        assert second.returncode == 1
        assert "đang được một tiến trình `dieuhanh up` khác sử dụng" in second.stderr
        # (the demo's end — pages served, first-run mark — is tests/web/test_first_start.py, in process)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # Stopped during the load: nothing half-loaded stays marked as loaded. A server without the demo; the CLI
    # writes to the operational database while it runs.
    port = free_port()
    proc = subprocess.Popen(DIEUHANH + ["up", "--port", str(port), "--no-demo"], env=cli_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "demo" not in wait_health(f"http://127.0.0.1:{port}", proc)
        created = run(["users", "create", "canbo.moi", "--role", "officer", "--agency", "SYT"], cli_env)
        assert created.returncode == 0, created.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_port_in_use_is_reported_clearly(cli_env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(["up", "--port", str(port), "--no-demo"], cli_env, timeout=60)
    assert result.returncode == 1
    assert f"Cổng {port}" in result.stderr and "đang được chương trình khác sử dụng" in result.stderr


def test_unknown_province_code_is_reported(cli_env):
    env = dict(cli_env, DIEUHANH_PROVINCE_CODE="99")
    result = run(["migrate"], env)
    assert result.returncode == 1
    assert "Mã tỉnh '99'" in result.stderr


def test_unreachable_database_names_host_and_database_but_not_password(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIEUHANH_")}
    env["DIEUHANH_DATA_DIR"] = str(tmp_path / "var")
    env["DIEUHANH_DATABASE_URL"] = "postgresql+psycopg://ioc:SieuBiMat123@127.0.0.1:1/ioc_prod"
    result = run(["migrate"], env)
    assert result.returncode == 1
    assert "127.0.0.1:1" in result.stderr and "ioc_prod" in result.stderr
    assert "SieuBiMat123" not in result.stderr + result.stdout


def test_users_tokens_and_units_commands(cli_env):
    created = run(["users", "create", "lanhdao", "--role", "leader"], cli_env)
    assert created.returncode == 0, created.stderr
    assert "Mật khẩu" in created.stdout
    with_stdin = run(["users", "create", "phantich", "--role", "analyst", "--password-stdin"], cli_env,
                     stdin="mot-mat-khau-dai\n")
    assert with_stdin.returncode == 0 and "mot-mat-khau-dai" not in with_stdin.stdout
    officer_without_agency = run(["users", "create", "canbo", "--role", "officer"], cli_env)
    assert officer_without_agency.returncode == 1 and "phải thuộc một cơ quan" in officer_without_agency.stderr

    token = run(["tokens", "create", "--name", "motcua", "--scope", "publicservices"], cli_env)
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip()
    assert secret.startswith("dh_") and "\n" not in secret  # only the token on stdout
    listed = run(["tokens", "list"], cli_env)
    assert "motcua" in listed.stdout and secret not in listed.stdout
    revoked = run(["tokens", "revoke", "1"], cli_env)
    assert revoked.returncode == 0 and "Đã thu hồi" in revoked.stdout
    bad_scope = run(["tokens", "create", "--name", "x", "--scope", "everything"], cli_env)
    assert bad_scope.returncode == 1 and "Phạm vi không hợp lệ" in bad_scope.stderr

    units = run(["units", "list", "--level", "commune"], cli_env)
    assert "129 đơn vị" in units.stdout and "13285" in units.stdout
    resolved = run(["units", "resolve", "xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam"], cli_env)
    assert resolved.returncode == 0, resolved.stderr
    assert resolved.stdout.split("\t")[:2] == ["13435", "Phường Lý Thường Kiệt"]
