"""Scheduled work of the citizen reports (registered through ``Module.jobs``): the warehouse snapshot that the
indicators and the overdue alert read, every five minutes."""

from __future__ import annotations

from dieuhanh.core.jobs import Scheduler
from dieuhanh.feedback.snapshot import register_jobs


def register(scheduler: Scheduler) -> None:
    register_jobs(scheduler)
