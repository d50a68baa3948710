"""Periodic department reports: types and assignments, submissions (upload or web form), late list, timeliness.

A submission is validated whole (every cell, the agency, the period, the template version) and refused with the
list of errors by cell, or loaded through ``ingest.load()`` into the report type's catalog dataset as one batch
(columns ``ky``, ``co_quan`` and the report's fields). A resubmission for the same agency and period replaces
the previous one: its batch is rolled back through the catalog in the same unit of work, after the new batch is
in (so the dataset is never without the agency's figures). The indicator set recomputes the indicators over the
dataset by itself (``indicators.jobs``: stale definitions after a new batch or a rollback).

Timeliness: the first accepted submission of an agency for a period decides whether the report came on time
(later corrections do not change it). ``refresh_timeliness()`` writes one row per owed report whose due date
has passed (or that was submitted) into the warehouse dataset ``bao_cao_dinh_ky_nop`` (replaced as a whole);
not submitted after the due date counts as not on time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied
from dieuhanh.core.formatting import to_local
from dieuhanh.core.formatting import today_local as today_local  # one definition of "today in Hà Nội"
from dieuhanh.core.periods import between, containing
from dieuhanh.core.periods import parse as parse_period
from dieuhanh.core.security import Principal, allowed, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.core.warehouse_tx import TransactionalWarehouse
from dieuhanh.orgs.models import Agency
from dieuhanh.reporting import periods, xlsx
from dieuhanh.reporting.models import ReportAssignment, ReportSubmission, ReportType
from dieuhanh.reporting.schemas import COLUMN_TYPE, FIRST_FIELD_ROW, AssignmentIn, ReportTypeIn
from dieuhanh.reporting.xlsx import CellError

TIMELINESS_DATASET = "bao_cao_dinh_ky_nop"
# The loads into report datasets run with the system's rights once ``report.submit`` was checked: many agencies
# write into one dataset owned by the collecting office. The audit row of the submission names the real caller.
LOADER = Principal(kind="system", name="reporting", role="admin")
STATUS_LABELS = {"accepted": "Đã nhận", "rejected": "Bị từ chối", "replaced": "Đã thay bằng lần nộp sau"}


# ------------------------------------------------------------------------------------------------ types


def _type_snapshot(rt: ReportType) -> dict[str, Any]:
    return {"code": rt.code, "title": rt.title, "periodicity": rt.periodicity, "due_day": rt.due_day,
            "dataset": rt.dataset, "layout": rt.layout, "version": rt.version, "active": rt.active,
            "fields": rt.fields}


def _ensure_dataset(session: Session, data: ReportTypeIn) -> None:
    wanted = [ColumnIn(name="ky", type="string", required=True, description="Kỳ báo cáo (2025-06, 2025-Q2, 2025)"),
              ColumnIn(name="co_quan", type="string", required=True, description="Mã cơ quan báo cáo")]
    wanted += [ColumnIn(name=f.name, type=COLUMN_TYPE[f.type], description=f.label + (f" ({f.unit})" if f.unit
                                                                                        else ""))
               for f in data.fields]
    try:
        ds = catalog.get_dataset(session, data.dataset)
    except NotFound:
        catalog.create_dataset(session, principal=LOADER, dataset_in=DatasetIn.model_validate({
            "name": data.dataset, "title": data.title[:255], "owner_agency": data.dataset_owner,
            "description": f"Số liệu các cơ quan nộp qua báo cáo định kỳ «{data.title}» ({data.code}).",
            "license_id": "internal", "access": "internal",
            "update_frequency": {"month": "monthly", "quarter": "quarterly", "year": "yearly"}[data.periodicity],
            "tags": ["hệ thống", "báo cáo định kỳ"], "schema": [c.model_dump() for c in wanted]}))
        return
    current = {c.name: c for c in ds.columns}
    wrong = [f"{c.name} ({current[c.name].type} ≠ {c.type})" for c in wanted
             if c.name in current and current[c.name].type != c.type]
    if wrong:
        raise InvalidInput(f"Bộ dữ liệu «{ds.name}» đã có cột khác kiểu: {', '.join(wrong)}.")
    missing = [c for c in wanted if c.name not in current]
    if missing:
        keep = [ColumnIn(name=c.name, type=c.type, required=c.required, unique=c.unique, pii=c.pii,
                         description=c.description) for c in ds.columns]
        catalog.update_schema(session, principal=LOADER, name=ds.name,
                              columns=keep + [c.model_copy(update={"required": False}) for c in missing])


def save_type(session: Session, *, principal: Principal, data: ReportTypeIn) -> ReportType:
    """Create a report type, or change one (a change of fields makes a new template version)."""
    authorize(principal, "report.manage")
    session.get(Agency, data.dataset_owner) or _raise(NotFound(f"Không có cơ quan «{data.dataset_owner}»."))
    rt = session.scalar(select(ReportType).where(ReportType.code == data.code))
    fields = [f.model_dump(exclude_none=True) for f in data.fields]
    if rt is not None and rt.dataset != data.dataset:
        raise Conflict("Không đổi được bộ dữ liệu đích của loại báo cáo đã có (số liệu cũ nằm ở bộ cũ).")
    _ensure_dataset(session, data)
    before = _type_snapshot(rt) if rt else None
    if rt is None:
        rt = ReportType(code=data.code, created_by=principal.actor, version=1, dataset=data.dataset)
        session.add(rt)
    elif rt.fields != fields or rt.layout != data.layout:
        rt.version += 1
    rt.title, rt.description, rt.periodicity, rt.due_day = data.title, data.description, data.periodicity, data.due_day
    rt.layout = data.layout
    rt.table_header_row = None if data.layout == "form" else FIRST_FIELD_ROW - 1
    rt.fields = fields
    session.flush()
    action = "report_type.create" if before is None else "report_type.update"
    audit.record(session, actor=principal.actor, action=action, entity_type="report_type", entity_id=rt.code,
                 before=before, after=_type_snapshot(rt))
    return rt


def _raise(exc: Exception) -> Any:
    raise exc


def get_type(session: Session, code: str) -> ReportType:
    rt = session.scalar(select(ReportType).options(selectinload(ReportType.assignments))
                        .where(ReportType.code == code))
    if rt is None:
        raise NotFound(f"Không có loại báo cáo «{code}».")
    return rt


def list_types(session: Session, *, principal: Principal) -> list[ReportType]:
    authorize(principal, "report.read")
    types = list(session.scalars(select(ReportType).options(selectinload(ReportType.assignments))
                                 .order_by(ReportType.code)))
    if allowed(principal, "report.read_all"):
        return types
    return [t for t in types if any(a.agency_code == principal.agency_code for a in t.assignments)]


def assign(session: Session, *, principal: Principal, code: str, data: AssignmentIn) -> ReportAssignment:
    authorize(principal, "report.manage")
    rt = get_type(session, code)
    if session.get(Agency, data.agency_code) is None:
        raise NotFound(f"Không có cơ quan «{data.agency_code}».")
    start = periods.chosen(data.from_period, rt.periodicity, today_local())
    existing = next((a for a in rt.assignments if a.agency_code == data.agency_code), None)
    before = None
    if existing is None:
        existing = ReportAssignment(report_type=rt, agency_code=data.agency_code, created_by=principal.actor,
                                    from_period=start)
        session.add(existing)
    else:
        before = {"from_period": existing.from_period, "due_day": existing.due_day, "active": existing.active}
    existing.from_period, existing.due_day, existing.active = start, data.due_day, True
    session.flush()
    audit.record(session, actor=principal.actor, action="report_assignment.save", entity_type="report_assignment",
                 entity_id=f"{rt.code}:{data.agency_code}", before=before,
                 after={"from_period": start, "due_day": data.due_day, "active": True})
    return existing


def unassign(session: Session, *, principal: Principal, code: str, agency_code: str) -> None:
    authorize(principal, "report.manage")
    rt = get_type(session, code)
    existing = next((a for a in rt.assignments if a.agency_code == agency_code and a.active), None)
    if existing is None:
        raise NotFound(f"Cơ quan «{agency_code}» không được giao báo cáo «{code}».")
    existing.active = False
    audit.record(session, actor=principal.actor, action="report_assignment.end", entity_type="report_assignment",
                 entity_id=f"{rt.code}:{agency_code}", before={"active": True}, after={"active": False})


def assignment_for(rt: ReportType, agency_code: str) -> ReportAssignment | None:
    return next((a for a in rt.assignments if a.agency_code == agency_code and a.active), None)


def due_for(rt: ReportType, assignment: ReportAssignment | None, period: str) -> date:
    return periods.due_date(period, (assignment.due_day if assignment and assignment.due_day else rt.due_day))


# ------------------------------------------------------------------------------------------------ template


def template(session: Session, *, principal: Principal, code: str, agency_code: str | None,
             period: str | None) -> tuple[bytes, str]:
    rt = get_type(session, code)
    agency_code = agency_code or principal.agency_code
    if not agency_code:
        raise InvalidInput("Chọn cơ quan báo cáo (tham số agency).",
                           errors=[FieldError(message="Thiếu cơ quan", field="agency")])
    if not (allowed(principal, "report.read_all") or allowed(principal, "report.submit", agency_code)):
        authorize(principal, "report.submit", agency_code)
    agency = session.get(Agency, agency_code)
    if agency is None:
        raise NotFound(f"Không có cơ quan «{agency_code}».")
    period = periods.chosen(period, rt.periodicity, today_local())
    data = xlsx.build_template(rt, agency_code=agency.code, agency_name=agency.name, period=period)
    return data, f"{rt.code}_{agency.code}_{period}.xlsx"


# ------------------------------------------------------------------------------------------------ submissions


@dataclass
class SubmitResult:
    submission: ReportSubmission
    errors: list[CellError] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.submission.status == "accepted"


def submission_out(s: ReportSubmission) -> dict[str, Any]:
    return {"id": s.id, "report_type": s.report_type.code if s.report_type else None, "agency_code": s.agency_code,
            "period": s.period, "submitted_at": s.submitted_at.isoformat() + "Z", "submitted_by": s.submitted_by,
            "channel": s.channel, "status": s.status, "filename": s.filename, "batch_id": s.batch_id,
            "rows": s.rows, "due_date": s.due_date.isoformat() if s.due_date else None, "late": s.late,
            "days_late": s.days_late, "errors": s.errors or []}


def _resolve_agency(principal: Principal, agency_code: str | None, parsed_agency: str | None) -> str | None:
    if agency_code:
        return agency_code.strip()
    if principal.agency_code:
        return principal.agency_code
    return parsed_agency


def submit_file(session: Session, warehouse: Warehouse, *, principal: Principal, code: str, data: bytes,
                filename: str | None, agency_code: str | None = None, period: str | None = None,
                province_code: str, max_bytes: int, channel: str = "upload",
                now: datetime | None = None, refresh: bool = True) -> SubmitResult:
    """An uploaded, filled template. Refused whole (recorded with its errors) or loaded as one batch."""
    rt = get_type(session, code)
    filename = (filename or "bao-cao.xlsx")[:255]
    parsed = xlsx.parse(rt, data, filename=filename, max_bytes=max_bytes, units=_units(rt, province_code))
    agency = _resolve_agency(principal, agency_code, parsed.agency)
    if not agency:
        raise InvalidInput("Chọn cơ quan báo cáo (trường agency).",
                           errors=[FieldError(message="Thiếu cơ quan", field="agency")])
    authorize(principal, "report.submit", agency)
    errors = list(parsed.errors)
    version_ok = not any(e.cell == xlsx.VERSION_CELL for e in errors) and parsed.version is not None
    if version_ok and parsed.agency != agency:
        errors.insert(0, CellError(xlsx.AGENCY_CELL, f"Ô {xlsx.AGENCY_CELL}: mẫu ghi cơ quan «{parsed.agency or ''}»,"
                                                     f" không phải «{agency}». Hãy tải mẫu của cơ quan mình.",
                                   "agency"))
    chosen = (period or "").strip() or (parsed.period or "")
    if version_ok and period and parsed.period and period.strip() != parsed.period:
        errors.insert(0, CellError(xlsx.PERIOD_CELL, f"Ô {xlsx.PERIOD_CELL}: mẫu ghi kỳ «{parsed.period}», không "
                                                     f"phải kỳ «{period.strip()}» đang nộp.", "period"))
    return _finish(session, warehouse, rt, principal=principal, agency=agency, period=chosen, rows=parsed.rows,
                   errors=errors, filename=filename, channel=channel, province_code=province_code,
                   max_bytes=max_bytes, now=now, refresh=refresh)


def _units(rt: ReportType, province_code: str) -> xlsx.Units | None:
    """The resolver of unit-code fields (codes, current and pre-2025 names -> current codes), if the type has any."""
    from dieuhanh.ingest.service import unit_resolver

    return unit_resolver(province_code) if any(f.get("type") == "unit" for f in rt.fields) else None


def grid_place(row: int, f: dict[str, Any]) -> tuple[str | None, str]:
    """Where a web-form grid error is: no template cell, the grid's row and the column's label."""
    return None, f"Dòng {row}, cột «{f['label']}»: "


def submit_values(session: Session, warehouse: Warehouse, *, principal: Principal, code: str,
                  values: dict[str, Any] | None = None, rows: list[dict[str, Any]] | None = None,
                  agency_code: str | None, period: str, province_code: str, max_bytes: int, channel: str = "form",
                  now: datetime | None = None, refresh: bool = True) -> SubmitResult:
    """The web form, checked like an uploaded template (the same conversion of every value, the same agency,
    period, assignment and replacement rules): a form-layout type's ``values`` (errors by field, with the
    template cell), or a table-layout type's grid ``rows`` (raw text by field name, in the grid's order; blank
    rows are skipped; errors name the grid row and the column: "Dòng 3, cột «Số ca mắc»: ...")."""
    rt = get_type(session, code)
    agency = _resolve_agency(principal, agency_code, None)
    if not agency:
        raise InvalidInput("Chọn cơ quan báo cáo.", errors=[FieldError(message="Thiếu cơ quan", field="agency")])
    authorize(principal, "report.submit", agency)
    errors: list[CellError] = []
    units = _units(rt, province_code)
    if rt.layout == "form":
        values = values or {}
        # Errors name the field (shown next to it); the template cell is kept for API callers.
        records = [{f["name"]: xlsx.convert(f, values.get(f["name"]), None, errors, units=units) for f in rt.fields}]
        cells = {f["name"]: f.get("cell") for f in rt.fields}
        for e in errors:
            e.cell = cells.get(e.field or "")
    else:
        filled = [(i, r) for i, r in enumerate(rows or [], start=1) if not xlsx.is_blank(r)]
        if len(filled) > xlsx.MAX_TABLE_ROWS:
            errors.append(CellError(None, f"Bảng có {len(filled)} dòng, quá giới hạn {xlsx.MAX_TABLE_ROWS} dòng."))
            filled = []
        records = xlsx.read_rows(rt.fields, filled, errors, locate=grid_place, units=units)
        if not records and not errors:
            errors.append(CellError(None, "Bảng chưa có dòng số liệu nào: nhập ít nhất một dòng rồi nộp."))
    return _finish(session, warehouse, rt, principal=principal, agency=agency, period=period, rows=records,
                   errors=errors, filename=None, channel=channel, province_code=province_code, max_bytes=max_bytes,
                   now=now, refresh=refresh)


def submitted_entries(session: Session, warehouse: Warehouse, *, principal: Principal, code: str,
                      agency_code: str, period: str) -> tuple[ReportSubmission | None, list[dict[str, str]]]:
    """The accepted submission of an agency for a period and its rows as typed in the web form (1.234,5,
    dd/mm/yyyy), to prefill the form for a correction; (None, []) when nothing was accepted yet."""
    from dieuhanh.core.warehouse import BATCH_COLUMN, _quote

    authorize(principal, "report.submit", agency_code)
    rt = get_type(session, code)
    latest = session.scalars(select(ReportSubmission).where(
        ReportSubmission.report_type_id == rt.id, ReportSubmission.agency_code == agency_code,
        ReportSubmission.period == period, ReportSubmission.status == "accepted")
        .order_by(ReportSubmission.submitted_at.desc(), ReportSubmission.id.desc())).first()
    if latest is None or latest.batch_id is None or not warehouse.table_exists(rt.dataset):
        return latest, []
    present = {c.name for c in catalog.get_dataset(session, rt.dataset).columns}
    fields = [f for f in rt.fields if f["name"] in present]
    if not fields:
        return latest, []
    # The batch's rows in the order they were loaded (a batch of the demo holds many agencies and periods).
    found = warehouse.query(
        f"SELECT {', '.join(_quote(f['name']) for f in fields)} FROM {_quote(rt.dataset)} "
        f"WHERE {BATCH_COLUMN} = ? AND {_quote('ky')} = ? AND {_quote('co_quan')} = ?",
        [latest.batch_id, period, agency_code], max_rows=xlsx.MAX_TABLE_ROWS).to_pylist()
    return latest, [{f["name"]: xlsx.as_text(f, r.get(f["name"])) for f in fields} for r in found]


def unit_choices(session: Session) -> list[tuple[str, str]]:
    """(code, name) of the province's communes and wards, for the web form's unit fields."""
    from dieuhanh.geo import service as geo

    return [(u.code, u.name) for u in geo.communes(session)]


def _finish(session: Session, warehouse: Warehouse, rt: ReportType, *, principal: Principal, agency: str,
            period: str, rows: list[dict[str, Any]], errors: list[CellError], filename: str | None, channel: str,
            province_code: str, max_bytes: int, now: datetime | None, refresh: bool) -> SubmitResult:
    from dieuhanh.ingest import service as ingest

    now = now or utcnow()
    if session.get(Agency, agency) is None:
        raise NotFound(f"Không có cơ quan «{agency}».")
    assignment = assignment_for(rt, agency)
    if assignment is None:
        errors.insert(0, CellError(None, f"Cơ quan «{agency}» không được giao báo cáo «{rt.title}».", "agency"))
    due: date | None = None
    try:
        period = parse_period(period, rt.periodicity).code
        due = due_for(rt, assignment, period)
    except InvalidInput as exc:
        if period or not errors:  # an unreadable file has no period: its own errors say enough
            errors.insert(0, CellError(xlsx.PERIOD_CELL if filename else None, exc.message, "period"))
    submission = ReportSubmission(report_type=rt, agency_code=agency, period=period[:10], submitted_at=now,
                                  submitted_by=principal.actor, channel=channel, filename=filename, due_date=due,
                                  status="rejected")
    if due is not None:
        submission.days_late = max(0, (to_local(now).date() - due).days)
        submission.late = submission.days_late > 0
    if not errors:
        records = [{"ky": period, "co_quan": agency, **{k: (v.isoformat() if isinstance(v, date) else v)
                                                         for k, v in r.items()}} for r in rows]
        # New rows in now (removed again if this transaction fails), the replaced ones out only after the commit.
        bound = TransactionalWarehouse(session, warehouse)
        try:
            result = ingest.load(session, bound, principal=LOADER, dataset_name=rt.dataset, source=records,
                                 filename=f"{rt.code}-{agency}-{period}.json", source_kind="report",
                                 province_code=province_code, max_bytes=max(max_bytes, 1 << 20))
        except InvalidInput as exc:
            errors = [CellError(None, e.message, e.column) for e in exc.errors] or [CellError(None, exc.message)]
        else:
            previous = session.scalars(select(ReportSubmission).where(
                ReportSubmission.report_type_id == rt.id, ReportSubmission.agency_code == agency,
                ReportSubmission.period == period, ReportSubmission.status == "accepted")).all()
            for old in previous:
                old.status = "replaced"
                if old.batch_id:
                    _drop_rows_of(session, bound, rt, old, province_code=province_code, max_bytes=max_bytes)
            submission.status, submission.batch_id, submission.rows = "accepted", result.batch_id, result.rows
    submission.errors = [e.as_dict() for e in errors]
    session.add(submission)
    session.flush()
    audit.record(session, actor=principal.actor,
                 action="report.submit" if submission.status == "accepted" else "report.reject",
                 entity_type="report_submission", entity_id=submission.id,
                 after={"report_type": rt.code, "agency": agency, "period": period, "channel": channel,
                        "filename": filename, "status": submission.status, "batch_id": submission.batch_id,
                        "rows": submission.rows, "late": submission.late, "days_late": submission.days_late,
                        "errors": len(errors)})
    if submission.status == "accepted" and refresh:
        refresh_timeliness(session, warehouse, province_code=province_code, max_bytes=max_bytes)
    return SubmitResult(submission=submission, errors=errors)


@dataclass
class HistoricEntry:
    agency: str
    period: str
    rows: list[dict[str, Any]]
    submitted_at: datetime
    filename: str | None = None


def import_history(session: Session, warehouse: Warehouse, *, principal: Principal, code: str,
                   entries: list[HistoricEntry], province_code: str, max_bytes: int,
                   channel: str = "import") -> int:
    """Past submissions (the demo, or a province moving from paper) in ONE batch: every entry is a submission
    sharing that batch; replacing one later reloads the others (``_drop_rows_of``). Values must already be
    typed; the load still checks them against the dataset's schema."""
    from dieuhanh.ingest import service as ingest

    authorize(principal, "report.manage")
    rt = get_type(session, code)
    records = [{"ky": e.period, "co_quan": e.agency, **{k: (v.isoformat() if isinstance(v, date) else v)
                                                         for k, v in r.items()}} for e in entries for r in e.rows]
    if not records:
        return 0
    result = ingest.load(session, warehouse, principal=LOADER, dataset_name=rt.dataset, source=records,
                         filename=f"{rt.code}-lich-su.json", source_kind="report", province_code=province_code,
                         max_bytes=max(max_bytes, 64 << 20))
    for e in entries:
        assignment = assignment_for(rt, e.agency)
        due = due_for(rt, assignment, parse_period(e.period, rt.periodicity).code)
        days = max(0, (to_local(e.submitted_at).date() - due).days)
        session.add(ReportSubmission(report_type=rt, agency_code=e.agency, period=e.period, submitted_at=e.submitted_at,
                                     submitted_by=principal.actor, channel=channel, status="accepted",
                                     filename=e.filename, batch_id=result.batch_id, rows=len(e.rows), due_date=due,
                                     late=days > 0, days_late=days, errors=[]))
    session.flush()
    audit.record(session, actor=principal.actor, action="report.import", entity_type="report_type",
                 entity_id=rt.code, after={"submissions": len(entries), "rows": result.rows,
                                           "batch_id": result.batch_id})
    return len(entries)


