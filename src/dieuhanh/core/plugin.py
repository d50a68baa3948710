"""What a domain module exposes to the core (the one extension point; see modules.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter

    from dieuhanh.core.jobs import Scheduler


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    permission: str  # shown to principals allowed this action (core.security.allowed)
    section: str = "Điều hành"


@dataclass
class Module:
    name: str
    routers: list[APIRouter] = field(default_factory=list)
    nav: list[NavItem] = field(default_factory=list)
    templates: Path | None = None
    # demo(context) adds this module's demo data; run in list order by `dieuhanh demo`.
    demo: Callable[[Any], None] | None = None
    # Path prefixes whose unsafe requests do not use the session cookie (token or API-key callers only).
    csrf_exempt_prefixes: tuple[str, ...] = ()
    # indicators.yaml files this module contributes to the operating indicator set.
    indicators: tuple[Path, ...] = ()
    # body_limits(settings) -> {path prefix: max request bytes}: form bodies under these paths are refused (413)
    # above the limit before they are read whole (default: MAX_UPLOAD_MB); see web.deps.csrf_protect.
    body_limits: Callable[[Any], dict[str, int]] | None = None
    # jobs(scheduler) registers this module's scheduled jobs and background services (core.jobs).
    jobs: Callable[[Scheduler], None] | None = None
