"""Cell values the way Vietnamese files write them: 1.234,5 — dd/mm/yyyy — có/không — local time UTC+7."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dieuhanh.ingest.values import (
    LOCAL_TZ,
    detect_pii,
    guess_decimal,
    infer_type,
    parse_boolean,
    parse_date,
    parse_datetime,
    parse_integer,
    parse_number,
    pii_kind,
)

# --- numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,5", 1234.5),
        ("1.234.567", 1234567),
        ("12,5", 12.5),
        ("-3,2", -3.2),
        ("+7", 7),
        ("1234", 1234),
        ("0,05", 0.05),
        (",5", 0.5),
        ("1 234 567", 1234567),
        ("1\u00a0234\u00a0567,25", 1234567.25),  # non-breaking spaces, as Excel writes them
        ("  42  ", 42),
        ("12,5%", 12.5),
        ("12,5 %", 12.5),
        ("(1.234)", -1234),  # accounting negative
        ("\u22125", -5),  # the typographic minus sign
        ("1,5E+06", 1_500_000),
        (1234, 1234),
        (12.5, 12.5),
    ],
)
def test_parse_number_vietnamese(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1234.5", 1234.5), ("1,234.5", 1234.5), ("1,234,567", 1234567), ("-0.25", -0.25), ("1e-3", 0.001)],
)
def test_parse_number_with_decimal_point(text: str, expected: float) -> None:
    assert parse_number(text, decimal=".") == expected


@pytest.mark.parametrize("empty", ["", "   ", "\u00a0", None])
def test_empty_number_is_none(empty: str | None) -> None:
    assert parse_number(empty) is None
    assert parse_integer(empty) is None


@pytest.mark.parametrize(
    "text",
    [
        "1.23",  # with decimal ",", a dot separates thousands: groups of three only
        "1234.5",
        "1.2345",
        "12.34.567",
        "1,234.5",
        "1.234 567",  # mixed thousands separators
        "abc",
        "12a",
        "1,2,3",
        "--5",
        "%",
        "1.234,",
    ],
)
def test_parse_number_refuses_what_is_not_a_vietnamese_number(text: str) -> None:
    with pytest.raises(ValueError, match="Cần một số"):
        parse_number(text)


def test_parse_number_message_names_the_expected_form() -> None:
    with pytest.raises(ValueError, match=r"1\.234,5.*«abc»"):
        parse_number("abc")
    with pytest.raises(ValueError, match=r"1,234\.5"):
        parse_number("12,5", decimal=".")


def test_parse_number_refuses_booleans_and_nan() -> None:
    with pytest.raises(ValueError):
        parse_number(True)
    with pytest.raises(ValueError):
        parse_number(float("nan"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.234", 1234), ("12,0", 12), ("-7", -7), ("50%", 50), ("12345678901234567890", 12345678901234567890)],
)
def test_parse_integer(text: str, expected: int) -> None:
    value = parse_integer(text)
    assert value == expected and isinstance(value, int)


def test_parse_integer_refuses_fractions() -> None:
    with pytest.raises(ValueError, match="số nguyên"):
        parse_integer("12,5")


@pytest.mark.parametrize(
    ("values", "decimal"),
    [
        (["1.234,5", "12,25"], ","),
        (["1,234.5", "0.25"], "."),
        (["1.234.567"], ","),
        (["1,234,567"], "."),
        (["1.234", "1,234", "12"], ","),  # nothing decisive: the Vietnamese default
        ([], ","),
    ],
)
def test_guess_decimal(values: list[str], decimal: str) -> None:
    assert guess_decimal(values) == decimal


# --- booleans -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["có", "Có", "CÓ", "x", "X", "1", "true", "TRUE", "đúng", "Đúng", "yes", True, 1]
)
def test_true_words(text: str) -> None:
    assert parse_boolean(text) is True


@pytest.mark.parametrize("text", ["không", "Không", "0", "false", "sai", "Sai", "no", False, 0])
def test_false_words(text: str) -> None:
    assert parse_boolean(text) is False


def test_boolean_empty_and_invalid() -> None:
    assert parse_boolean("") is None
    assert parse_boolean(None) is None
    with pytest.raises(ValueError, match="có/không"):
        parse_boolean("có lẽ")


# --- dates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "05/03/2024",
        "5/3/2024",
        "05-03-2024",
        "05.03.2024",
        "2024-03-05",
        "2024/03/05",
        "20240305",
        "ngày 05 tháng 03 năm 2024",
        "Ngày 5 tháng 3 năm 2024",
        "05/03/2024 00:00",
        " 05/03/2024 ",
    ],
)
def test_parse_date_forms(text: str) -> None:
    assert parse_date(text) == date(2024, 3, 5)


def test_parse_date_is_day_first() -> None:
    assert parse_date("01/02/2024") == date(2024, 2, 1)


def test_parse_date_objects_from_xlsx() -> None:
    assert parse_date(datetime(2024, 3, 5, 0, 0)) == date(2024, 3, 5)
    assert parse_date(date(2024, 3, 5)) == date(2024, 3, 5)
    utc_evening = datetime(2024, 3, 4, 20, 0, tzinfo=UTC)  # 03:00 on the 5th in Vietnam
    assert parse_date(utc_evening) == date(2024, 3, 5)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (45356, date(2024, 3, 5)),
        (45356.75, date(2024, 3, 5)),
        ("45356", date(2024, 3, 5)),
        (1, date(1900, 1, 1)),
    ],
)
def test_excel_serial_dates_when_asked(serial: object, expected: date) -> None:
    assert parse_date(serial, excel_serial=True) == expected  # type: ignore[arg-type]


def test_excel_serials_are_refused_unless_asked() -> None:
    with pytest.raises(ValueError, match="dd/mm/yyyy"):
        parse_date(45356)
    with pytest.raises(ValueError, match="ngoài khoảng"):
        parse_date(60, excel_serial=True)  # Excel's 29/02/1900, a day that never was


@pytest.mark.parametrize("text", ["31/02/2024", "29/02/2023", "00/01/2024", "05/13/2024"])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="không tồn tại"):
        parse_date(text)


@pytest.mark.parametrize("text", ["5/3/24", "March 5, 2024", "05/03/2024 10:30", "hôm qua", "2024-3"])
def test_parse_date_refuses_other_forms(text: str) -> None:
    with pytest.raises(ValueError, match="Cần ngày"):
        parse_date(text)


# --- date-times -----------------------------------------------------------------------------------------


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/03/2024 10:30", local(2024, 3, 5, 10, 30)),
        ("5/3/2024 9:05:07", local(2024, 3, 5, 9, 5, 7)),
        ("10:30 05/03/2024", local(2024, 3, 5, 10, 30)),
        ("2024-03-05 10:30:00", local(2024, 3, 5, 10, 30)),
        ("2024-03-05T10:30:00", local(2024, 3, 5, 10, 30)),
        ("2024-03-05T03:30:00Z", local(2024, 3, 5, 10, 30)),
        ("2024-03-05T10:30:00+07:00", local(2024, 3, 5, 10, 30)),
        ("2024-03-05T12:30:00+09:00", local(2024, 3, 5, 10, 30)),
        ("20240305103000", local(2024, 3, 5, 10, 30)),  # the national public-service portal
        ("05/03/2024", local(2024, 3, 5)),
        ("05/03/2024 10:30:00,5", local(2024, 3, 5, 10, 30, 0, 500000)),
    ],
)
def test_parse_datetime_forms(text: str, expected: datetime) -> None:
    value = parse_datetime(text)
    assert value == expected
    assert value is not None and value.utcoffset() == timedelta(hours=7)


def test_parse_datetime_objects() -> None:
    assert parse_datetime(datetime(2024, 3, 5, 10, 30)) == local(2024, 3, 5, 10, 30)  # naive = local
    aware = datetime(2024, 3, 5, 3, 30, tzinfo=UTC)
    assert parse_datetime(aware) == local(2024, 3, 5, 10, 30)
    assert parse_datetime(date(2024, 3, 5)) == local(2024, 3, 5)
    assert parse_datetime(45356.4375, excel_serial=True) == local(2024, 3, 5, 10, 30)
    assert parse_datetime("") is None


@pytest.mark.parametrize(
    "text", ["05/03/2024 25:00", "20241305103000", "10h30 05/03/2024", "2024-03-05T10:30:99"]
)
def test_parse_datetime_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)


# --- personal data --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("001203012345", "cccd"),  # Hà Nội
        ("037 095 001 234", "cccd"),  # Ninh Bình, written in groups
        ("096199000111", "cccd"),  # Cà Mau
        ("003203012345", None),  # 003 is no province code
        ("123456789", "cmnd"),
        ("0912345678", "phone"),
        ("0912.345.678", "phone"),
        ("+84 912 345 678", "phone"),
        ("84912345678", "phone"),
        ("0389 123 456", "phone"),
        ("(0229) 3871 234", "phone"),  # landline in Ninh Bình
        ("024 3825 1234", "phone"),  # landline in Hà Nội
        ("0123456789", None),  # 01x mobile prefixes were retired in 2018
        ("an.nguyen@ninhbinh.gov.vn", "email"),
        ("12345", None),
        ("Nguyễn Văn An", None),
    ],
)
def test_pii_kind(value: str, kind: str | None) -> None:
    assert pii_kind(value) == kind


def test_detect_pii_needs_thirty_percent_of_filled_values() -> None:
    phones = ["0912345678", "0987654321", "0345678901"]
    assert detect_pii(phones + ["không có"] * 7) == {"phone"}  # 3 of 10
    assert detect_pii(phones[:2] + ["không có"] * 8) == set()  # 2 of 10
    assert detect_pii(phones + [""] * 50 + [None]) == {"phone"}  # empty cells do not count
    assert detect_pii(["001203012345", "0912345678", "x"]) == {"cccd", "phone"}
    assert detect_pii([]) == set()
    assert detect_pii(phones[:1] + ["x"] * 9, threshold=0.1) == {"phone"}


# --- type inference -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["1", "2", "1.234", ""], "integer"),
        (["0", "1", "1"], "integer"),  # only 0/1: a count more likely than a flag
        (["1,5", "2", "3.000,25"], "number"),
        (["12%", "7,5%"], "number"),
        (["có", "không", "", "Có"], "boolean"),
        (["x", "", "x"], "boolean"),
        (["05/03/2024", "2024-03-06", "1/1/2020"], "date"),
        (["05/03/2024 10:30", "06/03/2024"], "datetime"),
        (["0912345678", "0987654321"], "string"),  # leading zero: identifiers, not numbers
        (["001203012345"], "string"),
        (["12345678901234567"], "string"),  # too long to be a count
        (["1", "hai", "3"], "string"),
        ([], "string"),
        (["", None], "string"),
    ],
)
def test_infer_type(values: list[str | None], kind: str) -> None:
    assert infer_type(values) == kind


def test_infer_type_follows_the_decimal_separator() -> None:
    assert infer_type(["1234.5", "0.25"], decimal=".") == "number"
    assert infer_type(["1234.5", "0.25"], decimal=",") == "string"
