"""Specification of the reference layer: official codes, search, and old-address resolution."""

from __future__ import annotations

import pytest

from dieuhanh.geo import reference
from dieuhanh.geo.reference import Resolution, Unit, resolve_address

NB = "37"

# --------------------------------------------------------------------------------------------------
# Reference list
# --------------------------------------------------------------------------------------------------


def test_country_totals() -> None:
    provinces = reference.all_provinces()
    assert len(provinces) == 34
    assert len({p.code for p in provinces}) == 34
    assert all(len(p.code) == 2 and p.code.isdigit() for p in provinces)
    total = sum(len(reference.communes_of(p.code)) for p in provinces)
    assert total == 3321


def test_ninh_binh_has_129_communes_sorted_by_code() -> None:
    communes = reference.communes_of(NB)
    assert len(communes) == 129
    assert [c.code for c in communes] == sorted(c.code for c in communes)
    assert all(len(c.code) == 5 and c.code.isdigit() for c in communes)
    assert all(c.level == "commune" and c.parent_code == NB for c in communes)
    assert {c.type for c in communes} <= {"xã", "phường", "đặc khu"}


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("13285", "Phường Phủ Lý"),
        ("13291", "Phường Phù Vân"),
        ("13318", "Phường Châu Sơn"),
        ("13669", "Phường Nam Định"),
        ("13708", "Phường Mỹ Lộc"),
        ("14614", "Xã Khánh Hội"),
    ],
)
def test_official_codes_1027_ctk_cscl(code: str, name: str) -> None:
    by_code = {c.code: c for c in reference.communes_of(NB)}
    assert by_code[code].name == name
    assert reference.get_commune(code) == by_code[code]


def test_get_province() -> None:
    nb = reference.get_province(NB)
    assert nb is not None
    assert nb == Unit("37", "Ninh Bình", "tỉnh", "province", None, full_name="Tỉnh Ninh Bình")
    assert nb.full_name == "Tỉnh Ninh Bình"
    hn = reference.get_province("01")
    assert hn is not None and hn.name == "Hà Nội" and hn.type == "thành phố trung ương"
    assert reference.get_province("1") == hn  # tolerant of a missing leading zero


@pytest.mark.parametrize("code", ["35", "36", "99", "", "xx", "370"])
def test_unknown_province(code: str) -> None:
    # 35 (Hà Nam) and 36 (Nam Định) are former provinces: not current units.
    assert reference.get_province(code) is None
    assert reference.communes_of(code) == []
    assert reference.search_units(code, "phu") == []


def test_any_province_works() -> None:
    hanoi = reference.communes_of("01")
    assert len(hanoi) > 100
    assert "Phường Ba Đình" in {c.name for c in hanoi}
    assert reference.search_units("01", "ba dinh", level="commune")[0].name == "Phường Ba Đình"
    assert resolve_address("01", "phường Ba Đình").name == "Phường Ba Đình"


def test_source_and_date() -> None:
    assert reference.source().startswith("vietnam-provinces 2026.")
    assert reference.effective_date() == "2025-07-01"


# --------------------------------------------------------------------------------------------------
# Normalisation and search
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Phường Phủ Lý", "phuong phu ly"),
        ("Xã Giao Hoà", "xa giao hòa"),  # tone-mark placement
        ("Phường Nguyễn Uý", "PHƯỜNG NGUYỄN ÚY"),
        ("Đồng  Văn", "dong van"),
        ("Yên-Phong,", "yen phong"),
        ("Ý Yên", "y yen"),
    ],
)
def test_normalize(a: str, b: str) -> None:
    assert reference.normalize(a) == reference.normalize(b)


def test_normalize_handles_decomposed_unicode() -> None:
    import unicodedata

    assert reference.normalize(unicodedata.normalize("NFD", "Phường Phủ Lý")) == "phuong phu ly"


def test_search_without_diacritics() -> None:
    found = reference.search_units(NB, "phu ly")
    assert found and found[0].code == "13285" and found[0].name == "Phường Phủ Lý"
    assert "13285" in {u.code for u in reference.search_units(NB, "Phủ Lý", level="commune")}


