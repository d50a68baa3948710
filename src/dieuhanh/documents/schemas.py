"""Input and output shapes of the documents domain."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from dieuhanh.documents.reference import PRIORITIES, PRIORITY_CODES

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_date(value: Any) -> Any:
    """ISO (2026-03-05) or Vietnamese (05/03/2026, 5/3/2026); datetimes keep their date; years 1945–2100."""
    parsed = _parse_date(value)
    if isinstance(parsed, date) and not 1945 <= parsed.year <= 2100:
        raise ValueError(f"Năm {parsed.year} nằm ngoài khoảng 1945–2100")
    return parsed


def _parse_date(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
        if m:
            try:
                return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                raise ValueError(f"«{text}» không phải là một ngày có thật") from None
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[T ].*)?", text)
        if m:
            try:
                return date.fromisoformat(m.group(1))
            except ValueError:
                raise ValueError(f"«{text}» không phải là một ngày có thật") from None
        raise ValueError(f"«{text}» không đúng dạng ngày (dd/mm/yyyy hoặc yyyy-mm-dd)")
    raise ValueError("Ngày phải là chuỗi dd/mm/yyyy hoặc yyyy-mm-dd")


def parse_priority(value: Any) -> Any:
    """NĐ 30 Phụ lục VI codes (0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ) or the words."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text in PRIORITY_CODES:
        return PRIORITY_CODES[text]
    if text in PRIORITIES:
        return text
    from dieuhanh.documents.extract import fold

    by_word = {fold(label): code for code, label in PRIORITIES.items()}
    by_word["hoa toc hen gio"] = "hoa_toc"
    if fold(text) in by_word:
        return by_word[fold(text)]
    raise ValueError(f"Độ khẩn «{text[:40]}» không hợp lệ: dùng 0–4 (NĐ 30) hoặc Thường, Khẩn, Thượng khẩn, Hỏa tốc")


def parse_places(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in re.split(r"[;\n]", value) if p.strip()]
    return value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError("Có ký tự điều khiển không hợp lệ")
        return value.strip() or None
    return value


# the documented schema says what parse_date and _clean accept (their Vietnamese messages stay theirs)
_YEAR = r"(19(4[5-9]|[5-9][0-9])|20[0-9]{2}|2100)"
DAY_PATTERN = (rf"^({_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
               rf"|(0?[1-9]|1[0-9]|2[0-8])/(0?[1-9]|1[0-2])/{_YEAR})$")
Day = Annotated[date | None, BeforeValidator(parse_date), Field(json_schema_extra={
    "anyOf": [{"type": "string", "pattern": DAY_PATTERN}, {"type": "null"}]})]
Text = Annotated[str | None, BeforeValidator(_clean), Field(json_schema_extra={
    "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"})]


class DocumentIn(BaseModel):
    """Metadata of an incoming document, with the field names of NĐ 30/2020/NĐ-CP Phụ lục VI (the snake_case
    names are accepted too). Every field is optional: what is missing is extracted from the file or text."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    code_number: Text = Field(None, alias="CodeNumber", max_length=20, description="Số của văn bản, vd 123")
    code_notation: Text = Field(None, alias="CodeNotation", max_length=60, description="Ký hiệu, vd QĐ-UBND")
    organ_name: Text = Field(None, alias="OrganName", max_length=300, description="Cơ quan ban hành")
    issued_date: Day = Field(None, alias="IssuedDate", description="Ngày ban hành")
    subject: Text = Field(None, alias="Subject", max_length=2000, description="Trích yếu")
    priority: Annotated[str | None, BeforeValidator(parse_priority)] = Field(
        None, alias="Priority", description="Độ khẩn: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ")
    due_date: Day = Field(None, alias="DueDate", description="Hạn xử lý ghi trên văn bản")
    arrival_date: Day = Field(None, alias="ArrivalDate", description="Ngày đến (mặc định: hôm nay)")
    arrival_number: int | None = Field(None, alias="ArrivalNumber", ge=1, le=10_000_000, description="Số đến")
    to_places: Annotated[list[Annotated[str, Field(max_length=300)]], BeforeValidator(parse_places)] = Field(
        default_factory=list, alias="ToPlaces", max_length=100, description="Nơi nhận")
    text: Annotated[str | None, Field(max_length=2_000_000)] = Field(
        None, description="Toàn văn (khi không gửi tệp)")

    @field_validator("text")
    @classmethod
    def _text_ok(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("Toàn văn có ký tự NUL")
        return value

    def given(self) -> list[str]:
        """Field names the caller gave (those are kept; the rest come from extraction)."""
        return [name for name in ("code_number", "code_notation", "organ_name", "issued_date", "subject",
                                  "priority", "due_date", "arrival_date", "arrival_number", "to_places")
                if getattr(self, name) not in (None, [], "")]


class ExtractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2_000_000)
    arrival_date: Day = Field(None, alias="ArrivalDate")


class AssignIn(BaseModel):
    """Bút phê: the lead department, cooperating ones, the deadline and the instruction."""

    model_config = ConfigDict(extra="forbid")

    lead: str = Field(min_length=1, max_length=40)
    cooperating: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(default_factory=list, max_length=20)
    due_date: Day = None
    instruction: Text = Field(None, max_length=4000)


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    progress: int | None = Field(None, ge=0, le=100, description="Phần trăm hoàn thành")
    note: Text = Field(None, max_length=4000)
    done: bool = False


FILTER_STATUSES = ("all", "new", "open", "overdue", "near_due", "done", "review", "duplicate")


def vietnamese_error(err: Any) -> str:
    """A pydantic error in Vietnamese (our own validators already speak it)."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    messages = {
        "string_type": "phải là chuỗi ký tự", "int_type": "phải là số nguyên", "int_parsing": "phải là số nguyên",
        "bool_type": "phải là true hoặc false", "bool_parsing": "phải là true hoặc false",
        "list_type": "phải là danh sách", "dict_type": "phải là đối tượng", "missing": "bắt buộc",
        "extra_forbidden": "trường này không được nhận (xem tên trường theo NĐ 30 Phụ lục VI)",
        "greater_than_equal": f"phải lớn hơn hoặc bằng {ctx.get('ge')}",
        "less_than_equal": f"phải nhỏ hơn hoặc bằng {ctx.get('le')}",
        "string_too_short": "không được để trống", "string_too_long": f"tối đa {ctx.get('max_length')} ký tự",
        "too_long": f"tối đa {ctx.get('max_length')} mục", "json_invalid": "JSON không hợp lệ",
    }
    if kind in messages:
        return messages[kind]
    return str(err.get("msg", "không hợp lệ")).removeprefix("Value error, ")
