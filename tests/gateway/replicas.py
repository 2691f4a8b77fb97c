"""Gateway replicas for webhook tests: settings, signed deliveries, Redis, and cuttable links."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr
from svix.webhooks import Webhook

from bench.common import free_port
from gateway.app import create_app
from gateway.settings import Settings
from sandbox.config import SandboxConfig
from tests.conftest import SANDBOX_API_KEY
from tests.servers import ServerThread, running

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
WEBHOOK_SECRET = SandboxConfig.small().webhook_secret
LEGACY_AUTHORIZATION = "Bearer legacy-webhook-token"

BILLS = """
query Bills($company: ID!) {
  company(id: $company) { bills(first: 5) { nodes { codatId amountDue } } }
}
"""


def unique_prefix() -> str:
    """A Redis key prefix (and channel) no other test or run shares."""
    return f"test-{uuid.uuid4().hex[:12]}"


def replica_settings(sandbox_url: str, *, redis_url: str | None, prefix: str) -> Settings:
    return Settings(
        codat_api_key=SecretStr(SANDBOX_API_KEY),
        codat_base_url=sandbox_url,
        codat_max_attempts=1,
        webhook_secret=SecretStr(WEBHOOK_SECRET),
        webhook_legacy_authorization=SecretStr(LEGACY_AUTHORIZATION),
        webhook_max_body_bytes=64 * 1024,
        redis_url=None if redis_url is None else SecretStr(redis_url),
        redis_key_prefix=prefix,
        cache_degraded_ttl_seconds=7.0,
        graphiql=False,
    )


def with_changes(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update=changes)


def _sandbox_results(sandbox_url: str, path: str, page_size: int) -> list[dict[str, Any]]:
    """A first page straight from the sandbox's Codat API (no gateway, no cache)."""
    key = base64.b64encode(SANDBOX_API_KEY.encode()).decode()
    response = httpx.get(
        f"{sandbox_url}{path}",
        headers={"authorization": f"Basic {key}"},
        params={"page": 1, "pageSize": page_size},
        timeout=10,
    )
    response.raise_for_status()
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def synced_company(sandbox_url: str) -> str:
    """The first company with synced data."""
    companies = _sandbox_results(sandbox_url, "/companies", 10)
    synced = [company for company in companies if company.get("lastSync")]
    return str(synced[0]["id"])


def first_bill_id(sandbox_url: str, company_id: str) -> str:
    """A bill of the company, asked of the sandbox itself (no replica's cache is warmed)."""
    return str(_sandbox_results(sandbox_url, f"/companies/{company_id}/data/bills", 1)[0]["id"])


def bills(gateway_url: str, company_id: str) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{gateway_url}/graphql",
        json={"query": BILLS, "variables": {"company": company_id}},
        timeout=15,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    nodes: list[dict[str, Any]] = body["data"]["company"]["bills"]["nodes"]
    return nodes


def readiness(gateway_url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{gateway_url}/readyz", timeout=5).json()
    return body


def applied(gateway_url: str) -> int:
    return int(readiness(gateway_url)["events"]["applied"])


def wait_until(condition: Callable[[], bool], *, timeout: float = 8.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def send_webhooks_to(sandbox_url: str, *urls: str) -> None:
    targets = [{"url": url} for url in urls]
    httpx.put(f"{sandbox_url}/_sandbox/webhooks", json={"targets": targets}, timeout=10)


def patch_record(
    sandbox_url: str, company_id: str, data_type: str, record_id: str, change: dict[str, Any]
) -> None:
    url = f"{sandbox_url}/_sandbox/companies/{company_id}/data/{data_type}/{record_id}"
    httpx.patch(url, json=change, timeout=10).raise_for_status()


def signed_headers(
    body: bytes,
    *,
    message_id: str | None = None,
    at: datetime | None = None,
    secret: str = WEBHOOK_SECRET,
    prefix: str = "webhook",
) -> dict[str, str]:
    """Standard Webhooks headers, as Codat (Svix) sends them."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(message_id, at, body.decode())
    return {
        "content-type": "application/json",
        f"{prefix}-id": message_id,
        f"{prefix}-timestamp": str(int(at.timestamp())),
        f"{prefix}-signature": signature,
    }


def read_completed(company_id: str, *data_types: str) -> bytes:
    """A read.completed body in which each of `data_types` has modified records."""
    summaries = [
        {"connectionId": str(uuid.uuid4()), "dataType": t, "recordsModified": True}
        | {"status": "Complete"}
        for t in data_types
    ]
    payload = {
        "referenceCompany": {"id": company_id, "name": "Test"},
        "modifiedFromDate": datetime.now(UTC).isoformat(),
        "dataTypes": summaries,
    }
    return platform_event("read.completed", payload)


def platform_event(event_type: str, payload: dict[str, Any]) -> bytes:
    """A Platform API webhook body of `event_type`, with a fresh id, generated now."""
    body = {
        "id": str(uuid.uuid4()),
        "eventType": event_type,
        "generatedDate": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "payload": payload,
    }
    return json.dumps(body).encode()


class Link:
    """A TCP forwarder on 127.0.0.1 that a test can cut (close everything) and restore."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, upstream_writer}
        for pump in (
            self._pump(reader, upstream_writer),
            self._pump(upstream_reader, writer),
        ):
            task = asyncio.create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


@contextlib.contextmanager
def redis_link() -> Iterator[Link]:
    """A cuttable path to the test Redis."""
    parts = httpx.URL(REDIS_URL)
    link = Link(parts.host or "127.0.0.1", parts.port or 6379)
    link.start()
    try:
        yield link
    finally:
        link.stop()


@dataclass
class Replicas:
    """Two gateway replicas on one sandbox and one Redis key prefix."""

    sandbox: str
    a: ServerThread
    b: ServerThread
    company: str
    prefix: str


@contextlib.contextmanager
def two_replicas(
    sandbox_url: str, *, redis_url: str = REDIS_URL, **changes: Any
) -> Iterator[Replicas]:
    """Replicas A and B on one sandbox and one Redis (one key prefix); webhooks go to A."""
    prefix = unique_prefix()
    settings = with_changes(
        replica_settings(sandbox_url, redis_url=redis_url, prefix=prefix), **changes
    )
    with running(create_app(settings)) as a, running(create_app(settings)) as b:
        wait_until(lambda: all(readiness(r.url)["bus"]["healthy"] for r in (a, b)), what="on Redis")
        send_webhooks_to(sandbox_url, f"{a.url}/webhooks/codat")
        yield Replicas(sandbox_url, a, b, synced_company(sandbox_url), prefix)
