"""Daily snapshot of open and overdue directives per agency into the warehouse, so that overdue directives
are an indicator like any other (computed by SQL, with lineage to the snapshot batches)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.alerts.directives import overdue_by_agency
from dieuhanh.alerts.models import Directive
from dieuhanh.catalog.snapshots import ensure_dataset
from dieuhanh.core.formatting import today_local
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.orgs.models import Agency

DIRECTIVES_DATASET = "chi_dao_theo_doi"


def snapshot_directives(session: Session, warehouse: Warehouse, *, province_code: str, max_bytes: int,
                        today: date | None = None) -> int:
    """One row per agency (open and overdue directives, zeros included) for today; once a day."""
    from dieuhanh.ingest import service as ingest

    today = today or today_local()
    ensure_dataset(session, name=DIRECTIVES_DATASET, title="Theo dõi thực hiện chỉ đạo (theo ngày)",
                   description="Ảnh chụp hằng ngày số chỉ đạo đang mở và quá hạn của từng cơ quan. Nguồn của chỉ "
                               "số số chỉ đạo quá hạn.", owner="VPUBND", schema=[
                       {"name": "ngay", "type": "date", "required": True},
                       {"name": "co_quan", "type": "string", "required": True},
                       {"name": "dang_mo", "type": "integer", "required": True},
                       {"name": "qua_han", "type": "integer", "required": True},
                   ])
    overdue = overdue_by_agency(session, today=today)
    open_counts = {str(code): int(n) for code, n in session.execute(select(Directive.agency_code, func.count()).where(
        Directive.status == "open").group_by(Directive.agency_code))}
    agencies = session.scalars(select(Agency.code).where(Agency.kind != "commune").order_by(Agency.code)).all()
    codes = sorted(set(agencies) | set(open_counts) | set(overdue))
    records = [{"ngay": today.isoformat(), "co_quan": code, "dang_mo": int(open_counts.get(code, 0)),
                "qua_han": int(overdue.get(code, 0))} for code in codes]
    result = ingest.load(session, warehouse, principal=SYSTEM, dataset_name=DIRECTIVES_DATASET, source=records,
                         filename=f"directives-{today.isoformat()}.json", source_kind="system",
                         idempotency_key=f"directives:{today.isoformat()}", province_code=province_code,
                         max_bytes=max_bytes)
    return result.rows
