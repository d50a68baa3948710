"""The logic of the inspections domain: plans submitted per agency (atomic), enterprises resolved across agencies,
conflicts with Nghị quyết 198/2025/QH15, the optimiser's proposal, signing and publication. Knows nothing of HTTP;
the API, pages, CLI and demo all call these functions."""

from __future__ import annotations

import io
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, FieldError, InvalidInput, NotFound
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.geo import reference as geo
from dieuhanh.inspections import matching, permissions, planning, taxcode
from dieuhanh.inspections.matching import Record
from dieuhanh.inspections.models import (
    CHECK_KINDS,
    KIND_LABELS,
    Enterprise,
    MatchDecision,
    Plan,
    Proposal,
    Visit,
    YearPlan,
)
from dieuhanh.inspections.reference import CONTENTS, RULE_LABELS
from dieuhanh.inspections.schemas import COLUMNS, VisitIn, parse_visit
from dieuhanh.orgs.models import Agency

MAX_VISITS = 20_000
__all__ = ["permissions"]


def agency_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Agency.code, Agency.name)).all())


# ------------------------------------------------------------------------------------------------ resolution


@lru_cache(maxsize=50_000)
def _unit_of(province_code: str, address: str) -> str | None:
    """The current commune of an address (old, pre-2025 addresses included), when it is certain."""
    if not address.strip() or not province_code:
        return None
    return geo.resolve_address(province_code, address[:500]).code


def record_key(name: str, address: str) -> str:
    form, tokens = matching.name_key(name)
    return f"{form}|{' '.join(tokens)}|{matching.address_key(address)}"[:200]


class Resolver:
    """The register loaded once for a batch of records (the demo resolves 15 plans with one)."""

    def __init__(self, session: Session, province_code: str):
        self.session = session
        self.province_code = province_code
        rows = session.execute(select(Enterprise.id, Enterprise.tax_code, Enterprise.name, Enterprise.address,
                                      Enterprise.legal_rep, Enterprise.unit_code)).all()
        self.by_tax = {r.tax_code: r.id for r in rows if r.tax_code}
        self.index = matching.Index(Record(r.id, r.name, r.address, r.legal_rep, r.unit_code) for r in rows)
        self.decisions = {d.record_key: d for d in session.scalars(select(MatchDecision))}

    def _new(self, *, name: str, address: str, legal_rep: str, tax_code: str | None = None,
             parent: str | None = None, is_demo: bool = False) -> int:
        unit = _unit_of(self.province_code, address)
        ent = Enterprise(name=name, address=address, legal_rep=legal_rep, tax_code=tax_code, parent_tax_code=parent,
                         unit_code=unit, source="plan", is_demo=is_demo)
        self.session.add(ent)
        self.session.flush()
        if tax_code:
            self.by_tax[tax_code] = ent.id
        self.index.add(Record(ent.id, name, address, legal_rep, unit))
        return ent.id

    def resolve(self, v: Visit, *, is_demo: bool = False) -> None:
        """Sets the visit's enterprise, match status and score."""
        v.candidate_id = None
        if v.tax_code:
            parent = v.tax_code[:10]
            if v.tax_code in self.by_tax:
                v.enterprise_id = self.by_tax[v.tax_code]
            else:
                if parent != v.tax_code and parent not in self.by_tax:
                    self._new(name=v.enterprise_name, address="", legal_rep="", tax_code=parent, is_demo=is_demo)
                v.enterprise_id = self._new(name=v.enterprise_name, address=v.address, legal_rep=v.legal_rep,
                                            tax_code=v.tax_code, parent=parent if parent != v.tax_code else None,
                                            is_demo=is_demo)
            v.match_status, v.match_score = "tax_code", 1.0
            return
        key = record_key(v.enterprise_name, v.address)
        decision = self.decisions.get(key)
        if decision is not None and decision.decision == "confirm":
            v.enterprise_id, v.match_status, v.match_score = decision.enterprise_id, "confirmed", 1.0
            return
        exclude = frozenset({decision.enterprise_id}) if decision is not None else frozenset()
        record = Record(0, v.enterprise_name, v.address, v.legal_rep)
        best, score = self.index.best(record, exclude)
        if 0.05 <= score < 0.99:
            # Uncertain: the commune (old addresses mapped to the current one) is worth resolving now.
            record = Record(0, v.enterprise_name, v.address, v.legal_rep, _unit_of(self.province_code, v.address))
            best, score = self.index.best(record, exclude)
        v.match_score = round(score, 4)
        if best is not None and score >= matching.AUTO:
            v.enterprise_id, v.match_status = best, "auto"
        elif best is not None and score >= matching.REVIEW and decision is None:
            # Until an analyst decides, the visit counts for the likely enterprise (conflicts stay visible).
            v.enterprise_id, v.match_status, v.candidate_id = best, "review", best
        else:
            v.enterprise_id = self._new(name=v.enterprise_name, address=v.address, legal_rep=v.legal_rep,
                                        is_demo=is_demo)
            v.match_status = "split" if decision is not None else "new"


