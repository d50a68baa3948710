"""Decode provincial text files whatever their encoding.

Files reaching the province come in UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"),
Windows-1258, and the two legacy Vietnamese *font* encodings that old Excel/Word files still carry:

* **TCVN3 (ABC)** — TCVN 5712:1993 "VN3": one byte per letter. It has the 67 lowercase Vietnamese letters
  (with and without tone) but only 7 uppercase ones (Ă Â Ê Ô Ơ Ư Đ); an uppercase letter *with* a tone was
  typed with the lowercase code and shown with an all-caps font (.VnTimeH). Decoding therefore has to guess
  the case of those letters: see :func:`_tcvn3_recase` for the rules (all-caps words, sentence case).
* **VNI (VNI-Windows)** — a base letter followed by a modifier byte ("a" + "ø" = "à", "o" + "â" = "ô").

Neither is a Python codec: their bytes are read as Windows-1252 (Latin-1 for the 5 holes of that code page)
and mapped with the tables below. Windows-1258 writes tones as combining marks, so every decoded text is
normalised to NFC.

Detection (:func:`detect_encoding`): a BOM wins; then UTF-8 if the bytes decode as UTF-8; otherwise each
legacy candidate is decoded and scored by how many of its non-ASCII words are valid Vietnamese syllables
(:func:`is_vietnamese_syllable`), and the best one wins.

For large files :func:`decode_stream` decodes incrementally and yields lines; it never holds the whole file.
"""

from __future__ import annotations

import codecs
import functools
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from typing_extensions import Buffer

UTF8 = "utf-8"
UTF8_SIG = "utf-8-sig"
UTF16 = "utf-16"
UTF16_LE = "utf-16-le"
UTF16_BE = "utf-16-be"
CP1258 = "windows-1258"
TCVN3 = "tcvn3"
VNI = "vni"

LABELS = (UTF8, UTF8_SIG, UTF16, UTF16_LE, UTF16_BE, CP1258, TCVN3, VNI)
LEGACY = (CP1258, TCVN3, VNI)

_ALIASES = {
    "utf8": UTF8,
    "utf-8": UTF8,
    "ascii": UTF8,
    "us-ascii": UTF8,
    "utf-8-sig": UTF8_SIG,
    "utf8-sig": UTF8_SIG,
    "utf-16": UTF16,
    "utf16": UTF16,
    "utf-16le": UTF16_LE,
    "utf-16-le": UTF16_LE,
    "utf-16be": UTF16_BE,
    "utf-16-be": UTF16_BE,
    "windows-1258": CP1258,
    "cp1258": CP1258,
    "win1258": CP1258,
    "tcvn3": TCVN3,
    "tcvn": TCVN3,
    "tcvn-3": TCVN3,
    "abc": TCVN3,
    "tcvn5712": TCVN3,
    "vni": VNI,
    "vni-windows": VNI,
    "vni-win": VNI,
}


def normalize_label(label: str) -> str:
    """Canonical label for an encoding name ("CP1258" -> "windows-1258"); ValueError if unsupported."""
    key = label.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(f"Bảng mã không được hỗ trợ: «{label}» (hỗ trợ: {', '.join(LABELS)})")


# --------------------------------------------------------------------------------------------------------
# Single-byte tables
# --------------------------------------------------------------------------------------------------------


def _single_byte_base(codec: str) -> list[str]:
    """256 characters: the code page where defined, Latin-1 for its holes (so decoding never fails)."""
    table = []
    for byte in range(256):
        try:
            table.append(bytes([byte]).decode(codec))
        except UnicodeDecodeError:
            table.append(chr(byte))
    return table


_CP1252_CHARS = _single_byte_base("cp1252")
_CP1252_TABLE = "".join(_CP1252_CHARS)
_CP1258_TABLE = "".join(_single_byte_base("cp1258"))

