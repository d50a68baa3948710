"""Tables of the publicservices module: the current state of procedures and dossiers (operational database).

History and computation live in the warehouse (datasets ``tthc_thu_tuc`` and ``tthc_ho_so``, see service.py);
these tables hold the latest accepted version of each procedure and dossier, and the personal fields, which
never reach the warehouse.

Column names are the snake_case forms of the national portal's field names (MaTTHC → ma_tthc). Datetimes of
the portal (NgayTiepNhan …) are naive local time (Asia/Ho_Chi_Minh); ``updated_at``/``received_at`` are naive
UTC server times like every other timestamp of the operational database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, utcnow


class Procedure(Base):
    """An administrative procedure (thủ tục hành chính) as published by the one-stop-shop system."""

    __tablename__ = "ps_procedure"

    ma_tthc: Mapped[str] = mapped_column(String(60), primary_key=True)
    ten_tthc: Mapped[str] = mapped_column(Text)
    ma_linh_vuc: Mapped[str | None] = mapped_column(String(60))
    ten_linh_vuc: Mapped[str | None] = mapped_column(String(255))
    ma_co_quan: Mapped[str] = mapped_column(String(40), index=True)  # agency.code (checked on upsert)
    muc_do_dvc: Mapped[str] = mapped_column(String(20))  # toan_trinh | mot_phan | khong
    co_phi_le_phi: Mapped[int] = mapped_column(Integer, default=0)
    yeu_cau_ket_qua: Mapped[int] = mapped_column(Integer, default=0)
    thoi_han_giai_quyet: Mapped[int | None] = mapped_column(Integer)  # working days
    # Fields of the other Decision 766 indicators (publication flags …), keyed by their portal names.
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dossier(Base):
    """An administrative dossier (hồ sơ TTHC): the latest accepted version, by ``ngay_cap_nhat``."""

    __tablename__ = "ps_dossier"

    ma_ho_so: Mapped[str] = mapped_column(String(100), primary_key=True)
    ma_tthc: Mapped[str] = mapped_column(String(60), index=True)
    ma_co_quan: Mapped[str] = mapped_column(String(40), index=True)
    # The CURRENT commune code (legacy names and codes mapped on arrival), or None.
    ma_don_vi_hanh_chinh: Mapped[str | None] = mapped_column(String(10), index=True)
    kenh_thuc_hien: Mapped[int] = mapped_column(Integer, default=1)  # 1 trực tiếp, 2 trực tuyến, 3 bưu chính
    trang_thai_ho_so: Mapped[int] = mapped_column(Integer)  # 1..10
    ngay_tiep_nhan: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    ngay_hen_tra: Mapped[datetime | None] = mapped_column(DateTime)
    ngay_ket_thuc_xu_ly: Mapped[datetime | None] = mapped_column(DateTime)
    ngay_yeu_cau_bo_sung: Mapped[datetime | None] = mapped_column(DateTime)
    ngay_cap_nhat: Mapped[datetime] = mapped_column(DateTime)
    so_lan_yeu_cau_bo_sung: Mapped[int] = mapped_column(Integer, default=0)
    duoc_thanh_toan_truc_tuyen: Mapped[int] = mapped_column(Integer, default=0)  # 0, 1 national, 2 provincial
    co_ket_qua_dien_tu: Mapped[int] = mapped_column(Integer, default=0)
    duoc_so_hoa: Mapped[int] = mapped_column(Integer, default=0)
    duoc_tai_su_dung: Mapped[int] = mapped_column(Integer, default=0)
    co_phan_anh: Mapped[int] = mapped_column(Integer, default=0)
    danh_gia: Mapped[str | None] = mapped_column(String(20))  # hai_long | khong_hai_long | None
    # Other accepted non-personal fields (for the remaining Decision 766 indicators).
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Owner name, ID numbers, phone, address, e-mail: only here, only for officials of the dossier's agency.
    personal: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  # server time of the last accepted version


class Petition(Base):
    """A petition or recommendation on procedures (phản ánh, kiến nghị — PAKN; rules 5.1–5.3), pushed by the
    one-stop-shop system or derived from a citizen report on procedures or officials (feedback module)."""

    __tablename__ = "ps_petition"

    ma_pakn: Mapped[str] = mapped_column(String(100), primary_key=True)
    ma_co_quan: Mapped[str] = mapped_column(String(40), index=True)
    ma_don_vi_hanh_chinh: Mapped[str | None] = mapped_column(String(10), index=True)
    phan_loai: Mapped[str] = mapped_column(String(10))  # tthc | canbo
    ngay_tiep_nhan: Mapped[datetime] = mapped_column(DateTime, index=True)
    han_xu_ly: Mapped[datetime | None] = mapped_column(DateTime)
    ngay_xu_ly: Mapped[datetime | None] = mapped_column(DateTime)
    trang_thai: Mapped[str | None] = mapped_column(String(40))
    danh_gia: Mapped[str | None] = mapped_column(String(20))  # hai_long | khong_hai_long | None
    cong_khai: Mapped[int] = mapped_column(Integer, default=0)
    ngay_cap_nhat: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertifiedCopy(Base):
    """Whether a commune provided electronic certified copies from originals in a month (rule 4.2b)."""

    __tablename__ = "ps_certified_copy"

    ma_don_vi_hanh_chinh: Mapped[str] = mapped_column(String(10), primary_key=True)
    thang: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-11
    co_cung_cap: Mapped[int] = mapped_column(Integer, default=0)
    ngay_cap_nhat: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProvinceRanking(Base):
    """The national portal's published Decision 766 scores of the 34 provinces for a period (imported)."""

    __tablename__ = "ps_province_ranking"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    ma_tinh: Mapped[str] = mapped_column(String(10), primary_key=True)
    ten_tinh: Mapped[str] = mapped_column(String(120))
    tong_diem: Mapped[float] = mapped_column()
    nhom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"1": 15.2, …, "6": 16.0}
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
