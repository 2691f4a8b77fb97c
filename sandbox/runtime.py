"""The one object a running sandbox hangs everything on: config, store, webhooks, timers, knobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from sandbox.config import SandboxConfig
from sandbox.knobs_state import Knobs
from sandbox.ratelimits import RateLimiter
from sandbox.store import Store
from sandbox.timers import Timers
from sandbox.webhooks import Dispatcher


@dataclass
class Sandbox:
    """Everything that lives for the lifetime of one app."""

    config: SandboxConfig
    store: Store
    dispatcher: Dispatcher
    timers: Timers = field(default_factory=Timers)
    knobs: Knobs = field(default_factory=Knobs)
    limits: RateLimiter | None = None

    @classmethod
    def build(cls, config: SandboxConfig) -> Sandbox:
        store, dispatcher, timers = Store(config), Dispatcher(config), Timers()
        limits = RateLimiter(config, dispatcher, timers, store.active_connected_companies)
        return cls(config, store, dispatcher, timers, Knobs(seed=config.seed), limits)

    @property
    def rate_limits(self) -> RateLimiter:
        assert self.limits is not None
        return self.limits

    def reset(self) -> None:
        """Back to the seeded state: data, timers, knobs, idempotency records and webhooks."""
        self.timers.cancel_all()
        self.store.reset()
        self.knobs.reset()
        self.dispatcher.reset()
        self.rate_limits.reset_settings()


def sandbox_of(request: Request) -> Sandbox:
    """The Sandbox behind the app serving `request`."""
    sandbox = request.app.state.sandbox
    assert isinstance(sandbox, Sandbox)
    return sandbox