def load_register(session: Session, *, principal: Principal, rows: list[dict[str, Any]], is_demo: bool = False) -> int:
    """Adds rows of the province's enterprise register (tax_code, name, address, unit_code, legal_rep, sector);
    every tax code is validated first and nothing is stored when one is wrong."""
    authorize(principal, "inspections.review")
    errors = []
    clean = []
    for i, row in enumerate(rows):
        try:
            code = taxcode.parse(str(row.get("tax_code") or ""))
        except taxcode.InvalidTaxCode as exc:
            errors.append(FieldError(str(exc), index=i, field="tax_code"))
            continue
        clean.append({"tax_code": code.code, "parent_tax_code": code.parent if code.is_branch else None,
                      "name": str(row.get("name") or "")[:300], "address": str(row.get("address") or "")[:400],
                      "unit_code": row.get("unit_code"), "legal_rep": str(row.get("legal_rep") or "")[:120],
                      "sector": str(row.get("sector") or "")[:120], "source": "register", "is_demo": is_demo})
    if errors:
        raise InvalidInput(f"Sổ đăng ký có {len(errors)} mã số thuế sai; chưa lưu gì.", errors=errors)
    if clean:
        session.execute(insert(Enterprise), clean)
    audit.record(session, actor=principal.actor, action="inspections.register.load",
                 entity_type="inspection_enterprise", after={"rows": len(clean)})
    return len(clean)


# ------------------------------------------------------------------------------------------------ plans


def _agencies(session: Session) -> set[str]:
    return set(session.scalars(select(Agency.code)))


def _year_plan(session: Session, year: int) -> YearPlan:
    plan = session.get(YearPlan, year)
    if plan is None:
        plan = YearPlan(year=year, status="draft")
        session.add(plan)
        session.flush()
    return plan


def _check_year(year: int) -> None:
    if not 2020 <= year <= 2100:
        raise InvalidInput(f"Năm kế hoạch {year} không hợp lệ.", errors=[FieldError("năm không hợp lệ", field="year")])


def submit_plan(session: Session, *, principal: Principal, agency_code: str, year: int, visits: list[Any],
                source: str, province_code: str, by_column: bool = False, capacity_per_month: int | None = None,
                blackout_months: list[int] | None = None, resolver: Resolver | None = None,
                is_demo: bool = False, warehouse: Warehouse | None = None) -> Plan:
    """Stores (or replaces) an agency's plan: every visit valid, or nothing stored and every error listed (row or
    index, column or field)."""
    authorize(principal, "inspections.submit", agency_code)
    _check_year(year)
    agencies = _agencies(session)
    if agency_code not in agencies:
        raise InvalidInput(f"Cơ quan “{agency_code}” không có trong danh mục cơ quan.",
                           errors=[FieldError("cơ quan không tồn tại", field="agency_code")])
    if not visits:
        raise InvalidInput("Kế hoạch không có cuộc thanh tra, kiểm tra nào.",
                           errors=[FieldError("trống", field="visits")])
    if len(visits) > MAX_VISITS:
        raise InvalidInput(f"Kế hoạch quá lớn (tối đa {MAX_VISITS:,} cuộc).".replace(",", "."))
    year_plan = session.get(YearPlan, year)
    if year_plan is not None and year_plan.status == "signed":
        raise Conflict(f"Kế hoạch thanh tra, kiểm tra năm {year} đã được ký ban hành; không thể nộp lại kế hoạch.")
    parsed: list[VisitIn] = []
    errors: list[FieldError] = []
    for i, raw in enumerate(visits):
        where: dict[str, Any] = {"row": i + 2} if by_column else {"index": i}
        item, errs = parse_visit(raw, year=year, agency_code=agency_code, agencies=agencies, where=where,
                                 by_column=by_column)
        errors.extend(errs)
        if item is not None:
            parsed.append(item)
    if errors:
        shown = "; ".join((f"dòng {e.row}: " if e.row else f"cuộc {e.index}: " if e.index is not None else "")
                          + (e.message if by_column else f"{e.field}: {e.message}") for e in errors[:10])
        more = f" (và {len(errors) - 10} lỗi khác)" if len(errors) > 10 else ""
        raise InvalidInput(f"Kế hoạch có {len(errors)} lỗi, chưa lưu gì: {shown}{more}", errors=errors)
    old = session.scalar(select(Plan).where(Plan.agency_code == agency_code, Plan.year == year))
    before = None
    if old is not None and capacity_per_month is None and blackout_months is None:
        # a resubmission that says nothing of the limits keeps those the agency set
        capacity_per_month, blackout_months = old.capacity_per_month, list(old.blackout_months or [])
    capacity_per_month, blackout_months = _check_limits(capacity_per_month, blackout_months)
    if old is not None:
        before = {"plan_id": old.id, "visits": session.scalar(select(func.count()).where(Visit.plan_id == old.id))}
        session.execute(delete(Visit).where(Visit.plan_id == old.id))
        session.delete(old)
        session.flush()
    plan = Plan(agency_code=agency_code, year=year, source=source, submitted_by=principal.actor,
                capacity_per_month=capacity_per_month, blackout_months=blackout_months, is_demo=is_demo)
    session.add(plan)
    session.flush()
    resolver = resolver or Resolver(session, province_code)
    rows = []
    for i, item in enumerate(parsed):
        v = Visit(plan_id=plan.id, agency_code=agency_code, year=year, row_no=i + 1, tax_code=item.tax_code,
                  enterprise_name=item.enterprise_name, address=item.address, legal_rep=item.legal_rep,
                  kind=item.kind, content_code=item.content_code, month=item.month, start_date=item.start_date,
                  end_date=item.end_date, lead_agency=item.lead_agency, participants=item.participants,
                  violation_signs=item.violation_signs, basis_document=item.basis_document, remote=item.remote,
                  status="planned", final_month=item.month)
        resolver.resolve(v, is_demo=is_demo)
        rows.append({c: getattr(v, c) for c in _VISIT_COLUMNS})
    session.execute(insert(Visit), rows)
    _year_plan(session, year)
    session.execute(update(Proposal).where(Proposal.year == year, Proposal.status == "proposed")
                    .values(status="superseded"))
    audit.record(session, actor=principal.actor, action="inspections.plan.submit", entity_type="inspection_plan",
                 entity_id=plan.id, before=before, after={"agency_code": agency_code, "year": year,
                                                          "visits": len(rows), "source": source})
    refresh_datasets(session, warehouse, province_code=province_code, demo=is_demo)
    return plan


