"""Scheduled work of forecasting: traffic forecasts refreshed as observations arrive; the pages' kept inputs
computed as soon as their data changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

TRAFFIC_JOB_ID = "forecasting.traffic_refresh"
KEEP_JOB_ID = "forecasting.keep_current"
KEEP_SECONDS = 60


def register(scheduler: Scheduler) -> None:
    def refresh_traffic() -> int:
        from dieuhanh.alerts import service as alerts
        from dieuhanh.core.security import SYSTEM
        from dieuhanh.forecasting import alerting, traffic

        with scheduler.database.session() as session:
            run = traffic.refresh(session, scheduler.warehouse, principal=SYSTEM)
            if run.outcome == "ok":
                alerts.evaluate_sources(session, names=[alerting.SOURCE_NAME])
            return run.links

    # Every 5 minutes (the detectors' step); a run without a new observation stops after one query.
    scheduler.add(TRAFFIC_JOB_ID, refresh_traffic, seconds=300, name="Dự báo giao thông 15/30/60 phút")

    def keep_current() -> None:
        """The pages' kept inputs (links, the day's anomalies, the waste model's base year) computed here when
        their data changed or they near the end of their TTL, rather than by the next page view."""
        from dieuhanh.core.errors import DomainError
        from dieuhanh.forecasting import cache, traffic, waste

        age = cache.TTL_SECONDS - 3 * KEEP_SECONDS
        with scheduler.database.session() as session:
            traffic.load_links(scheduler.warehouse, session, max_age=age)
            traffic.anomalies(scheduler.warehouse, session=session, max_age=age)
            try:
                waste.kept_base(scheduler.warehouse, province_code=scheduler.settings.province_code,
                                session=session, max_age=age)
            except DomainError:
                pass  # no population data yet: the page says so

    scheduler.add(KEEP_JOB_ID, keep_current, seconds=KEEP_SECONDS, record=False)
