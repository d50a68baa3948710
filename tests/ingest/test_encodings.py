"""Decoding provincial text files: UTF-8/16, Windows-1258 and the legacy font encodings TCVN3 and VNI."""

from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dieuhanh.ingest import encodings
from dieuhanh.ingest.encodings import (
    decode,
    decode_stream,
    detect_and_decode,
    detect_encoding,
    encode,
    is_vietnamese_syllable,
    normalize_label,
    sniff_file_encoding,
)

TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # huyền, sắc, hỏi, ngã, nặng
VOWELS = "aăâeêioôơuưy"


def letters(case: str = "lower") -> list[str]:
    """The 67 non-ASCII Vietnamese letters of one case: 12 vowels × 5 tones, ă â ê ô ơ ư, đ."""
    out = [unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES] + list("ăâêôơưđ")
    return [c.upper() for c in out] if case == "upper" else out


ALL_LETTERS = letters("lower") + letters("upper")

SENTENCES = [
    "Ủy ban nhân dân xã Thanh Sơn, huyện Kim Bảng",
    "Trường THCS Nguyễn Trãi – số học sinh: 1.234",
    "Bệnh viện Đa khoa tỉnh Ninh Bình",
    "ĐƯỜNG QUỐC LỘ 1A",
    "Họ và tên;Ngày sinh;Địa chỉ thường trú",
    "Nguyễn Thị Ánh, Vũ Văn Ẩn, Lê Ư",
    "Ấp Bắc, phường Hòa Bình; Ông Ích Khiêm",
    "HỌ VÀ TÊN;SỐ ĐIỆN THOẠI;ĐỊA CHỈ",
    "Cả nhà ăn cơm, uống nước, ở trọ, ướt sũng, ngồi dưới gốc cây đa.",
    "Thừa Thiên Huế, Đắk Lắk, Bà Rịa – Vũng Tàu, Quảng Ngãi, Hậu Giang",
    # every toned vowel, lowercase, in real syllables
    "ta tà tá tả tã tạ tăng tằng tắc tẳng tẵng tặc tâm tầm tấm tẩm tẫm tậm",
    "te tè té tẻ tẽ tẹ tê tề tế tể tễ tệ ti tì tí tỉ tĩ tị",
    "to tò tó tỏ tõ tọ tô tồ tố tổ tỗ tộ tơ tờ tớ tở tỡ tợ",
    "tu tù tú tủ tũ tụ tư từ tứ tử tữ tự ty tỳ tý tỷ tỹ tỵ đi",
    # every toned vowel, uppercase, in all-caps words
    "TÀ TÁ TẢ TÃ TẠ TẰNG TẮC TẲNG TẴNG TẶC TẦM TẤM TẨM TẪM TẬM TĂNG TÂM",
    "TÈ TÉ TẺ TẼ TẸ TỀ TẾ TỂ TỄ TỆ TÌ TÍ TỈ TĨ TỊ TÊ",
    "TÒ TÓ TỎ TÕ TỌ TỒ TỐ TỔ TỖ TỘ TỜ TỚ TỞ TỠ TỢ TÔ TƠ",
    "TÙ TÚ TỦ TŨ TỤ TỪ TỨ TỬ TỮ TỰ TỲ TÝ TỶ TỸ TỴ TƯ ĐI",
]
TEXT = "\n".join(SENTENCES) + "\n"

LEGACY = ["windows-1258", "tcvn3", "vni"]
ALL = ["utf-8", "utf-8-sig", "utf-16", *LEGACY]


def raw(text: str, label: str) -> bytes:
    if label in ("utf-8-sig", "utf-16"):
        return text.encode(label)  # with BOM
    return encode(text, label)


# --- the tables, against spellings from independent references --------------------------------------------


@pytest.mark.parametrize(
    ("text", "tcvn3"),
    [
        ("Hà Nội", b"H\xb5 N\xe9i"),  # "Hµ Néi"
        ("Việt Nam", b"Vi\xd6t Nam"),  # "ViÖt Nam"
        ("trường", b"tr\xad\xeang"),  # "tr­êng"
        ("đường", b"\xae\xad\xeang"),
        ("x àáảãạ âăêôơưđĐ", b"x \xb5\xb8\xb6\xb7\xb9 \xa9\xa8\xaa\xab\xac\xad\xae\xa7"),
        ("ĂÂÊÔƠƯ", b"\xa1\xa2\xa3\xa4\xa5\xa6"),
    ],
)
def test_tcvn3_codes_match_the_abc_standard(text: str, tcvn3: bytes) -> None:
    assert encode(text, "tcvn3") == tcvn3
    assert decode(tcvn3, "tcvn3") == text


