# strawberry.field(description=...) is typed as returning Any, so its decorations are "untyped".
# mypy: disable-error-code="untyped-decorator"
"""The root Query: companies, one company by id, and any record by its global id."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types.base import get_object_definition

from gateway.codat.models import Company as CompanyModel
from gateway.reads.loaders import Slice
from gateway.reads.pagination import Window
from schema.connections import Connection, paginate
from schema.context import Info
from schema.errors import NotFoundError
from schema.filters import list_query
from schema.ids import company_id_from_argument, parse_global_id
from schema.ordering import CompanyOrder, order_param
from schema.types.companies import QUERY, Company


@strawberry.type
class Query:
    @strawberry.field(description="The companies this Codat client has.")
    async def companies(
        self,
        info: Info,
        order_by: CompanyOrder | None = None,
        query: Annotated[str | None, strawberry.argument(description=QUERY)] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Company]:
        text = list_query(None, query)
        order = order_param(order_by)
        loaders = info.context.loaders

        async def fetch(window: Window) -> Slice[Any]:
            return await loaders.companies_slice(window, text, order)

        async def count() -> int:
            return (await fetch(Window(0, 0))).total

        def wrap(model: CompanyModel) -> Company:
            return Company.from_model(model)

        return await paginate(
            info, fetch, count, wrap, first=first, after=after, last=last, before=before
        )

    @strawberry.field(
        description=(
            "One company by Codat's company id (or its global id). An unknown id gives null "
            "with a NOT_FOUND error."
        )
    )
    async def company(self, info: Info, id: strawberry.ID) -> Company | None:
        company_id = company_id_from_argument(str(id))
        model = await info.context.loaders.companies.load(company_id)
        if model is None:
            raise NotFoundError(f"no company with id {company_id}")
        return Company.from_model(model)

    @strawberry.field(
        description="Any object by its global id (the `id` of every Node); null when it is gone."
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        global_id = parse_global_id(str(id))
        # Well-formed but of no type that can be fetched by id (unknown, not a Node, or the Node
        # interface itself, whose resolve_node is abstract): nothing has that id.
        unknown = NotFoundError(f"no object with id {str(id)!r}")
        try:
            node_type = global_id.resolve_type(info)
        except relay.GlobalIDValueError:
            raise unknown from None
        definition = get_object_definition(node_type)
        if definition is None or definition.is_interface:
            raise unknown
        node = node_type.resolve_node(global_id.node_id, info=info, required=False)
        return await node if inspect.isawaitable(node) else node
