"""Wall screen of the operations room: ``/wall`` (kiosk playlist of boards) and the board content it refreshes.

``/wall?board=overview,health&interval=30&unit=<commune>`` is one standalone page (no sidebar); its script
(``static/wall.js``) fetches ``GET /api/v1/boards/{slug}/view`` for each board in turn, so the screen advances,
refreshes and survives network or server restarts by itself. Both need ``officials.read``: a signed-in
session (the wall PC signs in once with an account of its own; the session cookie is renewed by every refresh) or,
for the JSON, a token with the ``read`` scope (``Authorization: Bearer``). Tokens are deliberately not accepted in
the page's URL (``?token=``): URLs end up in proxy logs, browser history and ``Referer`` headers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from dieuhanh import __version__
from dieuhanh.core.cache import LRUCache
from dieuhanh.core.errors import DomainError, FieldError, InvalidInput, NotFound
from dieuhanh.core.formatting import format_datetime, period_label
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.dashboard import service
from dieuhanh.indicators import service as indicators
from dieuhanh.web.deps import DB, CurrentPrincipal
from dieuhanh.web.templating import WEB_DIR, render

router = APIRouter()

DEFAULT_INTERVAL = 30
# 2 s is too fast for people but lets the browser tests watch the playlist advance; 1 hour is the page's own
# reload period, so a longer interval would never show the next board.
MIN_INTERVAL, MAX_INTERVAL = 2, 3600
# Tiles on one screen (4 × 2; 3 × 2 beside the map): at 5 m the value must stay ~7 cm tall on a 55" screen.
TILES_PER_SCREEN, TILES_WITH_MAP = 8, 6
MAX_BOARDS = 30


def _build() -> str:
    """Changes with the release and with the wall's own files, so a running wall reloads after an update."""
    digest = hashlib.sha256(__version__.encode())
    for path in (WEB_DIR / "static" / "wall.js", WEB_DIR / "static" / "wall.css",
                 Path(__file__).parent / "templates" / "dashboard" / "wall.html"):
        digest.update(path.read_bytes() if path.exists() else b"")
    return f"{__version__}-{digest.hexdigest()[:10]}"


BUILD = _build()


@dataclass(frozen=True)
class WallPanel:
    """A live board another module draws on the wall itself (``?board=<slug>``), e.g. the operations room's
    «Sự kiện». Its script (loaded on every wall page, before wall.js) registers ``window.wallPanels[slug] =
    {show(container), hide()}``; wall.js shows it in the playlist like a board."""

    slug: str
    title: str
    scripts: tuple[str, ...]
    stylesheet: str | None = None
    permission: str = "officials.read"


WALL_PANELS: dict[str, WallPanel] = {}


def register_panel(panel: WallPanel) -> None:
    WALL_PANELS[panel.slug] = panel


def parse_interval(raw: str | None) -> int:
    if raw is None or raw.strip() == "":
        return DEFAULT_INTERVAL
    try:
        seconds = int(raw.strip())
    except ValueError:
        seconds = -1
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise InvalidInput(f"Thời gian hiển thị mỗi bảng (interval) phải là số giây nguyên từ {MIN_INTERVAL} "
                           f"đến {MAX_INTERVAL}.", errors=[FieldError("Số giây không hợp lệ.", field="interval")])
    return seconds


def playlist(session: Session, principal: Principal, raw: str | None) -> list[Any]:
    """The boards to show: the listed slugs in the given order (boards or modules' live panels), or every board
    the principal may open."""
    visible = service.list_boards(session, principal)
    if not raw or not raw.strip():
        return visible[:MAX_BOARDS]
    by_slug: dict[str, Any] = {b.slug: b for b in visible}
    by_slug.update({p.slug: p for p in WALL_PANELS.values() if allowed(principal, p.permission)})
    slugs = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [s for s in slugs if s not in by_slug]
    if unknown:
        raise NotFound(f"Không có bảng điều hành «{', '.join(unknown)}». Các bảng: {', '.join(by_slug)}.")
    return [by_slug[s] for s in dict.fromkeys(slugs)][:MAX_BOARDS]


def period_text(period: str | None) -> str:
    """2025-06 → 06/2025, 2025-Q2 → Quý 2/2025, 2025 → 2025 (the tile says "Kỳ" before it)."""
    if period and "-" not in period:
        return period
    return period_label(period, short=True)


