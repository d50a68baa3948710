"""Scheduled pulls from department REST APIs: every page or nothing, retries, incremental runs, run records."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from conftest import csrf_from, login
from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.catalog.schemas import DatasetIn
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.errors import Conflict, InvalidInput, PermissionDenied
from dieuhanh.core.security import SYSTEM, Principal
from dieuhanh.ingest import pull
from dieuhanh.ingest.guard import PullGuard
from dieuhanh.ingest.models import PullRun, PullSource

API_KEY = "khoa-bi-mat-cua-so-tu-phap-2025"
GUARD = PullGuard.of(secret_key="test-secret", allowed_hosts="127.0.0.1,localhost")  # conftest settings
COMMUNES = ["13285", "13291", "13435"]
MAX_BYTES = 10 * 1024 * 1024
FIELD_MAP = {"id": "ma_ho_so", "commune.code": "ma_xa", "field": "linh_vuc", "received": "ngay_nhan",
             "updated_at": "cap_nhat"}
DOSSIER_SCHEMA = [
    {"name": "ma_ho_so", "type": "string", "required": True, "unique": True},
    {"name": "ma_xa", "type": "unit_code", "required": True},
    {"name": "linh_vuc", "type": "string"},
    {"name": "ngay_nhan", "type": "date"},
    {"name": "cap_nhat", "type": "datetime"},
]


def dossier(i: int) -> dict[str, Any]:
    return {"id": f"HS-{i:04d}", "commune": {"code": COMMUNES[i % 3], "name": "—"}, "field": "Hộ tịch",
            "received": f"2025-01-{1 + i % 28:02d}", "updated_at": f"2025-02-01T08:{i // 60:02d}:{i % 60:02d}",
            "note": "trường không ánh xạ"}


class FakeDepartmentApi:
    """A fake of a department's REST API (Sở Tư pháp's dossiers over LGSP).

    This is a fake at the edge of a system we do not own: it stands in for the department's server, and it is
    served for real over HTTP on 127.0.0.1, so the code under test goes through httpx, sockets, timeouts,
    status codes and JSON exactly as in production. It offers the three pagination styles we support:

    - ``/page?page=&page_size=`` → ``{"data": {"items": [...]}, "total": n}``
    - ``/offset?offset=&limit=`` → a bare JSON array
    - ``/cursor?cursor=&limit=`` → ``{"items": [...], "meta": {"next_cursor": "..."|null}}``

    Every path accepts ``updated_since`` (records with ``updated_at`` strictly after it) and requires the
    ``X-API-Key`` header. ``fail[(path, page)]`` is a list of statuses answered before the real page (popped
    one per request); ``always_fail[(path, page)]`` answers that status forever.
    """

    def __init__(self, records: list[dict[str, Any]]):
        self.records = records
        self.fail: dict[tuple[str, str], list[int]] = {}
        self.always_fail: dict[tuple[str, str], int] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with api.lock:
                    api.requests.append((parts.path, params))
                status, body = api.answer(parts.path, params, self.headers.get("X-API-Key"))
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # shutdown() waits for the serving loop's next poll: 0.5 s by default, at the end of every test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def answer(self, path: str, params: dict[str, str], key: str | None) -> tuple[int, Any]:
        if key != API_KEY:
            return 401, {"error": "missing or wrong X-API-Key"}
        page_key = params.get("page") or params.get("cursor") or (
            str(int(params.get("offset", 0)) // int(params.get("limit", 10)) + 1) if path == "/offset" else "1")
        with self.lock:
            if (path, page_key) in self.always_fail:
                return self.always_fail[(path, page_key)], {"error": "internal"}
            queued = self.fail.get((path, page_key))
            if queued:
                return queued.pop(0), {"error": "temporarily unavailable"}
        rows = sorted(self.records, key=lambda r: r["updated_at"])
        if "updated_since" in params:
            rows = [r for r in rows if r["updated_at"] > params["updated_since"]]
        if path == "/page":
            size, page = int(params.get("page_size", 10)), int(params.get("page", 1))
            return 200, {"data": {"items": rows[(page - 1) * size: page * size]}, "total": len(rows)}
        if path == "/offset":
            offset, limit = int(params.get("offset", 0)), int(params.get("limit", 10))
            return 200, rows[offset: offset + limit]
        if path == "/cursor":
            limit = int(params.get("limit", 10))
            start = int(params["cursor"][1:]) if "cursor" in params else 0
            following = f"c{start + limit}" if start + limit < len(rows) else None
            return 200, {"items": rows[start: start + limit], "meta": {"next_cursor": following}}
        if path == "/broken-json":
            return 200, b'{"data": {"items": [ {"id": 1,'
        return 404, {"error": "not found"}

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [p for q, p in self.requests if q == path]


@pytest.fixture
def api() -> Iterator[FakeDepartmentApi]:
    fake = FakeDepartmentApi([dossier(i) for i in range(1, 26)])
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def dossiers(db) -> str:  # type: ignore[no-untyped-def]
    with db.session() as session:
        catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate({
            "name": "ho_so_tthc", "title": "Hồ sơ thủ tục hành chính", "owner_agency": "STP",
            "update_frequency": "daily", "schema": DOSSIER_SCHEMA}))
    return "ho_so_tthc"


def make_source(db, api: FakeDepartmentApi, **overrides: Any) -> int:  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {
        "name": "Hồ sơ từ Sở Tư pháp", "dataset": "ho_so_tthc", "url": f"{api.url}/page",
        "auth_header": "X-API-Key", "auth_value": API_KEY, "pagination": "page", "page_size": 10,
        "records_path": "data.items", "field_map": FIELD_MAP, "cron": "*/15 * * * *", "backoff_seconds": 0.01,
        **overrides,
    }
    with db.session() as session:
        return pull.create_source(session, principal=SYSTEM, source_in=pull.PullSourceIn.model_validate(body),
                                  guard=GUARD).id


def run(db, warehouse, source_id: int, principal: Principal = SYSTEM) -> PullRun:  # type: ignore[no-untyped-def]
    return pull.run_source(db, warehouse, principal=principal, source_id=source_id, province_code="37",
                           max_bytes=MAX_BYTES, guard=GUARD)


def count(warehouse, dataset: str = "ho_so_tthc") -> int:  # type: ignore[no-untyped-def]
    if not warehouse.table_exists(dataset):
        return 0
    return int(warehouse.query(f"SELECT count(*) FROM {dataset}").column(0)[0].as_py())


def batches(db) -> list[LoadBatch]:  # type: ignore[no-untyped-def]
    with db.session() as session:
        return list(session.scalars(select(LoadBatch)))


# ------------------------------------------------------------------------------------------------ pagination


@pytest.mark.parametrize(("path", "overrides", "requests"), [
    ("/page", {}, 4),  # 3 pages of 10, 10, 5 and the empty fourth that ends the run
    ("/offset", {"pagination": "offset", "records_path": ""}, 4),
    ("/cursor", {"pagination": "cursor", "records_path": "items", "cursor_path": "meta.next_cursor"}, 3),
])
def test_every_page_is_fetched_then_loaded_as_one_batch(db, warehouse, api, dossiers, path, overrides, requests):
    source_id = make_source(db, api, url=f"{api.url}{path}", **overrides)
    result = run(db, warehouse, source_id)
    assert result.outcome == "success", result.error
    assert result.rows == 25 and result.attempts == requests and result.error is None
    assert len(api.requests_to(path)) == requests
    assert count(warehouse) == 25
    [batch] = batches(db)
    assert batch.id == result.batch_id and batch.source == "pull" and batch.rows == 25
    assert batch.idempotency_key == f"pull:{source_id}:{result.id}"
    row = warehouse.query("SELECT ma_xa, linh_vuc, ngay_nhan FROM ho_so_tthc WHERE ma_ho_so = 'HS-0004'").to_pylist()
    assert row == [{"ma_xa": "13291", "linh_vuc": "Hộ tịch", "ngay_nhan": __import__("datetime").date(2025, 1, 5)}]
    sizes = {p.get("page_size") or p.get("limit") for p in api.requests_to(path)}
    assert sizes == {"10"}


def test_incremental_second_run_asks_only_for_newer_records(db, warehouse, api, dossiers):
    source_id = make_source(db, api, incremental_field="updated_at", incremental_param="updated_since")
    first = run(db, warehouse, source_id)
    assert first.outcome == "success" and first.rows == 25
    assert all("updated_since" not in p for p in api.requests_to("/page"))
    with db.session() as session:
        assert session.get(PullSource, source_id).high_water_mark == "2025-02-01T08:00:25"  # type: ignore[union-attr]

    api.requests.clear()
    api.records += [dossier(i) for i in range(26, 29)]
    second = run(db, warehouse, source_id)
    assert second.outcome == "success" and second.rows == 3 and second.pages == 2
    assert {p["updated_since"] for p in api.requests_to("/page")} == {"2025-02-01T08:00:25"}
    assert count(warehouse) == 28
    with db.session() as session:
        assert session.get(PullSource, source_id).high_water_mark == "2025-02-01T08:00:28"  # type: ignore[union-attr]

    third = run(db, warehouse, source_id)  # nothing new: success, nothing loaded, no empty batch
    assert third.outcome == "success" and third.rows == 0 and third.batch_id is None
    assert len(batches(db)) == 2


def test_a_500_on_page_2_is_retried_and_the_run_succeeds(db, warehouse, api, dossiers):
    api.fail[("/page", "2")] = [500, 503]
    source_id = make_source(db, api)
    result = run(db, warehouse, source_id)
    assert result.outcome == "success", result.error
    assert result.rows == 25 and result.attempts == 6  # 4 pages + 2 retries of page 2
    assert [p["page"] for p in api.requests_to("/page")] == ["1", "2", "2", "2", "3", "4"]
    assert count(warehouse) == 25


def test_a_429_is_retried_too(db, warehouse, api, dossiers):
    api.fail[("/page", "1")] = [429]
    result = run(db, warehouse, make_source(db, api))
    assert result.outcome == "success" and result.attempts == 5


def test_permanent_failure_after_retries_leaves_the_dataset_unchanged(db, warehouse, api, dossiers):
    source_id = make_source(db, api, retries=2, incremental_field="updated_at", incremental_param="updated_since")
    assert run(db, warehouse, source_id).outcome == "success"
    api.records += [dossier(i) for i in range(26, 40)]
    api.always_fail[("/page", "2")] = 500
    failed = run(db, warehouse, source_id)
    assert failed.outcome == "failed" and failed.rows == 0 and failed.batch_id is None
    assert "Trang 2" in failed.error and "HTTP 500" in failed.error and "đã thử 3 lần" in failed.error
    assert failed.attempts == 4 and failed.pages == 1 and failed.finished_at is not None
    assert count(warehouse) == 25 and len(batches(db)) == 1  # page 1 of this run was not loaded
    with db.session() as session:
        assert session.get(PullSource, source_id).high_water_mark == "2025-02-01T08:00:25"  # type: ignore[union-attr]
        outcomes = [r.outcome for r in session.scalars(select(PullRun).order_by(PullRun.id))]
        assert outcomes == ["success", "failed"]
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "source.run")
                                .order_by(AuditEntry.id)).all()
        assert [a.after["outcome"] for a in audit] == ["success", "failed"]  # type: ignore[index]


def test_unreachable_server_fails_after_retries(db, warehouse, api, dossiers):
    api.server.shutdown()
    api.server.server_close()
    failed = run(db, warehouse, make_source(db, api, retries=1))
    assert failed.outcome == "failed" and "không kết nối được" in failed.error and failed.attempts == 2


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"auth_value": "sai-khoa-roi"}, "HTTP 401"),
    ({"url": "{url}/broken-json", "pagination": "none"}, "không phải JSON hợp lệ"),
    ({"records_path": "data.rows"}, "không có «data.rows»"),
])
def test_client_errors_and_bad_responses_fail_at_once(db, warehouse, api, dossiers, overrides, fragment):
    overrides = {k: v.format(url=api.url) if isinstance(v, str) else v for k, v in overrides.items()}
    failed = run(db, warehouse, make_source(db, api, **overrides))
    assert failed.outcome == "failed" and fragment in failed.error and failed.attempts == 1
    assert count(warehouse) == 0


def test_invalid_records_fail_the_run_with_row_errors_and_load_nothing(db, warehouse, api, dossiers):
    api.records[3]["commune"]["code"] = "Xã Không Tồn Tại"
    api.records[17]["received"] = "31/02/2025"
    failed = run(db, warehouse, make_source(db, api))
    assert failed.outcome == "failed" and failed.pages == 4
    assert "Chưa có dòng nào được nạp" in failed.error
    by_column = {e["column"]: e for e in failed.errors or []}
    assert by_column["ma_xa"]["row"] == 4 and "Không xác định được" in by_column["ma_xa"]["message"]
    assert by_column["ngay_nhan"]["row"] == 18
    assert count(warehouse) == 0 and batches(db) == []
    with db.session() as session:
        ds = session.scalar(select(Dataset).where(Dataset.name == "ho_so_tthc"))
        assert ds is not None and ds.row_count == 0


def test_a_source_does_not_run_twice_at_once(db, warehouse, api, dossiers):
    source_id = make_source(db, api)
    with db.session() as session:
        session.add(PullRun(source_id=source_id, outcome="running", triggered_by="system"))
    with pytest.raises(Conflict):
        run(db, warehouse, source_id)


# ------------------------------------------------------------------------------------------------ sources


def test_source_configuration_is_checked(db, api, dossiers):
    with pytest.raises(InvalidInput, match="cron"):
        make_source(db, api, cron="mỗi sáng")
    with pytest.raises(InvalidInput, match="khong_co"):
        make_source(db, api, field_map={"id": "khong_co"})
    with pytest.raises(InvalidInput, match="cơ quan sở hữu"):
        make_source(db, api, owner_agency="SYT")
    with pytest.raises(ValueError, match="cursor_path"):
        pull.PullSourceIn(name="abc", dataset="ho_so_tthc", url=api.url, pagination="cursor")
    with pytest.raises(ValueError, match="append"):
        pull.PullSourceIn(name="abc", dataset="ho_so_tthc", url=api.url, mode="replace",
                          incremental_field="updated_at", incremental_param="since")
    with pytest.raises(ValueError, match="http"):
        pull.PullSourceIn(name="abc", dataset="ho_so_tthc", url="file:///etc/passwd")


def test_officers_manage_only_their_own_agencys_sources(db, warehouse, api, dossiers):
    other = Principal(kind="user", id=50, name="o-syt", role="officer", agency_code="SYT")
    owner = Principal(kind="user", id=51, name="o-stp", role="officer", agency_code="STP")
    with db.session() as session, pytest.raises(PermissionDenied):
        pull.create_source(session, principal=other, source_in=pull.PullSourceIn(
            name="thu", dataset="ho_so_tthc", url=api.url), guard=GUARD)
    source_id = make_source(db, api)
    with pytest.raises(PermissionDenied):
        run(db, warehouse, source_id, principal=other)
    assert run(db, warehouse, source_id, principal=owner).triggered_by == "user:o-stp"
    with db.session() as session:
        assert pull.list_sources(session, principal=other) == []
        assert [s.id for s in pull.list_sources(session, principal=owner)] == [source_id]


def test_scheduled_runs_act_for_the_owner_agency_and_raise_on_failure(db, warehouse, api, dossiers):
    source_id = make_source(db, api)
    assert pull.run_scheduled(db, warehouse, source_id=source_id, province_code="37", max_bytes=MAX_BYTES,
                              guard=GUARD) == 25
    api.always_fail[("/page", "1")] = 502
    with db.session() as session:
        session.get(PullSource, source_id).retries = 0  # type: ignore[union-attr]
    with pytest.raises(pull.PullFailed, match="HTTP 502"):
        pull.run_scheduled(db, warehouse, source_id=source_id, province_code="37", max_bytes=MAX_BYTES,
                           guard=GUARD)
    with db.session() as session:
        runs = session.scalars(select(PullRun).order_by(PullRun.id)).all()
        assert [(r.trigger, r.outcome) for r in runs] == [("schedule", "success"), ("schedule", "failed")]
        assert session.scalar(select(LoadBatch.created_by)) == "system"


def test_the_scheduler_follows_the_sources_crons(db, warehouse, api, dossiers, settings):
    from dieuhanh.core.jobs import Scheduler
    from dieuhanh.ingest.jobs import PullSchedules, pull_job_id

    scheduler = Scheduler(db, warehouse=warehouse, settings=settings)
    sync = PullSchedules(scheduler, province_code="37", max_bytes=MAX_BYTES, guard=GUARD)
    source_id = make_source(db, api)
    assert sync() == 1 and scheduler.job_ids() == [pull_job_id(source_id)]
    run_record = scheduler.run(pull_job_id(source_id))
    assert run_record is not None and run_record.outcome == "success" and run_record.rows == 25
    with db.session() as session:
        pull.update_source(session, principal=SYSTEM, source_id=source_id,
                           changes=pull.PullSourceUpdate(enabled=False), guard=GUARD)
    assert sync() == 0 and scheduler.job_ids() == []


def test_high_water_mark_compares_numbers_as_numbers():
    records = [{"v": 9}, {"v": 10}, {"v": 2}]
    assert pull.high_water_mark(records, "v", None) == "10"
    assert pull.high_water_mark(records, "v", "12") == "12"
    assert pull.high_water_mark([{"t": "2025-01-02"}, {"t": "2025-01-10"}], "t", "2025-01-05") == "2025-01-10"
    assert pull.high_water_mark([], "t", "2025-01-05") == "2025-01-05"


# ------------------------------------------------------------------------------------------------ API, pages


def test_api_create_list_run_and_runs_never_show_the_secret(client, factory, api, dossiers, warehouse):
    _, username, _ = factory.user("officer", agency="STP")
    _, csrf = login(client, username)
    headers = {"X-CSRF-Token": csrf}
    body = {"name": "Hồ sơ STP", "dataset": "ho_so_tthc", "url": f"{api.url}/page", "auth_header": "X-API-Key",
            "auth_value": API_KEY, "pagination": "page", "page_size": 10, "records_path": "data.items",
            "field_map": FIELD_MAP, "cron": "0 * * * *"}
    created = client.post("/api/v1/ingest/sources", json=body, headers=headers)
    assert created.status_code == 201, created.text
    source = created.json()
    assert source["owner_agency"] == "STP" and source["page_param"] == "page" and source["size_param"] == "page_size"
    assert source["auth_value"] == "••••2025"
    assert API_KEY not in created.text
    listed = client.get("/api/v1/ingest/sources")
    assert listed.status_code == 200 and API_KEY not in listed.text
    assert [s["name"] for s in listed.json()] == ["Hồ sơ STP"] and listed.json()[0]["last_run"] is None

    ran = client.post(f"/api/v1/ingest/sources/{source['id']}/run", headers=headers)
    assert ran.status_code == 200, ran.text
    assert ran.json()["outcome"] == "success" and ran.json()["rows"] == 25
    runs = client.get(f"/api/v1/ingest/sources/{source['id']}/runs").json()
    assert [r["id"] for r in runs] == [ran.json()["id"]]
    assert client.get("/api/v1/ingest/sources").json()[0]["last_run"]["outcome"] == "success"

    changed = client.patch(f"/api/v1/ingest/sources/{source['id']}", json={"cron": "5 1 * * *", "enabled": False},
                           headers=headers)
    assert changed.status_code == 200 and changed.json()["cron"] == "5 1 * * *" and not changed.json()["enabled"]
    assert changed.json()["auth_value"] == "••••2025"  # kept when not sent
    bad = client.post("/api/v1/ingest/sources", json={**body, "name": "Khác", "cron": "sáng nào cũng chạy"},
                      headers=headers)
    assert bad.status_code == 422 and "cron" in bad.json()["detail"]


def test_api_refuses_other_agencies_and_the_anonymous(client, factory, api, dossiers):
    body = {"name": "Hồ sơ STP", "dataset": "ho_so_tthc", "url": f"{api.url}/page"}
    assert client.post("/api/v1/ingest/sources", json=body).status_code in (401, 403)
    assert client.get("/api/v1/ingest/sources").status_code == 401
    _, username, _ = factory.user("officer", agency="SYT")
    _, csrf = login(client, username)
    assert client.post("/api/v1/ingest/sources", json=body, headers={"X-CSRF-Token": csrf}).status_code == 403
    _, secret = factory.token(["datasets"], agency="STP")
    assert client.post("/api/v1/ingest/sources", json=body,
                       headers={"Authorization": f"Bearer {secret}"}).status_code == 403


def test_sources_page_adds_a_source_and_runs_it_now(client, factory, api, dossiers, db):
    _, username, _ = factory.user("analyst")
    login(client, username)
    page = client.get("/ingest/sources")
    assert page.status_code == 200 and "Nguồn dữ liệu tự động" in page.text and "Chưa có nguồn" in page.text
    csrf = csrf_from(client)
    form = {"csrf_token": csrf, "name": "Hồ sơ qua trang", "dataset": "ho_so_tthc", "url": f"{api.url}/page",
            "auth_header": "X-API-Key", "auth_value": API_KEY, "pagination": "page", "page_size": "10",
            "records_path": "data.items", "field_map": "\n".join(f"{k} = {v}" for k, v in FIELD_MAP.items()),
            "cron": "0 6 * * *"}
    created = client.post("/ingest/sources", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"])
    assert "Hồ sơ qua trang" in page.text and "Chạy ngay" in page.text and API_KEY not in page.text
    with db.session() as session:
        source_id = session.scalar(select(PullSource.id))
    ran = client.post(f"/ingest/sources/{source_id}/run", data={"csrf_token": csrf})
    assert ran.status_code == 200
    assert 'data-testid="run-result"' in ran.text and "thành công: 25 dòng" in ran.text
    again = client.post("/ingest/sources", data={**form, "cron": "không hợp lệ"})
    assert again.status_code == 422 and "cron" in again.text and API_KEY not in again.text
    assert client.post(f"/ingest/sources/{source_id}/run", data={}).status_code == 403  # no CSRF token
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(PullRun)) == 1
