"""Absolute addresses the feedback module hands out: the site's public base and a citizen's tracking link."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request


def base_url(request: Request) -> str:
    """``PUBLIC_BASE_URL`` when configured (behind a proxy), else the address the request came to."""
    configured = getattr(request.app.state.settings, "public_base_url", None)
    return (configured or str(request.base_url)).rstrip("/")


def tracking_url(request: Request, code: str, key: str | None = None) -> str:
    """The tracking page of a report; with ``key``, the citizen's own link (the only way to rate or reopen).

    A link with a key is handed out once, to whoever submitted the report; it is never part of a public output.
    """
    url = f"{base_url(request)}/phan-anh/{quote(code)}"
    return f"{url}?k={quote(key, safe='')}" if key else url
