"""The DuckDB fast path of large CSV files (``ingest/sqlload.py``) stores exactly what the exact path stores, and
any file it cannot vouch for ends with the exact path's result: same rows, or the same errors by row and column
and nothing stored (both operational stores; the warehouse is DuckDB, the only engine with this path).

The fast path applies from ``sqlload.MIN_BYTES``; these small files lower it to 0 for one load and raise it past
the file for the other, so the two paths read the same bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import DatasetIn
from dieuhanh.core.errors import InvalidInput
from dieuhanh.core.security import SYSTEM
from dieuhanh.core.warehouse import DuckDBWarehouse
from dieuhanh.ingest import service as ingest
from dieuhanh.ingest import sqlload

SCHEMA = [
    {"name": "ngay", "type": "date", "required": True},
    {"name": "ma_xa", "type": "unit_code", "required": True},
    {"name": "so_tien", "type": "number"},
    {"name": "so_luong", "type": "integer"},
    {"name": "ghi_chu", "type": "string"},
    {"name": "thoi_diem", "type": "datetime"},
    {"name": "ma_ho_so", "type": "string", "unique": True},
]
HEADER = "ngay;ma_xa;so_tien;so_luong;ghi_chu;thoi_diem;ma_ho_so\n"
CLEAN = (
    "\ufeff" + HEADER
    + "01/06/2024;13285;1.234.567,89;1.200;Đăng ký khai sinh;2024-06-01 08:30;HS-1\n"
    + "1/6/2024;\u00a013291 ;-0,5; -7\t;\"Có ; dấu chấm phẩy\nvà xuống dòng\";2024-06-01T08:30:15;HS-2\n"
    + ";;;;;;\n"
    + "\u2003 2024-06-30;37;0;0;  khoảng trắng\u3000;;HS-3\n"
    + "\n"
    + "29/02/2024;13318;;;;;\n"
    # Spaces the cheap tests of the fast path must see: dates padded with ASCII spaces (DuckDB's strptime skips
    # them) or with others (the trimmed conversion), text starting or ending with each kind of space.
    + " 03/06/2024 ;13285;;;cuối có khoảng trắng\u2028;;HS-5\n"
    + "\u00a0 02/06/2024\t;13285;12;3;\u1680đầu có khoảng trắng;;HS-4\n"
    + "04/06/2024;13285;;;\x0bvà\u205f;;HS-6\n"
    + "05/06/2024;13285;;;\u3000;;HS-7\n"
    + "06/06/2024;13285;;;\u200ax;;HS-10\n"
    + '07/06/2024;13285;"";"";"";;HS-11\n'  # quoted empty cells are empty
)


def _dataset(name: str) -> dict[str, Any]:
    return {"name": name, "title": "Hồ sơ kiểm thử đường nhanh", "owner_agency": "TKT", "license_id": "cc-by-4.0",
            "access": "internal", "update_frequency": "yearly", "tags": [], "schema": SCHEMA}


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    yield DuckDBWarehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Which loads the fast path finished (True) or handed back to the exact path (False)."""
    calls: list[bool] = []
    original = ingest._load_in_sql

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(ingest, "_load_in_sql", spy)
    return calls


def _both(db: Any, duck: DuckDBWarehouse, tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch,
          suffix: str = "") -> tuple[Any, Any]:
    """(fast, exact): rows or the InvalidInput of loading ``text`` through each path into its own dataset."""
    path = tmp_path / "ho_so.csv"
    path.write_text(text, encoding="utf-8")
    out = []
    for name, threshold in ((f"ho_so_nhanh{suffix}", 0), (f"ho_so_chuan{suffix}", 1 << 40)):
        monkeypatch.setattr(sqlload, "MIN_BYTES", threshold)
        with db.session() as session:
            catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate(_dataset(name)))
        try:
            with db.session() as session:
                result = ingest.load(session, duck, principal=SYSTEM, dataset_name=name, source=path,
                                     filename="ho_so.csv", province_code="37", max_bytes=1 << 30)
            cols = ", ".join(c["name"] for c in SCHEMA)
            rows = duck.query(f"SELECT {cols} FROM {name} ORDER BY ma_ho_so NULLS LAST, ngay").to_pylist()
            out.append((result.rows, rows))
        except InvalidInput as exc:
            stored = duck.query(f"SELECT count(*) AS n FROM {name}").to_pylist() if duck.table_exists(name) else []
            out.append((exc.message.replace(name, "<bộ dữ liệu>"), [(e.row, e.column, e.message) for e in exc.errors],
                        stored))
    return out[0], out[1]


