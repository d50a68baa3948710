"""Daily snapshot of the catalog's freshness into the warehouse, so that "share of datasets updated on time"
is an indicator like any other (computed by SQL, with lineage to the snapshot batches)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.models import Dataset
from dieuhanh.catalog.schemas import DatasetIn
from dieuhanh.core.errors import NotFound
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import Warehouse

FRESHNESS_DATASET = "tinh_trang_cap_nhat_du_lieu"


def ensure_dataset(session: Session, *, name: str, title: str, description: str, owner: str,
                   schema: list[dict[str, Any]]) -> Dataset:
    """Create a system dataset on first use (internal, daily)."""
    try:
        return catalog.get_dataset(session, name)
    except NotFound:
        return catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate({
            "name": name, "title": title, "description": description, "owner_agency": owner,
            "license_id": "internal", "access": "internal", "update_frequency": "daily",
            "tags": ["hệ thống"], "schema": schema}))


def snapshot_freshness(session: Session, warehouse: Warehouse, *, province_code: str, max_bytes: int,
                       today: date | None = None) -> int:
    """One row per dataset with an expected frequency: on time today or not. Once a day (Idempotency-Key)."""
    from datetime import datetime

    from dieuhanh.ingest import service as ingest

    today = today or datetime.now(LOCAL_TZ).date()
    ensure_dataset(session, name=FRESHNESS_DATASET, title="Tình trạng cập nhật các bộ dữ liệu (theo ngày)",
                   description="Ảnh chụp hằng ngày: mỗi bộ dữ liệu có đúng hạn cập nhật theo tần suất khai báo "
                               "hay không. Nguồn của chỉ số tỷ lệ bộ dữ liệu cập nhật đúng hạn.",
                   owner="VPUBND", schema=[
                       {"name": "ngay", "type": "date", "required": True},
                       {"name": "co_quan", "type": "string", "required": True},
                       {"name": "bo_du_lieu", "type": "string", "required": True},
                       {"name": "tan_suat", "type": "string"},
                       {"name": "dung_han", "type": "boolean", "required": True},
                       {"name": "so_ngay", "type": "integer"},
                   ])
    records = []
    for ds in session.scalars(select(Dataset).where(Dataset.name != FRESHNESS_DATASET).order_by(Dataset.name)):
        fresh = catalog.freshness(session, ds)
        if fresh.expected_days is None:
            continue
        records.append({"ngay": today.isoformat(), "co_quan": ds.owner_agency, "bo_du_lieu": ds.name,
                        "tan_suat": ds.update_frequency, "dung_han": "có" if not fresh.late else "không",
                        "so_ngay": fresh.days_since})
    if not records:
        return 0
    result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name=FRESHNESS_DATASET, source=records,
                         filename=f"freshness-{today.isoformat()}.json", source_kind="system",
                         idempotency_key=f"freshness:{today.isoformat()}", province_code=province_code,
                         max_bytes=max_bytes)
    return result.rows
