"""Streaming readers for the tables people upload: CSV/TSV, Excel, JSON/NDJSON and Parquet.

:func:`open_table` looks at the bytes (not only the file name) and returns a :class:`TableReader` whose
``batches()`` yields ``pyarrow.RecordBatch``es of **strings** — the raw text of each cell, typing comes
later — together with the row number of the batch's first row, so that errors can point at "dòng 1.234".

Row numbers are what a person would look for: in CSV and Excel the row of the sheet/file (the header is
row 1 when it is on the first line; every record counts one, even one spanning several physical lines),
in NDJSON the line, in a JSON array or Parquet file the record's position (1-based). Rows of a batch are
consecutive: a skipped blank row ends the batch.

Empty cells are null. Header names are stripped and NFC-normalised; empty or duplicate names (ignoring case)
are refused. Nothing is read whole: a 5 GB CSV streams in chunks; an Excel workbook is checked for zip bombs
before it is opened. Every problem with the file raises :class:`ReadError` with a Vietnamese message.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import nullcontext, suppress
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from dieuhanh.ingest import encodings
from dieuhanh.ingest.values import guess_decimal

DEFAULT_BATCH_SIZE = 50_000
MAX_FIELD_BYTES = 16 * 1024 * 1024
ZIP_MAX_EXPANSION = 20  # declared uncompressed size may be at most 20 × max_bytes
ZIP_MAX_RATIO = 100  # nor compress more than 100:1
ZIP_RATIO_MIN_MEMBER = 1024 * 1024  # tiny members may compress as they like
ZIP_MAX_MEMBERS = 10_000
JSON_MAX_RECORD_CHARS = 16 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024 * 1024  # a "line" longer than this is a broken file, not a row
EXCEL_STREAM_ABOVE = 256 * 1024 * 1024  # sheets bigger than this (unzipped) stream through openpyxl
JSON_RECORD_KEYS = ("records", "data", "items", "rows")

EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_EXTENSIONS = {".csv", ".tsv", ".tab", ".txt"}
JSON_EXTENSIONS = {".json"}
NDJSON_EXTENSIONS = {".ndjson", ".jsonl"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}

with suppress(OverflowError):  # the default 128 KiB is too small for long text cells
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_BYTES))


class ReadError(Exception):
    """A file that cannot be read as a table; ``message`` is Vietnamese and meant for the person uploading."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column

    def __repr__(self) -> str:
        return f"ReadError({self.message!r}, row={self.row!r}, column={self.column!r})"


def _mb(size: int) -> str:
    value = size / (1024 * 1024)
    text = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}".replace(".", ",")
    return text


# --------------------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------------------


class _Source:
    """Path, bytes or seekable binary file; opens fresh readers without copying the data."""

    def __init__(self, source: str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO) -> None:
        self.path: Path | None = None
        self.data: bytes | memoryview | None = None
        self.file: BinaryIO | None = None
        if isinstance(source, str | os.PathLike):
            self.path = Path(source)
            try:
                self.size = self.path.stat().st_size
            except OSError as exc:
                raise ReadError(f"Không mở được tệp «{self.path.name}»: {exc.strerror or exc}") from None
        elif isinstance(source, bytes | bytearray | memoryview):
            self.data = source if isinstance(source, bytes) else memoryview(source)
            self.size = len(self.data)
        else:
            self.file = source
            start = source.tell()
            source.seek(0, io.SEEK_END)
            self.size = source.tell() - start
            source.seek(start)
            self._start = start

    @property
    def name(self) -> str | None:
        if self.path is not None:
            return self.path.name
        return getattr(self.file, "name", None) if self.file is not None else None

    def open(self) -> BinaryIO:
        if self.path is not None:
            return open(self.path, "rb")  # noqa: SIM115 - the caller closes it
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.file is not None
        self.file.seek(self._start)
        return _Unclosable(self.file)  # type: ignore[return-value] # a binary file in all but name

    def head(self, size: int) -> bytes:
        with self.open() as f:
            return f.read(size)


class _Unclosable(io.RawIOBase):
    """A caller's file, which our readers must not close."""

    def __init__(self, inner: BinaryIO) -> None:
        super().__init__()
        self._inner = inner

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._inner.read(-1 if size is None else size)

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()


# --------------------------------------------------------------------------------------------------------
# Common reader machinery
# --------------------------------------------------------------------------------------------------------


def _clean_name(name: object) -> str:
    return unicodedata.normalize("NFC", "" if name is None else str(name)).strip()


def check_header(names: Sequence[object], *, row: int | None) -> list[str]:
    """Stripped NFC names, trailing empty cells dropped; refuses empty and duplicate (ignoring case) names."""
    cleaned = [_clean_name(n) for n in names]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if not cleaned:
        raise ReadError("Dòng tiêu đề trống: không có tên cột nào", row=row)
    seen: dict[str, int] = {}
    for i, name in enumerate(cleaned, start=1):
        if not name:
            raise ReadError(f"Cột thứ {i} không có tên trong dòng tiêu đề", row=row)
        key = name.casefold()
        if key in seen:
            raise ReadError(
                f"Tên cột «{name}» bị trùng (cột thứ {seen[key]} và cột thứ {i})", row=row, column=name
            )
        seen[key] = i
    return cleaned


_EMPTY = pa.scalar(None, pa.string())


_CHUNK_ROWS = 2048  # rows held as Python objects before they move into compact Arrow arrays


def _to_arrays(rows: list[Sequence[str | None]], width: int) -> list[pa.Array]:
    arrays = []
    for values in zip(*rows, strict=True):  # one tuple per column
        array = pa.array(values, type=pa.string())
        if array.null_count < len(array):
            array = pc.if_else(pc.equal(array, ""), _EMPTY, array)
        arrays.append(array)
    if len(arrays) != width:
        raise AssertionError(f"rows of {len(arrays)} values for {width} columns")
    return arrays


