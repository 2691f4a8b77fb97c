"""Webhook delivery: Standard Webhooks signing, a bounded queue, a few workers, short retries."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from sandbox.config import SandboxConfig
from sandbox.jsonio import dumps

Format = Literal["standard", "legacy"]
WORKERS = 4
RETRY_BACKOFF_SECONDS = (0.05, 0.2, 0.5, 1.0)
RETRYABLE = {408, 420, 429, 460, 502, 503, 504, 522, 524}


@dataclass(frozen=True)
class Target:
    """Where to send webhooks, and in which format."""

    url: str
    format: Format = "standard"

    @classmethod
    def parse(cls, text: str) -> Target:
        """`http://...` is a standard target; `legacy:http://...` asks for legacy payloads."""
        if text.startswith("legacy:"):
            return cls(text.removeprefix("legacy:"), "legacy")
        return cls(text, "standard")

    def as_json(self) -> dict[str, str]:
        return {"url": self.url, "format": self.format}


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value: v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class _Delivery:
    target: Target
    event_type: str
    message_id: str
    body: bytes


class Dispatcher:
    """Sends events to the configured targets from background workers; never blocks a request."""

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._configured = tuple(Target.parse(t) for t in config.webhook_targets)
        self.targets: list[Target] = list(self._configured)
        self.paused = False
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=500)
        self._queue: asyncio.Queue[_Delivery] = asyncio.Queue(maxsize=config.webhook_queue_size)
        self._workers: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self._config.webhook_timeout_seconds)
        self._workers = [asyncio.create_task(self._work()) for _ in range(WORKERS)]

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def reset(self) -> None:
        """Back to the configured targets, unpaused, with nothing queued or logged."""
        self.targets = list(self._configured)
        self.paused = False
        self.deliveries.clear()
        while not self._queue.empty():
            self._queue.get_nowait()

    def emit(self, standard: dict[str, Any] | None, legacy: list[dict[str, Any]]) -> None:
        """Queue one event: `standard` for standard targets, each `legacy` body for legacy ones."""
        for target in self.targets:
            if target.format == "standard" and standard is not None:
                message_id = "msg_" + uuid.UUID(standard["id"]).hex
                self._enqueue(_Delivery(target, standard["eventType"], message_id, dumps(standard)))
            elif target.format == "legacy":
                for body in legacy:
                    message_id = "msg_" + uuid.UUID(body["AlertId"]).hex
                    self._enqueue(_Delivery(target, body["RuleType"], message_id, dumps(body)))

    def _enqueue(self, delivery: _Delivery) -> None:
        if self.paused:
            self._log(delivery, None, "paused: not sent", 0)
            return
        try:
            self._queue.put_nowait(delivery)
        except asyncio.QueueFull:
            self._log(delivery, None, "dropped: delivery queue full", 0)

    def _headers(self, delivery: _Delivery) -> dict[str, str]:
        headers = {"content-type": "application/json", "user-agent": "Codat-Sandbox-Webhooks/1.0"}
        if delivery.target.format == "legacy":
            if self._config.legacy_authorization is not None:
                headers["authorization"] = self._config.legacy_authorization
            headers["x-codat-clientid"] = client_id(self._config)
            return headers
        timestamp = int(time.time())
        headers["webhook-id"] = delivery.message_id
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = sign(
            self._config.webhook_secret, delivery.message_id, timestamp, delivery.body
        )
        return headers

    async def _work(self) -> None:
        while True:
            delivery = await self._queue.get()
            try:
                await self._deliver(delivery)
            finally:
                self._queue.task_done()

    async def _deliver(self, delivery: _Delivery) -> None:
        assert self._client is not None
        attempts = 1 + self._config.webhook_retries
        for attempt in range(1, attempts + 1):
            status: int | None = None
            error: str | None = None
            try:
                response = await self._client.post(
                    delivery.target.url, content=delivery.body, headers=self._headers(delivery)
                )
                status = response.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            self._log(delivery, status, error, attempt)
            if status is not None and (200 <= status < 300 or status not in RETRYABLE):
                return
            if attempt < attempts:
                await asyncio.sleep(RETRY_BACKOFF_SECONDS[min(attempt - 1, 3)])

    def _log(
        self, delivery: _Delivery, status: int | None, error: str | None, attempt: int
    ) -> None:
        self.deliveries.append(
            {
                "url": delivery.target.url,
                "format": delivery.target.format,
                "eventType": delivery.event_type,
                "webhookId": delivery.message_id,
                "attempt": attempt,
                "statusCode": status,
                "error": error,
                "at": time.time(),
            }
        )


def client_id(config: SandboxConfig) -> str:
    """The sandbox's Codat client id, stable for a seed."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"codat-sandbox-client:{config.seed}"))
