"""The cost of an operation in upstream (Codat) calls, estimated before it runs, and its budget.

The model follows how the loaders fetch (gateway/reads/loaders.py), counting a cold cache:

- `Query.companies(first: n)`: one companies page, or, for a caller limited to some companies,
  one read per allowed company in the window; below it, `n` companies (at most the allowed ones).
- A connection (any field returning `edges`/`pageInfo`): one list call per parent object, plus
  one to count the list for `last` without `before`. Its records multiply the parents below it
  by `first`/`last` (50 when neither is given).
- Any other field with a resolver that returns objects (an edge: `bill.supplier`,
  `company.info`, `node`, `company(id)`): one batched call per company among its parents, not
  per parent, since the loaders batch a level's lookups per company. `Bill.attachments` is read
  per bill, so it counts per parent.
- A list of objects without a resolver is held in its parent; it multiplies the parents below it
  by `LIST_FANOUT`.
- An edge's batched lookup by id is split into OR-chains of at most `IDS_PER_CALL` ids (Codat's
  2048-character query limit), so a company's `n` parents cost `ceil(n / IDS_PER_CALL)` calls;
  edges to the small reference sets (`WHOLE_SET_TYPES`) cost one read per company.
- A mutation costs `MUTATION_CALLS`, plus `CALLS_PER_INPUT_ITEM` for every element of every list
  in its input (each bill of a `payBills` is read, checked and pushed); a `payBills` with more
  than `max_pay_bills` bills is refused outright.

Besides calls, the walk counts the records a response holds (every object, list sizes multiplied
through the nesting) and estimates its bytes (`SCALAR_BYTES` plus the field's name per scalar per
record); an operation over any of the three budgets is refused before it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    is_composite_type,
)
from graphql.type.definition import GraphQLInterfaceType, GraphQLUnionType
from graphql.utilities import value_from_ast_untyped
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from gateway.edge.correlation import current_request_id

DEFAULT_PAGE_SIZE = 50
"""What a connection returns without `first`/`last` (schema/connections.py)."""
LIST_FANOUT = 10
"""The guess for a list held in its parent (line items, payment lines)."""
PER_ITEM = frozenset({"Bill.attachments"})
"""Edges read once per parent object (Codat has no batch read for them)."""
MAX_VISITS = 50_000
"""A document whose walk takes more steps than this (a fragment bomb) costs too much anyway."""
MAX_PAGE_SIZE = 500
"""The largest `first`/`last` a connection accepts (GATEWAY_MAX_PAGE_SIZE)."""
IDS_PER_CALL = 40
"""Ids one OR-chain lookup carries (36-character ids in a 2048-character query, with margin)."""
WHOLE_SET_TYPES = frozenset({"Account", "TaxRate", "PaymentMethod", "TrackingCategory"})
"""Reference sets read whole, once per company (gateway/reads/loaders.py WHOLE_SET_TYPES)."""
SCALAR_BYTES = 24
"""A scalar value's JSON size, beside its key: an average over ids, amounts, dates and names."""
MUTATION_CALLS = 6
"""Reads and the push of a mutation on one record (company, connection, record, account...)."""
CALLS_PER_INPUT_ITEM = 3
"""Per element of a list in a mutation's input: its record read, a check, its push."""


@dataclass(frozen=True, slots=True)
class Cost:
    """What an operation is estimated to cost, each figure against its own budget."""

    calls: int
    """Upstream (Codat) calls on a cold cache."""
    records: int
    """Objects in the response, list sizes multiplied through the nesting."""
    bytes: int
    """The response's JSON size."""
    pay_bills: int = 0
    """The most bills one payBills in the operation pays."""


_MEASURES = {
    "calls": "upstream calls",
    "records": "records",
    "bytes": "response bytes",
    "payBills": "bills in one payBills",
}


class QueryTooCostlyError(GraphQLError):
    def __init__(self, cost: int, budget: int, measure: str = "calls") -> None:
        what = _MEASURES[measure]
        advice = (
            "Pay them in several payBills."
            if measure == "payBills"
            else "Ask for fewer companies or records per page, or fewer nested lists."
        )
        extensions: dict[str, Any] = {
            "code": "QUERY_TOO_COSTLY",
            "cost": cost,
            "budget": budget,
            "measure": measure,
        }
        request_id = current_request_id()
        if request_id:
            extensions["requestId"] = request_id
        super().__init__(
            f"This operation would cost an estimated {cost} {what}; the budget is {budget}. "
            + advice,
            extensions=extensions,
        )


