"""Every type, field, argument, enum value and input field described, Codat's words where Codat's.

Run on the built schema (`build_schema`): whatever the code left without a description gets one.
A type or field that is Codat's (its type named after a schema of Codat's Sync for Payables v1
spec, `specs/codat/sync-for-payables-v1.json`, its field after a property of that schema) takes
the spec's description, read from the vendored spec at build time: nothing is retyped. What is
the gateway's own (Relay connections and edges, paging and filter arguments, mutation inputs)
is described by the rules below; anything left says what it is in plain words. A test
(tests/schema/test_descriptions.py) fails when any element has none.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)

SPEC = Path(__file__).resolve().parents[1] / "specs" / "codat" / "sync-for-payables-v1.json"

SPEC_NAMES = {
    "DataConnectionLink": "Connection",
    "Dataset": "PullOperation",
    "MappingOptions": "PushOption",
    "MappingField": "PushOptionProperty",
    "AllowedValue": "PushOptionChoice",
    "ConnectionBankAccount": "BankAccount",
}
"""GraphQL types whose spec schema has another name."""

SPEC_FIELDS = {"codatId": "id", "supplier": "supplierRef", "account": "accountRef"}
"""Gateway fields that carry a spec property under another name."""

ARGUMENTS = {
    "first": "Return at most this many records from the start of the window (Relay paging).",
    "after": "Start after this cursor (an `endCursor` of a previous page).",
    "last": "Return at most this many records from the end of the window (Relay paging).",
    "before": "End before this cursor (a `startCursor` of a previous page).",
    "filter": "Conditions sent to Codat as its query language (never applied after fetching).",
    "orderBy": "The order of the records, sent to Codat as its orderBy parameter.",
    "query": "A raw Codat query (its query language), combined with `filter` by AND.",
    "id": "The object's `id` (global id) or Codat's own id (`codatId`).",
    "input": "What to write; expected refusals come back as `errors` in the payload.",
    "companyId": "The company: its `id` (global id) or Codat's company id.",
    "key": "The push operation's key (`pushOperationKey`, as a write's payload answers).",
    "dataTypes": "Only changes to these Codat data types (all when omitted).",
}

INPUT_FIELDS = {
    **ARGUMENTS,
    "idempotencyKey": (
        "A key of your choosing for this write: the same key with the same input answers the "
        "first outcome again (`replayed`) instead of writing twice."
    ),
    "billId": "The bill: its `id` (global id) or Codat's id.",
    "supplierId": "The supplier: its `id` (global id) or Codat's id.",
    "accountId": "The account: its `id` (global id) or Codat's id.",
    "taxRateId": "The tax rate: its `id` (global id) or Codat's id.",
    "paymentMethodId": "The payment method: its `id` (global id) or Codat's id.",
    "creditNoteId": "The bill credit note: its `id` (global id) or Codat's id.",
    "from": "On or after this date (inclusive).",
    "to": "On or before this date (inclusive).",
    "field": "The field to order by.",
    "direction": "Ascending or descending.",
}

CONNECTION_FIELDS = {
    "edges": "The records of this page, each with its cursor.",
    "nodes": "The records of this page.",
    "pageInfo": "Where this page is in the whole list, and the cursors to move on.",
    "totalCount": "How many records the whole list has (Codat's totalResults).",
}
EDGE_FIELDS = {
    "node": "The record.",
    "cursor": "Pass it as `after` or `before` to page from this record.",
}
COMMON_FIELDS = {
    "id": "The global id: pass it to `node(id:)` or to any id argument.",
    "companyId": "Codat's id of the company the record belongs to.",
    "errors": "Expected refusals, as data: each names its code, what to fix and the field.",
    "idempotencyKey": "The key this write ran under (the one given, or one the gateway made).",
    "replayed": "True when this answer is the stored outcome of an earlier write with the key.",
    "pushOperation": "Codat's asynchronous write: Pending at first (follow it with the "
    "pushOperation subscription).",
    "code": "What kind of error this is (a stable code to branch on).",
    "message": "What went wrong and what to change, in words.",
}


@functools.cache
def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return spec


@functools.cache
def _named_schemas() -> dict[str, dict[str, Any]]:
    """Every named schema of the spec, by its name with the first letter upper-cased:
    components (`Bill`) and their definitions (`Bill/definitions/billLineItem`)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(name: str, node: Any) -> None:
        if not isinstance(node, dict):
            return
        found.setdefault(name[:1].upper() + name[1:], node)
        for key, child in (node.get("definitions") or {}).items():
            walk(key, child)

    for name, node in _spec()["components"]["schemas"].items():
        walk(name, node)
    return found


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in node and seen < 10:
        target: Any = _spec()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node, seen = target if isinstance(target, dict) else {}, seen + 1
    return node


