"""Pages of the public-services board: ``/publicservices`` (scores, rankings, trend, map), the dossiers behind a
number ``/publicservices/dossiers`` and the ranking's exports ``/publicservices/ranking.xlsx|.pdf``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from dieuhanh.core.formatting import LOCAL_TZ, format_number
from dieuhanh.core.periods import kind_of
from dieuhanh.core.security import Principal, allowed
from dieuhanh.publicservices import board, compute
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

TITLE = "Chỉ số phục vụ người dân, doanh nghiệp (Quyết định 766/QĐ-TTg)"
PAGE_SIZE = 50
STATUS_NAMES = {
    1: "Mới đăng ký", 2: "Được tiếp nhận", 3: "Không được tiếp nhận", 4: "Đang xử lý", 5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính", 7: "Công dân yêu cầu rút hồ sơ", 8: "Dừng xử lý",
    9: "Đã xử lý xong", 10: "Đã trả kết quả",
}
CHANNELS = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính công ích"}


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _home(session: Session, principal: Principal, province_code: str) -> tuple[str, str]:
    """Where a user lands: officers on their own agency, everyone else on the province."""
    if principal.has_role("officer") and principal.agency_code:
        return "agency", principal.agency_code
    return "province", province_code


def _choose(request: Request, db: Session, principal: Principal, period: str, kind: str, scope: str,
            unit: str) -> tuple[str, str, str, str]:
    province_code = request.app.state.settings.province_code
    warehouse = request.app.state.warehouse
    home_scope, home_unit = _home(db, principal, province_code)
    scope = scope or home_scope
    unit = unit or (home_unit if scope == home_scope else province_code if scope == "province" else "")
    if scope == "province":
        unit = province_code
    board.check_scope(principal, scope, unit, db)
    kind = kind if kind in board.PERIOD_KINDS else (kind_of(period) if period else "month")
    if not period:
        period = board.default_period(warehouse, kind, compute.as_of_of(db)) or ""
    return period, kind, scope, unit


@router.get("/publicservices", response_class=HTMLResponse)
def board_page(request: Request, db: DB, principal: LoggedIn, period: str = "", kind: str = "",
               scope: str = "", unit: str = "") -> HTMLResponse:
    with request.app.state.warehouse.reading():  # one open of the warehouse file for the board's dozen reads
        return _board_page(request, db, principal, period, kind, scope, unit)


def _board_page(request: Request, db: Session, principal: Principal, period: str, kind: str, scope: str,
                unit: str) -> HTMLResponse:
    warehouse = request.app.state.warehouse
    province_code = request.app.state.settings.province_code
    period, kind, scope, unit = _choose(request, db, principal, period, kind, scope, unit)
    names = board.unit_names(db, province_code)
    name = names.get((scope, unit), unit)
    officer = principal.has_role("officer")
    ctx: dict[str, Any] = {
        "title": TITLE, "period": period, "kind": kind, "scope": scope, "unit": unit, "unit_name": name,
        "PERIOD_KINDS": board.PERIOD_KINDS, "SCOPE_LABELS": board.SCOPE_LABELS, "officer": officer,
        "demo_note": board.demo_note(db), "period_label": board.period_label,
        "periods": list(reversed(board.periods(warehouse, kind))),
        "can_dossiers": allowed(principal, "publicservices.dossiers", unit if scope == "agency" else None)
        or (officer and scope == "commune"),
    }
    if not period:
        return render(request, "publicservices/board.html", {**ctx, "empty": True})
    as_of = compute.as_of_of(db) or compute.local_now()
    scores = board.unit_scores(warehouse, period=period, scope=scope, unit=unit, name=name, as_of=as_of)
    province = scores if scope == "province" else board.unit_scores(
        warehouse, period=period, scope="province", unit=province_code, name="", as_of=as_of)
    kinds = board.agency_kinds(db)
    agencies = [] if officer else board.ranking(warehouse, period=period, scope="agency", names=names,
                                                agency_kinds=kinds, reference_share=province.share)
    communes = [] if officer else board.ranking(warehouse, period=period, scope="commune", names=names,
                                                reference_share=province.share)
    series = board.trend(warehouse, scope=scope, unit=unit, until=period)
    map_values = {c["unit"]: c["total"] for c in communes if c.get("total") is not None}
    national = board.national(db, warehouse, period=period, province_code=province_code)
    return render(request, "publicservices/board.html", {
        **ctx, "empty": False, "s": scores, "agencies": agencies, "communes": communes,
        "trend_json": _json(series), "map_json": _json(map_values),
        "weak_gap": board.WEAK_GAP, "province_share": province.share, "national": national,
    })


def _dossier_rows(db: Session, request: Request, principal: Principal, *, indicator: str, period: str, scope: str,
                  unit: str, late: bool, page: int) -> dict[str, Any]:
    """The dossiers behind a number, through the engine's listing (late ones first)."""
    from dieuhanh.publicservices import api_indicators

    return api_indicators.list_dossiers(
        db, request.app.state.warehouse, principal=principal, indicator=indicator or None, period=period,
        scope=scope, unit=unit, late=late, page=page, page_size=PAGE_SIZE,
        province_code=request.app.state.settings.province_code)


