"""The query language: tokenizer, parser, precedence, operators, ordering, and 400s over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from sandbox.errors import MALFORMED_QUERY, CodatError
from sandbox.fields import Kind
from sandbox.query import And, Comparison, Or, order, parse, select, tokenize
from tests.upstream import SeededCompany

FIELDS: dict[str, Kind] = {
    "id": "string",
    "name": "string",
    "amount": "number",
    "due": "date",
    "paid": "bool",
    "ref": "object",
    "ref.id": "string",
    "lines": "array",
}
RECORDS: list[dict[str, Any]] = [
    {
        "id": "a",
        "name": "Acme Ltd",
        "amount": Decimal("10.00"),
        "due": "2026-11-01T00:00:00",
        "paid": True,
        "ref": {"id": "61"},
    },
    {
        "id": "b",
        "name": "Brightwater",
        "amount": Decimal("250.50"),
        "due": "2026-12-01T00:00:00",
        "paid": False,
        "ref": {"id": "62"},
    },
    {
        "id": "c",
        "name": "acme holdings",
        "amount": Decimal("99.99"),
        "due": "2026-11-20T00:00:00Z",
        "paid": False,
    },
    {"id": "d", "name": "Delta", "amount": 7, "paid": True, "ref": {"id": "61"}},
]


def ids(query: str | None, order_by: str | None = None) -> list[str]:
    return [r["id"] for r in select(RECORDS, query, order_by, FIELDS)]


def test_tokenizer_reads_values_up_to_the_next_operator_or_brace() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("{name~acme ltd || amount >= 5}&&paid=true")]
    assert kinds == [
        ("LBRACE", "{"),
        ("PATH", "name"),
        ("OP", "~"),
        ("VALUE", "acme ltd"),
        ("OR", "||"),
        ("PATH", "amount"),
        ("OP", ">="),
        ("VALUE", "5"),
        ("RBRACE", "}"),
        ("AND", "&&"),
        ("PATH", "paid"),
        ("OP", "="),
        ("VALUE", "true"),
        ("END", ""),
    ]


def test_and_binds_tighter_than_or() -> None:
    tree = parse("id=a||id=b&&paid=true")
    assert tree == Or(
        (
            Comparison("id", "=", "a"),
            And((Comparison("id", "=", "b"), Comparison("paid", "=", "true"))),
        )
    )
    assert ids("id=a||id=b&&paid=true") == ["a"]
    assert ids("{id=a||id=b}&&paid=false") == ["b"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=ACME LTD", ["a"]),
        ("name!=acme ltd", ["b", "c", "d"]),
        ("name~ACME", ["a", "c"]),
        ("amount>99.99", ["b"]),
        ("amount>=99.99", ["b", "c"]),
        ("amount<10", ["d"]),
        ("amount<=10", ["a", "d"]),
        ("amount=7", ["d"]),
        ("due>2026-11-15", ["b", "c"]),
        ("due<2026-11-20T00:00:00", ["a"]),
        ("due=2026-11-01", ["a"]),
        ("paid=true", ["a", "d"]),
        ("paid!=TRUE", ["b", "c"]),
        ("ref.id=61", ["a", "d"]),
        ("ref.id!=61", ["b", "c"]),
        ("due!=2026-11-01", ["b", "c", "d"]),
        ("{amount > 100 || amount < 50} && paid != true", ["b"]),
        ("{{id=a}}", ["a"]),
    ],
)
def test_each_operator_filters_as_documented(query: str, expected: list[str]) -> None:
    assert ids(query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "",
        "name",
        "name=",
        "=acme",
        "name=acme&&",
        "||name=acme",
        "{name=acme",
        "name=acme}",
        "name==",
        "nope=1",
        "lines=700",
        "ref=61",
        "amount~5",
        "name>a",
        "amount=ten",
        "due>yesterday",
        "paid=yes",
        "paid>true",
        "name=acme || {}",
        "na me=acme",
        "name=a ## b=c".replace("##", "&&&&"),
    ],
)
def test_malformed_queries_are_rejected(query: str) -> None:
    with pytest.raises(CodatError) as raised:
        select(RECORDS, query or " ", None, FIELDS)
    assert raised.value.status == 400
    assert raised.value.error == MALFORMED_QUERY


def test_queries_of_2048_characters_or_more_are_rejected() -> None:
    just_under = "name~" + "x" * 2042
    assert len(just_under) == 2047
    parse(just_under)
    with pytest.raises(CodatError) as raised:
        parse(just_under + "x")
    assert raised.value.status == 400


def test_order_by_ascending_descending_and_dotted_is_stable() -> None:
    assert ids(None, "amount") == ["d", "a", "c", "b"]
    assert ids(None, "-amount") == ["b", "c", "a", "d"]
    assert ids(None, "paid") == ["b", "c", "a", "d"]
    assert ids(None, "ref.id") == ["c", "a", "d", "b"]
    assert ids(None, "-due") == ["b", "c", "a", "d"]


def test_order_by_unknown_or_array_property_is_400() -> None:
    for bad in ("nope", "-lines", "ref"):
        with pytest.raises(CodatError):
            order(RECORDS, bad, FIELDS)


def test_string_matching_is_case_insensitive_for_equality_and_contains() -> None:
    assert ids("name=delta") == ids("name=DELTA") == ["d"]
    assert ids("name~HOLD") == ["c"]


# Over HTTP, against the seeded bills.


def bills(codat: httpx.Client, company: SeededCompany, **params: str) -> httpx.Response:
    return codat.get(f"/companies/{company.id}/data/bills", params={"pageSize": "5000", **params})


def test_http_query_filters_and_total_results_counts_after_the_filter(
    codat: httpx.Client, company: SeededCompany
) -> None:
    everything = bills(codat, company).json()["results"]
    open_bills = bills(codat, company, query="status=Open").json()
    assert open_bills["totalResults"] == sum(1 for b in everything if b["status"] == "Open")
    supplier = everything[0]["supplierRef"]["id"]
    by_supplier = bills(codat, company, query=f"supplierRef.id={supplier}").json()["results"]
    assert by_supplier
    assert all(b["supplierRef"]["id"] == supplier for b in by_supplier)
    live = bills(codat, company, query="metadata.isDeleted!=true").json()["totalResults"]
    assert live == sum(1 for b in everything if not b["metadata"]["isDeleted"])
    assert live < len(everything)


def test_http_query_by_ids_with_or_chain(codat: httpx.Client, company: SeededCompany) -> None:
    everything = bills(codat, company).json()["results"]
    wanted = [b["id"] for b in everything[:5]]
    query = "{" + "||".join(f"id={i}" for i in wanted) + "}&&metadata.isDeleted!=true"
    found = bills(codat, company, query=query).json()["results"]
    assert [b["id"] for b in found] == wanted


def test_http_due_date_range_and_amount_due(codat: httpx.Client, company: SeededCompany) -> None:
    found = bills(codat, company, query="dueDate>2026-11-01&&dueDate<2026-12-01&&amountDue>0")
    for bill in found.json()["results"]:
        assert "2026-11-01" < bill["dueDate"] < "2026-12-01"
        assert bill["amountDue"] > 0


def test_http_order_by_descending_due_date(codat: httpx.Client, company: SeededCompany) -> None:
    found = bills(codat, company, orderBy="-dueDate").json()["results"]
    dues = [b["dueDate"] for b in found]
    assert dues == sorted(dues, reverse=True)


@pytest.mark.parametrize(
    "query", ["status", "status=Open&&", "unknownField=1", "lineItems.unitAmount=700"]
)
def test_http_malformed_query_is_400_with_codat_message(
    codat: httpx.Client, company: SeededCompany, query: str
) -> None:
    response = bills(codat, company, query=query)
    assert response.status_code == 400
    assert response.json()["error"] == "Error parsing query - Malformed query."


def test_http_too_long_query_is_400(codat: httpx.Client, company: SeededCompany) -> None:
    response = bills(codat, company, query="||".join(["id=x"] * 500))
    assert response.status_code == 400


def test_http_push_operations_and_pull_history_are_queryable(
    codat: httpx.Client, company: SeededCompany
) -> None:
    pushes = codat.get(f"/companies/{company.id}/push", params={"query": "status=Pending"})
    assert pushes.status_code == 200
    history = codat.get(
        f"/companies/{company.id}/data/history", params={"query": "status!=Complete"}
    )
    assert history.json()["totalResults"] == 0
    refused = codat.get(
        f"/companies/{company.id}/data/history", params={"query": "isCompleted=true"}
    )
    assert refused.status_code == 400
