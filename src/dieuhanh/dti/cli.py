"""`dieuhanh dti ...` and `dieuhanh governance ...` commands (imports inside the commands keep the CLI quick)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Chỉ số chuyển đổi số (DTI) và các chỉ số quản trị", no_args_is_help=True)
governance_app = typer.Typer(help="Chỉ số quản trị của tỉnh (DTI, PAR INDEX, SIPAS, PAPI, PCI, QĐ 766)",
                             no_args_is_help=True)


@app.command("check")
def check(framework: Annotated[Path, typer.Argument(help="Tệp khung đánh giá (YAML hoặc JSON)")]) -> None:
    """Kiểm tra một khung đánh giá (cấu trúc, quy tắc chấm, nguồn tự động) mà không lưu."""
    from dieuhanh.cli import _errors, _open_stores, _settings, fail
    from dieuhanh.dti import service

    if not framework.is_file():
        fail(f"Không tìm thấy tệp {framework}.")
    db, _wh = _open_stores(_settings())
    with _errors(), db.session() as session:
        parsed = service.check_framework(session, framework.read_text(encoding="utf-8"), origin=framework.name)
        subs = parsed.subs()
        typer.echo(f"✓ {parsed.code}: {len(parsed.pillars)} trụ cột, "
                   f"{sum(len(p.indices) for p in parsed.pillars)} chỉ số chính, {len(subs)} chỉ số thành phần "
                   f"({sum(s.automatic for s in subs)} tự động), tổng {parsed.total_points:g} điểm.")
        session.rollback()


@app.command("load")
def load(framework: Annotated[Path, typer.Argument(help="Tệp khung đánh giá (YAML hoặc JSON)")]) -> None:
    """Lưu (hoặc thay) một khung đánh giá."""
    from dieuhanh.cli import _errors, _open_stores, _settings, fail
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.dti import service

    if not framework.is_file():
        fail(f"Không tìm thấy tệp {framework}.")
    db, _wh = _open_stores(_settings())
    with _errors(), db.session() as session:
        row = service.define_framework(session, principal=SYSTEM, data=framework.read_text(encoding="utf-8"),
                                       origin=framework.name)
        typer.echo(f"✓ Đã lưu khung {row.code}.")


@governance_app.command("import")
def governance_import(
    file: Annotated[Path, typer.Argument(help="Bảng công bố: CSV, XLSX hoặc JSON (cột year, value, rank, ...)")],
    index: Annotated[str, typer.Option("--index", help="dti | par | sipas | papi | pci | qd766")],
    province: Annotated[str | None, typer.Option("--province", help="Mã tỉnh (mặc định: tỉnh cấu hình)")] = None,
) -> None:
    """Nhập giá trị, thứ hạng và chỉ số thành phần của một chỉ số quốc gia; cả tệp hoặc không dòng nào."""
    from dieuhanh.cli import _errors, _open_stores, _settings, fail
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.dti import governance

    if not file.is_file():
        fail(f"Không tìm thấy tệp {file}.")
    settings = _settings()
    db, _wh = _open_stores(settings)
    with _errors(), db.session() as session:
        rows = governance.import_file(session, principal=SYSTEM, name=file.name, content=file.read_bytes(),
                                      index=index.strip().lower(), province_code=province or settings.province_code)
        typer.echo(f"✓ Đã nhập {len(rows)} năm của chỉ số {index}: "
                   + ", ".join(str(r.year) for r in rows) + ".")
