"""Storage of procedures and dossiers: ordering by NgayCapNhat, all-or-nothing, validation, both stores."""

from __future__ import annotations

from datetime import datetime

import pytest
from ps_sync_helpers import counts, current_dossiers, dossier, procedure
from sqlalchemy import select

from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.core.errors import InvalidInput, TooLarge
from dieuhanh.core.security import SYSTEM
from dieuhanh.publicservices import service
from dieuhanh.publicservices.models import Dossier, Procedure


def push_procedures(db, warehouse, records):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return service.upsert_procedures(session, warehouse, records, principal=SYSTEM, province_code="37")


def push(db, warehouse, records):  # type: ignore[no-untyped-def]
    with db.session() as session:
        return service.upsert_dossiers(session, warehouse, records, principal=SYSTEM, province_code="37")


def errors_of(db, warehouse, records) -> list[dict]:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as info:
        push(db, warehouse, records)
    return [e.as_dict() for e in info.value.errors]


@pytest.fixture
def procedures(db, warehouse):  # type: ignore[no-untyped-def]
    push_procedures(db, warehouse, [procedure("1.000001"), procedure("1.000002", agency="SYT", MucDoDVC="khong")])


def test_ensure_datasets_registers_internal_datasets_once(db, warehouse) -> None:
    with db.session() as session:
        service.ensure_datasets(session, warehouse)
        service.ensure_datasets(session, warehouse)
    with db.session() as session:
        datasets = {d.name: d for d in session.scalars(select(Dataset).where(
            Dataset.name.in_(["tthc_thu_tuc", "tthc_ho_so"])))}
        assert set(datasets) == {"tthc_thu_tuc", "tthc_ho_so"}
        for ds in datasets.values():
            assert ds.owner_agency == "TTPVHCC" and ds.access == "internal" and not ds.published
        columns = [c.name for c in datasets["tthc_ho_so"].columns]
    assert columns[:3] == ["ma_ho_so", "ma_tthc", "ma_co_quan"] and columns[-1] == "nap_luc"
    assert warehouse.table_exists("tthc_ho_so") and warehouse.table_exists("tthc_thu_tuc")
    assert counts(db, warehouse)["tthc_ho_so"] == 0


def test_procedures_upsert_and_replace_the_warehouse_table(db, warehouse) -> None:
    first = push_procedures(db, warehouse, [procedure("1.000001"), procedure("1.000002", agency="SYT")])
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0) and first.batch_id
    again = push_procedures(db, warehouse, [procedure("1.000001")])
    assert (again.inserted, again.updated, again.unchanged, again.batch_id) == (0, 0, 1, None)
    changed = push_procedures(db, warehouse, [procedure("1.000001", MucDoDVC="mot_phan", ThoiHanGiaiQuyet=7),
                                              procedure("1.000003", agency="STP")])
    assert (changed.inserted, changed.updated) == (1, 1)
    rows = {r["ma_tthc"]: r for r in warehouse.query("SELECT * FROM tthc_thu_tuc").to_pylist()}
    assert set(rows) == {"1.000001", "1.000002", "1.000003"}  # replaced whole: no duplicates of 1.000001
    assert rows["1.000001"]["muc_do_dvc"] == "mot_phan" and rows["1.000001"]["thoi_han_giai_quyet"] == 7
    assert {r["_batch_id"] for r in rows.values()} == {changed.batch_id}
    with db.session() as session:
        statuses = dict(session.execute(select(LoadBatch.id, LoadBatch.status).join(Dataset).where(
            Dataset.name == "tthc_thu_tuc")).all())
        assert statuses[changed.batch_id] == "loaded" and statuses[first.batch_id] == "superseded"
        assert session.get(Procedure, "1.000001").muc_do_dvc == "mot_phan"


