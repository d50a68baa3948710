"""Pull sources keep their secrets sealed at rest and call only allowed hosts (never link-local or metadata).

The department's API is a real HTTP server on 127.0.0.1 (its name ``localhost`` serves as "another host"): the
code under test goes through httpx, redirects, DNS resolution and sockets as in production. No test sends
anything beyond the loopback interface: refusals are checked on what the local server received, and the one
run aimed at a metadata address goes to a transport that records requests instead of a network.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select, text

from conftest import csrf_from, login
from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import DatasetIn
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.jobs import Scheduler
from dieuhanh.core.security import SYSTEM
from dieuhanh.ingest import pull
from dieuhanh.ingest.guard import (
    BLOCKED_NETWORKS,
    BadAllowList,
    HostPolicy,
    HostRefused,
    PullGuard,
    SecretBox,
    UndecryptableSecret,
)
from dieuhanh.ingest.jobs import PullSchedules, pull_job_id
from dieuhanh.ingest.models import PullRun, PullSource

KEY = "khoa-api-cua-so-xay-dung-ninh-binh-2025"
APP_KEY = "test-secret"  # the conftest settings' SECRET_KEY
GUARD = PullGuard.of(secret_key=APP_KEY, allowed_hosts="127.0.0.1,localhost")  # the fake APIs run here
OLD_KEY_GUARD = PullGuard.of(secret_key="the-key-before-rotation", allowed_hosts="127.0.0.1,localhost")
MAX_BYTES = 1024 * 1024
UNDECRYPTABLE = ("Không giải mã được bí mật của nguồn «Công trình xây dựng» — SECRET_KEY đã thay đổi? "
                 "Hãy nhập lại bí mật")


class DepartmentServer:
    """A department's API served for real on 127.0.0.1. ``/data`` needs ``X-API-Key``; ``/open`` does not;
    ``/moved-here`` redirects to ``/data`` on the same server; ``/moved-away`` redirects to ``away`` + ``/data``.
    Every request is logged as (Host header, path, X-API-Key or None)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None]] = []
        self.away = ""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = urlsplit(self.path).path
                key = self.headers.get("X-API-Key")
                server.requests.append((self.headers.get("Host", ""), path, key))
                if path == "/moved-here":
                    return self._send(302, b"", {"Location": "/data"})
                if path == "/moved-away":
                    return self._send(302, b"", {"Location": f"{server.away}/data"})
                if path == "/data" and key != KEY:
                    return self._send(401, b'{"error": "wrong key"}')
                if path in ("/data", "/open"):
                    rows = [{"ma": f"CT-{i}", "gia_tri": i * 1.5} for i in range(1, 4)]
                    return self._send(200, json.dumps(rows).encode())
                return self._send(404, b'{"error": "not found"}')

            def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.other_url = f"http://localhost:{self.port}"  # the same server under another host name
        # shutdown() waits for the serving loop's next poll: 0.5 s by default, at the end of every test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def hosts(self) -> list[str]:
        return [host.split(":")[0] for host, _, _ in self.requests]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs connect directly here (behind a proxy the address check after DNS is the proxy's)."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[DepartmentServer]:
    department = DepartmentServer()
    department.thread.start()
    yield department
    department.server.shutdown()
    department.server.server_close()


@pytest.fixture
def works(db) -> str:  # type: ignore[no-untyped-def]
    with db.session() as session:
        catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate({
            "name": "cong_trinh", "title": "Công trình xây dựng", "owner_agency": "SXD",
            "update_frequency": "daily", "schema": [{"name": "ma", "type": "string", "required": True},
                                                    {"name": "gia_tri", "type": "number"}]}))
    return "cong_trinh"


def make_source(db, url: str, guard: PullGuard = GUARD, **overrides: Any) -> int:  # type: ignore[no-untyped-def]
    body = {"name": "Công trình xây dựng", "dataset": "cong_trinh", "url": url, "auth_header": "X-API-Key",
            "auth_value": KEY, "cron": "0 3 * * *", "retries": 0, **overrides}
    with db.session() as session:
        return pull.create_source(session, principal=SYSTEM, source_in=pull.PullSourceIn.model_validate(body),
                                  guard=guard).id


