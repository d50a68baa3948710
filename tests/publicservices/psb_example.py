"""A hand-computed example for the Decision 766 engine (expected figures worked out by hand in the tests).

Pushed through the storage service (validation, upsert ordering, warehouse batches), like the one-stop-shop
system would. Agencies: STP (department) and UBND13285 (People's Committee of commune 13285). Communes: C1 =
13285, C2 = 13291. Holidays: 30/4, 1/5 and the substituted 2/5/2025 are days off.
"""

from __future__ import annotations

from typing import Any

from dieuhanh.core.security import SYSTEM
from dieuhanh.publicservices import service

C1, C2 = "13285", "13291"
UBND_C1 = "UBND13285"

PROCEDURES = [
    {"MaTTHC": "P1", "TenTTHC": "Thủ tục một", "MaCoQuan": "STP", "MucDoDVC": "toan_trinh", "CoPhiLePhi": 1,
     "YeuCauKetQua": 1, "ThoiHanGiaiQuyet": 3},
    {"MaTTHC": "P2", "TenTTHC": "Thủ tục hai", "MaCoQuan": "STP", "MucDoDVC": "khong", "CoPhiLePhi": 0,
     "YeuCauKetQua": 0, "ThoiHanGiaiQuyet": 5},
    {"MaTTHC": "P3", "TenTTHC": "Thủ tục ba", "MaCoQuan": "STP", "MucDoDVC": "mot_phan", "CoPhiLePhi": 1,
     "YeuCauKetQua": 1, "ThoiHanGiaiQuyet": 2},
    {"MaTTHC": "P4", "TenTTHC": "Thủ tục bốn", "MaCoQuan": UBND_C1, "MucDoDVC": "toan_trinh", "CoPhiLePhi": 0,
     "YeuCauKetQua": 1, "ThoiHanGiaiQuyet": 1},
]


def _d(code: str, proc: str, agency: str, commune: str | None, channel: int, status: int, received: str | None,
       updated: str, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"MaHoSo": code, "MaTTHC": proc, "MaCoQuan": agency, "KenhThucHien": channel,
                           "TrangThaiHoSo": status, "NgayCapNhat": updated}
    if commune:
        out["MaDonViHanhChinh"] = commune
    if received:
        out["NgayTiepNhan"] = received
    out.update(more)
    return out


# D2's first version (still being processed); its later version (ended late) replaces it.
FIRST = [
    _d("D2", "P1", "STP", C1, 1, 4, "2025-06-03T09:00:00", "2025-06-04T08:00:00",
       NgayHenTra="2025-06-06T17:00:00", DuocSoHoa=1),
]
DOSSIERS = [
    # received in June, online, ended on time; paid online, electronic result, digitised, reused; synchronised
    _d("D1", "P1", "STP", C1, 2, 10, "2025-06-02T08:00:00", "2025-06-04T10:00:00", NgayHenTra="2025-06-05T17:00:00",
       NgayKetThucXuLy="2025-06-04T10:00:00", SoLanYeuCauBoSung=0, DuocThanhToanTrucTuyen=1, CoKetQuaDienTu=1,
       DuocSoHoa=1, DuocTaiSuDung=1, DanhGia="hai_long", DongBoDVCQG=1, HoTenNguoiNop="Nguyễn Văn An"),
    # ended after its due date; citizen not satisfied
    _d("D2", "P1", "STP", C1, 1, 9, "2025-06-03T09:00:00", "2025-06-09T10:00:00", NgayHenTra="2025-06-06T17:00:00",
       NgayKetThucXuLy="2025-06-09T10:00:00", DuocSoHoa=1, DanhGia="khong_hai_long", DongBoDVCQG=0),
    # status 5: ends at the supplement request (12/6 <= due 20/6) -> on time
    _d("D3", "P2", "STP", C2, 2, 5, "2025-06-10T08:00:00", "2025-06-12T10:00:00", NgayHenTra="2025-06-20T17:00:00",
       NgayYeuCauBoSung="2025-06-12T10:00:00", SoLanYeuCauBoSung=1, DuocSoHoa=1, DuocTaiSuDung=1),
    # two supplement requests -> late although ended before the due date; paid on the provincial portal; complaint
    _d("D4", "P1", "STP", C2, 2, 10, "2025-06-11T08:00:00", "2025-06-20T10:00:00", NgayHenTra="2025-06-25T17:00:00",
       NgayKetThucXuLy="2025-06-20T10:00:00", SoLanYeuCauBoSung=2, DuocThanhToanTrucTuyen=2, CoKetQuaDienTu=1,
       CoPhanAnh=1),
    # status 7: withdrawn on 17/6 (<= due 18/6) -> on time; not a result (4.1)
    _d("D5", "P3", "STP", C1, 1, 7, "2025-06-16T08:00:00", "2025-06-17T09:00:00", NgayHenTra="2025-06-18T17:00:00",
       NgayKetThucXuLy="2025-06-17T09:00:00"),
    # carried over from May, still open at the end of June (due 10/6) -> late in June, on time in May
    _d("D6", "P2", "STP", C1, 1, 4, "2025-05-26T08:00:00", "2025-05-27T08:00:00", NgayHenTra="2025-06-10T17:00:00"),
    # carried over from May, ended on time in June
    _d("D7", "P1", "STP", C2, 2, 10, "2025-05-20T08:00:00", "2025-06-02T15:00:00", NgayHenTra="2025-06-03T17:00:00",
       NgayKetThucXuLy="2025-06-02T15:00:00", CoKetQuaDienTu=1),
    # ended in May: not to be handled in June
    _d("D8", "P2", "STP", C1, 1, 10, "2025-05-05T08:00:00", "2025-05-09T08:00:00", NgayHenTra="2025-05-12T17:00:00",
       NgayKetThucXuLy="2025-05-09T08:00:00"),
    # no due date over 30/4–2/5: received Mon 28/4, ended Mon 5/5 = 2 working days (29/4, 5/5) <= 3 -> on time
    _d("D9", "P1", "STP", C2, 1, 10, "2025-04-28T08:00:00", "2025-05-05T16:00:00",
       NgayKetThucXuLy="2025-05-05T16:00:00"),
    # no due date: received Mon 2/6, ended Thu 5/6 = 3 working days > 2 -> late; paid online
    _d("D10", "P3", "STP", C1, 1, 9, "2025-06-02T08:00:00", "2025-06-05T16:00:00",
       NgayKetThucXuLy="2025-06-05T16:00:00", DuocThanhToanTrucTuyen=1, DuocSoHoa=1),
    # never received (status 1 and 3): counted nowhere
    _d("D11", "P1", "STP", C1, 2, 1, None, "2025-06-05T08:00:00"),
    _d("D12", "P1", "STP", C1, 2, 3, "2025-06-05T08:00:00", "2025-06-05T09:00:00"),
    # commune People's Committee: online, received 25/6, open at the end of June (due 26/6) -> late
    _d("D13", "P4", UBND_C1, C1, 2, 2, "2025-06-25T08:00:00", "2025-06-25T09:00:00",
       NgayHenTra="2025-06-26T17:00:00"),
]


def load(db: Any, warehouse: Any) -> None:
    with db.session() as session:
        service.upsert_procedures(session, warehouse, PROCEDURES, principal=SYSTEM, province_code="37")
    with db.session() as session:
        service.upsert_dossiers(session, warehouse, FIRST, principal=SYSTEM, province_code="37")
    with db.session() as session:
        service.upsert_dossiers(session, warehouse, DOSSIERS, principal=SYSTEM, province_code="37")
