"""The ASGI layer in front of Codat's paths: record, faults, auth, idempotency, latency, headers.

Order for each Codat request: record arrival -> fault (status / slow / drop / lost) -> auth (401)
-> rate limits (the daily quota, then the company's concurrency cap: 429 + Retry-After;
sandbox/ratelimits.py) -> Idempotency-Key check (POST and PATCH) -> latency -> the route. Every
response gets the X-Rate-Limit-* headers as they stand when it is sent. Knob paths (/_sandbox/...)
skip it all.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.config import SandboxConfig
from sandbox.errors import error_response
from sandbox.knobs_state import IDEMPOTENCY_TTL_SECONDS, IdempotencyRecord, Knobs
from sandbox.runtime import Sandbox

KNOB_PREFIX = "/_sandbox"
RECORDED_HEADERS = ("idempotency-key", "content-type", "user-agent")
IDEMPOTENT_METHODS = {"POST", "PATCH"}
_COMPANY = re.compile(r"^/companies/([^/]+)")


def authorized(config: SandboxConfig, header: str | None) -> bool:
    """`Basic <base64(key)>`; any decodable key when no api_key is configured."""
    if header is None or not header.startswith("Basic "):
        return False
    try:
        key = base64.b64decode(header.removeprefix("Basic ").strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    if not key:
        return False
    return config.api_key is None or key == config.api_key


class SandboxMiddleware:
    """Wraps the FastAPI app; see the module docstring for the order of checks."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(KNOB_PREFIX):
            await self.app(scope, receive, send)
            return
        await _Exchange(self, scope, receive, send).run()

    def rate_limit_headers(self) -> list[tuple[bytes, bytes]]:
        """X-Rate-Limit-Limit / -Remaining / -Reset as they stand now (they move with use)."""
        return self.sandbox.rate_limits.headers()


