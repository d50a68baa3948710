"""create_app(settings): the FastAPI application with every module's routes, pages and static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from dieuhanh import __version__
from dieuhanh.core.db import Database, check_connection
from dieuhanh.core.errors import DomainError, InvalidInput, NotAuthenticated
from dieuhanh.core.warehouse import Warehouse, open_warehouse
from dieuhanh.geo import reference
from dieuhanh.orgs.service import LoginThrottle
from dieuhanh.settings import Settings
from dieuhanh.web.deps import csrf_protect
from dieuhanh.web.templating import WEB_DIR, make_templates, render

if TYPE_CHECKING:
    from dieuhanh.demo.loading import DemoLoader


class UnknownProvince(InvalidInput):
    pass


def province_or_fail(code: str) -> reference.Unit:
    province = reference.get_province(code)
    if province is None:
        raise UnknownProvince(
            f"Mã tỉnh '{code}' không có trong danh mục 34 tỉnh, thành phố sau ngày 01/07/2025 "
            "(ví dụ: 01 Hà Nội, 37 Ninh Bình, 79 TP. Hồ Chí Minh). Hãy sửa DIEUHANH_PROVINCE_CODE."
        )
    return province


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/open311/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def create_app(
    settings: Settings | None = None, *, database: Database | None = None, warehouse: Warehouse | None = None,
    loader: DemoLoader | None = None,
) -> FastAPI:
    """The web application. ``loader``: the demo province loading in the background (first `dieuhanh up`): until
    it ends, pages and the API answer 503 with its progress and the scheduled jobs wait."""
    from dieuhanh.modules import MODULES

    settings = settings or Settings()
    province = province_or_fail(settings.province_code)
    db = database or Database(settings.effective_database_url)
    check_connection(db.engine)
    wh = warehouse or open_warehouse(settings.effective_warehouse_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """The scheduler (pulls, MQTT subscriber, later indicators and alerts) lives as long as the app."""
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        scheduler = None
        if settings.scheduler_enabled:  # the real server (tests start apps without it)
            from dieuhanh.catalog.reconcile import reconcile

            def reconcile_stores() -> None:
                with db.session() as session:
                    reconcile(session, wh)

            if loader is not None:
                loader.after(reconcile_stores)  # never while the demo's own loads are in flight
            else:
                reconcile_stores()
        if settings.scheduler_enabled:
            from dieuhanh.core.jobs import Scheduler

            scheduler = Scheduler(db, warehouse=wh, settings=settings)
            jobs_of = scheduler

            def start_jobs() -> None:
                for module in MODULES:
                    if module.jobs:
                        module.jobs(jobs_of)  # some write (e.g. the indicator library), so not during the load
                jobs_of.start()

            if loader is not None:
                loader.after(start_jobs)  # jobs never see a half-loaded demo province, and never wait on it
            else:
                start_jobs()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown()

    app = FastAPI(
        title=f"dieuhanh — Trung tâm điều hành thông minh {province.name}",
        version=__version__,
        description="API của Trung tâm điều hành thông minh và kho dữ liệu dùng chung.",
        dependencies=[Depends(csrf_protect)],
        docs_url=None,  # /docs is served from the vendored Swagger UI (web/docs.py), never a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.warehouse = wh
    app.state.province = province
    app.state.nav = [item for m in MODULES for item in m.nav]
    app.state.csrf_exempt_prefixes = tuple(p for m in MODULES for p in m.csrf_exempt_prefixes) or ("/\x00",)
    app.state.body_limits = sorted(
        ((prefix, limit) for m in MODULES if m.body_limits for prefix, limit in m.body_limits(settings).items()),
        key=lambda item: -len(item[0]))
    app.state.templates = make_templates([m.templates for m in MODULES if m.templates])

    def is_demo() -> bool:
        from dieuhanh.demo.service import demo_loaded

        return demo_loaded(db)

    app.state.is_demo = is_demo
    app.state.login_throttle = LoginThrottle(settings.login_max_failures, settings.login_lockout_seconds)

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.effective_secret_key,
        session_cookie="dieuhanh_session",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        # Secure cookies behind HTTPS: set explicitly, or implied by an https PUBLIC_BASE_URL.
        https_only=settings.secure_cookies or (settings.public_base_url or "").lower().startswith("https://"),
    )
    from dieuhanh.web.security_headers import SecurityHeaders

    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.state.demo_loader = loader
    if loader is not None:
        from dieuhanh.demo.loading import LoadingGate

        app.add_middleware(LoadingGate, loader=loader)

    @app.get("/healthz", tags=["hệ thống"], summary="Kiểm tra hệ thống đang hoạt động")
    def healthz() -> dict[str, Any]:
        check_connection(db.engine)
        return {
            "status": "ok",
            "database": "postgresql" if db.kind == "postgresql" else "sqlite",
            "warehouse": wh.kind,
            "version": __version__,
            "province": province.code,
            **({"demo": loader.status()} if loader is not None and loader.state != "idle" else {}),
        }

    for module in MODULES:
        for router in module.routers:
            app.include_router(router)
    from dieuhanh.web import docs

    docs.install(app)
    from dieuhanh.web.params import bound_parameters

    bound_parameters(app)  # ids, pages and strings bounded as the stores accept (issue 17)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if wants_json(request):
            body: dict[str, Any] = {"detail": exc.message}
            if exc.errors:
                body["errors"] = [e.as_dict() for e in exc.errors]
                body["error_count"] = len(exc.errors)
            headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
            return JSONResponse(body, status_code=exc.status_code, headers=headers)
        if isinstance(exc, NotAuthenticated) and request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return render(request, "web/error.html", {"message": exc.message, "status": exc.status_code},
                      status_code=exc.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "Không tìm thấy trang hoặc tài nguyên yêu cầu.", 405: "Phương thức không được hỗ trợ."}
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code not in messages else messages.get(
            exc.status_code, str(exc.detail)
        )
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=exc.status_code, headers=exc.headers)
        return render(request, "web/error.html", {"message": message, "status": exc.status_code},
                      status_code=exc.status_code)

    @app.exception_handler(OSError)
    async def os_error(request: Request, exc: OSError) -> Response:
        """A full disk (or quota) is said plainly, as a page or JSON; other OS errors stay server errors."""
        import errno

        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise exc
        message = ("Máy chủ hết dung lượng đĩa: thao tác không thực hiện được và không có gì bị ghi dở. "
                   "Hãy báo quản trị hệ thống giải phóng dung lượng rồi thử lại.")
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=507)
        return render(request, "web/error.html", {"message": message, "status": 507}, status_code=507)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        """Last guard (the parameters are bounded, see web/params.py): a value the database cannot hold
        (an integer beyond 64 bits in a body, a NUL character for PostgreSQL) is the caller's error, not ours."""
        message = "Dữ liệu gửi lên không hợp lệ: có giá trị vượt giới hạn hoặc ký tự mà cơ sở dữ liệu không lưu được."
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=422)
        return render(request, "web/error.html", {"message": message, "status": 422}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        """Last guard: a reference to a row that does not exist, or a duplicate a service did not check first,
        is refused as a conflict (409), not a server error; the transaction was rolled back."""
        message = ("Dữ liệu gửi lên không hợp lệ: tham chiếu tới mục không tồn tại hoặc trùng với mục đã có "
                   "(kiểm tra các mã cơ quan, mã đơn vị, mã định danh).")
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=409)
        return render(request, "web/error.html", {"message": message, "status": 409}, status_code=409)

    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)  # a body a route validates itself (e.g. read as raw JSON)
    async def validation_error(request: Request, exc: RequestValidationError | ValidationError) -> Response:
        from dieuhanh.web.params import vi_message

        errors = []
        raw = exc.errors(include_url=False) if isinstance(exc, ValidationError) else exc.errors()
        for err in raw:
            loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "form")]
            errors.append({"field": ".".join(loc), "message": vi_message(dict(err))})
        detail = "Dữ liệu gửi lên không hợp lệ: " + "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
        )
        if wants_json(request):
            return JSONResponse({"detail": detail, "errors": errors, "error_count": len(errors)}, status_code=422)
        return render(request, "web/error.html", {"message": detail, "status": 422}, status_code=422)
