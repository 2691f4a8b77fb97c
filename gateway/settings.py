"""The gateway's settings: one frozen object, read once from a mapping of environment variables."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from gateway.edge.auth import ApiKey, parse_api_keys
from gateway.errors import ConfigError

T = TypeVar("T")

CODAT_PRODUCTION_URL = "https://api.codat.io"


class Secret:
    """A credential that never shows itself in repr, str or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected one of true/false, 1/0, yes/no, on/off")


def _whole_number(raw: str) -> int:
    """An integer, or ValueError saying what was expected (not Python's own wording)."""
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("expected a whole number, e.g. 10") from None


def _number(raw: str) -> float:
    """A finite decimal number, or ValueError saying what was expected."""
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("expected a number, e.g. 2.5") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("expected a finite number, e.g. 2.5")
    return value


def _parse_positive_float(raw: str) -> float:
    value = _number(raw)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def _parse_positive_int(raw: str) -> int:
    value = _whole_number(raw)
    if value <= 0:
        raise ValueError("must be a whole number greater than 0")
    return value


def _parse_non_negative_int(raw: str) -> int:
    value = _whole_number(raw)
    if value < 0:
        raise ValueError("must be 0 (off) or a whole number greater than 0")
    return value


def _parse_port(raw: str) -> int:
    value = _whole_number(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number from 0 to 65535")
    return value


def _parse_http_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL such as https://api.codat.io")
    return raw.strip().rstrip("/")


def _parse_webhook_secret(raw: str) -> Secret:
    value = raw.strip()
    if not value.startswith("whsec_"):
        raise ValueError("must be a Standard Webhooks signing secret starting with whsec_")
    try:
        base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except ValueError:
        raise ValueError("must be whsec_ followed by base64") from None
    return Secret(value)


def _parse_redis_url(raw: str) -> Secret:
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"redis", "rediss", "unix"} or not (parts.netloc or parts.path):
        raise ValueError("must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0")
    return Secret(value)


def _parse_log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _parse_log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"json", "text"}:
        raise ValueError("must be json or text")
    return value


def _parse_persisted_mode(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"apq", "allowlist", "off"}:
        raise ValueError("must be apq, allowlist or off")
    return value


def _parse_otel_exporter(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"console", "otlp", "none"}:
        raise ValueError("must be console, otlp or none")
    return value


def _parse_existing_file(raw: str) -> Path:
    path = Path(raw.strip())
    if not path.is_file():
        raise ValueError("must name an existing file")
    return path


def _parse_on_off(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in {"on", "off"}:
        raise ValueError("must be on or off")
    return value == "on"


def _parse_jwt_algorithms(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip().upper() for name in raw.split(",") if name.strip()))
    refused = [name for name in names if name not in {"HS256", "RS256"}]
    if not names or refused:
        raise ValueError("must list HS256 and/or RS256 (comma-separated); none is never accepted")
    return names


def _parse_jwks(raw: str) -> str:
    value = raw.strip()
    if value.startswith(("http://", "https://")):
        return _parse_http_url(value)
    if not Path(value).is_file():
        raise ValueError("must be an http(s) URL or the path of an existing JWKS file")
    return value


def _parse_non_negative_float(raw: str) -> float:
    value = _number(raw)
    if value < 0:
        raise ValueError("must be 0 (off) or greater")
    return value


