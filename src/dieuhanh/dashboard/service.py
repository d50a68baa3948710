"""Boards (bảng điều hành): the overview and the domain boards, their tiles, drill-down to a commune.

A board is an ordered list of indicators of the operating set, each drawn as a KPI tile, a line or bar chart,
a commune map or a commune table. ``board_view`` reads the values of every item of a board for one unit (the
province or a commune) in one query; the result is cached in-process until the indicator values or the board
change (the cache key is read with one cheap query), so `/`, `/boards/{domain}` and `/wall` answer in a few ms.

Default boards (the overview and one per domain) are created lazily when none exist, and a default board that
no person has edited yet is filled from the indicator set when it is empty (the indicators may be loaded after
the boards were created).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dieuhanh.alerts import state as alert_state
from dieuhanh.core import audit, cache
from dieuhanh.core.cache import LRUCache
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import InvalidInput, NotFound
from dieuhanh.core.formatting import format_number, period_label
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.dashboard.models import CHART_KINDS, Board, BoardItem
from dieuhanh.indicators import rules
from dieuhanh.indicators import service as indicators
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue
from dieuhanh.indicators.schemas import DOMAINS
from dieuhanh.orgs.models import Agency

OVERVIEW = "overview"
TREND_LENGTH = 12
MAX_ITEMS = 60
STATUS_LABELS = rules.STATUS_LABELS  # Đạt, Gần đạt, Chưa đạt, Theo dõi, Chưa có số liệu (indicators/rules.py)
# (slug, title, domains whose indicators fill it). The slug of a domain board is the domain: /boards/{domain}.
DEFAULT_BOARDS: list[tuple[str, str, tuple[str, ...]]] = [
    (OVERVIEW, "Tổng quan", ()),
    ("socio_economy", "Kinh tế – xã hội", ("socio_economy",)),
    ("public_services", "Dịch vụ công", ("public_services", "digital_government")),
    ("health", "Y tế", ("health",)),
    ("education", "Giáo dục", ("education",)),
    ("traffic", "Giao thông", ("traffic",)),
    ("environment", "Môi trường", ("environment",)),
    ("citizen_reports", "Phản ánh hiện trường", ("citizen_reports",)),
    ("public_safety", "An ninh, trật tự, an toàn", ("public_safety", "traffic")),
    ("documents", "Văn bản đến", ("documents",)),
]
# The overview's key indicators, in order, when the indicator set has them; otherwise the first of each domain.
OVERVIEW_CODES = (
    "tang_truong_grdp_luy_ke", "thu_ngan_sach_ty_le_du_toan", "cpi_so_cung_ky", "kim_ngach_xuat_khau_thang",
    # public services: the Decision 766 figures themselves (one number per concept; no second definition)
    "dvc_ty_le_dung_han", "dvc_ty_le_truc_tuyen", "ty_le_bao_phu_bhyt", "ty_le_tiem_chung_day_du",
    "ty_le_tuyen_sinh_lop_10", "so_vu_tai_nan_giao_thong", "so_nguoi_chet_tngt", "ty_le_ngay_aqi_tot",
    "ty_le_don_thu_da_giai_quyet", "so_chi_dao_qua_han",
)
OVERVIEW_SIZE = 12
OVERVIEW_ALERT_GROUPS = 8


# ------------------------------------------------------------------------------------------------ views


@dataclass
class Tile:
    code: str
    name: str
    unit: str
    period: str | None
    value: float | None
    value_text: str
    target: float | None
    status: str  # good | warning | critical | neutral | nodata
    trend: list[float | None]
    trend_periods: list[str]
    change: float | None
    chart_kind: str
    href: str
    span: int = 1
    domain: str = ""
    direction: str = "neutral"
    periodicity: str = "month"
    levels: list[str] = field(default_factory=list)
    target_text: str = "–"
    change_text: str = ""
    status_label: str = ""
    trend_targets: list[float | None] = field(default_factory=list)
    partial: bool = False  # the headline itself is a period that has not ended (no complete period yet)
    as_of_text: str = ""  # "tạm tính đến 07/12/2026" when the headline or the current period is partial
    current_period: str | None = None  # the period that has not ended, shown under the headline
    current_text: str = ""  # its value
    current_change_text: str = ""  # like for like: "+1,2 so với cùng kỳ 11/2026"
    stale: bool = False  # the latest period is older than the publication schedule allows: "Số liệu cũ"
    expected_period: str | None = None
    details_href: str = ""  # what is behind the value (the dossiers of that period and unit), when defined

    @property
    def change_trend(self) -> str:
        """better | worse | same: the change since the previous period read with the indicator's direction."""
        if not self.change or self.direction not in ("higher_better", "lower_better"):
            return "same"
        return "better" if (self.change > 0) == (self.direction == "higher_better") else "worse"

    @property
    def has_communes(self) -> bool:
        return "commune" in self.levels


