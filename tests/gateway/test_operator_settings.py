"""Settings of the operator's kit: metrics, tracing and readiness checks."""

from __future__ import annotations

import importlib.util

import pytest

from gateway.app import create_app
from gateway.errors import ConfigError
from gateway.settings import Settings


def test_metrics_are_on_and_tracing_off_by_default() -> None:
    settings = Settings.from_env({})
    assert settings.metrics_enabled is True
    assert settings.tracing_enabled is False
    assert settings.otel_exporter == "console"
    assert settings.ready_check_interval_seconds == 10.0
    assert settings.ready_check_timeout_seconds == 2.0


def test_operator_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "METRICS_ENABLED": "false",
            "TRACING_ENABLED": "yes",
            "OTEL_EXPORTER": "NONE",
            "READY_CHECK_INTERVAL_SECONDS": "30",
            "READY_CHECK_TIMEOUT_SECONDS": "0.5",
        }
    )
    assert settings.metrics_enabled is False
    assert settings.tracing_enabled is True
    assert settings.otel_exporter == "none"
    assert settings.ready_check_interval_seconds == 30.0
    assert settings.ready_check_timeout_seconds == 0.5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OTEL_EXPORTER", "jaeger"),
        ("METRICS_ENABLED", "maybe"),
        ("READY_CHECK_TIMEOUT_SECONDS", "0"),
    ],
)
def test_a_bad_operator_variable_is_named(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env({variable: value})


def _otlp_installed() -> bool:
    try:
        return importlib.util.find_spec("opentelemetry.exporter.otlp.proto.http") is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.skipif(_otlp_installed(), reason="the OTLP exporter is installed here")
def test_otlp_without_its_package_names_the_package() -> None:
    settings = Settings.from_env(
        {"TRACING_ENABLED": "true", "OTEL_EXPORTER": "otlp", "CODAT_API_KEY": "k"}
    )
    with pytest.raises(ConfigError, match="opentelemetry-exporter-otlp-proto-http"):
        create_app(settings)
