"""The fast path of a large UTF-8 CSV file into the DuckDB warehouse: validation inside DuckDB.

One ``INSERT … SELECT`` in the load's warehouse transaction: DuckDB's parallel CSV reader reads the file, every
cell is trimmed, converted and checked in SQL (regular expressions for the Vietnamese number shapes 1.234,5,
``try_strptime`` for dd/mm/yyyy, an RE2 alternation of the commune codes, required columns), and the rows are
written — reading, validation and writing overlapped on every core, with the checksum and the quoting check of
the file computed meanwhile in a thread of ours.

The SQL accepts only what it can convert exactly as ``convert.py`` does; any other cell (a commune written by
name, a number in another shape, a blank required cell, a bad date …) makes the statement fail through
``error()``, the warehouse transaction rolls back, and :func:`dieuhanh.ingest.service.load` reads the file
again through the exact path, which accepts what it can and reports every error by row and column in
Vietnamese. So the messages, the row numbers and the all-or-nothing rule are those of the exact path; this one
only makes the common case — a clean file — fast. Files it cannot vouch for (other encodings, quoting the
strict reader refuses, lines it would count differently, boolean columns) go to the exact path at once.

Cleaner still is a file whose every line has the one shape of its columns (``line_pattern``: dates dd/mm/yyyy,
codes as the reference writes them, no quote, no space at either end of a cell). When the file's first megabyte is
such (``starts_shaped``), the SELECT only converts, like DuckDB's plain ``read_csv`` of the same formats, while the
file-checks thread matches every line against that pattern in one RE2 pass over whole chunks (``LineScan``,
~2 ns a byte, against ~50–100 ns a cell for the tests in DuckDB); the load commits only if every line matched. A line of
another form rolls that attempt back and the checking SELECT above decides, cell by cell.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from dieuhanh.catalog.models import Dataset
from dieuhanh.core.warehouse import SqlSource, _quote
from dieuhanh.geo import reference
from dieuhanh.ingest import encodings
from dieuhanh.ingest.convert import ARROW_TYPES
from dieuhanh.ingest.readers import CsvReader, QuotingCheck, TableReader

# Files smaller than this take the exact path directly: it is fast enough there, and a failed attempt costs little.
MIN_BYTES = 8 * 1024 * 1024
# The start of a file whose lines decide whether the shaped attempt is worth it (``starts_shaped``).
SAMPLE_BYTES = 1 << 20

# What pyarrow's utf8_trim_whitespace (used by convert.py) strips: ASCII and Unicode spaces and separators, as an
# RE2 class (DuckDB's trim() with a set of characters is ten times slower than the whole load).
_SPACE_RANGES = ((0x09, 0x0D), (0x1C, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
                 (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000))


def _class_items(ranges: Iterable[tuple[int, int]]) -> str:
    """The items of an RE2 character class for inclusive code point ranges."""
    return "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)


def _ranges(codes: Iterable[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for cp in sorted(codes):
        if out and cp == out[-1][1] + 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return [(a, b) for a, b in out]


_SPACE = f"[{_class_items(_SPACE_RANGES)}]"


# The ranges of _SPACE above U+0080, for the test of a cell's first character (``ord``): the short ones as one IN
# list, the long ones (U+2000–U+200A) by BETWEEN.
_SPACE_HIGH = [(a, b) for a, b in _SPACE_RANGES if a >= 0x80]
_SPACE_HIGH_SINGLES = ", ".join(str(cp) for a, b in _SPACE_HIGH if b - a < 2 for cp in range(a, b + 1))
_SPACE_HIGH_RUNS = [(a, b) for a, b in _SPACE_HIGH if b - a >= 2]


def _trim(x: str) -> str:
    """Trimmed, and NULL when empty; the replacement only runs on the few cells that start or end with a space.

    The test is cheap on purpose (it runs on every cell of every text column): the first character by its code
    point (``ord``), the last by a regular expression anchored at the end, which RE2 runs backwards from the end
    of the cell instead of over all of it (one expression ``^S|S$`` cost three times as much per cell)."""
    runs = "".join(f" OR ord({x}) BETWEEN {a} AND {b}" for a, b in _SPACE_HIGH_RUNS)
    first = f"(ord({x}) <= 32 OR (ord({x}) >= {_SPACE_HIGH[0][0]} AND (ord({x}) IN ({_SPACE_HIGH_SINGLES}){runs})))"
    return (f"nullif(CASE WHEN {first} OR regexp_matches({x}, '{_SPACE}$') "
            f"THEN regexp_replace({x}, '^{_SPACE}+|{_SPACE}+$', '', 'g') ELSE {x} END, '')")


# Stricter than convert.py where convert.py's behaviour is less obvious (years before 1000): such cells fail here
# and the exact path decides.
_NUMBER_COMMA = r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?"
_INT_COMMA = r"-?(\d{1,3}(\.\d{3})+|\d+)"
_NUMBER_DOT = r"-?\d+(\.\d+)?"
_INT_DOT = r"-?\d+"
_DATE_ISO = r"[1-9]\d{3}-\d{2}-\d{2}"
_DATETIME_ISO = r"[1-9]\d{3}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?"
_DATETIME_FORMATS = "['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M']"  # of _DATETIME_ISO with its T made a space
_SUPPORTED = {"string", "unit_code", "number", "integer", "date", "datetime"}


@functools.lru_cache(maxsize=1)
def nfc_unstable() -> str:
    """RE2 class items (UTF-8) of the characters NFC may change in a text: marks (``\\p{M}``: every character of
    a non-zero combining class, and the vowel signs that compose with the letter before them), the Hangul vowel and
    final jamo (they compose with a syllable before them), and the characters NFC replaces (U+2000, U+037E, the
    CJK compatibility ideographs …), from Python's Unicode data, which the exact path's NFC uses (~25 ms, once).
    A text without any of them is its own NFC (tested), so the fast path may store it as read; a text with one is
    the exact path's (Vietnamese typed as «Unicode tổ hợp», with combining tone marks, becomes precomposed)."""
    import unicodedata

    replaced = [cp for cp in range(0x80, 0x30000)
                if (d := unicodedata.decomposition(chr(cp))) and d[0] != "<"
                and unicodedata.normalize("NFC", chr(cp)) != chr(cp)]
    return f"\\p{{M}}\\x{{1161}}-\\x{{1175}}\\x{{11a8}}-\\x{{11c2}}{_class_items(_ranges(replaced))}"


