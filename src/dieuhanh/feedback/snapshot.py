"""Snapshot of the citizen reports into the warehouse, so that the leaders' figures (received, resolved, on time,
handling time, satisfaction, overdue) are indicators like any other: computed by SQL over a catalog dataset, with
lineage to the snapshot batches.

The snapshot holds no personal data and no free text: codes, category, commune, agency, status and times only.
Times are local wall-clock times (Asia/Ho_Chi_Minh), so that months are the province's months.

It runs in the demo and every few minutes from the scheduler; a run loads a new batch (mode ``replace``) only
when something changed: the Idempotency-Key is built from the number of reports, the latest change and the
number of reports open past their deadline now (which grows with time alone).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from dieuhanh.catalog.snapshots import ensure_dataset
from dieuhanh.core.db import utcnow
from dieuhanh.core.formatting import to_local
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.feedback.models import CLOSED_STATUSES, Category, Report

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

REPORTS_DATASET = "phan_anh_hien_truong"
OWNER_AGENCY = "VPUBND"
EVERY_SECONDS = 300
JOB_ID = "feedback.snapshot_reports"

SCHEMA: list[dict[str, Any]] = [
    {"name": "ma_phan_anh", "type": "string", "required": True,
     "description": "Mã theo dõi của phản ánh (không phải thông tin cá nhân)"},
    {"name": "linh_vuc", "type": "string", "required": True, "description": "Mã lĩnh vực (service_code Open311)"},
    {"name": "ten_linh_vuc", "type": "string"},
    {"name": "ma_xa", "type": "unit_code", "description": "Xã, phường nơi xảy ra sự việc"},
    {"name": "co_quan", "type": "string", "required": True, "description": "Cơ quan đang chịu trách nhiệm xử lý"},
    {"name": "trang_thai", "type": "string", "required": True},
    {"name": "nguon", "type": "string", "description": "web, open311 hoặc demo"},
    {"name": "tiep_nhan_luc", "type": "datetime", "required": True, "description": "Thời điểm tiếp nhận (giờ VN)"},
    {"name": "han_xu_ly", "type": "datetime", "description": "Hạn xử lý theo lĩnh vực (giờ VN)"},
    {"name": "tra_loi_luc", "type": "datetime", "description": "Thời điểm trả lời, giải quyết (giờ VN)"},
    {"name": "ket_thuc_luc", "type": "datetime",
     "description": "Thời điểm phản ánh không còn mở (trả lời, đóng hoặc từ chối); trống khi đang mở"},
    {"name": "gio_xu_ly", "type": "number", "description": "Số giờ từ tiếp nhận đến trả lời"},
    {"name": "dung_han", "type": "boolean", "description": "Trả lời trước hạn xử lý (trống khi chưa trả lời)"},
    {"name": "danh_gia", "type": "string", "description": "hai_long, khong_hai_long hoặc trống"},
    {"name": "so_lan_mo_lai", "type": "integer"},
    {"name": "gop_vao", "type": "string", "description": "Mã phản ánh chính khi phản ánh này đã được gộp (trùng)"},
    {"name": "thoi_diem_chup", "type": "datetime", "required": True, "description": "Thời điểm chụp số liệu"},
]


def _local_text(value: datetime | None) -> str | None:
    return None if value is None else to_local(value).replace(tzinfo=None).isoformat(timespec="seconds")


def ensure_reports_dataset(session: Session) -> None:
    ensure_dataset(session, name=REPORTS_DATASET, title="Phản ánh hiện trường của người dân",
                   description="Ảnh chụp định kỳ các phản ánh hiện trường (không có thông tin cá nhân, không có "
                               "nội dung phản ánh): lĩnh vực, xã phường, cơ quan xử lý, trạng thái, thời điểm tiếp "
                               "nhận, hạn, trả lời và đánh giá. Nguồn của các chỉ số phản ánh hiện trường.",
                   owner=OWNER_AGENCY, schema=SCHEMA)


def report_records(session: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """One record per report, no contact data and no free text (``now`` is naive UTC)."""
    now = now or utcnow()
    main = aliased(Report)
    rows = session.execute(
        select(Report.code, Report.category_code, Category.name, Report.unit_code, Report.agency_code,
               Report.status, Report.source, Report.created_at, Report.due_at, Report.resolved_at,
               Report.closed_at, Report.updated_at, Report.rating, Report.reopened_count, main.code)
        .join(Category, Category.service_code == Report.category_code)
        .outerjoin(main, main.id == Report.duplicate_of_id)
        .order_by(Report.id))
    taken = _local_text(now)
    records = []
    for (code, category, category_name, unit, agency, status, source, created, due, resolved, closed, updated,
         rating, reopened, merged_into) in rows:
        ended = (resolved or closed or updated) if status in CLOSED_STATUSES else None
        answered = resolved if status in ("resolved", "closed") else None
        hours = (answered - created).total_seconds() / 3600 if answered is not None else None
        records.append({
            "ma_phan_anh": code, "linh_vuc": category, "ten_linh_vuc": category_name, "ma_xa": unit,
            "co_quan": agency, "trang_thai": status, "nguon": source, "tiep_nhan_luc": _local_text(created),
            "han_xu_ly": _local_text(due), "tra_loi_luc": _local_text(answered), "ket_thuc_luc": _local_text(ended),
            "gio_xu_ly": None if hours is None else round(max(hours, 0.0), 2),
            "dung_han": None if answered is None or due is None else ("có" if answered <= due else "không"),
            "danh_gia": {"satisfied": "hai_long", "unsatisfied": "khong_hai_long"}.get(rating or ""),
            "so_lan_mo_lai": int(reopened or 0), "gop_vao": merged_into, "thoi_diem_chup": taken,
        })
    return records


def _change_key(session: Session, now: datetime) -> str:
    count, latest = session.execute(select(func.count(Report.id), func.max(Report.updated_at))).one()
    overdue = session.scalar(select(func.count(Report.id)).where(
        Report.status.not_in(CLOSED_STATUSES), Report.due_at.is_not(None), Report.due_at < now)) or 0
    return f"phan-anh:{count}:{latest.isoformat() if latest else '-'}:{overdue}"


def snapshot_reports(session: Session, warehouse: Warehouse, *, province_code: str, max_bytes: int,
                     now: datetime | None = None) -> int:
    """Load the current reports into ``phan_anh_hien_truong`` (replace) when anything changed; returns rows
    loaded (0 when nothing changed)."""
    from dieuhanh.ingest import service as ingest

    now = now or utcnow()
    ensure_reports_dataset(session)
    records = report_records(session, now=now)
    if not records:
        return 0
    result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name=REPORTS_DATASET, source=records,
                         filename=f"phan-anh-{to_local(now):%Y%m%d-%H%M}.json", source_kind="system",
                         mode="replace", idempotency_key=_change_key(session, now), province_code=province_code,
                         max_bytes=max_bytes)
    return 0 if result.replayed else result.rows


def register_jobs(scheduler: Scheduler) -> None:
    """Every five minutes (the board and the overdue alert follow the reports closely)."""

    def run() -> int:
        settings = scheduler.settings
        with scheduler.database.session() as session:
            return snapshot_reports(session, scheduler.warehouse, province_code=settings.province_code,
                                    max_bytes=settings.max_upload_mb * 1024 * 1024)

    scheduler.add(JOB_ID, run, seconds=EVERY_SECONDS, name="Ảnh chụp phản ánh hiện trường vào kho dữ liệu")
