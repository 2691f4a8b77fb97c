"""Writes to Codat: pre-flight checks, then one idempotent push, then a watch of its status.

Every write first passes the one tenancy check (`authorize_company`): a company the caller may
not use is refused before any idempotency record is read, so nothing is replayed across tenants.
It then runs under an idempotency key (`gateway/writes/idempotency.py`) in the caller's own key
space,
and each push carries a Codat `Idempotency-Key` derived from (caller, company, key, part), so a
retry after the gateway forgot its records is still deduplicated by Codat for 90 minutes. When
the shared records cannot be reached the write is refused (IDEMPOTENCY_STORE_UNAVAILABLE,
retryable): nothing is sent that the gateway cannot prove was not sent before. Checks read
through the cached upstream, except the record a write changes, which is read fresh (a bill paid
a moment ago must not look payable). Nothing reaches Codat's push endpoints unless every check
passed.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from decimal import Decimal
from typing import Any

from gateway.codat.errors import (
    CodatBadRequest,
    CodatConflict,
    CodatError,
    CodatHTTPError,
    CodatNotFound,
    CodatRateLimited,
    CodatUnprocessable,
)
from gateway.codat.models import (
    Account,
    Bill,
    BillPaymentInput,
    BillPaymentLineLinkType,
    DataType,
    PushOperation,
)
from gateway.codat.types import CodatDateTime, CompanyId, ConnectionId
from gateway.events.bus import EventBus, EventKind, GatewayEvent
from gateway.events.store import StoreUnavailableError
from gateway.reads.loaders import accounting_connection
from gateway.reads.upstream import ABSENT, Upstream
from gateway.tenancy import ANONYMOUS, CompanyNotAllowedError, Principal, authorize_company
from gateway.writes.credits import check_credits, credit_input_issues
from gateway.writes.idempotency import (
    IdempotencyKeyInFlightError,
    IdempotencyKeyReusedError,
    IdempotentWrites,
    Rejected,
    Unsettled,
    fingerprint,
)
from gateway.writes.payments import (
    CreditApplication,
    Settlement,
    WriteErrorCode,
    WriteIssue,
    WriteRefusedError,
    build_bill_payment,
    canonical_decimal,
    check_bank_account,
    check_positive,
    parse_codat_date,
    plan_settlement,
)
from gateway.writes.pending import PendingPayments
from gateway.writes.pushwatch import PushTracker

log = logging.getLogger("gateway.writes.executor")

MAX_REFUSED_ATTEMPTS = 20
"""How many times one payment group of a key may be refused by Codat and planned afresh."""


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


@dataclass(frozen=True, slots=True)
class PayBillRequest:
    bill_id: str
    account_id: str
    date: str
    amount: Decimal | None = None
    currency_rate: Decimal | None = None
    payment_method_id: str | None = None
    reference: str | None = None
    note: str | None = None
    credit_notes: tuple[CreditApplication, ...] = ()
    """Credit notes used against the bill too (gateway/writes/credits.py); `amount` then defaults to
    what the bill owes less their credit."""


@dataclass(frozen=True, slots=True)
class BillToPay:
    bill_id: str
    amount: Decimal | None = None
    currency_rate: Decimal | None = None
    credit_notes: tuple[CreditApplication, ...] = ()
    """Credit notes used against this bill too, as in `PayBillRequest`."""


@dataclass(frozen=True, slots=True)
class PayBillsRequest:
    bills: tuple[BillToPay, ...]
    account_id: str
    date: str
    one_payment_per_supplier: bool = True
    payment_method_id: str | None = None
    reference: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class BillPaymentResult:
    """One bill of a `payBills`: the push that pays it, or why it was not paid."""

    bill_id: str
    push_operation: PushOperation | None
    issues: tuple[WriteIssue, ...]


def _dump(operation: PushOperation | None) -> dict[str, Any] | None:
    return None if operation is None else operation.model_dump(mode="json", by_alias=True)


def _load(body: dict[str, Any] | None) -> PushOperation | None:
    return None if body is None else PushOperation.model_validate(body)


def _upstream_issue(error: CodatHTTPError) -> WriteIssue:
    where = f" (correlation id {error.correlation_id})" if error.correlation_id else ""
    return WriteIssue(
        WriteErrorCode.UPSTREAM_REJECTED,
        f"Codat refused the write ({error.status_code}): {error.message}{where}",
    )


CODAT_REPLAY_SECONDS = 85 * 60
"""How long after sending a push may be sent again under its Idempotency-Key: Codat replays for
90 minutes; the margin covers clock skew and time in flight."""

REFUSALS = (CodatBadRequest, CodatUnprocessable, CodatConflict, CodatNotFound)
"""Codat answers that mean "not written": the caller can fix the input and retry."""


def _store_issue(error: StoreUnavailableError) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.IDEMPOTENCY_STORE_UNAVAILABLE,
        "the gateway cannot reach its idempotency records, so it cannot prove this write was "
        "not sent before: nothing was sent; retry with the same idempotencyKey shortly",
        "idempotencyKey",
    )


def _not_found(company_id: str) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.COMPANY_NOT_FOUND,
        f"no company {company_id!r}: check the companyId",
        "companyId",
    )


class Writes:
    """The write side of the gateway: checks, idempotency, pushes, and following each push."""

    def __init__(
        self,
        upstream: Upstream,
        idempotency: IdempotentWrites,
        tracker: PushTracker,
        bus: EventBus,
        *,
        upload_max_bytes: int,
        pending: PendingPayments | None = None,
    ) -> None:
        self.upstream = upstream
        self.client = upstream.client
        self.idempotency = idempotency
        self.tracker = tracker
        self.bus = bus
        self.upload_max_bytes = upload_max_bytes
        self.pending = pending
        self.principal: Principal = ANONYMOUS

    def for_caller(self, principal: Principal) -> Writes:
        """These writes as one caller may make them: only to the companies it may use, under
        its own idempotency keys.

        A company the caller may not use is refused exactly as one that does not exist, before
        anything is read (no record under any key, no upstream call), so the two cannot be told
        apart.
        """
        scoped = copy.copy(self)
        scoped.principal = principal
        return scoped

    def authorize(self, company_id: str) -> CompanyId:
        """The one tenancy check of every write (`authorize_company`), as a refusal."""
        try:
            return authorize_company(self.principal, company_id)
        except CompanyNotAllowedError:
            raise WriteRefusedError([_not_found(company_id)]) from None

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
        perform: Callable[[], Awaitable[Performed]],
    ) -> WriteOutcome:
        """Run `perform` once for `key` (new when None): checks, push, result remembered."""
        key = key or new_key()
        normalised = normalise(request)
        try:
            self.authorize(company_id)
        except WriteRefusedError as refused:
            return WriteOutcome(key, echo=normalised, issues=refused.issues)
        print_ = fingerprint(operation, company_id, normalised)

        async def work() -> dict[str, Any]:
            try:
                performed = await perform()
            except WriteRefusedError as refused:
                raise Rejected(refused.issues) from None
            except REFUSALS as error:
                raise Rejected((_upstream_issue(error),)) from None
            pushed = performed.push_operation
            if pushed is not None:
                self.tracker.follow(CompanyId(pushed.company_id), pushed.push_operation_key)
            return {
                "pushOperation": _dump(pushed),
                "input": normalise({**request, **performed.echo}),
                "extra": normalise(performed.extra),
            }

        try:
            done = await self.idempotency.run(self.record_key(company_id, key), print_, work)
        except StoreUnavailableError as error:
            return WriteOutcome(key, echo=normalised, issues=(_store_issue(error),))
        except Rejected as rejected:
            return WriteOutcome(key, echo=normalised, issues=tuple(rejected.outcome))
        except Unsettled as unsettled:
            partial = unsettled.result
            return WriteOutcome(
                key,
                push_operation=_load(partial.get("pushOperation")),
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
            push_operation=_load(result.get("pushOperation")),
            echo=result["input"],
            replayed=done.replayed,
            extra=result.get("extra") or {},
        )

    # -- shared checks ------------------------------------------------------------------------

    async def connection(self, company_id: CompanyId) -> ConnectionId:
        self.authorize(company_id)
        try:
            connections = await self.upstream.connections(company_id)
        except CodatNotFound:
            raise WriteRefusedError([_not_found(company_id)]) from None
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

    async def bank_account(self, company_id: CompanyId, account_id: str) -> Account:
        accounts: list[Account] = await self.upstream.whole_set(
            company_id, DataType.CHART_OF_ACCOUNTS
        )
        account = next((a for a in accounts if a.id == account_id), None)
        issues = check_bank_account(account, account_id, "accountId")
        if issues or account is None:
            raise WriteRefusedError(issues)
        return account

    async def payment_method(self, company_id: CompanyId, method_id: str | None) -> None:
        if method_id is None:
            return
        methods = await self.upstream.whole_set(company_id, DataType.PAYMENT_METHODS)
        if not any(m.id == method_id for m in methods):
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.PAYMENT_METHOD_NOT_FOUND,
                        f"no payment method {method_id!r}: pick one of the company's "
                        "paymentMethods or leave it out",
                        "paymentMethodId",
                    )
                ]
            )

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

    # -- paying bills -------------------------------------------------------------------------

    async def pay_bill(
        self, company_id: CompanyId, request: PayBillRequest, key: str | None
    ) -> WriteOutcome:
        """Pay one bill: one payment, one line, one `Bill` link of minus the amount."""
        key = key or new_key()
        try:
            date = _valid_payment(request.date, request.amount, request.currency_rate)
            if credit_input_issues(request.credit_notes):
                raise WriteRefusedError(credit_input_issues(request.credit_notes))
        except WriteRefusedError as refused:
            return WriteOutcome(key, echo=normalise(echo_of(request)), issues=refused.issues)

        async def perform() -> Performed:
            connection = await self.connection(company_id)
            bill, account, _ = await asyncio.gather(
                self.fresh_bill(company_id, request.bill_id, "billId"),
                self.bank_account(company_id, request.account_id),
                self.payment_method(company_id, request.payment_method_id),
            )
            currency = account.currency or bill.currency
            await check_credits(self.client, company_id, bill, request.credit_notes)
            settlement = plan_settlement(
                bill,
                amount=request.amount,
                payment_currency=currency,
                currency_rate=request.currency_rate,
                field="billId",
                credits=request.credit_notes,
            )
            body = build_bill_payment(
                [settlement],
                account=account,
                currency=currency,
                date=date,
                payment_method_id=request.payment_method_id,
                reference=request.reference,
                note=request.note,
            )
            try:
                pushed = await self.client.create_bill_payment(
                    company_id,
                    connection,
                    body,
                    idempotency_key=self.codat_key(company_id, key, "payBill"),
                )
            except (CodatConflict, CodatUnprocessable) as error:
                # 409: Codat is still working on this key; 422: it holds another request under
                # it (an earlier attempt whose record the gateway lost). Either way the key
                # reached Codat: the payment may exist, so this is not a refusal to fix.
                raise Unsettled(_unsure(request, error)) from None
            except (*REFUSALS, CodatRateLimited):
                raise  # "not written": the caller fixes the input or waits
            except CodatError as error:
                # No answer (timeout, dropped, 5xx): the payment may have been made.
                raise Unsettled(_unsure(request, error)) from None
            await self.remember_payment(company_id, pushed, body)
            return Performed(
                pushed, {"amount": settlement.amount, "currency": currency, "date": date}
            )

        return await self.execute("payBill", company_id, key, echo_of(request), perform)

    async def pay_bills(
        self, company_id: CompanyId, request: PayBillsRequest, key: str | None
    ) -> tuple[WriteOutcome, list[BillPaymentResult]]:
        """Pay several bills: a payment per supplier (several links) or one per bill.

        The batch is one idempotent unit; it is remembered once any payment was pushed, with
        each bill's outcome, so a retry with the key replays it rather than paying again.
        Each group's payment is also recorded as it goes: before it is sent (with its body and
        its own Codat Idempotency-Key) and once Codat accepted it. When a payment may have
        reached Codat unseen (a transport error), the batch is not remembered as done; a retry
        with the key replays the accepted payments, sends the unsure ones again byte for byte
        under the same Codat key (Codat replays them for 90 minutes), and plans afresh only
        the groups that provably never reached Codat.
        """
        key = key or new_key()
        echo = normalise(echo_of(request))
        progress = self.idempotency.progress(
            self.record_key(company_id, key), fingerprint("payBills", company_id, echo)
        )
        try:
            self.authorize(company_id)
            date = _valid_payment(request.date, None, None)
            issues = _batch_issues(request.bills)
            if issues:
                raise WriteRefusedError(issues)
        except WriteRefusedError as refused:
            return WriteOutcome(key, echo=echo, issues=refused.issues), []

        async def perform() -> Performed:
            # Binds the key's recorded payments to this input: the same key with another
            # input is refused here, before any payment is planned.
            if not await progress.add("batch", {}):
                await progress.get("batch")
            connection = await self.connection(company_id)
            account, _ = await asyncio.gather(
                self.bank_account(company_id, request.account_id),
                self.payment_method(company_id, request.payment_method_id),
            )
            currency = account.currency
            bills = await asyncio.gather(
                *(
                    _attempt(self.fresh_bill(company_id, item.bill_id, f"bills[{i}].billId"))
                    for i, item in enumerate(request.bills)
                )
            )

            async def credited(index: int, item: BillToPay, bill: Bill | WriteRefusedError) -> Any:
                if isinstance(bill, WriteRefusedError) or not item.credit_notes:
                    return bill
                return await _attempt(self._with_credits(company_id, bill, item, f"bills[{index}]"))

            bills = await asyncio.gather(
                *(
                    credited(i, item, bill)
                    for i, (item, bill) in enumerate(zip(request.bills, bills, strict=True))
                )
            )
            results: dict[str, dict[str, Any]] = {}
            members: dict[str, list[tuple[int, BillToPay, Bill]]] = {}
            for index, (item, bill) in enumerate(zip(request.bills, bills, strict=True)):
                if isinstance(bill, WriteRefusedError):
                    results[item.bill_id] = _bill_result(None, bill.issues)
                    continue
                supplier = bill.supplier_ref.id if bill.supplier_ref else bill.id
                group = supplier if request.one_payment_per_supplier else bill.id
                members.setdefault(group, []).append((index, item, bill))

            def plan(index: int, item: BillToPay, bill: Bill) -> Settlement | None:
                try:
                    return plan_settlement(
                        bill,
                        amount=item.amount,
                        payment_currency=currency or bill.currency,
                        currency_rate=item.currency_rate,
                        field=f"bills[{index}]",
                        credits=item.credit_notes,
                    )
                except WriteRefusedError as refused:
                    results[item.bill_id] = _bill_result(None, refused.issues)
                    return None

            async def settle(group: str, items: list[tuple[int, BillToPay, Bill]]) -> bool:
                """`settle_once`; a group whose records could not be read or written before its
                payment was sent is not paid, and the batch is left for a retry with the key."""
                try:
                    return await settle_once(group, items)
                except StoreUnavailableError as error:
                    for _, item, _ in items:
                        results.setdefault(item.bill_id, _bill_result(None, (_store_issue(error),)))
                    return True

            async def settle_once(group: str, items: list[tuple[int, BillToPay, Bill]]) -> bool:
                """Pay one group, or replay what an earlier attempt with the key did for it.

                True when its payment may have reached Codat without the gateway knowing.
                """
                done = await progress.get(f"{group}:done")
                if done is not None:
                    for bill_id in done["bills"]:
                        results[bill_id] = done["result"]
                    _not_in_first_attempt(items, done["bills"], results)
                    return False
                sent = await progress.get(f"{group}:sent")
                if sent is None:
                    settlements = [
                        s for s in (plan(i, item, bill) for i, item, bill in items) if s is not None
                    ]
                    if not settlements:
                        return False
                    body = build_bill_payment(
                        settlements,
                        account=account,
                        currency=currency or settlements[0].bill.currency,
                        date=date,
                        payment_method_id=request.payment_method_id,
                        reference=request.reference,
                        note=request.note,
                    )
                    paid = [s.bill.id for s in settlements]
                    attempt = await _refused_attempts(progress, group)
                    sent = {
                        "body": body.model_dump(mode="json", by_alias=True, exclude_none=True),
                        "codatKey": self.codat_key(company_id, key, f"group:{group}:{attempt}"),
                        "attempt": attempt,
                        "bills": paid,
                        "sentAt": time.time(),
                    }
                    # Recorded before sending: from here on the payment may reach Codat.
                    if not await progress.add(f"{group}:sent", sent):
                        # Another run with the key (its lease lapsed) recorded it first: send
                        # that one, under its Codat key, or nothing.
                        sent = await progress.get(f"{group}:sent")
                        if sent is None:
                            for bill_id in paid:
                                results[bill_id] = _bill_result(None, (_racing_issue(bill_id),))
                            return True
                        _not_in_first_attempt(items, sent["bills"], results)
                        body = BillPaymentInput.model_validate(sent["body"])
                else:
                    _not_in_first_attempt(items, sent["bills"], results)
                    if time.time() - sent["sentAt"] > CODAT_REPLAY_SECONDS:
                        # Codat no longer replays its key: sending again could pay twice.
                        for bill_id in sent["bills"]:
                            results[bill_id] = _bill_result(None, (_stale_issue(bill_id),))
                        return True
                    body = BillPaymentInput.model_validate(sent["body"])
                bill_ids: list[str] = sent["bills"]
                try:
                    pushed = await self.client.create_bill_payment(
                        company_id, connection, body, idempotency_key=sent["codatKey"]
                    )
                except (CodatConflict, CodatUnprocessable) as error:
                    # 409: Codat is still working on a request with this key; 422: it holds
                    # another request under this key. Either way the key reached Codat.
                    for bill_id in bill_ids:
                        results[bill_id] = _bill_result(None, (_unknown_issue(bill_id, error),))
                    return True
                except (*REFUSALS, CodatRateLimited) as error:
                    # Codat answered "not written": a retry may plan this group afresh, under
                    # the group's next Codat key (Codat keeps its answer under this one).
                    await progress.add(f"{group}:refused:{sent.get('attempt', 0)}", {})
                    await progress.forget(f"{group}:sent")
                    issues = (_upstream_issue(error),)
                    for bill_id in bill_ids:
                        results[bill_id] = _bill_result(None, issues)
                    return False
                except CodatError as error:
                    for bill_id in bill_ids:
                        results[bill_id] = _bill_result(None, (_unknown_issue(bill_id, error),))
                    return True
                result = _bill_result(pushed, ())
                await self.remember_payment(company_id, pushed, body)
                try:
                    await progress.add(f"{group}:done", {"bills": bill_ids, "result": result})
                except StoreUnavailableError:
                    # Codat took it; a retry resends it under the same Codat key and Codat
                    # answers with this payment instead of making another.
                    log.warning("payment of %s pushed but not recorded (store down)", bill_ids)
                self.tracker.follow(company_id, pushed.push_operation_key)
                for bill_id in bill_ids:
                    results[bill_id] = result
                return False

            unsettled = await asyncio.gather(*(settle(g, items) for g, items in members.items()))
            ordered = [{"billId": i.bill_id, **results[i.bill_id]} for i in request.bills]
            if any(unsettled):
                raise Unsettled(
                    {
                        "pushOperation": None,
                        "input": normalise({**echo_of(request), "date": date}),
                        "extra": {"results": ordered},
                    }
                )
            if not any(r["pushOperation"] for r in results.values()):
                raise WriteRefusedError(
                    [WriteIssue.from_json(e) for r in results.values() for e in r["errors"]]
                )
            return Performed(None, {"date": date}, {"results": ordered})

        outcome = await self.execute("payBills", company_id, key, echo_of(request), perform)
        stored = outcome.extra.get("results")
        if stored is None:
            return outcome, []
        per_bill = [
            BillPaymentResult(
                r["billId"],
                _load(r["pushOperation"]),
                tuple(WriteIssue.from_json(e) for e in r["errors"]),
            )
            for r in stored
        ]
        return outcome, per_bill

    async def _with_credits(
        self, company_id: CompanyId, bill: Bill, item: BillToPay, at: str
    ) -> Bill:
        """`bill`, once the credit notes to use against it passed their checks (read fresh)."""
        try:
            await check_credits(self.client, company_id, bill, item.credit_notes)
        except WriteRefusedError as refused:
            raise WriteRefusedError(
                [replace(i, field=f"{at}.{i.field}" if i.field else at) for i in refused.issues]
            ) from None
        return bill

    async def remember_payment(
        self, company_id: CompanyId, pushed: PushOperation, body: BillPaymentInput
    ) -> None:
        """Which bills a pushed payment pays (its `Bill` links), so reads show it until Codat
        pulls it back (`gateway/writes/pending.py`)."""
        if self.pending is None:
            return
        paid: dict[str, Decimal] = {}
        for line in body.lines or ():
            for link in line.links or ():
                if link.type is BillPaymentLineLinkType.Bill and link.id and link.amount:
                    paid[link.id] = paid.get(link.id, Decimal(0)) - link.amount
        await self.pending.record(company_id, pushed.push_operation_key, paid)

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


def _unsure(request: PayBillRequest, error: CodatError) -> dict[str, Any]:
    log.warning("payBill: the payment may or may not have reached Codat (%s)", error)
    return {"pushOperation": None, "input": normalise(echo_of(request)), "extra": {}}


def _valid_payment(
    date: str, amount: Decimal | None, currency_rate: Decimal | None
) -> CodatDateTime:
    issues = [
        *check_positive(amount, "amount", WriteErrorCode.AMOUNT_NOT_POSITIVE),
        *check_positive(currency_rate, "currencyRate", WriteErrorCode.CURRENCY_RATE_NOT_POSITIVE),
    ]
    try:
        parsed = parse_codat_date(date, "date")
    except WriteRefusedError as refused:
        raise WriteRefusedError([*refused.issues, *issues]) from None
    if issues:
        raise WriteRefusedError(issues)
    return parsed


def _batch_issues(bills: Sequence[BillToPay]) -> list[WriteIssue]:
    issues: list[WriteIssue] = []
    if not bills:
        issues.append(WriteIssue(WriteErrorCode.INVALID_INPUT, "give at least one bill", "bills"))
    seen: set[str] = set()
    notes: set[str] = set()
    for index, item in enumerate(bills):
        if item.bill_id in seen:
            issues.append(
                WriteIssue(
                    WriteErrorCode.DUPLICATE_BILL,
                    f"bill {item.bill_id!r} is listed twice: list each bill once",
                    f"bills[{index}].billId",
                )
            )
        seen.add(item.bill_id)
        issues += credit_input_issues(item.credit_notes, f"bills[{index}].creditNotes")
        for credit in item.credit_notes:
            if credit.credit_note_id in notes:
                issues.append(
                    WriteIssue(
                        WriteErrorCode.INVALID_INPUT,
                        f"credit note {credit.credit_note_id!r} is used against two bills: "
                        "use each credit note against one bill of a payBills",
                        f"bills[{index}].creditNotes",
                    )
                )
            notes.add(credit.credit_note_id)
        issues += check_positive(
            item.amount, f"bills[{index}].amount", WriteErrorCode.AMOUNT_NOT_POSITIVE
        )
        issues += check_positive(
            item.currency_rate,
            f"bills[{index}].currencyRate",
            WriteErrorCode.CURRENCY_RATE_NOT_POSITIVE,
        )
    return issues


async def _refused_attempts(progress: Any, group: str) -> int:
    """How many times Codat refused this group's payment under this key (each refusal moves
    the group to its next Codat key)."""
    for attempt in range(MAX_REFUSED_ATTEMPTS):
        if await progress.get(f"{group}:refused:{attempt}") is None:
            return attempt
    raise WriteRefusedError(
        [
            WriteIssue(
                WriteErrorCode.INVALID_INPUT,
                f"Codat refused this payment {MAX_REFUSED_ATTEMPTS} times under this key: "
                "use a new idempotencyKey",
                "idempotencyKey",
            )
        ]
    )


async def _attempt(call: Awaitable[Bill]) -> Bill | WriteRefusedError:
    try:
        return await call
    except WriteRefusedError as refused:
        return refused


def _unknown_issue(bill_id: str, error: CodatError) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.PUSH_OUTCOME_UNKNOWN,
        f"the payment of bill {bill_id!r} may or may not have reached Codat ({error}): retry "
        "with the same idempotencyKey and it is sent again under the same Codat key, which "
        "Codat answers without paying twice",
        "idempotencyKey",
    )


def _racing_issue(bill_id: str) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.PUSH_OUTCOME_UNKNOWN,
        f"another request with this idempotencyKey was paying bill {bill_id!r} at the same "
        "time: retry with the same key for its outcome",
        "idempotencyKey",
    )


def _stale_issue(bill_id: str) -> WriteIssue:
    return WriteIssue(
        WriteErrorCode.PUSH_OUTCOME_UNKNOWN,
        f"the payment of bill {bill_id!r} may have reached Codat more than 85 minutes ago, "
        "past Codat's idempotency window: check the bill's payments before paying it again",
        "idempotencyKey",
    )


def _not_in_first_attempt(
    items: Sequence[tuple[int, BillToPay, Bill]],
    covered: Sequence[str],
    results: dict[str, dict[str, Any]],
) -> None:
    """Bills of a group already sent that the first payment did not include (they were refused
    then): the key stands for that payment, so they are not added to it."""
    for index, item, _ in items:
        if item.bill_id not in covered and item.bill_id not in results:
            issue = WriteIssue(
                WriteErrorCode.BILL_NOT_PAYABLE,
                f"bill {item.bill_id!r} was not payable when this idempotencyKey was first "
                "used: pay it with a new key",
                f"bills[{index}].billId",
            )
            results[item.bill_id] = _bill_result(None, (issue,))


def _bill_result(pushed: PushOperation | None, issues: Sequence[WriteIssue]) -> dict[str, Any]:
    return {"pushOperation": _dump(pushed), "errors": [i.to_json() for i in issues]}