def run(db, warehouse, source_id: int, guard: PullGuard = GUARD, **kwargs: Any) -> PullRun:  # type: ignore[no-untyped-def]
    return pull.run_source(db, warehouse, principal=SYSTEM, source_id=source_id, province_code="37",
                           max_bytes=MAX_BYTES, guard=guard, **kwargs)


def stored_secret(db, source_id: int) -> str | None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT auth_value FROM pull_source WHERE id = :id"), {"id": source_id}).scalar()


def store_raw_secret(db, source_id: int, value: str) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE pull_source SET auth_value = :v WHERE id = :id"), {"v": value, "id": source_id})


def count_rows(db, model: Any, **where: Any) -> int:  # type: ignore[no-untyped-def]
    with db.session() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.scalar(query) or 0)


# ------------------------------------------------------------------------------------------------ secrets


def test_secret_box_seals_with_a_fresh_nonce_and_refuses_another_key_or_a_changed_value():
    box = SecretBox(APP_KEY)
    first, second = box.seal(KEY), box.seal(KEY)
    assert first.startswith("v1:") and second.startswith("v1:") and first != second
    assert box.open(first) == box.open(second) == KEY
    with pytest.raises(UndecryptableSecret):
        SecretBox("another-secret-key").open(first)
    raw = bytearray(base64.urlsafe_b64decode(first[3:]))
    raw[-1] ^= 1
    with pytest.raises(UndecryptableSecret):
        box.open("v1:" + base64.urlsafe_b64encode(bytes(raw)).decode())
    with pytest.raises(UndecryptableSecret):
        box.open("v1:not-base64!")
    assert box.open("plain:" + KEY) == KEY and box.open("plain:plain:x") == "plain:x"
    assert box.needs_sealing("plain:x") and not box.needs_sealing(first)


def test_the_stored_column_holds_no_plain_secret_and_a_pull_still_sends_it(db, warehouse, server, works):
    source_id = make_source(db, f"{server.url}/data")
    stored = stored_secret(db, source_id)
    assert stored is not None and stored.startswith("v1:")
    assert KEY not in stored and KEY.encode() not in base64.urlsafe_b64decode(stored[3:])
    result = run(db, warehouse, source_id)
    assert result.outcome == "success", result.error
    assert result.rows == 3
    assert server.requests == [(f"127.0.0.1:{server.port}", "/data", KEY)]
    with db.session() as session:  # the audit row says a secret is set, never which
        after = session.scalar(select(AuditEntry.after).where(AuditEntry.action == "source.create"))
        assert after is not None and after["auth_value"] == "(đã đặt)" and KEY not in json.dumps(after)


def test_a_secret_left_in_plain_text_is_read_then_sealed_by_the_run(db, warehouse, server, works):
    source_id = make_source(db, f"{server.url}/data")
    other_id = make_source(db, f"{server.url}/data", name="Công trình (bản sao)")
    store_raw_secret(db, source_id, "plain:" + KEY)  # as migration 0012 leaves a secret stored before it
    store_raw_secret(db, other_id, KEY)  # written by hand, untagged
    assert run(db, warehouse, source_id).outcome == "success"
    assert server.requests[-1][2] == KEY
    sealed = stored_secret(db, source_id)
    assert sealed is not None and sealed.startswith("v1:") and GUARD.secrets.open(sealed) == KEY
    assert pull.seal_legacy_secrets(db, GUARD) == 1  # what the scheduler does when it starts
    assert GUARD.secrets.open(stored_secret(db, other_id) or "") == KEY
    assert stored_secret(db, other_id) != KEY and pull.seal_legacy_secrets(db, GUARD) == 0


def test_migration_0012_tags_plain_secrets_and_leaves_sealed_ones(db, works, server):
    from alembic import command

    from dieuhanh.core.migrate import alembic_config

    plain_id = make_source(db, f"{server.url}/data")
    sealed_id = make_source(db, f"{server.url}/data", name="Công trình đã mã hóa")
    sealed = stored_secret(db, sealed_id)
    cfg = alembic_config(db.engine.url.render_as_string(hide_password=False))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011_feedback_owner_key")
    try:
        store_raw_secret(db, plain_id, "v1:" + KEY)  # a plain secret that happens to start like a sealed one
    finally:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    assert stored_secret(db, plain_id) == "plain:v1:" + KEY
    assert stored_secret(db, sealed_id) == sealed