@dataclass
class BoardView:
    board: Board
    unit_code: str
    unit_name: str
    tiles: list[Tile]
    updated_at: datetime | None
    province_code: str = ""
    level: str = "province"  # province | commune
    state: tuple[Any, ...] = ()  # what the tiles were computed from (board, unit, visibility, data state)

    @property
    def is_commune(self) -> bool:
        return self.level == "commune"


@dataclass
class Overview:
    view: BoardView
    alerts: list[Any]  # AlertGroup of the alerting instances (alerts/triage.py), the first OVERVIEW_ALERT_GROUPS
    directives: list[Any]  # overdue Directive
    map_indicator: str | None
    today: date | None = None
    alert_total: int = 0  # alerting instances (the same count as /alerts and GET /api/v1/alerts?state=alerting)
    alert_groups: int = 0

    @property
    def board(self) -> Board:
        return self.view.board

    @property
    def tiles(self) -> list[Tile]:
        return self.view.tiles

    @property
    def unit_code(self) -> str:
        return self.view.unit_code

    @property
    def unit_name(self) -> str:
        return self.view.unit_name

    @property
    def updated_at(self) -> datetime | None:
        return self.view.updated_at


# ------------------------------------------------------------------------------------------------ boards


def _visible(principal: Principal, board: Board) -> bool:
    return board.public or allowed(principal, "officials.read")


def _unfilled(board: Board) -> bool:
    """A default board nobody edited and never filled (filling sets ``updated_at`` past ``created_at``)."""
    return not board.customised and board.updated_at == board.created_at


def ensure_default_boards(session: Session) -> list[Board]:
    """Create the default boards when there are none; fill the unfilled ones from the indicator set.

    Returns every board (one query when nothing needs doing)."""
    boards = list(session.scalars(select(Board).order_by(Board.position, Board.id)))
    if not boards:
        now = utcnow()
        try:
            with session.begin_nested():  # two first requests at once: the second one reads the first's boards
                for position, (slug, title, _domains) in enumerate(DEFAULT_BOARDS):
                    session.add(Board(slug=slug, title=title, domain=None if slug == OVERVIEW else slug,
                                      position=position, public=False, customised=False, created_at=now,
                                      updated_at=now))
        except IntegrityError:
            pass
        boards = list(session.scalars(select(Board).order_by(Board.position, Board.id)))
    elif missing := [d for d in DEFAULT_BOARDS if d[0] not in {b.slug for b in boards}]:
        # A default board added by a later release (e.g. «An ninh, trật tự, an toàn») joins existing installations.
        now = utcnow()
        try:
            with session.begin_nested():
                for slug, title, _domains in missing:
                    session.add(Board(slug=slug, title=title, domain=slug, position=len(boards),
                                      public=False, customised=False, created_at=now, updated_at=now))
        except IntegrityError:
            pass
        boards = list(session.scalars(select(Board).order_by(Board.position, Board.id)))
    defaults = {slug for slug, _title, _domains in DEFAULT_BOARDS}
    pending = [b for b in boards if b.slug in defaults and _unfilled(b)]
    if pending:
        definitions = [d for d in session.scalars(select(IndicatorDefinition).order_by(
            IndicatorDefinition.domain, IndicatorDefinition.name)) if d.published]
        for board in pending:
            items = _default_items(board.slug, definitions)
            if items and not board.items:
                for position, (code, kind, span) in enumerate(items):
                    board.items.append(BoardItem(indicator_code=code, chart_kind=kind, span=span, position=position))
                board.updated_at = utcnow()
        session.flush()
    return boards


