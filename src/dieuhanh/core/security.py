"""Identity and authorisation.

One authorisation function per named action (see CKAN's logic/auth): every write calls
``authorize(principal, "agency.update", target)`` before it touches anything, whether it comes from a page,
the JSON API or the CLI. A permission is a name you can grep for and test in a role × action matrix.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from dieuhanh.core.errors import NotAuthenticated, PermissionDenied

ROLES = ("admin", "leader", "analyst", "officer")
ROLE_LABELS = {
    "admin": "Quản trị hệ thống",
    "leader": "Lãnh đạo",
    "analyst": "Chuyên viên phân tích",
    "officer": "Cán bộ cơ quan",
}
# Token scopes: what a system may do with its token.
SCOPES = {
    "read": "Đọc mọi dữ liệu như lãnh đạo (màn hình điều hành, công cụ BI)",
    "datasets": "Khai báo và nạp dữ liệu của cơ quan mình",
    "publicservices": "Đồng bộ thủ tục, hồ sơ TTHC",
    "open311": "Gửi và đọc phản ánh qua Open311",
    "reports": "Nộp báo cáo định kỳ của cơ quan mình",
    "events": "Gửi sự kiện (cảm biến, camera, công an, thời tiết) vào phòng điều hành",
    "environment": "Khai báo trạm và gửi số liệu quan trắc môi trường",
    "documents": "Đẩy văn bản đến từ hệ thống quản lý văn bản",
    "inspections": "Gửi kế hoạch thanh tra, kiểm tra doanh nghiệp của cơ quan mình",
}

_hasher = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password, password_hash)
    except Exception:
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


TOKEN_PREFIX = "dh_"


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough (no dictionary to attack), and lookup is by hash.
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user, a system with a token, or the anonymous public."""

    kind: str  # "user" | "token" | "anonymous" | "system"
    id: int | None = None
    name: str = "anonymous"
    role: str | None = None
    agency_code: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        """The audit log's name for this principal."""
        if self.kind == "user":
            return f"user:{self.name}"
        if self.kind == "token":
            return f"token:{self.id}:{self.name}"
        return self.kind

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    def has_role(self, *roles: str) -> bool:
        return self.kind in ("user", "system") and self.role in roles

    def has_scope(self, scope: str) -> bool:
        return self.kind == "token" and scope in self.scopes

    def can_read_all(self) -> bool:
        """Leaders, admins, analysts and read-scoped tokens see everything an official sees."""
        return self.has_role("admin", "leader", "analyst") or self.has_scope("read")


ANONYMOUS = Principal(kind="anonymous")
# The CLI runs on the server with the operator's rights (like `manage.py` elsewhere).
SYSTEM = Principal(kind="system", name="cli", role="admin")


Rule = Callable[[Principal, Any], bool]
RULES: dict[str, Rule] = {}


