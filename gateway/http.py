"""The GraphQL HTTP endpoint: Strawberry's FastAPI router, encoding responses with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from strawberry.fastapi import GraphQLRouter


class GatewayGraphQLRouter(GraphQLRouter[Any, Any]):
    """Strawberry's router; only the JSON encoding differs.

    A dashboard response is large (hundreds of records), and the standard library's encoder was
    a visible share of the warm request (bench/results/dashboard.md); orjson writes the same JSON
    an order of magnitude faster. Decimals reach it as strings (the Decimal scalar serialises).
    """

    executions = 0
    """Operations this router has executed (the response cache answers without it)."""

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        self.executions += 1
        return await super().execute_operation(*args, **kwargs)
