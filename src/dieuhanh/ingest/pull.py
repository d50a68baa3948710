"""Scheduled pulls from department REST JSON APIs (LGSP): fetch every page, then load once, or not at all.

A run fetches ALL pages first (retrying each request with exponential backoff on network errors, 5xx and 429),
and only when every page arrived does it hand the records to ``ingest.service.load`` as one batch with the
idempotency key ``pull:{source}:{run}``. A fetch failure or a validation failure therefore leaves the dataset
untouched; either way the run is recorded (``PullRun``) with its outcome, rows, attempts and error.

Why httpx and not dlt: dlt (1.31) installs and its REST client works offline here, but it is a second
pipeline framework with its own state directory, configuration files, schema inference and destinations (41 MB,
~40 packages incl. requests, pendulum, gitpython). Here the destination must be ``load()`` — our validation, unit
mapping, atomic batch, audit row and catalog lineage — so we would use only dlt's paginators and retry helper,
while keeping the high-water mark, the run records and the retry policy per source in our own tables anyway.
The four pagination kinds take ~60 lines with httpx, which is already a dependency.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh import __version__
from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.models import Dataset
from dieuhanh.core import audit
from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound
from dieuhanh.core.jobs import describe_error, parse_cron
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.ingest import service as ingest
from dieuhanh.ingest.guard import HostRefused, PullGuard, UndecryptableSecret, guarded_transport
from dieuhanh.ingest.models import PAGINATION_KINDS, PullRun, PullSource

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_BACKOFF_SECONDS = 60.0
MAX_PAGES = 10_000
MAX_RUN_ERRORS = 50
MAX_REDIRECTS = 5
# A run still "running" after this long is taken to have died with its process (and no longer blocks new runs).
STALE_RUN = timedelta(hours=2)
HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,119}$")
COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

PAGINATION_DEFAULTS = {  # kind -> (page/offset/cursor parameter, size parameter)
    "none": (None, None),
    "page": ("page", "page_size"),
    "offset": ("offset", "limit"),
    "cursor": ("cursor", "limit"),
}

# ------------------------------------------------------------------------------------------------ schemas


class PullSourceIn(BaseModel):
    """A pull source as typed in a form or posted to the API."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=3, max_length=120)
    dataset: str = Field(min_length=1, max_length=63, description="tên bộ dữ liệu trong kho")
    owner_agency: str | None = Field(default=None, description="mặc định: cơ quan sở hữu bộ dữ liệu")
    url: str = Field(max_length=2000)
    params: dict[str, str] = Field(default_factory=dict, description="tham số truy vấn cố định")
    auth_header: str | None = Field(default=None, max_length=120, description="ví dụ Authorization, X-API-Key")
    auth_value: str | None = Field(default=None, max_length=4000, description="chỉ ghi, không bao giờ trả lại")
    pagination: str = "none"
    page_param: str | None = Field(default=None, max_length=60)
    size_param: str | None = Field(default=None, max_length=60)
    page_size: int = Field(default=100, ge=1, le=10_000)
    page_start: int = Field(default=1, ge=0, le=1)
    cursor_path: str | None = Field(default=None, max_length=200)
    records_path: str = Field(default="", max_length=200)
    field_map: dict[str, str] = Field(default_factory=dict)
    incremental_field: str | None = Field(default=None, max_length=120)
    incremental_param: str | None = Field(default=None, max_length=60)
    cron: str = Field(default="0 2 * * *", max_length=120)
    mode: str = "append"
    enabled: bool = True
    retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=2.0, ge=0, le=300)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        try:
            url = httpx.URL(v)
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"URL không hợp lệ: {exc}") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError("URL phải bắt đầu bằng http:// hoặc https:// và có tên máy chủ")
        return v

    @field_validator("pagination")
    @classmethod
    def _pagination(cls, v: str) -> str:
        if v not in PAGINATION_KINDS:
            raise ValueError(f"pagination phải là một trong: {', '.join(PAGINATION_KINDS)}")
        return v

    @field_validator("mode")
    @classmethod
    def _mode(cls, v: str) -> str:
        if v not in ("append", "replace"):
            raise ValueError("mode phải là append hoặc replace")
        return v

    @field_validator("auth_header")
    @classmethod
    def _header(cls, v: str | None) -> str | None:
        if v and not HEADER_NAME.match(v):
            raise ValueError("Tên tiêu đề xác thực chỉ gồm chữ, số và dấu gạch ngang (ví dụ X-API-Key)")
        return v or None

    @field_validator("auth_value")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        if v and ("\n" in v or "\r" in v):
            raise ValueError("Giá trị xác thực không được chứa xuống dòng")
        return v or None

    @field_validator("field_map")
    @classmethod
    def _field_map(cls, v: dict[str, str]) -> dict[str, str]:
        return check_field_map(v)

    @field_validator("page_param", "size_param", "cursor_path", "incremental_field", "incremental_param")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _consistent(self) -> PullSourceIn:
        page_param, size_param = PAGINATION_DEFAULTS[self.pagination]
        self.page_param = self.page_param or page_param
        self.size_param = self.size_param or size_param
        if self.pagination == "none":
            self.page_param = self.size_param = None
        if self.pagination == "cursor" and not self.cursor_path:
            raise ValueError("Phân trang cursor cần cursor_path: vị trí con trỏ trang sau trong phản hồi "
                             "(ví dụ meta.next_cursor)")
        if bool(self.incremental_field) != bool(self.incremental_param):
            raise ValueError("Nạp tăng dần cần cả incremental_field (trường thời điểm cập nhật trong bản ghi) và "
                             "incremental_param (tham số truy vấn gửi mốc đã nạp)")
        if self.incremental_field and self.mode == "replace":
            raise ValueError("Nạp tăng dần chỉ dùng với cách nạp append: replace sẽ xoá các bản ghi cũ")
        if bool(self.auth_header) != bool(self.auth_value):
            raise ValueError("Xác thực cần cả tên tiêu đề và giá trị")
        return self


