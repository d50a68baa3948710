"""Loading data into the warehouse: read, validate every cell, map units, and commit one atomic batch.

Every path in — uploaded files, the CLI, pushed records, scheduled pulls, MQTT micro-batches — ends in
``load()``: the same authorisation, the same validation, the same batch bookkeeping and audit row.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.models import Dataset, DatasetColumn, LoadBatch
from dieuhanh.core import audit
from dieuhanh.core.db import utcnow
from dieuhanh.core.errors import FieldError, InvalidInput, TooLarge
from dieuhanh.core.security import Principal, authorize
from dieuhanh.core.warehouse import BATCH_COLUMN, SqlSource, Warehouse, _quote
from dieuhanh.core.warehouse_tx import TransactionalWarehouse
from dieuhanh.geo import reference
from dieuhanh.ingest import sqlload, values
from dieuhanh.ingest.convert import ARROW_TYPES, convert
from dieuhanh.ingest.readers import CsvReader, ReadError, TableReader, open_table

MAX_REPORTED_ERRORS = 1000
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest-convert")
PII_SAMPLE = 2000

Source = bytes | Path | BinaryIO | list[dict[str, Any]]


@dataclass
class LoadResult:
    batch_id: str
    rows: int
    status: str
    dataset: str
    encoding: str | None = None
    replayed: bool = False
    pii_suggestions: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "rows": self.rows, "status": self.status}


@dataclass
class Preview:
    dataset: str
    filename: str | None
    format: str
    encoding: str | None
    columns: list[dict[str, Any]]  # header, matched column, its type, inferred type
    sample: list[dict[str, Any]]
    rows: int
    errors: list[FieldError]
    error_count: int
    pii_suggestions: dict[str, str]


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []
        self.count = 0

    def add(self, message: str, row: int | None = None, column: str | None = None) -> None:
        self.count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(FieldError(message=message, row=row, column=column))

    def raise_if_any(self, dataset: str) -> None:
        if self.count:
            more = f" (hiển thị {len(self.errors)} lỗi đầu)" if self.count > len(self.errors) else ""
            raise InvalidInput(
                f"Dữ liệu không hợp lệ: {self.count} lỗi{more}. Chưa có dòng nào được nạp vào '{dataset}'.",
                errors=self.errors,
            )


def _header_key(text: str) -> str:
    return reference.normalize(text).replace(" ", "_")


def _match_header(reader_columns: list[str], schema: list[DatasetColumn], errors: _Collector,
                  header_row: int) -> dict[str, str]:
    """Header cell -> dataset column. Accepts exact names and names typed with spaces or diacritics."""
    by_key = {_header_key(c.name): c.name for c in schema}
    mapping: dict[str, str] = {}
    for header in reader_columns:
        name = header if header in {c.name for c in schema} else by_key.get(_header_key(header))
        if name is None:
            errors.add(f"Cột «{header}» không có trong lược đồ của bộ dữ liệu. Các cột hợp lệ: "
                       + ", ".join(c.name for c in schema), row=header_row or None, column=header)
        elif name in mapping.values():
            errors.add(f"Cột «{header}» trùng với một cột khác cùng tên {name}.", row=header_row or None,
                       column=header)
        else:
            mapping[header] = name
    for col in schema:
        if col.required and col.name not in mapping.values():
            errors.add(f"Thiếu cột bắt buộc «{col.name}».", row=header_row or None, column=col.name)
    return mapping


def unit_resolver(province_code: str) -> Callable[[str], str]:
    """Codes, current names or legacy names -> the current official commune (or province) code."""
    communes = {u.code for u in reference.communes_of(province_code)} | {province_code}
    cache: dict[str, str] = {}

    def resolve(value: str) -> str:
        if value in cache:
            return cache[value]
        text = value.strip()
        if text in communes:
            cache[value] = text
            return text
        if text.isdigit() and len(text) <= 5 and text.zfill(5) in communes:
            cache[value] = text.zfill(5)
            return cache[value]
        result = reference.resolve_address(province_code, text)
        if result.code:
            cache[value] = result.code
            return result.code
        if result.candidates:
            names = ", ".join(f"{c.name} ({c.code})" for c in result.candidates[:6])
            raise ValueError(f"«{text}» ứng với nhiều xã, phường hiện nay: {names}. Hãy ghi mã xã.")
        raise ValueError(f"Không xác định được xã, phường từ «{text}»")

    return resolve


def _open(source: Source, filename: str | None, max_bytes: int) -> TableReader:
    if isinstance(source, list):
        body = json.dumps(source, ensure_ascii=False, default=str).encode()
        return open_table(body, filename or "records.json", max_bytes=max(max_bytes, len(body)))
    if isinstance(source, Path):
        if source.stat().st_size > max_bytes:
            raise TooLarge(f"Tệp vượt quá giới hạn {max_bytes // (1024 * 1024)} MB.")
        return open_table(str(source), filename or source.name, max_bytes=max_bytes)
    if isinstance(source, bytes | bytearray) and len(source) > max_bytes:
        raise TooLarge(f"Tệp vượt quá giới hạn {max_bytes // (1024 * 1024)} MB.")
    return open_table(source, filename, max_bytes=max_bytes)


def _checksum(source: Source) -> str:
    digest = hashlib.sha256()
    if isinstance(source, list):
        digest.update(json.dumps(source, ensure_ascii=False, sort_keys=True, default=str).encode())
    elif isinstance(source, Path):
        with source.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    elif isinstance(source, bytes | bytearray):
        digest.update(source)
    else:
        pos = source.tell()
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
        source.seek(pos)
    return digest.hexdigest()


class _Validator:
    """Turns raw string batches into typed batches of the dataset's schema, collecting cell errors."""

    def __init__(self, ds: Dataset, reader: TableReader, province_code: str, errors: _Collector):
        self.ds, self.reader, self.errors = ds, reader, errors
        self.mapping = _match_header(reader.columns, ds.columns, errors, reader.header_row)
        self.schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in ds.columns])
        self.resolver = unit_resolver(province_code)
        self.seen: dict[str, dict[Any, int]] = {c.name: {} for c in ds.columns if c.unique}
        self.rows = 0
        self.samples: dict[str, list[str]] = {c.name: [] for c in ds.columns if c.type == "string" and not c.pii}

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self.errors.count:  # header problems: read nothing
            return
        by_column = {v: k for k, v in self.mapping.items()}
        for raw, first_row in self.reader.batches():
            n = raw.num_rows
            arrays = []
            # Columns convert in parallel: pyarrow compute releases the GIL, so both cores work.
            converted = {
                col.name: _POOL.submit(convert, raw.column(raw.schema.get_field_index(by_column[col.name])),
                                       col.type, decimal=self.reader.decimal, unit_resolver=self.resolver)
                for col in self.ds.columns if col.name in by_column
            }
            for col in self.ds.columns:
                header = by_column.get(col.name)
                if header is None:
                    arrays.append(pa.nulls(n, ARROW_TYPES[col.type]))
                    continue
                raw_col = raw.column(raw.schema.get_field_index(header))
                typed, cell_errors = converted[col.name].result()
                for i, message in cell_errors:
                    self.errors.add(message, row=first_row + i, column=header)
                if col.required:
                    bad = {i for i, _ in cell_errors}
                    for i in pc.indices_nonzero(pc.fill_null(pc.is_null(typed), True)).to_pylist():
                        if i not in bad:
                            self.errors.add(f"Cột bắt buộc «{col.name}» để trống.", row=first_row + i, column=header)
                if col.unique:
                    self._check_unique(col.name, header, typed, first_row)
                if col.name in self.samples and len(self.samples[col.name]) < PII_SAMPLE:
                    self.samples[col.name].extend(
                        v for v in raw_col.slice(0, PII_SAMPLE).to_pylist() if v
                    )
                arrays.append(typed)
            self.rows += n
            if self.errors.count >= MAX_REPORTED_ERRORS:
                return
            if not self.errors.count:
                yield pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _check_unique(self, name: str, header: str, typed: pa.Array, first_row: int) -> None:
        seen = self.seen[name]
        for i, value in enumerate(typed.to_pylist()):
            if value is None:
                continue
            if value in seen:
                self.errors.add(f"Giá trị «{value}» của cột duy nhất «{name}» trùng với dòng {seen[value]}.",
                                row=first_row + i, column=header)
            else:
                seen[value] = first_row + i

    def pii_suggestions(self) -> dict[str, str]:
        found = {}
        for col in self.ds.columns:
            if col.pii or col.pii_reviewed or col.name not in self.samples:
                continue
            kinds = values.detect_pii(self.samples[col.name])
            if kinds:
                found[col.name] = ",".join(sorted(kinds))
        return found


