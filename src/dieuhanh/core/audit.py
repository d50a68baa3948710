"""Audit log: every change, written in the same transaction as the change itself."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import JSON, Integer, String, Table, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from dieuhanh.core.db import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity_type: Mapped[str] = mapped_column(String(60), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(120), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Add an audit row to the caller's transaction; it commits or rolls back with the change."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
        ip=ip,
    )
    session.add(entry)
    session.flush()
    return entry


def record_many(session: Session, entries: list[dict[str, Any]]) -> None:
    """Many audit rows in one multi-row INSERT in the caller's transaction (bulk writers); each entry has the
    keyword arguments of :func:`record` and optionally ``at``."""
    if not entries:
        return
    now = utcnow()
    session.execute(insert(cast(Table, AuditEntry.__table__)), [{
        "at": e.get("at") or now, "actor": e["actor"], "action": e["action"], "entity_type": e["entity_type"],
        "entity_id": None if e.get("entity_id") is None else str(e["entity_id"]),
        "before": _jsonable(e.get("before")), "after": _jsonable(e.get("after")), "ip": e.get("ip")}
        for e in entries])


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif isinstance(value, list | tuple):
            out[key] = [str(v) if not isinstance(v, int | float | str | bool) else v for v in value]
        elif value is None or isinstance(value, int | float | str | bool | dict):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def list_entries(
    session: Session,
    *,
    actor: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEntry.entity_id == entity_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if date_from:
        query = query.where(AuditEntry.at >= datetime.combine(date_from, datetime.min.time()))
    if date_to:
        query = query.where(AuditEntry.at < datetime.combine(date_to + timedelta(days=1), datetime.min.time()))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return list(rows), total