def _drop_rows_of(session: Session, warehouse: TransactionalWarehouse, rt: ReportType, old: ReportSubmission, *,
                  province_code: str, max_bytes: int) -> None:
    """Remove a replaced submission's rows: roll its batch back in the catalog (the rows go once the transaction
    commits). A batch shared with other submissions (the demo loads a year in one batch) is first reloaded
    without this agency and period."""
    from dieuhanh.core.warehouse import BATCH_COLUMN, _quote
    from dieuhanh.ingest import service as ingest

    batch_id = old.batch_id
    assert batch_id is not None
    sharing = list(session.scalars(select(ReportSubmission).where(
        ReportSubmission.batch_id == batch_id, ReportSubmission.status == "accepted",
        ReportSubmission.id != old.id)))
    if sharing and warehouse.table_exists(rt.dataset):
        names = [c.name for c in catalog.get_dataset(session, rt.dataset).columns]
        keep = warehouse.query(
            f"SELECT {', '.join(_quote(n) for n in names)} FROM {_quote(rt.dataset)} WHERE {BATCH_COLUMN} = ? "
            f"AND NOT ({_quote('ky')} = ? AND {_quote('co_quan')} = ?)", [batch_id, old.period, old.agency_code],
            max_rows=1_000_000).to_pylist()
        if keep:
            records = [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()} for r in keep]
            result = ingest.load(session, warehouse, principal=LOADER, dataset_name=rt.dataset, source=records,
                                 filename=f"{rt.code}-tach-lo.json", source_kind="report",
                                 province_code=province_code, max_bytes=max(max_bytes, 64 << 20))
            for other in sharing:
                other.batch_id = result.batch_id
    try:
        catalog.rollback_batch(session, warehouse, principal=LOADER, name=rt.dataset, batch_id=batch_id)
    except (NotFound, Conflict):
        pass  # already rolled back by hand in the catalog