def load(session: Session, warehouse: Warehouse, *, principal: Principal, dataset_name: str, source: Source,
         filename: str | None = None, mode: str = "append", idempotency_key: str | None = None,
         source_kind: str = "upload", province_code: str, max_bytes: int) -> LoadResult:
    """Validate everything, then load all rows as one batch, or nothing. Raises InvalidInput with the
    errors by row and column when any cell is wrong.

    The rows follow ``session``'s transaction (``core/warehouse_tx.py``): they are in the warehouse on return,
    and removed again — a replace's previous rows put back — if that transaction ends without a commit."""
    if mode not in ("append", "replace"):
        raise InvalidInput("mode phải là 'append' hoặc 'replace'.")
    ds = catalog.get_dataset(session, dataset_name)
    authorize(principal, "dataset.load", ds)
    if idempotency_key:
        previous = session.scalar(select(LoadBatch).where(LoadBatch.dataset_id == ds.id,
                                                          LoadBatch.idempotency_key == idempotency_key))
        if previous is not None:
            return LoadResult(batch_id=previous.id, rows=previous.rows, status=previous.status,
                              dataset=ds.name, encoding=previous.encoding, replayed=True)
    path = sqlload.file_path(source)
    # A file on disk is hashed by path (while DuckDB loads it, on the fast path); other sources before reading.
    checksum = _checksum(source) if path is None else ""
    errors = _Collector()
    try:
        reader = _open(source, filename, max_bytes)
    except ReadError as exc:
        raise InvalidInput(f"Không đọc được tệp: {exc.message}",
                           errors=[FieldError(message=exc.message, row=exc.row, column=exc.column)]) from exc
    batch_id = str(uuid.uuid4())
    bound = TransactionalWarehouse(session, warehouse)
    fast: tuple[int, str, dict[str, str]] | None = None
    try:
        validator = _Validator(ds, reader, province_code, errors)
        if not errors.count and bound.kind == "duckdb" and sqlload.eligible(reader, path, ds, validator.mapping):
            assert path is not None and isinstance(reader, CsvReader)
            fast = _load_in_sql(bound, ds, path, reader, validator, mode, batch_id, province_code)
    except BaseException:
        reader.close()
        raise
    if fast is not None:
        reader.close()
        rows, checksum, suggestions = fast
        return _finish(session, bound, ds, principal=principal, batch_id=batch_id, rows=rows, mode=mode,
                       source_kind=source_kind, filename=filename, encoding=reader.encoding, checksum=checksum,
                       idempotency_key=idempotency_key, suggestions=lambda: suggestions)
    checksum = checksum or _checksum(path or source)
    try:
        unique_cols = [c.name for c in ds.columns if c.unique]

        def check(run: Callable[[str], list[tuple[Any, ...]]]) -> None:
            if read_errors:
                exc = read_errors[0]
                raise InvalidInput(f"Không đọc được tệp: {exc.message}",
                                   errors=[FieldError(message=exc.message, row=exc.row, column=exc.column)])
            errors.raise_if_any(ds.name)
            if validator.rows == 0:
                raise InvalidInput("Tệp không có dòng dữ liệu nào (chỉ có dòng tiêu đề hoặc rỗng).",
                                   errors=[FieldError(message="Không có dòng dữ liệu", row=2)])
            for name in unique_cols if mode == "append" else []:
                dupes = run(f"SELECT {_quote(name)}, count(*) FROM {_quote(ds.name)} WHERE {_quote(name)} IS NOT NULL "
                            f"GROUP BY 1 HAVING count(*) > 1 LIMIT 20")
                for value, _count in dupes:
                    errors.add(f"Giá trị «{value}» của cột duy nhất «{name}» đã có trong bộ dữ liệu.", column=name)
            errors.raise_if_any(ds.name)

        read_errors: list[ReadError] = []

        def guarded() -> Iterator[pa.RecordBatch]:
            # The warehouse pulls these batches from its own threads and would wrap a ReadError in its own
            # exception type: keep it here and raise it from check(), before the commit.
            try:
                yield from validator.batches()
            except ReadError as exc:
                read_errors.append(exc)

        stream = pa.RecordBatchReader.from_batches(validator.schema, guarded())
        try:
            loader = bound.replace if mode == "replace" else bound.append
            rows = loader(ds.name, stream, batch_id, check=check)
        except ReadError as exc:
            raise InvalidInput(f"Không đọc được tệp: {exc.message}",
                               errors=[FieldError(message=exc.message, row=exc.row, column=exc.column)]) from exc
        encoding = reader.encoding
    finally:
        reader.close()
    return _finish(session, bound, ds, principal=principal, batch_id=batch_id, rows=rows, mode=mode,
                   source_kind=source_kind, filename=filename, encoding=encoding, checksum=checksum,
                   idempotency_key=idempotency_key, suggestions=validator.pii_suggestions)


