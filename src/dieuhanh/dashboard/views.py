"""Pages: the overview `/`, the boards `/boards`, `/boards/{slug}` (+ PDF/XLSX), board editing, the map `/map`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select

from dieuhanh.core import formatting
from dieuhanh.core.cache import LRUCache
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import DomainError, InvalidInput
from dieuhanh.core.formatting import format_datetime
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.dashboard import exports, service
from dieuhanh.dashboard.models import CHART_KINDS
from dieuhanh.geo.models import AdminUnit
from dieuhanh.indicators import rules as indicator_rules
from dieuhanh.indicators import service as indicator_service
from dieuhanh.indicators.schemas import DOMAINS
from dieuhanh.orgs.models import Agency
from dieuhanh.web.deps import DB, CurrentPrincipal, LoggedIn
from dieuhanh.web.templating import render, render_fragment

router = APIRouter(include_in_schema=False)


def period_label(period: str | None) -> str:
    """2025-06 -> 06/2025; 2025-Q2 -> Quý 2/2025; 2025 -> năm 2025."""
    return formatting.period_label(period, short=True)


_json = formatting.json_for_script


def _unit_param(request: Request, db: DB, principal: Principal, unit: str | None) -> str | None:
    """``?unit=`` wins; a commune officer lands on their commune; everyone else on the province."""
    if unit is not None:
        return unit.strip() or None
    return service.home_unit(db, principal)


def _communes(request: Request) -> list[tuple[str, str]]:
    province_code = request.app.state.settings.province_code
    names = indicator_service.unit_names(province_code)
    return sorted(((c, n) for c, n in names.items() if c != province_code), key=lambda cn: cn[1])


def _map_spec(db: DB, principal: Principal, code: str | None, province_code: str,
              period: str | None = None) -> dict[str, Any] | None:
    if not code:
        return None
    try:
        data = service.commune_values(db, code=code, period=period, principal=principal, province_code=province_code)
    except DomainError:
        return None
    return {"code": data.code, "name": data.name, "unit": data.unit, "period": data.period,
            "period_label": period_label(data.period), "values": data.values, "statuses": data.statuses,
            "direction": data.direction}


def _charts(view: service.BoardView) -> dict[str, Any]:
    return {t.code: {"name": t.name, "unit": t.unit, "trend": t.trend, "periods": t.trend_periods,
                     "labels": [period_label(p) for p in t.trend_periods], "targets": t.trend_targets,
                     "status": t.status} for t in view.tiles}


def _board_context(request: Request, db: DB, principal: Principal, view: service.BoardView) -> dict[str, Any]:
    province_code = request.app.state.settings.province_code
    maps: dict[str, Any] = {}
    tables: dict[str, Any] = {}
    for tile in view.tiles:
        if tile.chart_kind in ("map", "table") and tile.has_communes and tile.code not in maps:
            spec = _map_spec(db, principal, tile.code, province_code)
            if spec is not None:
                maps[tile.code] = spec
    names = indicator_service.unit_names(province_code)
    for code, spec in maps.items():
        data = service.CommuneValues(code=code, name=spec["name"], unit=spec["unit"], period=spec["period"],
                                     periods=[], values=spec["values"], statuses=spec["statuses"], targets={},
                                     direction=spec["direction"])
        tables[code] = [(u, n, v, st) for u, n, v, st, _t in service.ranking(data, names)]
    return {"view": view, "board": view.board, "tiles": view.tiles, "kpis": [t for t in view.tiles
                                                                             if t.chart_kind == "kpi"],
            "charts": [t for t in view.tiles if t.chart_kind != "kpi"], "charts_json": _json(_charts(view)),
            "maps": maps, "maps_json": _json(maps), "tables": tables, "communes": _communes(request),
            "period_label": period_label, "STATUS_LABELS": service.STATUS_LABELS, "DOMAINS": DOMAINS,
            "boards": service.list_boards(db, principal), "can_manage": allowed(principal, "board.manage"),
            "unit_query": "" if not view.is_commune else f"?unit={view.unit_code}"}


def print_html(templates: Any, province: Any, view: service.BoardView, *, title: str,
               extra: dict[str, Any] | None = None) -> str:
    """The print template of a board (PDF export): a table of the tiles with their trend as inline SVG."""
    seen: set[str] = set()
    tiles = [t for t in view.tiles if not (t.code in seen or seen.add(t.code))]  # type: ignore[func-returns-value]
    return str(templates.get_template("dashboard/print.html").render({
        "title": title, "view": view, "tiles": tiles, "province": province,
        "font_css": exports.font_face_css(), "period_label": period_label, "STATUS_LABELS": service.STATUS_LABELS,
        "sparkline": exports.sparkline_svg, "generated_at": format_datetime(utcnow()), "tile_note": service.tile_note,
        **(extra or {}),
    }))


def _pdf(request: Request, view: service.BoardView, *, title: str, extra: dict[str, Any] | None = None) -> Response:
    extra = {"is_demo": request.app.state.is_demo(), **(extra or {})}
    html = print_html(request.app.state.templates, request.app.state.province, view, title=title, extra=extra)
    pdf = exports.html_to_pdf(html)
    name = exports.filename(f"{title} {view.unit_name}", "pdf")
    return Response(pdf, media_type=exports.PDF_MEDIA_TYPE, headers=exports.attachment(name))


def _xlsx(request: Request, view: service.BoardView, title: str) -> Response:
    headers, rows = service.tiles_table(view)
    rows = [[r[0], r[1], period_label(r[2]) if r[2] else "", *r[3:]] for r in rows]
    data = exports.table_to_xlsx(title, headers, rows, subtitle=f"{view.unit_name} · cập nhật "
                                 f"{format_datetime(view.updated_at)}", demo=request.app.state.is_demo())
    return Response(data, media_type=exports.XLSX_MEDIA_TYPE,
                    headers=exports.attachment(exports.filename(f"{title} {view.unit_name}", "xlsx")))


# ------------------------------------------------------------------------------------------------ overview


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DB, principal: CurrentPrincipal, unit: str | None = None,
         format: str = "", indicator: str = "") -> Response:
    if not allowed(principal, "officials.read"):
        return _public_home(request, db)
    settings = request.app.state.settings
    data = service.overview(db, unit_code=_unit_param(request, db, principal, unit),
                            province_code=settings.province_code, principal=principal)
    if format == "pdf":
        names = {str(c): str(n) for c, n in db.execute(select(Agency.code, Agency.name))}
        return _pdf(request, data.view, title="Tổng quan", extra={
            "alerts": data.alerts, "alert_total": data.alert_total, "directives": data.directives,
            "agency_names": names})
    if format == "xlsx":
        return _xlsx(request, data.view, "Tổng quan")
    chosen = indicator or settings.dashboard_map_indicator or data.map_indicator
    can_manage = allowed(principal, "board.manage")
    # Tiles, map and charts are rendered once per data state; alerts and directives are read live.
    parts = _OVERVIEW_PARTS.get_or_build(("overview", data.view.state, can_manage, chosen),
                                         lambda: _overview_parts(request, db, principal, data, chosen))
    return render(request, "dashboard/overview.html", {
        "overview": data, "view": data.view, "alerts": data.alerts, "directives": data.directives,
        "parts": parts, "map": parts.map, "charts_json": parts.charts_json, "maps_json": parts.maps_json,
        "period_label": period_label,
        "agency_names": dict(db.execute(select(Agency.code, Agency.name)).all()) if data.directives else {}})


@dataclass(frozen=True)
class _OverviewParts:
    top: Markup  # head and tiles
    bottom: Markup  # commune map and charts
    map: dict[str, Any] | None
    charts_json: str
    maps_json: str


_OVERVIEW_PARTS = LRUCache(128)


def _overview_parts(request: Request, db: DB, principal: Principal, data: service.Overview,
                    chosen: str | None) -> _OverviewParts:
    settings = request.app.state.settings
    context = _board_context(request, db, principal, data.view)
    spec = _map_spec(db, principal, chosen, settings.province_code)
    if spec is not None:
        context["maps"][spec["code"]] = spec
        context["maps_json"] = _json(context["maps"])
    context.update({"map": spec, "map_choices": [t for t in data.tiles if t.has_communes],
                    "province": request.app.state.province})
    return _OverviewParts(top=render_fragment(request, "dashboard/_overview_top.html", context),
                          bottom=render_fragment(request, "dashboard/_overview_bottom.html", context),
                          map=spec, charts_json=context["charts_json"], maps_json=context["maps_json"])


def _public_home(request: Request, db: DB) -> HTMLResponse:
    """The anonymous public: the province at a glance and the commune map (officials sign in for the boards)."""
    communes = db.scalar(select(func.count()).select_from(AdminUnit).where(AdminUnit.level == "commune")) or 0
    wards = db.scalar(select(func.count()).select_from(AdminUnit).where(
        AdminUnit.level == "commune", AdminUnit.type == "phường")) or 0
    agencies = db.scalar(select(func.count()).select_from(Agency)) or 0
    return render(request, "dashboard/public_home.html", {"communes": communes, "wards": wards,
                                                          "agencies": agencies})


# ------------------------------------------------------------------------------------------------ boards


@router.get("/boards", response_class=HTMLResponse)
def boards_page(request: Request, db: DB, principal: LoggedIn) -> HTMLResponse:
    authorize(principal, "officials.read")
    boards = service.list_boards(db, principal)
    return render(request, "dashboard/boards.html", {"boards": boards, "DOMAINS": DOMAINS,
                                                     "counts": service.item_counts(db),
                                                     "can_manage": allowed(principal, "board.manage")})


@router.post("/boards")
def create_board(request: Request, db: DB, principal: LoggedIn, slug: str = Form(""), title: str = Form(""),
                 domain: str = Form(""), public: str = Form("")) -> Response:
    try:
        board = service.create_board(db, principal=principal, slug=slug, title=title, domain=domain or None,
                                     public=bool(public))
    except InvalidInput as exc:
        boards = service.list_boards(db, principal)
        return render(request, "dashboard/boards.html", {
            "boards": boards, "DOMAINS": DOMAINS, "can_manage": allowed(principal, "board.manage"),
            "counts": service.item_counts(db),
            "error": exc.message, "form": {"slug": slug, "title": title, "domain": domain}}, status_code=422)
    return RedirectResponse(f"/boards/{board.slug}/edit", status_code=303)


def _board_response(request: Request, db: DB, principal: Principal, slug: str, unit: str | None,
                    fmt: str) -> Response:
    view = service.board_view(db, slug=slug, unit_code=_unit_param(request, db, principal, unit),
                              province_code=request.app.state.settings.province_code, principal=principal)
    if fmt == "pdf":
        return _pdf(request, view, title=view.board.title)
    if fmt == "xlsx":
        return _xlsx(request, view, view.board.title)
    if slug == service.OVERVIEW:
        return RedirectResponse("/" + ("" if not view.is_commune else f"?unit={view.unit_code}"), status_code=303)
    return render(request, "dashboard/board.html", _board_context(request, db, principal, view))


@router.get("/boards/{slug}.pdf")
def board_pdf(request: Request, slug: str, db: DB, principal: CurrentPrincipal, unit: str | None = None) -> Response:
    return _board_response(request, db, principal, slug, unit, "pdf")


@router.get("/boards/{slug}.xlsx")
def board_xlsx(request: Request, slug: str, db: DB, principal: CurrentPrincipal,
               unit: str | None = None) -> Response:
    return _board_response(request, db, principal, slug, unit, "xlsx")


@router.get("/boards/{slug}", response_class=HTMLResponse)
def board_page(request: Request, slug: str, db: DB, principal: CurrentPrincipal, unit: str | None = None,
               format: str = "") -> Response:
    return _board_response(request, db, principal, slug, unit, format)


@router.get("/boards/{slug}/edit", response_class=HTMLResponse)
def edit_page(request: Request, slug: str, db: DB, principal: LoggedIn, error: str = "") -> HTMLResponse:
    authorize(principal, "board.manage")
    board = service.get_board(db, slug)
    definitions = indicator_service.list_definitions(db, principal=principal)
    names = {d.code: d for d in definitions}
    return render(request, "dashboard/edit.html", {
        "board": board, "definitions": definitions, "names": names, "CHART_KINDS": CHART_KINDS,
        "DOMAINS": DOMAINS, "error": error})


def _edit_redirect(slug: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/boards/{slug}/edit{anchor}", status_code=303)


def _edit_error(request: Request, db: DB, principal: Principal, slug: str, exc: InvalidInput) -> HTMLResponse:
    board = service.get_board(db, slug)
    definitions = indicator_service.list_definitions(db, principal=principal)
    return render(request, "dashboard/edit.html", {
        "board": board, "definitions": definitions, "names": {d.code: d for d in definitions},
        "CHART_KINDS": CHART_KINDS, "DOMAINS": DOMAINS, "error": exc.message}, status_code=422)


@router.post("/boards/{slug}/settings")
def update_board(request: Request, slug: str, db: DB, principal: LoggedIn, title: str = Form(""),
                 description: str = Form(""), public: str = Form(""), position: str = Form("")) -> Response:
    try:
        service.update_board(db, principal=principal, slug=slug, title=title, description=description,
                             public=bool(public), position=int(position) if position.strip().isdigit() else None)
    except InvalidInput as exc:
        return _edit_error(request, db, principal, slug, exc)
    return _edit_redirect(slug)


@router.post("/boards/{slug}/items")
def add_item(request: Request, slug: str, db: DB, principal: LoggedIn, indicator_code: str = Form(""),
             chart_kind: str = Form("kpi"), span: int = Form(1)) -> Response:
    try:
        service.add_item(db, principal=principal, slug=slug, indicator_code=indicator_code, chart_kind=chart_kind,
                         span=span)
    except InvalidInput as exc:
        return _edit_error(request, db, principal, slug, exc)
    return _edit_redirect(slug, "#items")


@router.post("/boards/{slug}/items/{item_id}")
def update_item(request: Request, slug: str, item_id: int, db: DB, principal: LoggedIn,
                chart_kind: str = Form(""), span: int = Form(1)) -> Response:
    try:
        service.update_item(db, principal=principal, slug=slug, item_id=item_id, chart_kind=chart_kind or None,
                            span=span)
    except InvalidInput as exc:
        return _edit_error(request, db, principal, slug, exc)
    return _edit_redirect(slug, f"#item-{item_id}")


@router.post("/boards/{slug}/items/{item_id}/move")
def move_item(slug: str, item_id: int, db: DB, principal: LoggedIn, direction: str = Form("up")) -> Response:
    service.move_item(db, principal=principal, slug=slug, item_id=item_id, offset=-1 if direction == "up" else 1)
    return _edit_redirect(slug, f"#item-{item_id}")


@router.post("/boards/{slug}/items/{item_id}/delete")
def remove_item(slug: str, item_id: int, db: DB, principal: LoggedIn) -> Response:
    service.remove_item(db, principal=principal, slug=slug, item_id=item_id)
    return _edit_redirect(slug, "#items")


@router.post("/boards/{slug}/delete")
def delete_board(slug: str, db: DB, principal: LoggedIn) -> Response:
    service.delete_board(db, principal=principal, slug=slug)
    return RedirectResponse("/boards", status_code=303)


# ------------------------------------------------------------------------------------------------ map


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, db: DB, principal: LoggedIn, indicator: str = "", period: str = "",
             board: str = "") -> HTMLResponse:
    authorize(principal, "officials.read")
    province_code = request.app.state.settings.province_code
    choices = service.map_indicators(db, principal)
    code = indicator or request.app.state.settings.dashboard_map_indicator or ""
    if not code or code not in {d.code for d in choices}:
        if indicator:
            indicator_service.get_definition(db, principal=principal, code=indicator)  # 404 / 403 if unknown
            raise InvalidInput(f"Chỉ số «{indicator}» không tính theo xã, phường nên không có bản đồ.")
        latest = indicator_service.latest_province_values(db, [d.code for d in choices])
        code = next((d.code for d in choices if d.code in latest), choices[0].code if choices else "")
    data = service.commune_values(db, code=code, period=period or None, principal=principal,
                                  province_code=province_code) if code else None
    spec = _map_spec(db, principal, code, province_code, period or None) if code else None
    names = indicator_service.unit_names(province_code)
    ranking = service.ranking(data, names) if data is not None else []
    board_slug = board if board else next((b.slug for b in service.list_boards(db, principal)
                                           if data is not None and b.domain and b.slug == _domain_of(choices, code)),
                                          service.OVERVIEW)
    return render(request, "dashboard/map.html", {
        "choices": choices, "code": code, "data": data, "map": spec, "map_json": _json(spec),
        "ranking": ranking, "period_label": period_label, "STATUS_LABELS": service.STATUS_LABELS,
        "DOMAINS": DOMAINS, "board_slug": board_slug})


def _domain_of(choices: list[Any], code: str) -> str | None:
    return next((d.domain for d in choices if d.code == code), None)


@router.get("/map.xlsx")
def map_xlsx(request: Request, db: DB, principal: LoggedIn, indicator: str, period: str = "") -> Response:
    """The ranking table of the map (every commune's value of the indicator for the period)."""
    authorize(principal, "officials.read")
    province_code = request.app.state.settings.province_code
    data = service.commune_values(db, code=indicator, period=period or None, principal=principal,
                                  province_code=province_code)
    names = indicator_service.unit_names(province_code)
    ranked = [[i + 1, u, name, v, target, service.STATUS_LABELS.get(status, status)]
              for i, (u, name, v, status, target) in enumerate(service.ranking(data, names))]
    headers = ["Hạng", "Mã xã, phường", "Xã, phường", f"Giá trị ({data.unit})", "Mục tiêu", "Đánh giá"]
    title = f"{data.name} – {period_label(data.period)}"
    body = exports.table_to_xlsx(title, headers, ranked, subtitle="Xếp hạng các xã, phường",
                                 demo=request.app.state.is_demo())
    return Response(body, media_type=exports.XLSX_MEDIA_TYPE,
                    headers=exports.attachment(exports.filename(f"{data.code} {data.period or ''}", "xlsx")))


# ------------------------------------------------------------------------------------------------ indicator tables


@router.get("/indicators/{code}.xlsx")
def indicator_xlsx(request: Request, code: str, db: DB, principal: CurrentPrincipal, period: str = "",
                   table: str = "communes", unit: str = "") -> Response:
    """The indicator detail's tables in Excel: every commune's value for a period (``table=communes``, the
    latest period by default) or the series over time of the province or a commune (``table=series``)."""
    defn = indicator_service.get_definition(db, principal=principal, code=code)
    province_code = request.app.state.settings.province_code
    names = indicator_service.unit_names(province_code)
    if table == "series":
        unit_code, unit_name, level = service.resolve_unit(unit or None, province_code)
        values = indicator_service.list_values(db, code=code, unit=unit_code)
        headers = ["Kỳ", "Mã kỳ", f"Giá trị ({defn.unit})", "Tử số", "Mẫu số", "Mục tiêu", "Đánh giá", "Ghi chú",
                   "Tính lúc", "Số lô dữ liệu nguồn"]
        rows: list[list[Any]] = [[period_label(v.period), v.period, v.value, v.numerator, v.denominator, v.target,
                                  service.STATUS_LABELS.get(v.status, v.status),
                                  indicator_rules.partial_label(v.as_of) if v.partial and v.as_of else "",
                                  formatting.to_local(v.computed_at).replace(tzinfo=None) if v.computed_at else None,
                                  len(v.batches or [])] for v in values]
        body = exports.table_to_xlsx(defn.name, headers, rows, subtitle=f"{unit_name} · theo kỳ",
                                     demo=request.app.state.is_demo())
        name = exports.filename(f"{code} {unit_name}", "xlsx")
    elif table == "communes":
        if "commune" not in (defn.levels or []):
            raise InvalidInput("Chỉ số này chỉ tính cho toàn tỉnh, không có bảng theo xã, phường.")
        data = service.commune_values(db, code=code, period=period or None, principal=principal,
                                      province_code=province_code)
        headers = ["Hạng", "Mã xã, phường", "Xã, phường", f"Giá trị ({defn.unit})", "Mục tiêu", "Đánh giá"]
        rows = [[i + 1, u, n, v, target, service.STATUS_LABELS.get(status, status)]
                for i, (u, n, v, status, target) in enumerate(service.ranking(data, names))]
        body = exports.table_to_xlsx(defn.name, headers, rows,
                                     subtitle=f"Theo xã, phường · {period_label(data.period)}",
                                     demo=request.app.state.is_demo())
        name = exports.filename(f"{code} {data.period or ''}", "xlsx")
    else:
        raise InvalidInput("table phải là communes hoặc series.")
    return Response(body, media_type=exports.XLSX_MEDIA_TYPE, headers=exports.attachment(name))
