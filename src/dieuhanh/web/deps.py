"""Request dependencies shared by every module's routes: database session, principal, CSRF."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import NotAuthenticated, PermissionDenied, TooLarge
from dieuhanh.core.security import ANONYMOUS, Principal, constant_time_equal
from dieuhanh.orgs import service as orgs_service
from dieuhanh.orgs.models import User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


_WROTE = "dieuhanh_wrote"


@event.listens_for(Session, "after_flush")
def _mark_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


_WROTE_STATEMENT = "dieuhanh_wrote_statement"


@event.listens_for(Session, "do_orm_execute")
def _mark_statement(state: Any) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True  # UPDATE/DELETE/INSERT or text: may have written
        state.session.info[_WROTE_STATEMENT] = True


def wrote(session: Session) -> bool:
    """Whether the session may have written (its commit may wait on a lock or the disk)."""
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


async def _db(request: Request) -> AsyncIterator[Session]:
    """The request's session. An async dependency, so it costs no thread-pool hop: creating a session does no I/O
    (the connection is taken by the first statement, in the endpoint's thread). The end of a request that only
    read is a no-op commit and runs here; a commit after writes may wait (SQLite's write lock, fsync) and goes
    to the thread pool, never blocking the event loop."""
    session = request.app.state.db.session_factory()
    try:
        yield session
        if wrote(session):
            await run_in_threadpool(session.commit)
        else:
            session.commit()
    except BaseException:
        if wrote(session):
            await run_in_threadpool(session.rollback)
        else:
            session.rollback()
        raise
    finally:
        session.close()


# scope="function": the transaction commits before the response is sent, so a client never sees success
# for a change that then failed to commit.
DB = Annotated[Session, Depends(_db, scope="function")]


async def _principal(request: Request, db: DB) -> Principal:
    """The caller. Async, so it costs no thread-pool hop when the signed-in user is known: a user's checked session
    is kept in memory (``_SIGNED_IN``) for at most ``SIGNED_IN_TTL`` seconds and forgotten as soon as this process
    commits a change to users, sessions or agencies (sign-out, deactivation, password change); checking a session
    and any bearer token (whose use is written) runs in the thread pool. Nothing here waits on the connection pool
    in the event loop (the endpoints' threads return their connections through it)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = ANONYMOUS
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("Tiêu đề Authorization phải có dạng 'Bearer <mã truy cập>'.")
        principal = await run_in_threadpool(orgs_service.principal_for_token, db, value)
    else:
        user_id = request.session.get("user_id")
        if user_id is not None:
            database = request.app.state.db
            key = (id(database), database.url, user_id, request.session.get("sid"), request.session.get("pw"))
            found = _signed_in(key)
            if found is None:
                checked = await run_in_threadpool(_check_user, request, db, user_id)
                if checked is not None:
                    _remember(key, checked)
                    found = checked[0], checked[1]
            if found is not None:
                principal, request.state.user_display = found
            else:
                request.session.clear()
    request.state.principal = principal
    return principal


SIGNED_IN_TTL = 2.0  # seconds a checked session is believed without reading it again (changes made by other
# processes, e.g. `dieuhanh users` deactivating an account, apply within this time; this process's at once)
_SIGNED_IN: dict[Any, tuple[float, int, datetime, Principal, tuple[str, str]]] = {}
_signed_in_generation = 0
_signed_in_lock = threading.Lock()


def _signed_in(key: Any) -> tuple[Principal, tuple[str, str]] | None:
    entry = _SIGNED_IN.get(key)
    if entry is None:
        return None
    at, generation, expires, principal, display = entry
    if generation != _signed_in_generation or time.monotonic() - at > SIGNED_IN_TTL or utcnow() >= expires:
        _SIGNED_IN.pop(key, None)
        return None
    return principal, display


def _remember(key: Any, found: tuple[Principal, tuple[str, str], datetime]) -> None:
    with _signed_in_lock:
        if len(_SIGNED_IN) > 10_000:
            _SIGNED_IN.clear()
        _SIGNED_IN[key] = (time.monotonic(), _signed_in_generation, found[2], found[0], found[1])


def forget_signed_in() -> None:
    """Every kept session is read again at its next request."""
    global _signed_in_generation
    with _signed_in_lock:
        _signed_in_generation += 1
        _SIGNED_IN.clear()


def _check_user(request: Request, db: Session, user_id: int) -> tuple[Principal, tuple[str, str], datetime] | None:
    """(principal, what the layout shows, when the session expires), or None when the session is not valid."""
    user = db.get(User, user_id)
    expires = _live_session(request, db, user_id)
    if expires is None or user is None or not user.is_active or request.session.get("pw") != user.password_hash[-12:]:
        return None
    # The layout shows the user's full name and agency name (read now: the session may be gone when a page renders).
    return orgs_service.principal_for_user(user), (user.full_name, _agency_name(db, user.agency_code)), expires


_IDENTITY_TYPES: tuple[type, ...] = ()


@event.listens_for(Session, "after_flush")
def _note_identity_change(session: Session, _context: Any) -> None:
    global _IDENTITY_TYPES
    if not _IDENTITY_TYPES:
        from dieuhanh.orgs.models import Agency, UserSession

        _IDENTITY_TYPES = (User, UserSession, Agency)
    if any(isinstance(o, _IDENTITY_TYPES) for group in (session.new, session.dirty, session.deleted) for o in group):
        session.info["dieuhanh_identity_changed"] = True


@event.listens_for(Session, "after_commit")
def _identity_committed(session: Session) -> None:
    # After the commit: a session checked between flush and commit cannot outlive the change. A statement that
    # is not a SELECT (an UPDATE of user sessions, plain SQL) counts as a change too.
    if session.info.pop("dieuhanh_identity_changed", False) or session.info.get(_WROTE_STATEMENT):
        forget_signed_in()
    session.info.pop(_WROTE_STATEMENT, None)


@event.listens_for(Session, "after_rollback")
def _identity_rolled_back(session: Session) -> None:
    session.info.pop("dieuhanh_identity_changed", None)
    session.info.pop(_WROTE_STATEMENT, None)


def _live_session(request: Request, db: Session, user_id: int) -> datetime | None:
    """When the cookie's server-side session expires, if it exists, is the user's, was not revoked (logout) and is
    younger than the absolute lifetime; else None."""
    from datetime import timedelta

    from dieuhanh.orgs.models import UserSession

    sid = request.session.get("sid")
    row = db.get(UserSession, sid) if isinstance(sid, str) else None
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    expires: datetime = row.created_at + timedelta(seconds=int(request.app.state.settings.session_max_age_seconds))
    return expires if expires > utcnow() else None


def _agency_name(db: Session, code: str | None) -> str:
    if not code:
        return ""
    from dieuhanh.orgs.models import Agency

    agency = db.get(Agency, code)
    return agency.name if agency is not None else ""


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def require_login(principal: Principal) -> Principal:
    if not principal.is_authenticated:
        raise NotAuthenticated("Bạn cần đăng nhập.")
    return principal


async def _logged_in(principal: CurrentPrincipal) -> Principal:
    return require_login(principal)  # async: no thread-pool hop for a check


LoggedIn = Annotated[Principal, Depends(_logged_in)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def body_limit(request: Request) -> int:
    """The largest request body accepted on this path (a module's ``body_limits``, else MAX_UPLOAD_MB)."""
    for prefix, limit in getattr(request.app.state, "body_limits", ()):
        if request.url.path.startswith(prefix):
            return int(limit)
    return int(request.app.state.settings.max_upload_mb) * 1024 * 1024


async def read_body_limited(request: Request, max_bytes: int) -> bytes:
    """The request body, refusing (413) before reading more than ``max_bytes``.

    A declared Content-Length above the limit is refused without reading anything; a body sent in chunks is
    counted while it streams. The bytes are cached on the request so ``request.form()`` parses them after.
    """
    message = f"Dữ liệu gửi lên quá lớn (tối đa {max_bytes / (1024 * 1024):.0f} MB)."
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise TooLarge(message)
    if getattr(request, "_form", None) is not None:
        return b""  # FastAPI already parsed the form (routes with Form() parameters): nothing left to read
    cached = getattr(request, "_body", None)
    if cached is not None:
        if len(cached) > max_bytes:
            raise TooLarge(message)
        return cached  # type: ignore[no-any-return]
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(message)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette parses request.form() from this cache
    return body


async def csrf_protect(request: Request) -> None:
    """Unsafe requests that may carry the session cookie must prove they come from our own pages.

    Callers with a Bearer token, and paths a module declares token-only, are exempt: they carry no ambient
    authority a third-party page could borrow.
    """
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    if request.url.path.startswith(request.app.state.csrf_exempt_prefixes):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    refused = PermissionDenied(
        "Yêu cầu bị từ chối vì thiếu hoặc sai mã chống giả mạo (CSRF). Hãy tải lại trang rồi thử lại."
    )
    if not expected:
        raise refused  # without reading the body
    if not sent and (
        content_type.startswith("application/x-www-form-urlencoded") or content_type.startswith("multipart/form-data")
    ):
        await read_body_limited(request, body_limit(request))  # oversize bodies: 413 before being read whole
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not constant_time_equal(expected, sent):
        raise refused