def test_search_tone_variants_and_level() -> None:
    assert [u.code for u in reference.search_units(NB, "giao hòa", level="commune")] == ["14182"]
    assert [u.code for u in reference.search_units(NB, "giao hoà", level="commune")] == ["14182"]
    provinces = reference.search_units(NB, "ninh binh", level="province")
    assert [u.code for u in provinces] == [NB]
    assert all(u.level == "commune" for u in reference.search_units(NB, "ninh", level="commune"))


def test_search_by_code_prefix() -> None:
    found = reference.search_units(NB, "1328")
    assert [u.code for u in found] == ["13285"]
    assert {u.code for u in reference.search_units(NB, "146")} >= {"14614", "14620"}


def test_search_nothing() -> None:
    assert reference.search_units(NB, "khong co ten nay") == []


# --------------------------------------------------------------------------------------------------
# Address resolution: legacy addresses (accuracy table)
# --------------------------------------------------------------------------------------------------

# Real pre-1 July 2025 addresses of the three former provinces, written in the ways people write them. The
# expected code is the current commune given by the official conversion table (checked by hand against the
# names; the comment gives the current unit).
LEGACY_ADDRESSES: list[tuple[str, str]] = [
    # --- Hà Nam: Kim Bảng
    ("xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam", "13435"),  # → Phường Lý Thường Kiệt
    ("Phường Ba Sao, thị xã Kim Bảng, Hà Nam", "13420"),  # → Phường Tam Chúc
    ("Xa Hoang Tay, Kim Bang, Ha Nam", "13402"),  # → Phường Kim Thanh
    ("Thôn Đồng Ao, xã Văn Xá, H. Kim Bảng", "13384"),  # → Phường Kim Bảng
    # --- Hà Nam: Duy Tiên
    ("Phường Đồng Văn, thị xã Duy Tiên, tỉnh Hà Nam", "13348"),  # → Phường Đồng Văn
    ("xã Trác Văn, TX. Duy Tiên", "13324"),  # → Phường Duy Tiên
    ("Phuong Duy Minh - Duy Tien - Ha Nam", "13336"),  # → Phường Duy Hà
    ("Thôn Chuyên Ngoại, xã Chuyên Ngoại, huyện Duy Tiên", "13324"),  # → Phường Duy Tiên
    # --- Hà Nam: Thanh Liêm
    ("Thị trấn Kiện Khê, huyện Thanh Liêm, tỉnh Hà Nam", "13318"),  # → Phường Châu Sơn
    ("xã Thanh Hà, H. Thanh Liêm", "13456"),  # → Xã Liêm Hà
    ("Xa Liem Son, Thanh Liem, Ha Nam", "13483"),  # → Xã Thanh Bình
    ("Xóm 4, xã Thanh Tâm, Thanh Liêm, Hà Nam", "13495"),  # → Xã Thanh Liêm
    # --- Hà Nam: Lý Nhân
    ("xã Nhân Khang, huyện Lý Nhân, tỉnh Hà Nam", "13597"),  # → Xã Vĩnh Trụ
    ("TT. Vĩnh Trụ, H. Lý Nhân, T. Hà Nam", "13597"),  # → Xã Vĩnh Trụ
    ("xa Hoa Hau, Ly Nhan, Ha Nam", "13627"),  # → Xã Nam Lý
    ("Xã Trần Hưng Đạo, huyện Lý Nhân", "13594"),  # → Xã Trần Thương
    # --- Hà Nam: Bình Lục
    ("Thị trấn Bình Mỹ, huyện Bình Lục, Hà Nam", "13501"),  # → Xã Bình Mỹ
    ("Xã Tràng An, Bình Lục, Hà Nam", "13504"),  # → Xã Bình Lục
    ("xa Ngoc Lu, huyen Binh Luc, tinh Ha Nam", "13540"),  # → Xã Bình An
    ("Thôn Đô Quan, xã An Lão, Bình Lục", "13558"),  # → Xã Bình Sơn
    # --- Hà Nam: TP Phủ Lý
    ("Phường Lê Hồng Phong, TP. Phủ Lý, Hà Nam", "13291"),  # → Phường Phù Vân
    ("Xã Đinh Xá, thành phố Phủ Lý", "13444"),  # → Phường Liêm Tuyền
    ("phuong Thanh Tuyen, tp Phu Ly, Ha Nam", "13318"),  # → Phường Châu Sơn
    ("P. Lam Hạ, TP Phủ Lý", "13366"),  # → Phường Hà Nam
    ("Số 5 đường Lê Công Thanh, phường Liêm Chính, TP Phủ Lý, tỉnh Hà Nam", "13285"),  # → Phường Phủ Lý
    # --- Nam Định: Ý Yên
    ("Xa Yen Phong, H. Y Yen, T. Nam Dinh", "13795"),  # → Xã Ý Yên
    ("Thị trấn Lâm, huyện Ý Yên, tỉnh Nam Định", "13795"),  # → Xã Ý Yên
    ("xã Yên Nhân, Ý Yên, Nam Định", "13870"),  # → Xã Yên Cường
    ("Xóm Chùa, xã Yên Thọ, huyện Ý Yên", "13822"),  # → Xã Phong Doanh
    # --- Nam Định: Hải Hậu
    ("Thị trấn Thịnh Long, huyện Hải Hậu, tỉnh Nam Định", "14221"),  # → Xã Hải Thịnh
    ("Xã Hải Minh, H. Hải Hậu", "14236"),  # → Xã Hải Anh
    ("xa Hai Phong, Hai Hau, Nam Dinh", "14281"),  # → Xã Hải An
    ("TT Yên Định, Hải Hậu, Nam Định", "14215"),  # → Xã Hải Hậu
    # --- Nam Định: Giao Thủy
    ("Thị trấn Quất Lâm, huyện Giao Thủy, Nam Định", "14212"),  # → Xã Giao Ninh
    ("xã Bạch Long, Giao Thuỷ, Nam Định", "14194"),  # → Xã Giao Bình
    ("Xa Giao Thanh, huyen Giao Thuy, tinh Nam Dinh", "14161"),  # → Xã Giao Minh
    ("xã Hồng Thuận, H. Giao Thủy", "14182"),  # → Xã Giao Hoà
    # --- Nam Định: Xuân Trường
    ("Xã Xuân Ngọc, huyện Xuân Trường, Nam Định", "14089"),  # → Xã Xuân Trường
    ("xa Tho Nghiep, Xuan Truong, Nam Dinh", "14122"),  # → Xã Xuân Hưng
    ("Thị trấn Xuân Trường, H. Xuân Trường", "14089"),  # → Xã Xuân Trường
    # --- Nam Định: Nghĩa Hưng
    ("Thị trấn Rạng Đông, Nghĩa Hưng, Nam Định", "13894"),  # → Xã Rạng Đông
    ("Xã Nam Điền, huyện Nghĩa Hưng", "13894"),  # → Xã Rạng Đông (not Nam Điền of Nam Trực)
    ("Xa Nghia Thai, H. Nghia Hung, T. Nam Dinh", "13891"),  # → Xã Nghĩa Hưng
    # --- Nam Định: Trực Ninh
    ("Thị trấn Cổ Lễ, huyện Trực Ninh, tỉnh Nam Định", "14026"),  # → Xã Cổ Lễ
    ("xã Trực Hùng, Trực Ninh", "14077"),  # → Xã Ninh Cường
    ("xa Phuong Dinh, huyen Truc Ninh", "14038"),  # → Xã Ninh Giang
    # --- Nam Định: Vụ Bản
    ("TT. Gôi, H. Vụ Bản, T. Nam Định", "13741"),  # → Xã Vụ Bản
    ("Xã Đại An, huyện Vụ Bản", "13699"),  # → Phường Thành Nam
    ("xa Cong Hoa, Vu Ban, Nam Dinh", "13750"),  # → Xã Minh Tân
    # --- Nam Định: Mỹ Lộc (merged into TP Nam Định before 1/7/2025)
    ("xã Mỹ Hà, huyện Mỹ Lộc, tỉnh Nam Định", "13693"),  # → Phường Đông A
    ("Xã Mỹ Thuận, H. Mỹ Lộc, Nam Định", "13708"),  # → Phường Mỹ Lộc
    ("Xa My Tan, huyen My Loc", "13684"),  # → Phường Thiên Trường
    # --- Nam Định: TP Nam Định
    ("Phường Vị Xuyên, TP. Nam Định", "13669"),  # → Phường Nam Định
    ("Phường Lộc Hạ, thành phố Nam Định, tỉnh Nam Định", "13684"),  # → Phường Thiên Trường
    ("P. Trần Hưng Đạo, TP Nam Định", "13669"),  # → Phường Nam Định (not Xã Trần Hưng Đạo, Lý Nhân)
    ("phuong Nam Phong, tp Nam Dinh", "13972"),  # → Phường Vị Khê
    # --- Nam Định: Nam Trực
    ("Thị trấn Nam Giang, huyện Nam Trực, Nam Định", "13966"),  # → Xã Nam Trực
    ("Xã Nam Điền, huyện Nam Trực, tỉnh Nam Định", "13972"),  # → Phường Vị Khê
    ("xa Nghia An, Nam Truc", "13984"),  # → Phường Hồng Quang
    ("Xã Hồng Quang, H. Nam Trực", "13984"),  # → Phường Hồng Quang (not Hồng Quang of Ý Yên)
    # --- Ninh Bình: Hoa Lư (huyện Hoa Lư and TP Ninh Bình merged into TP Hoa Lư before 1/7/2025)
    ("Xã Trường Yên, huyện Hoa Lư, tỉnh Ninh Bình", "14533"),  # → Phường Tây Hoa Lư
    ("xa Ninh Hai, H. Hoa Lu, Ninh Binh", "14359"),  # → Phường Nam Hoa Lư
    ("Phường Ninh Giang, TP Hoa Lư", "14533"),  # → Phường Tây Hoa Lư
    # --- Ninh Bình: Gia Viễn
    ("Xã Gia Hòa, huyện Gia Viễn, Ninh Bình", "14464"),  # → Xã Gia Viễn
    ("xa Gia Phuong, Gia Vien, Ninh Binh", "14500"),  # → Xã Đại Hoàng
    ("Xã Liên Sơn, huyện Gia Viễn", "14482"),  # → Xã Gia Hưng (not Liên Sơn of Kim Bảng)
    # --- Ninh Bình: Nho Quan
    ("Xã Xích Thổ, huyện Nho Quan, tỉnh Ninh Bình", "14389"),  # → Xã Gia Lâm
    ("Thị trấn Nho Quan, H. Nho Quan", "14428"),  # → Xã Nho Quan
    ("xa Quang Lac, Nho Quan, Ninh Binh", "14371"),  # → Phường Yên Sơn
    ("Thôn Đồng Tâm, xã Văn Phương, Nho Quan", "14404"),  # → Xã Cúc Phương
    # --- Ninh Bình: Yên Mô
    ("Thôn 3, xã Yên Phong, huyện Yên Mô", "14728"),  # → Xã Yên Từ (not Yên Phong of Ý Yên)
    ("Thị trấn Yên Thịnh, Yên Mô, Ninh Bình", "14701"),  # → Xã Yên Mô
    ("xa Khanh Thuong, Yen Mo", "14725"),  # → Phường Yên Thắng
    ("Xã Yên Thắng, H. Yên Mô, T. Ninh Bình", "14725"),  # → Phường Yên Thắng (not Yên Thắng of Ý Yên)
    # --- Ninh Bình: Yên Khánh
    ("Xã Khánh Thủy, huyện Yên Khánh", "14614"),  # → Xã Khánh Hội
    ("Thị trấn Yên Ninh, Yên Khánh, Ninh Bình", "14560"),  # → Xã Yên Khánh
    ("xa Khanh Hoi, H. Yen Khanh", "14614"),  # → Xã Khánh Hội
    ("Xã Khánh Phú, huyện Yên Khánh, tỉnh Ninh Bình", "14566"),  # → Phường Đông Hoa Lư
    # --- Ninh Bình: Kim Sơn
    ("Thị trấn Phát Diệm, huyện Kim Sơn, tỉnh Ninh Bình", "14620"),  # → Xã Phát Diệm
    ("Xã Cồn Thoi, Kim Sơn", "14623"),  # → Xã Bình Minh
    ("xa Kim Tan, huyen Kim Son", "14677"),  # → Xã Định Hóa
    ("Xã Yên Lộc, huyện Kim Sơn", "14674"),  # → Xã Lai Thành (not Yên Lộc of Ý Yên)
    # --- Ninh Bình: TP Tam Điệp
    ("Phường Bắc Sơn, thành phố Tam Điệp, Ninh Bình", "14362"),  # → Phường Tam Điệp
    ("Xã Đông Sơn, TP. Tam Điệp", "14365"),  # → Phường Trung Sơn
    ("P. Yên Bình, TP Tam Điệp", "14725"),  # → Phường Yên Thắng
    ("xa Quang Son, tp Tam Diep", "14362"),  # → Phường Tam Điệp
    # --- Ninh Bình: TP Ninh Bình (merged into TP Hoa Lư before 1/7/2025)
    ("Phường Vân Giang, thành phố Ninh Bình, tỉnh Ninh Bình", "14329"),  # → Phường Hoa Lư
    ("số 12 đường Lê Hồng Phong, phường Đông Thành, TP Ninh Bình", "14329"),  # → Phường Hoa Lư
    ("P. Nam Bình, TP. Ninh Bình", "14329"),  # → Phường Hoa Lư
    ("Xã Ninh Phúc, TP Ninh Bình", "14566"),  # → Phường Đông Hoa Lư (was a xã, then a phường)
    ("Phường Vân Giang - TP Ninh Bình - Ninh Bình", "14329"),  # → Phường Hoa Lư
    # --- traps: an old name that is also a current name elsewhere, no commas, near-homonyms
    ("Xã Yên Khánh, huyện Ý Yên, tỉnh Nam Định", "13795"),  # → Xã Ý Yên, not the current Xã Yên Khánh
    ("Xã Gia Lâm, Nho Quan", "14389"),  # → Xã Gia Lâm
    ("Xóm 1 Yên Phong Ý Yên Nam Định", "13795"),  # → Xã Ý Yên
    ("xã Trực Hưng, huyện Trực Ninh", "14053"),  # → Xã Trực Ninh (Trực Hùng, same district, → Ninh Cường)
]