class PullSourceUpdate(BaseModel):
    """Changes to a source; fields left out stay. ``auth_value`` "" removes the secret."""

    model_config = ConfigDict(str_strip_whitespace=True)

    url: str | None = None
    params: dict[str, str] | None = None
    auth_header: str | None = None
    auth_value: str | None = None
    pagination: str | None = None
    page_param: str | None = None
    size_param: str | None = None
    page_size: int | None = None
    page_start: int | None = None
    cursor_path: str | None = None
    records_path: str | None = None
    field_map: dict[str, str] | None = None
    incremental_field: str | None = None
    incremental_param: str | None = None
    cron: str | None = None
    mode: str | None = None
    enabled: bool | None = None
    retries: int | None = None
    backoff_seconds: float | None = None
    reset_high_water_mark: bool = False


def check_field_map(mapping: dict[str, str]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for source, column in mapping.items():
        source, column = str(source).strip(), str(column).strip()
        if not source:
            raise ValueError("Ánh xạ trường có tên trường nguồn rỗng")
        if not COLUMN_NAME.match(column):
            raise ValueError(f"Cột đích «{column}» không hợp lệ: chữ thường không dấu, số, gạch dưới")
        if column in clean.values():
            raise ValueError(f"Cột đích «{column}» được ánh xạ từ hai trường")
        clean[source] = column
    return clean


def validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()))
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "Cấu hình chưa hợp lệ — " + "; ".join(parts)


def mask_secret(value: str | None) -> str | None:
    """What pages and the API show of a secret: that it is set, and at most its last 4 characters."""
    if not value:
        return None
    return "••••" + value[-4:] if len(value) >= 16 else "••••"


def undecryptable_message(name: str) -> str:
    return (f"Không giải mã được bí mật của nguồn «{name}» — SECRET_KEY đã thay đổi? Hãy nhập lại bí mật "
            "(giá trị xác thực) của nguồn.")


@dataclass(frozen=True)
class SecretState:
    """What pages and the API show of a source's stored secret: its mask, or why it cannot be used."""

    mask: str | None = None
    problem: str | None = None


def secret_state(source: PullSource, guard: PullGuard) -> SecretState:
    if not source.auth_value:
        return SecretState()
    try:
        return SecretState(mask=mask_secret(guard.secrets.open(source.auth_value)))
    except UndecryptableSecret:
        return SecretState(mask="••••", problem=undecryptable_message(source.name))


