"""OpenTelemetry tracing (off by default): a tracer provider of the app's own, and its exporter.

The provider is the app's, not OpenTelemetry's global one, so two apps in one process (tests,
the embedded sandbox) never share spans. `OTEL_EXPORTER` picks where spans go: `console`
(stderr), `otlp` (needs `opentelemetry-exporter-otlp-proto-http`; configured by the standard
`OTEL_EXPORTER_OTLP_*` variables) or `none`.
"""

from __future__ import annotations

import importlib
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Tracer

from gateway.errors import ConfigError

SERVICE_NAME = "payables-gateway"
EXPORTERS = ("console", "otlp", "none")


def otlp_exporter() -> SpanExporter:
    try:
        module = importlib.import_module("opentelemetry.exporter.otlp.proto.http.trace_exporter")
    except ImportError as exc:
        raise ConfigError(
            "OTEL_EXPORTER", "otlp needs the package opentelemetry-exporter-otlp-proto-http"
        ) from exc
    exporter: SpanExporter = module.OTLPSpanExporter()
    return exporter


def tracer_provider(
    exporter: str | SpanExporter, service_name: str = SERVICE_NAME
) -> TracerProvider:
    """A provider sending spans to the named exporter (or to the given one, in tests)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if isinstance(exporter, SpanExporter):
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    elif exporter == "otlp":
        provider.add_span_processor(BatchSpanProcessor(otlp_exporter()))
    return provider


def gateway_tracer(provider: TracerProvider) -> Tracer:
    return provider.get_tracer("gateway")
