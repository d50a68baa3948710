"""The catalog: datasets, their schemas, batches (lineage), access classes, grants and PII flags."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from dieuhanh.catalog.models import (
    AccessRequest,
    Dataset,
    DatasetColumn,
    Grant,
    LoadBatch,
    SchemaVersion,
    UpdateRequest,
)
from dieuhanh.catalog.schemas import FREQUENCIES, ColumnIn, DatasetIn
from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, TooManyRequests
from dieuhanh.core.formatting import today_local
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import BATCH_COLUMN, ReadScope, Warehouse, _quote
from dieuhanh.core.warehouse_tx import TransactionalWarehouse
from dieuhanh.orgs import service as orgs_service

# ------------------------------------------------------------------------------------------------ datasets


def _snapshot(ds: Dataset) -> dict[str, Any]:
    return {
        "name": ds.name, "title": ds.title, "owner_agency": ds.owner_agency, "access": ds.access,
        "license_id": ds.license_id, "published": ds.published, "schema_version": ds.schema_version,
        "columns": [f"{c.name}:{c.type}{'*' if c.required else ''}{' pii' if c.pii else ''}" for c in ds.columns],
    }


def create_dataset(session: Session, *, principal: Principal, dataset_in: DatasetIn) -> Dataset:
    orgs_service.get_agency(session, dataset_in.owner_agency)
    authorize(principal, "dataset.create", dataset_in.owner_agency)
    if session.scalar(select(Dataset.id).where(Dataset.name == dataset_in.name)):
        raise Conflict(f"Đã có bộ dữ liệu tên '{dataset_in.name}'. Hãy chọn tên khác.")
    ds = Dataset(
        name=dataset_in.name, title=dataset_in.title, description=dataset_in.description,
        owner_agency=dataset_in.owner_agency, license_id=dataset_in.license_id, access=dataset_in.access,
        update_frequency=dataset_in.update_frequency, tags=sorted(set(dataset_in.tags)),
        created_by=principal.actor,
    )
    ds.columns = [
        DatasetColumn(position=i, pii_reviewed=c.pii, **c.model_dump()) for i, c in enumerate(dataset_in.schema_)
    ]
    session.add(ds)
    session.flush()
    session.add(SchemaVersion(dataset_id=ds.id, version=1, columns=[c.model_dump() for c in dataset_in.schema_],
                              created_by=principal.actor))
    audit.record(session, actor=principal.actor, action="dataset.create", entity_type="dataset",
                 entity_id=ds.name, after=_snapshot(ds))
    return ds


def update_schema(session: Session, *, principal: Principal, name: str, columns: list[ColumnIn]) -> Dataset:
    """A new schema version: add columns, change descriptions or PII flags. Existing columns keep their name and
    type (their stored values would no longer match); columns added to a dataset that has rows are optional."""
    ds = get_dataset(session, name)
    authorize(principal, "dataset.create", ds)
    current = {c.name: c for c in ds.columns}
    wanted = {c.name: c for c in columns}
    if len(wanted) != len(columns):
        raise InvalidInput("Lược đồ có tên cột bị trùng.")
    removed = sorted(set(current) - set(wanted))
    if removed:
        raise InvalidInput(f"Không thể bỏ cột đang có dữ liệu: {', '.join(removed)}.")
    changed = sorted(n for n, c in wanted.items() if n in current and current[n].type != c.type)
    if changed:
        raise InvalidInput(f"Không thể đổi kiểu của cột đã có: {', '.join(changed)}. Hãy thêm cột mới.")
    added = [c for c in columns if c.name not in current]
    if ds.row_count and any(c.required for c in added):
        raise InvalidInput("Cột mới của bộ dữ liệu đã có dữ liệu không thể là bắt buộc (các dòng cũ để trống).")
    before = _snapshot(ds)
    for c in columns:
        col = current.get(c.name)
        if col is None:
            ds.columns.append(DatasetColumn(position=len(ds.columns), pii_reviewed=c.pii, **c.model_dump()))
            continue
        col.description, col.unique = c.description, c.unique
        if ds.row_count == 0:
            col.required = c.required
        if c.pii != col.pii:
            col.pii, col.pii_reviewed = c.pii, True
    if any(c.pii for c in ds.columns) and ds.published:
        ds.published, ds.published_at = False, None
    ds.schema_version += 1
    session.add(SchemaVersion(dataset_id=ds.id, version=ds.schema_version, columns=[c.model_dump() for c in columns],
                              created_by=principal.actor))
    session.flush()
    audit.record(session, actor=principal.actor, action="dataset.update_schema", entity_type="dataset",
                 entity_id=ds.name, before=before, after=_snapshot(ds))
    return ds


def get_dataset(session: Session, name: str) -> Dataset:
    ds = session.scalar(select(Dataset).options(selectinload(Dataset.columns)).where(Dataset.name == name))
    if ds is None:
        raise NotFound(f"Không có bộ dữ liệu '{name}'.")
    return ds


def active_grant(session: Session, dataset: Dataset, agency_code: str | None) -> Grant | None:
    if agency_code is None:
        return None
    now = utcnow()
    return session.scalar(
        select(Grant).where(
            Grant.dataset_id == dataset.id, Grant.agency_code == agency_code, Grant.revoked_at.is_(None),
            or_(Grant.expires_at.is_(None), Grant.expires_at > now),
        )
    )


def can_read(session: Session, principal: Principal, dataset: Dataset) -> bool:
    """Who reads a dataset's rows: published public data is open to all; internal data to officials;
    restricted data to its owner agency, leaders/analysts/admins, read tokens and agencies holding a grant."""
    if dataset.access == "public" and dataset.published:
        return True
    if not principal.is_authenticated:
        return False
    if principal.can_read_all():
        return True
    if not _acts_for_agency_data(principal):
        return False  # a token reads agency data only with the scope that names it (datasets)
    if principal.agency_code == dataset.owner_agency:
        return True
    if dataset.access in ("public", "internal"):
        return principal.kind in ("user", "system")
    return active_grant(session, dataset, principal.agency_code) is not None


def readable_clause(principal: Principal) -> Any:
    """:func:`can_read` as one SQL condition on ``Dataset`` (grants by an EXISTS), for lists of many datasets."""
    from sqlalchemy import and_, exists, false, true

    if principal.is_authenticated and principal.can_read_all():
        return true()
    allowed = [and_(Dataset.access == "public", Dataset.published.is_(True))]
    if principal.is_authenticated and _acts_for_agency_data(principal):
        if principal.agency_code is not None:
            now = utcnow()
            allowed.append(Dataset.owner_agency == principal.agency_code)
            allowed.append(and_(Dataset.access.not_in(("public", "internal")), exists().where(
                Grant.dataset_id == Dataset.id, Grant.agency_code == principal.agency_code,
                Grant.revoked_at.is_(None), or_(Grant.expires_at.is_(None), Grant.expires_at > now))))
        if principal.kind in ("user", "system"):
            allowed.append(Dataset.access.in_(("public", "internal")))
    return or_(false(), *allowed)


def _acts_for_agency_data(principal: Principal) -> bool:
    """Users act for their agency; a token only with the ``datasets`` scope (a ``reports``,
    ``publicservices``... token bound to an agency reads none of its datasets)."""
    return principal.kind != "token" or principal.has_scope("datasets")


def _require_read(session: Session, principal: Principal, ds: Dataset) -> None:
    if can_read(session, principal, ds):
        return
    if not principal.is_authenticated:  # the public does not learn that unpublished datasets exist
        raise NotFound(f"Không có bộ dữ liệu '{ds.name}'.")
    raise PermissionDenied(
        "Bộ dữ liệu này bị hạn chế. Cơ quan của bạn có thể gửi yêu cầu truy cập tới cơ quan sở hữu."
    )


def can_read_pii(session: Session, principal: Principal, dataset: Dataset) -> bool:
    """PII columns: only the owner agency and grants that include them (not even admins or leaders)."""
    if not principal.is_authenticated or not _acts_for_agency_data(principal):
        return False
    if principal.agency_code is not None and principal.agency_code == dataset.owner_agency:
        return True
    grant = active_grant(session, dataset, principal.agency_code)
    return bool(grant and grant.include_pii)


def visible_columns(session: Session, principal: Principal, dataset: Dataset) -> list[DatasetColumn]:
    show_pii = can_read_pii(session, principal, dataset)
    return [c for c in dataset.columns if show_pii or not c.pii]


def list_datasets(session: Session, *, principal: Principal, q: str | None = None, agency: str | None = None,
                  page: int = 1, page_size: int = 50) -> tuple[list[Dataset], int]:
    from dieuhanh.geo.reference import normalize

    query = select(Dataset).options(selectinload(Dataset.columns)).order_by(Dataset.name)
    if agency:
        query = query.where(Dataset.owner_agency == agency)
    rows = list(session.scalars(query))
    # Restricted datasets are listed to officials (so agencies can ask for access); rows stay protected.
    rows = [d for d in rows if principal.is_authenticated or (d.access == "public" and d.published)]
    if q:
        needle = normalize(q)
        rows = [d for d in rows if needle in normalize(f"{d.name} {d.title} {' '.join(d.tags)}")]
    return rows[(page - 1) * page_size: page * page_size], len(rows)


def set_published(session: Session, *, principal: Principal, name: str, published: bool) -> Dataset:
    ds = get_dataset(session, name)
    authorize(principal, "dataset.publish", ds)
    if published:
        if ds.access != "public":
            raise InvalidInput("Chỉ bộ dữ liệu có phân loại truy cập 'public' mới được công bố.")
        pii = [c.name for c in ds.columns if c.pii]
        if pii:
            raise InvalidInput(f"Không thể công bố: cột {', '.join(pii)} chứa dữ liệu cá nhân.")
        unreviewed = [c.name for c in ds.columns if c.pii_suggestion and not c.pii_reviewed]
        if unreviewed:
            raise InvalidInput(
                f"Không thể công bố: cột {', '.join(unreviewed)} có giá trị giống số CCCD/CMND/điện thoại, "
                "cần chuyên viên phân tích xác nhận trước."
            )
    before = _snapshot(ds)
    ds.published = published
    ds.published_at = utcnow() if published else None
    audit.record(session, actor=principal.actor, action="dataset.publish" if published else "dataset.unpublish",
                 entity_type="dataset", entity_id=ds.name, before=before, after=_snapshot(ds))
    return ds


def review_pii(session: Session, *, principal: Principal, name: str, column: str, is_pii: bool) -> Dataset:
    """An analyst confirms (the column becomes PII) or dismisses a load-time PII suggestion."""
    ds = get_dataset(session, name)
    authorize(principal, "dataset.review_pii", ds)
    col = next((c for c in ds.columns if c.name == column), None)
    if col is None:
        raise NotFound(f"Bộ dữ liệu '{name}' không có cột '{column}'.")
    before = _snapshot(ds)
    col.pii, col.pii_reviewed = is_pii, True
    if is_pii and ds.published:
        ds.published, ds.published_at = False, None
    audit.record(session, actor=principal.actor, action="dataset.review_pii", entity_type="dataset",
                 entity_id=ds.name, before=before, after=_snapshot(ds))
    return ds


# ------------------------------------------------------------------------------------------------ rows


@dataclass
class RowsPage:
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int


def read_rows(session: Session, warehouse: Warehouse, *, principal: Principal, name: str, limit: int = 100,
              offset: int = 0, batch: str | None = None) -> RowsPage:
    ds = get_dataset(session, name)
    _require_read(session, principal, ds)
    cols = [c.name for c in visible_columns(session, principal, ds)]
    if not warehouse.table_exists(ds.name):
        return RowsPage(columns=cols, rows=[], total=0)
    where, params = "", []
    if batch:
        where, params = f" WHERE {BATCH_COLUMN} = ?", [batch]
    select_cols = ", ".join(_quote(c) for c in cols) + f", {BATCH_COLUMN}"
    total = warehouse.query(f"SELECT count(*) AS n FROM {_quote(ds.name)}{where}", params).column(0)[0].as_py()
    table = warehouse.query(
        f"SELECT {select_cols} FROM {_quote(ds.name)}{where} ORDER BY {BATCH_COLUMN}, 1 LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return RowsPage(columns=[*cols, BATCH_COLUMN], rows=table.to_pylist(), total=int(total))


# ------------------------------------------------------------------------------------------------ batches


def list_batches(session: Session, *, principal: Principal, name: str) -> list[LoadBatch]:
    ds = get_dataset(session, name)
    _require_read(session, principal, ds)
    return list(session.scalars(
        select(LoadBatch).where(LoadBatch.dataset_id == ds.id).order_by(LoadBatch.created_at.desc())
    ))


def rollback_batch(session: Session, warehouse: Warehouse, *, principal: Principal, name: str,
                   batch_id: str) -> LoadBatch:
    ds = get_dataset(session, name)
    authorize(principal, "dataset.rollback", ds)
    batch = session.get(LoadBatch, batch_id)
    if batch is None or batch.dataset_id != ds.id:
        raise NotFound(f"Không có lô nạp '{batch_id}' trong bộ dữ liệu '{name}'.")
    if batch.status != "loaded":
        raise Conflict(f"Lô nạp này đã ở trạng thái '{batch.status}', không thể hoàn tác.")
    # The rows go only once this transaction commits: a failed commit leaves the batch and its rows as they were.
    removed = TransactionalWarehouse(session, warehouse).drop_batch(ds.name, batch_id)
    batch.status, batch.rolled_back_at, batch.rolled_back_by = "rolled_back", utcnow(), principal.actor
    session.execute(update(Dataset).where(Dataset.id == ds.id).values(row_count=Dataset.row_count - removed))
    session.expire(ds, ["row_count"])
    audit.record(session, actor=principal.actor, action="batch.rollback", entity_type="load_batch",
                 entity_id=batch_id, before={"dataset": ds.name, "rows": batch.rows, "status": "loaded"},
                 after={"status": "rolled_back", "rows_removed": removed})
    return batch


# ------------------------------------------------------------------------------------------------ sharing


def request_access(session: Session, *, principal: Principal, name: str, reason: str,
                   include_pii: bool = False) -> AccessRequest:
    ds = get_dataset(session, name)
    authorize(principal, "dataset.request_access", ds)
    if ds.access != "restricted":
        raise InvalidInput("Bộ dữ liệu này không bị hạn chế: cơ quan của bạn đã đọc được.")
    if principal.agency_code == ds.owner_agency:
        raise InvalidInput("Cơ quan của bạn là chủ sở hữu bộ dữ liệu này.")
    if len(reason.strip()) < 10:
        raise InvalidInput("Hãy nêu rõ mục đích sử dụng (ít nhất 10 ký tự).")
    req = AccessRequest(dataset_id=ds.id, agency_code=principal.agency_code or "", requested_by=principal.actor,
                        reason=reason.strip(), include_pii=include_pii)
    session.add(req)
    session.flush()
    audit.record(session, actor=principal.actor, action="access.request", entity_type="access_request",
                 entity_id=req.id, after={"dataset": ds.name, "agency": req.agency_code, "pii": include_pii})
    return req


def decide_access(session: Session, *, principal: Principal, request_id: int, approve: bool,
                  days: int | None = 365, note: str = "") -> AccessRequest:
    req = session.get(AccessRequest, request_id)
    if req is None:
        raise NotFound("Không có yêu cầu truy cập này.")
    ds = session.get(Dataset, req.dataset_id)
    assert ds is not None
    authorize(principal, "dataset.decide_access", ds)
    if req.status != "pending":
        raise Conflict("Yêu cầu này đã được xử lý.")
    req.status = "approved" if approve else "denied"
    req.decided_by, req.decided_at, req.decision_note = principal.actor, utcnow(), note
    if approve:
        session.add(Grant(dataset_id=ds.id, agency_code=req.agency_code, include_pii=req.include_pii,
                          expires_at=utcnow() + timedelta(days=days) if days else None,
                          granted_by=principal.actor, request_id=req.id))
    audit.record(session, actor=principal.actor, action=f"access.{req.status}", entity_type="access_request",
                 entity_id=req.id, after={"dataset": ds.name, "agency": req.agency_code, "days": days})
    return req


def list_access_requests(session: Session, *, principal: Principal) -> list[AccessRequest]:
    query = select(AccessRequest).order_by(AccessRequest.created_at.desc())
    if not principal.has_role("admin", "analyst", "leader"):
        owned = select(Dataset.id).where(Dataset.owner_agency == principal.agency_code)
        query = query.where(or_(AccessRequest.agency_code == principal.agency_code,
                                AccessRequest.dataset_id.in_(owned)))
    return list(session.scalars(query))


# ------------------------------------------------------------------------------------------------ freshness


@dataclass
class Freshness:
    dataset: Dataset
    late: bool
    days_since: int | None
    expected_days: int | None
    completeness: float | None  # share of required cells present (all loads validate required cells)
    error_rate: float | None
    open_update_requests: int


def freshness(session: Session, ds: Dataset, warehouse: Warehouse | None = None, *,
              loads: LoadCounts | None = None) -> Freshness:
    """Last load against the expected frequency, completeness of the stored cells and the share of load
    attempts refused in the last 90 days. ``loads``: those counts read once for many datasets (the board)."""
    late, days, expected = load_lateness(ds)
    loads = loads or load_counts(session, [ds.id])
    open_requests = loads.open_requests.get(ds.id, 0)
    rejected, attempts = loads.attempts.get(ds.id, (0, 0))
    error_rate = round(100 * rejected / attempts, 1) if attempts else None
    return Freshness(dataset=ds, late=late, days_since=days, expected_days=expected,
                     completeness=_completeness(warehouse, ds) if warehouse is not None else None,
                     error_rate=error_rate, open_update_requests=open_requests)


def load_lateness(ds: Dataset) -> tuple[bool, int | None, int | None]:
    """(late, days since the last load, days expected between loads) by the time of the last load."""
    expected = FREQUENCIES.get(ds.update_frequency, ("", None))[1]
    days = (utcnow() - ds.last_batch_at).days if ds.last_batch_at else None
    return expected is not None and (days is None or days > expected), days, expected


@dataclass
class LoadCounts:
    """Per dataset id: open update requests, and (refused, all) load attempts of the last 90 days."""

    open_requests: dict[int, int]
    attempts: dict[int, tuple[int, int]]


def load_counts(session: Session, dataset_ids: list[int] | None = None) -> LoadCounts:
    """Two grouped queries for any number of datasets (None: every dataset)."""
    requests_q = select(UpdateRequest.dataset_id, func.count()).where(
        UpdateRequest.fulfilled_at.is_(None)).group_by(UpdateRequest.dataset_id)
    since = utcnow() - timedelta(days=90)
    attempts_q = select(LoadBatch.dataset_id, func.count(), func.sum(case((LoadBatch.status == "rejected", 1),
                                                                          else_=0))).where(
        LoadBatch.created_at >= since).group_by(LoadBatch.dataset_id)
    if dataset_ids is not None:
        requests_q = requests_q.where(UpdateRequest.dataset_id.in_(dataset_ids))
        attempts_q = attempts_q.where(LoadBatch.dataset_id.in_(dataset_ids))
    return LoadCounts(open_requests={i: int(n) for i, n in session.execute(requests_q)},
                      attempts={i: (int(r or 0), int(n)) for i, n, r in session.execute(attempts_q)})


# Summaries read from a dataset's stored rows (completeness, latest period covered), kept per dataset *state*:
# its id, row count, last load time and columns. Every load, replace or rolled-back batch changes the row count
# or the last load time, so a kept value is never older than the last change the catalog knows of; the TTL bounds
# what a change outside the catalog could leave behind.
SUMMARY_TTL_SECONDS = 600.0
_summaries: dict[tuple[Any, ...], tuple[float, Any]] = {}
_summaries_lock = threading.Lock()


def warehouse_key(warehouse: Warehouse) -> tuple[Any, ...]:
    """Which warehouse (its file or database and schema), for keys of values kept in memory."""
    inner = getattr(warehouse, "_warehouse", warehouse)  # a TransactionalWarehouse reads through its warehouse
    path, dsn, schema = (getattr(inner, "path", None), getattr(inner, "dsn", None), getattr(inner, "schema", None))
    return (path, dsn, schema) if (path or dsn) else (id(inner),)


def datasets_state(session: Session, names: Sequence[str]) -> tuple[Any, ...]:
    """The catalog state of these datasets (id, row count, last load, schema version, last change; a dataset not in
    the catalog is absent, so its creation changes the state), for values computed from their rows."""
    rows = session.execute(select(Dataset.name, Dataset.id, Dataset.row_count, Dataset.last_batch_at,
                                  Dataset.schema_version, Dataset.updated_at)
                           .where(Dataset.name.in_(list(names))).order_by(Dataset.name)).all()
    return tuple(tuple(r) for r in rows)


def dataset_summary(warehouse: Warehouse, ds: Dataset, what: str, compute: Any) -> Any:
    """``compute()`` once per state of ``ds`` (see above) and kind of summary ``what``."""
    key = (what, warehouse_key(warehouse), ds.id, ds.name, ds.row_count, ds.last_batch_at,
           tuple((c.name, c.type, c.required) for c in ds.columns))
    now = time.monotonic()
    with _summaries_lock:
        kept = _summaries.get(key)
    if kept is not None and now - kept[0] < SUMMARY_TTL_SECONDS:
        return kept[1]
    value = compute()
    with _summaries_lock:
        if len(_summaries) > 10_000:
            _summaries.clear()
        _summaries[key] = (now, value)
    return value


def _completeness(warehouse: Warehouse, ds: Dataset) -> float | None:
    """Share of filled cells over all columns of the stored rows, in percent."""
    if not ds.columns or not ds.row_count:
        return None
    value = dataset_summary(warehouse, ds, "completeness", lambda: _count_completeness(warehouse, ds))
    return None if value is None else float(value)


def _count_completeness(warehouse: Warehouse, ds: Dataset) -> float | None:
    if not warehouse.table_exists(ds.name):
        return None
    counts = ", ".join(f"count({_quote(c.name)})" for c in ds.columns)
    row = warehouse.query(f"SELECT count(*), {counts} FROM {_quote(ds.name)}").to_pylist()[0]
    values = list(row.values())
    total = int(values[0]) * len(ds.columns)
    return round(100 * sum(int(v) for v in values[1:]) / total, 1) if total else None


def request_update(session: Session, *, principal: Principal, name: str, message: str) -> UpdateRequest:
    ds = get_dataset(session, name)
    authorize(principal, "dataset.request_update", ds)
    req = UpdateRequest(dataset_id=ds.id, requested_by=principal.actor,
                        message=message.strip() or "Đề nghị cập nhật dữ liệu mới.")
    session.add(req)
    session.flush()
    audit.record(session, actor=principal.actor, action="dataset.request_update", entity_type="dataset",
                 entity_id=ds.name, after={"request": req.id, "owner": ds.owner_agency})
    return req


def fulfil_update_requests(session: Session, *, dataset: Dataset, batch_id: str) -> int:
    open_requests = list(session.scalars(select(UpdateRequest).where(
        UpdateRequest.dataset_id == dataset.id, UpdateRequest.fulfilled_at.is_(None))))
    for req in open_requests:
        req.fulfilled_batch_id, req.fulfilled_at = batch_id, utcnow()
    return len(open_requests)


def leaderboard(session: Session, *, principal: Principal, warehouse: Warehouse | None = None) -> dict[str, Any]:
    """Freshness per dataset and, per owner agency, the share of its datasets loaded on time."""
    if not principal.is_authenticated:
        raise PermissionDenied("Bạn cần đăng nhập.")
    query = select(Dataset).options(selectinload(Dataset.columns)).order_by(Dataset.name)
    if principal.kind == "token" and not principal.can_read_all():
        # A system's token sees on the board the datasets it may read (an agency-bound ``datasets`` token: its
        # own, published public ones, granted ones), chosen in the same query — not one grant query per dataset.
        # Officials' sessions keep seeing every dataset, as on /datasets (restricted ones are listed to them).
        query = query.where(readable_clause(principal))
    datasets = list(session.scalars(query))
    loads = load_counts(session, [d.id for d in datasets] if principal.kind == "token" else None)
    with warehouse.reading() if warehouse is not None else nullcontext():  # one open of the file for the board
        return _leaderboard(session, datasets, loads, warehouse)


def _leaderboard(session: Session, datasets: list[Dataset], loads: LoadCounts,
                 warehouse: Warehouse | None) -> dict[str, Any]:
    from dieuhanh.orgs.models import Agency

    items = [freshness(session, d, warehouse, loads=loads) for d in datasets]
    names = {a.code: a.name for a in session.scalars(select(Agency))}
    # Monthly, quarterly and yearly data are late when the period they cover is older than the period due by
    # today under the publication schedule (snapshots.dataset_freshness), not by the time of the last load.
    periods_of: dict[str, Any] = {}
    if warehouse is not None:

        from dieuhanh.catalog import snapshots

        today = today_local()
        readers = snapshots.schedules(session)
        for f in items:
            by_period = snapshots.dataset_freshness(session, warehouse, f.dataset, today,
                                                    readers=readers.get(f.dataset.name))
            if by_period is not None and by_period.basis == "kỳ dữ liệu":
                f.late = not by_period.on_time
                periods_of[f.dataset.name] = by_period
    agencies: dict[str, dict[str, Any]] = {}
    for f in items:
        a = agencies.setdefault(f.dataset.owner_agency, {
            "agency": f.dataset.owner_agency, "name": names.get(f.dataset.owner_agency, ""), "datasets": 0,
            "late": 0, "open_update_requests": 0, "last_batch_at": None})
        a["datasets"] += 1
        a["late"] += int(f.late)
        a["open_update_requests"] += f.open_update_requests
        if f.dataset.last_batch_at and (a["last_batch_at"] is None or f.dataset.last_batch_at > a["last_batch_at"]):
            a["last_batch_at"] = f.dataset.last_batch_at
    board = sorted(agencies.values(), key=lambda a: (-(a["datasets"] - a["late"]) / a["datasets"], a["agency"]))
    for a in board:
        a["on_time_share"] = round(100 * (a["datasets"] - a["late"]) / a["datasets"], 1)

    def period_fields(name: str) -> dict[str, Any]:
        p = periods_of.get(name)
        return {"covered_period": p.covered if p else None, "expected_period": p.expected if p else None,
                "basis": "kỳ dữ liệu" if p else "thời điểm nạp"}

    return {
        "datasets": [{"name": f.dataset.name, "title": f.dataset.title, "owner_agency": f.dataset.owner_agency,
                      "owner_name": names.get(f.dataset.owner_agency, f.dataset.owner_agency),
                      "update_frequency": f.dataset.update_frequency, "last_batch_at": f.dataset.last_batch_at,
                      "days_since": f.days_since, "expected_days": f.expected_days, "late": f.late,
                      "rows": f.dataset.row_count, "open_update_requests": f.open_update_requests,
                      "completeness": f.completeness, "error_rate": f.error_rate, **period_fields(f.dataset.name)}
                     for f in items],
        "agencies": board,
    }


class QueryLimiter:
    """At most ``per_caller`` user SQL queries of one caller (user or token) at a time in this process: one
    analyst's heavy queries cannot take every worker thread, while other callers' queries and pages go on
    (warehouse reads run side by side)."""

    def __init__(self, per_caller: int = 2) -> None:
        self.per_caller = per_caller
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, caller: str) -> Iterator[None]:
        with self._lock:
            if self._running.get(caller, 0) >= self.per_caller:
                raise TooManyRequests(f"Bạn đang có {self.per_caller} truy vấn chạy cùng lúc; chờ một truy vấn "
                                      "xong rồi chạy tiếp.")
            self._running[caller] = self._running.get(caller, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running[caller] - 1
                if left:
                    self._running[caller] = left
                else:
                    del self._running[caller]


QUERY_LIMITER = QueryLimiter()


def run_query(session: Session, warehouse: Warehouse, *, principal: Principal, sql: str, timeout: float,
              max_rows: int) -> dict[str, Any]:
    """The one guarded path for user SQL: parsed and checked first, then run read-only with limits."""
    from dieuhanh.catalog.sqlguard import TableAccess, base_tables, check_query, engine_error

    authorize(principal, "query.run")
    readable: dict[str, TableAccess] = {}
    pii_of: dict[str, frozenset[str]] = {}
    for ds in session.scalars(select(Dataset).options(selectinload(Dataset.columns))):
        if can_read(session, principal, ds):
            pii_of[ds.name] = frozenset(c.name for c in ds.columns if c.pii)
            hidden = frozenset() if can_read_pii(session, principal, ds) else pii_of[ds.name]
            readable[ds.name] = TableAccess(pii_columns=hidden)
    safe_sql = check_query(sql, readable)
    used = base_tables(safe_sql) & set(readable)
    scope = ReadScope(tables={t: pii_of[t] for t in used}, pii=all(not readable[t].pii_columns for t in used))
    try:
        with QUERY_LIMITER.slot(principal.actor):
            table = warehouse.query(safe_sql, timeout=timeout, max_rows=max_rows, scope=scope)
    except DomainError:
        raise
    except Exception as exc:  # engine errors (unknown column, type mismatch…) are the user's to fix
        raise InvalidInput(f"Truy vấn lỗi: {engine_error(exc, safe_sql)}") from exc
    truncated = table.num_rows > max_rows
    table = table.slice(0, max_rows)
    rows = [[_plain(v) for v in r] for r in zip(*(c.to_pylist() for c in table.columns), strict=True)]
    return {"columns": table.column_names, "rows": rows, "truncated": truncated}


def _plain(value: Any) -> Any:
    """SUM() of integers is a DECIMAL/HUGEINT in both engines: give JSON clients numbers, not strings."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
