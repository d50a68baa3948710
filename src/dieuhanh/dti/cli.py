"""`dieuhanh dti ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Chỉ số chuyển đổi số (DTI) và các chỉ số quản trị", no_args_is_help=True)
governance_app = typer.Typer(help="Chỉ số quản trị của tỉnh (DTI, PAR INDEX, SIPAS, PAPI, PCI, QĐ 766)",
                             no_args_is_help=True)
