"""CSV through Arrow (UTF-8 files as they are, every other encoding transcoded to UTF-8) gives exactly what the
exact Python reader gives: the same batches (values, first-row numbers, batch by batch) or the same ReadError
(message, row, column) after the same batches.

The exact path is ``_batched(reader._rows(), ...)``: the strict ``csv`` reader over ``encodings.decode_stream``,
which ``batches()`` hands over to wherever Arrow cannot vouch for the result.
"""

from __future__ import annotations

import io
import random
import tracemalloc
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from dieuhanh.ingest import readers
from dieuhanh.ingest.encodings import encode
from dieuhanh.ingest.readers import CsvReader, ReadError, open_table

MB = 1024 * 1024
ENCODINGS = ["utf-8", "windows-1258", "tcvn3", "vni", "utf-16", "utf-16-le"]
LEGACY = ["windows-1258", "tcvn3", "vni"]

Outcome = tuple[list[tuple[int, list[dict[str, Any]]]], tuple[str, int | None, str | None] | None]


def _collect(batches: Any) -> Outcome:
    out: list[tuple[int, list[dict[str, Any]]]] = []
    try:
        for batch, first in batches:
            out.append((first, batch.to_pylist()))
    except ReadError as exc:
        return out, (exc.message, exc.row, exc.column)
    return out, None


def fast_and_exact(data: bytes | Path, encoding: str | None, batch_size: int) -> tuple[Outcome, Outcome, CsvReader]:
    reader = open_table(data, "so_lieu.csv", max_bytes=1 << 30, encoding=encoding)
    assert isinstance(reader, CsvReader)
    fast = _collect(reader.batches(batch_size))
    exact = _collect(readers._batched(reader._rows(), reader.columns, batch_size))
    return fast, exact, reader


def assert_same(
    text: str, encodings: list[str] = ENCODINGS, sizes: tuple[int, ...] = (1, 2, 3, 50_000)
) -> dict[str, Any]:
    """Reads ``text`` written in each encoding both ways; returns, per encoding, the row the exact path took over
    from (None: Arrow read it all)."""
    handed_over = {}
    for label in encodings:
        data = encode(text, label)
        for size in sizes:
            fast, exact, reader = fast_and_exact(data, label, size)
            assert fast == exact, (label, size)
        handed_over[label] = reader.exact_from
    return handed_over


# Every tone on every vowel, upper and lower case, đ/Đ, and what TCVN3 must guess the case of.
TONED = "àáảãạ ằắẳẵặ ầấẩẫậ èéẻẽẹ ềếểễệ ìíỉĩị òóỏõọ ồốổỗộ ờớởỡợ ùúủũụ ừứửữự ỳýỷỹỵ đ"
HEADER = "Mã;Họ và tên;Địa chỉ;Số tiền"


def rows(count: int, eol: str = "\r\n") -> str:
    lines = [f"{i};Nguyễn Thị Ánh {i} {TONED.split()[i % 12]};Xã Thanh Sơn huyện Kim Bảng;{i}.{i % 1000:03d},5"
             for i in range(count)]
    return eol.join(lines) + eol


@pytest.mark.parametrize("eol", ["\r\n", "\n", "\r"])
def test_clean_files_are_read_by_arrow_alone_and_alike(eol: str) -> None:
    text = HEADER + eol + f"0;{TONED};{TONED.upper()};1" + eol + "1;Ủy ban nhân dân;QUỐC LỘ 1A;2,5" + eol
    text += rows(40, eol)
    assert assert_same(text) == dict.fromkeys(ENCODINGS)  # no hand-over: the comparison is not vacuous
    reader = open_table(encode(text, "tcvn3"), "x.csv", max_bytes=MB)
    first = next(iter(reader.batches()))[0].to_pylist()
    assert first[1]["Họ và tên"] == "Ủy ban nhân dân" and first[1]["Địa chỉ"] == "QUỐC LỘ 1A"  # TCVN3's guesses


