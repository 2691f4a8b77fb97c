"""create_app(config): wires the store, middleware, routes, error handlers and background tasks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sandbox import knobs, routes_companies, routes_data, routes_push
from sandbox.config import SandboxConfig
from sandbox.errors import CodatError, error_response
from sandbox.middleware import SandboxMiddleware
from sandbox.runtime import Sandbox


def create_app(config: SandboxConfig) -> FastAPI:
    """A fresh sandbox app for `config`; nothing is shared between apps."""
    sandbox = Sandbox.build(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await sandbox.dispatcher.start()
        try:
            yield
        finally:
            await sandbox.timers.shutdown()
            await sandbox.dispatcher.stop()

    app = FastAPI(
        title="Codat Sync for Payables sandbox",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sandbox = sandbox
    app.include_router(knobs.router)
    app.include_router(routes_companies.router)
    app.include_router(routes_data.router)
    app.include_router(routes_push.router)

    @app.exception_handler(CodatError)
    async def codat_error(request: Request, exc: CodatError) -> Response:
        return exc.response()

    @app.exception_handler(knobs.KnobError)
    async def knob_error(request: Request, exc: knobs.KnobError) -> Response:
        return exc.response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(404, f"The path {request.url.path} was not found.")
        if exc.status_code == 405:
            return error_response(405, f"The method {request.method} is not allowed here.")
        return error_response(exc.status_code, str(exc.detail))

    app.add_middleware(SandboxMiddleware, sandbox=sandbox)
    return app
