"""`dieuhanh environment ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Quan trắc môi trường: trạm, VN_AQI, vượt QCVN", no_args_is_help=True)