def _load_in_sql(bound: TransactionalWarehouse, ds: Dataset, path: Path, reader: CsvReader, validator: _Validator,
                 mode: str, batch_id: str, province_code: str) -> tuple[int, str, dict[str, str]] | None:
    """A clean large CSV file in one INSERT … SELECT validated by DuckDB (``sqlload``); None when the exact path
    must read it (a cell the SQL does not accept, a duplicate, no rows, quoting DuckDB reads differently): the
    warehouse transaction has then rolled back and stored nothing.

    When the file's first lines have the exact shapes of a clean file (``sqlload.line_pattern``), the SELECT only
    converts, while a thread matches every line against that pattern; the load commits only if all lines match.
    If some line does not, that attempt is rolled back and the checking SELECT decides, cell by cell."""
    import duckdb

    line = sqlload.line_pattern(reader, ds, validator.mapping, province_code)
    shaped = line is not None and sqlload.starts_shaped(path, line, reader.header_row)
    checks = sqlload.FileChecks(path, reader, line if shaped else None)
    samples: dict[str, list[str]] = {}
    table = _quote(ds.name)
    batch = "'" + batch_id.replace("'", "''") + "'"

    def check(run: Callable[[str], list[tuple[Any, ...]]]) -> None:
        checks.wait()
        if not checks.strict:
            raise sqlload.Unsupported("quoting")
        if shaped and not checks.shaped:
            raise sqlload.NotShaped
        if not run(f"SELECT 1 FROM {table} WHERE {BATCH_COLUMN} = {batch} LIMIT 1"):
            raise sqlload.Unsupported("no rows")  # the exact path says so in Vietnamese
        for col in ds.columns:
            if col.unique and run(f"SELECT 1 FROM {table} WHERE {_quote(col.name)} IS NOT NULL "
                                  f"GROUP BY {_quote(col.name)} HAVING count(*) > 1 LIMIT 1"):
                raise sqlload.Unsupported("duplicates")  # the exact path names the rows
        samples.clear()
        for name in validator.samples:
            samples[name] = [r[0] for r in run(f"SELECT {_quote(name)} FROM {table} WHERE {BATCH_COLUMN} = {batch} "
                                               f"AND {_quote(name)} IS NOT NULL LIMIT {PII_SAMPLE}")]

    loader = bound.replace if mode == "replace" else bound.append
    try:
        try:
            source = sqlload.build(path, reader, ds, validator.mapping, province_code, shaped=shaped)
            if shaped:  # a line found not to match interrupts the SELECT
                source = SqlSource(sql=source.sql, schema=source.schema, on_start=checks.interrupt_with)
            rows = loader(ds.name, source, batch_id, check=check)
        except (duckdb.Error, sqlload.NotShaped):
            checks.wait()
            if not shaped or checks.shaped:
                # The checking SELECT failed; or the shaped one did although every line has its shape, so the
                # checking SELECT would fail on the same cell (a day that does not exist, a number too large).
                # The exact path names it.
                return None
            shaped = False
            source = sqlload.build(path, reader, ds, validator.mapping, province_code)
            rows = loader(ds.name, source, batch_id, check=check)
    except (duckdb.Error, sqlload.Unsupported):
        checks.wait()
        return None
    validator.samples.update(samples)
    return rows, checks.checksum, validator.pii_suggestions()


