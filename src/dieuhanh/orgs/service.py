"""Agencies, users, API tokens and sign-in. Every write authorises first and writes its audit row."""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, FieldError, InvalidInput, NotAuthenticated, NotFound, TooManyRequests
from dieuhanh.core.security import (
    Principal,
    authorize,
    generate_password,
    generate_token,
    hash_password,
    hash_token,
    verify_password,
)
from dieuhanh.orgs.catalogue import DEPARTMENTS, PROVINCE_COMMITTEE, SECTORS, commune_agency_code
from dieuhanh.orgs.models import Agency, ApiToken, User
from dieuhanh.orgs.schemas import AgencyIn, AgencyUpdate, TokenIn, UserIn

# ------------------------------------------------------------------------------------------------ agencies


def commune_committee_name(commune_name: str) -> str:
    """The People's Committee of "Xã Định Hóa" is "UBND xã Định Hóa" (xã, phường in lower case after UBND)."""
    return f"UBND {commune_name[:1].lower()}{commune_name[1:]}"


def ensure_agencies(session: Session, *, communes: list[tuple[str, str]]) -> int:
    """Create the standard agencies and one People's Committee per commune; idempotent. Returns how many new."""
    existing = set(session.scalars(select(Agency.code)))
    wanted: list[Agency] = [Agency(code=PROVINCE_COMMITTEE[0], name=PROVINCE_COMMITTEE[1], kind="province")]
    wanted += [Agency(code=c, name=n, kind="department") for c, n in DEPARTMENTS]
    wanted += [Agency(code=c, name=n, kind="sector") for c, n in SECTORS]
    wanted += [
        Agency(code=commune_agency_code(code), name=commune_committee_name(name), kind="commune", unit_code=code)
        for code, name in communes
    ]
    new = [a for a in wanted if a.code not in existing]
    session.add_all(new)
    # Names made before the spelling was fixed ("UBND Xã Định Hóa") read "UBND xã Định Hóa".
    for agency, (_code, name) in zip(wanted[-len(communes):] if communes else [], communes, strict=True):
        if agency.code in existing:
            old = session.get(Agency, agency.code)
            if old is not None and old.name == f"UBND {name}" and old.name != agency.name:
                old.name = agency.name
    if new:
        audit.record(
            session, actor="system", action="agency.bootstrap", entity_type="agency",
            after={"created": len(new)},
        )
    return len(new)


def list_agencies(
    session: Session, *, q: str | None = None, kind: str | None = None, page: int = 1, page_size: int = 200
) -> tuple[list[Agency], int]:
    from dieuhanh.geo.reference import normalize

    query = select(Agency).where(Agency.is_active.is_(True))
    if kind:
        query = query.where(Agency.kind == kind)
    rows = list(session.scalars(query.order_by(Agency.kind, Agency.code)))
    order = {"province": 0, "department": 1, "sector": 2, "commune": 3}
    rows.sort(key=lambda a: (order.get(a.kind, 9), a.code))
    if q:
        needle = normalize(q)
        rows = [a for a in rows if needle in normalize(a.name) or needle in a.code.lower()]
    total = len(rows)
    return rows[(page - 1) * page_size : page * page_size], total


def get_agency(session: Session, code: str) -> Agency:
    agency = session.get(Agency, code)
    if agency is None:
        raise NotFound(f"Không tìm thấy cơ quan có mã '{code}'.")
    return agency


def _agency_snapshot(a: Agency) -> dict:
    return {k: getattr(a, k) for k in ("code", "name", "kind", "unit_code", "address", "phone", "email", "website")}


def update_agency(session: Session, *, principal: Principal, code: str, data: AgencyUpdate) -> Agency:
    agency = get_agency(session, code)
    authorize(principal, "agency.update", agency)
    before = _agency_snapshot(agency)
    for key, value in data.model_dump(exclude_unset=True).items():
        if key == "name" and not value:
            raise InvalidInput("Tên cơ quan không được để trống.", errors=[FieldError("Bắt buộc.", field="name")])
        setattr(agency, key, value if value != "" else None)
    audit.record(
        session, actor=principal.actor, action="agency.update", entity_type="agency", entity_id=code,
        before=before, after=_agency_snapshot(agency),
    )
    return agency