def list_submissions(session: Session, *, principal: Principal, code: str | None = None,
                     agency_code: str | None = None, period: str | None = None,
                     limit: int = 200) -> list[ReportSubmission]:
    authorize(principal, "report.read")
    query = select(ReportSubmission).options(selectinload(ReportSubmission.report_type))
    if not allowed(principal, "report.read_all"):
        if agency_code and agency_code != principal.agency_code:
            raise PermissionDenied("Bạn chỉ xem được báo cáo của cơ quan mình.")
        if principal.agency_code is None:
            return []  # a token (or account) of no agency sees no agency's submissions, not every agency's
        agency_code = principal.agency_code
    if code:
        query = query.where(ReportSubmission.report_type_id == get_type(session, code).id)
    if agency_code:
        query = query.where(ReportSubmission.agency_code == agency_code)
    if period:
        query = query.where(ReportSubmission.period == period)
    return list(session.scalars(query.order_by(ReportSubmission.submitted_at.desc(), ReportSubmission.id.desc())
                                .limit(limit)))


# ------------------------------------------------------------------------------------------------ obligations


@dataclass
class Obligation:
    report_type: ReportType
    agency_code: str
    agency_name: str
    period: str
    due_date: date
    first: ReportSubmission | None  # first accepted submission (decides timeliness)
    latest: ReportSubmission | None  # the accepted submission whose figures count

    @property
    def submitted_on(self) -> date | None:
        return to_local(self.first.submitted_at).date() if self.first else None

    def days_late(self, today: date) -> int:
        end = self.submitted_on or today
        return max(0, (end - self.due_date).days)

    def state(self, today: date) -> str:
        """on_time | late | missing (due date passed, nothing) | pending (not yet due, nothing)."""
        if self.first is not None:
            return "late" if self.days_late(today) > 0 else "on_time"
        return "missing" if today > self.due_date else "pending"


