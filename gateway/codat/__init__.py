"""The gateway's Codat client: models, query builder, paging, transport, and the client itself."""

from gateway.codat.client import CodatClient
from gateway.codat.config import ClientConfig, RetryPolicy, Timeouts
from gateway.codat.datatypes import READABLE_DATA_TYPES, ReadableDataType
from gateway.codat.paging import Page, iter_items, iter_pages
from gateway.codat.query import (
    OrderBy,
    Query,
    all_of,
    any_of,
    id_chunks,
    parse_query,
    validate_query,
    where,
)
from gateway.codat.transport import RateLimitState, TransportStats
from gateway.codat.types import CodatDateTime, CompanyId, ConnectionId

__all__ = [
    "READABLE_DATA_TYPES",
    "ClientConfig",
    "CodatClient",
    "CodatDateTime",
    "CompanyId",
    "ConnectionId",
    "OrderBy",
    "Page",
    "Query",
    "RateLimitState",
    "ReadableDataType",
    "RetryPolicy",
    "Timeouts",
    "TransportStats",
    "all_of",
    "any_of",
    "id_chunks",
    "iter_items",
    "iter_pages",
    "parse_query",
    "validate_query",
    "where",
]
