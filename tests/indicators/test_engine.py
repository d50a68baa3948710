"""The indicator engine on small known data, on both stores."""

from __future__ import annotations

import pytest
from ind_helpers import COMMUNES, VAX_CSV, A, B, C, add_definition, create_and_load, vax_definition
from sqlalchemy import select

from dieuhanh.core.errors import InvalidInput
from dieuhanh.indicators import service
from dieuhanh.indicators.models import ComputeRun, IndicatorDefinition, IndicatorValue
from dieuhanh.indicators.schemas import parse_definition


def _values(db, code="ty_le_tiem"):
    with db.session() as session:
        return {(v.period, v.unit_code): v for v in session.scalars(select(IndicatorValue).where(
            IndicatorValue.code == code))}


def _compute(db, warehouse, **kw):
    with db.session() as session:
        return service.compute(session, warehouse, province_code="37", trigger="manual", **kw)


def test_values_per_commune_and_province_and_nodata_is_not_zero(db, warehouse):
    batch = create_and_load(db, warehouse)
    add_definition(db)
    summary = _compute(db, warehouse)
    assert summary.errors == {}
    values = _values(db)
    # every commune gets a row for each period; province too
    assert len(values) == 2 * (len(COMMUNES) + 1)
    assert values[("2025-06", A)].value == pytest.approx(96.0)
    assert values[("2025-06", B)].value == pytest.approx(80.0)
    assert values[("2025-06", "37")].value == pytest.approx(88.0)
    assert values[("2025-06", "37")].numerator == 176 and values[("2025-06", "37")].denominator == 200
    assert values[("2025-05", "37")].value == pytest.approx(140 / 150 * 100)
    assert values[("2025-06", "37")].level == "province" and values[("2025-06", A)].level == "commune"
    missing = values[("2025-06", C)]
    assert missing.value is None and missing.status == "nodata"
    # lineage
    assert values[("2025-06", A)].batches == [batch]
    with db.session() as session:
        run = session.scalars(select(ComputeRun)).one()
        assert run.values_written == len(values) and run.outcome == "success"


def test_status_from_target_and_thresholds(db, warehouse):
    create_and_load(db, warehouse)
    add_definition(db)
    _compute(db, warehouse)
    values = _values(db)
    assert values[("2025-06", A)].status == "good"  # 96 >= 95% of 95
    assert values[("2025-06", B)].status == "critical"  # 80/95 = 84 %
    assert values[("2025-06", "37")].status == "warning"  # 88/95 = 92.6 %
    assert values[("2025-06", "37")].target == 95


@pytest.mark.parametrize(("value", "target", "direction", "thresholds", "expected"), [
    (100, 100, "higher_better", {"warning": 95, "critical": 90}, "good"),
    (93, 100, "higher_better", {"warning": 95, "critical": 90}, "warning"),
    (80, 100, "higher_better", {"warning": 95, "critical": 90}, "critical"),
    (5, 5, "lower_better", {"warning": 95, "critical": 90}, "good"),
    (5.4, 5, "lower_better", {"warning": 95, "critical": 90}, "warning"),
    (6, 5, "lower_better", {"warning": 95, "critical": 90}, "critical"),
    (10, None, "lower_better", {"warning": 12, "critical": 15, "absolute": True}, "good"),
    (13, None, "lower_better", {"warning": 12, "critical": 15, "absolute": True}, "warning"),
    (16, None, "lower_better", {"warning": 12, "critical": 15, "absolute": True}, "critical"),
    (50, None, "higher_better", {"warning": 40, "critical": 30, "absolute": True}, "good"),
    (20, None, "higher_better", {"warning": 40, "critical": 30, "absolute": True}, "critical"),
    (5, 10, "neutral", {}, "neutral"),
    (None, 10, "higher_better", {}, "nodata"),
    (5, None, "higher_better", {"warning": 95}, "neutral"),
])
def test_status_rules(value, target, direction, thresholds, expected):
    assert service.status_for(value, target, direction, thresholds) == expected


def test_lower_better_through_the_engine(db, warehouse):
    create_and_load(db, warehouse)
    add_definition(db, direction="lower_better", targets={"2025": 90})
    _compute(db, warehouse)
    values = _values(db)
    assert values[("2025-06", A)].status == "warning"  # 90/96 = 93.75 % of the target: between 90 and 95
    assert values[("2025-06", B)].status == "good"  # 80 <= 90


