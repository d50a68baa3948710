"""`dieuhanh forecast ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Dự báo: giao thông, chất thải rắn, khả năng đạt chỉ tiêu", no_args_is_help=True)
