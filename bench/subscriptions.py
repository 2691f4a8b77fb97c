"""Benchmark: 1,000 pushOperation subscribers on one gateway process hear one status change.

The gateway runs as its own process (`gateway serve`) in front of an in-process sandbox whose
push completes after a delay and which sends no webhooks itself. N subscribers (over C WebSocket
connections, graphql-transport-ws, the gql client) subscribe to one Pending push; once Codat
(the sandbox) has it Success, the bench posts the signed `billPayments.write.successful`
webhook and times, per subscriber, webhook POST to the Success message arriving. Every
subscriber stays subscribed until all have heard it, so the clients' unsubscribing (and the
gateway's ending of those operations) is not timed as delivery.
Memory per subscriber is the gateway's RSS growth from before the first connection to all
subscribed, divided by N (so it includes each subscriber's share of its connection).

Run: `.venv/bin/python -m bench.subscriptions [--subscribers 1000] [--connections 50]`.
Writes bench/results/subscriptions.{md,json}.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from gql import Client, GraphQLRequest, gql
from gql.transport.websockets import WebsocketsTransport

from bench.common import (
    API_KEY,
    cpu_seconds,
    rss_bytes,
    server,
    signed_webhook_headers,
    write_results,
)
from sandbox.app import create_app as create_sandbox_app
from sandbox.config import SandboxConfig
from tests.servers import running

SUBSCRIPTION = gql(
    "subscription Push($company: ID!, $key: String!) {"
    " pushOperation(companyId: $company, key: $key) { pushOperationKey status } }"
)
PAY_BILL = """
mutation Pay($input: PayBillInput!) {
  payBill(input: $input) { pushOperation { pushOperationKey status } errors { code message } }
}
"""
PUSH_DELAY_SECONDS = 30.0


def _codat(sandbox_url: str, path: str, **params: str) -> Any:
    token = base64.b64encode(API_KEY.encode()).decode()
    response = httpx.get(
        f"{sandbox_url}{path}", params=params, headers={"Authorization": f"Basic {token}"}
    )
    response.raise_for_status()
    return response.json()


def _pay_one_bill(sandbox_url: str, gateway_url: str) -> tuple[str, str]:
    """(company id, push key) of a fresh payment, Pending for PUSH_DELAY_SECONDS."""
    company = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=30).json()["companies"][0]["id"]
    accounts = _codat(sandbox_url, f"/companies/{company}/data/accounts", pageSize="500")
    banks = {a["currency"]: a["id"] for a in accounts["results"] if a["isBankAccount"]}
    bills = _codat(
        sandbox_url, f"/companies/{company}/data/bills", query="status=Open", pageSize="100"
    )["results"]
    bill = next(b for b in bills if b["currency"] in banks)
    variables = {
        "input": {
            "companyId": company,
            "billId": bill["id"],
            "accountId": banks[bill["currency"]],
            "date": "2026-11-26",
        }
    }
    response = httpx.post(
        f"{gateway_url}/graphql", json={"query": PAY_BILL, "variables": variables}, timeout=30
    )
    payload = response.json()["data"]["payBill"]
    assert payload["errors"] == [], payload["errors"]
    return company, payload["pushOperation"]["pushOperationKey"]


def _webhook(company: str, key: str) -> bytes:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    body = {
        "id": str(uuid.uuid4()),
        "eventType": "billPayments.write.successful",
        "generatedDate": now,
        "payload": {
            "id": key,
            "type": "Create",
            "referenceCompany": {"id": company, "name": "Bench"},
            "connectionId": str(uuid.uuid4()),
            "requestedOnDate": now,
            "completedOnDate": now,
            "status": "Success",
        },
    }
    return json.dumps(body).encode()


async def _connection(
    url: str,
    variables: dict[str, str],
    count: int,
    subscribed: asyncio.Queue[None],
    received: list[float],
    everyone: tuple[asyncio.Event, int],
) -> None:
    heard, total = everyone
    transport = WebsocketsTransport(url=url, subprotocols=["graphql-transport-ws"])
    async with Client(transport=transport) as session:

        async def one() -> None:
            request = GraphQLRequest(SUBSCRIPTION, variable_values=variables)
            async for result in session.subscribe(request):
                status = result["pushOperation"]["status"]
                if status == "Pending":
                    subscribed.put_nowait(None)
                elif status == "Success":
                    # The first Success is what is timed; the subscription goes on until the
                    # refreshed data is readable (syncState), which this bench does not wait for.
                    received.append(time.time())
                    if len(received) >= total:
                        heard.set()
                    await heard.wait()
                    return

        await asyncio.gather(*(one() for _ in range(count)))


async def _run(gateway: str, pid: int, company: str, key: str, args: argparse.Namespace) -> dict:  # type: ignore[type-arg]
    ws = gateway.replace("http://", "ws://") + "/graphql"
    variables = {"company": company, "key": key}
    subscribed: asyncio.Queue[None] = asyncio.Queue()
    received: list[float] = []
    per_connection = args.subscribers // args.connections
    total = per_connection * args.connections
    everyone = (asyncio.Event(), total)
    rss_before = rss_bytes(pid)
    tasks = [
        asyncio.create_task(
            _connection(ws, variables, per_connection, subscribed, received, everyone)
        )
        for _ in range(args.connections)
    ]
    started = time.perf_counter()
    for _ in range(total):
        await asyncio.wait_for(subscribed.get(), 60)
    subscribe_seconds = time.perf_counter() - started
    rss_after = rss_bytes(pid)
    # The sandbox completes the push; only then does the webhook tell the gateway.
    token = base64.b64encode(API_KEY.encode()).decode()
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            push = await client.get(
                f"{args.sandbox}/companies/{company}/push/{key}",
                headers={"Authorization": f"Basic {token}"},
            )
            if push.json()["status"] == "Success":
                break
            await asyncio.sleep(0.1)
        body = _webhook(company, key)
        headers = signed_webhook_headers(args.secret, body)
        cpu_before, sent = cpu_seconds(pid), time.time()
        reply = await client.post(f"{gateway}/webhooks/codat", content=body, headers=headers)
        reply.raise_for_status()
        await asyncio.wait_for(everyone[0].wait(), 60)
        cpu_after = cpu_seconds(pid)
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    latencies = sorted((at - sent) * 1000 for at in received)
    return {
        "subscribers": total,
        "connections": args.connections,
        "received": len(received),
        "subscribe_seconds": round(subscribe_seconds, 3),
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p99": round(latencies[int(0.99 * (len(latencies) - 1))], 2),
        "latency_ms_max": round(latencies[-1], 2),
        "gateway_cpu_ms": round((cpu_after - cpu_before) * 1000),
        "rss_before_mb": round(rss_before / 2**20, 1),
        "rss_after_mb": round(rss_after / 2**20, 1),
        "bytes_per_subscriber": round((rss_after - rss_before) / total),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    config = SandboxConfig(api_key=API_KEY, push_delay_seconds=PUSH_DELAY_SECONDS)
    with running(create_sandbox_app(config)) as sandbox:
        env = {
            "CODAT_API_KEY": API_KEY,
            "GATEWAY_AUTH": "off",
            "CODAT_BASE_URL": sandbox.url,
            "WEBHOOK_SECRET": config.webhook_secret,
            "PUSH_POLL_AFTER_SECONDS": "600",
            "SUBSCRIPTION_QUEUE_SIZE": "100",
        }
        with server(["serve"], env, "/healthz") as gateway:
            company, key = _pay_one_bill(sandbox.url, gateway.url)
            args.sandbox, args.secret = sandbox.url, config.webhook_secret
            data = asyncio.run(_run(gateway.url, gateway.pid, company, key, args))
    lines = [
        f"{data['subscribers']} `pushOperation` subscribers over {data['connections']} "
        "WebSocket connections (graphql-transport-ws, gql client) on one gateway process; one "
        "signed `billPayments.write.successful` webhook. Generated by "
        "`python -m bench.subscriptions`.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| subscribers that received Success | {data['received']} / {data['subscribers']} |",
        f"| webhook POST to client, p50 | {data['latency_ms_p50']} ms |",
        f"| webhook POST to client, p99 | {data['latency_ms_p99']} ms |",
        f"| webhook POST to client, max | {data['latency_ms_max']} ms |",
        f"| gateway CPU time, webhook POST to the last client | {data['gateway_cpu_ms']} ms |",
        f"| time to subscribe all (initial Pending received) | {data['subscribe_seconds']} s |",
        f"| gateway RSS before / after subscribing | {data['rss_before_mb']} / "
        f"{data['rss_after_mb']} MB |",
        f"| memory per subscriber (incl. its share of a connection) | "
        f"{data['bytes_per_subscriber']} bytes |",
        "",
        "The latency includes the gateway's one fresh read of the push operation from the "
        "sandbox (shared by all subscribers), the fan-out to every subscriber's queue, one "
        "execution and one JSON encoding of the update for all of them (schema/fanout.py), and "
        "the clients' reading. Subscribers stay subscribed until every one has heard, so no "
        "unsubscribing is timed. The CPU time (from /proc, in 10 ms ticks) says what the "
        "fan-out costs when the machine is shared and the latencies are noisy.",
    ]
    path = write_results("subscriptions", "Subscriptions: webhook to 1,000 clients", lines, data)
    print(path.read_text())


if __name__ == "__main__":
    main()