@pytest.mark.parametrize("name, text, takes_over", [
    ("quoted delimiters", HEADER + '\r\n1;"a; b";"x ""y"" z";""\r\n2;b;"";3\r\n', None),
    ("no final line end", HEADER + "\r\n1;a;b;2\r\n2;c;d;3", None),
    ("blank lines before the header", f"\r\n;;;\r\n   \r\n{HEADER}\r\n1;a;b;2\r\n", None),
    ("a header cell over two lines", 'Mã;"Họ và tên\r\n(đầy đủ)";Địa chỉ;Số\r\n1;a;b;2\r\n2;c;d;3\r\n', None),
    ("excel's sep= line", f"sep=;\r\n{HEADER}\r\n1;a;b;2\r\n", None),
    ("blank line", HEADER + "\r\n1;a;b;2\r\n\r\n2;c;d;3\r\n", 2),
    ("line of empty cells", HEADER + "\r\n1;a;b;2\r\n;;;\r\n2;c;d;3\r\n", 2),
    ("line break in a quoted cell", HEADER + '\r\n1;a;b;2\r\n2;"dòng một\r\ndòng hai";c;3\r\n3;d;e;4\r\n', 2),
    ("lone CR in a quoted cell", HEADER + '\n1;a;b;2\n2;"dòng một\rdòng hai";c;3\n3;d;e;4\n', None),
    ("lone CR line ends, quoted break", HEADER + '\r1;a;b;2\r2;"một\rhai";c;3\r3;d;e;4\r', None),
    ("empty cells beyond the header", HEADER + "\r\n1;a;b;2;;\r\n2;c;d;3\r\n", 2),
    ("ragged row", HEADER + "\r\n1;a;b;2\r\n2;c;d\r\n3;e;f;4\r\n", 2),
    ("row too long", HEADER + "\r\n1;a;b;2\r\n2;c;d;3;x\r\n", 2),
    ("quote inside a word", HEADER + '\r\n1;a;b;2\r\n2;ab"c;d;3\r\n', 2),
    ("text after a closing quote", HEADER + '\r\n1;a;b;2\r\n2;"ab"c;d;3\r\n', 2),
    ("unterminated quote", HEADER + '\r\n1;a;b;2\r\n2;"ab;c;d;3\r\n3;e;f;4\r\n', 2),
    ("NUL", HEADER + "\r\n1;a\x00b;c;2\r\n", None),
    ("only spaces", HEADER + "\r\n1;  ;   ;2\r\n   \r\n", 2),
])  # fmt: skip
def test_tricky_files_read_alike_in_every_encoding(name: str, text: str, takes_over: int | None) -> None:
    handed_over = assert_same(text)
    assert set(handed_over.values()) == {takes_over}, handed_over


@pytest.mark.parametrize("label", ["utf-8", "utf-16-le"])
def test_a_bom_is_dropped_alike(label: str) -> None:
    assert assert_same("\ufeff" + HEADER + "\r\n1;a;b;2\r\n", [label]) == {label: None}


@pytest.mark.parametrize("label", LEGACY)
def test_bytes_the_code_page_lacks_read_alike(label: str) -> None:
    """Legacy decoding never fails: a byte without a character (0x81 in Windows-1258) reads as Latin-1."""
    data = encode(HEADER + "\r\n" + rows(30), label)
    cut = data.index(b"\r\n15;")
    for bad in (b"\x81", b"\x8d\x90", b"\xff\x00"):
        broken = data[:cut] + bad + data[cut:]
        for size in (1, 4, 50_000):
            fast, exact, reader = fast_and_exact(broken, label, size)
            assert fast == exact and reader.exact_from is None and fast[1] is None


def test_the_same_from_a_path_an_open_file_and_bytes(tmp_path: Path) -> None:
    text = HEADER + "\r\n" + rows(30) + "\r\n" + rows(5)  # a blank line: the exact path takes over
    for label in ENCODINGS:
        data = encode(text, label)
        path = tmp_path / f"{label}.csv"
        path.write_bytes(data)
        outcomes = []
        for source in (data, path, io.BytesIO(data)):
            with open_table(source, "x.csv", max_bytes=MB, encoding=label) as reader:
                outcomes.append(_collect(reader.batches(7)))
        assert outcomes[0] == outcomes[1] == outcomes[2]
        assert outcomes[0] == fast_and_exact(data, label, 7)[1]


@pytest.mark.parametrize("label", ["utf-16", "utf-16-le", "utf-16-be"])
def test_bytes_that_do_not_decode_are_reported_on_their_row_after_the_same_batches(label: str) -> None:
    data = encode(HEADER + "\r\n" + rows(200), label)
    cut = data.index(encode("121;", label)[-8:])  # in row 123
    broken = data[:cut] + (b"\xdc\x00" if label.endswith("be") else b"\x00\xdc") + data[cut:]  # lone surrogate
    for size in (1, 10, 121, 122, 50_000):
        fast, exact, reader = fast_and_exact(broken, label, size)
        assert fast == exact
        assert fast[1] == (f"Dòng 123 không giải mã được theo bảng mã {reader.encoding}; "
                           "hãy chọn đúng bảng mã (utf-8, windows-1258, tcvn3, vni)", 123, None)