def create_agency(session: Session, *, principal: Principal, data: AgencyIn) -> Agency:
    authorize(principal, "agency.create")
    if session.get(Agency, data.code):
        raise Conflict(f"Mã cơ quan '{data.code}' đã tồn tại.")
    agency = Agency(**data.model_dump())
    session.add(agency)
    session.flush()
    audit.record(
        session, actor=principal.actor, action="agency.create", entity_type="agency", entity_id=agency.code,
        after=_agency_snapshot(agency),
    )
    return agency


# ------------------------------------------------------------------------------------------------ users


def _user_snapshot(u: User) -> dict:
    return {k: getattr(u, k) for k in ("username", "full_name", "role", "agency_code", "is_active", "email")}


def create_user(session: Session, *, principal: Principal, user_in: UserIn) -> tuple[User, str]:
    """Returns the user and the password (generated when none was given, to be shown once)."""
    authorize(principal, "user.manage")
    if user_in.role == "officer" and not user_in.agency_code:
        raise InvalidInput("Cán bộ (officer) phải thuộc một cơ quan: hãy chọn cơ quan (--agency MÃ).")
    if user_in.agency_code:
        get_agency(session, user_in.agency_code)
    if session.scalar(select(User).where(func.lower(User.username) == user_in.username.lower())):
        raise Conflict(f"Tên đăng nhập '{user_in.username}' đã có người dùng.")
    password = user_in.password or generate_password()
    user = User(
        username=user_in.username,
        full_name=user_in.full_name,
        email=user_in.email,
        role=user_in.role,
        agency_code=user_in.agency_code,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor=principal.actor, action="user.create", entity_type="user", entity_id=user.id,
        after=_user_snapshot(user),
    )
    return user, password


def list_users(session: Session, *, principal: Principal) -> list[User]:
    authorize(principal, "user.manage")
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng.")
    return user


def set_user_active(session: Session, *, principal: Principal, user_id: int, active: bool) -> User:
    authorize(principal, "user.manage")
    user = get_user(session, user_id)
    if principal.kind == "user" and principal.id == user.id and not active:
        raise InvalidInput("Không thể tự khóa tài khoản của chính mình.")
    before = _user_snapshot(user)
    user.is_active = active
    audit.record(
        session, actor=principal.actor, action="user.activate" if active else "user.deactivate",
        entity_type="user", entity_id=user.id, before=before, after=_user_snapshot(user),
    )
    return user


def reset_password(session: Session, *, principal: Principal, user_id: int) -> tuple[User, str]:
    authorize(principal, "user.manage")
    user = get_user(session, user_id)
    password = generate_password()
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor=principal.actor, action="user.reset_password", entity_type="user", entity_id=user.id)
    return user, password


def change_own_password(session: Session, *, principal: Principal, old: str, new: str) -> None:
    user = get_user(session, principal.id or 0)
    authorize(principal, "user.change_own_password", user)
    if not verify_password(old, user.password_hash):
        raise InvalidInput("Mật khẩu hiện tại không đúng.")
    if len(new) < 10:
        raise InvalidInput("Mật khẩu mới phải có ít nhất 10 ký tự.")
    user.password_hash = hash_password(new)
    audit.record(session, actor=principal.actor, action="user.change_password", entity_type="user", entity_id=user.id)


def principal_for_user(user: User) -> Principal:
    return Principal(kind="user", id=user.id, name=user.username, role=user.role, agency_code=user.agency_code)


class LoginThrottle:
    """Failures in a sliding window, per client address (4 × the limit, all accounts) and per account *and*
    address (the limit): a stranger typing wrong passwords for the admin locks only himself out, never the
    admin signing in from elsewhere."""

    def __init__(self, max_failures: int, window_seconds: int):
        self.per_account = max_failures
        self.max_failures = max_failures * 4
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        q = self._failures.get(key)
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def check(self, ip: str, username: str | None = None) -> None:
        with self._lock:
            now = time.monotonic()
            q = self._recent(ip, now)
            if q and len(q) >= self.max_failures:
                wait = int(self.window - (now - q[0])) + 1
                raise TooManyRequests(
                    f"Đăng nhập sai quá nhiều lần từ địa chỉ này. Vui lòng thử lại sau {max(1, wait // 60)} phút."
                )
            if username:
                q = self._recent(f"{ip}|{username.strip().lower()}", now)
                if q and len(q) >= self.per_account:
                    wait = int(self.window - (now - q[0])) + 1
                    raise TooManyRequests(
                        f"Tài khoản tạm khóa trên máy này do đăng nhập sai nhiều lần. Vui lòng thử lại sau "
                        f"{max(1, wait // 60)} phút."
                    )

    def fail(self, ip: str, username: str | None = None) -> None:
        with self._lock:
            now = time.monotonic()
            self._failures.setdefault(ip, deque()).append(now)
            if username:
                self._failures.setdefault(f"{ip}|{username.strip().lower()}", deque()).append(now)


