"""The open data portal's view of the catalog: only published public datasets, never a PII column.

Every public output — portal pages, downloads, the CKAN Action API, DCAT feeds — goes through this module, so
the rule "published, public, no personal data" is enforced in one place.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import event, func, select
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


@functools.lru_cache(maxsize=1024)
def _phrase_words(phrase: str) -> list[str]:
    return _words(phrase)


def _has_phrase(words: list[str], phrase: str) -> bool:
    wanted = _phrase_words(phrase)  # the topic phrases are few: normalised once, not once per dataset
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


FACET_KEYS = ("organization", "tags", "groups", "res_format")
# How often a search looks for changes made by another process (another worker, the CLI). Changes made through
# this process's sessions are applied at the next search after their commit.
SYNC_SECONDS = 2.0


def _entry(ds: Dataset) -> _Entry:
    return _Entry(id=ds.id, name=ds.name, title=normalize(ds.title), title_words=frozenset(_words(ds.title)),
                  tag_words=frozenset(_words(" ".join(ds.tags))),
                  body_words=frozenset(_words(f"{ds.name.replace('_', ' ')} {ds.description} {ds.owner_agency}")),
                  updated_at=ds.updated_at, facets=facet_values(ds))


_ORDER_KEYS: dict[str, tuple[Any, bool]] = {
    "title asc": (lambda e: e.title, False), "title desc": (lambda e: e.title, True),
    "name asc": (lambda e: e.name, False), "name desc": (lambda e: e.name, True),
    "metadata_modified asc": (lambda e: e.updated_at, False),
    "metadata_modified desc": (lambda e: e.updated_at, True),
}


def _sort_key(sort: str | None) -> str:
    """"title", "title desc" → "title desc"; "title asc" → "title asc"; anything else → "score desc"."""
    field_name, _, direction = (sort or "score desc").partition(" ")
    key = f"{field_name} {'asc' if direction == 'asc' else 'desc'}"
    return key if key in _ORDER_KEYS else "score desc"


class _SearchIndex:
    """The published datasets of one database, normalised once and kept up to date entry by entry.

    Inverted maps (word → ids, facet value → ids) give a query its candidates without scanning every entry; the
    facet counts over all entries and the ordered id lists (per sort) serve the empty query. Publishing,
    unpublishing or editing one dataset replaces only its entry: through this process's sessions right after the
    commit (``_note_changes``); through another process at the next search, as the highest id or ``updated_at``
    (two index look-ups) moved — the rows changed since the last look are re-read. Every ``SYNC_SECONDS`` and at
    each such move the published count is compared too: a difference left unexplained (a deletion by another
    process, a database replaced behind the process) rebuilds."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.entries: dict[int, _Entry] = {}
        self.words: dict[str, set[int]] = {}
        self.facet_ids: dict[tuple[str, str], set[int]] = {}
        self.totals: dict[str, Counter[str]] = {k: Counter() for k in FACET_KEYS}
        self.orders: dict[str, list[int]] = {}
        self.changed: set[int] = set()
        self.built = False
        self.checked = 0.0
        self.seen_updated: datetime | None = None
        self.mark: tuple[Any, ...] | None = None

    # -- maintenance
    def _words_of(self, entry: _Entry) -> set[str]:
        return {*entry.title_words, *entry.tag_words, *entry.body_words, entry.name}

    def remove(self, dataset_id: int) -> None:
        entry = self.entries.pop(dataset_id, None)
        if entry is None:
            return
        for word in self._words_of(entry):
            ids = self.words.get(word)
            if ids is not None:
                ids.discard(dataset_id)
                if not ids:
                    del self.words[word]
        for key, values in entry.facets.items():
            for value in values:
                ids = self.facet_ids.get((key, value))
                if ids is not None:
                    ids.discard(dataset_id)
                    if not ids:
                        del self.facet_ids[(key, value)]
            self.totals[key].subtract(values)
            self.totals[key] = +self.totals[key]
        self.orders.clear()

    def put(self, entry: _Entry) -> None:
        self.remove(entry.id)
        self.entries[entry.id] = entry
        for word in self._words_of(entry):
            self.words.setdefault(word, set()).add(entry.id)
        for key, values in entry.facets.items():
            for value in values:
                self.facet_ids.setdefault((key, value), set()).add(entry.id)
            self.totals[key].update(values)
        self.orders.clear()

    def _note(self, ds: Dataset) -> None:
        if self.seen_updated is None or ds.updated_at > self.seen_updated:
            self.seen_updated = ds.updated_at

    def rebuild(self, session: Session) -> None:
        self.entries, self.words, self.facet_ids, self.orders = {}, {}, {}, {}
        self.totals = {k: Counter() for k in FACET_KEYS}
        for ds in session.scalars(select(Dataset).where(Dataset.published.is_(True), Dataset.access == "public")):
            self.put(_entry(ds))
        self.seen_updated = session.scalar(select(func.max(Dataset.updated_at)))
        self.built = True
        self.checked = time.monotonic()

    def refresh(self, session: Session, ids: set[int]) -> None:
        """Re-read these datasets: published and public ones get a fresh entry, the others leave the index."""
        query = select(Dataset).where(Dataset.id.in_(ids)).execution_options(populate_existing=True)
        found = {ds.id: ds for ds in session.scalars(query)} if ids else {}
        for dataset_id in ids:
            ds = found.get(dataset_id)
            if ds is not None:
                self._note(ds)
            if ds is not None and ds.published and ds.access == "public":
                self.put(_entry(ds))
            else:
                self.remove(dataset_id)

    def sync(self, session: Session) -> None:
        if not self.built:
            self.rebuild(session)
            return
        if self.changed:
            ids, self.changed = self.changed, set()
            self.refresh(session, ids)
        # Two index look-ups per search: a dataset added or changed anywhere moves one of them.
        mark = tuple(session.execute(select(select(func.max(Dataset.id)).scalar_subquery(),
                                            select(func.max(Dataset.updated_at)).scalar_subquery())).one())
        if mark == self.mark and time.monotonic() - self.checked < SYNC_SECONDS:
            return
        self.mark = mark
        since = self.seen_updated
        query = select(Dataset.id)
        if since is not None:
            # Strictly later: a change stamped with the very microsecond of the last one seen waits for a rebuild.
            query = query.where(Dataset.updated_at > since)
        moved = set(session.scalars(query))
        self.refresh(session, moved)
        count = session.scalar(select(func.count(Dataset.id)).where(Dataset.published.is_(True),
                                                                    Dataset.access == "public"))
        if count != len(self.entries):
            self.rebuild(session)
        self.checked = time.monotonic()

    # -- queries
    def ordered(self, sort: str) -> list[int]:
        """All ids in the order of ``sort`` (the empty query's result), kept until the next change."""
        cached = self.orders.get(sort)
        if cached is None:
            entries = sorted(self.entries.values(), key=lambda e: e.name)
            if sort in _ORDER_KEYS:
                key, reverse = _ORDER_KEYS[sort]
                entries.sort(key=key, reverse=reverse)
            else:
                entries.sort(key=lambda e: e.title)
            cached = self.orders[sort] = [e.id for e in entries]
        return cached