def test_a_changed_secret_key_fails_the_run_clearly_and_the_scheduler_goes_on(db, warehouse, server, works,
                                                                               settings):
    locked_id = make_source(db, f"{server.url}/data", guard=OLD_KEY_GUARD)
    open_id = make_source(db, f"{server.url}/open", name="Công trình công khai", auth_header=None, auth_value=None)
    scheduler = Scheduler(db, warehouse=warehouse, settings=settings)
    sync = PullSchedules(scheduler, province_code="37", max_bytes=MAX_BYTES, guard=GUARD)
    assert sync() == 2

    job = scheduler.run(pull_job_id(locked_id))
    assert job is not None and job.outcome == "failed" and UNDECRYPTABLE in (job.error or "")
    with db.session() as session:
        [failed] = session.scalars(select(PullRun).where(PullRun.source_id == locked_id)).all()
        assert failed.outcome == "failed" and failed.finished_at is not None and UNDECRYPTABLE in (failed.error or "")
        stored = stored_secret(db, locked_id) or ""
        assert stored[3:20] not in (failed.error or "") and KEY not in (failed.error or "")
    assert server.requests == []  # nothing was sent without the secret

    job = scheduler.run(pull_job_id(open_id))  # the scheduler goes on with the other sources
    assert job is not None and job.outcome == "success" and job.rows == 3


def test_the_page_and_the_api_say_which_secret_to_enter_again(client, factory, db, server, works):
    source_id = make_source(db, f"{server.url}/data", guard=OLD_KEY_GUARD)
    _, username, _ = factory.user("officer", agency="SXD")
    _, csrf = login(client, username)
    page = client.get(f"/ingest/sources?source={source_id}")
    assert page.status_code == 200 and f'data-testid="secret-problem-{source_id}"' in page.text
    assert UNDECRYPTABLE in page.text and 'data-testid="secret-form"' in page.text
    shown = client.get(f"/api/v1/ingest/sources/{source_id}").json()
    assert UNDECRYPTABLE in shown["auth_error"] and shown["auth_value"] == "••••"

    ran = client.post(f"/ingest/sources/{source_id}/run", data={"csrf_token": csrf})
    assert ran.status_code == 200 and UNDECRYPTABLE in ran.text

    entered = client.post(f"/ingest/sources/{source_id}/secret",
                          data={"csrf_token": csrf_from(client), "auth_header": "X-API-Key", "auth_value": KEY},
                          follow_redirects=False)
    assert entered.status_code == 303
    shown = client.get(f"/api/v1/ingest/sources/{source_id}").json()
    assert shown["auth_error"] is None and shown["auth_value"] == "••••" + KEY[-4:]
    assert KEY not in client.get(f"/ingest/sources?source={source_id}").text
    ran = client.post(f"/api/v1/ingest/sources/{source_id}/run", headers={"X-CSRF-Token": csrf})
    assert ran.status_code == 200 and ran.json()["outcome"] == "success", ran.text
    assert server.requests[-1][2] == KEY


def test_keeping_a_secret_while_moving_the_url_to_another_server_is_refused(db, server, works):
    source_id = make_source(db, f"{server.url}/data")
    sealed = stored_secret(db, source_id)
    with db.session() as session, pytest.raises(InvalidInput, match="nhập lại giá trị xác thực") as refused:
        pull.update_source(session, principal=SYSTEM, source_id=source_id, guard=GUARD,
                           changes=pull.PullSourceUpdate(url=f"{server.other_url}/data"))
    assert refused.value.errors[0].field == "auth_value"
    with db.session() as session:  # same server, another path: the secret stays as it was sealed
        pull.update_source(session, principal=SYSTEM, source_id=source_id, guard=GUARD,
                           changes=pull.PullSourceUpdate(url=f"{server.url}/open", cron="0 4 * * *"))
    assert stored_secret(db, source_id) == sealed
    with db.session() as session:  # another server with the secret typed again
        pull.update_source(session, principal=SYSTEM, source_id=source_id, guard=GUARD,
                           changes=pull.PullSourceUpdate(url=f"{server.other_url}/data", auth_value="khoa-moi"))
    assert GUARD.secrets.open(stored_secret(db, source_id) or "") == "khoa-moi"


