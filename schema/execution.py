"""Shorter paths through Strawberry and graphql-core for the fields a dashboard has most of.

Most fields of a dashboard are attributes of a Strawberry object with no resolver (`codatId`,
`dueDate`, `totalAmount`, `status`, ...). graphql-core runs each through the whole field
machinery: a path, a resolve info, Strawberry's basic resolver, the awaitable check, the
completion chain. For such a field (Strawberry's basic field: no resolver, no field extension,
no arguments, read with `getattr`; of a scalar or enum type; no middleware) `execute_fields`
here reads the attribute and coerces it directly. Anything that is not the plain success (a
missing attribute, null for a non-null field, a value the type refuses) goes through
graphql-core's own `execute_field`, so errors, their paths and their messages are graphql-core's.

`lean_resolvers` does the same for resolver fields of the shape `def field(self, info)`: no
arguments, no field extension, no exception handler, no root or parent. Strawberry runs each
call through argument conversion and an extension chain that are empty for them; the lean
resolver calls the method with Strawberry's `Info` directly (an async method's coroutine is
awaited by graphql-core, as Strawberry's own async resolver would).
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType
from typing import Any, NamedTuple

import strawberry
from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    Undefined,
    is_leaf_type,
)
from graphql.execution.collect_fields import GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


class _Leaf(NamedTuple):
    attribute: str
    coerce: Callable[[Any], Any]
    non_null: bool


_plans: dict[tuple[GraphQLObjectType, str], _Leaf | None] = {}
"""Per (object type, field name): how to read the field directly, or None. The schema's types
live as long as the process, and there are finitely many of them."""


def _plan(parent_type: GraphQLObjectType, field_name: str) -> _Leaf | None:
    key = (parent_type, field_name)
    try:
        return _plans[key]
    except KeyError:
        plan = _plans[key] = _leaf(parent_type.fields.get(field_name))
        return plan


def _leaf(field: GraphQLField | None) -> _Leaf | None:
    if field is None or field.args or not getattr(field.resolve, "_is_default", False):
        return None
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        or definition.default_resolver is not getattr
        or not definition.python_name
    ):
        return None
    non_null = isinstance(field.type, GraphQLNonNull)
    named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if not is_leaf_type(named):
        return None
    leaf: GraphQLLeafType = named
    return _Leaf(definition.python_name, leaf.coerce_output_value, non_null)


class GatewayExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain leaf fields read without the field machinery."""

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        # graphql-core's `execute_fields`, with the direct read in front of `execute_field`.
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plan = _plan(parent_type, field_details_list[0].node.name.value)
                if plan is not None:
                    value = _read(plan, source_value)
                    if value is not Undefined:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()


def _read(plan: _Leaf, source: Any) -> Any:
    """The field's completed value, or Undefined to leave it to graphql-core (errors, nulls
    in non-null fields)."""
    try:
        value = getattr(source, plan.attribute)
        if value is None:
            return Undefined if plan.non_null else None
        coerced = plan.coerce(value)
    except Exception:  # graphql-core reads it again and reports the error
        return Undefined
    return Undefined if coerced is None else coerced


def lean_resolvers(schema: strawberry.Schema) -> int:
    """Give every `def field(self, info)` resolver field the direct call; how many were given."""
    if schema.schema_converter._exception_handler_specs:
        return 0  # handlers wrap each call; keep Strawberry's path
    info_class = schema.config.info_class
    count = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if isinstance(definition, StrawberryField):
                call = _direct_call(definition, info_class)
                if call is not None and not field.args and field.subscribe is None:
                    field.resolve = call
                    count += 1
    return count


def _direct_call(field: StrawberryField, info_class: type[Any]) -> Callable[..., Any] | None:
    resolver = field.base_resolver
    if (
        resolver is None
        or field.extensions
        or field.is_subscription
        or resolver.arguments
        or resolver.self_parameter is None
        or resolver.info_parameter is None
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
        or len(resolver.signature.parameters) != 2
    ):
        return None
    method = resolver.wrapped_func
    if not isinstance(method, FunctionType):
        return None  # a staticmethod, classmethod or other callable: keep Strawberry's path
    info_name = resolver.info_parameter.name

    def resolve(source: Any, info: GraphQLResolveInfo[Any]) -> Any:
        return method(source, **{info_name: info_class(_raw_info=info, _field=field)})

    return resolve