# The characters a text cell of the shaped attempt may hold (any other is the checking SELECT's): controls other
# than line breaks, Latin with Vietnamese (Latin-1, Extended-A and -B, Extended Additional), general punctuation,
# super- and subscripts, currency (₫), letterlike and number forms, arrows and mathematical operators, enclosed
# alphanumerics, geometric shapes — less those NFC may change (``_shaped_text``). An allow-list of a few ranges
# keeps the line scan's automaton small: the precise class of ``nfc_unstable`` made the scan 2,5× slower.
_SHAPED_TEXT_RANGES = ((0x01, 0x09), (0x0B, 0x0C), (0x0E, 0x2FF), (0x1E00, 0x1EFF), (0x2010, 0x205E),
                       (0x2070, 0x209F), (0x20A0, 0x20C0), (0x2100, 0x22FF), (0x2460, 0x24FF), (0x25A0, 0x25FF))


@functools.lru_cache(maxsize=16)
def _shaped_text(excluded: frozenset[int]) -> str:
    """An RE2 class of the characters of ``_SHAPED_TEXT_RANGES`` that are their own NFC and compose with nothing
    before them, less ``excluded``."""
    import unicodedata

    codes = [cp for a, b in _SHAPED_TEXT_RANGES for cp in range(a, b + 1)
             if cp not in excluded and not unicodedata.combining(chr(cp))
             and unicodedata.normalize("NFC", chr(cp)) == chr(cp)]
    return f"[{_class_items(_ranges(codes))}]"


class Unsupported(Exception):
    """The fast path cannot vouch for this file or these cells: load it through the exact path."""


