"""Builders of portal records for the storage, push API and import tests (PS storage tests)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.publicservices.models import Dossier, Procedure


def procedure(code: str = "1.000001", agency: str = "SXD", **fields: Any) -> dict[str, Any]:
    return {"MaTTHC": code, "TenTTHC": f"Thủ tục {code}", "MaLinhVuc": "XD", "TenLinhVuc": "Xây dựng",
            "MaCoQuan": agency, "MucDoDVC": "toan_trinh", "CoPhiLePhi": 1, "YeuCauKetQua": 1,
            "ThoiHanGiaiQuyet": 10, **fields}


def dossier(code: str = "HS-0001", procedure_code: str = "1.000001", agency: str = "SXD",
            updated: str = "20250612083000", **fields: Any) -> dict[str, Any]:
    return {"MaHoSo": code, "MaTTHC": procedure_code, "MaCoQuan": agency, "MaDonViHanhChinh": "13285",
            "KenhThucHien": 2, "TrangThaiHoSo": 4, "NgayTiepNhan": "20250610080000",
            "NgayHenTra": "20250624170000", "NgayKetThucXuLy": None, "NgayYeuCauBoSung": None,
            "NgayCapNhat": updated, "SoLanYeuCauBoSung": 0, "DuocThanhToanTrucTuyen": 1, "CoKetQuaDienTu": 0,
            "DuocSoHoa": 1, "DuocTaiSuDung": 0, "CoPhanAnh": 0, "DanhGia": None, **fields}


def counts(db: Any, warehouse: Warehouse) -> dict[str, int]:
    """Rows of both stores: operational tables, warehouse tables and load batches of the two datasets."""
    with db.session() as session:
        out = {
            "ps_procedure": int(session.scalar(select(func.count()).select_from(Procedure)) or 0),
            "ps_dossier": int(session.scalar(select(func.count()).select_from(Dossier)) or 0),
            "batches": int(session.scalar(select(func.count()).select_from(LoadBatch).join(
                Dataset, Dataset.id == LoadBatch.dataset_id).where(
                Dataset.name.in_(["tthc_thu_tuc", "tthc_ho_so"]))) or 0),
        }
    for name in ("tthc_thu_tuc", "tthc_ho_so"):
        out[name] = (int(warehouse.query(f"SELECT count(*) FROM {name}").column(0)[0].as_py())
                     if warehouse.table_exists(name) else 0)
    return out


def current_dossiers(warehouse: Warehouse) -> dict[str, dict[str, Any]]:
    """Current state in SQL: the row with the greatest (ngay_cap_nhat, nap_luc) per ma_ho_so."""
    rows = warehouse.query(
        "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY ma_ho_so ORDER BY ngay_cap_nhat DESC, "
        "nap_luc DESC) AS rn FROM tthc_ho_so) AS t WHERE rn = 1").to_pylist()
    return {r["ma_ho_so"]: r for r in rows}
