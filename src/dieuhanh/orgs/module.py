from pathlib import Path

from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.orgs import api, views

MODULE = Module(
    name="orgs",
    routers=[api.router, views.router],
    nav=[
        NavItem("Cơ quan, đơn vị", "/agencies", "public.read", section="Danh mục"),
        NavItem("Người dùng", "/admin/users", "user.manage", section="Quản trị"),
        NavItem("Mã truy cập API", "/admin/tokens", "token.manage", section="Quản trị"),
        NavItem("Nhật ký thay đổi", "/admin/audit", "audit.read", section="Quản trị"),
    ],
    templates=Path(__file__).parent / "templates",
)
