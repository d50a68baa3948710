"""The indicator engine: definitions from YAML (or analysts), computed in the warehouse, stored with lineage.

One warehouse query per definition (DuckDB dialect, checked by ``catalog.sqlguard`` and translated for
PostgreSQL by the warehouse), the result mapped to ``IndicatorValue`` rows and written in bulk. All queries of a
run go first (the operational database is not locked meanwhile); then each definition's values are replaced
at once. A definition whose SQL fails is marked ``state="error"`` with the message and keeps its old values;
the others are still computed.

Missing data is never zero: at commune level every commune of the province gets a row for each period the
query returned, and a commune without a row gets ``value=None`` and status ``nodata``.

Targets (per year ``"2025"`` or per period ``"2025-06"``) apply to the province; they apply to communes too
when the indicator is a rate (unit ``%``). Thresholds are percentages of the target (``warning: 95`` = at
least 95 % of the target is needed to avoid a warning) unless ``absolute: true``, when they are values.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlglot
import yaml
from sqlalchemy import Table, Text, delete, func, insert, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, selectinload
from sqlglot import exp

from dieuhanh.catalog.models import Dataset, LoadBatch
from dieuhanh.catalog.sqlguard import TableAccess, base_tables, check_query, engine_error
from dieuhanh.core import audit
from dieuhanh.core import periods as period_codes
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import DomainError, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from dieuhanh.core.formatting import LOCAL_TZ
from dieuhanh.core.security import SYSTEM, Principal, allowed, authorize
from dieuhanh.core.warehouse import ReadScope, Warehouse
from dieuhanh.geo import reference
from dieuhanh.indicators import rules
from dieuhanh.indicators.models import ComputeRun, IndicatorDefinition, IndicatorValue
from dieuhanh.indicators.schemas import LEVELS, PERIOD_EXAMPLES, PERIOD_PATTERNS, IndicatorIn, parse_definition
from dieuhanh.orgs.models import Agency

QUERY_TIMEOUT = 120.0
MAX_RESULT_ROWS = 2_000_000
DEBOUNCE_SECONDS = 20.0
LIBRARY_DIR = Path(__file__).parent / "library"
ANALYST_ORIGIN = "analyst"
VALUE_TABLE = cast(Table, IndicatorValue.__table__)  # Core inserts (one executemany per definition)
# The table every indicator query may read (one row): the computation instant as the local date and time, the
# end of a period that has not ended (rules.py, rule 1). Shadows any dataset of that name.
AS_OF_TABLE = "as_of"


class IndicatorError(InvalidInput):
    """A definition could not be computed; ``message`` says why (Vietnamese)."""


# ------------------------------------------------------------------------------------------------ library


def library_paths() -> list[Path]:
    """Every YAML file of the built-in library and of the modules (``Module.indicators``)."""
    from dieuhanh.modules import MODULES

    paths = sorted(LIBRARY_DIR.glob("*.yaml")) + sorted(LIBRARY_DIR.glob("*.yml"))
    for module in MODULES:
        paths.extend(p for p in module.indicators if p not in paths)
    return paths


def referenced_tables(sql: str) -> list[str]:
    """Dataset names a query reads (table references that are not CTEs), in order of first use."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except Exception as exc:  # noqa: BLE001  (sqlglot raises several error types)
        raise IndicatorError(f"Câu SQL không hợp lệ: {str(exc).splitlines()[0] if str(exc) else exc}") from None
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)} | {AS_OF_TABLE}
    names: list[str] = []
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name and name not in ctes and name not in names:
            names.append(name)
    return names


def read_yaml(text: str, *, origin: str) -> list[IndicatorIn]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{origin}: tệp YAML không hợp lệ: {str(exc).splitlines()[0]}") from None
    if data is None:
        return []
    if isinstance(data, dict):
        data = data.get("indicators", [data]) if "code" not in data else [data]
    if not isinstance(data, list):
        raise InvalidInput(f"{origin}: tệp phải là một danh sách chỉ số.")
    items = [parse_definition(item, origin=origin) for item in data]
    seen: set[str] = set()
    for item in items:
        if item.code in seen:
            raise InvalidInput(f"{origin}: mã chỉ số «{item.code}» lặp lại.")
        seen.add(item.code)
    return items


_FIELDS = ("name", "domain", "unit", "periodicity", "levels", "sql", "datasets", "direction", "targets",
           "thresholds", "owner_agency", "legal_basis", "source", "description", "public", "published",
           "publication", "cumulative", "details_url")


def _fields(item: IndicatorIn) -> dict[str, Any]:
    datasets = referenced_tables(item.sql)
    return {"name": item.name, "domain": item.domain, "unit": item.unit, "periodicity": item.periodicity,
            "levels": list(item.levels), "sql": item.sql.strip(), "datasets": datasets,
            "direction": item.direction, "targets": dict(item.targets), "thresholds": item.stored_thresholds(),
            "owner_agency": item.owner_agency, "legal_basis": item.legal_basis, "source": item.source,
            "description": item.description, "public": item.public, "published": item.published,
            "publication": item.publication.model_dump() if item.publication else {},
            "cumulative": item.cumulative, "details_url": item.details_url}