def check_url(url: str, guard: PullGuard) -> None:
    """A source's URL against the allow-list and the blocked addresses: a 422 naming the host."""
    try:
        guard.hosts.check_url(url)
    except HostRefused as exc:
        raise InvalidInput(exc.message, errors=[FieldError(message=exc.message, field="url")]) from None


def same_server(configured: str | httpx.URL, target: str | httpx.URL) -> bool:
    """Whether ``target`` may receive the secret configured for ``configured``: the same host, and not moved from
    https to plain http (a port change or an upgrade to https on the same host keeps it)."""
    a = httpx.URL(configured) if isinstance(configured, str) else configured
    b = httpx.URL(target) if isinstance(target, str) else target
    return a.raw_host.lower() == b.raw_host.lower() and not (a.scheme == "https" and b.scheme != "https")


def seal_legacy_secrets(database: Database, guard: PullGuard) -> int:
    """Seal the secrets still stored in plain text (before migration 0012); run when the scheduler starts, and
    a run or a save seals its own source's. Returns how many were sealed."""
    with database.session() as session:
        sources = [s for s in session.scalars(select(PullSource).where(PullSource.auth_value.is_not(None)))
                   if guard.secrets.needs_sealing(s.auth_value)]
        for source in sources:
            source.auth_value = guard.secrets.seal(guard.secrets.open(source.auth_value or ""))
        return len(sources)


# ------------------------------------------------------------------------------------------------ sources


def _snapshot(source: PullSource) -> dict[str, Any]:
    return {
        "name": source.name, "dataset": source.dataset.name, "owner_agency": source.owner_agency,
        "url": source.url, "pagination": source.pagination, "cron": source.cron, "mode": source.mode,
        "enabled": source.enabled, "auth_header": source.auth_header,
        "auth_value": "(đã đặt)" if source.auth_value else None, "incremental_field": source.incremental_field,
        "high_water_mark": source.high_water_mark, "field_map": source.field_map,
    }


def check_columns(ds: Dataset, columns: list[str]) -> None:
    names = {c.name for c in ds.columns}
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise InvalidInput(
            f"Cột {', '.join(unknown)} không có trong bộ dữ liệu '{ds.name}'. Các cột: {', '.join(sorted(names))}",
            errors=[FieldError(message="cột không có trong lược đồ", field="field_map", column=c) for c in unknown],
        )


def owner_for(ds: Dataset, owner_agency: str | None) -> str:
    if owner_agency and owner_agency != ds.owner_agency:
        raise InvalidInput(
            f"Nguồn dữ liệu thuộc cơ quan sở hữu bộ dữ liệu ({ds.owner_agency}), không phải {owner_agency}: "
            "lần chạy theo lịch nạp thay mặt cơ quan đó."
        )
    return ds.owner_agency


def create_source(session: Session, *, principal: Principal, source_in: PullSourceIn,
                  guard: PullGuard) -> PullSource:
    """Add a pull source; its secret is stored sealed (see ``guard``), its URL must pass the host policy."""
    ds = catalog.get_dataset(session, source_in.dataset)
    owner = owner_for(ds, source_in.owner_agency)
    authorize(principal, "source.manage", owner)
    check_url(source_in.url, guard)
    parse_cron(source_in.cron)
    check_columns(ds, list(source_in.field_map.values()))
    if session.scalar(select(PullSource.id).where(PullSource.name == source_in.name)):
        raise Conflict(f"Đã có nguồn tên '{source_in.name}'. Hãy chọn tên khác.")
    data = source_in.model_dump(exclude={"dataset", "owner_agency"})
    if data["auth_value"]:
        data["auth_value"] = guard.secrets.seal(data["auth_value"])
    source = PullSource(dataset_id=ds.id, owner_agency=owner, created_by=principal.actor, **data)
    source.dataset = ds
    session.add(source)
    session.flush()
    audit.record(session, actor=principal.actor, action="source.create", entity_type="pull_source",
                 entity_id=source.id, after=_snapshot(source))
    return source


KEPT_SECRET = "\u2022" * 4  # stands for the stored secret while an update is validated