@pytest.mark.usefixtures("procedures")
def test_upsert_is_ordered_by_ngay_cap_nhat_and_idempotent(db, warehouse) -> None:
    v1 = dossier("HS-1", updated="20250612083000", TrangThaiHoSo=4)
    first = push(db, warehouse, [v1, dossier("HS-2")])
    assert (first.inserted, first.updated, first.skipped_older, first.unchanged) == (2, 0, 0, 0)
    before = counts(db, warehouse)

    same = push(db, warehouse, [v1])  # the same version again: nothing changes anywhere
    assert (same.inserted, same.updated, same.skipped_older, same.unchanged, same.batch_id) == (0, 0, 0, 1, None)
    assert counts(db, warehouse) == before

    older = push(db, warehouse, [dossier("HS-1", updated="20250611090000", TrangThaiHoSo=10,
                                         NgayKetThucXuLy="20250611090000")])
    assert (older.inserted, older.updated, older.skipped_older, older.batch_id) == (0, 0, 1, None)
    with db.session() as session:
        assert session.get(Dossier, "HS-1").trang_thai_ho_so == 4  # the older version never overwrites

    newer = push(db, warehouse, [dossier("HS-1", updated="2025-06-20T10:00:00", TrangThaiHoSo=10,
                                         NgayKetThucXuLy="20250620100000")])
    assert (newer.inserted, newer.updated, newer.skipped_older) == (0, 1, 0) and newer.batch_id
    # equal NgayCapNhat but different content: applied (the system corrected the record)
    equal = push(db, warehouse, [dossier("HS-1", updated="20250620100000", TrangThaiHoSo=10,
                                         NgayKetThucXuLy="20250620100000", DanhGia="hai_long")])
    assert (equal.updated, equal.skipped_older) == (1, 0)

    with db.session() as session:
        stored = session.get(Dossier, "HS-1")
        assert (stored.trang_thai_ho_so, stored.danh_gia) == (10, "hai_long")
        assert stored.ngay_cap_nhat == datetime(2025, 6, 20, 10, 0, 0)
    history = warehouse.query("SELECT trang_thai_ho_so FROM tthc_ho_so WHERE ma_ho_so = 'HS-1' "
                              "ORDER BY ngay_cap_nhat, nap_luc").column(0).to_pylist()
    assert history == [4, 10, 10]  # every accepted version, none of the skipped ones
    current = current_dossiers(warehouse)
    assert set(current) == {"HS-1", "HS-2"}
    assert current["HS-1"]["danh_gia"] == "hai_long" and current["HS-1"]["trang_thai_ho_so"] == 10
    after = counts(db, warehouse)
    assert after["ps_dossier"] == 2 and after["tthc_ho_so"] == 4


@pytest.mark.usefixtures("procedures")
def test_versions_inside_one_request_collapse_to_the_newest(db, warehouse) -> None:
    result = push(db, warehouse, [dossier("HS-1", updated="20250615000000", TrangThaiHoSo=9,
                                          NgayKetThucXuLy="20250615000000"),
                                  dossier("HS-1", updated="20250612000000", TrangThaiHoSo=4)])
    assert (result.inserted, result.skipped_older) == (1, 1)
    assert warehouse.query("SELECT trang_thai_ho_so FROM tthc_ho_so").column(0).to_pylist() == [9]


@pytest.mark.usefixtures("procedures")
def test_a_push_mixing_valid_and_invalid_records_stores_nothing(db, warehouse) -> None:
    push(db, warehouse, [dossier("HS-0")])
    before = counts(db, warehouse)
    errors = errors_of(db, warehouse, [dossier("HS-1"), dossier("HS-2", TrangThaiHoSo=42), dossier("HS-3"),
                                       dossier("HS-4", NgayCapNhat="ngày mai")])
    assert [(e["index"], e["field"]) for e in errors] == [(1, "TrangThaiHoSo"), (3, "NgayCapNhat")]
    assert counts(db, warehouse) == before
    with db.session() as session:
        assert session.get(Dossier, "HS-1") is None


@pytest.mark.parametrize(("value", "expected"), [
    ("20250612083015", datetime(2025, 6, 12, 8, 30, 15)),
    ("2025-06-12T08:30:15", datetime(2025, 6, 12, 8, 30, 15)),
    ("2025-06-12 08:30:15", datetime(2025, 6, 12, 8, 30, 15)),
    ("2025-06-12", datetime(2025, 6, 12)),
    ("2025-06-12T01:30:15Z", datetime(2025, 6, 12, 8, 30, 15)),  # UTC → Asia/Ho_Chi_Minh
    ("2025-06-12T10:30:15+09:00", datetime(2025, 6, 12, 8, 30, 15)),
    ("12/06/2025 08:30", datetime(2025, 6, 12, 8, 30)),
])
def test_dates_are_iso_or_portal_format_in_local_time(value: str, expected: datetime) -> None:
    assert service.parse_datetime(value) == expected


