"""Input/output shapes of the public-services API (records keep the national portal's PascalCase names)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class UpsertOut(BaseModel):
    received: int = Field(description="Số bản ghi đã nhận")
    inserted: int = Field(description="Bản ghi mới")
    updated: int = Field(description="Bản ghi đã có, được cập nhật (NgayCapNhat bằng hoặc mới hơn)")
    unchanged: int = Field(description="Bản ghi giống hệt bản đã lưu (gửi lại): không thay đổi gì")
    skipped_older: int = Field(description="Bản ghi cũ hơn bản đã lưu (NgayCapNhat nhỏ hơn): bỏ qua")
    batch_id: str | None = Field(description="Lô nạp vào kho dữ liệu (không có khi không có gì thay đổi)")
    ignored_fields: list[str] = Field(description="Tên trường không được hệ thống sử dụng, đã bỏ qua")


PROCEDURE_EXAMPLE: list[dict[str, Any]] = [{
    "MaTTHC": "1.001234", "TenTTHC": "Cấp giấy phép xây dựng nhà ở riêng lẻ", "MaLinhVuc": "XD01",
    "TenLinhVuc": "Hoạt động xây dựng", "MaCoQuan": "SXD", "MucDoDVC": "toan_trinh", "CoPhiLePhi": 1,
    "YeuCauKetQua": 1, "ThoiHanGiaiQuyet": 15,
}]
DOSSIER_EXAMPLE: list[dict[str, Any]] = [{
    "MaHoSo": "000.00.37.H42-250612-0001", "MaTTHC": "1.001234", "MaCoQuan": "SXD", "MaDonViHanhChinh": "13285",
    "KenhThucHien": 2, "TrangThaiHoSo": 10, "NgayTiepNhan": "20250612083000", "NgayHenTra": "20250703170000",
    "NgayKetThucXuLy": "2025-06-30T10:15:00+07:00", "NgayYeuCauBoSung": None, "NgayCapNhat": "20250630101500",
    "SoLanYeuCauBoSung": 0, "DuocThanhToanTrucTuyen": 1, "CoKetQuaDienTu": 1, "DuocSoHoa": 1, "DuocTaiSuDung": 0,
    "DanhGia": "hai_long", "CoPhanAnh": 0, "HoTenNguoiNop": "Nguyễn Văn A",
}]