_VISIT_COLUMNS = [c.key for c in Visit.__table__.columns if c.key != "id"]
MAX_CAPACITY = 10_000


def _check_limits(capacity: Any, blackout: Any) -> tuple[int | None, list[int]]:
    """An agency's monthly capacity (a whole number ≥ 1, or none: 1,5 × its mean month) and blackout months."""
    errors = []
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)
                                 or not 1 <= capacity <= MAX_CAPACITY):
        errors.append(FieldError(f"số cuộc tối đa mỗi tháng phải là số nguyên từ 1 đến {MAX_CAPACITY:,}"
                                 .replace(",", "."), field="capacity_per_month"))
    months = blackout if blackout is not None else []
    if not isinstance(months, list) or not all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12
                                               for m in months):
        errors.append(FieldError("tháng không bố trí phải là danh sách tháng từ 1 đến 12",
                                 field="blackout_months"))
    elif len(set(months)) == 12:
        errors.append(FieldError("không thể không bố trí cả 12 tháng", field="blackout_months"))
    if errors:
        raise InvalidInput("Giới hạn của cơ quan chưa hợp lệ: " + "; ".join(e.message for e in errors) + ".",
                           errors=errors)
    return capacity, sorted(set(months))


def set_limits(session: Session, *, principal: Principal, agency_code: str, year: int,
               capacity_per_month: Any, blackout_months: Any) -> Plan:
    """An agency's capacity (visits a month at most; none: 1,5 × its mean month) and blackout months for the
    optimiser, set by its officers or the inspectorate until the year's plan is signed (audited)."""
    authorize(principal, "inspections.submit", agency_code)
    _check_year(year)
    capacity, months = _check_limits(capacity_per_month, blackout_months)
    plan = session.scalar(select(Plan).where(Plan.agency_code == agency_code, Plan.year == year))
    if plan is None:
        raise NotFound(f"Cơ quan “{agency_code}” chưa nộp kế hoạch năm {year}.")
    year_plan = session.get(YearPlan, year)
    if year_plan is not None and year_plan.status == "signed":
        raise Conflict(f"Kế hoạch năm {year} đã được ký ban hành; không thể đổi giới hạn.")
    before = {"capacity_per_month": plan.capacity_per_month, "blackout_months": list(plan.blackout_months or [])}
    plan.capacity_per_month, plan.blackout_months = capacity, months
    session.execute(update(Proposal).where(Proposal.year == year, Proposal.status == "proposed")
                    .values(status="superseded"))
    audit.record(session, actor=principal.actor, action="inspections.plan.limits", entity_type="inspection_plan",
                 entity_id=plan.id, before=before, after={"capacity_per_month": capacity, "blackout_months": months})
    return plan


def add_visit(session: Session, *, principal: Principal, agency_code: str, year: int, raw: dict[str, Any],
              province_code: str, warehouse: Warehouse | None = None) -> Visit:
    """One visit entered on the web form, added to the agency's plan of the year (created when missing)."""
    authorize(principal, "inspections.submit", agency_code)
    _check_year(year)
    agencies = _agencies(session)
    if agency_code not in agencies:
        raise InvalidInput(f"Cơ quan “{agency_code}” không có trong danh mục cơ quan.")
    year_plan = session.get(YearPlan, year)
    if year_plan is not None and year_plan.status == "signed":
        raise Conflict(f"Kế hoạch thanh tra, kiểm tra năm {year} đã được ký ban hành; không thể thêm cuộc.")
    item, errors = parse_visit(raw, year=year, agency_code=agency_code, agencies=agencies, where={},
                               by_column=True)
    if item is None:
        raise InvalidInput("Cuộc thanh tra, kiểm tra chưa hợp lệ: " + "; ".join(e.message for e in errors),
                           errors=errors)
    plan = session.scalar(select(Plan).where(Plan.agency_code == agency_code, Plan.year == year))
    if plan is None:
        plan = Plan(agency_code=agency_code, year=year, source="web", submitted_by=principal.actor)
        session.add(plan)
        session.flush()
    row_no = (session.scalar(select(func.max(Visit.row_no)).where(Visit.plan_id == plan.id)) or 0) + 1
    v = Visit(plan_id=plan.id, agency_code=agency_code, year=year, row_no=row_no, tax_code=item.tax_code,
              enterprise_name=item.enterprise_name, address=item.address, legal_rep=item.legal_rep, kind=item.kind,
              content_code=item.content_code, month=item.month, start_date=item.start_date, end_date=item.end_date,
              lead_agency=item.lead_agency, participants=item.participants, violation_signs=item.violation_signs,
              basis_document=item.basis_document, remote=item.remote, status="planned", final_month=item.month)
    Resolver(session, province_code).resolve(v)
    session.add(v)
    session.flush()
    _year_plan(session, year)
    session.execute(update(Proposal).where(Proposal.year == year, Proposal.status == "proposed")
                    .values(status="superseded"))
    audit.record(session, actor=principal.actor, action="inspections.visit.add", entity_type="inspection_visit",
                 entity_id=v.id, after={"agency_code": agency_code, "year": year, "enterprise_id": v.enterprise_id})
    refresh_datasets(session, warehouse, province_code=province_code)
    return v


