"""Items 14 and 16: forwarded addresses only from configured proxies; a restart right after a crash binds."""

from __future__ import annotations

import socket

import uvicorn

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