def _origin_label(path: Path) -> str:
    parts = path.resolve().parts
    if "dieuhanh" in parts:
        return "/".join(parts[len(parts) - parts[::-1].index("dieuhanh"):])
    return path.name


@dataclass
class LibraryResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # analyst-defined codes left alone
    retired: list[str] = field(default_factory=list)  # codes their library file no longer defines (deleted)


def load_library(session: Session, *, paths: Iterable[Path] | None = None,
                 principal: Principal = SYSTEM) -> LibraryResult:
    """Upsert the definitions of the YAML files; analyst-defined indicators with the same code are kept."""
    authorize(principal, "indicator.define")
    result = LibraryResult()
    items: list[tuple[IndicatorIn, str]] = []
    seen: dict[str, str] = {}
    for path in (library_paths() if paths is None else list(paths)):
        origin = _origin_label(Path(path))
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"{origin}: không đọc được tệp ({exc.strerror}).") from None
        for item in read_yaml(text, origin=origin):
            if item.code in seen:
                raise InvalidInput(f"{origin}: mã chỉ số «{item.code}» đã có trong {seen[item.code]}.")
            seen[item.code] = origin
            items.append((item, origin))
    existing = {d.code: d for d in session.scalars(select(IndicatorDefinition))}
    for item, origin in items:
        values = _fields(item)
        current = existing.get(item.code)
        if current is None:
            session.add(IndicatorDefinition(code=item.code, origin=origin, state="ok", **values))
            result.created.append(item.code)
            audit.record(session, actor=principal.actor, action="indicator.create", entity_type="indicator",
                         entity_id=item.code, after={"origin": origin, **values})
            continue
        if current.origin == ANALYST_ORIGIN:
            result.kept.append(item.code)
            continue
        before = {k: getattr(current, k) for k in _FIELDS}
        if before == values and current.origin == origin:
            result.unchanged.append(item.code)
            continue
        for key, value in values.items():
            setattr(current, key, value)
        current.origin = origin
        if before["sql"] != values["sql"]:
            current.computed_at = None  # recompute at the next check
        result.updated.append(item.code)
        audit.record(session, actor=principal.actor, action="indicator.update", entity_type="indicator",
                     entity_id=item.code, before=before, after=values)
    # A definition its library file no longer has (replaced, merged into another: one number per concept) is
    # retired with its values, so no board, alert or API keeps showing it.
    loaded_origins = {origin for _item, origin in items}
    for code, current in existing.items():
        if code not in seen and current.origin in loaded_origins and current.origin != ANALYST_ORIGIN:
            session.execute(delete(IndicatorValue).where(IndicatorValue.code == code))
            session.delete(current)
            result.retired.append(code)
            audit.record(session, actor=principal.actor, action="indicator.retire", entity_type="indicator",
                         entity_id=code, before={"origin": current.origin, "name": current.name})
    session.flush()
    return result


# ------------------------------------------------------------------------------------------------ status


def target_for(defn: IndicatorDefinition, period: str, level: str, as_of: datetime | None = None) -> rules.Target:
    """The target of one value of the definition (rules.target_for)."""
    return rules.target_for(defn.targets, unit=defn.unit, period=period, level=level,
                            cumulative=bool(defn.cumulative), as_of=as_of)


def status_for(value: float | None, target: float | None, direction: str, thresholds: dict[str, Any], *,
               partial: bool = False, pro_rated: bool = False) -> str:
    """good | warning | critical | neutral | nodata (rules.status_for)."""
    return rules.status_for(value, target, direction, thresholds, partial=partial, pro_rated=pro_rated)


# ------------------------------------------------------------------------------------------------ compute


@lru_cache(maxsize=8)
def _communes(province_code: str) -> tuple[str, ...]:
    return tuple(u.code for u in reference.communes_of(province_code))


def data_state(session: Session) -> tuple[Any, ...]:
    """A key that changes whenever values are computed or written, or a definition changes (one cheap query):
    caches of pages and API answers built from indicator values include it in their keys."""
    global _DATA_STATE
    if _DATA_STATE is None:  # built once: building the statement cost more than running it (issue 24)
        _DATA_STATE = select(
            select(func.max(ComputeRun.id)).scalar_subquery(),
            select(func.max(IndicatorValue.id)).scalar_subquery(),
            select(func.max(IndicatorDefinition.updated_at)).scalar_subquery(),
            select(func.max(IndicatorDefinition.computed_at)).scalar_subquery(),
        )
    row = session.execute(_DATA_STATE).one()
    bind = session.get_bind()
    return (str(bind.engine.url), *tuple(row))


_DATA_STATE: Any = None


@lru_cache(maxsize=8)
def unit_names(province_code: str) -> dict[str, str]:
    names = {u.code: u.name for u in reference.communes_of(province_code)}
    province = reference.get_province(province_code)
    if province is not None:
        names[province.code] = province.full_name
    return names