# Verified when the user does not exist, so that an unknown name costs the same time as a wrong password
# (no 300 ms vs 7 ms difference telling which accounts exist).
@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    import secrets

    return hash_password(secrets.token_urlsafe(16))


def authenticate(
    session: Session, *, username: str, password: str, max_failures: int, lockout_seconds: int
) -> User:
    """Check a password. Wrong passwords count towards a temporary lock of the account."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise TooManyRequests(
            f"Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau {minutes} phút."
        )
    # Lockout is per account *and* source (LoginThrottle): a wrong password only counts here.
    if user is None:
        verify_password(password, _dummy_hash())
        raise NotAuthenticated("Tên đăng nhập hoặc mật khẩu không đúng.")
    if not verify_password(password, user.password_hash):
        user.failed_logins += 1
        raise NotAuthenticated("Tên đăng nhập hoặc mật khẩu không đúng.")
    if not user.is_active:
        raise NotAuthenticated("Tài khoản đã bị khóa. Hãy liên hệ quản trị hệ thống.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, actor=f"user:{user.username}", action="user.login", entity_type="user", entity_id=user.id)
    return user


# ------------------------------------------------------------------------------------------------ tokens


def _token_snapshot(t: ApiToken) -> dict:
    return {"name": t.name, "agency_code": t.agency_code, "scopes": list(t.scopes), "prefix": t.prefix}


def create_token(session: Session, *, principal: Principal, token_in: TokenIn) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, shown once and stored only as a hash."""
    authorize(principal, "token.manage")
    if token_in.agency_code:
        get_agency(session, token_in.agency_code)
    if not token_in.scopes:
        raise InvalidInput(
            "Cần ít nhất một phạm vi (--scope): read, datasets, publicservices hoặc open311."
        )
    if "datasets" in token_in.scopes and not token_in.agency_code:
        raise InvalidInput("Mã truy cập phạm vi 'datasets' phải gắn với một cơ quan (--agency MÃ).")
    secret = generate_token()
    token = ApiToken(
        name=token_in.name,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        agency_code=token_in.agency_code,
        scopes=token_in.scopes,
        created_by=principal.actor,
        expires_at=token_in.expires_at.replace(tzinfo=None) if token_in.expires_at else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session, actor=principal.actor, action="token.create", entity_type="api_token", entity_id=token.id,
        after=_token_snapshot(token),
    )
    return token, secret


def list_tokens(session: Session, *, principal: Principal) -> list[ApiToken]:
    authorize(principal, "token.manage")
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, *, principal: Principal, token_id: int) -> ApiToken:
    authorize(principal, "token.manage")
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"Không tìm thấy mã truy cập số {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session, actor=principal.actor, action="token.revoke", entity_type="api_token", entity_id=token.id,
            before=_token_snapshot(token),
        )
    return token


def principal_for_token(session: Session, secret: str) -> Principal:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret.strip())))
    if token is None:
        raise NotAuthenticated("Mã truy cập (token) không hợp lệ.")
    if token.revoked_at is not None:
        raise NotAuthenticated("Mã truy cập (token) đã bị thu hồi.")
    if token.expires_at is not None and token.expires_at <= utcnow():
        raise NotAuthenticated("Mã truy cập (token) đã hết hạn.")
    now = utcnow()
    # Write last-used at most once a minute: a busy system pushing every second should not rewrite the row.
    if token.last_used_at is None or now - token.last_used_at > timedelta(seconds=60):
        token.last_used_at = now
    return Principal(
        kind="token", id=token.id, name=token.name, agency_code=token.agency_code, scopes=frozenset(token.scopes),
    )