STATE_LABELS = {"on_time": "Đúng hạn", "late": "Nộp muộn", "missing": "Chưa nộp", "pending": "Chưa đến hạn"}


def _periods_for(rt: ReportType, month_or_period: str) -> list[str]:
    """Periods of a report type that a requested period covers: a month covers the monthly report of that month,
    the quarterly report of the quarter ending in it and the yearly report when it is December."""
    asked = parse_period(month_or_period)
    if asked.kind == rt.periodicity:
        return [month_or_period]
    if asked.kind != "month":
        return []
    covering = containing(asked.start, rt.periodicity)
    return [covering.code] if covering.end == asked.end else []


def obligations(session: Session, *, period: str | None = None, until: date | None = None,
                agency_code: str | None = None, types: list[ReportType] | None = None) -> list[Obligation]:
    """What is owed: for one period (``period``), or every period from each assignment's start whose due date is
    on or before ``until`` (plus later ones already submitted)."""
    if period:
        parse_period(period)
    types = types if types is not None else list(session.scalars(
        select(ReportType).options(selectinload(ReportType.assignments)).where(ReportType.active.is_(True))
        .order_by(ReportType.code)))
    names = dict(session.execute(select(Agency.code, Agency.name)).all())
    subs: dict[tuple[int, str, str], list[ReportSubmission]] = {}
    query = select(ReportSubmission).where(ReportSubmission.status.in_(("accepted", "replaced")))
    if agency_code:
        query = query.where(ReportSubmission.agency_code == agency_code)
    for s in session.scalars(query.order_by(ReportSubmission.submitted_at, ReportSubmission.id)):
        subs.setdefault((s.report_type_id, s.agency_code, s.period), []).append(s)
    out: list[Obligation] = []
    for rt in types:
        for a in rt.assignments:
            if not a.active or (agency_code and a.agency_code != agency_code):
                continue
            if period:
                wanted = [p for p in _periods_for(rt, period)
                          if parse_period(p).end >= parse_period(a.from_period).end]
            else:
                last = containing(until or today_local(), rt.periodicity)
                wanted = [p for p in (q.code for q in between(parse_period(a.from_period), last))
                          if due_for(rt, a, p) <= (until or today_local())
                          or (rt.id, a.agency_code, p) in subs]
            for p in wanted:
                found = subs.get((rt.id, a.agency_code, p), [])
                latest = next((s for s in reversed(found) if s.status == "accepted"), None)
                out.append(Obligation(report_type=rt, agency_code=a.agency_code,
                                      agency_name=names.get(a.agency_code, a.agency_code), period=p,
                                      due_date=due_for(rt, a, p), first=found[0] if found else None, latest=latest))
    return out


