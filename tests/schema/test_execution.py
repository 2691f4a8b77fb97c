"""The executor's direct read of plain leaf fields answers exactly what graphql-core's full
field path answers: values, nulls, and the errors (message, path) of fields it cannot read."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import build_schema
from schema.execution import GatewayExecutionContext, lean_resolvers
from schema.scalars import SCALAR_MAP

pytestmark = pytest.mark.unit


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    note: str | None
    amount: Decimal
    colour: Colour
    count: int

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def path(self, info: strawberry.Info) -> str:
        return f"{info.path.as_list()} {info.field_name} of {self.name}"

    @strawberry.field
    async def later(self, info: strawberry.Info) -> int:
        if self.count == 3 and self.note:
            raise ValueError(f"no later for {info.field_name}")
        return self.count


def _item(**changes: Any) -> Item:
    values: dict[str, Any] = {
        "name": "a",
        "note": None,
        "amount": Decimal("1.10"),
        "colour": Colour.RED,
        "count": 3,
    }
    values.update(changes)
    item = Item.__new__(Item)
    item.__dict__.update(values)
    return item


ITEMS: list[Item | None] = [
    _item(),
    _item(name="b", note="n", colour=Colour.BLUE),
    _item(name=None),  # null in a non-null field
    _item(colour="green"),  # not a value of the enum
    _item(count="many"),  # not an Int
]

QUERY = "{ items { name note amount colour count shout path later } }"


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return ITEMS

    @strawberry.field
    def broken(self) -> Item | None:
        item = _item()
        del item.__dict__["count"]  # the attribute is missing altogether
        return item


def _schema(*, lean: bool) -> strawberry.Schema:
    schema = strawberry.Schema(
        query=Query,
        config=strawberry.schema.config.StrawberryConfig(scalar_map=SCALAR_MAP),
        execution_context_class=GatewayExecutionContext
        if lean
        else StrawberryGraphQLCoreExecutionContext,
    )
    if lean:
        assert lean_resolvers(schema) == 2  # path and later; shout takes no info
    return schema


@pytest.mark.parametrize("query", [QUERY, "{ broken { name count } }"])
async def test_direct_reads_answer_what_graphql_core_answers(query: str) -> None:
    # given
    fast = _schema(lean=True)
    full = _schema(lean=False)

    # when
    ours = await fast.execute(query)
    theirs = await full.execute(query)

    # then
    assert ours.data == theirs.data
    assert [(e.message, e.path) for e in ours.errors or []] == [
        (e.message, e.path) for e in theirs.errors or []
    ]
    assert ours.errors, "the broken items must report errors"


def test_the_gateway_schema_executes_with_the_direct_reads() -> None:
    executor = build_schema().execution_context_class
    assert executor is not None
    assert issubclass(executor, GatewayExecutionContext)
