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

import numpy as np
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
    """Every published public dataset by name, without its columns (loaded on first use of ``columns``): the lists
    that call this show metadata only, and 10,000 datasets carry some 60,000 column objects."""
    return list(session.scalars(select(Dataset).where(Dataset.published.is_(True), Dataset.access == "public")
                                .order_by(Dataset.name)))


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


def groups_of(ds: DatasetInfo) -> list[str]:
    words = _words(" ".join([*ds.tags, ds.title]))
    return [code for code, (_label, phrases) in GROUPS.items() if any(_has_phrase(words, p) for p in phrases)]


def last_modified(session: Session, ds: DatasetInfo) -> datetime | None:
    return session.scalar(select(LoadBatch.created_at).where(
        LoadBatch.dataset_id == ds.id, LoadBatch.status == "loaded").order_by(LoadBatch.created_at.desc()).limit(1)
    ) or ds.last_batch_at


# ------------------------------------------------------------------------------------------------ search


@dataclass(frozen=True)
class PublicDataset:
    """What a search result shows of a published public dataset (a page's rows are read without ORM objects)."""

    id: int
    name: str
    title: str
    description: str
    owner_agency: str
    license_id: str
    update_frequency: str
    tags: list[str]
    schema_version: int
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_batch_at: datetime | None
    row_count: int

    @property
    def agency_code(self) -> str:
        return self.owner_agency


# A dataset as the public outputs read it: the ORM object or a search result's row.
DatasetInfo = Dataset | PublicDataset


@dataclass
class SearchResult:
    count: int
    items: list[PublicDataset]
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
    license_id: str = ""
    owner_agency: str = ""

    def word_scores(self) -> dict[str, int]:
        """Each word that finds this dataset and what it adds to the score: title 10, else tags 5, else 1."""
        scores = dict.fromkeys([*self.body_words, self.name], 1)
        scores.update(dict.fromkeys(self.tag_words, 5))
        scores.update(dict.fromkeys(self.title_words, 10))
        return scores


IndexEntry = _Entry  # what search_entries gives

FACET_KEYS = ("organization", "tags", "groups", "res_format")
# How often a search looks for changes made by another process (another worker, the CLI). Changes made through
# this process's sessions are applied at the next search after their commit.
SYNC_SECONDS = 2.0


