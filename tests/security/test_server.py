"""Items 14 and 16: forwarded addresses only from configured proxies; a restart right after a crash binds."""

from __future__ import annotations

import socket

import uvicorn

from conftest import ONE_STORE
from dieuhanh.cli import _check_port, proxy_options
from dieuhanh.settings import Settings


def test_forwarded_for_is_believed_only_from_configured_proxies(tmp_path):
    none = proxy_options(Settings(data_dir=tmp_path))
    assert none["proxy_headers"] is False  # before: proxy_headers=True, and uvicorn trusts 127.0.0.1 by default
    config = uvicorn.Config(lambda *a: None, **none)  # type: ignore[arg-type]
    assert config.proxy_headers is False
    listed = proxy_options(Settings(data_dir=tmp_path, trusted_proxies="10.0.0.2"))
    assert listed == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.2"}


def test_port_left_in_time_wait_by_a_crashed_server_is_usable_at_once():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.listen()
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end stays in TIME_WAIT, as after a crash
    client.close()
    server.close()
    _check_port("127.0.0.1", port)  # before: "đang được chương trình khác sử dụng"


def test_store_files_are_readable_by_their_owner_only(tmp_path):
    from dieuhanh.cli import _owner_only

    for name in ("dieuhanh.db", "dieuhanh.db-wal", "warehouse.duckdb", "notes.txt"):
        (tmp_path / name).write_text("x")
        (tmp_path / name).chmod(0o644)
    _owner_only(Settings(data_dir=tmp_path))
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"dieuhanh.db": 0o600, "dieuhanh.db-wal": 0o600, "warehouse.duckdb": 0o600, "notes.txt": 0o644}


@ONE_STORE
def test_a_full_disk_gives_a_clear_error(app):
    import errno

    from fastapi.testclient import TestClient

    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    app.add_api_route("/_thu_dia_day", full)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        page = client.get("/_thu_dia_day", headers={"Accept": "text/html"})
        assert page.status_code == 507 and "hết dung lượng đĩa" in page.text
        assert client.get("/_thu_dia_day", headers={"Accept": "application/json"}).status_code == 507
