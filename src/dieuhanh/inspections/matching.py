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
from functools import cached_property, lru_cache

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
    ("doanh nghiep tu nhan", "#dntn"), ("dn tu nhan", "#dntn"), ("dntn", "#dntn"),
    ("hop tac xa", "#htx"), ("htx", "#htx"),
    ("ho kinh doanh", "#hkd"), ("hkd", "#hkd"),
    ("chi nhanh", "#cn"), ("cn", "#cn"),
    ("cong ty hop danh", "#hd"),
    ("cong ty", ""), ("cty", ""), ("c ty", ""),
]
_STOP = {"va", "&"}
_ADMIN_WORDS = {"phuong", "xa", "thi", "tran", "thanh", "pho", "quan", "huyen", "tinh", "so", "duong", "to", "thon",
                "xom", "khu"}


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x80, 0x2000):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
        if base != ch and base.isascii():
            table[code] = base
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    return table


_FOLD = _fold_table()
_NON_WORD = re.compile(r"[^0-9a-z&]+")


def fold(text: str) -> str:
    """Lower case without accents, đ→d, punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFC", text or "").translate(_FOLD).lower()
    return " ".join(_NON_WORD.sub(" ", text).split())


def _close(a: str, b: str) -> bool:
    """Equal, or one typing slip apart (a letter missing, extra or wrong) for words of 4+ letters."""
    if a == b:
        return True
    if min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1:]


_FORM_WORDS: dict[str, list[tuple[list[str], str]]] = defaultdict(list)
for _spelling, _canonical in _LEGAL_FORMS:
    _FORM_WORDS[_spelling.split()[0]].append((_spelling.split(), _canonical))


@lru_cache(maxsize=20_000)
def _forms_starting(word: str) -> tuple[tuple[list[str], str], ...]:
    exact = _FORM_WORDS.get(word)
    if exact is not None:
        return tuple(exact)
    return tuple(f for first, forms in _FORM_WORDS.items() if _close(word, first) for f in forms)


@lru_cache(maxsize=200_000)
def name_key(name: str) -> tuple[str, tuple[str, ...]]:
    """(legal form, core tokens) of an enterprise name: "Cty TNHH Thực phẩm Hà Nam" → ("#tnhh", ("thuc", "pham",
    "ha", "nam")). Abbreviations, accents and a slip in the legal form ("Côg ty", "trch nhiệm") do not matter."""
    words = fold(name).split()
    form = ""
    stripped = True
    while stripped:
        stripped = False
        for spelling, canonical in (_forms_starting(words[0]) if words else []):
            n = len(spelling)
            if len(words) > n and all(_close(w, s) for w, s in zip(words[:n], spelling, strict=False)):
                words = words[n:]
                form = form or canonical
                stripped = True
                break
    return form, tuple(t for t in words if t not in _STOP)


_ABBR = {"p": "phuong", "x": "xa", "tt": "thi tran", "tp": "thanh pho", "q": "quan", "h": "huyen", "d": "duong",
         "t": "tinh", "kcn": "khu cong nghiep", "ccn": "cum cong nghiep"}


@lru_cache(maxsize=100_000)
def address_key(address: str) -> str:
    return " ".join(_ABBR.get(t, t) for t in fold(address).split())


@lru_cache(maxsize=100_000)
def street_key(address: str) -> tuple[str, frozenset[str]]:
    """(house number, street tokens) of the first part of an address ("Số 12, đường Lê Lợi, ..." → ("12",
    {"le", "loi"}))."""
    parts = [p for p in re.split(r"[,;]", address or "") if p.strip()]
    first = address_key(parts[0]) if parts else ""
    # "Số 12, đường Lê Lợi": the street is in the second part; "Thôn 3, Xã ...": the first part is all there is
    bare_number = all(t[:1].isdigit() or t == "so" for t in first.split())
    head = address_key(" ".join(parts[:2])) if bare_number else first
    number = next((t for t in head.split() if t[:1].isdigit()), "")
    words = frozenset(t for t in head.split() if not t[:1].isdigit() and t not in _ADMIN_WORDS)
    return number, words


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def token_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Jaccard similarity of two names' tokens where a word one slip away counts as the same ("thưng" ~
    "thương")."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    common = sa & sb
    rest_b = sb - common
    matched = len(common)
    for t in sa - common:
        hit = next((u for u in rest_b if _close(t, u)), None)
        if hit is not None:
            rest_b.discard(hit)
            matched += 1
    return matched / (len(sa) + len(sb) - matched)


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

    def __post_init__(self) -> None:
        self.form, self.tokens = name_key(self.name)

    # computed when the record is first scored (most register rows never are)
    @cached_property
    def grams(self) -> set[str]:
        return trigrams(" ".join(self.tokens))

    @cached_property
    def number(self) -> str:
        return street_key(self.address)[0]

    @cached_property
    def street(self) -> frozenset[str]:
        return street_key(self.address)[1]

    @cached_property
    def rep(self) -> str:
        return fold(self.legal_rep)


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
    name_sim = max(token_similarity(a.tokens, b.tokens), similarity(a.grams, b.grams))
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


_VOWELS = str.maketrans("", "", "aeiouy")


def block_keys(tokens: tuple[str, ...]) -> set[str]:
    """Blocking keys of a name: every pair of its core tokens ("hong thang", "san thang", ...) so that a typo in one
    token still leaves pairs in common; adjacent words in order ("thanh>duc": the proper name, which a set of
    words loses in "Giáo dục Thành Đức"); and the last two words without vowels ("~bnh khnh", the proper name with
    a vowel dropped). Single common words ("xay", "dung") would make huge blocks and are not keys."""
    uniq = sorted(set(tokens))
    keys = {uniq[0]} if len(uniq) == 1 else {f"{a} {b}" for i, a in enumerate(uniq) for b in uniq[i + 1:]}
    keys.update(f"{a}>{b}" for a, b in zip(tokens, tokens[1:], strict=False))
    if len(tokens) >= 2:
        keys.add("~" + tokens[-2].translate(_VOWELS) + " " + tokens[-1].translate(_VOWELS))
    return keys


class Index:
    """Blocking index of the register by pairs of name tokens (a key shared by too many rows is skipped)."""

    MAX_BLOCK = 400

    def __init__(self, records: Iterable[Record]):
        self.records: dict[int, Record] = {}
        self.by_token: dict[str, list[int]] = defaultdict(list)
        for r in records:
            self.add(r)

    def add(self, r: Record) -> None:
        self.records[r.key] = r
        for t in block_keys(r.tokens):
            self.by_token[t].append(r.key)

    def candidates(self, record: Record, limit: int = 20) -> list[int]:
        counts: dict[int, float] = defaultdict(float)
        for t in block_keys(record.tokens):
            keys = self.by_token.get(t)
            if keys and len(keys) <= self.MAX_BLOCK:
                weight = 1.0 / len(keys)  # a rare pair of words says more than a common one
                for k in keys:
                    counts[k] += weight
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