def test_a_clean_file_is_stored_as_the_exact_path_stores_it(db, duck, tmp_path, monkeypatch, fast_calls) -> None:
    fast, exact = _both(db, duck, tmp_path, CLEAN, monkeypatch)
    assert fast_calls == [True]
    assert fast == exact
    rows, stored = fast
    assert rows == 10
    by_code = {r["ma_ho_so"]: r for r in stored}
    assert by_code["HS-2"]["ghi_chu"] == "Có ; dấu chấm phẩy\nvà xuống dòng"
    assert by_code["HS-2"]["ma_xa"] == "13291" and by_code["HS-3"]["ma_xa"] == "37"
    assert by_code["HS-3"]["ghi_chu"] == "khoảng trắng"
    # padded cells of typed columns
    assert by_code["HS-2"]["so_luong"] == -7 and str(by_code["HS-3"]["ngay"]) == "2024-06-30"
    assert [str(by_code[f"HS-{i}"]["ngay"]) for i in (4, 5)] == ["2024-06-02", "2024-06-03"]
    assert [by_code[f"HS-{i}"]["ghi_chu"] for i in (4, 5, 6, 7, 10)] == [
        "đầu có khoảng trắng", "cuối có khoảng trắng", "và", None, "x"]
    assert [by_code["HS-11"][c] for c in ("so_tien", "so_luong", "ghi_chu")] == [None, None, None]


REFUSED = [
    "31/02/2024;13285;1;1;x;;HS-9\n",  # no such day
    "01/06/2024;Xã Không Tồn Tại;1;1;x;;HS-9\n",  # unknown commune
    "01/06/2024;13285;1,234.5;1;x;;HS-9\n",  # another number form
    ";13285;1;1;x;;HS-9\n",  # required cell empty
    "01/06/2024;13285;1;1;x;;HS-1\n",  # duplicate of a unique column
    "01/06/2024;13285;1;1; \"x\";;HS-9\n",  # quoting the strict reader reads differently from DuckDB
    "01/06/2024;13285;1;1;x;;HS-9;thừa\n",  # more cells than the header
    "01/06/0999;13285;1;1;x;;HS-9\n",  # a year before 1000 (the exact path decides)
    "1/6/24;13285;1;1;x;;HS-9\n",  # a year of two digits
]


def test_what_the_fast_path_refuses_ends_as_the_exact_path_ends(db, duck, tmp_path, monkeypatch, fast_calls) -> None:
    for i, bad in enumerate(REFUSED):
        fast, exact = _both(db, duck, tmp_path, CLEAN + bad, monkeypatch, suffix=f"_{i}")
        assert fast_calls[-1] is False, bad
        assert fast == exact, bad
    assert len(fast_calls) == len(REFUSED)


def test_a_commune_name_is_resolved_by_the_exact_path(db, duck, tmp_path, monkeypatch, fast_calls) -> None:
    fast, exact = _both(db, duck, tmp_path, CLEAN + "01/07/2024;Phường Phủ Lý;2;2;y;;HS-8\n", monkeypatch)
    assert fast_calls == [False]
    assert fast == exact and fast[0] == 11


