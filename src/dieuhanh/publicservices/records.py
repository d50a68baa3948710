"""The other inputs of the Decision 766 profile: petitions on procedures (PAKN, rules 5.1–5.3), electronic
certified copies per commune and month (rule 4.2b), and the national ranking of the provinces (imported).

Same rules as procedures and dossiers (service.py): every record of a request is validated first, one invalid
record rejects the whole request (errors ``{index, field, message}``); a version whose ``NgayCapNhat`` is older
than the stored one is skipped; a token with an agency only sends its agency's records.

PAKN also come from the citizen-reports module: a report whose category is "thủ tục hành chính" or "cán bộ,
công chức" counts as a PAKN (``report_petitions``), with the reference's deadlines (15/2/5/2 working days).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import FieldError, InvalidInput
from dieuhanh.core.periods import Period
from dieuhanh.core.periods import parse as parse_period
from dieuhanh.core.security import Principal, authorize
from dieuhanh.publicservices import service as ps
from dieuhanh.publicservices.calendar import WorkingCalendar
from dieuhanh.publicservices.models import CertifiedCopy, Petition, ProvinceRanking
from dieuhanh.publicservices.rules import Profile

PHAN_LOAI = ("tthc", "canbo")
PETITION_FIELDS = ("MaPAKN", "MaCoQuan", "MaDonViHanhChinh", "PhanLoai", "NgayTiepNhan", "HanXuLy", "NgayXuLy",
                   "TrangThai", "DanhGia", "CongKhai", "NgayCapNhat")
COPY_FIELDS = ("MaDonViHanhChinh", "Thang", "CoCungCap", "NgayCapNhat")
# Categories of citizen reports that are PAKN on procedures (names matched without case or diacritics).
REPORT_CATEGORIES = {"thutuchanhchinh": "tthc", "canbocongchuc": "canbo", "canbo": "canbo", "tthc": "tthc"}


Result = ps.UpsertResult  # received, inserted, updated, unchanged, skipped_older (as for dossiers)


def _fields(record: Any, names: Sequence[str], errors: ps._Errors, i: int) -> dict[str, Any] | None:
    if not isinstance(record, dict):
        errors.add(i, "", "Mỗi phần tử phải là một đối tượng JSON (các cặp tên trường: giá trị).")
        return None
    keys = {ps._norm_key(n): n for n in names}
    return {keys[k]: v for k, v in ((ps._norm_key(k), v) for k, v in record.items()) if k in keys}


def _date(core: dict[str, Any], name: str, errors: ps._Errors, i: int, *, required: bool = False) -> datetime | None:
    value = ps._field(errors, i, name, ps.parse_datetime, core.get(name))
    if value is None and required and ps._text(core.get(name)) is None:
        errors.add(i, name, f"Thiếu trường bắt buộc {name}.")
    return value


def _apply(session: Session, model: Any, key_cols: Sequence[str], rows: list[dict[str, Any]],
           result: Result) -> None:
    """Insert new rows in bulk; update changed ones unless older (``ngay_cap_nhat``)."""
    cols = [getattr(model, c) for c in key_cols]
    existing: dict[tuple[Any, ...], Any] = {}
    first = cols[0]
    firsts = sorted({r[key_cols[0]] for r in rows})
    for start in range(0, len(firsts), 500):
        for old in session.scalars(select(model).where(first.in_(firsts[start:start + 500]))):
            existing[tuple(getattr(old, c) for c in key_cols)] = old
    new = []
    now = utcnow()
    for row in rows:
        old = existing.get(tuple(row[c] for c in key_cols))
        if old is None:
            new.append({**row, "updated_at": now})
            result.inserted += 1
            continue
        if row.get("ngay_cap_nhat") and old.ngay_cap_nhat and row["ngay_cap_nhat"] < old.ngay_cap_nhat:
            result.skipped_older += 1
            continue
        if all(getattr(old, k) == v for k, v in row.items()):
            result.unchanged += 1
            continue
        for k, v in row.items():
            setattr(old, k, v)
        old.updated_at = now
        result.updated += 1
    if new:
        session.execute(insert(model), new)
    session.flush()


def upsert_petitions(session: Session, records: list[Any], *, principal: Principal, province_code: str,
                     max_records: int | None = ps.MAX_RECORDS) -> Result:
    """Upsert PAKN by ``MaPAKN`` (all valid or nothing)."""
    ps._check_size(records, max_records)
    authorize(principal, "publicservices.sync", None)
    ctx = ps._context(session, province_code)
    errors = ps._Errors()
    rows: dict[str, dict[str, Any]] = {}
    for i, record in enumerate(records):
        core = _fields(record, PETITION_FIELDS, errors, i)
        if core is None:
            continue
        before = errors.count
        row: dict[str, Any] = {"ma_pakn": ps._required_text(core, "MaPAKN", errors, i, 100),
               "ma_co_quan": ps._required_text(core, "MaCoQuan", errors, i, 40)}
        unit = ps._text(core.get("MaDonViHanhChinh"))
        row["ma_don_vi_hanh_chinh"] = None if unit is None else ps._field(errors, i, "MaDonViHanhChinh",
                                                                          ctx.resolve_unit, unit)
        kind = ps._field(errors, i, "PhanLoai", ps._enum, core.get("PhanLoai"), PHAN_LOAI, "Phân loại PAKN")
        if kind is None and ps._text(core.get("PhanLoai")) is None:
            errors.add(i, "PhanLoai", "Thiếu trường bắt buộc PhanLoai (tthc | canbo).")
        row["phan_loai"] = kind
        row["ngay_tiep_nhan"] = _date(core, "NgayTiepNhan", errors, i, required=True)
        row["han_xu_ly"] = _date(core, "HanXuLy", errors, i)
        row["ngay_xu_ly"] = _date(core, "NgayXuLy", errors, i)
        row["ngay_cap_nhat"] = _date(core, "NgayCapNhat", errors, i)
        row["trang_thai"] = ps._optional_text(core, "TrangThai", errors, i, 40)
        row["danh_gia"] = ps._field(errors, i, "DanhGia", ps._enum, core.get("DanhGia"), ps.DANH_GIA, "Đánh giá")
        row["cong_khai"] = ps._flag(core, "CongKhai", errors, i)
        if (row["ngay_xu_ly"] is not None and row["ngay_tiep_nhan"] is not None
                and row["ngay_xu_ly"] < row["ngay_tiep_nhan"]):
            errors.add(i, "NgayXuLy", "NgayXuLy trước NgayTiepNhan.")
        ps._check_agency(ctx, principal, errors, i, row["ma_co_quan"])
        if errors.count == before:
            rows[row["ma_pakn"]] = row
    ps._raise(errors, "PAKN")
    result = Result(received=len(records))
    _apply(session, Petition, ("ma_pakn",), list(rows.values()), result)
    audit.record(session, actor=principal.actor, action="publicservices.push_petitions", entity_type="ps_petition",
                 entity_id="*", after=result.as_dict())
    return result


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def upsert_certified_copies(session: Session, records: list[Any], *, principal: Principal, province_code: str,
                            max_records: int | None = ps.MAX_RECORDS) -> Result:
    """Upsert, per commune and month, whether electronic certified copies were provided (all valid or nothing).
    Commune data: admins and tokens without an agency, or the commune People's Committee's own token."""
    from dieuhanh.orgs.models import Agency

    ps._check_size(records, max_records)
    authorize(principal, "publicservices.sync", None)
    ctx = ps._context(session, province_code)
    errors = ps._Errors()
    own = (session.scalar(select(Agency.unit_code).where(Agency.code == principal.agency_code))
           if principal.agency_code else None)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for i, record in enumerate(records):
        core = _fields(record, COPY_FIELDS, errors, i)
        if core is None:
            continue
        before = errors.count
        unit = ps._text(core.get("MaDonViHanhChinh"))
        code = None if unit is None else ps._field(errors, i, "MaDonViHanhChinh", ctx.resolve_unit, unit)
        if unit is None:
            errors.add(i, "MaDonViHanhChinh", "Thiếu trường bắt buộc MaDonViHanhChinh (mã xã, phường).")
        elif code is None and errors.count == before:
            errors.add(i, "MaDonViHanhChinh", "MaDonViHanhChinh phải là một xã, phường (không phải mã tỉnh).")
        month = ps._text(core.get("Thang"))
        m = _MONTH.match(month or "")
        if m is None or not 1 <= int(m.group(2)) <= 12:
            errors.add(i, "Thang", f"Thang «{month or ''}» không hợp lệ: dùng yyyy-mm (ví dụ 2026-11).")
        if principal.agency_code and not principal.has_role("admin") and code is not None and code != own:
            errors.forbidden += 1
            errors.add(i, "MaDonViHanhChinh", "Mã truy cập này chỉ được gửi số liệu của xã mình.")
        row = {"ma_don_vi_hanh_chinh": code, "thang": month, "co_cung_cap": ps._flag(core, "CoCungCap", errors, i),
               "ngay_cap_nhat": _date(core, "NgayCapNhat", errors, i)}
        if errors.count == before:
            rows[(str(code), str(month))] = row
    ps._raise(errors, "bản ghi")
    result = Result(received=len(records))
    _apply(session, CertifiedCopy, ("ma_don_vi_hanh_chinh", "thang"), list(rows.values()), result)
    audit.record(session, actor=principal.actor, action="publicservices.push_certified_copies",
                 entity_type="ps_certified_copy", entity_id="*", after=result.as_dict())
    return result


# ------------------------------------------------------------------------------------------------ ranking

RANKING_COLUMNS = {"kỳ": "period", "ky": "period", "period": "period", "matinh": "ma_tinh", "tentinh": "ten_tinh",
                   "tongdiem": "tong_diem", "total": "tong_diem"}


def import_ranking(session: Session, path: Path, *, principal: Principal, max_bytes: int = 1 << 26) -> int:
    """The portal's published table (CSV/XLSX/JSON: Ky, MaTinh, TenTinh, TongDiem, Nhom1…Nhom6) replaces the
    ranking of each period it holds. All or nothing; errors name the row and column."""
    authorize(principal, "publicservices.sync", None)
    rows: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for records, first_row in ps._file_chunks(path, max_bytes=max_bytes, chunk=1000):
        for k, rec in enumerate(records):
            row_no = first_row + k
            norm = {ps._norm_key(key): v for key, v in rec.items()}
            out: dict[str, Any] = {"nhom": {}}

            def bad(col: str, msg: str, row_no: int = row_no) -> None:
                errors.append(FieldError(message=msg, field=col, column=col, row=row_no))

            period = str(norm.get("ky") or norm.get("period") or "").strip()
            try:
                parse_period(period)
                out["period"] = period
            except InvalidInput:
                bad("Ky", f"Kỳ «{period}» không hợp lệ (2026-11, 2026-Q3 hoặc 2026).")
            out["ma_tinh"] = str(norm.get("matinh") or "").strip()
            out["ten_tinh"] = str(norm.get("tentinh") or "").strip()
            if not out["ma_tinh"]:
                bad("MaTinh", "Thiếu MaTinh.")
            if not out["ten_tinh"]:
                bad("TenTinh", "Thiếu TenTinh.")
            for col, key, target in [("TongDiem", "tongdiem", None), *((f"Nhom{g}", f"nhom{g}", str(g))
                                                                     for g in range(1, 7))]:
                raw = norm.get(key)
                if raw in (None, "") and target is not None:
                    continue
                try:
                    value = float(str(raw).replace(",", "."))
                    if not 0 <= value <= 100:
                        raise ValueError
                except ValueError:
                    bad(col, f"{col} «{raw}» phải là số từ 0 đến 100.")
                    continue
                if target is None:
                    out["tong_diem"] = value
                else:
                    out["nhom"][target] = value
            rows.append(out)
    if errors:
        first = "; ".join(f"dòng {e.row}, cột {e.column}: {e.message}" for e in errors[:3])
        raise InvalidInput(f"Tệp xếp hạng không hợp lệ: {len(errors)} lỗi ({first}). Không có dòng nào được lưu.",
                           errors=errors[:ps.MAX_REPORTED_ERRORS])
    if not rows:
        raise InvalidInput("Tệp xếp hạng không có dòng nào.")
    store_ranking(session, rows)
    audit.record(session, actor=principal.actor, action="publicservices.import_ranking",
                 entity_type="ps_province_ranking", entity_id=path.name, after={"rows": len(rows)})
    return len(rows)


def store_ranking(session: Session, rows: list[dict[str, Any]]) -> None:
    """Replace the ranking of each period in ``rows`` (period, ma_tinh, ten_tinh, tong_diem, nhom)."""
    for period in {r["period"] for r in rows}:
        session.execute(delete(ProvinceRanking).where(ProvinceRanking.period == period))
    seen: set[tuple[str, str]] = set()
    for r in rows:
        if (r["period"], r["ma_tinh"]) in seen:
            raise InvalidInput(f"Tỉnh {r['ma_tinh']} lặp trong kỳ {r['period']}.")
        seen.add((r["period"], r["ma_tinh"]))
        session.add(ProvinceRanking(**r))
    session.flush()


def ranking(session: Session, *, period: str | None, province_code: str,
            group_names: dict[str, str] | None = None) -> dict[str, Any]:
    """The provinces' published scores for a period (default: the latest imported), ranked, with this
    province's rank and its gap to the first province and to the average of the provinces, in total and per group
    (``groups``: name, this province's score, the leader's name and score, the average, both gaps). Published
    data: anyone."""
    if period:
        parse_period(period)
    else:
        period = latest_ranking_period(session)
        if period is None:
            return {"period": None, "items": [], "province": None, "rank": None, "count": 0, "groups": [],
                    "gap_to_first": None, "gap_to_average": None}
    items = list(session.scalars(select(ProvinceRanking).where(ProvinceRanking.period == period)))
    items.sort(key=lambda r: (-r.tong_diem, r.ten_tinh))
    out: list[dict[str, Any]] = []
    rank = 0
    last: float | None = None
    for i, r in enumerate(items, start=1):
        if last is None or r.tong_diem != last:
            rank, last = i, r.tong_diem
        out.append({"rank": rank, "ma_tinh": r.ma_tinh, "ten_tinh": r.ten_tinh, "tong_diem": r.tong_diem,
                    "nhom": r.nhom or {}, "this_province": r.ma_tinh == province_code})
    mine = next((x for x in out if x["this_province"]), None)
    names = group_names or {}
    groups: list[dict[str, Any]] = []
    gaps = averages = None
    if out:
        lines = [("tong_diem", "Tổng điểm", {x["ma_tinh"]: float(x["tong_diem"]) for x in out})]
        for g in sorted({g for x in out for g in (x["nhom"] or {})}):
            values = {x["ma_tinh"]: float(x["nhom"][g]) for x in out if x["nhom"].get(g) is not None}
            lines.append((f"nhom_{g}", names.get(g, f"Nhóm {g}"), values))
        by_code = {x["ma_tinh"]: x["ten_tinh"] for x in out}
        for key, name, values in lines:
            leader = min(values, key=lambda c: (-values[c], by_code[c]))
            average = sum(values.values()) / len(values)
            own = values.get(province_code)
            groups.append({
                "key": key, "code": key.removeprefix("nhom_") if key != "tong_diem" else None, "name": name,
                "score": own, "leader": by_code[leader], "leader_code": leader, "leader_score": values[leader],
                "average": round(average, 2), "count": len(values),
                "rank": None if own is None else 1 + sum(v > own for v in values.values()),
                "gap_to_first": None if own is None else round(values[leader] - own, 2),
                "gap_to_average": None if own is None else round(own - average, 2)})
        if mine is not None:
            gaps = {g["key"]: g["gap_to_first"] for g in groups}
            averages = {g["key"]: g["gap_to_average"] for g in groups}
    return {"period": period, "count": len(out), "items": out, "province": province_code,
            "rank": mine["rank"] if mine else None, "gap_to_first": gaps, "gap_to_average": averages,
            "groups": groups if mine is not None else []}


def latest_ranking_period(session: Session) -> str | None:
    return session.scalar(select(ProvinceRanking.period).order_by(ProvinceRanking.period.desc()).limit(1))


def ranking_periods(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(ProvinceRanking.period).distinct())))


# ------------------------------------------------------------------------------------------------ counts


def report_petitions(session: Session, calendar: WorkingDays, deadlines: dict[str, int]
                     ) -> list[dict[str, Any]]:
    """Citizen reports (feedback module) on procedures or officials, as PAKN rows with the reference's deadlines
    (working days after the day of receipt, end of that day): a rejected report must be rejected within
    ``tu_choi`` (2) days, any other answered within ``xu_ly`` (15); the feedback module's own deadline (hours of
    its category) does not count. The public answer is published when given (công khai: met by construction); the
    module has no supplement request (``yeu_cau_bo_sung``). A report reopened by its citizen is "phản ánh lại"
    (not counted as satisfied in 5.3); a merged duplicate is not a PAKN of its own."""
    from dieuhanh.feedback.models import Category, Report

    kinds: dict[str, str] = {}
    for code, name, group in session.execute(select(Category.service_code, Category.name, Category.group)):
        for text_ in (name, group, code):
            kind = REPORT_CATEGORIES.get(ps._norm_key(text_ or ""))
            if kind:
                kinds[code] = kind
                break
    if not kinds:
        return []
    out: list[dict[str, Any]] = []
    from dieuhanh.core.formatting import LOCAL_TZ

    def local(v: datetime | None) -> datetime | None:  # naive UTC (operational database) → naive local
        return None if v is None else v + _utc_offset(LOCAL_TZ, v)

    rows = session.execute(select(Report.agency_code, Report.unit_code, Report.category_code, Report.created_at,
                                  Report.status, Report.resolved_at, Report.closed_at, Report.rating,
                                  Report.reopened_count)
                           .where(Report.category_code.in_(list(kinds)), Report.duplicate_of_id.is_(None)))
    for agency, unit, category, created, status, resolved, closed, rating, reopened in rows:
        received = local(created)
        assert received is not None
        rejected = status == "rejected"
        days = deadlines["tu_choi"] if rejected else deadlines["xu_ly"]
        out.append({"ma_co_quan": agency, "ma_don_vi_hanh_chinh": unit, "phan_loai": kinds[category],
                    "ngay_tiep_nhan": received, "han_xu_ly": _plus_working(calendar, received, days),
                    "ngay_xu_ly": local(closed if rejected else (resolved or closed)),
                    "danh_gia": {"satisfied": "hai_long", "unsatisfied": "khong_hai_long"}.get(rating or ""),
                    "phan_anh_lai": bool(reopened), "publish_due": None})
    return out


def petition_deadlines(profile: Profile) -> dict[str, int]:
    """The PAKN deadlines in working days (reference: xử lý 15, từ chối 2, yêu cầu bổ sung 5, công khai 2)."""
    given = profile.param("petition_deadlines", {}) or {}
    return {k: int(given.get(k, default)) for k, default in
            (("xu_ly", 15), ("tu_choi", 2), ("yeu_cau_bo_sung", 5), ("cong_khai", 2))}


# A pushed PAKN's TrangThai (without case or diacritics) → the step whose deadline applies.
PETITION_STEPS = {"tuchoi": "tu_choi", "khongtiepnhan": "tu_choi", "yeucaubosung": "yeu_cau_bo_sung",
                  "bosung": "yeu_cau_bo_sung"}


def pushed_petition(p: Any, calendar: WorkingDays, deadlines: dict[str, int]) -> dict[str, Any]:
    """A pushed PAKN as a row: rejected (TrangThai tu_choi) within 2 working days of receipt, a supplement asked
    (yeu_cau_bo_sung) within 5, otherwise answered by HanXuLy (given) or within 15; an answered PAKN not published
    (CongKhai = 0) is late once 2 working days have passed after its answer."""
    step = _step(p.trang_thai or "")
    if step == "xu_ly":
        due = p.han_xu_ly or _plus_working(calendar, p.ngay_tiep_nhan, deadlines["xu_ly"])
    else:
        due = _plus_working(calendar, p.ngay_tiep_nhan, deadlines[step])
    publish_due = None
    if step == "xu_ly" and p.ngay_xu_ly is not None and not p.cong_khai:
        publish_due = _plus_working(calendar, p.ngay_xu_ly, deadlines["cong_khai"])
    return {"ma_co_quan": p.ma_co_quan, "ma_don_vi_hanh_chinh": p.ma_don_vi_hanh_chinh, "phan_loai": p.phan_loai,
            "ngay_tiep_nhan": p.ngay_tiep_nhan, "han_xu_ly": due, "ngay_xu_ly": p.ngay_xu_ly,
            "danh_gia": p.danh_gia, "phan_anh_lai": False, "publish_due": publish_due}


@lru_cache(maxsize=256)
def _step(trang_thai: str) -> str:
    return PETITION_STEPS.get(ps._norm_key(trang_thai), "xu_ly")


def _utc_offset(tz: Any, v: datetime) -> timedelta:
    from datetime import UTC

    offset = v.replace(tzinfo=UTC).astimezone(tz).utcoffset()
    return offset or timedelta(0)


class WorkingDays:
    """The calendar's working days as a sorted list, extended on demand: deadlines ``n`` working days after a
    date by bisection (thousands of PAKN per recomputation)."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.first: date | None = None
        self.last: date | None = None
        self.days: list[date] = []

    def plus(self, start: datetime, n: int) -> datetime:
        """The end (23:59:59) of the ``n``-th working day after ``start``'s date."""
        d = start.date()
        need = d + timedelta(days=n * 2 + 30)
        if self.first is None or self.last is None or d < self.first or need > self.last:
            first = min(d, self.first or d) - timedelta(days=1)
            last = max(need, self.last or need) + timedelta(days=366)
            self.days = [day for day, working, _i in self.calendar.rows(first, last) if working]
            self.first, self.last = first, last
        k = bisect_right(self.days, d)
        day = self.days[min(k + max(n, 1), len(self.days)) - 1]
        return datetime(day.year, day.month, day.day, 23, 59, 59)


