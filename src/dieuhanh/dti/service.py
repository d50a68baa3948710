"""DTI of departments and communes: frameworks, campaigns, forms (self-assessed and automatic answers), review,
results and rankings. Plain functions; every write authorises first and writes its audit row.

Automatic sub-indicators follow the platform's data until the campaign closes: each read of a form (and the
results, when their data version changed: :mod:`dieuhanh.dti.versions`) recomputes them from the indicator values
of the campaign year (or from a guarded warehouse query), so a change in the platform's data shows in the next
read. Closing the campaign freezes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from dieuhanh.catalog.models import Dataset
from dieuhanh.catalog.sqlguard import TableAccess, check_query
from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound
from dieuhanh.core.formatting import format_number as num
from dieuhanh.core.formatting import to_local, today_local
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.dti import framework as fw
from dieuhanh.dti import permissions as _permissions  # noqa: F401  (registers dti.*)
from dieuhanh.dti import versions
from dieuhanh.dti.models import DtiAnswer, DtiCampaign, DtiEvidenceFile, DtiForm, DtiFramework
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue
from dieuhanh.indicators.service import referenced_tables
from dieuhanh.orgs.models import Agency

BUILTIN = Path(__file__).parent / "frameworks"
_ANSWERS = cast(Table, DtiAnswer.__table__)
AGENCY_KINDS = {"department": ("department", "sector"), "commune": ("commune",)}
REVIEW_LABELS = {"pending": "Chờ thẩm định", "accepted": "Chấp nhận", "adjusted": "Điều chỉnh điểm",
                 "more_evidence": "Yêu cầu bổ sung minh chứng"}
FORM_LABELS = {"draft": "Đang tự đánh giá", "submitted": "Đã nộp"}
STATUS_LABELS = {"good": "Đạt mục tiêu", "warning": "Gần đạt", "critical": "Chưa đạt", "nodata": "Chưa có điểm"}
MAX_FILE_BYTES = 10 * 1024 * 1024
FILE_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/webp"}
SQL_TIMEOUT = 30.0


# ------------------------------------------------------------------------------------------------ frameworks


def framework_of(row: DtiFramework) -> fw.Framework:
    return fw.Framework.model_validate(row.definition)


def define_framework(session: Session, *, principal: Principal, data: str | dict[str, Any],
                     origin: str = "API") -> DtiFramework:
    """Create or replace a framework (YAML/JSON text or dict). A framework already used by a campaign keeps its
    sub-indicator codes: a redefinition that drops one is refused (answers would lose their meaning)."""
    authorize(principal, "dti.framework.define")
    parsed = fw.parse(data, origin=origin)
    _check_sources(session, parsed)
    row = session.get(DtiFramework, parsed.code)
    before = None
    if row is not None:
        used = session.scalar(select(DtiCampaign.id).where(DtiCampaign.framework_code == row.code).limit(1))
        dropped = {s.code for s in framework_of(row).subs()} - {s.code for s in parsed.subs()}
        if used is not None and dropped:
            raise Conflict(f"Khung {row.code} đã dùng trong đợt đánh giá; không được bỏ chỉ số thành phần "
                           f"{', '.join(sorted(dropped))}.")
        before = {"name": row.name, "subs": len(framework_of(row).subs())}
    else:
        row = DtiFramework(code=parsed.code)
        session.add(row)
    row.name, row.level, row.origin = parsed.name, parsed.level, origin
    row.definition = parsed.model_dump(mode="json")
    row.updated_by = principal.actor
    session.flush()
    audit.record(session, actor=principal.actor, action="dti.framework.define", entity_type="dti_framework",
                 entity_id=row.code, before=before,
                 after={"name": row.name, "level": row.level, "subs": len(parsed.subs()),
                        "points": parsed.total_points})
    return row


def _check_sources(session: Session, parsed: fw.Framework) -> None:
    """Automatic sources must name an indicator of the set, or a query the SQL guard accepts."""
    known = set(session.scalars(select(IndicatorDefinition.code)))
    readable = {n: TableAccess() for n in session.scalars(select(Dataset.name))}
    errors = []
    for sub in parsed.subs():
        src = sub.source
        if src.kind == "indicator" and known and src.indicator not in known:
            errors.append(FieldError(f"chỉ số «{src.indicator}» không có trong bộ chỉ số", field=f"{sub.code}.source"))
        if src.kind == "sql" and src.sql:
            # Safety and syntax are checked now; a dataset not loaded yet only means no value until it is.
            try:
                tables = {t: TableAccess() for t in referenced_tables(src.sql)}
                check_query(src.sql, {**tables, **readable})
            except DomainError as exc:
                errors.append(FieldError(exc.message, field=f"{sub.code}.source.sql"))
    if errors:
        raise InvalidInput("Nguồn tự động không hợp lệ: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
                           errors=errors)


def check_framework(session: Session, text: str, *, origin: str) -> fw.Framework:
    """Validate a framework file without saving it (``dieuhanh dti check``)."""
    parsed = fw.parse(text, origin=origin)
    _check_sources(session, parsed)
    return parsed


def load_builtin(session: Session, *, principal: Principal) -> list[DtiFramework]:
    """The two frameworks that ship (departments, communes)."""
    return [define_framework(session, principal=principal, data=p.read_text(encoding="utf-8"),
                             origin=f"dti/frameworks/{p.name}") for p in sorted(BUILTIN.glob("*.yaml"))]


def ensure_builtin(session: Session) -> None:
    """The shipped frameworks are reference data: installed on first use (idempotent, audited as the system)."""
    from dieuhanh.core.security import SYSTEM

    have = set(session.scalars(select(DtiFramework.code)))
    for path in sorted(BUILTIN.glob("*.yaml")):
        if path.stem not in {"so_nganh", "xa_phuong"} or f"dti_{path.stem}" in have:
            continue
        define_framework(session, principal=SYSTEM, data=path.read_text(encoding="utf-8"),
                         origin=f"dti/frameworks/{path.name}")


def get_framework(session: Session, code: str) -> DtiFramework:
    row = session.get(DtiFramework, code)
    if row is None and code in ("dti_so_nganh", "dti_xa_phuong"):
        ensure_builtin(session)
        row = session.get(DtiFramework, code)
    if row is None:
        raise NotFound(f"Không có khung đánh giá «{code}».")
    return row


def list_frameworks(session: Session) -> list[DtiFramework]:
    ensure_builtin(session)
    return list(session.scalars(select(DtiFramework).order_by(DtiFramework.level, DtiFramework.code)))


def framework_out(row: DtiFramework) -> dict[str, Any]:
    parsed = framework_of(row)
    return {**row.definition, "total_points": parsed.total_points,
            "sub_indicator_count": len(parsed.subs()), "automatic_count": sum(s.automatic for s in parsed.subs()),
            "origin": row.origin, "updated_at": to_local(row.updated_at).isoformat(timespec="seconds")}


# ------------------------------------------------------------------------------------------------ campaigns


def create_campaign(session: Session, *, principal: Principal, framework: str, year: int, deadline: date,
                    units: Sequence[str] | None = None, demo: bool = False) -> DtiCampaign:
    """A yearly campaign: one form per unit (all units of the framework's level when ``units`` is empty)."""
    authorize(principal, "dti.campaign.manage")
    frame_row = get_framework(session, framework)
    if not 2020 <= year <= 2100:
        raise InvalidInput("Năm đánh giá phải từ 2020 đến 2100.", errors=[FieldError("năm không hợp lệ", field="year")])
    if session.scalar(select(DtiCampaign.id).where(DtiCampaign.framework_code == framework,
                                                   DtiCampaign.year == year)) is not None:
        raise Conflict(f"Đã có đợt đánh giá năm {year} theo khung {framework}.")
    kinds = AGENCY_KINDS[frame_row.level]
    eligible = {a.code: a for a in session.scalars(select(Agency).where(Agency.kind.in_(kinds),
                                                                         Agency.is_active.is_(True)))}
    if units:
        wrong = [u for u in units if u not in eligible]
        if wrong:
            raise InvalidInput(f"Đơn vị không thuộc cấp «{fw.LEVEL_LABELS[frame_row.level]}»: "
                               f"{', '.join(wrong[:5])}.", errors=[FieldError("đơn vị không hợp lệ", field="units")])
        codes = list(dict.fromkeys(units))
    else:
        codes = sorted(eligible)
    campaign = DtiCampaign(framework_code=framework, year=year, deadline=deadline, created_by=principal.actor,
                           demo=demo)
    session.add(campaign)
    session.flush()
    parsed = framework_of(frame_row)
    session.execute(insert(cast(Table, DtiForm.__table__)),
                    [{"campaign_id": campaign.id, "agency_code": c, "status": "draft", "late": False} for c in codes])
    form_ids = list(session.scalars(select(DtiForm.id).where(DtiForm.campaign_id == campaign.id)))
    now = utcnow()
    # Core inserts (no ORM bulk bookkeeping): thousands of rows per campaign in a few tens of milliseconds.
    session.execute(insert(_ANSWERS), [
        {"form_id": fid, "sub_code": s.code, "automatic": s.automatic, "evidence": [], "source_text": "",
         "note": "", "review_state": "pending", "review_comment": "", "updated_by": principal.actor,
         "updated_at": now} for fid in form_ids for s in parsed.subs()])
    versions.bump(session)
    audit.record(session, actor=principal.actor, action="dti.campaign.create", entity_type="dti_campaign",
                 entity_id=campaign.id, after={"framework": framework, "year": year,
                                               "deadline": deadline.isoformat(), "units": len(codes)})
    return campaign


def get_campaign(session: Session, campaign_id: int) -> DtiCampaign:
    row = session.get(DtiCampaign, campaign_id)
    if row is None:
        raise NotFound(f"Không có đợt đánh giá số {campaign_id}.")
    return row


def list_campaigns(session: Session) -> list[DtiCampaign]:
    return list(session.scalars(select(DtiCampaign).order_by(DtiCampaign.year.desc(), DtiCampaign.id)))


def campaign_for(session: Session, *, level: str, year: int | None = None) -> DtiCampaign | None:
    """The latest campaign of a level (or that year's)."""
    q = (select(DtiCampaign).join(DtiFramework, DtiFramework.code == DtiCampaign.framework_code)
         .where(DtiFramework.level == level))
    if year is not None:
        q = q.where(DtiCampaign.year == year)
    return session.scalars(q.order_by(DtiCampaign.year.desc(), DtiCampaign.id.desc()).limit(1)).first()


def campaign_out(session: Session, c: DtiCampaign) -> dict[str, Any]:
    forms = list(session.scalars(select(DtiForm).where(DtiForm.campaign_id == c.id)))
    frame = get_framework(session, c.framework_code)
    return {"id": c.id, "framework": c.framework_code, "framework_name": frame.name, "level": frame.level,
            "year": c.year, "deadline": c.deadline.isoformat(), "status": c.status, "published": c.published,
            "demo": c.demo, "units": len(forms), "submitted": sum(f.status == "submitted" for f in forms),
            "late": sum(f.late for f in forms)}


def close_campaign(session: Session, warehouse: Warehouse, *, principal: Principal, campaign_id: int) -> DtiCampaign:
    """Freeze the automatic values (computed one last time) and close the campaign to answers and reviews."""
    authorize(principal, "dti.campaign.manage")
    c = get_campaign(session, campaign_id)
    if c.status == "closed":
        raise Conflict("Đợt đánh giá đã đóng.")
    refresh_automatic(session, warehouse, c)
    c.status, c.closed_at = "closed", utcnow()
    audit.record(session, actor=principal.actor, action="dti.campaign.close", entity_type="dti_campaign",
                 entity_id=c.id, after={"status": "closed"})
    return c


def publish_campaign(session: Session, warehouse: Warehouse, *, principal: Principal, campaign_id: int,
                     province_code: str) -> DtiCampaign:
    """Results become public (after the campaign is closed and every self-assessment reviewed): the public API
    shows them and they are appended to the open dataset ``ket_qua_chuyen_doi_so`` (dti/opendata.py)."""
    from dieuhanh.dti import opendata

    authorize(principal, "dti.campaign.manage")
    c = get_campaign(session, campaign_id)
    if c.status != "closed":
        raise Conflict("Chỉ công bố kết quả sau khi đóng đợt đánh giá.")
    pending = session.scalar(select(DtiAnswer.id).join(DtiForm).where(
        DtiForm.campaign_id == c.id, DtiForm.status == "submitted", DtiAnswer.automatic.is_(False),
        DtiAnswer.review_state.in_(("pending", "more_evidence"))).limit(1))
    if pending is not None:
        raise Conflict("Còn chỉ số tự đánh giá chưa thẩm định: chưa thể công bố.")
    c.published = True
    rows = opendata.publish(session, warehouse, principal=principal, province_code=province_code,
                            results=results(session, None, campaign_id=c.id))
    audit.record(session, actor=principal.actor, action="dti.campaign.publish", entity_type="dti_campaign",
                 entity_id=c.id, after={"published": True, "dataset": opendata.DATASET, "rows": rows})
    return c


# ------------------------------------------------------------------------------------------------ automatic values


@dataclass
class AutoValue:
    value: float | None
    text: str


def _unit_key(level: str, agency: Agency) -> str | None:
    return agency.code if level == "department" else agency.unit_code


def _period_label(period: str) -> str:
    return f"{period[5:7]}/{period[:4]}" if len(period) == 7 and period[4] == "-" and period[5] != "Q" else period


def _from_indicator(session: Session, sub: fw.SubIndicator, *, level: str, year: int,
                    keys: Iterable[str]) -> dict[str, AutoValue]:
    src = sub.source
    code = src.indicator or ""
    ind_level = "agency" if level == "department" else "commune"
    wanted = set(keys)
    rows = session.execute(select(IndicatorValue.unit_code, IndicatorValue.period, IndicatorValue.value,
                                  IndicatorValue.numerator, IndicatorValue.denominator)
                           .where(IndicatorValue.code == code, IndicatorValue.level == ind_level,
                                  IndicatorValue.value.is_not(None), IndicatorValue.period < str(year + 1),
                                  IndicatorValue.period >= (str(year - 5) if src.aggregate == "last" else str(year)))
                           .order_by(IndicatorValue.unit_code, IndicatorValue.period)).all()
    by_unit: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        if r.unit_code in wanted:
            by_unit[r.unit_code].append(r)
    defn = session.get(IndicatorDefinition, code)
    unit = defn.unit if defn is not None else ""
    out: dict[str, AutoValue] = {}
    for key in wanted:
        all_rows = by_unit.get(key, [])
        in_year = [r for r in all_rows if str(r.period).startswith(str(year))]
        if not in_year and src.aggregate == "last" and all_rows:
            in_year = [all_rows[-1]]  # the latest published value before the year (yearly statistics lag)
        if not in_year:
            out[key] = AutoValue(None, f"{code}: chưa có số liệu năm {year}")
            continue
        span = _period_label(in_year[0].period) if len(in_year) == 1 else (
            f"{_period_label(in_year[0].period)}–{_period_label(in_year[-1].period)}")
        total_num = sum(r.numerator or 0 for r in in_year)
        den = sum(r.denominator or 0 for r in in_year)
        if src.aggregate == "ratio" and all(r.denominator is not None for r in in_year) and den > 0:
            value = 100.0 * total_num / den
            text = f"{code}: {num(value, 1)}{unit} ({num(total_num, 0)}/{num(den, 0)}), kỳ {span}"
        elif src.aggregate == "sum":
            value = float(sum(r.value for r in in_year))
            text = f"{code}: tổng {num(value, 1)}{unit}, kỳ {span}"
        elif src.aggregate == "last":
            value = float(in_year[-1].value)
            text = f"{code}: {num(value, 1)}{unit}, kỳ {span}"
        else:
            value = sum(r.value for r in in_year) / len(in_year)
            text = f"{code}: trung bình {num(value, 1)}{unit}, kỳ {span}"
        out[key] = AutoValue(round(value, 2), text)
    return out


def _from_sql(session: Session, warehouse: Warehouse, sub: fw.SubIndicator, *, year: int,
              keys: Iterable[str]) -> dict[str, AutoValue]:
    readable = {n: TableAccess() for n in session.scalars(select(Dataset.name))}
    wanted = set(keys)
    try:
        table = warehouse.query(check_query(sub.source.sql or "", readable), None, timeout=SQL_TIMEOUT,
                                max_rows=100_000)
    except DomainError as exc:
        return {k: AutoValue(None, f"Truy vấn lỗi: {exc.message}") for k in wanted}
    except Exception as exc:  # noqa: BLE001 - engine errors (missing table before data is loaded…)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return {k: AutoValue(None, f"Truy vấn lỗi: {first[:200]}") for k in wanted}
    cols = {n.lower(): table.column(i).to_pylist() for i, n in enumerate(table.column_names)}
    if "unit_code" not in cols or "value" not in cols:
        return {k: AutoValue(None, "Truy vấn cần các cột unit_code, value") for k in wanted}
    years = cols.get("year") or [None] * table.num_rows
    best: dict[str, tuple[int, float | None]] = {}
    for unit, value, y in zip(cols["unit_code"], cols["value"], years, strict=True):
        unit = str(unit) if unit is not None else ""
        y_int = int(y) if y is not None else year
        if unit in wanted and y_int <= year and (unit not in best or y_int > best[unit][0]):
            best[unit] = (y_int, None if value is None else float(value))
    out = {}
    for k in wanted:
        if k in best and best[k][1] is not None:
            out[k] = AutoValue(round(best[k][1] or 0.0, 2), f"Kho dữ liệu: {num(best[k][1], 1)} (năm {best[k][0]})")
        else:
            out[k] = AutoValue(None, f"Kho dữ liệu: chưa có số liệu đến năm {year}")
    return out


def _update_answers(session: Session, changes: list[dict[str, Any]]) -> None:
    """Many answers updated by id in one executemany (Core, per distinct set of columns); the session's loaded
    answers are expired so that they are read again."""
    if not changes:
        return
    session.flush()
    versions.bump(session)  # Core statements: no flush tells the DTI version (written before the rows, as a flush)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        groups[tuple(sorted(k for k in change if k != "id"))].append(change)
    for columns, rows in groups.items():
        stmt = (update(_ANSWERS).where(_ANSWERS.c.id == bindparam("_id"))
                .values({c: bindparam(f"_{c}") for c in columns}))
        session.execute(stmt, [{f"_{k}": v for k, v in row.items()} for row in rows])
    session.expire_all()


def refresh_automatic(session: Session, warehouse: Warehouse, campaign: DtiCampaign,
                      forms: Sequence[DtiForm] | None = None) -> int:
    """Recompute the automatic answers of the campaign's forms (all, or those given) from the platform's data.
    A closed campaign keeps its frozen values. Returns how many answers changed."""
    if campaign.status == "closed":
        return 0
    frame = get_framework(session, campaign.framework_code)
    parsed = framework_of(frame)
    autos = {s.code: s for s in parsed.subs() if s.automatic}
    if not autos:
        return 0
    q = select(DtiForm.id, DtiForm.agency_code).where(DtiForm.campaign_id == campaign.id)
    if forms is not None:
        q = q.where(DtiForm.id.in_([f.id for f in forms]))
    form_units: dict[int, str] = {fid: code for fid, code in session.execute(q)}
    agencies = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(set(form_units.values()))))}
    key_of = {fid: _unit_key(frame.level, agencies[code]) for fid, code in form_units.items()}
    keys = {k for k in key_of.values() if k}
    values: dict[str, dict[str, AutoValue]] = {}
    for sub in autos.values():
        if sub.source.kind == "indicator":
            values[sub.code] = _from_indicator(session, sub, level=frame.level, year=campaign.year, keys=keys)
        else:
            values[sub.code] = _from_sql(session, warehouse, sub, year=campaign.year, keys=keys)
    current = session.execute(select(DtiAnswer.id, DtiAnswer.form_id, DtiAnswer.sub_code, DtiAnswer.value,
                                     DtiAnswer.score, DtiAnswer.source_text)
                              .where(DtiAnswer.form_id.in_(list(form_units)), DtiAnswer.automatic.is_(True))).all()
    changes = []
    for a in current:
        auto_sub = autos.get(a.sub_code)
        key = key_of.get(a.form_id)
        if auto_sub is None or key is None:
            continue
        auto = values[auto_sub.code].get(key, AutoValue(None, "chưa có số liệu"))
        new_score = fw.score(auto_sub, auto.value)
        if a.value != auto.value or a.score != new_score or a.source_text != auto.text:
            changes.append({"id": a.id, "value": auto.value, "score": new_score, "source_text": auto.text,
                            "review_state": "accepted"})
    _update_answers(session, changes)
    return len(changes)


