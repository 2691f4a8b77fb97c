"""Persisted queries: Apollo's automatic persisted queries, and an allow-list of operations."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from gateway.events.store import KeyValueStore, MemoryStore
from gateway.ops.bounds import Bound

APQ_TTL_SECONDS = 7 * 24 * 3600
"""How long a registered query is remembered (clients re-register after a miss)."""


class PersistedMode(StrEnum):
    APQ = "apq"
    """Automatic persisted queries; arbitrary queries still run."""
    ALLOWLIST = "allowlist"
    """Only operations registered in the allow-list file run (production hardening)."""
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A persisted-query answer that ends the request: HTTP status, message and code."""

    status: int
    message: str
    code: str

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}


NOT_FOUND = Refusal(200, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
NOT_SUPPORTED = Refusal(400, "PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def load_allowlist(path: Path) -> dict[str, str]:
    """Read `{sha256: query}` (or a list of queries) and check every hash."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    entries = {sha256_hex(query): query for query in raw} if isinstance(raw, list) else raw
    if not isinstance(entries, dict):
        raise ValueError("must hold a JSON object {sha256: query} or a list of queries")
    for digest, query in entries.items():
        if not isinstance(query, str) or sha256_hex(query) != digest:
            raise ValueError(f"the entry {digest!r} is not the sha256 of its query")
    return dict(entries)


class PersistedQueries:
    """Turns a request's query or persisted-query hash into the query text to run.

    APQ (https://www.apollographql.com/docs/apollo-server/performance/apq): a request may carry
    only `extensions.persistedQuery.sha256Hash`; an unknown hash answers PersistedQueryNotFound
    and the client retries with the query and the hash, which registers it (shared across
    replicas when the store is Redis). In allow-list mode only the registered operations run,
    whether sent by hash or in full.
    """

    def __init__(
        self,
        store: KeyValueStore,
        mode: PersistedMode,
        allowlist: Mapping[str, str],
        *,
        max_query_bytes: int = 64 * 1024,
        memory: MemoryStore | None = None,
    ) -> None:
        self._store = store
        self.mode = mode
        self._allowlist = dict(allowlist)
        self.max_query_bytes = max_query_bytes
        """A longer document is never registered (PERSISTED_QUERY_TOO_LARGE)."""
        self._memory = memory
        """This process's share of `store` (its bound is reported; see gateway/ops/bounds.py)."""

    def bound(self) -> Bound | None:
        return None if self._memory is None else self._memory.bound()

    async def resolve(
        self, query: str | None, extensions: Mapping[str, Any] | None
    ) -> str | Refusal | None:
        """The query to run (None: leave the request as it is), or why it is refused."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            allowed = (
                self.mode is not PersistedMode.ALLOWLIST
                or query is None
                or sha256_hex(query) in self._allowlist
            )
            if not allowed:
                return Refusal(
                    400,
                    "Only registered operations may run on this gateway.",
                    "PERSISTED_QUERY_NOT_ALLOWED",
                )
            return query
        if self.mode is PersistedMode.OFF or not isinstance(persisted, Mapping):
            return NOT_SUPPORTED
        digest = persisted.get("sha256Hash")
        if persisted.get("version") != 1 or not isinstance(digest, str):
            return Refusal(400, "Unsupported persisted query version or hash.", "BAD_USER_INPUT")
        if query is not None:
            if sha256_hex(query) != digest:
                return Refusal(
                    400, "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH"
                )
            if self.mode is PersistedMode.ALLOWLIST:
                return query if digest in self._allowlist else NOT_FOUND
            if len(query) > self.max_query_bytes or len(query.encode()) > self.max_query_bytes:
                return Refusal(
                    400,
                    f"A persisted query may be at most {self.max_query_bytes} bytes.",
                    "PERSISTED_QUERY_TOO_LARGE",
                )
            await self._store.add(f"apq:{digest}", query, APQ_TTL_SECONDS)
            return query
        if self.mode is PersistedMode.ALLOWLIST:
            return self._allowlist.get(digest, NOT_FOUND)
        known = await self._store.get(f"apq:{digest}")
        return NOT_FOUND if known is None else known
