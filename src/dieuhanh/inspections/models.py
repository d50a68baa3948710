"""Tables of the inspections domain: the enterprise register (and enterprises found only in plans), agencies'
plans and their planned visits, analysts' match decisions, optimiser proposals and the year's signed plan."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dieuhanh.core.db import Base, utcnow

KINDS = ("thanh_tra", "kiem_tra", "kiem_tra_lien_nganh")
KIND_LABELS = {"thanh_tra": "Thanh tra", "kiem_tra": "Kiểm tra", "kiem_tra_lien_nganh": "Kiểm tra liên ngành"}
CHECK_KINDS = ("kiem_tra", "kiem_tra_lien_nganh")
MATCH_LABELS = {"tax_code": "Khớp mã số thuế", "auto": "Tự động (điểm cao)", "review": "Chờ xác nhận",
                "confirmed": "Chuyên viên xác nhận", "split": "Chuyên viên tách riêng", "new": "Doanh nghiệp mới"}
VISIT_STATUS_LABELS = {"planned": "Theo kế hoạch", "moved": "Đã dời tháng", "merged": "Gộp vào đoàn liên ngành",
                       "dropped": "Bỏ khỏi kế hoạch"}
YEAR_STATUS_LABELS = {"draft": "Đang tổng hợp", "signed": "Đã ký ban hành"}


class Enterprise(Base):
    """An enterprise or household business: a row of the province's register (đăng ký kinh doanh), or one found
    only in agencies' plans (source "plan")."""

    __tablename__ = "inspection_enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    tax_code: Mapped[str | None] = mapped_column(String(14), unique=True)
    parent_tax_code: Mapped[str | None] = mapped_column(String(10), index=True)  # a branch's head office
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(400), default="")
    unit_code: Mapped[str | None] = mapped_column(String(10), index=True)
    legal_rep: Mapped[str] = mapped_column(String(120), default="")
    sector: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(String(10), default="register")  # register | plan
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Plan(Base):
    """One agency's plan for a year (resubmitting replaces it whole, in one transaction)."""

    __tablename__ = "inspection_plan"
    __table_args__ = (UniqueConstraint("agency_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(40), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    source: Mapped[str] = mapped_column(String(10))  # api | xlsx | web | demo
    submitted_by: Mapped[str] = mapped_column(String(160))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    capacity_per_month: Mapped[int | None] = mapped_column(Integer)
    blackout_months: Mapped[list[int]] = mapped_column(JSON, default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Visit(Base):
    """A planned visit (cuộc thanh tra / kiểm tra) of one enterprise, as the agency submitted it, with its resolved
    enterprise and what the accepted proposal did to it."""

    __tablename__ = "inspection_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plan.id", ondelete="CASCADE"), index=True)
    agency_code: Mapped[str] = mapped_column(String(40), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    row_no: Mapped[int] = mapped_column(Integer)
    tax_code: Mapped[str | None] = mapped_column(String(14))
    enterprise_name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(400), default="")
    legal_rep: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(20))
    content_code: Mapped[str] = mapped_column(String(20))
    month: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    lead_agency: Mapped[str] = mapped_column(String(40))
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    violation_signs: Mapped[bool] = mapped_column(Boolean, default=False)
    basis_document: Mapped[str | None] = mapped_column(String(200))
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_enterprise.id"), index=True)
    match_status: Mapped[str] = mapped_column(String(10), default="new")
    match_score: Mapped[float | None] = mapped_column(Float)
    candidate_id: Mapped[int | None] = mapped_column(Integer)  # the register row proposed for review
    status: Mapped[str] = mapped_column(String(10), default="planned")
    final_month: Mapped[int] = mapped_column(Integer)
    merged_with_id: Mapped[int | None] = mapped_column(Integer)


class MatchDecision(Base):
    """An analyst's decision on a record (by its normalised name and address), reused when plans are resubmitted."""

    __tablename__ = "inspection_match_decision"

    record_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(Integer)  # confirmed: this one; split: never this one
    decision: Mapped[str] = mapped_column(String(10))  # confirm | split
    decided_by: Mapped[str] = mapped_column(String(160))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class Proposal(Base):
    """The optimiser's proposal for a year: changes, conflicts before/after, workload per agency and month."""

    __tablename__ = "inspection_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(10), default="proposed")  # proposed | accepted | superseded
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    conflicts_before: Mapped[int] = mapped_column(Integer, default=0)
    conflicts_after: Mapped[int] = mapped_column(Integer, default=0)
    workload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class YearPlan(Base):
    """The province's merged plan of a year and its signing (Chủ tịch UBND tỉnh ban hành trước 20/12)."""

    __tablename__ = "inspection_year_plan"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    signed_by: Mapped[str | None] = mapped_column(String(160))
    signed_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
