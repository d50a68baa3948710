"""Metadata of an incoming document read from its text by rules (no network, no model).

Vietnamese administrative documents follow NĐ 30/2020/NĐ-CP (Phụ lục I: thể thức): the issuing body top left, the
national motto top right, "Số: 123/QĐ-UBND" under the body, "Ninh Bình, ngày 05 tháng 3 năm 2026" under the motto,
the type's title and the trích yếu ("V/v ..." for a Công văn) and then the body. Numbers, notations, dates and
deadlines have a fixed written form, so rules read them more reliably than a statistical NER (measured: the
offline underthesea NER tags "dự toán ngân sách" as a place and misses "Sở Tài chính"; see docs/documents.md).

Everything here is pure: text in, :class:`Extraction` out. The working-day calendar and the gazetteer of known
agencies and communes are passed in by the service.
"""

from __future__ import annotations

import calendar as _calendar
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from dieuhanh.core.formatting import today_local
from dieuhanh.documents.reference import CENTRAL_BODIES, DOC_TYPES, TYPE_TITLES

# The three independent checks of a text's length keep a pathological upload from costing much: rules run on
# at most this many characters (a 100-page document's first 60 pages).
MAX_TEXT = 200_000

_UPPER = "A-ZĐÀ-ỸÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬÉÈẺẼẸÊẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÚÙỦŨỤƯỨỪỬỮỰÝỲỶỸỴ"
_WORD = r"[\wÀ-ỹ]"
_NOTATION = r"[A-Za-zĐđÀ-ỹ0-9.&]+(?:\s?[-–]\s?[A-Za-zĐđÀ-ỹ0-9.&]+)*"
# "Số: 123/QĐ-UBND", "Số 45/UBND-VX", "Số: 15/2024/QĐ-UBND", "Số: 1234 /BTC-NSNN"
_NUMBER_LINE = re.compile(
    rf"\b(?:Số|SỐ)\s*[:.]?\s*(?P<num>\d{{1,6}}[a-zA-Z]?)\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?(?P<notation>{_NOTATION})")
_REFERENCE = re.compile(
    rf"\bsố\s+(?P<num>\d{{1,6}}[a-zA-Z]?)\s*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?(?P<notation>{_NOTATION})",
    re.IGNORECASE)
_PLACE_DATE = re.compile(
    r"(?P<place>[^\n\t,\d/:]{2,60}?)\s*,\s*ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})")
_DATE = r"(?:\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{4})?|\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?)"
_TIME = r"(?P<h>\d{1,2})\s*(?:giờ|h|g)\s*(?P<mi>\d{1,2})?(?:\s*phút)?"
_ABS_DEADLINE = re.compile(
    r"(?P<cue>trước|chậm\s+nhất(?:\s+là)?(?:\s+(?:vào|trong))?|hạn\s+chót(?:\s+là)?|không\s+muộn\s+hơn|hạn\s+cuối"
    r"|xong\s+trước|đến\s+hết|hạn\s+nộp|hạn\s+gửi|thời\s+hạn(?:\s+(?:hoàn\s+thành|báo\s+cáo|gửi|nộp))?(?:\s+là)?)"
    rf"\s*:?\s*(?:{_TIME}\s*,?\s*)?(?:ngày\s+)?(?P<date>{_DATE})", re.IGNORECASE)
_NUMBER_WORDS = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9,
                 "mười": 10, "mười lăm": 15, "hai mươi": 20, "ba mươi": 30}
_REL_DEADLINE = re.compile(
    r"(?P<cue>trong(?:\s+thời\s+hạn|\s+vòng)?|chậm\s+nhất(?:\s+là)?|không\s+quá|sau)\s+"
    r"(?P<n>\d{1,3}|mười lăm|hai mươi|ba mươi|một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)\s*(?:\([^)]{1,20}\)\s*)?"
    r"ngày(?P<wd>\s+làm\s+việc)?\s*,?\s*(?:kể\s+từ|tính\s+từ|từ)\s+(?:ngày|khi|thời\s+điểm)\s+"
    r"(?P<anchor>nhận(?:\s+được)?|ký|ban\s+hành|văn\s+bản\s+này\s+có\s+hiệu\s+lực|có\s+hiệu\s+lực)",
    re.IGNORECASE)