# ------------------------------------------------------------------------------------------------ forms


def get_form(session: Session, *, campaign_id: int, unit: str) -> DtiForm:
    form = session.scalars(select(DtiForm).where(DtiForm.campaign_id == campaign_id, DtiForm.agency_code == unit)
                           .options(selectinload(DtiForm.answers).selectinload(DtiAnswer.files))).first()
    if form is None:
        raise NotFound(f"Đơn vị «{unit}» không có trong đợt đánh giá số {campaign_id}.")
    return form


def _form_light(session: Session, *, campaign_id: int, unit: str) -> DtiForm:
    form = session.scalars(select(DtiForm).where(DtiForm.campaign_id == campaign_id,
                                                 DtiForm.agency_code == unit)).first()
    if form is None:
        raise NotFound(f"Đơn vị «{unit}» không có trong đợt đánh giá số {campaign_id}.")
    return form


def _answer(session: Session, form: DtiForm, sub_code: str) -> DtiAnswer | None:
    return session.scalars(select(DtiAnswer).where(DtiAnswer.form_id == form.id,
                                                   DtiAnswer.sub_code == sub_code)).first()


def form_view(session: Session, warehouse: Warehouse, *, principal: Principal, campaign_id: int,
              unit: str) -> dict[str, Any]:
    """The form of one unit: each sub-indicator with its rule, value, score, evidence, review; automatic ones
    recomputed from the platform's data and locked."""
    authorize(principal, "dti.form.read", unit)
    campaign = get_campaign(session, campaign_id)
    form = get_form(session, campaign_id=campaign_id, unit=unit)
    refresh_automatic(session, warehouse, campaign, [form])
    frame = get_framework(session, campaign.framework_code)
    parsed = framework_of(frame)
    answers = {a.sub_code: a for a in form.answers}
    agency = session.get(Agency, unit)
    pillars = []
    for p in parsed.pillars:
        indices = []
        for i in p.indices:
            items = []
            for s in i.sub_indicators:
                a = answers[s.code]
                items.append(_answer_out(s, a, campaign=campaign, form=form))
            indices.append({"code": i.code, "name": i.name, "sub_indicators": items})
        pillars.append({"code": p.code, "name": p.name, "indices": indices})
    totals = unit_scores(parsed, form, closed=campaign.status == "closed")
    return {"campaign": campaign.id, "year": campaign.year, "framework": frame.code, "framework_name": frame.name,
            "level": frame.level, "unit": unit, "unit_name": agency.name if agency else unit,
            "deadline": campaign.deadline.isoformat(), "status": form.status,
            "status_label": FORM_LABELS.get(form.status, form.status), "late": form.late,
            "submitted_at": to_local(form.submitted_at).isoformat(timespec="seconds") if form.submitted_at else None,
            "campaign_status": campaign.status, "total": totals["total"], "max_points": parsed.total_points,
            "target": parsed.target, "pillar_totals": totals["pillars"], "index_totals": totals["indices"],
            "provisional": totals["provisional"], "to_fix": totals["to_fix"], "pillars": pillars}


