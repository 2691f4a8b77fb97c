"""GraphQL objects built once per upstream record, reused while the process holds the record."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

_SLOT = "_graphql_objects"
"""The key, in a record's own `__dict__`, of the GraphQL objects built from it."""


def per_record(build: F) -> F:
    """Memoise `from_model(cls, company_id, model)` on the model itself.

    Records in the process cache are the same (frozen) objects from one request to the next, so
    their GraphQL objects (which hold no request state and are never mutated) can be too: a warm
    dashboard then converts nothing. The objects are kept in the record's own `__dict__` (not a
    field: pydantic neither dumps nor compares it), so they live exactly as long as the record:
    when the cache lets a record go (TTL, webhook, size bound) its objects go with it, and a
    record fetched again is a new object with new GraphQL objects. (A memo beside the records,
    keyed by their ids, kept every record it had seen alive until its own bound: with a short
    TTL that was ~400 MB of records the cache had long dropped.)
    """

    def from_model(cls: type, company_id: str, model: object) -> object:
        try:
            state = model.__dict__
        except AttributeError:
            return build(cls, company_id, model)
        key = (cls, company_id)
        slot: tuple[weakref.ref[object], dict[tuple[type, str], object]] | None
        slot = state.get(_SLOT)
        # A copy of a record (model_copy) starts with its original's slot: it gets its own.
        if slot is None or slot[0]() is not model:
            objects: dict[tuple[type, str], object] = {}
            slot = state[_SLOT] = (weakref.ref(model), objects)
        built = slot[1].get(key)
        if built is None:
            built = slot[1][key] = build(cls, company_id, model)
        return built

    return cast(F, from_model)