class NotShaped(Exception):
    """Some line of the file has not the clean shape the shaped attempt relies on: the checking SELECT decides."""


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def file_path(source: Any) -> Path | None:
    """The file on disk behind ``source`` — a Path, or an open file at its start whose descriptor is that file."""
    if isinstance(source, Path):
        return source
    name, fileno, tell = (getattr(source, a, None) for a in ("name", "fileno", "tell"))
    if not isinstance(name, str) or fileno is None or tell is None:
        return None
    try:
        if tell() != 0 or not os.path.isfile(name):
            return None
        here, there = os.fstat(fileno()), os.stat(name)
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return Path(name) if (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino) else None


def eligible(reader: TableReader, path: Path | None, ds: Dataset, mapping: dict[str, str]) -> bool:
    if path is None or not isinstance(reader, CsvReader):
        return False
    if reader.encoding not in (encodings.UTF8, encodings.UTF8_SIG) or not reader.delimiter:
        return False
    if reader.delimiter in ('"', "\n", "\r") or path.stat().st_size < MIN_BYTES:
        return False
    types = {c.name: c.type for c in ds.columns}
    return all(types[name] in _SUPPORTED for name in mapping.values()) and _header_lines_are_records(path, reader)


def _header_lines_are_records(path: Path, reader: CsvReader) -> bool:
    """DuckDB skips physical lines: the lines up to the header must be one record each (no quoted line break)."""
    count = reader.header_row
    with path.open("rb") as fh:
        lines = [fh.readline() for _ in range(count)]
    try:
        text = b"".join(lines).decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=reader.delimiter or ",", strict=True))
    except (UnicodeDecodeError, csv.Error):
        return False
    return len(lines) == count and len(records) == count


@functools.lru_cache(maxsize=8)
def _unit_mapping(province_code: str) -> dict[str, str]:
    """Text → code: the codes themselves and the codes written without their leading zeros, as
    ``unit_resolver`` accepts them; names go to the exact path. Kept per province (reference data); callers must
    not change it."""
    codes = sorted({u.code for u in reference.communes_of(province_code)} | {province_code})
    mapping: dict[str, str] = {}
    for code in codes:
        if code.isdigit() and len(code) == 5:
            stripped = code.lstrip("0") or "0"
            for width in range(len(stripped), 6):
                mapping[stripped.zfill(width)] = code
    for code in codes:
        mapping[code] = code
    return mapping


def _number_shape(col_type: str, decimal: str) -> str:
    if decimal == ",":
        return _NUMBER_COMMA if col_type == "number" else _INT_COMMA
    return _NUMBER_DOT if col_type == "number" else _INT_DOT


def _exact_codes(province_code: str) -> str:
    """An RE2 alternation of the province's commune codes as they are written in the reference."""
    return "|".join(re.escape(k) for k, v in sorted(_unit_mapping(province_code).items()) if k == v)


def _unit_code(t: str, province_code: str, fail: str) -> str:
    """The commune code of cell ``t``: a cell that is a code itself is matched by one regular expression (an RE2
    alternation of the province's codes, no join: a hash join with the codes cost DuckDB ~0,44 s per million rows,
    more than half of the baseline's whole load); a code written without its leading zeros is mapped by a CASE that
    only such cells reach; anything else fails (the exact path decides)."""
    mapping = _unit_mapping(province_code)
    exact = _exact_codes(province_code)
    variants = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in sorted(mapping.items()) if k != v)
    mapped = f"CASE {t} {variants} END" if variants else "NULL"
    return (f"CASE WHEN {t} IS NULL THEN NULL WHEN regexp_full_match({t}, {_lit(exact)}) THEN {t} "
            f"ELSE coalesce({mapped}, {fail}) END")


def _value(col_type: str, t: str, decimal: str) -> str:
    """The typed value of cell ``t`` that has its column's shape (the checked forms' common part)."""
    if col_type in ("number", "integer"):
        text = f"replace(replace({t}, '.', ''), ',', '.')" if decimal == "," else t
        value = f"CAST({text} AS DOUBLE)"
        return f"CAST({value} AS BIGINT)" if col_type == "integer" else value
    if col_type == "date":
        return f"CAST(strptime({t}, '%d/%m/%Y') AS DATE)"
    if col_type == "datetime":
        return f"strptime(replace({t}, 'T', ' '), {_DATETIME_FORMATS})"
    return t  # string, unit_code


