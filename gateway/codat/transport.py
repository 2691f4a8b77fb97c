"""The one place requests go to Codat: auth, concurrency limits, retries, and error translation.

Every httpx exception becomes a `CodatTransportError` and every error status a `CodatHTTPError`
subclass here, and nowhere else. The class is chosen by the HTTP status alone: the `statusCode`
in Codat's error bodies is known to disagree with the status in places (notes §10).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from gateway.codat import _json
from gateway.codat.config import ClientConfig
from gateway.codat.errors import (
    CodatBadRequest,
    CodatConflict,
    CodatDataNotReady,
    CodatForbidden,
    CodatHTTPError,
    CodatNotFound,
    CodatPaymentRequired,
    CodatRateLimited,
    CodatServerError,
    CodatTransportError,
    CodatUnauthorized,
    CodatUnavailable,
    CodatUnprocessable,
)
from gateway.codat.limits import CompanySlots, LocalSlots, QuotaGate
from gateway.codat.retries import (
    IDEMPOTENT_METHODS,
    RETRYABLE_STATUSES,
    parse_retry_after,
    retry_wait,
)

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"

_ERRORS_BY_STATUS: Mapping[int, type[CodatHTTPError]] = {
    400: CodatBadRequest,
    401: CodatUnauthorized,
    402: CodatPaymentRequired,
    403: CodatForbidden,
    404: CodatNotFound,
    409: CodatConflict,
    422: CodatUnprocessable,
    429: CodatRateLimited,
    503: CodatUnavailable,
}

# Failures that happen before any byte of the request reaches Codat, so even a POST without an
# idempotency key can be retried safely.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures that may hit after Codat received the request: only idempotent requests retry.
_MAYBE_SENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(slots=True)
class RateLimitState:
    """The latest `X-Rate-Limit-*` headers Codat sent (Codat sends them on every response)."""

    limit: int | None = None
    remaining: int | None = None
    reset: str | None = None
    """Kept as text: Codat documents it as "the date when the quota will be reset", no format."""
    updated_at: float | None = None
    """`time.time()` of the response the values came from."""

    def update(self, headers: httpx.Headers) -> None:
        limit = headers.get("X-Rate-Limit-Limit")
        remaining = headers.get("X-Rate-Limit-Remaining")
        reset = headers.get("X-Rate-Limit-Reset")
        if limit is None and remaining is None and reset is None:
            return
        self.limit = _int_or_none(limit) if limit is not None else self.limit
        self.remaining = _int_or_none(remaining) if remaining is not None else self.remaining
        self.reset = reset if reset is not None else self.reset
        self.updated_at = time.time()


def _int_or_none(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


@dataclass(slots=True)
class TransportStats:
    """Counters for observability: attempts sent, retries made, calls that ended in an error."""

    requests: int = 0
    retries: int = 0
    failures: int = 0
    in_flight: int = 0


@dataclass(slots=True)
class CallRecord:
    """What one logical request did, filled in as it goes: for metrics, traces and logs."""

    method: str
    path: str
    status: int | None = None
    """The last status Codat answered with; None when no response came back."""
    correlation_id: str | None = None
    """Codat's `correlationId` from an error body, when it sent one."""
    retries: int = 0
    error: str | None = None
    """The error's class name when the call failed."""


class CallObserver(Protocol):
    """Watches every logical request (retries included) from start to end."""

    def call(self, record: CallRecord) -> AbstractContextManager[None]: ...