def _answer_out(s: fw.SubIndicator, a: DtiAnswer, *, campaign: DtiCampaign, form: DtiForm) -> dict[str, Any]:
    editable = (campaign.status == "open" and not a.automatic
                and (form.status == "draft" or a.review_state == "more_evidence"))
    return {"code": s.code, "name": s.name, "points": s.points, "rule": s.rule.model_dump(mode="json"),
            "rule_text": fw.describe_rule(s), "source": s.source.kind,
            "source_label": fw.SOURCE_LABELS[s.source.kind], "basis": s.basis, "confidence": s.confidence,
            "evidence_hint": s.evidence_hint, "automatic": a.automatic, "locked": not editable,
            "value": a.value, "source_text": a.source_text, "note": a.note, "evidence": list(a.evidence or []),
            "files": [{"id": f.id, "filename": f.filename, "size": f.size, "content_type": f.content_type}
                      for f in a.files],
            "score": a.score, "final_score": final_score(a), "review_state": a.review_state,
            "review_label": REVIEW_LABELS.get(a.review_state, a.review_state), "review_score": a.review_score,
            "review_comment": a.review_comment}


def final_score(a: Any) -> float:
    """What counts: the review team's score when it adjusted one, else the rule's score for the value."""
    if a.review_state == "adjusted" and a.review_score is not None:
        return a.review_score
    return a.score or 0.0


