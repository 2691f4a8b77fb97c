"""Look-ahead over selection sets: what a Codat ref answers alone, and what a list will need.

Two decisions are made from the query document before any data arrives:

- **Ref answers.** Codat's refs carry more than an id (`supplierRef.supplierName`,
  `accountRef.name`, `taxRateRef.name`/`effectiveTaxRate`, `paymentMethodRef.name`, tracking
  refs' `name`). An edge whose selection asks only for what its ref carries (`REF_FIELDS`) is
  answered from the ref: no lookup. It falls back to the lookup by id as soon as the selection
  asks for anything else, or when the ref lacks a value that was asked for.
- **Earliest wave.** Whole reference sets (accounts, tax rates, payment methods, tracking
  categories) depend only on the company. When a list of a company (or a record of it read by
  id) has, anywhere below it, an edge into such a set that its ref cannot answer, the set is
  started together with that list (`Loaders.prefetch_whole_sets`), not a wave after it.

Both are memoised per request on the selection's field nodes (graphql-core hands every item of
a list the same list of field nodes), so the walk runs once per field of the document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields
from functools import cache
from typing import Any, TypeVar, cast

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from strawberry.utils.str_converters import to_snake_case

from gateway.codat.models import DataType
from gateway.codat.types import CompanyId
from schema.context import Info
from schema.ids import format_node_id

T = TypeVar("T")

_IDS = frozenset({"__typename", "id", "codatId"})

REF_FIELDS: dict[str, frozenset[str]] = {
    "Supplier": _IDS | {"supplierName"},
    "Account": _IDS | {"name"},
    "TaxRate": _IDS | {"name", "effectiveTaxRate"},
    "PaymentMethod": _IDS | {"name"},
    "TrackingCategory": _IDS | {"name"},
}
"""Per GraphQL type: the fields a Codat ref to such a record answers without reading it."""

_LINES = ("BillLineItem", "BillCreditNoteLineItem")

WHOLE_SET_EDGES: dict[tuple[str, str], tuple[DataType, str]] = {
    **{(line, "account"): (DataType.CHART_OF_ACCOUNTS, "Account") for line in _LINES},
    **{(line, "taxRate"): (DataType.TAX_RATES, "TaxRate") for line in _LINES},
    **{
        (line, "trackingCategories"): (DataType.TRACKING_CATEGORIES, "TrackingCategory")
        for line in _LINES
    },
    ("BillPayment", "account"): (DataType.CHART_OF_ACCOUNTS, "Account"),
    ("BillPayment", "paymentMethod"): (DataType.PAYMENT_METHODS, "PaymentMethod"),
    ("TrackingCategory", "parent"): (DataType.TRACKING_CATEGORIES, "TrackingCategory"),
    ("TrackingCategory", "children"): (DataType.TRACKING_CATEGORIES, "TrackingCategory"),
}
"""Edges (parent type, field) that look records up in a company's whole reference set."""


def _field_names(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    names: set[str],
) -> None:
    """The names of the fields selected directly in `selection_set`, fragments expanded.

    Directives (@skip/@include) are ignored: a field that might be selected counts as selected,
    which can only make a lookup happen that was not needed, never skip one that was.
    """
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            _field_names(selection.selection_set, fragments, names)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                _field_names(fragment.selection_set, fragments, names)


def _selected(nodes: Iterable[FieldNode], fragments: dict[str, FragmentDefinitionNode]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        _field_names(node.selection_set, fragments, names)
    return names


def _answered_by_ref(
    type_name: str, nodes: Iterable[FieldNode], fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    return _selected(nodes, fragments) <= REF_FIELDS.get(type_name, frozenset())


def _memo(info: Info, kind: str, compute: Callable[[Any], T]) -> T:
    raw = info._raw_info
    nodes = raw.field_nodes
    memo = info.context.plans
    # By the field nodes themselves: graphql-core 3.3 hands each item of a list a new list of
    # the same nodes, so the list's own id would miss every time.
    key = (kind, id(nodes[0]))
    hit = memo.get(key)
    if hit is not None and _same(hit[0], nodes):
        return cast(T, hit[1])
    value = compute(raw)
    memo[key] = (nodes, value)  # holding the nodes keeps their ids from being reused meanwhile
    return value


def _same(held: Any, nodes: list[FieldNode]) -> bool:
    return len(held) == len(nodes) and all(a is b for a, b in zip(held, nodes, strict=True))


def from_ref(
    info: Info, cls: type[T], company_id: CompanyId, record_id: str | None, **values: Any
) -> T | None:
    """The `cls` object a ref answers, or None when the record must be looked up.

    Answered only when this field's selection asks for nothing but the ref's fields
    (`REF_FIELDS` of the type) and the ref has a value for each one asked (`values`, by Python
    field name: `supplier_name=ref.supplier_name`). The object has only those fields set.
    """
    if not record_id:
        return None
    asked = _memo(info, "ref", lambda raw: frozenset(_selected(raw.field_nodes, raw.fragments)))
    if not asked <= REF_FIELDS.get(cls.__name__, frozenset()):
        return None
    for name in asked - _IDS:
        if values.get(_python_name(name)) is None:
            return None  # the ref lacks what was asked: read the record
    return partial(
        cls,
        node_id=format_node_id(company_id, record_id),
        company_id=company_id,
        codat_id=record_id,
        **values,
    )


def partial(cls: type[T], **values: Any) -> T:
    """An instance of a Strawberry type with only `values` set (every other field None).

    For objects answered from a ref: the planner built it only because the selection asks for
    nothing else, so the unset fields are never read.
    """
    instance = cls.__new__(cls)
    vars(instance).update({name: values.get(name) for name in _field_names_of(cls)})
    return instance


_python_name = cache(to_snake_case)
"""A GraphQL field name's Python name (a handful of names, asked for every ref answered)."""


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names_of(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in fields(cls))
    return names


def _whole_sets_below(
    schema: GraphQLSchema,
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    needed: set[DataType],
) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                continue
            definition = parent.fields.get(selection.name.value)
            if definition is None:
                continue
            edge = WHOLE_SET_EDGES.get((parent.name, selection.name.value))
            if edge is not None and not _answered_by_ref(edge[1], [selection], fragments):
                needed.add(edge[0])
            child = get_named_type(definition.type)
            _whole_sets_below(schema, child, selection.selection_set, fragments, needed)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            if target is not None:
                _whole_sets_below(schema, target, selection.selection_set, fragments, needed)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                target = schema.get_type(fragment.type_condition.name.value)
                if target is not None:
                    _whole_sets_below(schema, target, fragment.selection_set, fragments, needed)


def whole_sets_needed(info: Info) -> frozenset[DataType]:
    """The whole reference sets some edge below this field will look records up in."""

    def compute(raw: Any) -> frozenset[DataType]:
        needed: set[DataType] = set()
        returned = get_named_type(raw.return_type)
        for node in raw.field_nodes:
            _whole_sets_below(raw.schema, returned, node.selection_set, raw.fragments, needed)
        return frozenset(needed)

    found: frozenset[DataType] = _memo(info, "sets", compute)
    return found


def prefetch_whole_sets(info: Info, company_id: CompanyId) -> None:
    """Start the whole reference sets this field's subtree needs, in this field's wave."""
    needed = whole_sets_needed(info)
    if needed:
        info.context.loaders.prefetch_whole_sets(company_id, needed)
