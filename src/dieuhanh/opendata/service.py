"""The open data portal's view of the catalog: only published public datasets, never a PII column.

Every public output — portal pages, downloads, the CKAN Action API, DCAT feeds — goes through this module, so
the rule "published, public, no personal data" is enforced in one place.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from dieuhanh.catalog.models import Dataset, DatasetColumn, LoadBatch
from dieuhanh.catalog.schemas import FREQUENCIES, LICENSES
from dieuhanh.core.errors import NotFound
from dieuhanh.core.warehouse import Warehouse, _quote
from dieuhanh.geo.reference import normalize

FORMATS = ("csv", "json", "parquet", "xlsx")
FORMAT_LABELS = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "XLSX"}

# Topics (CKAN groups) derived from a dataset's tags and owner: the province's open-data themes.
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "dan-cu": ("Dân cư, lao động", ("dân số", "dân cư", "lao động", "hộ tịch")),
    "kinh-te": ("Kinh tế, tài chính", ("kinh tế", "ngân sách", "doanh nghiệp", "thuế", "bán lẻ", "xuất khẩu",
                                        "công nghiệp", "giá", "cpi", "iip", "du lịch", "khu công nghiệp")),
    "giao-duc": ("Giáo dục", ("giáo dục", "trường học", "tuyển sinh", "học sinh")),
    "y-te": ("Y tế", ("y tế", "bảo hiểm y tế", "tiêm chủng", "bệnh viện")),
    "moi-truong": ("Tài nguyên, môi trường", ("môi trường", "không khí", "chất thải", "nước", "nông nghiệp",
                                               "đất đai")),
    "giao-thong": ("Giao thông, an toàn", ("giao thông", "tai nạn", "an ninh")),
    "hanh-chinh": ("Hành chính công", ("hành chính", "thủ tục", "tthc", "dịch vụ công", "hồ sơ")),
}


def published_query() -> Any:
    return (select(Dataset).options(selectinload(Dataset.columns))
            .where(Dataset.published.is_(True), Dataset.access == "public"))


def published_datasets(session: Session) -> list[Dataset]:
    return list(session.scalars(published_query().order_by(Dataset.name)))


def get_published(session: Session, name_or_id: str) -> Dataset:
    """A published public dataset by name (or numeric id, as CKAN clients may send); 404 otherwise."""
    query = published_query()
    ds = session.scalar(query.where(Dataset.name == name_or_id))
    if ds is None and name_or_id.isdigit():
        ds = session.scalar(query.where(Dataset.id == int(name_or_id)))
    if ds is None:
        raise NotFound(f"Không có bộ dữ liệu mở '{name_or_id}'.")
    return ds


def public_columns(ds: Dataset) -> list[DatasetColumn]:
    """Columns that may leave through a public path: never PII, never an unreviewed PII suspect."""
    return [c for c in ds.columns if not c.pii and not (c.pii_suggestion and not c.pii_reviewed)]


def _words(text: str) -> list[str]:
    """Normalised syllables/words: search and topic matching work on whole words ("dan" is not "danh")."""
    return re.findall(r"[a-z0-9]+", normalize(text))


def _has_phrase(words: list[str], phrase: str) -> bool:
    wanted = _words(phrase)
    n = len(wanted)
    return any(words[i:i + n] == wanted for i in range(len(words) - n + 1))


def groups_of(ds: Dataset) -> list[str]:
    words = _words(" ".join([*ds.tags, ds.title]))
    return [code for code, (_label, phrases) in GROUPS.items() if any(_has_phrase(words, p) for p in phrases)]


def last_modified(session: Session, ds: Dataset) -> datetime | None:
    return session.scalar(select(LoadBatch.created_at).where(
        LoadBatch.dataset_id == ds.id, LoadBatch.status == "loaded").order_by(LoadBatch.created_at.desc()).limit(1)
    ) or ds.last_batch_at


# ------------------------------------------------------------------------------------------------ search


@dataclass
class SearchResult:
    count: int
    items: list[Dataset]
    facets: dict[str, Counter[str]] = field(default_factory=dict)


SORTS = {"score desc", "title asc", "title desc", "name asc", "name desc", "metadata_modified desc",
         "metadata_modified asc"}


@dataclass(frozen=True)
class _Entry:
    """What search needs of one published dataset, normalised once."""

    id: int
    name: str
    title: str
    title_words: frozenset[str]
    tag_words: frozenset[str]
    body_words: frozenset[str]
    updated_at: datetime
    facets: dict[str, list[str]]


_index_cache: dict[str, tuple[tuple[Any, ...], list[_Entry]]] = {}
_index_lock = threading.Lock()


def _signature(session: Session) -> tuple[Any, ...]:
    row = session.execute(select(func.count(Dataset.id), func.max(Dataset.updated_at), func.max(Dataset.published_at),
                                 func.max(Dataset.id)).where(Dataset.published.is_(True),
                                                             Dataset.access == "public")).one()
    return tuple(row)


def _index(session: Session) -> list[_Entry]:
    """The normalised search index of published datasets, rebuilt only when the published set changed
    (count, last update, last publication): a query then scores in memory and loads only the page shown."""
    key = str(session.get_bind().engine.url)
    signature = _signature(session)
    cached = _index_cache.get(key)
    if cached and cached[0] == signature:
        return cached[1]
    with _index_lock:
        entries = [
            _Entry(id=ds.id, name=ds.name, title=normalize(ds.title), title_words=frozenset(_words(ds.title)),
                   tag_words=frozenset(_words(" ".join(ds.tags))),
                   body_words=frozenset(_words(f"{ds.name.replace('_', ' ')} {ds.description} {ds.owner_agency}")),
                   updated_at=ds.updated_at, facets=facet_values(ds))
            for ds in published_datasets(session)
        ]
        _index_cache[key] = (signature, entries)
    return entries


def _score(entry: _Entry, terms: list[str]) -> float:
    """Title matches first, then tags, then description; every term must match a whole word somewhere."""
    score = 0.0
    for term in terms:
        if term in entry.title_words:
            score += 10
        elif term in entry.tag_words:
            score += 5
        elif term in entry.body_words or term == entry.name:
            score += 1
        else:
            return 0.0
    return score


def search(session: Session, *, q: str = "", filters: dict[str, list[str]] | None = None,
           sort: str = "score desc", rows: int = 10, start: int = 0) -> SearchResult:
    """Diacritic-insensitive search over published datasets with facets by organization, tags, groups and
    res_format (the names CKAN uses). ``filters`` maps those facet names to the wanted values (AND)."""
    filters = filters or {}
    terms = [t for t in _words(q) if t not in ("*",)]
    scored: list[tuple[float, _Entry]] = []
    for entry in _index(session):
        score = _score(entry, terms) if terms else 1.0
        if score <= 0:
            continue
        if all(any(v in entry.facets.get(key, []) for v in wanted) for key, wanted in filters.items()):
            scored.append((score, entry))
    field_name, _, direction = (sort or "score desc").partition(" ")
    reverse = direction != "asc"
    if field_name == "title":
        scored.sort(key=lambda p: p[1].title, reverse=reverse)
    elif field_name == "name":
        scored.sort(key=lambda p: p[1].name, reverse=reverse)
    elif field_name == "metadata_modified":
        scored.sort(key=lambda p: p[1].updated_at, reverse=reverse)
    else:
        scored.sort(key=lambda p: (-p[0], p[1].title))
    counters: dict[str, Counter[str]] = {k: Counter() for k in ("organization", "tags", "groups", "res_format")}
    for _score_value, entry in scored:
        for key, values in entry.facets.items():
            counters[key].update(values)
    page_ids = [entry.id for _s, entry in scored[start:start + rows]]
    by_id = {ds.id: ds for ds in session.scalars(published_query().where(Dataset.id.in_(page_ids)))} \
        if page_ids else {}
    items = [by_id[i] for i in page_ids if i in by_id]
    return SearchResult(count=len(scored), items=items, facets=counters)


def facet_values(ds: Dataset) -> dict[str, list[str]]:
    return {"organization": [ds.owner_agency.lower()], "tags": list(ds.tags), "groups": groups_of(ds),
            "res_format": [FORMAT_LABELS[f] for f in FORMATS]}


# ------------------------------------------------------------------------------------------------ rows


def count_rows(warehouse: Warehouse, ds: Dataset, *, where: str = "", params: list[Any] | None = None) -> int:
    if not warehouse.table_exists(ds.name):
        return 0
    return int(warehouse.query(f"SELECT count(*) FROM {_quote(ds.name)}{where}", params or []).column(0)[0].as_py())


def read_page(warehouse: Warehouse, ds: Dataset, *, limit: int, offset: int, columns: list[str] | None = None,
              where: str = "", params: list[Any] | None = None, order_by: str = "") -> pa.Table:
    """A page of public columns. ``where``/``order_by`` must be built from quoted public column names only."""
    allowed = [c.name for c in public_columns(ds)]
    cols = [c for c in (columns or allowed) if c in allowed]
    if not cols or not warehouse.table_exists(ds.name):
        return pa.table({c: pa.array([], pa.string()) for c in cols})
    select_cols = ", ".join(_quote(c) for c in cols)
    order = order_by or ", ".join(_quote(c) for c in cols[:3])
    return warehouse.query(f"SELECT {select_cols} FROM {_quote(ds.name)}{where} ORDER BY {order} LIMIT ? OFFSET ?",
                           [*(params or []), limit, offset])


def iter_batches(warehouse: Warehouse, ds: Dataset, *, batch_rows: int = 50_000) -> Iterator[pa.Table]:
    """All public rows, page by page, so a 5 M-row download never sits in memory whole."""
    total = count_rows(warehouse, ds)
    for offset in range(0, total, batch_rows):
        yield read_page(warehouse, ds, limit=batch_rows, offset=offset)


def license_title(license_id: str) -> str:
    return LICENSES.get(license_id, license_id)


def frequency_label(code: str) -> str:
    return FREQUENCIES.get(code, (code, None))[0]


def iter_public_batches(warehouse: Warehouse, ds: Dataset, *, batch_rows: int = 50_000) -> Iterator[pa.Table]:
    """Like ``iter_batches`` but ordered by every public column, so OFFSET pages can neither overlap nor skip
    rows when the first columns tie (rows equal in every public column are interchangeable)."""
    order = ", ".join(_quote(c.name) for c in public_columns(ds))
    total = count_rows(warehouse, ds)
    for offset in range(0, total, batch_rows):
        yield read_page(warehouse, ds, limit=batch_rows, offset=offset, order_by=order)