def _answerable(session: Session, principal: Principal, campaign_id: int, unit: str,
                sub_code: str) -> tuple[DtiCampaign, DtiForm, DtiAnswer, fw.SubIndicator]:
    authorize(principal, "dti.form.answer", unit)
    campaign = get_campaign(session, campaign_id)
    form = _form_light(session, campaign_id=campaign_id, unit=unit)
    parsed = framework_of(get_framework(session, campaign.framework_code))
    sub = parsed.sub(sub_code)
    answer = _answer(session, form, sub_code)
    if sub is None or answer is None:
        raise NotFound(f"Khung {campaign.framework_code} không có chỉ số thành phần «{sub_code}».")
    if campaign.status != "open":
        raise Conflict("Đợt đánh giá đã đóng: không sửa được câu trả lời.")
    if sub.automatic:
        raise Conflict(f"Chỉ số {sub_code} được tính tự động từ dữ liệu của nền tảng: không nhập tay.")
    if form.status == "submitted" and answer.review_state != "more_evidence":
        raise Conflict("Phiếu đã nộp và bị khóa; chỉ bổ sung được chỉ số mà tổ thẩm định yêu cầu.")
    return campaign, form, answer, sub


def save_answer(session: Session, *, principal: Principal, campaign_id: int, unit: str, sub_code: str,
                value: Any, note: str = "", evidence: Sequence[dict[str, str]] = ()) -> DtiAnswer:
    """A unit answers one self-assessed sub-indicator with its evidence links."""
    _campaign, _form, answer, sub = _answerable(session, principal, campaign_id, unit, sub_code)
    checked = fw.check_value(sub, value)
    before = {"value": answer.value, "score": answer.score, "evidence": len(answer.evidence or [])}
    links = []
    for i, item in enumerate(evidence):
        url = str(item.get("url", "")).strip()
        if not url.startswith(("https://", "http://", "/")):
            raise InvalidInput(f"Minh chứng thứ {i + 1}: đường dẫn phải bắt đầu bằng https:// hoặc http://.",
                               errors=[FieldError("đường dẫn không hợp lệ", field=f"evidence[{i}].url")])
        links.append({"title": str(item.get("title", ""))[:300] or url[:300], "url": url[:1000]})
    answer.value, answer.score, answer.note = checked, fw.score(sub, checked), note[:4000]
    answer.evidence = links
    answer.updated_by, answer.updated_at = principal.actor, utcnow()
    if answer.review_state == "more_evidence":
        answer.review_state = "pending"
    session.flush()
    audit.record(session, actor=principal.actor, action="dti.answer.save", entity_type="dti_answer",
                 entity_id=answer.id, before=before,
                 after={"unit": unit, "sub": sub_code, "value": checked, "score": answer.score,
                        "evidence": len(links)})
    return answer