_PERIOD_DEADLINE = re.compile(
    r"(?P<cue>trong|hoàn\s+thành\s+trong|trước\s+hết|đến\s+hết)\s+(?:(?P<kind>tháng)\s+(?P<m>\d{1,2})|quý\s+"
    r"(?P<q>I{1,3}|IV|[1-4]))\s*(?:/|\s+năm\s+)(?P<y>\d{4})", re.IGNORECASE)
_MEETING = re.compile(
    rf"(?P<cue>thời\s+gian\s*:|vào\s+lúc|lúc|bắt\s+đầu\s+từ)\s*{_TIME}\s*,?\s*(?:(?:thứ\s+\w+|chủ\s+nhật)\s*,?\s*)?"
    rf"ngày\s+(?P<date>{_DATE})", re.IGNORECASE)
_ANY_DATE = re.compile(
    r"(?<![\d/])(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\s*/\s*(?P<y>(?:19|20)\d\d)(?![\d/])"
    r"|ngày\s+(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s+năm\s+(?P<y2>\d{4})")
_AMOUNT = re.compile(
    r"(?P<num>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<dec>\d+))?\s*(?P<scale>nghìn\s+tỷ|tỷ|triệu|nghìn|ngàn)?\s*"
    r"(?:đồng|VNĐ|VND)\b")
_COMMUNE = re.compile(rf"\b(?P<kind>[Xx]ã|[Pp]hường|[Đđ]ặc\s+khu)\s+"
                      rf"(?P<name>[{_UPPER}]{_WORD}*(?:\s+[{_UPPER}]{_WORD}*){{0,3}})")
_PRIORITY_MARKS = (("hoa_toc", re.compile(r"\bHỎA\s*TỐC\b|\bHOẢ\s*TỐC\b|\bHoả\s+tốc\b|\bHỏa\s+tốc\b")),
                   ("thuong_khan", re.compile(r"\bTHƯỢNG\s*KHẨN\b|\bThượng\s+khẩn\b")),
                   ("khan", re.compile(r"(?<!THƯỢNG )(?<!Thượng )\bKHẨN\b|Độ\s+khẩn\s*:\s*Khẩn")))
_MOTTO = re.compile(r"CỘNG\s+H(?:ÒA|OÀ|OA)\s+XÃ\s+HỘI\s+CHỦ\s+NGHĨA\s+VIỆT\s+NAM|Độc\s+lập\s*[-–]\s*Tự\s+do\s*[-–]"
                    r"\s*Hạnh\s+phúc|^[\s_\-–=*.]+$", re.IGNORECASE)
_SUBJECT_STOP = re.compile(
    r"^(Kính\s+gửi|Căn\s+cứ|Thực\s+hiện|Theo\s+đề\s+nghị|Xét\s+đề\s+nghị|Trên\s+cơ\s+sở|Thời\s+gian|Địa\s+điểm|Điều\s+\d"
    r"|ỦY\s+BAN|CHỦ\s+TỊCH|BỘ\s+TRƯỞNG|GIÁM\s+ĐỐC|I\.|1\.|Nơi\s+nhận|Để|Ngày|Vừa\s+qua|Hiện\s+nay|Năm\s+\d)")
# Case-sensitive: a new paragraph starts with a capital ("Thực hiện …"); a wrapped trích yếu goes on in lower case
# ("… thực hiện dự án tại …", "năm 2027 và …").
_REQUEST_WORDS = ("đề nghị", "yêu cầu", "giao ", "chỉ đạo", "đề xuất", "kính mời", "trân trọng kính mời",
                  "tham mưu", "triển khai", "chủ trì", "phối hợp", "báo cáo", "khẩn trương", "tổ chức thực hiện")
