"""`dieuhanh inspections ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Kế hoạch thanh tra, kiểm tra doanh nghiệp không chồng chéo", no_args_is_help=True)


@app.command("import")
def import_plan(file: Annotated[Path, typer.Argument(help="Tệp kế hoạch .xlsx theo mẫu")],
                agency: Annotated[str, typer.Option("--agency", help="Mã cơ quan lập kế hoạch, ví dụ SYT")],
                year: Annotated[int, typer.Option("--year", help="Năm kế hoạch, ví dụ 2027")]) -> None:
    """Nạp kế hoạch thanh tra, kiểm tra của một cơ quan từ tệp XLSX (thay kế hoạch cũ cùng năm; lỗi thì không
    lưu gì và liệt kê từng dòng, cột)."""
    from rich.console import Console

    from dieuhanh.cli import _errors, _open_stores, _settings, fail
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.inspections import service

    console = Console()
    if not file.is_file():
        fail(f"Không có tệp {file}.")
    settings = _settings()
    with _errors():
        rows = service.read_xlsx(file.read_bytes())
        db, warehouse = _open_stores(settings)
        with db.session() as session:
            plan = service.submit_plan(session, principal=SYSTEM, agency_code=agency, year=year, visits=rows,
                                       source="xlsx", province_code=settings.province_code, by_column=True,
                                       warehouse=warehouse)
            conflicts = service.find_conflicts(session, principal=SYSTEM, year=year)
            plan_id = plan.id
    console.print(f"[green]✓[/] Đã nạp {len(rows)} cuộc của {agency} năm {year} (kế hoạch số {plan_id}); "
                  f"kế hoạch chung năm {year} hiện có {len(conflicts)} xung đột.")