FAIL = "error('dieuhanh: cell')"


def _convert(col_type: str, t: str, decimal: str, unit: str | None, fail: str = FAIL,
             parsed: str | None = None) -> str:
    """The typed value of cell ``t``; ``fail`` when the cell has not the column's shape. ``parsed``: for a date
    column, an expression already holding ``try_strptime(t, '%d/%m/%Y')`` (computed once for the cell: written
    twice here, in the test and in the value, DuckDB would parse the cell twice)."""
    if col_type == "string":
        return t
    if col_type == "unit_code":
        assert unit is not None  # the province's code
        return _unit_code(t, unit, fail)
    if col_type in ("number", "integer"):
        shape = _lit(_number_shape(col_type, decimal))
        return (f"CASE WHEN {t} IS NULL THEN NULL WHEN regexp_full_match({t}, {shape}) "
                f"THEN {_value(col_type, t, decimal)} ELSE {fail} END")
    if col_type == "date":
        # DuckDB's strptime reads exactly d{1,2}/d{1,2}/d{1,4} as a valid date, skipping ASCII spaces around (a
        # cell the exact path trims to the same date); with a year of four digits it is the shape dd/mm/yyyy, without
        # a regular expression per cell.
        vn = parsed or f"try_strptime({t}, '%d/%m/%Y')"
        return (f"CASE WHEN {t} IS NULL THEN NULL ELSE coalesce(CASE "
                f"WHEN year({vn}) >= 1000 THEN CAST({vn} AS DATE) "
                f"WHEN regexp_full_match({t}, {_lit(_DATE_ISO)}) THEN CAST(try_strptime({t}, '%Y-%m-%d') AS DATE) "
                f"END, {fail}) END")
    if col_type == "datetime":
        return (f"CASE WHEN {t} IS NULL THEN NULL ELSE coalesce(CASE "
                f"WHEN regexp_full_match({t}, {_lit(_DATETIME_ISO)}) THEN try_strptime(replace({t}, 'T', ' '), "
                f"{_DATETIME_FORMATS}) END, {fail}) END")
    raise Unsupported(col_type)


