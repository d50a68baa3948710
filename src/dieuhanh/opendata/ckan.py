"""A read-only CKAN-compatible Action API over the open data portal (``/api/3/action/...`` and ``/api/action/...``).

CKAN clients (``ckanapi``, data portals that harvest CKAN, the national open-data portal) can list, search and
read the province's published public datasets as if this were a CKAN site with the DataStore extension. All
data goes through :mod:`dieuhanh.opendata.service`, so only published public datasets and public columns ever
leave; every column name a caller sends is checked against the public columns before it reaches SQL, and values
are always bound as parameters. Write actions are refused to everyone.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dieuhanh.catalog.models import Dataset, DatasetColumn
from dieuhanh.catalog.schemas import LICENSE_URLS, LICENSES, OPEN_LICENSES
from dieuhanh.core.errors import DomainError
from dieuhanh.core.warehouse import Warehouse, _quote
from dieuhanh.geo.reference import normalize
from dieuhanh.opendata import service
from dieuhanh.orgs.models import Agency
from dieuhanh.web.deps import DB
from dieuhanh.web.params import one_of

router = APIRouter(tags=["dữ liệu mở (CKAN API)"])

PREFIXES = ("/api/3/action", "/api/action")
CSRF_EXEMPT_PREFIXES = ("/api/3/", "/api/action/")
NAMESPACE = uuid.UUID("5b0f3c52-64a4-4f6b-9f41-1d8a3c1e2a77")
CKAN_VERSION = "2.10.4"
WRITE_VERBS = {"create", "update", "patch", "delete", "purge", "upsert", "insert", "add", "remove", "revise",
               "reorder", "set", "follow", "unfollow", "invite", "change", "bulk", "trigger", "make", "register",
               "edit", "clear", "rebuild", "sync", "send", "mail", "upload", "put", "post", "undelete"}
MAX_ROWS = 1000
DATASTORE_DEFAULT_LIMIT = 100
DATASTORE_MAX_LIMIT = 32000
FACET_LIMIT = 50  # CKAN's search.facets.default
DEFAULT_FACETS = ("organization", "groups", "tags", "res_format", "license_id")
FIELD_TYPES = {"string": "text", "unit_code": "text", "integer": "int", "number": "numeric", "boolean": "bool",
               "date": "date", "datetime": "timestamp"}
TEXT_TYPES = {"string", "unit_code"}
# Each engine's hidden row position, in the order rows were appended (loads only append rows or delete whole
# batches; DuckDB's rowid and PostgreSQL's ctid both follow it for such tables).
INSERTION_ORDER = {"duckdb": "rowid", "postgresql": "ctid"}


# ------------------------------------------------------------------------------------------------ errors


class CkanError(Exception):
    def __init__(self, kind: str, message: str, status: int, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.kind, self.message, self.status, self.fields = kind, message, status, fields or {}


def not_found(message: str) -> CkanError:
    return CkanError("Not Found Error", message, 404)


def invalid(field: str, message: str) -> CkanError:
    return CkanError("Validation Error", f"{field}: {message}", 409, {field: [message]})


def _fold_table() -> tuple[str, str]:
    """Characters with diacritics (Vietnamese and Latin) and their ASCII letter, for SQL ``translate``."""
    src, dst = ["đ", "Đ"], ["d", "D"]
    for code in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        ch = chr(code)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha():
            src.append(ch)
            dst.append(base)
    return "".join(src), "".join(dst)


FOLD_FROM, FOLD_TO = _fold_table()


# ------------------------------------------------------------------------------------------------ params


def _param(data: dict[str, Any], key: str, default: Any = None) -> Any:
    value = data.get(key, default)
    return default if value is None or value == "" else value


def _int(data: dict[str, Any], key: str, default: int, *, maximum: int | None = None) -> int:
    raw = _param(data, key, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise invalid(key, "Phải là số nguyên không âm.") from None
    if value < 0:
        raise invalid(key, "Phải là số nguyên không âm.")
    return min(value, maximum) if maximum is not None else value


def _facet_limit(data: dict[str, Any]) -> int | None:
    """CKAN's ``facet.limit``: 50 by default, a negative number (``-1``, as ``ckanapi`` and many portals send)
    means every value; None here is "no limit"."""
    raw = _param(data, "facet.limit", FACET_LIMIT)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise invalid("facet.limit", "Phải là số nguyên (-1 là không giới hạn).") from None
    return None if value < 0 else value


def _bool(data: dict[str, Any], key: str, default: bool = False) -> bool:
    raw = _param(data, key, default)
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().lower() in ("true", "1", "yes", "on")


def _json(data: dict[str, Any], key: str) -> Any:
    """A structured parameter: as sent in a JSON body, or JSON-encoded in a query string or form field."""
    raw = _param(data, key)
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except ValueError:
                raise invalid(key, "JSON không hợp lệ.") from None
    return raw


def _list(data: dict[str, Any], key: str) -> list[str] | None:
    value = _json(data, key)
    if value is None:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise invalid(key, "Phải là danh sách tên.")


async def _request_data(request: Request) -> dict[str, Any]:
    data: dict[str, Any] = dict(request.query_params)
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            data.update({k: v for k, v in form.items() if isinstance(v, str)})
        else:
            body = await request.body()
            if body.strip():
                try:
                    parsed = json.loads(body)
                except ValueError:
                    raise CkanError("Bad request", "Bad request - JSON Error: nội dung không phải JSON.", 400) from None
                if not isinstance(parsed, dict):
                    raise CkanError("Bad request", "Bad request - JSON Error: cần một đối tượng JSON.", 400)
                data.update(parsed)
    return data


def base_url(request: Request) -> str:
    configured = getattr(request.app.state.settings, "public_base_url", None)
    return (configured or str(request.base_url)).rstrip("/")


# ------------------------------------------------------------------------------------------------ dicts


def package_id(ds: service.DatasetInfo | service.IndexEntry) -> str:
    return _package_id_of(ds.name)


def _package_id_of(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"dataset:{name}"))


def org_id(code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"organization:{code.lower()}"))


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _agencies(session: Session) -> dict[str, Agency]:
    return {a.code: a for a in session.scalars(select(Agency))}


def org_dict(agency: Agency, *, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": org_id(agency.code), "name": agency.code.lower(), "title": agency.name, "display_name": agency.name,
        "description": "", "type": "organization", "is_organization": True, "state": "active",
        "approval_status": "approved", "image_url": "", "created": _iso(agency.created_at),
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group_dict(code: str, *, package_count: int | None = None) -> dict[str, Any]:
    title = service.GROUPS[code][0]
    out: dict[str, Any] = {"id": code, "name": code, "title": title, "display_name": title, "description": "",
                           "type": "group", "is_organization": False, "state": "active", "image_url": ""}
    if package_count is not None:
        out["package_count"] = package_count
    return out


def license_dict(license_id: str) -> dict[str, Any]:
    """A licence as CKAN's ``license_list`` gives it."""
    is_open = license_id in OPEN_LICENSES
    return {"id": license_id, "title": LICENSES[license_id], "url": LICENSE_URLS.get(license_id, ""),
            "status": "active", "maintainer": "", "family": "", "is_generic": license_id.startswith("other-"),
            "is_okd_compliant": is_open, "is_osi_compliant": False,
            "od_conformance": "approved" if is_open else "not reviewed", "osd_conformance": "not reviewed",
            "domain_content": True, "domain_data": True, "domain_software": False}


