"""Fuzzing the running gateway over HTTP: nothing a client can send gets a 5xx (issue 11).

One gateway (authentication on, response cache on, signed webhooks on) in front of the test
sandbox, for the whole module. Hypothesis generates GraphQL documents (random text, and documents
built from the schema's own field, argument and enum names), variables (deep nesting, huge
numbers, NaN/Infinity strings, odd unicode, wrong types), headers (content types, credentials,
odd bytes), GET and POST, and webhook bodies and headers (some validly signed). Every response:

- is below 500, and carries no traceback text;
- carries no GraphQL error with code INTERNAL_SERVER_ERROR (a 500 in a 200);
- for the money mutations: when the input is refused, the sandbox saw no push.

Bounded: a fixed number of examples per property, no shrinking past a few seconds, so the module
runs in well under a minute.
"""

from __future__ import annotations

import hashlib
import json
import math
import string
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from svix.webhooks import Webhook

from gateway.app import create_app
from schema import build_schema
from tests.conftest import gateway_settings
from tests.e2e.paying import PAY_BILL, PAY_BILLS, Payable, payables
from tests.servers import ServerThread, running
from tests.upstream import clear_calls, recorded_calls

SECRET = "whsec_" + "ZnV6ei13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"
API_KEY = "fuzz-client-key-0123456789"

FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
"""Derandomized: the same examples every run, so a green run stays green; no shrinking, so a
failure is reported at once (the first failing example, with its full input)."""


pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


class Target:
    """The running gateway, its sandbox, a pooled client and two payable bills."""

    def __init__(
        self, url: str, sandbox: str, client: httpx.Client, payable: Payable, other: Payable
    ) -> None:
        self.url, self.sandbox, self.client = url, sandbox, client
        self.payable, self.other = payable, other

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example
        return f"Target({self.url})"


@pytest.fixture(scope="module")
def target(sandbox_server: ServerThread) -> Iterator[Target]:
    httpx.post(f"{sandbox_server.url}/_sandbox/reset", timeout=10).raise_for_status()
    keys = [{"name": "fuzz", "sha256": hashlib.sha256(API_KEY.encode()).hexdigest()}]
    keys[0]["companies"] = "*"
    settings_ = gateway_settings(
        sandbox_server.url,
        GATEWAY_AUTH="on",
        GATEWAY_API_KEYS=json.dumps(keys),
        GATEWAY_RATE_LIMIT_PER_SECOND="0",
        WEBHOOK_SECRET=SECRET,
    )
    first, second = payables(sandbox_server.url, 2)
    with running(create_app(settings_)) as gateway, httpx.Client(timeout=20) as client:
        yield Target(gateway.url, sandbox_server.url, client, first, second)


def assert_sound(response: httpx.Response) -> Any:
    """No 5xx, no traceback, no INTERNAL_SERVER_ERROR; the body as JSON when it is JSON."""
    assert response.status_code < 500, (response.status_code, response.text[:2000])
    text = response.text
    assert "Traceback" not in text, text[:2000]
    assert 'File "' not in text, text[:2000]
    try:
        body = response.json()
    except ValueError:
        return None
    bodies = body if isinstance(body, list) else [body]
    for one in bodies:
        errors = one.get("errors") if isinstance(one, dict) else None
        for error in errors or []:
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL_SERVER_ERROR", error
    return body


# --- values ------------------------------------------------------------------------------------

ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "NaN",
            "-NaN",
            "sNaN",
            "Infinity",
            "-Infinity",
            "inf",
            "1E+999999",
            "1e-999999",
            "-0",
            "0E-1000",
            "1" * 400,
            "9" * 13 + ".99",
            "1.000000000001",
            "\x00",
            "\ud800",
            "\u202e\u0645",
            "💸" * 10,
            "1_000",
            "0x10",
            " 12 ",
            "12.",
            ".5",
        ]
    ),
)

NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**80), max_value=10**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, 2**63, -(2**63), 10**30]),
)

SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, ODD_TEXT)


def nested(depth: int, leaf: Any = 0) -> Any:
    value = leaf
    for index in range(depth):
        value = [value] if index % 2 else {"k": value}
    return value


SHALLOW_JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

JSON_VALUES = st.one_of(
    SHALLOW_JSON, st.builds(nested, st.integers(min_value=1, max_value=400), SCALARS)
)
"""Any JSON, up to 400 levels deep (past orjson's 255 and the gateway's bound of 64)."""


def to_json(value: Any) -> bytes:
    """JSON the way a careless client writes it: NaN and Infinity as bare words."""
    return json.dumps(value, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


# --- GraphQL documents -------------------------------------------------------------------------

SCHEMA = build_schema()._schema
NAMES = sorted(
    {
        name
        for type_ in SCHEMA.type_map.values()
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        for name in type_.fields
    }
    | {
        arg
        for type_ in SCHEMA.type_map.values()
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
        for field in type_.fields.values()
        for arg in field.args
    }
)
ENUM_VALUES = sorted(
    {
        value
        for type_ in SCHEMA.type_map.values()
        if isinstance(type_, GraphQLEnumType) and not type_.name.startswith("__")
        for value in type_.values
    }
)
TYPE_NAMES = sorted(name for name in SCHEMA.type_map if not name.startswith("__"))


def literal(value: Any) -> str:
    """A GraphQL literal of `value` (numbers written as they come: 1e999 stays 1e999)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "1e999"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_name(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)


def _name(text: str) -> str:
    clean = "".join(c for c in text if c in string.ascii_letters + string.digits + "_")
    return clean if clean and not clean[0].isdigit() else f"f{clean}"


ARG_VALUES = st.one_of(
    SHALLOW_JSON.map(literal),
    st.integers(min_value=1, max_value=1200).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=1, max_value=1200).map(lambda n: "{a: " * n + "1" + "}" * n),
    st.sampled_from(ENUM_VALUES),
    st.sampled_from(["$id", "$input", "$first", "$x", "1e999999", "-1e999999", "0x1"]),
    st.sampled_from(TYPE_NAMES).map(
        lambda t: json.dumps(__import__("base64").b64encode(f"{t}:x:y".encode()).decode())
    ),
)


@st.composite
def selection(draw: st.DrawFn, type_: Any, depth: int) -> str:
    """A selection set on `type_`: mostly its own fields, sometimes any schema name."""
    fields: dict[str, GraphQLField] = dict(getattr(type_, "fields", {}) or {})
    names = sorted(fields)
    picked = draw(
        st.lists(
            st.one_of(st.sampled_from(names), st.sampled_from(NAMES)) if names else st.just("id"),
            min_size=1,
            max_size=4,
        )
    )
    parts = []
    for name in picked:
        field = fields.get(name)
        args = ""
        declared = sorted(field.args) if field is not None else []
        chosen = draw(st.lists(st.one_of(st.sampled_from(declared or NAMES)), max_size=3))
        if chosen:
            pairs = [f"{arg}: {draw(ARG_VALUES)}" for arg in dict.fromkeys(chosen)]
            args = "(" + ", ".join(pairs) + ")"
        alias = draw(st.sampled_from(["", "", "", "a: ", "b1: "]))
        sub = ""
        if field is not None:
            inner = get_named_type(field.type)
            if isinstance(inner, GraphQLUnionType):
                inner = draw(st.sampled_from(list(inner.types)))
            if hasattr(inner, "fields"):
                sub = draw(selection(inner, depth + 1)) if depth < 5 else "{ __typename }"
        elif draw(st.booleans()) and depth < 5:
            sub = draw(selection(SCHEMA.query_type, depth + 1))
        parts.append(f"{alias}{name}{args} {sub}")
    if draw(st.booleans()):
        parts.append(f"... on {draw(st.sampled_from(TYPE_NAMES))} {{ __typename }}")
    return "{ " + " ".join(parts) + " }"


@st.composite
def documents(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["query", "mutation", "subscription", ""]))
    root = {
        "query": SCHEMA.query_type,
        "": SCHEMA.query_type,
        "mutation": SCHEMA.mutation_type,
        "subscription": SCHEMA.subscription_type,
    }[kind]
    variables = draw(
        st.sampled_from(
            ["", "($id: ID!)", "($input: PayBillInput!)", "($x: Decimal)", "($first: Int)"]
        )
    )
    body = draw(selection(root, 0))
    return f"{kind} Op{variables} {body}" if kind else body


RANDOM_DOCUMENTS = st.one_of(
    st.text(max_size=200),
    st.text(alphabet='{}[]()$:!@.,=|&"#\n abcidfnodeqry', max_size=300),
    st.integers(min_value=1, max_value=3000).map(lambda n: "{ a" * n + " }" * n),
    st.integers(min_value=1, max_value=3000).map(lambda n: "{ f(a: " + "[" * n + "]" * n + ") }"),
    st.integers(min_value=1, max_value=2000).map(lambda n: "query { " + "...F " * n + "}"),
    st.sampled_from(
        [
            "{ __schema { types { name } } }",
            "subscription { __typename }",
            "query A { __typename } query A { __typename }",
            '{ node(id: "") { id } }',
            "{ companies(first: -1) { totalCount } }",
            "{ companies(first: 2147483647) { totalCount } }",
            '{ company(id: "\\u0000") { name } }',
            "fragment F on Query { ...F } { ...F }",
        ]
    ),
)


def post_graphql(target: Target, payload: Any, headers: dict[str, str] | None = None) -> Any:
    response = target.client.post(
        f"{target.url}/graphql",
        content=to_json(payload),
        headers={
            "content-type": "application/json",
            "authorization": f"Bearer {API_KEY}",
            **(headers or {}),
        },
    )
    return assert_sound(response)


# --- properties --------------------------------------------------------------------------------


@FUZZ
@given(document=RANDOM_DOCUMENTS, variables=st.one_of(st.none(), JSON_VALUES))
def test_random_documents_never_get_a_5xx(target: Target, document: str, variables: Any) -> None:
    post_graphql(target, {"query": document, "variables": variables})


@FUZZ
@given(
    document=documents(),
    variables=st.dictionaries(st.sampled_from(["id", "input", "x", "first"]), JSON_VALUES),
    method=st.sampled_from(["GET", "POST"]),
)
def test_documents_built_from_the_schema_never_get_a_5xx(
    target: Target, document: str, variables: dict[str, Any], method: str
) -> None:
    query = urlencode({"query": document, "variables": to_json(variables)}, errors="surrogatepass")
    if method == "POST" or len(query) > 30_000:  # past what a URL may hold
        post_graphql(target, {"query": document, "variables": variables})
        return
    response = target.client.get(
        f"{target.url}/graphql?{query}", headers={"authorization": f"Bearer {API_KEY}"}
    )
    assert_sound(response)


MONEY = st.one_of(SCALARS, JSON_VALUES, st.decimals().map(str))


@st.composite
def pay_bill_input(draw: st.DrawFn, target: Target) -> dict[str, Any]:
    good = target.payable
    fields: dict[str, Any] = {
        "companyId": draw(st.one_of(st.just(good.company_id), SCALARS)),
        "billId": draw(st.one_of(st.just(good.bill["id"]), SCALARS)),
        "accountId": draw(
            st.sampled_from([good.bank_account_id, good.foreign_bank_account_id, "nope"])
        ),
        "date": draw(st.one_of(st.just("2026-11-26"), ODD_TEXT)),
        "amount": draw(MONEY),
        "currencyRate": draw(MONEY),
        "reference": draw(st.one_of(st.none(), ODD_TEXT)),
        "idempotencyKey": draw(st.one_of(st.none(), ODD_TEXT)),
    }
    dropped = draw(st.sets(st.sampled_from(sorted(fields))))
    return {k: v for k, v in fields.items() if k not in dropped}


def refused(body: Any, mutation: str) -> bool:
    if not isinstance(body, dict) or body.get("errors"):
        return True
    payload = (body.get("data") or {}).get(mutation)
    if payload is None:
        return True
    errors = list(payload.get("errors") or [])
    for result in payload.get("results") or []:
        errors += result.get("errors") or []
    return bool(errors) and payload.get("pushOperation") is None


def pushed(target: Target) -> list[str]:
    """Writes that reached the sandbox (the gateway polling an earlier push is a GET)."""
    return [
        f"{c.method} {c.path}"
        for c in recorded_calls(target.sandbox)
        if "/push/" in c.path and c.method != "GET"
    ]


@FUZZ
@given(data=st.data())
def test_pay_bill_with_generated_input_never_gets_a_5xx_nor_pushes_when_refused(
    target: Target, data: st.DataObject
) -> None:
    variables = {"input": data.draw(st.one_of(pay_bill_input(target), JSON_VALUES))}
    clear_calls(target.sandbox)
    body = post_graphql(target, {"query": PAY_BILL, "variables": variables})
    if refused(body, "payBill"):
        assert pushed(target) == [], (variables, body)


@FUZZ
@given(data=st.data())
def test_pay_bills_with_generated_input_never_gets_a_5xx_nor_pushes_when_refused(
    target: Target, data: st.DataObject
) -> None:
    items = st.fixed_dictionaries(
        {"billId": st.sampled_from([target.payable.bill["id"], target.other.bill["id"], "x"])},
        optional={"amount": MONEY, "currencyRate": MONEY},
    )
    batch = st.fixed_dictionaries(
        {
            "companyId": st.just(target.payable.company_id),
            "bills": st.one_of(st.lists(items, max_size=4), JSON_VALUES),
            "accountId": st.just(target.payable.bank_account_id),
            "date": st.one_of(st.just("2026-11-26"), ODD_TEXT),
        },
        optional={"grouping": st.one_of(st.sampled_from(ENUM_VALUES), SCALARS)},
    )
    variables = {"input": data.draw(st.one_of(batch, JSON_VALUES))}
    clear_calls(target.sandbox)
    body = post_graphql(target, {"query": PAY_BILLS, "variables": variables})
    if refused(body, "payBills"):
        assert pushed(target) == [], (variables, body)


COMPANY = "query C($id: ID!, $first: Int, $q: String) { company(id: $id) { name "
COMPANY += "bills(first: $first, query: $q) { totalCount nodes { id amountDue } } } }"


@FUZZ
@given(
    company=st.one_of(st.just(None), SCALARS, JSON_VALUES),
    first=st.one_of(st.none(), NUMBERS, ODD_TEXT),
    query=st.one_of(st.none(), ODD_TEXT),
)
def test_company_queries_with_generated_variables_never_get_a_5xx(
    target: Target, company: Any, first: Any, query: Any
) -> None:
    company = target.payable.company_id if company is None else company
    post_graphql(
        target, {"query": COMPANY, "variables": {"id": company, "first": first, "q": query}}
    )


def header(raw: bytes) -> bytes:
    """Any bytes an HTTP/1.1 client can put in a header value: no control characters but tab,
    no padding (everything else, including bytes past ASCII, goes)."""
    return bytes(b for b in raw if (b >= 0x20 and b != 0x7F) or b == 0x09).strip(b" \t")


HEADER_BYTES = st.binary(max_size=60).map(header)


def as_bytes(headers: dict[str, str | bytes]) -> dict[bytes, bytes]:
    return {
        name.encode(): value if isinstance(value, bytes) else value.encode()
        for name, value in headers.items()
    }


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]),
    content_type=st.one_of(
        st.sampled_from(
            [
                "application/json",
                "application/json; charset=latin-1",
                "application/graphql",
                "application/graphql-response+json",
                "multipart/form-data",
                "multipart/form-data; boundary=x",
                "application/x-www-form-urlencoded",
                "text/plain",
                "",
            ]
        ),
        HEADER_BYTES,
    ),
    authorization=st.one_of(
        st.just(f"Bearer {API_KEY}"),
        st.sampled_from(["", "Bearer", "Bearer  x", "Basic Zm9v", "bearer " + API_KEY.upper()]),
        HEADER_BYTES.map(lambda raw: header(b"Bearer " + raw)),
        HEADER_BYTES,
    ),
    accept=st.one_of(st.none(), st.sampled_from(["text/html", "*/*", "application/json"])),
    body=st.one_of(
        st.binary(max_size=300),
        JSON_VALUES.map(to_json),
        st.builds(lambda d: to_json({"query": d}), RANDOM_DOCUMENTS),
    ),
    params=st.dictionaries(st.sampled_from(["query", "variables", "operationName", "x"]), ODD_TEXT),
)
def test_any_headers_method_and_body_never_get_a_5xx(
    target: Target,
    method: str,
    content_type: str | bytes,
    authorization: str | bytes,
    accept: str | None,
    body: bytes,
    params: dict[str, str],
) -> None:
    headers: dict[str, str | bytes] = {"content-type": content_type, "authorization": authorization}
    if accept is not None:
        headers["accept"] = accept
    request = target.client.build_request(
        method,
        f"{target.url}/graphql?{urlencode(params, errors='surrogatepass')}",
        content=None if method == "GET" else body,
        headers=as_bytes(headers),
    )
    assert_sound(target.client.send(request))


WEBHOOK_JSON = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries(
        {
            "id": st.one_of(st.uuids().map(str), SCALARS),
            "eventType": st.one_of(
                st.sampled_from(
                    [
                        "read.completed",
                        "read.completed.initial",
                        "bills.write.successful",
                        "bills.write.unsuccessful",
                        "connection.created",
                        "company.created",
                    ]
                ),
                SCALARS,
            ),
            "generatedDate": st.one_of(st.just("2026-11-26T00:00:00Z"), ODD_TEXT),
            "payload": JSON_VALUES,
        }
    ),
    st.fixed_dictionaries({"RuleType": SCALARS, "CompanyId": SCALARS, "Data": JSON_VALUES}),
)


@FUZZ
@given(
    body=st.one_of(st.binary(max_size=300), WEBHOOK_JSON.map(to_json)),
    signing=st.sampled_from(["valid", "stale", "garbage", "none", "legacy"]),
    prefix=st.sampled_from(["webhook", "svix"]),
    garbage=HEADER_BYTES,
)
def test_webhooks_with_generated_bodies_and_headers_never_get_a_5xx(
    target: Target, body: bytes, signing: str, prefix: str, garbage: bytes
) -> None:
    headers: dict[str, str | bytes] = {"content-type": "application/json"}
    at = datetime.now(UTC) - (timedelta(hours=1) if signing == "stale" else timedelta(0))
    message_id = f"msg_{hashlib.sha256(body + garbage).hexdigest()[:16]}"
    if signing in {"valid", "stale"}:
        text = body.decode("utf-8", "surrogateescape")
        try:
            signature = Webhook(SECRET).sign(message_id, at, text)
        except UnicodeEncodeError:
            signature = "v1,AAAA"
        headers |= {
            f"{prefix}-id": message_id,
            f"{prefix}-timestamp": str(int(at.timestamp())),
            f"{prefix}-signature": signature,
        }
    elif signing == "garbage":
        headers |= {
            f"{prefix}-id": garbage,
            f"{prefix}-timestamp": garbage,
            f"{prefix}-signature": garbage,
        }
    elif signing == "legacy":
        headers["authorization"] = garbage
    response = target.client.post(
        f"{target.url}/webhooks/codat", content=body, headers=as_bytes(headers)
    )
    assert_sound(response)
