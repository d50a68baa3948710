"""Snapshot of the incoming documents into the warehouse (dataset ``van_ban_den``), so that the figures per
department and month (received, completed on time, overdue, average handling days) are indicators like any other,
and the alert source ``documents.overdue`` that tells leaders which departments hold overdue documents.

The snapshot holds no text and no trích yếu: arrival, lead department, type, urgency, status and dates only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.alerts import sources as alert_sources
from dieuhanh.catalog.snapshots import ensure_dataset
from dieuhanh.core.db import utcnow
from dieuhanh.core.formatting import format_date, to_local, today_local
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.documents.models import Document

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

DATASET = "van_ban_den"
OWNER_AGENCY = "VPUBND"
JOB_ID = "documents.snapshot"
TRAIN_JOB_ID = "documents.train_routing"

SCHEMA: list[dict[str, Any]] = [
    {"name": "so_den", "type": "string", "required": True, "description": "Năm và số đến, vd 2026-0153"},
    {"name": "ngay_den", "type": "date", "required": True, "description": "Ngày đến"},
    {"name": "co_quan", "type": "string", "description": "Cơ quan chủ trì xử lý (mã); trống khi chưa phân công"},
    {"name": "loai_van_ban", "type": "string", "description": "Chữ viết tắt tên loại (NĐ 30, Phụ lục III)"},
    {"name": "do_khan", "type": "string", "description": "thuong, khan, thuong_khan, hoa_toc"},
    {"name": "trang_thai", "type": "string", "required": True},
    {"name": "han_xu_ly", "type": "date", "description": "Hạn xử lý giao cho cơ quan chủ trì"},
    {"name": "ngay_hoan_thanh", "type": "date", "description": "Ngày hoàn thành (giờ Việt Nam)"},
    {"name": "dung_han", "type": "boolean", "description": "Hoàn thành trong hạn (trống khi chưa xong)"},
    {"name": "so_ngay_xu_ly", "type": "number", "description": "Số ngày từ ngày đến tới ngày hoàn thành"},
    {"name": "nguon", "type": "string", "description": "upload, eoffice, web hoặc demo"},
    {"name": "ngay_chup", "type": "date", "required": True, "description": "Ngày chụp số liệu"},
]


def ensure_documents_dataset(session: Session) -> None:
    ensure_dataset(session, name=DATASET, title="Văn bản đến và tình hình xử lý",
                   description="Ảnh chụp các văn bản đến của Văn phòng UBND tỉnh (không có nội dung, trích yếu): "
                               "ngày đến, cơ quan chủ trì, loại, độ khẩn, trạng thái, hạn xử lý, ngày hoàn thành. "
                               "Nguồn của các chỉ số xử lý văn bản theo cơ quan và tháng.",
                   owner=OWNER_AGENCY, schema=SCHEMA)


def records(session: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    today = today_local(now)
    out = []
    for (number, arrival, lead, doc_type, priority, status, due, completed, source) in session.execute(
            select(Document.arrival_number, Document.arrival_date, Document.lead_agency_code, Document.doc_type,
                   Document.priority, Document.status, Document.handling_due, Document.completed_at,
                   Document.source).where(Document.duplicate_of_id.is_(None)).order_by(Document.id)):
        finished = to_local(completed).date() if completed is not None and status == "done" else None
        out.append({
            "so_den": f"{arrival.year}-{number:04d}", "ngay_den": arrival.isoformat(), "co_quan": lead,
            "loai_van_ban": doc_type, "do_khan": priority, "trang_thai": status,
            "han_xu_ly": due.isoformat() if due else None,
            "ngay_hoan_thanh": finished.isoformat() if finished else None,
            "dung_han": None if finished is None or due is None else ("có" if finished <= due else "không"),
            "so_ngay_xu_ly": (finished - arrival).days if finished else None, "nguon": source,
            "ngay_chup": today.isoformat()})
    return out


def _change_key(session: Session, now: datetime) -> str:
    count, latest = session.execute(select(func.count(Document.id), func.max(Document.updated_at))).one()
    return f"van-ban:{count}:{latest.isoformat() if latest else '-'}:{to_local(now).date().isoformat()}"


def snapshot(session: Session, warehouse: Warehouse, *, province_code: str, max_bytes: int,
             now: datetime | None = None) -> int:
    """Load the documents into ``van_ban_den`` (replace) when anything changed or the day changed; rows loaded."""
    from dieuhanh.ingest import service as ingest

    now = now or utcnow()
    ensure_documents_dataset(session)
    rows = records(session, now=now)
    if not rows:
        return 0
    result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name=DATASET, source=rows,
                         filename=f"van-ban-den-{to_local(now):%Y%m%d-%H%M}.json", source_kind="system",
                         mode="replace", idempotency_key=_change_key(session, now), province_code=province_code,
                         max_bytes=max_bytes)
    return 0 if result.replayed else result.rows


# ------------------------------------------------------------------------------------------------ alert source


def _overdue(session: Session, params: dict[str, Any], now: datetime) -> Iterator[alert_sources.SourceCondition]:
    """One condition per department holding open documents past their deadline."""
    from dieuhanh.documents import service
    from dieuhanh.orgs.models import Agency

    today = to_local(now).date()
    minimum = int(params.get("min_overdue", 1))
    names = dict(session.execute(select(Agency.code, Agency.name)).all())
    for code, count, late_days in service.overdue_by_agency(session, today=today):
        yield alert_sources.SourceCondition(
            key=code[:40], firing=count >= minimum, value=float(count), period=today.isoformat(),
            message=f"{names.get(code, code)}: {count} văn bản quá hạn xử lý (lâu nhất quá hạn {late_days} ngày), "
                    f"tính đến {format_date(today)}")


def _validate(params: dict[str, Any]) -> None:
    value = params.get("min_overdue", 1)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10_000:
        raise ValueError("«min_overdue» phải là số nguyên từ 1 (số văn bản quá hạn để cảnh báo).")


OVERDUE_SOURCE = alert_sources.register(alert_sources.AlertSource(
    name="documents.overdue", label="Văn bản quá hạn xử lý", domain="documents", evaluate=_overdue,
    validate=_validate, params_help="min_overdue: số văn bản quá hạn của một cơ quan để cảnh báo (mặc định 1)"))


def register_jobs(scheduler: Scheduler) -> None:
    """Snapshot every 10 minutes (when something changed), alert evaluation with it, retraining every hour when
    enough new assignments were confirmed (and at once when there is no model yet)."""

    def run_snapshot() -> int:
        from dieuhanh.alerts import service as alerts

        settings = scheduler.settings
        with scheduler.database.session() as session:
            rows = snapshot(session, scheduler.warehouse, province_code=settings.province_code,
                            max_bytes=settings.max_upload_mb * 1024 * 1024)
            alerts.evaluate_sources(session, names=["documents.overdue"], settings=settings)
            return rows

    def run_training() -> int:
        from dieuhanh.documents import service

        with scheduler.database.session() as session:
            model = service.train_if_due(session)
            return model.examples if model else 0

    scheduler.add(JOB_ID, run_snapshot, seconds=600, name="Ảnh chụp văn bản đến vào kho dữ liệu, cảnh báo quá hạn")
    scheduler.add(TRAIN_JOB_ID, run_training, seconds=3600, name="Học lại gợi ý phân công văn bản")
