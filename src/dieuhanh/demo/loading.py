"""Loading the demo province in the background on the first start (`dieuhanh up`), so that the server answers
at once: until the load ends, every page answers 503 with its progress (nothing half-loaded is ever shown), the
API answers 503 with ``Retry-After``, ``/healthz`` says how far it is, and the scheduled jobs wait for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any

from dieuhanh.core.db import Database
from dieuhanh.core.warehouse import Warehouse
from dieuhanh.settings import Settings

# What each module's demo loads, as the progress page names it.
STEP_LABELS = {
    "dashboard": "bảng điều hành", "catalog": "kho dữ liệu dùng chung", "publicservices": "hồ sơ thủ tục hành chính",
    "feedback": "phản ánh hiện trường", "reporting": "báo cáo định kỳ", "operations": "phòng điều hành",
    "environment": "quan trắc môi trường", "documents": "văn bản đến", "inspections": "kế hoạch thanh tra, kiểm tra",
    "alerts": "cảnh báo, chỉ đạo", "indicators": "bộ chỉ số điều hành", "forecasting": "dự báo",
    "dti": "chỉ số chuyển đổi số",
}


@dataclass
class DemoLoader:
    """Runs `run_demo` in a thread and reports its progress (thread-safe reads of plain attributes)."""

    state: str = "idle"  # idle | loading | done | failed
    step: str = ""
    done: int = 0
    total: int = 0
    started: float = 0.0
    finished: float = 0.0
    error: str = ""
    _callbacks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self.state == "loading"

    def start(self, db: Database, warehouse: Warehouse, settings: Settings, *,
              on_success: Callable[[Any], None] | None = None, **demo_kwargs: Any) -> None:
        """Start loading; ``on_success(ctx)`` runs in the loading thread after a successful load."""
        from dieuhanh.demo.service import run_demo

        self.state, self.started = "loading", time.monotonic()

        def progress(name: str, done: int, total: int) -> None:
            self.step, self.done, self.total = STEP_LABELS.get(name, name), done, total

        def work() -> None:
            try:
                ctx = run_demo(db, warehouse, settings, progress=progress, **demo_kwargs)
                if on_success is not None:
                    on_success(ctx)
            except Exception as exc:  # noqa: BLE001 - shown on every page and in /healthz, and logged
                import logging

                logging.getLogger(__name__).exception("demo load failed")
                self.error = f"{type(exc).__name__}: {exc}"[:500]
                self.state = "failed"
            else:
                self.state = "done"
            finally:
                self.finished = time.monotonic()
                self._run_callbacks()

        self._thread = threading.Thread(target=work, name="demo-loader", daemon=True)
        self._thread.start()

    def after(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the load has ended (at once if it is not loading)."""
        with self._lock:
            if self.busy:
                self._callbacks.append(callback)
                return
        callback()

    def _run_callbacks(self) -> None:
        with self._lock:
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.busy

    def status(self) -> dict[str, Any]:
        elapsed = (self.finished or time.monotonic()) - self.started if self.started else 0.0
        return {"state": self.state, "step": self.step, "done": self.done, "total": self.total,
                "percent": round(100 * self.done / self.total) if self.total else 0,
                "seconds": round(elapsed, 1), **({"error": self.error} if self.error else {})}

    def message(self) -> str:
        if self.state == "failed":
            return ("Nạp dữ liệu tỉnh mẫu không thành công: " + self.error + ". Chạy lại `dieuhanh demo --reset` "
                    "rồi khởi động lại.")
        step = f" — đang nạp {self.step}" if self.step else ""
        return f"Đang nạp dữ liệu tỉnh mẫu lần đầu ({self.status()['percent']} %{step}). Vui lòng chờ trong giây lát."


PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{refresh}"><title>Đang khởi động — Trung tâm điều hành</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:15vh auto;padding:0 1rem;color:#1f2937}}
progress{{width:100%;height:1.2rem}}</style></head>
<body><h1>Trung tâm điều hành đang khởi động</h1>
<p data-testid="loading-message">{message}</p>
<progress max="100" value="{percent}">{percent} %</progress>
<p>Trang tự tải lại sau {refresh} giây. Dữ liệu tỉnh mẫu là DỮ LIỆU MẪU, không phải số liệu chính thức.</p>
</body></html>"""


class LoadingGate:
    """ASGI middleware: while the demo loads, answer 503 everywhere but ``/healthz`` and ``/static``."""

    def __init__(self, app: Any, loader: DemoLoader) -> None:
        self.app, self.loader = app, loader

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.loader.state not in ("loading", "failed"):
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == "/healthz" or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        import json

        message = self.loader.message()
        if path.startswith(("/api/", "/open311/")):
            body = json.dumps({"detail": message, "demo": self.loader.status()}, ensure_ascii=False).encode()
            content_type = b"application/json"
        else:
            body = PAGE.format(refresh=3, message=escape(message), percent=self.loader.status()["percent"]).encode()
            content_type = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
            (b"retry-after", b"5"), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})
