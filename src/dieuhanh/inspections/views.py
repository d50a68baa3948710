"""Pages of the inspections domain (Vietnamese, names not codes).

``/thanh-tra`` (the year's merged plan: board, conflicts, signing), ``/thanh-tra/ke-hoach`` (agencies' plans, XLSX
upload with row/column errors, the template), ``/thanh-tra/doi-chieu`` (uncertain matches: confirm or split),
``/thanh-tra/doanh-nghiep/{id}`` (a resolved enterprise and its source records), ``/thanh-tra/de-xuat`` (the
optimiser's proposal, accepted by the inspectorate). Routes parse, call one service function, render or redirect.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import DomainError, InvalidInput
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.inspections import service
from dieuhanh.inspections.models import (
    KIND_LABELS,
    MATCH_LABELS,
    VISIT_STATUS_LABELS,
    YEAR_STATUS_LABELS,
    Enterprise,
    Plan,
    Visit,
)
from dieuhanh.inspections.reference import ACTION_LABELS, CONTENTS, RULE_LABELS
from dieuhanh.web.deps import DB, LoggedIn, read_body_limited
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
YearQ = Annotated[int | None, Query(ge=2020, le=2100)]
MAX_UPLOAD = 5 * 1024 * 1024
MESSAGES = {"signed": "Đã ký ban hành kế hoạch; kế hoạch được công khai.", "accepted": "Đã chấp nhận đề xuất điều "
            "chỉnh.", "proposed": "Đã lập đề xuất điều chỉnh.", "confirmed": "Đã xác nhận cùng doanh nghiệp.",
            "split": "Đã tách thành doanh nghiệp riêng; quyết định được ghi nhớ cho lần nộp sau.",
            "uploaded": "Đã nạp kế hoạch.", "added": "Đã thêm cuộc vào kế hoạch.",
            "limits": "Đã lưu giới hạn số cuộc mỗi tháng và tháng không bố trí; hãy lập đề xuất mới."}
LABELS = {"kinds": KIND_LABELS, "contents": CONTENTS, "rules": RULE_LABELS, "matches": MATCH_LABELS,
          "statuses": VISIT_STATUS_LABELS, "actions": ACTION_LABELS, "year_statuses": YEAR_STATUS_LABELS}


def _year(db: DB, year: int | None) -> int:
    if year is not None:
        return year
    latest = db.scalar(select(Plan.year).order_by(Plan.year.desc()).limit(1))
    return latest or utcnow().year + 1


def _ctx(db: DB, year: int, **extra: Any) -> dict[str, Any]:
    return {"year": year, "agencies": service.agency_names(db), **LABELS, **extra}


@router.get("/thanh-tra")
def overview(request: Request, db: DB, principal: LoggedIn, nam: YearQ = None,
             tb: Annotated[str, Query(max_length=20)] = "") -> Response:
    year = _year(db, nam)
    data = service.board(db, principal=principal, year=year)
    return render(request, "inspections/overview.html", _ctx(
        db, year, board=data, message=MESSAGES.get(tb), can_sign=allowed(principal, "inspections.sign"),
        can_optimise=allowed(principal, "inspections.optimise"), visit_names=_visit_names(db, data["conflicts"])))


def _visit_names(db: DB, conflicts: list[dict[str, Any]]) -> dict[int, Visit]:
    ids = {i for c in conflicts[:200] for i in c["visits"]}
    return {v.id: v for v in db.scalars(select(Visit).where(Visit.id.in_(ids)))} if ids else {}


@router.post("/thanh-tra/ky")
def sign(request: Request, db: DB, principal: LoggedIn, nam: Annotated[int, Query(ge=2020, le=2100)]) -> Response:
    try:
        service.sign_plan(db, principal=principal, year=nam, warehouse=request.app.state.warehouse,
                          province_code=request.app.state.settings.province_code)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        data = service.board(db, principal=principal, year=nam)
        return render(request, "inspections/overview.html", _ctx(
            db, nam, board=data, error=exc.message, can_sign=True,
            can_optimise=allowed(principal, "inspections.optimise"),
            visit_names=_visit_names(db, data["conflicts"])), status_code=exc.status_code)
    return RedirectResponse(f"/thanh-tra?nam={nam}&tb=signed", status_code=303)


def _submittable(principal: Principal, names: dict[str, str]) -> dict[str, str]:
    return {code: name for code, name in sorted(names.items(), key=lambda kv: kv[1])
            if allowed(principal, "inspections.submit", code)}


@router.get("/thanh-tra/ke-hoach")
def plans_page(request: Request, db: DB, principal: LoggedIn, nam: YearQ = None,
               tb: Annotated[str, Query(max_length=20)] = "") -> Response:
    authorize(principal, "inspections.read")
    year = _year(db, nam)
    names = service.agency_names(db)
    return render(request, "inspections/plans.html", _ctx(
        db, year, plans=service.list_plans(db, year=year), submittable=_submittable(principal, names),
        message=MESSAGES.get(tb), errors=[], error=None, chosen=principal.agency_code or "", values={}))


@router.get("/thanh-tra/ke-hoach/mau.xlsx")
def template(principal: LoggedIn) -> Response:
    authorize(principal, "inspections.read")
    return Response(service.template_xlsx(), media_type="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={"Content-Disposition": 'attachment; filename="mau-ke-hoach.xlsx"'})


@router.post("/thanh-tra/ke-hoach")
async def upload(request: Request, db: DB, principal: LoggedIn) -> Response:
    await read_body_limited(request, MAX_UPLOAD + 64 * 1024)
    form = await request.form(max_part_size=MAX_UPLOAD + 1)
    agency = str(form.get("co_quan") or "")
    year_text = str(form.get("nam") or "")
    item = form.get("tep")
    year = int(year_text) if year_text.isdigit() else 0
    names = service.agency_names(db)
    try:
        if not isinstance(item, UploadFile) or not item.filename:
            raise InvalidInput("Hãy chọn tệp kế hoạch (.xlsx).")
        rows = service.read_xlsx(await item.read())
        service.submit_plan(db, principal=principal, agency_code=agency, year=year, visits=rows, source="xlsx",
                            province_code=request.app.state.settings.province_code, by_column=True,
                            warehouse=request.app.state.warehouse)
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        db.rollback()
        return render(request, "inspections/plans.html", _ctx(
            db, year or _year(db, None), plans=service.list_plans(db, year=year), message=None,
            submittable=_submittable(principal, names), error=exc.message, errors=exc.errors, chosen=agency,
            values={}), status_code=exc.status_code)
    return RedirectResponse(f"/thanh-tra/ke-hoach?nam={year}&tb=uploaded", status_code=303)


@router.post("/thanh-tra/ke-hoach/them")
async def add_visit(request: Request, db: DB, principal: LoggedIn) -> Response:
    form = await request.form()
    agency = str(form.get("co_quan") or "")
    year_text = str(form.get("nam") or "")
    year = int(year_text) if year_text.isdigit() else 0
    fields = {key: str(form.get(key) or "") for key in ("tax_code", "enterprise_name", "address", "legal_rep",
                                                         "kind", "content_code", "month", "basis_document")}
    raw: dict[str, Any] = {**fields, "violation_signs": form.get("violation_signs") == "1",
                           "remote": form.get("remote") == "1", "lead_agency": agency}
    try:
        service.add_visit(db, principal=principal, agency_code=agency, year=year, raw=raw,
                          province_code=request.app.state.settings.province_code,
                          warehouse=request.app.state.warehouse)
    except DomainError as exc:
        return _plans_refused(request, db, principal, exc, year=year, agency=agency, values=fields)
    return RedirectResponse(f"/thanh-tra/ke-hoach?nam={year}&tb=added", status_code=303)


def _plans_refused(request: Request, db: Any, principal: Any, exc: DomainError, *, year: int, agency: str,
                   values: dict[str, Any]) -> Response:
    """The plans page again with the refusal's message and fields (nothing stored); 401/403 are raised as they are."""
    if exc.status_code in (401, 403):
        raise exc
    db.rollback()
    names = service.agency_names(db)
    return render(request, "inspections/plans.html", _ctx(
        db, year or _year(db, None), plans=service.list_plans(db, year=year), message=None,
        submittable=_submittable(principal, names), error=exc.message, errors=exc.errors, chosen=agency,
        values=values), status_code=exc.status_code)


