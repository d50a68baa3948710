from pathlib import Path

from dieuhanh.catalog import api, views
from dieuhanh.core.plugin import Module, NavItem


def _demo(ctx: object) -> None:
    from dieuhanh.catalog.demo import generate

    generate(ctx)  # type: ignore[arg-type]


MODULE = Module(
    name="catalog",
    routers=[api.router, views.router],
    nav=[
        NavItem("Kho dữ liệu", "/datasets", "officials.read", section="Dữ liệu"),
        NavItem("Chất lượng, cập nhật", "/data-quality", "officials.read", section="Dữ liệu"),
        NavItem("Truy vấn SQL", "/query", "query.run", section="Dữ liệu"),
    ],
    templates=Path(__file__).parent / "templates",
    demo=_demo,
)
