"""The documents module: what it adds to the application (see core/plugin.py)."""

from __future__ import annotations

from pathlib import Path

from dieuhanh.core.plugin import Module

HERE = Path(__file__).parent

MODULE = Module(
    name="documents",
    templates=HERE / "templates",
)
