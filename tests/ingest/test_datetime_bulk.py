"""Local ISO date-times (sensor feeds) convert in bulk; everything else still cell by cell, with the same checks."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from dieuhanh.ingest.convert import convert


def test_iso_local_datetimes_convert_in_bulk_and_bad_days_are_still_refused():
    values = ["2026-12-07 14:05", "2026-12-07T14:05:30", "07/12/2026 08:00", "2026-02-30 10:00", "", None,
              "2026-1x-07 14:05", "2026-12-07 25:00"]
    typed, errors = convert(pa.array(values), "datetime")
    assert typed.to_pylist()[:3] == [datetime(2026, 12, 7, 14, 5), datetime(2026, 12, 7, 14, 5, 30),
                                     datetime(2026, 12, 7, 8, 0)]
    assert typed.to_pylist()[3:] == [None] * 5
    # 30 February is not rolled over to 2 March: it is an error on its row, like every unreadable cell.
    assert [i for i, _ in errors] == [3, 6, 7]
    assert "2026-02-30 10:00" in errors[0][1]


def test_many_sensor_rows_need_no_per_cell_parsing():
    typed, errors = convert(pa.array(["2026-12-07 14:05"] * 50_000), "datetime")
    assert errors == [] and typed.null_count == 0
