"""`dieuhanh events ...` commands (imports inside the commands keep the CLI quick to start)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Phòng điều hành: sự kiện, sự cố, camera, quy trình xử lý", no_args_is_help=True)


def _principal(agency: str | None):  # type: ignore[no-untyped-def]
    from dieuhanh.core.security import SYSTEM, Principal

    return SYSTEM if agency is None else Principal(kind="system", name=f"cli:{agency}", role="officer",
                                                   agency_code=agency)


@app.command("send")
def send(
    file: Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False,
                                         help="JSON: một sự kiện hoặc danh sách (như POST /api/v1/events)")],
    agency: Annotated[str | None, typer.Option(help="Gửi thay mặt cơ quan (mặc định: quyền quản trị)")] = None,
) -> None:
    """Gửi sự kiện từ tệp JSON (toàn bộ hoặc không sự kiện nào; trùng mã thì bỏ qua)."""
    from dieuhanh.cli import _errors, _open_stores, _settings, console, err, fail
    from dieuhanh.core.errors import DomainError
    from dieuhanh.operations import permissions, service  # noqa: F401  (permissions registers its rules)

    settings = _settings()
    with _errors():
        db, _wh = _open_stores(settings)
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            fail(f"{file.name} không phải JSON UTF-8 hợp lệ: {exc}")
        try:
            with db.session() as session:
                items, errors = service.parse_items(raw)
                result = service.push_events(session, principal=_principal(agency), items=items, errors=errors,
                                             province_code=settings.province_code)
        except DomainError as exc:
            for e in exc.errors[:30]:
                where = f"sự kiện thứ {e.index + 1}" if e.index is not None else ""
                err.print(f"  [red]•[/] {where} {e.field or ''}: {e.message}")
            fail(exc.message)
    console.print(f"[green]✓[/] Đã lưu {result.created} sự kiện, {result.duplicates} đã có từ trước.")


@app.command("cap")
def cap_message(
    file: Annotated[Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, help="Bản tin CAP 1.2 (XML)")],
) -> None:
    """Nhận một bản tin cảnh báo CAP 1.2 (Alert, Update, Cancel) từ tệp."""
    from dieuhanh.cli import _errors, _open_stores, _settings, console
    from dieuhanh.core.security import SYSTEM
    from dieuhanh.operations import cap, permissions  # noqa: F401

    settings = _settings()
    with _errors():
        db, _wh = _open_stores(settings)
        with db.session() as session:
            result = cap.receive(session, file.read_bytes(), principal=SYSTEM, province_code=settings.province_code)
    console.print(f"[green]✓[/] {result.msg_type} {result.identifier}: {result.created} sự kiện mới, "
                  f"{len(result.updated)} cập nhật, {len(result.cancelled)} hủy. {result.note}")


@app.command("check")
def check() -> None:
    """Chạy ngay việc định kỳ: leo thang sự cố quá hạn bước, nhắc lại thông báo, camera mất kết nối."""
    from dieuhanh.cli import _errors, _open_stores, _settings, console
    from dieuhanh.operations import devices, incidents, notices, permissions  # noqa: F401

    settings = _settings()
    with _errors():
        db, _wh = _open_stores(settings)
        with db.session() as session:
            escalated = incidents.escalate_due(session, province_code=settings.province_code)
            repeated = notices.repeat_unacknowledged(session, province_code=settings.province_code)
            offline = devices.check_offline(session, province_code=settings.province_code)
    console.print(f"[green]✓[/] Leo thang {escalated} sự cố, nhắc lại {repeated} thông báo, "
                  f"{offline} camera mất kết nối.")
