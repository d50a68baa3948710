"""Role × action matrix: every named permission, every kind of principal."""

from dataclasses import dataclass

import pytest

import dieuhanh.documents.permissions  # noqa: F401 (registers the documents rules, as documents/module.py does)
import dieuhanh.modules  # noqa: F401  (every domain module registers its own permissions at import)
from dieuhanh.core.errors import NotAuthenticated, PermissionDenied
from dieuhanh.core.security import ANONYMOUS, RULES, Principal, allowed, authorize

ADMIN = Principal(kind="user", id=1, name="a", role="admin")
LEADER = Principal(kind="user", id=2, name="l", role="leader")
ANALYST = Principal(kind="user", id=3, name="n", role="analyst")
OFFICER_SYT = Principal(kind="user", id=4, name="o", role="officer", agency_code="SYT")
READ_TOKEN = Principal(kind="token", id=9, name="wall", scopes=frozenset({"read"}))
AGENCY_TOKEN = Principal(kind="token", id=10, name="syt-system", agency_code="SYT", scopes=frozenset({"datasets"}))
PS_TOKEN = Principal(kind="token", id=11, name="motcua", scopes=frozenset({"publicservices"}))
PS_TOKEN_SYT = Principal(kind="token", id=12, name="motcua-syt", agency_code="SYT",
                         scopes=frozenset({"publicservices"}))
OPEN311_TOKEN = Principal(kind="token", id=13, name="app", scopes=frozenset({"open311"}))
EVENTS_TOKEN = Principal(kind="token", id=14, name="camera-vendor", scopes=frozenset({"events"}))
EVENTS_TOKEN_SYT = Principal(kind="token", id=15, name="syt-sensors", agency_code="SYT", scopes=frozenset({"events"}))


@dataclass(frozen=True)
class _Document:
    """A document's parts the documents rules read: its lead department (and cooperating ones)."""

    lead_agency_code: str
    assignments: tuple[object, ...] = ()


DOC_SYT, DOC_SGDDT = _Document("SYT"), _Document("SGDDT")

PRINCIPALS = {
    "admin": ADMIN, "leader": LEADER, "analyst": ANALYST, "officer": OFFICER_SYT, "anonymous": ANONYMOUS,
    "read_token": READ_TOKEN, "agency_token": AGENCY_TOKEN, "ps_token": PS_TOKEN, "ps_token_syt": PS_TOKEN_SYT,
    "open311_token": OPEN311_TOKEN, "events_token": EVENTS_TOKEN, "events_token_syt": EVENTS_TOKEN_SYT,
}