def add_evidence_file(session: Session, *, principal: Principal, campaign_id: int, unit: str, sub_code: str,
                      filename: str, content_type: str, data: bytes) -> DtiEvidenceFile:
    """An uploaded PDF or image as evidence of one answer."""
    _c, _f, answer, _s = _answerable(session, principal, campaign_id, unit, sub_code)
    if content_type not in FILE_TYPES:
        raise InvalidInput(f"Tệp «{filename}»: chỉ nhận PDF hoặc ảnh (PNG, JPEG, WebP).",
                           errors=[FieldError("loại tệp không được nhận", field="file")])
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"Tệp «{filename}» quá lớn (tối đa 10 MB).", errors=[FieldError("quá lớn", field="file")])
    if not data:
        raise InvalidInput(f"Tệp «{filename}» rỗng.", errors=[FieldError("tệp rỗng", field="file")])
    row = DtiEvidenceFile(answer_id=answer.id, filename=filename[:255], content_type=content_type,
                          size=len(data), data=data, uploaded_by=principal.actor)
    session.add(row)
    session.flush()
    audit.record(session, actor=principal.actor, action="dti.evidence.upload", entity_type="dti_answer",
                 entity_id=answer.id, after={"file": row.filename, "size": row.size})
    return row


def submit_form(session: Session, *, principal: Principal, campaign_id: int, unit: str,
                now: datetime | None = None) -> DtiForm:
    """Submit the form: it locks; after the deadline (local date) the submission is marked late."""
    authorize(principal, "dti.form.answer", unit)
    campaign = get_campaign(session, campaign_id)
    form = _form_light(session, campaign_id=campaign_id, unit=unit)
    if campaign.status != "open":
        raise Conflict("Đợt đánh giá đã đóng: không nộp được phiếu.")
    if form.status == "submitted":
        raise Conflict("Phiếu đã nộp.")
    at = now or utcnow()
    form.status, form.submitted_at, form.submitted_by = "submitted", at, principal.actor
    form.late = to_local(at).date() > campaign.deadline
    session.flush()
    audit.record(session, actor=principal.actor, action="dti.form.submit", entity_type="dti_form",
                 entity_id=form.id, after={"unit": unit, "late": form.late})
    return form