class _Reader:
    """Reads typed values from the mapping, naming the variable in every error."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str, parse: Callable[[str], T], default: T, *, show: bool = True) -> T:
        raw = self._environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            got = f" (got {raw!r})" if show else ""
            raise ConfigError(name, f"{exc}{got}") from exc

    def secret(self, name: str) -> Secret | None:
        raw = self._environ.get(name)
        if raw is None or raw.strip() == "":
            return None
        return Secret(raw.strip())


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the gateway is configured with. Build with `Settings.from_env(os.environ)`."""

    codat_api_key: Secret | None = None
    codat_base_url: str = CODAT_PRODUCTION_URL
    codat_timeout_seconds: float = 30.0
    codat_connect_timeout_seconds: float = 5.0
    codat_max_attempts: int = 4
    codat_retry_max_elapsed_seconds: float = 30.0
    codat_max_concurrency_per_company: int = 10
    codat_max_pages_per_list: int = 50
    codat_walk_deadline_seconds: float = 30.0

    cache_ttl_seconds: float = 300.0
    cache_max_entries: int = 20_000
    cache_max_bytes: int = 256 * 1024 * 1024
    response_cache: bool = True
    response_cache_ttl_seconds: float = 300.0
    response_cache_max_entries: int = 5_000
    response_cache_max_bytes: int = 64 * 1024 * 1024
    persisted_queries: str = "apq"
    persisted_queries_file: Path | None = None
    persisted_queries_max_entries: int = 10_000
    persisted_queries_max_bytes: int = 32 * 1024 * 1024
    persisted_query_max_bytes: int = 64 * 1024
    memory_store_max_entries: int = 100_000
    memory_store_max_bytes: int = 64 * 1024 * 1024
    gzip_minimum_bytes: int = 1024

    host: str = "127.0.0.1"
    port: int = 8000
    sandbox_port: int = 8001
    graphiql: bool = True
    max_page_size: int = 500
    log_level: str = "INFO"
    log_format: str = "json"

    webhook_secret: Secret | None = None
    webhook_legacy_authorization: Secret | None = None
    webhook_max_body_bytes: int = 1_048_576
    webhook_dedupe_seconds: float = 86_400.0
    redis_url: Secret | None = None
    redis_key_prefix: str = "gateway"
    cache_degraded_ttl_seconds: float = 15.0
    event_queue_size: int = 1000

    # The upstream cache shared by replicas in Redis (gateway/reads/shared.py): only with
    # REDIS_URL; each process keeps its own cache in front of it.
    shared_cache: bool = True
    shared_cache_ttl_seconds: float = 300.0
    shared_cache_max_value_bytes: int = 1024 * 1024
    shared_cache_max_entries: int = 100_000
    shared_cache_max_bytes: int = 256 * 1024 * 1024
    shared_cache_lease_seconds: float = 5.0
    """How long one replica's fetch holds a key, and the longest the others wait for it."""
    shared_cache_timeout_seconds: float = 0.5
    """Each Redis call of the shared cache; beyond it the replica reads on its own for a while."""

    metrics_enabled: bool = True
    tracing_enabled: bool = False
    otel_exporter: str = "console"
    ready_check_interval_seconds: float = 10.0
    ready_check_timeout_seconds: float = 2.0

    idempotency_ttl_seconds: float = 86_400.0
    idempotency_lease_seconds: float = 120.0
    idempotency_wait_seconds: float = 30.0
    push_poll_after_seconds: float = 10.0
    push_poll_max_interval_seconds: float = 60.0
    push_watch_max_seconds: float = 3_600.0
    refresh_coalesce_seconds: float = 2.0
    """How long writes to one company are gathered before their data types are refreshed."""
    subscription_queue_size: int = 100
    upload_max_bytes: int = 10 * 1024 * 1024

    auth: bool = False
    """Require a bearer token on /graphql (from_env: on whenever CODAT_API_KEY is set)."""
    api_keys: tuple[ApiKey, ...] = ()
    api_keys_file: Path | None = None
    """The file GATEWAY_API_KEYS names, if any (re-read by POST /admin/reload-credentials)."""
    jwt_algorithms: tuple[str, ...] = ()
    jwt_secret: Secret | None = None
    jwks: str | None = None
    jwks_cache_seconds: float = 300.0
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_companies_claim: str = "codat_companies"
    jwt_leeway_seconds: float = 30.0
    """Clock skew allowed on exp/nbf/iat; a token's subscriptions end at exp plus this."""
    admin_token: Secret | None = None
    introspection: bool = True
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 3000
    max_cost: int = 200
    max_document_bytes: int = 100_000
    max_records: int = 5_000
    max_response_bytes: int = 16 * 1024 * 1024
    max_pay_bills: int = 100
    rate_limit_per_second: float = 10.0
    rate_limit_burst: int = 50
    auth_failures_per_minute: int = 30
    max_body_bytes: int = 1_048_576

    @property
    def uses_sandbox(self) -> bool:
        """No API key: the gateway runs against its built-in sandbox."""
        return self.codat_api_key is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _Reader(os.environ if environ is None else environ)
        settings = cls(
            codat_api_key=env.secret("CODAT_API_KEY"),
            codat_base_url=env.get("CODAT_BASE_URL", _parse_http_url, CODAT_PRODUCTION_URL),
            codat_timeout_seconds=env.get("CODAT_TIMEOUT_SECONDS", _parse_positive_float, 30.0),
            codat_connect_timeout_seconds=env.get(
                "CODAT_CONNECT_TIMEOUT_SECONDS", _parse_positive_float, 5.0
            ),
            codat_max_attempts=env.get("CODAT_MAX_ATTEMPTS", _parse_positive_int, 4),
            codat_retry_max_elapsed_seconds=env.get(
                "CODAT_RETRY_MAX_ELAPSED_SECONDS", _parse_positive_float, 30.0
            ),
            codat_max_concurrency_per_company=env.get(
                "CODAT_MAX_CONCURRENCY_PER_COMPANY", _parse_positive_int, 10
            ),
            codat_max_pages_per_list=env.get("CODAT_MAX_PAGES_PER_LIST", _parse_positive_int, 50),
            codat_walk_deadline_seconds=env.get(
                "CODAT_WALK_DEADLINE_SECONDS", _parse_positive_float, 30.0
            ),
            cache_ttl_seconds=env.get("CACHE_TTL_SECONDS", _parse_positive_float, 300.0),
            cache_max_entries=env.get("CACHE_MAX_ENTRIES", _parse_positive_int, 20_000),
            response_cache=env.get("RESPONSE_CACHE", _parse_bool, True),
            response_cache_ttl_seconds=env.get(
                "RESPONSE_CACHE_TTL_SECONDS", _parse_positive_float, 300.0
            ),
            response_cache_max_entries=env.get(
                "RESPONSE_CACHE_MAX_ENTRIES", _parse_positive_int, 5_000
            ),
            persisted_queries=env.get("PERSISTED_QUERIES", _parse_persisted_mode, "apq"),
            persisted_queries_file=env.get("PERSISTED_QUERIES_FILE", _parse_existing_file, None),
            cache_max_bytes=env.get("CACHE_MAX_BYTES", _parse_positive_int, 256 * 1024 * 1024),
            response_cache_max_bytes=env.get(
                "RESPONSE_CACHE_MAX_BYTES", _parse_positive_int, 64 * 1024 * 1024
            ),
            persisted_queries_max_entries=env.get(
                "PERSISTED_QUERIES_MAX_ENTRIES", _parse_positive_int, 10_000
            ),
            persisted_queries_max_bytes=env.get(
                "PERSISTED_QUERIES_MAX_BYTES", _parse_positive_int, 32 * 1024 * 1024
            ),
            persisted_query_max_bytes=env.get(
                "PERSISTED_QUERY_MAX_BYTES", _parse_positive_int, 64 * 1024
            ),
            memory_store_max_entries=env.get(
                "MEMORY_STORE_MAX_ENTRIES", _parse_positive_int, 100_000
            ),
            memory_store_max_bytes=env.get(
                "MEMORY_STORE_MAX_BYTES", _parse_positive_int, 64 * 1024 * 1024
            ),
            gzip_minimum_bytes=env.get("GZIP_MINIMUM_BYTES", _parse_positive_int, 1024),
            host=env.get("GATEWAY_HOST", str.strip, "127.0.0.1"),
            port=env.get("GATEWAY_PORT", _parse_port, 8000),
            sandbox_port=env.get("SANDBOX_PORT", _parse_port, 8001),
            graphiql=env.get("GATEWAY_GRAPHIQL", _parse_bool, True),
            max_page_size=env.get("GATEWAY_MAX_PAGE_SIZE", _parse_positive_int, 500),
            log_level=env.get("LOG_LEVEL", _parse_log_level, "INFO"),
            log_format=env.get("LOG_FORMAT", _parse_log_format, "json"),
            webhook_secret=env.get("WEBHOOK_SECRET", _parse_webhook_secret, None, show=False),
            webhook_legacy_authorization=env.secret("WEBHOOK_LEGACY_AUTHORIZATION"),
            webhook_max_body_bytes=env.get(
                "WEBHOOK_MAX_BODY_BYTES", _parse_positive_int, 1_048_576
            ),
            webhook_dedupe_seconds=env.get(
                "WEBHOOK_DEDUPE_SECONDS", _parse_positive_float, 86_400.0
            ),
            redis_url=env.get("REDIS_URL", _parse_redis_url, None, show=False),
            redis_key_prefix=env.get("REDIS_KEY_PREFIX", str.strip, "gateway"),
            cache_degraded_ttl_seconds=env.get(
                "CACHE_DEGRADED_TTL_SECONDS", _parse_positive_float, 15.0
            ),
            event_queue_size=env.get("EVENT_QUEUE_SIZE", _parse_positive_int, 1000),
            shared_cache=env.get("SHARED_CACHE", _parse_bool, True),
            shared_cache_ttl_seconds=env.get(
                "SHARED_CACHE_TTL_SECONDS", _parse_positive_float, 300.0
            ),
            shared_cache_max_value_bytes=env.get(
                "SHARED_CACHE_MAX_VALUE_BYTES", _parse_positive_int, 1024 * 1024
            ),
            shared_cache_max_entries=env.get(
                "SHARED_CACHE_MAX_ENTRIES", _parse_positive_int, 100_000
            ),
            shared_cache_max_bytes=env.get(
                "SHARED_CACHE_MAX_BYTES", _parse_positive_int, 256 * 1024 * 1024
            ),
            shared_cache_lease_seconds=env.get(
                "SHARED_CACHE_LEASE_SECONDS", _parse_positive_float, 5.0
            ),
            shared_cache_timeout_seconds=env.get(
                "SHARED_CACHE_TIMEOUT_SECONDS", _parse_positive_float, 0.5
            ),
            metrics_enabled=env.get("METRICS_ENABLED", _parse_bool, True),
            tracing_enabled=env.get("TRACING_ENABLED", _parse_bool, False),
            otel_exporter=env.get("OTEL_EXPORTER", _parse_otel_exporter, "console"),
            ready_check_interval_seconds=env.get(
                "READY_CHECK_INTERVAL_SECONDS", _parse_positive_float, 10.0
            ),
            ready_check_timeout_seconds=env.get(
                "READY_CHECK_TIMEOUT_SECONDS", _parse_positive_float, 2.0
            ),
            idempotency_ttl_seconds=env.get(
                "IDEMPOTENCY_TTL_SECONDS", _parse_positive_float, 86_400.0
            ),
            idempotency_lease_seconds=env.get(
                "IDEMPOTENCY_LEASE_SECONDS", _parse_positive_float, 120.0
            ),
            idempotency_wait_seconds=env.get(
                "IDEMPOTENCY_WAIT_SECONDS", _parse_positive_float, 30.0
            ),
            push_poll_after_seconds=env.get("PUSH_POLL_AFTER_SECONDS", _parse_positive_float, 10.0),
            push_poll_max_interval_seconds=env.get(
                "PUSH_POLL_MAX_INTERVAL_SECONDS", _parse_positive_float, 60.0
            ),
            push_watch_max_seconds=env.get(
                "PUSH_WATCH_MAX_SECONDS", _parse_positive_float, 3_600.0
            ),
            refresh_coalesce_seconds=env.get(
                "REFRESH_COALESCE_SECONDS", _parse_non_negative_float, 2.0
            ),
            subscription_queue_size=env.get("SUBSCRIPTION_QUEUE_SIZE", _parse_positive_int, 100),
            upload_max_bytes=env.get("UPLOAD_MAX_BYTES", _parse_positive_int, 10 * 1024 * 1024),
        )
        settings = replace(settings, **_client_auth(env, settings.uses_sandbox))
        if settings.persisted_queries == "allowlist" and settings.persisted_queries_file is None:
            raise ConfigError("PERSISTED_QUERIES_FILE", "required when PERSISTED_QUERIES=allowlist")
        return settings

    def pointed_at(self, base_url: str, api_key: str) -> Settings:
        """The same settings aimed at another Codat (the built-in sandbox)."""
        return replace(self, codat_base_url=base_url, codat_api_key=Secret(api_key))

    def describe(self) -> dict[str, str]:
        """Every setting as text, secrets masked: what `gateway check-config` prints."""
        shown: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            shown[item.name] = "(not set)" if value is None else str(value)
        return shown


