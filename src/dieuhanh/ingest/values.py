"""Parse cell values the way Vietnamese files write them.

Every parser takes the raw text of one cell (or the Python value an XLSX/JSON reader produced), returns the
typed value, ``None`` for an empty cell, or raises ``ValueError`` with a short Vietnamese message that says
what was expected. Conventions: numbers "1.234.567,5" (dot for thousands, comma for decimals), dates
dd/mm/yyyy, local time Asia/Ho_Chi_Minh (UTC+7, no daylight saving).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ: tzinfo = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # pragma: no cover - no tz database on the machine: Vietnam has been UTC+7 since 1975
    LOCAL_TZ = timezone(timedelta(hours=7), "+07")

Scalar = str | int | float | bool | date | datetime | time | None

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u2212": "-"})


def _clean(text: object) -> str:
    return unicodedata.normalize("NFC", str(text)).translate(_SPACES).strip()


def _show(text: object, limit: int = 40) -> str:
    shown = str(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------------


def _number_re(decimal: str) -> re.Pattern[str]:
    thousands = "." if decimal == "," else ","
    t = re.escape(thousands)
    d = re.escape(decimal)
    return re.compile(
        rf"(?P<int>\d{{1,3}}(?P<sep>[{t} ])\d{{3}}(?:(?P=sep)\d{{3}})*|\d*)"
        rf"(?:{d}(?P<frac>\d+))?"
        rf"(?:[eE](?P<exp>[+-]?\d+))?"
    )


_NUMBER_RE = {",": _number_re(","), ".": _number_re(".")}
_EXAMPLE = {",": "1.234,5", ".": "1,234.5"}


def _parse_decimal(value: Scalar, decimal: str) -> Decimal | None:
    if decimal not in _NUMBER_RE:
        raise ValueError(f"Dấu thập phân phải là «,» hoặc «.», không phải «{decimal}»")
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"Cần một số (dạng {_EXAMPLE[decimal]}), nhận giá trị đúng/sai")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("Cần một số hữu hạn")
        return Decimal(repr(value))
    text = _clean(value)
    if not text:
        return None
    body = text
    negative = False
    if body.endswith("%"):
        body = body[:-1].rstrip()
    if body.startswith("(") and body.endswith(")"):  # accounting negative: (1.234)
        body, negative = body[1:-1].strip(), True
    if body[:1] in ("+", "-"):
        negative = negative != (body[0] == "-")
        body = body[1:].lstrip()
    match = _NUMBER_RE[decimal].fullmatch(body)
    if not match or not (match["int"] or match["frac"]):
        raise ValueError(f"Cần một số (dạng {_EXAMPLE[decimal]}), nhận «{_show(text)}»")
    digits = re.sub(r"\D", "", match["int"]) or "0"
    literal = (
        digits + ("." + match["frac"] if match["frac"] else "") + ("e" + match["exp"] if match["exp"] else "")
    )
    try:
        number = Decimal(literal)
    except InvalidOperation:  # pragma: no cover - the regex only lets valid literals through
        raise ValueError(f"Cần một số (dạng {_EXAMPLE[decimal]}), nhận «{_show(text)}»") from None
    return -number if negative else number


def parse_number(text: Scalar, decimal: str = ",") -> float | None:
    """ "1.234,5" -> 1234.5; "1.234.567" -> 1234567.0; "12,5%" -> 12.5; "(1.234)" -> -1234.0; "" -> None.

    With ``decimal=","`` a dot is always a thousands separator and must separate groups of three digits
    ("1.23" is refused, not read as 1.23); with ``decimal="."`` the roles swap. Spaces and non-breaking spaces
    may separate thousands too ("1 234 567"); an exponent is accepted ("1,5E+06").
    """
    number = _parse_decimal(text, decimal)
    return None if number is None else float(number)


def parse_integer(text: Scalar, decimal: str = ",") -> int | None:
    """ "1.234" -> 1234; "12,0" -> 12; "12,5" raises (not a whole number); exact for very long numbers."""
    number = _parse_decimal(text, decimal)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(f"Cần một số nguyên, nhận «{_show(text)}»")
    return int(number)


def guess_decimal(values: Iterable[str | None]) -> str:
    """ "," or "." — which decimal separator a column (or file sample) uses; "," when nothing tells."""
    comma = dot = 0
    for value in values:
        if not value:
            continue
        text = _clean(value).rstrip("%").lstrip("+-")
        if re.fullmatch(r"\d{1,3}(\.\d{3})+,\d+|\d{1,3}(\.\d{3}){2,}|\d+,(\d{1,2}|\d{4,})", text):
            comma += 1
        elif re.fullmatch(r"\d{1,3}(,\d{3})+\.\d+|\d{1,3}(,\d{3}){2,}|\d+\.(\d{1,2}|\d{4,})", text):
            dot += 1
    return "." if dot > comma else ","


# --------------------------------------------------------------------------------------------------------
# Booleans
# --------------------------------------------------------------------------------------------------------

TRUE_WORDS = frozenset({"có", "co", "x", "1", "true", "đúng", "dung", "yes", "y", "t", "✓", "✔"})
FALSE_WORDS = frozenset({"không", "khong", "0", "false", "sai", "no", "n", "f"})


def parse_boolean(text: Scalar) -> bool | None:
    """có/không, x, 1/0, true/false, đúng/sai, yes/no (any case) -> bool; "" -> None."""
    if text is None:
        return None
    if isinstance(text, bool):
        return text
    if isinstance(text, int | float) and text in (0, 1):
        return bool(text)
    word = _clean(text).casefold()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"Cần có/không (có, không, x, 1, 0, đúng, sai), nhận «{_show(text)}»")


# --------------------------------------------------------------------------------------------------------
# Dates and times
# --------------------------------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX = 2958465  # 9999-12-31

_DMY = r"(?P<d>\d{1,2})(?P<s>[/.\-])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4})"
_YMD = r"(?P<y>\d{4})(?P<s>[/.\-])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"
_WORDS = r"ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s+năm\s+(?P<y>\d{4})"
_COMPACT = r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"
_DATE_RES = [re.compile(p, re.IGNORECASE) for p in (_DMY, _YMD, _WORDS, _COMPACT)]
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,6}))?)?"
_DATETIME_RES = [re.compile(rf"(?:{d})(?:[ T]+{_TIME})?", re.IGNORECASE) for d in (_DMY, _YMD, _WORDS)] + [
    re.compile(rf"{_TIME}\s+(?:{d})", re.IGNORECASE) for d in (_DMY, _YMD)
]
_PORTAL_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})")  # yyyyMMddHHmmss
_SERIAL_RE = re.compile(r"\d+(?:[.,]\d+)?")


def _date_from(match: re.Match[str], text: str) -> date:
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise ValueError(f"Ngày không tồn tại: «{_show(text)}»") from None


def _excel_serial(value: float, text: object) -> datetime:
    if not 1 <= value <= _EXCEL_MAX or 60 <= value < 61:  # 60 is Excel's phantom 29/02/1900
        raise ValueError(f"Số ngày Excel ngoài khoảng hợp lệ: «{_show(text)}»")
    days = int(value)
    base = _EXCEL_EPOCH if value >= 61 else _EXCEL_EPOCH + timedelta(days=1)
    seconds = round((value - days) * 86400)
    return datetime.combine(base + timedelta(days=days), time()) + timedelta(seconds=seconds)


def _as_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(LOCAL_TZ)


def _number_like(value: Scalar) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def parse_date(value: Scalar, *, excel_serial: bool = False) -> date | None:
    """dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd, yyyymmdd, "ngày 5 tháng 3 năm 2024".

    Also a ``date``/``datetime`` (from XLSX), and Excel serial numbers (45356 -> 05/03/2024) when
    ``excel_serial`` is set. Text with a time of day is accepted only at midnight ("05/03/2024 00:00").
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _as_local(value).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    number = _number_like(value)
    if number is not None:
        if not excel_serial:
            raise ValueError(f"Cần ngày dạng dd/mm/yyyy, nhận số «{_show(value)}»")
        return _excel_serial(number, value).date()
    text = _clean(value)
    if not text:
        return None
    for pattern in _DATE_RES:
        match = pattern.fullmatch(text)
        if match:
            return _date_from(match, text)
    if excel_serial and _SERIAL_RE.fullmatch(text):
        return _excel_serial(float(text.replace(",", ".")), text).date()
    try:
        moment = _parse_datetime_text(text)
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        moment = _as_local(moment)
    if moment is not None and moment.time() == time(0, 0):
        return moment.date()
    if moment is not None:
        raise ValueError(f"Cần ngày (không kèm giờ), nhận «{_show(text)}»")
    raise ValueError(f"Cần ngày dạng dd/mm/yyyy, nhận «{_show(text)}»")


