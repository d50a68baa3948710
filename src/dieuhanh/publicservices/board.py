"""What the public-services board shows, read from the engine's results (warehouse dataset ``tthc_chi_so_766``).

No HTTP here: views.py renders these. Scores are never recomputed: the board reads what the engine stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core import formatting
from dieuhanh.core.errors import InvalidInput, NotFound, PermissionDenied
from dieuhanh.core.meta import get_meta
from dieuhanh.core.periods import KIND_LABELS
from dieuhanh.core.periods import parse as parse_period
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.geo import reference
from dieuhanh.orgs.models import Agency
from dieuhanh.publicservices import compute
from dieuhanh.publicservices.compute import RESULTS

SCOPE_LABELS = {"province": "Toàn tỉnh", "agency": "Cơ quan, đơn vị", "commune": "Xã, phường"}
PERIOD_KINDS = KIND_LABELS
DEMO_META_KEY = "publicservices.demo"
# A unit is flagged on the board when its total, as a share of the points covered, is this far (10 points of
# percentage) below the province's share for the same period.
WEAK_GAP = 0.10


@dataclass
class UnitScores:
    period: str
    scope: str
    unit: str
    name: str
    total: float | None = None
    covered: float = 0.0
    max_total: float = 100.0
    groups: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    partial: bool = False
    as_of_text: str = ""
    profile_code: str = ""
    profile_name: str = ""
    gains: list[dict[str, Any]] = field(default_factory=list)  # where the most points are missing

    @property
    def share(self) -> float | None:
        """The total as a share of the points covered (0–1)."""
        return None if self.total is None or not self.covered else self.total / self.covered


def is_demo(session: Session) -> bool:
    return get_meta(session, DEMO_META_KEY) is not None


def demo_note(session: Session) -> str | None:
    return get_meta(session, DEMO_META_KEY)


def _has_results(warehouse: Warehouse) -> bool:
    return warehouse.table_exists(RESULTS)


def period_label(code: str) -> str:
    return formatting.period_label(code)


def periods(warehouse: Warehouse, kind: str | None = None) -> list[str]:
    """Periods with received dossiers in the province, newest last."""
    if not _has_results(warehouse):
        return []
    sql = (f"SELECT period FROM {RESULTS} WHERE scope = 'province' AND indicator_code = '3.3' "
           "AND denominator > 0" + (" AND period_type = ?" if kind else "") + " ORDER BY period")
    rows = warehouse.query(sql, [kind] if kind else None).column(0).to_pylist()
    # "2025" sorts before "2025-01": order by start, then by length (year, quarter, month).
    return sorted({str(r) for r in rows}, key=lambda c: (parse_period(c).start, -len(c)))


def default_period(warehouse: Warehouse, kind: str = "month", as_of: Any = None) -> str | None:
    """The latest *complete* period of the kind (a period not ended yet is "tạm tính"; it is shown only when no
    complete period exists)."""
    items = periods(warehouse, kind)
    as_of = as_of or compute.local_now()
    complete = [p for p in items if not compute.is_partial(parse_period(p), as_of)]
    return complete[-1] if complete else (items[-1] if items else None)


def unit_names(session: Session, province_code: str) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    province = reference.get_province(province_code)
    names[("province", province_code)] = province.full_name if province else province_code
    for c in reference.communes_of(province_code):
        names[("commune", c.code)] = c.name
    for code, name in session.execute(select(Agency.code, Agency.name)):
        names[("agency", code)] = name
    return names


def check_scope(principal: Principal, scope: str, unit: str, session: Session) -> None:
    """Officers see their own agency (and, for a commune People's Committee, its commune) only."""
    authorize(principal, "publicservices.read")
    if scope not in SCOPE_LABELS:
        raise InvalidInput("Phạm vi phải là province, agency hoặc commune.")
    if principal.has_role("officer"):
        own = principal.agency_code
        commune = session.scalar(select(Agency.unit_code).where(Agency.code == own)) if own else None
        if not ((scope == "agency" and unit == own) or (scope == "commune" and commune and unit == commune)):
            raise PermissionDenied("Cán bộ cơ quan chỉ xem được chỉ số của cơ quan mình.")


def unit_scores(warehouse: Warehouse, *, period: str, scope: str, unit: str, name: str,
                as_of: Any = None) -> UnitScores:
    out = UnitScores(period=period, scope=scope, unit=unit, name=name)
    if as_of is not None and compute.is_partial(parse_period(period), as_of):
        out.partial, out.as_of_text = True, compute.partial_label(as_of)
    if not _has_results(warehouse):
        return out
    rows = warehouse.query(
        f"SELECT indicator_code, kind, group_code, numerator, denominator, ratio, score, max_score, covered_points "
        f"FROM {RESULTS} WHERE period = ? AND scope = ? AND unit_code = ?", [period, scope, unit]).to_pylist()
    by_code = {r["indicator_code"]: r for r in rows}
    profile = compute.stored_profile(warehouse)
    out.profile_code, out.profile_name = profile.code, profile.name
    total = by_code.get("tong")
    if total:
        out.total = total["score"]
        out.covered = float(total["covered_points"] or 0)
        out.max_total = float(total["max_score"] or profile.total_max)
    for g in profile.groups:
        r = by_code.get(f"nhom_{g.code}") or {}
        out.groups.append({"code": g.code, "name": g.name, "score": r.get("score"), "max_score": g.max_score,
                           "covered": r.get("covered_points") or 0.0,
                           "indicators": []})
    groups = {g["code"]: g for g in out.groups}
    for rule in profile.rules:
        r = by_code.get(rule.code) or {}
        item = {"code": rule.code, "name": rule.name, "group": rule.group, "numerator": r.get("numerator"),
                "denominator": r.get("denominator"), "ratio": r.get("ratio"), "score": r.get("score"),
                "max_score": rule.max_score, "rule_text": rule.rule_text, "source": rule.source,
                "scored": rule.max_score > 0, "informational": rule.max_score == 0,
                "percent": rule.unit == "%", "choice": rule.choice,
                "status": compute.rule_status(r, bool(rows)),
                "list": rule.measure not in compute.NO_LIST_MEASURES}
        out.indicators.append(item)
        groups[rule.group]["indicators"].append(item)
    out.gains = compute.gains(out.indicators)
    return out


def ranking(warehouse: Warehouse, *, period: str, scope: str, names: dict[tuple[str, str], str],
            agency_kinds: dict[str, str] | None = None, reference_share: float | None = None) -> list[dict[str, Any]]:
    """Every unit of a scope with dossiers received in the period: total, groups and the key ratios."""
    if not _has_results(warehouse):
        return []
    rows = warehouse.query(
        f"SELECT unit_code, indicator_code, denominator, ratio, score, covered_points FROM {RESULTS} "
        f"WHERE period = ? AND scope = ? AND indicator_code IN ('tong', 'nhom_1', 'nhom_2', 'nhom_3', 'nhom_4', "
        f"'nhom_5', 'nhom_6', '2.1', '3.3', '3.6', '4.2')", [period, scope]).to_pylist()
    units: dict[str, dict[str, Any]] = {}
    for r in rows:
        u = units.setdefault(str(r["unit_code"]), {"unit": str(r["unit_code"])})
        code = r["indicator_code"]
        if code == "tong":
            u["total"] = r["score"]
            u["covered"] = r["covered_points"]
        elif code.startswith("nhom_"):
            u[code] = r["score"]
        else:
            u[f"r{code}"] = r["ratio"]
            if code == "3.3":
                u["received"] = r["denominator"] or 0
            if code == "2.1":
                u["handled"] = r["denominator"] or 0
    out = []
    for u in units.values():
        if not u.get("received") and not u.get("handled"):
            continue  # nothing to handle in the period (e.g. an agency with procedures only)
        if scope == "agency" and agency_kinds is not None and agency_kinds.get(u["unit"]) == "commune":
            continue  # commune People's Committees are ranked as communes
        u["name"] = names.get((scope, u["unit"]), u["unit"])
        covered = u.get("covered") or 0
        u["share"] = (u["total"] / covered) if u.get("total") is not None and covered else None
        u["weak"] = (u["share"] is not None and reference_share is not None
                     and u["share"] < reference_share - WEAK_GAP)
        out.append(u)
    out.sort(key=lambda u: (-(u.get("total") or -1), u["name"]))
    for i, u in enumerate(out, start=1):
        u["rank"] = i
    return out


def trend(warehouse: Warehouse, *, scope: str, unit: str, until: str | None = None,
          months: int = 48) -> dict[str, list[Any]]:
    """Monthly total score and the key ratios of one unit (the months with received dossiers)."""
    if not _has_results(warehouse):
        return {"labels": [], "total": [], "r2.1": [], "r3.3": [], "r3.6": []}
    rows = warehouse.query(
        f"SELECT period, indicator_code, ratio, score, denominator FROM {RESULTS} WHERE period_type = 'month' "
        f"AND scope = ? AND unit_code = ? AND indicator_code IN ('tong', '2.1', '3.3', '3.6')",
        [scope, unit]).to_pylist()
    by_period: dict[str, dict[str, Any]] = {}
    for r in rows:
        p = by_period.setdefault(str(r["period"]), {})
        p[r["indicator_code"]] = r
    active = sorted(p for p, v in by_period.items() if (v.get("3.3") or {}).get("denominator"))
    if until:
        active = [p for p in active if p <= until[:7]] or active
    active = active[-months:]
    return {
        "labels": [f"{p[5:7]}/{p[:4]}" for p in active],
        "periods": active,
        "total": [(by_period[p].get("tong") or {}).get("score") for p in active],
        "r2.1": [(by_period[p].get("2.1") or {}).get("ratio") for p in active],
        "r3.3": [(by_period[p].get("3.3") or {}).get("ratio") for p in active],
        "r3.6": [(by_period[p].get("3.6") or {}).get("ratio") for p in active],
    }


def national(session: Session, warehouse: Warehouse, *, period: str, province_code: str) -> dict[str, Any]:
    """The imported national ranking of the provinces for the board's period, else the latest imported one
    (``same_period`` says which), with the province's rank and its gaps per group (group names from the
    profile)."""
    from dieuhanh.publicservices import records

    names = {g.code: g.name for g in compute.stored_profile(warehouse).groups}
    available = records.ranking_periods(session)
    chosen = period if period in available else (available[-1] if available else None)
    data = records.ranking(session, period=chosen, province_code=province_code, group_names=names) if chosen \
        else {"period": None, "items": [], "groups": [], "rank": None, "count": 0}
    data["same_period"] = chosen == period
    data["leaders"] = data["items"][:3]
    return data


def agency_kinds(session: Session) -> dict[str, str]:
    return {code: kind for code, kind in session.execute(select(Agency.code, Agency.kind))}


def require_period(warehouse: Warehouse, period: str | None, kind: str) -> str:
    if period:
        parse_period(period)  # raises InvalidInput with a Vietnamese message
        return period
    found = default_period(warehouse, kind) or default_period(warehouse, "month")
    if found is None:
        raise NotFound("Chưa có kết quả chỉ số: hệ thống một cửa chưa gửi hồ sơ nào.")
    return found