def test_bad_sql_marks_the_definition_and_others_still_compute(db, warehouse):
    create_and_load(db, warehouse)
    add_definition(db)
    add_definition(db, code="hong",
                   sql="SELECT thang AS period, ma_xa AS unit_code, khong_co_cot AS value FROM tiem_thu")
    add_definition(db, code="thieu_bang",
                   sql="SELECT '2025-06' AS period, ma_xa AS unit_code, 1 AS value FROM khong_co")
    summary = _compute(db, warehouse)
    assert set(summary.errors) == {"hong", "thieu_bang"}
    with db.session() as session:
        broken = session.get(IndicatorDefinition, "hong")
        assert broken.state == "error" and "khong_co_cot" in broken.error
        assert "khong_co" in session.get(IndicatorDefinition, "thieu_bang").error
        assert session.get(IndicatorDefinition, "ty_le_tiem").state == "ok"
    assert _values(db)[("2025-06", A)].value == pytest.approx(96.0)
    # Old values of a definition that starts failing are kept.
    with db.session() as session:
        session.get(IndicatorDefinition, "ty_le_tiem").sql = "SELECT nonsense FROM tiem_thu"
    summary = _compute(db, warehouse, codes=["ty_le_tiem"])
    assert "ty_le_tiem" in summary.errors
    assert _values(db)[("2025-06", A)].value == pytest.approx(96.0)


def test_wrong_period_format_and_unknown_units_are_errors(db, warehouse):
    create_and_load(db, warehouse)
    add_definition(db, periodicity="year")
    add_definition(db, code="ngoai_tinh", sql="SELECT '2025-06' AS period, '00001' AS unit_code, 1 AS value")
    summary = _compute(db, warehouse)
    assert "không đúng dạng" in summary.errors["ty_le_tiem"] and "00001" in summary.errors["ngoai_tinh"]


def test_recompute_after_a_new_batch_changes_the_value(db, warehouse):
    create_and_load(db, warehouse)
    add_definition(db)
    _compute(db, warehouse)
    with db.session() as session:
        assert service.stale_codes(session) == []
    batch2 = create_and_load(db, warehouse, csv=f"ma_xa,thang,so_tre,da_tiem\n{C},2025-06,100,100\n", create=False)
    with db.session() as session:
        assert service.stale_codes(session, debounce_seconds=0) == ["ty_le_tiem"]
        summary = service.recompute_stale(session, warehouse, province_code="37", debounce_seconds=0)
        assert summary is not None and summary.computed == {"ty_le_tiem": 2 * (len(COMMUNES) + 1)}
    values = _values(db)
    assert values[("2025-06", C)].value == pytest.approx(100.0) and values[("2025-06", C)].status == "good"
    assert values[("2025-06", "37")].value == pytest.approx(276 / 300 * 100)
    assert batch2 in values[("2025-06", "37")].batches and len(values[("2025-06", "37")].batches) == 2
    with db.session() as session:
        assert service.stale_codes(session) == []


def test_new_batch_is_debounced(db, warehouse):
    create_and_load(db, warehouse)
    add_definition(db)
    _compute(db, warehouse)
    create_and_load(db, warehouse, csv=f"ma_xa,thang,so_tre,da_tiem\n{C},2025-06,100,100\n", create=False)
    with db.session() as session:
        assert service.stale_codes(session, debounce_seconds=600) == []
        assert service.stale_codes(session, debounce_seconds=0) == ["ty_le_tiem"]


def test_compute_one_period_keeps_the_others(db, warehouse):
    create_and_load(db, warehouse)
    add_definition(db)
    _compute(db, warehouse)
    with db.session() as session:
        session.get(IndicatorDefinition, "ty_le_tiem").sql = VAX_SQL_TIMES_TWO
    _compute(db, warehouse, period="2025-06")
    values = _values(db)
    assert values[("2025-06", A)].value == pytest.approx(192.0)
    assert values[("2025-05", A)].value == pytest.approx(90.0)


VAX_SQL_TIMES_TWO = ("SELECT thang AS period, ma_xa AS unit_code, 200.0 * sum(da_tiem) / sum(so_tre) AS value "
                     "FROM tiem_thu GROUP BY GROUPING SETS ((thang, ma_xa), (thang))")


