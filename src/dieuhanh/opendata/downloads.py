"""Downloads of a published dataset: CSV (optionally with a BOM for Excel), JSON, Parquet and XLSX.

Everything is read page by page (``service.iter_public_batches``): a big table never sits in memory whole.
Each format is written page by page to a temporary file that is then streamed (with its length) and deleted:
a download completes, or fails before its first byte with a clear answer — never a file cut off after the
header because the warehouse became busy mid-way. Only public columns leave, and text that a spreadsheet would
run as a formula is neutralised with a leading apostrophe (CSV and XLSX).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from dieuhanh.catalog.models import Dataset
from dieuhanh.core.cells import neutralise, xlsx_cell
from dieuhanh.core.errors import InvalidInput, NotFound
from dieuhanh.opendata import service

router = APIRouter(include_in_schema=False)

BATCH_ROWS = 20_000
CHUNK = 1 << 16
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32(),
               "datetime": pa.timestamp("us")}


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return neutralise(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _dataset(request: Request, name: str) -> Dataset:
    """The published dataset, loaded with its columns in a session that is closed before streaming starts."""
    with request.app.state.db.session() as session:
        ds = service.get_published(session, name)
        session.expunge(ds)
    return ds


def _headers(name: str, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.{ext}"', "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store"}


def csv_stream(warehouse: Any, ds: Dataset, *, bom: bool) -> Iterator[bytes]:
    names = [c.name for c in service.public_columns(ds)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    yield (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")
    for batch in service.iter_public_batches(warehouse, ds, batch_rows=BATCH_ROWS):
        buffer.seek(0)
        buffer.truncate()
        for row in zip(*(batch.column(n).to_pylist() for n in names), strict=True):
            writer.writerow([_csv_value(v) for v in row])
            if buffer.tell() > CHUNK:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue().encode("utf-8")


def json_stream(warehouse: Any, ds: Dataset) -> Iterator[bytes]:
    """A JSON array of objects, one page at a time."""
    names = [c.name for c in service.public_columns(ds)]
    yield b"["
    first = True
    for batch in service.iter_public_batches(warehouse, ds, batch_rows=BATCH_ROWS):
        parts: list[str] = []
        for row in zip(*(batch.column(n).to_pylist() for n in names), strict=True):
            text = json.dumps({n: _json_value(v) for n, v in zip(names, row, strict=True)}, ensure_ascii=False)
            parts.append(text if first else "," + text)
            first = False
            if len(parts) >= 1000:
                yield ("\n".join(parts)).encode("utf-8")
                parts = []
        if parts:
            yield ("\n".join(parts)).encode("utf-8")
    yield b"]\n"


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _file_stream(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        _unlink(path)


def _temp_path(suffix: str) -> str:
    fd, path = tempfile.mkstemp(prefix="opendata-", suffix=suffix)
    os.close(fd)
    return path


def write_parquet(warehouse: Any, ds: Dataset, path: str) -> None:
    cols = service.public_columns(ds)
    schema = pa.schema([(c.name, ARROW_TYPES.get(c.type, pa.string())) for c in cols])
    writer: pq.ParquetWriter | None = None
    try:
        for batch in service.iter_public_batches(warehouse, ds, batch_rows=BATCH_ROWS):
            batch = batch.select([c.name for c in cols])
            if writer is None:
                try:
                    batch = batch.cast(schema)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    schema = batch.schema  # the warehouse's own types
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            writer.write_table(batch.cast(schema))
        if writer is None:
            writer = pq.ParquetWriter(path, schema, compression="zstd")
    finally:
        if writer is not None:
            writer.close()


def write_xlsx(warehouse: Any, ds: Dataset, path: str) -> None:
    from openpyxl import Workbook

    names = [c.name for c in service.public_columns(ds)]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=ds.name[:31])
    sheet.append(names)
    for batch in service.iter_public_batches(warehouse, ds, batch_rows=BATCH_ROWS):
        for row in zip(*(batch.column(n).to_pylist() for n in names), strict=True):
            out = []
            for value in row:
                if isinstance(value, str):
                    value = xlsx_cell(value)
                elif isinstance(value, float) and not math.isfinite(value):
                    value = None
                elif isinstance(value, datetime) and value.tzinfo is not None:
                    value = value.replace(tzinfo=None)
                out.append(value)
            sheet.append(out)
    workbook.save(path)


@router.get("/opendata/datasets/{name}/download.{fmt}")
def download(request: Request, name: str, fmt: str, bom: bool = False) -> StreamingResponse:
    if fmt not in service.FORMATS:
        raise NotFound(f"Không có định dạng tải về '{fmt}'. Có: {', '.join(service.FORMATS)}.")
    ds = _dataset(request, name)
    warehouse = request.app.state.warehouse
    media, headers = MEDIA_TYPES[fmt], _headers(ds.name, fmt)
    if fmt == "xlsx" and service.count_rows(warehouse, ds) > XLSX_MAX_ROWS:
        raise InvalidInput(f"Bộ dữ liệu vượt quá {XLSX_MAX_ROWS + 1:,} dòng của một trang tính Excel; "
                           "hãy tải CSV hoặc Parquet.")
    path = _temp_path(f".{fmt}")
    try:
        # Every format is written whole before the first byte is sent: a download either completes or fails
        # with a clear answer (e.g. 503 while another process holds the warehouse), never breaks off mid-file.
        if fmt in ("csv", "json"):
            with open(path, "wb") as out:
                for chunk in (csv_stream(warehouse, ds, bom=bom) if fmt == "csv" else json_stream(warehouse, ds)):
                    out.write(chunk)
        else:
            (write_parquet if fmt == "parquet" else write_xlsx)(warehouse, ds, path)
    except BaseException:
        _unlink(path)
        raise
    headers["Content-Length"] = str(os.path.getsize(path))
    # The generator deletes the file when done; the background task covers a client that left before it began.
    return StreamingResponse(_file_stream(path), media_type=media, headers=headers,
                             background=BackgroundTask(_unlink, path))
