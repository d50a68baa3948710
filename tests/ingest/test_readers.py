"""Reading uploaded tables: CSV/TSV, Excel, JSON/NDJSON and Parquet, as batches of raw strings."""

from __future__ import annotations

import io
import json
import random
import tracemalloc
import unicodedata
import zipfile
import zlib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dieuhanh.ingest import readers
from dieuhanh.ingest.encodings import encode
from dieuhanh.ingest.readers import ReadError, TableReader, open_table

MB = 1024 * 1024


def read_all(reader: TableReader, batch_size: int = 50_000) -> list[tuple[int, dict[str, Any]]]:
    """(row number, row) for every row; checks that batches are made of consecutive strings."""
    out = []
    for batch, first in reader.batches(batch_size):
        assert batch.schema == reader.schema
        assert all(pa.types.is_string(field.type) for field in batch.schema)
        out.extend((first + i, row) for i, row in enumerate(batch.to_pylist()))
    return out


def rows_of(data: bytes, filename: str = "tep.csv", **kwargs: Any) -> list[tuple[int, dict[str, Any]]]:
    with open_table(data, filename, max_bytes=MB, **kwargs) as reader:
        return read_all(reader)


def read_error(data: bytes, filename: str = "tep.csv", **kwargs: Any) -> ReadError:
    with pytest.raises(ReadError) as caught:
        reader = open_table(data, filename, max_bytes=kwargs.pop("max_bytes", MB), **kwargs)
        read_all(reader)
    return caught.value


# --- CSV --------------------------------------------------------------------------------------------------

CSV_TEXT = "Họ tên;Số tiền;Ngày\r\nNguyễn Văn An;1.234,5;05/03/2024\r\nTrần Thị Bình;12,5;06/03/2024\r\n"


@pytest.mark.parametrize("label", ["utf-8", "windows-1258", "tcvn3", "vni"])
def test_csv_in_any_encoding_reads_the_same(label: str) -> None:
    with open_table(encode(CSV_TEXT, label), "so_lieu.csv", max_bytes=MB) as reader:
        assert reader.format == "csv"
        assert reader.encoding == label
        assert reader.delimiter == ";"
        assert reader.columns == ["Họ tên", "Số tiền", "Ngày"]
        assert reader.header_row == 1
        assert reader.decimal == ","
        assert read_all(reader) == [
            (2, {"Họ tên": "Nguyễn Văn An", "Số tiền": "1.234,5", "Ngày": "05/03/2024"}),
            (3, {"Họ tên": "Trần Thị Bình", "Số tiền": "12,5", "Ngày": "06/03/2024"}),
        ]


@pytest.mark.parametrize("bom", ["utf-8-sig", "utf-16"])
def test_csv_with_bom(bom: str) -> None:
    with open_table(CSV_TEXT.encode(bom), "a.csv", max_bytes=MB) as reader:
        assert reader.encoding == bom
        assert reader.columns[0] == "Họ tên"  # no BOM glued to the first name
        assert len(read_all(reader)) == 2


def test_explicit_encoding_overrides_detection() -> None:
    data = encode("Tên\nHà Nội\n", "tcvn3")
    assert rows_of(data, encoding="tcvn3") == [(2, {"Tên": "Hà Nội"})]
    assert rows_of(data, encoding="windows-1258") == [
        (2, {"T\u00aan": "H\u00b5 N\u00e9i"})
    ]  # wrong, as asked


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    text = (
        delimiter.join(["Mã", "Tên", "Ghi chú"])
        + "\n"
        + delimiter.join(["1", "Xã A", '"a, b; c | d"'])
        + "\n"
    )
    with open_table(text.encode(), "x.txt", max_bytes=MB) as reader:
        assert reader.delimiter == delimiter
        assert read_all(reader) == [(2, {"Mã": "1", "Tên": "Xã A", "Ghi chú": "a, b; c | d"})]


def test_semicolon_file_with_decimal_commas_is_not_split_on_commas() -> None:
    text = "Tên;Diện tích\nXã A;12,5\nXã B;7,25\nXã C;1.234,5\n"
    with open_table(text.encode(), "x.csv", max_bytes=MB) as reader:
        assert reader.delimiter == ";"
        assert reader.decimal == ","


def test_decimal_point_file_is_recognised() -> None:
    with open_table(b"ten,gia\na,1234.50\nb,0.25\n", "x.csv", max_bytes=MB) as reader:
        assert reader.decimal == "."


