"""Writes to Codat: pre-flight checks, then one idempotent push, then a watch of its status.

Every write runs under an idempotency key (`gateway/idempotency.py`), forwarded to Codat as the
`Idempotency-Key` header. Checks read through the cached upstream, except the record a write
changes, which is read fresh (a bill paid a moment ago must not look payable). Nothing reaches
Codat's push endpoints unless every check passed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from gateway.codat.models import (
    Account,
    Bill,
    DataType,
    PushOperation,
)
from gateway.codat.types import CodatDateTime, CompanyId, ConnectionId
from gateway.errors import (
    CodatBadRequest,
    CodatConflict,
    CodatHTTPError,
    CodatNotFound,
    CodatUnprocessable,
)
from gateway.events import EventBus, EventKind, GatewayEvent
from gateway.idempotency import (
    IdempotencyKeyInFlightError,
    IdempotencyKeyReusedError,
    IdempotentWrites,
    Rejected,
    fingerprint,
)
from gateway.loaders import accounting_connection
from gateway.payments import (
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
from gateway.pushwatch import PushTracker
from gateway.upstream import ABSENT, Upstream


def new_key() -> str:
    return str(uuid.uuid4())


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


@dataclass(frozen=True, slots=True)
class BillToPay:
    bill_id: str
    amount: Decimal | None = None
    currency_rate: Decimal | None = None


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


REFUSALS = (CodatBadRequest, CodatUnprocessable, CodatConflict, CodatNotFound)
"""Codat answers that mean "not written": the caller can fix the input and retry."""


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
    ) -> None:
        self.upstream = upstream
        self.client = upstream.client
        self.idempotency = idempotency
        self.tracker = tracker
        self.bus = bus
        self.upload_max_bytes = upload_max_bytes

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
            done = await self.idempotency.run(key, print_, work)
        except Rejected as rejected:
            return WriteOutcome(key, echo=normalised, issues=tuple(rejected.outcome))
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
        try:
            connections = await self.upstream.connections(company_id)
        except CodatNotFound:
            raise WriteRefusedError(
                [
                    WriteIssue(
                        WriteErrorCode.COMPANY_NOT_FOUND,
                        f"no company {company_id!r}: check the companyId",
                        "companyId",
                    )
                ]
            ) from None
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
        except WriteRefusedError as refused:
            return WriteOutcome(key, echo=normalise(asdict(request)), issues=refused.issues)

        async def perform() -> Performed:
            connection = await self.connection(company_id)
            bill, account, _ = await asyncio.gather(
                self.fresh_bill(company_id, request.bill_id, "billId"),
                self.bank_account(company_id, request.account_id),
                self.payment_method(company_id, request.payment_method_id),
            )
            currency = account.currency or bill.currency
            settlement = plan_settlement(
                bill,
                amount=request.amount,
                payment_currency=currency,
                currency_rate=request.currency_rate,
                field="billId",
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
            pushed = await self.client.create_bill_payment(
                company_id, connection, body, idempotency_key=key
            )
            return Performed(
                pushed, {"amount": settlement.amount, "currency": currency, "date": date}
            )

        return await self.execute("payBill", company_id, key, asdict(request), perform)

    async def pay_bills(
        self, company_id: CompanyId, request: PayBillsRequest, key: str | None
    ) -> tuple[WriteOutcome, list[BillPaymentResult]]:
        """Pay several bills: a payment per supplier (several links) or one per bill.

        The batch is one idempotent unit; it is remembered once any payment was pushed, with
        each bill's outcome, so a retry with the key replays it rather than paying again.
        """
        key = key or new_key()
        echo = normalise(asdict(request))
        try:
            date = _valid_payment(request.date, None, None)
            issues = _batch_issues(request.bills)
            if issues:
                raise WriteRefusedError(issues)
        except WriteRefusedError as refused:
            return WriteOutcome(key, echo=echo, issues=refused.issues), []

        async def perform() -> Performed:
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
            results: dict[str, dict[str, Any]] = {}
            groups: dict[str, list[Settlement]] = {}
            for index, (item, bill) in enumerate(zip(request.bills, bills, strict=True)):
                try:
                    if isinstance(bill, WriteRefusedError):
                        raise bill
                    settlement = plan_settlement(
                        bill,
                        amount=item.amount,
                        payment_currency=currency or bill.currency,
                        currency_rate=item.currency_rate,
                        field=f"bills[{index}]",
                    )
                except WriteRefusedError as refused:
                    results[item.bill_id] = _bill_result(None, refused.issues)
                    continue
                supplier = bill.supplier_ref.id if bill.supplier_ref else bill.id
                group = supplier if request.one_payment_per_supplier else bill.id
                groups.setdefault(group, []).append(settlement)

            async def push(group: str, settlements: list[Settlement]) -> None:
                body = build_bill_payment(
                    settlements,
                    account=account,
                    currency=currency or settlements[0].bill.currency,
                    date=date,
                    payment_method_id=request.payment_method_id,
                    reference=request.reference,
                    note=request.note,
                )
                sub_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}:{group}"))
                try:
                    pushed: PushOperation | None = await self.client.create_bill_payment(
                        company_id, connection, body, idempotency_key=sub_key
                    )
                    issues: tuple[WriteIssue, ...] = ()
                except REFUSALS as error:
                    pushed, issues = None, (_upstream_issue(error),)
                if pushed is not None:
                    self.tracker.follow(company_id, pushed.push_operation_key)
                for s in settlements:
                    results[s.bill.id] = _bill_result(pushed, issues)

            await asyncio.gather(*(push(group, items) for group, items in groups.items()))
            if not any(r["pushOperation"] for r in results.values()):
                raise WriteRefusedError(
                    [WriteIssue.from_json(e) for r in results.values() for e in r["errors"]]
                )
            ordered = [{"billId": i.bill_id, **results[i.bill_id]} for i in request.bills]
            return Performed(None, {"date": date}, {"results": ordered})

        outcome = await self.execute("payBills", company_id, key, asdict(request), perform)
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
        issues += check_positive(
            item.amount, f"bills[{index}].amount", WriteErrorCode.AMOUNT_NOT_POSITIVE
        )
        issues += check_positive(
            item.currency_rate,
            f"bills[{index}].currencyRate",
            WriteErrorCode.CURRENCY_RATE_NOT_POSITIVE,
        )
    return issues


async def _attempt(call: Awaitable[Bill]) -> Bill | WriteRefusedError:
    try:
        return await call
    except WriteRefusedError as refused:
        return refused


def _bill_result(pushed: PushOperation | None, issues: Sequence[WriteIssue]) -> dict[str, Any]:
    return {"pushOperation": _dump(pushed), "errors": [i.to_json() for i in issues]}
