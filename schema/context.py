"""The per-request GraphQL context and the one `Info` alias resolvers are typed with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.fastapi import BaseContext

from gateway.edge.auth import AuthenticationError, Authenticator
from gateway.edge.auth import connection_authorization as _connection_authorization
from gateway.events.bus import EventBus
from gateway.reads.loaders import Loaders
from gateway.tenancy import ANONYMOUS, Principal
from gateway.writes.executor import Writes
from gateway.writes.pushwatch import PushTracker


@dataclass
class Context(BaseContext):
    """What every resolver can reach: the caller, this request's loaders, the page-size limit.

    Over HTTP the principal is known when the context is built. A WebSocket's context is built
    before its `connection_init`; `connect` authenticates that payload and replaces the
    principal (which may use no company until then) and the loaders scoped to it.
    """

    loaders: Loaders
    max_page_size: int = 500
    writes: Writes | None = None
    pushes: PushTracker | None = None
    bus: EventBus | None = None
    principal: Principal = ANONYMOUS
    authenticator: Authenticator | None = None
    """Set on a WebSocket's context while its `connection_init` is still to be checked."""
    loaders_for: Callable[[Principal], Loaders] | None = None
    checked_by: Authenticator | None = None
    """The authenticator that let this WebSocket in: it says when the credential ends."""
    upgrade_authorization: str | None = None
    """A WebSocket's upgrade request's `Authorization` header: the credential when the
    `connection_init` payload carries none (clients configured with headers, e.g. gql's)."""
    plans: dict[tuple[str, int], tuple[object, object]] = field(default_factory=dict)
    """The look-ahead planner's answers for this request, per field (`schema/planner.py`)."""

    def __post_init__(self) -> None:
        super().__init__()

    @property
    def connected(self) -> bool:
        return self.authenticator is None

    async def connect(self, payload: Mapping[str, Any]) -> None:
        """Authenticate a WebSocket's `connection_init` payload (AuthenticationError if not)."""
        if self.authenticator is None:
            return
        if not self.authenticator.configured:
            raise AuthenticationError("no client credentials are configured on this gateway")
        authorization = _connection_authorization(payload) or self.upgrade_authorization
        principal = await self.authenticator.authenticate(authorization)
        self.principal = principal
        if self.loaders_for is not None:
            self.loaders = self.loaders_for(principal)
        self.checked_by = self.authenticator
        self.authenticator = None

    async def credential_ends(self) -> str | None:
        """Wait until the credential this WebSocket connected with ends; its reason. None at
        once when nothing was checked (authentication off)."""
        if self.checked_by is None:
            return None
        return await self.checked_by.credential_ends(self.principal)


Info = strawberry.Info[Context, Any]