def update_source(session: Session, *, principal: Principal, source_id: int, changes: PullSourceUpdate,
                  guard: PullGuard) -> PullSource:
    """Change a source. A kept secret stays sealed as it is (even one this key cannot open: re-enter it); a
    secret still in plain text is sealed now; moving the URL to another server needs the secret typed again,
    so that whoever edits a source cannot send its stored secret to a server of their choosing."""
    source = get_source(session, source_id)
    authorize(principal, "source.manage", source)
    before = _snapshot(source)
    given = changes.model_dump(exclude_unset=True, exclude={"reset_high_water_mark"})
    current = {name: getattr(source, name) for name in PullSourceIn.model_fields
               if name not in ("dataset", "owner_agency")}
    current["auth_value"] = KEPT_SECRET if source.auth_value else None
    merged = {**current, **given, "dataset": source.dataset.name, "owner_agency": source.owner_agency}
    new_secret = "auth_value" in given and given["auth_value"] is not None
    if given.get("auth_value") == "":
        merged["auth_header"] = merged["auth_value"] = None
    try:
        checked = PullSourceIn.model_validate(merged)
    except ValidationError as exc:
        raise InvalidInput(validation_message(exc)) from exc
    check_url(checked.url, guard)
    if source.auth_value and not new_secret and not same_server(source.url, checked.url):
        message = (f"URL mới trỏ tới máy chủ khác ({httpx.URL(checked.url).host}): hãy nhập lại giá trị xác thực "
                   "cùng lúc đổi URL (bí mật đã lưu không được gửi sang máy chủ mới).")
        raise InvalidInput(message, errors=[FieldError(message=message, field="auth_value")])
    parse_cron(checked.cron)
    check_columns(source.dataset, list(checked.field_map.values()))
    for name, value in checked.model_dump(exclude={"dataset", "owner_agency", "auth_value"}).items():
        setattr(source, name, value)
    if new_secret:
        source.auth_value = guard.secrets.seal(checked.auth_value) if checked.auth_value else None
    elif checked.auth_value is None:
        source.auth_value = None
    elif guard.secrets.needs_sealing(source.auth_value):
        source.auth_value = guard.secrets.seal(guard.secrets.open(source.auth_value or ""))
    if changes.reset_high_water_mark:
        source.high_water_mark = None
    session.flush()
    audit.record(session, actor=principal.actor, action="source.update", entity_type="pull_source",
                 entity_id=source.id, before=before, after=_snapshot(source))
    return source


def get_source(session: Session, source_id: int) -> PullSource:
    source = session.get(PullSource, source_id)
    if source is None:
        raise NotFound(f"Không có nguồn dữ liệu số {source_id}.")
    return source


def list_sources(session: Session, *, principal: Principal) -> list[PullSource]:
    authorize(principal, "source.read")
    query = select(PullSource).order_by(PullSource.name)
    if not principal.has_role("admin", "leader", "analyst"):
        query = query.where(PullSource.owner_agency == principal.agency_code)
    return list(session.scalars(query))


def readable_source(session: Session, *, principal: Principal, source_id: int) -> PullSource:
    source = get_source(session, source_id)
    authorize(principal, "source.read", source)
    return source


def list_runs(session: Session, *, principal: Principal, source_id: int | None = None,
              limit: int = 50) -> list[PullRun]:
    authorize(principal, "source.read")
    query = select(PullRun).order_by(PullRun.started_at.desc(), PullRun.id.desc()).limit(limit)
    if source_id is not None:
        readable_source(session, principal=principal, source_id=source_id)
        query = query.where(PullRun.source_id == source_id)
    elif not principal.has_role("admin", "leader", "analyst"):
        own = select(PullSource.id).where(PullSource.owner_agency == principal.agency_code)
        query = query.where(PullRun.source_id.in_(own))
    return list(session.scalars(query))


def last_runs(session: Session, source_ids: list[int]) -> dict[int, PullRun]:
    """The latest run of each source."""
    if not source_ids:
        return {}
    latest = (select(PullRun.source_id, func.max(PullRun.id).label("id"))
              .where(PullRun.source_id.in_(source_ids)).group_by(PullRun.source_id).subquery())
    runs = session.scalars(select(PullRun).join(latest, PullRun.id == latest.c.id))
    return {r.source_id: r for r in runs}