def _outcome(res: Resolution, expected: str) -> str:
    if res.code == expected:
        return "correct"
    if res.code is None:
        return "abstained"  # ambiguous or unresolved: acceptable, but counts against accuracy
    return "wrong"


def test_legacy_address_table_is_big_and_valid() -> None:
    assert len(LEGACY_ADDRESSES) >= 50
    codes = {c.code for c in reference.communes_of(NB)}
    assert all(code in codes for _, code in LEGACY_ADDRESSES)


def test_legacy_address_accuracy() -> None:
    outcomes: dict[str, list[tuple[str, str, str | None, str]]] = {
        "correct": [],
        "abstained": [],
        "wrong": [],
    }
    for address, expected in LEGACY_ADDRESSES:
        res = resolve_address(NB, address)
        outcomes[_outcome(res, expected)].append((address, expected, res.code, res.message))
    accuracy = len(outcomes["correct"]) / len(LEGACY_ADDRESSES)
    print(
        f"\nlegacy-address accuracy: {accuracy:.1%} ({len(outcomes['correct'])}/{len(LEGACY_ADDRESSES)}), "
        f"abstained {len(outcomes['abstained'])}, wrong {len(outcomes['wrong'])}"
    )
    for row in outcomes["abstained"] + outcomes["wrong"]:
        print("   ", row)
    assert outcomes["wrong"] == [], "a wrong code is worse than no code"
    assert accuracy >= 0.95