def _finish(session: Session, bound: TransactionalWarehouse, ds: Dataset, *, principal: Principal, batch_id: str,
            rows: int, mode: str, source_kind: str, filename: str | None, encoding: str | None, checksum: str,
            idempotency_key: str | None, suggestions: Callable[[], dict[str, str]]) -> LoadResult:
    try:
        found = suggestions()
        _record_batch(session, ds, principal=principal, batch_id=batch_id, rows=rows, mode=mode,
                      source_kind=source_kind, filename=filename, encoding=encoding, checksum=checksum,
                      idempotency_key=idempotency_key, suggestions=found)
        session.flush()
    except IntegrityError:
        # Another request with the same Idempotency-Key won the race: undo ours, answer with theirs.
        bound.undo(ds.name, batch_id)
        session.rollback()
        previous = session.scalar(select(LoadBatch).where(LoadBatch.idempotency_key == idempotency_key))
        if previous is None:
            raise
        return LoadResult(batch_id=previous.id, rows=previous.rows, status=previous.status, dataset=ds.name,
                          replayed=True)
    except BaseException:
        bound.undo(ds.name, batch_id)  # now: the caller might go on with the session
        raise
    return LoadResult(batch_id=batch_id, rows=rows, status="loaded", dataset=ds.name, encoding=encoding,
                      pii_suggestions=found)