def test_tsv_extension_means_tab_and_excel_sep_hint_is_honoured() -> None:
    assert rows_of(b"a,b\tc\n1,2\t3\n", "x.tsv") == [(2, {"a,b": "1,2", "c": "3"})]
    with open_table(b"sep=|\r\na|b\r\n1|2\r\n", "x.csv", max_bytes=MB) as reader:
        assert reader.delimiter == "|"
        assert reader.header_row == 2
        assert read_all(reader) == [(3, {"a": "1", "b": "2"})]


def test_quoted_newlines_count_as_one_row() -> None:
    data = 'ma,ghi_chu\n1,"dòng một\ndòng hai"\n2,x\n'.encode()
    assert rows_of(data) == [
        (2, {"ma": "1", "ghi_chu": "dòng một\ndòng hai"}),
        (3, {"ma": "2", "ghi_chu": "x"}),
    ]


def test_header_names_are_stripped_and_nfc() -> None:
    header = unicodedata.normalize("NFD", "  Họ tên , Địa chỉ\t")
    with open_table(f"{header};x\n1;2;3\n".replace(",", ";").encode(), "x.csv", max_bytes=MB) as reader:
        assert reader.columns == ["Họ tên", "Địa chỉ", "x"]


def test_values_are_raw_text_and_empty_cells_are_null() -> None:
    assert rows_of(b"a,b,c\n 1 ,,x\n") == [(2, {"a": " 1 ", "b": None, "c": "x"})]


def test_header_only_is_zero_rows_not_an_error() -> None:
    with open_table(b"a,b,c\r\n", "x.csv", max_bytes=MB) as reader:
        assert reader.columns == ["a", "b", "c"]
        assert read_all(reader) == []


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n  ", b"\xef\xbb\xbf", b"\n\n\n"])
def test_empty_file(data: bytes) -> None:
    assert read_error(data).message == "Tệp rỗng"


def test_blank_lines_are_skipped_and_row_numbers_stay_true() -> None:
    data = b"a,b\n1,2\n\n,\n3,4\n5,6\n\n"
    rows = rows_of(data)
    assert [number for number, _ in rows] == [2, 5, 6]
    assert rows[1] == (5, {"a": "3", "b": "4"})


def test_trailing_empty_columns_of_excel_exports_are_dropped() -> None:
    data = b"a,b,,\n1,2,,\n3,4,,\n"
    with open_table(data, "x.csv", max_bytes=MB) as reader:
        assert reader.columns == ["a", "b"]
        assert read_all(reader) == [(2, {"a": "1", "b": "2"}), (3, {"a": "3", "b": "4"})]


def test_duplicate_header_names_are_refused_ignoring_case() -> None:
    error = read_error("Mã,Tên,tên\n".encode())
    assert error.message == "Tên cột «tên» bị trùng (cột thứ 2 và cột thứ 3)"
    assert (error.row, error.column) == (1, "tên")


def test_empty_header_name_is_refused() -> None:
    error = read_error(b"a,,c\n1,2,3\n")
    assert error.message == "Cột thứ 2 không có tên trong dòng tiêu đề"
    assert error.row == 1


@pytest.mark.parametrize(
    ("data", "row", "fields"),
    [(b"a,b,c\n1,2,3\n4,5\n", 3, 2), (b"a,b\n1,2\n3,4\n5,6,7\n", 4, 3)],
)
def test_ragged_rows_are_refused_with_their_row_number(data: bytes, row: int, fields: int) -> None:
    error = read_error(data)
    assert error.row == row
    assert error.message.startswith(f"Dòng {row} có {fields} trường, cần")


def test_ragged_row_far_into_the_file_is_found_while_streaming() -> None:
    data = b"a,b\n" + b"1,2\n" * 30_000 + b"1,2,3\n"
    reader = open_table(data, "x.csv", max_bytes=MB)
    batches = reader.batches(10_000)
    assert next(batches)[1] == 2  # the first batches arrive before the bad row is reached
    with pytest.raises(ReadError) as caught:
        list(batches)
    assert caught.value.row == 30_002


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'a,b\n1,"abc\n2,3\n', "thiếu dấu ngoặc kép đóng"),
        (b'a,b\n1,"abc"d\n', "dấu ngoặc kép đặt sai chỗ"),
    ],
)
def test_broken_quoting_is_refused(data: bytes, message: str) -> None:
    error = read_error(data)
    assert message in error.message
    assert error.row == 2