def read_xlsx(content: bytes) -> list[dict[str, Any]]:
    """Rows of the plan template (headers as in COLUMNS; other columns ignored); errors name the file's problem."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InvalidInput("Không đọc được tệp Excel (.xlsx): hãy dùng mẫu kế hoạch tải về từ trang này.") from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    by_label = {label.lower(): key for key, label in COLUMNS.items()}
    keys = [by_label.get(h.lower()) for h in header]
    missing = [COLUMNS[k] for k in ("enterprise_name", "kind", "content_code") if k not in keys]
    if missing:
        raise InvalidInput("Tệp thiếu cột: " + ", ".join(missing) + " (dòng 1 là tiêu đề cột theo mẫu).",
                           errors=[FieldError("thiếu cột", row=1, column=m) for m in missing])
    out = []
    for values in rows:
        if values is None or all(v in (None, "") for v in values):
            continue
        out.append({k: v for k, v in zip(keys, values, strict=False) if k})
        if len(out) > MAX_VISITS:
            break
    wb.close()
    return out


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Kế hoạch"
    ws.append(list(COLUMNS.values()))
    ws.append(["0100233488", "Công ty TNHH Thực phẩm Minh Phát", "Số 12, đường Lê Lợi, Phường Phủ Lý",
               "Nguyễn Văn Hùng", "Kiểm tra", "ATTP", 5, None, None, "", "", "không", "", "không"])
    codes = wb.create_sheet("Danh mục nội dung")
    codes.append(["Mã", "Lĩnh vực quản lý nhà nước"])
    for code, label in CONTENTS.items():
        codes.append([code, label])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def list_plans(session: Session, *, year: int) -> list[dict[str, Any]]:
    counts = dict(session.execute(select(Visit.plan_id, func.count()).where(Visit.year == year)
                                  .group_by(Visit.plan_id)).all())
    names = agency_names(session)
    return [{"id": p.id, "agency_code": p.agency_code, "agency_name": names.get(p.agency_code, p.agency_code),
             "year": p.year, "source": p.source, "submitted_at": p.submitted_at, "visits": counts.get(p.id, 0),
             "capacity_per_month": p.capacity_per_month, "blackout_months": p.blackout_months, "is_demo": p.is_demo}
            for p in session.scalars(select(Plan).where(Plan.year == year).order_by(Plan.agency_code))]


# ------------------------------------------------------------------------------------------------ conflicts


def _plan_state(session: Session, year: int) -> tuple[list[planning.PlanVisit], dict[int, int]]:
    rows = session.execute(select(Visit.id, Visit.enterprise_id, Visit.lead_agency, Visit.kind, Visit.content_code,
                                  Visit.final_month, Visit.violation_signs, Visit.basis_document)
                           .where(Visit.year == year, Visit.status.in_(("planned", "moved")))).all()
    visits = [planning.PlanVisit(r.id, r.enterprise_id or -r.id, r.lead_agency, r.kind, r.content_code,
                                 r.final_month, r.violation_signs, r.basis_document) for r in rows]
    ids = {v.enterprise_id for v in visits}
    branches = session.execute(select(Enterprise.id, Enterprise.parent_tax_code)
                               .where(Enterprise.parent_tax_code.is_not(None), Enterprise.id.in_(ids))).all()
    parents: dict[int, int] = {}
    if branches:
        heads = dict(session.execute(select(Enterprise.tax_code, Enterprise.id).where(
            Enterprise.tax_code.in_({b.parent_tax_code for b in branches}))).all())
        parents = {b.id: heads[b.parent_tax_code] for b in branches if b.parent_tax_code in heads}
    return visits, parents


def find_conflicts(session: Session, *, principal: Principal, year: int) -> list[dict[str, Any]]:
    authorize(principal, "inspections.read")
    visits, parents = _plan_state(session, year)
    found = planning.find_conflicts(visits, parents)
    ents = {e.id: e for e in session.scalars(select(Enterprise).where(
        Enterprise.id.in_({c.enterprise_id for c in found})))}
    out = []
    for c in found:
        ent = ents.get(c.enterprise_id)
        out.append({"enterprise_id": c.enterprise_id, "tax_code": ent.tax_code if ent else None,
                    "enterprise_name": ent.name if ent else None, "rule": c.rule, "rule_label": RULE_LABELS[c.rule],
                    "visits": c.visits, "legal_basis": c.legal_basis, "exception": c.exception})
    return out


# ------------------------------------------------------------------------------------------------ optimiser


def _capacities(session: Session, year: int) -> dict[str, planning.Capacity]:
    return {p.agency_code: planning.Capacity(p.capacity_per_month, set(p.blackout_months or []))
            for p in session.scalars(select(Plan).where(Plan.year == year))}


def optimise(session: Session, *, principal: Principal, year: int) -> Proposal:
    authorize(principal, "inspections.optimise")
    _check_year(year)
    started = time.perf_counter()
    visits, parents = _plan_state(session, year)
    result = planning.propose(visits, parents, _capacities(session, year))
    session.execute(update(Proposal).where(Proposal.year == year, Proposal.status == "proposed")
                    .values(status="superseded"))
    proposal = Proposal(year=year, created_by=principal.actor, changes=result.changes,
                        conflicts_before=result.conflicts_before, conflicts_after=result.conflicts_after,
                        workload=result.workload, seconds=round(time.perf_counter() - started, 3))
    session.add(proposal)
    session.flush()
    audit.record(session, actor=principal.actor, action="inspections.optimise", entity_type="inspection_proposal",
                 entity_id=proposal.id, after={"year": year, "changes": len(result.changes),
                                               "conflicts_before": result.conflicts_before,
                                               "conflicts_after": result.conflicts_after})
    return proposal


def latest_proposal(session: Session, *, year: int) -> Proposal | None:
    return session.scalar(select(Proposal).where(Proposal.year == year).order_by(Proposal.id.desc()).limit(1))


def accept_proposal(session: Session, *, principal: Principal, proposal_id: int,
                    rejected: set[int] | None = None, warehouse: Warehouse | None = None,
                    province_code: str = "") -> Proposal:
    """Applies the proposal's changes (less those the inspectorate struck out, by visit id)."""
    authorize(principal, "inspections.optimise")
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("Không tìm thấy đề xuất.")
    if proposal.status != "proposed":
        raise Conflict("Đề xuất này đã được chấp nhận hoặc đã có đề xuất mới hơn (kế hoạch đã thay đổi).")
    year_plan = _year_plan(session, proposal.year)
    if year_plan.status == "signed":
        raise Conflict(f"Kế hoạch năm {proposal.year} đã ký ban hành.")
    rejected = rejected or set()
    visits = {v.id: v for v in session.scalars(select(Visit).where(Visit.id.in_(
        {c["visit_id"] for c in proposal.changes} | {c.get("merged_with") for c in proposal.changes
                                                     if c.get("merged_with")})))}
    applied = 0
    for change in proposal.changes:
        v = visits.get(change["visit_id"])
        if v is None or v.id in rejected:
            continue
        if change["action"] in ("merge", "drop"):
            lead = visits.get(change["merged_with"])
            v.status = "merged" if change["action"] == "merge" else "dropped"
            v.merged_with_id = change["merged_with"]
            if lead is not None and change["action"] == "merge":
                if lead.kind == "kiem_tra" and v.kind in CHECK_KINDS and v.lead_agency != lead.lead_agency:
                    lead.kind = "kiem_tra_lien_nganh"
                if v.lead_agency != lead.lead_agency and v.lead_agency not in lead.participants:
                    lead.participants = [*lead.participants, v.lead_agency]
        elif change["action"] == "move":
            v.final_month, v.status = change["to_month"], "moved"
        applied += 1
    proposal.status = "accepted"
    audit.record(session, actor=principal.actor, action="inspections.proposal.accept",
                 entity_type="inspection_proposal", entity_id=proposal.id,
                 after={"applied": applied, "rejected": sorted(rejected)})
    session.flush()
    refresh_datasets(session, warehouse, province_code=province_code)
    return proposal