def _batched(
    rows: Iterable[tuple[int, Sequence[str | None]]], columns: list[str], batch_size: int
) -> Iterator[tuple[pa.RecordBatch, int]]:
    """Group (row number, values) into batches of consecutive rows (empty strings become nulls).

    Rows move into Arrow every few thousand, so a batch of 50 000 rows costs its compact Arrow size, not the
    far larger size of as many Python strings.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    width = len(columns)
    chunks: list[list[pa.Array]] = []
    pending: list[Sequence[str | None]] = []
    count = first = expected = 0

    def flush() -> pa.RecordBatch:
        if pending:
            chunks.append(_to_arrays(pending, width))
            pending.clear()
        arrays = [pa.concat_arrays([chunk[i] for chunk in chunks]) for i in range(width)]
        chunks.clear()
        return pa.RecordBatch.from_arrays(arrays, names=columns)

    for number, values in rows:
        if count and (number != expected or count >= batch_size):
            yield flush(), first
            count = 0
        if not count:
            first = number
        pending.append(values)
        count += 1
        expected = number + 1
        if len(pending) >= _CHUNK_ROWS:
            chunks.append(_to_arrays(pending, width))
            pending.clear()
    if count:
        yield flush(), first


class TableReader:
    """A table being read. Use as a context manager, or call :meth:`close`.

    Attributes: ``format`` ("csv", "xlsx", "xls", "xlsb", "ods", "json", "ndjson", "parquet"), ``columns``,
    ``encoding`` (text formats), ``delimiter`` (CSV), ``sheet`` and ``sheet_names`` (Excel), ``header_row``
    (row number of the header; 0 when the format has none), and ``decimal``: the decimal separator to give
    :func:`dieuhanh.ingest.values.parse_number` for this file's numbers ("," for Vietnamese CSV and for
    Excel numeric cells, which this reader writes as "1234,5"; "." for JSON and Parquet).
    """

    format: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheet_names: list[str] | None = None
    header_row: int = 0
    decimal: str = ","
    columns: list[str]

    def __init__(self, source: _Source, filename: str) -> None:
        self._source = source
        self.filename = filename
        self.columns = []
        self._closed = False

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(name, pa.string()) for name in self.columns])

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[tuple[pa.RecordBatch, int]]:
        """(batch of string columns, row number of its first row); may be called again to re-read."""
        if self._closed:
            raise ReadError("Tệp đã đóng")
        yield from _batched(self._rows(), self.columns, batch_size)

    def _rows(self) -> Iterator[tuple[int, Sequence[str | None]]]:
        raise NotImplementedError

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> TableReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------------------

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 64 * 1024
_SEP_LINE = re.compile(r"sep=(.)\r?\n?", re.IGNORECASE)


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter among , ; tab | that splits the sample into the most consistent rows of ≥ 2 fields."""
    best, best_key = ",", None
    for delimiter in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(lines, delimiter=delimiter) if any(f.strip() for f in r)][:200]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows if len(r) == width) / len(rows)
        key = (consistent >= 0.9, consistent, width)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    return best


class QuotingCheck:
    """Whether a file's quoting is one Arrow (and DuckDB) and the strict Python reader read alike, fed the file's
    bytes chunk by chunk in order: one RE2 pass finds a quote with a non-delimiter on both sides."""

    def __init__(self, delimiter: str) -> None:
        sep = re.escape(delimiter)
        self._pattern = f'[^{sep}"\\r\\n]"[^{sep}"\\r\\n]'
        self._tail = b""
        self.strict = True

    def feed(self, chunk: bytes) -> None:
        # Most files quote nothing: a chunk without a quote (memchr) needs no regular expression, which would
        # otherwise take a core from the load it runs beside.
        if self.strict and (b'"' in chunk or b'"' in self._tail) and pc.any(pc.match_substring_regex(
                pa.array([self._tail + chunk], pa.binary()), self._pattern)).as_py():
            self.strict = False
        self._tail = chunk[-2:]


def _is_nfc(batch: pa.RecordBatch) -> bool:
    """Whether every value of a batch is NFC, as the exact path gives them, checked on each column's values at once:
    a string is NFC only if all its substrings are, and ASCII always is."""
    for column in batch.columns:
        if pc.all(pc.string_is_ascii(column)).as_py():
            continue
        data = column.buffers()[2]  # the values one after another (with those outside a slice: stricter still)
        if data is not None and not unicodedata.is_normalized("NFC", data.to_pybytes().decode("utf-8")):
            return False
    return True