class _Exchange:
    """One request/response pair passing through the middleware."""

    def __init__(
        self, owner: SandboxMiddleware, scope: Scope, receive: Receive, send: Send
    ) -> None:
        self.owner = owner
        self.knobs: Knobs = owner.sandbox.knobs
        self.scope = scope
        self.receive = receive
        self.send = send
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        match = _COMPANY.match(self.path)
        self.entry: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "query": query,
            "params": dict(parse_qsl(query, keep_blank_values=True)),
            "headers": {h: self.headers[h] for h in RECORDED_HEADERS if h in self.headers},
            "authorized": authorized(owner.sandbox.config, self.headers.get("authorization")),
            "companyId": match.group(1) if match else None,
            "status": None,
            "fault": None,
            "limited": None,
            "start": time.time(),
            "end": None,
        }
        self.knobs.requests.append(self.entry)
        self.captured: IdempotencyRecord | None = None
        self.lost_status: int | None = None

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            if self.entry["end"] is None:
                self.entry["end"] = time.time()

    async def _run(self) -> None:
        fault = self.knobs.take_fault(self.method, self.path)
        if fault is not None:
            self.entry["fault"] = fault.kind
            if fault.kind == "drop":
                await self._drop()
                return
            if fault.kind == "lost":
                # The write is done (and its Idempotency-Key answer kept, as Codat keeps it);
                # the client hears `status` instead, as from a proxy that lost the answer.
                self.lost_status = fault.status
            elif fault.kind == "slow":
                # Slow to answer, not to listen: the request is taken in whole first, so a
                # client that gives up meanwhile still gets its request processed (as Codat would).
                self.receive = _replaying(await self._read_body(), self.receive)
                await asyncio.sleep(fault.delay_ms / 1000.0)
            else:
                extra = {"Retry-After": fault.retry_after} if fault.retry_after else None
                await self._respond(
                    error_response(
                        fault.status, _FAULT_TEXT.get(fault.status, "Injected fault"), headers=extra
                    )
                )
                return
        if not self.entry["authorized"]:
            await self._respond(error_response(401, "Unauthorized"))
            return
        limits = self.owner.sandbox.rate_limits
        company_id = self.entry["companyId"]
        admission = limits.admit(company_id)
        if admission.refused is not None:
            self.entry["limited"] = admission.refused
            headers = {"Retry-After": admission.retry_after} if admission.retry_after else None
            await self._respond(
                error_response(429, _LIMITED_TEXT[admission.refused], headers=headers)
            )
            return
        try:
            await self._admitted()
        finally:
            limits.release(company_id)

    async def _admitted(self) -> None:
        receive = self.receive
        key = self.headers.get("idempotency-key")
        if key and self.method in IDEMPOTENT_METHODS:
            receive_or_done = await self._idempotency(key)
            if receive_or_done is None:
                return
            receive = receive_or_done
        delay = self.knobs.latency_seconds(self.path)
        if delay:
            await asyncio.sleep(delay)
        try:
            await self.owner.app(self.scope, receive, self._send)
        finally:
            if self.captured is not None and key is not None:
                self._finish_idempotency(key)
        if self.lost_status is not None:
            status, self.lost_status = self.lost_status, None
            self.entry["status"] = status
            response = error_response(status, _FAULT_TEXT.get(status, "Injected fault"))
            await response(self.scope, self.receive, self.send)

    async def _idempotency(self, key: str) -> Receive | None:
        body = await self._read_body()
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    self.method.encode(),
                    self.path.encode(),
                    self.scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        record = self.knobs.idempotency_record(key)
        if record is not None:
            if record.fingerprint != fingerprint:
                text = "The Idempotency-Key has already been used with a different request body."
                await self._respond(error_response(422, text))
            elif not record.done:
                text = "A request with the same Idempotency-Key is still being processed."
                await self._respond(error_response(409, text))
            else:
                self.entry["idempotentReplay"] = True
                await self._replay(record)
            return None
        self.captured = IdempotencyRecord(fingerprint, time.monotonic() + IDEMPOTENCY_TTL_SECONDS)
        self.knobs.idempotency[key] = self.captured
        return _replaying(body, self.receive)

    def _finish_idempotency(self, key: str) -> None:
        captured = self.captured
        assert captured is not None
        # 429s are not kept (retry with the same key); other 4xx/5xx are, like Codat.
        if captured.status in {0, 429}:
            self.knobs.idempotency.pop(key, None)
        else:
            captured.done = True

    async def _read_body(self) -> bytes:
        chunks: list[bytes] = []
        more = True
        while more:
            message = await self.receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.entry["status"] = message["status"]
            headers = [*message.get("headers", []), *self.owner.rate_limit_headers()]
            message = {**message, "headers": headers}
            if self.captured is not None:
                self.captured.status = message["status"]
                self.captured.headers = [
                    (k, v) for k, v in headers if not k.lower().startswith(b"x-rate-limit")
                ]
        elif message["type"] == "http.response.body" and self.captured is not None:
            self.captured.body += message.get("body", b"")
        if self.lost_status is not None:
            return  # the route's answer is lost on the way back (fault "lost")
        await self.send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            self.entry["end"] = time.time()

    async def _respond(self, response: Any) -> None:
        await response(self.scope, self.receive, self._send)

    async def _replay(self, record: IdempotencyRecord) -> None:
        await self._send(
            {
                "type": "http.response.start",
                "status": record.status,
                "headers": list(record.headers),
            }
        )
        await self._send({"type": "http.response.body", "body": record.body, "more_body": False})

    async def _drop(self) -> None:
        """Promise a body, then return without sending it: the server closes the connection."""
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
        }
        await self.send(start)
        await self.send({"type": "http.response.body", "body": b'{"results": [', "more_body": True})


_LIMITED_TEXT = {
    "quota": "You have exceeded your daily request quota. Please wait until it resets.",
    "concurrency": "You have made too many requests in a given amount of time; please retry later.",
}

_FAULT_TEXT = {
    400: "Bad request.",
    401: "Unauthorized",
    402: "Your account has exceeded its limits.",
    403: "You are not allowed to access this resource.",
    404: "Resource not found.",
    408: "The request timed out.",
    409: "Conflict.",
    429: "You have exceeded your rate limit. Please wait before retrying.",
    500: "An internal error occurred.",
    502: "Bad gateway.",
    503: "The service is currently unavailable. Please try again later.",
    504: "Gateway timeout.",
}


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` once, then whatever the connection says next."""
    unread: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return unread.pop() if unread else await receive()

    return replay
