"""Vietnamese display formats: dates dd/mm/yyyy, numbers 1.234,5."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def format_number(value: float | int | Decimal | None, decimals: int | None = None) -> str:
    """1234.5 -> '1.234,5'; integers keep no decimals unless asked."""
    if value is None:
        return "–"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1 if abs(float(value)) >= 100 else 2
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "–"
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def to_local(value: datetime) -> datetime:
    """Naive datetimes in the database are UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(LOCAL_TZ)


def today_local(now: datetime | None = None) -> date:
    """The day in Hà Nội at ``now`` (naive UTC; default: the current instant) — not the machine's own date, which
    on a server kept in UTC is still yesterday from 00:00 to 07:00 Hà Nội time."""
    return to_local(now or datetime.now(ZoneInfo("UTC"))).date()


def _plain_integer(column: str) -> bool:
    """Years and codes read wrong with thousands separators ("2.025", "13.285")."""
    name = column.lower()
    return (name in ("nam", "year", "id", "code", "ky") or name.startswith(("nam_", "ma_", "so_cccd", "so_dien_thoai"))
            or name.endswith(("_id", "_code", "_year")))


def format_cell(value: object, column: str = "") -> str:
    """A value in a data table: numbers in Vietnamese form, except years, codes and identifiers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, int | float | Decimal):
        if isinstance(value, int) and _plain_integer(column):
            return str(value)
        return format_number(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    return str(value)


def period_label(period: str | None, *, short: bool = False) -> str:
    """An indicator period for people: 2025-06 → "Tháng 06/2025" (short: "06/2025"), 2025-Q2 → "Quý 2/2025",
    2025 → "Năm 2025" (short: "năm 2025"); nothing → "–"."""
    if not period:
        return "–"
    if "-Q" in period:
        year, quarter = period.split("-Q", 1)
        return f"Quý {quarter}/{year}"
    if "-" in period:
        year, month = period.split("-", 1)
        return f"{month}/{year}" if short else f"Tháng {month}/{year}"
    return f"năm {period}" if short else f"Năm {period}"


def json_for_script(data: object) -> str:
    """JSON to embed in a page's <script> (no "</" that would close the element)."""
    import json

    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