def _default_items(slug: str, definitions: Sequence[IndicatorDefinition]) -> list[tuple[str, str, int]]:
    if slug == OVERVIEW:
        by_code = {d.code: d for d in definitions}
        codes = [c for c in OVERVIEW_CODES if c in by_code]
        while len(codes) < OVERVIEW_SIZE:  # complete, one indicator of each domain per round
            added = False
            for domain in DOMAINS:
                # prefer an indicator computed for communes too (the overview drills down to communes)
                candidates = [d for d in definitions if d.domain == domain and d.code not in codes]
                candidates.sort(key=lambda d: "commune" not in (d.levels or []))
                if candidates and len(codes) < OVERVIEW_SIZE:
                    codes.append(candidates[0].code)
                    added = True
            if not added:
                break
        return [(c, "kpi", 1) for c in codes[:OVERVIEW_SIZE]]
    domains = {s: d for s, _title, d in DEFAULT_BOARDS}[slug]
    chosen: list[IndicatorDefinition] = []
    for domain in domains:
        chosen.extend(d for d in definitions if d.domain == domain)
        if chosen and domain == domains[0] and slug == "public_services" and len(chosen) >= 4:
            break  # the public services module's own indicators are enough
    chosen = chosen[:MAX_ITEMS - 2]
    items: list[tuple[str, str, int]] = [(d.code, "kpi", 1) for d in chosen]
    mapped = next((d for d in chosen if "commune" in (d.levels or [])), None)
    if chosen:
        items.append((chosen[0].code, "line", 2))
    if mapped is not None:
        items.append((mapped.code, "map", 2))
    return items


def list_boards(session: Session, principal: Principal) -> list[Board]:
    """Boards the principal may open, in their order (default boards created on first use)."""
    return [b for b in ensure_default_boards(session) if _visible(principal, b)]


def get_board(session: Session, slug: str) -> Board:
    board = session.scalar(select(Board).where(Board.slug == slug))
    if board is None or _unfilled(board):
        ensure_default_boards(session)
        board = session.scalar(select(Board).where(Board.slug == slug))
    if board is None:
        raise NotFound(f"Không có bảng điều hành «{slug}».")
    return board


def item_counts(session: Session) -> dict[int, int]:
    return {board_id: int(n) for board_id, n in session.execute(
        select(BoardItem.board_id, func.count()).group_by(BoardItem.board_id))}


def read_board(session: Session, slug: str, principal: Principal) -> Board:
    board = get_board(session, slug)
    if not _visible(principal, board):
        authorize(principal, "officials.read")
    return board


# ------------------------------------------------------------------------------------------------ units


def home_unit(session: Session, principal: Principal) -> str | None:
    """The commune of a commune officer (officer of a commune People's Committee); None otherwise."""
    if principal.agency_code is None or principal.role != "officer":
        return None
    agency = session.get(Agency, principal.agency_code)
    if agency is None or agency.kind != "commune":
        return None
    return agency.unit_code


def resolve_unit(unit_code: str | None, province_code: str) -> tuple[str, str, str]:
    """(unit_code, unit_name, level) for the province (None or the province code) or one of its communes."""
    names = indicators.unit_names(province_code)
    if not unit_code or unit_code == province_code:
        return province_code, names.get(province_code, province_code), "province"
    if unit_code not in names:
        raise NotFound(f"Không có xã, phường mã «{unit_code}» trong tỉnh.")
    return unit_code, names[unit_code], "commune"


# ------------------------------------------------------------------------------------------------ values


_CACHE = LRUCache()


def clear_cache() -> None:
    """Forgets every kept tile, page part and encoded answer (after a board edit, or a value changed by a plain
    UPDATE that the data state cannot see)."""
    cache.clear_all()


def display_number(value: float | None) -> str:
    """Vietnamese number for a tile: 92,5 (no trailing zeros), 1.234,5, 12.345; None -> "–"."""
    text = format_number(value)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def _format_change(change: float | None) -> str:
    if change is None:
        return ""
    if change == 0:
        return "không đổi"
    return ("+" if change > 0 else "−") + display_number(abs(change))


@dataclass(frozen=True)
class ValueRow:
    period: str
    value: float | None
    target: float | None
    status: str
    computed_at: datetime | None
    partial: bool
    as_of: datetime | None
    base_value: float | None
    base_period: str | None


