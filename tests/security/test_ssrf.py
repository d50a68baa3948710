"""Item 6: outgoing calls (pull sources, alert webhooks) refuse this machine, private networks and metadata
addresses unless listed, check the address connected to, and keep no response body."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from dieuhanh.alerts.models import Notification
from dieuhanh.alerts.notify import _webhook
from dieuhanh.core.db import utcnow
from dieuhanh.ingest.guard import HostPolicy, HostRefused


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "2130706433", "10.0.0.5", "172.16.3.4", "192.168.1.1",
                                  "[::1]", "[fc00::1]", "169.254.169.254", "0.0.0.0", "100.64.0.1"])
def test_default_policy_refuses_internal_addresses(host):
    with pytest.raises(HostRefused):
        HostPolicy.parse("").check_host(host)


def test_names_resolving_to_internal_addresses_are_refused_at_connection_unless_listed():
    HostPolicy.parse("").check_host("lgsp.ninhbinh.gov.vn")  # a name: checked again once resolved
    with pytest.raises(HostRefused):
        HostPolicy.parse("").resolve("localhost", 80)
    assert HostPolicy.parse("localhost").resolve("localhost", 80)
    assert HostPolicy.parse("127.0.0.0/8").resolve("localhost", 80)
    with pytest.raises(HostRefused):
        HostPolicy.parse("169.254.0.0/16").check_host("169.254.169.254")  # metadata: whatever the list says


class _Receiver(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        _Receiver.hits.append(self.path)
        body = b"internal secret page SECRET-BODY-42"
        self.send_response(500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass


def test_webhooks_refuse_loopback_by_default_and_never_keep_the_body():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        note = Notification(channel="webhook", group_key="g", payload={}, created_at=utcnow(), status="pending")
        _webhook(note, {"type": "webhook", "url": url}, {"x": 1}, now=utcnow(),
                 settings=SimpleNamespace(webhook_allowed_hosts=""))
        assert note.status == "failed" and "127.0.0.1" in (note.error or "") and _Receiver.hits == []
        listed = SimpleNamespace(webhook_allowed_hosts="127.0.0.1")
        _webhook(note, {"type": "webhook", "url": url}, {"x": 1}, now=utcnow(), settings=listed)
        assert _Receiver.hits == ["/hook"]
        assert note.status == "failed" and "500" in (note.error or "") and "SECRET-BODY" not in (note.error or "")
    finally:
        server.shutdown()