def rule(action: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        if action in RULES:
            raise RuntimeError(f"permission {action} registered twice")
        RULES[action] = fn
        return fn

    return register


def _target_agency(target: Any) -> str | None:
    if target is None:
        return None
    if isinstance(target, str):
        return target
    return getattr(target, "agency_code", None) or getattr(target, "owner_agency", None) or getattr(
        target, "code", None
    )


def acts_for_agency(principal: Principal, target: Any) -> bool:
    """An officer (or an agency token) acts only for its own agency."""
    agency = _target_agency(target)
    return principal.agency_code is not None and agency is not None and principal.agency_code == agency


def authorize(principal: Principal, action: str, target: Any = None) -> None:
    check = RULES.get(action)
    if check is None:
        raise RuntimeError(f"unknown permission {action!r}")
    if check(principal, target):
        return
    if not principal.is_authenticated:
        raise NotAuthenticated("Bạn cần đăng nhập để thực hiện thao tác này.")
    raise PermissionDenied("Bạn không có quyền thực hiện thao tác này.")


def allowed(principal: Principal, action: str, target: Any = None) -> bool:
    check = RULES.get(action)
    return bool(check and check(principal, target))


# --- foundation permissions -------------------------------------------------------------------------

@rule("user.manage")
def _user_manage(p: Principal, _t: Any) -> bool:
    return p.has_role("admin")


@rule("user.change_own_password")
def _user_own_password(p: Principal, target: Any) -> bool:
    return p.kind == "user" and target is not None and getattr(target, "id", None) == p.id


@rule("token.manage")
def _token_manage(p: Principal, _t: Any) -> bool:
    return p.has_role("admin")


@rule("audit.read")
def _audit_read(p: Principal, _t: Any) -> bool:
    return p.has_role("admin")


@rule("agency.create")
def _agency_create(p: Principal, _t: Any) -> bool:
    return p.has_role("admin")


@rule("agency.update")
def _agency_update(p: Principal, target: Any) -> bool:
    return p.has_role("admin") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("geo.import_boundaries")
def _geo_import(p: Principal, _t: Any) -> bool:
    return p.has_role("admin")


@rule("officials.read")
def _officials_read(p: Principal, _t: Any) -> bool:
    """Pages only officials see (anything behind login)."""
    return p.kind in ("user", "system") or p.has_scope("read")


@rule("public.read")
def _public_read(_p: Principal, _t: Any) -> bool:
    return True


# --- data platform permissions (catalog, ingest, sharing, query) -----------------------------------


def _owner_side(p: Principal, target: Any) -> bool:
    """An officer of the owner agency, or a system token of that agency with the datasets scope."""
    if p.has_role("officer") and acts_for_agency(p, target):
        return True
    return p.has_scope("datasets") and acts_for_agency(p, target)


@rule("dataset.create")
def _dataset_create(p: Principal, target: Any) -> bool:
    return p.has_role("admin", "analyst") or _owner_side(p, target)


@rule("dataset.load")
def _dataset_load(p: Principal, target: Any) -> bool:
    return p.has_role("admin", "analyst") or _owner_side(p, target)


@rule("dataset.rollback")
def _dataset_rollback(p: Principal, target: Any) -> bool:
    return p.has_role("admin", "analyst") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("dataset.publish")
def _dataset_publish(p: Principal, target: Any) -> bool:
    return p.has_role("admin", "analyst") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("dataset.review_pii")
def _dataset_review_pii(p: Principal, _t: Any) -> bool:
    return p.has_role("admin", "analyst")


@rule("dataset.decide_access")
def _dataset_decide(p: Principal, target: Any) -> bool:
    """The owner agency approves or denies requests for its restricted data (admins may too)."""
    return p.has_role("admin") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("dataset.request_access")
def _dataset_request(p: Principal, _t: Any) -> bool:
    return p.has_role("officer") and p.agency_code is not None


@rule("dataset.request_update")
def _dataset_request_update(p: Principal, _t: Any) -> bool:
    return p.has_role("admin", "analyst", "leader")


@rule("query.run")
def _query_run(p: Principal, _t: Any) -> bool:
    return p.has_role("admin", "leader", "analyst") or p.has_scope("read")


# --- unattended inputs (ingest: scheduled REST pulls, MQTT subscriptions, dead letters) -----------


@rule("source.manage")
def _source_manage(p: Principal, target: Any) -> bool:
    """Define, change and run a pull source or MQTT subscription: analysts, or the owner agency's officer."""
    return p.has_role("admin", "analyst") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("source.read")
def _source_read(p: Principal, target: Any) -> bool:
    """See sources, their runs and dead letters. Officers open the pages and see their own agency's rows."""
    if p.has_role("admin", "leader", "analyst"):
        return True
    return p.has_role("officer") and (target is None or acts_for_agency(p, target))


# --- indicators (bộ chỉ số điều hành) ----------------------------------------------------------------


@rule("indicator.define")
def _indicator_define(p: Principal, _t: Any) -> bool:
    """Write or change an indicator definition (and load the built-in library)."""
    return p.has_role("admin", "analyst")


@rule("indicator.compute")
def _indicator_compute(p: Principal, _t: Any) -> bool:
    """Recompute indicator values on demand (the scheduler and the CLI act as the system)."""
    return p.has_role("admin", "analyst") or p.kind == "system"


# --- alerts and directives (alerts/) ---------------------------------------------------------------


@rule("alert.manage")
def _alert_manage(p: Principal, _t: Any) -> bool:
    """Define alert rules and silences."""
    return p.has_role("admin", "analyst")


@rule("alert.ack")
def _alert_ack(p: Principal, _t: Any) -> bool:
    return p.has_role("admin", "leader", "analyst")


@rule("directive.create")
def _directive_create(p: Principal, _t: Any) -> bool:
    return p.has_role("admin", "leader")


@rule("directive.update")
def _directive_update(p: Principal, target: Any) -> bool:
    """Progress and closing: an officer of the addressed agency (or an admin)."""
    return p.has_role("admin") or (p.has_role("officer") and acts_for_agency(p, target))


# --- department periodic reports (reporting/) ------------------------------------------------------


@rule("report.read")
def _report_read(p: Principal, _t: Any) -> bool:
    """See report types, submissions and the late list (officers and agency tokens: their own agency's)."""
    return p.kind in ("user", "system") or p.has_scope("read") or p.has_scope("reports") or p.has_scope("datasets")


@rule("report.read_all")
def _report_read_all(p: Principal, _t: Any) -> bool:
    """Overview of every agency's reports."""
    return p.has_role("admin", "leader", "analyst") or p.has_scope("read")


@rule("report.manage")
def _report_manage(p: Principal, _t: Any) -> bool:
    """Define report types (template fields, due day) and assign them to agencies."""
    return p.has_role("admin", "analyst")


@rule("report.submit")
def _report_submit(p: Principal, target: Any) -> bool:
    """Submit a report for an agency: an officer or an agency token (scope reports or datasets) of that agency."""
    if p.has_role("admin"):
        return True
    if p.has_role("officer") and acts_for_agency(p, target):
        return True
    return (p.has_scope("reports") or p.has_scope("datasets")) and acts_for_agency(p, target)


# --- dashboard: boards, wall, exports (dashboard/) -------------------------------------------------


@rule("board.manage")
def _board_manage(p: Principal, _t: Any) -> bool:
    """Arrange boards (which indicators, in which order, which charts): analysts and admins."""
    return p.has_role("admin", "analyst")


# --- public services: procedures, dossiers, Decision 766 (publicservices/) -------------------------


@rule("publicservices.sync")
def _ps_sync(p: Principal, target: Any) -> bool:
    """Push or import procedures and dossiers. Target: the record's agency code (None: the capability itself).

    Admins (session or CLI); a system token with the ``publicservices`` scope — without an agency for every
    agency's records, with one only for that agency's records."""
    if p.has_role("admin"):
        return True
    if not p.has_scope("publicservices"):
        return False
    return p.agency_code is None or target is None or acts_for_agency(p, target)


@rule("publicservices.read")
def _ps_read(p: Principal, _t: Any) -> bool:
    """Scores and indicators of the public-services board (officials and read tokens)."""
    return p.kind in ("user", "system") or p.has_scope("read")


@rule("publicservices.dossiers")
def _ps_dossiers(p: Principal, target: Any) -> bool:
    """Lists of dossiers (no personal fields). Target: the agency whose dossiers are listed (None: all).

    Leaders, analysts, admins and read tokens see every agency's; an officer only their own agency's."""
    if p.can_read_all() or p.kind == "system":
        return True
    return p.has_role("officer") and target is not None and acts_for_agency(p, target)


@rule("publicservices.personal")
def _ps_personal(p: Principal, target: Any) -> bool:
    """Personal fields of a dossier (owner, ID numbers, phone, address): only officials of its agency —
    not leaders, analysts or admins (like PII columns of the catalog). Target: the dossier or its agency."""
    return p.has_role("officer") and acts_for_agency(p, getattr(target, "ma_co_quan", target))


# --- citizen field reports (feedback/) -------------------------------------------------------------


@rule("feedback.handle")
def _feedback_handle(p: Principal, target: Any) -> bool:
    """Work a report (accept, answer, forward, merge...): an officer of the responsible agency, or an admin."""
    return p.has_role("admin") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("feedback.manage")
def _feedback_manage(p: Principal, _t: Any) -> bool:
    """Categories, routing rules and handling deadlines."""
    return p.has_role("admin")


@rule("feedback.read_internal")
def _feedback_read_internal(p: Principal, target: Any) -> bool:
    """See a report's internal notes: its agency's officers, admins and leaders."""
    return p.has_role("admin", "leader") or (p.has_role("officer") and acts_for_agency(p, target))


@rule("feedback.contact")
def _feedback_contact(p: Principal, target: Any) -> bool:
    """The citizen's contact given with a report (name, phone, e-mail, device, account): personal data, so only the
    officers of the report's agency — not leaders or admins (like dossiers' personal fields and PII columns)."""
    return p.has_role("officer") and acts_for_agency(p, target)


@rule("feedback.open311")
def _feedback_open311(p: Principal, _t: Any) -> bool:
    """Post reports through Open311: a token with the open311 scope."""
    return p.has_scope("open311")
