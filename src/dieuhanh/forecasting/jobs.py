"""Scheduled work of forecasting: traffic forecasts (and the day's anomalies) refreshed as observations arrive."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dieuhanh.core.jobs import Scheduler

TRAFFIC_JOB_ID = "forecasting.traffic_refresh"


def register(scheduler: Scheduler) -> None:
    def refresh_traffic() -> int:
        from dieuhanh.alerts import service as alerts
        from dieuhanh.core.security import SYSTEM
        from dieuhanh.forecasting import alerting, traffic

        with scheduler.database.session() as session:
            run = traffic.refresh(session, scheduler.warehouse, principal=SYSTEM)
            if run.outcome == "ok":
                alerts.evaluate_sources(session, names=[alerting.SOURCE_NAME])
            # The day's anomalies of the new data version, computed here rather than by the next page view.
            traffic.anomalies(scheduler.warehouse, session=session)
            return run.links

    # Every 5 minutes (the detectors' step); a run without a new observation stops after one query.
    scheduler.add(TRAFFIC_JOB_ID, refresh_traffic, seconds=300, name="Dự báo giao thông 15/30/60 phút")