@pytest.mark.parametrize("label", LEGACY + ["utf-16"])
def test_a_line_too_long_is_reported_as_before(label: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_CHARS", 5000)
    # past the sample; longer than the 1 MB TCVN3's decoder waits for a line end
    data = encode(HEADER + "\r\n" + rows(2000) + "9;" + "x" * 1_200_000 + ";a;1\r\n", label)
    fast, exact, _reader = fast_and_exact(data, label, 300)
    assert fast == exact
    assert fast[1] is not None and fast[1][1] == 2002 and "quá dài" in fast[1][0]
    assert [first for first, _ in fast[0]] == [2 + 300 * i for i in range(6)]  # the batches before it


def random_text(rng: random.Random, dirt: float) -> str:
    """A file of random rows: mostly clean Vietnamese cells, some of the kinds the exact path must take."""
    delimiter = rng.choice([",", ";", "\t", "|"])
    eol = rng.choice(["\r\n", "\n", "\r"])
    width = rng.randint(1, 5)
    words = TONED.split() + ["Nguyễn", "Thị", "Ánh", "Ủy", "ban", "QUỐC", "LỘ", "1A", "ở", "Hà", "Nội"]

    def cell() -> str:
        k = rng.random()
        if k > dirt:
            return rng.choice([" ".join(rng.sample(words, 2)), str(rng.randint(0, 10**6)) + ",5", ""])
        return rng.choice([
            f'"{rng.choice(words)}{delimiter} {rng.choice(words)}"', '"a ""b"" c"', '""', "  ",
            '"' + rng.choice(words) + rng.choice(["\n", "\r\n", "\r"]) + rng.choice(words) + '"',
            f'"{rng.choice(words)}"x', 'ab"c', '"unterminated', "a\x00b",
        ])  # fmt: skip

    lines = [delimiter.join(["Mã", "Họ tên", "Địa chỉ", "Ghi chú", "Số"][:width])]
    for _ in range(rng.randint(1, 40)):
        k = rng.random()
        if k < dirt / 4:
            lines.append(rng.choice(["", delimiter * (width - 1), "  "]))
        elif k < dirt / 2:
            lines.append(delimiter.join(cell() for _ in range(width + rng.choice([-1, 1]))))
        else:
            lines.append(delimiter.join(cell() for _ in range(width)))
    return eol.join(lines) + rng.choice([eol, "", eol + eol])


def test_random_files_read_alike() -> None:
    handed_over = 0
    for seed in range(60):
        rng = random.Random(seed)
        text = random_text(rng, rng.choice([0.0, 0.02, 0.2]))
        for label in ENCODINGS:
            for size in (1, 4, 50_000):
                try:
                    fast, exact, reader = fast_and_exact(encode(text, label), label, size)
                except ReadError:
                    continue  # refused when opened (a broken header): the same on both paths
                assert fast == exact, (seed, label, size)
            handed_over += reader.exact_from is not None
    assert 0 < handed_over < 60 * len(ENCODINGS)  # both kinds of file were met


@pytest.mark.parametrize("label", LEGACY + ["utf-16"])
def test_big_files_across_blocks_read_alike_and_stream(label: str, tmp_path: Path) -> None:
    """Past Arrow's 1 MB blocks and the decoder's 256 KiB blocks: a clean file, then the same with a quoted line
    break near the end (the exact path takes over at a batch boundary)."""
    text = HEADER + "\r\n" + rows(30_000)
    path = tmp_path / "lon.csv"
    for tail, takes_over in (("", None), ('30000;"dòng một\r\ndòng hai";x;1\r\n', 30_001)):
        path.write_bytes(encode(text + tail + rows(10), label))
        fast, exact, reader = fast_and_exact(path, label, 10_000)
        assert fast == exact
        assert sum(len(b) for _, b in fast[0]) == (30_011 if tail else 30_010)
        assert reader.exact_from == takes_over or takes_over and 1 < reader.exact_from <= takes_over


def test_a_big_transcoded_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    """Arrow reads ahead up to 32 blocks of 1 MB that the batches have not caught up with (as it does from a UTF-8
    file, where they are Arrow's memory); the text itself is never held whole."""
    path = tmp_path / "lon.csv"
    path.write_bytes(encode(HEADER + "\r\n" + rows(450_000), "utf-16"))
    size = path.stat().st_size
    assert size > 60 * MB
    tracemalloc.start()
    try:
        with open_table(path, max_bytes=1 << 30) as reader:
            assert sum(batch.num_rows for batch, _ in reader.batches()) == 450_000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reader.exact_from is None
    assert peak < 48 * MB, f"peak {peak / MB:.1f} MB of Python memory for a {size / MB:.1f} MB file"


def test_decomposed_utf8_text_reads_composed_as_on_the_exact_path() -> None:
    """UTF-8 written with combining tones (as converted from Windows-1258, or by macOS): NFC on both paths."""
    composed = HEADER + "\r\n" + rows(30)
    decomposed = unicodedata.normalize("NFD", composed).encode("utf-8")  # encode() would compose it
    for size in (4, 50_000):
        fast, exact, reader = fast_and_exact(decomposed, "utf-8", size)
        assert fast == exact and reader.exact_from == 2
        assert fast == fast_and_exact(composed.encode("utf-8"), "utf-8", size)[0]
    assert assert_same(composed, ["utf-8"], sizes=(4,)) == {"utf-8": None}