def values_for(session: Session, codes: Sequence[str], unit_code: str) -> dict[str, list[ValueRow]]:
    """Every value of the codes at one unit, by code, periods ascending."""
    out: dict[str, list[ValueRow]] = {c: [] for c in codes}
    if not codes:
        return out
    rows = session.execute(
        select(IndicatorValue.code, IndicatorValue.period, IndicatorValue.value, IndicatorValue.target,
               IndicatorValue.status, IndicatorValue.computed_at, IndicatorValue.partial, IndicatorValue.as_of,
               IndicatorValue.base_value, IndicatorValue.base_period)
        .where(IndicatorValue.code.in_(list(set(codes))), IndicatorValue.unit_code == unit_code)
        .order_by(IndicatorValue.code, IndicatorValue.period))
    for code, *rest in rows:
        period, value, target, status, computed_at, partial, as_of, base_value, base_period = rest
        out[code].append(ValueRow(period, value, target, status or "nodata", computed_at, bool(partial), as_of,
                                  base_value, base_period))
    return out


def details_href(defn: IndicatorDefinition, period: str | None, unit_code: str, level: str) -> str:
    """The definition's drill-down (e.g. the dossiers behind a public-services rate) for a period and unit."""
    if not defn.details_url or period is None:
        return ""
    from urllib.parse import quote

    unit = "" if level == "province" else unit_code
    return defn.details_url.format(period=quote(period), unit=quote(unit), code=quote(defn.code), scope=level)


def make_tile(defn: IndicatorDefinition, rows: Sequence[ValueRow], *, chart_kind: str, span: int,
              unit_code: str, level: str, today: date | None = None) -> Tile:
    """A tile: the latest *complete* period as the headline, the current (partial) period under it marked
    "tạm tính đến …" with a like-for-like change, the staleness mark and a status that means the target."""
    complete = [r for r in rows if not r.partial]
    current = rows[-1] if rows and rows[-1].partial else None
    recent = complete[-TREND_LENGTH:]
    headline = recent[-1] if recent else current
    previous = recent[-2] if len(recent) > 1 else None
    value = None if headline is None else headline.value
    target = None if headline is None else headline.target
    status = "nodata" if headline is None else headline.status
    change = None
    if (value is not None and headline is not None and not headline.partial and previous is not None
            and previous.value is not None):
        change = round(value - previous.value, 6)
    href = f"/indicators/{defn.code}" + (f"?unit={unit_code}" if level == "commune" else "")
    latest_with_value = next((r.period for r in reversed(rows) if r.value is not None), None)
    fresh = rules.freshness(defn.periodicity, defn.publication, latest_with_value,
                            today or rules.local_day(utcnow()))
    headline_partial = headline is not None and headline.partial
    as_of_text = ""
    for row in (headline if headline_partial else None, current):
        if row is not None and row.as_of is not None:
            as_of_text = rules.partial_label(row.as_of)
    current_text = current_change = ""
    if current is not None and not headline_partial:
        current_text = display_number(current.value)
        if current.value is not None and current.base_value is not None:
            points = " điểm %" if defn.unit.strip().startswith("%") else ""
            current_change = (f"{_format_change(round(current.value - current.base_value, 6))}{points} so với "
                              f"cùng kỳ {period_label(current.base_period, short=True)}")
    label = STATUS_LABELS.get(status, status)
    if headline_partial and status == "neutral":
        label = "Theo dõi (tạm tính)"
    tile = Tile(
        code=defn.code, name=defn.name, unit=defn.unit, period=None if headline is None else headline.period,
        value=value, value_text=display_number(value), target=target, status=status,
        trend=[r.value for r in recent], trend_periods=[r.period for r in recent], change=change,
        chart_kind=chart_kind, href=href, span=span, domain=defn.domain, direction=defn.direction,
        periodicity=defn.periodicity, levels=list(defn.levels or []), target_text=display_number(target),
        change_text=_format_change(change) + (" điểm %" if change and defn.unit.strip().startswith("%") else ""),
        status_label=label, trend_targets=[r.target for r in recent],
        partial=headline_partial, as_of_text=as_of_text,
        current_period=current.period if current is not None and not headline_partial else None,
        current_text=current_text,
        current_change_text=current_change, stale=fresh.stale, expected_period=fresh.expected_period,
        details_href=details_href(defn, None if headline is None else headline.period, unit_code, level))
    if tile.details_href:
        tile.href = tile.details_href  # the tile opens what is behind its number (e.g. the dossiers)
    return tile


def _visibility(principal: Principal) -> str:
    if principal.can_read_all():
        return "all"
    return "officials" if allowed(principal, "officials.read") else "public"