def _plus_working(days: WorkingDays, start: datetime, n: int) -> datetime:
    return days.plus(start, n)


def side_counts(session: Session, *, periods: Sequence[Period], province_code: str, as_of: datetime,
                profile: Profile, calendar: WorkingCalendar) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Per (period, scope, unit): PAKN counts (``pk_den``, ``pk_ontime``, ``pk_ok``, ``pk_tthc``) and certified
    copies (``cc_den`` communes, ``cc_num`` providing in a month of the period)."""
    from dieuhanh.geo import reference
    from dieuhanh.orgs.models import Agency

    deadlines = petition_deadlines(profile)
    working = WorkingDays(calendar)
    columns = (Petition.ma_co_quan, Petition.ma_don_vi_hanh_chinh, Petition.phan_loai, Petition.ngay_tiep_nhan,
               Petition.han_xu_ly, Petition.ngay_xu_ly, Petition.trang_thai, Petition.cong_khai, Petition.danh_gia)
    petitions = [pushed_petition(p, working, deadlines) for p in session.execute(select(*columns))]
    petitions += report_petitions(session, working, deadlines)
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    commune_agency: dict[str, str] = {}
    departments: list[str] = []
    for code, unit, kind in session.execute(select(Agency.code, Agency.unit_code, Agency.kind)):
        if kind == "commune" and unit:
            commune_agency[unit] = code
        else:
            departments.append(code)
    # Each PAKN counts in the periods containing its receipt (its month, quarter, year), judged at each one's end.
    pakn: dict[tuple[str, str, str], list[int]] = {}
    bounds = {}
    for p in periods:
        start = datetime(p.start.year, p.start.month, p.start.day)
        end = min(datetime(p.end.year, p.end.month, p.end.day), as_of)
        if end > start:
            bounds[p.code] = (start, end)
    for pk in petitions:
        r = pk["ngay_tiep_nhan"]
        for code in (f"{r.year:04d}", f"{r.year:04d}-Q{(r.month - 1) // 3 + 1}", f"{r.year:04d}-{r.month:02d}"):
            if code not in bounds:
                continue
            start, end = bounds[code]
            if not start <= r < end:
                continue
            done = pk["ngay_xu_ly"] if pk["ngay_xu_ly"] is not None and pk["ngay_xu_ly"] < end else None
            on_time = done <= pk["han_xu_ly"] if done is not None else pk["han_xu_ly"] >= end
            if pk["publish_due"] is not None and pk["publish_due"] < end:
                on_time = False  # answered, not published within the deadline
            ok = on_time and pk["danh_gia"] != "khong_hai_long" and not pk["phan_anh_lai"]
            keys = [(code, "province", province_code), (code, "agency", pk["ma_co_quan"])]
            if pk["ma_don_vi_hanh_chinh"]:
                keys.append((code, "commune", pk["ma_don_vi_hanh_chinh"]))
            tthc = pk["phan_loai"] == "tthc"
            for key in keys:
                acc4 = pakn.get(key)
                if acc4 is None:
                    acc4 = pakn[key] = [0, 0, 0, 0]
                acc4[0] += 1
                acc4[1] += on_time
                acc4[2] += ok
                acc4[3] += tthc
    for key, (den, on, good, tthc_n) in pakn.items():
        out.setdefault(key, {}).update(pk_den=den, pk_ontime=on, pk_ok=good, pk_tthc=tthc_n)
    copies = list(session.execute(select(CertifiedCopy.ma_don_vi_hanh_chinh, CertifiedCopy.thang,
                                         CertifiedCopy.co_cung_cap)))
    if copies:
        communes = [u.code for u in reference.communes_of(province_code)]
        provided: dict[str, set[str]] = {}
        for unit, month, flag in copies:
            if flag:
                provided.setdefault(month, set()).add(unit)
        for p in periods:
            months = [f"{d.year:04d}-{d.month:02d}" for d in _months(p.start, min(p.last_day, as_of.date()))]
            units = set().union(*(provided.get(m, set()) for m in months)) if months else set()
            out.setdefault((p.code, "province", province_code), {}).update(
                cc_den=len(communes), cc_num=len(units & set(communes)))
            for c in communes:
                vals = {"cc_den": 1, "cc_num": int(c in units)}
                out.setdefault((p.code, "commune", c), {}).update(vals)
                if c in commune_agency:
                    out.setdefault((p.code, "agency", commune_agency[c]), {}).update(vals)
            for code in departments:  # a department issues no certified copies: the rule does not apply
                out.setdefault((p.code, "agency", code), {})["cc_scope"] = 1
    return out


def _months(first: date, last: date) -> list[date]:
    out = []
    d = date(first.year, first.month, 1)
    while d <= last:
        out.append(d)
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out