def sign_plan(session: Session, *, principal: Principal, year: int, note: str | None = None,
              warehouse: Warehouse | None = None, province_code: str = "") -> YearPlan:
    """Signs and publishes the year's merged plan (the open dataset ``ke_hoach_thanh_tra_kiem_tra`` is reloaded);
    refused while any conflict is unresolved."""
    authorize(principal, "inspections.sign")
    year_plan = _year_plan(session, year)
    if year_plan.status == "signed":
        raise Conflict(f"Kế hoạch năm {year} đã được ký ban hành.")
    conflicts = find_conflicts(session, principal=principal, year=year)
    if conflicts:
        raise Conflict(f"Chưa thể ký: kế hoạch năm {year} còn {len(conflicts)} xung đột với Nghị quyết "
                       "198/2025/QH15 chưa xử lý. Hãy chạy đề xuất điều chỉnh và chấp nhận trước khi ký.")
    if not session.scalar(select(func.count()).select_from(Visit).where(Visit.year == year)):
        raise Conflict(f"Chưa có kế hoạch nào của năm {year}.")
    year_plan.status, year_plan.signed_by, year_plan.signed_at, year_plan.note = "signed", principal.actor, \
        utcnow(), note
    audit.record(session, actor=principal.actor, action="inspections.plan.sign", entity_type="inspection_year_plan",
                 entity_id=year, after={"status": "signed"})
    session.flush()
    refresh_datasets(session, warehouse, province_code=province_code, plan=True)
    return year_plan