# TCVN3 (ABC, TCVN 5712:1993 VN3). Checked against two independent converters (xvnkb's tcvn.h by Đào Hải Lâm
# and a C# clinic helper), which agree on every code; classic spellings "Hµ Néi", "ViÖt Nam", "Tr­êng" hold.
TCVN3_CODES: dict[str, int] = {
    # a, ă, â
    "à": 0xB5, "á": 0xB8, "ả": 0xB6, "ã": 0xB7, "ạ": 0xB9,
    "ă": 0xA8, "ằ": 0xBB, "ắ": 0xBE, "ẳ": 0xBC, "ẵ": 0xBD, "ặ": 0xC6,
    "â": 0xA9, "ầ": 0xC7, "ấ": 0xCA, "ẩ": 0xC8, "ẫ": 0xC9, "ậ": 0xCB,
    # đ
    "đ": 0xAE,
    # e, ê
    "è": 0xCC, "é": 0xD0, "ẻ": 0xCE, "ẽ": 0xCF, "ẹ": 0xD1,
    "ê": 0xAA, "ề": 0xD2, "ế": 0xD5, "ể": 0xD3, "ễ": 0xD4, "ệ": 0xD6,
    # i
    "ì": 0xD7, "í": 0xDD, "ỉ": 0xD8, "ĩ": 0xDC, "ị": 0xDE,
    # o, ô, ơ
    "ò": 0xDF, "ó": 0xE3, "ỏ": 0xE1, "õ": 0xE2, "ọ": 0xE4,
    "ô": 0xAB, "ồ": 0xE5, "ố": 0xE8, "ổ": 0xE6, "ỗ": 0xE7, "ộ": 0xE9,
    "ơ": 0xAC, "ờ": 0xEA, "ớ": 0xED, "ở": 0xEB, "ỡ": 0xEC, "ợ": 0xEE,
    # u, ư
    "ù": 0xEF, "ú": 0xF3, "ủ": 0xF1, "ũ": 0xF2, "ụ": 0xF4,
    "ư": 0xAD, "ừ": 0xF5, "ứ": 0xF8, "ử": 0xF6, "ữ": 0xF7, "ự": 0xF9,
    # y
    "ỳ": 0xFA, "ý": 0xFD, "ỷ": 0xFB, "ỹ": 0xFC, "ỵ": 0xFE,
    # the only uppercase letters VN3 has
    "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7,
}  # fmt: skip

_TCVN3_CHARS = list(_CP1252_CHARS)
for _char, _code in TCVN3_CODES.items():
    _TCVN3_CHARS[_code] = _char
_TCVN3_TABLE = "".join(_TCVN3_CHARS)

_TONES = {"\u0300": "grave", "\u0301": "acute", "\u0303": "tilde", "\u0309": "hook", "\u0323": "dot"}
# Toned lowercase letters whose TCVN3 byte also stands for the uppercase letter (no VN3 code of its own).
_TCVN3_AMBIGUOUS = frozenset(
    c for c in TCVN3_CODES if c.islower() and any(m in _TONES for m in unicodedata.normalize("NFD", c))
)
_TCVN3_ENCODE: dict[str, int] = dict(TCVN3_CODES)
for _char in _TCVN3_AMBIGUOUS:
    _TCVN3_ENCODE[_char.upper()] = TCVN3_CODES[_char]


# VNI-Windows: a base letter then a modifier byte (Latin-1 letters). Checked against xvnkb's vni.h and the
# vietnamese-conversion package; classic spellings "Vieät Nam", "Tröôøng" hold.
_VNI_TONE = {"acute": "ù", "grave": "ø", "hook": "û", "tilde": "õ", "dot": "ï"}
_VNI_CIRCUMFLEX = {None: "â", "acute": "á", "grave": "à", "hook": "å", "tilde": "ã", "dot": "ä"}
_VNI_BREVE = {None: "ê", "acute": "é", "grave": "è", "hook": "ú", "tilde": "ü", "dot": "ë"}
_TONE_MARK = {name: mark for mark, name in _TONES.items()}


def _build_vni() -> dict[str, str]:
    table: dict[str, str] = {"đ": "ñ", "Đ": "Ñ", "ơ": "ô", "Ơ": "Ô", "ư": "ö", "Ư": "Ö"}
    tone_names = list(_VNI_TONE)

    def compose(base: str, tone: str | None) -> str:
        return unicodedata.normalize("NFC", base + (_TONE_MARK[tone] if tone else ""))

    for lower in "aeouy":
        for tone in tone_names:
            table[compose(lower, tone)] = lower + _VNI_TONE[tone]
    for lower, vni_base in (("ơ", "ô"), ("ư", "ö")):
        for tone in tone_names:
            table[compose(lower, tone)] = vni_base + _VNI_TONE[tone]
    for lower, with_hat in (("a", "â"), ("e", "ê"), ("o", "ô")):
        for hat_tone, modifier in _VNI_CIRCUMFLEX.items():
            table[compose(with_hat, hat_tone)] = lower + modifier
    for breve_tone, modifier in _VNI_BREVE.items():
        table[compose("ă", breve_tone)] = "a" + modifier
    # i (and ỵ) are single bytes
    table.update({"í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î"})
    # uppercase: uppercase base and uppercase modifier
    for char, code in list(table.items()):
        if char.upper() != char:
            table[char.upper()] = code.upper()
    return table