def board_view(session: Session, *, slug: str, unit_code: str | None, province_code: str,
               principal: Principal) -> BoardView:
    """The tiles of a board for the province (``unit_code`` None) or one of its communes."""
    board = read_board(session, slug, principal)
    unit, unit_name, level = resolve_unit(unit_code, province_code)
    today = rules.local_day(utcnow())  # staleness depends on the day
    key = ("board", board.id, board.updated_at, unit, _visibility(principal), today,
           *indicators.data_state(session))
    cached = _CACHE.get(key)
    if cached is None:
        cached = _build_tiles(session, board, unit, level, principal)
        _CACHE.put(key, cached)
    tiles, updated_at = cached
    return BoardView(board=board, unit_code=unit, unit_name=unit_name, tiles=[replace(t) for t in tiles],
                     updated_at=updated_at, province_code=province_code, level=level, state=key)


def _build_tiles(session: Session, board: Board, unit: str, level: str,
                 principal: Principal) -> tuple[list[Tile], datetime | None]:
    codes = [item.indicator_code for item in board.items]
    definitions = {d.code: d for d in session.scalars(
        select(IndicatorDefinition).where(IndicatorDefinition.code.in_(list(set(codes)))))} if codes else {}
    readable = {c: d for c, d in definitions.items() if indicators.can_read(principal, d)}
    values = values_for(session, list(readable), unit)
    tiles: list[Tile] = []
    updated_at: datetime | None = None
    for item in board.items:
        defn = readable.get(item.indicator_code)
        if defn is None:
            continue
        if level == "commune" and "commune" not in (defn.levels or []):
            continue  # a province-only indicator has no value for a commune
        rows = values.get(defn.code, [])
        tiles.append(make_tile(defn, rows, chart_kind=item.chart_kind, span=item.span, unit_code=unit, level=level))
        for row in rows[-1:]:
            if row.computed_at is not None and (updated_at is None or row.computed_at > updated_at):
                updated_at = row.computed_at
    return tiles, updated_at


def overview(session: Session, *, unit_code: str | None, province_code: str, principal: Principal) -> Overview:
    """The home page `/`: the overview board's tiles, open alerts and overdue directives (for the unit)."""
    from dieuhanh.alerts import directives as directive_service

    view = board_view(session, slug=OVERVIEW, unit_code=unit_code, province_code=province_code,
                      principal=principal)
    groups: list[Any] = []
    total = total_groups = 0
    overdue: list[Any] = []
    today = directive_service.today_local()
    if allowed(principal, "officials.read"):
        groups, total, total_groups, overdue = _live_part(session, principal, view, today)
    map_indicator = next((t.code for t in view.tiles if t.has_communes and t.value is not None),
                         next((t.code for t in view.tiles if t.has_communes), None))
    return Overview(view=view, alerts=groups, directives=overdue, map_indicator=map_indicator, today=today,
                    alert_total=total, alert_groups=total_groups)


_LIVE = LRUCache(64)


@dataclass(frozen=True)
class _Live:
    """What the overview shows live, for the whole province, as one principal sees it."""

    groups: list[Any]  # every group of alerting instances (AlertGroup), in triage order
    complete: bool  # False when there were more groups than one triage page holds
    overdue: list[Any]  # overdue directives
    commune_agencies: dict[str, Any]  # commune People's Committees by code (the unit filter of triage)
    agencies_of_unit: dict[str | None, set[str]]  # agency codes by their commune