def test_commune_codes_match_as_the_exact_resolver_maps_them() -> None:
    """The fast path matches codes without a join (an RE2 alternation, a CASE for codes written without their
    leading zeros): for a province whose codes start with zeros (Hà Nội, 01), every accepted spelling maps to the
    code the exact path's resolver gives, and other text fails."""
    import duckdb

    mapping = sqlload._unit_mapping("01")
    resolve = ingest.unit_resolver("01")
    assert any(k != v for k, v in mapping.items())  # the CASE branch is exercised
    con = duckdb.connect()
    expr = sqlload._unit_code("t", "01", "'KHONG'")
    for text in [*sorted(mapping)[:40], "00004", "4", "0004", "01", "37", "13285", "x1", "", "4 "]:
        got = con.execute(f"SELECT {expr} FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()[0]
        if text in mapping:
            assert got == mapping[text] == resolve(text), text
        else:
            assert got == "KHONG", text


# ------------------------------------------------------------------------------------ the shaped attempt
# A file whose first lines have the clean shapes is loaded by a SELECT that only converts, while a thread matches
# every line against ``sqlload.line_pattern``; a line of another form rolls that attempt back.

SHAPED = (
    "\ufeff" + HEADER
    + "01/06/2024;13285;1.234.567,89;1.200;Đăng ký khai sinh;2024-06-01 08:30;HS-1\n"
    + "1/6/2024;13291;-0,5;-7;Có  hai khoảng trắng ở giữa;2024-06-01T08:30:15;HS-2\n"
    + "29/02/2024;13318;;;;;HS-3\n"
    + "30/06/2024;13285;0;0;x;;HS-4\n"
)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``shaped`` flag of every SELECT the fast path built, in order."""
    calls: list[bool] = []
    original = sqlload.build

    def spy(*args: Any, shaped: bool = False, **kwargs: Any) -> Any:
        calls.append(shaped)
        return original(*args, shaped=shaped, **kwargs)

    monkeypatch.setattr(sqlload, "build", spy)
    return calls


SHAPED_DOT = (  # numbers written 1234.5: the reader guesses the decimal point
    HEADER
    + "01/06/2024;13285;1234567.89;1200;Đăng ký khai sinh;2024-06-01 08:30;HS-1\n"
    + "1/6/2024;13291;-0.5;-7;Có  hai khoảng trắng ở giữa;2024-06-01T08:30:15;HS-2\n"
    + "29/02/2024;13318;;;;;HS-3\n"
    + "30/06/2024;13285;0;0;x;;HS-4\n"
)


@pytest.mark.parametrize("text", [SHAPED, SHAPED[:-1], SHAPED.replace("\n", "\r\n"), SHAPED_DOT],
                         ids=["lf", "no-final-break", "crlf", "decimal-point"])
def test_a_clean_file_is_loaded_by_the_shaped_select(db, duck, tmp_path, monkeypatch, fast_calls, builds,
                                                      text) -> None:
    fast, exact = _both(db, duck, tmp_path, text, monkeypatch)
    assert (builds, fast_calls) == ([True], [True])
    assert fast == exact and fast[0] == 4
    by_code = {r["ma_ho_so"]: r for r in fast[1]}
    assert by_code["HS-1"]["so_tien"] == 1234567.89 and by_code["HS-1"]["so_luong"] == 1200
    assert by_code["HS-2"]["ghi_chu"] == "Có  hai khoảng trắng ở giữa" and by_code["HS-3"]["ghi_chu"] is None


# Lines after a clean start, the SELECTs the fast path built (True: shaped, False: checking) and whether the last
# one stored the file (else the exact path decides, with rows or errors: the same as loading through it alone).
SHAPED_ONLY, REFUSED_AT_ONCE = ([True], True), ([True], False)
CHECKED, CHECKED_REFUSED = ([True, False], True), ([True, False], False)
LATER: list[tuple[str, tuple[list[bool], bool]]] = [
    ("30/06/2024;37;1;1;x;;HS-9\n", SHAPED_ONLY),  # the province's own code is a unit too
    ("30/06/2024;13285;1;1;x y\tz;;HS-9\n", SHAPED_ONLY),  # spaces inside a text
    ("30/06/2024;13285;1;1;x ;;HS-9\n", CHECKED),  # a space at the end of a text
    ("30/06/2024;13285;1;1;\u00a0x;;HS-9\n", CHECKED),  # a no-break space at its start
    ("30/06/2024;13285;1;1;\u3000;;HS-9\n", CHECKED),  # only a space
    ("30/06/2024;13285; 1;1;x;;HS-9\n", CHECKED),  # a padded number
    ("30/06/2024;\u200313285;1;1;x;;HS-9\n", CHECKED),  # a padded code
    ("2024-06-30;13285;1;1;x;;HS-9\n", CHECKED),  # an ISO date in a date column
    ("30/06/2024;13285;1;1;\"x\";;HS-9\n", CHECKED),  # a quoted cell
    ("30/06/2024;13285;1;1;\"a\nb\";;HS-9\n", CHECKED),  # a line break inside quotes
    (";;;;;;\n", CHECKED),  # a line of empty cells
    ("\n", CHECKED),  # an empty line
    ("30/06/2024;Phường Phủ Lý;1;1;x;;HS-9\n", CHECKED_REFUSED),  # a commune by name
    ("30/06/2024;13285;+1;1;x;;HS-9\n", CHECKED_REFUSED),  # a sign the shapes do not admit
    ("30/06/2024;13285;1_000;1;x;;HS-9\n", CHECKED_REFUSED),
    ("30/06/2024;13285;1e3;1;x;;HS-9\n", CHECKED_REFUSED),
    ("30/06/2024;13285;1.00;1;x;;HS-9\n", CHECKED_REFUSED),  # a misplaced thousands separator
    ("30/06/2024;13285;,5;1;x;;HS-9\n", CHECKED_REFUSED),
    ("30/06/2024;13285;1;1;x;;HS-9;thừa\n", CHECKED_REFUSED),  # a cell too many
    ("30/06/2024;13285;1;1;Tie\u0302\u0301ng Vie\u0323\u0302t;;HS-9\n", CHECKED_REFUSED),  # combining tone marks
    ("30/06/2024;13285;1;1;x\u2000y;;HS-9\n", CHECKED_REFUSED),  # a character NFC replaces (by U+2002)
    ("30/06/2024;13285;1;1;Hà Nội 河内 🙂;;HS-9\n", CHECKED),  # beyond the shaped attempt's characters, stable
    ("31/02/2024;13285;1;1;x;;HS-9\n", REFUSED_AT_ONCE),  # a day that does not exist: the shaped SELECT fails
    ("30/06/2024;13285;1;1;x;2024-06-31 08:00;HS-9\n", REFUSED_AT_ONCE),  # a time on a day that does not exist
    ("30/06/2024;13285;1;1;x;;HS-1\n", REFUSED_AT_ONCE),  # a duplicate of the unique column
    ("30/06/2024;13285;1;1;x;;HS-9\r\n", REFUSED_AT_ONCE),  # a CRLF line in a file of LF lines: DuckDB refuses
]


def _first_line_end(text: str) -> int:
    """Bytes up to the end of the first data line (after the header)."""
    header, first = text.encode().split(b"\n")[:2]
    return len(header) + len(first) + 2


def test_a_later_line_of_another_form_rolls_the_shaped_attempt_back(db, duck, tmp_path, monkeypatch, fast_calls,
                                                                     builds) -> None:
    monkeypatch.setattr(sqlload, "SAMPLE_BYTES", _first_line_end(SHAPED))  # the sample: the first data line only
    for i, (later, (selects, stored)) in enumerate(LATER):
        builds.clear()
        fast, exact = _both(db, duck, tmp_path, SHAPED + later, monkeypatch, suffix=f"_{i}")
        assert fast == exact, later
        assert (builds, fast_calls[-1]) == (selects, stored), later


def test_a_file_of_another_form_from_its_start_skips_the_shaped_attempt(db, duck, tmp_path, monkeypatch,
                                                                          fast_calls, builds) -> None:
    fast, exact = _both(db, duck, tmp_path, CLEAN, monkeypatch)
    assert (builds, fast_calls) == ([False], [True]) and fast == exact


def _reader() -> Any:
    """The reader's view of SHAPED's header (delimiter, decimal comma, one header line)."""
    import types

    return types.SimpleNamespace(columns=[c["name"] for c in SCHEMA], delimiter=";", decimal=",", header_row=1)


def _line_pattern() -> str:
    """``sqlload.line_pattern`` of SCHEMA for SHAPED's header."""
    import types

    ds = types.SimpleNamespace(columns=[types.SimpleNamespace(name=c["name"], type=c["type"],
                                                              required=c.get("required", False)) for c in SCHEMA])
    pattern = sqlload.line_pattern(_reader(), ds, {c["name"]: c["name"] for c in SCHEMA}, "37")
    assert pattern is not None
    return pattern


def test_the_line_scan_reads_chunks_split_anywhere() -> None:
    """Chunk boundaries inside a line, inside a character, and in the header are all the same to the scan."""
    pattern = _line_pattern()
    for text, expected in [(SHAPED, True), (SHAPED[:-1], True), (SHAPED + "\n", False),
                           (SHAPED + "30/06/2024;13285;1;1;x\u2029;;HS-9\n", False),
                           (SHAPED + "30/06/2024;13285;1;1;đ;;HS-9", True)]:
        data = text.encode()
        for size in (1, 2, 3, 7, len(data)):
            scan = sqlload.LineScan(pattern, header_lines=1)
            for start in range(0, len(data), size):
                scan.feed(data[start:start + size])
            assert scan.finish() is expected, (text[-40:], size)
    scan = sqlload.LineScan(pattern, header_lines=1)
    scan.feed(SHAPED.encode()[:-20] + b"\xff" + SHAPED.encode()[-19:])  # not UTF-8
    assert scan.finish() is False


def test_a_replace_rolled_back_from_the_shaped_attempt_keeps_nothing_of_it(db, duck, tmp_path, monkeypatch,
                                                                            fast_calls, builds) -> None:
    """A replace whose shaped attempt is rolled back leaves the previous rows for the checking SELECT to replace:
    the dataset ends with exactly the new file's rows."""
    monkeypatch.setattr(sqlload, "MIN_BYTES", 0)
    monkeypatch.setattr(sqlload, "SAMPLE_BYTES", _first_line_end(SHAPED.replace("HS-", "MOI-")))
    with db.session() as session:
        catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn.model_validate(_dataset("ho_so_thay")))
    first, second = tmp_path / "lan1.csv", tmp_path / "lan2.csv"
    first.write_text(SHAPED, encoding="utf-8")
    second.write_text(SHAPED.replace("HS-", "MOI-") + "30/06/2024;13285;1;1;x ;;MOI-9\n", encoding="utf-8")
    for path, mode in ((first, "append"), (second, "replace")):
        with db.session() as session:
            ingest.load(session, duck, principal=SYSTEM, dataset_name="ho_so_thay", source=path, mode=mode,
                        filename=path.name, province_code="37", max_bytes=1 << 30)
    assert builds == [True, True, False] and fast_calls == [True, True]
    stored = duck.query("SELECT ma_ho_so, ghi_chu FROM ho_so_thay ORDER BY ma_ho_so").to_pylist()
    assert [r["ma_ho_so"] for r in stored] == ["MOI-1", "MOI-2", "MOI-3", "MOI-4", "MOI-9"]
    assert stored[-1]["ghi_chu"] == "x"