# ------------------------------------------------------------------------------------------------ hosts


def test_the_allow_list_matches_names_sub_domains_ips_and_networks():
    policy = HostPolicy.parse(" *.ninhbinh.gov.vn, lgsp.ninhbinh.gov.vn.,10.20.0.0/16 ,127.0.0.1,,[::1]")
    for host in ("lgsp.ninhbinh.gov.vn", "api.sxd.ninhbinh.gov.vn", "LGSP.NinhBinh.gov.vn.", "10.20.3.4",
                 "127.0.0.1", "[::1]", "::1"):
        policy.check_host(host)
    for host in ("ninhbinh.gov.vn", "evilninhbinh.gov.vn", "ninhbinh.gov.vn.evil.com", "10.21.0.1", "localhost",
                 "127.0.0.2", "2130706434"):
        with pytest.raises(HostRefused, match="không nằm trong danh sách") as refused:
            policy.check_host(host)
        assert refused.value.host in refused.value.message
    HostPolicy.parse("").check_host("any.example.org")  # empty: any host but the blocked ones
    for bad in ("*", "lgsp.*.gov.vn", "10.0.0.0/33", "http://lgsp.gov.vn/api"):
        with pytest.raises(BadAllowList, match="DIEUHANH_PULL_ALLOWED_HOSTS"):
            HostPolicy.parse(bad)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/iam/", "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[fe80::1]/", "http://[::ffff:169.254.169.254]/", "http://2852039166/", "http://0xa9.0xfe.0xa9.0xfe/",
    "http://metadata.google.internal/computeMetadata/v1/", "http://100.100.100.200/latest/meta-data/",
])
def test_metadata_addresses_are_refused_even_when_the_allow_list_names_them(db, works, url):
    permissive = PullGuard.of(secret_key=APP_KEY, allowed_hosts="169.254.0.0/16,fd00::/8,fe80::/10,::ffff:0:0/96,"
                              "metadata.google.internal,100.64.0.0/10")
    for guard in (GUARD, permissive):
        with pytest.raises(InvalidInput, match="địa chỉ nội bộ của hạ tầng") as refused:
            make_source(db, url, guard=guard)
        assert refused.value.errors[0].field == "url"
    assert count_rows(db, PullSource) == 0


