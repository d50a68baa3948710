from pathlib import Path

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.geo import api, views

MODULE = Module(
    name="geo",
    routers=[api.router, views.router],
    nav=[NavItem("Đơn vị hành chính", "/units", "public.read", section="Danh mục")],
    templates=Path(__file__).parent / "templates",
)