@router.post("/thanh-tra/ke-hoach/gioi-han")
async def set_limits(request: Request, db: DB, principal: LoggedIn) -> Response:
    """The limits form: capacity (empty: the default) and blackout months (checkboxes) of one agency's plan."""
    form = await request.form()
    agency = str(form.get("co_quan") or "")
    year_text, cap_text = str(form.get("nam") or ""), str(form.get("toi_da") or "").strip()
    year = int(year_text) if year_text.isdigit() else 0
    months = [int(m) for m in form.getlist("thang_nghi") if isinstance(m, str) and m.isdigit()]
    try:
        if cap_text and not cap_text.isdigit():
            raise InvalidInput("Số cuộc tối đa mỗi tháng phải là số nguyên (để trống: 1,5 lần bình quân tháng).")
        service.set_limits(db, principal=principal, agency_code=agency, year=year,
                           capacity_per_month=int(cap_text) if cap_text else None, blackout_months=months)
    except DomainError as exc:
        return _plans_refused(request, db, principal, exc, year=year, agency=agency, values={})
    return RedirectResponse(f"/thanh-tra/ke-hoach?nam={year}&tb=limits", status_code=303)


@router.get("/thanh-tra/doi-chieu")
def review_page(request: Request, db: DB, principal: LoggedIn, nam: YearQ = None,
                tb: Annotated[str, Query(max_length=20)] = "") -> Response:
    year = _year(db, nam)
    queue = service.review_queue(db, principal=principal, year=year)
    candidates = {e.id: e for e in db.scalars(select(Enterprise).where(
        Enterprise.id.in_({v.candidate_id for v in queue if v.candidate_id})))}
    return render(request, "inspections/review.html", _ctx(
        db, year, queue=queue, candidates=candidates, message=MESSAGES.get(tb),
        can_review=allowed(principal, "inspections.review")))


