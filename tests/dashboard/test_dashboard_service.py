"""Boards: default boards, tiles read from the indicator values, drill-down, the commune officer's home, editing."""

from __future__ import annotations

import pytest
from dash_helpers import COMMUNES, MONTHS, NAME_A, PROVINCE, A, B, C, add_definition, add_series, add_value
from sqlalchemy import select

from dieuhanh.alerts.directives import create_directive
from dieuhanh.core.audit import AuditEntry
from dieuhanh.core.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from dieuhanh.core.security import ANONYMOUS, SYSTEM, Principal
from dieuhanh.dashboard import service
from dieuhanh.dashboard.models import Board
from dieuhanh.orgs.catalogue import commune_agency_code

LEADER = Principal(kind="user", id=1, name="lanh-dao", role="leader")
ANALYST = Principal(kind="user", id=2, name="phan-tich", role="analyst")
OFFICER = Principal(kind="user", id=3, name="can-bo", role="officer", agency_code="SYT")


def _defaults(session) -> None:  # type: ignore[no-untyped-def]
    add_definition(session, "tiem_chung", domain="health", name="Tỷ lệ tiêm chủng")
    add_definition(session, "giuong_benh", domain="health", unit="giường", levels=("province",),
                   name="Giường bệnh")
    add_definition(session, "thu_ngan_sach", domain="socio_economy", unit="tỷ đồng", levels=("province",),
                   name="Thu ngân sách")
    add_definition(session, "tai_nan", domain="traffic", unit="vụ", direction="lower_better", name="Tai nạn")


def test_default_boards_are_created_lazily_and_filled_by_domain(db):
    with db.session() as session:
        _defaults(session)
        boards = service.list_boards(session, LEADER)
        assert [b.slug for b in boards] == [s for s, _t, _d in service.DEFAULT_BOARDS]
        titles = {b.slug: b.title for b in boards}
        assert titles["socio_economy"] == "Kinh tế – xã hội" and titles["citizen_reports"] == "Phản ánh hiện trường"
        health = service.get_board(session, "health")
        kpis = [i.indicator_code for i in health.items if i.chart_kind == "kpi"]
        assert sorted(kpis) == ["giuong_benh", "tiem_chung"]
        # the commune-level indicator also gets a map; the province-only one cannot
        assert [i.indicator_code for i in health.items if i.chart_kind == "map"] == ["tiem_chung"]
        overview = service.get_board(session, "overview")
        assert {"tiem_chung", "thu_ngan_sach", "tai_nan"} <= {i.indicator_code for i in overview.items}
        # a second call creates nothing more
        assert len(service.list_boards(session, LEADER)) == len(service.DEFAULT_BOARDS)
        assert session.scalar(select(Board).where(Board.slug == "traffic")).items[0].indicator_code == "tai_nan"
    with db.session() as session, pytest.raises(NotFound):
        service.get_board(session, "khong-co")


def test_boards_created_before_the_indicators_are_filled_once_they_exist(db):
    with db.session() as session:
        service.ensure_default_boards(session)
        assert service.get_board(session, "health").items == []
        add_definition(session, "tiem_chung", domain="health")
        assert [i.indicator_code for i in service.get_board(session, "health").items][:1] == ["tiem_chung"]


