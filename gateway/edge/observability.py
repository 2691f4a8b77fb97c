"""Where metrics, traces and logs are taken: every Codat call and every GraphQL operation.

`UpstreamObserver` watches each logical Codat request in the transport (a child span of the
operation, a latency sample, a log line with Codat's correlation id); `OperationObserver` is a
schema extension that times each operation, opens its span, and adds the request id to errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from strawberry.extensions import SchemaExtension

from gateway.codat.transport import CallRecord
from gateway.edge.correlation import current_request_id
from gateway.ops.metrics import Metrics, template_path

log = logging.getLogger("gateway.reads.upstream.calls")


class UpstreamObserver:
    """The transport's `CallObserver`: metrics, an optional span, and a log line per call."""

    def __init__(self, metrics: Metrics | None, tracer: Tracer | None) -> None:
        self._metrics = metrics
        self._tracer = tracer

    @contextmanager
    def call(self, record: CallRecord) -> Iterator[None]:
        endpoint = template_path(record.path)
        started = time.perf_counter()
        span_context: AbstractContextManager[Span | None] = (
            nullcontext()
            if self._tracer is None
            else self._tracer.start_as_current_span(
                f"codat {record.method} {endpoint}",
                kind=SpanKind.CLIENT,
                record_exception=False,
                set_status_on_exception=False,
            )
        )
        with span_context as span:
            try:
                yield
            finally:
                seconds = time.perf_counter() - started
                if span is not None:
                    _annotate(span, record, endpoint)
                if self._metrics is not None:
                    self._metrics.observe_upstream(
                        record.method, endpoint, record.status, record.retries, seconds
                    )
                _log(record, endpoint, seconds)


def _annotate(span: Span, record: CallRecord, endpoint: str) -> None:
    span.set_attribute("http.request.method", record.method)
    span.set_attribute("url.template", endpoint)
    if record.status is not None:
        span.set_attribute("http.response.status_code", record.status)
    if record.retries:
        span.set_attribute("codat.retries", record.retries)
    if record.correlation_id is not None:
        span.set_attribute("codat.correlation_id", record.correlation_id)
    if record.error is not None:
        span.set_attribute("error.type", record.error)
        span.set_status(Status(StatusCode.ERROR, record.error))


def _log(record: CallRecord, endpoint: str, seconds: float) -> None:
    fields = {
        "method": record.method,
        "endpoint": endpoint,
        "status": record.status,
        "duration_ms": round(seconds * 1000, 1),
        "retries": record.retries,
        "codat_correlation_id": record.correlation_id,
    }
    if record.error is None:
        log.debug("codat %s %s %s", record.method, endpoint, record.status, extra=fields)
    else:
        log.warning(
            "codat %s %s failed: %s (%s)",
            record.method,
            endpoint,
            record.error,
            record.status or "no response",
            extra=fields,
        )


class OperationObserver(SchemaExtension):
    """Times and traces one GraphQL operation; puts the request id into every error."""

    def __init__(self, *, metrics: Metrics | None, tracer: Tracer | None) -> None:
        self._metrics = metrics
        self._tracer = tracer

    @classmethod
    def factory(
        cls, metrics: Metrics | None, tracer: Tracer | None
    ) -> Callable[[], OperationObserver]:
        return lambda: cls(metrics=metrics, tracer=tracer)

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        span_context: AbstractContextManager[Span | None] = (
            nullcontext()
            if self._tracer is None
            else self._tracer.start_as_current_span(
                "graphql operation", kind=SpanKind.SERVER, record_exception=False
            )
        )
        with span_context as span:
            yield
            seconds = time.perf_counter() - started
            context = self.execution_context
            name = context.operation_name
            try:
                operation_type = context.operation_type.value
            except RuntimeError:
                operation_type = "unknown"  # the document did not parse
            result = context.result
            errors = getattr(result, "errors", None) or []
            outcome = "error" if errors or context.pre_execution_errors else "ok"
            rid = current_request_id()
            if rid is not None:
                for error in errors:
                    error.extensions = {**(error.extensions or {}), "requestId": rid}
            if self._metrics is not None:
                self._metrics.observe_operation(name, operation_type, outcome, seconds)
            if span is not None:
                span.update_name(f"graphql {operation_type} {name or 'anonymous'}")
                span.set_attribute("graphql.operation.type", operation_type)
                span.set_attribute("graphql.operation.name", name or "")
                span.set_attribute("graphql.outcome", outcome)
                if rid is not None:
                    span.set_attribute("request.id", rid)
                if outcome == "error":
                    span.set_status(Status(StatusCode.ERROR, f"{len(errors)} error(s)"))
