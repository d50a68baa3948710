"""Jinja2 environment: Vietnamese formats as filters, the layout's navigation and CSRF token as globals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup

from dieuhanh.core.formatting import format_cell, format_date, format_datetime, format_number
from dieuhanh.core.plugin import NavItem
from dieuhanh.core.security import ROLE_LABELS, SCOPES, Principal, allowed

WEB_DIR = Path(__file__).parent


def make_templates(extra_dirs: list[Path]) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    templates.env.loader = ChoiceLoader([FileSystemLoader([str(WEB_DIR / "templates"), *map(str, extra_dirs)])])
    templates.env.filters["number"] = format_number
    templates.env.filters["vndate"] = format_date
    templates.env.filters["vndatetime"] = format_datetime
    templates.env.filters["cell"] = format_cell
    templates.env.globals["ROLE_LABELS"] = ROLE_LABELS
    templates.env.globals["SCOPES"] = SCOPES
    return templates


def nav_for(request: Request, principal: Principal) -> list[tuple[str, list[NavItem]]]:
    sections: dict[str, list[NavItem]] = {}
    for item in request.app.state.nav:
        if allowed(principal, item.permission):
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    from dieuhanh.web.deps import csrf_token

    principal: Principal = getattr(request.state, "principal", None) or _anonymous()
    ctx: dict[str, Any] = {
        "principal": principal,
        "nav": nav_for(request, principal),
        "csrf_token": csrf_token(request),
        "province": request.app.state.province,
        "is_demo": request.app.state.is_demo(),
        "path": request.url.path,
    }
    ctx.update(context or {})
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status_code)


def render_fragment(request: Request, name: str, context: dict[str, Any]) -> Markup:
    """A partial template rendered from ``context`` alone (no signed-in user, CSRF token or request in it), so the
    HTML may be cached and shared between users; the page that embeds it is rendered by ``render``."""
    return Markup(request.app.state.templates.get_template(name).render(context))


def _anonymous() -> Principal:
    from dieuhanh.core.security import ANONYMOUS

    return ANONYMOUS