@pytest.mark.parametrize(
    ("text", "vni"),
    [
        ("Việt Nam", "Vieät Nam"),
        ("Trường", "Tröôøng"),
        ("Hà Nội", "Haø Noäi"),
        ("Đà Nẵng", "Ñaø Naüng"),
        ("Ủy ban", "UÛy ban"),
        ("á à ả ã ạ", "aù aø aû aõ aï"),
        ("ấ ầ ẩ ẫ ậ ắ ằ ẳ ẵ ặ", "aá aà aå aã aä aé aè aú aü aë"),
        ("ì í ỉ ĩ ị ỵ đ ơ ư", "ì í æ ó ò î ñ ô ö"),
        ("Ì Í Ỉ Ĩ Ị Ỵ Đ Ơ Ư", "Ì Í Æ Ó Ò Î Ñ Ô Ö"),
    ],
)
def test_vni_codes_match_vni_windows(text: str, vni: str) -> None:
    assert encode(text, "vni") == vni.encode("cp1252")
    assert decode(vni.encode("cp1252"), "vni") == text


def test_vni_reads_a_modifier_in_either_case() -> None:
    assert decode("Aù Aø aÙ".encode("cp1252"), "vni") == "Á À á"


def _vni_by_alternation(text: str) -> str:
    """VNI conversion as first written: an alternation of the keys, longest first, a Python call per key."""
    import re

    keys = sorted(encodings._VNI_DECODE, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys)).sub(lambda m: encodings._VNI_DECODE[m.group()], text)


_VNI_ALPHABET = sorted({c for k in encodings._VNI_DECODE for c in k} | set("aAxX ,\n"))


def test_vni_conversion_is_the_alternation_of_its_keys_on_every_triple() -> None:
    triples = [a + b + c for a in _VNI_ALPHABET for b in _VNI_ALPHABET for c in _VNI_ALPHABET]
    text = "\n".join(triples)  # no key holds a line end: each triple converts on its own
    converted = encodings._vni_convert(text)
    assert converted == _vni_by_alternation(text)
    assert converted.split("\n") != triples  # keys were met


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_VNI_ALPHABET, max_size=60))
def test_vni_conversion_is_the_alternation_of_its_keys(text: str) -> None:
    assert encodings._vni_convert(text) == _vni_by_alternation(text)


def test_tables_cover_all_134_letters() -> None:
    assert len(set(ALL_LETTERS)) == 134
    assert set(encodings.VNI_CODES) == set(ALL_LETTERS)
    lower = letters("lower")
    assert set(encodings.TCVN3_CODES) == set(lower) | set("ĂÂÊÔƠƯĐ")
    assert len(set(encodings.TCVN3_CODES.values())) == len(encodings.TCVN3_CODES), "one byte per letter"
    for letter in ALL_LETTERS:  # uppercase toned letters share the lowercase code, as ABC keyboards typed
        assert len(encode(letter, "tcvn3")) == 1
        assert decode(encode(letter, "tcvn3"), "tcvn3").lower() == letter.lower()


def test_windows_1258_writes_tones_as_combining_marks_and_decodes_to_nfc() -> None:
    data = encode("Việt", "windows-1258")
    assert data == b"Vi\xea\xf2t"  # ê, then the combining dot below
    text = decode(data, "windows-1258")
    assert text == "Việt" and len(text) == 4


def test_encode_refuses_characters_the_encoding_lacks() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode("Hà Nội 河内", "tcvn3")


# --- detection and round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("label", ALL)
def test_whole_text_is_detected_and_round_trips(label: str) -> None:
    text, detected = detect_and_decode(raw(TEXT, label))
    assert detected == label
    assert text == TEXT


@pytest.mark.parametrize("label", ALL)
@pytest.mark.parametrize("sentence", SENTENCES[:10])
def test_single_lines_are_detected_and_round_trip(label: str, sentence: str) -> None:
    assert detect_and_decode(raw(sentence, label)) == (sentence, label)


