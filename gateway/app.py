"""Builds the gateway: the one place where client, cache, loaders and schema are wired."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any

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
from gateway.codat.limits import QuotaGate
from gateway.edge.auth import Authenticator, JwksSource, JwtConfig, parse_api_keys
from gateway.edge.correlation import RequestIdMiddleware
from gateway.edge.documents import memo_bound
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
from gateway.events.quota import QuotaSync
from gateway.events.slots import RedisSlots
from gateway.events.store import (
    FailClosedStore,
    FallbackStore,
    KeyValueStore,
    MemoryStore,
    RedisStore,
)
from gateway.events.webhooks import WebhookConfig, WebhookReceiver, webhooks_router
from gateway.ops.bounds import Bound
from gateway.ops.looplag import LoopLagMonitor
from gateway.ops.metrics import CONTENT_TYPE, Metrics, Sources
from gateway.ops.readiness import UpstreamProbe
from gateway.ops.tracing import gateway_tracer, tracer_provider
from gateway.reads.cache import ResponseCache, UpstreamCache
from gateway.reads.loaders import Loaders
from gateway.reads.shared import SharedCache, SharedCacheConfig
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

GZIP_LEVEL = 6
"""zlib's own default: Starlette's 9 took twice the CPU (~2 ms for the 85 KB issue 17 dashboard,
bench/dashboard.py) for a body ~2% smaller."""


def client_config(settings: Settings) -> ClientConfig:
    if settings.codat_api_key is None:
        raise ValueError("no Codat API key: point the settings at Codat or the sandbox first")
    return ClientConfig(
        api_key=settings.codat_api_key.get_secret_value(),
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


def shared_cache(redis: Redis, settings: Settings) -> SharedCache:
    """The upstream cache every replica shares in Redis, behind each process's own."""
    return SharedCache(
        redis,
        SharedCacheConfig(
            prefix=settings.redis_key_prefix,
            ttl_seconds=settings.shared_cache_ttl_seconds,
            max_value_bytes=settings.shared_cache_max_value_bytes,
            max_entries=settings.shared_cache_max_entries,
            max_bytes=settings.shared_cache_max_bytes,
            lease_seconds=settings.shared_cache_lease_seconds,
            timeout_seconds=settings.shared_cache_timeout_seconds,
        ),
    )


