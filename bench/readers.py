"""Throughput of the ingestion readers, per format and encoding, each against the plain library read of the same file.

Run: ``uv run python bench/readers.py [rows] [--runs 3] [--memory]`` (default 200 000 rows, 100 000 for xlsx;
files go to a temporary folder). For every file, ``--runs`` interleaved rounds (order reversed every other round,
``rounds.py``) of

* **ours**: ``open_table(path)`` and every ``batches()`` batch (Arrow string batches: sniffing, decoding, header
  checks, row numbers), and
* **plain**: the plain library read of the same file where one exists — ``pyarrow.csv.read_csv`` (all columns as
  strings; ``encoding="cp1258"`` for windows-1258, which Arrow transcodes through Python's codec — without the NFC
  normalisation ours does), ``json.loads`` (JSON array), ``pyarrow.json.read_json`` (NDJSON),
  ``pyarrow.parquet.read_table``, ``python_calamine`` ``iter_rows()`` of the first sheet, openpyxl read-only
  ``iter_rows(values_only=True)``. TCVN3 and VNI have no codec in Python or Arrow: no plain read;

prints the median (min–max) seconds and rows/s of both, the ratio ours/plain, and the load average. Arrow's CSV,
JSON and Parquet readers use both cores. ``--memory`` adds one pass of each under tracemalloc for the peak of
Python memory (Arrow buffers are not counted; the pass itself is several times slower).
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
from rounds import Rounds, load_average, spread

from dieuhanh.ingest.encodings import encode
from dieuhanh.ingest.readers import open_table

HEADER = ["Mã", "Họ tên", "Địa chỉ", "Số tiền", "Ngày", "Ghi chú"]
XLSX_ROWS = 100_000


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


def read_ours(path: Path, **kwargs: object) -> int:
    count = 0
    with open_table(path, max_bytes=1 << 34, **kwargs) as reader:  # type: ignore[arg-type]
        for batch, _first in reader.batches():
            count += batch.num_rows
    return count


def csv_plain(encoding: str) -> Callable[[Path], int]:
    def read(path: Path) -> int:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding=encoding),
                               convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in HEADER}))
        return table.num_rows
    return read


def json_plain(path: Path) -> int:
    return len(json.loads(path.read_bytes()))


def ndjson_plain(path: Path) -> int:
    return pajson.read_json(path).num_rows


def parquet_plain(path: Path) -> int:
    return pq.read_table(path).num_rows


def calamine_plain(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    return sum(1 for _ in sheet.iter_rows()) - 1  # header row


def openpyxl_plain(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True)) - 1
    finally:
        workbook.close()


def peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def vn(value: float, digits: int = 0) -> str:
    """1.234,5: Vietnamese separators."""
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def measure(label: str, path: Path, rows: int, plain: tuple[str, Callable[[Path], int]] | None, runs: int,
            memory: bool, loads: list[float], **kwargs: object) -> None:
    rounds = Rounds(runs)
    variants = ["ours", "plain"] if plain else ["ours"]
    for variant in rounds.order(variants):
        if variant == "ours":
            count = rounds.timed("ours", lambda: read_ours(path, **kwargs))
        else:
            assert plain is not None
            count = rounds.timed("plain", lambda: plain[1](path))
        assert count == rows, (label, variant, count)
    loads.extend(rounds.loads)
    size = path.stat().st_size / 1e6
    line = f"{label:<17}{vn(size, 1):>6} MB  ours {spread(rounds.values['ours'], digits=3)} " \
           f"{vn(rows / rounds.median('ours')):>9} rows/s"
    if plain:
        line += (f" | {plain[0]} {spread(rounds.values['plain'], digits=3)} "
                 f"{vn(rows / rounds.median('plain')):>9} rows/s"
                 f" | ours/plain {vn(rounds.median('ours') / rounds.median('plain'), 2)}×")
    else:
        line += " | no plain read (no codec in Python or Arrow)"
    if memory:
        line += f" | peak ours {vn(peak_mb(lambda: read_ours(path, **kwargs)), 1)} MB"
        if plain:
            line += f", plain {vn(peak_mb(lambda: plain[1](path)), 1)} MB"
    print(line, flush=True)

def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("rows", nargs="?", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds, each side once per round")
    parser.add_argument("--memory", action="store_true", help="peak Python memory (tracemalloc), one more pass")
    args = parser.parse_args()
    rows, runs = args.rows, args.runs
    loads = [load_average()]
    started = time.perf_counter()
    text = csv_text(rows)
    print(f"{vn(rows)} rows ({vn(min(rows, XLSX_ROWS))} for xlsx), {runs} interleaved round(s) per file; "
          "median (min–max)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plains = {"utf-8": ("pyarrow.csv", csv_plain("utf-8")), "windows-1258": ("pyarrow.csv cp1258",
                                                                                 csv_plain("cp1258"))}
        for label in ("utf-8", "windows-1258", "tcvn3", "vni"):
            path = folder / f"{label}.csv"
            path.write_bytes(encode(text, label))
            measure(f"csv {label}", path, rows, plains.get(label), runs, args.memory, loads)

        records = [dict(zip(HEADER, row(i), strict=True)) for i in range(rows)]
        path = folder / "a.json"
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        measure("json array", path, rows, ("json.loads", json_plain), runs, args.memory, loads)
        path = folder / "a.ndjson"
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
        measure("ndjson", path, rows, ("pyarrow.json", ndjson_plain), runs, args.memory, loads)

        path = folder / "a.parquet"
        pq.write_table(pa.Table.from_pylist(records), path)
        measure("parquet", path, rows, ("pyarrow.parquet", parquet_plain), runs, args.memory, loads)

        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(HEADER)
        for i in range(min(rows, XLSX_ROWS)):
            sheet.append(row(i))
        buffer = io.BytesIO()
        workbook.save(buffer)
        path = folder / "a.xlsx"
        path.write_bytes(buffer.getvalue())
        xlsx_rows = min(rows, XLSX_ROWS)
        measure("xlsx calamine", path, xlsx_rows, ("calamine iter_rows", calamine_plain), runs, args.memory, loads,
                excel_engine="calamine")
        measure("xlsx openpyxl", path, xlsx_rows, ("openpyxl read-only", openpyxl_plain), runs, args.memory, loads,
                excel_engine="openpyxl")
    loads.append(load_average())
    print(f"load average {vn(min(loads), 1)}–{vn(max(loads), 1)}; {vn(time.perf_counter() - started)} s in all")


if __name__ == "__main__":
    main()
