"""The rules of trusted numbers (indicators/rules.py): partial periods as of now with a like-for-like base,
publication schedules and staleness, status that means the target; through the engine and the API."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from dieuhanh.catalog import service as catalog
from dieuhanh.catalog.schemas import ColumnIn, DatasetIn
from dieuhanh.core.security import SYSTEM
from dieuhanh.indicators import rules, service
from dieuhanh.indicators.models import IndicatorDefinition, IndicatorValue
from dieuhanh.indicators.schemas import parse_definition

# ------------------------------------------------------------------------------------------------ status


@pytest.mark.parametrize(("value", "target", "direction", "expected"), [
    (94.0, 94.0, "higher_better", "good"),  # at the target
    (96.0, 94.0, "higher_better", "good"),  # above
    (93.42, 94.0, "higher_better", "warning"),  # just below: "Gần đạt", never "Đạt" (BHYT 93,42 % vs 94 %)
    (80.0, 94.0, "higher_better", "critical"),  # beyond the band
    (5.0, 5.0, "lower_better", "good"),  # at the target
    (4.0, 5.0, "lower_better", "good"),  # below a lower-better target
    (5.3, 5.0, "lower_better", "warning"),  # just above
    (7.0, 5.0, "lower_better", "critical"),
    (50.0, None, "higher_better", "neutral"),  # no target that year: Theo dõi
    (None, 94.0, "higher_better", "nodata"),
])
def test_status_means_the_target_in_both_directions(value, target, direction, expected):
    thresholds = {"warning": 99, "critical": 90}  # the old meaning made 93,42/94 = 99,4 % "good"
    assert rules.status_for(value, target, direction, thresholds) == expected
    assert rules.STATUS_LABELS[expected] in ("Đạt", "Gần đạt", "Chưa đạt", "Theo dõi", "Chưa có số liệu")


def test_partial_period_is_neutral_unless_its_target_is_pro_rated():
    assert rules.status_for(10.0, 95.0, "higher_better", {}, partial=True) == "neutral"
    assert rules.status_for(50.0, 47.5, "higher_better", {}, partial=True, pro_rated=True) == "good"
    # A cumulative indicator's yearly target, pro-rated: half by the end of June, by elapsed days when partial.
    june = rules.target_for({"2026": 95}, unit="%", period="2026-06", level="province", cumulative=True)
    assert june.value == pytest.approx(47.5) and june.pro_rated
    as_of = datetime(2026, 7, 2, 5, 0)  # 2/7 12:00 local: July has not ended
    july = rules.target_for({"2026": 100}, unit="%", period="2026-07", level="province", cumulative=True,
                            as_of=as_of)
    assert july.value == pytest.approx((datetime(2026, 7, 2, 12) - datetime(2026, 1, 1)).days / 365 * 100, abs=0.2)
    # A count's provincial target does not apply to a commune; a rate's does.
    assert rules.target_for({"2026": 40}, unit="vụ", period="2026-06", level="commune").value is None
    assert rules.target_for({"2026": 95}, unit="%", period="2026-06", level="commune").value == 95


# ------------------------------------------------------------------------------------------------ schedules


def test_expected_period_and_stale_monthly_indicator():
    due_20th = {"months_after": 1, "day": 20}
    assert rules.expected_period("month", due_20th, date(2026, 12, 7)) == "2026-10"  # November due on 20/12
    assert rules.expected_period("month", due_20th, date(2026, 12, 20)) == "2026-11"
    stale = rules.freshness("month", due_20th, "2026-09", date(2026, 12, 7))
    assert stale.stale and stale.expected_period == "2026-10"
    assert not rules.freshness("month", due_20th, "2026-10", date(2026, 12, 7)).stale
    assert not rules.freshness("month", due_20th, "2026-12", date(2026, 12, 7)).stale  # partial, newest
    assert not rules.freshness("month", due_20th, None, date(2026, 12, 7)).stale  # no data is nodata, not stale


def test_expected_period_and_stale_yearly_indicator():
    # Yearly data due 31/3 of the next year (the default), or 30/6 for a slower survey.
    assert rules.expected_period("year", None, date(2026, 3, 30)) == "2024"
    assert rules.expected_period("year", None, date(2026, 3, 31)) == "2025"
    assert rules.freshness("year", None, "2024", date(2026, 12, 7)).stale
    assert not rules.freshness("year", None, "2025", date(2026, 12, 7)).stale
    late_survey = {"months_after": 6, "day": 30}
    assert rules.expected_period("year", late_survey, date(2026, 6, 29)) == "2024"
    assert not rules.freshness("year", late_survey, "2024", date(2026, 6, 29)).stale
    assert rules.Schedule(3, 31).due("2025") == date(2026, 3, 31)
    assert rules.Schedule(1, 31).due("2026-01") == date(2026, 2, 28)  # clamped to the month's last day


# ------------------------------------------------------------------------------------------------ engine

AS_OF = datetime(2026, 12, 7, 3, 0)  # 07/12/2026 10:00 in Hà Nội
DOSSIERS = [  # code, received, due, finished (local times)
    ("HS1", "2026-11-02 08:00", "2026-11-10 17:00", "2026-11-05 09:00"),  # on time, done before 7/11
    ("HS2", "2026-11-03 08:00", "2026-11-06 17:00", "2026-11-09 09:00"),  # late (already overdue on 7/11)
    ("HS3", "2026-11-04 08:00", "2026-11-25 17:00", "2026-11-20 09:00"),  # on time, still open on 7/11
    ("HS4", "2026-12-01 08:00", "2026-12-03 17:00", "2026-12-02 09:00"),  # on time
    ("HS5", "2026-12-01 09:00", "2026-12-05 17:00", ""),  # open and overdue on 7/12: late
    ("HS6", "2026-12-02 09:00", "2026-12-20 17:00", ""),  # open, due after 7/12: NOT late
]
# As of the instant in the `as_of` table: what had to be settled by then (finished, or due before then).
ON_TIME_SQL = """
SELECT strftime(nhan, '%Y-%m') AS period, CAST(NULL AS VARCHAR) AS unit_code,
       100.0 * sum(CASE WHEN xong IS NOT NULL AND xong <= a.as_of_time AND xong <= han THEN 1 ELSE 0 END)
             / count(*) AS value,
       sum(CASE WHEN xong IS NOT NULL AND xong <= a.as_of_time AND xong <= han THEN 1 ELSE 0 END) AS numerator,
       count(*) AS denominator