def _live_part(session: Session, principal: Principal, view: BoardView,
               today: date) -> tuple[list[Any], int, int, list[Any]]:
    """The overview's open alerts (first groups, totals) and overdue directives. The province-wide part is kept in
    memory until an alert or directive changes (``alerts.state.alerts_state``, one cheap query) and a commune's
    is filtered from it, so `/` and `/?unit=` do not triage every instance on each request; entries live at most
    ``alerts.state.MAX_AGE`` seconds for names that have no change marker. Same groups, order and counts as
    ``triage(state="alerting", unit=...)``."""

    from dieuhanh.alerts import triage

    key = ("live", today, principal.kind, principal.role, principal.agency_code, principal.can_read_all())
    live = alert_state.kept(session, _LIVE, key, lambda: _build_live(session, principal, today))
    unit = view.unit_code if view.is_commune else None
    if not live.complete:  # more groups than a page: triage itself
        result = triage.triage(session, principal=principal, group=True, page_size=OVERVIEW_ALERT_GROUPS,
                               filters=triage.Filters(state="alerting", unit=unit))
        groups, total, total_groups = result.groups, result.total, result.total_groups
    elif unit is None:
        groups, total_groups = live.groups[:OVERVIEW_ALERT_GROUPS], len(live.groups)
        total = sum(g.count for g in live.groups)
    else:
        wanted = triage.Filters(unit=unit)
        chosen = []
        for group in live.groups:
            rows = [r for r in group.rows if triage._matches(r, wanted, live.commune_agencies)]
            if rows:
                chosen.append(replace(group, rows=rows))
        chosen.sort(key=lambda g: (not g.mine, triage.SEVERITY_RANK.get(g.rule.severity, 9), -g.count,
                                   -g.latest.timestamp(), g.rule.name))  # as triage orders groups
        groups, total_groups = chosen[:OVERVIEW_ALERT_GROUPS], len(chosen)
        total = sum(g.count for g in chosen)
    overdue = live.overdue
    if view.is_commune:
        agencies = live.agencies_of_unit.get(view.unit_code, set())
        overdue = [d for d in overdue if d.agency_code in agencies]
    return groups, total, total_groups, overdue


def _build_live(session: Session, principal: Principal, today: date) -> _Live:
    from dieuhanh.alerts import directives as directive_service
    from dieuhanh.alerts import triage

    result = triage.triage(session, principal=principal, group=True, page_size=triage.MAX_PAGE_SIZE,
                           filters=triage.Filters(state="alerting"))
    overdue = directive_service.list_directives(session, principal=principal, status="overdue", today=today)
    commune_agencies = {a.code: a for a in session.scalars(select(Agency).where(Agency.kind == "commune"))}
    agencies_of_unit: dict[str | None, set[str]] = {}
    for code, unit_code in session.execute(select(Agency.code, Agency.unit_code)):
        agencies_of_unit.setdefault(unit_code, set()).add(code)
    return _Live(groups=result.groups, complete=result.total_groups <= len(result.groups), overdue=overdue,
                 commune_agencies=commune_agencies, agencies_of_unit=agencies_of_unit)


# ------------------------------------------------------------------------------------------------ map


@dataclass
class CommuneValues:
    code: str
    name: str
    unit: str
    period: str | None
    periods: list[str]
    values: dict[str, float | None]
    statuses: dict[str, str]
    targets: dict[str, float | None]
    direction: str


def commune_values(session: Session, *, code: str, period: str | None, principal: Principal,
                   province_code: str) -> CommuneValues:
    """The commune values of one indicator for one period (the latest by default), for the choropleth."""
    defn = indicators.get_definition(session, principal=principal, code=code)
    key = ("communes", code, period, province_code, defn.updated_at, *indicators.data_state(session))
    cached = _CACHE.get(key)
    if cached is not None:
        return cast(CommuneValues, cached)
    data = _commune_values(session, defn, period)
    _CACHE.put(key, data)
    return data


def _commune_values(session: Session, defn: IndicatorDefinition, period: str | None) -> CommuneValues:
    code = defn.code
    periods = sorted(session.scalars(select(IndicatorValue.period).where(
        IndicatorValue.code == code, IndicatorValue.level == "commune").distinct()))
    shown = period if period in periods else (periods[-1] if periods else None)
    values: dict[str, float | None] = {}
    statuses: dict[str, str] = {}
    targets: dict[str, float | None] = {}
    if shown is not None:
        for unit, value, status, target in session.execute(
                select(IndicatorValue.unit_code, IndicatorValue.value, IndicatorValue.status, IndicatorValue.target)
                .where(IndicatorValue.code == code, IndicatorValue.level == "commune",
                       IndicatorValue.period == shown)):
            values[unit], statuses[unit], targets[unit] = value, status, target
    return CommuneValues(code=defn.code, name=defn.name, unit=defn.unit, period=shown, periods=periods,
                         values=values, statuses=statuses, targets=targets, direction=defn.direction)


def ranking(data: CommuneValues, names: dict[str, str]) -> list[tuple[str, str, float | None, str, float | None]]:
    """(code, name, value, status, target) of every commune, best first (by the indicator's direction; the
    highest first when it has none), communes without data last."""
    sign = 1.0 if data.direction == "lower_better" else -1.0
    rows = [(u, names.get(u, u), v, data.statuses.get(u) or "nodata", data.targets.get(u))
            for u, v in data.values.items()]
    return sorted(rows, key=lambda r: (r[2] is None, sign * (r[2] or 0.0), r[1]))


