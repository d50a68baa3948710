from dieuhanh.core.plugin import Module, NavItem
from dieuhanh.web import views

MODULE = Module(
    name="web",
    routers=[views.router],
    nav=[NavItem("Tổng quan", "/", "public.read", section="Điều hành")],
)