class CodatTransport:
    """Sends requests to Codat through an `httpx.AsyncClient`.

    `transport` replaces httpx's network transport (tests pass a recording or mock one); when it
    is given, `max_connections` is the transport's own business.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        credentials = base64.b64encode(config.api_key.encode()).decode("ascii")
        self._client = httpx.AsyncClient(
            base_url=config.base_url,
            headers={
                "Authorization": f"Basic {credentials}",
                "Accept": "application/json",
                "User-Agent": config.user_agent,
            },
            timeout=config.timeout.to_httpx(),
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
            transport=transport,
        )
        self._rng = rng or random.Random()
        # Calls not about one company (listing companies) share one bound of the same size.
        self.slots: CompanySlots = config.company_slots or LocalSlots(
            config.max_concurrency_per_company
        )
        self.quota: QuotaGate = config.quota_gate or QuotaGate()
        self.rate_limit = RateLimitState()
        self.stats = TransportStats()
        self.observer: CallObserver | None = None

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        company_id: str | None = None,
        params: Mapping[str, str | int | bool | None] | None = None,
        content: bytes | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        data_type: str | None = None,
    ) -> httpx.Response:
        """Send one logical request, retrying as the policy allows; return a 2xx response.

        `idempotent` overrides the default (GET/PUT/DELETE yes; POST only with an
        Idempotency-Key). `data_type` names the dataset a read depends on, for
        `CodatDataNotReady`.
        """
        method = method.upper()
        sent_headers = dict(headers or {})
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS or (
                method == "POST" and IDEMPOTENCY_KEY_HEADER in sent_headers
            )
        query = {
            key: _param_text(value) for key, value in (params or {}).items() if value is not None
        }
        record = CallRecord(method, path)
        with nullcontext() if self.observer is None else self.observer.call(record):
            return await self._attempts(
                record, query, content, files, sent_headers, company_id, data_type, idempotent
            )

    async def _attempts(
        self,
        record: CallRecord,
        query: Mapping[str, str],
        content: bytes | None,
        files: Mapping[str, tuple[str, bytes, str]] | None,
        sent_headers: Mapping[str, str],
        company_id: str | None,
        data_type: str | None,
        idempotent: bool,
    ) -> httpx.Response:
        method, path = record.method, record.path
        policy = self._config.retry
        started = time.monotonic()
        retry_number = 0
        while True:
            request = self._client.build_request(
                method, path, params=query, content=content, files=files, headers=sent_headers
            )
            cause: httpx.RequestError | None = None
            # The quota known to be gone: fail fast, no round trip (gateway/codat/limits.py).
            try:
                self.quota.check(method, str(request.url), company_id)
            except CodatRateLimited as refused:
                self.stats.failures += 1
                record.error = type(refused).__name__
                raise
            try:
                response = await self._send(request, company_id)
            except httpx.RequestError as exc:
                cause = exc
                record.status = None
                error: CodatTransportError | CodatHTTPError = CodatTransportError(
                    f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                    method=method,
                    url=str(request.url),
                    company_id=company_id,
                )
                retryable = isinstance(exc, _NOT_SENT) or (
                    idempotent and isinstance(exc, _MAYBE_SENT)
                )
                retry_after = None
            else:
                self.rate_limit.update(response.headers)
                quota_gone = self.quota.observe(
                    response.status_code,
                    _int_or_none(response.headers.get("X-Rate-Limit-Remaining") or "-"),
                    response.headers.get("X-Rate-Limit-Reset"),
                )
                record.status = response.status_code
                if response.is_success:
                    return response
                error = _http_error(response, company_id=company_id, data_type=data_type)
                record.correlation_id = error.correlation_id
                retryable = idempotent and response.status_code in RETRYABLE_STATUSES
                if response.status_code == 429 and quota_gone:
                    retryable = False  # the day's quota, not a burst: no retry can succeed
                retry_after = error.retry_after

            retry_number += 1
            wait = None
            if retryable:
                wait = retry_wait(
                    policy,
                    retry_number,
                    retry_after=retry_after,
                    elapsed=time.monotonic() - started,
                    rng=self._rng,
                )
            if wait is None:
                self.stats.failures += 1
                record.error = type(error).__name__
                if cause is not None:
                    raise error from cause
                raise error
            self.stats.retries += 1
            record.retries += 1
            logger.info(
                "retrying %s %s in %.2fs after %r (retry %d)",
                method,
                request.url.path,
                wait,
                error,
                retry_number,
            )
            await asyncio.sleep(wait)

    async def _send(self, request: httpx.Request, company_id: str | None) -> httpx.Response:
        # The slot is held for one attempt only, never across a backoff sleep, so a retrying
        # call does not starve the company's other calls.
        async with self.slots.slot(company_id):
            self.stats.requests += 1
            self.stats.in_flight += 1
            try:
                return await self._client.send(request)
            finally:
                self.stats.in_flight -= 1


def _param_text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _http_error(
    response: httpx.Response, *, company_id: str | None, data_type: str | None
) -> CodatHTTPError:
    """The error for a non-2xx response, chosen by status; the body only supplies details."""
    body = _error_body(response)
    status = response.status_code
    method = response.request.method

    def text(key: str) -> str | None:
        value = body.get(key)
        return value if isinstance(value, str) and value else None

    message = text("error") or response.reason_phrase or f"HTTP {status}"
    fields: dict[str, Any] = {
        "status_code": status,
        "method": method,
        "url": str(response.request.url),
        "correlation_id": text("correlationId"),
        "service": text("service"),
        "retry_after": parse_retry_after(response.headers.get("Retry-After")),
        "company_id": company_id,
    }
    if status == 409 and method == "GET":
        return CodatDataNotReady(message, data_type=data_type, **fields)
    error_class = _ERRORS_BY_STATUS.get(status)
    if error_class is None:
        error_class = CodatServerError if 500 <= status <= 599 else CodatHTTPError
    return error_class(message, **fields)


def _error_body(response: httpx.Response) -> Mapping[str, Any]:
    try:
        body = _json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
