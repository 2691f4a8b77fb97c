"""Settings: read once from a mapping, typed, secrets masked, errors naming the variable."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from gateway.errors import ConfigError
from gateway.settings import Settings


def test_defaults_point_at_production_codat_and_use_the_sandbox_without_a_key() -> None:
    settings = Settings.from_env({})
    assert settings.codat_base_url == "https://api.codat.io"
    assert settings.uses_sandbox
    assert settings.codat_max_concurrency_per_company == 10


def test_values_are_parsed_and_the_api_key_is_masked_everywhere() -> None:
    settings = Settings.from_env(
        {
            "CODAT_API_KEY": "very-secret-key",
            "CODAT_BASE_URL": "https://codat.example/",
            "CODAT_TIMEOUT_SECONDS": "2.5",
            "GATEWAY_PORT": "9000",
            "GATEWAY_GRAPHIQL": "off",
        }
    )
    assert settings.codat_api_key == SecretStr("very-secret-key")
    assert settings.codat_base_url == "https://codat.example"
    assert settings.codat_timeout_seconds == 2.5
    assert settings.port == 9000
    assert settings.graphiql is False
    assert not settings.uses_sandbox
    assert "very-secret-key" not in repr(settings)
    assert "very-secret-key" not in str(settings.describe())


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CODAT_TIMEOUT_SECONDS", "soon"),
        ("CODAT_TIMEOUT_SECONDS", "-1"),
        ("CODAT_BASE_URL", "api.codat.io"),
        ("GATEWAY_PORT", "70000"),
        ("GATEWAY_GRAPHIQL", "maybe"),
        ("CODAT_MAX_CONCURRENCY_PER_COMPANY", "0"),
        ("LOG_LEVEL", "loud"),
        ("WEBHOOK_SECRET", "not-a-whsec"),
        ("WEBHOOK_SECRET", "whsec_***"),
        ("WEBHOOK_MAX_BODY_BYTES", "0"),
        ("REDIS_URL", "http://:hunter2@localhost"),
        ("CACHE_DEGRADED_TTL_SECONDS", "-1"),
        ("EVENT_QUEUE_SIZE", "many"),
    ],
)
def test_a_malformed_setting_is_a_one_line_error_naming_the_variable(
    variable: str, value: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({variable: value})
    message = str(raised.value)
    assert raised.value.variable == variable
    assert message.startswith(f"{variable}: ")
    assert "\n" not in message
    # and it shows no secret: not the Redis password, not a malformed webhook secret
    assert "hunter2" not in message
    if variable == "WEBHOOK_SECRET":
        assert value not in message


def test_pointing_at_the_sandbox_keeps_every_other_setting() -> None:
    settings = Settings.from_env({"GATEWAY_PORT": "9100"})
    moved = settings.pointed_at("http://127.0.0.1:9101", "sandbox")
    assert moved.codat_base_url == "http://127.0.0.1:9101"
    assert moved.port == 9100
    assert not moved.uses_sandbox


# Every credential the gateway reads, each a value that appears nowhere else.
SECRETS = {
    "CODAT_API_KEY": "codat-key-do-not-print",
    "WEBHOOK_SECRET": "whsec_ZG8tbm90LXByaW50LXdlYmhvb2stc2VjcmV0",
    "WEBHOOK_LEGACY_AUTHORIZATION": "Bearer legacy-do-not-print",
    "REDIS_URL": "redis://:redis-password-do-not-print@127.0.0.1:6379/0",
    "GATEWAY_JWT_SECRET": "jwt-secret-do-not-print-0123456789abcdef",
    "GATEWAY_ADMIN_TOKEN": "admin-token-do-not-print",
}
SECRET_WORDS = (
    "codat-key-do-not-print",
    SECRETS["WEBHOOK_SECRET"].removeprefix("whsec_"),
    "legacy-do-not-print",
    "redis-password-do-not-print",
    "jwt-secret-do-not-print",
    "admin-token-do-not-print",
)


def test_no_secret_shows_in_repr_str_or_the_described_settings() -> None:
    settings = Settings.from_env(SECRETS)
    shown = f"{settings!r} {settings!s} {settings.describe()}"
    for word in SECRET_WORDS:
        assert word not in shown
    revealed = " ".join(
        value.get_secret_value() for _, value in settings if isinstance(value, SecretStr)
    )
    assert all(word in revealed for word in SECRET_WORDS)  # each was read, as a SecretStr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GATEWAY_JWT_SECRET", "short-jwt-secret-do-not-print"),
        ("REDIS_URL", "http://:redis-password-do-not-print@localhost"),
        ("WEBHOOK_SECRET", "whsec_not-base64-do-not-print!"),
    ],
)
def test_an_error_about_a_secret_names_the_variable_but_not_the_value(
    variable: str, value: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({variable: value})
    assert raised.value.variable == variable
    assert "do-not-print" not in str(raised.value)
    assert raised.value.__cause__ is None  # no ValidationError (with the input) chained on


def test_only_the_mapping_given_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "9999")
    monkeypatch.setenv("CODAT_API_KEY", "from-the-process")
    assert Settings().port == 8000
    assert Settings(port=9100).port == 9100
    assert Settings.from_env({}).uses_sandbox
    assert Settings.from_env({"port": "9100", "codat_api_key": "k"}) == Settings.from_env({})


def test_a_blank_variable_is_not_set_and_values_are_trimmed() -> None:
    settings = Settings.from_env({"GATEWAY_PORT": "  ", "LOG_LEVEL": " debug ", "GATEWAY_AUTH": ""})
    assert settings.port == 8000
    assert settings.log_level == "DEBUG"
    assert settings.auth is False
