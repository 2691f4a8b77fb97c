"""Builds the gateway: the one place where client, cache, loaders and schema are wired."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from strawberry.fastapi import GraphQLRouter

from gateway.cache import UpstreamCache
from gateway.codat import CodatClient
from gateway.codat.config import ClientConfig, RetryPolicy, Timeouts
from gateway.loaders import Loaders
from gateway.settings import Settings
from gateway.upstream import Upstream
from schema import build_schema
from schema.context import Context

log = logging.getLogger("gateway.app")


def client_config(settings: Settings) -> ClientConfig:
    if settings.codat_api_key is None:
        raise ValueError("no Codat API key: point the settings at Codat or the sandbox first")
    return ClientConfig(
        api_key=settings.codat_api_key.reveal(),
        base_url=settings.codat_base_url,
        timeout=Timeouts(
            connect=settings.codat_connect_timeout_seconds,
            read=settings.codat_timeout_seconds,
            write=settings.codat_timeout_seconds,
        ),
        retry=RetryPolicy(
            max_attempts=settings.codat_max_attempts,
            max_elapsed=settings.codat_retry_max_elapsed_seconds,
        ),
        max_concurrency_per_company=settings.codat_max_concurrency_per_company,
    )


def create_app(settings: Settings) -> FastAPI:
    """The ASGI app. Nothing talks to Codat until the lifespan has opened the client."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = CodatClient(client_config(settings))
        cache = UpstreamCache(
            ttl_seconds=settings.cache_ttl_seconds, max_entries=settings.cache_max_entries
        )
        app.state.upstream = Upstream(client, cache)
        try:
            yield
        finally:
            await client.aclose()

    async def context_getter(request: Request) -> Context:
        return Context(
            loaders=Loaders(request.app.state.upstream), max_page_size=settings.max_page_size
        )

    app = FastAPI(
        title="Payables GraphQL Gateway", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    graphql = GraphQLRouter(
        build_schema(),
        context_getter=context_getter,
        graphql_ide="graphiql" if settings.graphiql else None,
    )
    app.include_router(graphql, prefix="/graphql")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