def submit_many(session: Session, *, principal: Principal, campaign_id: int,
                submissions: Sequence[tuple[str, datetime]]) -> int:
    """Several units' submissions at their own instants (the campaign team recording forms handed in on paper or
    by e-mail): the same rules as :func:`submit_form`, one audit row per form. Returns how many were late."""
    authorize(principal, "dti.campaign.manage")
    campaign = get_campaign(session, campaign_id)
    if campaign.status != "open":
        raise Conflict("Đợt đánh giá đã đóng: không nộp được phiếu.")
    forms = {f.agency_code: f for f in session.scalars(select(DtiForm).where(DtiForm.campaign_id == campaign.id))}
    entries = []
    late = 0
    for unit, at in submissions:
        form = forms.get(unit)
        if form is None or form.status != "draft":
            raise Conflict(f"Phiếu của «{unit}» không ở trạng thái đang soạn.")
        form.status, form.submitted_at, form.submitted_by = "submitted", at, principal.actor
        form.late = to_local(at).date() > campaign.deadline
        late += form.late
        entries.append({"actor": principal.actor, "action": "dti.form.submit", "entity_type": "dti_form",
                        "entity_id": str(form.id), "after": {"unit": unit, "late": form.late}})
    session.flush()
    audit.record_many(session, entries)
    return late


def review_answer(session: Session, *, principal: Principal, campaign_id: int, unit: str, sub_code: str,
                  score: float | None, comment: str, action: str | None = None,
                  now: datetime | None = None) -> DtiAnswer:
    """The review team accepts the self-assessed score (score None or equal), adjusts it (a different score,
    with a comment), or asks for more evidence (action ``more_evidence``, with a comment). Audited."""
    authorize(principal, "dti.review")
    campaign = get_campaign(session, campaign_id)
    if campaign.status != "open":
        raise Conflict("Đợt đánh giá đã đóng.")
    form = _form_light(session, campaign_id=campaign_id, unit=unit)
    if form.status != "submitted":
        raise Conflict("Đơn vị chưa nộp phiếu: chưa thẩm định được.")
    sub = framework_of(get_framework(session, campaign.framework_code)).sub(sub_code)
    answer = _answer(session, form, sub_code)
    if sub is None or answer is None:
        raise NotFound(f"Không có chỉ số thành phần «{sub_code}».")
    if answer.automatic:
        raise Conflict(f"Chỉ số {sub_code} được tính tự động: không thẩm định thủ công.")
    comment = (comment or "").strip()
    if action == "more_evidence":
        if not comment:
            raise InvalidInput("Cần ghi rõ minh chứng phải bổ sung.", errors=[FieldError("bắt buộc", field="comment")])
        state, new_score = "more_evidence", None
    elif score is None or abs(score - (answer.score or 0.0)) < 1e-9:
        state, new_score = "accepted", None
    else:
        if not 0 <= score <= sub.points:
            raise InvalidInput(f"Điểm thẩm định của {sub_code} phải từ 0 đến {sub.points:g}.",
                               errors=[FieldError("ngoài khoảng", field="score")])
        if not comment:
            raise InvalidInput("Điều chỉnh điểm cần ghi lý do.", errors=[FieldError("bắt buộc", field="comment")])
        state, new_score = "adjusted", round(score, 2)
    before = {"state": answer.review_state, "review_score": answer.review_score, "self_score": answer.score}
    answer.review_state, answer.review_score, answer.review_comment = state, new_score, comment[:4000]
    answer.reviewed_by, answer.reviewed_at = principal.actor, now or utcnow()
    session.flush()
    audit.record(session, actor=principal.actor, action="dti.review", entity_type="dti_answer",
                 entity_id=answer.id, before=before,
                 after={"unit": unit, "sub": sub_code, "state": state, "review_score": new_score,
                        "comment": comment})
    return answer


# ------------------------------------------------------------------------------------------------ results


def _score_rows(session: Session, campaign_id: int) -> dict[int, list[Any]]:
    """The scoring columns of every answer of a campaign by form id (no JSON columns: the hot path of rankings)."""
    out: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(select(DtiAnswer.form_id, DtiAnswer.sub_code, DtiAnswer.automatic, DtiAnswer.score,
                                      DtiAnswer.review_state, DtiAnswer.review_score).join(DtiForm)
                               .where(DtiForm.campaign_id == campaign_id)):
        out[row.form_id].append(row)
    return out


