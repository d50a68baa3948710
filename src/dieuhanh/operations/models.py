"""Tables of the operations domain."""

from __future__ import annotations

from dieuhanh.core.db import Base  # noqa: F401