def _readable(session: Session) -> dict[str, TableAccess]:
    """Every catalog dataset is readable by an indicator, never its personal-data (PII) columns: an indicator's
    value is shown to leaders and often to the public, and a definition must not read names, ID numbers or
    phones even inside an aggregate (``string_agg(ho_ten …)``). Refused when checked, like ``/query``."""
    out: dict[str, TableAccess] = {}
    for ds in session.scalars(select(Dataset).options(selectinload(Dataset.columns))):
        out[ds.name] = TableAccess(pii_columns=frozenset(c.name for c in ds.columns if c.pii))
    return out


def _loaded_batches(session: Session, names: Iterable[str]) -> dict[str, list[str]]:
    names = list(names)
    out: dict[str, list[str]] = {n: [] for n in names}
    if not names:
        return out
    rows = session.execute(
        select(Dataset.name, LoadBatch.id).join(LoadBatch, LoadBatch.dataset_id == Dataset.id)
        .where(Dataset.name.in_(names), LoadBatch.status == "loaded").order_by(LoadBatch.created_at, LoadBatch.id))
    for name, batch_id in rows:
        out[name].append(batch_id)
    return out


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise IndicatorError(f"Giá trị «{value}» không phải là số.") from None
    return None if math.isnan(number) or math.isinf(number) else number