def late_list(session: Session, *, principal: Principal, period: str,
              today: date | None = None) -> list[dict[str, Any]]:
    """Reports owed for a period that are missing after their due date, or came late."""
    authorize(principal, "report.read")
    today = today or today_local()
    agency = None if allowed(principal, "report.read_all") else principal.agency_code
    out = []
    for ob in obligations(session, period=period, agency_code=agency):
        state = ob.state(today)
        if state not in ("missing", "late"):
            continue
        out.append({"agency_code": ob.agency_code, "agency_name": ob.agency_name,
                    "report_type": ob.report_type.code, "title": ob.report_type.title, "period": ob.period,
                    "due_date": ob.due_date.isoformat(), "status": "chưa nộp" if state == "missing" else "nộp muộn",
                    "submitted_on": ob.submitted_on.isoformat() if ob.submitted_on else None,
                    "days_late": ob.days_late(today)})
    out.sort(key=lambda r: (r["status"] != "chưa nộp", -int(str(r["days_late"])), str(r["agency_code"]),
                            str(r["report_type"])))
    return out


# ------------------------------------------------------------------------------------------------ timeliness


def refresh_timeliness(session: Session, warehouse: Warehouse, *, province_code: str, max_bytes: int,
                       today: date | None = None) -> int:
    """Rewrite ``bao_cao_dinh_ky_nop``: one row per owed report whose due date has passed (or that came)."""
    from dieuhanh.catalog.snapshots import ensure_dataset
    from dieuhanh.ingest import service as ingest

    today = today or today_local()
    ensure_dataset(session, name=TIMELINESS_DATASET, title="Tình hình nộp báo cáo định kỳ của các cơ quan",
                   description="Mỗi dòng là một báo cáo định kỳ một cơ quan phải nộp cho một kỳ đã đến hạn: hạn "
                               "nộp, ngày nộp (lần nộp đầu được nhận), đúng hạn (1/0) và số ngày trễ. Chưa nộp khi đã "
                               "quá hạn tính là không đúng hạn. Nguồn của chỉ số tỷ lệ báo cáo nộp đúng hạn.",
                   owner="VPUBND", schema=[
                       {"name": "thang", "type": "string", "required": True,
                        "description": "Tháng cuối của kỳ báo cáo (kỳ của chỉ số)"},
                       {"name": "ky_bao_cao", "type": "string", "required": True},
                       {"name": "co_quan", "type": "string", "required": True},
                       {"name": "loai_bao_cao", "type": "string", "required": True},
                       {"name": "han_nop", "type": "date", "required": True},
                       {"name": "ngay_nop", "type": "date"},
                       {"name": "dung_han", "type": "integer", "required": True},
                       {"name": "so_ngay_tre", "type": "integer", "required": True},
                   ])
    records = []
    for ob in obligations(session, until=today):
        state = ob.state(today)
        if state == "pending":
            continue
        # Counted in the period's last month (2025-Q2 → 2025-06), the indicators' monthly period.
        month = containing(parse_period(ob.period).last_day, "month").code
        records.append({"thang": month, "ky_bao_cao": ob.period, "co_quan": ob.agency_code,
                        "loai_bao_cao": ob.report_type.code, "han_nop": ob.due_date.isoformat(),
                        "ngay_nop": ob.submitted_on.isoformat() if ob.submitted_on else None,
                        "dung_han": 1 if state == "on_time" else 0, "so_ngay_tre": ob.days_late(today)})
    if not records:
        return 0
    result = ingest.load(session, warehouse, principal=LOADER, dataset_name=TIMELINESS_DATASET, source=records,
                         filename=f"bao-cao-dinh-ky-{today.isoformat()}.json", source_kind="system", mode="replace",
                         province_code=province_code, max_bytes=max(max_bytes, 16 << 20))
    return result.rows


# ------------------------------------------------------------------------------------------------ overview


def overview(session: Session, *, principal: Principal, period: str, today: date | None = None) -> dict[str, Any]:
    """Per agency and report type owed in ``period``: on time, late, missing or not yet due."""
    authorize(principal, "report.read_all")
    today = today or today_local()
    items = obligations(session, period=period)
    counts = {k: 0 for k in STATE_LABELS}
    rows: dict[str, dict[str, Any]] = {}
    for ob in items:
        state = ob.state(today)
        counts[state] += 1
        row = rows.setdefault(ob.agency_code, {"agency_code": ob.agency_code, "agency_name": ob.agency_name,
                                                "cells": {}})
        row["cells"][ob.report_type.code] = {"state": state, "label": STATE_LABELS[state], "period": ob.period,
                                              "due_date": ob.due_date, "submitted_on": ob.submitted_on,
                                              "days_late": ob.days_late(today)}
    types = sorted({ob.report_type.code: ob.report_type for ob in items}.values(), key=lambda t: t.code)
    return {"period": period, "types": types, "rows": sorted(rows.values(), key=lambda r: r["agency_code"]),
            "counts": counts, "total": len(items)}
