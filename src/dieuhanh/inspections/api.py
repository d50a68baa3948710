"""JSON API of the inspections domain under ``/api/v1/inspections`` (thin: the rules are in service.py).

* ``POST /plans`` ``{agency_code, year, visits: [...]}`` (token scope ``inspections`` of the agency, or its
  officer) → the stored plan; 422 with every visit's errors (``index``, ``field``) and nothing stored;
* ``GET /conflicts?year=`` → ``[{enterprise_id, tax_code, rule, visits, legal_basis, exception}]``;
* ``GET /enterprises/{id}``: the resolved enterprise, its source records and their match scores;
* ``POST /matches/{id}/confirm|split`` (id: the source record, i.e. the visit);
* ``POST /optimise?year=`` → ``{id, changes: [{visit_id, action, to_month?, merged_with?}], conflicts_after,
  workload}``; ``POST /proposals/{id}/accept``; ``POST /sign?year=``; ``GET /published?year=`` (open data).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, Field

from dieuhanh.core.errors import InvalidInput
from dieuhanh.inspections import service
from dieuhanh.inspections.models import KIND_LABELS, MATCH_LABELS, Enterprise, Proposal, Visit
from dieuhanh.web.deps import DB, LoggedIn
from dieuhanh.web.params import json_body

router = APIRouter(prefix="/api/v1/inspections", tags=["thanh tra, kiểm tra doanh nghiệp"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Year = Annotated[int, Query(ge=2020, le=2100, description="Năm kế hoạch")]


class VisitDoc(BaseModel):
    tax_code: str | None = Field(None, description="Mã số thuế 10 số hoặc 13 số (chi nhánh) nếu biết")
    enterprise_name: str
    address: str = ""
    legal_rep: str = ""
    kind: Literal["thanh_tra", "kiem_tra", "kiem_tra_lien_nganh"]
    content_code: str = Field(description="Mã lĩnh vực quản lý nhà nước (danh mục)")
    month: int | None = Field(None, ge=1, le=12)
    start_date: date | None = None
    end_date: date | None = None
    lead_agency: str | None = None
    participants: list[str] = []
    violation_signs: bool = False
    basis_document: str | None = None
    remote: bool = False


class PlanDoc(BaseModel):
    agency_code: str
    year: int
    visits: list[VisitDoc]
    capacity_per_month: int | None = None
    blackout_months: list[int] = []


def visit_dict(v: Visit) -> dict[str, Any]:
    return {"id": v.id, "agency_code": v.agency_code, "row": v.row_no, "tax_code": v.tax_code,
            "enterprise_name": v.enterprise_name, "address": v.address, "kind": v.kind,
            "kind_label": KIND_LABELS.get(v.kind), "content_code": v.content_code, "month": v.month,
            "final_month": v.final_month, "lead_agency": v.lead_agency, "participants": v.participants,
            "violation_signs": v.violation_signs, "basis_document": v.basis_document, "remote": v.remote,
            "enterprise_id": v.enterprise_id, "match_status": v.match_status,
            "match_label": MATCH_LABELS.get(v.match_status), "match_score": v.match_score,
            "candidate_id": v.candidate_id, "status": v.status, "merged_with": v.merged_with_id}


def enterprise_dict(e: Enterprise) -> dict[str, Any]:
    return {"id": e.id, "tax_code": e.tax_code, "parent_tax_code": e.parent_tax_code, "name": e.name,
            "address": e.address, "unit_code": e.unit_code, "sector": e.sector, "source": e.source}


def proposal_dict(p: Proposal) -> dict[str, Any]:
    return {"id": p.id, "year": p.year, "status": p.status, "changes": p.changes,
            "conflicts_before": p.conflicts_before, "conflicts_after": p.conflicts_after, "workload": p.workload,
            "seconds": p.seconds}


@router.post("/plans", status_code=201, summary="Nộp (hoặc thay) kế hoạch thanh tra, kiểm tra năm của một cơ quan",
             openapi_extra=json_body(PlanDoc))
def submit_plan(request: Request, db: DB, principal: LoggedIn,
                body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Submit (or replace) an agency's plan for a year. All visits valid or nothing stored (422 lists the errors)."""
    agency, year, visits = body.get("agency_code"), body.get("year"), body.get("visits")
    if not isinstance(agency, str) or not isinstance(year, int) or not isinstance(visits, list):
        raise InvalidInput("Cần agency_code (chuỗi), year (số) và visits (danh sách các cuộc).")
    cap = body.get("capacity_per_month")
    blackout = body.get("blackout_months")
    plan = service.submit_plan(db, principal=principal, agency_code=agency, year=year, visits=visits,
                               source="api", province_code=request.app.state.settings.province_code,
                               capacity_per_month=cap, blackout_months=blackout,
                               warehouse=request.app.state.warehouse)
    stored = db.query(Visit).filter(Visit.plan_id == plan.id).order_by(Visit.row_no).all()
    return {"id": plan.id, "agency_code": plan.agency_code, "year": plan.year, "visits": [visit_dict(v)
                                                                                          for v in stored]}