# (action, target) -> principals allowed; every other principal is refused.
MATRIX = {
    ("user.manage", None): {"admin"},
    ("token.manage", None): {"admin"},
    ("audit.read", None): {"admin"},
    ("agency.create", None): {"admin"},
    ("agency.update", "SYT"): {"admin", "officer"},
    ("agency.update", "SGDDT"): {"admin"},
    ("geo.import_boundaries", None): {"admin"},
    # Data platform: TKT-owned target for the agency-scoped rules (the agency token belongs to SYT).
    ("dataset.create", "SYT"): {"admin", "analyst", "officer", "agency_token"},
    ("dataset.create", "TKT"): {"admin", "analyst"},
    ("dataset.load", "SYT"): {"admin", "analyst", "officer", "agency_token"},
    ("dataset.load", "TKT"): {"admin", "analyst"},
    ("dataset.rollback", "SYT"): {"admin", "analyst", "officer"},
    ("dataset.publish", "SYT"): {"admin", "analyst", "officer"},
    ("dataset.publish", "TKT"): {"admin", "analyst"},
    ("dataset.review_pii", None): {"admin", "analyst"},
    ("dataset.decide_access", "SYT"): {"admin", "officer"},
    ("dataset.decide_access", "TKT"): {"admin"},
    ("dataset.request_access", None): {"officer"},
    ("dataset.request_update", None): {"admin", "leader", "analyst"},
    ("query.run", None): {"admin", "leader", "analyst", "read_token"},
    ("officials.read", None): {"admin", "leader", "analyst", "officer", "read_token"},
    ("public.read", None): set(PRINCIPALS),
    ("source.manage", "SYT"): {"admin", "analyst", "officer"},
    ("source.manage", "SGDDT"): {"admin", "analyst"},
    ("source.read", None): {"admin", "leader", "analyst", "officer"},
    ("source.read", "SGDDT"): {"admin", "leader", "analyst"},
    # Alerts and directives (alerts/).
    ("alert.manage", None): {"admin", "analyst"},
    ("alert.ack", None): {"admin", "leader", "analyst"},
    ("directive.create", None): {"admin", "leader"},
    ("directive.update", "SYT"): {"admin", "officer"},
    ("directive.update", "SGDDT"): {"admin"},
    # Indicators
    ("indicator.define", None): {"admin", "analyst"},
    ("indicator.compute", None): {"admin", "analyst"},
    # Periodic department reports (reporting/)
    ("report.read", None): {"admin", "leader", "analyst", "officer", "read_token", "agency_token"},
    ("report.read_all", None): {"admin", "leader", "analyst", "read_token"},
    ("report.manage", None): {"admin", "analyst"},
    ("report.submit", "SYT"): {"admin", "officer", "agency_token"},
    ("report.submit", "SGDDT"): {"admin"},
    # Boards (dashboard/)
    ("board.manage", None): {"admin", "analyst"},
    # Public services (publicservices/): pushing needs a token with the publicservices scope (PS_TOKEN)
    ("publicservices.sync", None): {"admin", "ps_token", "ps_token_syt"},  # may push at all (records checked)
    ("publicservices.sync", "SYT"): {"admin", "ps_token", "ps_token_syt"},
    ("publicservices.sync", "SGDDT"): {"admin", "ps_token"},
    ("publicservices.read", None): {"admin", "leader", "analyst", "officer", "read_token"},
    ("publicservices.dossiers", None): {"admin", "leader", "analyst", "read_token"},
    ("publicservices.dossiers", "SYT"): {"admin", "leader", "analyst", "officer", "read_token"},
    ("publicservices.dossiers", "SGDDT"): {"admin", "leader", "analyst", "read_token"},
    ("publicservices.personal", "SYT"): {"officer"},
    ("publicservices.personal", "SGDDT"): set(),
    # Citizen field reports (feedback/)
    ("feedback.handle", "SYT"): {"admin", "officer"},
    ("feedback.handle", "SGDDT"): {"admin"},
    ("feedback.manage", None): {"admin"},
    ("feedback.read_internal", "SYT"): {"admin", "leader", "officer"},
    ("feedback.read_internal", "SGDDT"): {"admin", "leader"},
    ("feedback.contact", "SYT"): {"officer"},
    ("feedback.contact", "SGDDT"): set(),
    ("feedback.open311", None): {"open311_token"},
    # Operations room (operations/)
    ("events.push", None): {"admin", "officer", "events_token", "events_token_syt"},
    ("events.push", "SYT"): {"admin", "officer", "events_token", "events_token_syt"},
    ("events.push", "SGDDT"): {"admin", "officer", "events_token"},
    ("events.read", None): {"admin", "leader", "analyst", "officer", "read_token", "events_token", "events_token_syt"},
    ("events.manage", None): {"admin", "analyst"},
    ("camera.manage", "SYT"): {"admin", "analyst", "events_token", "events_token_syt"},
    ("camera.manage", "SGDDT"): {"admin", "analyst", "events_token"},
    ("incident.create", None): {"admin", "leader", "officer"},
    ("incident.handle", "SYT"): {"admin", "officer"},
    ("incident.handle", "SGDDT"): {"admin"},
    ("incident.direct", "SYT"): {"admin", "leader", "officer"},
    ("incident.direct", "SGDDT"): {"admin", "leader"},
    # Forecasting (forecasting/)
    ("forecast.refresh", None): {"admin", "analyst"},
    ("forecast.scenario.manage", None): {"admin", "analyst"},
    # Incoming documents (documents/): the office's clerks and the e-office token register (tested in
    # tests/documents); a department sees and works only the documents it has a part in.
    ("documents.register", None): {"admin", "leader"},
    ("documents.read", None): {"admin", "leader", "analyst", "officer", "read_token"},
    ("documents.read", DOC_SYT): {"admin", "leader", "analyst", "officer", "read_token"},
    ("documents.read", DOC_SGDDT): {"admin", "leader", "analyst", "read_token"},
    ("documents.assign", None): {"admin", "leader"},
    ("documents.handle", DOC_SYT): {"admin", "officer"},
    ("documents.handle", DOC_SGDDT): {"admin"},
    ("documents.contribute", DOC_SYT): {"officer"},
    ("documents.contribute", DOC_SGDDT): set(),
    ("documents.train", None): {"admin", "analyst"},
    # DTI (issue 23): a unit's form is read by leadership, analysts, read tokens and that unit's officers; answered
    # only by that unit's officers (admins for support); reviewed, defined and run by analysts.
    ("dti.form.read", "SYT"): {"admin", "analyst", "leader", "officer", "read_token"},
    ("dti.form.read", "SGDDT"): {"admin", "analyst", "leader", "read_token"},
    ("dti.form.answer", "SYT"): {"admin", "officer"},
    ("dti.form.answer", "SGDDT"): {"admin"},
    ("dti.review", None): {"admin", "analyst"},
    ("dti.framework.define", None): {"admin", "analyst"},
    ("dti.campaign.manage", None): {"admin", "analyst"},
    ("governance.write", None): {"admin", "analyst"},
    # Inspections (issue 21): an agency submits its own plan; the merged plan is read by every official (each
    # agency must see what collides with its visits); the inspectorate's leadership optimises and signs.
    ("inspections.submit", "SYT"): {"admin", "officer"},
    ("inspections.submit", "SGDDT"): {"admin"},
    ("inspections.read", None): {"admin", "analyst", "leader", "officer", "read_token"},
    ("inspections.review", None): {"admin", "analyst"},
    ("inspections.sign", None): {"admin", "leader"},
    ("inspections.optimise", None): {"admin", "leader"},
    # Air quality (issue 19): VN_AQI is public; readings come from the network's token (scope environment).
    ("environment.read", None): set(PRINCIPALS),
    ("environment.officials", None): {"admin", "analyst", "leader", "officer", "read_token"},
    ("environment.push", None): {"admin"},
    ("environment.station.manage", None): {"admin", "analyst"},
}


@pytest.mark.parametrize(("action", "target"), list(MATRIX))
@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_role_action_matrix(action, target, who):
    principal = PRINCIPALS[who]
    expected = who in MATRIX[(action, target)]
    assert allowed(principal, action, target) is expected
    if expected:
        authorize(principal, action, target)
    else:
        with pytest.raises(NotAuthenticated if who == "anonymous" else PermissionDenied):
            authorize(principal, action, target)


def test_every_registered_permission_is_in_the_matrix():
    assert {action for action, _ in MATRIX} == set(RULES) - {"user.change_own_password"}


def test_unknown_permission_is_a_programming_error():
    with pytest.raises(RuntimeError):
        authorize(ADMIN, "no.such.action")