def webhook_config(settings: Settings) -> WebhookConfig:
    secret, legacy = settings.webhook_secret, settings.webhook_legacy_authorization
    return WebhookConfig(
        secret=None if secret is None else secret.get_secret_value(),
        legacy_authorization=None if legacy is None else legacy.get_secret_value(),
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
            secret=None if secret is None else secret.get_secret_value(),
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


@dataclass(eq=False, kw_only=True)
class Services:
    """Everything the gateway serves with, built once by `build_services` and handed to the
    routes and middleware that need it; the app's lifespan only starts and stops them."""

    settings: Settings
    client: CodatClient
    upstream: Upstream
    probe: UpstreamProbe
    redis: Redis | None
    bus: EventBus
    store: KeyValueStore
    memory: MemoryStore
    apq_memory: MemoryStore
    responses: ResponseCache | None
    persisted: PersistedQueries
    invalidator: CacheInvalidator
    quota: QuotaSync
    refreshes: RefreshQueue
    pushes: PushTracker
    pending: PendingPayments
    writes: Writes
    webhooks: WebhookReceiver
    authenticator: Authenticator
    rate_limits: RateLimits
    loop_lag: LoopLagMonitor
    metrics: Metrics | None
    tracing: TracerProvider | None
    owns_tracing: bool

    async def start(self) -> None:
        self.loop_lag.start()
        await self.invalidator.start()
        await self.quota.start()
        await self.bus.start()

    async def stop(self) -> None:
        try:
            await self.loop_lag.stop()
            await self.pushes.stop()
            await self.refreshes.stop()
            await self.invalidator.stop()
            await self.quota.stop()
            await self.bus.stop()
        finally:
            if self.redis is not None:
                await self.redis.aclose()
            await self.rate_limits.aclose()
            await self.client.aclose()
            if self.owns_tracing and self.tracing is not None:
                self.tracing.shutdown()

    def loaders(self, principal: Principal) -> Loaders:
        return Loaders(self.upstream, principal, self.pending)

    def bounds(self) -> list[Bound]:
        """What every bounded holder holds now, with its limits (for /metrics)."""
        holders = (
            self.upstream.cache,
            self.upstream.shared,
            self.upstream.stale,
            self.responses,
            self.persisted,
            self.memory,
        )
        bounds = [holder.bound() for holder in holders if holder is not None]
        return [bound for bound in bounds if bound is not None] + [memo_bound()]


def build_services(settings: Settings, tracing: TracerProvider | None) -> Services:
    """Builds every service once; nothing here talks to Codat or Redis yet."""
    metrics = Metrics() if settings.metrics_enabled else None
    owns_tracing = tracing is None and settings.tracing_enabled
    if owns_tracing:
        tracing = tracer_provider(settings.otel_exporter)
    tracer = None if tracing is None else gateway_tracer(tracing)
    redis_url = None if settings.redis_url is None else settings.redis_url.get_secret_value()
    redis = None if redis_url is None else redis_client(redis_url)
    # Codat's limits: requests in flight per company shared by every replica through Redis (the
    # local bound alone without it), and the quota gate every replica's bus events keep.
    quota_gate = QuotaGate()
    slots = (
        None
        if redis is None
        else RedisSlots(
            redis,
            prefix=settings.redis_key_prefix,
            per_company=settings.codat_max_concurrency_per_company,
        )
    )
    config = replace(client_config(settings), company_slots=slots, quota_gate=quota_gate)
    client = CodatClient(config)
    if metrics is not None or tracer is not None:
        client.observe(UpstreamObserver(metrics, tracer))
    cache = UpstreamCache(
        ttl_seconds=settings.cache_ttl_seconds,
        max_entries=settings.cache_max_entries,
        max_bytes=settings.cache_max_bytes,
    )
    second_level = (
        None if redis is None or not settings.shared_cache else shared_cache(redis, settings)
    )
    upstream = Upstream(client, cache, shared=second_level)
    memory = MemoryStore(
        max_entries=settings.memory_store_max_entries,
        max_bytes=settings.memory_store_max_bytes,
    )
    # Persisted queries have a store of their own: registrations never push out webhook dedupe
    # keys, and are bounded by their own settings.
    apq_memory = MemoryStore(
        max_entries=settings.persisted_queries_max_entries,
        max_bytes=settings.persisted_queries_max_bytes,
        name="persisted",
    )
    bus: EventBus
    store: KeyValueStore
    write_store: KeyValueStore
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
        # Idempotency records fail closed: no per-replica fallback may let a payment through
        # that another replica (or this one, before Redis restarted) already sent.
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
    invalidator = CacheInvalidator(
        bus,
        cache,
        ttl_seconds=settings.cache_ttl_seconds,
        degraded_ttl_seconds=settings.cache_degraded_ttl_seconds,
        queue_size=settings.event_queue_size,
        responses=responses,
        shared=second_level,
    )
    if isinstance(bus, RedisBus):
        bus.on_health_change(invalidator.on_bus_health)
    quota = QuotaSync(bus, quota_gate, queue_size=settings.event_queue_size)
    refreshes = RefreshQueue(client, coalesce_seconds=settings.refresh_coalesce_seconds)
    pushes = PushTracker(
        client,
        bus,
        poll_after=settings.push_poll_after_seconds,
        poll_max_interval=settings.push_poll_max_interval_seconds,
        max_seconds=settings.push_watch_max_seconds,
        queue_size=settings.subscription_queue_size,
        refresh=refreshes,
    )
    pending = PendingPayments(store, upstream)
    writes = Writes(
        upstream,
        IdempotentWrites(
            write_store,
            ttl_seconds=settings.idempotency_ttl_seconds,
            lease_seconds=settings.idempotency_lease_seconds,
            wait_seconds=settings.idempotency_wait_seconds,
        ),
        pushes,
        bus,
        upload_max_bytes=settings.upload_max_bytes,
        pending=pending,
    )
    return Services(
        settings=settings,
        client=client,
        upstream=upstream,
        probe=UpstreamProbe(
            lambda: client.list_companies(page=1, page_size=1),
            interval=settings.ready_check_interval_seconds,
            timeout=settings.ready_check_timeout_seconds,
        ),
        redis=redis,
        bus=bus,
        store=store,
        memory=memory,
        apq_memory=apq_memory,
        responses=responses,
        persisted=PersistedQueries(
            apq_store,
            PersistedMode(settings.persisted_queries),
            allowlist=(
                {}
                if settings.persisted_queries_file is None
                else load_allowlist(settings.persisted_queries_file)
            ),
            max_query_bytes=settings.persisted_query_max_bytes,
            memory=apq_memory,
        ),
        invalidator=invalidator,
        quota=quota,
        refreshes=refreshes,
        pushes=pushes,
        pending=pending,
        writes=writes,
        webhooks=WebhookReceiver(
            webhook_config(settings),
            store=store,
            bus=bus,
            observe=None if metrics is None else metrics.observe_webhook,
        ),
        authenticator=authenticator(settings),
        rate_limits=RateLimits(
            RateLimitConfig(
                per_second=settings.rate_limit_per_second,
                burst=settings.rate_limit_burst,
                auth_failures_per_minute=settings.auth_failures_per_minute,
                redis_url=redis_url,
                key_prefix=settings.redis_key_prefix,
            )
        ),
        loop_lag=LoopLagMonitor(observe=None if metrics is None else metrics.loop_lag.observe),
        metrics=metrics,
        tracing=tracing,
        owns_tracing=owns_tracing,
    )


def create_app(settings: Settings, *, tracing: TracerProvider | None = None) -> FastAPI:
    """The ASGI app: its services built once (`build_services`), started and stopped by the
    lifespan, handed to the routes and middleware below. Nothing talks to Codat until then.

    `tracing` replaces the tracer provider `TRACING_ENABLED` would build (tests pass one).
    Middleware is listed outermost first and added in reverse, as Starlette wraps it.
    """
    services = build_services(settings, tracing)
    metrics, clients = services.metrics, services.authenticator
    _announce_auth(settings, clients)

    def reload_keys() -> int:
        """Read GATEWAY_API_KEYS' file again (ValueError if it is not a file or is invalid):
        connections opened with a key that is gone, or whose companies changed, close at once."""
        if settings.api_keys_file is None:
            raise FileNotFoundError("GATEWAY_API_KEYS is not a file: nothing to reload")
        keys = parse_api_keys(str(settings.api_keys_file))
        clients.reload(keys)
        log.info("client keys reloaded: %d keys", len(keys))
        return len(keys)

    def on_sighup() -> None:
        try:
            reload_keys()
        except (OSError, ValueError) as exc:
            log.error("SIGHUP: client keys not reloaded (%s); the old keys stay", exc)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await services.start()
        # `kill -HUP` reloads the client keys where the loop may take signals (the main thread
        # of `gateway serve`); elsewhere (tests' server threads) POST /admin/reload-credentials.
        loop = asyncio.get_running_loop()
        on_signals = threading.current_thread() is threading.main_thread()
        if on_signals:
            loop.add_signal_handler(signal.SIGHUP, on_sighup)
        try:
            yield
        finally:
            if on_signals:
                loop.remove_signal_handler(signal.SIGHUP)
            await services.stop()

    async def context_getter(connection: HTTPConnection) -> Context:
        # HTTPConnection, not Request: FastAPI gives the same getter a WebSocket for subscriptions.
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
            loaders=services.loaders(principal),
            max_page_size=settings.max_page_size,
            writes=services.writes,
            pushes=services.pushes,
            bus=services.bus,
            principal=principal,
            authenticator=clients if settings.auth and websocket else None,
            loaders_for=services.loaders,
            upgrade_authorization=connection.headers.get("authorization") if websocket else None,
        )

    app = FastAPI(
        title="Payables GraphQL Gateway", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.services = services  # for tests and operators' introspection only
    tracer = None if services.tracing is None else gateway_tracer(services.tracing)
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
    graphql.rate_limits = services.rate_limits
    app.state.graphql = graphql
    app.include_router(graphql, prefix="/graphql")
    if settings.graphiql:
        graphql.graphiql_assets = GraphiQLAssets()
        app.include_router(graphiql_router(graphql.graphiql_assets))
    if not settings.auth:  # development: the example frontend (examples/ap-dashboard)
        app.include_router(examples_router())
    app.include_router(webhooks_router(services.webhooks))

    # In front of /graphql, outermost first: request ids, gzip, one error shape, the guard (who,
    # how big, how often), the upload guard, then stored responses and persisted queries.
    middleware: list[tuple[Any, dict[str, Any]]] = [
        (RequestIdMiddleware, {}),
        (
            GZipMiddleware,
            {"minimum_size": settings.gzip_minimum_bytes, "compresslevel": GZIP_LEVEL},
        ),
        (GraphQLErrorShape, {"path": "/graphql"}),
        (
            GraphQLGuard,
            {
                "config": GuardConfig(
                    path="/graphql",
                    auth=settings.auth,
                    authenticator=clients,
                    max_body_bytes=settings.max_body_bytes,
                    max_upload_bytes=settings.upload_max_bytes,
                    limits=services.rate_limits,
                )
            },
        ),
        (UploadGuard, {"path": "/graphql"}),
        (
            GraphQLFront,
            {
                "path": "/graphql",
                "auth_required": settings.auth,
                "persisted": services.persisted,
                "responses": services.responses,
                "max_tokens": settings.max_tokens,
                "max_document_bytes": settings.max_document_bytes,
            },
        ),
    ]
    for layer, options in reversed(middleware):
        app.add_middleware(layer, **options)

    admin = AdminAccess(
        None if settings.admin_token is None else settings.admin_token.get_secret_value()
    )

    @app.post("/admin/reload-credentials", include_in_schema=False, dependencies=[Depends(admin)])
    async def reload_credentials() -> dict[str, object]:
        """Read GATEWAY_API_KEYS' file again (as SIGHUP does); connections opened with a key
        that is gone (or whose companies changed) are closed at once."""
        try:
            count = reload_keys()
        except FileNotFoundError as exc:
            raise HTTPException(409, str(exc)) from None
        except (OSError, ValueError) as exc:
            raise HTTPException(422, f"GATEWAY_API_KEYS: {exc}; the old keys stay") from None
        return {"keys": count, "revision": clients.revision}

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if metrics is not None:
        rate_limits = services.rate_limits
        metrics.read_state(
            Sources(
                cache=lambda: services.upstream.cache,
                shared=lambda: services.upstream.shared,
                responses=lambda: services.responses,
                bus=services.bus.health,
                rate_limit=lambda: services.client.rate_limit,
                bounds=services.bounds,
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
        bus = services.bus.health()
        upstream = await services.probe.status()
        cache = services.upstream.cache
        receiver = services.webhooks
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
            "events": {"applied": services.invalidator.applied},
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