@pytest.mark.parametrize(("address", "expected"), LEGACY_ADDRESSES)
def test_legacy_address(address: str, expected: str) -> None:
    res = resolve_address(NB, address)
    assert res.code == expected, res.message
    assert res.name == reference.get_commune(expected).name  # type: ignore[union-attr]
    assert res.matched_from == "legacy_ward"
    assert 0.0 < res.confidence <= 1.0
    assert res.candidates == []
    assert res.message


# --------------------------------------------------------------------------------------------------
# Address resolution: current names, codes, ambiguity, refusal
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "Phường Phủ Lý",
        "phuong phu ly",
        "P. Phủ Lý, tỉnh Ninh Bình",
        "Số 12 đường Lý Thường Kiệt, phường Phủ Lý, Ninh Bình",
        "Tổ dân phố 5 Phường Phủ Lý tỉnh Ninh Bình",
        "13285",
    ],
)
def test_current_unit(address: str) -> None:
    res = resolve_address(NB, address)
    assert res.code == "13285" and res.name == "Phường Phủ Lý"
    assert res.matched_from in ("current", "code")
    assert res.confidence >= 0.9


def test_current_name_with_tone_variant() -> None:
    res = resolve_address(NB, "Xã Giao Hòa, tỉnh Ninh Bình")  # official spelling "Giao Hoà"
    assert res.code == "14182"


