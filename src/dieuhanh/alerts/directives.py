"""Directives (chỉ đạo): a leader addresses an agency with an instruction and a deadline; the agency's officers
report progress and close it with a result. Overdue = open with a deadline before today (Asia/Ho_Chi_Minh).

``overdue_by_agency(session)`` is the figure the indicator set can use.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dieuhanh.alerts.models import AlertInstance, Directive, DirectiveUpdate
from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from dieuhanh.core.formatting import today_local as today_local  # one definition of "today in Hà Nội"
from dieuhanh.core.security import Principal, authorize
from dieuhanh.orgs.models import Agency

STATUS_FILTERS = ("open", "overdue", "done")


def is_overdue(directive: Directive, today: date | None = None) -> bool:
    return directive.status == "open" and directive.deadline < (today or today_local())


def create_directive(session: Session, *, principal: Principal, agency_code: str, deadline: date,
                     instruction: str, title: str | None = None, source_alert_id: int | None = None,
                     source_ref: str | None = None) -> Directive:
    authorize(principal, "directive.create", agency_code)
    agency = session.get(Agency, agency_code)
    if agency is None or not agency.is_active:
        raise InvalidInput(f"Không có cơ quan «{agency_code}».")
    instruction = instruction.strip()
    if not instruction:
        raise InvalidInput("Cần nội dung chỉ đạo.")
    if source_alert_id is not None:
        inst = session.get(AlertInstance, source_alert_id)
        if inst is None:
            raise NotFound(f"Không có cảnh báo số {source_alert_id}.")
        from dieuhanh.alerts.triage import rows_for

        title = title or f"Xử lý cảnh báo «{inst.rule.name}» — {rows_for(session, [inst])[0].unit_name}"
        source_ref = source_ref or f"alert:{inst.id}"
    title = (title or instruction.splitlines()[0])[:255]
    directive = Directive(title=title, instruction=instruction, agency_code=agency.code, deadline=deadline,
                          created_by=principal.actor, created_at=utcnow(), source_alert_id=source_alert_id,
                          source_ref=source_ref, status="open", progress=0)
    session.add(directive)
    session.flush()
    audit.record(session, actor=principal.actor, action="directive.create", entity_type="directive",
                 entity_id=directive.id, after={"agency": agency.code, "deadline": deadline, "title": title,
                                                "source_alert_id": source_alert_id, "source_ref": source_ref})
    return directive


def _visible(principal: Principal, directive: Directive) -> bool:
    return principal.can_read_all() or (principal.agency_code is not None
                                        and directive.agency_code == principal.agency_code)


def get_directive(session: Session, *, principal: Principal, directive_id: int) -> Directive:
    authorize(principal, "officials.read")
    directive = session.get(Directive, directive_id)
    if directive is None:
        raise NotFound(f"Không có chỉ đạo số {directive_id}.")
    if not _visible(principal, directive):
        raise PermissionDenied("Chỉ đạo này giao cho cơ quan khác.")
    return directive


def list_directives(session: Session, *, principal: Principal, status: str | None = None,
                    agency: str | None = None, deadline_from: date | None = None, deadline_to: date | None = None,
                    today: date | None = None) -> list[Directive]:
    """Leaders, admins, analysts and read tokens see every directive; officers only their agency's."""
    authorize(principal, "officials.read")
    today = today or today_local()
    query = select(Directive).options(selectinload(Directive.updates))
    if not principal.can_read_all():
        if principal.agency_code is None:
            return []
        query = query.where(Directive.agency_code == principal.agency_code)
    if agency:
        query = query.where(Directive.agency_code == agency)
    if status:
        if status not in STATUS_FILTERS:
            raise InvalidInput(f"Trạng thái «{status}» không hợp lệ ({', '.join(STATUS_FILTERS)}).")
        if status == "overdue":
            query = query.where(Directive.status == "open", Directive.deadline < today)
        else:
            query = query.where(Directive.status == status)
    if deadline_from:
        query = query.where(Directive.deadline >= deadline_from)
    if deadline_to:
        query = query.where(Directive.deadline <= deadline_to)
    return list(session.scalars(query.order_by(Directive.deadline, Directive.id)))


def add_update(session: Session, *, principal: Principal, directive_id: int, text: str,
               percent: int | None = None) -> DirectiveUpdate:
    directive = session.get(Directive, directive_id)
    if directive is None:
        raise NotFound(f"Không có chỉ đạo số {directive_id}.")
    authorize(principal, "directive.update", directive)
    if directive.status != "open":
        raise Conflict("Chỉ đạo đã hoàn thành, không cập nhật tiến độ được nữa.")
    if not text.strip():
        raise InvalidInput("Cần nội dung cập nhật.")
    if percent is not None and not 0 <= percent <= 100:
        raise InvalidInput("Tiến độ phải từ 0 đến 100 %.")
    update = DirectiveUpdate(directive_id=directive.id, text=text.strip(), percent=percent, by=principal.actor,
                             at=utcnow())
    session.add(update)
    before = {"progress": directive.progress}
    if percent is not None:
        directive.progress = percent
    session.flush()
    audit.record(session, actor=principal.actor, action="directive.update", entity_type="directive",
                 entity_id=directive.id, before=before, after={"progress": directive.progress, "text": update.text})
    return update


def close_directive(session: Session, *, principal: Principal, directive_id: int, result: str) -> Directive:
    directive = session.get(Directive, directive_id)
    if directive is None:
        raise NotFound(f"Không có chỉ đạo số {directive_id}.")
    authorize(principal, "directive.update", directive)
    if directive.status != "open":
        raise Conflict("Chỉ đạo đã hoàn thành.")
    if not result.strip():
        raise InvalidInput("Cần kết quả thực hiện.")
    directive.status, directive.result, directive.progress = "done", result.strip(), 100
    directive.closed_at, directive.closed_by = utcnow(), principal.actor
    session.flush()
    audit.record(session, actor=principal.actor, action="directive.close", entity_type="directive",
                 entity_id=directive.id, before={"status": "open"}, after={"status": "done", "result": result})
    return directive


def overdue_by_agency(session: Session, *, today: date | None = None) -> dict[str, int]:
    """Open directives past their deadline, counted per addressed agency."""
    today = today or today_local()
    rows = session.execute(select(Directive.agency_code, func.count()).where(
        Directive.status == "open", Directive.deadline < today).group_by(Directive.agency_code)).all()
    return {str(code): int(n) for code, n in rows}


def directive_dict(directive: Directive, today: date | None = None) -> dict[str, object]:
    return {
        "id": directive.id, "title": directive.title, "instruction": directive.instruction,
        "agency": directive.agency_code, "deadline": directive.deadline.isoformat(),
        "created_by": directive.created_by, "created_at": directive.created_at.isoformat() + "Z",
        "source_alert_id": directive.source_alert_id, "source_ref": directive.source_ref,
        "status": directive.status, "overdue": is_overdue(directive, today), "progress": directive.progress,
        "closed_at": directive.closed_at.isoformat() + "Z" if directive.closed_at else None,
        "result": directive.result,
        "updates": [{"text": u.text, "percent": u.percent, "by": u.by, "at": u.at.isoformat() + "Z"}
                    for u in directive.updates],
    }
