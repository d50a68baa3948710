"""The open data portal module: portal pages and downloads, plus the CKAN Action API and DCAT feeds when
their modules are present."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.opendata import downloads, views

if TYPE_CHECKING:
    from fastapi import APIRouter


def _optional_routers(*names: str) -> list[APIRouter]:
    routers = []
    for name in names:
        if importlib.util.find_spec(name) is not None:
            routers.append(importlib.import_module(name).router)
    return routers


MODULE = Module(
    name="opendata",
    routers=[views.router, downloads.router,
             *_optional_routers("dieuhanh.opendata.ckan", "dieuhanh.opendata.dcat")],
    nav=[NavItem("Cổng dữ liệu mở", "/opendata", "public.read", section="Dữ liệu mở")],
    templates=Path(__file__).parent / "templates",
    csrf_exempt_prefixes=("/api/3/", "/api/action/"),
)
