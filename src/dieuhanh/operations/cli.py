"""`dieuhanh events ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Phòng điều hành: sự kiện, sự cố, camera, quy trình xử lý", no_args_is_help=True)