def move_visit(session: Session, *, principal: Principal, visit_id: int, month: int, reason: str,
               warehouse: Warehouse | None = None, province_code: str = "") -> Visit:
    """The inspectorate moves one visit to another month, also after the plan is signed (the published plan then
    changes: the audit row keeps who, why, before and after); refused if the move creates a conflict."""
    authorize(principal, "inspections.optimise")
    v = session.get(Visit, visit_id)
    if v is None:
        raise NotFound("Không tìm thấy cuộc thanh tra, kiểm tra.")
    if not 1 <= month <= 12:
        raise InvalidInput("Tháng phải từ 1 đến 12.", errors=[FieldError("tháng không hợp lệ", field="month")])
    if not reason.strip():
        raise InvalidInput("Cần nêu lý do điều chỉnh.", errors=[FieldError("thiếu lý do", field="reason")])
    if v.status not in ("planned", "moved"):
        raise Conflict("Cuộc này đã được gộp hoặc bỏ khỏi kế hoạch.")
    before = {"final_month": v.final_month, "status": v.status}

    def involving() -> set[tuple[str, tuple[int, ...]]]:
        return {(c["rule"], tuple(c["visits"])) for c in find_conflicts(session, principal=principal, year=v.year)
                if v.id in c["visits"]}

    existing = involving()
    v.final_month, v.status = month, "moved"
    session.flush()
    if involving() - existing:
        raise Conflict(f"Dời sang tháng {month} sẽ gây chồng chéo với cuộc khác của cùng doanh nghiệp.")
    year_plan = session.get(YearPlan, v.year)
    signed = year_plan is not None and year_plan.status == "signed"
    audit.record(session, actor=principal.actor, action="inspections.visit.move_after_publication" if signed
                 else "inspections.visit.move", entity_type="inspection_visit", entity_id=v.id, before=before,
                 after={"final_month": month, "reason": reason.strip()[:500]})
    refresh_datasets(session, warehouse, province_code=province_code, plan=signed)
    return v


def _public_name(name: str) -> str:
    """A household business is named after its owner (a person): open data does not carry that name."""
    return "Hộ kinh doanh (không công bố tên cá nhân)" if matching.name_key(name)[0] == "#hkd" else name


def _household(name: str) -> bool:
    return matching.name_key(name)[0] == "#hkd"


def published(session: Session, *, year: int) -> list[dict[str, Any]]:
    """Open data of a signed plan: enterprise, kind, content, month, agency (no address, no person; a household
    business's tax code is its owner's personal one, so it is not shown either)."""
    year_plan = session.get(YearPlan, year)
    if year_plan is None or year_plan.status != "signed":
        return []
    names = agency_names(session)
    rows = session.execute(select(Visit, Enterprise.name, Enterprise.tax_code).join(
        Enterprise, Enterprise.id == Visit.enterprise_id).where(
        Visit.year == year, Visit.status.in_(("planned", "moved"))).order_by(Visit.final_month, Visit.id)).all()
    return [{"enterprise": _public_name(name), "enterprise_id": v.enterprise_id,
             "tax_code": None if _household(name) else tax, "kind": v.kind, "content_code": v.content_code,
             "content": CONTENTS.get(v.content_code), "month": v.final_month, "agency_code": v.lead_agency,
             "agency": names.get(v.lead_agency, v.lead_agency), "participants": v.participants, "remote": v.remote}
            for v, name, tax in rows]


def published_rows(session: Session) -> list[dict[str, Any]]:
    """Every signed year's plan as rows of the open dataset (inspections/opendata.py)."""
    years = session.scalars(select(YearPlan.year).where(YearPlan.status == "signed").order_by(YearPlan.year))
    return [{"nam": year, "thang": r["month"], "ma_doanh_nghiep": r["enterprise_id"], "ma_so_thue": r["tax_code"],
             "ten_doanh_nghiep": r["enterprise"], "hinh_thuc": r["kind"], "ten_hinh_thuc": KIND_LABELS[r["kind"]],
             "ma_noi_dung": r["content_code"], "noi_dung": r["content"], "ma_co_quan": r["agency_code"],
             "co_quan": r["agency"], "co_quan_phoi_hop": ", ".join(r["participants"] or []),
             "truc_tuyen": int(bool(r["remote"]))}
            for year in years for r in published(session, year=year)]


def _original_state(session: Session, year: int) -> list[planning.PlanVisit]:
    """The plans as the agencies submitted them (every visit, its planned month), for the conflicts found."""
    rows = session.execute(select(Visit.id, Visit.enterprise_id, Visit.lead_agency, Visit.kind, Visit.content_code,
                                  Visit.month, Visit.violation_signs, Visit.basis_document)
                           .where(Visit.year == year)).all()
    return [planning.PlanVisit(r.id, r.enterprise_id or -r.id, r.lead_agency, r.kind, r.content_code, r.month,
                               r.violation_signs, r.basis_document) for r in rows]