_SENTENCE_SPLIT = re.compile(r"(?<=[.;!?])\s+(?=[\"“(]?[" + _UPPER + r"0-9-])|\n+")


@dataclass
class Deadline:
    text: str
    due_date: str  # ISO date
    kind: str = "deadline"  # deadline | meeting
    time: str | None = None  # "16:00" when the text gives an hour

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Extraction:
    code_number: str | None = None
    code_notation: str | None = None
    doc_type: str | None = None
    organ_name: str | None = None
    issued_place: str | None = None
    issued_date: str | None = None  # ISO
    subject: str | None = None
    priority: str = "thuong"
    deadlines: list[Deadline] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # "1234/BTC-NSNN", "15/2024/QĐ-UBND"
    entities: dict[str, list[Any]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["deadlines"] = [d.as_dict() for d in self.deadlines]
        return data

    @property
    def code(self) -> str | None:
        return full_code(self.code_number, self.code_notation)


def full_code(number: str | None, notation: str | None) -> str | None:
    if not number and not notation:
        return None
    return "/".join(p for p in (number, notation) if p)


# ------------------------------------------------------------------------------------------------ helpers


def normalize_text(text: str) -> str:
    """NFC, Windows line ends, non-breaking spaces and soft hyphens gone; at most MAX_TEXT characters."""
    text = unicodedata.normalize("NFC", text[:MAX_TEXT])
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u00ad", "")
    return text.replace("\u2013", "-").replace("\u2014", "-")


def fold(text: str) -> str:
    """A comparison key: lower case, no diacritics, single spaces (đ → d)."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


def _clean_notation(notation: str) -> str:
    return re.sub(r"\s*[-–]\s*", "-", notation.strip()).strip(".-")


def doc_type_of(notation: str | None) -> str | None:
    """The document type from a ký hiệu: its first part if it is a type of Phụ lục III (case-sensitive first:
    CT ≠ CTr, QĐ ≠ QyĐ, DA ≠ ĐA), else Công văn (the first part is then the issuing body's abbreviation)."""
    if not notation:
        return None
    notation = _clean_notation(notation)
    parts = notation.split("/")[-1].split("-")
    head = parts[0]
    if head in DOC_TYPES and head != "CV":
        return head
    upper = {k.upper(): k for k in DOC_TYPES if k != "CV"}
    if len(parts) > 1 and head.upper() in upper and head.upper() not in ("CT", "QC", "DA"):
        return upper[head.upper()]
    return "CV"


def _date(d: int, m: int, y: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _parse_date(text: str, reference: date | None) -> date | None:
    text = text.strip()
    m = re.match(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?$", text)
    if m is None:
        m = re.match(r"(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm\s+(\d{4}))?$", text)
    if m is None:
        return None
    day, month = int(m.group(1)), int(m.group(2))
    if m.group(3):
        return _date(day, month, int(m.group(3)))
    base = reference or today_local()
    found = _date(day, month, base.year)
    # "trước ngày 15/1" written in December means next January.
    if found is not None and found < base - timedelta(days=31):
        found = _date(day, month, base.year + 1)
    return found


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ,;:")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# ------------------------------------------------------------------------------------------------ header


def _fragments(line: str) -> list[str]:
    """A flattened two-column header line split back into its columns (tabs or runs of 3+ spaces)."""
    return [p.strip() for p in re.split(r"\t+|\s{3,}", line) if p.strip()]


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


_PLACE_PREFIX = re.compile(r"^(TỈNH|THÀNH\s+PHỐ|XÃ|PHƯỜNG|ĐẶC\s+KHU|HUYỆN|QUẬN|THỊ\s+XÃ)\b")
_ORGAN_WORDS = {"ủy": "Ủy", "uỷ": "Ủy"}


def organ_case(upper_name: str, known: dict[str, str] | None = None) -> str:
    """A name printed in capitals, in its usual spelling: from the known names when it is one, else sentence case
    with the place name after "tỉnh", "xã", "phường"... capitalised."""
    name = _squash(upper_name)
    name = re.sub(r"^UBND\b", "ỦY BAN NHÂN DÂN", name)
    key = fold(name)
    if known and key in known:
        return known[key]
    words = name.lower().split()
    out: list[str] = []
    title_rest = cap_next = False
    for i, w in enumerate(words):
        w = _ORGAN_WORDS.get(w, w)
        if i == 0 or title_rest or cap_next:
            w = _cap(w)
        cap_next = i == 0 and w in ("Sở", "Bộ", "Ban", "Cục", "Chi")
        if fold(w) in ("tinh", "xa", "phuong", "huyen", "pho", "khu", "tnhh", "phan", "ty"):
            title_rest = True
        out.append(w)
    text = " ".join(out)
    return re.sub(r"\bTnhh\b", "TNHH", text)


def _header(lines: list[str], number_at: int | None, title_at: int | None) -> tuple[str | None, str | None]:
    """(issuing body in capitals, its parent body) from the header lines above the number or the title."""
    end = number_at if number_at is not None else (title_at if title_at is not None else min(len(lines), 6))
    frags: list[str] = []
    for line in lines[: end + 1]:
        for frag in _fragments(line):
            if _MOTTO.search(frag) or _NUMBER_LINE.search(frag) or _PLACE_DATE.search(frag):
                frag = _MOTTO.sub("", _NUMBER_LINE.sub("", frag)).strip(" -–_")
                if _PLACE_DATE.search(frag) or not frag:
                    continue
            if any(p.search(frag) for _, p in _PRIORITY_MARKS) and len(frag) < 20:
                continue
            if _is_upper(frag) and len(fold(frag)) >= 3 and fold(frag) not in {"mat", "toi mat", "khan"}:
                frags.append(frag)
    if not frags:
        return None, None
    # "ỦY BAN NHÂN DÂN" / "TỈNH NINH BÌNH" is one name over two lines; otherwise the last line is the issuing
    # body and the line above it the body it belongs to (cơ quan chủ quản).
    if len(frags) >= 2 and _PLACE_PREFIX.match(frags[-1]):
        return f"{frags[-2]} {frags[-1]}", (frags[-3] if len(frags) >= 3 else None)
    return frags[-1], (frags[-2] if len(frags) >= 2 else None)


def _subject(lines: list[str], number_at: int | None, title_at: int | None) -> str | None:
    """The trích yếu: "V/v ..." under the number (Công văn) or the lines under the type's title."""
    start = None
    for i, line in enumerate(lines[:40]):
        frag = line.strip()
        m = re.match(r"^(?:V/v|V/V|v/v|Về\s+việc)\s*:?\s*(.+)", frag)
        if m and (title_at is None or i > title_at or i <= (number_at or 0) + 3):
            start, first = i, m.group(1)
            break
        # "Số: 45/UBND-VX    Ninh Bình, ngày ..." then "V/v ..." may share a line with the date column
        for part in _fragments(frag):
            m = re.match(r"^(?:V/v|V/V|v/v)\s*:?\s*(.+)", part)
            if m:
                start, first = i, m.group(1)
                break
        if start is not None:
            break
    if start is None and title_at is not None:
        start, first = title_at + 1, ""
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start >= len(lines):
            return None
        first = lines[start].strip()
        m = re.match(r"^(?:V/v|Về\s+việc)\s*:?\s*(.+)", first)
        if m:
            first = m.group(1)
    if start is None:
        return None
    parts = [first]
    for line in lines[start + 1: start + 4]:
        s = line.strip()
        if (not s or _SUBJECT_STOP.match(s) or _is_upper(s) or re.match(r"^[-_=*]{3,}$", s)
                or _PLACE_DATE.search(s) or _NUMBER_LINE.search(s)):
            break
        parts.append(s)
    subject = _squash(" ".join(parts)).strip(" -_")
    return _cap(subject) if subject else None


# ------------------------------------------------------------------------------------------------ deadlines


def _hour(h: str | None, mi: str | None) -> str | None:
    if not h:
        return None
    hour, minute = int(h), int(mi or 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def _number(word: str) -> int | None:
    word = word.lower().strip()
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


def _period_end(kind: str | None, m: str | None, q: str | None, y: str) -> date | None:
    year = int(y)
    if kind:
        month = int(m or 0)
        if not 1 <= month <= 12:
            return None
        return date(year, month, _calendar.monthrange(year, month)[1])
    quarter = {"I": 1, "II": 2, "III": 3, "IV": 4}.get((q or "").upper()) or int(q or 0)
    if not 1 <= quarter <= 4:
        return None
    month = quarter * 3
    return date(year, month, _calendar.monthrange(year, month)[1])


def find_deadlines(text: str, *, issued: date | None, arrival: date | None,
                   add_working_days: Callable[[date, int], date]) -> list[Deadline]:
    """Every deadline stated in ``text``, each resolved to a date: absolute ("trước ngày 15/4/2026", "trước 16 giờ
    ngày 15/4"), relative ("trong thời hạn 10 ngày làm việc kể từ ngày nhận": counted from the arrival date on the
    working-day calendar; "kể từ ngày ký": from the issued date), periods ("trong tháng 4/2026": its last day) and
    meeting times of an invitation ("vào lúc 14 giờ 00, ngày 20/4/2026")."""
    flat = _squash(text.replace("\n", " "))
    reference = issued or arrival
    found: list[tuple[int, Deadline]] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, item: Deadline) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append((start, item))

    for m in _ABS_DEADLINE.finditer(flat):
        when = _parse_date(m.group("date"), reference)
        if when is not None:
            add(m.start(), m.end(), Deadline(text=_squash(m.group(0)), due_date=when.isoformat(),
                                             time=_hour(m.group("h"), m.group("mi"))))
    for m in _REL_DEADLINE.finditer(flat):
        n = _number(m.group("n"))
        anchor_word = m.group("anchor").lower()
        anchor = (arrival or issued) if anchor_word.startswith("nhận") else (issued or arrival)
        if n is None or anchor is None or n > 366:
            continue
        when = add_working_days(anchor, n) if m.group("wd") else anchor + timedelta(days=n)
        add(m.start(), m.end(), Deadline(text=_squash(m.group(0)), due_date=when.isoformat()))
    for m in _PERIOD_DEADLINE.finditer(flat):
        when = _period_end(m.group("kind"), m.group("m"), m.group("q"), m.group("y"))
        if when is not None:
            add(m.start(), m.end(), Deadline(text=_squash(m.group(0)), due_date=when.isoformat()))
    for m in _MEETING.finditer(flat):
        when = _parse_date(m.group("date"), reference)
        if when is not None:
            add(m.start(), m.end(), Deadline(text=_squash(m.group(0)), due_date=when.isoformat(), kind="meeting",
                                             time=_hour(m.group("h"), m.group("mi"))))
    found.sort(key=lambda t: t[0])
    return [d for _, d in found]


# ------------------------------------------------------------------------------------------------ entities


@dataclass
class Gazetteer:
    """Names to find in a text: agencies (name → code or None) and a commune resolver (text → (code, name))."""

    agencies: list[tuple[str, str | None]] = field(default_factory=list)
    resolve_commune: Callable[[str], tuple[str, str] | None] | None = None

    def known_names(self) -> dict[str, str]:
        names = {fold(name): name for name, _ in self.agencies}
        names.update({fold(name): name for _, name in CENTRAL_BODIES})
        return names


def _amount_value(m: re.Match[str]) -> float:
    value = float(m.group("num").replace(".", "") + ("." + m.group("dec") if m.group("dec") else ""))
    scale = (m.group("scale") or "").lower()
    factor = {"nghìn tỷ": 1e12, "tỷ": 1e9, "triệu": 1e6, "nghìn": 1e3, "ngàn": 1e3}.get(re.sub(r"\s+", " ", scale), 1)
    return value * factor


def find_entities(text: str, gazetteer: Gazetteer) -> dict[str, list[Any]]:
    flat = _squash(text.replace("\n", " "))
    low = flat.lower()
    agencies: list[dict[str, Any]] = []
    seen: set[str] = set()
    pool = [(name, code) for name, code in gazetteer.agencies] + [(name, code) for code, name in CENTRAL_BODIES]
    # Longest names first so that "Văn phòng UBND tỉnh" is not also counted as "UBND tỉnh".
    spans: list[tuple[int, int]] = []
    for name, code in sorted(pool, key=lambda t: -len(t[0])):
        needle = name.lower()
        start = low.find(needle)
        while start >= 0:
            end = start + len(needle)
            if not any(s <= start < e for s, e in spans):
                spans.append((start, end))
                if name not in seen:
                    seen.add(name)
                    agencies.append({"name": name, "code": code, "at": start})
            start = low.find(needle, end)
    agencies.sort(key=lambda a: a["at"])
    communes: list[dict[str, Any]] = []
    seen_units: set[str] = set()
    if gazetteer.resolve_commune is not None:
        for m in _COMMUNE.finditer(flat):
            words = m.group("name").split()
            # "xã Gia Viễn Tỉnh" — try the longest capitalised run first, then shorter ones.
            for n in range(len(words), 0, -1):
                hit = gazetteer.resolve_commune(f"{m.group('kind')} {' '.join(words[:n])}")
                if hit is not None:
                    code, name = hit
                    if code not in seen_units:
                        seen_units.add(code)
                        communes.append({"code": code, "name": name, "text": f"{m.group('kind')} "
                                                                               f"{' '.join(words[:n])}"})
                    break
    amounts = [{"text": _squash(m.group(0)), "value": _amount_value(m)} for m in _AMOUNT.finditer(flat)][:20]
    dates: list[str] = []
    for m in _ANY_DATE.finditer(flat):
        d = _date(int(m.group("d") or m.group("d2")), int(m.group("m") or m.group("m2")),
                  int(m.group("y") or m.group("y2")))
        if d is not None and d.isoformat() not in dates:
            dates.append(d.isoformat())
    return {"agencies": [{"name": a["name"], "code": a["code"]} for a in agencies][:30], "communes": communes[:30],
            "amounts": amounts, "dates": dates[:30]}


# ------------------------------------------------------------------------------------------------ summary


_NEW_BLOCK = re.compile(r"^\s*(?:[-–•+*]|\d{1,2}[.)]|[a-zđ][.)]|[IVX]{1,4}\.|Điều\s+\d|Nơi\s+nhận|Kính\s+gửi)")


def unwrap(body: str) -> str:
    """Lines of a PDF text layer (or a narrow DOCX column) wrap inside sentences: join a line to the previous
    one unless the previous ended a sentence or the line starts a list item, an article or a new block."""
    out: list[str] = []
    for line in body.split("\n"):
        s = line.strip()
        if not s:
            out.append("")
        elif out and out[-1] and not re.search(r"[.;:!?]$", out[-1]) and not _NEW_BLOCK.match(s) \
                and not _is_upper(out[-1]):
            out[-1] = f"{out[-1]} {s}"
        else:
            out.append(s)
    return "\n".join(out)


def sentences(body: str) -> list[str]:
    out = []
    for part in _SENTENCE_SPLIT.split(unwrap(body)):
        s = _squash(part)
        if len(s) >= 25:
            out.append(s)
    return out


def summarize(subject: str | None, body: str, deadlines: Iterable[Deadline], *, limit: int = 3) -> list[str]:
    """Extractive summary: the trích yếu, then up to ``limit`` sentences of the body that carry requests or
    deadlines (in the order they appear), each at most 400 characters."""
    deadline_texts = [d.text.lower() for d in deadlines]
    subject_key = fold(subject or "")
    scored: list[tuple[float, int, str]] = []
    for i, s in enumerate(sentences(body)):
        low = s.lower()
        if low.startswith(("căn cứ", "nơi nhận", "kính gửi", "v/v", "về việc")) or _MOTTO.search(s) or _is_upper(s):
            continue
        if subject_key and fold(s) in subject_key:
            continue
        score = sum(1.0 for w in _REQUEST_WORDS if w in low)
        score += 2.0 * sum(1 for d in deadline_texts if d and d in low)
        if score > 0:
            scored.append((score, i, s if len(s) <= 400 else s[:397].rsplit(" ", 1)[0] + "…"))
    best = sorted(scored, key=lambda t: (-t[0], t[1]))[:limit]
    out = [subject] if subject else []
    out += [s for _, _, s in sorted(best, key=lambda t: t[1]) if s != subject]
    return out


# ------------------------------------------------------------------------------------------------ main


def _title_line(lines: list[str]) -> tuple[int | None, str | None]:
    for i, line in enumerate(lines[:40]):
        for frag in _fragments(line):
            code = TYPE_TITLES.get(_squash(frag).upper()) if _is_upper(frag) else None
            if code:
                return i, code
    return None, None


def extract(text: str, *, arrival: date | None = None, gazetteer: Gazetteer | None = None,
            add_working_days: Callable[[date, int], date] | None = None) -> Extraction:
    """Read the metadata of a document from its text (see the module's docstring)."""
    text = normalize_text(text or "")
    gazetteer = gazetteer or Gazetteer()
    if add_working_days is None:
        def add_working_days(start: date, days: int) -> date:  # Monday–Friday only (no holiday calendar given)
            day, left = start, days
            while left > 0:
                day += timedelta(days=1)
                left -= day.weekday() < 5
            return day
    lines = text.split("\n")
    out = Extraction()
    number_at = None
    for i, line in enumerate(lines[:40]):
        m = _NUMBER_LINE.search(line)
        if m:
            number_at = i
            out.code_number = m.group("num") + (f"/{m.group('year')}" if m.group("year") else "")
            out.code_notation = _clean_notation(m.group("notation"))
            break
    title_at, title_type = _title_line(lines)
    out.doc_type = doc_type_of(out.code_notation) or title_type or ("CV" if out.code_notation else None)
    if out.doc_type == "CV" and title_type and title_at is not None and (number_at is None or title_at < number_at + 6):
        out.doc_type = title_type  # a notation without the type's abbreviation under a printed title
    organ, _parent = _header(lines, number_at, title_at)
    if organ:
        out.organ_name = organ_case(organ, gazetteer.known_names())
    head = "\n".join(lines[:40])
    m = _PLACE_DATE.search(head)
    if m:
        place = _fragments(m.group("place"))[-1] if _fragments(m.group("place")) else m.group("place")
        place = re.sub(r"^.*?(?:[A-ZĐ]{2,}[-/]\S*\s+)", "", place).strip()
        out.issued_place = _squash(place) or None
        issued = _date(int(m.group("d")), int(m.group("m")), int(m.group("y")))
        out.issued_date = issued.isoformat() if issued else None
    for code, pattern in _PRIORITY_MARKS:
        if pattern.search("\n".join(lines[:15])):
            out.priority = code
            break
    out.subject = _subject(lines, number_at, title_at)
    issued_d = date.fromisoformat(out.issued_date) if out.issued_date else None
    marks = [i for i in (number_at, title_at) if i is not None]
    body = "\n".join(lines[max(marks) + 1:]) if marks else text
    out.deadlines = find_deadlines(body, issued=issued_d, arrival=arrival, add_working_days=add_working_days)
    own = out.code
    refs: list[str] = []
    for r in _REFERENCE.finditer(body):
        ref = full_code(r.group("num") + (f"/{r.group('year')}" if r.group("year") else ""),
                        _clean_notation(r.group("notation")))
        if ref and ref != own and ref not in refs and "/" in ref:
            refs.append(ref)
    out.references = refs[:30]
    out.entities = find_entities(body, gazetteer)
    out.summary = summarize(out.subject, body, out.deadlines)
    return out