@pytest.mark.usefixtures("procedures")
@pytest.mark.parametrize(("field", "value"), [
    ("NgayCapNhat", "20251301083000"),  # month 13
    ("NgayCapNhat", "2025061208300"),  # 13 digits
    ("NgayTiepNhan", "2025-06-31T08:00:00"),
    ("NgayHenTra", "12-06-2025"),
    ("NgayKetThucXuLy", "2025/06/12"),
    ("NgayYeuCauBoSung", "hôm qua"),
    ("TrangThaiHoSo", 11),
    ("TrangThaiHoSo", "mới"),
    ("KenhThucHien", 4),
    ("DuocThanhToanTrucTuyen", 3),
    ("CoKetQuaDienTu", 2),
    ("DuocSoHoa", "có"),
    ("CoPhanAnh", -1),
    ("SoLanYeuCauBoSung", -2),
    ("DanhGia", "binh_thuong"),
    ("MaCoQuan", "SO-KHONG-CO"),
    ("MaTTHC", "9.999999"),
    ("MaDonViHanhChinh", "Phường Không Có Thật"),
    ("MaDonViHanhChinh", "01001"),  # a Hà Nội code: not a commune of province 37
    ("MaHoSo", None),
    ("NgayCapNhat", None),
])
def test_each_invalid_field_is_reported_with_its_index(db, warehouse, field: str, value: object) -> None:
    errors = errors_of(db, warehouse, [dossier("HS-OK"), dossier("HS-BAD", **{field: value})])
    assert [(e["index"], e["field"]) for e in errors] == [(1, field)], errors
    assert errors[0]["message"]
    assert counts(db, warehouse)["ps_dossier"] == 0


@pytest.mark.usefixtures("procedures")
def test_received_dossier_needs_its_receipt_date(db, warehouse) -> None:
    errors = errors_of(db, warehouse, [dossier("HS-1", TrangThaiHoSo=4, NgayTiepNhan=None)])
    assert [(e["index"], e["field"]) for e in errors] == [(0, "NgayTiepNhan")]
    ok = push(db, warehouse, [dossier("HS-2", TrangThaiHoSo=1, NgayTiepNhan=None)])  # never received: allowed
    assert ok.inserted == 1


@pytest.mark.usefixtures("procedures")
def test_defaults_and_commune_mapping(db, warehouse) -> None:
    push(db, warehouse, [
        dossier("HS-1", KenhThucHien="", MaDonViHanhChinh="xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam"),
        dossier("HS-2", KenhThucHien=None, MaDonViHanhChinh="13438"),  # legacy code of that commune
        dossier("HS-3", MaDonViHanhChinh="37"),  # the province itself: no commune
        dossier("HS-4", MaDonViHanhChinh=13285, KenhThucHien="3", DanhGia="Không hài lòng"),
    ])
    with db.session() as session:
        rows = {d.ma_ho_so: d for d in session.scalars(select(Dossier))}
    assert rows["HS-1"].ma_don_vi_hanh_chinh == "13435" and rows["HS-1"].kenh_thuc_hien == 1
    assert rows["HS-2"].ma_don_vi_hanh_chinh == "13435" and rows["HS-2"].kenh_thuc_hien == 1
    assert rows["HS-3"].ma_don_vi_hanh_chinh is None
    assert rows["HS-4"].ma_don_vi_hanh_chinh == "13285" and rows["HS-4"].kenh_thuc_hien == 3
    assert rows["HS-4"].danh_gia == "khong_hai_long"
    units = {r["ma_ho_so"]: r["ma_don_vi_hanh_chinh"]
             for r in warehouse.query("SELECT ma_ho_so, ma_don_vi_hanh_chinh FROM tthc_ho_so").to_pylist()}
    assert units == {"HS-1": "13435", "HS-2": "13435", "HS-3": None, "HS-4": "13285"}


def test_ambiguous_legacy_commune_is_an_error_not_a_guess(db, warehouse) -> None:
    push_procedures(db, warehouse, [procedure("1.000001")])
    errors = errors_of(db, warehouse, [dossier("HS-1", MaDonViHanhChinh="Phường Quang Trung, thành phố Phủ Lý")])
    assert [(e["index"], e["field"]) for e in errors] == [(0, "MaDonViHanhChinh")]
    # The same by code: Xã Gia Tân (14503, before 2025) went to Gia Vân and Tây Hoa Lư; both are named.
    errors = errors_of(db, warehouse, [dossier("HS-1", MaDonViHanhChinh="14503"),
                                       dossier("HS-2", MaDonViHanhChinh="99998")])
    assert [(e["index"], e["field"]) for e in errors] == [(0, "MaDonViHanhChinh"), (1, "MaDonViHanhChinh")]
    assert "Xã Gia Tân (mã cũ 14503) nay thuộc nhiều xã, phường" in errors[0]["message"]
    assert "Xã Gia Vân (14488)" in errors[0]["message"] and "(14533)" in errors[0]["message"]
    assert "mang mã 99998" in errors[1]["message"]