def _api_keys_file(raw: str) -> Path | None:
    text = raw.strip()
    return None if text.startswith(("[", "{")) else Path(text)


def _client_auth(env: _Reader, uses_sandbox: bool) -> dict[str, Any]:
    """The settings of who may call the gateway, and how much (README: Client authentication)."""
    secret = env.get("GATEWAY_JWT_SECRET", Secret, None, show=False)
    jwks = env.get("GATEWAY_JWKS", _parse_jwks, None)
    default_algorithms = (*(("HS256",) if secret else ()), *(("RS256",) if jwks else ()))
    algorithms = env.get("GATEWAY_JWT_ALGORITHMS", _parse_jwt_algorithms, default_algorithms)
    if "HS256" in algorithms and not secret:
        raise ConfigError("GATEWAY_JWT_SECRET", "required when GATEWAY_JWT_ALGORITHMS has HS256")
    if "RS256" in algorithms and jwks is None:
        raise ConfigError("GATEWAY_JWKS", "required when GATEWAY_JWT_ALGORITHMS has RS256")
    if secret is not None and len(secret.reveal()) < 32:
        raise ConfigError("GATEWAY_JWT_SECRET", "must be at least 32 characters")
    return {
        # Off by default only in front of the built-in sandbox; a real Codat key turns it on.
        "auth": env.get("GATEWAY_AUTH", _parse_on_off, not uses_sandbox),
        "api_keys": env.get("GATEWAY_API_KEYS", parse_api_keys, tuple[ApiKey, ...](), show=False),
        "api_keys_file": env.get("GATEWAY_API_KEYS", _api_keys_file, None, show=False),
        "jwt_algorithms": algorithms,
        "jwt_secret": secret,
        "jwks": jwks,
        "jwks_cache_seconds": env.get("GATEWAY_JWKS_CACHE_SECONDS", _parse_positive_float, 300.0),
        "jwt_issuer": env.get("GATEWAY_JWT_ISSUER", str.strip, None),
        "jwt_audience": env.get("GATEWAY_JWT_AUDIENCE", str.strip, None),
        "jwt_companies_claim": env.get("GATEWAY_JWT_COMPANIES_CLAIM", str.strip, "codat_companies"),
        "jwt_leeway_seconds": env.get(
            "GATEWAY_JWT_LEEWAY_SECONDS", _parse_non_negative_float, 30.0
        ),
        "admin_token": env.get("GATEWAY_ADMIN_TOKEN", Secret, None, show=False),
        "introspection": env.get("GATEWAY_INTROSPECTION", _parse_bool, True),
        "max_depth": env.get("GATEWAY_MAX_DEPTH", _parse_positive_int, 10),
        "max_aliases": env.get("GATEWAY_MAX_ALIASES", _parse_positive_int, 30),
        "max_tokens": env.get("GATEWAY_MAX_TOKENS", _parse_positive_int, 3000),
        "max_cost": env.get("GATEWAY_MAX_COST", _parse_positive_int, 200),
        "max_document_bytes": env.get("GATEWAY_MAX_DOCUMENT_BYTES", _parse_positive_int, 100_000),
        "max_records": env.get("GATEWAY_MAX_RECORDS", _parse_positive_int, 5_000),
        "max_response_bytes": env.get(
            "GATEWAY_MAX_RESPONSE_BYTES", _parse_positive_int, 16 * 1024 * 1024
        ),
        "max_pay_bills": env.get("GATEWAY_MAX_PAY_BILLS", _parse_positive_int, 100),
        "rate_limit_per_second": env.get(
            "GATEWAY_RATE_LIMIT_PER_SECOND", _parse_non_negative_float, 10.0
        ),
        "rate_limit_burst": env.get("GATEWAY_RATE_LIMIT_BURST", _parse_positive_int, 50),
        "auth_failures_per_minute": env.get(
            "GATEWAY_AUTH_FAILURES_PER_MINUTE", _parse_non_negative_int, 30
        ),
        "max_body_bytes": env.get("GATEWAY_MAX_BODY_BYTES", _parse_positive_int, 1_048_576),
    }