def test_bare_code_of_another_province_is_refused() -> None:
    res = resolve_address(NB, "00004")  # Phường Ba Đình, Hà Nội
    assert res.code is None and res.candidates == []
    assert "Hà Nội" in res.message


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("Xã Gia Tân, huyện Gia Viễn, tỉnh Ninh Bình", {"14488", "14533"}),  # Gia Vân + Tây Hoa Lư
        ("Phường Hòa Mạc, thị xã Duy Tiên, Hà Nam", {"13324", "13330"}),  # Duy Tiên + Duy Tân
        ("phuong Quang Trung, tp Phu Ly", {"13285", "13366"}),  # Phủ Lý + Hà Nam
        ("Xã Tiên Ngoại, Duy Tiên", {"13363", "13366"}),  # Tiên Sơn + Hà Nam
    ],
)
def test_split_commune_gives_candidates_not_a_guess(address: str, expected: set[str]) -> None:
    res = resolve_address(NB, address)
    assert res.code is None and res.name is None
    assert {c.code for c in res.candidates} == expected
    assert all(c.parent_code == NB for c in res.candidates)
    assert res.matched_from == "legacy_ward"
    assert res.message


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("xã Yên Phong", {"13795", "14728"}),  # Ý Yên (Nam Định) and Yên Mô (Ninh Bình)
        ("Xa Yen Thang", {"13864", "14725"}),
        ("Phường Quang Trung", {"13285", "13366", "13669"}),  # Phủ Lý (split) and TP Nam Định
        ("Xã Yên Phong, Ninh Bình", {"13795", "14728"}),  # "Ninh Bình" may be the new province
    ],
)
def test_same_name_without_district_gives_candidates(address: str, expected: set[str]) -> None:
    res = resolve_address(NB, address)
    assert res.code is None
    assert {c.code for c in res.candidates} == expected
    assert "huyện" in res.message