def test_more_than_the_limit_is_refused(db, warehouse) -> None:
    with pytest.raises(TooLarge) as info:
        push(db, warehouse, [dossier(f"HS-{i}") for i in range(5001)])
    assert "5.000" in info.value.message


def test_dossier_of_an_unknown_procedure_even_in_a_big_batch(db, warehouse) -> None:
    push_procedures(db, warehouse, [procedure("1.000001")])
    records = [dossier(f"HS-{i}") for i in range(5000)]
    records[4321]["MaTTHC"] = "1.000009"
    errors = errors_of(db, warehouse, records)
    assert [(e["index"], e["field"]) for e in errors] == [(4321, "MaTTHC")]
    assert counts(db, warehouse)["ps_dossier"] == 0


@pytest.mark.usefixtures("procedures")
def test_personal_and_extra_fields_are_separated(db, warehouse) -> None:
    result = push(db, warehouse, [dossier(
        "HS-1", HoTenNguoiNop="Nguyễn Thị Bình", SoCCCD="036190001234", SoDienThoai="0912345678",
        DiaChi="Thôn Đông, xã Thanh Sơn", Email="binh@example.vn", DongBoDVCQG=1, NgayDongBo="20250612090000",
        TruongLa="bỏ qua")])
    assert result.ignored_fields == ["TruongLa"]
    with db.session() as session:
        stored = session.get(Dossier, "HS-1")
        assert stored.personal == {"HoTenNguoiNop": "Nguyễn Thị Bình", "SoCCCD": "036190001234",
                                   "SoDienThoai": "0912345678", "DiaChi": "Thôn Đông, xã Thanh Sơn",
                                   "Email": "binh@example.vn"}
        assert stored.extra == {"DongBoDVCQG": 1, "NgayDongBo": "20250612090000", "KetNoiChiaSe": 0}
    rows = warehouse.query("SELECT * FROM tthc_ho_so").to_pylist()
    assert rows[0]["dong_bo_dvcqg"] == 1  # extra fields the rules read are warehouse columns
    text = repr(rows)
    for secret in ("Bình", "036190001234", "0912345678", "Thôn Đông", "binh@example.vn"):
        assert secret not in text
    assert not any(k in rows[0] for k in ("personal", "extra", "ho_ten_nguoi_nop", "so_cccd"))


@pytest.mark.usefixtures("procedures")
def test_extra_flag_of_the_rules_profile_is_validated(db, warehouse) -> None:
    errors = errors_of(db, warehouse, [dossier("HS-1", DongBoDVCQG=5)])
    assert [(e["index"], e["field"]) for e in errors] == [(0, "DongBoDVCQG")]


def test_procedure_validation(db, warehouse) -> None:
    with pytest.raises(InvalidInput) as info:
        push_procedures(db, warehouse, [procedure("1.1"), procedure("1.2", MucDoDVC="muc_do_4"),
                                        procedure("1.3", CoPhiLePhi=2), procedure("1.4", MaCoQuan="XYZ"),
                                        procedure("1.5", ThoiHanGiaiQuyet="mười"), procedure("1.1")])
    got = [(e.index, e.field) for e in info.value.errors]
    assert got == [(1, "MucDoDVC"), (2, "CoPhiLePhi"), (3, "MaCoQuan"), (4, "ThoiHanGiaiQuyet"), (5, "MaTTHC")]
    assert counts(db, warehouse)["ps_procedure"] == 0


@pytest.mark.usefixtures("procedures")
def test_concurrent_pushes_keep_the_newest_version_in_both_stores(db, warehouse) -> None:
    """Pushes of old and new versions racing: the newest wins and the warehouse agrees with the database."""
    import threading

    versions = [dossier(f"HS-{k}", updated=f"202506{day:02d}080000", TrangThaiHoSo=4, SoLanYeuCauBoSung=day)
                for day in range(1, 9) for k in range(20)]
    chunks = [versions[i::4] for i in range(4)]  # every thread mixes old and new versions
    failures: list[BaseException] = []

    def run(chunk: list[dict]) -> None:  # type: ignore[type-arg]
        try:
            for start in range(0, len(chunk), 10):
                push(db, warehouse, chunk[start:start + 10])
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    with db.session() as session:
        stored = {d.ma_ho_so: d.so_lan_yeu_cau_bo_sung for d in session.scalars(select(Dossier))}
    assert stored == {f"HS-{k}": 8 for k in range(20)}
    current = current_dossiers(warehouse)
    assert {k: r["so_lan_yeu_cau_bo_sung"] for k, r in current.items()} == stored