def _parse_datetime_text(text: str) -> datetime:
    """Naive local time for text without offset, aware for text with one."""
    portal = _PORTAL_RE.fullmatch(text)
    if portal:
        try:
            parts = [int(g) for g in portal.groups()]
            return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        except ValueError:
            raise ValueError(f"Thời điểm không tồn tại: «{_show(text)}»") from None
    for pattern in _DATETIME_RES:
        match = pattern.fullmatch(text)
        if match:
            day = _date_from(match, text)
            if match["H"] is None:
                return datetime.combine(day, time())
            try:
                clock = time(
                    int(match["H"]),
                    int(match["M"]),
                    int(match["S"] or 0),
                    int((match["f"] or "0").ljust(6, "0")),
                )
            except ValueError:
                raise ValueError(f"Giờ không hợp lệ: «{_show(text)}»") from None
            return datetime.combine(day, clock)
    if re.match(r"\d{4}-\d{2}-\d{2}", text):  # ISO 8601, possibly with Z or an offset
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError(f"Cần ngày giờ dạng dd/mm/yyyy HH:MM[:SS] hoặc ISO 8601, nhận «{_show(text)}»")


def parse_datetime(value: Scalar, *, excel_serial: bool = False) -> datetime | None:
    """A timezone-aware datetime in Asia/Ho_Chi_Minh.

    Accepts every :func:`parse_date` form (-> midnight), followed by " HH:MM[:SS]" (or preceded by
    "HH:MM[:SS] "), ISO 8601 with or without offset ("2024-03-05T10:30:00Z" is converted to local time),
    the national portal form yyyyMMddHHmmss, ``datetime`` objects (naive ones are local time) and Excel serial
    numbers with a day fraction when ``excel_serial`` is set.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _as_local(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=LOCAL_TZ)
    number = _number_like(value)
    if number is not None:
        if not excel_serial:
            raise ValueError(f"Cần ngày giờ dạng dd/mm/yyyy HH:MM, nhận số «{_show(value)}»")
        return _as_local(_excel_serial(number, value))
    text = _clean(value)
    if not text:
        return None
    if excel_serial and _SERIAL_RE.fullmatch(text) and len(text) not in (8, 14):
        return _as_local(_excel_serial(float(text.replace(",", ".")), text))
    try:
        return _as_local(_parse_datetime_text(text))
    except ValueError:
        pass
    for pattern in _DATE_RES:
        match = pattern.fullmatch(text)
        if match:
            return datetime.combine(_date_from(match, text), time(), tzinfo=LOCAL_TZ)
    raise ValueError(f"Cần ngày giờ dạng dd/mm/yyyy HH:MM[:SS] hoặc ISO 8601, nhận «{_show(text)}»")


# --------------------------------------------------------------------------------------------------------
# Personal data
# --------------------------------------------------------------------------------------------------------

# The first three digits of a CCCD: the province of birth registration (Thông tư 07/2016/TT-BCA), i.e. the
# 63 provincial codes of the national list of administrative units, 001 (Hà Nội) to 096 (Cà Mau).
CCCD_PROVINCE_CODES = frozenset(
    f"{code:03d}"
    for code in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38,
        40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80,
        82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
)  # fmt: skip

_SEPARATORS_RE = re.compile(r"[\s.\-()/]")
_CCCD_RE = re.compile(r"\d{12}")
_CMND_RE = re.compile(r"\d{9}")
_PHONE_RE = re.compile(r"(?:\+?84|0)(?:[35789]\d{8}|2\d{9})")
_EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")

PII_KINDS = ("cccd", "cmnd", "phone", "email")


def pii_kind(value: str | None) -> str | None:
    """The kind of personal identifier one value is: "cccd", "cmnd", "phone", "email" or None.

    CCCD: 12 digits starting with a province code; CMND: 9 digits; phone: a Vietnamese mobile (0[35789] + 8
    digits) or landline (02 + 9 digits), also written +84/84; spaces, dots, dashes and brackets are ignored.
    """
    if not value:
        return None
    text = _clean(value)
    if "@" in text:
        return "email" if _EMAIL_RE.fullmatch(text) else None
    compact = _SEPARATORS_RE.sub("", text)
    if _CCCD_RE.fullmatch(compact) and compact[:3] in CCCD_PROVINCE_CODES:
        return "cccd"
    if _CMND_RE.fullmatch(compact):
        return "cmnd"
    if _PHONE_RE.fullmatch(compact):
        return "phone"
    return None


def detect_pii(values: Iterable[str | None], *, threshold: float = 0.3) -> set[str]:
    """Kinds of personal identifier in a column sample: those matching ≥ ``threshold`` of filled values."""
    counts: dict[str, int] = {}
    total = 0
    for value in values:
        if value is None or not str(value).strip():
            continue
        total += 1
        kind = pii_kind(str(value))
        if kind:
            counts[kind] = counts.get(kind, 0) + 1
    if not total:
        return set()
    return {kind for kind, count in counts.items() if count / total >= threshold}


# --------------------------------------------------------------------------------------------------------
# Type inference
# --------------------------------------------------------------------------------------------------------

TYPES = ("integer", "number", "boolean", "date", "datetime", "string")
_IDENTIFIER_RE = re.compile(r"0\d+")  # "007", "0912345678": codes whose leading zeros matter
_MAX_INTEGER_DIGITS = 15


def _all(values: list[str], check: Callable[[str], object]) -> bool:
    for value in values:
        try:
            check(value)
        except ValueError:
            return False
    return True


def infer_type(values: Iterable[str | None], *, decimal: str = ",") -> str:
    """integer | number | boolean | date | datetime | string for a column sample (empty values ignored).

    Every non-empty value must parse. Digit strings with a leading zero ("0912345678", "001") or longer than
    15 digits are identifiers: string. A column of only 0/1 is integer; boolean needs a word (có, x, true…).
    """
    texts = [_clean(v) for v in values if v is not None and _clean(v)]
    if not texts:
        return "string"
    if any(_IDENTIFIER_RE.fullmatch(t) for t in texts):
        return "string"
    if any(t.isdigit() and len(t) > _MAX_INTEGER_DIGITS for t in texts):
        return "string"
    if _all(texts, parse_boolean) and any(t not in ("0", "1") for t in texts):
        return "boolean"
    if _all(texts, lambda t: parse_integer(t, decimal)):
        return "integer"
    if _all(texts, lambda t: parse_number(t, decimal)):
        return "number"
    if _all(texts, parse_date):
        return "date"
    if _all(texts, parse_datetime):
        return "datetime"
    return "string"


__all__ = [
    "CCCD_PROVINCE_CODES",
    "LOCAL_TZ",
    "PII_KINDS",
    "TYPES",
    "detect_pii",
    "guess_decimal",
    "infer_type",
    "parse_boolean",
    "parse_date",
    "parse_datetime",
    "parse_integer",
    "parse_number",
    "pii_kind",
]