def test_ascii_is_utf8_and_nfd_utf8_comes_back_nfc() -> None:
    assert detect_and_decode(b"ma_xa,ten\n1,An\n") == ("ma_xa,ten\n1,An\n", "utf-8")
    nfd = unicodedata.normalize("NFD", "Nguyễn Trãi")
    text, label = detect_and_decode(nfd.encode("utf-8"))
    assert (text, label) == ("Nguyễn Trãi", "utf-8")


def test_utf16_without_bom_is_recognised() -> None:
    assert detect_and_decode("Họ tên\tTuổi\n".encode("utf-16-le")) == ("Họ tên\tTuổi\n", "utf-16-le")
    assert detect_and_decode("Họ tên\tTuổi\n".encode("utf-16-be")) == ("Họ tên\tTuổi\n", "utf-16-be")


def test_utf8_cut_mid_character_is_still_utf8_when_incomplete() -> None:
    data = "Thanh Sơn".encode()
    assert detect_encoding(data[:-2], complete=False) == "utf-8"


def test_sniffing_a_file_looks_past_an_ascii_head() -> None:
    ascii_part = b"".join(b"%d,abc,123\n" % i for i in range(60_000))  # ~700 KB of plain ASCII
    vietnamese = encode("".join(f"{i},{s}\n" for i in range(200) for s in SENTENCES[:3]), "windows-1258")
    f = io.BytesIO(ascii_part + vietnamese)
    assert sniff_file_encoding(f) == "windows-1258"
    assert f.tell() == 0


@pytest.mark.parametrize(
    ("alias", "label"),
    [
        ("UTF8", "utf-8"),
        ("cp1258", "windows-1258"),
        ("ABC", "tcvn3"),
        ("VNI-Windows", "vni"),
        ("utf_16", "utf-16"),
    ],
)
def test_labels_have_aliases(alias: str, label: str) -> None:
    assert normalize_label(alias) == label


def test_unknown_label_is_refused_in_vietnamese() -> None:
    with pytest.raises(ValueError, match="Bảng mã không được hỗ trợ"):
        normalize_label("koi8-r")


# --- letter case in TCVN3, which has no uppercase toned letters ---------------------------------------------


@pytest.mark.parametrize(
    ("tcvn3", "text"),
    [
        ("Hä Vµ T£N", "HỌ VÀ TÊN"),  # caps lock on: the Ê says so
        ("§¦êNG QUèC Lé 1A", "ĐƯỜNG QUỐC LỘ 1A"),
        ("Vò ThÞ ¸nh", "Vũ Thị Ánh"),  # every other word capitalised: a name
        ("ñy ban nh©n d©n", "Ủy ban nhân dân"),  # opens a sentence
        ("Hµ Néi", "Hà Nội"),
        ("x· ¸i Quèc", "xã ái Quốc"),  # nothing says "capital" for "ái" here
        ("Ng\xb5y sinh,§Þa chØ,ý kiÕn", "Ngày sinh,Địa chỉ,Ý kiến"),  # CSV fields open with a capital
        ("Nhµ ë Hµ Néi", "Nhà ở Hà Nội"),
        ("®­êng Lª Ých Méc", "đường Lê Ích Mộc"),  # between two capitalised words: a name
        (
            "¸nh s¸ng, ë trä, ¨n c¬m",
            "Ánh sáng, ở trọ, ăn cơm",
        ),  # prose: only the sentence opens with a capital
    ],
)
def test_tcvn3_letter_case_is_restored_from_context(tcvn3: str, text: str) -> None:
    assert decode(tcvn3.encode("cp1252"), "tcvn3") == text


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("¸p", "áp"),  # a lone word: the bytes cannot tell
        ("thị trấn Ỷ La", "thị trấn ỷ La"),  # a capital inside running text ("sống ở Hà Nội" looks the same)
        ("phường Ứng Hòa", "phường ứng Hòa"),
    ],
)
def test_tcvn3_case_that_the_bytes_cannot_carry_is_lost_but_letters_are_right(
    text: str, decoded: str
) -> None:
    data = text.encode("cp1252") if text == "¸p" else encode(text, "tcvn3")
    assert decode(data, "tcvn3") == decoded


