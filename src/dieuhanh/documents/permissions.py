"""Named permissions of the documents domain (see core.security: one rule per action, checked before any write).

The office of the People's Committee (Văn phòng UBND tỉnh, VPUBND) registers documents and sees them all; leaders
confirm the routing (bút phê); the lead department works its task and reports; cooperating departments see the
document and add their contributions; the e-office system pushes documents with a token of scope ``documents``.
"""

from __future__ import annotations

from typing import Any

from dieuhanh.core.security import Principal, rule

OFFICE = "VPUBND"


def _agencies_of(target: Any) -> set[str]:
    """The departments with a part in a document (lead and cooperating)."""
    codes = {a.agency_code for a in getattr(target, "assignments", None) or []}
    lead = getattr(target, "lead_agency_code", None)
    if lead:
        codes.add(lead)
    return codes


def office_system(p: Principal) -> bool:
    """The province's e-office system: a token of scope ``documents`` of the office (or of no agency). A
    department's own token with that scope acts only for that department (progress of its documents)."""
    return p.has_scope("documents") and p.agency_code in (None, OFFICE)


def sees_all(p: Principal) -> bool:
    """Leaders, analysts, admins, read tokens, the office's staff and the e-office system see every document."""
    return (p.can_read_all() or p.kind == "system" or office_system(p)
            or (p.has_role("officer") and p.agency_code == OFFICE))


@rule("documents.register")
def _register(p: Principal, _t: Any) -> bool:
    """Register an incoming document: the office's clerks, leaders, admins, or the e-office system's token."""
    return (p.has_role("admin", "leader") or office_system(p)
            or (p.has_role("officer") and p.agency_code == OFFICE))


@rule("documents.read")
def _read(p: Principal, target: Any) -> bool:
    """See a document (target) or the list (target None): whoever sees all, else an officer of a department that
    has a part in it (the list then shows only those)."""
    if sees_all(p):
        return True
    if not (p.has_role("officer") or p.has_scope("documents")) or p.agency_code is None:
        return False
    return target is None or p.agency_code in _agencies_of(target)


@rule("documents.assign")
def _assign(p: Principal, _t: Any) -> bool:
    """Confirm or change the routing of a document (bút phê: lead, cooperating, deadline, instruction)."""
    return p.has_role("admin", "leader")


@rule("documents.handle")
def _handle(p: Principal, target: Any) -> bool:
    """Report progress and completion: an officer (or a documents token) of the lead department, or an admin."""
    lead = getattr(target, "lead_agency_code", None)
    if p.has_role("admin"):
        return True
    return lead is not None and p.agency_code == lead and (p.has_role("officer") or p.has_scope("documents"))


@rule("documents.contribute")
def _contribute(p: Principal, target: Any) -> bool:
    """Add a note of a cooperating department's contribution."""
    return p.has_role("officer") and p.agency_code is not None and p.agency_code in _agencies_of(target)


@rule("documents.train")
def _train(p: Principal, _t: Any) -> bool:
    """Retrain the routing model."""
    return p.has_role("admin", "analyst")