def year_figures(session: Session, *, year: int) -> dict[str, Any]:
    """The board's figures of a year: visits per enterprise, enterprises visited more than once, share of remote
    visits (province and per lead agency), conflicts found on the submitted plans and resolved since (province
    and per agency whose visit is involved)."""
    visits, parents = _plan_state(session, year)
    agency_of = dict(session.execute(select(Visit.id, Visit.agency_code).where(Visit.year == year)).all())
    remote = set(session.scalars(select(Visit.id).where(Visit.year == year, Visit.remote.is_(True))))
    found = planning.find_conflicts(_original_state(session, year), parents)
    left = planning.find_conflicts(visits, parents)

    def per_agency(conflicts: list[planning.ConflictFound]) -> Counter[str]:
        out: Counter[str] = Counter()
        for c in conflicts:
            for agency in {agency_of.get(v) for v in c.visits}:
                if agency:
                    out[agency] += 1
        return out

    found_by, left_by = per_agency(found), per_agency(left)
    per_ent = Counter(v.enterprise_id for v in visits)
    lead_visits = Counter(v.agency for v in visits)
    lead_remote = Counter(v.agency for v in visits if v.id in remote)
    agencies = sorted(set(agency_of.values()) | set(lead_visits))
    return {
        "year": year, "visits": len(visits), "enterprises": len(per_ent),
        "visited_more_than_once": sum(1 for n in per_ent.values() if n > 1),
        "remote": sum(lead_remote.values()),
        "found": len(found), "left": len(left), "resolved": max(0, len(found) - len(left)),
        "agencies": {a: {"visits": lead_visits.get(a, 0), "remote": lead_remote.get(a, 0),
                         "found": found_by.get(a, 0), "left": left_by.get(a, 0),
                         "resolved": max(0, found_by.get(a, 0) - left_by.get(a, 0))} for a in agencies},
    }


def figure_rows(session: Session, *, province_code: str) -> list[dict[str, Any]]:
    """Every year's figures as rows of the internal dataset the indicators read (inspections/opendata.py)."""
    out: list[dict[str, Any]] = []
    for year in sorted(set(session.scalars(select(Plan.year)))):
        f = year_figures(session, year=year)

        def row(level: str, unit: str, code: str, value: float | None, num: float | None = None,
                den: float | None = None, year: int = year) -> dict[str, Any]:
            return {"nam": year, "ky": str(year), "cap": level, "ma_don_vi": unit, "chi_so": code, "gia_tri": value,
                    "tu_so": num, "mau_so": den}

        n, ents = f["visits"], f["enterprises"]
        out += [row("tinh", province_code, "cuoc", n),
                row("tinh", province_code, "cuoc_moi_doanh_nghiep", round(n / ents, 4) if ents else None, n, ents),
                row("tinh", province_code, "doanh_nghiep_tren_mot_lan", f["visited_more_than_once"]),
                row("tinh", province_code, "ty_le_truc_tuyen", round(100 * f["remote"] / n, 2) if n else None,
                    f["remote"], n),
                row("tinh", province_code, "xung_dot_phat_hien", f["found"]),
                row("tinh", province_code, "xung_dot_da_xu_ly", f["resolved"], f["resolved"], f["found"]),
                row("tinh", province_code, "xung_dot_con_lai", f["left"])]
        for agency, a in f["agencies"].items():
            out += [row("co_quan", agency, "cuoc", a["visits"]),
                    row("co_quan", agency, "ty_le_truc_tuyen",
                        round(100 * a["remote"] / a["visits"], 2) if a["visits"] else None, a["remote"], a["visits"]),
                    row("co_quan", agency, "xung_dot_phat_hien", a["found"]),
                    row("co_quan", agency, "xung_dot_da_xu_ly", a["resolved"], a["resolved"], a["found"]),
                    row("co_quan", agency, "xung_dot_con_lai", a["left"])]
    return out


def refresh_datasets(session: Session, warehouse: Warehouse | None, *, province_code: str,
                     plan: bool = False, demo: bool = False) -> None:
    """Reload the figures dataset (and, with ``plan``, the open dataset of signed plans) after a change; without a
    warehouse (a bare service call) nothing is loaded."""
    if warehouse is None:
        return
    from dieuhanh.inspections import opendata

    if plan:
        opendata.publish_plan(session, warehouse, rows=published_rows(session), province_code=province_code,
                              demo=demo)
    opendata.publish_figures(session, warehouse, rows=figure_rows(session, province_code=province_code),
                             province_code=province_code, demo=demo)


# ------------------------------------------------------------------------------------------------ matches


def get_enterprise(session: Session, *, principal: Principal, enterprise_id: int) -> dict[str, Any]:
    authorize(principal, "inspections.read")
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        raise NotFound("Không tìm thấy doanh nghiệp.")
    records = session.scalars(select(Visit).where(Visit.enterprise_id == ent.id).order_by(Visit.year, Visit.month,
                                                                                            Visit.id)).all()
    branches = session.scalars(select(Enterprise).where(Enterprise.parent_tax_code == ent.tax_code)).all() \
        if ent.tax_code and "-" not in ent.tax_code else []
    parent = session.scalar(select(Enterprise).where(Enterprise.tax_code == ent.parent_tax_code)) \
        if ent.parent_tax_code else None
    return {"enterprise": ent, "records": records, "branches": branches, "parent": parent}


def review_queue(session: Session, *, principal: Principal, year: int, limit: int = 200) -> list[Visit]:
    authorize(principal, "inspections.read")
    return list(session.scalars(select(Visit).where(Visit.year == year, Visit.match_status == "review")
                                .order_by(Visit.match_score.desc(), Visit.id).limit(limit)))