# --- streaming --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ALL)
@pytest.mark.parametrize("chunk_size", [1, 2, 7, 4096])
def test_decode_stream_matches_whole_decode_for_any_chunking(label: str, chunk_size: int) -> None:
    text = TEXT.replace("\n", "\r\n")
    lines = list(decode_stream(io.BytesIO(raw(text, label)), label, chunk_size=chunk_size))
    assert "".join(lines) == text
    assert lines == text.splitlines(keepends=True)


def test_decode_stream_line_endings() -> None:
    data = "a\r\nb\rc\nd\u2028e".encode()
    assert list(decode_stream(io.BytesIO(data), "utf-8", chunk_size=1)) == ["a\r\n", "b\r", "c\n", "d\u2028e"]


def test_decode_stream_drops_the_bom_even_when_labelled_plain_utf8() -> None:
    assert list(decode_stream(io.BytesIO(b"\xef\xbb\xbfa\n"), "utf-8")) == ["a\n"]


class EndlessFile(io.RawIOBase):
    """A file that never ends: reading it whole would never return."""

    def __init__(self, line: bytes) -> None:
        self.line = line
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "read everything"
        self.largest_read = max(self.largest_read, size)
        return (self.line * (size // len(self.line) + 1))[:size]


@pytest.mark.parametrize("label", ["utf-8", "windows-1258", "tcvn3", "vni"])
def test_decode_stream_reads_piece_by_piece(label: str) -> None:
    endless = EndlessFile(encode("Trường học,Bệnh viện\n", label))
    lines = decode_stream(endless, label)  # type: ignore[arg-type]
    first = [next(lines) for _ in range(3)]
    assert first == ["Trường học,Bệnh viện\n"] * 3
    assert endless.largest_read <= 1 << 20


def test_decode_stream_invalid_utf8_raises() -> None:
    with pytest.raises(UnicodeDecodeError):
        list(decode_stream(io.BytesIO(b"ok\n\xff\xfe\xfa\n"), "utf-8"))


# --- the syllable validator used for scoring -----------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        "được",
        "nghiêng",
        "khuya",
        "quốc",
        "gì",
        "giặt",
        "hát",
        "ngoằn",
        "khuỷu",
        "oanh",
        "thuở",
        "yêu",
        "ĐƯỜNG",
    ],
)
def test_real_syllables_are_valid(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    "word",
    ["Vieät", "Tröôøng", "ViÖt", "Hµ", "Trửụứng", "hàt", "xyz", "aàa", "Viờũt", "caùc"],
)
def test_mojibake_and_impossible_syllables_are_invalid(word: str) -> None:
    assert not is_vietnamese_syllable(word)


def test_decode_stream_gives_the_good_lines_before_a_decoding_error() -> None:
    lines = decode_stream(io.BytesIO(b"mot\nhai\nba\xff\n"), "utf-8")
    assert next(lines) == "mot\n"
    assert next(lines) == "hai\n"
    with pytest.raises(UnicodeDecodeError):
        next(lines)


# --- the fast path of TCVN3 letter case must agree with looking at every segment -------------------------

WORDS = ["Hµ", "Néi", "ñy", "ban", "QUèC", "Lé", "1A", "Vò", "ThÞ", "¸nh", "ë", "x·", "UBND", "T£N", "§¦êNG"]
SEPARATORS = [" ", ", ", ",", ";", "; ", "\t", "|", '"', ". ", "\r\n", "\n", " - "]


def every_segment(text: str) -> str:
    """Letter case decided segment by segment, with no shortcut."""
    pieces, last = [], 0
    for boundary in encodings._SEGMENT_RE.finditer(text):
        pieces += [encodings._recase_segment(text[last : boundary.start()]), boundary.group()]
        last = boundary.end()
    return "".join([*pieces, encodings._recase_segment(text[last:])])


@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=12))
@settings(max_examples=300, deadline=None)
def test_tcvn3_recase_shortcut_matches_the_full_look(parts: list[tuple[str, str]]) -> None:
    data = "".join(word + sep for word, sep in parts).encode("cp1252")
    plain = "".join(encodings._TCVN3_TABLE[b] for b in data)  # the byte table alone, case not yet decided
    assert decode(data, "tcvn3") == every_segment(plain)
