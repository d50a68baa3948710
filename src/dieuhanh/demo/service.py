"""The demo province: users in every role, then each module's demo generator (modules.py order)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dieuhanh.core import audit
from dieuhanh.core.db import Database
from dieuhanh.core.formatting import today_local
from dieuhanh.core.meta import get_meta, set_meta
from dieuhanh.core.security import SYSTEM, Principal
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.orgs import service as orgs_service
from dieuhanh.orgs.models import User
from dieuhanh.orgs.schemas import UserIn
from dieuhanh.settings import Settings

DEMO_META_KEY = "demo_loaded"

# One user per role; officers of a department and of a commune People's Committee.
DEMO_USERS: list[tuple[str, str, str | None, str]] = [
    ("admin", "admin", None, "Quản trị hệ thống (mẫu)"),
    ("lanhdao", "leader", None, "Lãnh đạo UBND tỉnh (mẫu)"),
    ("phantich", "analyst", None, "Chuyên viên phân tích dữ liệu (mẫu)"),
    ("canbo.syt", "officer", "SYT", "Cán bộ Sở Y tế (mẫu)"),
    ("canbo.phuly", "officer", "UBND13285", "Cán bộ UBND phường Phủ Lý (mẫu)"),
]


@dataclass
class DemoContext:
    session: Session
    warehouse: Warehouse
    settings: Settings
    rng: random.Random
    principal: Principal = SYSTEM
    credentials: list[tuple[str, str, str]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    # The day the demo province lives in (Hà Nội's, not the machine's): generators date their data relative to it
    # (never after it).
    today: date = field(default_factory=today_local)

    @property
    def now(self) -> datetime:
        """The demo's present as a naive-UTC instant: now when ``today`` is the real local day, else 17:00 (the end
        of the working day, Hà Nội time) of ``today`` — deterministic for a pinned day."""
        from dieuhanh.core.db import utcnow
        from dieuhanh.core.formatting import LOCAL_TZ, to_local

        real = utcnow()
        if to_local(real).date() == self.today:
            return real
        local = datetime.combine(self.today, time(17, 0), tzinfo=LOCAL_TZ)
        return local.astimezone(UTC).replace(tzinfo=None)


_demo_cache: dict[str, bool] = {}


def demo_loaded(db: Database) -> bool:
    """Whether the demo province is loaded (cached: it changes only through `dieuhanh demo`)."""
    if db.url not in _demo_cache:
        with db.session() as session:
            _demo_cache[db.url] = get_meta(session, DEMO_META_KEY) is not None
    return _demo_cache[db.url]


def run_demo(db: Database, warehouse: Warehouse, settings: Settings, *, seed: int = 2025,
             today: date | None = None, modules: Collection[str] | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> DemoContext:
    """Loads the demo province in one transaction of the operational database. ``modules`` (names) limits the
    run to those modules' demos, in the usual order and on the same random sequence (a module that comes first
    gets the same data as in a full run). ``progress(module_name, done, total)`` is called before each module's
    demo and once at the end (``done == total``)."""
    from dieuhanh.modules import MODULES

    with db.session() as session:
        ctx = DemoContext(session=session, warehouse=warehouse, settings=settings, rng=random.Random(seed),
                          today=today or today_local())
        existing = set(session.scalars(select(User.username)))
        for username, role, agency, full_name in DEMO_USERS:
            if username in existing:
                continue
            agency_code = agency if agency and _agency_exists(session, agency) else None
            if role == "officer" and agency_code is None:
                continue  # another province's demo has no such agency
            _user, password = orgs_service.create_user(
                session, principal=SYSTEM,
                user_in=UserIn(username=username, role=role, agency_code=agency_code, full_name=full_name),
            )
            ctx.credentials.append((username, role, password))
        steps = [m for m in MODULES if m.demo is not None and (modules is None or m.name in modules)]
        for done, module in enumerate(steps):
            if progress is not None:
                progress(module.name, done, len(steps))
            assert module.demo is not None
            module.demo(ctx)
        if progress is not None:
            progress("", len(steps), len(steps))
        set_meta(session, DEMO_META_KEY, str(seed))
        audit.record(session, actor=SYSTEM.actor, action="demo.load", entity_type="demo", after={"seed": seed})
    _demo_cache[db.url] = True
    return ctx


def _agency_exists(session: Session, code: str) -> bool:
    from dieuhanh.orgs.models import Agency

    return session.get(Agency, code) is not None


def reset_all(db: Database, warehouse: Warehouse) -> None:
    """Deletes every row of the operational database and every warehouse table (demo --reset)."""
    from dieuhanh.core.db import Base

    with db.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    for name in _warehouse_tables(warehouse):
        warehouse.drop_dataset(name)
    _demo_cache.pop(db.url, None)


def _warehouse_tables(warehouse: Warehouse) -> list[str]:
    if warehouse.kind == "duckdb":
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    else:
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    return [str(v) for v in warehouse.query(sql).column(0).to_pylist()]


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (largest remainder); demo generators."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out
