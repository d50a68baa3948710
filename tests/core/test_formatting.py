from datetime import UTC, date, datetime

from dieuhanh.core.formatting import format_date, format_datetime, format_number


def test_numbers_use_vietnamese_separators():
    assert format_number(1234.5, 1) == "1.234,5"
    assert format_number(3818700) == "3.818.700"
    assert format_number(99.21, 2) == "99,21"
    assert format_number(None) == "–"


def test_dates_are_day_month_year():
    assert format_date(date(2025, 7, 1)) == "01/07/2025"


def test_datetimes_are_shown_in_vietnam_time():
    # 17:30 UTC is 00:30 the next day in Asia/Ho_Chi_Minh (UTC+7).
    assert format_datetime(datetime(2025, 6, 30, 17, 30, tzinfo=UTC)) == "01/07/2025 00:30"
    assert format_date(datetime(2025, 6, 30, 17, 30)) == "01/07/2025"


def test_data_table_cells_keep_years_and_codes_plain():
    from dieuhanh.core.formatting import format_cell

    assert format_cell(2025, "nam") == "2025"
    assert format_cell(13285, "ma_xa") == "13285"
    assert format_cell(55656, "dan_so") == "55.656"
    assert format_cell(26977, "dan_so_nam") == "26.977"  # "nam" here is "male", not "year"
    assert format_cell(4700.7, "mat_do_dan_so") == "4.700,7"
    assert format_cell(date(2024, 12, 31), "ngay") == "31/12/2024"
    assert format_cell(None, "x") == "" and format_cell(True, "dat_chuan") == "có"


def test_today_is_hanois_day_not_the_machines() -> None:
    """The demo province lives in Hà Nội's day: from 17:00 UTC it is already the next day there (a server kept
    in UTC would otherwise pin the demo to 17:00 of the day before, hours in the past)."""
    from datetime import date, datetime, timedelta

    from dieuhanh.core.db import utcnow
    from dieuhanh.core.formatting import today_local
    from dieuhanh.demo.service import DemoContext

    assert today_local(datetime(2026, 12, 7, 16, 59)) == date(2026, 12, 7)
    assert today_local(datetime(2026, 12, 7, 17, 0)) == date(2026, 12, 8)
    ctx = DemoContext(session=None, warehouse=None, settings=None, rng=None)  # type: ignore[arg-type]
    assert ctx.today == today_local()
    assert abs(ctx.now - utcnow()) < timedelta(minutes=1)  # the demo's present is now, at any hour
