"""The GraphQL schema of the gateway: `build_schema()` is the one way to get it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.cost import Limits
from schema.descriptions import describe
from schema.errors import GatewayErrors, GatewaySchema, ReportingParserCache
from schema.execution import lean_resolvers
from schema.fanout import EventResults, sharing_executor
from schema.mutations import Mutation
from schema.onboarding_mutations import OnboardingMutations
from schema.query import Query
from schema.record_mutations import RecordMutations
from schema.scalars import SCALAR_MAP
from schema.staleness import StaleReadWarnings
from schema.subscriptions import Subscription
from schema.types.bills import Attachment

__all__ = ["Limits", "build_schema"]

CACHED_DOCUMENTS = 256
"""How many distinct documents the parse and validation caches keep."""


def build_schema(
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
    limits: Limits | None = None,
) -> strawberry.Schema:
    """The schema, with the error mapping, the parse/validation caches and `extensions` first;
    `limits` adds the depth, alias, token and cost limits (and can turn introspection off).
    Every element left without a description gets one (Codat's, from its spec, where it is
    Codat's: schema/descriptions.py)."""
    schema = GatewaySchema(
        query=Query,
        mutation=merge_types("Mutation", (Mutation, RecordMutations, OnboardingMutations)),
        subscription=Subscription,
        # Not reachable from Query until a loader reads attachments (per connection, live).
        types=[Attachment],
        extensions=[
            *extensions,
            *([] if limits is None else limits.extensions()),
            GatewayErrors,
            StaleReadWarnings,
            lambda: ReportingParserCache(maxsize=CACHED_DOCUMENTS),
            lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        ],
        config=StrawberryConfig(relay_max_results=500, scalar_map=SCALAR_MAP),
        execution_context_class=sharing_executor(EventResults()),
    )
    describe(schema._schema)
    lean_resolvers(schema)
    return schema