_indexes: dict[str, _SearchIndex] = {}
_indexes_lock = threading.Lock()


def _index_for(session: Session) -> _SearchIndex:
    key = str(session.get_bind().engine.url)
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = _SearchIndex()
    return index


@event.listens_for(Session, "after_flush")
def _collect_changes(session: Session, _context: Any) -> None:
    ids = {o.id for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, Dataset) and o.id}
    if ids:
        session.info.setdefault("opendata_search_changed", set()).update(ids)


@event.listens_for(Session, "after_commit")
def _note_changes(session: Session) -> None:
    ids = session.info.pop("opendata_search_changed", None)
    if not ids:
        return
    try:
        key = str(session.get_bind().engine.url)
    except Exception:  # a session without a bind: nothing indexed through it
        return
    index = _indexes.get(key)
    if index is not None:
        with index.lock:
            index.changed |= ids


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("opendata_search_changed", None)


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
    sort = _sort_key(sort)
    terms = [t for t in _words(q) if t not in ("*",)]
    index = _index_for(session)
    with index.lock:
        index.sync(session)
        candidates: set[int] | None = None
        for term in terms:
            found = index.words.get(term, set())
            candidates = set(found) if candidates is None else candidates & found
        for key, wanted in filters.items():
            found = set().union(*(index.facet_ids.get((key, v), set()) for v in wanted))
            candidates = found if candidates is None else candidates & found
        if candidates is None:  # the empty query: everything, in a kept order, with the kept facet counts
            order = index.ordered(sort)
            count = len(order)
            page_ids = order[start:start + rows]
            counters = {k: Counter(v) for k, v in index.totals.items()}
        else:
            entries = index.entries
            scored: list[tuple[float, _Entry]] = []
            for dataset_id in candidates:
                entry = entries[dataset_id]
                score = _score(entry, terms) if terms else 1.0
                if score > 0:
                    scored.append((score, entry))
            scored.sort(key=lambda p: p[1].name)
            if sort in _ORDER_KEYS:
                key_fn, reverse = _ORDER_KEYS[sort]
                scored.sort(key=lambda p: key_fn(p[1]), reverse=reverse)
            else:
                scored.sort(key=lambda p: (-p[0], p[1].title))
            counters = {k: Counter() for k in FACET_KEYS}
            for _score_value, entry in scored:
                for key, values in entry.facets.items():
                    counters[key].update(values)
            count = len(scored)
            page_ids = [entry.id for _s, entry in scored[start:start + rows]]
    by_id = {ds.id: ds for ds in session.scalars(published_query().where(Dataset.id.in_(page_ids)))} \
        if page_ids else {}
    items = [by_id[i] for i in page_ids if i in by_id]
    return SearchResult(count=count, items=items, facets=counters)


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
