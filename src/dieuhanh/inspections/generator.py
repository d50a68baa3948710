"""Generated enterprise register and agencies' plans with realistic duplication, and the truth behind them (the
demo and bench/inspections.py use it): names spelled differently by each agency (legal form abbreviated, without
accents, a typo), addresses before the 2025 reorganisation, branches of head offices, household businesses not in
the register, visits claiming signs of violation."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from dieuhanh.geo import reference as geo
from dieuhanh.inspections import taxcode
from dieuhanh.inspections.matching import fold

FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân", "Hợp tác xã"]
FORM_WEIGHTS = [45, 30, 12, 8, 5]
FORM_VARIANTS = {"Công ty TNHH": ["Cty TNHH", "CÔNG TY TNHH", "Công ty trách nhiệm hữu hạn", "C.ty TNHH"],
                 "Công ty Cổ phần": ["CTCP", "Cty CP", "Công ty CP", "CÔNG TY CỔ PHẦN"],
                 "Công ty TNHH MTV": ["Cty TNHH MTV", "Công ty TNHH một thành viên", "CTY TNHH MTV"],
                 "Doanh nghiệp tư nhân": ["DNTN", "DN tư nhân"], "Hợp tác xã": ["HTX", "HỢP TÁC XÃ"]}
# Sector of the register → contents it is usually inspected on.
SECTORS: dict[str, list[str]] = {
    "Thực phẩm": ["ATTP", "TDC", "LD"], "Chế biến nông sản": ["ATTP", "MT", "LD"], "Xây dựng": ["XD", "ATLD", "LD"],
    "Vật liệu xây dựng": ["MT", "KS", "ATLD"], "Dệt may": ["LD", "BHXH", "PCCC"], "Da giày": ["LD", "BHXH", "MT"],
    "Cơ khí": ["ATLD", "PCCC", "MT"], "Điện tử": ["LD", "BHXH", "PCCC"], "Dược phẩm": ["DUOC", "TDC"],
    "Thương mại": ["GIA", "TMDT", "THUE"], "Vận tải": ["VT", "ATLD"], "Du lịch": ["VHDL", "PCCC", "ATTP"],
    "Khách sạn": ["VHDL", "PCCC", "ATTP"], "Đá mỹ nghệ": ["KS", "MT", "ATLD"], "Xi măng": ["MT", "KS", "ATLD"],
    "Nước sạch": ["TNN", "TDC"], "Giáo dục": ["GDDT", "PCCC"], "Y tế": ["KCB", "DUOC"],
    "Bất động sản": ["DD", "XD", "DT"], "Chăn nuôi": ["MT", "ATTP"],
}
SYLLABLES = ["An", "Bình", "Phát", "Thịnh", "Hưng", "Long", "Minh", "Hoàng", "Thành", "Đạt", "Phú", "Quang", "Tân",
             "Việt", "Hòa", "Hải", "Trường", "Sơn", "Kim", "Ngọc", "Đức", "Gia", "Thiên", "Hồng", "Phúc", "Lộc",
             "Tài", "Vinh", "Xuân", "Bảo", "Khang", "Trung", "Tiến", "Hợp", "Thắng", "Cường", "Huy", "Nguyên", "Khánh",
             "Tràng", "Vân", "Đông", "Tùng", "Anh"]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Lý Thái Tổ", "Quang Trung", "Trường Chinh", "Lê Hồng Phong",
           "Biên Hòa", "Đinh Tiên Hoàng", "Hai Bà Trưng", "Nguyễn Văn Cừ", "Điện Biên", "Tràng An", "Vân Giang",
           "Lương Văn Thăng", "Trần Phú", "Phan Đình Phùng", "Nguyễn Trãi", "Lê Duẩn", "Võ Nguyên Giáp"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Đinh", "Lương"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Ngọc", "Hữu", "Thanh"]
GIVEN = ["Hùng", "Lan", "Dũng", "Hương", "Tuấn", "Mai", "Nam", "Hoa", "Sơn", "Hà", "Long", "Thảo", "Cường", "Yến"]

# 15 agencies planning for enterprises: (code, contents, share of thanh tra)
AGENCIES: list[tuple[str, list[str], float]] = [
    ("TTT", ["DT", "DD", "LD", "THUE", "MT", "XD"], 1.0), ("SYT", ["ATTP", "DUOC", "KCB"], 0.3),
    ("SCT", ["GIA", "TMDT", "TDC", "ATTP"], 0.3), ("SNNMT", ["MT", "TNN", "KS", "DD", "ATTP"], 0.3),
    ("SXD", ["XD", "KS", "VT"], 0.3), ("SKHCN", ["TDC"], 0.2), ("SVHTTDL", ["VHDL"], 0.2),
    ("SGDDT", ["GDDT"], 0.2), ("SNV", ["LD", "ATLD"], 0.3), ("STC", ["DT", "GIA"], 0.2),
    ("CAT", ["PCCC"], 0.0), ("THUE", ["THUE"], 0.0), ("BHXH", ["BHXH"], 0.0),
    ("BQLKCN", ["MT", "LD", "ATLD", "XD"], 0.0), ("UBND13285", ["ATTP", "XD", "GIA"], 0.0),
]
# Provinces merged on 1/7/2025 into the demo province (Ninh Bình): names old addresses still carry.
OLD_PROVINCES = {"35": "Tỉnh Hà Nam", "36": "Tỉnh Nam Định", "37": "Tỉnh Ninh Bình"}


@dataclass
class RegisterRow:
    tax_code: str
    name: str
    address: str
    unit_code: str
    legal_rep: str
    sector: str
    parent_tax_code: str | None = None


@dataclass
class PlanRecord:
    agency: str
    visit: dict[str, Any]  # as POST /api/v1/inspections/plans takes it
    truth: int | None  # index of the register row, None for an enterprise not in the register


@dataclass
class Generated:
    register: list[RegisterRow]
    records: list[PlanRecord]
    capacity: dict[str, int] = field(default_factory=dict)
    blackout: dict[str, list[int]] = field(default_factory=dict)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def register(rng: random.Random, province_code: str, size: int) -> list[RegisterRow]:
    communes = geo.communes_of(province_code)
    province = geo.get_province(province_code)
    pname = province.name if province else ""
    used: set[tuple[str, str]] = set()
    taken: set[str] = set()
    rows: list[RegisterRow] = []
    sectors = list(SECTORS)
    prefix = province_code[-2:]
    while len(rows) < size:
        sector = rng.choice(sectors)
        proper = f"{rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}"
        if (sector, proper) in used or proper.split()[0] == proper.split()[1]:
            continue
        used.add((sector, proper))
        code = taxcode.make(f"{rng.choice([prefix, '07', '06'])}{rng.randrange(10**7):07d}")
        if code is None or code in taken:
            continue
        taken.add(code)
        form = rng.choices(FORMS, FORM_WEIGHTS)[0]
        commune = rng.choice(communes)
        address = (f"Số {rng.randint(1, 400)}, đường {rng.choice(STREETS)}, {commune.name}, {pname}"
                   if rng.random() < 0.7 else f"Thôn {rng.randint(1, 12)}, {commune.name}, {pname}")
        rows.append(RegisterRow(code, f"{form} {sector} {proper}", address, commune.code, _person(rng), sector))
        if rng.random() < 0.03:  # a look-alike: same trade name, another legal form and place (hard to tell apart)
            other_form = rng.choice([f for f in FORMS if f != form])
            other = rng.choice(communes)
            sibling = taxcode.make(f"{rng.choice([prefix, '07', '06'])}{rng.randrange(10**7):07d}")
            if sibling is not None and sibling not in taken:
                taken.add(sibling)
                rows.append(RegisterRow(sibling, f"{other_form} {sector} {proper}",
                                        f"Thôn {rng.randint(1, 12)}, {other.name}, {pname}", other.code,
                                        _person(rng), sector))
        if rng.random() < 0.04:  # a branch in another commune
            other = rng.choice(communes)
            rows.append(RegisterRow(f"{code}-001", f"Chi nhánh {form} {sector} {proper} tại {other.name}",
                                    f"Số {rng.randint(1, 300)}, đường {rng.choice(STREETS)}, {other.name}, {pname}",
                                    other.code, _person(rng), sector, parent_tax_code=code))
    return rows


def _typo(rng: random.Random, text: str) -> str:
    words = text.split()
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 3:
        j = rng.randrange(1, len(w) - 1)
        words[i] = w[:j] + w[j + 1:]
    return " ".join(words)


def spell(rng: random.Random, row: RegisterRow) -> tuple[str, str]:
    """How another agency writes this enterprise's name and address."""
    name = row.name
    for form, variants in FORM_VARIANTS.items():
        if name.startswith(form + " ") and not name.startswith(form + " MTV") and rng.random() < 0.6:
            name = rng.choice(variants) + name[len(form):]
            break
    r = rng.random()
    if r < 0.15:
        name = fold(name).title()
    elif r < 0.25:
        name = _typo(rng, name)
    address = row.address
    a = rng.random()
    if a < 0.3:
        old = geo.legacy_commune(row.unit_code)
        parts = address.split(", ")
        if old is not None and len(parts) >= 3:
            address = ", ".join([*parts[:-2], old.name, OLD_PROVINCES.get(old.province_code, parts[-1])])
    elif a < 0.5:
        address = (address.replace("Phường ", "P. ").replace("Xã ", "X. ").replace("đường ", "")
                   .replace("Số ", "").replace("Tỉnh ", "T. "))
    return name, address