def _decide(session: Session, principal: Principal, visit_id: int, decision: str, province_code: str) -> Visit:
    authorize(principal, "inspections.review")
    v = session.get(Visit, visit_id)
    if v is None:
        raise NotFound("Không tìm thấy bản ghi đối chiếu.")
    if v.tax_code:
        raise Conflict("Bản ghi này khớp theo mã số thuế; không cần xác nhận.")
    candidate = v.candidate_id or v.enterprise_id
    if candidate is None:
        raise Conflict("Bản ghi chưa có doanh nghiệp để xác nhận.")
    key = record_key(v.enterprise_name, v.address)
    existing = session.get(MatchDecision, key)
    if existing is None:
        existing = MatchDecision(record_key=key, enterprise_id=candidate, decision=decision,
                                 decided_by=principal.actor)
        session.add(existing)
    else:
        existing.enterprise_id, existing.decision, existing.decided_by, existing.decided_at = \
            candidate, decision, principal.actor, utcnow()
    before = {"enterprise_id": v.enterprise_id, "match_status": v.match_status}
    # the same record in other agencies' plans gets the decision too
    same = session.scalars(select(Visit).where(Visit.enterprise_name == v.enterprise_name,
                                               Visit.address == v.address, Visit.tax_code.is_(None))).all()
    session.flush()
    resolver = Resolver(session, province_code) if decision == "split" else None
    for item in same:
        if decision == "confirm":
            item.enterprise_id, item.match_status, item.candidate_id = candidate, "confirmed", None
        else:
            assert resolver is not None
            resolver.resolve(item)
    audit.record(session, actor=principal.actor, action=f"inspections.match.{decision}", entity_type="inspection_visit",
                 entity_id=v.id, before=before, after={"enterprise_id": v.enterprise_id,
                                                       "match_status": v.match_status, "records": len(same)})
    return v


def confirm_match(session: Session, *, principal: Principal, visit_id: int, province_code: str = "") -> Visit:
    return _decide(session, principal, visit_id, "confirm", province_code)


def split_match(session: Session, *, principal: Principal, visit_id: int, province_code: str = "") -> Visit:
    """The record is another enterprise than the proposed one: it is resolved again without it (the commune of
    its address helps when ``province_code`` is given)."""
    return _decide(session, principal, visit_id, "split", province_code)


# ------------------------------------------------------------------------------------------------ board


@dataclass
class AgencyRow:
    agency_code: str
    agency_name: str
    visits: int
    remote: int
    conflicts: int
    changed: int
    found: int = 0
    resolved: int = 0


def board(session: Session, *, principal: Principal, year: int) -> dict[str, Any]:
    authorize(principal, "inspections.read")
    names = agency_names(session)
    rows = session.execute(select(Visit.id, Visit.agency_code, Visit.lead_agency, Visit.enterprise_id, Visit.status,
                                  Visit.remote, Visit.match_status).where(Visit.year == year)).all()
    conflicts = find_conflicts(session, principal=principal, year=year)
    agency_of = {r.id: r.agency_code for r in rows}
    in_conflict: Counter[str] = Counter()
    for c in conflicts:
        for agency in {agency_of.get(v) for v in c["visits"]}:
            if agency:
                in_conflict[agency] += 1
    per: dict[str, AgencyRow] = {}
    for r in rows:
        a = per.setdefault(r.agency_code, AgencyRow(r.agency_code, names.get(r.agency_code, r.agency_code), 0, 0,
                                                    in_conflict.get(r.agency_code, 0), 0))
        a.visits += 1
        a.remote += int(r.remote)
        a.changed += int(r.status != "planned")
    figures = year_figures(session, year=year)
    for code, a in per.items():
        a.found = figures["agencies"].get(code, {}).get("found", 0)
        a.resolved = figures["agencies"].get(code, {}).get("resolved", 0)
    active = [r for r in rows if r.status in ("planned", "moved")]
    per_ent = Counter(r.enterprise_id for r in active)
    by_rule = Counter(c["rule"] for c in conflicts)
    year_plan = session.get(YearPlan, year)
    return {
        "year": year, "status": year_plan.status if year_plan else "draft", "year_plan": year_plan,
        "visits": len(rows), "active": len(active), "enterprises": len(per_ent),
        "visited_more_than_once": sum(1 for n in per_ent.values() if n > 1),
        "visits_per_enterprise": (len(active) / len(per_ent)) if per_ent else None,
        "remote_share": (100 * sum(r.remote for r in active) / len(active)) if active else None,
        "review": sum(1 for r in rows if r.match_status == "review"),
        "conflicts": conflicts, "by_rule": {k: by_rule.get(k, 0) for k in RULE_LABELS},
        "agencies": sorted(per.values(), key=lambda a: a.agency_name),
        "changed": sum(1 for r in rows if r.status != "planned"),
        "found": figures["found"], "resolved": figures["resolved"],
    }


def month_load(session: Session, *, year: int) -> dict[str, list[int]]:
    load: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    for agency, month, n in session.execute(select(Visit.lead_agency, Visit.final_month, func.count()).where(
            Visit.year == year, Visit.status.in_(("planned", "moved"))).group_by(Visit.lead_agency,
                                                                                 Visit.final_month)):
        load[agency][month - 1] = n
    return dict(load)
