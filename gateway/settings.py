"""The gateway's settings: one frozen pydantic-settings object, read once from a mapping of
environment variables; credentials are `SecretStr`, so repr, logs and errors show them masked."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AliasGenerator,
    BeforeValidator,
    Field,
    FilePath,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from gateway.edge.auth import ApiKey, parse_api_keys
from gateway.errors import ConfigError

T = TypeVar("T")

CODAT_PRODUCTION_URL = "https://api.codat.io"


def _text(parse: Callable[[str], T]) -> BeforeValidator:
    """Parse a variable's text with `parse`; a value given in Python passes through as it is."""
    return BeforeValidator(lambda value: parse(value) if isinstance(value, str) else value)


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL such as https://api.codat.io")
    return raw.rstrip("/")


def _webhook_secret(secret: SecretStr) -> SecretStr:
    value = secret.get_secret_value()
    if not value.startswith("whsec_"):
        raise ValueError("must be a Standard Webhooks signing secret starting with whsec_")
    try:
        base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except ValueError:
        raise ValueError("must be whsec_ followed by base64") from None
    return secret


def _redis_url(secret: SecretStr) -> SecretStr:
    parts = urlsplit(secret.get_secret_value())
    if parts.scheme not in {"redis", "rediss", "unix"} or not (parts.netloc or parts.path):
        raise ValueError("must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0")
    return secret


def _on_off(raw: str) -> bool:
    if raw.lower() not in {"on", "off"}:
        raise ValueError("must be on or off")
    return raw.lower() == "on"


def _jwt_algorithms(raw: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip().upper() for name in raw.split(",") if name.strip()))
    if not names or any(name not in {"HS256", "RS256"} for name in names):
        raise ValueError("must list HS256 and/or RS256 (comma-separated); none is never accepted")
    return names


def _jwks(raw: str) -> str:
    if raw.startswith(("http://", "https://")):
        return _http_url(raw)
    if not Path(raw).is_file():
        raise ValueError("must be an http(s) URL or the path of an existing JWKS file")
    return raw


def _api_keys_file(raw: str) -> Path | None:
    return None if raw.startswith(("[", "{")) else Path(raw)


def _default_algorithms(data: dict[str, Any]) -> tuple[str, ...]:
    """HS256 with a JWT secret, RS256 with a JWKS, neither without."""
    return (*(("HS256",) if data["jwt_secret"] else ()), *(("RS256",) if data["jwks"] else ()))


BaseUrl = Annotated[str, _text(_http_url)]
Port = Annotated[int, Field(ge=0, le=65535)]
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], _text(str.upper)]
LogFormat = Annotated[Literal["json", "text"], _text(str.lower)]
PersistedMode = Annotated[Literal["apq", "allowlist", "off"], _text(str.lower)]
OtelExporter = Annotated[Literal["console", "otlp", "none"], _text(str.lower)]


