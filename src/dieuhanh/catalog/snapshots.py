"""Daily snapshot of the catalog's freshness into the warehouse, so that "share of datasets updated on time"
is an indicator like any other (computed by SQL, with lineage to the snapshot batches)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.models import Dataset
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core import periods
from dieuhanh.core.errors import DomainError, NotFound
from dieuhanh.core.formatting import today_local
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import Warehouse

FRESHNESS_DATASET = "tinh_trang_cap_nhat_du_lieu"


def ensure_dataset(session: Session, *, name: str, title: str, description: str, owner: str,
                   schema: list[dict[str, Any]]) -> Dataset:
    """Create a system dataset on first use (internal, daily); add the columns a newer release snapshots."""
    try:
        ds = catalog.get_dataset(session, name)
    except NotFound:
        pass
    else:
        missing = [c for c in schema if c["name"] not in {col.name for col in ds.columns}]
        if missing:  # a newer release snapshots more columns: a new (optional) schema version
            current = [ColumnIn(name=c.name, type=c.type, required=c.required, unique=c.unique, pii=c.pii,
                                description=c.description) for c in ds.columns]
            ds = catalog.update_schema(session, principal=SYSTEM, name=name, columns=current + [
                ColumnIn.model_validate({**c, "required": False}) for c in missing])
        return ds
    return catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate({
        "name": name, "title": title, "description": description, "owner_agency": owner,
        "license_id": "internal", "access": "internal", "update_frequency": "daily",
        "tags": ["hệ thống"], "schema": schema}))


# The period a dataset of each update frequency is published for (others are judged by their last load).
FREQUENCY_KINDS = {"monthly": "month", "quarterly": "quarter", "yearly": "year"}
PERIOD_COLUMNS = ("thang", "quy", "nam", "ky", "nam_hoc", "ngay", "thoi_diem")


@dataclass(frozen=True)
class DatasetFreshness:
    covered: str | None  # the latest period the data covers (2026-10, 2026-Q3, 2025)
    expected: str | None  # the newest period that should be there by the day (publication schedule)
    on_time: bool
    basis: str  # "kỳ dữ liệu" (covered period vs expected) | "thời điểm nạp" (last load vs frequency)
    days_since: int | None = None  # days since the last load


def _period_column(ds: Dataset) -> Any | None:
    by_name = {c.name: c for c in ds.columns}
    for name in PERIOD_COLUMNS:
        column = by_name.get(name)
        if column is not None and column.type in ("date", "datetime", "integer", "string"):
            return column
    return next((c for c in ds.columns if c.type in ("date", "datetime") and c.required), None)


def covered_period(warehouse: Warehouse, ds: Dataset, kind: str) -> str | None:
    """The latest period of ``kind`` the dataset's rows cover, read from its period column (a date of the month
    or quarter, a year, a school year "2025-2026" = 2025); None without such a column or rows."""
    column = _period_column(ds)
    if column is None or not ds.row_count:
        return None
    value = catalog.dataset_summary(warehouse, ds, f"covered:{kind}", lambda: _covered(warehouse, ds, column, kind))
    return None if value is None else str(value)


def _covered(warehouse: Warehouse, ds: Dataset, column: Any, kind: str) -> str | None:
    if not warehouse.table_exists(ds.name):
        return None
    name = column.name.replace('"', "")
    value = warehouse.query(f'SELECT max("{name}") AS v FROM "{ds.name}"').column(0).to_pylist()[0]
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            return periods.containing(value.date(), kind).code
        if isinstance(value, date):
            return periods.containing(value, kind).code
        if isinstance(value, int) or (isinstance(value, str) and value[:4].isdigit()):
            return periods.containing(date(int(str(value)[:4]), 12, 31), kind).code
    except (ValueError, DomainError):
        return None
    return None


def schedules(session: Session) -> dict[str, list[Any]]:
    """The publication schedules of the indicators reading each dataset."""
    from dieuhanh.indicators.models import IndicatorDefinition

    out: dict[str, list[Any]] = {}
    for d in session.scalars(select(IndicatorDefinition)):
        for name in d.datasets or []:
            out.setdefault(name, []).append(d)
    return out


def dataset_freshness(session: Session, warehouse: Warehouse, ds: Dataset, today: date, *,
                      readers: list[Any] | None = None, clip: bool = False,
                      covered_cache: dict[str, str | None] | None = None) -> DatasetFreshness | None:
    """Whether a dataset is up to date on ``today``: for monthly, quarterly and yearly data, the latest period it
    covers against the newest period due by then under the publication schedule of the indicators that read it
    (the most lenient; the default schedule of its frequency otherwise) — not the load time, which says nothing
    of the period loaded. Other frequencies: the last load against the frequency. None: no expected frequency.
    ``clip`` (demo history): the data is taken to have arrived on its due date, so on an earlier day the covered
    period is at most the one due by then."""
    from dieuhanh.indicators import rules

    kind = FREQUENCY_KINDS.get(ds.update_frequency)
    if kind is not None:
        if covered_cache is not None and ds.name in covered_cache:
            covered = covered_cache[ds.name]
        else:
            covered = covered_period(warehouse, ds, kind)
            if covered_cache is not None:
                covered_cache[ds.name] = covered
        if covered is not None:
            schedules = [d.publication for d in (readers or []) if d.periodicity == kind]
            expected_codes = [rules.expected_period(kind, pub, today) for pub in (schedules or [None])]
            expected = min(expected_codes, key=lambda c: periods.parse(c).end)
            if clip and periods.parse(covered).end > periods.parse(expected).end:
                covered = expected
            return DatasetFreshness(covered, expected, periods.parse(covered).end >= periods.parse(expected).end,
                                    "kỳ dữ liệu", _days_since(ds, today))
    late, days_since, expected_days = catalog.load_lateness(ds)
    if expected_days is None:
        return None
    return DatasetFreshness(None, None, not late, "thời điểm nạp", days_since)


def _days_since(ds: Dataset, today: date) -> int | None:
    if ds.last_batch_at is None:
        return None
    return max(0, (today - ds.last_batch_at.date()).days)


def snapshot_freshness(session: Session, warehouse: Warehouse, *, province_code: str, max_bytes: int,
                       today: date | None = None, clip: bool = False,
                       covered_cache: dict[str, str | None] | None = None) -> int:
    """One row per dataset with an expected frequency: up to date that day or not (``dataset_freshness``), with
    the period covered and the period expected. Once a day (Idempotency-Key). ``covered_cache`` keeps the covered
    periods between calls that see the same data (the demo's backfill of past month-ends)."""
    from dieuhanh.ingest import service as ingest

    today = today or today_local()
    ensure_dataset(session, name=FRESHNESS_DATASET, title="Tình trạng cập nhật các bộ dữ liệu (theo ngày)",
                   description="Ảnh chụp hằng ngày: mỗi bộ dữ liệu có kỳ số liệu mới nhất đúng hạn theo lịch công "
                               "bố hay không (kỳ có trong dữ liệu so với kỳ cần có), theo cơ quan chủ quản. Nguồn "
                               "của chỉ số tỷ lệ bộ dữ liệu cập nhật đúng hạn.",
                   owner="VPUBND", schema=SNAPSHOT_SCHEMA)
    readers = schedules(session)
    records = []
    for ds in session.scalars(select(Dataset).where(Dataset.name != FRESHNESS_DATASET).order_by(Dataset.name)):
        fresh = dataset_freshness(session, warehouse, ds, today, readers=readers.get(ds.name), clip=clip,
                                  covered_cache=covered_cache)
        if fresh is None:
            continue
        records.append({"ngay": today.isoformat(), "co_quan": ds.owner_agency, "bo_du_lieu": ds.name,
                        "tan_suat": ds.update_frequency, "dung_han": "có" if fresh.on_time else "không",
                        "so_ngay": fresh.days_since, "ky_du_lieu": fresh.covered or "",
                        "ky_can_co": fresh.expected or "", "cach_tinh": fresh.basis})
    if not records:
        return 0
    result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name=FRESHNESS_DATASET, source=records,
                         filename=f"freshness-{today.isoformat()}.json", source_kind="system",
                         idempotency_key=f"freshness:{today.isoformat()}", province_code=province_code,
                         max_bytes=max_bytes)
    return result.rows


SNAPSHOT_SCHEMA: list[dict[str, Any]] = [
    {"name": "ngay", "type": "date", "required": True},
    {"name": "co_quan", "type": "string", "required": True},
    {"name": "bo_du_lieu", "type": "string", "required": True},
    {"name": "tan_suat", "type": "string"},
    {"name": "dung_han", "type": "boolean", "required": True},
    {"name": "so_ngay", "type": "integer", "description": "Số ngày từ lần nạp gần nhất"},
    {"name": "ky_du_lieu", "type": "string", "description": "Kỳ mới nhất có trong dữ liệu"},
    {"name": "ky_can_co", "type": "string", "description": "Kỳ cần có theo lịch công bố"},
    {"name": "cach_tinh", "type": "string", "description": "kỳ dữ liệu | thời điểm nạp"},
]