def resource_id(ds: service.DatasetInfo, fmt: str) -> str:
    return f"{ds.name}-{fmt}"


def resource_dict(ds: service.DatasetInfo, fmt: str, base: str, modified: str | None, position: int) -> dict[str, Any]:
    label = service.FORMAT_LABELS[fmt]
    return {
        "id": resource_id(ds, fmt), "package_id": package_id(ds), "name": f"{ds.title} ({label})",
        "description": f"Toàn bộ dữ liệu mở của bộ '{ds.title}', định dạng {label}.", "format": label,
        "mimetype": {"csv": "text/csv", "json": "application/json", "parquet": "application/vnd.apache.parquet",
                     "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[fmt],
        "url": f"{base}/opendata/datasets/{ds.name}/download.{fmt}", "url_type": None,
        "datastore_active": fmt == "csv", "state": "active", "position": position,
        "created": _iso(ds.published_at or ds.created_at), "last_modified": modified, "metadata_modified": modified,
    }


def package_dict(session: Session, ds: service.DatasetInfo, base: str, agencies: dict[str, Agency]) -> dict[str, Any]:
    agency = agencies.get(ds.owner_agency)
    organization = org_dict(agency) if agency else {"id": org_id(ds.owner_agency), "name": ds.owner_agency.lower(),
                                                     "title": ds.owner_agency}
    modified = _iso(service.last_modified(session, ds) or ds.updated_at)
    resources = [resource_dict(ds, fmt, base, modified, i) for i, fmt in enumerate(service.FORMATS)]
    tags = [{"id": t, "name": t, "display_name": t, "state": "active", "vocabulary_id": None} for t in ds.tags]
    return {
        "id": package_id(ds), "name": ds.name, "title": ds.title, "notes": ds.description,
        "license_id": ds.license_id, "license_title": service.license_title(ds.license_id),
        "license_url": LICENSE_URLS.get(ds.license_id, ""),
        "organization": organization, "owner_org": organization["id"],
        "author": organization["title"], "maintainer": organization["title"],
        "tags": tags, "num_tags": len(tags),
        "groups": [group_dict(g) for g in service.groups_of(ds)],
        "metadata_created": _iso(ds.created_at), "metadata_modified": modified,
        "resources": resources, "num_resources": len(resources),
        "state": "active", "private": False, "type": "dataset", "isopen": ds.license_id in OPEN_LICENSES,
        "url": f"{base}/opendata/datasets/{ds.name}", "version": str(ds.schema_version),
        "extras": [{"key": "update_frequency", "value": ds.update_frequency},
                   {"key": "update_frequency_label", "value": service.frequency_label(ds.update_frequency)}],
    }


def _published_named(session: Session, name: str) -> Dataset | None:
    return session.scalar(service.published_query().where(Dataset.name == name))


def _find_package(session: Session, ref: str) -> Dataset:
    """By name (one look-up), else by package id (the uuid of a name: computed over the published names only)."""
    ds = _published_named(session, ref)
    if ds is None:
        names = session.scalars(select(Dataset.name).where(Dataset.published.is_(True), Dataset.access == "public"))
        name = next((n for n in names if _package_id_of(n) == ref), None)
        ds = _published_named(session, name) if name is not None else None
    if ds is None:
        raise not_found(f"Không có bộ dữ liệu mở '{ref}'.")
    return ds


def _find_resource(session: Session, ref: str) -> tuple[Dataset, str]:
    """``{name}-{format}``: the dataset by name (one look-up)."""
    for fmt in service.FORMATS:
        if ref.endswith(f"-{fmt}"):
            ds = _published_named(session, ref[:-len(fmt) - 1])
            if ds is not None:
                return ds, fmt
    raise not_found(f"Không có tài nguyên '{ref}'.")


def _find_agency(session: Session, ref: str) -> Agency:
    for agency in session.scalars(select(Agency).where(Agency.is_active.is_(True))):
        if ref in (agency.code, agency.code.lower(), org_id(agency.code)):
            return agency
    raise not_found(f"Không có tổ chức '{ref}'.")


# ------------------------------------------------------------------------------------------------ search


_FQ = re.compile(r'([+-]?)([A-Za-z_][\w.]*):("(?:[^"\\]|\\.)*"|\(.*?\)|\S+)')
SEARCH_FIELDS = {"organization", "tags", "groups", "res_format", "name", "license_id", "owner_org", "id"}


def parse_fq(text: str, key: str = "fq") -> tuple[dict[str, list[str]], dict[str, list[str]], str]:
    """Solr filter syntax -> (wanted values per field, excluded values per field, the remaining free text)."""
    wanted: dict[str, list[str]] = {}
    excluded: dict[str, list[str]] = {}
    rest: list[str] = []
    pos = 0
    for match in _FQ.finditer(text or ""):
        rest.append(text[pos:match.start()])
        pos = match.end()
        sign, field, raw = match.groups()
        if field not in SEARCH_FIELDS:
            if key == "q" and field in ("text", "*"):
                rest.append(raw.strip('"'))
                continue
            raise invalid(key, f"Không hỗ trợ lọc theo trường '{field}'.")
        if raw.startswith("("):
            values = [v.strip('"') for v in re.findall(r'"[^"]*"|[^\s()]+', raw) if v.upper() not in ("OR", "AND")]
        else:
            values = [raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw]
        (excluded if sign == "-" else wanted).setdefault(field, []).extend(values)
    rest.append((text or "")[pos:])
    return wanted, excluded, " ".join(" ".join(rest).split())


def _field_values(ds: service.DatasetInfo | service.IndexEntry, field: str) -> list[str]:
    if field == "name":
        return [ds.name]
    if field == "id":
        return [ds.name, package_id(ds)]
    if field == "license_id":
        return [ds.license_id]
    if field == "owner_org":
        return [org_id(ds.owner_agency), ds.owner_agency.lower()]
    facets = ds.facets if isinstance(ds, service.IndexEntry) else service.facet_values(ds)
    return facets.get(field, [])


def _matches(ds: service.DatasetInfo | service.IndexEntry, field: str, values: list[str]) -> bool:
    have = _field_values(ds, field)
    if field in ("organization", "res_format", "owner_org"):
        have_cmp, wanted = [h.lower() for h in have], [v.lower() for v in values]
    elif field == "tags":
        have_cmp, wanted = [normalize(h) for h in have], [normalize(v) for v in values]
    else:
        have_cmp, wanted = have, values
    return any(w in have_cmp for w in wanted)


def package_search(session: Session, data: dict[str, Any], base: str) -> dict[str, Any]:
    rows = _int(data, "rows", 10, maximum=MAX_ROWS)
    start = _int(data, "start", 0)
    sort = str(_param(data, "sort", "score desc")).strip().lower()
    sort = " ".join(sort.split())
    if sort not in service.SORTS:
        raise invalid("sort", f"Chỉ hỗ trợ: {', '.join(sorted(service.SORTS))}.")
    q_wanted, q_excluded, q_text = parse_fq(str(_param(data, "q", "")), "q")
    fq_value = _param(data, "fq", "")
    fq_list = _json(data, "fq_list") or []
    fq_text = " ".join([str(fq_value), *[str(f) for f in fq_list]])
    wanted, excluded, fq_rest = parse_fq(fq_text)
    if fq_rest.strip() not in ("", "*:*", "+dataset_type:dataset"):
        raise invalid("fq", f"Không hiểu bộ lọc '{fq_rest}'.")
    for field, values in q_wanted.items():
        wanted.setdefault(field, []).extend(values)
    for field, values in q_excluded.items():
        excluded.setdefault(field, []).extend(values)
    # The index's entries (no rows read): only the page shown is read from the database.
    everything = service.search_entries(session, q=q_text, sort=sort)
    found = [ds for ds in everything
             if all(_matches(ds, f, v) for f, v in wanted.items())
             and not any(_matches(ds, f, v) for f, v in excluded.items())]
    facet_fields = _list(data, "facet.field") or list(DEFAULT_FACETS)
    unknown = [f for f in facet_fields if f not in DEFAULT_FACETS]
    if unknown:
        raise invalid("facet.field", f"Không có facet '{unknown[0]}'.")
    facet_limit = _facet_limit(data)
    counters: dict[str, Counter[str]] = {f: Counter() for f in facet_fields}
    for ds in found:
        for f in facet_fields:
            counters[f].update(_field_values(ds, f) if f != "license_id" else [ds.license_id])
    agencies = _agencies(session)
    facets = {f: dict(c) for f, c in counters.items()}
    search_facets = {}
    for f, counter in counters.items():
        items = []
        for name, count in counter.most_common(facet_limit):
            display = name
            if f == "organization":
                agency = next((a for code, a in agencies.items() if code.lower() == name), None)
                display = agency.name if agency else name
            elif f == "groups" and name in service.GROUPS:
                display = service.GROUPS[name][0]
            elif f == "license_id":
                display = service.license_title(name)
            items.append({"name": name, "display_name": display, "count": count})
        search_facets[f] = {"title": f, "items": items}
    page = service.page_rows(session, [e.id for e in found[start:start + rows]])
    return {"count": len(found), "sort": sort, "facets": facets, "search_facets": search_facets,
            "results": [package_dict(session, ds, base, agencies) for ds in page]}


# ------------------------------------------------------------------------------------------------ datastore


def _coerce(column: DatasetColumn, value: Any) -> tuple[str, Any]:
    """(SQL expression for the column, the value bound to it) for an equality filter."""
    quoted = _quote(column.name)
    try:
        if column.type == "integer":
            return quoted, int(value)
        if column.type == "number":
            return quoted, float(value)
        if column.type == "boolean":
            if isinstance(value, bool):
                return quoted, value
            text = str(value).strip().lower()
            if text not in ("true", "false", "1", "0"):
                raise ValueError(text)
            return quoted, text in ("true", "1")
    except (TypeError, ValueError):
        raise invalid("filters", f"Giá trị '{value}' không hợp với kiểu của cột '{column.name}'.") from None
    return f"CAST({quoted} AS VARCHAR)", str(value)


def _fold(expr: str) -> str:
    return f"lower(translate({expr}, ?, ?))"


def datastore_search(session: Session, warehouse: Warehouse, data: dict[str, Any], path: str) -> dict[str, Any]:
    ref = _param(data, "resource_id") or _param(data, "id")
    if not ref:
        raise invalid("resource_id", "Thiếu giá trị.")
    ds, _fmt = _find_resource(session, str(ref))
    columns = {c.name: c for c in service.public_columns(ds)}
    limit = _int(data, "limit", DATASTORE_DEFAULT_LIMIT, maximum=DATASTORE_MAX_LIMIT)
    offset = _int(data, "offset", 0)

    def known(field: str, name: Any) -> DatasetColumn:
        if not isinstance(name, str) or name not in columns:
            raise invalid(field, f"Cột không tồn tại: '{name}'.")
        return columns[name]

    fields = _list(data, "fields")
    selected = [known("fields", f).name for f in fields] if fields else list(columns)
    clauses: list[str] = []
    params: list[Any] = []
    filters = _json(data, "filters")
    if filters is not None:
        if not isinstance(filters, dict):
            raise invalid("filters", "Phải là một đối tượng JSON {cột: giá trị}.")
        for name, value in filters.items():
            column = known("filters", name)
            values = value if isinstance(value, list) else [value]
            if not values:
                raise invalid("filters", f"Danh sách giá trị rỗng cho cột '{name}'.")
            parts = []
            for v in values:
                if v is None:
                    parts.append(f"{_quote(column.name)} IS NULL")
                    continue
                expr, bound = _coerce(column, v)
                parts.append(f"{expr} = ?")
                params.append(bound)
            clauses.append("(" + " OR ".join(parts) + ")")
    q = _json(data, "q")
    if q is not None:
        text_columns = [c for c in columns.values() if c.type in TEXT_TYPES]
        searches: list[tuple[list[DatasetColumn], str]] = []
        if isinstance(q, dict):
            searches = [([known("q", name)], str(value)) for name, value in q.items()]
        elif isinstance(q, str):
            searches = [(text_columns, q)]
        else:
            raise invalid("q", "Phải là chuỗi hoặc đối tượng {cột: chuỗi}.")
        for cols, text in searches:
            terms = normalize(text).split()
            if not terms:
                continue
            if not cols:
                clauses.append("1 = 0")
                continue
            haystack = " || ' ' || ".join(f"coalesce(CAST({_quote(c.name)} AS VARCHAR), '')" for c in cols)
            for term in terms:
                clauses.append(f"{_fold(haystack)} LIKE ?")
                params.extend([FOLD_FROM, FOLD_TO, f"%{term}%"])
    order_parts: list[str] = []
    insertion = INSERTION_ORDER[warehouse.kind]
    sort = _param(data, "sort")
    if sort:
        for item in str(sort).split(","):
            words = item.split()
            if not words:
                continue
            name = words[0].strip('"')
            direction = words[1].lower() if len(words) > 1 else "asc"
            if len(words) > 2 or direction not in ("asc", "desc"):
                raise invalid("sort", f"Không hiểu sắp xếp '{item.strip()}'.")
            target = insertion if name == "_id" else _quote(known("sort", name).name)
            order_parts.append(f"{target} {direction.upper()}")
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    # As CKAN (which orders by ``_id``): the caller's sort, then the order rows were loaded in, so paging with
    # limit/offset returns every record exactly once and ``limit=2&offset=1`` is records 2-3 of the whole.
    order_parts.append(f"{insertion} ASC")
    total = service.count_rows(warehouse, ds, where=where, params=params)
    table = service.read_page(warehouse, ds, limit=limit, offset=offset, columns=selected, where=where,
                              params=params, order_by=", ".join(order_parts))
    records = [{k: _plain(v) for k, v in row.items() if k in selected} for row in table.to_pylist()]
    query = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in data.items()
             if k not in ("offset",)}
    return {
        "resource_id": str(ref), "include_total": True, "records_format": "objects",
        "fields": [{"id": name, "type": FIELD_TYPES.get(columns[name].type, "text")} for name in selected],
        "records": records, "total": total, "limit": limit, "offset": offset,
        "_links": {"start": f"{path}?{urlencode(query)}",
                   "next": f"{path}?{urlencode({**query, 'offset': offset + limit})}"},
        **({"q": q} if isinstance(q, str) else {}),
        **({"filters": filters} if filters else {}),
        **({"sort": str(sort)} if sort else {}),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


# ------------------------------------------------------------------------------------------------ actions


def _published_by_owner(session: Session) -> Counter[str]:
    return Counter(ds.owner_agency for ds in service.published_datasets(session))


def _sorted_orgs(orgs: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    field, _, direction = " ".join(sort.lower().split()).partition(" ")
    if field not in ("name", "title", "package_count"):
        raise invalid("sort", "Chỉ hỗ trợ name, title hoặc package_count.")
    key = (lambda o: normalize(o["title"])) if field == "title" else (lambda o: o[field])
    return sorted(orgs, key=key, reverse=direction == "desc")


def run_action(action: str, data: dict[str, Any], request: Request, session: Session) -> Any:
    base = base_url(request)
    if action == "status_show":
        return {"site_title": request.app.title, "site_url": base, "site_description": request.app.description,
                "ckan_version": CKAN_VERSION, "api_version": 3, "locale_default": "vi", "error_emails_to": None,
                "extensions": ["datastore", "readonly"]}
    if action in ("package_list", "current_package_list_with_resources"):
        names = [ds.name for ds in service.published_datasets(session)]
        limit = _param(data, "limit")
        offset = _int(data, "offset", 0)
        end = offset + _int(data, "limit", 0) if limit is not None else None
        if action == "package_list":
            return names[offset:end]
        agencies = _agencies(session)
        return [package_dict(session, ds, base, agencies) for ds in service.published_datasets(session)[offset:end]]
    if action == "package_search":
        return package_search(session, data, base)
    if action == "package_show":
        ref = _param(data, "id") or _param(data, "name")
        if not ref:
            raise invalid("id", "Thiếu giá trị.")
        return package_dict(session, _find_package(session, str(ref)), base, _agencies(session))
    if action == "resource_show":
        ref = _param(data, "id")
        if not ref:
            raise invalid("id", "Thiếu giá trị.")
        ds, fmt = _find_resource(session, str(ref))
        modified = _iso(service.last_modified(session, ds) or ds.updated_at)
        return resource_dict(ds, fmt, base, modified, service.FORMATS.index(fmt))
    if action == "organization_list":
        counts = _published_by_owner(session)
        agencies = _agencies(session)
        orgs = [org_dict(agencies[code], package_count=n) for code, n in counts.items() if code in agencies]
        orgs = _sorted_orgs(orgs, str(_param(data, "sort", "name asc")))
        orgs = orgs[_int(data, "offset", 0):]
        if _param(data, "limit") is not None:
            orgs = orgs[:_int(data, "limit", 0)]
        return orgs if _bool(data, "all_fields") else [o["name"] for o in orgs]
    if action == "organization_show":
        ref = _param(data, "id")
        if not ref:
            raise invalid("id", "Thiếu giá trị.")
        agency = _find_agency(session, str(ref))
        mine = [ds for ds in service.published_datasets(session) if ds.owner_agency == agency.code]
        out = org_dict(agency, package_count=len(mine))
        if _bool(data, "include_datasets"):
            agencies = {agency.code: agency}
            out["packages"] = [package_dict(session, ds, base, agencies) for ds in mine]
        return out
    if action in ("group_list", "group_show"):
        datasets = service.published_datasets(session)
        counts = Counter(g for ds in datasets for g in service.groups_of(ds))
        if action == "group_show":
            ref = str(_param(data, "id", ""))
            if ref not in service.GROUPS:
                raise not_found(f"Không có nhóm '{ref}'.")
            out = group_dict(ref, package_count=counts[ref])
            if _bool(data, "include_datasets"):
                agencies = _agencies(session)
                out["packages"] = [package_dict(session, ds, base, agencies) for ds in datasets
                                   if ref in service.groups_of(ds)]
            return out
        groups = [group_dict(code, package_count=counts[code]) for code in service.GROUPS]
        groups = _sorted_orgs(groups, str(_param(data, "sort", "name asc")))
        return groups if _bool(data, "all_fields") else [g["name"] for g in groups]
    if action == "tag_list":
        tags = sorted({t for ds in service.published_datasets(session) for t in ds.tags}, key=normalize)
        query = normalize(str(_param(data, "query", "")))
        if query:
            tags = [t for t in tags if query in normalize(t)]
        if _bool(data, "all_fields"):
            return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in tags]
        return tags
    if action == "license_list":
        return [license_dict(k) for k in LICENSES]
    if action in ("datastore_search", "datastore_info"):
        result = datastore_search(session, request.app.state.warehouse, data if action == "datastore_search"
                                  else {**data, "limit": 0}, request.url.path)
        if action == "datastore_info":
            return {"meta": {"count": result["total"]}, "fields": result["fields"]}
        return result
    if action in ("datastore_search_sql", "resource_view_list"):
        if action == "resource_view_list":
            return []
        raise CkanError("Authorization Error", "datastore_search_sql không được mở trên cổng này.", 403)
    if is_write(action):
        raise CkanError("Authorization Error", f"Không được phép gọi '{action}': API dữ liệu mở chỉ cho đọc.", 403)
    raise CkanError("Bad request", f"Bad request - Action name not known: {action}", 400)


def is_write(action: str) -> bool:
    return any(part in WRITE_VERBS for part in action.lower().split("_"))


def _envelope(request: Request, action: str, body: dict[str, Any], status: int = 200) -> JSONResponse:
    help_url = f"{base_url(request)}{PREFIXES[0]}/help_show?name={action}"
    return JSONResponse({"help": help_url, **body}, status_code=status)


# the actions run_action answers (write actions get 403, any other name 400)
READ_ACTIONS = ("status_show", "package_list", "current_package_list_with_resources", "package_search",
                "package_show", "resource_show", "organization_list", "organization_show", "group_list",
                "group_show", "tag_list", "license_list", "datastore_search", "datastore_info",
                "datastore_search_sql", "resource_view_list")
ActionName = Annotated[str, Path(
    max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_]*$", json_schema_extra=one_of(READ_ACTIONS),
    description="Tên action CKAN, ví dụ package_search, datastore_search (action ghi bị từ chối với 403).")]