def plans(rng: random.Random, rows: list[RegisterRow], *, per_agency: int, year: int,
          tax_share: float = 0.5) -> Generated:
    """Plans of the 15 agencies; about a third of enterprises are picked by several agencies (the overlap)."""
    by_content: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for content in SECTORS[row.sector]:
            by_content.setdefault(content, []).append(i)
    hot = rng.sample(range(len(rows)), max(1, len(rows) // 12))  # enterprises several agencies visit
    records: list[PlanRecord] = []
    capacity: dict[str, int] = {}
    blackout: dict[str, list[int]] = {}
    for agency, contents, share in AGENCIES:
        capacity[agency] = max(2, int(per_agency / 12 * 1.6))
        blackout[agency] = [2] if rng.random() < 0.5 else [2, 12]
        picked: set[int] = set()
        for _ in range(per_agency):
            content = rng.choice(contents)
            pool = by_content.get(content) or list(range(len(rows)))
            if rng.random() < 0.35:
                idx = rng.choice(hot)
            else:
                idx = rng.choice(pool)
            if idx in picked and rng.random() < 0.8:
                idx = rng.choice(pool)
            picked.add(idx)
            kind = "thanh_tra" if rng.random() < share else (
                "kiem_tra_lien_nganh" if rng.random() < 0.1 else "kiem_tra")
            signs = rng.random() < 0.03
            month = rng.choice([m for m in range(1, 13) if m not in blackout[agency]])
            visit: dict[str, Any] = {
                "kind": kind, "content_code": content, "month": month, "lead_agency": agency,
                "participants": [], "violation_signs": signs,
                "basis_document": f"Đơn phản ánh số {rng.randint(10, 999)}/{year - 1}" if signs and rng.random() < 0.7
                else None, "remote": rng.random() < 0.15,
            }
            if rng.random() < 0.04:  # a household business not in the register
                person = _person(rng)
                visit.update(enterprise_name=f"Hộ kinh doanh {person}", tax_code=None,
                             address=f"Thôn {rng.randint(1, 9)}, {rows[idx].address.split(', ')[-2]}",
                             legal_rep=person)
                records.append(PlanRecord(agency, visit, None))
                continue
            row = rows[idx]
            if rng.random() < tax_share:
                visit.update(tax_code=row.tax_code, enterprise_name=row.name, address=row.address)
            else:
                name, address = spell(rng, row)
                if rng.random() < 0.03:  # a commune's plan without the address: uncertain, for the analysts
                    address = ""
                visit.update(tax_code=None, enterprise_name=name, address=address,
                             legal_rep=row.legal_rep if rng.random() < 0.5 else "")
            records.append(PlanRecord(agency, visit, idx))
    return Generated(register=rows, records=records, capacity=capacity, blackout=blackout)
