"""In-memory grid of recent reports' positions for the bulk writer's duplicate search.

The duplicate rule (same category, within ``feedback_duplicate_distance_m``, created within
``feedback_duplicate_window_days``, the other report open and not merged) is evaluated per report of a batch;
asking the database once per report costs a query over every report of the category in the window. Instead each
database (engine) keeps a grid of ``(id, code, lat, lon, created_at)`` per category in cells about as large as the
distance, refreshed at the start of every batch with the reports whose id is above the highest one seen (so reports
written by any path — web form, demo, other processes — are seen). The grid only proposes candidates: their current
status and merge state are read from the database in one query per batch (status changes never need to touch the
grid), and positions, category and time are checked again on the grid entries. Entries older than the window are
dropped as batches go.

Limit: with several processes on PostgreSQL a report whose id was drawn before but committed after the last
refresh is missed by this grid (the duplicate flag is advisory; the officer can still merge by hand).
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from dieuhanh.feedback.models import OPEN_STATUSES, Report

Entry = tuple[int, str, float, float, datetime]  # id, code, lat, lon, created_at


@dataclass
class _Grid:
    cell: float  # degrees of latitude per cell
    window: timedelta
    last_id: int = 0
    cells: dict[tuple[str, int, int], list[Entry]] = field(default_factory=dict)
    oldest: datetime | None = None

    def key(self, category: str, lat: float, lon: float) -> tuple[str, int, int]:
        return category, math.floor(lat / self.cell), math.floor(lon / self.cell)

    def add(self, category: str, entry: Entry) -> None:
        self.cells.setdefault(self.key(category, entry[2], entry[3]), []).append(entry)
        self.last_id = max(self.last_id, entry[0])

    def near(self, category: str, lat: float, lon: float) -> list[Entry]:
        _, i, j = self.key(category, lat, lon)
        # a cell spans `cell` degrees of latitude and (at these latitudes) a bit more than the distance in longitude
        span = max(1, math.ceil(1 / max(0.01, math.cos(math.radians(lat)))))
        out: list[Entry] = []
        for di in (-1, 0, 1):
            for dj in range(-span, span + 1):
                out.extend(self.cells.get((category, i + di, j + dj), ()))
        return out

    def prune(self, since: datetime) -> None:
        for key in list(self.cells):
            kept = [e for e in self.cells[key] if e[4] >= since]
            if kept:
                self.cells[key] = kept
            else:
                del self.cells[key]
        self.oldest = since


_grids: weakref.WeakKeyDictionary[Engine, _Grid] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


class DuplicateIndex:
    """One batch's view of the grid (call :meth:`refresh` inside the batch's transaction)."""

    def __init__(self, session: Session, settings: Any, now: datetime):
        self.session = session
        self.now = now
        self.distance = float(getattr(settings, "feedback_duplicate_distance_m", 50.0))
        self.window = timedelta(days=int(getattr(settings, "feedback_duplicate_window_days", 7)))
        engine = session.get_bind().engine
        cell = max(self.distance, 1.0) / 111_320.0
        with _lock:
            grid = _grids.get(engine)
            if grid is None or grid.cell != cell or grid.window != self.window:
                grid = _grids[engine] = _Grid(cell=cell, window=self.window)
        self.grid = grid
        self.highest = 0  # the table's highest report id at the last refresh

    def refresh(self) -> None:
        since = self.now - self.window
        highest = self.highest = int(self.session.scalar(select(func.max(Report.id))) or 0)
        if highest < self.grid.last_id:  # the table was emptied or restored: start again
            self.grid.cells.clear()
            self.grid.last_id = 0
        query = select(Report.id, Report.code, Report.lat, Report.lon, Report.created_at, Report.category_code).where(
            Report.id > self.grid.last_id, Report.lat.is_not(None), Report.lon.is_not(None))
        if self.grid.last_id == 0:
            query = query.where(Report.created_at >= since)
        for rid, code, lat, lon, created_at, category in self.session.execute(query):
            self.grid.add(category, (rid, code, float(lat or 0.0), float(lon or 0.0), created_at))
        self.grid.last_id = max(self.grid.last_id, highest)
        if self.grid.oldest is None or since - self.grid.oldest > timedelta(hours=1):
            self.grid.prune(since)

    def candidates(self, category: str, lat: float, lon: float, distance_m: Any) -> list[tuple[float, int, str]]:
        """(distance, id, code) of grid entries of the category within the distance and window, nearest first."""
        since = self.now - self.window
        out = []
        for rid, code, olat, olon, created in self.grid.near(category, lat, lon):
            if since <= created <= self.now:
                d = distance_m(lat, lon, olat, olon)
                if d <= self.distance:
                    out.append((d, rid, code))
        out.sort(key=lambda c: (c[0], -c[1]))
        return out

    def still_open(self, codes: dict[int, str]) -> set[int]:
        """Which of these reports (id → code, as the grid knows them) are open and not merged now."""
        if not codes:
            return set()
        return {rid for rid, code in self.session.execute(select(Report.id, Report.code).where(
            Report.id.in_(codes), Report.status.in_(OPEN_STATUSES), Report.duplicate_of_id.is_(None)))
            if codes.get(rid) == code}
