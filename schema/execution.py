"""graphql-core's executor with a shorter path for plain scalar and enum fields.

Most fields of a dashboard are attributes of a Strawberry object with no resolver (`codatId`,
`dueDate`, `totalAmount`, `status`, ...). graphql-core runs each through the whole field
machinery: a path, a resolve info, Strawberry's basic resolver, the awaitable check, the
completion chain. For such a field (Strawberry's basic field: no resolver, no field extension,
no arguments, read with `getattr`; of a scalar or enum type; no middleware) `execute_fields`
here reads the attribute and coerces it directly. Anything that is not the plain success (a
missing attribute, null for a non-null field, a value the type refuses) goes through
graphql-core's own `execute_field`, so errors, their paths and their messages are graphql-core's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
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