def test_undecodable_row_of_a_file_told_to_be_utf8() -> None:
    data = b"a,b\n1,2\n3,\xff\xfe\n"
    error = read_error(data, encoding="utf-8")
    assert error.row == 3
    assert "bảng mã utf-8" in error.message


def test_file_over_the_limit_is_refused_before_reading() -> None:
    error = read_error(b"a,b\n" + b"1,2\n" * 300_000, max_bytes=1 * MB)
    assert error.message.startswith("Tệp vượt quá giới hạn 1 MB")


def test_binary_files_are_not_csv() -> None:
    assert "PDF" in read_error(b"%PDF-1.4\n...", "bao_cao.csv").message
    assert "nhị phân" in read_error(b"a,b\n\x00\x01\x02\x03,x\n", "x.csv").message


def test_paths_bytes_and_open_files_read_alike(tmp_path: Path) -> None:
    path = tmp_path / "so_lieu.csv"
    path.write_bytes(CSV_TEXT.encode())
    from_path = read_all(open_table(path, max_bytes=MB))
    from_bytes = rows_of(CSV_TEXT.encode())
    with path.open("rb") as handle:
        reader = open_table(handle, "so_lieu.csv", max_bytes=MB)
        from_file = read_all(reader)
        again = read_all(reader)  # batches() can be called again
        reader.close()
        assert not handle.closed  # the caller's file stays the caller's
    assert from_path == from_bytes == from_file == again
    assert open_table(path, max_bytes=MB).filename == "so_lieu.csv"


def test_missing_file() -> None:
    with pytest.raises(ReadError, match="Không mở được tệp"):
        open_table("/nonexistent/x.csv", max_bytes=MB)


def test_batches_are_consecutive_and_sized(tmp_path: Path) -> None:
    data = b"a\n" + b"".join(b"%d\n" % i for i in range(25))
    with open_table(data, "x.csv", max_bytes=MB) as reader:
        batches = list(reader.batches(10))
    assert [(b.num_rows, first) for b, first in batches] == [(10, 2), (10, 12), (5, 22)]
    assert batches[2][0].column(0).to_pylist() == [str(i) for i in range(20, 25)]


def test_a_big_csv_streams_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "lon.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("Mã,Họ tên,Địa chỉ,Số tiền,Ngày,Ghi chú\r\n")
        for i in range(200_000):
            address = '"Xã Thanh Sơn, huyện Kim Bảng"'
            f.write(f"{i},Nguyễn Văn {i},{address},{i}.{i % 1000:03d},05/03/2024,ghi chú {i}\r\n")
    size = path.stat().st_size
    assert size > 15 * MB
    tracemalloc.start()
    try:
        count = 0
        last = 1
        with open_table(path, max_bytes=100 * MB) as reader:
            for batch, first in reader.batches(20_000):
                assert first == last + 1
                last = first + batch.num_rows - 1
                count += batch.num_rows
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 200_000 and last == 200_001
    assert peak < size / 4, f"peak {peak / MB:.1f} MB of Python memory for a {size / MB:.1f} MB file"


# --- Excel ------------------------------------------------------------------------------------------------