def test_load_library_upserts_validates_and_keeps_analyst_definitions(db, warehouse, tmp_path):
    import yaml

    path = tmp_path / "lib.yaml"
    path.write_text(yaml.safe_dump([vax_definition(), vax_definition(code="khac", name="Khác")], allow_unicode=True))
    with db.session() as session:
        result = service.load_library(session, paths=[path])
        assert sorted(result.created) == ["khac", "ty_le_tiem"]
        session.get(IndicatorDefinition, "khac").origin = "analyst"
    with db.session() as session:
        assert session.get(IndicatorDefinition, "ty_le_tiem").datasets == ["tiem_thu"]
    path.write_text(yaml.safe_dump([vax_definition(name="Đổi tên"), vax_definition(code="khac", name="Khác nữa")],
                                   allow_unicode=True))
    with db.session() as session:
        result = service.load_library(session, paths=[path])
        assert result.updated == ["ty_le_tiem"] and result.kept == ["khac"]
        assert session.get(IndicatorDefinition, "khac").name == "Khác"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump([vax_definition(code="loi", periodicity="week")]))
    with db.session() as session, pytest.raises(InvalidInput) as info:
        service.load_library(session, paths=[bad])
    assert "bad.yaml" in info.value.message and "loi" in info.value.message and "periodicity" in info.value.message


def test_check_definition_runs_without_saving(db, warehouse):
    import yaml

    create_and_load(db, warehouse)
    with db.session() as session:
        results = service.check_definition(yaml.safe_dump([vax_definition()], allow_unicode=True), session=session,
                                           warehouse=warehouse, province_code="37")
        assert results[0].ok and results[0].rows == 2 * (len(COMMUNES) + 1)
        assert session.scalars(select(IndicatorDefinition)).all() == []
        bad = service.check_definition(yaml.safe_dump([vax_definition(sql="SELECT 1 AS x FROM tiem_thu")]),
                                       session=session, warehouse=warehouse, province_code="37")
        assert not bad[0].ok and "period" in bad[0].error


def test_sql_is_guarded(db, warehouse):
    create_and_load(db, warehouse)
    add_definition(db, sql="SELECT * FROM read_csv('/etc/passwd')")
    summary = _compute(db, warehouse)
    assert "ty_le_tiem" in summary.errors


def test_definition_errors_name_the_field():
    with pytest.raises(InvalidInput) as info:
        parse_definition(vax_definition(domain="nope"), origin="x.yaml")
    assert "x.yaml" in info.value.message and "ty_le_tiem" in info.value.message and "domain" in info.value.message


def test_csv_fixture_is_consistent():
    assert VAX_CSV.count("\n") == 5 and A != B != C


def test_agency_level_values_only_for_the_agencies_the_query_returns(db, warehouse):
    create_and_load(db, warehouse)
    sql = (f"SELECT thang AS period, CASE WHEN ma_xa = '{A}' THEN 'SYT' ELSE 'SGDDT' END AS unit_code, "
           "100.0 * sum(da_tiem) / sum(so_tre) AS value FROM tiem_thu GROUP BY 1, 2 "
           "UNION ALL SELECT thang, NULL, 100.0 * sum(da_tiem) / sum(so_tre) FROM tiem_thu GROUP BY 1")
    add_definition(db, code="tiem_theo_co_quan", levels=["province", "agency"], sql=sql)
    summary = _compute(db, warehouse)
    assert summary.errors == {}
    values = _values(db, "tiem_theo_co_quan")
    assert values[("2025-06", "SYT")].value == pytest.approx(96.0) and values[("2025-06", "SYT")].level == "agency"
    assert values[("2025-06", "SGDDT")].value == pytest.approx(80.0)
    assert values[("2025-06", "37")].level == "province"
    # no row for agencies the query did not return, and no commune rows (level not asked for)
    assert {unit for _, unit in values} == {"SYT", "SGDDT", "37"}
    # an agency code that does not exist is an error, as an unknown unit is
    add_definition(db, code="co_quan_la", levels=["agency"],
                   sql="SELECT '2025-06' AS period, 'KHONG_CO' AS unit_code, 1 AS value")
    assert "KHONG_CO" in _compute(db, warehouse).errors["co_quan_la"]