def system_principal(source: PullSource) -> Principal:
    """Who a scheduled run acts as: the system, for the source's owner agency (what dataset.load checks)."""
    return Principal(kind="system", name=f"pull:{source.name}", role="officer", agency_code=source.owner_agency)


# ------------------------------------------------------------------------------------------------ fetching


@dataclass(frozen=True)
class FetchConfig:
    """What a run needs of its source, detached from the database session."""

    url: str
    params: dict[str, str] = field(default_factory=dict)
    auth_header: str | None = None
    auth_value: str | None = None
    pagination: str = "none"
    page_param: str | None = None
    size_param: str | None = None
    page_size: int = 100
    page_start: int = 1
    cursor_path: str | None = None
    records_path: str = ""
    incremental_param: str | None = None
    high_water_mark: str | None = None
    retries: int = 3
    backoff_seconds: float = 2.0

    @classmethod
    def of(cls, source: PullSource, *, secret: str | None) -> FetchConfig:
        """The run's view of a source, with its secret already opened (``secret``)."""
        return cls(url=source.url, params=dict(source.params or {}), auth_header=source.auth_header,
                   auth_value=secret, pagination=source.pagination, page_param=source.page_param,
                   size_param=source.size_param, page_size=source.page_size, page_start=source.page_start,
                   cursor_path=source.cursor_path, records_path=source.records_path,
                   incremental_param=source.incremental_param if source.incremental_field else None,
                   high_water_mark=source.high_water_mark, retries=source.retries,
                   backoff_seconds=source.backoff_seconds)


class FetchError(Exception):
    def __init__(self, message: str, *, attempts: int = 0, pages: int = 0):
        super().__init__(message)
        self.message, self.attempts, self.pages = message, attempts, pages


@dataclass
class FetchResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    attempts: int = 0
    bytes: int = 0


_MISSING = object()


def get_path(data: Any, path: str | None) -> Any:
    """``data.items`` → data["data"]["items"]; an integer segment indexes a list. Missing → _MISSING."""
    if not path:
        return data
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.lstrip("-").isdigit() and -len(data) <= int(part) < len(data):
            data = data[int(part)]
        else:
            return _MISSING
    return data