@dataclass(frozen=True, slots=True)
class _Level:
    objects: int
    """How many parent objects the selection is resolved for."""
    companies: int
    """How many distinct companies they belong to (the batches of an edge)."""


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        allowed_companies: int | None,
        max_page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = dict(variables)
        self.allowed = allowed_companies
        self.visits = 0
        self.defaults: dict[str, Any] = {}
        self.records = 0
        self.bytes = 0
        self.max_page_size = max_page_size

    def selection(self, node: SelectionSetNode | None, parent: Any, level: _Level) -> int:
        if node is None:
            return 0
        return sum(
            self.field(field, field_parent, level)
            for field, field_parent in self._fields(node, parent)
        )

    def _fields(self, node: SelectionSetNode, parent: Any) -> Iterator[tuple[FieldNode, Any]]:
        for selection in node.selections:
            self.visits += 1
            if self.visits > MAX_VISITS:
                raise _TooLargeError
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = parent if condition is None else self.schema.get_type(condition.name.value)
                yield from self._fields(selection.selection_set, target or parent)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self._fields(fragment.selection_set, target or parent)

    def field(self, node: FieldNode, parent: Any, level: _Level) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        key = len((node.alias or node.name).value) + 4
        if not is_composite_type(named):
            self.bytes += level.objects * (key + SCALAR_BYTES)
            return 0
        self.bytes += level.objects * key
        coordinate = f"{parent.name}.{name}"
        if isinstance(named, GraphQLObjectType) and {"edges", "pageInfo"} <= set(named.fields):
            return self._connection(node, definition, named, coordinate, level)
        below = level
        cost = 0
        if _has_resolver(definition):
            if coordinate in PER_ITEM:
                cost = level.objects
            elif named.name in WHOLE_SET_TYPES:
                cost = min(level.objects, level.companies)
            else:
                per_company = -(-level.objects // max(1, level.companies))
                batches = -(-per_company // IDS_PER_CALL)
                cost = min(level.objects, level.companies * batches)
        if _is_list(definition.type):
            below = _Level(level.objects * LIST_FANOUT, level.companies)
        self.records += below.objects
        return cost + self.selection(node.selection_set, _concrete(named), below)

    def _connection(
        self,
        node: FieldNode,
        definition: GraphQLField,
        connection: GraphQLObjectType,
        coordinate: str,
        level: _Level,
    ) -> int:
        first = _graphql_int(self._argument(node, "first"))
        last = _graphql_int(self._argument(node, "last"))
        size = last if isinstance(last, int) else first if isinstance(first, int) else None
        # A larger page is refused by the connection itself (BAD_USER_INPUT) before any call.
        size = DEFAULT_PAGE_SIZE if size is None else min(max(0, size), self.max_page_size)
        counting = isinstance(last, int) and self._argument(node, "before") is None
        # A window starting after a cursor may straddle two of Codat's pages.
        pages = 2 if self._argument(node, "after") or self._argument(node, "before") else 1
        if coordinate == "Query.companies":
            companies = size if self.allowed is None else min(size, self.allowed)
            calls = pages if self.allowed is None else max(1, companies)
            below = _Level(max(1, companies), max(1, companies))
        else:
            calls = level.objects * (pages + (1 if counting else 0))
            below = _Level(max(1, level.objects * size), level.companies)
        self.records += below.objects
        self.bytes += below.objects * 16  # edges, nodes, cursors, brackets
        edge = connection.fields["edges"].type
        item = get_named_type(edge)
        node_type = (
            get_named_type(item.fields["node"].type)
            if isinstance(item, GraphQLObjectType)
            else None
        )
        return calls + self._items(node.selection_set, connection, node_type, below)

    def _argument(self, node: FieldNode, name: str) -> Any:
        """An argument's value as given (a literal, or the variable's value), else None."""
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                variable = value.name.value
                return self.variables.get(variable, self.defaults.get(variable))
            if isinstance(value, IntValueNode):
                return int(value.value)
            return None if isinstance(value, NullValueNode) else value
        return None

    def value(self, node: ValueNode) -> Any:
        """An input value as given: literals read, variables replaced by their values."""
        return value_from_ast_untyped(node, {**self.defaults, **self.variables})

    def argument_value(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self.value(argument.value)
        return None

    def _items(
        self, node: SelectionSetNode | None, connection: Any, item: Any, level: _Level
    ) -> int:
        if node is None:
            return 0
        cost = 0
        for field, _parent in self._fields(node, connection):
            name = field.name.value
            if name == "nodes":
                cost += self.selection(field.selection_set, _concrete(item), level)
            elif name == "edges" and field.selection_set is not None:
                for edge_field, _ in self._fields(field.selection_set, None):
                    if edge_field.name.value == "node":
                        cost += self.selection(edge_field.selection_set, _concrete(item), level)
        return cost


class _TooLargeError(Exception):
    pass


def _has_resolver(definition: GraphQLField) -> bool:
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    return getattr(strawberry_field, "base_resolver", None) is not None


def _is_list(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _concrete(named: Any) -> Any:
    # Fields of a union's members are reached through its inline fragments.
    return None if isinstance(named, GraphQLUnionType) else named


def estimate_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None = None,
    allowed_companies: int | None = None,
) -> int:
    """Upstream calls the operation would make on a cold cache (see the module docstring)."""
    return estimate(schema, operation, fragments, variables, allowed_companies).calls


def estimate(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None = None,
    allowed_companies: int | None = None,
    max_page_size: int = MAX_PAGE_SIZE,
) -> Cost:
    """Calls, records and bytes of the operation (see the module docstring)."""
    root = schema.get_root_type(operation.operation)
    walk = _Walk(schema, fragments, variables or {}, allowed_companies, max_page_size)
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if default is not None:
            walk.defaults[definition.variable.name.value] = value_from_ast_untyped(default)
    try:
        calls = walk.selection(operation.selection_set, root, _Level(1, 1))
    except _TooLargeError:
        return Cost(MAX_VISITS, MAX_VISITS, MAX_VISITS)
    pay_bills = 0
    if operation.operation is OperationType.MUTATION:
        for field in operation.selection_set.selections:
            if not isinstance(field, FieldNode):
                continue
            items = 0
            for argument in field.arguments or ():
                items += _list_items(walk.value(argument.value))
            calls += MUTATION_CALLS + CALLS_PER_INPUT_ITEM * items
            if field.name.value == "payBills":
                bills = walk.argument_value(field, "input")
                count = len(bills.get("bills") or []) if isinstance(bills, dict) else 0
                pay_bills = max(pay_bills, count)
    return Cost(calls, walk.records, walk.bytes, pay_bills)


def _list_items(value: Any) -> int:
    """Elements of every list in an input value, however deep."""
    if isinstance(value, list):
        return len(value) + sum(_list_items(item) for item in value)
    if isinstance(value, dict):
        return sum(_list_items(item) for item in value.values())
    return 0


class CostLimit(SchemaExtension):
    """Refuses, before execution, an operation whose estimated upstream calls, records or
    response bytes exceed their budgets, or a payBills of more than `max_pay_bills` bills."""

    def __init__(
        self,
        budget: int,
        max_records: int = 5_000,
        max_bytes: int = 16 * 1024 * 1024,
        max_pay_bills: int = 100,
        max_page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        self.budget = budget
        self.max_page_size = max_page_size
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.max_pay_bills = max_pay_bills

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            operation = get_operation_ast(document, context.operation_name)
            if operation is not None:
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                principal = getattr(context.context, "principal", None)
                allowed = getattr(principal, "companies", None)
                cost = estimate(
                    context.schema._schema,
                    operation,
                    fragments,
                    context.variables,
                    None if allowed is None else len(allowed),
                    self.max_page_size,
                )
                if cost.pay_bills > self.max_pay_bills:
                    raise QueryTooCostlyError(cost.pay_bills, self.max_pay_bills, "payBills")
                if cost.calls > self.budget:
                    raise QueryTooCostlyError(cost.calls, self.budget)
                if cost.records > self.max_records:
                    raise QueryTooCostlyError(cost.records, self.max_records, "records")
                if cost.bytes > self.max_bytes:
                    raise QueryTooCostlyError(cost.bytes, self.max_bytes, "bytes")
        yield


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one operation may ask for (settings: GATEWAY_MAX_DEPTH and the rest)."""

    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 3000
    max_cost: int = 200
    max_records: int = 5_000
    max_response_bytes: int = 16 * 1024 * 1024
    max_pay_bills: int = 100
    max_page_size: int = MAX_PAGE_SIZE
    introspection: bool = True

    def extensions(self) -> list[Callable[[], SchemaExtension]]:
        """Factories of the schema extensions enforcing these limits (one set per operation)."""
        # The validation rules are made once, so the validation cache keeps recognising them.
        # MaxAliasesLimiter counts aliases inside fragments too (CVE-2026-47707, fixed 0.315.7).
        rules = [
            *QueryDepthLimiter(max_depth=self.max_depth).validation_rules,
            *MaxAliasesLimiter(max_alias_count=self.max_aliases).validation_rules,
            *([] if self.introspection else DisableIntrospection().validation_rules),
        ]
        max_tokens, max_cost = self.max_tokens, self.max_cost
        records, size, pay_bills = self.max_records, self.max_response_bytes, self.max_pay_bills
        page = self.max_page_size
        return [
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: AddValidationRules(rules),
            lambda: CostLimit(max_cost, records, size, pay_bills, page),
        ]


def _graphql_int(value: Any) -> int | None:
    """A page size as GraphQL will coerce it: a 32-bit Int, else None (coercion refuses it with
    BAD_USER_INPUT; a cost of 10**30 would be refused as too costly, with a number no JSON
    encoder of the response could write)."""
    if isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31:
        return value
    return None
