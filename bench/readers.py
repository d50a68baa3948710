"""Throughput of the ingestion readers: rows per second and peak Python memory, per format and encoding.

Run: ``uv run python bench/readers.py [rows] [--memory]`` (default 200 000 rows; files go to a temporary
folder). Numbers are for one core. ``--memory`` adds a second pass under tracemalloc for the peak of Python
memory (Arrow buffers are not counted; the pass itself is several times slower).
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

from dieuhanh.ingest.encodings import encode
from dieuhanh.ingest.readers import open_table

MEMORY = "--memory" in sys.argv
HEADER = ["Mã", "Họ tên", "Địa chỉ", "Số tiền", "Ngày", "Ghi chú"]


def row(i: int) -> list[str]:
    return [
        str(i),
        f"Nguyễn Thị Ánh {i}",
        "Xã Thanh Sơn, huyện Kim Bảng",
        f"{i}.{i % 1000:03d},5",
        f"{1 + i % 28:02d}/03/2024",
        f"Ghi chú số {i}: đã kiểm tra",
    ]


def csv_text(rows: int) -> str:
    def quote(value: str) -> str:
        return f'"{value}"' if "," in value else value

    lines = [",".join(HEADER)] + [",".join(quote(v) for v in row(i)) for i in range(rows)]
    return "\r\n".join(lines) + "\r\n"


def measure(label: str, path: Path, rows: int, **kwargs: object) -> None:
    started = time.perf_counter()
    count = 0
    with open_table(path, max_bytes=1 << 34, **kwargs) as reader:  # type: ignore[arg-type]
        for batch, _first in reader.batches():
            count += batch.num_rows
    elapsed = time.perf_counter() - started
    assert count == rows, (label, count)
    size = path.stat().st_size
    line = (
        f"{label:<16} {size / 1e6:7.1f} MB {elapsed:7.2f} s {rows / elapsed:10,.0f} rows/s "
        f"{size / 1e6 / elapsed:6.1f} MB/s"
    )
    if MEMORY:
        tracemalloc.start()
        with open_table(path, max_bytes=1 << 34, **kwargs) as reader:  # type: ignore[arg-type]
            for _batch in reader.batches():
                pass
        line += f"  peak {tracemalloc.get_traced_memory()[1] / 1e6:6.1f} MB"
        tracemalloc.stop()
    print(line, flush=True)


def main() -> None:
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    rows = int(numbers[0]) if numbers else 200_000
    text = csv_text(rows)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label in ("utf-8", "windows-1258", "tcvn3", "vni"):
            path = folder / f"{label}.csv"
            path.write_bytes(encode(text, label))
            measure(f"csv {label}", path, rows)

        records = [dict(zip(HEADER, row(i), strict=True)) for i in range(rows)]
        path = folder / "a.json"
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        measure("json array", path, rows)
        path = folder / "a.ndjson"
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
        measure("ndjson", path, rows)

        path = folder / "a.parquet"
        pq.write_table(pa.Table.from_pylist(records), path)
        measure("parquet", path, rows)

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(HEADER)
        for i in range(min(rows, 100_000)):
            sheet.append(row(i))
        buffer = io.BytesIO()
        workbook.save(buffer)
        path = folder / "a.xlsx"
        path.write_bytes(buffer.getvalue())
        measure("xlsx calamine", path, min(rows, 100_000), excel_engine="calamine")
        measure("xlsx openpyxl", path, min(rows, 100_000), excel_engine="openpyxl")


if __name__ == "__main__":
    main()
