"""The GraphQL schema of the gateway: `build_schema()` is the one way to get it."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from schema.connections import DEFAULT_PAGE_SIZE
from schema.errors import GatewayErrors
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.types.bills import Attachment

__all__ = ["DEFAULT_PAGE_SIZE", "build_schema"]


def build_schema() -> strawberry.Schema:
    """The schema, with the error mapping and the parse/validation caches."""
    return strawberry.Schema(
        query=Query,
        # Not reachable from Query until a loader reads attachments (per connection, live).
        types=[Attachment],
        extensions=[
            GatewayErrors,
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ],
        config=StrawberryConfig(relay_max_results=500, scalar_map=SCALAR_MAP),
    )
