"""The gateway's own walks (whole reference sets, connections) are bounded through the client.

A Codat stand-in answers over httpx as Prism does with Codat's v1 spec; the assertions count the
HTTP requests made before each walk stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from gateway.codat import ClientConfig, CodatClient, CompanyId, RetryPolicy
from gateway.codat.config import WalkLimits
from gateway.codat.errors import CodatInconsistentPaging, CodatInvalidRecord, CodatTooManyPages
from gateway.codat.models import DataType
from gateway.reads.cache import UpstreamCache
from gateway.reads.upstream import Upstream

COMPANY = CompanyId("8a210b68-6988-11ed-a1eb-0242ac120002")

Answer = Callable[[httpx.Request], dict[str, object]]


def prism_page(total: int, records: list[dict[str, object]], page_size: int = 2) -> Answer:
    """Whatever page is asked for: page 1 of `total`, with a next link (Prism's static mode)."""

    def answer(request: httpx.Request) -> dict[str, object]:
        return {
            "results": records,
            "pageNumber": 1,
            "pageSize": page_size,
            "totalResults": total,
            "_links": {
                "self": {"href": request.url.path},
                "current": {"href": f"{request.url.path}?page=1"},
                "next": {"href": f"{request.url.path}?page=2"},
            },
        }

    return answer


class Counting:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, content=json.dumps(self.answer(request)).encode())


def upstream(codat: Counting, walks: WalkLimits | None = None) -> Upstream:
    config = ClientConfig(
        api_key="k",
        base_url="http://codat.test",
        retry=RetryPolicy.none(),
        walks=walks or WalkLimits(),
    )
    client = CodatClient(config, transport=httpx.MockTransport(codat))
    return Upstream(client, UpstreamCache(ttl_seconds=60, max_entries=100))


ACCOUNTS = [
    {"id": "a1", "name": "Bank", "isBankAccount": True},
    {"id": "a2", "name": "Sales", "isBankAccount": False},
]


async def test_a_whole_reference_set_against_prism_stops_after_two_calls() -> None:
    codat = Counting(prism_page(98, ACCOUNTS))
    with pytest.raises(CodatInconsistentPaging) as caught:
        await upstream(codat).whole_set(COMPANY, DataType.CHART_OF_ACCOUNTS)
    assert [r.url.params["page"] for r in codat.requests] == ["1", "2"]
    assert caught.value.company_id == COMPANY
    assert caught.value.data_type == "chartOfAccounts"


async def test_connections_against_prism_stop_after_two_calls() -> None:
    connection: dict[str, object] = {
        "id": "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd",
        "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
        "sourceId": "56e6575a-3f1f-4918-b009-f7535555f0d6",
        "platformName": "Basiq",
        "linkUrl": "https://link-api.codat.io/x",
        "status": "Linked",
        "created": "2022-10-27T09:53:29Z",
        "sourceType": "Banking",
    }
    codat = Counting(prism_page(4, [connection]))
    with pytest.raises(CodatInconsistentPaging):
        await upstream(codat).connections(COMPANY)
    assert len(codat.requests) == 2


async def test_the_ceiling_from_settings_refuses_a_long_list_after_one_call() -> None:
    codat = Counting(prism_page(4658, ACCOUNTS))  # 2,329 pages of 2
    with pytest.raises(CodatTooManyPages) as caught:
        await upstream(codat, WalkLimits(max_pages=10)).whole_set(COMPANY, DataType.TAX_RATES)
    assert len(codat.requests) == 1
    assert caught.value.max_pages == 10


async def test_a_spec_invalid_record_read_by_id_names_the_record_and_field() -> None:
    # Prism's example bill payment lacks `id` and `date`; read by id it is named by that id.
    def answer(request: httpx.Request) -> dict[str, object]:
        return {"totalAmount": 10, "currency": "GBP"}

    codat = Counting(answer)
    up = upstream(codat)
    with pytest.raises(CodatInvalidRecord) as caught:
        await up.records_by_id(COMPANY, DataType.BILL_PAYMENTS, ["pay-1"])
    error = caught.value
    assert (error.data_type, error.record, error.field) == ("billPayments", "pay-1", "id")
    assert len(codat.requests) == 1