def map_indicators(session: Session, principal: Principal) -> list[IndicatorDefinition]:
    """Indicators with commune values (the choices of the map)."""
    return [d for d in indicators.list_definitions(session, principal=principal) if "commune" in (d.levels or [])]


# ------------------------------------------------------------------------------------------------ editing


def _snapshot(board: Board) -> dict[str, Any]:
    return {"slug": board.slug, "title": board.title, "domain": board.domain, "position": board.position,
            "public": board.public, "description": board.description,
            "items": [[i.indicator_code, i.chart_kind, i.span] for i in board.items]}


def _touch(session: Session, board: Board, principal: Principal, action: str, before: dict[str, Any] | None) -> None:
    board.customised = True
    board.updated_at = utcnow()
    for position, item in enumerate(board.items):
        item.position = position
    session.flush()
    audit.record(session, actor=principal.actor, action=action, entity_type="board", entity_id=board.slug,
                 before=before, after=_snapshot(board))
    clear_cache()


def _check_item(session: Session, code: str, chart_kind: str, span: int) -> None:
    if chart_kind not in CHART_KINDS:
        raise InvalidInput(f"Kiểu biểu đồ «{chart_kind}» không hợp lệ ({', '.join(CHART_KINDS)}).")
    if not 1 <= span <= 4:
        raise InvalidInput("Độ rộng phải từ 1 đến 4 cột.")
    defn = session.get(IndicatorDefinition, code)
    if defn is None:
        raise NotFound(f"Không có chỉ số «{code}».")
    if chart_kind in ("map", "table") and "commune" not in (defn.levels or []):
        raise InvalidInput(f"Chỉ số «{defn.name}» không tính theo xã, phường: không vẽ bản đồ hay bảng xã được.")


def create_board(session: Session, *, principal: Principal, slug: str, title: str, domain: str | None = None,
                 public: bool = False, description: str = "") -> Board:
    authorize(principal, "board.manage")
    slug, title = slug.strip().lower(), title.strip()
    if not slug or not all(c.isascii() and (c.isalnum() or c in "_-") for c in slug) or len(slug) > 60:
        raise InvalidInput("Mã bảng chỉ dùng chữ thường không dấu, số, dấu gạch ngang hoặc gạch dưới.")
    if not title:
        raise InvalidInput("Cần tên bảng.")
    if domain and domain not in DOMAINS:
        raise InvalidInput(f"Lĩnh vực «{domain}» không hợp lệ.")
    ensure_default_boards(session)
    if session.scalar(select(Board).where(Board.slug == slug)) is not None:
        raise InvalidInput(f"Đã có bảng mã «{slug}».")
    position = (session.scalar(select(func.max(Board.position))) or 0) + 1
    board = Board(slug=slug, title=title[:160], domain=domain or None, public=public, description=description,
                  position=position, customised=True)
    session.add(board)
    session.flush()
    _touch(session, board, principal, "board.create", None)
    return board


def update_board(session: Session, *, principal: Principal, slug: str, title: str | None = None,
                 public: bool | None = None, description: str | None = None, position: int | None = None) -> Board:
    authorize(principal, "board.manage")
    board = get_board(session, slug)
    before = _snapshot(board)
    if title is not None:
        if not title.strip():
            raise InvalidInput("Cần tên bảng.")
        board.title = title.strip()[:160]
    if public is not None:
        board.public = public
    if description is not None:
        board.description = description.strip()
    if position is not None:
        board.position = position
    _touch(session, board, principal, "board.update", before)
    return board


def delete_board(session: Session, *, principal: Principal, slug: str) -> None:
    authorize(principal, "board.manage")
    board = get_board(session, slug)
    if slug in {s for s, _title, _domains in DEFAULT_BOARDS}:
        raise InvalidInput("Không xóa được bảng mặc định; hãy bớt chỉ số trên bảng.")
    before = _snapshot(board)
    session.delete(board)
    session.flush()
    audit.record(session, actor=principal.actor, action="board.delete", entity_type="board", entity_id=slug,
                 before=before)
    clear_cache()