def test_a_run_never_calls_a_metadata_address_stored_before_the_check(db, warehouse, server, works):
    source_id = make_source(db, f"{server.url}/data")
    with db.engine.begin() as conn:  # a row written before this check existed, or by hand
        conn.execute(text("UPDATE pull_source SET url = :u WHERE id = :id"),
                     {"u": "http://169.254.169.254/latest/meta-data/", "id": source_id})
    seen: list[httpx.Request] = []

    def network(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    failed = run(db, warehouse, source_id, transport=httpx.MockTransport(network))
    assert failed.outcome == "failed" and "169.254.169.254" in (failed.error or "") and seen == []


def test_a_name_resolving_to_a_blocked_address_is_refused_when_connecting(db, warehouse, server, works):
    # The names pass the URL check; the addresses they resolve to do not. 127.0.0.0/8 stands in for a metadata
    # range here so that nothing leaves the machine.
    loopback_blocked = PullGuard(GUARD.secrets, HostPolicy.parse(
        "", blocked=(*BLOCKED_NETWORKS, ipaddress.ip_network("127.0.0.0/8"))))
    source_id = make_source(db, f"{server.other_url}/data", guard=loopback_blocked)
    failed = run(db, warehouse, source_id, guard=loopback_blocked)
    assert failed.outcome == "failed" and "trỏ tới địa chỉ nội bộ" in (failed.error or "")
    assert "localhost" in (failed.error or "") and server.requests == []
    with pytest.raises(HostRefused, match="169.254.169.254"):
        GUARD.hosts.resolve("2852039166", 80)  # a numeric name: parsed locally, no DNS query
    assert run(db, warehouse, source_id).outcome == "success"  # the default policy connects


def test_create_and_edit_refuse_a_host_off_the_allow_list(client, factory, db, server, works, settings, monkeypatch):
    monkeypatch.setattr(settings, "pull_allowed_hosts", "127.0.0.1,*.ninhbinh.gov.vn")
    _, username, _ = factory.user("officer", agency="SXD")
    _, csrf = login(client, username)
    headers = {"X-CSRF-Token": csrf}
    body = {"name": "Công trình xây dựng", "dataset": "cong_trinh", "url": f"{server.other_url}/data",
            "auth_header": "X-API-Key", "auth_value": KEY, "cron": "0 3 * * *"}
    refused = client.post("/api/v1/ingest/sources", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert "«localhost» không nằm trong danh sách máy chủ được phép" in refused.json()["detail"]
    assert refused.json()["errors"][0]["field"] == "url" and KEY not in refused.text

    form = {"csrf_token": csrf, **body, "pagination": "none"}
    page = client.post("/ingest/sources", data=form)
    assert page.status_code == 422 and "«localhost» không nằm trong danh sách" in page.text and KEY not in page.text
    assert count_rows(db, PullSource) == 0 and count_rows(db, AuditEntry, action="source.create") == 0

    created = client.post("/api/v1/ingest/sources", json={**body, "url": f"{server.url}/data"}, headers=headers)
    assert created.status_code == 201, created.text
    source_id = created.json()["id"]
    moved = client.patch(f"/api/v1/ingest/sources/{source_id}", headers=headers,
                         json={"url": "https://lgsp.thanhhoa.gov.vn/api/cong-trinh", "auth_value": "khoa-khac"})
    assert moved.status_code == 422 and "«lgsp.thanhhoa.gov.vn»" in moved.json()["detail"]
    assert moved.json()["errors"][0]["field"] == "url"
    with db.session() as session:
        source = session.get(PullSource, source_id)
        assert source is not None and source.url == f"{server.url}/data"
        assert GUARD.secrets.open(source.auth_value or "") == KEY
    assert count_rows(db, AuditEntry, action="source.update") == 0
    allowed = client.patch(f"/api/v1/ingest/sources/{source_id}", headers=headers,
                           json={"url": "https://lgsp.ninhbinh.gov.vn/api/cong-trinh", "auth_value": "khoa-lgsp"})
    assert allowed.status_code == 200, allowed.text


def test_redirects_are_followed_only_to_allowed_hosts_and_the_secret_stays_on_its_server(db, warehouse, server,
                                                                                          works):
    only_ip = PullGuard.of(secret_key=APP_KEY, allowed_hosts="127.0.0.1")
    both = PullGuard.of(secret_key=APP_KEY, allowed_hosts="127.0.0.1,localhost")
    server.away = server.other_url

    here = make_source(db, f"{server.url}/moved-here", guard=only_ip)
    result = run(db, warehouse, here, guard=only_ip)
    assert result.outcome == "success", result.error
    assert [(path, key) for _, path, key in server.requests] == [("/moved-here", KEY), ("/data", KEY)]

    server.requests.clear()
    away = make_source(db, f"{server.url}/moved-away", guard=only_ip, name="Công trình chuyển đi")
    refused = run(db, warehouse, away, guard=only_ip)
    assert refused.outcome == "failed" and "chuyển hướng sang máy chủ không được phép" in (refused.error or "")
    assert "«localhost»" in (refused.error or "")
    assert server.hosts() == ["127.0.0.1"]  # the redirect target was never called

    server.requests.clear()
    followed = run(db, warehouse, away, guard=both)  # allowed, but the secret is not sent to another host
    assert followed.outcome == "failed" and "HTTP 401" in (followed.error or "")
    assert [(host.split(":")[0], path, key) for host, path, key in server.requests] == [
        ("127.0.0.1", "/moved-away", KEY), ("localhost", "/data", None)]
