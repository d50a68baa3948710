"""Routing suggestions: which department leads (chủ trì) and which cooperate (phối hợp), learned from the office's
own confirmed assignments.

The model is a multinomial logistic regression of ``underthesea_core`` (Rust, ships in its wheel, trains and
predicts offline) over sparse string features of a document: syllable unigrams and bigrams of the trích yếu and of
the first part of the body, the issuing body and the document type. Logistic regression gives a probability for
every department, so the top three and a confidence come out of one prediction (the package's TF-IDF + linear SVM
classifier returns only its best label). Cooperating departments come from a second model trained on one example
per (document, cooperating department) — or ``_none`` — whose probabilities are the share of the cooperating slots
each department takes.

Before any model exists (a new installation) the keyword rules of :data:`KEYWORDS` propose a department and every
document is marked "cần xem"; the same rules are the keyword baseline of ``bench/documents.py``.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dieuhanh.documents.extract import fold

NONE_LABEL = "_none"
# Body words (unigrams of its first BODY_CHARS characters). 0: the trích yếu, issuer and type only — on the
# validation split (cut from the older 80 % of the demo) body words lowered accuracy@1 (0.871 vs 0.884) and
# quadrupled the training time, so they are off.
BODY_CHARS = 0
KEYWORD_BODY_CHARS = 1500  # the keyword rules read the start of the body too
COOP_MIN = 0.25  # a cooperating department is proposed from this share of the cooperating slots
COOP_MAX = 3
# Chosen on a validation split cut from the older 80 % of the demo (never on the held-out newest 20 %).
L2_PENALTY = 0.003
MAX_EPOCHS = 5
BATCH_SIZE = 8

# Keyword rules per department (folded words: lower case, no diacritics). Before a model is trained they give a
# first suggestion; bench/documents.py measures them as the keyword baseline.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "STC": ("ngan sach", "du toan", "tai chinh", "kinh phi", "quyet toan", "thu chi", "tai san cong", "gia ",
            "dau tu cong", "von "),
    "SNV": ("to chuc bo may", "bien che", "can bo", "cong chuc", "vien chuc", "thi dua", "khen thuong",
            "cai cach hanh chinh", "lao dong", "viec lam", "nguoi co cong", "chinh quyen dia phuong"),
    "STP": ("phap luat", "van ban quy pham", "ho tich", "tro giup phap ly", "xu ly vi pham hanh chinh",
            "pho bien giao duc phap luat", "thi hanh an", "ly lich tu phap"),
    "SCT": ("thuong mai", "cong nghiep", "xuat khau", "thi truong", "dien ", "xang dau", "cum cong nghiep",
            "khuyen cong", "hang gia"),
    "SNNMT": ("nong nghiep", "thuy loi", "de dieu", "phong chong thien tai", "chan nuoi", "dich benh dong vat",
              "dat dai", "moi truong", "tai nguyen", "khoang san", "nong thon moi", "lam nghiep", "trong trot"),
    "SXD": ("xay dung", "giao thong", "quy hoach", "do thi", "nha o", "cong trinh", "duong bo", "ha tang"),
    "SKHCN": ("khoa hoc", "cong nghe", "chuyen doi so", "doi moi sang tao", "so hoa", "an toan thong tin",
              "tieu chuan do luong", "buu chinh", "vien thong"),
    "SGDDT": ("giao duc", "hoc sinh", "truong hoc", "giao vien", "tuyen sinh", "thi tot nghiep", "mam non"),
    "SYT": ("y te", "benh vien", "tiem chung", "dich benh", "bao hiem y te", "kham chua benh", "thuoc",
            "an toan thuc pham", "sot xuat huyet"),
    "SVHTTDL": ("van hoa", "the thao", "du lich", "le hoi", "di tich", "di san", "bao chi", "xuat ban"),
    "SDTTG": ("dan toc", "ton giao", "tin nguong", "vung dong bao"),
    "TTT": ("thanh tra", "khieu nai", "to cao", "tiep cong dan", "phong chong tham nhung"),
    "CAT": ("an ninh", "trat tu", "phong chay chua chay", "toi pham", "ma tuy", "cong an", "can cuoc"),
    "THUE": ("thue ", "thu ngan sach", "hoa don"),
    "BHXH": ("bao hiem xa hoi", "bao hiem that nghiep"),
    "BQLKCN": ("khu cong nghiep", "nha dau tu", "doanh nghiep fdi"),
    "VPUBND": ("lich cong tac", "hop bao", "cong bao", "van thu", "luu tru", "ho so cong viec"),
}

_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Any] = {}


# ------------------------------------------------------------------------------------------------ features


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text.lower())
    return re.findall(r"[0-9a-zà-ỹđ]+", text)


def features(*, subject: str | None, text: str | None, organ: str | None, doc_type: str | None) -> list[str]:
    """Sparse features of a document (a set of strings)."""
    out: set[str] = set()
    words = _words(subject or "")
    for i, w in enumerate(words):
        if not w.isdigit():
            out.add(f"s={w}")
        if i:
            out.add(f"s2={words[i - 1]}_{w}")
    for w in _words((text or "")[:BODY_CHARS]) if BODY_CHARS else ():
        if not w.isdigit() and len(w) > 1:
            out.add(f"b={w}")
    if organ:
        out.add(f"o={fold(organ)}")
    if doc_type:
        out.add(f"t={doc_type}")
    return sorted(out)


@dataclass
class Example:
    subject: str
    text: str
    organ: str | None
    doc_type: str | None
    lead: str | None = None
    cooperating: list[str] = field(default_factory=list)

    def features(self) -> list[str]:
        return features(subject=self.subject, text=self.text, organ=self.organ, doc_type=self.doc_type)


@dataclass
class Suggestion:
    agency_code: str
    role: str  # chu_tri | phoi_hop
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return {"agency_code": self.agency_code, "role": self.role, "confidence": round(self.confidence, 4)}


@dataclass
class Prediction:
    lead: list[tuple[str, float]]  # every department with its probability, best first
    cooperating: list[tuple[str, float]]
    method: str  # model | keywords

    @property
    def confidence(self) -> float:
        return self.lead[0][1] if self.lead else 0.0

    def suggestions(self, top: int = 3) -> list[Suggestion]:
        out = [Suggestion(code, "chu_tri", p) for code, p in self.lead[:top]]
        out += [Suggestion(code, "phoi_hop", p) for code, p in self.cooperating]
        return out


# ------------------------------------------------------------------------------------------------ model


@dataclass
class Trained:
    lead_blob: bytes
    coop_blob: bytes | None
    classes: list[str]
    seconds: float
    examples: int


def _trainer() -> Any:
    import underthesea_core as uc

    return uc.LRTrainer(l2_penalty=L2_PENALTY, max_epochs=MAX_EPOCHS, batch_size=BATCH_SIZE, verbose=0)


def _to_bytes(model: Any) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.bin")
        model.save(path)
        with open(path, "rb") as handle:
            return handle.read()


def _load(blob: bytes) -> Any:
    import underthesea_core as uc

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.bin")
        with open(path, "wb") as handle:
            handle.write(blob)
        return uc.LRClassifier.load(path)


def train(examples: Sequence[Example]) -> Trained:
    """Train the lead and the cooperating model on confirmed assignments (each with a lead)."""
    started = time.perf_counter()
    rows = [(e.features(), e) for e in examples if e.lead]
    if len({e.lead for _, e in rows}) < 2:
        raise ValueError("Cần ít nhất hai cơ quan chủ trì khác nhau trong các văn bản đã phân công để học.")
    lead_model = _trainer().train([f for f, _ in rows], [str(e.lead) for _, e in rows])
    coop_x: list[list[str]] = []
    coop_y: list[str] = []
    for feats, e in rows:
        others = [c for c in e.cooperating if c != e.lead]
        for label in others or [NONE_LABEL]:
            coop_x.append(feats + [f"lead={e.lead}"])
            coop_y.append(label)
    coop_blob = None
    if len(set(coop_y)) >= 2:
        coop_blob = _to_bytes(_trainer().train(coop_x, coop_y))
    return Trained(lead_blob=_to_bytes(lead_model), coop_blob=coop_blob,
                   classes=sorted({str(e.lead) for _, e in rows}), seconds=time.perf_counter() - started,
                   examples=len(rows))


class Router:
    """A loaded model pair (cached per stored model)."""

    def __init__(self, lead_blob: bytes, coop_blob: bytes | None):
        self.lead = _load(lead_blob)
        self.coop = _load(coop_blob) if coop_blob else None

    @classmethod
    def cached(cls, key: tuple[Any, ...], lead_blob: bytes, coop_blob: bytes | None) -> Router:
        with _lock:
            router = _cache.get(key)
            if router is None:
                if len(_cache) > 4:
                    _cache.clear()
                router = _cache[key] = cls(lead_blob, coop_blob)
            return router  # type: ignore[no-any-return]

    def predict(self, example: Example, *, known: Iterable[str] | None = None) -> Prediction:
        feats = example.features()
        allowed = set(known) if known is not None else None
        lead = [(str(c), float(p)) for c, p in self.lead.predict_proba(feats)
                if allowed is None or c in allowed]
        coop: list[tuple[str, float]] = []
        if self.coop is not None and lead:
            best = lead[0][0]
            for code, p in self.coop.predict_proba(feats + [f"lead={best}"]):
                if code in (NONE_LABEL, best) or p < COOP_MIN or (allowed is not None and code not in allowed):
                    continue
                coop.append((str(code), float(p)))
            coop = coop[:COOP_MAX]
        return Prediction(lead=lead, cooperating=coop, method="model")


def keyword_scores(example: Example) -> list[tuple[str, float]]:
    """Departments by keyword hits (trích yếu counts twice), best first; ties in the order of KEYWORDS."""
    subject = " " + fold(example.subject) + " "
    body = " " + fold((example.text or "")[:KEYWORD_BODY_CHARS]) + " "
    scores: Counter[str] = Counter()
    for code, words in KEYWORDS.items():
        for w in words:
            scores[code] += 2 * subject.count(" " + w.strip() + " ") + body.count(" " + w.strip() + " ")
    order = {code: i for i, code in enumerate(KEYWORDS)}
    ranked = sorted(((c, float(s)) for c, s in scores.items() if s > 0), key=lambda t: (-t[1], order[t[0]]))
    total = sum(s for _, s in ranked) or 1.0
    return [(c, s / total) for c, s in ranked]


def keyword_prediction(example: Example, known: Iterable[str] | None = None) -> Prediction:
    allowed = set(known) if known is not None else None
    lead = [(c, p) for c, p in keyword_scores(example) if allowed is None or c in allowed]
    return Prediction(lead=lead, cooperating=[], method="keywords")


# ------------------------------------------------------------------------------------------------ metrics


def evaluate(predictions: Sequence[Sequence[str]], truth: Sequence[str]) -> dict[str, float]:
    """accuracy@1, accuracy@3 and macro-F1 (of the top-1 label over the true classes) of ranked predictions."""
    n = len(truth)
    if n == 0:
        return {"n": 0, "accuracy_at_1": 0.0, "accuracy_at_3": 0.0, "macro_f1": 0.0}
    at1 = sum(1 for p, t in zip(predictions, truth, strict=True) if p[:1] == [t] or (p and p[0] == t)) / n
    at3 = sum(1 for p, t in zip(predictions, truth, strict=True) if t in list(p)[:3]) / n
    f1s = []
    for label in sorted(set(truth)):
        tp = sum(1 for p, t in zip(predictions, truth, strict=True) if p and p[0] == label and t == label)
        fp = sum(1 for p, t in zip(predictions, truth, strict=True) if p and p[0] == label and t != label)
        fn = sum(1 for p, t in zip(predictions, truth, strict=True) if t == label and not (p and p[0] == label))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return {"n": n, "accuracy_at_1": at1, "accuracy_at_3": at3, "macro_f1": sum(f1s) / len(f1s)}
