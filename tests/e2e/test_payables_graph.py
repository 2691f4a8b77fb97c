"""Realistic frontend queries over HTTP against the sandbox, at the fewest upstream calls possible.

Each test states the minimum number of Codat calls its query needs and why, then asserts from the
sandbox's request record that the gateway made exactly that many, none twice, in as many sequential
waves as the query's data-dependency depth. Upstream latency is injected so waves are measurable.
"""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from tests.conftest import gateway_settings
from tests.e2e.paying import codat_get
from tests.queries import (
    AP_DASHBOARD,
    AP_DASHBOARD_DETAILED,
    AP_DASHBOARD_NAMES,
    LINES_WITH_LEDGER,
    NODES,
    PAYMENT_DETAIL,
    SUPPLIER_PAGE,
    dashboard_lookup_calls,
    dashboard_minimum_calls,
)
from tests.servers import running
from tests.upstream import UpstreamCall, clear_calls, recorded_calls, sequential_round_trips

LATENCY_MS = 40


def graphql(gateway_url: str, query: str, **variables: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{gateway_url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def seed(sandbox_url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{sandbox_url}/_sandbox/seed").json()
    return body


def with_latency(sandbox_url: str) -> None:
    httpx.put(f"{sandbox_url}/_sandbox/latency", json={"ms": LATENCY_MS}).raise_for_status()
    clear_calls(sandbox_url)


def assert_no_call_twice(calls: list[UpstreamCall]) -> None:
    seen = [(call.method, call.path, call.query) for call in calls]
    assert len(seen) == len(set(seen)), f"an upstream call was repeated: {seen}"


def global_id(type_name: str, node_id: str) -> str:
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def test_ap_dashboard_reads_every_level_in_one_wave_of_the_fewest_calls(
    sandbox_url: str, gateway_url: str
) -> None:
    # given
    with_latency(sandbox_url)
    # when
    body = graphql(
        gateway_url, AP_DASHBOARD, companies=2, bills=10, dueFrom="2026-10-01", dueTo="2027-01-31"
    )
    # then
    assert "errors" not in body, body.get("errors")
    companies = body["data"]["companies"]["nodes"]
    assert len(companies) == 2
    # Minimum (see dashboard_minimum_calls): 1 companies page; per company 1 bills page and one
    # call for the allocated payments; suppliers, accounts and tax rates come from the refs.
    # Depth 3: companies -> bills -> payments.
    for company in companies:
        assert company["bills"]["nodes"], "the seed has open bills due in this window"
    minimum = dashboard_minimum_calls(body["data"])
    calls = recorded_calls(sandbox_url)
    assert len(calls) == minimum
    assert_no_call_twice(calls)
    assert sequential_round_trips(calls) == 3


def _wave_of(calls: list[UpstreamCall], call: UpstreamCall) -> int:
    return sequential_round_trips([c for c in calls if c.end <= call.start] + [call])


def _kind(call: UpstreamCall) -> str:
    """The data type a call read (`companies` for the companies list or one company)."""
    parts = call.path.strip("/").split("/")
    return parts[parts.index("data") + 1] if "data" in parts else parts[0]


def test_a_names_only_dashboard_makes_the_calls_of_the_lists_alone(
    sandbox_url: str, gateway_url: str
) -> None:
    # given
    with_latency(sandbox_url)
    # when
    body = graphql(gateway_url, AP_DASHBOARD_NAMES, companies=2, bills=10)
    # then: supplier, account, tax rate and tracking names come from the refs on the bills
    assert "errors" not in body, body.get("errors")
    companies = body["data"]["companies"]["nodes"]
    lines = [
        line for c in companies for bill in c["bills"]["nodes"] for line in bill["lineItems"] or []
    ]
    assert lines
    assert all(line["account"]["name"] for line in lines)
    assert any(line["trackingCategories"] for line in lines)
    calls = recorded_calls(sandbox_url)
    assert len(calls) == 1 + len(companies)  # the companies page, and each company's bills page
    assert {call.path.rsplit("/", 1)[-1] for call in calls} == {"companies", "bills"}
    assert sequential_round_trips(calls) == 2


def test_ref_answered_objects_equal_the_records_they_name(
    sandbox_url: str, gateway_url: str
) -> None:
    # given: the names-only dashboard, answered from refs
    names = graphql(gateway_url, AP_DASHBOARD_NAMES, companies=1, bills=5)
    # when: the same edges read by id (node lookups read the records)
    company = names["data"]["companies"]["nodes"][0]
    bill = company["bills"]["nodes"][0]
    line = bill["lineItems"][0]
    read = graphql(
        gateway_url,
        """query($s: ID!, $a: ID!, $t: ID!) {
          s: node(id: $s) { id ... on Supplier { supplierName status } }
          a: node(id: $a) { id ... on Account { name type } }
          t: node(id: $t) { id ... on TaxRate { name code } }
        }""",
        s=bill["supplier"]["id"],
        a=line["account"]["id"],
        t=line["taxRate"]["id"],
    )
    # then: the ids are the records' global ids and the names theirs
    assert "errors" not in read, read.get("errors")
    assert read["data"]["s"]["supplierName"] == bill["supplier"]["supplierName"]
    assert read["data"]["a"]["name"] == line["account"]["name"]
    assert read["data"]["t"]["name"] == line["taxRate"]["name"]
    assert [read["data"][k]["id"] for k in "sat"] == [
        bill["supplier"]["id"],
        line["account"]["id"],
        line["taxRate"]["id"],
    ]


def test_a_detailed_dashboard_reads_reference_sets_in_the_wave_of_the_bills(
    sandbox_url: str, gateway_url: str
) -> None:
    # given
    with_latency(sandbox_url)
    # when: fields the refs do not carry (status, type, code) need the records
    body = graphql(
        gateway_url,
        AP_DASHBOARD_DETAILED,
        companies=2,
        bills=10,
        dueFrom="2026-10-01",
        dueTo="2027-01-31",
    )
    # then
    assert "errors" not in body, body.get("errors")
    calls = recorded_calls(sandbox_url)
    assert len(calls) == dashboard_lookup_calls(body["data"])
    assert_no_call_twice(calls)
    # Depth 3: companies -> bills -> suppliers and payments (ids from the bills); the chart of
    # accounts and tax rates depend only on the company, so they go with the bills.
    assert sequential_round_trips(calls) == 3
    waves = {_kind(call): _wave_of(calls, call) for call in calls}
    assert waves == {
        "companies": 1,
        "bills": 2,
        "accounts": 2,
        "taxRates": 2,
        "suppliers": 3,
        "billPayments": 3,
    }


def test_whole_set_lookups_below_a_list_take_no_wave_of_their_own(
    sandbox_url: str, gateway_url: str
) -> None:
    # given
    with_latency(sandbox_url)
    # when
    body = graphql(gateway_url, LINES_WITH_LEDGER, companies=2, bills=10)
    # then: companies -> {bills, accounts, tax rates}: the query's dependency depth is 2
    assert "errors" not in body, body.get("errors")
    lines = [
        line
        for c in body["data"]["companies"]["nodes"]
        for bill in c["bills"]["nodes"]
        for line in bill["lineItems"] or []
    ]
    assert lines
    assert all(line["account"]["type"] for line in lines)
    calls = recorded_calls(sandbox_url)
    assert len(calls) == 1 + 3 * 2
    assert_no_call_twice(calls)
    assert sequential_round_trips(calls) == 2


def test_a_repeated_dashboard_is_answered_from_the_process_cache(
    sandbox_url: str, gateway_url: str
) -> None:
    # given: a first dashboard filled the cache, including the ids Codat does not have
    # (allocations that name credit notes are looked up as payments and come back absent)
    variables = {"companies": 2, "bills": 10, "dueFrom": "2026-10-01", "dueTo": "2027-01-31"}
    first = graphql(gateway_url, AP_DASHBOARD, **variables)
    clear_calls(sandbox_url)
    # when
    again = graphql(gateway_url, AP_DASHBOARD, **variables)
    # then
    assert again == first
    assert recorded_calls(sandbox_url) == []


def test_ap_dashboard_data_matches_the_seeded_records(sandbox_url: str, gateway_url: str) -> None:
    # when
    body = graphql(
        gateway_url, AP_DASHBOARD, companies=2, bills=10, dueFrom="2026-10-01", dueTo="2027-01-31"
    )
    # then
    for company in body["data"]["companies"]["nodes"]:
        company_id = base64.b64decode(company["id"]).decode().split(":", 1)[1]
        due = [bill["dueDate"] for bill in company["bills"]["nodes"]]
        assert due == sorted(due)
        for bill in company["bills"]["nodes"]:
            record = codat_get(sandbox_url, f"/companies/{company_id}/data/bills/{bill['codatId']}")
            assert (
                bill["status"]
                in {"Open", "PartiallyPaid"}
                == {record["status"]}
                | {
                    "Open",
                    "PartiallyPaid",
                }
            )
            assert Decimal(str(bill["amountDue"])) == Decimal(str(record["amountDue"]))
            assert "2026-10-01" <= bill["dueDate"][:10] <= "2027-01-31"
            assert bill["supplier"]["codatId"] == record["supplierRef"]["id"]
            supplier = codat_get(
                sandbox_url, f"/companies/{company_id}/data/suppliers/{record['supplierRef']['id']}"
            )
            assert bill["supplier"]["supplierName"] == supplier["supplierName"]
            allocated = {a["payment"]["id"] for a in record.get("paymentAllocations") or []}
            assert {p["codatId"] for p in bill["billPayments"]} <= allocated
            for line, seeded in zip(bill["lineItems"], record["lineItems"], strict=True):
                assert line["account"]["codatId"] == seeded["accountRef"]["id"]
                assert line["taxRate"]["codatId"] == seeded["taxRateRef"]["id"]


def test_the_bills_filter_is_pushed_down_to_codats_query_language(
    sandbox_url: str, gateway_url: str
) -> None:
    # when
    graphql(
        gateway_url, AP_DASHBOARD, companies=1, bills=5, dueFrom="2026-11-01", dueTo="2026-11-30"
    )
    # then
    [bills_call] = [call for call in recorded_calls(sandbox_url) if call.path.endswith("/bills")]
    assert bills_call.params["query"] == (
        "{status=Open||status=PartiallyPaid}&&dueDate>=2026-11-01&&dueDate<=2026-11-30"
        "&&metadata.isDeleted!=true"
    )
    assert bills_call.params["orderBy"] == "dueDate"
    assert bills_call.params["pageSize"] == "5"


def test_supplier_page_costs_one_call_per_level_and_list(
    sandbox_url: str, gateway_url: str
) -> None:
    # given
    company = seed(sandbox_url)["companies"][0]["id"]
    suppliers = codat_get(sandbox_url, f"/companies/{company}/data/suppliers", pageSize="1")
    supplier = suppliers["results"][0]
    seeded_bills = codat_get(
        sandbox_url,
        f"/companies/{company}/data/bills",
        query=f"supplierRef.id={supplier['id']}&&metadata.isDeleted!=true",
    )
    with_latency(sandbox_url)
    # when
    body = graphql(gateway_url, SUPPLIER_PAGE, company=company, supplier=supplier["id"])
    # then
    assert "errors" not in body, body.get("errors")
    page = body["data"]["company"]["supplier"]
    assert page["supplierName"] == supplier["supplierName"]
    assert page["bills"]["totalCount"] == seeded_bills["totalResults"]
    # Minimum: the company (1), the supplier (1), then its bills, payments and credit notes
    # (one filtered page each, 3). Depth 3: company -> supplier -> its three lists.
    calls = recorded_calls(sandbox_url)
    assert len(calls) == 5
    assert_no_call_twice(calls)
    assert sequential_round_trips(calls) == 3


def test_payment_detail_resolves_links_by_type_at_the_fewest_calls(
    sandbox_url: str, gateway_url: str
) -> None:
    # given: a payment that settles at least one bill
    company = seed(sandbox_url)["companies"][0]["id"]
    payments = codat_get(sandbox_url, f"/companies/{company}/data/billPayments", pageSize="100")
    payment = next(
        p
        for p in payments["results"]
        if p.get("paymentMethodRef")
        and any(link["type"] == "Bill" for line in p["lines"] for link in line["links"])
    )
    with_latency(sandbox_url)
    # when
    body = graphql(gateway_url, PAYMENT_DETAIL, company=company, payment=payment["id"])
    # then
    assert "errors" not in body, body.get("errors")
    detail = body["data"]["company"]["billPayment"]
    bill_ids = {
        link["id"] for line in payment["lines"] for link in line["links"] if link["type"] == "Bill"
    }
    credit_ids = {
        link["id"]
        for line in payment["lines"]
        for link in line["links"]
        if link["type"] == "CreditNote"
    }
    assert {bill["codatId"] for bill in detail["bills"]} == bill_ids
    assert {note["codatId"] for note in detail["billCreditNotes"]} == credit_ids
    assert detail["supplier"]["codatId"] == payment["supplierRef"]["id"]
    assert detail["account"]["codatId"] == payment["accountRef"]["id"]
    assert detail["paymentMethod"]["codatId"] == payment["paymentMethodRef"]["id"]
    # Minimum: the company (1); then at once the payment (1) with the chart of accounts (1) and
    # the payment methods (1), whole sets that depend only on the company; then its bills (1: one
    # get or one OR-chain, shared by `bills` and the links' `bill`) and, if it uses any, its
    # credit notes (1). The supplier's id and name come from `supplierRef`. Depth 3.
    calls = recorded_calls(sandbox_url)
    assert len(calls) == 5 + bool(credit_ids)
    assert_no_call_twice(calls)
    waves = {_kind(call): _wave_of(calls, call) for call in calls}
    assert {k: waves[k] for k in ("companies", "billPayments", "accounts", "paymentMethods")} == {
        "companies": 1,
        "billPayments": 2,
        "accounts": 2,
        "paymentMethods": 2,
    }
    assert sequential_round_trips(calls) == 3


def test_node_lookups_in_one_company_batch_into_one_call_per_level(
    sandbox_url: str, gateway_url: str
) -> None:
    # given
    company = seed(sandbox_url)["companies"][0]["id"]
    bills = codat_get(sandbox_url, f"/companies/{company}/data/bills", pageSize="3")["results"]
    ids = [global_id("Bill", f"{company}:{bill['id']}") for bill in bills]
    with_latency(sandbox_url)
    # when
    body = graphql(gateway_url, NODES, a=ids[0], b=ids[1], c=ids[2])
    # then
    assert "errors" not in body, body.get("errors")
    assert [body["data"][alias]["codatId"] for alias in "abc"] == [bill["id"] for bill in bills]
    # Minimum: the three bills as one OR-chain (1), then their suppliers as one (1). Depth 2.
    calls = recorded_calls(sandbox_url)
    assert len(calls) == 2
    assert sequential_round_trips(calls) == 2


def test_concurrent_identical_queries_share_their_upstream_calls(
    sandbox_url: str, gateway_url: str
) -> None:
    # given
    with_latency(sandbox_url)
    variables = {"companies": 2, "bills": 10, "dueFrom": "2026-10-01", "dueTo": "2027-01-31"}
    graphql(gateway_url, AP_DASHBOARD, **variables)
    single = len(recorded_calls(sandbox_url))
    httpx.post(f"{sandbox_url}/_sandbox/reset").raise_for_status()
    httpx.put(f"{sandbox_url}/_sandbox/latency", json={"ms": LATENCY_MS}).raise_for_status()
    # when: a cold gateway gets five identical dashboards at once
    with running(create_app(gateway_settings(sandbox_url))) as cold, ThreadPoolExecutor(5) as pool:
        bodies = list(pool.map(lambda _: graphql(cold.url, AP_DASHBOARD, **variables), range(5)))
    # then
    assert all(body == bodies[0] for body in bodies)
    assert len(recorded_calls(sandbox_url)) == single


def test_one_company_failing_leaves_the_others_intact(sandbox_url: str, gateway_url: str) -> None:
    # when: the third seeded company has not finished its first sync
    body = graphql(gateway_url, AP_DASHBOARD, companies=3, bills=5)
    # then
    nodes = body["data"]["companies"]["nodes"]
    assert nodes[0]["bills"]["nodes"]
    assert nodes[1]["bills"]["nodes"]
    assert nodes[2]["bills"] is None
    [error] = body["errors"]
    assert error["path"] == ["companies", "nodes", 2, "bills"]
    assert error["extensions"]["code"] == "DATA_NOT_READY"
    assert error["extensions"]["dataType"] == "bills"
    assert error["extensions"]["correlationId"]


@pytest.mark.parametrize(
    ("fault", "code", "extra"),
    [
        (
            {"kind": "status", "status": 429, "retryAfter": "1"},
            "UPSTREAM_RATE_LIMITED",
            "retryAfter",
        ),
        ({"kind": "status", "status": 503}, "UPSTREAM_UNAVAILABLE", "correlationId"),
    ],
)
def test_upstream_failures_are_graphql_errors_with_codes(
    sandbox_url: str, gateway_url: str, fault: dict[str, Any], code: str, extra: str
) -> None:
    # given
    company = seed(sandbox_url)["companies"][0]["id"]
    httpx.post(
        f"{sandbox_url}/_sandbox/faults", json={"pathPattern": "/data/bills$", **fault}
    ).raise_for_status()
    # when
    body = graphql(
        gateway_url,
        "query($id: ID!) { company(id: $id) { name bills(first: 1) { totalCount } } }",
        id=company,
    )
    # then
    assert body["data"]["company"]["name"]
    assert body["data"]["company"]["bills"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == code
    assert extra in error["extensions"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ('{ company(id: "00000000-0000-0000-0000-000000000000") { name } }', "NOT_FOUND"),
        ("{ companies(first: 100000) { totalCount } }", "BAD_USER_INPUT"),
        ('{ companies(first: 1, after: "not-a-cursor") { totalCount } }', "BAD_USER_INPUT"),
        ('{ node(id: "bm9wZQ==") { id } }', "BAD_USER_INPUT"),
    ],
)
def test_bad_requests_get_a_clear_error_code(gateway_url: str, query: str, code: str) -> None:
    body = graphql(gateway_url, query)
    assert body["errors"][0]["extensions"]["code"] == code


def test_raw_query_is_validated_and_refused_when_malformed(
    sandbox_url: str, gateway_url: str
) -> None:
    company = seed(sandbox_url)["companies"][0]["id"]
    query = (
        "query($id: ID!, $q: String) "
        "{ company(id: $id) { bills(first: 2, query: $q) { totalCount } } }"
    )
    good = graphql(gateway_url, query, id=company, q="currency=USD")
    assert "errors" not in good
    bad = graphql(gateway_url, query, id=company, q="currency=USD&&{oops")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    too_long = graphql(gateway_url, query, id=company, q="||".join(["currency=USD"] * 300))
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bills_calls = [c for c in recorded_calls(sandbox_url) if c.path.endswith("/bills")]
    assert len(bills_calls) == 1


def test_pagination_walks_forward_and_back_over_codat_pages(
    sandbox_url: str, gateway_url: str
) -> None:
    company = seed(sandbox_url)["companies"][0]["id"]
    page_query = """query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
      company(id: $id) { bills(first: $first, after: $after, last: $last, before: $before,
        orderBy: {field: REFERENCE, direction: ASC}) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { codatId } } } } }"""
    first = graphql(gateway_url, page_query, id=company, first=7)["data"]["company"]["bills"]
    second = graphql(
        gateway_url, page_query, id=company, first=7, after=first["pageInfo"]["endCursor"]
    )["data"]["company"]["bills"]
    back = graphql(
        gateway_url, page_query, id=company, last=7, before=second["pageInfo"]["startCursor"]
    )["data"]["company"]["bills"]
    seeded = codat_get(
        sandbox_url,
        f"/companies/{company}/data/bills",
        query="metadata.isDeleted!=true",
        orderBy="reference",
        pageSize="14",
    )["results"]
    ids = [edge["node"]["codatId"] for edge in first["edges"] + second["edges"]]
    assert ids == [bill["id"] for bill in seeded]
    assert [edge["node"]["codatId"] for edge in back["edges"]] == ids[:7]
    assert first["pageInfo"]["hasNextPage"]
    assert not first["pageInfo"]["hasPreviousPage"]
    assert second["pageInfo"]["hasPreviousPage"]
    assert first["totalCount"] == second["totalCount"] > 14


def test_bill_attachments_are_read_through_the_linked_connection(
    sandbox_url: str, gateway_url: str
) -> None:
    # given: a bill with an attachment in the seed
    company = seed(sandbox_url)["companies"][0]
    bills = codat_get(sandbox_url, f"/companies/{company['id']}/data/bills", pageSize="100")
    with_attachments = None
    for bill in bills["results"]:
        listed = codat_get(
            sandbox_url,
            f"/companies/{company['id']}/connections/{company['connectionId']}"
            f"/data/bills/{bill['id']}/attachments",
        )["attachments"]
        if listed:
            with_attachments = (bill, listed)
            break
    assert with_attachments is not None
    bill, listed = with_attachments
    clear_calls(sandbox_url)
    # when
    body = graphql(
        gateway_url,
        "query($c: ID!, $b: ID!) { company(id: $c) { bill(id: $b) { "
        "attachments { id name contentType fileSize } } } }",
        c=company["id"],
        b=bill["id"],
    )
    # then
    assert "errors" not in body, body.get("errors")
    attachments = body["data"]["company"]["bill"]["attachments"]
    assert [a["id"] for a in attachments] == [a["id"] for a in listed]
    assert attachments[0]["name"] == listed[0]["name"]
    paths = [call.path for call in recorded_calls(sandbox_url)]
    assert f"/companies/{company['id']}/connections" in paths
    assert any(path.endswith(f"/bills/{bill['id']}/attachments") for path in paths)
