"""Request dependencies shared by every module's routes: database session, principal, CSRF."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from dieuhanh.core.errors import NotAuthenticated, PermissionDenied
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
            if user is not None and user.is_active and request.session.get("pw") == user.password_hash[-12:]:
                principal = orgs_service.principal_for_user(user)
            else:
                request.session.clear()
    request.state.principal = principal
    return principal


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
    if not sent and (
        content_type.startswith("application/x-www-form-urlencoded") or content_type.startswith("multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not constant_time_equal(expected, sent):
        raise PermissionDenied(
            "Yêu cầu bị từ chối vì thiếu hoặc sai mã chống giả mạo (CSRF). Hãy tải lại trang rồi thử lại."
        )
