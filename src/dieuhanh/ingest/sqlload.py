"""The fast path of a large UTF-8 CSV file into the DuckDB warehouse: validation inside DuckDB.

One ``INSERT … SELECT`` in the load's warehouse transaction: DuckDB's parallel CSV reader reads the file, every
cell is trimmed, converted and checked in SQL (regular expressions for the Vietnamese shapes 1.234,5 and
dd/mm/yyyy, ``try_strptime``, a join for commune codes, required columns), and the rows are written — reading,
validation and writing overlapped on every core, with the checksum and the quoting check of the file computed
meanwhile in a thread of ours.

The SQL accepts only what it can convert exactly as ``convert.py`` does; any other cell (a commune written by
name, a number in another shape, a blank required cell, a bad date …) makes the statement fail through
``error()``, the warehouse transaction rolls back, and :func:`dieuhanh.ingest.service.load` reads the file
again through the exact path, which accepts what it can and reports every error by row and column in
Vietnamese. So the messages, the row numbers and the all-or-nothing rule are those of the exact path; this one
only makes the common case — a clean file — fast. Files it cannot vouch for (other encodings, quoting the
strict reader refuses, lines it would count differently, boolean columns) go to the exact path at once.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import re
import threading
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

# What pyarrow's utf8_trim_whitespace (used by convert.py) strips: ASCII and Unicode spaces and separators, as an
# RE2 class (DuckDB's trim() with a set of characters is ten times slower than the whole load).
_SPACE = (r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}"
          r"\x{3000}]")


# The code points of _SPACE above U+0080, for the test of a cell's first character (``ord``).
_SPACE_HIGH = "133, 160, 5760, 8232, 8233, 8239, 8287, 12288"


def _trim(x: str) -> str:
    """Trimmed, and NULL when empty; the replacement only runs on the few cells that start or end with a space.

    The test is cheap on purpose (it runs on every cell of every text column): the first character by its code
    point (``ord``), the last by a regular expression anchored at the end, which RE2 runs backwards from the end
    of the cell instead of over all of it (one expression ``^S|S$`` cost three times as much per cell)."""
    first = (f"(ord({x}) <= 32 OR (ord({x}) >= 133 AND (ord({x}) IN ({_SPACE_HIGH}) "
             f"OR ord({x}) BETWEEN 8192 AND 8202)))")
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
_SUPPORTED = {"string", "unit_code", "number", "integer", "date", "datetime"}


class Unsupported(Exception):
    """The fast path cannot vouch for this file or these cells: load it through the exact path."""


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


def _unit_code(t: str, province_code: str, fail: str) -> str:
    """The commune code of cell ``t``: a cell that is a code itself is matched by one regular expression (an RE2
    alternation of the province's codes, no join: a hash join with the codes cost DuckDB ~0,44 s per million rows,
    more than half of the baseline's whole load); a code written without its leading zeros is mapped by a CASE that
    only such cells reach; anything else fails (the exact path decides)."""
    mapping = _unit_mapping(province_code)
    exact = "|".join(re.escape(k) for k, v in sorted(mapping.items()) if k == v)
    variants = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in sorted(mapping.items()) if k != v)
    mapped = f"CASE {t} {variants} END" if variants else "NULL"
    return (f"CASE WHEN {t} IS NULL THEN NULL WHEN regexp_full_match({t}, {_lit(exact)}) THEN {t} "
            f"ELSE coalesce({mapped}, {fail}) END")


def _convert(col_type: str, t: str, decimal: str, unit: str | None, fail: str = "error('dieuhanh: cell')",
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
        if decimal == ",":
            pattern = _NUMBER_COMMA if col_type == "number" else _INT_COMMA
            text = f"replace(replace({t}, '.', ''), ',', '.')"
        else:
            pattern, text = (_NUMBER_DOT if col_type == "number" else _INT_DOT), t
        value = f"CAST({text} AS DOUBLE)"
        if col_type == "integer":
            value = f"CAST({value} AS BIGINT)"
        return (f"CASE WHEN {t} IS NULL THEN NULL WHEN regexp_full_match({t}, {_lit(pattern)}) THEN {value} "
                f"ELSE {fail} END")
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
                f"['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M']) END, {fail}) END")
    raise Unsupported(col_type)


def build(path: Path, reader: CsvReader, ds: Dataset, mapping: dict[str, str], province_code: str) -> SqlSource:
    """The SELECT that reads ``path`` and yields the dataset's typed columns, failing on any cell it cannot vouch
    for. Columns of the dataset missing from the file are left out (the insert is by name: they stay null)."""
    import pyarrow as pa

    by_name = {c.name: c for c in ds.columns}
    raw = {header: f"c{i}" for i, header in enumerate(reader.columns)}
    spec = "{" + ", ".join(f"{_lit(v)}: 'VARCHAR'" for v in raw.values()) + "}"
    scan = (f"read_csv({_lit(str(path))}, delim={_lit(reader.delimiter or ',')}, header=false, "
            f"skip={reader.header_row}, columns={spec}, quote='\"', escape='\"', auto_detect=false, "
            "strict_mode=true, null_padding=false, encoding='utf-8')")
    # Cells of strings and commune codes are trimmed here; cells of numbers and dates are converted as read when
    # they have their column's shape (no shape admits a space at either end, so such a cell is its own trimmed
    # text), and trimmed only when they do not: a clean file pays one regular expression per such cell, not two.
    typed = {header for header, name in mapping.items() if by_name[name].type != "string"}
    trimmed = ", ".join(f"{c if header in typed else _trim(c)} AS {c}" for header, c in raw.items())
    dates = {header for header, name in mapping.items() if by_name[name].type == "date"}
    parsed = "".join(f", try_strptime({raw[h]}, '%d/%m/%Y') AS {raw[h]}_vn" for h in raw if h in dates)
    blank = " AND ".join(f"s.{c} IS NULL" for c in raw.values())  # a line of empty cells is skipped
    outputs: list[str] = []
    fields: list[Any] = []
    for header, name in mapping.items():
        col = by_name[name]
        t = f"r.{raw[header]}"
        unit = province_code if col.type == "unit_code" else None
        if header in typed:
            expr = _convert(col.type, t, reader.decimal, unit, fail=_convert(col.type, _trim(t), reader.decimal, unit),
                            parsed=f"{t}_vn" if header in dates else None)
        else:
            expr = _convert(col.type, t, reader.decimal, unit)
        if col.required:
            expr = f"coalesce({expr}, error('dieuhanh: required'))"
        outputs.append(f"{expr} AS {_quote(name)}")
        fields.append(pa.field(name, ARROW_TYPES[col.type]))
    sql = (f"WITH r AS (SELECT {trimmed}{parsed} FROM (SELECT * FROM {scan}) AS s WHERE NOT ({blank})) "
           f"SELECT {', '.join(outputs)} FROM r")
    return SqlSource(sql=sql, schema=pa.schema(fields))


class FileChecks:
    """The file's SHA-256 and whether its quoting is one DuckDB and the strict reader read alike, computed in a
    thread while DuckDB loads (hashlib and pyarrow's regex release the GIL)."""

    def __init__(self, path: Path, reader: CsvReader) -> None:
        self.checksum = ""
        self.strict = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path, reader), name="ingest-file-checks",
                                         daemon=True)
        self._thread.start()

    def _run(self, path: Path, reader: CsvReader) -> None:
        try:
            digest = hashlib.sha256()
            quoting = QuotingCheck(reader.delimiter or ",")
            with path.open("rb") as fh:  # one pass for both
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
                    quoting.feed(chunk)
            self.checksum = digest.hexdigest()
            self.strict = quoting.strict
        except BaseException as exc:  # reported in wait()
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error
