"""`dieuhanh inspections ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Kế hoạch thanh tra, kiểm tra doanh nghiệp không chồng chéo", no_args_is_help=True)