class _Utf8Text(io.RawIOBase):
    """A text file's text as UTF-8 bytes, for Arrow's CSV reader: the blocks of :func:`encodings.decode_blocks`,
    decoded exactly as the Python reader reads them (same decoders, NFC, no BOM, lone CR kept).

    The text ends early, cleanly after the last complete line given, before a block the exact Python reader must
    read itself: one that does not decode or holds a line too long (it reports them on their row), or one whose
    quoting Arrow may read differently (:class:`QuotingCheck`, run here on the UTF-8 text as it would on a UTF-8
    file); ``cut_short`` then tells the caller to hand over. Blocks hold whole lines, so a quote and its
    neighbours never straddle two of them.
    """

    def __init__(self, blocks: Iterator[str], delimiter: str) -> None:
        super().__init__()
        self._blocks = blocks
        self._check = QuotingCheck(delimiter)
        self._data = b""
        self._pos = 0
        self._ended = False
        self.cut_short = False

    def readable(self) -> bool:
        return True

    def _next_block(self) -> bool:
        if self._ended:
            return False
        try:
            data = next(self._blocks).encode("utf-8")
        except StopIteration:
            data = b""
        except (UnicodeDecodeError, encodings.LineTooLongError):
            data, self.cut_short = b"", True
        if data:
            self._check.feed(data)
            if not self._check.strict:
                data, self.cut_short = b"", True
        if not data:
            self._ended = True
            return False
        self._data, self._pos = data, 0
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        pieces: list[bytes] = []
        wanted = size
        while wanted > 0 and (self._pos < len(self._data) or self._next_block()):
            piece = self._data[self._pos : self._pos + wanted] if self._pos or wanted < len(self._data) \
                else self._data
            self._pos += len(piece)
            wanted -= len(piece)
            pieces.append(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class CsvReader(TableReader):
    format = "csv"
    exact_from: int | None = None  # after batches(): the first row the exact Python reader read, if any
    _header_lines = 0  # physical lines up to and including the header

    def __init__(
        self,
        source: _Source,
        filename: str,
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        super().__init__(source, filename)
        with source.open() as f:
            if encoding:
                try:
                    self.encoding = encodings.normalize_label(encoding)
                except ValueError as exc:
                    raise ReadError(str(exc)) from None
            else:
                self.encoding = encodings.sniff_file_encoding(f)
                if self.encoding not in (encodings.UTF16, encodings.UTF16_LE, encodings.UTF16_BE):
                    if b"\x00" in f.read(8192):
                        raise ReadError(f"Tệp «{filename}» chứa dữ liệu nhị phân, không phải văn bản CSV")
                    f.seek(0)
            sample: list[str] = []
            size = 0
            try:
                for line in self._lines(f):
                    sample.append(line)
                    size += len(line)
                    if size >= _SNIFF_CHARS:
                        break
            except encodings.LineTooLongError:
                row = len(sample) + 1  # lines, which are rows unless a quoted cell spans lines
                raise ReadError(_line_too_long(row), row=row) from None
            except UnicodeDecodeError:
                if not sample:
                    raise ReadError(
                        f"Dòng 1 không giải mã được theo bảng mã {self.encoding}; "
                        "hãy chọn đúng bảng mã (utf-8, windows-1258, tcvn3, vni)",
                        row=1,
                    ) from None
                # the rows read so far are enough to find the header; the bad row fails with its number
            complete = size < _SNIFF_CHARS
        self._skip_lines = 0
        if sample and _SEP_LINE.fullmatch(sample[0]):
            hint = sample.pop(0)
            self._skip_lines = 1
            delimiter = delimiter or hint[4]
        if not complete and len(sample) > 1:
            sample = sample[:-1]  # may be cut short
        if not any(line.strip() for line in sample):
            raise ReadError("Tệp rỗng")
        ext = Path(filename).suffix.lower()
        if delimiter is None:
            delimiter = "\t" if ext in (".tsv", ".tab") else sniff_delimiter(sample)
        self.delimiter = delimiter
        header, header_row = self._header(sample)
        self.header_row = header_row
        self.columns = check_header(header, row=header_row)
        self.decimal = guess_decimal(value for row in self._sample_rows(sample) for value in row)

    def _lines(self, f: BinaryIO) -> Iterator[str]:
        assert self.encoding is not None
        return encodings.decode_stream(f, self.encoding, max_line=MAX_LINE_CHARS)

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[tuple[pa.RecordBatch, int]]:
        """Arrow's multithreaded CSV reader parses the file (UTF-8 files as they are, others as the UTF-8 text the
        exact path decodes: :class:`_Utf8Text`); the exact Python reader takes over (from the first row not yet
        given out) wherever the fast path cannot vouch for row numbers and values: blank lines, line breaks
        inside quoted cells, ragged rows, quoting the strict reader reads differently, bytes that do not decode,
        or any parse error."""
        if self._closed:
            raise ReadError("Tệp đã đóng")
        done = self.header_row  # the last file row already given out
        self.exact_from = None
        utf8 = self.encoding in (encodings.UTF8, encodings.UTF8_SIG)
        if not utf8 or self._quoting_is_strict():
            pending: list[pa.RecordBatch] = []
            count = 0
            with (nullcontext() if utf8 else self._source.open()) as f:
                text = None if f is None else _Utf8Text(self._blocks(f), self.delimiter or ",")
                fast = self._fast_batches(text)
                try:
                    for batch in fast:
                        nulls = [pc.is_null(c) for c in batch.columns]
                        if pc.any(functools.reduce(pc.and_kleene, nulls)).as_py():
                            break  # a line of blanks: the Python reader skips it and keeps numbering exact
                        if any(pc.any(pc.match_substring(c, "\n")).as_py() for c in batch.columns):
                            break  # an unterminated quote swallowed line breaks: the Python reader reports it
                        if text is None and not _is_nfc(batch):
                            break  # decomposed text (the decoded text is NFC already): the Python reader composes
                        pending.append(batch)
                        count += batch.num_rows
                        # A batch goes out once a row after it has been read, as the exact path gives it out, so
                        # that a file failing further on has given out the very same batches.
                        while count > batch_size:
                            table = pa.Table.from_batches(pending)
                            out = table.slice(0, batch_size).combine_chunks().to_batches()[0]
                            yield out, done + 1
                            done += batch_size
                            rest = table.slice(batch_size)
                            pending = rest.combine_chunks().to_batches() if rest.num_rows else []
                            count = rest.num_rows
                    else:
                        if text is None or not text.cut_short:
                            if count:
                                yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0], done + 1
                            return
                        # the text stopped before a block the exact path must read: it takes over from here
                except (pa.ArrowInvalid, UnicodeDecodeError):
                    pass
                finally:
                    fast.close()  # Arrow's reader stops reading before the file closes
        self.exact_from = done + 1
        rows = ((n, r) for n, r in self._rows() if n > done)
        yield from _batched(rows, self.columns, batch_size)

    def _quoting_is_strict(self) -> bool:
        """Arrow reads ``"abc"d`` as ``abcd`` where the strict Python reader refuses it: files where a quote has a
        non-delimiter on both sides take the exact Python path (:class:`QuotingCheck`)."""
        check = QuotingCheck(self.delimiter or ",")
        with self._source.open() as f:
            while check.strict and (chunk := f.read(1 << 20)):
                check.feed(chunk)
        return check.strict

    def _fast_batches(self, text: _Utf8Text | None = None) -> Generator[pa.RecordBatch, None, None]:
        """Arrow's batches of the file (``text``: of the file transcoded to UTF-8)."""
        import pyarrow.csv as pacsv

        read = pacsv.ReadOptions(column_names=self.columns, skip_rows=self._header_lines, block_size=1 << 20)
        parse = pacsv.ParseOptions(delimiter=self.delimiter or ",", newlines_in_values=False,
                                   ignore_empty_lines=False)
        convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in self.columns},
                                       strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True)
        # A path lets Arrow read the file natively; an uploaded file object is read through Python.
        target: Any = text
        if target is None and self._source.path is not None:
            target = str(self._source.path)
        with (self._source.open() if target is None else nullcontext()) as f, \
                pacsv.open_csv(target or f, read_options=read, parse_options=parse,
                               convert_options=convert) as reader:
            for batch in reader:
                if batch.num_rows:
                    yield batch

    def _blocks(self, f: BinaryIO) -> Iterator[str]:
        """The text of :meth:`_lines`, in blocks of whole lines."""
        assert self.encoding is not None
        return encodings.decode_blocks(f, self.encoding, max_line=MAX_LINE_CHARS)

    def _reader(self, lines: Iterable[str]) -> Any:  # a csv reader: records, and line_num
        return csv.reader(lines, delimiter=self.delimiter or ",", strict=True)

    def _header(self, sample: list[str]) -> tuple[list[str], int]:
        number = self._skip_lines
        try:
            records = self._reader(sample)
            for record in records:
                number += 1
                if any(field.strip() for field in record):
                    # physical lines up to the header, which Arrow skips: a quoted cell may span lines
                    self._header_lines = self._skip_lines + records.line_num
                    return record, number
        except csv.Error as exc:
            raise ReadError(f"Dòng tiêu đề không đọc được: {_csv_message(exc)}", row=number + 1) from None
        raise ReadError("Tệp rỗng")

    def _sample_rows(self, sample: list[str]) -> Iterator[list[str]]:
        with suppress(csv.Error):
            for i, record in enumerate(self._reader(sample)):
                if i > 1000:
                    return
                yield record

    def _rows(self) -> Iterator[tuple[int, Sequence[str | None]]]:
        width = len(self.columns)  # trailing empty header cells of Excel exports are not columns
        header_row = self.header_row
        number = self._skip_lines
        with self._source.open() as f:
            lines = self._lines(f)
            for _ in range(self._skip_lines):
                next(lines, None)
            records = self._reader(lines)
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    return
                except UnicodeDecodeError:
                    raise ReadError(
                        f"Dòng {number + 1} không giải mã được theo bảng mã {self.encoding}; "
                        "hãy chọn đúng bảng mã (utf-8, windows-1258, tcvn3, vni)",
                        row=number + 1,
                    ) from None
                except csv.Error as exc:
                    raise ReadError(f"Dòng {number + 1}: {_csv_message(exc)}", row=number + 1) from None
                except encodings.LineTooLongError:
                    raise ReadError(_line_too_long(number + 1), row=number + 1) from None
                number += 1
                if number <= header_row:
                    continue
                if not any(record):
                    continue  # blank line
                if len(record) != width:
                    if len(record) < width or any(field.strip() for field in record[width:]):
                        if not any(field.strip() for field in record):
                            continue  # a line of blanks
                        raise ReadError(
                            f"Dòng {number} có {len(record)} trường, cần {width} như dòng tiêu đề",
                            row=number,
                        )
                    record = record[:width]  # only empty cells beyond the named columns
                yield number, record


