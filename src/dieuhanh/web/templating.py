"""Jinja2 environment: Vietnamese formats as filters, the layout's navigation and CSRF token as globals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader
from markupsafe import Markup

from dieuhanh.core.formatting import format_cell, format_date, format_datetime, format_number, period_label
from dieuhanh.core.plugin import NavItem
from dieuhanh.core.security import ROLE_LABELS, SCOPES, Principal, allowed

WEB_DIR = Path(__file__).parent
# Load batches as people read them (names, never the stored codes).
BATCH_STATUS_LABELS = {"loaded": "Đã nạp", "rolled_back": "Đã hủy", "superseded": "Đã thay bằng lần nạp sau",
                       "rejected": "Bị từ chối"}
BATCH_SOURCE_LABELS = {"upload": "Tải tệp lên", "push": "Hệ thống gửi qua API", "api": "Hệ thống gửi qua API",
                       "pull": "Kéo tự động", "mqtt": "Bản tin MQTT", "cli": "Dòng lệnh", "demo": "Dữ liệu mẫu",
                       "system": "Hệ thống", "report": "Báo cáo định kỳ", "web": "Trang web"}


def make_templates(extra_dirs: list[Path]) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
    templates.env.loader = ChoiceLoader([FileSystemLoader([str(WEB_DIR / "templates"), *map(str, extra_dirs)])])
    templates.env.filters["number"] = format_number
    templates.env.filters["vndate"] = format_date
    templates.env.filters["vndatetime"] = format_datetime
    templates.env.filters["cell"] = format_cell
    templates.env.filters["period_label"] = period_label
    templates.env.filters["batch_status"] = lambda v: BATCH_STATUS_LABELS.get(v, v)
    templates.env.filters["batch_source"] = lambda v: BATCH_SOURCE_LABELS.get(v, v)
    templates.env.globals["ROLE_LABELS"] = ROLE_LABELS
    templates.env.globals["SCOPES"] = SCOPES
    return templates


def nav_for(request: Request, principal: Principal) -> list[tuple[str, list[NavItem]]]:
    """The menu of a role: the items it may open, less those its work does not use (a leader does not see the
    ingestion plumbing; the pages stay reachable by address)."""
    sections: dict[str, list[NavItem]] = {}
    hidden = HIDDEN_FOR_ROLE.get(principal.role or "", frozenset()) if principal.kind == "user" else frozenset()
    for item in request.app.state.nav:
        if allowed(principal, item.permission) and item.url not in hidden:
            sections.setdefault(item.section, []).append(item)
    return list(sections.items())


# Menu items a role does not use day to day (by URL).
HIDDEN_FOR_ROLE: dict[str, frozenset[str]] = {
    "leader": frozenset({"/ingest/sources", "/ingest/dead-letters", "/query", "/admin/tokens", "/units",
                         "/phan-anh"}),
    "officer": frozenset({"/ingest/dead-letters", "/query", "/units", "/phan-anh/ban-do"}),
}


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    from dieuhanh.web.deps import csrf_token

    principal: Principal = getattr(request.state, "principal", None) or _anonymous()
    ctx: dict[str, Any] = {
        "principal": principal,
        "me": _me(request, principal),
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


def _me(request: Request, principal: Principal) -> dict[str, str]:
    """What the layout shows of the signed-in user: full name, role and agency by name (never codes)."""
    full_name, agency = getattr(request.state, "user_display", ("", ""))
    return {"name": full_name or principal.name, "role": ROLE_LABELS.get(principal.role or "", principal.role or ""),
            "agency": agency}


def _anonymous() -> Principal:
    from dieuhanh.core.security import ANONYMOUS

    return ANONYMOUS