def _period_text(value: Any) -> str:
    if value is None:
        raise IndicatorError("Cột period có giá trị trống.")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def uses_as_of(sql: str) -> bool:
    """Whether the query reads the ``as_of`` table (it then counts a partial period as of the instant given)."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except Exception:  # noqa: BLE001
        return False
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return any(t.name.lower() == AS_OF_TABLE and AS_OF_TABLE not in ctes for t in tree.find_all(exp.Table))


def with_as_of(sql: str, as_of: datetime) -> str:
    """The query as the engine runs it: its rows, with the table ``as_of`` (one row: the instant as local date
    and time, literals generated here — never user text) in scope."""
    local = rules.local_now(as_of).replace(microsecond=0)
    return (f"WITH {AS_OF_TABLE} AS (SELECT DATE '{local.date().isoformat()}' AS as_of_date, "
            f"TIMESTAMP '{local.isoformat(sep=' ')}' AS as_of_time) SELECT * FROM ({sql}) AS _indicator")


def _run_sql(defn: IndicatorDefinition, warehouse: Warehouse, readable: dict[str, TableAccess],
             period: str | None, timeout: float, as_of: datetime) -> Any:
    missing = [n for n in (defn.datasets or referenced_tables(defn.sql)) if n not in readable]
    if missing:
        raise IndicatorError(f"Chưa có bộ dữ liệu {', '.join('«' + m + '»' for m in missing)} trong kho.")
    safe = check_query(defn.sql, {**readable, AS_OF_TABLE: TableAccess()})
    sql = with_as_of(safe, as_of)
    if period is not None:
        # A literal, not a parameter: parse() admits only 2025-06, 2025-Q2 or 2025 (and with parameters the
        # PostgreSQL translation would double the % of the query's own strftime formats).
        sql = f"{sql} WHERE CAST(period AS VARCHAR) = '{period_codes.parse(period).code}'"
    used = base_tables(safe) & set(readable)
    scope = ReadScope(tables={t: readable[t].pii_columns for t in used}, pii=False)
    try:
        return warehouse.query(sql, None, timeout=timeout, max_rows=MAX_RESULT_ROWS, scope=scope)
    except DomainError:
        raise
    except Exception as exc:  # engine errors: unknown column, type mismatch, missing table… (values masked)
        raise IndicatorError(f"Truy vấn lỗi: {engine_error(exc, sql)}") from exc


_CODE_LIKE = re.compile(r"^[A-Za-z0-9_.\-]{1,20}$")


def _code_like(value: str) -> str:
    """A code from a query result, quoted in an error only when it looks like a code (never free text)."""
    return value if _CODE_LIKE.match(value) else "…"


def _read_rows(defn: IndicatorDefinition, table: Any, *, province_code: str, agency_set: set[str]
               ) -> tuple[dict[tuple[str, str], tuple[float | None, float | None, float | None]], set[str]]:
    """The query's rows by (period, unit), checked: period format, known units, one row per period and unit.
    Returns them and the agency codes met."""
    names = [n.lower() for n in table.column_names]
    for required in ("period", "unit_code", "value"):
        if required not in names:
            raise IndicatorError(f"Kết quả truy vấn thiếu cột «{required}» (cần period, unit_code, value).")
    columns = {n: table.column(i).to_pylist() for i, n in enumerate(names)}
    empty: list[Any] = [None] * table.num_rows
    numerators, denominators = columns.get("numerator", empty), columns.get("denominator", empty)
    pattern = PERIOD_PATTERNS[defn.periodicity]
    commune_set = set(_communes(province_code))
    agency_found: set[str] = set()
    found: dict[tuple[str, str], tuple[float | None, float | None, float | None]] = {}
    unknown: set[str] = set()
    for i, raw_period in enumerate(columns["period"]):
        p = _period_text(raw_period)
        if not pattern.match(p):
            raise IndicatorError(f"Kỳ «{_code_like(p)}» (dòng {i + 1}) không đúng dạng "
                                 f"{PERIOD_EXAMPLES[defn.periodicity]} (chỉ số theo {defn.periodicity}).")
        raw_unit = columns["unit_code"][i]
        unit = province_code if raw_unit is None else str(raw_unit).strip()
        if unit in agency_set and unit not in commune_set and unit != province_code:
            agency_found.add(unit)
        elif unit != province_code and unit not in commune_set:
            unknown.add(unit)
            continue
        if (p, unit) in found:
            raise IndicatorError(f"Kết quả có hai dòng cho kỳ {p}, đơn vị {_code_like(unit)}: "
                                 f"mỗi kỳ và đơn vị chỉ một dòng.")
        found[(p, unit)] = (_number(columns["value"][i]), _number(numerators[i]), _number(denominators[i]))
    if unknown:
        sample = ", ".join(sorted({_code_like(u) for u in unknown})[:5])
        raise IndicatorError(f"Mã đơn vị không thuộc tỉnh {province_code}: {sample}"
                             f"{'…' if len(unknown) > 5 else ''}.")
    return found, agency_found


def evaluate(defn: IndicatorDefinition, warehouse: Warehouse, *, readable: dict[str, TableAccess],
             batches: list[str], province_code: str, period: str | None = None,
             timeout: float = QUERY_TIMEOUT, now: datetime | None = None, as_of: datetime | None = None,
             agencies: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Run one definition and return its value rows (dicts for ``insert(IndicatorValue)``); raises
    ``IndicatorError`` with a message the analyst can act on.

    ``as_of`` (naive UTC, default ``now``) is the computation instant: periods not ended by then are partial
    (rules.py, rule 1); for a query that reads the ``as_of`` table, a partial period also gets the previous
    period's value over the same elapsed time (``base_value``), computed by running the query as of that
    instant of the previous period.

    With the ``agency`` level, rows whose ``unit_code`` is one of ``agencies`` are agency values (written
    only for the agencies the query returns: not every agency owes every indicator)."""
    now = now or utcnow()
    as_of = as_of or now
    levels = set(defn.levels or ["province"])
    agency_set = set(agencies) if "agency" in levels else set()
    table = _run_sql(defn, warehouse, readable, period, timeout, as_of)
    found, agency_found = _read_rows(defn, table, province_code=province_code, agency_set=agency_set)
    partial = {p for p in {p for p, _unit in found} if rules.is_partial(p, as_of)}
    bases: dict[str, tuple[str | None, dict[str, float | None]]] = {}
    if partial and uses_as_of(defn.sql):
        for p in partial:
            previous = period_codes.parse(p).previous().code
            instant = rules.comparable_instant(p, as_of, previous)
            base_table = _run_sql(defn, warehouse, readable, previous, timeout, instant)
            base_rows, _agencies = _read_rows(defn, base_table, province_code=province_code, agency_set=agency_set)
            bases[p] = (previous, {unit: v[0] for (bp, unit), v in base_rows.items() if bp == previous})
    thresholds = defn.thresholds or {}
    communes = _communes(province_code)
    rows: list[dict[str, Any]] = []
    for p in sorted({p for p, _unit in found}):
        units = ([(province_code, "province")] if "province" in levels else []) + (
            [(c, "commune") for c in communes] if "commune" in levels else []) + (
            [(a, "agency") for a in sorted(agency_found)])
        is_partial = p in partial
        base_period, base_values = bases.get(p, (None, {}))
        for unit, level in units:
            value, numerator, denominator = found.get((p, unit), (None, None, None))
            target = target_for(defn, p, level, as_of)
            rows.append({"code": defn.code, "period": p, "unit_code": unit, "level": level, "value": value,
                         "numerator": numerator, "denominator": denominator, "target": target.value,
                         "status": status_for(value, target.value, defn.direction, thresholds, partial=is_partial,
                                              pro_rated=target.pro_rated),
                         "partial": is_partial, "as_of": as_of if is_partial else None,
                         "base_value": base_values.get(unit) if base_period else None,
                         "base_period": base_period if base_period and unit in base_values else None,
                         "computed_at": now, "batches": batches})
    return rows


@dataclass
class ComputeSummary:
    run_id: int | None = None
    computed: dict[str, int] = field(default_factory=dict)  # code -> values written
    errors: dict[str, str] = field(default_factory=dict)  # code -> message
    seconds: float = 0.0

    @property
    def values_written(self) -> int:
        return sum(self.computed.values())

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "computed": self.computed, "errors": self.errors,
                "values_written": self.values_written, "seconds": round(self.seconds, 3)}


log = logging.getLogger(__name__)
# Called with the session after every compute (other modules register here, e.g. alerts' evaluation), so the
# indicator set does not import the modules that build on it.
# A hook finds the instant the values were computed as of in ``session.info[AS_OF_KEY]``.
AFTER_COMPUTE: list[Callable[[Session], Any]] = []
AS_OF_KEY = "indicators.as_of"


