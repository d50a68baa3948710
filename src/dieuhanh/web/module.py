from dieuhanh.core.plugin import Module
from dieuhanh.web import views

MODULE = Module(
    name="web",
    routers=[views.router],
    # "Tổng quan" (the home page) is the dashboard's first menu item.
)
