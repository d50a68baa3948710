"""`dieuhanh documents ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Văn bản đến: đăng ký, trích xuất, phân công, theo dõi hạn", no_args_is_help=True)