def test_a_file_without_line_feeds_is_not_tried_shaped(tmp_path) -> None:
    """Lines ended by CR alone: the sample holds no complete line for the pattern, so no shaped attempt."""
    path = tmp_path / "cr.csv"
    path.write_bytes(SHAPED.replace("\n", "\r").encode())
    assert sqlload.starts_shaped(path, "[^\r\n]*", header_lines=1) is False
    path.write_bytes(SHAPED.encode())
    assert sqlload.starts_shaped(path, "[^\r\n]*", header_lines=1) is True


def _shaped_checks(path: Path) -> Any:
    return sqlload.FileChecks(path, _reader(), _line_pattern())


def _interrupts_while_fed(tmp_path: Path, text: str) -> tuple[list[str], Any]:
    """The interrupts a shaped scan calls on ``text``, registered before it reads a byte (a FIFO holds the scan
    until then), and the finished checks."""
    import os
    import threading

    fifo = tmp_path / "ho_so.fifo"
    os.mkfifo(fifo)
    checks = _shaped_checks(fifo)
    interrupts: list[str] = []
    checks.interrupt_with(lambda: interrupts.append("stop"))
    writer = threading.Thread(target=lambda: fifo.write_bytes(text.encode()))
    writer.start()
    checks.wait()
    writer.join()
    return interrupts, checks


