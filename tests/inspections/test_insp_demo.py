"""The demo's inspections (from the shared demo template: the demo is not run again here)."""

from __future__ import annotations

from sqlalchemy import func, select

from dieuhanh.core.security import SYSTEM
from dieuhanh.inspections import service
from dieuhanh.inspections.models import Enterprise, Plan, Visit


def test_demo_has_next_years_plans_with_overlap_and_a_proposal_that_removes_it(demo_province):
    summary = demo_province.summary["inspections"]
    assert summary["enterprises"] == 12_000 and summary["plans"] == 15 and summary["visits"] == 1_500
    year = 2027  # the year after DEMO_TODAY
    with demo_province.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Plan).where(Plan.year == year, Plan.is_demo)) == 15
        assert s.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.is_demo.is_(False))) == 0
        conflicts = service.find_conflicts(s, principal=SYSTEM, year=year)
        assert len(conflicts) == summary["conflicts"] > 50
        assert {c["rule"] for c in conflicts} >= {"once_thanh_tra", "once_kiem_tra", "same_content", "mergeable"}
        proposal = service.latest_proposal(s, year=year)
        assert proposal is not None and proposal.status == "proposed" and proposal.conflicts_after == 0
        statuses = dict(s.execute(select(Visit.match_status, func.count()).group_by(Visit.match_status)).all())
        assert statuses["tax_code"] > 500 and statuses["auto"] > 500 and statuses.get("review", 0) > 0
    # the board's figures are in the warehouse for the indicators (the plan is not signed: no open dataset yet)
    table = demo_province.warehouse.query(
        "SELECT cap, ma_don_vi, gia_tri FROM thanh_tra_kiem_tra_so_lieu WHERE chi_so = 'xung_dot_phat_hien'")
    found = dict(zip(table.column(1).to_pylist(), table.column(2).to_pylist(), strict=True))
    assert found[demo_province.settings.province_code] == summary["conflicts"] and len(found) >= 16
    with demo_province.db.session() as s:
        from dieuhanh.catalog.models import Dataset

        assert s.scalar(select(Dataset.id).where(Dataset.name == "ke_hoach_thanh_tra_kiem_tra")) is None