@router.post("/thanh-tra/doi-chieu/{visit_id}/{decision}")
def decide(request: Request, db: DB, principal: LoggedIn, visit_id: Id,
           decision: Annotated[str, Path(pattern="^(xac-nhan|tach)$")],
           nam: Annotated[int, Query(ge=2020, le=2100)]) -> Response:
    if decision == "xac-nhan":
        service.confirm_match(db, principal=principal, visit_id=visit_id)
    else:
        service.split_match(db, principal=principal, visit_id=visit_id,
                            province_code=request.app.state.settings.province_code)
    key = "confirmed" if decision == "xac-nhan" else "split"
    return RedirectResponse(f"/thanh-tra/doi-chieu?nam={nam}&tb={key}", status_code=303)


@router.get("/thanh-tra/doanh-nghiep/{enterprise_id}")
def enterprise_page(request: Request, db: DB, principal: LoggedIn, enterprise_id: Id) -> Response:
    data = service.get_enterprise(db, principal=principal, enterprise_id=enterprise_id)
    year = data["records"][-1].year if data["records"] else _year(db, None)
    return render(request, "inspections/enterprise.html", _ctx(db, year, **data))


@router.get("/thanh-tra/de-xuat")
def proposal_page(request: Request, db: DB, principal: LoggedIn, nam: YearQ = None,
                  tb: Annotated[str, Query(max_length=20)] = "") -> Response:
    authorize(principal, "inspections.read")
    year = _year(db, nam)
    proposal = service.latest_proposal(db, year=year)
    visits: dict[int, Visit] = {}
    if proposal is not None:
        ids = {c["visit_id"] for c in proposal.changes} | {c["merged_with"] for c in proposal.changes
                                                            if c.get("merged_with")}
        visits = {v.id: v for v in db.scalars(select(Visit).where(Visit.id.in_(ids)))} if ids else {}
    ents = {e.id: e for e in db.scalars(select(Enterprise).where(
        Enterprise.id.in_({v.enterprise_id for v in visits.values()})))} if visits else {}
    return render(request, "inspections/proposal.html", _ctx(
        db, year, proposal=proposal, visits=visits, enterprises=ents, message=MESSAGES.get(tb),
        can_optimise=allowed(principal, "inspections.optimise")))


@router.post("/thanh-tra/de-xuat")
def run_optimiser(db: DB, principal: LoggedIn, nam: Annotated[int, Query(ge=2020, le=2100)]) -> Response:
    service.optimise(db, principal=principal, year=nam)
    return RedirectResponse(f"/thanh-tra/de-xuat?nam={nam}&tb=proposed", status_code=303)


@router.post("/thanh-tra/de-xuat/{proposal_id}/chap-nhan")
async def accept(request: Request, db: DB, principal: LoggedIn, proposal_id: Id) -> Response:
    form = await request.form()
    rejected = {int(v) for v in form.getlist("bo") if isinstance(v, str) and v.isdigit()}
    proposal = service.accept_proposal(db, principal=principal, proposal_id=proposal_id, rejected=rejected,
                                       warehouse=request.app.state.warehouse,
                                       province_code=request.app.state.settings.province_code)
    return RedirectResponse(f"/thanh-tra?nam={proposal.year}&tb=accepted", status_code=303)