def _record_batch(session: Session, ds: Dataset, *, principal: Principal, batch_id: str, rows: int, mode: str,
                  source_kind: str, filename: str | None, encoding: str | None, checksum: str,
                  idempotency_key: str | None, suggestions: dict[str, str]) -> None:
    now = utcnow()
    if mode == "replace":
        for old in session.scalars(select(LoadBatch).where(LoadBatch.dataset_id == ds.id,
                                                           LoadBatch.status == "loaded")):
            old.status = "superseded"
        _add_rows(session, ds, rows, replace=True)
    else:
        _add_rows(session, ds, rows)
    session.add(LoadBatch(id=batch_id, dataset_id=ds.id, status="loaded", mode=mode, source=source_kind,
                          filename=filename, encoding=encoding, rows=rows, checksum=checksum,
                          schema_version=ds.schema_version, idempotency_key=idempotency_key,
                          created_by=principal.actor, created_at=now))
    ds.last_batch_at = now
    for col in ds.columns:
        if col.name in suggestions:
            col.pii_suggestion = suggestions[col.name]
    fulfilled = catalog.fulfil_update_requests(session, dataset=ds, batch_id=batch_id)
    audit.record(session, actor=principal.actor, action="batch.load", entity_type="load_batch", entity_id=batch_id,
                 after={"dataset": ds.name, "rows": rows, "mode": mode, "source": source_kind,
                        "filename": filename, "checksum": checksum, "pii_suggestions": suggestions,
                        "update_requests_fulfilled": fulfilled})


def record_rejection(session: Session, *, principal: Principal, dataset_name: str, error_count: int,
                     filename: str | None, source_kind: str, mode: str = "append") -> None:
    """Keep a trace of a refused load (nothing of it is stored) for the dataset's error rate.

    Called by the caller after it rolled back the failed attempt, in a transaction of its own."""
    ds = catalog.get_dataset(session, dataset_name)
    session.add(LoadBatch(id=str(uuid.uuid4()), dataset_id=ds.id, status="rejected", mode=mode,
                          source=source_kind, filename=filename, rows=0, error_count=max(1, error_count),
                          schema_version=ds.schema_version, created_by=principal.actor))


def _add_rows(session: Session, ds: Dataset, rows: int, *, replace: bool = False) -> None:
    """In SQL, not in Python: two loads committing side by side must not lose each other's count."""
    from sqlalchemy import update

    value = rows if replace else Dataset.row_count + rows
    session.execute(update(Dataset).where(Dataset.id == ds.id).values(row_count=value))
    session.expire(ds, ["row_count"])


def preview(session: Session, *, principal: Principal, dataset_name: str, source: Source,
            filename: str | None, province_code: str, max_bytes: int, sample_rows: int = 20) -> Preview:
    """What a load would do, without storing anything: encoding, header mapping, types, errors, PII hints."""
    ds = catalog.get_dataset(session, dataset_name)
    authorize(principal, "dataset.load", ds)
    errors = _Collector()
    try:
        reader = _open(source, filename, max_bytes)
    except ReadError as exc:
        raise InvalidInput(f"Không đọc được tệp: {exc.message}",
                           errors=[FieldError(message=exc.message, row=exc.row, column=exc.column)]) from exc
    try:
        validator = _Validator(ds, reader, province_code, errors)
        sample: list[dict[str, Any]] = []
        raw_sample: dict[str, list[str | None]] = {h: [] for h in reader.columns}
        for raw, _first in reader.batches(batch_size=max(sample_rows, 1000)):
            for h in reader.columns:
                raw_sample[h].extend(raw.column(raw.schema.get_field_index(h)).slice(0, 1000).to_pylist())
            sample = raw.slice(0, sample_rows).to_pylist()
            break
        for _batch in validator.batches():
            pass
        by_header = validator.mapping
        columns = [{
            "header": h, "column": by_header.get(h),
            "type": next((c.type for c in ds.columns if c.name == by_header.get(h)), None),
            "inferred": values.infer_type([v for v in raw_sample[h] if v], decimal=reader.decimal),
        } for h in reader.columns]
        return Preview(dataset=ds.name, filename=filename, format=reader.format, encoding=reader.encoding,
                       columns=columns, sample=sample, rows=validator.rows, errors=errors.errors,
                       error_count=errors.count, pii_suggestions=validator.pii_suggestions())
    finally:
        reader.close()
