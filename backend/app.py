"""The FastAPI application: routers of every domain, error mapping, static assets, background reaper."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response

from backend import __version__
from backend.core.config import get_settings
from backend.core.csrf import CSRFMiddleware
from backend.core.db import session_scope
from backend.core.errors import DomainError, NotAuthenticated
from backend.core.limits import BodyLimitMiddleware
from backend.core.templates import FRONTEND, render
from backend.data.ingestion import IngestionLane

log = logging.getLogger(__name__)

ROUTERS = [
    "backend.auth.routes",
    "backend.auth.views",
    "backend.orgs.routes",
    "backend.projects.routes",
    "backend.projects.views",
    "backend.jobs.routes",
    "backend.jobs.views",
]


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: object = None


class ErrorBody(BaseModel):
    """The one shape of every /api error (written by error_response)."""

    error: ErrorDetail


# Errors any /api operation can answer, declared once for the schema; a route that answers differently
# (the Edge Impulse-compatible ingestion) declares its own, which take precedence.
API_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "The request body could not be read"},
    401: {"model": ErrorBody, "description": "Not signed in, or a missing, unknown or revoked API key"},
    403: {"model": ErrorBody, "description": "The role does not allow this"},
    404: {"model": ErrorBody, "description": "No such project or row (or not visible to you)"},
    422: {"model": ErrorBody, "description": "Invalid input; details name the field"},
}


def _is_out_of_range(exc: Exception) -> bool:
    if isinstance(exc, OverflowError):
        return "SQLite INTEGER" in str(exc)
    return isinstance(exc, DataError) and getattr(exc.orig, "sqlstate", None) == "22003"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", "")


def error_response(
    request: Request, status: int, code: str, message: str, details: object = None
) -> Response:
    if _wants_json(request) or request.headers.get("hx-request"):
        if request.headers.get("hx-request") and not request.url.path.startswith("/api"):
            return render(request, "_error_inline.html", {"message": message}, status_code=status)
        return JSONResponse(
            {"error": {"code": code, "message": message, "details": details}}, status_code=status
        )
    if status == 401:
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


async def _reaper(interval: float) -> None:
    from backend.jobs.service import reap_stale

    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(_reap_once, reap_stale)
        except Exception:
            log.exception("job reaper failed")


def _reap_once(reap_stale) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as s:
        reap_stale(s)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    task = asyncio.create_task(_reaper(settings.reaper_interval_s))
    try:
        yield
    finally:
        task.cancel()


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        title="Moteforge",
        version=__version__,
        description="TinyML studio API: projects, data, impulses, training, deployment and jobs.",
        lifespan=lifespan,
        responses=API_ERRORS,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(CSRFMiddleware, secure=settings.secure_cookies)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(IngestionLane)  # outermost: device uploads skip the browser middleware
    app.mount("/static", StaticFiles(directory=str(FRONTEND / "static")), name="static")

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, NotAuthenticated) and not _wants_json(request):
            return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
        return error_response(request, exc.status_code, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "", "message": "invalid request"}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return error_response(request, 422, "validation_error", message, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        return error_response(request, exc.status_code, code, str(exc.detail))

    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # An id or offset past the database's integer range names nothing: SQLite's driver cannot bind it
        # (OverflowError) and PostgreSQL refuses it (SQLSTATE 22003). The client's error, not a 500.
        if not _is_out_of_range(exc):
            raise exc
        return error_response(request, 422, "validation_error", "A number in the request is out of range.")

    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)

    import importlib

    for module in ROUTERS + list(_extra_routers()):
        app.include_router(importlib.import_module(module).router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app


def _extra_routers() -> list[str]:
    """Routers of domains that register themselves (kept in one list in backend.domains)."""
    from backend.domains import DOMAIN_ROUTERS

    return DOMAIN_ROUTERS
