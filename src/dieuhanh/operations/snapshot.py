"""Events and incidents as warehouse datasets, so the room's statistics are indicators like any other (by type,
commune and month; median acknowledgement and resolution times; share resolved within the procedure's time), on
the «An ninh, trật tự, an toàn» board and in exports.

Like the citizen reports' snapshot: a replace load through ``ingest.load`` when something changed (the
Idempotency-Key is built from counts and latest changes), every five minutes and in the demo. No free text and no
payload leave the operational database: codes, type, severity, commune, agency, times and durations only. Times
are Vietnam local wall-clock times (the province's months).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.catalog.snapshots import ensure_dataset
from dieuhanh.core.db import utcnow
from dieuhanh.core.formatting import to_local
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.operations.models import Event, Incident, IncidentStep

EVENTS_DATASET = "su_kien_dieu_hanh"
INCIDENTS_DATASET = "su_co_dieu_hanh"
OWNER_AGENCY = "VPUBND"

EVENT_SCHEMA: list[dict[str, Any]] = [
    {"name": "ma_su_kien", "type": "integer", "required": True},
    {"name": "loai", "type": "string", "required": True, "description": "Mã loại sự kiện"},
    {"name": "muc_do", "type": "string", "required": True, "description": "info, minor, major, critical"},
    {"name": "trang_thai", "type": "string", "required": True},
    {"name": "nguon", "type": "string", "required": True},
    {"name": "ma_xa", "type": "unit_code"},
    {"name": "co_quan_bao", "type": "string", "description": "Cơ quan gửi sự kiện"},
    {"name": "xay_ra_luc", "type": "datetime", "required": True, "description": "Giờ Việt Nam"},
    {"name": "co_su_co", "type": "boolean", "description": "Đã thành sự cố"},
    {"name": "du_lieu_mau", "type": "boolean"},
]
INCIDENT_SCHEMA: list[dict[str, Any]] = [
    {"name": "ma_su_co", "type": "string", "required": True},
    {"name": "loai", "type": "string", "required": True, "description": "Loại sự cố (quy trình)"},
    {"name": "muc_do", "type": "string", "required": True},
    {"name": "trang_thai", "type": "string", "required": True},
    {"name": "ma_xa", "type": "unit_code"},
    {"name": "co_quan", "type": "string", "description": "Cơ quan chủ trì xử lý"},
    {"name": "tao_luc", "type": "datetime", "required": True},
    {"name": "tiep_nhan_luc", "type": "datetime"},
    {"name": "dong_luc", "type": "datetime"},
    {"name": "phut_tiep_nhan", "type": "number", "description": "Phút từ khi tạo đến khi tiếp nhận"},
    {"name": "phut_xu_ly", "type": "number", "description": "Phút từ khi tạo đến khi đóng"},
    {"name": "phut_quy_trinh", "type": "number", "description": "Tổng thời hạn các bước của quy trình (phút)"},
    {"name": "dung_han", "type": "boolean",
     "description": "Đóng trong tổng thời hạn quy trình, không bước nào trễ (trống khi chưa đóng)"},
    {"name": "cap_leo_thang", "type": "integer"},
    {"name": "ket_qua", "type": "string", "description": "resolved, false_alarm, transferred"},
    {"name": "du_lieu_mau", "type": "boolean"},
]


def _local(value: datetime | None) -> str | None:
    return None if value is None else to_local(value).replace(tzinfo=None).isoformat(timespec="seconds")


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else round(max((end - start).total_seconds(), 0) / 60, 1)


def event_records(session: Session) -> list[dict[str, Any]]:
    return [{"ma_su_kien": r.id, "loai": r.type, "muc_do": r.severity, "trang_thai": r.status, "nguon": r.source,
             "ma_xa": r.unit_code, "co_quan_bao": r.agency_code, "xay_ra_luc": _local(r.occurred_at),
             "co_su_co": "có" if r.incident_id else "không", "du_lieu_mau": "có" if r.demo else "không"}
            for r in session.execute(select(Event.id, Event.type, Event.severity, Event.status, Event.source,
                                            Event.unit_code, Event.agency_code, Event.occurred_at, Event.incident_id,
                                            Event.demo).order_by(Event.id))]


def incident_records(session: Session) -> list[dict[str, Any]]:
    limits: dict[int, tuple[int, bool]] = {}
    for incident_id, minutes, done, due in session.execute(
            select(IncidentStep.incident_id, IncidentStep.time_limit_minutes, IncidentStep.done_at,
                   IncidentStep.due_at)):
        total, late = limits.get(incident_id, (0, False))
        limits[incident_id] = (total + int(minutes or 0), late or bool(done and due and done > due))
    out = []
    for i in session.scalars(select(Incident).order_by(Incident.id)):
        total, late = limits.get(i.id, (0, False))
        handled = _minutes(i.created_at, i.closed_at)
        on_time = None
        if i.closed_at is not None and i.outcome != "false_alarm":
            on_time = "có" if total and handled is not None and handled <= total and not late else "không"
        out.append({"ma_su_co": i.code, "loai": i.type, "muc_do": i.severity, "trang_thai": i.state,
                    "ma_xa": i.unit_code, "co_quan": i.agency_code, "tao_luc": _local(i.created_at),
                    "tiep_nhan_luc": _local(i.acknowledged_at), "dong_luc": _local(i.closed_at),
                    "phut_tiep_nhan": _minutes(i.created_at, i.acknowledged_at), "phut_xu_ly": handled,
                    "phut_quy_trinh": float(total) if total else None, "dung_han": on_time,
                    "cap_leo_thang": i.escalation_level, "ket_qua": i.outcome,
                    "du_lieu_mau": "có" if i.demo else "không"})
    return out


def _key(session: Session, prefix: str, model: Any) -> str:
    count, latest = session.execute(select(func.count(model.id), func.max(model.updated_at))).one()
    return f"{prefix}:{count}:{latest.isoformat() if latest else '-'}"


def snapshot(session: Session, warehouse: Warehouse, *, province_code: str, max_bytes: int,
             now: datetime | None = None) -> int:
    """Load both datasets (replace) when they changed; returns the rows loaded."""
    from dieuhanh.ingest import service as ingest

    now = now or utcnow()
    loaded = 0
    for name, title, description, schema, records, prefix, model in (
            (EVENTS_DATASET, "Sự kiện của phòng điều hành",
             "Sự kiện từ cảm biến, camera, công an, cảnh báo thời tiết và cán bộ (không có nội dung chi tiết): loại, "
             "mức độ, nguồn, xã phường, thời điểm.", EVENT_SCHEMA, event_records, "su-kien", Event),
            (INCIDENTS_DATASET, "Sự cố xử lý theo quy trình",
             "Sự cố của phòng điều hành: loại, mức độ, xã phường, cơ quan chủ trì, thời điểm tạo, tiếp nhận, đóng, "
             "thời gian tiếp nhận và xử lý, đúng hạn quy trình, cấp leo thang.", INCIDENT_SCHEMA, incident_records,
             "su-co", Incident)):
        ensure_dataset(session, name=name, title=title, description=description, owner=OWNER_AGENCY, schema=schema)
        rows = records(session)
        if not rows:
            continue
        result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name=name, source=rows,
                             filename=f"{prefix}-{to_local(now):%Y%m%d-%H%M}.json", source_kind="system",
                             mode="replace", idempotency_key=_key(session, prefix, model),
                             province_code=province_code, max_bytes=max_bytes)
        loaded += 0 if result.replayed else result.rows
    return loaded
