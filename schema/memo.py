"""GraphQL objects built once per upstream record, reused while the process holds the record."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

MAX_ENTRIES = 50_000
"""Objects kept per type; the oldest go first (they are rebuilt on demand)."""


def per_record(build: F) -> F:
    """Memoise `from_model(cls, company_id, model)` on the model's identity.

    Records in the process cache are the same (frozen) objects from one request to the next, so
    their GraphQL objects (which hold no request state and are never mutated) can be too: a warm
    dashboard then converts nothing. A record evicted by a webhook is a new object when fetched
    again, so it gets a new GraphQL object. The entry keeps its model alive, so `id()` cannot be
    reused while the entry exists.
    """
    memo: OrderedDict[tuple[Any, str, int], tuple[object, object]] = OrderedDict()

    def from_model(cls: type, company_id: str, model: object) -> object:
        key = (cls, company_id, id(model))
        hit = memo.get(key)
        if hit is not None and hit[0] is model:
            return hit[1]
        built = build(cls, company_id, model)
        memo[key] = (model, built)
        if len(memo) > MAX_ENTRIES:
            memo.popitem(last=False)
        return built

    return cast(F, from_model)