def xlsx(build: Any = None, **sheets: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in (sheets or {"Trang1": [["a"], [1]]}).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    if build:
        build(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


ENGINES = ["calamine", "openpyxl"]


@pytest.mark.parametrize("engine", ENGINES)
def test_xlsx_cells_become_text(engine: str) -> None:
    data = xlsx(
        DanhSach=[
            ["Họ tên", "Ngày sinh", "Lúc", "Số tiền", "Số lượng", "Đã nộp", "Giờ", "Điện thoại"],
            ["Nguyễn Văn An", date(1990, 3, 5), datetime(2024, 3, 5, 10, 30), 1234.5, 12, True, time(7, 30),
             "0912345678"],
            ["Trần Thị Bình", None, None, 0.1, 3.0, False, None, None],
        ]
    )  # fmt: skip
    with open_table(data, "danh_sach.xlsx", max_bytes=MB, excel_engine=engine) as reader:
        assert reader.format == "xlsx"
        assert reader.sheet == "DanhSach" and reader.sheet_names == ["DanhSach"]
        assert reader.decimal == ","
        assert read_all(reader) == [
            (2, {"Họ tên": "Nguyễn Văn An", "Ngày sinh": "1990-03-05", "Lúc": "2024-03-05 10:30:00",
                 "Số tiền": "1234,5", "Số lượng": "12", "Đã nộp": "true", "Giờ": "07:30:00",
                 "Điện thoại": "0912345678"}),
            (3, {"Họ tên": "Trần Thị Bình", "Ngày sinh": None, "Lúc": None, "Số tiền": "0,1", "Số lượng": "3",
                 "Đã nộp": "false", "Giờ": None, "Điện thoại": None}),
        ]  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_xlsx_table_below_a_title_keeps_sheet_row_numbers(engine: str) -> None:
    def build(workbook: Any) -> None:
        sheet = workbook.create_sheet("BaoCao")
        sheet["B3"], sheet["C3"] = "Mã xã", "Tên xã"
        sheet["B4"], sheet["C4"] = "14488", "Thanh Sơn"
        sheet["B6"], sheet["C6"] = "14491", "Thi Sơn"  # row 5 is blank

    with open_table(
        xlsx(build, Bia=[["Báo cáo"]]), "x.xlsx", max_bytes=MB, excel_engine=engine, sheet="BaoCao"
    ) as r:
        assert r.header_row == 3
        assert r.columns == ["Mã xã", "Tên xã"]
        assert read_all(r) == [
            (4, {"Mã xã": "14488", "Tên xã": "Thanh Sơn"}),
            (6, {"Mã xã": "14491", "Tên xã": "Thi Sơn"}),
        ]


@pytest.mark.parametrize("engine", ENGINES)
def test_xlsx_sheet_choice(engine: str) -> None:
    data = xlsx(Mot=[["a"], ["1"]], Hai=[["b"], ["2"]])
    assert rows_of(data, "x.xlsx", excel_engine=engine) == [(2, {"a": "1"})]
    assert rows_of(data, "x.xlsx", excel_engine=engine, sheet=1) == [(2, {"b": "2"})]
    assert rows_of(data, "x.xlsx", excel_engine=engine, sheet="hai") == [(2, {"b": "2"})]
    error = read_error(data, "x.xlsx", excel_engine=engine, sheet="Ba")
    assert error.message == "Không có trang tính «Ba»; các trang tính: «Mot», «Hai»"


@pytest.mark.parametrize("engine", ENGINES)
def test_xlsx_first_visible_sheet_by_default(engine: str) -> None:
    def hide_first(workbook: Any) -> None:
        workbook["An"].sheet_state = "hidden"

    data = xlsx(hide_first, An=[["x"], ["1"]], Hien=[["y"], ["2"]])
    assert rows_of(data, "x.xlsx", excel_engine=engine) == [(2, {"y": "2"})]


@pytest.mark.parametrize("engine", ENGINES)
def test_xlsx_data_outside_the_header_is_refused(engine: str) -> None:
    data = xlsx(S=[["a", "b"], [1, 2], [3, 4, "lạc"]])
    error = read_error(data, "x.xlsx", excel_engine=engine)
    assert error.message == "Dòng 3 có dữ liệu ở cột C, ngoài 2 cột có tiêu đề"
    assert (error.row, error.column) == (3, "C")


@pytest.mark.parametrize("engine", ENGINES)
def test_xlsx_header_problems(engine: str) -> None:
    assert "bị trùng" in read_error(xlsx(S=[["Mã", "MÃ"]]), "x.xlsx", excel_engine=engine).message
    assert "không có tên" in read_error(xlsx(S=[["a", None, "c"]]), "x.xlsx", excel_engine=engine).message
    assert "không có dữ liệu" in read_error(xlsx(S=[]), "x.xlsx", excel_engine=engine).message


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def refuse_to_open_workbooks(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the workbook was opened before the zip bomb check refused it")

    monkeypatch.setattr(readers.ExcelReader, "__init__", boom)


def test_zip_bomb_by_compression_ratio_is_refused_before_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                      "xl/worksheets/sheet1.xml": b"<c>0</c>" * (4 * MB)})  # fmt: skip
    assert len(bomb) < 1 * MB  # 32 MB that packs into well under 1 MB
    refuse_to_open_workbooks(monkeypatch)
    error = read_error(bomb, "bom.xlsx", max_bytes=10 * MB)
    assert "tỉ lệ nén bất thường" in error.message


def test_zip_bomb_by_declared_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    sheet = b"".join(rng.choice([b"<c>1</c>", b"<c>2</c>", b"<c>3</c>"]) for _ in range(300_000))  # 2.4 MB
    ratio = len(sheet) / len(zlib.compress(sheet))
    assert 20 < ratio < 100, ratio  # squeezes more than 20× but passes the ratio test
    data = zip_bytes({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": sheet})
    refuse_to_open_workbooks(monkeypatch)
    error = read_error(data, "x.xlsx", max_bytes=len(data) + 1)
    assert "quá 20 lần giới hạn" in error.message


def test_zip_that_is_not_a_workbook() -> None:
    data = zip_bytes({"readme.txt": b"hello"})
    assert "không phải bảng tính Excel" in read_error(data, "x.xlsx").message


@pytest.mark.parametrize(
    "data",
    [b"a,b\n1,2\n", b"<html><table><tr><td>1</td></tr></table></html>", b"PK\x03\x04garbage that is no zip"],
)
def test_non_xlsx_bytes_named_xlsx_are_refused(data: bytes) -> None:
    error = read_error(data, "bao_cao.xlsx")
    assert "Excel" in error.message and "bao_cao.xlsx" in error.message


def test_xlsx_is_found_by_its_bytes_whatever_its_name() -> None:
    assert rows_of(xlsx(S=[["a"], ["1"]]), "tai_ve.csv") == [(2, {"a": "1"})]


# --- JSON ---------------------------------------------------------------------------------------------------


def test_json_array_of_objects() -> None:
    data = json.dumps(
        [{"ten": "Xã A", "dan_so": 1234, "dien_tich": 12.50, "co_tram": True},
         {"ten": "Xã B", "ghi_chu": None, "toa_do": [105.9, 20.25], "dien_tich": 1e3}],
        ensure_ascii=False,
    ).encode()  # fmt: skip
    with open_table(data, "xa.json", max_bytes=MB) as reader:
        assert reader.format == "json"
        assert reader.columns == ["ten", "dan_so", "dien_tich", "co_tram", "ghi_chu", "toa_do"]  # first seen
        assert reader.decimal == "."
        assert read_all(reader) == [
            (1, {"ten": "Xã A", "dan_so": "1234", "dien_tich": "12.5", "co_tram": "true", "ghi_chu": None,
                 "toa_do": None}),
            (2, {"ten": "Xã B", "dan_so": None, "dien_tich": "1000.0", "co_tram": None, "ghi_chu": None,
                 "toa_do": "[105.9, 20.25]"}),
        ]  # fmt: skip


def test_json_numbers_are_kept_as_written() -> None:
    assert rows_of(b'[{"a": 1.50, "b": 0012e3, "c": {"x": 1.10}}]'.replace(b"0012e3", b"12e3"), "x.json") == [
        (1, {"a": "1.50", "b": "12e3", "c": '{"x": 1.10}'})
    ]


@pytest.mark.parametrize("key", ["records", "data"])
def test_json_records_wrapper(key: str) -> None:
    data = json.dumps({"tong": 2, "meta": {"nguon": [1, 2]}, key: [{"a": 1}, {"a": 2}]}, indent=2).encode()
    assert rows_of(data, "x.json") == [(1, {"a": "1"}), (2, {"a": "2"})]


def test_ndjson_by_extension_and_by_content() -> None:
    data = b'{"a": 1}\n\n{"a": 2, "b": "x"}\n'
    expected = [(1, {"a": "1", "b": None}), (3, {"a": "2", "b": "x"})]  # row numbers are line numbers
    assert rows_of(data, "x.ndjson") == expected
    assert rows_of(data, "x.jsonl") == expected
    with open_table(data, "x.json", max_bytes=MB) as reader:
        assert reader.format == "ndjson"
        assert read_all(reader) == expected


def test_json_with_unknown_extension_is_recognised_by_content() -> None:
    assert rows_of(b'[{"a": "b"}]', "du_lieu") == [(1, {"a": "b"})]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (b'[{"a": 1},\n {"a": 2,}\n]', "dòng 2, cột 10"),
        (b'[{"a": 1}\n {"a": 2}]', "dòng 2, cột 2"),
        (b'[{"a": 1}', "dòng 1, cột 10"),
        (b'[{"a": 1}] x', "dòng 1, cột 12"),
    ],
)
def test_malformed_json_says_where(data: bytes, where: str) -> None:
    error = read_error(data, "x.json")
    assert error.message.startswith(f"JSON không hợp lệ ở {where}")


def test_malformed_ndjson_line() -> None:
    error = read_error(b'{"a": 1}\n{"a": }\n', "x.ndjson")
    assert error.row == 2 and error.message.startswith("Dòng 2: JSON không hợp lệ ở cột 7")


def test_json_that_is_not_a_table() -> None:
    assert "không phải là một đối tượng" in read_error(b"[1, 2]", "x.json").message
    assert "khoá" in read_error(b'{\n"a": 1,\n"b": 2\n}', "x.json").message
    assert "không có bản ghi" in read_error(b"[]", "x.json").message
    assert "trùng nhau" in read_error(b'[{"Ten": 1, "ten": 2}]', "x.json").message


def test_big_json_streams_across_chunks() -> None:
    records = [{"ma": i, "ten": f"Xã Thanh Sơn {i}", "ghi_chu": "é" * (i % 50)} for i in range(40_000)]
    data = json.dumps(records, ensure_ascii=False).encode()
    assert len(data) > 2 * MB  # more than one read
    with open_table(data, "x.json", max_bytes=10 * MB) as reader:
        rows = read_all(reader, batch_size=7_000)
    assert len(rows) == 40_000
    assert rows[-1] == (40_000, {"ma": "39999", "ten": "Xã Thanh Sơn 39999", "ghi_chu": "é" * 49})


# --- Parquet ---------------------------------------------------------------------------------------------


def test_parquet_columns_become_strings() -> None:
    table = pa.table(
        {
            "ma": pa.array([1, None, 3], pa.int64()),
            "ty_le": [1.5, 2.0, None],
            "ten": [unicodedata.normalize("NFD", "Thanh Sơn"), "Thi Sơn", None],
            "ngay": pa.array([date(2024, 3, 5), None, date(2024, 3, 6)]),
            "co": [True, False, None],
            "toa_do": [[105.9, 20.2], None, []],
            "loai": pa.array(["a", "b", "a"]).dictionary_encode(),
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    with open_table(out.getvalue(), "x.parquet", max_bytes=MB) as reader:
        assert reader.format == "parquet"
        assert reader.columns == ["ma", "ty_le", "ten", "ngay", "co", "toa_do", "loai"]
        rows = read_all(reader, batch_size=2)
    assert rows == [
        (1, {"ma": "1", "ty_le": "1.5", "ten": "Thanh Sơn", "ngay": "2024-03-05", "co": "true",
             "toa_do": "[105.9, 20.2]", "loai": "a"}),
        (2, {"ma": None, "ty_le": "2", "ten": "Thi Sơn", "ngay": None, "co": "false", "toa_do": None,
             "loai": "b"}),
        (3, {"ma": "3", "ty_le": None, "ten": None, "ngay": "2024-03-06", "co": None, "toa_do": "[]",
             "loai": "a"}),
    ]  # fmt: skip
    assert rows[0][1]["ten"] == unicodedata.normalize("NFC", "Thanh Sơn")


def test_parquet_found_by_its_bytes_and_broken_parquet_refused() -> None:
    out = io.BytesIO()
    pq.write_table(pa.table({"a": ["x"]}), out)
    assert rows_of(out.getvalue(), "tep.bin") == [(1, {"a": "x"})]
    assert "Parquet" in read_error(out.getvalue()[:20], "x.parquet").message
    assert "không phải tệp Parquet" in read_error(b"a,b\n", "x.parquet").message


def test_a_file_without_line_breaks_is_refused_not_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 1000)
    error = read_error(b"a,b\n" + b"x" * 600_000, "x.csv")  # more than one read, no line end
    assert error.row == 2 and "quá dài" in error.message
    assert read_error(b"x" * 600_000, "x.csv").row == 1


def test_unknown_encoding_name_is_a_read_error() -> None:
    assert "Bảng mã không được hỗ trợ" in read_error(b"a\n1\n", "x.csv", encoding="koi8-r").message


def test_minified_records_wrapper_on_one_line() -> None:
    data = json.dumps({"records": [{"a": i} for i in range(3)], "tong": 3}).encode()
    assert rows_of(data, "x.json") == [(1, {"a": "0"}), (2, {"a": "1"}), (3, {"a": "2"})]


def test_big_sheets_stream_through_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "EXCEL_STREAM_ABOVE", 10)
    with open_table(xlsx(S=[["a"], ["1"]]), "x.xlsx", max_bytes=MB) as reader:
        assert isinstance(reader, readers.ExcelReader) and reader.engine == "openpyxl"
        assert read_all(reader) == [(2, {"a": "1"})]


@pytest.mark.parametrize("engine", ENGINES)
def test_xlsx_header_only_is_zero_rows(engine: str) -> None:
    with open_table(xlsx(S=[["Mã", "Tên"]]), "x.xlsx", max_bytes=MB, excel_engine=engine) as reader:
        assert reader.columns == ["Mã", "Tên"]
        assert read_all(reader) == []