def test_board_view_tiles_match_the_values(db):
    values = [80.0, 81.0, 82.5, None, 84.0, 85.0, 86.0, 87.0, 88.0, 89.0, 90.0, 1234.5, 91.0, 92.5]
    with db.session() as session:
        _defaults(session)
        add_series(session, "tiem_chung", values, target=95.0, status="warning")
        add_series(session, "tai_nan", [10.0, 12.0], status="critical")
        view = service.board_view(session, slug="health", unit_code=None, province_code=PROVINCE, principal=LEADER)
    assert view.unit_code == PROVINCE and view.unit_name == "Tỉnh Ninh Bình" and not view.is_commune
    tile = next(t for t in view.tiles if t.code == "tiem_chung" and t.chart_kind == "kpi")
    assert tile.period == MONTHS[len(values) - 1] == "2025-02"
    assert tile.value == 92.5 and tile.value_text == "92,5" and tile.unit == "%"
    assert tile.target == 95.0 and tile.status == "warning" and tile.status_label == "Gần đạt"
    assert tile.trend == values[-12:] and len(tile.trend) == 12 and tile.trend_periods == MONTHS[2:14]
    assert tile.change == pytest.approx(1.5) and tile.change_trend == "better"
    assert tile.change_text == "+1,5 điểm %"  # a rate's change is in percentage points
    assert tile.href == "/indicators/tiem_chung"
    # an indicator without values is "nodata", never zero
    empty = next(t for t in view.tiles if t.code == "giuong_benh")
    assert empty.value is None and empty.status == "nodata" and empty.value_text == "–" and empty.trend == []
    assert view.updated_at is not None
    with db.session() as session:  # fewer accidents is better: a rise from 10 to 12 reads "worse"
        traffic = service.board_view(session, slug="traffic", unit_code=None, province_code=PROVINCE,
                                     principal=LEADER)
    accidents = next(t for t in traffic.tiles if t.code == "tai_nan")
    assert (accidents.change, accidents.change_trend, accidents.status) == (2.0, "worse", "critical")


def test_drill_down_to_a_commune(db):
    with db.session() as session:
        _defaults(session)
        add_series(session, "tiem_chung", [90.0, 91.0], target=95.0)
        add_series(session, "tiem_chung", [70.0, 60.0], unit=A, target=95.0, status="critical")
        add_value(session, "tiem_chung", "2024-02", 99.0, unit=B, status="good")
        view = service.board_view(session, slug="health", unit_code=A, province_code=PROVINCE, principal=LEADER)
        assert view.is_commune and view.unit_code == A and view.unit_name == NAME_A
        codes = {t.code for t in view.tiles}
        assert "giuong_benh" not in codes  # province-only indicators have no commune value
        tile = next(t for t in view.tiles if t.code == "tiem_chung" and t.chart_kind == "kpi")
        assert (tile.value, tile.status, tile.change, tile.trend) == (60.0, "critical", -10.0, [70.0, 60.0])
        assert tile.href == f"/indicators/tiem_chung?unit={A}"
        nothing = service.board_view(session, slug="health", unit_code=C, province_code=PROVINCE, principal=LEADER)
        assert next(t for t in nothing.tiles if t.code == "tiem_chung").status == "nodata"
        with pytest.raises(NotFound):
            service.board_view(session, slug="health", unit_code="99999", province_code=PROVINCE, principal=LEADER)
        # the commune values behind the map, best first
        data = service.commune_values(session, code="tiem_chung", period=None, principal=LEADER,
                                      province_code=PROVINCE)
        assert data.period == "2024-02" and data.values[A] == 60.0 and data.values[B] == 99.0
        ranked = service.ranking(data, {A: "A", B: "B"})
        assert [r[0] for r in ranked] == [B, A]


def test_values_written_after_a_view_are_shown_at_once(db):
    with db.session() as session:
        _defaults(session)
        add_series(session, "tiem_chung", [90.0])
        first = service.board_view(session, slug="health", unit_code=None, province_code=PROVINCE, principal=LEADER)
        assert next(t for t in first.tiles if t.code == "tiem_chung").value == 90.0
        add_value(session, "tiem_chung", "2024-02", 93.0, status="good")
        session.flush()
        second = service.board_view(session, slug="health", unit_code=None, province_code=PROVINCE, principal=LEADER)
        assert next(t for t in second.tiles if t.code == "tiem_chung").value == 93.0


def test_commune_officer_lands_on_their_commune(db, factory):
    _, username, _ = factory.user("officer", agency=commune_agency_code(A))
    with db.session() as session:
        from dieuhanh.orgs.models import User
        from dieuhanh.orgs.service import principal_for_user

        officer = principal_for_user(session.scalar(select(User).where(User.username == username)))
        assert service.home_unit(session, officer) == A
        assert service.home_unit(session, OFFICER) is None  # a department officer sees the province
        assert service.home_unit(session, LEADER) is None


