"""Named permissions of the inspections domain (core.security rules).

Each agency submits its own plan (an officer of the agency, or its system with a token of scope ``inspections``);
the provincial inspectorate (Thanh tra tỉnh) merges the plans, reviews matches and proposals; the Chairman (role
leader) signs the year's plan.
"""

from __future__ import annotations

from typing import Any

from dieuhanh.core.security import Principal, rule
from dieuhanh.inspections.reference import INSPECTORATE


def inspectorate(p: Principal) -> bool:
    """Admins, the provincial inspectorate's officers and its system (token of scope ``inspections``)."""
    return p.has_role("admin") or (p.agency_code == INSPECTORATE
                                   and (p.has_role("officer") or p.has_scope("inspections")))


@rule("inspections.read")
def _read(p: Principal, _t: Any) -> bool:
    """The merged plan is visible to every official (its point is that agencies see each other's visits)."""
    return p.can_read_all() or p.has_role("officer") or p.has_scope("inspections")


@rule("inspections.submit")
def _submit(p: Principal, target: Any) -> bool:
    """Submit a plan for agency ``target`` (a code): its officers or its token; admins and the inspectorate."""
    agency = target if isinstance(target, str) else None
    if inspectorate(p):
        return True
    own = agency is not None and p.agency_code == agency
    return own and (p.has_role("officer") or p.has_scope("inspections"))


@rule("inspections.review")
def _review(p: Principal, _t: Any) -> bool:
    """Confirm or split an enterprise match: analysts and the inspectorate."""
    return inspectorate(p) or p.has_role("analyst")


@rule("inspections.optimise")
def _optimise(p: Principal, _t: Any) -> bool:
    """Ask for and accept a proposal: the inspectorate and leaders."""
    return inspectorate(p) or p.has_role("leader")


@rule("inspections.sign")
def _sign(p: Principal, _t: Any) -> bool:
    """Sign and publish the year's plan: the Chairman (leader) or an admin."""
    return p.has_role("leader", "admin")