def _records_of(body: Any, path: str, where: str) -> list[dict[str, Any]]:
    items = get_path(body, path)
    if items is _MISSING:
        raise FetchError(f"{where}: phản hồi không có «{path}» (đường dẫn tới danh sách bản ghi).")
    if not isinstance(items, list):
        shown = f"«{path}»" if path else "Phản hồi"
        raise FetchError(f"{where}: {shown} không phải là một danh sách bản ghi mà là {type(items).__name__}.")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise FetchError(f"{where}: phần tử thứ {i + 1} không phải là một đối tượng JSON.")
    return items


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import UTC, datetime

    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _get_json(client: httpx.Client, cfg: FetchConfig, params: dict[str, Any], where: str, result: FetchResult,
              max_bytes: int, sleep: Callable[[float], None]) -> Any:
    """One page, retried with exponential backoff on network errors, 5xx and 429."""
    headers = {cfg.auth_header: cfg.auth_value} if cfg.auth_header and cfg.auth_value else {}
    attempt = 0
    while True:
        attempt += 1
        result.attempts += 1
        wait: float | None = None
        try:
            with client.stream("GET", cfg.url, params=params, headers=headers) as response:
                status = response.status_code
                if 200 <= status < 300:
                    chunks = []
                    for chunk in response.iter_bytes():
                        result.bytes += len(chunk)
                        if result.bytes > max_bytes:
                            raise FetchError(f"{where}: dữ liệu vượt quá giới hạn {max_bytes // (1024 * 1024)} MB "
                                             "của một lần chạy.")
                        chunks.append(chunk)
                    try:
                        return json.loads(b"".join(chunks))
                    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                        raise FetchError(f"{where}: phản hồi không phải JSON hợp lệ ({exc}).") from exc
                # The status only: the body of an error page is never shown (an internal service's answer
                # must not reach the user through a pull source).
                reason = f"HTTP {status}"
                if status == 429 or status >= 500:
                    wait = _retry_after(response)
                elif 300 <= status < 400:
                    location = response.headers.get("location", "")
                    raise FetchError(f"{where}: máy chủ chuyển hướng (HTTP {status}) tới {location}. "
                                     "Hãy sửa URL của nguồn cho đúng địa chỉ mới.")
                else:
                    raise FetchError(f"{where}: máy chủ từ chối yêu cầu ({reason}). Kiểm tra URL, tham số và "
                                     "thông tin xác thực.")
        except HostRefused as exc:
            moved = exc.host != httpx.URL(cfg.url).host
            raise FetchError(f"{where}: " + ("máy chủ chuyển hướng sang máy chủ không được phép, không đi theo — "
                                             if moved else "") + exc.message) from None
        except httpx.TooManyRedirects:
            raise FetchError(f"{where}: máy chủ chuyển hướng quá {MAX_REDIRECTS} lần. Hãy sửa URL của nguồn cho "
                             "đúng địa chỉ mới.") from None
        except httpx.TimeoutException:
            reason = "hết thời gian chờ phản hồi"
        except httpx.TransportError as exc:
            reason = f"không kết nối được ({type(exc).__name__}: {exc})"
        if attempt > cfg.retries:
            raise FetchError(f"{where}: {reason} — đã thử {attempt} lần.")
        delay = min(cfg.backoff_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
        if wait is not None:
            delay = min(max(delay, wait), MAX_BACKOFF_SECONDS)
        log.info("pull %s: %s, retrying in %.1f s", cfg.url, reason, delay)
        sleep(delay)


def fetch_all(cfg: FetchConfig, *, client: httpx.Client, max_bytes: int,
              sleep: Callable[[float], None] = time.sleep) -> FetchResult:
    """Every page of the source, in order. Pages stop at the first empty one (page, offset) or when the
    response carries no next cursor (cursor)."""
    result = FetchResult()
    page, offset, cursor = cfg.page_start, 0, None
    seen_cursors: set[str] = set()
    try:
        for number in range(1, MAX_PAGES + 1):
            params: dict[str, Any] = dict(cfg.params)
            if cfg.incremental_param and cfg.high_water_mark is not None:
                params[cfg.incremental_param] = cfg.high_water_mark
            if cfg.pagination == "page":
                params[cfg.page_param or "page"] = page
            elif cfg.pagination == "offset":
                params[cfg.page_param or "offset"] = offset
            elif cfg.pagination == "cursor" and cursor is not None:
                params[cfg.page_param or "cursor"] = cursor
            if cfg.pagination != "none" and cfg.size_param:
                params[cfg.size_param] = cfg.page_size
            where = "Trang 1" if cfg.pagination == "none" else f"Trang {number}"
            body = _get_json(client, cfg, params, where, result, max_bytes, sleep)
            items = _records_of(body, cfg.records_path, where)
            result.pages += 1
            result.records.extend(items)
            if cfg.pagination == "none" or not items:
                return result
            if cfg.pagination == "page":
                page += 1
            elif cfg.pagination == "offset":
                offset += len(items)
            else:
                following = get_path(body, cfg.cursor_path)
                if following is _MISSING or following in (None, "", False):
                    return result
                key = str(following)
                if key in seen_cursors:
                    raise FetchError(f"{where}: con trỏ trang «{key}» lặp lại; máy chủ trả về vòng lặp trang.")
                seen_cursors.add(key)
                cursor = following
        raise FetchError(f"Nguồn trả về quá {MAX_PAGES} trang; hãy tăng kích thước trang.")
    except FetchError as exc:
        exc.attempts, exc.pages = result.attempts, result.pages
        raise


def map_record(record: dict[str, Any], field_map: dict[str, str]) -> dict[str, Any]:
    """Source record → dataset columns. Without a mapping the record goes as it is."""
    if not field_map:
        return record
    out: dict[str, Any] = {}
    for source_field, column in field_map.items():
        value = get_path(record, source_field)
        out[column] = None if value is _MISSING else value
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def high_water_mark(records: list[dict[str, Any]], field_path: str, previous: str | None) -> str | None:
    """The newest value of the incremental field: numeric when every value is a number, else text order
    (ISO 8601 timestamps in one format sort as text)."""
    values = [v for v in (get_path(r, field_path) for r in records) if v is not _MISSING and v not in (None, "")]
    if not values:
        return previous
    if all(_is_number(v) for v in values):
        newest = max(values)
        if previous is not None:
            try:
                newest = max(newest, float(previous) if "." in previous else int(previous))
            except ValueError:
                pass
        return str(newest)
    newest_text = max(str(v) for v in values)
    return max(newest_text, previous) if previous is not None else newest_text


# ------------------------------------------------------------------------------------------------ running


class PullFailed(DomainError):
    """A scheduled run ended as failed (raised so the job run records it too)."""

    status_code = 502


def load_and_commit(database: Database, warehouse: Warehouse, *,
                    after: Callable[[Session, ingest.LoadResult], object] | None = None,
                    **load_args: Any) -> ingest.LoadResult:
    """``ingest.service.load`` in its own transaction; if anything after the warehouse write fails (the
    bookkeeping, or the commit itself), the batch's rows are removed again by the load's transactional
    warehouse (``core/warehouse_tx.py``), so the two stores agree."""
    with database.session() as session:
        result = ingest.load(session, warehouse, **load_args)
        if after is not None:
            after(session, result)
    return result


def _start_run(database: Database, *, principal: Principal, source_id: int, trigger: str,
               guard: PullGuard) -> tuple[int, FetchConfig, dict[str, Any]]:
    with database.session() as session:
        source = session.scalar(select(PullSource).where(PullSource.id == source_id).with_for_update(of=PullSource))
        if source is None:
            raise NotFound(f"Không có nguồn dữ liệu số {source_id}.")
        authorize(principal, "source.manage", source)
        running = session.scalar(select(PullRun).where(
            PullRun.source_id == source_id, PullRun.outcome == "running",
            PullRun.started_at > utcnow() - STALE_RUN))
        if running is not None:
            raise Conflict(f"Nguồn «{source.name}» đang chạy (lần chạy số {running.id}, bắt đầu "
                           f"{running.started_at:%H:%M:%S} UTC). Hãy đợi lần chạy đó kết thúc.")
        run = PullRun(source_id=source_id, started_at=utcnow(), outcome="running", trigger=trigger,
                      triggered_by=principal.actor)
        session.add(run)
        session.flush()
        info = {"name": source.name, "dataset": source.dataset.name, "mode": source.mode,
                "field_map": dict(source.field_map or {}), "incremental_field": source.incremental_field,
                "high_water_mark": source.high_water_mark, "secret_problem": None}
        secret = None
        if source.auth_value:
            try:
                secret = guard.secrets.open(source.auth_value)
            except UndecryptableSecret:
                info["secret_problem"] = undecryptable_message(source.name)
                log.warning("pull source %s: its secret does not decrypt with the current SECRET_KEY", source_id)
            else:
                if guard.secrets.needs_sealing(source.auth_value):
                    source.auth_value = guard.secrets.seal(secret)
        return run.id, FetchConfig.of(source, secret=secret), info


def _finish_failed(database: Database, *, principal: Principal, run_id: int, message: str,
                   errors: list[FieldError] | None = None, attempts: int = 0, pages: int = 0) -> PullRun:
    with database.session() as session:
        run = session.get(PullRun, run_id)
        assert run is not None
        run.outcome, run.finished_at, run.error = "failed", utcnow(), message
        run.attempts, run.pages = attempts, pages
        run.errors = [e.as_dict() for e in (errors or [])[:MAX_RUN_ERRORS]] or None
        audit.record(session, actor=principal.actor, action="source.run", entity_type="pull_source",
                     entity_id=run.source_id, after={"run": run_id, "outcome": "failed", "error": message[:500]})
        session.flush()
        return run


def _request_check(cfg: FetchConfig, guard: PullGuard) -> Callable[[httpx.Request], None]:
    """Every request of a run, redirect hops included: the host must pass the policy, and the secret goes
    only to the configured server (a redirect elsewhere is followed without it)."""

    def check(request: httpx.Request) -> None:
        guard.hosts.check_url(request.url)
        if cfg.auth_header and not same_server(cfg.url, request.url):
            request.headers.pop(cfg.auth_header, None)

    return check


def run_source(database: Database, warehouse: Warehouse, *, principal: Principal, source_id: int,
               province_code: str, max_bytes: int, guard: PullGuard, trigger: str = "manual",
               transport: httpx.BaseTransport | None = None,
               sleep: Callable[[float], None] = time.sleep) -> PullRun:
    """Run a pull source now and return its recorded run (``outcome`` success or failed).

    Takes the ``Database`` rather than a session: the run is three short transactions (record the start; load
    and record success; or record the failure) so that no transaction — and, on SQLite, no write lock — stays
    open while the department's API answers, and so a failed run is still recorded.

    Without ``transport`` (tests may give one) and without an HTTP proxy in the environment, connections go
    through ``guard.guarded_transport``: the addresses a host name resolves to are checked too.
    """
    run_id, cfg, info = _start_run(database, principal=principal, source_id=source_id, trigger=trigger,
                                   guard=guard)
    if info["secret_problem"]:
        return _finish_failed(database, principal=principal, run_id=run_id, message=info["secret_problem"])
    if transport is None and not urllib.request.getproxies():
        transport = guarded_transport(guard.hosts)
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=True, max_redirects=MAX_REDIRECTS, transport=transport,
                          event_hooks={"request": [_request_check(cfg, guard)]},
                          headers={"User-Agent": f"dieuhanh/{__version__}", "Accept": "application/json"}) as client:
            fetched = fetch_all(cfg, client=client, max_bytes=max_bytes, sleep=sleep)
    except FetchError as exc:
        return _finish_failed(database, principal=principal, run_id=run_id, message=exc.message,
                              attempts=exc.attempts, pages=exc.pages)
    except Exception as exc:
        _finish_failed(database, principal=principal, run_id=run_id, message=describe_error(exc))
        raise

    new_mark = (high_water_mark(fetched.records, info["incremental_field"], info["high_water_mark"])
                if info["incremental_field"] else None)

    def succeed(session: Session, result: ingest.LoadResult | None) -> PullRun:
        run = session.get(PullRun, run_id)
        assert run is not None
        run.outcome, run.finished_at = "success", utcnow()
        run.rows, run.batch_id = (result.rows, result.batch_id) if result else (0, None)
        run.pages, run.attempts = fetched.pages, fetched.attempts
        if info["incremental_field"]:
            source = session.get(PullSource, source_id)
            if source is not None:
                source.high_water_mark = new_mark
        audit.record(session, actor=principal.actor, action="source.run", entity_type="pull_source",
                     entity_id=source_id, after={"run": run_id, "outcome": "success", "rows": run.rows,
                                                 "batch_id": run.batch_id, "high_water_mark": new_mark})
        session.flush()
        return run

    if not fetched.records:  # nothing new: a successful run that loads nothing (load() refuses empty input)
        with database.session() as session:
            return succeed(session, None)
    records = [map_record(r, info["field_map"]) for r in fetched.records]
    try:
        load_and_commit(database, warehouse, after=succeed, principal=principal, dataset_name=info["dataset"],
                        source=records, filename=f"pull-{source_id}-{run_id}.json", mode=info["mode"],
                        idempotency_key=f"pull:{source_id}:{run_id}", source_kind="pull",
                        province_code=province_code, max_bytes=max_bytes)
    except DomainError as exc:
        return _finish_failed(database, principal=principal, run_id=run_id, message=exc.message, errors=exc.errors,
                              attempts=fetched.attempts, pages=fetched.pages)
    except Exception as exc:
        _finish_failed(database, principal=principal, run_id=run_id, message=describe_error(exc),
                       attempts=fetched.attempts, pages=fetched.pages)
        raise
    with database.session() as session:
        run = session.get(PullRun, run_id)
        assert run is not None
        return run


def run_scheduled(database: Database, warehouse: Warehouse, *, source_id: int, province_code: str,
                  max_bytes: int, guard: PullGuard) -> int:
    """The scheduler's job for one source: run as the system for the owner agency; a failed run raises so
    the job run is recorded as failed too."""
    with database.session() as session:
        source = get_source(session, source_id)
        if not source.enabled:
            return 0
        principal = system_principal(source)
    run = run_source(database, warehouse, principal=principal, source_id=source_id, province_code=province_code,
                     max_bytes=max_bytes, guard=guard, trigger="schedule")
    if run.outcome != "success":
        raise PullFailed(f"Lần chạy số {run.id} thất bại: {run.error}")
    return run.rows
