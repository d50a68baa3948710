from __future__ import annotations

from pathlib import Path

from dieuhanh.core.plugin import Module

MODULE = Module(
    name="reporting",
    templates=Path(__file__).parent / "templates",
)