T = TypeVar("T")
READ_TURN_SECONDS = 5.0  # a held read at most this long: a waiting load goes in between


def _in_turns(warehouse: Warehouse, items: Sequence[T], seconds: float = READ_TURN_SECONDS) -> Iterator[T]:
    """``items`` one by one inside a held warehouse read (DuckDB: one open of the file for many queries instead of
    ~17 ms to open and close it for each, ~2 s of a whole-library run), released every ``seconds`` so that a load
    waiting to write goes in between (writes wait for reads, and give up after 30 s). Nothing may write inside."""
    pending = iter(items)
    while True:
        with warehouse.reading():
            turn = time.monotonic()
            for item in pending:
                yield item
                if time.monotonic() - turn > seconds:
                    break
            else:
                return


def compute(session: Session, warehouse: Warehouse, *, codes: Sequence[str] | None = None, period: str | None = None,
            province_code: str, trigger: str = "manual", principal: Principal = SYSTEM,
            timeout: float = QUERY_TIMEOUT, progress: Any = None, as_of: datetime | None = None) -> ComputeSummary:
    """Compute the given indicators (all by default), optionally for one period only.

    ``as_of`` (naive UTC; default: now) is the instant the values are computed as of: periods not ended by then
    are partial (rules.py). ``progress(code, ok)`` is called after each definition (the CLI's progress bar)."""
    authorize(principal, "indicator.compute")
    started = time.perf_counter()
    started_at = utcnow()
    query = select(IndicatorDefinition).order_by(IndicatorDefinition.code)
    if codes:
        query = query.where(IndicatorDefinition.code.in_(list(codes)))
    definitions = list(session.scalars(query))
    if codes:
        missing = sorted(set(codes) - {d.code for d in definitions})
        if missing:
            raise NotFound(f"Không có chỉ số {', '.join(missing)}.")
    readable = _readable(session)
    agencies = list(session.scalars(select(Agency.code)))
    datasets = {n for d in definitions for n in (d.datasets or [])}
    lineage = _loaded_batches(session, datasets)
    summary = ComputeSummary()
    results: list[tuple[IndicatorDefinition, list[dict[str, Any]] | None, str | None]] = []
    for defn in _in_turns(warehouse, definitions):
        batches = sorted({b for n in (defn.datasets or []) for b in lineage.get(n, [])})
        try:
            evaluated = evaluate(defn, warehouse, readable=readable, batches=batches, province_code=province_code,
                                 period=period, timeout=timeout, now=started_at, as_of=as_of or started_at,
                                 agencies=agencies)
            results.append((defn, evaluated, None))
        except Exception as exc:  # noqa: BLE001  (one broken definition never stops the others)
            results.append((defn, None, _first_line(exc)[:4000]))
        if progress is not None:
            progress(defn.code, results[-1][2] is None)
    # Writes: each definition's values are replaced as a whole (in the caller's transaction).
    for defn, rows, error in results:
        defn.computed_at = utcnow()
        if rows is None:
            defn.state, defn.error = "error", error
            summary.errors[defn.code] = error or ""
            continue
        stmt = delete(IndicatorValue).where(IndicatorValue.code == defn.code)
        if period is not None:
            stmt = stmt.where(IndicatorValue.period == period)
        session.execute(stmt)
        if rows:
            # Core insert of the table: every row has the same columns, so each definition's values are one
            # executemany (the ORM's bulk insert splits rows by which columns happen to be NULL — thousands of
            # statements — and builds an object-like record per row first).
            session.execute(insert(VALUE_TABLE), rows)
        defn.state, defn.error = "ok", None
        summary.computed[defn.code] = len(rows)
    run = ComputeRun(started_at=started_at, finished_at=utcnow(), trigger=trigger,
                     codes=[d.code for d in definitions], values_written=summary.values_written,
                     errors=len(summary.errors), outcome="failed" if summary.errors and not summary.computed
                     else "partial" if summary.errors else "success")
    session.add(run)
    session.flush()
    summary.run_id = run.id
    if principal.kind != "system" or trigger in ("manual", "cli"):
        audit.record(session, actor=principal.actor, action="indicator.compute", entity_type="indicator_run",
                     entity_id=run.id, after={"codes": run.codes, "period": period, "trigger": trigger,
                                              "values_written": run.values_written, "errors": summary.errors})
    # Hooks read the instant the values were computed as of (a demo pinned to a day evaluates its alerts then).
    session.info[AS_OF_KEY] = as_of or started_at
    try:
        for hook in AFTER_COMPUTE:
            # e.g. alert evaluation: in a savepoint, so a failing hook never undoes the values just computed.
            try:
                with session.begin_nested():
                    hook(session)
            except Exception as exc:  # noqa: BLE001
                log.warning("after-compute hook %s failed: %s", getattr(hook, "__name__", hook), exc)
    finally:
        session.info.pop(AS_OF_KEY, None)
    summary.seconds = time.perf_counter() - started
    return summary


