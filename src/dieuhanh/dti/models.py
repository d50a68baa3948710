"""Tables of the dti domain: scoring frameworks (as data), yearly campaigns, one form per unit with its answers
and evidence, and the province's national governance indices (DTI, PAR INDEX, SIPAS, PAPI, PCI, QĐ 766)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dieuhanh.core.db import Base, utcnow


class DtiFramework(Base):
    """A scoring framework: pillars → main indices → sub-indicators, kept whole as its validated definition."""

    __tablename__ = "dti_framework"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[str] = mapped_column(String(20))  # department | commune
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(120), default="")
    updated_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DtiCampaign(Base):
    """A yearly self-assessment campaign of one framework for a set of units."""

    __tablename__ = "dti_campaign"
    __table_args__ = (UniqueConstraint("framework_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_code: Mapped[str] = mapped_column(ForeignKey("dti_framework.code"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()


class DtiForm(Base):
    """One unit's self-assessment in a campaign."""

    __tablename__ = "dti_form"
    __table_args__ = (UniqueConstraint("campaign_id", "agency_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("dti_campaign.id"), index=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agency.code"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | submitted
    submitted_at: Mapped[datetime | None] = mapped_column()
    submitted_by: Mapped[str | None] = mapped_column(String(120))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    answers: Mapped[list[DtiAnswer]] = relationship(back_populates="form", order_by="DtiAnswer.id")


class DtiAnswer(Base):
    """A unit's answer to one sub-indicator: its value and evidence (self-assessed) or the platform's figure
    (automatic), the score the rule gives, and the review team's decision."""

    __tablename__ = "dti_answer"
    __table_args__ = (UniqueConstraint("form_id", "sub_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("dti_form.id"), index=True)
    sub_code: Mapped[str] = mapped_column(String(40))
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)  # bool | number | ordinal level | None
    source_text: Mapped[str] = mapped_column(Text, default="")  # automatic: the figures behind the value
    note: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{title, url}] links
    score: Mapped[float | None] = mapped_column(Float)  # what the rule gives for the value
    review_state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|accepted|adjusted|more_evidence
    review_score: Mapped[float | None] = mapped_column(Float)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    updated_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    form: Mapped[DtiForm] = relationship(back_populates="answers")
    files: Mapped[list[DtiEvidenceFile]] = relationship(back_populates="answer", order_by="DtiEvidenceFile.id")


class DtiEvidenceFile(Base):
    """An uploaded evidence file (PDF or image) of an answer."""

    __tablename__ = "dti_evidence_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("dti_answer.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[DtiAnswer] = relationship(back_populates="files")


class GovernanceIndex(Base):
    """One year's value of a national index for a province (DTI, PAR INDEX, SIPAS, PAPI, PCI, QĐ 766)."""

    __tablename__ = "governance_index"
    __table_args__ = (UniqueConstraint("index", "year", "province_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    index: Mapped[str] = mapped_column(String(10), index=True)
    year: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[str] = mapped_column(String(10), index=True)
    value: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    rank_of: Mapped[int | None] = mapped_column(Integer)  # 63 provinces before 2025, 34 after
    components: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(Text, default="")
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str] = mapped_column(String(120), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