FROM ho_so_thu h CROSS JOIN as_of a
WHERE h.nhan <= a.as_of_time AND ((h.xong IS NOT NULL AND h.xong <= a.as_of_time) OR h.han < a.as_of_time)
GROUP BY 1
"""


def _load_dossiers(db, warehouse) -> None:
    from dieuhanh.ingest import service as ingest

    csv = "ma,nhan,han,xong\n" + "".join(f"{c},{r},{d},{f}\n" for c, r, d, f in DOSSIERS)
    with db.session() as session:
        catalog.create_dataset(session, principal=SYSTEM, dataset_in=DatasetIn(
            name="ho_so_thu", title="Hồ sơ thử", owner_agency="TTPVHCC", access="internal", schema=[
                ColumnIn(name="ma", type="string", required=True), ColumnIn(name="nhan", type="datetime"),
                ColumnIn(name="han", type="datetime"), ColumnIn(name="xong", type="datetime")]))
        ingest.load(session, warehouse, principal=SYSTEM, dataset_name="ho_so_thu", source=csv.encode(),
                    filename="hs.csv", province_code="37", max_bytes=1_000_000)
        item = parse_definition({
            "code": "ty_le_dung_han_thu", "name": "Tỷ lệ hồ sơ đúng hạn (thử)", "domain": "public_services",
            "unit": "%", "periodicity": "month", "direction": "higher_better", "public": True,
            "targets": {"2026": 95}, "publication": {"months_after": 1, "day": 5}, "sql": ON_TIME_SQL})
        session.add(IndicatorDefinition(code=item.code, origin="test", state="ok", **service._fields(item)))


def test_partial_month_counts_as_of_now_and_compares_like_for_like(db, warehouse, client):
    _load_dossiers(db, warehouse)
    with db.session() as session:
        summary = service.compute(session, warehouse, province_code="37", as_of=AS_OF)
        assert summary.errors == {}
        values = {v.period: v for v in session.scalars(select(IndicatorValue).where(
            IndicatorValue.code == "ty_le_dung_han_thu"))}
    december, november = values["2026-12"], values["2026-11"]
    # HS6 (due 20/12) is not late on 7/12: 1 on time of the 2 that had to be settled, not 1 of 3.
    assert december.partial and december.as_of == AS_OF
    assert (december.numerator, december.denominator) == (1, 2) and december.value == pytest.approx(50.0)
    assert december.status == "neutral"  # no target at face value for a month that has not ended
    # Like for like: November as of 07/11 10:00 (HS1 on time, HS2 overdue; HS3 still open and not yet due).
    assert december.base_period == "2026-11" and december.base_value == pytest.approx(50.0)
    # The ended month counts everything and is scored against its target.
    assert not november.partial and november.as_of is None and november.base_value is None
    assert november.value == pytest.approx(200 / 3) and november.status == "critical"

    # The API carries the same facts: partial + as_of on values; latest/expected period and staleness on the list.
    rows = {r["period"]: r for r in client.get("/api/v1/indicators/ty_le_dung_han_thu/values").json()}
    assert rows["2026-12"]["partial"] is True and rows["2026-12"]["as_of"].startswith("2026-12-07T10:00:00+07:00")
    assert rows["2026-11"]["partial"] is False and rows["2026-11"]["as_of"] is None
    assert rows["2026-11"]["status"] == "critical" and rows["2026-11"]["status_label"] == "Chưa đạt"
    listed = {d["code"]: d for d in client.get("/api/v1/indicators").json()}["ty_le_dung_han_thu"]
    assert listed["latest_period"] == "2026-12" and listed["latest"]["partial"] is True
    assert listed["as_of"].startswith("2026-12-07T10:00:00+07:00")
    today = rules.local_day(datetime.now().astimezone().replace(tzinfo=None))
    assert listed["expected_period"] == rules.expected_period("month", {"months_after": 1, "day": 5}, today)
    assert listed["stale"] is (listed["expected_period"] > "2026-12")