def stale_codes(session: Session, *, debounce_seconds: float = DEBOUNCE_SECONDS,
                now: datetime | None = None) -> list[str]:
    """Definitions whose source datasets changed (new batch, rollback) after they were last computed, and those
    with partial values counted as of an earlier day.

    A change younger than ``debounce_seconds`` waits for the next check, so a burst of batches is one
    recompute."""
    now = now or utcnow()
    changes: dict[str, datetime] = {}
    rows = session.execute(
        select(Dataset.name, func.max(LoadBatch.created_at), func.max(LoadBatch.rolled_back_at))
        .join(LoadBatch, LoadBatch.dataset_id == Dataset.id)
        .where(or_(LoadBatch.status == "loaded", LoadBatch.rolled_back_at.is_not(None)))
        .group_by(Dataset.name))
    for name, created, rolled_back in rows:
        stamps = [s for s in (created, rolled_back) if s is not None]
        if stamps:
            changes[name] = max(stamps)
    # Partial values counted as of an earlier day (or whose period has ended since) are recomputed once a day.
    today_start = rules.utc_of_local(datetime.combine(rules.local_day(now), datetime.min.time()))
    outdated = set(session.scalars(select(IndicatorValue.code).where(
        IndicatorValue.partial.is_(True), IndicatorValue.as_of < today_start).distinct()))
    out = []
    for defn in session.scalars(select(IndicatorDefinition).order_by(IndicatorDefinition.code)):
        if defn.code in outdated:
            out.append(defn.code)
            continue
        latest = max((changes[n] for n in (defn.datasets or []) if n in changes), default=None)
        if latest is None:
            continue
        if defn.computed_at is not None and latest <= defn.computed_at:
            continue
        if now - latest < timedelta(seconds=debounce_seconds) and defn.computed_at is not None:
            continue
        out.append(defn.code)
    return out


def recompute_stale(session: Session, warehouse: Warehouse, *, province_code: str,
                    debounce_seconds: float = DEBOUNCE_SECONDS) -> ComputeSummary | None:
    codes = stale_codes(session, debounce_seconds=debounce_seconds)
    if not codes:
        return None
    return compute(session, warehouse, codes=codes, province_code=province_code, trigger="batch")


# ------------------------------------------------------------------------------------------------ check / define


@dataclass
class CheckResult:
    code: str
    ok: bool
    error: str | None = None
    datasets: list[str] = field(default_factory=list)
    rows: int = 0
    periods: list[str] = field(default_factory=list)
    nodata: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "ok": self.ok, "error": self.error, "datasets": self.datasets,
                "rows": self.rows, "periods": self.periods, "nodata": self.nodata, "preview": self.preview}


def _transient(item: IndicatorIn, origin: str) -> IndicatorDefinition:
    return IndicatorDefinition(code=item.code, origin=origin, state="ok", **_fields(item))


def check_item(session: Session, warehouse: Warehouse, item: IndicatorIn, *, province_code: str,
               origin: str = "", timeout: float = QUERY_TIMEOUT) -> CheckResult:
    try:
        defn = _transient(item, origin)
    except DomainError as exc:
        return CheckResult(code=item.code, ok=False, error=exc.message)
    datasets = list(defn.datasets or [])
    batches = sorted({b for ids in _loaded_batches(session, datasets).values() for b in ids})
    try:
        rows = evaluate(defn, warehouse, readable=_readable(session), batches=batches,
                        province_code=province_code, timeout=timeout,
                        agencies=list(session.scalars(select(Agency.code))))
    except Exception as exc:  # noqa: BLE001
        return CheckResult(code=item.code, ok=False, error=_first_line(exc), datasets=datasets)
    preview = [{k: r[k] for k in ("period", "unit_code", "level", "value", "target", "status")}
               for r in rows if r["level"] == "province"][-12:]
    return CheckResult(code=item.code, ok=True, datasets=datasets, rows=len(rows),
                       periods=sorted({r["period"] for r in rows}), nodata=sum(r["value"] is None for r in rows),
                       preview=preview)


def check_definition(yaml_text: str, *, session: Session, warehouse: Warehouse, province_code: str,
                     origin: str = "YAML", timeout: float = QUERY_TIMEOUT) -> list[CheckResult]:
    """Validate and run the definitions of a YAML text without saving anything (``dieuhanh indicators
    check``). Raises ``InvalidInput`` for a malformed file or definition; a failing query is a result with
    ``ok=False`` and its message."""
    items = read_yaml(yaml_text, origin=origin)
    if not items:
        raise InvalidInput(f"{origin}: không có chỉ số nào.")
    return [check_item(session, warehouse, item, province_code=province_code, origin=origin, timeout=timeout)
            for item in items]