def test_former_province_disambiguates() -> None:
    assert resolve_address(NB, "Xã Yên Phong, tỉnh Nam Định").code == "13795"
    assert resolve_address(NB, "Phường Quang Trung, Nam Định").code == "13669"


def test_district_only_gives_the_units_formed_from_it() -> None:
    res = resolve_address(NB, "phường Trần Hưng Đạo, thành phố Phủ Lý")  # merged away before 2025
    assert res.code is None
    assert res.matched_from == "legacy_district"
    assert {c.code for c in res.candidates} == {"13285", "13291", "13318", "13366", "13444"}
    assert "Phủ Lý" in res.message


@pytest.mark.parametrize("address", ["asdf qwerty 123", "!!!", "Thôn 5", "   "])
def test_garbage_is_unresolved(address: str) -> None:
    res = resolve_address(NB, address)
    assert res.code is None and res.candidates == []
    assert res.matched_from == "none"
    assert res.confidence == 0.0
    assert res.message


@pytest.mark.parametrize(
    "address",
    [
        "Phường Ba Đình, Hà Nội",
        "Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        "xã Yên Phong, huyện Yên Phong, tỉnh Bắc Ninh",  # a Yên Phong exists in Ninh Bình, not this one
        "xã Đông Thọ, huyện Yên Phong",
        "Xa Quang Trung, H. Thach Thanh, T. Thanh Hoa",
    ],
)
def test_other_province_is_unresolved(address: str) -> None:
    res = resolve_address(NB, address)
    assert res.code is None and res.candidates == []
    assert res.matched_from == "other_province"
    assert "không thuộc Tỉnh Ninh Bình" in res.message


