"""Scheduled pull of air readings from a station network's API: the fourth way readings arrive (beside MQTT,
push and file import). Every ``every_minutes`` the server GETs the source's URL — only hosts the pull policy
allows (``DIEUHANH_PULL_ALLOWED_HOSTS``; private and metadata addresses refused, checked again after DNS) — and
hands the JSON (a list of readings, or ``{"observations": [...]}``, in the push format) to the same all-or-nothing
intake as a push: a bad answer stores nothing and is shown on the source with its reason."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import FieldError, InvalidInput, NotFound
from dieuhanh.core.security import SYSTEM, Principal, authorize
from dieuhanh.environment.models import PullSource
from dieuhanh.ingest.guard import HostRefused, PullGuard, guarded_client

MAX_BYTES = 8 * 1024 * 1024
TIMEOUT_SECONDS = 20.0


class PullSourceIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=1000)
    header_name: str = Field(default="Authorization", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9-]+$")
    secret: str | None = Field(default=None, max_length=1000)
    every_minutes: int = Field(default=60, ge=5, le=1440)
    enabled: bool = True

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("Địa chỉ phải bắt đầu bằng http:// hoặc https://")
        return value


def source_dict(src: PullSource) -> dict[str, Any]:
    """What the API shows of a source: never the secret, only whether there is one."""
    return {"id": src.id, "name": src.name, "url": src.url, "header_name": src.header_name,
            "has_secret": bool(src.secret), "every_minutes": src.every_minutes, "enabled": src.enabled,
            "last_run_at": src.last_run_at.isoformat() if src.last_run_at else None,
            "last_status": src.last_status, "last_message": src.last_message}


def create_source(session: Session, *, principal: Principal, data: PullSourceIn, guard: PullGuard) -> PullSource:
    authorize(principal, "environment.station.manage")
    try:
        guard.hosts.check_url(data.url)
    except HostRefused as exc:
        raise InvalidInput(exc.message, errors=[FieldError(exc.message, field="url")]) from exc
    src = PullSource(name=data.name.strip(), url=data.url, header_name=data.header_name,
                     secret=guard.secrets.seal(data.secret) if data.secret else None,
                     every_minutes=data.every_minutes, enabled=data.enabled, created_by=principal.actor)
    session.add(src)
    session.flush()
    audit.record(session, actor=principal.actor, action="environment.pull_source.create",
                 entity_type="env_pull_source", entity_id=src.id, after={"name": src.name, "url": src.url})
    return src


def list_sources(session: Session, *, principal: Principal) -> list[PullSource]:
    authorize(principal, "environment.station.manage")
    return list(session.scalars(select(PullSource).order_by(PullSource.id)))


def _fetch(src: PullSource, guard: PullGuard) -> Any:
    headers = {"Accept": "application/json"}
    if src.secret:
        headers[src.header_name] = guard.secrets.open(src.secret)
    with guarded_client(guard.hosts, timeout=TIMEOUT_SECONDS, follow_redirects=False) as client, \
            client.stream("GET", src.url, headers=headers) as response:
        if response.status_code != 200:
            raise InvalidInput(f"Nguồn trả mã HTTP {response.status_code}.")  # never the body: it may hold secrets
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > MAX_BYTES:
                raise InvalidInput(f"Nguồn trả về quá {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        data = json.loads(bytes(body))
    except ValueError as exc:
        raise InvalidInput("Nguồn không trả về JSON hợp lệ.") from exc
    if isinstance(data, dict) and isinstance(data.get("observations"), list):
        data = data["observations"]
    if not isinstance(data, list):
        raise InvalidInput("JSON của nguồn phải là một danh sách bản ghi hoặc {\"observations\": [...]}.")
    return data


def run_source(session: Session, *, principal: Principal, source_id: int, guard: PullGuard,
               now: datetime | None = None) -> dict[str, Any]:
    """Pull once now. The readings go through ``push_observations`` in a savepoint: all or none."""
    from dieuhanh.environment.service import push_observations

    authorize(principal, "environment.station.manage")
    src = session.get(PullSource, source_id)
    if src is None:
        raise NotFound("Không có nguồn kéo số liệu này.")
    src.last_run_at = now or utcnow()
    try:
        items = _fetch(src, guard)
        with session.begin_nested():
            result = push_observations(session, principal=SYSTEM, items=items)
    except (InvalidInput, HostRefused, OSError) as exc:
        message = exc.message if isinstance(exc, InvalidInput | HostRefused) else f"Không kết nối được: {exc}"
        if isinstance(exc, InvalidInput) and exc.errors:
            message += " " + "; ".join(e.message for e in exc.errors[:5])
        src.last_status, src.last_message = "error", message[:1000]
        audit.record(session, actor=principal.actor, action="environment.pull_source.run",
                     entity_type="env_pull_source", entity_id=src.id, after={"status": "error"})
        return {"status": "error", "message": src.last_message}
    src.last_status = "ok"
    src.last_message = (f"{result.created} bản ghi mới, {result.updated} sửa, {result.duplicates} trùng, "
                        f"{result.flagged} bị đánh dấu.")
    audit.record(session, actor=principal.actor, action="environment.pull_source.run",
                 entity_type="env_pull_source", entity_id=src.id,
                 after={"status": "ok", "created": result.created, "updated": result.updated})
    return {"status": "ok", "message": src.last_message, "created": result.created, "updated": result.updated,
            "duplicates": result.duplicates, "flagged": result.flagged}


def run_due(session: Session, *, guard: PullGuard, now: datetime | None = None) -> int:
    """Every enabled source whose interval has passed (the scheduler's job); returns the sources run."""
    now = now or utcnow()
    ran = 0
    for src in session.scalars(select(PullSource).where(PullSource.enabled.is_(True)).order_by(PullSource.id)):
        if src.last_run_at is None or now - src.last_run_at >= timedelta(minutes=src.every_minutes):
            run_source(session, principal=SYSTEM, source_id=src.id, guard=guard, now=now)
            ran += 1
    return ran