def test_overview_has_open_alerts_and_overdue_directives(db):
    from datetime import date

    from dieuhanh.alerts.models import AlertInstance, AlertRule

    with db.session() as session:
        _defaults(session)
        rule = AlertRule(name="Tiêm chủng thấp", indicator_code="tiem_chung", level="commune", kind="threshold",
                         params={"op": "<", "value": 80}, severity="critical", channels=[], group_by=["rule"])
        session.add(rule)
        session.flush()
        session.add_all([AlertInstance(rule_id=rule.id, unit_code=A, state="Alerting", period="2024-02",
                                       message="Dưới 80 %"),
                         AlertInstance(rule_id=rule.id, unit_code=B, state="Normal")])
        create_directive(session, principal=SYSTEM, agency_code="SYT", deadline=date(2020, 1, 1),
                         instruction="Báo cáo tiến độ tiêm chủng")
        create_directive(session, principal=SYSTEM, agency_code="SYT", deadline=date(2999, 1, 1),
                         instruction="Việc chưa đến hạn")
        data = service.overview(session, unit_code=None, province_code=PROVINCE, principal=LEADER)
        # Alerting instances grouped by rule, counted like /alerts (the Normal one is not open).
        assert [[r.unit_code for r in g.rows] for g in data.alerts] == [[A]] and data.alert_total == 1
        assert data.alerts[0].title.startswith("Tiêm chủng thấp — ")
        assert [d.title for d in data.directives] == ["Báo cáo tiến độ tiêm chủng"]
        assert data.board.slug == "overview" and data.map_indicator == "tiem_chung"
        at_b = service.overview(session, unit_code=B, province_code=PROVINCE, principal=LEADER)
        assert at_b.alerts == [] and at_b.unit_name != "Tỉnh Ninh Bình"


def test_public_cannot_open_internal_boards(db):
    with db.session() as session:
        _defaults(session)
        assert service.list_boards(session, ANONYMOUS) == []
        with pytest.raises(NotAuthenticated):
            service.board_view(session, slug="health", unit_code=None, province_code=PROVINCE, principal=ANONYMOUS)
        service.update_board(session, principal=ANALYST, slug="health", public=True)
        add_definition(session, "cong_khai", domain="health", public=True)
        service.add_item(session, principal=ANALYST, slug="health", indicator_code="cong_khai")
        view = service.board_view(session, slug="health", unit_code=None, province_code=PROVINCE,
                                  principal=ANONYMOUS)
        assert [t.code for t in view.tiles] == ["cong_khai"]  # only public indicators


def test_analyst_arranges_a_board_and_every_change_is_audited(db):
    with db.session() as session:
        _defaults(session)
        board = service.get_board(session, "traffic")
        assert [i.indicator_code for i in board.items if i.chart_kind == "kpi"] == ["tai_nan"]
        item = service.add_item(session, principal=ANALYST, slug="traffic", indicator_code="tiem_chung",
                                chart_kind="line", span=2)
        service.add_item(session, principal=ANALYST, slug="traffic", indicator_code="thu_ngan_sach")
        service.move_item(session, principal=ANALYST, slug="traffic", item_id=item.id, offset=-1)
        codes = [(i.indicator_code, i.chart_kind) for i in service.get_board(session, "traffic").items]
        assert codes == [("tai_nan", "kpi"), ("tai_nan", "line"), ("tiem_chung", "line"), ("tai_nan", "map"),
                         ("thu_ngan_sach", "kpi")]
        service.update_item(session, principal=ANALYST, slug="traffic", item_id=item.id, chart_kind="bar", span=3)
        first = service.get_board(session, "traffic").items[0]
        service.remove_item(session, principal=ANALYST, slug="traffic", item_id=first.id)
        remaining = service.get_board(session, "traffic").items
        assert first.id not in [i.id for i in remaining]
        assert [i.position for i in remaining] == list(range(len(remaining)))
        assert next(i for i in remaining if i.id == item.id).chart_kind == "bar"
        view = service.board_view(session, slug="traffic", unit_code=None, province_code=PROVINCE,
                                  principal=LEADER)
        assert [t.code for t in view.tiles] == [i.indicator_code for i in remaining]
        with pytest.raises(InvalidInput):  # a province-only indicator cannot be a commune map
            service.add_item(session, principal=ANALYST, slug="traffic", indicator_code="thu_ngan_sach",
                             chart_kind="map")
        with pytest.raises(InvalidInput):
            service.add_item(session, principal=ANALYST, slug="traffic", indicator_code="tai_nan", chart_kind="pie")
        with pytest.raises(NotFound):
            service.add_item(session, principal=ANALYST, slug="traffic", indicator_code="khong_co")
        board = service.create_board(session, principal=ANALYST, slug="giao-ban", title="Giao ban tháng")
        assert board.customised and service.get_board(session, "giao-ban").items == []
        with pytest.raises(InvalidInput):
            service.create_board(session, principal=ANALYST, slug="giao-ban", title="Trùng")
        with pytest.raises(InvalidInput):
            service.delete_board(session, principal=ANALYST, slug="traffic")
        service.delete_board(session, principal=ANALYST, slug="giao-ban")
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "board")).all()
        assert actions.count("board.update") == 5 and "board.create" in actions and "board.delete" in actions