def define(session: Session, warehouse: Warehouse, *, principal: Principal, data: Any, province_code: str,
           timeout: float = QUERY_TIMEOUT) -> tuple[IndicatorDefinition, CheckResult]:
    """An analyst defines (or redefines) an indicator: validated and run first, then saved and computed."""
    authorize(principal, "indicator.define")
    if isinstance(data, str):
        items = read_yaml(data, origin="định nghĩa")
        if len(items) != 1:
            raise InvalidInput("Gửi đúng một chỉ số mỗi lần.")
        item = items[0]
    else:
        item = parse_definition(data, origin="định nghĩa")
    checked = check_item(session, warehouse, item, province_code=province_code, origin=ANALYST_ORIGIN,
                         timeout=timeout)
    if not checked.ok:
        raise InvalidInput(f"Chỉ số «{item.code}» chưa tính được: {checked.error}")
    values = _fields(item)
    current = session.get(IndicatorDefinition, item.code)
    if current is not None and current.origin != ANALYST_ORIGIN and not principal.has_role("admin"):
        raise PermissionDenied(f"Chỉ số «{item.code}» thuộc bộ chỉ số chuẩn ({current.origin}); hãy dùng mã khác.")
    before = None if current is None else {k: getattr(current, k) for k in _FIELDS}
    if current is None:
        current = IndicatorDefinition(code=item.code, origin=ANALYST_ORIGIN, state="ok", **values)
        session.add(current)
    else:
        for key, value in values.items():
            setattr(current, key, value)
        current.origin = ANALYST_ORIGIN
    audit.record(session, actor=principal.actor, action="indicator.define", entity_type="indicator",
                 entity_id=item.code, before=before, after=values)
    session.flush()
    compute(session, warehouse, codes=[item.code], province_code=province_code, trigger="manual",
            principal=SYSTEM, timeout=timeout)
    return current, checked


# ------------------------------------------------------------------------------------------------ reading


def can_read(principal: Principal, defn: IndicatorDefinition) -> bool:
    if defn.public and defn.published:
        return True
    if not defn.published:
        return principal.can_read_all()
    return principal.can_read_all() or allowed(principal, "officials.read")


def get_definition(session: Session, *, principal: Principal, code: str) -> IndicatorDefinition:
    defn = session.get(IndicatorDefinition, code)
    if defn is None:
        raise NotFound(f"Không có chỉ số «{code}».")
    if not can_read(principal, defn):
        if not principal.is_authenticated:
            raise NotAuthenticated("Chỉ số này chỉ dành cho cán bộ: hãy đăng nhập.")
        raise PermissionDenied("Bạn không có quyền xem chỉ số này.")
    return defn


def list_definitions(session: Session, *, principal: Principal, q: str | None = None,
                     domain: str | None = None) -> list[IndicatorDefinition]:
    query = select(IndicatorDefinition).order_by(IndicatorDefinition.domain, IndicatorDefinition.name)
    if domain:
        query = query.where(IndicatorDefinition.domain == domain)
    items = [d for d in session.scalars(query) if can_read(principal, d)]
    if q and q.strip():
        words = reference.normalize(q).split()
        items = [d for d in items
                 if all(w in reference.normalize(f"{d.name} {d.code.replace('_', ' ')} {d.unit} "
                                                  f"{d.owner_agency or ''} {d.description}") for w in words)]
    return items


def latest_province_values(session: Session, codes: Sequence[str]) -> dict[str, IndicatorValue]:
    """For each code, its province value of the latest period that has a value (periods sort as text within a
    periodicity); a partial period counts (it is marked so)."""
    if not codes:
        return {}
    latest = (select(IndicatorValue.code, func.max(IndicatorValue.period).label("period"))
              .where(IndicatorValue.code.in_(list(codes)), IndicatorValue.level == "province",
                     IndicatorValue.value.is_not(None))
              .group_by(IndicatorValue.code).subquery())
    rows = session.scalars(select(IndicatorValue).join(
        latest, (IndicatorValue.code == latest.c.code) & (IndicatorValue.period == latest.c.period))
        .where(IndicatorValue.level == "province"))
    return {v.code: v for v in rows}


def freshness(defn: IndicatorDefinition, latest_period: str | None, today: date | None = None) -> rules.Freshness:
    """Latest and expected period of a definition and whether it is stale (rules.py, rule 2)."""
    return rules.freshness(defn.periodicity, defn.publication, latest_period,
                           today or rules.local_day(utcnow()))


def _iso(at: datetime | None) -> str | None:
    """A stored naive-UTC instant for the API: ISO 8601 with the local offset (+07:00)."""
    return None if at is None else rules.local_now(at).replace(tzinfo=LOCAL_TZ).isoformat()


def _values_query(what: Any, *, code: str, period: str | None, unit: str | None, level: str | None,
                  limit: int | None, offset: int) -> Any:
    query = select(*what).where(IndicatorValue.code == code)
    if period:
        query = query.where(IndicatorValue.period == period)
    if unit:
        query = query.where(IndicatorValue.unit_code == unit)
    if level:
        if level not in LEVELS:
            raise InvalidInput("level phải là province, commune hoặc agency.")
        query = query.where(IndicatorValue.level == level)
    query = query.order_by(IndicatorValue.period, IndicatorValue.level.desc(), IndicatorValue.unit_code)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return query


