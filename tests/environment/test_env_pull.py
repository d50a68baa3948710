"""Scheduled pull of air readings from a station network's API (environment/pull.py), on both stores. The
network's API is a fake at the edge of a system we do not own: a small HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import func, select

from conftest import login
from dieuhanh.environment import pull
from dieuhanh.environment.models import Observation, PullSource
from dieuhanh.ingest.guard import PullGuard

T = datetime(2026, 12, 7, 14)


class FakeNetwork:
    """The station network's API (fake, labelled): answers what the test sets, records the headers it got."""

    def __init__(self) -> None:
        self.body: bytes = b"[]"
        self.status = 200
        self.seen: list[str | None] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake.seen.append(self.headers.get("X-Api-Key"))
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(fake.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/readings"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _reading(value: float, at: datetime, station: str = "KK01") -> dict:
    return {"station": station, "parameter": "pm25", "value": value, "unit": "ug/m3",
            "observed_at": at.isoformat(), "averaging": "1h"}


def test_pull_on_schedule_all_or_nothing_with_the_secret_sealed(client, db, factory, settings):
    network = FakeNetwork()
    try:
        _, analyst, _ = factory.user("analyst")
        _, csrf = login(client, analyst)
        h = {"X-CSRF-Token": csrf}
        assert client.post("/api/v1/environment/stations", headers=h, json={
            "code": "KK01", "name": "Trạm Phủ Lý", "lat": 20.5436, "lon": 105.913, "operator": "Trung tâm Quan trắc",
            "parameters": ["pm25", "pm10"]}).status_code == 201
        refused = client.post("/api/v1/environment/pull-sources", headers=h, json={
            "name": "Mạng quan trắc", "url": "http://169.254.169.254/latest", "every_minutes": 60})
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url"
        created = client.post("/api/v1/environment/pull-sources", headers=h, json={
            "name": "Mạng quan trắc tỉnh", "url": network.url, "header_name": "X-Api-Key", "secret": "khoa-bi-mat",
            "every_minutes": 60})
        assert created.status_code == 201, created.text
        src = created.json()
        assert src["has_secret"] is True and "khoa-bi-mat" not in created.text
        with db.session() as s:
            assert "khoa-bi-mat" not in (s.get(PullSource, src["id"]).secret or "")  # sealed at rest

        # One bad record: nothing stored, the reason shown on the source.
        network.body = json.dumps([_reading(20.0, T - timedelta(hours=1)), _reading(-3, T)]).encode()
        run = client.post(f"/api/v1/environment/pull-sources/{src['id']}/run", headers=h).json()
        assert run["status"] == "error" and "không lưu bản ghi nào" in run["message"] and "Bản ghi 1" in run["message"]
        with db.session() as s:
            assert s.scalar(select(func.count()).select_from(Observation)) == 0

        # A good answer (in the {"observations": [...]} form) is stored; the scheduler's job waits its interval.
        network.body = json.dumps({"observations": [_reading(20.0, T - timedelta(hours=1)),
                                                     _reading(25.0, T)]}).encode()
        guard = PullGuard.from_settings(settings)
        with db.session() as s:
            s.get(PullSource, src["id"]).last_run_at = None
        with db.session() as s:
            assert pull.run_due(s, guard=guard) == 1
        with db.session() as s:
            assert pull.run_due(s, guard=guard) == 0  # not due again for an hour
            assert s.scalar(select(func.count()).select_from(Observation)) == 2
            later = datetime.utcnow() + timedelta(minutes=61)
            assert pull.run_due(s, guard=guard, now=later) == 1  # the same readings again: duplicates
            assert s.scalar(select(func.count()).select_from(Observation)) == 2
        assert network.seen and set(network.seen) == {"khoa-bi-mat"}
        listed = client.get("/api/v1/environment/pull-sources", headers=h).json()
        assert listed[0]["last_status"] == "ok" and "2 trùng" in listed[0]["last_message"]

        network.status = 500
        run = client.post(f"/api/v1/environment/pull-sources/{src['id']}/run", headers=h).json()
        assert run == {"status": "error", "message": "Nguồn trả mã HTTP 500."}
    finally:
        network.close()