def test_answers_only_codes_of_the_given_province() -> None:
    # The same old address, asked for another province, never yields a Ninh Bình code.
    res = resolve_address("38", "xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam")
    assert res.code is None and res.candidates == []
    assert res.matched_from == "other_province"


def test_unknown_province_code() -> None:
    res = resolve_address("99", "Phường Phủ Lý")
    assert res.code is None and res.candidates == [] and res.message


def test_only_a_province() -> None:
    res = resolve_address(NB, "Tỉnh Ninh Bình")
    assert res.code is None and res.candidates == []
    assert res.matched_from == "province"


def test_near_homonyms_without_diacritics_are_ambiguous() -> None:
    # "Trực Hùng" and "Trực Hưng" (both Trực Ninh) differ only by diacritics.
    res = resolve_address(NB, "xa Truc Hung, huyen Truc Ninh")
    assert res.code is None
    assert {c.code for c in res.candidates} == {"14053", "14077"}
    assert resolve_address(NB, "xã Trực Hùng, huyện Trực Ninh").code == "14077"


def test_current_name_shared_with_an_old_commune_is_current_but_flagged() -> None:
    res = resolve_address(NB, "Xã Yên Khánh")  # current unit; an old Xã Yên Khánh (Ý Yên) went elsewhere
    assert res.code == "14560"
    assert res.matched_from == "current"
    assert res.confidence < 1.0
    assert "Ý Yên" in res.message


def test_hyphenated_current_name() -> None:
    res = resolve_address("01", "Số 1 phố Quốc Tử Giám, Phường Văn Miếu - Quốc Tử Giám, Hà Nội")
    assert res.name == "Phường Văn Miếu - Quốc Tử Giám"


def test_province_name_alone() -> None:
    res = resolve_address(NB, "Ninh Bình")
    assert res.code is None and res.candidates == []
    assert res.matched_from == "province"
    res = resolve_address(NB, "Nam Định")  # former province, former city, and the current Phường Nam Định
    assert res.code is None and "13669" in {c.code for c in res.candidates}


def test_street_named_like_a_unit_is_not_taken_for_it() -> None:
    # Phường Lý Thường Kiệt exists (from Kim Bảng); a street of that name in Phủ Lý must not resolve to it.
    res = resolve_address(NB, "Số 12 đường Lý Thường Kiệt, phường Lam Hạ, TP Phủ Lý")
    assert res.code == "13366"


def test_resolution_shape() -> None:
    res = resolve_address(NB, "xã Thanh Sơn, huyện Kim Bảng, tỉnh Hà Nam")
    assert res == Resolution(
        code="13435",
        name="Phường Lý Thường Kiệt",
        matched_from="legacy_ward",
        confidence=res.confidence,
        candidates=[],
        message=res.message,
        matched_name="Xã Thanh Sơn, Thị xã Kim Bảng, Tỉnh Hà Nam (mã cũ 13438)",
    )
    assert res.resolved and not res.ambiguous
    assert "Lý Thường Kiệt" in res.message and "13438" in res.message


def test_legacy_commune_and_its_successors() -> None:
    old = reference.legacy_commune("13438")  # Xã Thanh Sơn (Kim Bảng, Hà Nam) → Phường Lý Thường Kiệt
    assert old is not None and (old.name, old.province_code) == ("Xã Thanh Sơn", "35")
    assert [u.code for u in old.successors_in(NB)] == ["13435"]
    assert old.successors_in("01") == []  # nothing of it went to Hà Nội
    split = reference.legacy_commune("14503")  # Xã Gia Tân was split
    assert split is not None and [u.code for u in split.successors_in(NB)] == ["14488", "14533"]
    assert reference.legacy_commune("99998") is None and reference.get_commune("13438") is None
