"""The cost estimate is an upper bound: for every query document the tests use, the calls
`schema/cost.py` estimates are at least the calls the sandbox records on a cold cache."""

from __future__ import annotations

import base64
import importlib
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    FragmentDefinitionNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    OperationType,
    parse,
)

from gateway.app import create_app, limits
from schema import build_schema
from schema.cost import Cost, estimate
from tests.conftest import gateway_settings
from tests.e2e.paying import codat_get
from tests.servers import running
from tests.upstream import clear_calls, recorded_calls

MODULES = [
    "tests.queries",
    "tests.e2e.paying",
    "tests.e2e.records",
    "tests.e2e.abuse",
    "tests.e2e.test_abuse_scope",
    "tests.e2e.test_abuse_limits",
    "tests.e2e.test_abuse_authentication",
    "tests.e2e.test_error_shape",
    "tests.e2e.test_hostile_input",
    "tests.e2e.test_tenancy_attacks",
    "tests.e2e.test_walk_deadline",
    "tests.e2e.test_warm_path",
    "tests.e2e.test_fuzz",
]


def query_documents() -> dict[str, str]:
    """Every module-level query document of the test modules, by `module.NAME`."""
    found: dict[str, str] = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if not attribute.isupper() or not isinstance(value, str):
                continue
            try:
                document = parse(value)
            except Exception:
                continue
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if operations and all(o.operation is OperationType.QUERY for o in operations):
                found[f"{name.rsplit('.', 1)[-1]}.{attribute}"] = value
    return found


DOCUMENTS = query_documents()


def _ids(sandbox_url: str) -> dict[str, str]:
    companies = codat_get(sandbox_url, "/companies", pageSize="50")["results"]
    company = next(c["id"] for c in companies if c.get("dataConnections"))
    first = {
        kind: codat_get(sandbox_url, f"/companies/{company}/data/{kind}", pageSize="1")["results"][
            0
        ]["id"]
        for kind in ("bills", "suppliers", "billPayments")
    }

    def node(kind: str, record: str) -> str:
        return base64.b64encode(f"{kind}:{company}:{record}".encode()).decode()

    return {
        "company": company,
        "supplier": first["suppliers"],
        "payment": first["billPayments"],
        "bill": node("Bill", first["bills"]),
        "node": node("Bill", first["bills"]),
    }


def variables_for(document: str, ids: dict[str, str]) -> dict[str, Any] | None:
    """Values for the operation's variables, or None when one is required and unknown."""
    operation = next(
        d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)
    )
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_node = definition.type
        required = isinstance(type_node, NonNullTypeNode) and definition.default_value is None
        while isinstance(type_node, NonNullTypeNode):
            type_node = type_node.type
        type_name = getattr(getattr(type_node, "name", None), "value", "")
        lowered = name.lower()
        if type_name == "Int":
            values[name] = 5
        elif type_name == "ID" and lowered in {"company", "c", "id", "companyid", "mine"}:
            values[name] = ids["company"]
        elif type_name == "ID" and lowered in {"supplier", "payment"}:
            values[name] = ids[lowered]
        elif type_name == "ID" and lowered in {"a", "b", "bill", "node"}:
            values[name] = ids["node"]
        elif required:
            return None
    return values


def _cost(document: str, variables: dict[str, Any]) -> Cost:
    schema = build_schema(limits=limits(gateway_settings("http://x")))._schema
    parsed = parse(document)
    operation = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return estimate(schema, operation, fragments, variables)


def test_the_test_documents_are_found() -> None:
    assert len(DOCUMENTS) >= 15
    assert {"queries.AP_DASHBOARD", "queries.SUPPLIER_PAGE", "queries.PAYMENT_DETAIL"} <= set(
        DOCUMENTS
    )


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_estimate_is_at_least_the_calls_made_on_a_cold_cache(
    sandbox_url: str, name: str
) -> None:
    # given
    document = DOCUMENTS[name]
    variables = variables_for(document, _ids(sandbox_url))
    if variables is None:
        pytest.skip(f"{name}: a required variable this test cannot fill")
    cost = _cost(document, variables)
    settings = gateway_settings(sandbox_url, RESPONSE_CACHE="false", GATEWAY_MAX_COST="100000")
    with running(create_app(settings)) as server:
        clear_calls(sandbox_url)
        # when
        response = httpx.post(
            f"{server.url}/graphql",
            json={"query": document, "variables": variables},
            timeout=60,
        )
        calls = recorded_calls(sandbox_url)
    # then
    assert response.status_code == 200, response.text
    assert cost.calls >= len(calls), (name, cost, [c.path for c in calls])
    assert cost.records >= 1
    # the bytes are an estimate: within a factor of two of the data actually answered
    data = orjson.dumps(response.json().get("data"))
    assert cost.bytes >= len(data) // 2, (cost, len(data))
