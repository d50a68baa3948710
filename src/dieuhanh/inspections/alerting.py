"""Alert source ``inspections.conflicts``: per agency, its visits in unresolved conflicts of a plan not yet signed
(the provincial plan is issued by the Chairman by 20/12 each year, so the inspectorate must see them in time)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.alerts import sources
from dieuhanh.core.formatting import to_local
from dieuhanh.core.security import SYSTEM


def _evaluate(session: Session, params: dict[str, Any], now: datetime) -> Iterator[sources.SourceCondition]:
    from dieuhanh.inspections import service
    from dieuhanh.inspections.models import Visit, YearPlan

    today = to_local(now).date()
    minimum = int(params.get("min_visits", 1))
    names = service.agency_names(session)
    for year in (today.year, today.year + 1):
        plan = session.get(YearPlan, year)
        if plan is None or plan.status == "signed":
            continue
        conflicts = service.find_conflicts(session, principal=SYSTEM, year=year)
        ids = {i for c in conflicts for i in c["visits"]}
        agency_of = dict(session.execute(select(Visit.id, Visit.agency_code).where(Visit.id.in_(ids))).all()) \
            if ids else {}
        per_agency = Counter(agency_of.values())
        for code in sorted(set(session.scalars(select(Visit.agency_code).where(Visit.year == year)))):
            count = per_agency.get(code, 0)
            yield sources.SourceCondition(
                key=code[:40], firing=count >= minimum, value=float(count), period=str(year),
                message=f"{names.get(code, code)}: {count} cuộc trong kế hoạch thanh tra, kiểm tra năm {year} đang "
                        f"chồng chéo (Nghị quyết 198/2025/QH15); kế hoạch chung ban hành trước 20/12/{year - 1}")


def _validate(params: dict[str, Any]) -> None:
    value = params.get("min_visits", 1)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
        raise ValueError("«min_visits» phải là số nguyên từ 1 (số cuộc chồng chéo của một cơ quan để cảnh báo).")


SOURCE = sources.register(sources.AlertSource(
    name="inspections.conflicts", label="Kế hoạch thanh tra, kiểm tra chồng chéo", domain="documents",
    evaluate=_evaluate, validate=_validate,
    params_help="min_visits: số cuộc chồng chéo của một cơ quan để cảnh báo (mặc định 1)"))
