"""One error shape for /graphql: every non-2xx answer is a GraphQL response with a code and the
request's id, as `application/graphql-response+json` when the client accepts it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from tests.conftest import gateway_settings
from tests.servers import running

ACCEPT = {"accept": "application/graphql-response+json, application/json;q=0.9"}
KEY = "error-shape-client-key-0123456789"
COSTLY = """{ companies(first: 20) { nodes { suppliers(first: 100) { nodes {
    bills(first: 10) { totalCount } } } } } }"""


@pytest.fixture
def gateway(sandbox_url: str) -> Iterator[str]:
    keys = [{"name": "c", "sha256": hashlib.sha256(KEY.encode()).hexdigest(), "companies": "*"}]
    settings = gateway_settings(
        sandbox_url,
        GATEWAY_AUTH="on",
        GATEWAY_API_KEYS=json.dumps(keys),
        GATEWAY_MAX_BODY_BYTES="2000",
    )
    with running(create_app(settings)) as server:
        yield f"{server.url}/graphql"


def shaped(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Asserts the status, the media type the client asked for, the code and the request id."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    body: dict[str, Any] = response.json()
    assert set(body) <= {"errors", "data"}, body
    [error] = body["errors"]
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["extensions"]["code"] == code, body
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    return body


def auth(**headers: str) -> dict[str, str]:
    return {**ACCEPT, "authorization": f"Bearer {KEY}", **headers}


def test_malformed_json_is_a_400_graphql_error(gateway: str) -> None:
    headers = auth(**{"content-type": "application/json"})
    body = shaped(httpx.post(gateway, content=b"{not json", headers=headers), 400, "BAD_REQUEST")
    assert "JSON" in body["errors"][0]["message"]


def test_a_request_without_a_query_is_a_400_graphql_error(gateway: str) -> None:
    body = shaped(httpx.post(gateway, json={"variables": {}}, headers=auth()), 400, "BAD_REQUEST")
    assert "no GraphQL query" in body["errors"][0]["message"]


def test_a_wrong_content_type_is_a_415_graphql_error(gateway: str) -> None:
    headers = auth(**{"content-type": "text/plain"})
    response = httpx.post(gateway, content=b"{ __typename }", headers=headers)
    body = shaped(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "application/json" in body["errors"][0]["message"]


def test_a_mutation_sent_by_get_is_a_405_graphql_error(gateway: str) -> None:
    response = httpx.get(gateway, params={"query": "mutation { __typename }"}, headers=auth())
    shaped(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in response.headers["allow"]


def test_a_method_graphql_does_not_serve_is_a_405_graphql_error(gateway: str) -> None:
    response = httpx.put(gateway, json={"query": "{ __typename }"}, headers=auth())
    shaped(response, 405, "METHOD_NOT_ALLOWED")


def test_refusals_at_the_door_have_the_shape(gateway: str) -> None:
    shaped(
        httpx.post(gateway, json={"query": "{ __typename }"}, headers=ACCEPT),
        401,
        "UNAUTHENTICATED",
    )
    big = {"query": "{ __typename }", "variables": {"pad": "x" * 5000}}
    shaped(httpx.post(gateway, json=big, headers=auth()), 413, "PAYLOAD_TOO_LARGE")


def test_a_client_that_accepts_only_json_gets_json(gateway: str) -> None:
    headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}
    response = httpx.post(gateway, content=b"[", headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ companies(first: 1) { nodes { name } "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ noSuchField }"}, "GRAPHQL_VALIDATION_FAILED"),
        (
            {"query": "query($n: Int!) { companies(first: $n) { totalCount } }", "variables": {}},
            "BAD_USER_INPUT",
        ),
        ({"query": COSTLY}, "QUERY_TOO_COSTLY"),
    ],
)
def test_a_request_error_is_a_400_without_data_for_graphql_response_json(
    gateway: str, body: dict[str, Any], code: str
) -> None:
    # given: a document that never executes, from a client of the GraphQL-over-HTTP media type
    response = httpx.post(gateway, json=body, headers=auth(), timeout=30)
    # then: 400, no data entry (GraphQL-over-HTTP: a request error)
    assert "data" not in shaped(response, 400, code)
    # and a client of plain JSON gets the legacy 200 with the same error
    headers = {"authorization": f"Bearer {KEY}", "accept": "application/json"}
    legacy = httpx.post(gateway, json=body, headers=headers, timeout=30)
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
    assert legacy.json()["errors"][0]["extensions"]["code"] == code


def test_a_field_error_keeps_its_200_and_data(gateway: str) -> None:
    # given: a document that executes, one of whose fields fails (an unknown node id)
    query = '{ node(id: "QmlsbDpub3QtYS1iaWxs") { id } }'
    response = httpx.post(gateway, json={"query": query}, headers=auth(), timeout=30)
    # then: the response is a 200 with its data (null for that field), as the spec says
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {"node": None}
    assert [error["path"] for error in body["errors"]] == [["node"]], body


def test_query_too_costly_carries_the_request_id(gateway: str) -> None:
    response = httpx.post(gateway, json={"query": COSTLY}, headers=auth(), timeout=30)
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
