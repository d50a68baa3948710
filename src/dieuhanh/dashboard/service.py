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
from sqlalchemy.orm import Session, contains_eager

from dieuhanh.core import audit, cache
from dieuhanh.core.cache import LRUCache
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import InvalidInput, NotFound
from dieuhanh.core.formatting import format_number
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.dashboard.models import CHART_KINDS, Board, BoardItem
from dieuhanh.indicators import service as indicators
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue
from dieuhanh.indicators.schemas import DOMAINS
from dieuhanh.orgs.models import Agency

OVERVIEW = "overview"
TREND_LENGTH = 12
MAX_ITEMS = 60
STATUS_LABELS = {"good": "Đạt", "warning": "Cảnh báo", "critical": "Nghiêm trọng", "neutral": "Theo dõi",
                 "nodata": "Chưa có số liệu"}
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
    ("documents", "Văn bản đến", ("documents",)),
]
# The overview's key indicators, in order, when the indicator set has them; otherwise the first of each domain.
OVERVIEW_CODES = (
    "tang_truong_grdp_uoc_gop", "thu_ngan_sach_ty_le_du_toan", "cpi_so_cung_ky", "kim_ngach_xuat_khau_thang",
    "ty_le_ho_so_dung_han", "ty_le_ho_so_truc_tuyen_toan_trinh", "ty_le_bao_phu_bhyt", "ty_le_tiem_chung_day_du",
    "ty_le_tuyen_sinh_lop_10", "so_vu_tai_nan_giao_thong", "so_nguoi_chet_tngt", "ty_le_ngay_aqi_tot",
    "ty_le_don_thu_da_giai_quyet", "so_chi_dao_qua_han",
)
OVERVIEW_SIZE = 12


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
    alerts: list[Any]  # AlertInstance (open: Alerting or Pending)
    directives: list[Any]  # overdue Directive
    map_indicator: str | None
    today: date | None = None

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


def values_for(session: Session, codes: Sequence[str], unit_code: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every (period, value, target, status, computed_at) of the codes at one unit, by code, periods ascending."""
    out: dict[str, list[tuple[Any, ...]]] = {c: [] for c in codes}
    if not codes:
        return out
    rows = session.execute(
        select(IndicatorValue.code, IndicatorValue.period, IndicatorValue.value, IndicatorValue.target,
               IndicatorValue.status, IndicatorValue.computed_at)
        .where(IndicatorValue.code.in_(list(set(codes))), IndicatorValue.unit_code == unit_code)
        .order_by(IndicatorValue.code, IndicatorValue.period))
    for code, period, value, target, status, computed_at in rows:
        out[code].append((period, value, target, status, computed_at))
    return out


def make_tile(defn: IndicatorDefinition, rows: Sequence[tuple[Any, ...]], *, chart_kind: str, span: int,
              unit_code: str, level: str) -> Tile:
    recent = list(rows[-TREND_LENGTH:])
    last = recent[-1] if recent else None
    previous = recent[-2] if len(recent) > 1 else None
    value = None if last is None else last[1]
    target = None if last is None else last[2]
    status = "nodata" if last is None else (last[3] or "nodata")
    change = None
    if value is not None and previous is not None and previous[1] is not None:
        change = round(value - previous[1], 6)
    href = f"/indicators/{defn.code}" + (f"?unit={unit_code}" if level == "commune" else "")
    return Tile(
        code=defn.code, name=defn.name, unit=defn.unit, period=None if last is None else last[0], value=value,
        value_text=display_number(value), target=target, status=status,
        trend=[r[1] for r in recent], trend_periods=[r[0] for r in recent], change=change,
        chart_kind=chart_kind, href=href, span=span, domain=defn.domain, direction=defn.direction,
        periodicity=defn.periodicity, levels=list(defn.levels or []), target_text=display_number(target),
        change_text=_format_change(change), status_label=STATUS_LABELS.get(status, status),
        trend_targets=[r[2] for r in recent])


def _visibility(principal: Principal) -> str:
    if principal.can_read_all():
        return "all"
    return "officials" if allowed(principal, "officials.read") else "public"


def board_view(session: Session, *, slug: str, unit_code: str | None, province_code: str,
               principal: Principal) -> BoardView:
    """The tiles of a board for the province (``unit_code`` None) or one of its communes."""
    board = read_board(session, slug, principal)
    unit, unit_name, level = resolve_unit(unit_code, province_code)
    key = ("board", board.id, board.updated_at, unit, _visibility(principal), *indicators.data_state(session))
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
            if row[4] is not None and (updated_at is None or row[4] > updated_at):
                updated_at = row[4]
    return tiles, updated_at


def overview(session: Session, *, unit_code: str | None, province_code: str, principal: Principal) -> Overview:
    """The home page `/`: the overview board's tiles, open alerts and overdue directives (for the unit)."""
    from dieuhanh.alerts import directives as directive_service
    from dieuhanh.alerts.models import AlertInstance, AlertRule

    view = board_view(session, slug=OVERVIEW, unit_code=unit_code, province_code=province_code,
                      principal=principal)
    alerts: list[Any] = []
    overdue: list[Any] = []
    today = directive_service.today_local()
    if allowed(principal, "officials.read"):
        query = (select(AlertInstance).join(AlertRule, AlertRule.id == AlertInstance.rule_id)
                 .options(contains_eager(AlertInstance.rule))
                 .where(AlertInstance.state.in_(("Alerting", "Pending")))
                 .order_by(AlertInstance.since.desc(), AlertInstance.id.desc()).limit(50))
        if view.is_commune:
            query = query.where(AlertInstance.unit_code == view.unit_code)
        alerts = list(session.scalars(query))
        overdue = directive_service.list_directives(session, principal=principal, status="overdue", today=today)
        if view.is_commune:
            agencies = set(session.scalars(select(Agency.code).where(Agency.unit_code == view.unit_code)))
            overdue = [d for d in overdue if d.agency_code in agencies]
    map_indicator = next((t.code for t in view.tiles if t.has_communes and t.value is not None),
                         next((t.code for t in view.tiles if t.has_communes), None))
    return Overview(view=view, alerts=alerts, directives=overdue, map_indicator=map_indicator, today=today)


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


def tiles_table(view: BoardView) -> tuple[list[str], list[list[Any]]]:
    """The tiles of a board as a table (PDF and XLSX exports)."""
    headers = ["Mã chỉ số", "Chỉ số", "Đơn vị tính", "Kỳ", "Giá trị", "Mục tiêu", "Thay đổi so với kỳ trước",
               "Đánh giá"]
    seen: set[str] = set()
    rows: list[list[Any]] = []
    for t in view.tiles:
        if t.code in seen:
            continue
        seen.add(t.code)
        rows.append([t.code, t.name, t.unit, t.period or "", t.value, t.target, t.change, t.status_label])
    return headers, rows