def _entry(ds: Dataset) -> _Entry:
    return _Entry(id=ds.id, name=ds.name, title=normalize(ds.title), title_words=frozenset(_words(ds.title)),
                  tag_words=frozenset(_words(" ".join(ds.tags))),
                  body_words=frozenset(_words(f"{ds.name.replace('_', ' ')} {ds.description} {ds.owner_agency}")),
                  updated_at=ds.updated_at, facets=facet_values(ds), license_id=ds.license_id,
                  owner_agency=ds.owner_agency)


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

    Every entry has a *slot* (a position in the index's arrays, reused after a removal). Per word, the slots it
    finds and what it adds to their score (numpy arrays, made from the word's postings when first asked for after
    a change of them); per facet, a slots × values matrix of value codes (-1 padded) whose ``bincount`` over the
    hits gives the facet counts; per sort, every slot's rank in that order (made when first asked for after a
    change). A query is then a few vectorised operations over at most the index's size, whatever the number of
    hits: a mask of the hits, their scores, the counts, and the first ``start + rows`` by ``argpartition``.

    Publishing, unpublishing or editing one dataset replaces only its entry: through this process's sessions right
    after the commit (``_note_changes``); through another process at the next search, as the highest id or
    ``updated_at`` (two index look-ups) moved — the rows changed since the last look are re-read. Every
    ``SYNC_SECONDS`` and at each such move the published count is compared too: a difference left unexplained (a
    deletion by another process, a database replaced behind the process) rebuilds."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.changed: set[int] = set()
        self.built = False
        self.checked = 0.0
        self.seen_updated: datetime | None = None
        self.mark: tuple[Any, ...] | None = None
        self._clear()

    def _clear(self) -> None:
        self.entries: dict[int, _Entry] = {}
        self.slot_of: dict[int, int] = {}
        self.free: list[int] = []
        self.size = 0  # slots in use or freed: the arrays' meaningful length
        self.alive = np.zeros(0, dtype=bool)
        self.slot_ids = np.zeros(0, dtype=np.int64)  # slot → dataset id
        self.postings: dict[str, dict[int, int]] = {}  # word → {slot: score}
        self.posting_arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.vocab: dict[str, dict[str, int]] = {k: {} for k in FACET_KEYS}  # facet → value → code
        self.values: dict[str, list[str]] = {k: [] for k in FACET_KEYS}  # facet → code → value
        self.codes: dict[str, np.ndarray] = {k: np.full((0, 1), -1, dtype=np.int32) for k in FACET_KEYS}
        self.ranks: dict[str, np.ndarray] = {}
        self.totals: dict[str, Counter[str]] | None = None  # the facet counts over everything

    # -- maintenance
    def _grow(self) -> None:
        capacity = max(64, 2 * len(self.alive))
        more = capacity - len(self.alive)
        self.alive = np.concatenate([self.alive, np.zeros(more, dtype=bool)])
        self.slot_ids = np.concatenate([self.slot_ids, np.zeros(more, dtype=np.int64)])
        for key, codes in self.codes.items():
            padding = np.full((more, codes.shape[1]), -1, dtype=np.int32)
            self.codes[key] = np.concatenate([codes, padding])

    def remove(self, dataset_id: int) -> None:
        entry = self.entries.pop(dataset_id, None)
        if entry is None:
            return
        slot = self.slot_of.pop(dataset_id)
        for word in entry.word_scores():
            posting = self.postings.get(word)
            if posting is not None:
                posting.pop(slot, None)
                if not posting:
                    del self.postings[word]
            self.posting_arrays.pop(word, None)
        self.alive[slot] = False
        for codes in self.codes.values():
            codes[slot] = -1
        self.free.append(slot)
        self.ranks.clear()
        self.totals = None

    def put(self, entry: _Entry) -> None:
        self.remove(entry.id)
        if self.free:
            slot = self.free.pop()
        else:
            slot = self.size
            self.size += 1
            if slot >= len(self.alive):
                self._grow()
        self.entries[entry.id] = entry
        self.slot_of[entry.id] = slot
        self.slot_ids[slot] = entry.id
        self.alive[slot] = True
        for word, score in entry.word_scores().items():
            self.postings.setdefault(word, {})[slot] = score
            self.posting_arrays.pop(word, None)
        for key in FACET_KEYS:
            vocab, names = self.vocab[key], self.values[key]
            found = []
            for value in entry.facets.get(key, []):
                code = vocab.get(value)
                if code is None:
                    code = vocab[value] = len(names)
                    names.append(value)
                found.append(code)
            codes = self.codes[key]
            if len(found) > codes.shape[1]:
                wider = np.full((codes.shape[0], len(found)), -1, dtype=np.int32)
                wider[:, :codes.shape[1]] = codes
                codes = self.codes[key] = wider
            codes[slot] = -1
            codes[slot, :len(found)] = found
        self.ranks.clear()
        self.totals = None

    def _note(self, ds: Dataset) -> None:
        if self.seen_updated is None or ds.updated_at > self.seen_updated:
            self.seen_updated = ds.updated_at

    def rebuild(self, session: Session) -> None:
        self._clear()
        for ds in session.scalars(select(Dataset).where(Dataset.published.is_(True), Dataset.access == "public")
                                  .order_by(Dataset.id)):
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
    def posting(self, word: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(slots, scores) of one word, or None when it finds nothing."""
        arrays = self.posting_arrays.get(word)
        if arrays is None:
            posting = self.postings.get(word)
            if not posting:
                return None
            arrays = self.posting_arrays[word] = (np.fromiter(posting.keys(), np.int64, len(posting)),
                                                  np.fromiter(posting.values(), np.int64, len(posting)))
        return arrays

    def rank(self, sort: str) -> np.ndarray:
        """Every slot's position in the order of ``sort`` (ties by name), kept until the next change; free
        slots come last."""
        cached = self.ranks.get(sort)
        if cached is None:
            entries = sorted(self.entries.values(), key=lambda e: e.name)
            key, reverse = _ORDER_KEYS[sort]
            entries.sort(key=key, reverse=reverse)
            cached = np.full(self.size, len(entries), dtype=np.int64)
            cached[[self.slot_of[e.id] for e in entries]] = np.arange(len(entries), dtype=np.int64)
            self.ranks[sort] = cached
        return cached

    def facet_counts(self, hits: np.ndarray) -> dict[str, Counter[str]]:
        """Counts per facet value over ``hits`` (slots), most frequent first, ties by value."""
        out: dict[str, Counter[str]] = {}
        for key in FACET_KEYS:
            codes = self.codes[key][hits].ravel()
            counts = np.bincount(codes[codes >= 0], minlength=len(self.values[key]))
            names = self.values[key]
            found = sorted(((names[c], int(counts[c])) for c in np.flatnonzero(counts)),
                           key=lambda p: (-p[1], p[0]))
            out[key] = Counter(dict(found))
        return out

    def query(self, terms: list[str], filters: dict[str, list[str]], sort: str, stop: int
              ) -> tuple[int, list[int], dict[str, Counter[str]]]:
        """(number of hits, the dataset ids of the first ``stop`` in order, the facet counts over all hits)."""
        size = self.size
        mask = self.alive[:size].copy()
        score = np.zeros(size, dtype=np.int64)
        for term in terms:
            arrays = self.posting(term)
            if arrays is None:
                mask[:] = False
                break
            term_score = np.zeros(size, dtype=np.int64)
            term_score[arrays[0]] = arrays[1]
            mask &= term_score > 0
            score += term_score
        for key, wanted in filters.items():
            vocab = self.vocab.get(key, {})
            codes = [vocab[v] for v in wanted if v in vocab]
            if not codes:
                mask[:] = False
                continue
            mask &= np.isin(self.codes[key][:size], codes).any(axis=1)
        hits = np.flatnonzero(mask)
        if sort in _ORDER_KEYS:
            keys = self.rank(sort)[hits]
        else:  # by score, then title, then name
            keys = (score.max(initial=0) - score[hits]) * (size + 1) + self.rank("title asc")[hits]
        if stop < len(hits):
            first = np.argpartition(keys, stop - 1)[:stop] if stop > 0 else np.zeros(0, dtype=np.int64)
            order = first[np.argsort(keys[first], kind="stable")]
        else:
            order = np.argsort(keys, kind="stable")
        if terms or filters:
            counts = self.facet_counts(hits)
        else:  # everything: the counts are kept until the next change
            if self.totals is None:
                self.totals = self.facet_counts(hits)
            counts = {key: Counter(counter) for key, counter in self.totals.items()}
        return len(hits), self.slot_ids[hits[order]].tolist(), counts


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


def search(session: Session, *, q: str = "", filters: dict[str, list[str]] | None = None,
           sort: str = "score desc", rows: int = 10, start: int = 0) -> SearchResult:
    """Diacritic-insensitive search over published datasets with facets by organization, tags, groups and
    res_format (the names CKAN uses). ``filters`` maps those facet names to the wanted values (AND)."""
    filters = filters or {}
    sort = _sort_key(sort)
    terms = [t for t in _words(q) if t not in ("*",)]
    index = _index_for(session)
    start = max(0, start)
    with index.lock:
        index.sync(session)
        count, ordered, counters = index.query(terms, filters, sort, start + max(0, rows))
    page_ids = ordered[start:start + rows]
    return SearchResult(count=count, items=page_rows(session, page_ids), facets=counters)


def search_entries(session: Session, *, q: str = "", sort: str = "score desc") -> list[_Entry]:
    """Every hit of ``q`` in the order of ``sort``, as the index holds it (name, licence, owner, facet values;
    immutable): for callers that filter further before showing a page (CKAN's ``fq``), without reading rows."""
    terms = [t for t in _words(q) if t not in ("*",)]
    index = _index_for(session)
    with index.lock:
        index.sync(session)
        _count, ordered, _facets = index.query(terms, {}, _sort_key(sort), index.size)
        return [index.entries[i] for i in ordered]


_PAGE_FIELDS = tuple(getattr(Dataset, f) for f in PublicDataset.__dataclass_fields__)


def page_rows(session: Session, ids: list[int]) -> list[PublicDataset]:
    """The listed fields of these published public datasets, in this order, in one plain SELECT (no ORM
    objects: a result page needs no columns, relationships or change tracking)."""
    if not ids:
        return []
    found: dict[int, PublicDataset] = {}
    for part in range(0, len(ids), 5_000):  # a CKAN client may ask for every dataset: bounded IN lists
        query = select(*_PAGE_FIELDS).where(Dataset.id.in_(ids[part:part + 5_000]), Dataset.published.is_(True),
                                            Dataset.access == "public")
        found.update((row.id, PublicDataset(*row)) for row in session.execute(query))
    return [found[i] for i in ids if i in found]


def facet_values(ds: DatasetInfo) -> dict[str, list[str]]:
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
