"""Builds the gateway: the one place where client, cache, loaders and schema are wired."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.requests import HTTPConnection
from fastapi.responses import JSONResponse
from opentelemetry.sdk.trace import TracerProvider
from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from starlette.middleware.gzip import GZipMiddleware

from gateway.codat import CodatClient
from gateway.codat.config import ClientConfig, RetryPolicy, Timeouts, WalkLimits
from gateway.edge.auth import Authenticator, JwksSource, JwtConfig, parse_api_keys
from gateway.edge.correlation import RequestIdMiddleware
from gateway.edge.error_shape import GraphQLErrorShape
from gateway.edge.guard import AdminAccess, GraphQLGuard, GuardConfig
from gateway.edge.http import GatewayGraphQLRouter
from gateway.edge.observability import OperationObserver, UpstreamObserver
from gateway.edge.persisted import PersistedMode, PersistedQueries, load_allowlist
from gateway.edge.ratelimit import RateLimitConfig, RateLimits
from gateway.edge.responses import GraphQLFront
from gateway.edge.static import GraphiQLAssets, examples_router, graphiql_router
from gateway.edge.uploads import UploadGuard
from gateway.events.bus import EventBus, LocalBus, RedisBus
from gateway.events.invalidation import CacheInvalidator
from gateway.events.store import (
    FailClosedStore,
    FallbackStore,
    KeyValueStore,
    MemoryStore,
    RedisStore,
)
from gateway.events.webhooks import WebhookConfig, WebhookReceiver
from gateway.events.webhooks import router as webhooks_router
from gateway.ops.bounds import Bound
from gateway.ops.looplag import LoopLagMonitor
from gateway.ops.metrics import CONTENT_TYPE, Metrics, Sources
from gateway.ops.readiness import UpstreamProbe
from gateway.ops.tracing import gateway_tracer, tracer_provider
from gateway.reads.cache import ResponseCache, UpstreamCache
from gateway.reads.loaders import Loaders
from gateway.reads.upstream import Upstream
from gateway.settings import Settings
from gateway.tenancy import ANONYMOUS, NOBODY, Principal
from gateway.writes.executor import Writes
from gateway.writes.idempotency import IdempotentWrites
from gateway.writes.pending import PendingPayments
from gateway.writes.pushwatch import PushTracker
from gateway.writes.refresh import RefreshQueue
from schema import Limits, build_schema
from schema.context import Context
from schema.deadline import OperationDeadline

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
        walks=WalkLimits(
            max_pages=settings.codat_max_pages_per_list,
            deadline_seconds=settings.codat_walk_deadline_seconds,
        ),
    )


def redis_client(url: str) -> Redis:
    """One Redis client per app; fails fast (no client-side retries) so degrading is quick."""
    return Redis.from_url(
        url,
        socket_connect_timeout=1.0,
        socket_timeout=5.0,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=10,
    )


def webhook_config(settings: Settings) -> WebhookConfig:
    secret, legacy = settings.webhook_secret, settings.webhook_legacy_authorization
    return WebhookConfig(
        secret=None if secret is None else secret.reveal(),
        legacy_authorization=None if legacy is None else legacy.reveal(),
        max_body_bytes=settings.webhook_max_body_bytes,
        dedupe_seconds=settings.webhook_dedupe_seconds,
    )


def authenticator(settings: Settings) -> Authenticator:
    """Who may call /graphql: the static API keys and the JWT settings."""
    jwt = None
    if settings.jwt_algorithms:
        secret = settings.jwt_secret
        jwt = JwtConfig(
            algorithms=settings.jwt_algorithms,
            secret=None if secret is None else secret.reveal(),
            jwks=None
            if settings.jwks is None
            else JwksSource(settings.jwks, ttl_seconds=settings.jwks_cache_seconds),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            companies_claim=settings.jwt_companies_claim,
            leeway_seconds=settings.jwt_leeway_seconds,
        )
    return Authenticator(api_keys=settings.api_keys, jwt=jwt)


def limits(settings: Settings) -> Limits:
    return Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
        max_records=settings.max_records,
        max_response_bytes=settings.max_response_bytes,
        max_pay_bills=settings.max_pay_bills,
        max_page_size=settings.max_page_size,
        introspection=settings.introspection,
    )


def _announce_auth(settings: Settings, authenticator: Authenticator) -> None:
    if not settings.auth:
        log.warning(
            "GATEWAY_AUTH=off: /graphql answers anyone, with every company the Codat key "
            "reaches. Use this only for local development."
        )
    elif not authenticator.configured:
        log.warning(
            "GATEWAY_AUTH=on but neither GATEWAY_API_KEYS nor GATEWAY_JWT_SECRET/GATEWAY_JWKS "
            "is set: every /graphql request will be refused."
        )


def create_app(settings: Settings, *, tracing: TracerProvider | None = None) -> FastAPI:
    """The ASGI app. Nothing talks to Codat until the lifespan has opened the client.

    `tracing` replaces the tracer provider `TRACING_ENABLED` would build (tests pass one).
    """
    metrics = Metrics() if settings.metrics_enabled else None
    loop_lag = LoopLagMonitor(observe=None if metrics is None else metrics.loop_lag.observe)
    owns_tracing = tracing is None and settings.tracing_enabled
    if owns_tracing:
        tracing = tracer_provider(settings.otel_exporter)
    tracer = None if tracing is None else gateway_tracer(tracing)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = CodatClient(client_config(settings))
        if metrics is not None or tracer is not None:
            client.observe(UpstreamObserver(metrics, tracer))
        app.state.probe = UpstreamProbe(
            lambda: client.list_companies(page=1, page_size=1),
            interval=settings.ready_check_interval_seconds,
            timeout=settings.ready_check_timeout_seconds,
        )
        app.state.rate_limit = client.rate_limit
        cache = UpstreamCache(
            ttl_seconds=settings.cache_ttl_seconds,
            max_entries=settings.cache_max_entries,
            max_bytes=settings.cache_max_bytes,
        )
        app.state.upstream = Upstream(client, cache)
        redis = None if settings.redis_url is None else redis_client(settings.redis_url.reveal())
        bus: EventBus
        store: KeyValueStore
        write_store: KeyValueStore
        memory = MemoryStore(
            max_entries=settings.memory_store_max_entries,
            max_bytes=settings.memory_store_max_bytes,
        )
        # Persisted queries have a store of their own: registrations never push out webhook
        # dedupe keys, and are bounded by their own settings.
        apq_memory = MemoryStore(
            max_entries=settings.persisted_queries_max_entries,
            max_bytes=settings.persisted_queries_max_bytes,
            name="persisted",
        )
        app.state.memory_store = memory
        apq_store: KeyValueStore
        if redis is None:
            bus = LocalBus(queue_size=settings.event_queue_size)
            store = write_store = memory
            apq_store = apq_memory
        else:
            prefix = settings.redis_key_prefix
            bus = RedisBus(redis, channel=f"{prefix}:events", queue_size=settings.event_queue_size)
            shared = RedisStore(redis, prefix=prefix)
            store = FallbackStore(shared, memory)
            apq_store = FallbackStore(shared, apq_memory)
            # Idempotency records fail closed: no per-replica fallback may let a payment
            # through that another replica (or this one, before Redis restarted) already sent.
            write_store = FailClosedStore(shared)
        responses = (
            ResponseCache(
                ttl_seconds=settings.response_cache_ttl_seconds,
                max_entries=settings.response_cache_max_entries,
                max_bytes=settings.response_cache_max_bytes,
            )
            if settings.response_cache
            else None
        )
        app.state.responses = responses
        app.state.persisted = PersistedQueries(
            apq_store,
            PersistedMode(settings.persisted_queries),
            allowlist=(
                {}
                if settings.persisted_queries_file is None
                else load_allowlist(settings.persisted_queries_file)
            ),
            max_query_bytes=settings.persisted_query_max_bytes,
            memory=apq_memory,
        )
        invalidator = CacheInvalidator(
            bus,
            cache,
            ttl_seconds=settings.cache_ttl_seconds,
            degraded_ttl_seconds=settings.cache_degraded_ttl_seconds,
            queue_size=settings.event_queue_size,
            responses=responses,
        )
        if isinstance(bus, RedisBus):
            bus.on_health_change(invalidator.on_bus_health)
        app.state.bus = bus
        app.state.invalidator = invalidator
        refreshes = RefreshQueue(client, coalesce_seconds=settings.refresh_coalesce_seconds)
        app.state.refreshes = refreshes
        pushes = PushTracker(
            client,
            bus,
            poll_after=settings.push_poll_after_seconds,
            poll_max_interval=settings.push_poll_max_interval_seconds,
            max_seconds=settings.push_watch_max_seconds,
            queue_size=settings.subscription_queue_size,
            refresh=refreshes,
        )
        app.state.pushes = pushes
        app.state.pending = PendingPayments(store, app.state.upstream)
        app.state.writes = Writes(
            app.state.upstream,
            IdempotentWrites(
                write_store,
                ttl_seconds=settings.idempotency_ttl_seconds,
                lease_seconds=settings.idempotency_lease_seconds,
                wait_seconds=settings.idempotency_wait_seconds,
            ),
            pushes,
            bus,
            upload_max_bytes=settings.upload_max_bytes,
            pending=app.state.pending,
        )
        app.state.webhooks = WebhookReceiver(
            webhook_config(settings),
            store=store,
            bus=bus,
            observe=None if metrics is None else metrics.observe_webhook,
        )
        try:
            loop_lag.start()
            await invalidator.start()
            await bus.start()
            yield
        finally:
            try:
                await loop_lag.stop()
                await pushes.stop()
                await refreshes.stop()
                await invalidator.stop()
                await bus.stop()
            finally:
                if redis is not None:
                    await redis.aclose()
                await rate_limits.aclose()
                await client.aclose()
                if owns_tracing and tracing is not None:
                    tracing.shutdown()

    clients = authenticator(settings)
    _announce_auth(settings, clients)

    async def context_getter(connection: HTTPConnection) -> Context:
        # HTTPConnection, not Request: FastAPI gives the same getter a WebSocket for subscriptions.
        state = connection.app.state
        websocket = connection.scope["type"] == "websocket"
        # HTTP: GraphQLGuard put the principal on the request. A WebSocket may use no company
        # until its connection_init is authenticated (Context.connect).
        principal: Principal = (
            ANONYMOUS
            if not settings.auth
            else NOBODY
            if websocket
            else getattr(connection.state, "principal", NOBODY)
        )
        return Context(
            loaders=Loaders(state.upstream, principal, state.pending),
            max_page_size=settings.max_page_size,
            writes=state.writes,
            pushes=state.pushes,
            bus=state.bus,
            principal=principal,
            authenticator=clients if settings.auth and websocket else None,
            loaders_for=lambda who: Loaders(state.upstream, who, state.pending),
            upgrade_authorization=connection.headers.get("authorization") if websocket else None,
        )

    app = FastAPI(
        title="Payables GraphQL Gateway", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.metrics = metrics
    app.state.loop_lag = loop_lag
    observers = (
        [] if metrics is None and tracer is None else [OperationObserver.factory(metrics, tracer)]
    )
    deadline = OperationDeadline.factory(settings.codat_walk_deadline_seconds)
    graphql = GatewayGraphQLRouter(
        build_schema([*observers, deadline], limits(settings)),
        context_getter=context_getter,
        graphql_ide="graphiql" if settings.graphiql else None,
        multipart_uploads_enabled=True,
    )
    app.include_router(graphql, prefix="/graphql")
    app.state.graphql = graphql
    if settings.graphiql:
        graphql.graphiql_assets = GraphiQLAssets()
        app.include_router(graphiql_router(graphql.graphiql_assets))
    if not settings.auth:  # development: the example frontend (examples/ap-dashboard)
        app.include_router(examples_router())
    rate_limits = RateLimits(
        RateLimitConfig(
            per_second=settings.rate_limit_per_second,
            burst=settings.rate_limit_burst,
            auth_failures_per_minute=settings.auth_failures_per_minute,
            redis_url=None if settings.redis_url is None else settings.redis_url.reveal(),
            key_prefix=settings.redis_key_prefix,
        )
    )
    graphql.rate_limits = rate_limits
    app.state.rate_limits = rate_limits
    app.add_middleware(
        GraphQLFront,
        path="/graphql",
        auth_required=settings.auth,
        max_tokens=settings.max_tokens,
        max_document_bytes=settings.max_document_bytes,
    )
    app.add_middleware(UploadGuard, path="/graphql")
    app.add_middleware(
        GraphQLGuard,
        config=GuardConfig(
            path="/graphql",
            auth=settings.auth,
            authenticator=clients,
            max_body_bytes=settings.max_body_bytes,
            max_upload_bytes=settings.upload_max_bytes,
            limits=rate_limits,
        ),
    )
    admin = AdminAccess(None if settings.admin_token is None else settings.admin_token.reveal())
    app.add_middleware(GraphQLErrorShape, path="/graphql")
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_minimum_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(webhooks_router)

    @app.post("/admin/reload-credentials", include_in_schema=False, dependencies=[Depends(admin)])
    async def reload_credentials() -> dict[str, object]:
        """Read GATEWAY_API_KEYS' file again; connections opened with a key that is gone (or
        whose companies changed) are closed at once."""
        if settings.api_keys_file is None:
            raise HTTPException(409, "GATEWAY_API_KEYS is not a file: nothing to reload")
        try:
            keys = parse_api_keys(str(settings.api_keys_file))
        except ValueError as exc:
            raise HTTPException(422, f"GATEWAY_API_KEYS: {exc}; the old keys stay") from None
        clients.reload(keys)
        log.info("client keys reloaded: %d keys", len(keys))
        return {"keys": len(keys), "revision": clients.revision}

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if metrics is not None:
        metrics.read_state(
            Sources(
                cache=lambda: _upstream_cache(app),
                responses=lambda: getattr(app.state, "responses", None),
                bus=lambda: bus.health() if (bus := getattr(app.state, "bus", None)) else None,
                rate_limit=lambda: getattr(app.state, "rate_limit", None),
                bounds=lambda: _bounds(app),
                limited=lambda: {
                    "operations": rate_limits.limited,
                    "authentication": rate_limits.auth_throttled,
                },
            )
        )

        @app.get("/metrics", include_in_schema=False, dependencies=[Depends(admin)])
        async def metrics_endpoint() -> Response:
            return Response(metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        """503 while Codat does not answer; `degraded` (still serving) when events cannot reach
        other replicas. Only administrators see the details (upstream, bus, cache, webhooks)."""
        state = request.app.state
        bus = state.bus.health()
        upstream = await state.probe.status()
        cache: UpstreamCache = state.upstream.cache
        receiver: WebhookReceiver = state.webhooks
        status = "unavailable" if not upstream.reachable else "ok" if bus.healthy else "degraded"
        body = {
            "status": status,
            "upstream": {"reachable": upstream.reachable, "detail": upstream.detail},
            "bus": asdict(bus),
            "cache": {
                "entries": len(cache),
                "ttlSeconds": cache.ttl_seconds,
                "hits": cache.stats.hits,
                "misses": cache.stats.misses,
            },
            "events": {"applied": state.invalidator.applied},
            "webhooks": {
                "accepted": receiver.accepted,
                "duplicates": receiver.duplicates,
                "rejected": receiver.rejected,
                "ignored": receiver.ignored,
            },
        }
        if not admin.allows(request):
            body = {"status": status}  # the details are the operator's (gateway/edge/guard.py)
        return JSONResponse(body, status_code=200 if upstream.reachable else 503)

    return app


def _upstream_cache(app: FastAPI) -> UpstreamCache | None:
    upstream = getattr(app.state, "upstream", None)
    return None if upstream is None else upstream.cache


def _bounds(app: FastAPI) -> list[Bound]:
    """What every bounded holder of this app holds now (absent until the lifespan built it)."""
    holders = (
        _upstream_cache(app),
        getattr(app.state, "responses", None),
        getattr(app.state, "persisted", None),
        getattr(app.state, "memory_store", None),
    )
    bounds = [holder.bound() for holder in holders if holder is not None]
    return [bound for bound in bounds if bound is not None]
