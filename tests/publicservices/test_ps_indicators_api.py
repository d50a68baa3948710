"""GET /api/v1/publicservices/indicators and /dossiers: exact shape, validation, permissions; the link to the
indicator set; the debounced recompute job."""

from __future__ import annotations

from datetime import date, timedelta

import psb_example as ex
import pytest
from sqlalchemy import select

from conftest import login
from dieuhanh.core.db import utcnow
from dieuhanh.indicators import service as indicators_service
from dieuhanh.indicators.models import IndicatorValue
from dieuhanh.publicservices import compute, jobs
from dieuhanh.publicservices.rules import profile_by_code

EVEN_SPLIT = profile_by_code("qd766_2022")  # the hand figures below are those of issue 8's profile

URL = "/api/v1/publicservices/indicators"
DOSSIERS = "/api/v1/publicservices/dossiers"


@pytest.fixture
def scored(db, warehouse):  # type: ignore[no-untyped-def]
    ex.load(db, warehouse)
    with db.session() as session:
        compute.recompute(session, warehouse, province_code="37", until=date(2025, 7, 31), indicators=False,
                          profile=EVEN_SPLIT)


def test_indicators_exact_shape(client, scored) -> None:  # type: ignore[no-untyped-def]
    r = client.get(URL, params={"period": "2025-06", "scope": "province"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"period", "scope", "unit", "profile", "total_score", "groups", "indicators"} <= set(body)
    assert (body["period"], body["scope"], body["unit"], body["profile"]) == ("2025-06", "province", "37",
                                                                              "qd766_2022")
    assert body["total_score"] == 32.95 and body["covered_points"] == 60.5
    assert [g["code"] for g in body["groups"]] == ["1", "2", "3", "4", "5", "6"]
    assert {"code", "name", "score", "max_score"} <= set(body["groups"][1])
    assert body["groups"][1] | {} == {**body["groups"][1], "name": "Tiến độ giải quyết", "score": 8.89,
                                     "max_score": 20.0}
    by = {i["code"]: i for i in body["indicators"]}
    assert {"code", "name", "numerator", "denominator", "ratio", "score", "max_score"} <= set(by["2.1"])
    assert (by["2.1"]["numerator"], by["2.1"]["denominator"], by["2.1"]["ratio"], by["2.1"]["score"],
            by["2.1"]["max_score"]) == (4, 9, 44.44, 8.89, 20)
    assert by["2.1"]["name"] == "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn"
    assert (by["4.4"]["ratio"], by["4.4"]["score"], by["4.4"]["status"]) == (None, None, "chưa có dữ liệu")
    quarter = client.get(URL, params={"period": "2025-Q2"}).json()
    assert {i["code"]: i["ratio"] for i in quarter["indicators"]}["2.1"] == 54.55
    empty = client.get(URL, params={"period": "2024-06"}).json()  # no data: nulls, never zeros
    assert empty["total_score"] is None and all(i["ratio"] is None for i in empty["indicators"])


@pytest.mark.parametrize("params", [
    {"period": "2025-13"}, {"period": "06/2025"}, {"period": "2025-06", "scope": "district"},
    {"period": "2025-06", "scope": "agency"}, {"period": "2025-06", "scope": "commune", "unit": "99999"},
    {"period": "2025-06", "scope": "agency", "unit": "KHONGCO"}, {},
])
def test_indicators_validation(client, factory, scored, params) -> None:  # type: ignore[no-untyped-def]
    _, name, _ = factory.user("leader")
    login(client, name)
    r = client.get(URL, params=params)
    assert r.status_code == 422, r.text
    assert r.json()


def test_indicators_permissions(client, factory, scored) -> None:  # type: ignore[no-untyped-def]
    agency = {"period": "2025-06", "scope": "agency", "unit": "STP"}
    assert client.get(URL, params=agency).status_code == 401  # agency scores: officials only
    _, officer, _ = factory.user("officer", agency="STP")
    login(client, officer)
    r = client.get(URL, params=agency)
    assert r.status_code == 200 and r.json()["total_score"] is not None
    assert client.get(URL, params={**agency, "unit": "SNV"}).status_code == 403
    assert client.get(URL, params={"period": "2025-06", "scope": "commune", "unit": ex.C1}).status_code == 403
    client.post("/logout", data={})
    client.cookies.clear()
    _, commune_officer, _ = factory.user("officer", agency=ex.UBND_C1)
    login(client, commune_officer)
    r = client.get(URL, params={"period": "2025-06", "scope": "commune", "unit": ex.C1})
    assert r.status_code == 200 and {i["code"]: i["ratio"] for i in r.json()["indicators"]}["2.1"] == 33.33
    client.cookies.clear()
    _, leader, _ = factory.user("leader")
    login(client, leader)
    r = client.get(URL, params={"period": "2025-06", "scope": "agency", "unit": ex.UBND_C1})
    assert r.status_code == 200
    by = {i["code"]: i for i in r.json()["indicators"]}
    assert (by["3.6"]["denominator"], by["3.6"]["ratio"], by["3.6"]["score"]) == (0, None, None)


def test_dossiers_behind_the_numbers(client, factory, scored) -> None:  # type: ignore[no-untyped-def]
    params = {"period": "2025-06", "scope": "province"}
    assert client.get(DOSSIERS, params=params).status_code == 401
    _, leader, _ = factory.user("leader")
    login(client, leader)
    r = client.get(DOSSIERS, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], body["late_count"], body["indicator"]) == (9, 5, "2.1")
    codes = [i["ma_ho_so"] for i in body["items"]]
    assert set(codes[:5]) == {"D2", "D4", "D6", "D10", "D13"} and set(codes[5:]) == {"D1", "D3", "D5", "D7"}
    assert all(i["late"] for i in body["items"][:5]) and not any(i["late"] for i in body["items"][5:])
    assert all("personal" not in i for i in body["items"])  # leaders do not see personal fields
    late = client.get(DOSSIERS, params={**params, "late": "true", "page_size": 2}).json()
    assert late["total"] == 5 and len(late["items"]) == 2 and late["page_size"] == 2
    page3 = client.get(DOSSIERS, params={**params, "late": "true", "page_size": 2, "page": 3}).json()
    assert [i["late"] for i in page3["items"]] == [True]
    online = client.get(DOSSIERS, params={**params, "indicator": "3.3"}).json()
    assert online["total"] == 7
    assert {i["ma_ho_so"] for i in online["items"] if i["in_numerator"]} == {"D1", "D3", "D4", "D13"}
    commune = client.get(DOSSIERS, params={"period": "2025-06", "scope": "commune", "unit": ex.C2}).json()
    assert {i["ma_ho_so"] for i in commune["items"]} == {"D3", "D4", "D7"}
    assert client.get(DOSSIERS, params={**params, "indicator": "3.1"}).status_code == 422
    assert client.get(DOSSIERS, params={**params, "indicator": "9.9"}).status_code == 422