@router.get("/plans", summary="Danh sách kế hoạch các cơ quan đã nộp trong năm")
def plans(db: DB, principal: LoggedIn, year: Year) -> list[dict[str, Any]]:
    from dieuhanh.core.security import authorize

    authorize(principal, "inspections.read")
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in p.items()}
            for p in service.list_plans(db, year=year)]


class LimitsDoc(BaseModel):
    capacity_per_month: int | None = Field(None, ge=1, description="Số cuộc tối đa mỗi tháng (trống: 1,5 lần "
                                                                   "bình quân tháng)")
    blackout_months: list[int] = Field([], description="Tháng không bố trí (1–12)")


@router.put("/plans/{agency_code}/{year}/limits", summary="Đặt số cuộc tối đa mỗi tháng và tháng không bố trí",
            openapi_extra=json_body(LimitsDoc))
def set_limits(db: DB, principal: LoggedIn, agency_code: Annotated[str, Path(max_length=40)],
               year: Annotated[int, Path(ge=2020, le=2100)],
               body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """The agency's limits for the optimiser (its officers or token, or the inspectorate; until signing)."""
    plan = service.set_limits(db, principal=principal, agency_code=agency_code, year=year,
                              capacity_per_month=body.get("capacity_per_month"),
                              blackout_months=body.get("blackout_months"))
    return {"agency_code": plan.agency_code, "year": plan.year, "capacity_per_month": plan.capacity_per_month,
            "blackout_months": plan.blackout_months}


@router.get("/conflicts", summary="Các xung đột của kế hoạch chung với Nghị quyết 198/2025/QH15")
def conflicts(db: DB, principal: LoggedIn, year: Year) -> list[dict[str, Any]]:
    """Conflicts of the merged plan with Nghị quyết 198/2025/QH15 (after the changes accepted so far)."""
    return service.find_conflicts(db, principal=principal, year=year)


@router.get("/enterprises/{enterprise_id}", summary="Doanh nghiệp đã đối chiếu, các bản ghi nguồn và điểm khớp")
def enterprise(db: DB, principal: LoggedIn, enterprise_id: Id) -> dict[str, Any]:
    data = service.get_enterprise(db, principal=principal, enterprise_id=enterprise_id)
    return {**enterprise_dict(data["enterprise"]),
            "records": [visit_dict(v) for v in data["records"]],
            "branches": [enterprise_dict(b) for b in data["branches"]],
            "parent": enterprise_dict(data["parent"]) if data["parent"] else None}


@router.get("/matches", summary="Hàng chờ đối chiếu doanh nghiệp chưa chắc chắn")
def matches(db: DB, principal: LoggedIn, year: Year) -> list[dict[str, Any]]:
    """The review queue: records whose match is uncertain."""
    return [visit_dict(v) for v in service.review_queue(db, principal=principal, year=year)]


@router.post("/matches/{visit_id}/confirm", summary="Xác nhận bản ghi là cùng doanh nghiệp")
def confirm(db: DB, principal: LoggedIn, visit_id: Id) -> dict[str, Any]:
    return visit_dict(service.confirm_match(db, principal=principal, visit_id=visit_id))


@router.post("/matches/{visit_id}/split", summary="Tách bản ghi thành doanh nghiệp khác")
def split(request: Request, db: DB, principal: LoggedIn, visit_id: Id) -> dict[str, Any]:
    return visit_dict(service.split_match(db, principal=principal, visit_id=visit_id,
                                          province_code=request.app.state.settings.province_code))


@router.post("/optimise", summary="Lập đề xuất điều chỉnh kế hoạch (gộp, dời, bỏ) để hết chồng chéo")
def optimise(db: DB, principal: LoggedIn, year: Year) -> dict[str, Any]:
    """A proposal with the fewest changes (merge, move, drop) that leaves no conflict."""
    return proposal_dict(service.optimise(db, principal=principal, year=year))


@router.post("/proposals/{proposal_id}/accept", summary="Chấp nhận đề xuất điều chỉnh")
def accept(request: Request, db: DB, principal: LoggedIn, proposal_id: Id,
           body: Annotated[dict[str, Any] | None, Body()] = None) -> dict[str, Any]:
    """Apply the proposal; ``{"rejected": [visit ids]}`` leaves those visits as planned."""
    rejected = (body or {}).get("rejected") or []
    if not isinstance(rejected, list) or not all(isinstance(i, int) for i in rejected):
        raise InvalidInput("rejected phải là danh sách mã cuộc (số).")
    return proposal_dict(service.accept_proposal(db, principal=principal, proposal_id=proposal_id,
                                                 rejected=set(rejected), warehouse=request.app.state.warehouse,
                                                 province_code=request.app.state.settings.province_code))


@router.post("/sign", summary="Ký ban hành và công khai kế hoạch năm")
def sign(request: Request, db: DB, principal: LoggedIn, year: Year) -> dict[str, Any]:
    """Sign and publish the year's plan (409 while conflicts remain); the open dataset is reloaded."""
    plan = service.sign_plan(db, principal=principal, year=year, warehouse=request.app.state.warehouse,
                             province_code=request.app.state.settings.province_code)
    return {"year": plan.year, "status": plan.status, "signed_at": plan.signed_at.isoformat()
            if plan.signed_at else None}


class MoveDoc(BaseModel):
    month: int = Field(ge=1, le=12, description="Tháng mới (1–12)")
    reason: str = Field(min_length=1, max_length=1000, description="Lý do dời")


@router.post("/visits/{visit_id}/move", summary="Dời tháng một cuộc (kể cả sau khi ban hành, có ghi lý do)",
             openapi_extra=json_body(MoveDoc))
def move(request: Request, db: DB, principal: LoggedIn, visit_id: Id,
         body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """``{month, reason}``: the inspectorate moves a visit (also after publication; audited with the reason)."""
    month, reason = body.get("month"), body.get("reason")
    if not isinstance(month, int) or not isinstance(reason, str):
        raise InvalidInput("Cần month (số 1–12) và reason (lý do).")
    return visit_dict(service.move_visit(db, principal=principal, visit_id=visit_id, month=month, reason=reason,
                                         warehouse=request.app.state.warehouse,
                                         province_code=request.app.state.settings.province_code))


@router.get("/published", summary="Kế hoạch đã ban hành (dữ liệu mở)")
def published(db: DB, year: Year) -> list[dict[str, Any]]:
    """Open data: the signed plan (enterprise, kind, content, month, agency; no address or person)."""
    return service.published(db, year=year)