def _tile_out(t: service.Tile) -> dict[str, Any]:
    return {
        "code": t.code, "name": t.name, "unit": t.unit, "period": t.period, "period_text": period_text(t.period),
        "value": t.value, "value_text": t.value_text, "target": t.target,
        "target_text": t.target_text if t.target is not None else "", "status": t.status,
        "status_label": t.status_label, "trend": t.trend, "trend_periods": t.trend_periods, "change": t.change,
        "change_text": t.change_text, "chart_kind": t.chart_kind, "href": t.href,
        "partial": t.partial, "as_of_text": t.as_of_text, "current_period": t.current_period,
        "current_period_text": period_text(t.current_period) if t.current_period else "",
        "current_text": t.current_text, "current_change_text": t.current_change_text, "stale": t.stale,
        "expected_period": t.expected_period,
        "stale_text": f"Số liệu cũ: cần có kỳ {period_text(t.expected_period)}" if t.stale else "",
    }


def view_out(session: Session, view: service.BoardView, principal: Principal) -> dict[str, Any]:
    """A board's content as JSON: the board, the unit, the tiles and, when the board has a map item, the commune
    values of its indicator for the choropleth."""
    board_map: dict[str, Any] | None = None
    mapped = next((i.indicator_code for i in view.board.items if i.chart_kind == "map"), None)
    if mapped is not None:
        try:
            values = service.commune_values(session, code=mapped, period=None, principal=principal,
                                            province_code=view.province_code)
        except DomainError:  # the indicator was removed or is not readable: the board shows its tiles only
            values = None
        if values is not None:
            names = indicators.unit_names(view.province_code)
            board_map = {"code": values.code, "name": values.name, "unit": values.unit, "period": values.period,
                         "period_text": period_text(values.period), "values": values.values,
                         "names": {c: names.get(c, c) for c in values.values},
                         "highlight": view.unit_code if view.is_commune else None}
    return {
        "board": {"slug": view.board.slug, "title": view.board.title, "domain": view.board.domain},
        "unit_code": view.unit_code, "unit_name": view.unit_name, "level": view.level,
        "updated_at": view.updated_at.isoformat() + "Z" if view.updated_at else None,
        "updated_text": format_datetime(view.updated_at) if view.updated_at else "",
        "tiles": [_tile_out(t) for t in view.tiles],
        "map": board_map,
        "build": BUILD,
    }


def _unit_or_home(session: Session, principal: Principal, unit: str | None) -> str | None:
    """The commune asked for, or a commune officer's own commune."""
    return unit.strip() if unit and unit.strip() else service.home_unit(session, principal)


@router.get("/wall", response_class=HTMLResponse, include_in_schema=False)
def wall(request: Request, db: DB, principal: CurrentPrincipal, board: str | None = None,
         interval: str | None = None, unit: str | None = None) -> HTMLResponse:
    authorize(principal, "officials.read")
    seconds = parse_interval(interval)
    boards = playlist(db, principal, board)
    province_code = request.app.state.settings.province_code
    unit_code, unit_name, level = service.resolve_unit(_unit_or_home(db, principal, unit), province_code)
    config = {
        "boards": [{"slug": b.slug, "title": b.title, "panel": isinstance(b, WallPanel)} for b in boards],
        "interval": seconds,
        "unit": unit_code if level == "commune" else None,
        "api": "/api/v1/boards/{slug}/view",
        "boundaries": "/api/v1/units/boundaries.geojson",
        "tiles_per_screen": TILES_PER_SCREEN,
        "tiles_with_map": TILES_WITH_MAP,
        "build": BUILD,
    }
    return render(request, "dashboard/wall.html", {"config": config, "boards": boards, "unit_name": unit_name,
                                                   "build": BUILD, "panels": list(WALL_PANELS.values())})


_VIEWS = LRUCache(256)


@router.get("/api/v1/boards/{slug}/view", tags=["bảng điều hành"])
def board_view_json(request: Request, slug: str, db: DB, principal: CurrentPrincipal,
                    unit: str | None = None) -> Response:
    """A board's tiles for the province or a commune (``?unit=``): value, unit, period, target, status, the last
    12 periods, change against the previous period; ``map``: commune values of the board's map indicator;
    ``build`` changes with each release (the wall reloads itself when it does)."""
    authorize(principal, "officials.read")
    view = service.board_view(db, slug=slug, unit_code=_unit_or_home(db, principal, unit),
                              province_code=request.app.state.settings.province_code, principal=principal)
    # The most frequent request of a wall: the encoded answer is kept per board, unit, visibility and data state
    # (``view.state``), and the dict is JSON-ready, so FastAPI's validation and encoding would be wasted work.
    body = _VIEWS.get_or_build(view.state, lambda: bytes(JSONResponse(view_out(db, view, principal)).body))
    return Response(body, media_type="application/json")
