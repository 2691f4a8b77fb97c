"""The write executor: the path every write takes, from its checks to one idempotent push.

Every write first passes the one tenancy check (`authorize_company`): a company the caller may
not use is refused before any idempotency record is read, so nothing is replayed across tenants.
It then runs under an idempotency key (`gateway/writes/idempotency.py`) in the caller's own key
space, and each push carries a Codat `Idempotency-Key` derived from (caller, company, key, part),
so a retry after the gateway forgot its records is still deduplicated by Codat for 90 minutes.
When the shared records cannot be reached the write is refused (IDEMPOTENCY_STORE_UNAVAILABLE,
retryable): nothing is sent that the gateway cannot prove was not sent before. Checks read
through the cached upstream, except the record a write changes, which is read fresh (a bill paid
a moment ago must not look payable). Nothing reaches Codat's push endpoints unless every check
passed. The writes themselves: `pay.py` (paying bills), `records.py`, `onboarding.py`.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import KW_ONLY, asdict, dataclass, field, fields, is_dataclass, replace
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from gateway.codat.client import CodatClient
from gateway.codat.errors import (
    CodatBadRequest,
    CodatConflict,
    CodatHTTPError,
    CodatNotFound,
    CodatUnprocessable,
)
from gateway.codat.models import Bill, DataType, PushOperation, WriteModel
from gateway.codat.models.common import Metadata
from gateway.codat.types import CompanyId, ConnectionId
from gateway.events.bus import EventBus, EventKind, GatewayEvent
from gateway.events.store import StoreUnavailableError
from gateway.reads.loaders import accounting_connection
from gateway.reads.upstream import ABSENT, Upstream
from gateway.tenancy import ANONYMOUS, CompanyNotAllowedError, Principal, authorize_company
from gateway.writes.idempotency import (
    IdempotencyKeyInFlightError,
    IdempotencyKeyReusedError,
    IdempotentWrites,
    Rejected,
    Unsettled,
    fingerprint,
)
from gateway.writes.payments import (
    WriteErrorCode,
    WriteIssue,
    WriteRefusedError,
    canonical_decimal,
)
from gateway.writes.pending import PendingPayments
from gateway.writes.pushwatch import PushTracker


def new_key() -> str:
    return str(uuid.uuid4())


def derived_key(*parts: str) -> str:
    """A UUID-shaped key determined by `parts` (sha256; the version bits say 5, name-based)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def echo_of(value: Any) -> Any:
    """A request as the mutation's `input` echoes it: a dataclass's fields by their camelCase
    GraphQL names, all the way down; plain dicts (free-form JSON such as supplemental data) and
    values as they are."""
    if is_dataclass(value) and not isinstance(value, type):
        return {camel(f.name): echo_of(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [echo_of(v) for v in value]
    return value


def normalise(value: Any) -> Any:
    """JSON-able, with Decimals as canonical text (the fingerprint's input)."""
    if isinstance(value, Decimal):
        return canonical_decimal(value)
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a write mutation answers: the push (if any), its key, the echo and the issues."""

    idempotency_key: str
    push_operation: PushOperation | None = None
    echo: dict[str, Any] = field(default_factory=dict)
    issues: tuple[WriteIssue, ...] = ()
    replayed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Performed:
    """What a write did once its checks passed: the push, defaults it chose, anything else."""

    push_operation: PushOperation | None
    echo: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


Perform = Callable[[str], Awaitable[Performed]]
"""A write once its input checks passed: its checks that read Codat, then its push, under the
Codat Idempotency-Key it is given."""


def dump_push(operation: PushOperation | None) -> dict[str, Any] | None:
    return None if operation is None else operation.model_dump(mode="json", by_alias=True)


def load_push(body: dict[str, Any] | None) -> PushOperation | None:
    return None if body is None else PushOperation.model_validate(body)


def upstream_issue(error: CodatHTTPError) -> WriteIssue:
    where = f" (correlation id {error.correlation_id})" if error.correlation_id else ""
    return WriteIssue(
        WriteErrorCode.UPSTREAM_REJECTED,
        f"Codat refused the write ({error.status_code}): {error.message}{where}",
    )


REFUSALS = (CodatBadRequest, CodatUnprocessable, CodatConflict, CodatNotFound)
"""Codat answers that mean "not written": the caller can fix the input and retry."""


def store_issue(error: StoreUnavailableError) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.IDEMPOTENCY_STORE_UNAVAILABLE,
        "the gateway cannot reach its idempotency records, so it cannot prove this write was "
        "not sent before: nothing was sent; retry with the same idempotencyKey shortly",
        "idempotencyKey",
    )


def company_not_found(company_id: str) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.COMPANY_NOT_FOUND,
        f"no company {company_id!r}: check the companyId",
        "companyId",
    )


Body = TypeVar("Body", bound=WriteModel)
NewBody = TypeVar("NewBody", bound=WriteModel, contravariant=True)


class Create(Protocol[NewBody]):
    """A Codat client method that pushes one new record (`create_supplier`, `create_account`)."""

    def __call__(
        self,
        company_id: CompanyId,
        connection_id: ConnectionId,
        body: NewBody,
        /,
        *,
        idempotency_key: str | None = None,
    ) -> Awaitable[PushOperation]: ...


class Deletable(Protocol):
    @property
    def metadata(self) -> Metadata | None: ...


Record = TypeVar("Record", bound=Deletable)


async def read_existing(read: Awaitable[Record], missing: WriteIssue) -> Record:
    """The record `read` answers, refused as `missing` when Codat has none or it is deleted."""
    try:
        record = await read
    except CodatNotFound:
        raise WriteRefusedError([missing]) from None
    if record.metadata and record.metadata.is_deleted:
        raise WriteRefusedError([missing])
    return record


@dataclass(eq=False)
class Writes:
    """The write side of the gateway: checks, idempotency, pushes, and following each push."""

    upstream: Upstream
    idempotency: IdempotentWrites
    tracker: PushTracker
    bus: EventBus
    _: KW_ONLY
    upload_max_bytes: int
    pending: PendingPayments | None = None
    principal: Principal = ANONYMOUS
    client: CodatClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = self.upstream.client

    def for_caller(self, principal: Principal) -> Writes:
        """These writes as one caller may make them: only to the companies it may use, under
        its own idempotency keys.

        A company the caller may not use is refused exactly as one that does not exist, before
        anything is read (no record under any key, no upstream call), so the two cannot be told
        apart.
        """
        return replace(self, principal=principal)

    def authorize(self, company_id: str) -> CompanyId:
        """The one tenancy check of every write (`authorize_company`), as a refusal."""
        try:
            return authorize_company(self.principal, company_id)
        except CompanyNotAllowedError:
            raise WriteRefusedError([company_not_found(company_id)]) from None

    def record_key(self, company_id: str, key: str) -> str:
        """Where a key's records live: the caller's own space, per company."""
        return derived_key("record", self.principal.identity, company_id, key)

    def codat_key(self, company_id: str, key: str, part: str) -> str:
        """The Codat Idempotency-Key of one push of a keyed write: the same on every replica and
        after the gateway's records are lost, so Codat's replay window still protects a retry."""
        return derived_key("codat", self.principal.identity, company_id, key, part)

    # -- the executor ------------------------------------------------------------------------

    async def execute(
        self,
        operation: str,
        company_id: CompanyId,
        key: str | None,
        request: dict[str, Any],
        perform: Perform,
        issues: Sequence[WriteIssue] = (),
    ) -> WriteOutcome:
        """Run `perform` once for `key` (new when None): checks, push, result remembered.

        `issues` are what the checks of the input alone found: any, and the write is refused at
        once (no tenancy check, no record, no call). `perform` is given the Codat
        Idempotency-Key of the write's push: `codat_key` of the operation.
        """
        key = key or new_key()
        normalised = normalise(request)
        if issues:
            return WriteOutcome(key, echo=normalised, issues=tuple(issues))
        try:
            self.authorize(company_id)
        except WriteRefusedError as refused:
            return WriteOutcome(key, echo=normalised, issues=refused.issues)
        print_ = fingerprint(operation, company_id, normalised)

        async def work() -> dict[str, Any]:
            try:
                performed = await perform(self.codat_key(company_id, key, operation))
            except WriteRefusedError as refused:
                raise Rejected(refused.issues) from None
            except REFUSALS as error:
                raise Rejected((upstream_issue(error),)) from None
            pushed = performed.push_operation
            if pushed is not None:
                self.tracker.follow(CompanyId(pushed.company_id), pushed.push_operation_key)
            return {
                "pushOperation": dump_push(pushed),
                "input": normalise({**request, **performed.echo}),
                "extra": normalise(performed.extra),
            }

        try:
            done = await self.idempotency.run(self.record_key(company_id, key), print_, work)
        except StoreUnavailableError as error:
            return WriteOutcome(key, echo=normalised, issues=(store_issue(error),))
        except Rejected as rejected:
            return WriteOutcome(key, echo=normalised, issues=tuple(rejected.outcome))
        except Unsettled as unsettled:
            partial = unsettled.result
            return WriteOutcome(
                key,
                push_operation=load_push(partial.get("pushOperation")),
                echo=partial["input"],
                issues=(
                    WriteIssue(
                        WriteErrorCode.PUSH_OUTCOME_UNKNOWN,
                        "some payments may not have reached Codat: retry with the same "
                        "idempotencyKey (payments Codat accepted are not sent again)",
                        "idempotencyKey",
                    ),
                ),
                extra=partial.get("extra") or {},
            )
        except (IdempotencyKeyReusedError, IdempotencyKeyInFlightError) as error:
            code = (
                WriteErrorCode.IDEMPOTENCY_KEY_REUSED
                if isinstance(error, IdempotencyKeyReusedError)
                else WriteErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT
            )
            return WriteOutcome(
                key, echo=normalised, issues=(WriteIssue(code, str(error), "idempotencyKey"),)
            )
        result = done.result
        return WriteOutcome(
            key,
            push_operation=load_push(result.get("pushOperation")),
            echo=result["input"],
            replayed=done.replayed,
            extra=result.get("extra") or {},
        )

    async def create_as_drafted(
        self,
        operation: str,
        company_id: CompanyId,
        key: str | None,
        draft: Any,
        issues: Sequence[WriteIssue],
        model: Callable[..., Body],
        create: Create[Body],
    ) -> WriteOutcome:
        """A write that pushes one new record whose body is the draft's fields as they are
        (`model(**asdict(draft))`) to the company's accounting connection."""

        async def perform(codat_key: str) -> Performed:
            connection = await self.connection(company_id)
            body = model(**asdict(draft))
            return Performed(await create(company_id, connection, body, idempotency_key=codat_key))

        return await self.execute(operation, company_id, key, echo_of(draft), perform, issues)

    # -- shared checks ------------------------------------------------------------------------

    async def connection(self, company_id: CompanyId) -> ConnectionId:
        self.authorize(company_id)
        try:
            connections = await self.upstream.connections(company_id)
        except CodatNotFound:
            raise WriteRefusedError([company_not_found(company_id)]) from None
        found = accounting_connection(connections)
        if found is None:
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.CONNECTION_NOT_LINKED,
                        f"company {company_id} has no linked accounting connection: "
                        "link its accounting software in Codat first",
                        "companyId",
                    )
                ]
            )
        return ConnectionId(found.id)

    async def fresh_bill(self, company_id: CompanyId, bill_id: str, field: str) -> Bill:
        """The bill as Codat has it now (never from the cache: it may have just been paid)."""
        try:
            return await self.client.get_bill(company_id, bill_id)
        except CodatNotFound:
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.BILL_NOT_FOUND,
                        f"company {company_id} has no bill {bill_id!r}: check the billId",
                        field,
                    )
                ]
            ) from None

    async def supplier_exists(self, company_id: CompanyId, supplier_id: str) -> None:
        found = await self.upstream.records_by_id(company_id, DataType.SUPPLIERS, [supplier_id])
        if found.get(supplier_id, ABSENT) is ABSENT:
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.SUPPLIER_NOT_FOUND,
                        f"company {company_id} has no supplier {supplier_id!r}",
                        "supplierId",
                    )
                ]
            )

    async def publish_change(self, company_id: CompanyId, data_types: Sequence[str]) -> None:
        """Tell every replica that a write with no push operation changed these data types."""
        await self.bus.publish(
            GatewayEvent(
                id=f"gateway-write-{uuid.uuid4()}",
                kind=EventKind.WRITE_SUCCESSFUL,
                company_id=company_id,
                data_types=tuple(data_types),
                event_type="gateway.write",
            )
        )


class WriteFamily:
    """A set of writes that run through one `Writes` (`BillPayments`, `RecordWrites`,
    `Onboarding`), made per request for its caller."""

    def __init__(self, writes: Writes) -> None:
        self.writes = writes
        self.client = writes.client