async def _handle(action: ActionName, request: Request, db: DB) -> JSONResponse:
    try:
        if is_write(action):
            raise CkanError("Authorization Error",
                            f"Không được phép gọi '{action}': API dữ liệu mở chỉ cho đọc.", 403)
        data = await _request_data(request)
        result = await run_in_threadpool(run_action, action, data, request, db)
    except CkanError as exc:
        error: dict[str, Any] = {"__type": exc.kind, "message": exc.message, **exc.fields}
        return _envelope(request, action, {"success": False, "error": error}, exc.status)
    except DomainError as exc:
        kind = {404: "Not Found Error", 403: "Authorization Error", 401: "Authorization Error"}.get(
            exc.status_code, "Validation Error")
        status = exc.status_code if kind != "Validation Error" else 409
        return _envelope(request, action, {"success": False, "error": {"__type": kind, "message": exc.message}},
                         status)
    return _envelope(request, action, {"success": True, "result": result})


for _prefix in PREFIXES:
    for _method in ("GET", "POST"):
        # one route per prefix and method, each with its own operation id (a shared one breaks OpenAPI clients)
        router.add_api_route(
            f"{_prefix}/{{action}}", _handle, methods=[_method], response_class=JSONResponse,
            summary="CKAN Action API (chỉ đọc)",
            operation_id=f"ckan_action_{_prefix.strip('/').replace('/', '_')}_{_method.lower()}",
        )
