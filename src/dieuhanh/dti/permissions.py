"""Named permissions of the dti domain (core.security.rule; one rule per action, checked before any write).

Analysts define frameworks and run campaigns; a unit's officers fill and submit only their own unit's form; the
review team (analysts, admins) accepts or adjusts self-assessed scores; leaders read everything.
"""

from __future__ import annotations

from typing import Any

from dieuhanh.core.security import Principal, acts_for_agency, rule


@rule("dti.framework.define")
def _framework_define(p: Principal, _t: Any) -> bool:
    return p.has_role("admin", "analyst")


@rule("dti.campaign.manage")
def _campaign_manage(p: Principal, _t: Any) -> bool:
    """Open, close and publish a campaign."""
    return p.has_role("admin", "analyst")


@rule("dti.form.read")
def _form_read(p: Principal, target: Any) -> bool:
    """A unit's form (target: its agency code): whoever reads everything, or the unit's own officers."""
    return p.can_read_all() or (p.has_role("officer") and acts_for_agency(p, target))


@rule("dti.form.answer")
def _form_answer(p: Principal, target: Any) -> bool:
    """Answer, attach evidence and submit: only the unit's own officers (an admin may act for a unit)."""
    return p.has_role("admin") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("dti.review")
def _review(p: Principal, _t: Any) -> bool:
    """The review team: analysts and admins."""
    return p.has_role("admin", "analyst")


@rule("governance.write")
def _governance_write(p: Principal, _t: Any) -> bool:
    """Record the province's national index values (DTI, PAR INDEX, SIPAS, PAPI, PCI, QĐ 766)."""
    return p.has_role("admin", "analyst")