def list_values(session: Session, *, code: str, period: str | None = None, unit: str | None = None,
                level: str | None = None, limit: int | None = None, offset: int = 0) -> list[IndicatorValue]:
    return list(session.scalars(_values_query((IndicatorValue,), code=code, period=period, unit=unit, level=level,
                                              limit=limit, offset=offset)))


def count_values(session: Session, *, code: str, period: str | None = None, level: str | None = None) -> int:
    query = select(func.count()).select_from(IndicatorValue).where(IndicatorValue.code == code)
    if period:
        query = query.where(IndicatorValue.period == period)
    if level:
        query = query.where(IndicatorValue.level == level)
    return int(session.scalar(query) or 0)


_VALUE_COLUMNS = (IndicatorValue.period, IndicatorValue.unit_code, IndicatorValue.level, IndicatorValue.value,
                  IndicatorValue.numerator, IndicatorValue.denominator, IndicatorValue.target, IndicatorValue.status,
                  IndicatorValue.partial, IndicatorValue.as_of, IndicatorValue.base_value, IndicatorValue.base_period,
                  IndicatorValue.computed_at, IndicatorValue.batches)


_VALUE_COLUMNS_RAW = (*_VALUE_COLUMNS[:-1], sql_cast(IndicatorValue.batches, Text))


def values_out(session: Session, *, code: str, province_code: str, period: str | None = None,
               unit: str | None = None, level: str | None = None, limit: int | None = None,
               offset: int = 0) -> list[dict[str, Any]]:
    """The values API's rows (as ``value_out``), read as plain columns: no ORM objects on this hot path. Values of
    one compute run share their time and load batches, so each distinct stored text is converted once (an
    indicator's every period and commune is thousands of rows)."""
    query = _values_query(_VALUE_COLUMNS_RAW, code=code, period=period, unit=unit, level=level, limit=limit,
                          offset=offset)
    names = unit_names(province_code)
    agency_names: dict[str, str] | None = None
    instants: dict[Any, str | None] = {None: None}
    batch_lists: dict[Any, list[str]] = {None: []}
    labels: dict[Any, str] = {}
    rows: list[dict[str, Any]] = []
    for (period_, unit_code, level_, value, numerator, denominator, target, status, partial, as_of, base_value,
         base_period, computed_at, batches) in session.execute(query):
        if level_ == "agency" and agency_names is None:
            agency_names = {c: n for c, n in session.execute(select(Agency.code, Agency.name))}
            names = {**names, **agency_names}
        if computed_at not in instants:
            instants[computed_at] = _iso(computed_at)
        if batches not in batch_lists:
            batch_lists[batches] = list(json.loads(batches) or []) if isinstance(batches, str) else list(batches)
        if status not in labels:
            labels[status] = rules.status_label(status)
        rows.append({"period": period_, "unit_code": unit_code, "level": level_, "value": value,
                     "numerator": numerator, "denominator": denominator, "target": target, "status": status,
                     "partial": bool(partial), "as_of": _iso(as_of) if partial else None, "base_value": base_value,
                     "base_period": base_period, "computed_at": instants[computed_at],
                     "batches": list(batch_lists[batches]), "unit_name": names.get(unit_code),
                     "status_label": labels[status]})
    return rows


def value_out(v: IndicatorValue, province_code: str) -> dict[str, Any]:
    return {"period": v.period, "unit_code": v.unit_code, "unit_name": unit_names(province_code).get(v.unit_code),
            "level": v.level, "value": v.value, "numerator": v.numerator, "denominator": v.denominator,
            "target": v.target, "status": v.status, "status_label": rules.status_label(v.status),
            "partial": bool(v.partial), "as_of": _iso(v.as_of) if v.partial else None, "base_value": v.base_value,
            "base_period": v.base_period, "computed_at": _iso(v.computed_at), "batches": list(v.batches or [])}


def definition_out(d: IndicatorDefinition, latest: IndicatorValue | None = None,
                   today: date | None = None) -> dict[str, Any]:
    """A definition for the API, with its latest province value, expected period and staleness."""
    out = {k: getattr(d, k) for k in ("code", *_FIELDS, "origin", "state", "error")}
    out["computed_at"] = _iso(d.computed_at)
    fresh = freshness(d, latest.period if latest is not None else None, today)
    out["latest_period"] = fresh.latest_period
    out["expected_period"] = fresh.expected_period
    out["stale"] = fresh.stale
    out["publication_due"] = rules.schedule_of(d.periodicity, d.publication).describe(d.periodicity)
    out["as_of"] = None
    if latest is not None:
        out["as_of"] = _iso(latest.as_of or latest.computed_at)
        out["latest"] = {"period": latest.period, "value": latest.value, "target": latest.target,
                         "status": latest.status, "status_label": rules.status_label(latest.status),
                         "partial": bool(latest.partial), "as_of": _iso(latest.as_of) if latest.partial else None}
    return out


def recent_runs(session: Session, limit: int = 10) -> list[ComputeRun]:
    return list(session.scalars(select(ComputeRun).order_by(ComputeRun.id.desc()).limit(limit)))
