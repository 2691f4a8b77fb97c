"""Helpers for the paying-bills tests: documents, sandbox look-ups and a gql WebSocket client."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from gql import Client, GraphQLRequest, gql
from gql.transport.websockets import WebsocketsTransport

from gateway.settings import Settings
from sandbox.config import SandboxConfig
from tests.conftest import SANDBOX_API_KEY, gateway_settings
from tests.gateway.replicas import send_webhooks_to
from tests.servers import running

WEBHOOK_SECRET = SandboxConfig.small().webhook_secret

PAY_BILL = """
mutation PayBill($input: PayBillInput!) {
  payBill(input: $input) {
    idempotencyKey replayed input
    pushOperation { pushOperationKey status dataType companyId }
    errors { code message field }
  }
}
"""

PAY_BILLS = """
mutation PayBills($input: PayBillsInput!) {
  payBills(input: $input) {
    idempotencyKey replayed
    errors { code message field }
    results { billId pushOperation { pushOperationKey status } errors { code message field } }
  }
}
"""

PUSH_OPERATION = """
subscription Push($company: ID!, $key: String!) {
  pushOperation(companyId: $company, key: $key) {
    pushOperationKey status syncState errorMessage
    validation { errors { itemId message validatorName } }
  }
}
"""

BILL = """
query Bill($company: ID!, $bill: ID!) {
  company(id: $company) {
    bill(id: $bill) { codatId status amountDue billPayments { codatId totalAmount } }
  }
}
"""


def writing_settings(sandbox_url: str, **environ: str) -> Settings:
    """Settings of a gateway that writes: the sandbox's webhook secret, a push polled after 0.3 s
    and then at least every 0.6 s."""
    return gateway_settings(
        sandbox_url,
        WEBHOOK_SECRET=WEBHOOK_SECRET,
        PUSH_POLL_AFTER_SECONDS="0.3",
        PUSH_POLL_MAX_INTERVAL_SECONDS="0.6",
        **environ,
    )


@contextmanager
def hearing_webhooks(sandbox_url: str, app: Any) -> Iterator[str]:
    """Run `app` (its URL) with the sandbox's webhooks sent to it."""
    with running(app) as server:
        send_webhooks_to(sandbox_url, f"{server.url}/webhooks/codat")
        yield server.url


def codat_get(sandbox_url: str, path: str, **params: str) -> Any:
    token = base64.b64encode(SANDBOX_API_KEY.encode()).decode()
    response = httpx.get(
        f"{sandbox_url}{path}",
        params=params,
        headers={"Authorization": f"Basic {token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


@dataclass(frozen=True)
class Payable:
    company_id: str
    bill: dict[str, Any]
    bank_account_id: str
    other_account_id: str
    """An account in the chart that is not a bank account."""
    foreign_bank_account_id: str
    """A bank account in another currency than the bill's."""

    def of_its_supplier(self) -> dict[str, str]:
        """The input fields of a record for the bill's supplier, in its company."""
        return {"companyId": self.company_id, "supplierId": self.bill["supplierRef"]["id"]}


def payables(sandbox_url: str, count: int = 1, *, supplier: str | None = None) -> list[Payable]:
    """Open bills of the first synced company, each with a bank account in its currency."""
    seed = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=10).json()
    company = next(c for c in seed["companies"] if c.get("synced", True))["id"]
    accounts = codat_get(sandbox_url, f"/companies/{company}/data/accounts", pageSize="500")
    banks = {a["currency"]: a["id"] for a in accounts["results"] if a["isBankAccount"]}
    other = next(a["id"] for a in accounts["results"] if not a["isBankAccount"])
    query = "status=Open" if supplier is None else f"status=Open&&supplierRef.id={supplier}"
    path = f"/companies/{company}/data/bills"
    bills = codat_get(sandbox_url, path, query=query, pageSize="200")["results"]
    found = [
        Payable(
            company,
            bill,
            banks[bill["currency"]],
            other,
            next(i for c, i in banks.items() if c != bill["currency"]),
        )
        for bill in bills
        if bill["currency"] in banks and bill["amountDue"] > 0
    ]
    return found[:count]


def graphql(gateway_url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{gateway_url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


def ws_url(gateway_url: str) -> str:
    return gateway_url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def ws_session(gateway_url: str, subprotocol: str) -> AsyncIterator[Any]:
    transport = WebsocketsTransport(url=ws_url(gateway_url), subprotocols=[subprotocol])
    async with Client(transport=transport) as session:
        yield session


async def statuses(
    gateway_url: str, company_id: str, key: str, subprotocol: str
) -> list[dict[str, Any]]:
    """Every update of a pushOperation subscription, until it completes."""
    updates: list[dict[str, Any]] = []
    async with ws_session(gateway_url, subprotocol) as session:
        request = GraphQLRequest(
            gql(PUSH_OPERATION), variable_values={"company": company_id, "key": key}
        )
        async for result in session.subscribe(request):
            updates.append(result["pushOperation"])
    return updates
