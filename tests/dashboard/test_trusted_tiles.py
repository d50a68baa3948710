"""Tiles read through the indicator rules: the latest complete period as the headline, the current one "tạm tính",
"Số liệu cũ" past the publication schedule, a link to what is behind the number; exports with names and the
demo mark."""

from __future__ import annotations

import io
from datetime import date, datetime

from dash_helpers import NAME_A, PROVINCE, A, add_definition
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import login
from dieuhanh.alerts.directives import create_directive
from dieuhanh.alerts.models import AlertInstance, AlertRule
from dieuhanh.core.meta import set_meta
from dieuhanh.core.security import SYSTEM, Principal
from dieuhanh.dashboard import exports, service
from dieuhanh.dashboard.views import print_html
from dieuhanh.demo.service import DEMO_META_KEY, _demo_cache
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue
from dieuhanh.orgs.models import Agency

LEADER = Principal(kind="user", id=1, name="lanh-dao", role="leader")
AS_OF = datetime(2026, 12, 7, 3, 0)  # 07/12/2026 10:00 in Hà Nội
TODAY = date(2026, 12, 7)


def _rows(session, code: str, rows: list[tuple[str, float, bool, float | None]],  # type: ignore[no-untyped-def]
          unit: str = PROVINCE) -> None:
    for period, value, partial, base in rows:
        session.add(IndicatorValue(
            code=code, period=period, unit_code=unit, level="province" if unit == PROVINCE else "commune",
            value=value, target=None, status="neutral", batches=[], partial=partial,
            as_of=AS_OF if partial else None, base_value=base, base_period="2026-11" if partial else None))


def test_headline_is_the_latest_complete_period_and_the_current_one_is_marked(db):
    with db.session() as session:
        add_definition(session, "so_vu", domain="traffic", unit="vụ", direction="lower_better",
                       name="Số vụ tai nạn giao thông")
        _rows(session, "so_vu", [("2026-10", 50, False, None), ("2026-11", 47, False, None),
                                 ("2026-12", 12, True, 15)])
        session.flush()
        defn = session.get(IndicatorDefinition, "so_vu")
        rows = service.values_for(session, ["so_vu"], PROVINCE)["so_vu"]
        tile = service.make_tile(defn, rows, chart_kind="kpi", span=1, unit_code=PROVINCE, level="province",
                                 today=TODAY)
    # Never "12 vụ in December" as if the month had ended, never a 35-point drop against a whole November.
    assert tile.period == "2026-11" and tile.value == 47 and not tile.partial
    assert tile.change == -3 and tile.change_text == "−3" and tile.change_trend == "better"
    assert tile.current_period == "2026-12" and tile.current_text == "12"
    assert tile.as_of_text == "tạm tính đến 07/12/2026"
    assert tile.current_change_text == "−3 so với cùng kỳ 11/2026"  # like for like: 1–7/12 against 1–7/11
    assert tile.trend_periods == ["2026-10", "2026-11"]
    assert not tile.stale and tile.expected_period == "2026-10"
    assert "tạm tính đến 07/12/2026" in service.tile_note(tile)


