"""Closing the loop after a write: Codat does not put pushed records in its cache.

Since 2024-01-10 a push changes the company's software, and Codat's cache (which every read
comes from) shows the change only after a pull of that data type (codat-notes.md §7). So:

- `RefreshQueue` queues a refresh of exactly the data types a successful push changed, once per
  company per coalescing window (a payment run of twenty bills queues one refresh per data type,
  not twenty), and again when a pull already in progress may have started before the write.
- `SyncState` says whether a push's data is readable yet: `synced` asks Codat (data status,
  then the latest successful pull of each data type) whether every data type the push changed
  has been pulled since the push completed. Push watches (`gateway/writes/pushwatch.py`) and the
  graph's pending payments (`gateway/writes/pending.py`) use it, so every replica agrees without any
  state of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from gateway.codat import CodatClient
from gateway.codat.errors import CodatBadRequest, CodatError, CodatNotFound
from gateway.codat.models import DataStatus, DataType, PullOperation, PullOperationStatus
from gateway.codat.types import CompanyId

log = logging.getLogger("gateway.writes.refresh")

ERRORED_PULLS = frozenset(
    {
        PullOperationStatus.AuthError,
        PullOperationStatus.Cancelled,
        PullOperationStatus.FetchError,
        PullOperationStatus.MapError,
        PullOperationStatus.InternalError,
        PullOperationStatus.PermissionsError,
        PullOperationStatus.ProcessingError,
        PullOperationStatus.PrerequisiteNotMet,
        PullOperationStatus.NotSupported,
        PullOperationStatus.RateLimitError,
        PullOperationStatus.ValidationError,
    }
)


class SyncReads(Protocol):
    """The two reads a sync check makes (a CodatClient has them; push watches share them)."""

    async def get_data_status(self, company_id: CompanyId) -> dict[str, DataStatus | None]: ...

    async def get_pull_operation(self, company_id: CompanyId, dataset_id: str) -> PullOperation: ...


class SyncState(enum.StrEnum):
    """Whether what a write changed can be read back from Codat yet."""

    PENDING_REFRESH = "PENDING_REFRESH"
    UP_TO_DATE = "UP_TO_DATE"
    REFRESH_FAILED = "REFRESH_FAILED"


def instant(value: str | None) -> datetime | None:
    """A Codat UTC instant as an aware datetime (None when absent or unreadable)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def refreshable(scopes: Iterable[str]) -> tuple[str, ...]:
    """The Codat data types among cache scopes (push operations and the like are not pulled)."""
    known = {member.value for member in DataType}
    return tuple(dict.fromkeys(scope for scope in scopes if scope in known))


async def sync_state(
    client: SyncReads, company_id: CompanyId, data_types: Iterable[str], since: datetime
) -> SyncState:
    """UP_TO_DATE when every data type was pulled successfully after `since` (a pull requested
    at or after it); REFRESH_FAILED when a pull requested after it errored; else pending."""
    wanted = refreshable(data_types)
    if not wanted:
        return SyncState.UP_TO_DATE
    statuses = await client.get_data_status(company_id)
    state = SyncState.UP_TO_DATE
    for data_type in wanted:
        status = statuses.get(data_type)
        if status is None:
            return SyncState.PENDING_REFRESH
        last = instant(status.last_successful_sync)
        if last is not None and last >= since:  # else no pull since: nothing to read
            pulled = await latest_pull_requested(client, company_id, status)
            if pulled is not None and pulled >= since:
                continue
        if status.current_status in ERRORED_PULLS:
            requested = await requested_at(client, company_id, status.latest_sync_id)
            if requested is not None and requested >= since:
                state = SyncState.REFRESH_FAILED
                continue
        return SyncState.PENDING_REFRESH
    return state


async def latest_pull_requested(
    client: SyncReads, company_id: CompanyId, status: DataStatus
) -> datetime | None:
    """When the latest successful pull of a data type was requested (what it includes), or, when
    that dataset cannot be read, when it completed; None when there was none."""
    requested = await requested_at(client, company_id, status.latest_successful_sync_id)
    return requested or instant(status.last_successful_sync)


async def requested_at(
    client: SyncReads, company_id: CompanyId, dataset_id: str | None
) -> datetime | None:
    """When a dataset (pull) was requested; None when it is unknown or cannot be read."""
    if not dataset_id:
        return None
    try:
        pull = await client.get_pull_operation(company_id, dataset_id)
    except CodatNotFound:
        return None
    return instant(pull.requested)


class RefreshQueue:
    """Refreshes of the data types writes changed, coalesced per company."""

    def __init__(
        self,
        client: CodatClient,
        *,
        coalesce_seconds: float,
        retry_seconds: float = 2.0,
        max_attempts: int = 30,
    ) -> None:
        self._client = client
        self._coalesce = coalesce_seconds
        self._retry = retry_seconds
        self._max_attempts = max_attempts
        self._pending: dict[CompanyId, set[str]] = {}
        self._tasks: dict[CompanyId, asyncio.Task[None]] = {}
        self.queued = 0
        """Refreshes of one data type sent to Codat (for tests and metrics)."""

    def request(self, company_id: CompanyId, scopes: Iterable[str]) -> None:
        """Refresh these data types of the company soon (with whatever else comes meanwhile)."""
        wanted = refreshable(scopes)
        if not wanted:
            return
        self._pending.setdefault(company_id, set()).update(wanted)
        if company_id not in self._tasks:
            task = asyncio.create_task(self._flush(company_id), name=f"refresh:{company_id}")
            self._tasks[company_id] = task
            task.add_done_callback(lambda _: self._tasks.pop(company_id, None))

    async def _flush(self, company_id: CompanyId) -> None:
        await asyncio.sleep(self._coalesce)
        while self._pending.get(company_id):
            data_types = sorted(self._pending.pop(company_id))
            await asyncio.gather(*(self._queue(company_id, d) for d in data_types))

    async def _queue(self, company_id: CompanyId, data_type: str) -> None:
        """Queue one pull; while another is in progress (it may predate the write), wait for it
        and queue again. Bounded in attempts; a failure is logged (reads stay as they were)."""
        for _ in range(self._max_attempts):
            try:
                await self._client.refresh_data_type(company_id, data_type)
            except CodatBadRequest as error:
                if "InProgress" not in str(error) and "in progress" not in str(error):
                    log.warning("refresh of %s for %s refused: %s", data_type, company_id, error)
                    return
                await asyncio.sleep(self._retry)
                continue
            except CodatError as error:
                log.warning("refresh of %s for %s failed: %s", data_type, company_id, error)
                return
            self.queued += 1
            log.info("queued a refresh of %s for %s after a write", data_type, company_id)
            return
        log.warning("refresh of %s for %s: still in progress, gave up", data_type, company_id)

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