def build(path: Path, reader: CsvReader, ds: Dataset, mapping: dict[str, str], province_code: str, *,
          shaped: bool = False) -> SqlSource:
    """The SELECT that reads ``path`` and yields the dataset's typed columns, failing on any cell it cannot vouch
    for. Columns of the dataset missing from the file are left out (the insert is by name: they stay null).

    ``shaped``: the file's lines are being matched meanwhile against :func:`line_pattern` (``FileChecks``), and the
    load commits only if every line matches; every cell then has its column's exact shape, without a space at
    either end, so the SELECT only converts, as DuckDB's plain ``read_csv`` would."""
    import pyarrow as pa

    by_name = {c.name: c for c in ds.columns}
    raw = {header: f"c{i}" for i, header in enumerate(reader.columns)}
    spec = "{" + ", ".join(f"{_lit(v)}: 'VARCHAR'" for v in raw.values()) + "}"
    scan = (f"read_csv({_lit(str(path))}, delim={_lit(reader.delimiter or ',')}, header=false, "
            f"skip={reader.header_row}, columns={spec}, quote='\"', escape='\"', auto_detect=false, "
            "strict_mode=true, null_padding=false, encoding='utf-8')")
    blank = " AND ".join(f"s.{c} IS NULL" for c in raw.values())  # a line of empty cells is skipped
    fields = [pa.field(name, ARROW_TYPES[by_name[name].type]) for name in mapping.values()]
    if shaped:
        values = ", ".join(f"{_value(by_name[name].type, f's.{raw[header]}', reader.decimal)} AS {_quote(name)}"
                           for header, name in mapping.items())
        # A required column's pattern admits no empty cell, so no line of the file is blank.
        where = "" if any(by_name[name].required for name in mapping.values()) else f" WHERE NOT ({blank})"
        return SqlSource(sql=f"SELECT {values} FROM (SELECT * FROM {scan}) AS s{where}", schema=pa.schema(fields))
    # Cells of strings and commune codes are trimmed here; cells of numbers and dates are converted as read when
    # they have their column's shape (no shape admits a space at either end, so such a cell is its own trimmed
    # text), and trimmed only when they do not: a clean file pays one regular expression per such cell, not two.
    typed = {header for header, name in mapping.items() if by_name[name].type != "string"}
    trimmed = ", ".join(f"{c if header in typed else _trim(c)} AS {c}" for header, c in raw.items())
    dates = {header for header, name in mapping.items() if by_name[name].type == "date"}
    parsed = "".join(f", try_strptime({raw[h]}, '%d/%m/%Y') AS {raw[h]}_vn" for h in raw if h in dates)
    outputs: list[str] = []
    for header, name in mapping.items():
        col = by_name[name]
        t = f"r.{raw[header]}"
        unit = province_code if col.type == "unit_code" else None
        if header in typed:
            expr = _convert(col.type, t, reader.decimal, unit, fail=_convert(col.type, _trim(t), reader.decimal, unit),
                            parsed=f"{t}_vn" if header in dates else None)
        else:
            expr = _convert(col.type, t, reader.decimal, unit)
        if col.type == "string":  # the exact path stores NFC: a text NFC would change is its work
            expr = f"CASE WHEN regexp_matches({t}, {_lit('[' + nfc_unstable() + ']')}) THEN {FAIL} ELSE {expr} END"
        if col.required:
            expr = f"coalesce({expr}, error('dieuhanh: required'))"
        outputs.append(f"{expr} AS {_quote(name)}")
    sql = (f"WITH r AS (SELECT {trimmed}{parsed} FROM (SELECT * FROM {scan}) AS s WHERE NOT ({blank})) "
           f"SELECT {', '.join(outputs)} FROM r")
    return SqlSource(sql=sql, schema=pa.schema(fields))


def line_pattern(reader: CsvReader, ds: Dataset, mapping: dict[str, str], province_code: str) -> str | None:
    """An RE2 pattern (UTF-8) of one data line, without its line break, that the shaped SELECT converts exactly as
    the checking one would: as many cells as the header, no quote, no line break; every cell without a space at
    either end; a text only of the characters ``_shaped_text`` admits (none that NFC, which the exact path applies,
    would change); a cell of a typed column in its column's one shape (dates dd/mm/yyyy, codes as the reference
    writes them); a required cell not empty. Lines of any other form are the checking SELECT's work.
    None for a delimiter of more than one character (no pattern for it here)."""
    if len(reader.delimiter or ",") != 1:
        return None
    by_name = {c.name: c for c in ds.columns}
    sep = f"\\x{{{ord(reader.delimiter or ','):x}}}"
    structure = {ord(reader.delimiter or ","), ord('"'), 0x0A, 0x0D}
    cell = _shaped_text(frozenset(structure))
    edge = _shaped_text(frozenset(structure | {cp for a, b in _SPACE_RANGES for cp in range(a, b + 1)}))
    text = f"{edge}(?:{cell}*{edge})?"
    shapes = {"string": text, "unit_code": f"(?:{_exact_codes(province_code)})",
              "date": r"\d{1,2}/\d{1,2}/[1-9]\d{3}", "datetime": _DATETIME_ISO}
    cells = []
    for header in reader.columns:
        name = mapping.get(header)
        col = by_name[name] if name is not None else None
        if col is None:
            shape = text  # a column the dataset does not take: no space at either end (the blank-line rule)
        elif col.type in ("number", "integer"):
            shape = _number_shape(col.type, reader.decimal)
        else:
            shape = shapes[col.type]
        shape = re.sub(r"\((?!\?)", "(?:", shape)  # groups that capture nothing
        cells.append(f"(?:{shape})" if col is not None and col.required else f"(?:{shape})?")
    return sep.join(cells)