class Settings(BaseSettings):
    """Everything the gateway is configured with. Build with `Settings.from_env(os.environ)`;
    `Settings(**values)` takes values in Python (tests) and reads no environment."""

    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        alias_generator=AliasGenerator(validation_alias=str.upper),
        validate_by_name=True,
        validate_by_alias=True,
        allow_inf_nan=False,
        hide_input_in_errors=True,
        extra="ignore",
    )

    codat_api_key: SecretStr | None = None
    codat_base_url: BaseUrl = CODAT_PRODUCTION_URL
    codat_timeout_seconds: PositiveFloat = 30.0
    codat_connect_timeout_seconds: PositiveFloat = 5.0
    codat_max_attempts: PositiveInt = 4
    codat_retry_max_elapsed_seconds: PositiveFloat = 30.0
    codat_max_concurrency_per_company: PositiveInt = 10
    codat_max_pages_per_list: PositiveInt = 50
    codat_walk_deadline_seconds: PositiveFloat = 30.0

    cache_ttl_seconds: PositiveFloat = 300.0
    cache_max_entries: PositiveInt = 20_000
    cache_max_bytes: PositiveInt = 256 * 1024 * 1024
    response_cache: bool = True
    response_cache_ttl_seconds: PositiveFloat = 300.0
    response_cache_max_entries: PositiveInt = 5_000
    response_cache_max_bytes: PositiveInt = 64 * 1024 * 1024
    persisted_queries: PersistedMode = "apq"
    persisted_queries_file: FilePath | None = None
    persisted_queries_max_entries: PositiveInt = 10_000
    persisted_queries_max_bytes: PositiveInt = 32 * 1024 * 1024
    persisted_query_max_bytes: PositiveInt = 64 * 1024
    memory_store_max_entries: PositiveInt = 100_000
    memory_store_max_bytes: PositiveInt = 64 * 1024 * 1024
    gzip_minimum_bytes: PositiveInt = 1024

    host: str = Field("127.0.0.1", validation_alias="GATEWAY_HOST")
    port: Port = Field(8000, validation_alias="GATEWAY_PORT")
    sandbox_port: Port = 8001
    graphiql: bool = Field(True, validation_alias="GATEWAY_GRAPHIQL")
    max_page_size: PositiveInt = Field(500, validation_alias="GATEWAY_MAX_PAGE_SIZE")
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "json"

    webhook_secret: Annotated[SecretStr, AfterValidator(_webhook_secret)] | None = None
    webhook_legacy_authorization: SecretStr | None = None
    webhook_max_body_bytes: PositiveInt = 1_048_576
    webhook_dedupe_seconds: PositiveFloat = 86_400.0
    redis_url: Annotated[SecretStr, AfterValidator(_redis_url)] | None = None
    redis_key_prefix: str = "gateway"
    cache_degraded_ttl_seconds: PositiveFloat = 15.0
    event_queue_size: PositiveInt = 1000

    # The upstream cache shared by replicas in Redis (gateway/reads/shared.py): only with
    # REDIS_URL; each process keeps its own cache in front of it.
    shared_cache: bool = True
    shared_cache_ttl_seconds: PositiveFloat = 300.0
    shared_cache_max_value_bytes: PositiveInt = 1024 * 1024
    shared_cache_max_entries: PositiveInt = 100_000
    shared_cache_max_bytes: PositiveInt = 256 * 1024 * 1024
    shared_cache_lease_seconds: PositiveFloat = 5.0
    """How long one replica's fetch holds a key, and the longest the others wait for it."""
    shared_cache_timeout_seconds: PositiveFloat = 0.5
    """Each Redis call of the shared cache; beyond it the replica reads on its own for a while."""

    metrics_enabled: bool = True
    tracing_enabled: bool = False
    otel_exporter: OtelExporter = "console"
    ready_check_interval_seconds: PositiveFloat = 10.0
    ready_check_timeout_seconds: PositiveFloat = 2.0

    idempotency_ttl_seconds: PositiveFloat = 86_400.0
    idempotency_lease_seconds: PositiveFloat = 120.0
    idempotency_wait_seconds: PositiveFloat = 30.0
    push_poll_after_seconds: PositiveFloat = 10.0
    push_poll_max_interval_seconds: PositiveFloat = 60.0
    push_watch_max_seconds: PositiveFloat = 3_600.0
    refresh_coalesce_seconds: NonNegativeFloat = 2.0
    """How long writes to one company are gathered before their data types are refreshed."""
    subscription_queue_size: PositiveInt = 100
    upload_max_bytes: PositiveInt = 10 * 1024 * 1024

    # Client authentication (README: Client authentication): the GATEWAY_* variables.
    auth: Annotated[bool, _text(_on_off)] = Field(False, validation_alias="GATEWAY_AUTH")
    """Require a bearer token on /graphql (from_env: on whenever CODAT_API_KEY is set)."""
    api_keys: Annotated[tuple[ApiKey, ...], NoDecode, _text(parse_api_keys)] = Field(
        (), validation_alias="GATEWAY_API_KEYS"
    )
    api_keys_file: Annotated[Path | None, NoDecode, _text(_api_keys_file)] = Field(
        None, validation_alias="GATEWAY_API_KEYS"
    )
    """The file GATEWAY_API_KEYS names, if any (re-read by POST /admin/reload-credentials)."""
    jwt_secret: SecretStr | None = Field(None, min_length=32, validation_alias="GATEWAY_JWT_SECRET")
    jwks: Annotated[str | None, _text(_jwks)] = Field(None, validation_alias="GATEWAY_JWKS")
    jwt_algorithms: Annotated[tuple[str, ...], NoDecode, _text(_jwt_algorithms)] = Field(
        default_factory=_default_algorithms, validation_alias="GATEWAY_JWT_ALGORITHMS"
    )
    jwks_cache_seconds: PositiveFloat = Field(300.0, validation_alias="GATEWAY_JWKS_CACHE_SECONDS")
    jwt_issuer: str | None = Field(None, validation_alias="GATEWAY_JWT_ISSUER")
    jwt_audience: str | None = Field(None, validation_alias="GATEWAY_JWT_AUDIENCE")
    jwt_companies_claim: str = Field(
        "codat_companies", validation_alias="GATEWAY_JWT_COMPANIES_CLAIM"
    )
    jwt_leeway_seconds: NonNegativeFloat = Field(
        30.0, validation_alias="GATEWAY_JWT_LEEWAY_SECONDS"
    )
    """Clock skew allowed on exp/nbf/iat; a token's subscriptions end at exp plus this."""
    admin_token: SecretStr | None = Field(None, validation_alias="GATEWAY_ADMIN_TOKEN")
    introspection: bool = Field(True, validation_alias="GATEWAY_INTROSPECTION")
    max_depth: PositiveInt = Field(10, validation_alias="GATEWAY_MAX_DEPTH")
    max_aliases: PositiveInt = Field(30, validation_alias="GATEWAY_MAX_ALIASES")
    max_tokens: PositiveInt = Field(3000, validation_alias="GATEWAY_MAX_TOKENS")
    max_cost: PositiveInt = Field(200, validation_alias="GATEWAY_MAX_COST")
    max_document_bytes: PositiveInt = Field(100_000, validation_alias="GATEWAY_MAX_DOCUMENT_BYTES")
    max_records: PositiveInt = Field(5_000, validation_alias="GATEWAY_MAX_RECORDS")
    max_response_bytes: PositiveInt = Field(
        16 * 1024 * 1024, validation_alias="GATEWAY_MAX_RESPONSE_BYTES"
    )
    max_pay_bills: PositiveInt = Field(100, validation_alias="GATEWAY_MAX_PAY_BILLS")
    rate_limit_per_second: NonNegativeFloat = Field(
        10.0, validation_alias="GATEWAY_RATE_LIMIT_PER_SECOND"
    )
    rate_limit_burst: PositiveInt = Field(50, validation_alias="GATEWAY_RATE_LIMIT_BURST")
    auth_failures_per_minute: NonNegativeInt = Field(
        30, validation_alias="GATEWAY_AUTH_FAILURES_PER_MINUTE"
    )
    max_body_bytes: PositiveInt = Field(1_048_576, validation_alias="GATEWAY_MAX_BODY_BYTES")

    @model_validator(mode="after")
    def _settings_that_need_each_other(self) -> Settings:
        if "HS256" in self.jwt_algorithms and not self.jwt_secret:
            raise _missing("GATEWAY_JWT_SECRET", "required when GATEWAY_JWT_ALGORITHMS has HS256")
        if "RS256" in self.jwt_algorithms and self.jwks is None:
            raise _missing("GATEWAY_JWKS", "required when GATEWAY_JWT_ALGORITHMS has RS256")
        if self.persisted_queries == "allowlist" and self.persisted_queries_file is None:
            raise _missing("PERSISTED_QUERIES_FILE", "required when PERSISTED_QUERIES=allowlist")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only the values given: the environment is read once, by `from_env`, from its mapping.
        return (init_settings,)

    @property
    def uses_sandbox(self) -> bool:
        """No API key: the gateway runs against its built-in sandbox."""
        return self.codat_api_key is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in `environ` (default `os.environ`), or a ConfigError naming the first
        bad variable in one line, secrets never shown."""
        values = _Environ(cls, os.environ if environ is None else environ)()
        # Off by default only in front of the built-in sandbox; a real Codat key turns it on.
        values.setdefault("GATEWAY_AUTH", "CODAT_API_KEY" in values)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise _config_error(cls, exc.errors(), values) from None

    def pointed_at(self, base_url: str, api_key: str) -> Settings:
        """The same settings aimed at another Codat (the built-in sandbox)."""
        return self.model_copy(
            update={"codat_base_url": base_url, "codat_api_key": SecretStr(api_key)}
        )

    def describe(self) -> dict[str, str]:
        """Every setting as text, secrets masked: what `gateway check-config` prints."""
        return {name: "(not set)" if value is None else str(value) for name, value in self}


class _Environ(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of os.environ.
    Only the settings' variables are read (never a field's own lower-case name); values are
    stripped, and a blank one counts as not set (the default applies)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        variables = {field.validation_alias for field in settings_cls.model_fields.values()}
        self._environ = {
            name: raw.strip() for name, raw in environ.items() if name in variables and raw.strip()
        }
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return self._environ


def _missing(variable: str, problem: str) -> PydanticCustomError:
    return PydanticCustomError("missing_setting", problem, {"variable": variable})


# pydantic's own error types, said as what the variable should hold.
_PROBLEMS: dict[str, Callable[[dict[str, Any]], str]] = {
    "float_parsing": lambda _: "expected a number, e.g. 2.5",
    "float_type": lambda _: "expected a number, e.g. 2.5",
    "finite_number": lambda _: "expected a finite number, e.g. 2.5",
    "int_parsing": lambda _: "expected a whole number, e.g. 10",
    "int_type": lambda _: "expected a whole number, e.g. 10",
    "int_from_float": lambda _: "expected a whole number, e.g. 10",
    "bool_parsing": lambda _: "expected one of true/false, 1/0, yes/no, on/off",
    "greater_than": lambda ctx: f"must be greater than {ctx['gt']:g}",
    "greater_than_equal": lambda ctx: f"must be {ctx['ge']:g} or greater",
    "less_than_equal": lambda ctx: f"must be {ctx['le']:g} or less",
    "literal_error": lambda ctx: f"must be one of {ctx['expected']}",
    "too_short": lambda ctx: f"must be at least {ctx['min_length']} characters",
    "path_not_file": lambda _: "must name an existing file",
    "value_error": lambda ctx: str(ctx["error"]),
}


def _config_error(
    cls: type[Settings], errors: list[ErrorDetails], given: Mapping[str, Any]
) -> ConfigError:
    """The first error as a ConfigError naming its variable, with the text it was `given`
    unless the setting is a secret."""
    error = next(e for e in errors if e["type"] != "default_factory_not_called")
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error["type"] == "missing_setting":
        return ConfigError(ctx["variable"], error["msg"])
    variable = str(error["loc"][0])  # from_env gives each value under its variable's name
    field = next(f for f in cls.model_fields.values() if f.validation_alias == variable)
    explain = _PROBLEMS.get(error["type"])
    problem = error["msg"] if explain is None else explain(ctx)
    shown = "" if _is_secret(field) else f" (got {given[variable]!r})"
    return ConfigError(variable, f"{problem}{shown}")


def _is_secret(field: FieldInfo) -> bool:
    """Credentials and the client keys: their values never appear in an error."""
    return _mentions(field.annotation, SecretStr) or field.validation_alias == "GATEWAY_API_KEYS"


def _mentions(annotation: object, kind: type) -> bool:
    return annotation is kind or any(_mentions(arg, kind) for arg in get_args(annotation))