def _line_too_long(row: int) -> str:
    return f"Dòng {row} quá dài (hơn {_mb(MAX_LINE_CHARS)} MB): tệp bị hỏng hoặc không phải CSV"


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return "ô dữ liệu quá dài, có thể thiếu dấu ngoặc kép đóng"
    if "unexpected end of data" in text:
        return "thiếu dấu ngoặc kép đóng trước khi hết tệp"
    if "expected after" in text:
        return "có ký tự ngay sau dấu ngoặc kép đóng (dấu ngoặc kép đặt sai chỗ)"
    if "NUL" in text:
        return "có ký tự NUL (dữ liệu nhị phân)"
    return f"lỗi định dạng CSV ({text})"


# --------------------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------------------


def check_zip(f: IO[bytes], *, max_bytes: int, filename: str) -> zipfile.ZipFile:
    """Open a zip container after checking, from its directory alone, that it is no zip bomb."""
    try:
        archive = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ReadError(f"Tệp «{filename}» bị hỏng: không phải tệp nén Excel hợp lệ") from None
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        raise ReadError(f"Tệp «{filename}» có quá nhiều thành phần ({len(infos)}), có thể là tệp độc hại")
    declared = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos)
    if declared > ZIP_MAX_EXPANSION * max_bytes:
        raise ReadError(
            f"Tệp «{filename}» giải nén ra {_mb(declared)} MB, quá {ZIP_MAX_EXPANSION} lần giới hạn "
            f"{_mb(max_bytes)} MB: từ chối (nghi là bom nén)"
        )
    worst = max(
        (i.file_size / max(i.compress_size, 1) for i in infos if i.file_size >= ZIP_RATIO_MIN_MEMBER),
        default=0.0,
    )
    if worst > ZIP_MAX_RATIO or (declared >= ZIP_RATIO_MIN_MEMBER and declared > ZIP_MAX_RATIO * compressed):
        raise ReadError(
            f"Tệp «{filename}» có tỉ lệ nén bất thường (trên {ZIP_MAX_RATIO} lần): từ chối (nghi là bom nén)"
        )
    return archive


