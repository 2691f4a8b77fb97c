"""Error statuses mapped to the tree, retries, and per-company concurrency, via sandbox knobs."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from gateway.codat import CodatClient, RetryPolicy, datatypes
from gateway.codat.errors import (
    CodatBadRequest,
    CodatDataNotReady,
    CodatHTTPError,
    CodatNotFound,
    CodatRateLimited,
    CodatServerError,
    CodatTransportError,
    CodatUnauthorized,
    CodatUnavailable,
)
from gateway.codat.models import PushOperationStatus
from tests.codat.conftest import ContractTransport, Sandbox, make_client
from tests.codat.test_client_writes import a_new_bill
from tests.upstream import SeededCompany

NO_RETRY = RetryPolicy.none()


async def test_a_wrong_api_key_is_unauthorized(sandbox_url: str, synced: SeededCompany) -> None:
    async with make_client(sandbox_url, ContractTransport(), api_key="wrong") as client:
        with pytest.raises(CodatUnauthorized) as caught:
            await client.get_company(synced.id)
    assert caught.value.status_code == 401
    assert caught.value.correlation_id
    assert caught.value.company_id == synced.id


async def test_a_missing_record_is_not_found(client: CodatClient, synced: SeededCompany) -> None:
    with pytest.raises(CodatNotFound) as caught:
        await client.get_bill(synced.id, "no-such-bill")
    assert caught.value.status_code == 404
    assert caught.value.correlation_id
    assert caught.value.service


async def test_a_query_codat_cannot_resolve_is_a_bad_request(
    client: CodatClient, synced: SeededCompany
) -> None:
    with pytest.raises(CodatBadRequest) as caught:
        await client.list_records(datatypes.BILLS, synced.id, query="noSuchProperty=1")
    assert caught.value.status_code == 400
    assert "Malformed query" in caught.value.message


async def test_reading_an_unsynced_company_is_data_not_ready(
    client: CodatClient, unsynced: SeededCompany
) -> None:
    with pytest.raises(CodatDataNotReady) as caught:
        await client.list_records(datatypes.BILLS, unsynced.id)
    assert caught.value.status_code == 409
    assert caught.value.data_type == "bills"
    assert caught.value.company_id == unsynced.id
    with pytest.raises(CodatDataNotReady) as accounts:
        await client.get_record(datatypes.ACCOUNTS, unsynced.id, "any")
    assert accounts.value.data_type == "chartOfAccounts"


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(429, CodatRateLimited), (500, CodatServerError), (503, CodatUnavailable)],
)
async def test_fault_statuses_map_to_their_classes(
    sandbox: Sandbox,
    synced: SeededCompany,
    status: int,
    error_class: type[CodatHTTPError],
) -> None:
    await sandbox.fault("/data/suppliers$", status=status, retry_after="7")
    async with make_client(sandbox.url, ContractTransport(), retry=NO_RETRY) as client:
        with pytest.raises(error_class) as caught:
            await client.list_records(datatypes.SUPPLIERS, synced.id)
    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert caught.value.correlation_id
    if status == 429:
        assert caught.value.retry_after == 7.0


async def test_retryable_failures_are_retried_until_attempts_run_out(
    client: CodatClient, sandbox: Sandbox, synced: SeededCompany
) -> None:
    await sandbox.fault("/data/suppliers$", status=500)
    await sandbox.clear_requests()
    with pytest.raises(CodatServerError):
        await client.list_records(datatypes.SUPPLIERS, synced.id)
    assert len(await sandbox.requests()) == 3
    assert client.stats.retries == 2
    assert client.stats.failures == 1


async def test_a_429_is_retried_after_the_retry_after_seconds(
    client: CodatClient, sandbox: Sandbox, synced: SeededCompany
) -> None:
    await sandbox.fault("/data/bills$", status=429, retry_after="1", times=1)
    started = time.monotonic()
    page = await client.list_records(datatypes.BILLS, synced.id)
    waited = time.monotonic() - started
    assert page.total_results == synced.counts["bills"]
    assert 0.9 <= waited < 2.0
    assert client.stats.retries == 1


async def test_a_push_without_an_idempotency_key_is_never_retried(
    client: CodatClient, sandbox: Sandbox, synced: SeededCompany
) -> None:
    bill = await a_new_bill(client, synced)
    await sandbox.fault("/push/bills$", status=503, methods=["POST"], times=1)
    await sandbox.clear_requests()
    with pytest.raises(CodatUnavailable):
        await client.create_bill(synced.id, synced.connection_id, bill)
    posts = [r for r in await sandbox.requests() if r["method"] == "POST"]
    assert len(posts) == 1
    assert client.stats.retries == 0


async def test_a_push_with_an_idempotency_key_is_retried_with_the_same_key(
    client: CodatClient, sandbox: Sandbox, synced: SeededCompany
) -> None:
    bill = await a_new_bill(client, synced)
    key = str(uuid.uuid4())
    await sandbox.fault("/push/bills$", status=503, methods=["POST"], times=1)
    await sandbox.clear_requests()
    operation = await client.create_bill(synced.id, synced.connection_id, bill, idempotency_key=key)
    assert operation.status is PushOperationStatus.Pending
    posts = [r for r in await sandbox.requests() if r["method"] == "POST"]
    assert [post["headers"]["idempotency-key"] for post in posts] == [key, key]
    assert [post["status"] for post in posts] == [503, 200]


async def test_a_dropped_connection_on_a_read_is_retried(
    client: CodatClient, sandbox: Sandbox, synced: SeededCompany
) -> None:
    await sandbox.fault("/data/taxRates$", kind="drop", times=1)
    page = await client.list_records(datatypes.TAX_RATES, synced.id)
    assert page.total_results == synced.counts["taxRates"]
    assert client.stats.retries == 1


async def test_a_dropped_connection_surfaces_as_a_transport_error(
    sandbox: Sandbox, synced: SeededCompany
) -> None:
    await sandbox.fault("/data/taxRates$", kind="drop")
    async with make_client(sandbox.url, ContractTransport(), retry=NO_RETRY) as client:
        with pytest.raises(CodatTransportError) as caught:
            await client.list_records(datatypes.TAX_RATES, synced.id)
    assert caught.value.__cause__ is not None
    assert caught.value.method == "GET"


async def test_requests_per_company_never_exceed_the_concurrency_limit(
    sandbox: Sandbox, synced: SeededCompany
) -> None:
    await sandbox.latency(100)
    await sandbox.clear_requests()
    async with make_client(
        sandbox.url, ContractTransport(), max_concurrency_per_company=3
    ) as client:
        bills = await asyncio.gather(*(client.get_company(synced.id) for _ in range(20)))
    assert len(bills) == 20

    records = [r for r in await sandbox.requests() if r["companyId"] == synced.id]
    assert len(records) == 20
    events = sorted(
        [(r["start"], 1) for r in records] + [(r["end"], -1) for r in records],
        key=lambda event: (event[0], event[1]),
    )
    overlap = peak = 0
    for _, delta in events:
        overlap += delta
        peak = max(peak, overlap)
    assert peak == 3
