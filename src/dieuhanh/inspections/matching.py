"""Enterprise resolution: a plan's record (name, address, legal representative, maybe a tax code) matched to the
province's enterprise register.

Records with a valid tax code match by that code (a branch "0123456789-001" to its own register row, else to its
parent). The others are scored against candidates found by blocking on rare name tokens: a Fellegi–Sunter style
sum of log-likelihood weights for the name (core tokens after removing the legal form, whose spellings vary:
"Cty TNHH", "Công ty trách nhiệm hữu hạn"), the legal form, the house number and street, the commune (an old,
pre-2025 address is mapped to the current commune through geo.reference) and the legal representative, turned
into a probability. Above ``AUTO`` the match is taken; between ``REVIEW`` and ``AUTO`` it goes to the analysts'
queue; below ``REVIEW`` the record is a new enterprise (not in the register, e.g. a household business).

Splink (suggested by the issue) would learn these weights by EM; we measured the fixed weights below on the
generator's labelled data (bench/inspections.py) and kept them to avoid a heavy dependency — see docs.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

AUTO = 0.90
REVIEW = 0.50

# Legal forms (loại hình doanh nghiệp), longest spelling first; each becomes one canonical token.
_LEGAL_FORMS: list[tuple[str, str]] = [
    ("cong ty trach nhiem huu han mot thanh vien", "#tnhh1"),
    ("cong ty tnhh mot thanh vien", "#tnhh1"), ("cong ty tnhh mtv", "#tnhh1"), ("cty tnhh mtv", "#tnhh1"),
    ("tnhh mot thanh vien", "#tnhh1"), ("tnhh mtv", "#tnhh1"),
    ("cong ty trach nhiem huu han", "#tnhh"), ("cong ty tnhh", "#tnhh"), ("cty tnhh", "#tnhh"),
    ("trach nhiem huu han", "#tnhh"), ("tnhh", "#tnhh"),
    ("cong ty co phan", "#cp"), ("cty co phan", "#cp"), ("cty cp", "#cp"), ("cong ty cp", "#cp"),
    ("ctcp", "#cp"), ("co phan", "#cp"),
    ("doanh nghiep tu nhan", "#dntn"), ("dntn", "#dntn"),
    ("hop tac xa", "#htx"), ("htx", "#htx"),
    ("ho kinh doanh", "#hkd"), ("hkd", "#hkd"),
    ("chi nhanh", "#cn"), ("cn", "#cn"),
    ("cong ty hop danh", "#hd"),
    ("cong ty", ""), ("cty", ""), ("c ty", ""),
]
_STOP = {"va", "&", "the", "viet", "nam", "vn", "tinh", "ninh", "binh"}
_ADDRESS_ABBR: list[tuple[str, str]] = [
    (r"\bp\b", "phuong"), (r"\bx\b", "xa"), (r"\btt\b", "thi tran"), (r"\btp\b", "thanh pho"),
    (r"\bq\b", "quan"), (r"\bh\b", "huyen"), (r"\bd\b", "duong"), (r"\bkcn\b", "khu cong nghiep"),
    (r"\bccn\b", "cum cong nghiep"), (r"\bso nha\b", "so"),
]
_ADMIN_WORDS = {"phuong", "xa", "thi", "tran", "thanh", "pho", "quan", "huyen", "tinh", "so", "duong", "to", "thon",
                "xom", "khu"}


def fold(text: str) -> str:
    """Lower case without accents, đ→d, punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFD", (text or "").lower().replace("đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(re.sub(r"[^0-9a-z&]+", " ", text).split())


@lru_cache(maxsize=200_000)
def name_key(name: str) -> tuple[str, tuple[str, ...]]:
    """(legal form, core tokens) of an enterprise name: "Cty TNHH Thực phẩm Hà Nam" → ("#tnhh", ("thuc", "pham",
    "ha")). Abbreviations and accents do not matter."""
    text = f" {fold(name)} "
    form = ""
    for spelling, canonical in _LEGAL_FORMS:
        padded = f" {spelling} "
        if padded in text:
            text = text.replace(padded, " ")
            if canonical and not form:
                form = canonical
    tokens = tuple(t for t in text.split() if t not in _STOP)
    return form, tokens


