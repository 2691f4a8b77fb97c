"""Soak: mixed queries, writes and webhooks with cache churn; the gateway's RSS over time.

Run: `.venv/bin/python -m bench.soak [--minutes 3]` (at most 10). Everything on 127.0.0.1; the
sandbox and the gateway are subprocesses stopped at the end. The data cache's TTL is forced
near zero (and stored responses expire as fast), so nearly every query reads the sandbox again
and makes new record objects: whatever the process keeps per record after its data is gone
shows as RSS growth. Writes pay a cent of an open bill; webhooks evict a company's data types.

Verdict: flat when the mean RSS of the last minute is within 10% of the second minute's, with
no error (non-200, GraphQL error, or a write's payload error). Writes bench/results/soak.{md,json}.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import statistics
import threading
import time
import uuid
from collections import Counter
from typing import Any

import httpx

from bench.common import read_completed, rss_bytes, server, signed_webhook_headers, write_results
from tests.e2e.paying import PAY_BILL, payables
from tests.queries import AP_DASHBOARD, AP_DASHBOARD_DETAILED, BILL_LIST, SUPPLIER_PAGE

SAMPLE_SECONDS = 5.0
WORKERS = 3
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"bench-soak-webhook-secret-32byte").decode()
SANDBOX_ENV = {
    "SANDBOX_COMPANIES": "3",
    "SANDBOX_SUPPLIERS_PER_COMPANY": "60",
    "SANDBOX_BILLS_PER_COMPANY": "400",
    "SANDBOX_DAILY_QUOTA": "100000000",  # the soak measures memory, not Codat's daily quota
}
GATEWAY_ENV = {
    "CODAT_API_KEY": "bench-key",
    "WEBHOOK_SECRET": WEBHOOK_SECRET,
    "GATEWAY_AUTH": "off",
    "CACHE_TTL_SECONDS": "0.05",
    "RESPONSE_CACHE_TTL_SECONDS": "0.05",
    "GATEWAY_RATE_LIMIT_PER_SECOND": "0",
    "GATEWAY_MAX_PAGE_SIZE": "500",
}
DASHBOARD_VARIABLES = {"companies": 3, "bills": 20, "dueFrom": "2026-10-01", "dueTo": "2027-01-31"}


class Soak:
    def __init__(self, gateway_url: str, sandbox_url: str, deadline: float) -> None:
        self.gateway_url = gateway_url
        self.deadline = deadline
        seed = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=10).json()
        self.companies = [c["id"] for c in seed["companies"]]
        self.payables = [
            p
            for p in payables(sandbox_url, 400)
            if not (p.bill.get("metadata") or {}).get("isDeleted")  # refused: deleted in Codat
        ]
        random.Random(0).shuffle(self.payables)
        """Each bill is paid once (a second payment while one is in flight is refused)."""
        first = self.companies[0]
        token = base64.b64encode(b"bench-key").decode()
        suppliers = httpx.get(
            f"{sandbox_url}/companies/{first}/data/suppliers",
            params={"pageSize": 5},
            headers={"Authorization": f"Basic {token}"},
            timeout=10,
        ).json()["results"]
        self.suppliers = [(first, s["id"]) for s in suppliers]
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def _record(self, kind: str, error: str | None) -> None:
        with self.lock:
            self.counts[kind] += 1
            if error is not None:
                self.counts["errors"] += 1
                if len(self.errors) < 20:
                    self.errors.append(f"{kind}: {error[:300]}")

    def _graphql(self, client: httpx.Client, kind: str, query: str, **variables: Any) -> None:
        try:
            response = client.post("/graphql", json={"query": query, "variables": variables})
        except httpx.HTTPError as error:
            self._record(kind, repr(error))
            return
        if response.status_code != 200:
            self._record(kind, f"HTTP {response.status_code}: {response.text}")
            return
        body = response.json()
        if body.get("errors"):
            self._record(kind, json.dumps(body["errors"]))
            return
        payload = (body.get("data") or {}).get("payBill")
        if payload is not None and payload.get("errors"):
            self._record(kind, json.dumps(payload["errors"]))
            return
        self._record(kind, None)

    def _webhook(self, client: httpx.Client, company_id: str) -> None:
        kinds = ("bills", "suppliers", "billPayments", "chartOfAccounts")
        body = read_completed(company_id, "soak", kinds)
        try:
            response = client.post(
                "/webhooks/codat",
                content=body,
                headers=signed_webhook_headers(WEBHOOK_SECRET, body),
            )
        except httpx.HTTPError as error:
            self._record("webhook", repr(error))
            return
        ok = response.status_code < 300
        self._record("webhook", None if ok else f"HTTP {response.status_code}: {response.text}")

    def worker(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.gateway_url, timeout=60) as client:
            step = 0
            while time.monotonic() < self.deadline:
                step += 1
                roll = rng.random()
                company = rng.choice(self.companies)
                if roll < 0.25:
                    self._graphql(client, "dashboard", AP_DASHBOARD, **DASHBOARD_VARIABLES)
                elif roll < 0.45:
                    self._graphql(
                        client, "dashboardDetailed", AP_DASHBOARD_DETAILED, **DASHBOARD_VARIABLES
                    )
                elif roll < 0.70:
                    self._graphql(client, "billList", BILL_LIST, company=company, first=100)
                elif roll < 0.85:
                    owner, supplier = rng.choice(self.suppliers)
                    self._graphql(
                        client, "supplierPage", SUPPLIER_PAGE, company=owner, supplier=supplier
                    )
                elif roll < 0.93:
                    self._webhook(client, company)
                else:
                    with self.lock:
                        payable = self.payables.pop() if self.payables else None
                    if payable is None:
                        continue
                    self._graphql(
                        client,
                        "payBill",
                        PAY_BILL,
                        input={
                            "companyId": payable.company_id,
                            "billId": payable.bill["id"],
                            "accountId": payable.bank_account_id,
                            "date": "2026-11-26",
                            "amount": "0.01",
                            "idempotencyKey": str(uuid.uuid4()),
                        },
                    )


def _minute_means(samples: list[tuple[float, int]], minutes: int) -> list[float]:
    means = []
    for minute in range(minutes):
        window = [rss for t, rss in samples if minute * 60 <= t < (minute + 1) * 60]
        means.append(statistics.fmean(window) if window else 0.0)
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=3, help="2 to 10 (default 3)")
    args = parser.parse_args()
    minutes = max(2, min(10, args.minutes))
    with server(["sandbox"], SANDBOX_ENV, "/_sandbox/seed") as sandbox:
        env = {**GATEWAY_ENV, "CODAT_BASE_URL": sandbox.url}
        with server(["serve"], env, "/healthz") as gateway:
            started = time.monotonic()
            soak = Soak(gateway.url, sandbox.url, started + minutes * 60)
            threads = [
                threading.Thread(target=soak.worker, args=(n,), daemon=True) for n in range(WORKERS)
            ]
            for thread in threads:
                thread.start()
            samples: list[tuple[float, int]] = []
            while time.monotonic() < soak.deadline:
                samples.append((time.monotonic() - started, rss_bytes(gateway.pid)))
                time.sleep(SAMPLE_SECONDS)
            for thread in threads:
                thread.join(timeout=90)
            samples.append((time.monotonic() - started, rss_bytes(gateway.pid)))
    means = _minute_means(samples, minutes)
    second, last = means[1], means[-1]
    drift = (last - second) / second if second else 0.0
    flat = abs(drift) <= 0.10
    requests = sum(v for k, v in soak.counts.items() if k != "errors")
    errors = soak.counts["errors"]
    data = {
        "minutes": minutes,
        "workers": WORKERS,
        "gateway_env": {k: v for k, v in GATEWAY_ENV.items() if k != "WEBHOOK_SECRET"},
        "operations": dict(soak.counts),
        "requests": requests,
        "errors": errors,
        "error_samples": soak.errors,
        "rss_samples": [{"t": round(t, 1), "rss_mb": round(rss / 2**20, 1)} for t, rss in samples],
        "rss_mean_mb_per_minute": [round(m / 2**20, 1) for m in means],
        "last_vs_second_minute": round(drift, 4),
        "flat": flat,
        "passed": flat and errors == 0,
    }
    lines = [
        f"{minutes} minutes, {WORKERS} clients, data cache TTL "
        f"{GATEWAY_ENV['CACHE_TTL_SECONDS']} s, stored responses "
        f"{GATEWAY_ENV['RESPONSE_CACHE_TTL_SECONDS']} s: {requests} operations "
        f"({', '.join(f'{k} {v}' for k, v in sorted(soak.counts.items()) if k != 'errors')}), "
        f"{errors} errors.",
        "",
        "| minute | mean RSS (MB) |",
        "| --- | --- |",
        *[f"| {i + 1} | {m / 2**20:.1f} |" for i, m in enumerate(means)],
        "",
        f"Last minute vs second: {drift:+.1%} ({'flat' if flat else 'NOT flat'}, bound ±10%).",
        f"Verdict: {'PASS' if data['passed'] else 'FAIL'}.",
    ]
    if soak.errors:
        lines += ["", "First errors:", *[f"- `{e}`" for e in soak.errors[:5]]]
    print(write_results("soak", "Soak: memory under cache churn", lines, data).read_text())


if __name__ == "__main__":
    main()