def unit_scores(parsed: fw.Framework, form: DtiForm, rows: Sequence[Any] | None = None, *,
                closed: bool = False) -> dict[str, Any]:
    """Totals per pillar and index of one form (``rows``: its answers' scoring columns, default its answers). Once
    the campaign is closed, a form never submitted keeps only its automatic points."""
    answers = {a.sub_code: a for a in (form.answers if rows is None else rows)}
    where = parsed.where()
    pillars: dict[str, float] = {p.code: 0.0 for p in parsed.pillars}
    indices: dict[str, float] = {i.code: 0.0 for p in parsed.pillars for i in p.indices}
    lost = []
    provisional = form.status != "submitted" and not closed
    for s in parsed.subs():
        a = answers.get(s.code)
        got = final_score(a) if a is not None else 0.0
        if closed and form.status != "submitted" and a is not None and not a.automatic:
            got = 0.0
        elif a is not None and not a.automatic and a.review_state in ("pending", "more_evidence"):
            provisional = True
        p_code, i_code = where[s.code]
        pillars[p_code] += got
        indices[i_code] += got
        lost.append((s.points - got, s.code, s.name))
    lost.sort(key=lambda t: (-t[0], t[1]))
    return {"total": round(sum(pillars.values()), 2), "pillars": {k: round(v, 2) for k, v in pillars.items()},
            "indices": {k: round(v, 2) for k, v in indices.items()}, "provisional": provisional,
            "to_fix": [{"code": c, "name": n, "lost": round(x, 2)} for x, c, n in lost[:3] if x > 0]}


@cache
def former_province_of() -> dict[str, str]:
    """Current commune code → name of the pre-2025 province most of its former wards belonged to (for the
    ranking «within each former-province area»), from the official conversion table."""
    from dieuhanh.geo import reference

    data = reference._data()
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for old, (new_codes, _partly) in data.ward_conversion.items():
        ward = data.legacy_wards.get(old)
        if ward is None:
            continue
        for code in new_codes:
            votes[code][ward.province_code] += 1
    out = {}
    for code, counts in votes.items():
        best = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0]
        prov = data.legacy_provinces.get(best)
        out[code] = prov.name if prov else best
    return out


def _status(total: float, target: float | None) -> str:
    if target is None:
        return "nodata"
    if total >= target:
        return "good"
    return "warning" if total >= 0.85 * target else "critical"


def results(session: Session, warehouse: Warehouse | None, *, campaign_id: int | None = None,
            level: str | None = None, public: bool = False, max_age: float | None = None) -> dict[str, Any]:
    """Scores per unit per pillar and index, ranks (overall; communes also within their former province),
    change on the previous year's campaign, what to fix, status vs the framework's target. With a warehouse
    (automatic answers refreshed first): computed once per data version of its inputs and read from memory
    otherwise (:mod:`dieuhanh.dti.versions`); callers must not change the value."""
    campaign = (session.get(DtiCampaign, campaign_id) if campaign_id is not None
                else campaign_for(session, level=level) if level in ("department", "commune") else None)
    if warehouse is None or campaign is None:
        return _results(session, warehouse, campaign_id=campaign_id, level=level, public=public)  # or its refusal
    from dieuhanh.catalog.service import warehouse_key

    codes, tables = _automatic_inputs(get_framework(session, campaign.framework_code))
    key = (str(session.get_bind().engine.url), warehouse_key(warehouse), campaign.id, campaign_id, level, public)

    def compute() -> dict[str, Any]:
        with warehouse.reading():  # one open of the warehouse for the automatic answers' queries
            return _results(session, warehouse, campaign_id=campaign_id, level=level, public=public)

    return versions.kept(session, key, today_local(), codes, tables, compute,
                         max_age=max_age or versions.TTL_SECONDS)


def keep_results_current(session: Session, warehouse: Warehouse) -> None:
    """The rankings pages' results of each level computed now if their data changed (or near the end of their
    TTL), so that a view reads them: the scheduler's job, every minute."""
    for level in ("department", "commune"):
        if campaign_for(session, level=level) is not None:
            results(session, warehouse, level=level, max_age=versions.TTL_SECONDS - 180)


_INPUTS: dict[tuple[Any, ...], tuple[tuple[str, ...], tuple[str, ...] | None]] = {}


