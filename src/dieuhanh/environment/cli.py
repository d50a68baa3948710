"""`dieuhanh environment ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Quan trắc môi trường: trạm, VN_AQI, vượt QCVN", no_args_is_help=True)


@app.command("import")
def import_file(file: Annotated[Path, typer.Argument(help="Tệp CSV hoặc JSON số liệu trung bình 1 giờ")]) -> None:
    """Nạp số liệu quan trắc từ tệp (toàn bộ hoặc không dòng nào).

    CSV có tiêu đề station,parameter,value,unit,observed_at[,averaging] (dấu phẩy, UTF-8); JSON là mảng bản ghi
    như API POST /api/v1/environment/observations. observed_at là cuối giờ đo, giờ Việt Nam."""
    from rich.console import Console

    from dieuhanh.cli import _errors, _open_stores, _settings, fail
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.environment import service

    if not file.is_file():
        fail(f"Không có tệp {file}.")
    with _errors():
        items = service.read_file(file.name, file.read_bytes())
        db, _ = _open_stores(_settings())
        with db.session() as session:
            result = service.push_observations(session, principal=SYSTEM, items=items)
    Console().print(f"[green]✓[/] {result.created} bản ghi mới, {result.updated} bản ghi sửa, {result.duplicates} "
                    f"bản ghi trùng, {result.flagged} bản ghi nghi ngờ (giữ lại, không dùng tính AQI).")


@app.command("aqi")
def show_aqi(station: Annotated[str, typer.Option(help="Mã trạm")],
             kind: Annotated[str, typer.Option(help="hourly hoặc daily")] = "daily",
             days: Annotated[int, typer.Option(help="Số ngày gần nhất")] = 7) -> None:
    """In VN_AQI giờ hoặc ngày của một trạm."""
    from datetime import timedelta

    from rich.console import Console
    from rich.table import Table

    from dieuhanh.cli import _errors, _open_stores, _settings, fail
    from dieuhanh.environment import service

    if kind not in ("hourly", "daily"):
        fail("--kind phải là hourly hoặc daily.")
    with _errors():
        db, _ = _open_stores(_settings())
        with db.session() as session:
            st = service.get_station(session, station)
            now = service.local_now().replace(minute=0, second=0, microsecond=0)
            rows = (service.hourly(session, [st], now - timedelta(days=days), now) if kind == "hourly"
                    else service.daily(session, [st], now.date() - timedelta(days=days), now.date()))
    table = Table("Thời điểm", "VN_AQI", "Mức", "Thông số chính", "Chỉ số từng thông số", title=st.name)
    for r in rows:
        subs = ", ".join(f"{p} {v}" for p, v in r["sub_indices"].items())
        table.add_row(r["time"], "–" if r["aqi"] is None else str(r["aqi"]), r["category"] or "–",
                      r["dominant"] or "–", subs)
    Console().print(table)


@app.command("publish")
def publish(days: Annotated[int, typer.Option(help="Số ngày tính lại (đến hôm qua)")] = 365) -> None:
    """Tính lại các bộ dữ liệu mở VN_AQI ngày (vn_aqi_ngay) và giờ (vn_aqi_gio) từ số đo của các trạm."""
    from datetime import timedelta

    from rich.console import Console

    from dieuhanh.cli import _errors, _open_stores, _settings
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.environment import opendata, service

    settings = _settings()
    with _errors():
        db, warehouse = _open_stores(settings)
        with db.session() as session:
            last = service.local_now().date() - timedelta(days=1)
            counts = opendata.publish(session, warehouse, principal=SYSTEM, first=last - timedelta(days=days - 1),
                                      last=last, province_code=settings.province_code,
                                      max_bytes=settings.max_upload_mb * 1024 * 1024)
    Console().print(f"[green]✓[/] Đã tính lại: {counts}")
