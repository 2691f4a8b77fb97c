"""Webhooks: signed Standard Webhooks events (checked with svix), legacy payloads, retries."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from svix.webhooks import Webhook, WebhookVerificationError

from sandbox.app import create_app
from sandbox.config import SandboxConfig
from tests.contract import check_webhook
from tests.sandbox.conftest import AUTH, Received, Receiver, event_type
from tests.sandbox.helpers import bank_account, payable_bill, payment_body, push_url, wait_for_push
from tests.servers import running
from tests.upstream import SeededCompany

SECRET = SandboxConfig().webhook_secret


def verified(received: Received) -> dict[str, Any]:
    """The event, after svix has checked its signature against the sandbox's secret."""
    Webhook(SECRET).verify(received.body, received.headers)  # raises if the signature is bad
    payload: dict[str, Any] = json.loads(received.body)
    return payload


def test_a_tampered_body_fails_svix_verification(
    codat: httpx.Client, company: SeededCompany, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    codat.post(f"/companies/{company.id}/data/queue/paymentMethods")
    [event] = hooks.wait_for(of_type("read.completed"))
    verified(event)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(event.body.replace(b"Complete", b"Completf"), event.headers)


def of_type(name: str) -> Any:
    return lambda r: event_type(r) == name


def test_refreshing_an_unsynced_company_turns_409_into_200_and_sends_read_completed_initial(
    codat: httpx.Client, companies: list[SeededCompany], receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    unsynced = companies[-1]
    assert codat.get(f"/companies/{unsynced.id}/data/suppliers").status_code == 409
    assert codat.post(f"/companies/{unsynced.id}/data/all").status_code == 204
    status = codat.get(f"/companies/{unsynced.id}/dataStatus").json()
    assert status["suppliers"]["currentStatus"] in {"Queued", "Fetching"}
    still = codat.get(f"/companies/{unsynced.id}/data/suppliers")
    assert still.status_code == 409
    assert "still syncing" in still.json()["error"]
    [event] = hooks.wait_for(of_type("read.completed.initial"))
    body = verified(event)
    check_webhook("read.completed.initial", event.body)
    assert body["payload"]["referenceCompany"]["id"] == unsynced.id
    summaries = {d["dataType"]: d for d in body["payload"]["dataTypes"]}
    assert summaries["bills"] == {
        "connectionId": unsynced.connection_id,
        "dataType": "bills",
        "recordsModified": True,
        "status": "Complete",
    }
    assert codat.get(f"/companies/{unsynced.id}/data/suppliers").status_code == 200
    done = codat.get(f"/companies/{unsynced.id}/dataStatus").json()["suppliers"]
    assert done["currentStatus"] == "Complete"
    assert done["latestSuccessfulSyncId"] == done["latestSyncId"]


def test_refreshing_one_data_type_returns_a_pull_operation_and_sends_read_completed(
    codat: httpx.Client, company: SeededCompany, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    pull = codat.post(f"/companies/{company.id}/data/queue/bills").json()
    assert pull["status"] == "Queued"
    assert pull["isCompleted"] is False
    again = codat.post(f"/companies/{company.id}/data/queue/bills")
    assert again.status_code == 400
    assert "DatasetAlreadyInProgressException" in again.json()["error"]
    [event] = hooks.wait_for(of_type("read.completed"))
    check_webhook("read.completed", event.body)
    assert verified(event)["payload"]["dataTypes"][0]["recordsModified"] is False
    history = codat.get(f"/companies/{company.id}/data/history/{pull['id']}").json()
    assert history["status"] == "Complete"
    assert history["isCompleted"] is True
    unknown = codat.post(f"/companies/{company.id}/data/queue/invoices")
    assert unknown.status_code == 404


def test_successful_payment_sends_write_event_then_a_refresh_sends_read_completed(
    codat: httpx.Client, company: SeededCompany, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    bill = payable_bill(codat, company)
    body = payment_body(bill, bank_account(codat, company), bill["amountDue"])
    key = codat.post(push_url(company, "billPayments"), json=body).json()["pushOperationKey"]
    [write] = hooks.wait_for(of_type("billPayments.write.successful"))
    payload = verified(write)["payload"]
    check_webhook("{dataType}.write.successful", write.body)
    assert payload["id"] == key
    assert payload["type"] == "Create"
    assert payload["status"] == "Success"
    assert payload["connectionId"] == company.connection_id
    assert (
        payload["record"]["id"]
        == wait_for_push(codat, company, key)["changes"][0]["recordRef"]["id"]
    )
    # No read.completed for the push itself: the cache changes only with a pull (Codat §7).
    assert not [h for h in hooks.received if event_type(h) == "read.completed"]
    for data_type in ("bills", "billPayments"):
        queued = codat.post(f"/companies/{company.id}/data/queue/{data_type}")
        assert queued.status_code == 200
    reads = hooks.wait_for(of_type("read.completed"), count=2)
    summaries = [d for read in reads for d in verified(read)["payload"]["dataTypes"]]
    assert {d["dataType"] for d in summaries} == {"billPayments", "bills"}
    assert all(d["recordsModified"] is True for d in summaries)


def test_failed_push_sends_write_unsuccessful(
    codat: httpx.Client, company: SeededCompany, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    codat.post(push_url(company, "suppliers"), json={"status": "Active"})
    [event] = hooks.wait_for(of_type("suppliers.write.unsuccessful"))
    check_webhook("{dataType}.write.unsuccessful", event.body)
    assert verified(event)["payload"]["status"] == "Failed"


def test_patch_knob_sends_read_completed_with_records_modified(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    bill = payable_bill(codat, company)
    patched = knobs.patch(f"/companies/{company.id}/data/bills/{bill['id']}", json={"note": "Hi"})
    assert patched.json()["note"] == "Hi"
    assert patched.json()["modifiedDate"] > bill["modifiedDate"]
    [event] = hooks.wait_for(of_type("read.completed"))
    summary = verified(event)["payload"]["dataTypes"]
    assert summary[0]["dataType"] == "bills"
    assert summary[0]["recordsModified"] is True
    assert codat.get(f"/companies/{company.id}/data/bills/{bill['id']}").json()["note"] == "Hi"


def test_unlinking_a_connection_sends_connection_disconnected(
    codat: httpx.Client, company: SeededCompany, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    url = f"/companies/{company.id}/connections/{company.connection_id}"
    assert codat.patch(url, json={"status": "Unlinked"}).json()["status"] == "Unlinked"
    [event] = hooks.wait_for(of_type("connection.disconnected"))
    check_webhook("connection.disconnected", event.body)
    assert verified(event)["payload"]["connection"]["status"] == "Unlinked"


def test_paused_webhooks_are_not_sent_but_logged(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    knobs.put("/webhooks", json={"paused": True})
    codat.post(f"/companies/{company.id}/data/queue/suppliers")
    time.sleep(0.5)
    assert hooks.received == []
    state = knobs.get("/webhooks").json()
    assert state["paused"] is True
    assert state["deliveries"][0]["error"] == "paused: not sent"


def test_failing_receivers_are_retried_with_the_same_webhook_id(
    codat: httpx.Client, company: SeededCompany, knobs: httpx.Client, receiver: tuple[Receiver, str]
) -> None:
    hooks, _ = receiver
    hooks.status = 503
    codat.post(f"/companies/{company.id}/data/queue/taxRates")
    attempts = hooks.wait_for(of_type("read.completed"), count=2)
    assert len(attempts) == 2
    assert attempts[0].headers["webhook-id"] == attempts[1].headers["webhook-id"]
    time.sleep(0.1)
    log = knobs.get("/webhooks").json()["deliveries"]
    assert [d["statusCode"] for d in log] == [503, 503]


@pytest.fixture
def legacy_sandbox(receiver_server: tuple[Receiver, str]) -> Iterator[tuple[str, Receiver]]:
    hooks, url = receiver_server
    hooks.clear()
    config = SandboxConfig.small(
        legacy_authorization="Bearer legacy-secret",
        webhook_targets=(f"legacy:{url}/legacy",),
        unsynced_companies=0,
    )
    with running(create_app(config)) as server:
        yield server.url, hooks
    hooks.clear()


def test_legacy_targets_get_flat_payloads_with_the_authorization_header(
    legacy_sandbox: tuple[str, Receiver],
) -> None:
    base, hooks = legacy_sandbox
    with httpx.Client(base_url=base, headers=AUTH) as client:
        company = client.get("/companies").json()["results"][0]
        connection = company["dataConnections"][0]["id"]
        url = f"/companies/{company['id']}/connections/{connection}/push/suppliers"
        key = client.post(url, json={"supplierName": "Old School Ltd", "status": "Active"}).json()
        client.post(f"/companies/{company['id']}/data/queue/bills")
    rule = "Push Operation Status Changed()"
    [status] = hooks.wait_for(lambda r: json.loads(r.body).get("RuleType") == rule)
    assert status.path == "/legacy"
    assert status.headers["authorization"] == "Bearer legacy-secret"
    body = json.loads(status.body)
    assert body["CompanyId"] == company["id"]
    assert body["DataConnectionId"] == connection
    assert body["Data"] == {
        "dataType": "suppliers",
        "status": "Success",
        "pushOperationKey": key["pushOperationKey"],
    }
    assert set(body) == {
        "ClientId", "ClientName", "CompanyId", "DataConnectionId", "RuleId", "RuleType",
        "AlertId", "Message", "Data",
    }  # fmt: skip
    synced = hooks.wait_for(lambda r: json.loads(r.body).get("RuleType") == "Data sync completed")
    assert synced
    assert json.loads(synced[0].body)["Data"]["dataType"] in {"bills", "suppliers"}
    assert "webhook-signature" not in status.headers