def test_officer_sees_own_agency_dossiers_with_personal_fields(client, factory, scored) -> None:  # type: ignore[no-untyped-def]
    _, officer, _ = factory.user("officer", agency="STP")
    login(client, officer)
    body = client.get(DOSSIERS, params={"period": "2025-06"}).json()
    assert body["total"] == 8 and all(i["ma_co_quan"] == "STP" for i in body["items"])  # not D13
    d1 = next(i for i in body["items"] if i["ma_ho_so"] == "D1")
    assert d1["personal"]["HoTenNguoiNop"] == "Nguyễn Văn An"
    client.cookies.clear()
    _, other, _ = factory.user("officer", agency=ex.UBND_C1)
    login(client, other)
    body = client.get(DOSSIERS, params={"period": "2025-06", "scope": "agency", "unit": "STP"}).json()
    assert body["total"] == 0  # an officer never lists another agency's dossiers
    mine = client.get(DOSSIERS, params={"period": "2025-06"}).json()
    assert [i["ma_ho_so"] for i in mine["items"]] == ["D13"] and "personal" in mine["items"][0]


def test_recompute_feeds_the_indicator_set(db, warehouse) -> None:  # type: ignore[no-untyped-def]
    ex.load(db, warehouse)
    with db.session() as session:
        indicators_service.load_library(session)
    with db.session() as session:
        compute.recompute(session, warehouse, province_code="37", until=date(2025, 7, 31), profile=EVEN_SPLIT)
    with db.session() as session:
        values = {(v.code, v.period, v.unit_code): v for v in session.scalars(
            select(IndicatorValue).where(IndicatorValue.code.in_(compute.INDICATOR_CODES)))}
    v = values[("dvc_ty_le_dung_han", "2025-06", "37")]
    assert (v.level, v.value, v.numerator, v.denominator) == ("province", 44.44, 4, 9)
    assert values[("dvc_ty_le_dung_han", "2025-06", "STP")].level == "agency"
    assert values[("dvc_ty_le_dung_han", "2025-06", "STP")].value == 50.0
    assert values[("dvc_ty_le_dung_han", "2025-06", ex.C1)].level == "commune"
    assert values[("dvc_ty_le_truc_tuyen", "2025-06", "37")].value == 57.14
    assert values[("dvc_ty_le_so_hoa", "2025-06", "37")].value == 57.14
    assert values[("dvc_ty_le_thanh_toan_truc_tuyen", "2025-06", "37")].value == 60.0
    assert values[("dvc_766_tong_diem", "2025-06", "37")].value == 32.95
    assert values[("dvc_766_tong_diem_quy", "2025-Q2", "37")].value is not None
    share = values[("dvc_766_ty_le_diem", "2025-06", "37")]
    assert share.value == pytest.approx(32.95 * 100 / 60.5) and share.status == "critical"  # < 70 %
    # a commune without dossiers has no value (nodata), not zero
    assert values[("dvc_ty_le_dung_han", "2025-06", "13318")].status == "nodata"


def test_recompute_job_is_debounced(db, warehouse) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        assert not jobs.due(session)  # nothing pushed yet
    ex.load(db, warehouse)
    now = utcnow()
    with db.session() as session:
        assert not jobs.due(session, now=now)  # the last batch is younger than the quiet time
        assert jobs.due(session, now=now + timedelta(seconds=jobs.QUIET_SECONDS + 1))
    with db.session() as session:
        compute.recompute(session, warehouse, province_code="37", indicators=False)
    with db.session() as session:
        assert not jobs.due(session, now=now + timedelta(seconds=60))  # computed after the last batch
        assert jobs.last_computed(session) is not None
