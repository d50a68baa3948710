"""The default profile qd766-dvcqg-2026 on a small hand-computed example, pushed through the services (sync
record with its nested lists, PAKN, certified copies), on SQLite+DuckDB and PostgreSQL.

Agency STP (a department); communes C1 = 13285, C2 = 13291. Working days from the profile's calendar: 30/4,
1/5, 2/5/2025 off, Saturday 26/4/2025 a make-up working day. Every expected figure is worked out in the
comments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from conftest import login
from dieuhanh.core.security import SYSTEM
from dieuhanh.publicservices import compute, records, rules, service

C1, C2 = "13285", "13291"
PROCEDURES = [
    # 1.1: decided 2/6, legal basis effective 16/6 = 10 working days later (≥ 5) -> on time;
    # 1.2: published 4/6 = 2 working days after the decision (≤ 5) -> on time; all 7 parts published
    {"MaTTHC": "Q1", "TenTTHC": "Thủ tục một", "MaCoQuan": "STP", "MucDoDVC": "toan_trinh", "CoPhiLePhi": 1,
     "YeuCauKetQua": 1, "ThoiHanGiaiQuyet": 3, "DonViTinh": "ngày", "TichHopThanhToan": 1, "DoiTuongCongDan": 1,
     "NgayQuyetDinhCongBo": "2025-06-02", "NgayHieuLucCanCu": "2025-06-16", "NgayCongKhai": "2025-06-04",
     "CongKhaiDayDu": 1},
    # statutory time in hours (4 working hours); decided 10/6, effective 12/6 (2 working days) -> late;
    # published 25/6 (11 working days) -> late
    {"MaTTHC": "Q2", "TenTTHC": "Thủ tục hai", "MaCoQuan": "STP", "MucDoDVC": "mot_phan", "CoPhiLePhi": 0,
     "YeuCauKetQua": 0, "ThoiHanGiaiQuyet": 4, "DonViTinh": "giờ", "DoiTuongCongDan": 0,
     "NgayQuyetDinhCongBo": "2025-06-10", "NgayHieuLucCanCu": "2025-06-12", "NgayCongKhai": "2025-06-25",
     "CongKhaiDayDu": 0},
]


def _d(code: str, proc: str, commune: str, channel: int, status: int, received: str, **more: Any) -> dict[str, Any]:
    return {"MaHoSo": code, "MaTTHC": proc, "MaCoQuan": "STP", "MaDonViHanhChinh": commune, "KenhThucHien": channel,
            "TrangThaiHoSo": status, "NgayTiepNhan": received, "NgayCapNhat": received, **more}


DOSSIERS = [
    # due date without a time (5/6): finished on 5/6 at 16:00 -> on time; the sync record's nested lists
    _d("H1", "Q1", C1, 2, 10, "2025-06-02T08:00:00", NgayHenTra="2025-06-05", NgayKetThucXuLy="2025-06-05T16:00:00",
       DuocThanhToanTrucTuyen=1, DongBoDVCQG=1, TaiKhoanDuocXacThucVoiVNeID=1,
       TaiLieuNop=[{"TenTepDinhKem": "Đơn", "DuocSoHoa": 1, "DuocTaiSuDung": 0, "DuocLayTuKhoDMQG": 1}],
       DanhSachLePhi=[{"MaPhiLePhi": "LP", "Gia": 50000}],
       DanhSachGiayToKetQua=[{"TenGiayTo": "Giấy phép", "DuongDanTepTinKetQua": "https://dvc/kq/H1.pdf"}]),
    # ended 13/6 10:00 after 12/6 17:00, but 48 h waited for the citizen's supplement (10/6 9:00 -> 12/6 9:00):
    # 11/6 10:00 <= due -> on time; every fee at 0 -> not in 3.6
    _d("H2", "Q1", C1, 1, 9, "2025-06-09T08:00:00", NgayHenTra="2025-06-12T17:00:00",
       NgayKetThucXuLy="2025-06-13T10:00:00", DongBoDVCQG=0, DanhSachLePhi=[{"MaPhiLePhi": "LP", "Gia": 0}],
       DanhSachHoSoBoSung=[{"NgayBoSung": "20250610090000", "NgayTiepNhanBoSung": "20250612090000"}]),
    # hours (4 h, no due date): same day 8:00 -> 11:00 = 3 h on time; 16/6 14:00 -> 17/6 10:00 = 8 + 10 - 14 = 4 h
    # on time; 17/6 15:00 -> 18/6 13:00 = 8 + 13 - 15 = 6 h late
    _d("H3", "Q2", C1, 1, 10, "2025-06-16T08:00:00", NgayKetThucXuLy="2025-06-16T11:00:00"),
    _d("H4", "Q2", C1, 1, 10, "2025-06-16T14:00:00", NgayKetThucXuLy="2025-06-17T10:00:00"),
    _d("H5", "Q2", C2, 1, 10, "2025-06-17T15:00:00", NgayKetThucXuLy="2025-06-18T13:00:00"),
    # open, due 26/6: on time as of 24/6 (June "tạm tính"), late once June is over
    _d("H7", "Q1", C1, 1, 4, "2025-06-20T08:00:00", NgayHenTra="2025-06-26T17:00:00"),
    # make-up Saturday: received Thu 24/4, ended Tue 29/4, no due date: 25/4, Sat 26/4, 28/4, 29/4 = 4 > 3 -> late
    _d("H6", "Q1", C2, 1, 10, "2025-04-24T08:00:00", NgayKetThucXuLy="2025-04-29T16:00:00"),
    # May, rule 3.3 (require_e_result): H8 online with its e-result; H9 online without one (Q1 requires a result:
    # not counted); H10 online, Q2 requires no result; H11 at the counter. H8–H10 synchronised (1.4 = 3/4)
    _d("H8", "Q1", C2, 2, 10, "2025-05-12T08:00:00", NgayHenTra="2025-05-15T17:00:00",
       NgayKetThucXuLy="2025-05-13T10:00:00", DongBoDVCQG=1,
       DanhSachGiayToKetQua=[{"TenGiayTo": "Giấy phép", "DuongDanTepTinKetQua": "https://dvc/kq/H8.pdf"}]),
    _d("H9", "Q1", C2, 2, 10, "2025-05-12T09:00:00", NgayHenTra="2025-05-15T17:00:00",
       NgayKetThucXuLy="2025-05-13T11:00:00", DongBoDVCQG=1),
    _d("H10", "Q2", C2, 2, 10, "2025-05-13T08:00:00", NgayKetThucXuLy="2025-05-13T11:00:00", DongBoDVCQG=1),
    _d("H11", "Q1", C2, 1, 10, "2025-05-14T08:00:00", NgayHenTra="2025-05-19T17:00:00",
       NgayKetThucXuLy="2025-05-15T10:00:00", DongBoDVCQG=0),
]
PETITIONS = [
    {"MaPAKN": "K1", "MaCoQuan": "STP", "PhanLoai": "tthc", "NgayTiepNhan": "2025-06-03T08:00:00",
     "HanXuLy": "2025-06-24T17:00:00", "NgayXuLy": "2025-06-10T09:00:00", "DanhGia": "hai_long", "CongKhai": 1},
    {"MaPAKN": "K2", "MaCoQuan": "STP", "PhanLoai": "canbo", "NgayTiepNhan": "2025-06-05T08:00:00",
     "HanXuLy": "2025-06-12T17:00:00", "NgayXuLy": "2025-06-20T09:00:00", "CongKhai": 1},
]
COPIES = [{"MaDonViHanhChinh": C1, "Thang": "2025-06", "CoCungCap": 1},
          {"MaDonViHanhChinh": C2, "Thang": "2025-06", "CoCungCap": 0}]


def _load(db: Any, warehouse: Any) -> None:
    with db.session() as session:
        service.upsert_procedures(session, warehouse, PROCEDURES, principal=SYSTEM, province_code="37")
    with db.session() as session:
        service.upsert_dossiers(session, warehouse, DOSSIERS, principal=SYSTEM, province_code="37")
        records.upsert_petitions(session, PETITIONS, principal=SYSTEM, province_code="37")
        records.upsert_certified_copies(session, COPIES, principal=SYSTEM, province_code="37")


def _scores(db: Any, warehouse: Any, as_of: datetime) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    with db.session() as session:
        compute.recompute(session, warehouse, province_code="37", until=date(2025, 7, 31), indicators=False,
                          as_of=as_of)
    rows = warehouse.query(f"SELECT * FROM {compute.RESULTS}").to_pylist()
    return {(r["period"], r["scope"], r["unit_code"], r["indicator_code"]): r for r in rows}


def _v(rows: dict[tuple[str, str, str, str], dict[str, Any]], period: str, code: str, scope: str = "province",
       unit: str = "37") -> tuple[Any, ...]:
    r = rows[(period, scope, unit, code)]
    return r["numerator"], r["denominator"], r["ratio"], r["score"]


def test_profile_2026_points_are_the_reference_table() -> None:
    p = rules.load_profile()
    assert p.code == "qd766-dvcqg-2026" and rules.profile_by_code("qd766_2022").code == "qd766_2022"
    points = {r.code: r.max_score for r in p.rules}
    assert points == {"1.1": 6, "1.2": 4, "1.3": 2, "1.4": 6, "2.1": 20, "2.2": 0, "3.1": 2, "3.2": 4, "3.3": 6,
                      "3.5": 2, "3.5b": 2, "3.6": 6, "4.1": 6, "4.2": 4, "4.2b": 2, "4.3": 2, "4.4": 4, "4.5a": 2,
                      "4.5b": 2, "5.1": 0, "5.2": 6, "5.3": 6, "5.4": 6}
    by = {r.code: r for r in p.rules}
    assert by["3.5b"].score is not None and by["3.5b"].score.of(0.6) == 1.5 and by["3.5b"].score.of(0.9) == 2
    assert by["5.4"].score is not None and by["5.4"].score.of(0.45) == 3 and by["5.4"].empty_score == 0
    assert (by["5.2"].empty_score, by["5.3"].empty_score) == (6, 6)
    assert all(r.source for r in p.rules) and by["4.2"].choice and by["3.1"].choice  # conflicts say the option
    assert date(2025, 4, 26) in p.make_up_days and date(2025, 5, 2) in p.days_off


def test_every_indicator_from_pushed_data(db, warehouse) -> None:  # type: ignore[no-untyped-def]
    _load(db, warehouse)
    partial = _scores(db, warehouse, datetime(2025, 6, 24, 12, 0))
    # 2.1 as of 24/6 (June not over): H1 H2 (supplement subtracted) H3 H4 (hours) H7 (due later) on time, H5 late
    assert _v(partial, "2025-06", "2.1") == (5, 6, 83.33, 16.67)
    full = _scores(db, warehouse, datetime(2025, 7, 15, 12, 0))
    assert _v(full, "2025-06", "2.1") == (4, 6, 66.67, 13.33)  # H7 open past its due date
    assert _v(full, "2025-04", "2.1") == (0, 1, 0.0, 0.0)  # H6: the make-up Saturday is a working day
    june = ("2025-06",)
    assert _v(full, *june, "1.1") == (1, 2, 50.0, 3.0)
    assert _v(full, *june, "1.2") == (1, 2, 50.0, 2.0)
    assert _v(full, *june, "1.3") == (1, 2, 50.0, 1.0)
    assert _v(full, *june, "1.4") == (1, 6, 16.67, 1.0)  # only H1 synchronised, of the 6 received in June
    # 3.3: H1 online of 6 = 16,67 % shown; scored on 1/6 × the 1.4 sync ratio 1/6 = 1/36: 6 × (1/36) / 0,5
    assert _v(full, *june, "3.3") == (1, 6, 16.67, 0.33)
    # May: H8 and H10 of the 4 received = 50 % shown; scored on 0,5 × 1.4's 3/4 = 0,375: 6 × 0,375 / 0,5 = 4,5
    # (every online dossier, 3/4, would score the full 6)
    assert _v(full, "2025-05", "1.4") == (3, 4, 75.0, 4.5)
    assert _v(full, "2025-05", "3.3") == (2, 4, 50.0, 4.5)
    with db.session() as session:
        listed = compute.list_dossiers(session, warehouse, principal=SYSTEM, period="2025-05", scope="province",
                                       unit=None, province_code="37", indicator="3.3", late=True)
    assert sorted(i["ma_ho_so"] for i in listed["items"]) == ["H11", "H9"]
    assert _v(full, *june, "3.5") == (1, 1, 100.0, 2.0)  # min(2; 2,5 × 1)
    assert _v(full, *june, "3.5b") == (1, 1, 100.0, 2.0)
    assert _v(full, *june, "3.6") == (1, 2, 50.0, 3.0)  # H1 paid, H7 not; H2's fees are all 0: not counted
    assert _v(full, *june, "4.1") == (1, 2, 50.0, 3.0)  # H1 has a result file link, H2 not (Q2: no result)
    assert _v(full, *june, "4.4") == (1, 6, 16.67, 0.67)  # H1 took a document from the national warehouse
    assert _v(full, *june, "4.5a") == (1, 1, 100.0, 2.0)
    assert _v(full, *june, "4.5b") == (1, 6, 16.67, 0.33)
    # certified copies: C1 provides (1/1), C2 not (0/1); a department: the rule does not apply -> full points
    assert _v(full, *june, "4.2b", "commune", C1) == (1, 1, 100.0, 2.0)
    assert _v(full, *june, "4.2b", "commune", C2) == (0, 1, 0.0, 0.0)
    assert _v(full, *june, "4.2b", "agency", "STP")[3] == 2.0
    # PAKN: K1 on time and satisfied, K2 late -> 1/2; 5.1 = share about procedures (tracking, no points)
    assert _v(full, *june, "5.2") == (1, 2, 50.0, 3.0)
    assert _v(full, *june, "5.3") == (1, 2, 50.0, 3.0)
    assert _v(full, *june, "5.1") == (1, 2, 50.0, None)
    # July: no PAKN (5.2, 5.3 full), no dossier received (5.4 = 0)
    assert _v(full, "2025-07", "5.2")[1:] == (0, None, 6.0)
    assert _v(full, "2025-07", "5.3")[1:] == (0, None, 6.0)
    assert _v(full, "2025-07", "5.4")[1:] == (0, None, 0.0)
    total = full[("2025-06", "province", "37", "tong")]
    assert total["covered_points"] == 100 and total["score"] is not None
    # the stored profile is the default one; the indicators read by the API say so
    with db.session() as session:
        out = compute.read_scores(session, warehouse, principal=SYSTEM, period="2025-06", scope="province",
                                  unit=None, province_code="37")
    assert out["profile"] == "qd766-dvcqg-2026" and out["max_score"] == 100 and out["partial"] is False
    assert {i["status"] for i in out["indicators"]} <= {"ok", "không phát sinh", "không áp dụng"}
    # what would raise the score most: 2.1 misses 20 − 13,33, 3.3 6 − 0,33, 1.4 6 − 1; then 3 points or less
    gains = out["gains"]
    assert [(g["code"], g["missing"]) for g in gains[:3]] == [("2.1", 6.67), ("3.3", 5.67), ("1.4", 5.0)]
    assert all(g["missing"] <= 3.34 for g in gains[3:]) and len(gains) == 5
    assert gains[0]["dossiers"] == ("/api/v1/publicservices/dossiers?indicator=2.1&period=2025-06&scope=province"
                                    "&unit=37&late=true")


def test_scale_by_is_a_profile_parameter() -> None:
    p = rules.load_profile()
    assert p.rule("3.3").scale_by == "1.4" and "1.4" in p.rule("3.3").choice
    three = p.rule("3.3")
    online = compute.Value(1, 2, 0.5)
    assert compute.score_rule(three, online, p, compute.Value(3, 4, 0.75)) == (50.0, 4.5)  # 6 × 0,375 / 0,5
    assert compute.score_rule(three, online, p, compute.Value(None, None, None, applicable=False)) == (50.0, 6.0)
    data = {"code": "x", "name": "x", "groups": [{"code": "1", "name": "g", "max_score": 100}], "total_max": 100,
            "rules": [{"code": "a", "name": "a", "group": "1", "max_score": 100, "measure": "received_online",
                       "score": {"factor": 100, "target": 1, "cap": 100}, "rule_text": "t", "source": "s",
                       "scale_by": "b"}]}
    with pytest.raises(service.InvalidInput, match="scale_by"):
        rules.parse_profile(data)


@pytest.mark.parametrize("bad", [
    {"TaiLieuNop": "không phải danh sách"}, {"DanhSachLePhi": [{"Gia": "năm mươi"}]},
    {"DanhSachHoSoBoSung": [{"NgayBoSung": "32/13/2025"}]},
])
def test_nested_lists_are_validated(db, warehouse, bad) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        service.upsert_procedures(session, warehouse, PROCEDURES[:1], principal=SYSTEM, province_code="37")
    with db.session() as session, pytest.raises(service.RecordErrors) as exc:
        service.upsert_dossiers(session, warehouse, [{**DOSSIERS[0], **bad}], principal=SYSTEM, province_code="37")
    field = exc.value.errors[0].field or ""
    assert field.startswith(next(iter(bad))) and exc.value.errors[0].index == 0


def test_api_petitions_tokens_partial_and_ranking(client, db, warehouse, factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _load(db, warehouse)
    _, agency_token = factory.token(["publicservices"], agency="STP")
    pushed = client.post("/api/v1/publicservices/petitions", headers={"Authorization": f"Bearer {agency_token}"},
                         json=[{**PETITIONS[0], "MaPAKN": "K3"}, {**PETITIONS[0], "MaPAKN": "K4", "PhanLoai": "x"}])
    assert pushed.status_code == 422 and pushed.json()["errors"][0]["index"] == 1  # all or nothing
    copies = client.post("/api/v1/publicservices/certified-copies",
                         headers={"Authorization": f"Bearer {agency_token}"},
                         json=[{"MaDonViHanhChinh": C1, "Thang": "2025-13", "CoCungCap": 1}])
    assert copies.status_code in (403, 422)
    _scores(db, warehouse, datetime(2025, 6, 24, 12, 0))
    url = "/api/v1/publicservices/indicators"
    body = client.get(url, params={"period": "2025-06"}).json()
    assert body["partial"] is True and body["as_of"].startswith("2025-06-24T12:00")
    assert len(body["indicators"]) == 23 and body["max_score"] == 100
    assert {"max_score", "ratio", "score", "numerator", "denominator", "partial", "as_of"} <= set(body["indicators"][0])
    _, read_token = factory.token(["read"])
    r = client.get(url, params={"period": "2025-06", "scope": "agency", "unit": "STP"},
                   headers={"Authorization": f"Bearer {read_token}"})
    assert r.status_code == 200 and r.json()["total_score"] is not None
    own = client.get(url, params={"period": "2025-06", "scope": "agency", "unit": "STP"},
                     headers={"Authorization": f"Bearer {agency_token}"})
    other = client.get(url, params={"period": "2025-06", "scope": "agency", "unit": "SXD"},
                       headers={"Authorization": f"Bearer {agency_token}"})
    assert own.status_code == 200 and other.status_code == 403
    table = tmp_path / "xep-hang.csv"
    table.write_text("Ky,MaTinh,TenTinh,TongDiem,Nhom1,Nhom2\n2025-06,01,Thành phố Hà Nội,88.5,17,19.5\n"
                     "2025-06,37,Tỉnh Ninh Bình,80.25,15,19\n2025-06,79,Thành phố Hồ Chí Minh,85,16,18\n",
                     encoding="utf-8")
    with db.session() as session:
        assert records.import_ranking(session, table, principal=SYSTEM) == 3
    ranking = client.get("/api/v1/publicservices/ranking", params={"period": "2025-06"}).json()
    assert (ranking["rank"], ranking["count"]) == (3, 3)
    assert ranking["gap_to_first"]["tong_diem"] == 8.25 and ranking["gap_to_first"]["nhom_1"] == 2
    # average total (88,5 + 80,25 + 85) / 3 = 84,58: 80,25 − 84,58; group 2: (19,5 + 19 + 18) / 3 = 18,83
    assert ranking["gap_to_average"]["tong_diem"] == -4.33 and ranking["gap_to_average"]["nhom_2"] == 0.17
    groups = {g["key"]: g for g in ranking["groups"]}
    assert groups["nhom_1"]["name"] == "Công khai, minh bạch" and groups["nhom_1"]["leader"] == "Thành phố Hà Nội"
    assert (groups["nhom_2"]["rank"], groups["nhom_2"]["average"]) == (2, 18.83)
    login(client, factory.user("leader")[1])
    board = client.get("/publicservices", params={"period": "2025-06"}).text
    assert 'data-testid="ps-national"' in board and "xếp hạng <strong" in board and "3/3" in board
    assert "Thành phố Hà Nội (17,00)" in board and "Công khai, minh bạch" in board and "−4,33" not in board
    assert "-4,33" in board
    bad = tmp_path / "sai.csv"
    bad.write_text("Ky,MaTinh,TenTinh,TongDiem\n2025-06,01,Hà Nội,nhiều\n", encoding="utf-8")
    with db.session() as session, pytest.raises(service.InvalidInput) as exc:
        records.import_ranking(session, bad, principal=SYSTEM)
    assert "dòng" in exc.value.message and "TongDiem" in exc.value.message


def test_citizen_reports_on_procedures_are_pakn_with_the_reference_deadlines(db, warehouse, settings) -> None:  # type: ignore[no-untyped-def]
    """Reports made through the feedback service in the categories "Thủ tục hành chính" and "Cán bộ, công chức"
    are PAKN: answered within 15 working days, rejected within 2 (the category's own 72-hour deadline does not
    count); a report in another category is not a PAKN."""
    from datetime import timedelta

    from dieuhanh.core.security import ANONYMOUS
    from dieuhanh.feedback import service as feedback
    from dieuhanh.feedback.schemas import CategoryIn, ReportIn

    _load(db, warehouse)  # K1 (on time, satisfied, tthc) and K2 (late, canbo) pushed in June

    def utc(local: str) -> datetime:
        return datetime.fromisoformat(local) - timedelta(hours=7)

    with db.session() as session:
        feedback.create_category(session, principal=SYSTEM, data=CategoryIn(
            service_code="tthc", name="Thủ tục hành chính", deadline_hours=72))
        feedback.create_category(session, principal=SYSTEM, data=CategoryIn(
            service_code="cbcc", name="Cán bộ, công chức", deadline_hours=72))
        made = {}
        for name, category in (("R1", "tthc"), ("R2", "cbcc"), ("R3", "tthc"), ("R4", "tthc"), ("R5", "tthc"),
                               ("R6", "rac-thai")):
            made[name] = feedback.submit(
                session, data=ReportIn(service_code=category, unit_code=C1, description=f"Phản ánh {name} thử"),
                photos=[], source="web", principal=ANONYMOUS, settings=settings, now=utc("2025-06-02 08:00"),
                owner_key="khoa")
        # Received Mon 2/6: 15 working days -> 23/6 (end of day); 2 working days -> 4/6.
        feedback.transition(session, made["R1"], "resolve", principal=SYSTEM, note_public="Đã giải quyết.",
                            settings=settings, now=utc("2025-06-20 10:00"))  # on time (72 h would be late)
        feedback.rate(session, made["R1"].code, True, key="khoa", principal=ANONYMOUS, now=utc("2025-06-20 11:00"))
        feedback.transition(session, made["R2"], "reject", principal=SYSTEM, reason="Không thuộc thẩm quyền.",
                            settings=settings, now=utc("2025-06-05 09:00"))  # rejected after 4/6: late
        feedback.transition(session, made["R3"], "reject", principal=SYSTEM, reason="Trùng nội dung.",
                            settings=settings, now=utc("2025-06-03 10:00"))  # on time
        # R4 never answered: late once 23/6 has passed
        feedback.transition(session, made["R5"], "resolve", principal=SYSTEM, note_public="Đã giải quyết.",
                            settings=settings, now=utc("2025-06-10 10:00"))  # on time, then rated unsatisfied
        feedback.rate(session, made["R5"].code, False, key="khoa", principal=ANONYMOUS, now=utc("2025-06-10 11:00"))
        feedback.transition(session, made["R6"], "resolve", principal=SYSTEM, note_public="Đã thu gom.",
                            settings=settings, now=utc("2025-06-30 10:00"))  # not a PAKN: ignored
    full = _scores(db, warehouse, datetime(2025, 7, 15, 12, 0))
    june = "2025-06"
    # Province: K1 K2 + R1–R5 = 7 PAKN. On time: K1 R1 R3 R5 = 4/7 -> 6 × 4/7 = 3,43. Satisfied (on time, not
    # disliked, not reopened): K1 R1 R3 = 3/7 -> 2,57. About procedures: K1 R1 R3 R4 R5 = 5/7.
    assert _v(full, june, "5.2") == (4, 7, 57.14, 3.43)
    assert _v(full, june, "5.3") == (3, 7, 42.86, 2.57)
    assert _v(full, june, "5.1") == (5, 7, 71.43, None)
    # Commune C1 has only the reports: on time R1 R3 R5 = 3/5; satisfied R1 R3 = 2/5
    assert _v(full, june, "5.2", "commune", C1) == (3, 5, 60.0, 3.6)
    assert _v(full, june, "5.3", "commune", C1) == (2, 5, 40.0, 2.4)
    # As of 20/6 (June "tạm tính"): R4 still within its deadline, R1 answered at 10:00 -> on time; R5 too
    partial = _scores(db, warehouse, datetime(2025, 6, 20, 12, 0))
    assert _v(partial, june, "5.2", "commune", C1) == (4, 5, 80.0, 4.8)
