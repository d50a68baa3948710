"""Pages of the open data portal (Cổng dữ liệu mở): anonymous, published public datasets only, no PII column."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dieuhanh.catalog.models import Dataset, DatasetColumn
from dieuhanh.core.errors import NotFound
from dieuhanh.core.formatting import format_date
from dieuhanh.indicators.service import unit_names
from dieuhanh.opendata import service
from dieuhanh.orgs.models import Agency
from dieuhanh.web.deps import DB
from dieuhanh.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
ROWS_PAGE = 25
CHART_SAMPLE = 1000
CHART_POINTS = 30
FACETS = ("organization", "groups", "tags", "res_format")
FACET_LABELS = {"organization": "Cơ quan", "groups": "Chủ đề", "tags": "Từ khóa", "res_format": "Định dạng"}
SORT_LABELS = {
    "score desc": "Phù hợp nhất",
    "title asc": "Tên A → Z",
    "title desc": "Tên Z → A",
    "metadata_modified desc": "Mới cập nhật",
    "metadata_modified asc": "Cập nhật lâu nhất",
}
# Integer columns that are identifiers or periods, not measures (as in core.formatting.format_cell).
_CODE_LIKE = ("nam", "year", "ma_", "_ma", "code", "id", "so_cccd", "so_dien_thoai", "ky", "thang", "quy")


def _agency_names(session: Session) -> dict[str, str]:
    return {a.code.lower(): a.name for a in session.scalars(select(Agency))}


def _facet_label(key: str, value: str, agencies: dict[str, str]) -> str:
    if key == "organization":
        return agencies.get(value, value.upper())
    if key == "groups":
        return service.GROUPS.get(value, (value, ()))[0]
    return value


def _query_string(q: str, filters: dict[str, list[str]], sort: str) -> str:
    pairs: list[tuple[str, str]] = []
    if q:
        pairs.append(("q", q))
    for key in FACETS:
        pairs += [(key, v) for v in filters.get(key, [])]
    if sort and sort != "score desc":
        pairs.append(("sort", sort))
    return urlencode(pairs)


@router.get("/opendata", response_class=HTMLResponse)
def portal(request: Request, db: DB, q: str = "", sort: str = "score desc", page: int = Query(1, ge=1),
           organization: list[str] = Query([]), groups: list[str] = Query([]), tags: list[str] = Query([]),
           res_format: list[str] = Query([])) -> HTMLResponse:
    if sort not in SORT_LABELS:
        sort = "score desc"
    raw = {"organization": organization, "groups": groups, "tags": tags, "res_format": res_format}
    filters = {k: [v for v in vals if v] for k, vals in raw.items() if any(vals)}
    result = service.search(db, q=q, filters=filters, sort=sort, rows=PAGE_SIZE, start=(page - 1) * PAGE_SIZE)
    agencies = _agency_names(db)
    facets = []
    for key in FACETS:
        chosen = filters.get(key, [])
        entries = []
        for value, count in result.facets.get(key, Counter()).most_common():
            selected = value in chosen
            new = {**filters, key: [v for v in chosen if v != value] if selected else [*chosen, value]}
            entries.append({"value": value, "label": _facet_label(key, value, agencies), "count": count,
                            "selected": selected, "href": "/opendata?" + _query_string(q, new, sort)})
        # Keep chosen values visible even when they match nothing any more.
        for value in chosen:
            if not any(e["value"] == value for e in entries):
                new = {**filters, key: [v for v in chosen if v != value]}
                entries.append({"value": value, "label": _facet_label(key, value, agencies), "count": 0,
                                "selected": True, "href": "/opendata?" + _query_string(q, new, sort)})
        facets.append({"key": key, "label": FACET_LABELS[key], "entries": entries[:15],
                       "more": max(0, len(entries) - 15)})
    active = [{"label": f"{FACET_LABELS[k]}: {_facet_label(k, v, agencies)}",
               "href": "/opendata?" + _query_string(q, {**filters, k: [x for x in vs if x != v]}, sort)}
              for k, vs in filters.items() for v in vs]
    items = [{"ds": ds, "agency": agencies.get(ds.owner_agency.lower(), ds.owner_agency),
              "groups": [service.GROUPS[g][0] for g in service.groups_of(ds)]} for ds in result.items]
    return render(request, "opendata/index.html", {
        "q": q, "sort": sort, "SORT_LABELS": SORT_LABELS, "facets": facets, "active": active, "items": items,
        "total": result.count, "page": page, "page_size": PAGE_SIZE, "query": _query_string(q, filters, sort),
        "filters": filters, "FORMAT_LABELS": service.FORMAT_LABELS,
    })


def _is_measure(col: DatasetColumn) -> bool:
    name = col.name.lower()
    if col.type == "number":
        return True
    return col.type == "integer" and not any(name == k or name.startswith(k) or name.endswith(k) for k in _CODE_LIKE)


def _label(value: Any) -> str:
    if isinstance(value, datetime | date):
        return format_date(value)
    return "" if value is None else str(value)


PERIOD_NAMES = ("thang", "quy", "nam", "ky", "nam_hoc", "ngay", "thoi_diem", "year", "month", "period")


def _period_column(cols: list[DatasetColumn]) -> DatasetColumn | None:
    """The column that says which period a row is about (a date, a year, a period code)."""
    by_name = {c.name.lower(): c for c in cols}
    named = next((by_name[n] for n in PERIOD_NAMES if n in by_name), None)
    return named or next((c for c in cols if c.type in ("date", "datetime")), None)


def chart_spec(warehouse: Any, ds: Dataset, province_code: str = "") -> dict[str, Any] | None:
    """The first measure over a category, summed in a sample of rows — never across different periods: over a
    period column it is a line by period; over another category it reads the latest period only (said in the
    chart's ``period``). Communes are labelled by name. None when there is nothing numeric to draw."""
    cols = service.public_columns(ds)
    measure = next((c for c in cols if _is_measure(c)), None)
    if measure is None:
        return None
    period = _period_column(cols)
    category = next((c for c in cols if c.type in ("string", "unit_code") and c is not period), None)
    if category is None:
        category = period or next((c for c in cols if c.type == "integer" and c is not measure), None)
    if category is None:
        return None
    by_period = category is period or category.type in ("date", "datetime", "integer")
    where, params, shown_period = "", None, None
    if not by_period and period is not None and period is not measure:
        latest = warehouse.query(f"SELECT max({_quote_col(period.name)}) FROM {_quote_col(ds.name)}").column(0)
        shown_period = latest[0].as_py() if len(latest) else None
        if shown_period is not None:
            where, params = f" WHERE {_quote_col(period.name)} = ?", [shown_period]
    order = f'"{category.name}"' if by_period else ""
    sample = service.read_page(warehouse, ds, limit=CHART_SAMPLE, offset=0,
                               columns=[category.name, measure.name], order_by=order, where=where, params=params)
    names = unit_names(province_code) if category.type == "unit_code" and province_code else {}
    sums: dict[str, float] = {}
    for row in sample.to_pylist():
        value = row.get(measure.name)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            raw = row.get(category.name)
            key = names.get(str(raw), _label(raw)) if names else _label(raw)
            sums[key] = sums.get(key, 0.0) + float(value)
    if not sums:
        return None
    points = list(sums.items())
    if not by_period:
        points.sort(key=lambda p: -p[1])
    points = points[:CHART_POINTS]
    return {"kind": "line" if by_period else "bar",
            "x": category.name, "y": measure.name, "labels": [p[0] for p in points],
            "values": [round(p[1], 4) for p in points], "sampled": sample.num_rows >= CHART_SAMPLE,
            "period": _label(shown_period) if shown_period is not None else None}


def _quote_col(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@router.get("/opendata/datasets/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str, db: DB, page: int = Query(1, ge=1)) -> HTMLResponse:
    ds = service.get_published(db, name)
    warehouse = request.app.state.warehouse
    cols = service.public_columns(ds)
    total = service.count_rows(warehouse, ds)
    table = service.read_page(warehouse, ds, limit=ROWS_PAGE, offset=(page - 1) * ROWS_PAGE)
    agency = db.get(Agency, ds.owner_agency)
    base = str(request.base_url).rstrip("/")
    chart = chart_spec(warehouse, ds, request.app.state.settings.province_code)
    return render(request, "opendata/dataset.html", {
        "ds": ds, "columns": cols, "rows": table.to_pylist(), "row_columns": table.column_names, "total": total,
        "page": page, "page_size": ROWS_PAGE, "query": "", "agency": agency,
        "license": service.license_title(ds.license_id), "frequency": service.frequency_label(ds.update_frequency),
        "modified": service.last_modified(db, ds),
        "groups": [(g, service.GROUPS[g][0]) for g in service.groups_of(ds)],
        "formats": service.FORMATS, "FORMAT_LABELS": service.FORMAT_LABELS, "base": base,
        "chart": chart, "chart_json": json.dumps(chart, ensure_ascii=False).replace("</", "<\\/") if chart else "",
    })


@router.get("/opendata/organizations", response_class=HTMLResponse)
def organizations_page(request: Request, db: DB) -> HTMLResponse:
    # One grouped count (not every published dataset loaded with its columns).
    counts: dict[str, int] = {code: n for code, n in db.execute(
        select(Dataset.owner_agency, func.count(Dataset.id))
        .where(Dataset.published.is_(True), Dataset.access == "public").group_by(Dataset.owner_agency))}
    agencies = {a.code: a for a in db.scalars(select(Agency).where(Agency.code.in_(list(counts))))}
    ranked = sorted(counts.items(), key=lambda p: (-p[1], p[0]))
    rows = [{"code": code, "agency": agencies.get(code), "count": n} for code, n in ranked]
    return render(request, "opendata/organizations.html", {"orgs": rows})


@router.get("/opendata/organizations/{code}", response_class=HTMLResponse)
def organization_page(request: Request, code: str, db: DB, page: int = Query(1, ge=1)) -> HTMLResponse:
    agency = db.scalar(select(Agency).where(func.lower(Agency.code) == code.lower()))
    if agency is None:
        raise NotFound(f"Không có cơ quan '{code}' trên cổng dữ liệu mở.")
    result = service.search(db, filters={"organization": [agency.code.lower()]}, sort="title asc",
                            rows=PAGE_SIZE, start=(page - 1) * PAGE_SIZE)
    if result.count == 0:
        raise NotFound(f"Cơ quan '{agency.name}' chưa công bố bộ dữ liệu mở nào.")
    return render(request, "opendata/organization.html", {
        "agency": agency, "items": result.items, "total": result.count, "page": page, "page_size": PAGE_SIZE,
        "query": "", "tag_counts": result.facets.get("tags", Counter()).most_common(10),
    })
