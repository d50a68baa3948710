"""Sign-in, sign-out and the user's own account page (the home page `/` is the dashboard's overview)."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import DomainError
from dieuhanh.orgs import service as orgs_service
from dieuhanh.orgs.models import UserSession
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login form cannot be used as an open redirect."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/favicon.ico")
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: CurrentPrincipal, next: str = "/") -> Response:
    if principal.kind == "user":
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "web/login.html", {"next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, db: DB,
    username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = request.app.state.settings
    throttle: orgs_service.LoginThrottle = request.app.state.login_throttle
    ip = request.client.host if request.client else "unknown"
    try:
        throttle.check(ip, username)
        if not username or not password:
            raise DomainError("Hãy nhập tên đăng nhập và mật khẩu.", status_code=422)
        user = orgs_service.authenticate(
            db, username=username, password=password,
            max_failures=settings.login_max_failures, lockout_seconds=settings.login_lockout_seconds,
        )
    except DomainError as exc:
        if exc.status_code == 401:
            throttle.fail(ip, username)
        db.commit()  # keep the failure count even though the request fails
        return render(request, "web/login.html", {"error": exc.message, "username": username,
                                                  "next": _safe_next(next)}, status_code=exc.status_code)
    # A new session on sign-in (no fixation): a new server-side id and a new CSRF token.
    sid = secrets.token_urlsafe(32)
    db.add(UserSession(id=sid, user_id=user.id, created_at=utcnow()))
    request.session.clear()
    request.session.update({"user_id": user.id, "pw": user.password_hash[-12:], "sid": sid,
                            "csrf": secrets.token_urlsafe(32)})
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, db: DB) -> Response:
    """Ends the session on the server too: the same cookie sent again is refused."""
    sid = request.session.get("sid")
    row = db.get(UserSession, sid) if isinstance(sid, str) else None
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, principal: LoggedIn) -> HTMLResponse:
    return render(request, "web/account.html", {})


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request, db: DB, principal: LoggedIn,
    old_password: Annotated[str, Form()], new_password: Annotated[str, Form()],
) -> HTMLResponse:
    try:
        orgs_service.change_own_password(db, principal=principal, old=old_password, new=new_password)
    except DomainError as exc:
        return render(request, "web/account.html", {"error": exc.message}, status_code=exc.status_code)
    user = orgs_service.get_user(db, principal.id or 0)
    request.session["pw"] = user.password_hash[-12:]
    return render(request, "web/account.html", {"saved": True})