def address_key(address: str) -> str:
    text = fold(address)
    for pattern, repl in _ADDRESS_ABBR:
        text = re.sub(pattern, repl, text)
    return text


def street_key(address: str) -> tuple[str, frozenset[str]]:
    """(house number, street tokens) of the first part of an address ("Số 12, đường Lê Lợi, ..." → ("12",
    {"le", "loi"}))."""
    parts = [p for p in re.split(r"[,;]", address or "") if p.strip()]
    head = address_key(" ".join(parts[:2]))
    number = next((t for t in head.split() if t[:1].isdigit()), "")
    words = frozenset(t for t in head.split() if not t[:1].isdigit() and t not in _ADMIN_WORDS)
    return number, words


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def similarity(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


@dataclass
class Record:
    """What the matcher knows of a register row or a plan's record."""

    key: int  # register id, or the plan record's id
    name: str
    address: str = ""
    legal_rep: str = ""
    unit_code: str | None = None
    form: str = field(init=False)
    tokens: tuple[str, ...] = field(init=False)
    grams: set[str] = field(init=False)
    number: str = field(init=False)
    street: frozenset[str] = field(init=False)
    rep: str = field(init=False)

    def __post_init__(self) -> None:
        self.form, self.tokens = name_key(self.name)
        self.grams = trigrams(" ".join(self.tokens))
        self.number, self.street = street_key(self.address)
        self.rep = fold(self.legal_rep)


# Log2 likelihood ratios m/u for agreement levels, measured on the generator's labelled data.
_PRIOR = -9.0
_NAME = [(0.95, 10.0), (0.8, 7.0), (0.6, 3.0), (0.4, -1.0), (0.0, -6.0)]
_FORM_AGREE, _FORM_DISAGREE = 1.0, -2.0
_STREET_AGREE, _STREET_PARTIAL, _STREET_DISAGREE = 3.0, 1.0, -1.5
_NUMBER_AGREE, _NUMBER_DISAGREE = 1.5, -1.0
_UNIT_AGREE, _UNIT_DISAGREE = 2.5, -2.5
_REP_AGREE, _REP_DISAGREE = 4.0, -1.5


def score(a: Record, b: Record) -> float:
    """Probability that two records are the same enterprise (0..1)."""
    name_sim = max(similarity(a.tokens, b.tokens), similarity(a.grams, b.grams))
    weight = _PRIOR + next(w for threshold, w in _NAME if name_sim >= threshold)
    if a.form and b.form:
        weight += _FORM_AGREE if a.form == b.form else _FORM_DISAGREE
    if a.street and b.street:
        street_sim = similarity(a.street, b.street)
        weight += _STREET_AGREE if street_sim >= 0.8 else _STREET_PARTIAL if street_sim >= 0.4 else _STREET_DISAGREE
    if a.number and b.number:
        weight += _NUMBER_AGREE if a.number == b.number else _NUMBER_DISAGREE
    if a.unit_code and b.unit_code:
        weight += _UNIT_AGREE if a.unit_code == b.unit_code else _UNIT_DISAGREE
    if a.rep and b.rep:
        weight += _REP_AGREE if a.rep == b.rep else _REP_DISAGREE
    return 1.0 / (1.0 + math.pow(2.0, -weight))


class Index:
    """Blocking index of the register by name tokens (a token shared by many rows — "xay", "dung" — is skipped)."""

    MAX_BLOCK = 400

    def __init__(self, records: Iterable[Record]):
        self.records: dict[int, Record] = {}
        self.by_token: dict[str, list[int]] = defaultdict(list)
        for r in records:
            self.records[r.key] = r
            for t in set(r.tokens):
                self.by_token[t].append(r.key)

    def candidates(self, record: Record, limit: int = 60) -> list[int]:
        counts: dict[int, int] = defaultdict(int)
        for t in set(record.tokens):
            keys = self.by_token.get(t)
            if keys and len(keys) <= self.MAX_BLOCK:
                for k in keys:
                    counts[k] += 1
        return [k for k, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:limit]]

    def best(self, record: Record, exclude: frozenset[int] = frozenset()) -> tuple[int | None, float]:
        best_key, best_score = None, 0.0
        for k in self.candidates(record):
            if k in exclude:
                continue
            s = score(record, self.records[k])
            if s > best_score:
                best_key, best_score = k, s
        return best_key, best_score