def _excel_text(value: Any) -> str | None:
    """A cell as text: numbers "1234,5" (integral floats without decimals), dates ISO, booleans true/false."""
    if value is None:
        return None
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value) if value else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value).replace(".", ",")
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds" if not value.microsecond else "auto")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def _column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class ExcelReader(TableReader):
    def __init__(
        self,
        source: _Source,
        filename: str,
        *,
        kind: str,
        sheet: str | int | None,
        engine: str,
    ) -> None:
        super().__init__(source, filename)
        self.format = kind
        self._sheet_arg = sheet
        self.engine = self._pick_engine(engine, kind)
        self._start_col = 0
        self._lead = 0
        rows = self._raw_rows()
        try:
            for number, values in rows:
                texts = [_excel_text(v) for v in values]
                if any(t and t.strip() for t in texts):
                    self.header_row = number
                    # columns left of the header's first name are not part of the table
                    self._lead = next(i for i, t in enumerate(texts) if t and t.strip())
                    self.columns = check_header(texts[self._lead :], row=number)
                    break
            else:
                raise ReadError(f"Trang tính «{self.sheet}» không có dữ liệu")
        finally:
            close = getattr(rows, "close", None)
            if close:
                close()

    @staticmethod
    def _pick_engine(engine: str, kind: str) -> str:
        try:
            import python_calamine  # noqa: F401

            calamine = True
        except ImportError:  # pragma: no cover - installed with the project
            calamine = False
        if engine == "auto":
            engine = "calamine" if calamine else "openpyxl"
        if engine == "calamine" and not calamine:  # pragma: no cover
            raise ReadError("Thiếu thư viện python-calamine để đọc tệp Excel")
        if engine == "openpyxl" and kind not in ("xlsx",):
            raise ReadError(f"Định dạng {kind} cần thư viện python-calamine; hãy lưu lại thành .xlsx")
        if engine not in ("calamine", "openpyxl"):
            raise ValueError(f"unknown Excel engine {engine!r}")
        return engine

    def _select(self, names: list[str], visible: list[bool]) -> int:
        self.sheet_names = names
        if not names:
            raise ReadError(f"Tệp «{self.filename}» không có trang tính nào")
        wanted = self._sheet_arg
        if wanted is None:
            index = next((i for i, v in enumerate(visible) if v), 0)
        elif isinstance(wanted, int):
            if not 0 <= wanted < len(names):
                raise ReadError(f"Không có trang tính thứ {wanted + 1} (tệp có {len(names)} trang tính)")
            index = wanted
        else:
            folded = [n.strip().casefold() for n in names]
            key = str(wanted).strip().casefold()
            if key not in folded:
                raise ReadError(
                    f"Không có trang tính «{wanted}»; các trang tính: " + ", ".join(f"«{n}»" for n in names)
                )
            index = folded.index(key)
        self.sheet = names[index]
        return index

    def _raw_rows(self) -> Iterator[tuple[int, list[Any]]]:
        if self.engine == "calamine":
            return self._calamine_rows()
        return self._openpyxl_rows()

    def _calamine_rows(self) -> Iterator[tuple[int, list[Any]]]:
        from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

        source = self._source
        handle = None if source.path is not None else source.open()
        try:
            try:
                workbook = CalamineWorkbook.from_object(handle if handle is not None else str(source.path))
                index = self._select(
                    workbook.sheet_names,
                    [m.visible == SheetVisibleEnum.Visible for m in workbook.sheets_metadata],
                )
                sheet = workbook.get_sheet_by_index(index)
            except CalamineError as exc:
                raise ReadError(_excel_message(exc, self.filename)) from None
            except ReadError:
                raise
            except Exception as exc:  # calamine raises plain errors for some broken files
                raise ReadError(_excel_message(exc, self.filename)) from None
            start = sheet.start
            self._start_col = start[1] if start else 0
            try:
                # iter_rows yields one list per sheet row from the first row (leading empty rows included)
                for index, values in enumerate(sheet.iter_rows(), start=1):
                    yield index, values
            finally:
                workbook.close()
        finally:
            if handle is not None:
                handle.close()

    def _openpyxl_rows(self) -> Iterator[tuple[int, list[Any]]]:
        import openpyxl

        handle = self._source.open()
        try:
            try:
                workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            except Exception as exc:
                raise ReadError(_excel_message(exc, self.filename)) from None
            try:
                sheets = workbook.worksheets
                index = self._select(
                    [ws.title for ws in sheets],
                    [getattr(ws, "sheet_state", "visible") == "visible" for ws in sheets],
                )
                worksheet = sheets[index]
                self._start_col = 0
                with suppress(AttributeError):
                    worksheet.reset_dimensions()  # type: ignore[union-attr] # do not trust the stored size
                # read-only iter_rows yields every row from row 1 and every column from A, gaps filled
                for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                    yield number, list(values)
            finally:
                workbook.close()
        finally:
            handle.close()

    def _rows(self) -> Iterator[tuple[int, Sequence[str | None]]]:
        width = len(self.columns)
        header_row = self.header_row
        lead = self._lead
        for number, values in self._raw_rows():
            if number <= header_row:
                continue
            texts = [_excel_text(v) for v in values]
            outside = [i for i in range(len(texts)) if (i < lead or i >= lead + width) and texts[i]]
            outside = [i for i in outside if texts[i].strip()]  # type: ignore[union-attr]
            if outside:
                column = _column_letter(self._start_col + outside[0])
                raise ReadError(
                    f"Dòng {number} có dữ liệu ở cột {column}, ngoài {width} cột có tiêu đề",
                    row=number,
                    column=column,
                )
            texts = texts[lead : lead + width]
            if not any(texts):
                continue
            if len(texts) < width:
                texts.extend([None] * (width - len(texts)))
            yield number, texts