VNI_CODES: dict[str, str] = _build_vni()
_VNI_DECODE: dict[str, str] = {}
for _char, _vni in VNI_CODES.items():
    if len(_vni) == 2:
        # Files mix the case of the modifier ("Aù"); the base letter decides the case.
        for _mod in {_vni[1], _vni[1].lower(), _vni[1].upper()}:
            _VNI_DECODE[_vni[0] + _mod] = _char
for _char, _vni in VNI_CODES.items():
    if len(_vni) == 1 and _vni != _char:
        _VNI_DECODE[_vni] = _char
_VNI_BASES = frozenset(k[0] for k in _VNI_DECODE if len(k) == 2)


def _vni_pattern() -> str:
    """Every key of :data:`_VNI_DECODE`, a pair (base letter, modifier) before a single character: per base
    letter one class of its modifiers, then one class of the single characters — the same strings, in the same
    order of preference, as an alternation of the keys longest first, which Python's regular expressions try
    one by one (a third slower on VNI text)."""
    modifiers: dict[str, list[str]] = {}
    for key in _VNI_DECODE:
        if len(key) == 2:
            modifiers.setdefault(key[0], []).append(key[1])
    singles = [key for key in _VNI_DECODE if len(key) == 1]
    assert all(len(key) in (1, 2) for key in _VNI_DECODE)

    def one_of(chars: list[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    pairs = [re.escape(base) + one_of(mods) for base, mods in sorted(modifiers.items())]
    return "(" + "|".join([*pairs, one_of(singles)]) + ")"


_VNI_RE = re.compile(_vni_pattern())


def _vni_convert(text: str) -> str:
    # split() with a group gives the keys found at the odd places, as sub() would find them; mapping them
    # through the table there saves a Python call per letter
    parts = _VNI_RE.split(text)
    parts[1::2] = map(_VNI_DECODE.__getitem__, parts[1::2])
    return "".join(parts)


# --------------------------------------------------------------------------------------------------------
# TCVN3 letter case
# --------------------------------------------------------------------------------------------------------

# Field and sentence boundaries: tabs, pipes, quotes, line ends; a comma or semicolon with no space after it
# (a CSV delimiter, not prose); a full stop, "!" or "?" before a space.
_SEGMENT_RE = re.compile(r"[\t|\"\r\n]|[,;](?!\s)|[.!?](?=\s)")
_WORD_RE = re.compile(r"[^\W\d_]+")


_AMBIGUOUS_CLASS = "".join(sorted(_TCVN3_AMBIGUOUS))
_LOWER_CLASS = "a-zăâêôơưđàðÿšœžƒº"  # lowercase letters a TCVN3 text can hold, the ambiguous ones aside
_NOT_LOWER = rf"[^\W\d_{_LOWER_CLASS}]"  # a letter that is uppercase or ambiguous
_UPPER = rf"[^\W\d_{_LOWER_CLASS}{_AMBIGUOUS_CLASS}]"
_ALONE = r"(?<![^\W\d_])"  # at the start of a word
_END = r"(?![^\W\d_])"  # at the end of a word
# What can make a segment change: a word opening with an ambiguous letter; or an all-caps word (two
# uppercase letters, no lowercase) together with a word holding an ambiguous letter and no lowercase one.
# Only such segments get the (slow) word-by-word look.
_STARTS_AMBIGUOUS_RE = re.compile(rf"{_ALONE}[{_AMBIGUOUS_CLASS}]")
_CAPS_WORD_RE = re.compile(rf"{_ALONE}{_NOT_LOWER}*{_UPPER}{_NOT_LOWER}*{_UPPER}{_NOT_LOWER}*{_END}")
_UNSURE_WORD_RE = re.compile(rf"{_ALONE}{_NOT_LOWER}*[{_AMBIGUOUS_CLASS}]{_NOT_LOWER}*{_END}")


def _word_kind(word: str) -> tuple[str, bool]:
    """('caps'|'mixed'|'open', has_ambiguous) for one word of a TCVN3-decoded line."""
    upper = lower = 0
    ambiguous = False
    for char in word:
        if char in _TCVN3_AMBIGUOUS:
            ambiguous = True
        elif char.isupper():
            upper += 1
        elif char.islower():
            lower += 1
    if lower:
        return "mixed", ambiguous
    if upper >= 2:
        return "caps", ambiguous
    return "open", ambiguous


def _starts_upper(word: str) -> bool:
    return word[0].isupper() and word[0] not in _TCVN3_AMBIGUOUS


def _recase_segment(segment: str) -> str:
    matches = list(_WORD_RE.finditer(segment))
    if not matches:
        return segment
    words = [m.group() for m in matches]
    kinds = [_word_kind(w) for w in words]
    if not any(amb for _, amb in kinds):
        return segment
    decided = [i for i, (kind, _) in enumerate(kinds) if kind != "open"]
    pieces: list[str] = []
    last = 0
    for i, m in enumerate(matches):
        word = words[i]
        kind, ambiguous = kinds[i]
        if ambiguous:
            if kind == "open" and decided:
                # decided by the nearest word that says something about case (ties: the previous one)
                nearest = min(decided, key=lambda j: (abs(j - i), j > i))
                kind = "caps" if kinds[nearest][0] == "caps" else "mixed"
            if kind == "caps":
                word = word.upper()
            elif word[0] in _TCVN3_AMBIGUOUS:
                others = [w for j, w in enumerate(words) if j != i and w[0] not in _TCVN3_AMBIGUOUS]
                sentence_start = i == 0 and len(words) >= 2
                # one-letter words (ở, ạ, ý, ồ) are nearly always common words, not parts of names
                name_like = len(word) >= 2
                title_case = name_like and bool(others) and all(_starts_upper(w) for w in others)
                in_name = (
                    name_like
                    and 2 <= i < len(words) - 1
                    and _starts_upper(words[i - 1])
                    and _starts_upper(words[i + 1])
                )
                if sentence_start or title_case or in_name:
                    word = word[0].upper() + word[1:]
        pieces.append(segment[last : m.start()])
        pieces.append(word)
        last = m.end()
    pieces.append(segment[last:])
    return "".join(pieces)


def _tcvn3_recase(text: str) -> str:
    """Restore uppercase toned letters, which TCVN3 writes with the lowercase code.

    Per segment (a line; a field between tabs, pipes, quotes, or commas/semicolons not followed by a space;
    a sentence):

    * a word with no lowercase letter and at least two uppercase ones ("QUèC" -> "QUỐC") is all caps;
    * a word that says nothing about case ("Lé", "Hä", "ë") follows its nearest word that does
      ("QUỐC Lộ 1A" -> "QUỐC LỘ 1A", "Hä Vµ T£N" -> "HỌ VÀ TÊN", "Hµ Néi" -> "Hà Nội");
    * a lowercase word starting with a toned letter gets a capital when it opens a segment of two or more
      words ("ñy ban nh©n d©n" -> "Ủy ban nhân dân"), when every other word of the segment is capitalised
      ("Vò ThÞ ¸nh" -> "Vũ Thị Ánh"), or inside a name: between two capitalised words, the first of which
      does not open the segment ("®­êng Lª Ých Méc" -> "đường Lê Ích Mộc"). One-letter words are left
      out of the last two rules ("Nhµ ë Hµ Néi" -> "Nhà ở Hà Nội").

    Otherwise the lowercase stays: a lone word ("ấp"), or a capital inside running text ("thị trấn Ỷ La"
    comes back "thị trấn ỷ La": from the bytes alone it cannot be told from "sống ở Hà Nội"). This is a
    guess, the best the bytes allow.
    """
    segments: dict[int, int] = {}
    for match in _STARTS_AMBIGUOUS_RE.finditer(text):
        start, end = _segment_around(text, match.start())
        segments[start] = end
    for match in _CAPS_WORD_RE.finditer(text):
        start, end = _segment_around(text, match.start())
        if start not in segments and _UNSURE_WORD_RE.search(text, start, end):
            segments[start] = end
    if not segments:
        return text
    pieces: list[str] = []
    done = 0
    for start in sorted(segments):
        end = segments[start]
        pieces.append(text[done:start])
        pieces.append(_recase_segment(text[start:end]))
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _segment_around(text: str, position: int) -> tuple[int, int]:
    """(start, end) of the segment holding ``position``."""
    start = max(text.rfind("\n", 0, position), text.rfind("\r", 0, position)) + 1
    for boundary in _SEGMENT_RE.finditer(text, start, position):
        start = boundary.end()
    after = _SEGMENT_RE.search(text, position)
    return start, after.start() if after else len(text)


# --------------------------------------------------------------------------------------------------------
# Incremental decoders
# --------------------------------------------------------------------------------------------------------


class _CharmapDecoder(codecs.IncrementalDecoder):
    table: str = _CP1252_TABLE

    def decode(self, input: Buffer, final: bool = False) -> str:  # noqa: A002 - codecs signature
        return codecs.charmap_decode(bytes(input), "strict", self.table)[0]


class Cp1258IncrementalDecoder(_CharmapDecoder):
    """Windows-1258 without holes (undefined bytes read as Latin-1); not yet NFC."""

    table = _CP1258_TABLE


class Tcvn3IncrementalDecoder(codecs.IncrementalDecoder):
    """TCVN3 bytes -> text, line-buffered so that letter case can be decided on whole lines."""

    max_pending = 1 << 20

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self._pending = ""

    def decode(self, input: Buffer, final: bool = False) -> str:  # noqa: A002
        text = self._pending + codecs.charmap_decode(bytes(input), "strict", _TCVN3_TABLE)[0]
        if final:
            self._pending = ""
            return _tcvn3_recase(text)
        cut = max(text.rfind("\n"), text.rfind("\r")) + 1
        if cut == 0 and len(text) > self.max_pending:
            cut = len(text)
        self._pending = text[cut:]
        return _tcvn3_recase(text[:cut])

    def reset(self) -> None:
        self._pending = ""

    def getstate(self) -> tuple[bytes, int]:
        return (b"", 0) if not self._pending else (self._pending.encode("utf-8"), 1)

    def setstate(self, state: tuple[bytes, int]) -> None:
        self._pending = state[0].decode("utf-8") if state[1] else ""


class VniIncrementalDecoder(codecs.IncrementalDecoder):
    """VNI bytes -> text; a base letter at the end of a chunk waits for its modifier in the next one."""

    def __init__(self, errors: str = "strict") -> None:
        super().__init__(errors)
        self._pending = ""

    def decode(self, input: Buffer, final: bool = False) -> str:  # noqa: A002
        text = self._pending + codecs.charmap_decode(bytes(input), "strict", _CP1252_TABLE)[0]
        self._pending = ""
        if not final and text and text[-1] in _VNI_BASES:
            self._pending = text[-1]
            text = text[:-1]
        return _vni_convert(text)

    def reset(self) -> None:
        self._pending = ""

    def getstate(self) -> tuple[bytes, int]:
        return (b"", 0) if not self._pending else (self._pending.encode("utf-8"), 1)

    def setstate(self, state: tuple[bytes, int]) -> None:
        self._pending = state[0].decode("utf-8") if state[1] else ""


def incremental_decoder(encoding: str, errors: str = "strict") -> codecs.IncrementalDecoder:
    """An incremental decoder for any supported label (its output is not yet NFC-normalised)."""
    label = normalize_label(encoding)
    if label == CP1258:
        return Cp1258IncrementalDecoder(errors)
    if label == TCVN3:
        return Tcvn3IncrementalDecoder(errors)
    if label == VNI:
        return VniIncrementalDecoder(errors)
    if label == UTF8:  # a stray BOM is dropped even when the file was labelled plain utf-8
        return codecs.getincrementaldecoder("utf-8-sig")(errors)
    return codecs.getincrementaldecoder(label)(errors)


# --------------------------------------------------------------------------------------------------------
# Whole-buffer decode / encode
# --------------------------------------------------------------------------------------------------------


def nfc(text: str) -> str:
    # normalize() returns its input at once when the quick check says it is NFC; is_normalized() first would
    # only normalise twice the texts that are not (Windows-1258 writes its tones as combining marks)
    return unicodedata.normalize("NFC", text)


def decode(raw: bytes, encoding: str) -> str:
    """Decode with a given label; NFC; no BOM. Raises UnicodeDecodeError for invalid UTF-8/16."""
    decoder = incremental_decoder(encoding)
    text = decoder.decode(raw, final=True)
    if text.startswith("\ufeff"):
        text = text[1:]
    return nfc(text)


def encode(text: str, encoding: str) -> bytes:
    """Encode for the legacy encodings too (for fixtures and exports to old systems).

    TCVN3 has no uppercase toned letters: they are written with the lowercase code, as ABC keyboards did.
    Characters that an encoding cannot hold raise UnicodeEncodeError.
    """
    label = normalize_label(encoding)
    text = unicodedata.normalize("NFC", text)
    if label == TCVN3:
        return _encode_single(
            text, label, lambda c: bytes([_TCVN3_ENCODE[c]]) if c in _TCVN3_ENCODE else None
        )
    if label == VNI:
        return _encode_single(
            text, label, lambda c: VNI_CODES[c].encode("cp1252") if c in VNI_CODES else None
        )
    if label == CP1258:
        return _encode_single(text, label, _cp1258_char)
    return text.encode(label)


def _cp1258_char(char: str) -> bytes | None:
    try:
        return char.encode("cp1258")
    except UnicodeEncodeError:
        pass
    # A base letter that cp1258 has, followed by the tone as a combining mark (how Windows writes it).
    decomposed = unicodedata.normalize("NFD", char)
    tones = [c for c in decomposed if c in _TONES]
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    if len(tones) != 1:
        return None
    try:
        return base.encode("cp1258") + tones[0].encode("cp1258")
    except UnicodeEncodeError:
        return None


def _encode_single(text: str, label: str, lookup: Callable[[str], bytes | None]) -> bytes:
    out = bytearray()
    for i, char in enumerate(text):
        code = lookup(char)
        if code is None:
            if ord(char) < 0x80:
                out.append(ord(char))
                continue
            try:
                code = char.encode("cp1252")
            except UnicodeEncodeError:
                raise UnicodeEncodeError(label, text, i, i + 1, "không có trong bảng mã") from None
        out += code
    return bytes(out)


# --------------------------------------------------------------------------------------------------------
# Vietnamese syllables (for scoring candidate decodings)
# --------------------------------------------------------------------------------------------------------

_LETTERS = frozenset("abcdđeghiklmnopqrstuvxyăâêôơư")
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_OPEN_ONLY = (
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu iêu yêu oai oay oao oeo uây uôi uya uyu ươi ươu uơ"
).split()
_OPEN_OR_CLOSED = "a e ê i o ô ơ u ư y oa oe uê uy".split()
_CLOSED_ONLY = "ă â iê yê uô ươ oă uâ uyê oo".split()
_PALATAL_OK = {"a", "ê", "i", "y", "oa", "uê", "uy"}  # may end in -ch / -nh
_RHYMES: set[str] = set(_OPEN_ONLY) | set(_OPEN_OR_CLOSED)
for _nucleus in _OPEN_OR_CLOSED + _CLOSED_ONLY:
    for _coda in ("c", "m", "n", "ng", "p", "t"):
        _RHYMES.add(_nucleus + _coda)
    if _nucleus in _PALATAL_OK:
        _RHYMES.update({_nucleus + "ch", _nucleus + "nh"})
_RHYMES.update({"ăk", "ôk", "ơk", "ek"})  # place names from minority languages: Đắk Lắk, Đắk Nông
_SYLLABLE_RE = re.compile(
    "(?:%s)?(%s)" % (_ONSETS, "|".join(sorted(_RHYMES, key=len, reverse=True)))  # noqa: UP031
)
_STOP_CODAS = ("c", "ch", "p", "t")


@functools.lru_cache(maxsize=1 << 16)
def is_vietnamese_syllable(word: str) -> bool:
    """True for a well-formed Vietnamese syllable: onset, vowel nucleus, coda, at most one tone mark.

    Checked: the letters (no f, j, w, z), the rhyme among the language's rhymes, and that syllables ending in
    -c, -ch, -p, -t carry only the sắc or nặng tone.
    """
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [_TONES[c] for c in decomposed if c in _TONES]
    if len(tones) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    if not base or any(c not in _LETTERS for c in base):
        return False
    match = _SYLLABLE_RE.fullmatch(base)
    if match is None:
        return False
    if tones and tones[0] not in ("acute", "dot") and base.endswith(_STOP_CODAS):
        return False
    return True


# Tokens: runs between whitespace, ASCII punctuation and digits, so junk symbols stay inside the word.
_TOKEN_RE = re.compile(r"[^\s!-/:-@\[-`{-~0-9]+")


def vietnamese_score(text: str) -> int:
    """Valid minus invalid non-ASCII words: high for correctly decoded Vietnamese, negative for mojibake."""
    score = 0
    for token in _TOKEN_RE.findall(text):
        if token.isascii() or not any(c.isalpha() for c in token):
            continue
        score += 1 if is_vietnamese_syllable(token) else -1
    return score


# --------------------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------------------


def _bom(sample: bytes) -> str | None:
    if sample.startswith(codecs.BOM_UTF8):
        return UTF8_SIG
    if sample.startswith(b"\xff\xfe\x00\x00") or sample.startswith(b"\x00\x00\xfe\xff"):
        return None  # UTF-32: not supported, falls through to the scoring (and fails loudly later)
    if sample.startswith(codecs.BOM_UTF16_LE) or sample.startswith(codecs.BOM_UTF16_BE):
        return UTF16
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    """Text in UTF-16 has a NUL in every other byte for ASCII characters."""
    if len(sample) < 8:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return UTF16_LE
    if even > 0.3 * half and odd < 0.05 * half:
        return UTF16_BE
    return None


def _is_utf8(sample: bytes, *, complete: bool, mid_stream: bool = False) -> bool:
    if mid_stream:  # a sample cut from the middle of a file may begin inside a character
        skip = 0
        while skip < 3 and skip < len(sample) and 0x80 <= sample[skip] <= 0xBF:
            skip += 1
        sample = sample[skip:]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _best_legacy(sample: bytes) -> str:
    best, best_score = CP1258, None
    for label in LEGACY:  # ties go to the earlier label
        text = incremental_decoder(label).decode(sample, final=True)
        score = vietnamese_score(unicodedata.normalize("NFC", text))
        if best_score is None or score > best_score:
            best, best_score = label, score
    return best


def detect_encoding(sample: bytes, *, complete: bool = True) -> str:
    """Label for bytes; ``complete=False`` when ``sample`` is only the start of a file (may end mid-char)."""
    bom = _bom(sample)
    if bom:
        return bom
    utf16 = _utf16_without_bom(sample[:65536])
    if utf16:
        return utf16
    if _is_utf8(sample, complete=complete):
        return UTF8
    return _best_legacy(sample)


_SCORE_BYTES = 32 * 1024


def sniff_file_encoding(fileobj: BinaryIO, *, sample_size: int = 256 * 1024) -> str:
    """Detect the encoding of a seekable binary file from its start plus samples from its middle and end.

    Leaves the file positioned at its start.
    """
    start = fileobj.tell()
    fileobj.seek(0, 2)
    size = fileobj.tell() - start
    fileobj.seek(start)
    head = fileobj.read(sample_size)
    samples: list[bytes] = []
    if size > 2 * sample_size:
        for fraction in (0.33, 0.66):
            fileobj.seek(start + int(size * fraction))
            samples.append(fileobj.read(sample_size // 2))
        fileobj.seek(start + max(size - sample_size // 2, 0))
        samples.append(fileobj.read())
    fileobj.seek(start)
    complete = size <= len(head)
    bom = _bom(head)
    if bom:
        return bom
    utf16 = _utf16_without_bom(head[:65536])
    if utf16:
        return utf16
    if _is_utf8(head, complete=complete) and all(
        _is_utf8(s, complete=(i == len(samples) - 1), mid_stream=True) for i, s in enumerate(samples)
    ):
        return UTF8
    # scoring is slow: a few tens of kilobytes from each place are plenty
    return _best_legacy(b"\n".join([head[: _SCORE_BYTES * 2], *(s[:_SCORE_BYTES] for s in samples)]))


def detect_and_decode(raw: bytes) -> tuple[str, str]:
    """(text, label): the text NFC-normalised and without BOM, the label one of :data:`LABELS`."""
    label = detect_encoding(raw, complete=True)
    return decode(raw, label), label


# --------------------------------------------------------------------------------------------------------
# Streaming
# --------------------------------------------------------------------------------------------------------


def _line_cut(buffer: str, final: bool) -> int:
    """Length of the prefix of ``buffer`` made of complete lines (ended by \\n, \\r\\n or a lone \\r)."""
    if final:
        return len(buffer)
    newline = buffer.rfind("\n")
    carriage = buffer.rfind("\r")
    if carriage == len(buffer) - 1:  # may be the first half of \r\n
        carriage = buffer.rfind("\r", 0, carriage)
    return max(newline, carriage) + 1


def decode_chunks(fileobj: BinaryIO, encoding: str, *, chunk_size: int = 1 << 20) -> Iterator[str]:
    """Yield the decoded text of a binary file in pieces of about ``chunk_size`` characters, BOM dropped.

    Unlike :func:`decode_stream` this does not wait for line ends (a minified JSON file is one long line)
    and does not normalise: normalise the values cut out of the text instead.
    """
    decoder = incremental_decoder(encoding)
    first = True
    while True:
        chunk = fileobj.read(chunk_size)
        final = not chunk
        text = decoder.decode(chunk, final=final)
        if first and text:
            first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if text:
            yield text
        if final:
            return


class LineTooLongError(ValueError):
    """A line longer than the caller allows (a file with no line breaks is no table)."""


def decode_stream(
    fileobj: BinaryIO, encoding: str, *, chunk_size: int = 256 * 1024, max_line: int | None = None
) -> Iterator[str]:
    """Yield the lines of a binary file, decoded and NFC-normalised, keeping their line endings.

    Lines end with \\n, \\r\\n or a lone \\r (old Mac files); nothing else splits a line (U+2028 and
    friends stay inside the data). Reads ``chunk_size`` bytes at a time, so memory stays flat whatever the
    file size; a line is held whole, so ``max_line`` (characters) stops one that never ends with
    :class:`LineTooLongError`. The BOM is dropped. Invalid UTF-8/UTF-16 raises UnicodeDecodeError once the
    lines before the bad bytes have been given out. Suitable as the input of :func:`csv.reader`.
    """
    for block in decode_blocks(fileobj, encoding, chunk_size=chunk_size, max_line=max_line):
        # StringIO with newline="" splits on \n, \r\n and \r and keeps the endings
        yield from io.StringIO(block, newline="")


def decode_blocks(
    fileobj: BinaryIO, encoding: str, *, chunk_size: int = 256 * 1024, max_line: int | None = None
) -> Iterator[str]:
    """The text :func:`decode_stream` gives, in blocks of whole lines (about ``chunk_size`` bytes each).

    Every block but the file's last ends with a line end, so that a block can go on to another parser (Arrow's
    CSV reader, as UTF-8) while line by line reading stays exactly that of :func:`decode_stream`; same errors,
    raised at the same place (after the complete lines before bad bytes).
    """
    decoder = incremental_decoder(encoding)
    pending: list[str] = []
    pending_size = 0
    first = True
    while True:
        chunk = fileobj.read(chunk_size)
        final = not chunk
        failure: UnicodeDecodeError | None = None
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            # Give out the lines before the bad bytes first, so that the error can be placed on its line.
            failure = exc
            text = codecs.decode(exc.object[: exc.start], exc.encoding)
        if first and text:
            first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if failure is not None:
            pending.append(text)
            text = "".join(pending)
            cut = _line_cut(text, False)
            if cut:
                yield nfc(text[:cut])
            raise failure
        cut = _line_cut(text, final)
        if cut == 0 and not final:
            pending.append(text)  # no line end yet: keep the pieces, join them once
            pending_size += len(text)
            if max_line is not None and pending_size > max_line:
                raise LineTooLongError(f"a line of more than {max_line} characters")
            continue
        if pending:
            text = "".join(pending) + text
            pending = []
            cut = _line_cut(text, final)
        complete = text[:cut]
        pending_size = 0
        if cut < len(text):
            pending.append(text[cut:])
            pending_size = len(text) - cut
        if complete:
            yield nfc(complete)
        if final:
            return