def _fmt_date(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return value.strftime("%d/%m/%Y")


@router.get("/publicservices/dossiers", response_class=HTMLResponse)
def dossiers_page(request: Request, db: DB, principal: LoggedIn, period: str = "", scope: str = "",
                  unit: str = "", indicator: str = "2.1", late: bool = False,
                  page: int = Query(1, ge=1)) -> HTMLResponse:
    period, kind, scope, unit = _choose(request, db, principal, period, "", scope, unit)
    names = board.unit_names(db, request.app.state.settings.province_code)
    data = _dossier_rows(db, request, principal, indicator=indicator, period=period, scope=scope, unit=unit,
                         late=late, page=page)
    for item in data["items"]:
        item["ten_don_vi_hanh_chinh"] = names.get(("commune", item.get("ma_don_vi_hanh_chinh") or ""))
        item["ten_co_quan"] = names.get(("agency", item.get("ma_co_quan") or ""))
    return render(request, "publicservices/dossiers.html", {
        "title": TITLE, "period": period, "scope": scope, "unit": unit, "indicator": indicator, "late": late,
        "unit_name": names.get((scope, unit), unit), "data": data, "page": page, "page_size": PAGE_SIZE,
        "STATUS_NAMES": STATUS_NAMES, "CHANNELS": CHANNELS, "fmt_date": _fmt_date,
        "period_label": board.period_label, "demo_note": board.demo_note(db),
        "SCOPE_LABELS": board.SCOPE_LABELS,
    })


# ---------------------------------------------------------------------------------------------- exports

RANK_HEADERS = ["Hạng", "Mã", "Đơn vị", "Tổng điểm", "Điểm có dữ liệu", "Công khai, minh bạch", "Tiến độ giải quyết",
                "Dịch vụ công trực tuyến", "Thanh toán trực tuyến", "Số hóa hồ sơ", "Mức độ hài lòng",
                "Đúng hạn (%)", "Trực tuyến (%)", "Thanh toán trực tuyến (%)", "Hồ sơ tiếp nhận"]


def _ranking_rows(request: Request, db: Session, principal: Principal, period: str, scope: str
                  ) -> tuple[str, list[list[Any]]]:
    from dieuhanh.core.errors import InvalidInput, PermissionDenied

    if scope not in ("agency", "commune"):
        raise InvalidInput("Bảng xếp hạng có phạm vi agency (cơ quan) hoặc commune (xã, phường).")
    if principal.has_role("officer"):
        raise PermissionDenied("Cán bộ cơ quan chỉ xem được chỉ số của cơ quan mình.")
    warehouse = request.app.state.warehouse
    period = board.require_period(warehouse, period or None, "month")
    names = board.unit_names(db, request.app.state.settings.province_code)
    items = board.ranking(warehouse, period=period, scope=scope, names=names,
                          agency_kinds=board.agency_kinds(db) if scope == "agency" else None)
    rows = [[u["rank"], u["unit"], u["name"], u.get("total"), u.get("covered"), u.get("nhom_1"), u.get("nhom_2"),
             u.get("nhom_3"), u.get("nhom_4"), u.get("nhom_5"), u.get("nhom_6"), u.get("r2.1"), u.get("r3.3"),
             u.get("r3.6"), int(u.get("received") or 0)] for u in items]
    what = "cơ quan, đơn vị" if scope == "agency" else "xã, phường"
    return f"Xếp hạng {what} – {board.period_label(period)}", rows


@router.get("/publicservices/ranking.xlsx")
def ranking_xlsx(request: Request, db: DB, principal: LoggedIn, period: str = "", scope: str = "agency") -> Response:
    from dieuhanh.dashboard import exports

    title, rows = _ranking_rows(request, db, principal, period, scope)
    subtitle = TITLE + (" · Dữ liệu mô phỏng" if board.is_demo(db) else "")
    data = exports.table_to_xlsx(title, RANK_HEADERS, rows, subtitle=subtitle)
    return Response(data, media_type=exports.XLSX_MEDIA_TYPE,
                    headers=exports.attachment(exports.filename(f"xep-hang-766-{scope}-{period or 'moi-nhat'}",
                                                                "xlsx")))


@router.get("/publicservices/ranking.pdf")
def ranking_pdf(request: Request, db: DB, principal: LoggedIn, period: str = "", scope: str = "agency") -> Response:
    from dieuhanh.dashboard import exports

    title, rows = _ranking_rows(request, db, principal, period, scope)
    html = request.app.state.templates.get_template("publicservices/ranking_print.html").render({
        "title": title, "subtitle": TITLE, "headers": RANK_HEADERS, "rows": rows, "font_css": exports.font_face_css(),
        "province": request.app.state.province, "demo": board.is_demo(db), "num": format_number,
        "generated_at": datetime.now(LOCAL_TZ).strftime("%d/%m/%Y %H:%M"),
    })
    data = exports.html_to_pdf(html)
    return Response(data, media_type=exports.PDF_MEDIA_TYPE,
                    headers=exports.attachment(exports.filename(f"xep-hang-766-{scope}-{period or 'moi-nhat'}",
                                                                "pdf")))
