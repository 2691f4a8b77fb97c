"""Webhook, Redis and event-bus settings: secrets masked, errors name the variable."""

from __future__ import annotations

from gateway.settings import Settings

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_defaults_leave_webhooks_closed_and_redis_off() -> None:
    settings = Settings.from_env({})
    assert settings.webhook_secret is None
    assert settings.webhook_legacy_authorization is None
    assert settings.webhook_max_body_bytes == 1_048_576
    assert settings.redis_url is None
    assert settings.cache_degraded_ttl_seconds == 15.0
    assert settings.event_queue_size == 1000


def test_values_are_read_and_secrets_masked() -> None:
    settings = Settings.from_env(
        {
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LEGACY_AUTHORIZATION": "Bearer abc",
            "WEBHOOK_MAX_BODY_BYTES": "2048",
            "REDIS_URL": "redis://:hunter2@127.0.0.1:6379/0",
            "REDIS_KEY_PREFIX": "prod",
            "CACHE_DEGRADED_TTL_SECONDS": "5",
            "EVENT_QUEUE_SIZE": "64",
        }
    )
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == SECRET
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value().endswith("/0")
    assert (settings.webhook_max_body_bytes, settings.event_queue_size) == (2048, 64)
    assert settings.cache_degraded_ttl_seconds == 5.0
    assert settings.redis_key_prefix == "prod"
    described = " ".join(settings.describe().values())
    assert "hunter2" not in described
    assert SECRET not in described
    assert "Bearer abc" not in described