def test_a_line_that_does_not_match_interrupts_the_shaped_select(tmp_path) -> None:
    """The scan calls the interrupt the shaped SELECT registered as soon as a line fails (a FIFO holds the scan
    until the interrupt is registered); a failure found before the SELECT starts refuses to start it."""
    interrupts, checks = _interrupts_while_fed(tmp_path, SHAPED + "30/06/2024;13285;1;1;x ;;HS-9\n")
    assert interrupts == ["stop"] and checks.shaped is False and checks.strict is True

    later = tmp_path / "ho_so.csv"
    later.write_text(SHAPED + "30/06/2024;13285;1;1;x ;;HS-9\n", encoding="utf-8")
    checks = _shaped_checks(later)
    checks.wait()
    with pytest.raises(sqlload.NotShaped):
        checks.interrupt_with(lambda: interrupts.append("too late"))
    assert interrupts == ["stop"]

    later.write_text(SHAPED, encoding="utf-8")
    checks = _shaped_checks(later)
    checks.wait()
    checks.interrupt_with(lambda: interrupts.append("never"))
    assert interrupts == ["stop"] and checks.shaped is True


def test_a_last_line_without_its_break_that_does_not_match_interrupts_too(tmp_path) -> None:
    interrupts, checks = _interrupts_while_fed(tmp_path, SHAPED + "30/06/2024;13285;1;1;x ;;HS-9")
    assert interrupts == ["stop"] and checks.shaped is False