class LineScan:
    """Whether every data line of a file, fed chunk by chunk in order, matches a :func:`line_pattern`: one RE2
    pass over whole chunks of lines (~2 ns a byte), instead of a test per cell in DuckDB."""

    def __init__(self, pattern: str, header_lines: int) -> None:
        self._lines = f"^(?:(?:{pattern})\\r?\\n)*$"
        self._last = f"^(?:{pattern})?$"  # the file's last line without its line break, or nothing
        self._skip = header_lines
        self._tail = b""
        self.matched = True
        self.lines = False  # whether any complete data line has been matched yet

    def feed(self, chunk: bytes) -> None:
        if not self.matched:
            return
        data = self._tail + chunk
        while self._skip and data:
            end = data.find(b"\n")
            if end < 0:
                break
            data, self._skip = data[end + 1:], self._skip - 1
        cut = data.rfind(b"\n") + 1 if not self._skip else 0
        self._tail = data[cut:]
        if cut:
            self.lines = True
            if not _matches(memoryview(data)[:cut], self._lines):
                self.matched = False

    def finish(self) -> bool:
        """True when every line matched (call after the last chunk)."""
        if self.matched and (self._skip or not _matches(memoryview(self._tail), self._last)):
            self.matched = False
        return self.matched


def _matches(data: memoryview, pattern: str) -> bool:
    """RE2 over ``data`` as one UTF-8 string, without copying it (a byte sequence that is not UTF-8 never
    matches a character class, so it fails the match)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    text = pa.Array.from_buffers(pa.utf8(), 1, [None, offsets, pa.py_buffer(data)])
    return bool(pc.match_substring_regex(text, pattern)[0].as_py())


def starts_shaped(path: Path, pattern: str, header_lines: int) -> bool:
    """Whether the file's first ``SAMPLE_BYTES`` hold complete data lines, all matching ``pattern``: a file whose
    first lines already have another form (or no line break where the pattern expects one) is not worth the
    shaped attempt."""
    scan = LineScan(pattern, header_lines)
    with path.open("rb") as fh:
        scan.feed(fh.read(SAMPLE_BYTES))
    return scan.matched and scan.lines


class FileChecks:
    """The file's SHA-256, whether its quoting is one DuckDB and the strict reader read alike and, given a
    ``line`` pattern, whether every data line matches it: computed in a thread while DuckDB loads, in one read of
    the file (hashlib and pyarrow's regex release the GIL)."""

    def __init__(self, path: Path, reader: CsvReader, line: str | None = None) -> None:
        self.checksum = ""
        self.strict = False
        self.shaped = False
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._mismatch = False
        self._interrupt: Callable[[], None] | None = None
        self._thread = threading.Thread(target=self._run, args=(path, reader, line), name="ingest-file-checks",
                                         daemon=True)
        self._thread.start()

    def _run(self, path: Path, reader: CsvReader, line: str | None) -> None:
        try:
            digest = hashlib.sha256()
            quoting = QuotingCheck(reader.delimiter or ",")
            lines = LineScan(line, reader.header_row) if line is not None else None
            with path.open("rb") as fh:  # one pass for all
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
                    quoting.feed(chunk)
                    if lines is not None:
                        lines.feed(chunk)
                        if not lines.matched and not self._mismatch:
                            self._stop()
            self.checksum = digest.hexdigest()
            self.strict = quoting.strict
            self.shaped = lines is not None and lines.finish()
            if lines is not None and not self.shaped and not self._mismatch:
                self._stop()  # the last line, without its line break
        except BaseException as exc:  # reported in wait()
            self._error = exc

    def interrupt_with(self, interrupt: Callable[[], None]) -> None:
        """``SqlSource.on_start`` of the shaped SELECT: a line found not to match stops that SELECT at once, instead
        of letting it load the whole file to be rolled back."""
        with self._lock:
            if self._mismatch:  # found before the query started, when an interrupt would be lost
                raise NotShaped
            self._interrupt = interrupt

    def _stop(self) -> None:
        with self._lock:
            self._mismatch = True
            if self._interrupt is not None:
                self._interrupt()

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error
