"""Request dependencies shared by every module's routes: database session, principal, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from dieuhanh.core.errors import NotAuthenticated, PermissionDenied, TooLarge
from dieuhanh.core.security import ANONYMOUS, Principal, constant_time_equal
from dieuhanh.orgs import service as orgs_service
from dieuhanh.orgs.models import User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _db(request: Request) -> Iterator[Session]:
    session = request.app.state.db.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the transaction commits before the response is sent, so a client never sees success
# for a change that then failed to commit.
DB = Annotated[Session, Depends(_db, scope="function")]


def _principal(request: Request, db: DB) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = ANONYMOUS
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("Tiêu đề Authorization phải có dạng 'Bearer <mã truy cập>'.")
        principal = orgs_service.principal_for_token(db, value)
    else:
        user_id = request.session.get("user_id")
        if user_id is not None:
            user = db.get(User, user_id)
            live = _live_session(request, db, user_id)
            if live and user is not None and user.is_active and request.session.get("pw") == user.password_hash[-12:]:
                principal = orgs_service.principal_for_user(user)
                # The layout shows the user's full name and agency name (read now: the session may be gone
                # when a page renders).
                request.state.user_display = (user.full_name, _agency_name(db, user.agency_code))
            else:
                request.session.clear()
    request.state.principal = principal
    return principal


def _live_session(request: Request, db: Session, user_id: int) -> bool:
    """The cookie's server-side session exists, is the user's, was not revoked (logout) and is younger than
    the absolute lifetime."""
    from datetime import timedelta

    from dieuhanh.core.db import utcnow
    from dieuhanh.orgs.models import UserSession

    sid = request.session.get("sid")
    row = db.get(UserSession, sid) if isinstance(sid, str) else None
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return False
    lifetime = timedelta(seconds=int(request.app.state.settings.session_max_age_seconds))
    return row.created_at + lifetime > utcnow()


def _agency_name(db: Session, code: str | None) -> str:
    if not code:
        return ""
    from dieuhanh.orgs.models import Agency

    agency = db.get(Agency, code)
    return agency.name if agency is not None else ""


CurrentPrincipal = Annotated[Principal, Depends(_principal)]


def require_login(principal: CurrentPrincipal) -> Principal:
    if not principal.is_authenticated:
        raise NotAuthenticated("Bạn cần đăng nhập.")
    return principal


LoggedIn = Annotated[Principal, Depends(require_login)]


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