def test_stale_tiles_and_links_to_what_is_behind_the_number(db):
    with db.session() as session:
        add_definition(session, "cham", domain="health", name="Số liệu chậm")  # monthly, due the 20th
        add_definition(session, "dvc_dung_han", domain="public_services", name="Tỷ lệ hồ sơ đúng hạn",
                       details_url="/publicservices/dossiers?period={period}&scope={scope}&unit={unit}&indicator=2.1")
        _rows(session, "cham", [("2026-08", 90, False, None), ("2026-09", 91, False, None)])
        _rows(session, "dvc_dung_han", [("2026-11", 98.5, False, None)])
        _rows(session, "dvc_dung_han", [("2026-11", 96.0, False, None)], unit=A)
        session.flush()
        stale = service.make_tile(session.get(IndicatorDefinition, "cham"),
                                  service.values_for(session, ["cham"], PROVINCE)["cham"], chart_kind="kpi",
                                  span=1, unit_code=PROVINCE, level="province", today=TODAY)
        fresh = service.make_tile(session.get(IndicatorDefinition, "cham"),
                                  service.values_for(session, ["cham"], PROVINCE)["cham"], chart_kind="kpi",
                                  span=1, unit_code=PROVINCE, level="province", today=date(2026, 10, 19))
        dvc = session.get(IndicatorDefinition, "dvc_dung_han")
        province = service.make_tile(dvc, service.values_for(session, ["dvc_dung_han"], PROVINCE)["dvc_dung_han"],
                                     chart_kind="kpi", span=1, unit_code=PROVINCE, level="province", today=TODAY)
        commune = service.make_tile(dvc, service.values_for(session, ["dvc_dung_han"], A)["dvc_dung_han"],
                                    chart_kind="kpi", span=1, unit_code=A, level="commune", today=TODAY)
    assert stale.stale and stale.expected_period == "2026-10"  # October was due on 20/11
    assert "Số liệu cũ (cần có kỳ 10/2026)" in service.tile_note(stale)
    assert not fresh.stale  # on 19/10 September is the newest period due
    assert province.href == "/publicservices/dossiers?period=2026-11&scope=province&unit=&indicator=2.1"
    assert commune.href == f"/publicservices/dossiers?period=2026-11&scope=commune&unit={A}&indicator=2.1"


def _export_data(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        add_definition(session, "tiem_chung", domain="health", name="Tỷ lệ tiêm chủng đầy đủ")
        _rows(session, "tiem_chung", [("2026-10", 90.0, False, None), ("2026-11", 92.0, False, None)])
        _rows(session, "tiem_chung", [("2026-11", 71.0, False, None)], unit=A)
        rule = AlertRule(name="Tiêm chủng thấp", indicator_code="tiem_chung", level="commune", kind="threshold",
                         params={"op": "<", "value": 80}, severity="critical", channels=[], group_by=["rule"])
        session.add(rule)
        session.flush()
        session.add(AlertInstance(rule_id=rule.id, unit_code=A, state="Alerting", period="2026-11",
                                  message="Kỳ 11/2026: 71 nhỏ hơn 80.", last_value=71.0))
        create_directive(session, principal=SYSTEM, agency_code=f"UBND{A}", deadline=date(2020, 1, 1),
                         instruction="Rà soát trẻ chưa tiêm đủ")
        set_meta(session, DEMO_META_KEY, "2025")  # the demo province is loaded: exports carry the mark


def test_names_in_a_pdf_and_an_xlsx_export_and_the_demo_mark(db, app, client, factory):
    _export_data(db)
    _demo_cache.clear()
    committee = f"UBND {NAME_A[0].lower()}{NAME_A[1:]}"
    with db.session() as session:
        data = service.overview(session, unit_code=None, province_code=PROVINCE, principal=LEADER)
        names = {str(a): str(n) for a, n in session.execute(select(Agency.code, Agency.name))}
        html = print_html(app.state.templates, app.state.province, data.view, title="Tổng quan", extra={
            "alerts": data.alerts, "alert_total": data.alert_total, "directives": data.directives,
            "agency_names": names, "is_demo": True})
    text = " ".join(t for t, _f in exports.document_text(exports.render_document(html)))
    assert "DỮ LIỆU MẪU" in text
    assert f"Tiêm chủng thấp — {NAME_A}" in text and committee in text  # the commune and its committee by name
    assert A not in text and f"UBND{A}" not in text  # never their codes
    _, leader, _ = factory.user("leader")
    login(client, leader)
    pdf = client.get("/?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    sheet = load_workbook(io.BytesIO(client.get("/map.xlsx", params={"indicator": "tiem_chung"}).content)).active
    assert "DỮ LIỆU MẪU" in sheet["A2"].value and sheet.oddHeader.center.text.startswith("DỮ LIỆU MẪU")
    header = [c.value for c in sheet[3]]
    ranked = {r[header.index("Xã, phường")]: r[header.index(next(h for h in header if h.startswith("Giá trị")))]
              for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert ranked[NAME_A] == 71.0
    board = load_workbook(io.BytesIO(client.get("/?format=xlsx").content)).active
    assert "DỮ LIỆU MẪU" in board["A2"].value
    _demo_cache.clear()