@pytest.mark.parametrize("principal", [LEADER, OFFICER, ANONYMOUS])
def test_only_analysts_and_admins_arrange_boards(db, principal):
    with db.session() as session:
        _defaults(session)
        expected = NotAuthenticated if principal is ANONYMOUS else PermissionDenied
        with pytest.raises(expected):
            service.add_item(session, principal=principal, slug="health", indicator_code="tiem_chung")
        with pytest.raises(expected):
            service.create_board(session, principal=principal, slug="x", title="X")
        with pytest.raises(expected):
            service.update_board(session, principal=principal, slug="health", title="Y")


def test_board_view_with_values_computed_by_the_engine(db, warehouse):
    """End to end: a dataset loaded, the indicator computed by the engine, the tile shows its values."""
    from dieuhanh.catalog import service as catalog
    from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
    from dieuhanh.indicators import service as indicators
    from dieuhanh.indicators.models import IndicatorDefinition
    from dieuhanh.indicators.schemas import parse_definition
    from dieuhanh.ingest import service as ingest

    csv = f"ma_xa,thang,so_tre,da_tiem\n{A},2025-05,100,90\n{B},2025-05,50,50\n{A},2025-06,100,96\n{B},2025-06,100,80\n"
    schema = [ColumnIn(name="ma_xa", type="unit_code", required=True),
              ColumnIn(name="thang", type="string", required=True),
              ColumnIn(name="so_tre", type="integer", required=True),
              ColumnIn(name="da_tiem", type="integer", required=True)]
    item = parse_definition({
        "code": "ty_le_tiem", "name": "Tỷ lệ tiêm chủng đầy đủ", "domain": "health", "unit": "%",
        "periodicity": "month", "levels": ["province", "commune"], "direction": "higher_better",
        "targets": {"2025": 95}, "thresholds": {"warning": 95, "critical": 90},
        "sql": "SELECT thang AS period, ma_xa AS unit_code, 100.0 * sum(da_tiem) / sum(so_tre) AS value "
               "FROM tiem_thu GROUP BY GROUPING SETS ((thang, ma_xa), (thang))"})
    with db.session() as session:
        catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
            name="tiem_thu", title="Tiêm chủng", owner_agency="SYT", access="internal", schema=schema))
        ingest.load(session, warehouse, principal=SYSTEM, dataset_name="tiem_thu", source=csv.encode(),
                    filename="t.csv", province_code=PROVINCE, max_bytes=10_000_000)
        session.add(IndicatorDefinition(code=item.code, origin="test", state="ok", **indicators._fields(item)))
        session.flush()
        indicators.compute(session, warehouse, province_code=PROVINCE, codes=["ty_le_tiem"])
        view = service.board_view(session, slug="health", unit_code=None, province_code=PROVINCE, principal=LEADER)
        tile = next(t for t in view.tiles if t.code == "ty_le_tiem")
        # province: (96 + 80) / 200 = 88 % in June, (90 + 50) / 150 in May; 88 is 92.6 % of the 95 % target
        assert tile.period == "2025-06" and tile.value == pytest.approx(88.0) and tile.target == 95.0
        assert tile.status == "warning" and tile.trend[0] == pytest.approx(140 / 1.5)
        commune = service.board_view(session, slug="health", unit_code=B, province_code=PROVINCE, principal=LEADER)
        assert next(t for t in commune.tiles if t.code == "ty_le_tiem").value == pytest.approx(80.0)
        assert len(COMMUNES) == 129