def test_text_without_the_nfc_unstable_characters_is_its_own_nfc() -> None:
    """``sqlload.nfc_unstable`` (an RE2 class) leaves out every character NFC may change, and what it admits is
    stable: random texts of admitted characters mixed with precomposed Vietnamese are their own NFC."""
    import random
    import unicodedata

    import pyarrow as pa
    import pyarrow.compute as pc

    chars = [chr(cp) for cp in range(0x01, 0x30000) if not 0xD800 <= cp <= 0xDFFF]
    vietnamese = list("aăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐƯƠ₫“”–…")
    rng = random.Random(7)
    # the checking SELECT's test (characters it refuses) and the shaped attempt's text (characters it admits)
    for pattern in (f"^[^{sqlload.nfc_unstable()}]$", f"^{sqlload._shaped_text(frozenset())}$"):
        admitted = pc.match_substring_regex(pa.array(chars), pattern).to_pylist()
        allowed = [c for c, ok in zip(chars, admitted, strict=True) if ok]
        refused = {c for c, ok in zip(chars, admitted, strict=True) if not ok}
        for c in chars:
            if unicodedata.combining(c) or unicodedata.normalize("NFC", c) != c:
                assert c in refused, hex(ord(c))
        assert {"\u0301", "\u1161", "\u037e", "\u2000", "\u212b"} <= refused
        assert not set(vietnamese) & refused
        for _ in range(50_000):
            text = "".join(rng.choice(allowed if rng.random() < 0.5 else vietnamese)
                           for _ in range(rng.randint(1, 8)))
            assert unicodedata.normalize("NFC", text) == text, [hex(ord(c)) for c in text]


def test_decomposed_vietnamese_is_stored_precomposed(db, duck, tmp_path, monkeypatch, fast_calls, builds) -> None:
    """Text typed as «Unicode tổ hợp» (combining tone marks) is stored in NFC, as the exact path stores it."""
    fast, exact = _both(db, duck, tmp_path, SHAPED + "30/06/2024;13285;1;1;Tie\u0302\u0301ng Vie\u0323\u0302t;;HS-9\n",
                        monkeypatch)
    assert fast == exact
    assert {r["ma_ho_so"]: r["ghi_chu"] for r in fast[1]}["HS-9"] == "Tiếng Việt" == "Ti\u1ebfng Vi\u1ec7t"
