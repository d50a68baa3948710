"""Security headers on every response (pure ASGI: streaming downloads pass untouched).

A fresh nonce per request is put in ``request.state.csp_nonce`` for the page's own inline scripts; the
Content-Security-Policy allows scripts only from this origin or with that nonce, so a script that an
attacker manages to inject into a page (stored XSS) does not run. Inline event handlers (``onclick=``) are
not allowed either: pages use ``data-autosubmit`` / ``data-confirm`` / ``data-back`` handled by
``/static/app.js``.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages that may be framed by the same origin (the wall shows boards in frames); every other page: none.
SAME_ORIGIN_FRAMES = ("/wall",)


def csp(nonce: str, *, frames: str) -> str:
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frames}",
    ))


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        same_origin = str(scope.get("path", "")).startswith(SAME_ORIGIN_FRAMES)
        extra: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", csp(nonce, frames="'self'" if same_origin else "'none'").encode()),
            (b"x-frame-options", b"SAMEORIGIN" if same_origin else b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
