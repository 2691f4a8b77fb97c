"""Who may use which company: the caller (`Principal`) and the one tenancy check.

The gateway holds one Codat key that reaches every company; a `Principal` says which of them a
caller may use (`companies`, None meaning all). `authorize_company` is the one tenancy check:
reads (`gateway/reads/loaders.py`), writes and their idempotent replays (`Writes.authorize`,
before any record is read) and subscriptions all call it. How a caller is recognised (API keys,
JWTs) is the HTTP edge's business (`gateway/edge/auth.py`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Literal

from gateway.codat.types import CompanyId

PrincipalKind = Literal["api-key", "jwt", "anonymous"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller and the companies it may use (None: every company).

    `identity` names the caller across its tokens (a renewed or narrowed JWT keeps it): the
    idempotency records and Codat keys of its writes hang off it. `cache_scope` names what the
    caller may see, and nothing cheaper: two callers share stored responses exactly when they
    may use the same companies. `expires_at` (epoch seconds) bounds what is opened with the
    credential (subscriptions); `credential` lets a reload of the keys end it early.
    """

    subject: str
    kind: PrincipalKind
    companies: frozenset[str] | None
    issuer: str = ""
    expires_at: float | None = None
    credential: str = ""

    @property
    def identity(self) -> str:
        return f"{self.kind}:{self.issuer}:{self.subject}"

    @property
    def cache_scope(self) -> str:
        return company_set_scope(self.companies)

    def allows(self, company_id: str) -> bool:
        return self.companies is None or company_id in self.companies

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and (time.time() if now is None else now) >= (
            self.expires_at
        )


def company_set_scope(companies: frozenset[str] | None) -> str:
    """A name for a set of companies: equal exactly when the sets are equal."""
    if companies is None:
        return "companies:*"
    canonical = "\n".join(sorted(companies)).encode()
    return f"companies:{len(companies)}:{hashlib.sha256(canonical).hexdigest()}"


ANONYMOUS = Principal(subject="anonymous", kind="anonymous", companies=None)
"""Everyone, when authentication is off (local development)."""

NOBODY = Principal(subject="nobody", kind="anonymous", companies=frozenset())
"""A WebSocket before its `connection_init` was accepted: may use no company."""


class CompanyNotAllowedError(LookupError):
    """The principal may not use this company; shown to the client exactly like a missing one."""

    def __init__(self, company_id: str) -> None:
        super().__init__(f"no company with id {company_id}")
        self.company_id = company_id


def authorize_company(principal: Principal, company_id: str) -> CompanyId:
    """The one check before a write or a subscription touches a company (reads go through
    `Loaders`). Raises CompanyNotAllowedError, which maps to NOT_FOUND like an unknown company."""
    if not principal.allows(company_id):
        raise CompanyNotAllowedError(company_id)
    return CompanyId(company_id)