def add_item(session: Session, *, principal: Principal, slug: str, indicator_code: str, chart_kind: str = "kpi",
             span: int = 1) -> BoardItem:
    authorize(principal, "board.manage")
    board = get_board(session, slug)
    _check_item(session, indicator_code, chart_kind, span)
    if len(board.items) >= MAX_ITEMS:
        raise InvalidInput(f"Một bảng có tối đa {MAX_ITEMS} mục.")
    before = _snapshot(board)
    item = BoardItem(indicator_code=indicator_code, chart_kind=chart_kind, span=span, position=len(board.items))
    board.items.append(item)
    _touch(session, board, principal, "board.update", before)
    return item


def _item(board: Board, item_id: int) -> BoardItem:
    item = next((i for i in board.items if i.id == item_id), None)
    if item is None:
        raise NotFound(f"Bảng «{board.title}» không có mục số {item_id}.")
    return item


def update_item(session: Session, *, principal: Principal, slug: str, item_id: int, chart_kind: str | None = None,
                span: int | None = None) -> BoardItem:
    authorize(principal, "board.manage")
    board = get_board(session, slug)
    item = _item(board, item_id)
    kind = chart_kind or item.chart_kind
    width = span if span is not None else item.span
    _check_item(session, item.indicator_code, kind, width)
    before = _snapshot(board)
    item.chart_kind, item.span = kind, width
    _touch(session, board, principal, "board.update", before)
    return item


def remove_item(session: Session, *, principal: Principal, slug: str, item_id: int) -> None:
    authorize(principal, "board.manage")
    board = get_board(session, slug)
    item = _item(board, item_id)
    before = _snapshot(board)
    board.items.remove(item)
    _touch(session, board, principal, "board.update", before)


def move_item(session: Session, *, principal: Principal, slug: str, item_id: int, offset: int) -> None:
    """Move an item up (offset −1) or down (+1) in the board's order."""
    authorize(principal, "board.manage")
    board = get_board(session, slug)
    item = _item(board, item_id)
    before = _snapshot(board)
    items = list(board.items)
    index = items.index(item)
    target = max(0, min(len(items) - 1, index + offset))
    items.insert(target, items.pop(index))
    for position, each in enumerate(items):
        each.position = position
    board.items.sort(key=lambda i: i.position)
    _touch(session, board, principal, "board.update", before)


def reorder_items(session: Session, *, principal: Principal, slug: str, item_ids: Sequence[int]) -> None:
    """Put the items in the given order (ids not listed keep their relative order after the listed ones)."""
    authorize(principal, "board.manage")
    board = get_board(session, slug)
    before = _snapshot(board)
    rank = {item_id: i for i, item_id in enumerate(item_ids)}
    unknown = set(item_ids) - {i.id for i in board.items}
    if unknown:
        raise NotFound(f"Bảng «{board.title}» không có mục số {', '.join(map(str, sorted(unknown)))}.")
    board.items.sort(key=lambda i: (rank.get(i.id, len(rank)), i.position))
    _touch(session, board, principal, "board.update", before)


def tile_note(t: Tile) -> str:
    """What qualifies a tile's number: "tạm tính đến 07/12/2026", "Số liệu cũ (cần có kỳ 10/2026)"."""
    notes = []
    if t.partial and t.as_of_text:
        notes.append(t.as_of_text)
    if t.stale and t.expected_period:
        notes.append(f"Số liệu cũ (cần có kỳ {period_label(t.expected_period, short=True)})")
    if t.current_period and t.current_text:
        notes.append(f"Kỳ {period_label(t.current_period, short=True)} {t.as_of_text}: {t.current_text}"
                     + (f" ({t.current_change_text})" if t.current_change_text else ""))
    return "; ".join(notes)


def tiles_table(view: BoardView) -> tuple[list[str], list[list[Any]]]:
    """The tiles of a board as a table (PDF and XLSX exports)."""
    headers = ["Chỉ số", "Đơn vị tính", "Kỳ", "Giá trị", "Mục tiêu", "Thay đổi so với kỳ trước", "Đánh giá",
               "Ghi chú", "Mã chỉ số"]
    seen: set[str] = set()
    rows: list[list[Any]] = []
    for t in view.tiles:
        if t.code in seen:
            continue
        seen.add(t.code)
        rows.append([t.name, t.unit, t.period or "", t.value, t.target, t.change, t.status_label, tile_note(t),
                     t.code])
    return headers, rows