def _properties(node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    node = _resolve(node)
    merged: dict[str, dict[str, Any]] = {}
    for part in node.get("allOf") or ():
        merged.update(_properties(part))
    merged.update(node.get("properties") or {})
    return merged


def _description(node: dict[str, Any]) -> str | None:
    text = node.get("description")
    if not text and "$ref" in node:
        text = _resolve(node).get("description")
    if not text and node.get("type") == "array":
        text = _description(node.get("items") or {})
    for part in () if text else node.get("allOf") or ():
        text = _description(part)
        if text:
            break
    return text.strip() if isinstance(text, str) and text.strip() else None


def spec_schema(type_name: str) -> dict[str, Any] | None:
    return _named_schemas().get(SPEC_NAMES.get(type_name, type_name))


def spec_field(type_name: str, field_name: str) -> str | None:
    """Codat's description of `field_name` of the type named after one of its schemas."""
    schema = spec_schema(type_name)
    if schema is None:
        return None
    properties = _properties(schema)
    prop = properties.get(field_name) or properties.get(SPEC_FIELDS.get(field_name, ""))
    return None if prop is None else _description(prop)


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").lower()


_BY_SUFFIX: tuple[tuple[str, str], ...] = (
    ("Connection", "A page of {} records (a Relay connection)."),
    ("Edge", "One {} record in a page, with its cursor."),
    ("Payload", "What the {} mutation answers."),
    ("Input", "The input of {}."),
    ("Filter", "Conditions on {} records, sent to Codat as a query."),
    ("Order", "The order of {} records."),
)
"""A generated type's description by the suffix of its name (the first that fits)."""


def _type_text(named: GraphQLNamedType) -> str:
    name = named.name
    for suffix, text in _BY_SUFFIX:
        if name.endswith(suffix):
            return text.format(_words(name.removesuffix(suffix)))
    return f"{_words(name).capitalize()}."


def _field_text(owner: GraphQLNamedType, name: str, input_field: bool) -> str:
    if owner.name.endswith("Connection") and name in CONNECTION_FIELDS:
        return CONNECTION_FIELDS[name]
    if owner.name.endswith("Edge") and name in EDGE_FIELDS:
        return EDGE_FIELDS[name]
    spec = spec_field(owner.name, name)
    if spec is not None:
        return spec
    table = INPUT_FIELDS if input_field else COMMON_FIELDS
    if name in table:
        return table[name]
    return f"The {_words(name)} of this {_words(owner.name)}."


def _fields(named: GraphQLNamedType) -> Iterator[tuple[str, GraphQLField | GraphQLInputField]]:
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        yield from named.fields.items()


def describe(schema: GraphQLSchema) -> None:
    """Fill in every missing description of `schema` (see the module's rules)."""
    for named in schema.type_map.values():
        if named.name.startswith("__"):
            continue
        if not named.description:
            spec = spec_schema(named.name)
            described = None if spec is None else _description(spec)
            named.description = described or _type_text(named)
        input_type = isinstance(named, GraphQLInputObjectType)
        for field_name, field in _fields(named):
            if not field.description:
                field.description = _field_text(named, field_name, input_type)
            arguments: dict[str, GraphQLArgument] = getattr(field, "args", None) or {}
            for arg_name, argument in arguments.items():
                if not argument.description:
                    argument.description = ARGUMENTS.get(arg_name) or (
                        f"The {_words(arg_name)} to use."
                    )
        if isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                if not value.description:
                    value.description = f"{named.name} `{value_name}` (Codat's value)."
    for directive in schema.directives:
        for arg_name, argument in directive.args.items():
            if not argument.description:
                argument.description = ARGUMENTS.get(arg_name) or f"The {_words(arg_name)}."


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, enum value and input field with no description."""
    missing: list[str] = []
    for named in schema.type_map.values():
        if named.name.startswith("__"):
            continue
        if not named.description:
            missing.append(named.name)
        for field_name, field in _fields(named):
            if not field.description:
                missing.append(f"{named.name}.{field_name}")
            for arg_name, argument in (getattr(field, "args", None) or {}).items():
                if not argument.description:
                    missing.append(f"{named.name}.{field_name}({arg_name}:)")
        if isinstance(named, GraphQLEnumType):
            missing += [f"{named.name}.{v}" for v, e in named.values.items() if not e.description]
    return missing
