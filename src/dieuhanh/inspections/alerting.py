"""Alert source ``inspections.conflicts``: unresolved conflicts of a plan not yet signed, for the inspectorate (the
provincial plan is issued by the Chairman by 20/12 each year, so they must be seen in time)."""

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
from dieuhanh.inspections.reference import INSPECTORATE


def _evaluate(session: Session, params: dict[str, Any], now: datetime) -> Iterator[sources.SourceCondition]:
    """One condition per plan year not yet signed, keyed by the inspectorate (Thanh tra tỉnh merges the plans):
    how many conflicts remain and which agencies hold most of them."""
    from dieuhanh.inspections import service
    from dieuhanh.inspections.models import Visit, YearPlan

    today = to_local(now).date()
    minimum = int(params.get("min_conflicts", 1))
    names = service.agency_names(session)
    for year in (today.year, today.year + 1):
        plan = session.get(YearPlan, year)
        if plan is None or plan.status == "signed":
            continue
        conflicts = service.find_conflicts(session, principal=SYSTEM, year=year)
        ids = {i for c in conflicts for i in c["visits"]}
        agency_of = dict(session.execute(select(Visit.id, Visit.agency_code).where(Visit.id.in_(ids))).all()) \
            if ids else {}
        top = ", ".join(f"{names.get(code, code)} {n}" for code, n in Counter(agency_of.values()).most_common(3))
        yield sources.SourceCondition(
            key=INSPECTORATE, firing=len(conflicts) >= minimum, value=float(len(conflicts)), period=str(year),
            message=f"Kế hoạch thanh tra, kiểm tra năm {year}: {len(conflicts)} xung đột với Nghị quyết "
                    f"198/2025/QH15 chưa xử lý" + (f" (nhiều nhất: {top} cuộc)" if top else "")
                    + f"; kế hoạch chung ban hành trước 20/12/{year - 1}")


def _validate(params: dict[str, Any]) -> None:
    value = params.get("min_conflicts", 1)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100_000:
        raise ValueError("«min_conflicts» phải là số nguyên từ 1 (số xung đột để cảnh báo).")


SOURCE = sources.register(sources.AlertSource(
    name="inspections.conflicts", label="Kế hoạch thanh tra, kiểm tra chồng chéo", domain="inspections",
    evaluate=_evaluate, validate=_validate,
    params_help="min_conflicts: số xung đột chưa xử lý của kế hoạch năm để cảnh báo (mặc định 1)"))