def _excel_message(exc: BaseException, filename: str) -> str:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        return f"Tệp «{filename}» có mật khẩu: hãy bỏ mật khẩu rồi tải lên lại"
    return f"Không đọc được tệp Excel «{filename}»: tệp bị hỏng hoặc không đúng định dạng ({text[:200]})"


# --------------------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------------------


class _RawNumber(str):
    """A JSON number kept as written in the file."""


_JSON_DECODER = json.JSONDecoder(parse_float=_RawNumber, parse_int=_RawNumber, parse_constant=_RawNumber)
_WS = re.compile(r"[ \t\n\r]*")


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value) if value else None
    return _json_dump(value)


def _json_dump(value: Any) -> str:
    if isinstance(value, _RawNumber):
        return str(value)
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_json_dump(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(_json_dump(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(unicodedata.normalize("NFC", value), ensure_ascii=False)
    return json.dumps(value)


class _JsonScanner:
    """Pull values out of a stream of text chunks without holding more than a record or two."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self._wrapped = False
        self._line_base = 1  # line number of buffer[0]
        self._col_base = 0  # column of buffer[0] within its line (0-based), while on line_base

    def _more(self) -> bool:
        if self.eof:
            return False
        for chunk in self._chunks:
            if self.pos > 1 << 20:
                dropped = self.buffer[: self.pos]
                newlines = dropped.count("\n")
                if newlines:
                    self._line_base += newlines
                    self._col_base = len(dropped) - dropped.rfind("\n") - 1
                else:
                    self._col_base += len(dropped)
                self.buffer = self.buffer[self.pos :]
                self.pos = 0
            self.buffer += chunk
            return True
        self.eof = True
        return False

    def where(self, pos: int) -> tuple[int, int]:
        """(line, column), both 1-based, of a buffer position."""
        before = self.buffer[:pos]
        newlines = before.count("\n")
        if newlines:
            return self._line_base + newlines, pos - before.rfind("\n")
        return self._line_base, self._col_base + pos + 1

    def error(self, message: str, pos: int | None = None) -> ReadError:
        line, column = self.where(self.pos if pos is None else pos)
        return ReadError(f"JSON không hợp lệ ở dòng {line}, cột {column}: {message}")

    def peek(self) -> str:
        while True:
            self.pos = _WS.match(self.buffer, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._more():
                return ""

    def expect(self, chars: str, what: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            found = f"«{char}»" if char else "hết tệp"
            raise self.error(f"cần {what}, gặp {found}")
        self.pos += 1
        return char

    def value(self) -> Any:
        self.peek()
        last: tuple[str, int] | None = None
        while True:
            try:
                value, end = _JSON_DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                current = (exc.msg, exc.pos)
                stuck = last == current and not exc.msg.startswith("Unterminated string")
                if stuck or len(self.buffer) - self.pos > JSON_MAX_RECORD_CHARS or not self._more():
                    message = exc.msg
                    if len(self.buffer) - self.pos > JSON_MAX_RECORD_CHARS:
                        message += " (hoặc một bản ghi quá lớn)"
                    raise self.error(message, exc.pos) from None
                last = (exc.msg, exc.pos)
                continue
            if end == len(self.buffer) and not self.eof and isinstance(value, _RawNumber):
                # a number at the end of the buffer may continue in the next chunk
                if self._more():
                    continue
            self.pos = end
            return value

    def array_items(self) -> Iterator[Any]:
        """After the opening bracket: the items, consuming the closing bracket."""
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.expect(",]", "dấu «,» hoặc «]»") == "]":
                return

    def start_array(self) -> Iterator[Any]:
        """Items of the top-level array, or of the records array inside a top-level object."""
        first = self.expect("[{", "mảng «[» hoặc đối tượng «{»")
        self._wrapped = first == "{"
        if first == "[":
            return self.array_items()
        while True:
            if self.peek() == "}":
                break
            key = self.value()
            if not isinstance(key, str):
                raise self.error("cần tên khoá")
            self.expect(":", "dấu «:»")
            if key in JSON_RECORD_KEYS and self.peek() == "[":
                self.pos += 1
                return self.array_items()
            self.value()
            if self.expect(",}", "dấu «,» hoặc «}»") == "}":
                break
        keys = ", ".join(f'"{k}"' for k in JSON_RECORD_KEYS)
        raise ReadError(f"JSON phải là một mảng các bản ghi, hoặc đối tượng có khoá {keys} chứa mảng đó")

    def finish(self) -> None:
        """After the records: the rest of the wrapping object, then nothing but whitespace."""
        if self._wrapped:
            while self.expect(",}", "dấu «,» hoặc «}»") == ",":
                if not isinstance(self.value(), str):
                    raise self.error("cần tên khoá")
                self.expect(":", "dấu «:»")
                self.value()
        if self.peek():
            raise self.error("còn dữ liệu thừa sau khi kết thúc")


class _JsonBase(TableReader):
    decimal = "."

    def __init__(self, source: _Source, filename: str, *, encoding: str | None) -> None:
        super().__init__(source, filename)
        with source.open() as f:
            self.encoding = (
                encodings.normalize_label(encoding) if encoding else encodings.sniff_file_encoding(f)
            )
        columns: dict[str, str] = {}  # casefold -> name, in order of first appearance
        for number, record in self._records():
            for key in record:
                name = _clean_name(key)
                if not name:
                    raise ReadError(f"Bản ghi {number} có khoá rỗng", row=number)
                folded = name.casefold()
                if folded not in columns:
                    columns[folded] = name
                elif columns[folded] != name:
                    raise ReadError(
                        f"Khoá «{name}» và «{columns[folded]}» trùng nhau (chỉ khác chữ hoa/thường)",
                        row=number,
                        column=name,
                    )
        if not columns:
            raise ReadError("Tệp JSON không có bản ghi nào có dữ liệu")
        self.columns = list(columns.values())
        self._index = {folded: i for i, folded in enumerate(columns)}

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        raise NotImplementedError

    def _rows(self) -> Iterator[tuple[int, Sequence[str | None]]]:
        width = len(self.columns)
        index = self._index
        for number, record in self._records():
            values: list[str | None] = [None] * width
            for key, value in record.items():
                values[index[_clean_name(key).casefold()]] = _json_text(value)
            yield number, values


class JsonReader(_JsonBase):
    """A JSON array of objects, or an object holding one under "records" (or "data", "items", "rows")."""

    format = "json"

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        assert self.encoding is not None
        with self._source.open() as f:
            scanner = _JsonScanner(encodings.decode_chunks(f, self.encoding))
            try:
                for number, item in enumerate(scanner.start_array(), start=1):
                    if not isinstance(item, dict):
                        raise ReadError(f"Bản ghi thứ {number} không phải là một đối tượng JSON", row=number)
                    yield number, item
                scanner.finish()
            except UnicodeDecodeError:
                raise ReadError(f"Tệp JSON không giải mã được theo bảng mã {self.encoding}") from None


class NdjsonReader(_JsonBase):
    """One JSON object per line; row numbers are line numbers."""

    format = "ndjson"

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        assert self.encoding is not None
        number = 0
        with self._source.open() as f:
            try:
                lines = encodings.decode_stream(f, self.encoding, max_line=JSON_MAX_RECORD_CHARS)
                for number, line in enumerate(lines, start=1):
                    if not line.strip():
                        continue
                    try:
                        record = _JSON_DECODER.decode(line)
                    except json.JSONDecodeError as exc:
                        raise ReadError(
                            f"Dòng {number}: JSON không hợp lệ ở cột {exc.colno} ({exc.msg})", row=number
                        ) from None
                    if not isinstance(record, dict):
                        raise ReadError(f"Dòng {number} không phải là một đối tượng JSON", row=number)
                    yield number, record
            except UnicodeDecodeError:
                raise ReadError(
                    f"Dòng {number + 1} không giải mã được theo bảng mã {self.encoding}", row=number + 1
                ) from None
            except encodings.LineTooLongError:
                raise ReadError(
                    f"Dòng {number + 1} quá dài (hơn {_mb(JSON_MAX_RECORD_CHARS)} MB)", row=number + 1
                ) from None


def _looks_like_ndjson(source: _Source, encoding: str) -> bool:
    """A first line that is a whole JSON object, followed by another line starting with «{»."""
    with source.open() as f:
        lines = encodings.decode_stream(f, encoding, max_line=1 << 20)
        try:
            first = next((line for line in lines if line.strip()), "")
            value = _JSON_DECODER.decode(first)
        except (json.JSONDecodeError, encodings.LineTooLongError, UnicodeDecodeError):
            return False  # not one object per line (a very long line is a minified document)
        if not isinstance(value, dict):
            return False
        try:
            second = next((line for line in lines if line.strip()), None)
        except encodings.LineTooLongError:
            return True
        except UnicodeDecodeError:
            second = None
        if second is not None:
            return second.lstrip().startswith("{")
        return not any(isinstance(value.get(k), list) for k in JSON_RECORD_KEYS)


# --------------------------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------------------------


def _to_strings(array: pa.Array) -> pa.Array:
    kind = array.type
    if pa.types.is_dictionary(kind):
        array = array.dictionary_decode()
        kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        result = array.cast(pa.string())
        return pc.utf8_normalize(result, "NFC") if len(result) else result
    if pa.types.is_boolean(kind) or pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        return array.cast(pa.string())
    if pa.types.is_floating(kind):
        return pa.array(
            [None if v is None or v != v else (str(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v))
             for v in array.to_pylist()],
            type=pa.string(),
        )  # fmt: skip
    values = array.to_pylist()
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        out: list[str | None] = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            try:
                out.append(unicodedata.normalize("NFC", v.decode("utf-8")))
            except UnicodeDecodeError:
                out.append(v.hex())
        return pa.array(out, type=pa.string())
    if pa.types.is_nested(kind):
        return pa.array(
            [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values],
            type=pa.string(),
        )
    return pa.array([_excel_text(v) if v is not None else None for v in values], type=pa.string())


class ParquetReader(TableReader):
    format = "parquet"
    decimal = "."

    def __init__(self, source: _Source, filename: str) -> None:
        super().__init__(source, filename)
        import pyarrow.parquet as pq

        self._handle = source.open()
        try:
            self._file = pq.ParquetFile(self._handle)
        except (pa.ArrowException, OSError) as exc:
            self._handle.close()
            raise ReadError(f"Tệp Parquet «{filename}» bị hỏng: {exc}") from None
        self._names = self._file.schema_arrow.names
        self.columns = check_header(self._names, row=None)
        if len(self.columns) != len(self._names):
            raise ReadError("Tệp Parquet có cột không tên")

    def batches(self, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[tuple[pa.RecordBatch, int]]:
        if self._closed:
            raise ReadError("Tệp đã đóng")
        number = 1
        try:
            for batch in self._file.iter_batches(batch_size=batch_size):
                arrays = [_to_strings(batch.column(i)) for i in range(batch.num_columns)]
                yield pa.RecordBatch.from_arrays(arrays, names=self.columns), number
                number += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise ReadError(f"Tệp Parquet bị hỏng gần bản ghi {number}: {exc}", row=number) from None

    def close(self) -> None:
        if not self._closed:
            self._handle.close()
        super().close()


# --------------------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------------------

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PARQUET_MAGIC = b"PAR1"
_NOT_TABLES: dict[bytes, str] = {
    b"%PDF": "PDF",
    b"\x89PNG": "ảnh PNG",
    b"\xff\xd8\xff": "ảnh JPEG",
    b"GIF8": "ảnh GIF",
    b"Rar!": "tệp nén RAR",
    b"7z\xbc\xaf": "tệp nén 7z",
    b"\x1f\x8b": "tệp nén gzip",
}


def _zip_kind(archive: zipfile.ZipFile) -> str | None:
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" in names:
        with suppress(KeyError, OSError, zipfile.BadZipFile):
            if archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.spreadsheet":
                return "ods"
    return None


def open_table(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO,
    filename: str | None = None,
    *,
    max_bytes: int,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    excel_engine: str = "auto",
) -> TableReader:
    """Open an uploaded table for streaming.

    ``source`` is a path, the bytes, or a seekable binary file (which stays the caller's to close);
    ``filename`` is the name the person gave it (defaults to the path's). The kind of file is taken from its
    first bytes (zip → Excel, OLE2 → .xls, PAR1 → Parquet), else from the extension (.json, .ndjson/.jsonl),
    else text: JSON if it starts with «[» or «{», CSV otherwise. ``sheet`` picks an Excel sheet by name or
    0-based index (default: the first visible one); ``encoding`` and ``delimiter`` override the detection
    for text files; ``excel_engine`` is "auto" (python-calamine, which is fast but holds the sheet in memory;
    openpyxl, which streams, for worksheets over 256 MB unzipped or without calamine), "calamine" or
    "openpyxl".
    """
    if encoding is not None:
        try:
            encoding = encodings.normalize_label(encoding)
        except ValueError as exc:
            raise ReadError(str(exc)) from None
    src = _Source(source)
    name = filename or src.name or "tệp"
    if src.size > max_bytes:
        raise ReadError(f"Tệp vượt quá giới hạn {_mb(max_bytes)} MB (tệp {_mb(src.size)} MB)")
    if src.size == 0:
        raise ReadError("Tệp rỗng")
    ext = Path(name).suffix.lower()
    head = src.head(16)
    if head.startswith(_ZIP_MAGIC):
        with src.open() as f:
            archive = check_zip(f, max_bytes=max_bytes, filename=name)
            kind = _zip_kind(archive)
            sheets_size = sum(
                i.file_size for i in archive.infolist() if i.filename.startswith("xl/worksheets/")
            )
            archive.close()
        if kind is None:
            raise ReadError(f"Tệp «{name}» là tệp nén ZIP nhưng không phải bảng tính Excel")
        if excel_engine == "auto" and kind == "xlsx" and sheets_size > EXCEL_STREAM_ABOVE:
            excel_engine = "openpyxl"  # calamine holds a whole sheet in memory; openpyxl streams it
        return ExcelReader(src, name, kind=kind, sheet=sheet, engine=excel_engine)
    if head.startswith(_OLE_MAGIC):
        if ext in (".xlsx", ".xlsm"):
            raise ReadError(
                f"Tệp «{name}» được bảo vệ bằng mật khẩu hoặc là .xls cũ đổi đuôi; hãy lưu lại thành .xlsx"
            )
        return ExcelReader(src, name, kind="xls", sheet=sheet, engine=excel_engine)
    if head.startswith(_PARQUET_MAGIC):
        return ParquetReader(src, name)
    for magic, what in _NOT_TABLES.items():
        if head.startswith(magic):
            raise ReadError(f"Tệp «{name}» là {what}, không phải bảng dữ liệu")
    if ext in EXCEL_EXTENSIONS:
        raise ReadError(
            f"Tệp «{name}» có đuôi {ext} nhưng không phải bảng tính Excel "
            "(có thể là CSV hoặc trang HTML bị đổi đuôi); hãy mở bằng Excel và lưu lại thành .xlsx"
        )
    if ext in PARQUET_EXTENSIONS:
        raise ReadError(f"Tệp «{name}» có đuôi {ext} nhưng không phải tệp Parquet")
    if ext in NDJSON_EXTENSIONS:
        return NdjsonReader(src, name, encoding=encoding)
    text_encoding = encoding
    if ext in JSON_EXTENSIONS or (ext not in TEXT_EXTENSIONS and _starts_like_json(src)):
        with src.open() as f:
            label = text_encoding or encodings.sniff_file_encoding(f)
        first = _first_char(src, label)
        if not first:
            raise ReadError("Tệp rỗng")
        if first == "{" and _looks_like_ndjson(src, label):
            return NdjsonReader(src, name, encoding=label)
        return JsonReader(src, name, encoding=label)
    return CsvReader(src, name, encoding=text_encoding, delimiter=delimiter)


def _first_char(src: _Source, encoding: str) -> str:
    with src.open() as f:
        for chunk in encodings.decode_chunks(f, encoding, chunk_size=4096):
            stripped = chunk.lstrip()
            if stripped:
                return stripped[0]
    return ""


def _starts_like_json(src: _Source) -> bool:
    head = src.head(4096)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip()[:1] in (b"[", b"{")


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "CsvReader",
    "ExcelReader",
    "JsonReader",
    "NdjsonReader",
    "ParquetReader",
    "ReadError",
    "TableReader",
    "check_header",
    "check_zip",
    "open_table",
    "sniff_delimiter",
]