def _automatic_inputs(frame: DtiFramework) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The indicator codes and the dataset names (None: not known, any) a framework's automatic answers read,
    per framework version."""
    from dieuhanh.indicators.service import IndicatorError

    key = (frame.code, frame.updated_at)
    found = _INPUTS.get(key)
    if found is None:
        subs = [s for s in framework_of(frame).subs() if s.automatic]
        codes = tuple(sorted({s.source.indicator for s in subs if s.source.kind == "indicator" and s.source.indicator}))
        tables: set[str] | None = set()
        for s in subs:
            if s.source.kind == "sql" and tables is not None:
                try:
                    tables |= set(referenced_tables(s.source.sql or ""))
                except IndicatorError:
                    tables = None
        found = (codes, tuple(sorted(tables)) if tables is not None else None)
        if len(_INPUTS) > 64:
            _INPUTS.clear()
        _INPUTS[key] = found
    return found


def _results(session: Session, warehouse: Warehouse | None, *, campaign_id: int | None = None,
             level: str | None = None, public: bool = False) -> dict[str, Any]:
    if campaign_id is not None:
        campaign = get_campaign(session, campaign_id)
    elif level in ("department", "commune"):
        found = campaign_for(session, level=level)
        if found is None:
            raise NotFound(f"Chưa có đợt đánh giá cấp «{fw.LEVEL_LABELS[level]}».")
        campaign = found
    else:
        raise InvalidInput("Cần campaign hoặc level=department|commune.",
                           errors=[FieldError("thiếu", field="level")])
    if public and not campaign.published:
        raise NotFound("Kết quả đợt đánh giá này chưa được công bố.")
    frame = get_framework(session, campaign.framework_code)
    if level is not None and level != frame.level:
        raise InvalidInput(f"Đợt {campaign.id} là cấp «{fw.LEVEL_LABELS[frame.level]}».",
                           errors=[FieldError("không khớp", field="level")])
    parsed = framework_of(frame)
    if warehouse is not None:
        refresh_automatic(session, warehouse, campaign)
    forms = list(session.scalars(select(DtiForm).where(DtiForm.campaign_id == campaign.id)))
    score_rows = _score_rows(session, campaign.id)
    names: dict[str, str] = {code: name for code, name in session.execute(select(Agency.code, Agency.name))}
    units = {a.code: a.unit_code for a in session.scalars(select(Agency).where(
        Agency.code.in_([f.agency_code for f in forms])))}
    areas = former_province_of() if frame.level == "commune" else {}
    previous = _previous_totals(session, frame.level, campaign.year)
    rows = []
    for form in forms:
        sc = unit_scores(parsed, form, score_rows.get(form.id, []), closed=campaign.status == "closed")
        rows.append({"unit": form.agency_code, "unit_name": names.get(form.agency_code, form.agency_code),
                     "area": areas.get(units.get(form.agency_code) or "", None), **sc,
                     "status": _status(sc["total"], parsed.target), "form_status": form.status, "late": form.late,
                     "previous": previous.get(form.agency_code),
                     "change": (round(sc["total"] - previous[form.agency_code], 2)
                                if form.agency_code in previous else None)})
    _rank(rows, "rank")
    by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["area"]:
            by_area[r["area"]].append(r)
    for group in by_area.values():
        _rank(group, "rank_in_area")
    rows.sort(key=lambda r: (r["rank"], r["unit_name"]))
    finished = campaign.status == "closed"
    return {"campaign": campaign.id, "year": campaign.year, "level": frame.level, "framework": frame.code,
            "framework_name": frame.name, "max_points": parsed.total_points, "target": parsed.target,
            "status": campaign.status, "published": campaign.published, "demo": campaign.demo,
            "partial": not finished, "as_of": None if finished else today_local().isoformat(),
            "pillars": [{"code": p.code, "name": p.name} for p in parsed.pillars],
            "indices": [{"code": i.code, "name": i.name, "pillar": p.code} for p in parsed.pillars
                        for i in p.indices],
            "results": rows}


def _rank(rows: list[dict[str, Any]], key: str) -> None:
    """Competition ranking (1, 2, 2, 4) on the total."""
    ordered = sorted(rows, key=lambda r: -r["total"])
    for i, r in enumerate(ordered):
        r[key] = i + 1 if i == 0 or r["total"] < ordered[i - 1]["total"] else ordered[i - 1][key]


def _previous_totals(session: Session, level: str, year: int) -> dict[str, float]:
    prev = campaign_for(session, level=level, year=year - 1)
    if prev is None:
        return {}
    parsed = framework_of(get_framework(session, prev.framework_code))
    forms = session.scalars(select(DtiForm).where(DtiForm.campaign_id == prev.id))
    score_rows = _score_rows(session, prev.id)
    return {f.agency_code: unit_scores(parsed, f, score_rows.get(f.id, []), closed=prev.status == "closed")["total"]
            for f in forms}


def import_answers(session: Session, *, principal: Principal, campaign_id: int,
                   rows: Sequence[dict[str, Any]]) -> int:
    """Bulk self-assessment values (the campaign team loading units' spreadsheets): ``{unit, sub, value, note,
    evidence}`` rows for open forms, validated by each sub-indicator's rule; all or none, one audit row."""
    authorize(principal, "dti.campaign.manage")
    campaign = get_campaign(session, campaign_id)
    if campaign.status != "open":
        raise Conflict("Đợt đánh giá đã đóng.")
    parsed = framework_of(get_framework(session, campaign.framework_code))
    ids = {(code, sub): aid for aid, code, sub in session.execute(
        select(DtiAnswer.id, DtiForm.agency_code, DtiAnswer.sub_code).join(DtiForm)
        .where(DtiForm.campaign_id == campaign.id, DtiForm.status == "draft"))}
    now = utcnow()
    changes = []
    for n, row in enumerate(rows, start=1):
        sub = parsed.sub(str(row.get("sub", "")))
        aid = ids.get((str(row.get("unit", "")), str(row.get("sub", ""))))
        if sub is None or aid is None or sub.automatic:
            raise InvalidInput(f"Dòng {n}: không có chỉ số tự đánh giá «{row.get('sub')}» của đơn vị "
                               f"«{row.get('unit')}» (phiếu đang soạn).",
                               errors=[FieldError("không hợp lệ", row=n, field="sub")])
        value = fw.check_value(sub, row.get("value"))
        changes.append({"id": aid, "value": value, "score": fw.score(sub, value),
                        "note": str(row.get("note", ""))[:4000], "evidence": list(row.get("evidence") or []),
                        "updated_by": principal.actor, "updated_at": now})
    _update_answers(session, changes)
    audit.record(session, actor=principal.actor, action="dti.answer.import", entity_type="dti_campaign",
                 entity_id=campaign.id, after={"rows": len(rows)})
    return len(rows)


def accept_remaining(session: Session, *, principal: Principal, campaign_id: int,
                     units: Sequence[str] | None = None) -> int:
    """The review team accepts every self-assessed score still pending in submitted forms (of some units or all):
    the scores they did not adjust stand. One audit row; returns how many were accepted."""
    authorize(principal, "dti.review")
    campaign = get_campaign(session, campaign_id)
    if campaign.status != "open":
        raise Conflict("Đợt đánh giá đã đóng.")
    q = (select(DtiAnswer).join(DtiForm).where(DtiForm.campaign_id == campaign.id, DtiForm.status == "submitted",
                                               DtiAnswer.automatic.is_(False), DtiAnswer.review_state == "pending"))
    if units is not None:
        q = q.where(DtiForm.agency_code.in_(list(units)))
    now = utcnow()
    ids = list(session.scalars(q.with_only_columns(DtiAnswer.id)))
    _update_answers(session, [{"id": i, "review_state": "accepted", "reviewed_by": principal.actor,
                               "reviewed_at": now} for i in ids])
    audit.record(session, actor=principal.actor, action="dti.review.accept_remaining", entity_type="dti_campaign",
                 entity_id=campaign.id, after={"units": list(units) if units is not None else None,
                                               "accepted": len(ids)})
    return len(ids)
