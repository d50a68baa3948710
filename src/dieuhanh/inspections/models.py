"""Tables of the inspections domain."""

from __future__ import annotations

from dieuhanh.core.db import Base  # noqa: F401
