"""Paying bills: payBill (one payment of one bill) and payBills (a payment per supplier or per
bill), with the credit notes used against them.

Both run through `Writes.execute` (tenancy, idempotency key, checks, push). At most one payment
per bill and key: payBill's push carries the Codat Idempotency-Key of its key; payBills records
each group's payment before sending it (its body and its own Codat Idempotency-Key) and once
Codat accepted it, so a retry with the key replays what was done and sends again, byte for byte
and under the same Codat key, only what may have reached Codat unseen.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from typing import Any

from gateway.codat.errors import (
    CodatConflict,
    CodatError,
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
from gateway.events.store import StoreUnavailableError
from gateway.writes.credits import check_credits, credit_input_issues
from gateway.writes.executor import (
    REFUSALS,
    Performed,
    WriteFamily,
    WriteOutcome,
    dump_push,
    echo_of,
    load_push,
    new_key,
    normalise,
    store_issue,
    upstream_issue,
)
from gateway.writes.idempotency import Progress, Unsettled, fingerprint
from gateway.writes.payments import (
    CreditApplication,
    Settlement,
    WriteErrorCode,
    WriteIssue,
    WriteRefusedError,
    build_bill_payment,
    check_bank_account,
    check_positive,
    parse_codat_date,
    plan_settlement,
)

log = logging.getLogger("gateway.writes.pay")

MAX_REFUSED_ATTEMPTS = 20
"""How many times one payment group of a key may be refused by Codat and planned afresh."""

CODAT_REPLAY_SECONDS = 85 * 60
"""How long after sending a push may be sent again under its Idempotency-Key: Codat replays for
90 minutes; the margin covers clock skew and time in flight."""


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


Member = tuple[int, BillToPay, Bill]
"""A bill of a payBills group: its index in the input, the input, and the bill as read fresh."""


class BillPayments(WriteFamily):
    """payBill and payBills, and the checks only a payment needs (bank account, payment method,
    credit notes)."""

    # -- payBill ------------------------------------------------------------------------------

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
        perform = partial(self._pay_one, company_id, request, date)
        return await self.writes.execute("payBill", company_id, key, echo_of(request), perform)

    async def _pay_one(
        self, company_id: CompanyId, request: PayBillRequest, date: CodatDateTime, codat_key: str
    ) -> Performed:
        connection = await self.writes.connection(company_id)
        bill, account, _ = await asyncio.gather(
            self.writes.fresh_bill(company_id, request.bill_id, "billId"),
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
                idempotency_key=codat_key,
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
        return Performed(pushed, {"amount": settlement.amount, "currency": currency, "date": date})

    # -- payBills -----------------------------------------------------------------------------

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
        progress = self.writes.idempotency.progress(
            self.writes.record_key(company_id, key), fingerprint("payBills", company_id, echo)
        )
        try:
            self.writes.authorize(company_id)
            date = _valid_payment(request.date, None, None)
            issues = _batch_issues(request.bills)
            if issues:
                raise WriteRefusedError(issues)
        except WriteRefusedError as refused:
            return WriteOutcome(key, echo=echo, issues=refused.issues), []
        perform = partial(self._pay_batch, company_id, request, key, date, progress)
        outcome = await self.writes.execute("payBills", company_id, key, echo_of(request), perform)
        stored = outcome.extra.get("results")
        if stored is None:
            return outcome, []
        per_bill = [
            BillPaymentResult(
                r["billId"],
                load_push(r["pushOperation"]),
                tuple(WriteIssue.from_json(e) for e in r["errors"]),
            )
            for r in stored
        ]
        return outcome, per_bill

    async def _pay_batch(
        self,
        company_id: CompanyId,
        request: PayBillsRequest,
        key: str,
        date: CodatDateTime,
        progress: Progress,
        _codat_key: str,
    ) -> Performed:
        """The batch's groups are paid under Codat keys of their own (`PaymentBatch`)."""
        # Binds the key's recorded payments to this input: the same key with another
        # input is refused here, before any payment is planned.
        if not await progress.add("batch", {}):
            await progress.get("batch")
        connection = await self.writes.connection(company_id)
        account, _ = await asyncio.gather(
            self.bank_account(company_id, request.account_id),
            self.payment_method(company_id, request.payment_method_id),
        )
        bills = await self._checked_bills(company_id, request.bills)
        batch = PaymentBatch(self, company_id, key, request, date, progress, connection, account)
        groups = batch.group(bills)
        unsettled = await asyncio.gather(
            *(batch.settle(group, members) for group, members in groups.items())
        )
        return batch.performed(any(unsettled))

    async def _checked_bills(
        self, company_id: CompanyId, items: Sequence[BillToPay]
    ) -> list[Bill | WriteRefusedError]:
        """Each bill as Codat has it now, once its credit notes passed their checks, or why not."""
        bills = await asyncio.gather(
            *(
                _attempt(self.writes.fresh_bill(company_id, item.bill_id, f"bills[{i}].billId"))
                for i, item in enumerate(items)
            )
        )
        return list(
            await asyncio.gather(
                *(
                    self._credited(company_id, i, item, bill)
                    for i, (item, bill) in enumerate(zip(items, bills, strict=True))
                )
            )
        )

    async def _credited(
        self, company_id: CompanyId, index: int, item: BillToPay, bill: Bill | WriteRefusedError
    ) -> Bill | WriteRefusedError:
        if isinstance(bill, WriteRefusedError) or not item.credit_notes:
            return bill
        return await _attempt(self._with_credits(company_id, bill, item, f"bills[{index}]"))

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

    # -- checks and records of a payment ------------------------------------------------------

    async def bank_account(self, company_id: CompanyId, account_id: str) -> Account:
        accounts: list[Account] = await self.writes.upstream.whole_set(
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
        methods = await self.writes.upstream.whole_set(company_id, DataType.PAYMENT_METHODS)
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

    async def remember_payment(
        self, company_id: CompanyId, pushed: PushOperation, body: BillPaymentInput
    ) -> None:
        """Which bills a pushed payment pays (its `Bill` links), so reads show it until Codat
        pulls it back (`gateway/writes/pending.py`)."""
        if self.writes.pending is None:
            return
        paid: dict[str, Decimal] = {}
        for line in body.lines or ():
            for link in line.links or ():
                if link.type is BillPaymentLineLinkType.Bill and link.id and link.amount:
                    paid[link.id] = paid.get(link.id, Decimal(0)) - link.amount
        await self.writes.pending.record(company_id, pushed.push_operation_key, paid)


@dataclass(slots=True)
class PaymentBatch:
    """One run of a payBills once its shared checks passed: the bills grouped into payments,
    each group paid (or replayed from the key's records), and each bill's outcome."""

    payments: BillPayments
    company_id: CompanyId
    key: str
    request: PayBillsRequest
    date: CodatDateTime
    progress: Progress
    connection: ConnectionId
    account: Account
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each bill's outcome by its id, as `_bill_result` makes it."""

    def group(self, bills: Sequence[Bill | WriteRefusedError]) -> dict[str, list[Member]]:
        """The payable bills by payment: their supplier's, or their own. A bill that failed its
        checks has its outcome already."""
        groups: dict[str, list[Member]] = {}
        for index, (item, bill) in enumerate(zip(self.request.bills, bills, strict=True)):
            if isinstance(bill, WriteRefusedError):
                self.results[item.bill_id] = _bill_result(None, bill.issues)
                continue
            supplier = bill.supplier_ref.id if bill.supplier_ref else bill.id
            group = supplier if self.request.one_payment_per_supplier else bill.id
            groups.setdefault(group, []).append((index, item, bill))
        return groups

    async def settle(self, group: str, members: list[Member]) -> bool:
        """`settle_once`; a group whose records could not be read or written before its
        payment was sent is not paid, and the batch is left for a retry with the key."""
        try:
            return await self.settle_once(group, members)
        except StoreUnavailableError as error:
            for _, item, _ in members:
                self.results.setdefault(item.bill_id, _bill_result(None, (store_issue(error),)))
            return True

    async def settle_once(self, group: str, members: list[Member]) -> bool:
        """Pay one group, or replay what an earlier attempt with the key did for it.

        True when its payment may have reached Codat without the gateway knowing.
        """
        done = await self.progress.get(f"{group}:done")
        if done is not None:
            for bill_id in done["bills"]:
                self.results[bill_id] = done["result"]
            _not_in_first_attempt(members, done["bills"], self.results)
            return False
        sent = await self.progress.get(f"{group}:sent")
        if sent is not None:
            _not_in_first_attempt(members, sent["bills"], self.results)
            if time.time() - sent["sentAt"] > CODAT_REPLAY_SECONDS:
                # Codat no longer replays its key: sending again could pay twice.
                for bill_id in sent["bills"]:
                    self.results[bill_id] = _bill_result(None, (_stale_issue(bill_id),))
                return True
            return await self.push(group, sent, BillPaymentInput.model_validate(sent["body"]))
        settlements = [s for s in map(self.plan, members) if s is not None]
        if not settlements:
            return False
        body = self.payment_body(settlements)
        paid = [s.bill.id for s in settlements]
        attempt = await _refused_attempts(self.progress, group)
        sent = {
            "body": body.model_dump(mode="json", by_alias=True, exclude_none=True),
            "codatKey": self.payments.writes.codat_key(
                self.company_id, self.key, f"group:{group}:{attempt}"
            ),
            "attempt": attempt,
            "bills": paid,
            "sentAt": time.time(),
        }
        # Recorded before sending: from here on the payment may reach Codat.
        if not await self.progress.add(f"{group}:sent", sent):
            # Another run with the key (its lease lapsed) recorded it first: send that one,
            # under its Codat key, or nothing.
            sent = await self.progress.get(f"{group}:sent")
            if sent is None:
                for bill_id in paid:
                    self.results[bill_id] = _bill_result(None, (_racing_issue(bill_id),))
                return True
            _not_in_first_attempt(members, sent["bills"], self.results)
            body = BillPaymentInput.model_validate(sent["body"])
        return await self.push(group, sent, body)

    def plan(self, member: Member) -> Settlement | None:
        """How one bill of a group is settled, or None (its outcome says why not)."""
        index, item, bill = member
        try:
            return plan_settlement(
                bill,
                amount=item.amount,
                payment_currency=self.account.currency or bill.currency,
                currency_rate=item.currency_rate,
                field=f"bills[{index}]",
                credits=item.credit_notes,
            )
        except WriteRefusedError as refused:
            self.results[item.bill_id] = _bill_result(None, refused.issues)
            return None

    def payment_body(self, settlements: Sequence[Settlement]) -> BillPaymentInput:
        return build_bill_payment(
            settlements,
            account=self.account,
            currency=self.account.currency or settlements[0].bill.currency,
            date=self.date,
            payment_method_id=self.request.payment_method_id,
            reference=self.request.reference,
            note=self.request.note,
        )

    async def push(self, group: str, sent: dict[str, Any], body: BillPaymentInput) -> bool:
        """Send a group's recorded payment under its Codat key; True when it may have reached
        Codat without the gateway knowing."""
        bill_ids: list[str] = sent["bills"]
        try:
            pushed = await self.payments.client.create_bill_payment(
                self.company_id, self.connection, body, idempotency_key=sent["codatKey"]
            )
        except (CodatConflict, CodatUnprocessable) as error:
            # 409: Codat is still working on a request with this key; 422: it holds
            # another request under this key. Either way the key reached Codat.
            for bill_id in bill_ids:
                self.results[bill_id] = _bill_result(None, (_unknown_issue(bill_id, error),))
            return True
        except (*REFUSALS, CodatRateLimited) as error:
            # Codat answered "not written": a retry may plan this group afresh, under
            # the group's next Codat key (Codat keeps its answer under this one).
            await self.progress.add(f"{group}:refused:{sent.get('attempt', 0)}", {})
            await self.progress.forget(f"{group}:sent")
            issues = (upstream_issue(error),)
            for bill_id in bill_ids:
                self.results[bill_id] = _bill_result(None, issues)
            return False
        except CodatError as error:
            for bill_id in bill_ids:
                self.results[bill_id] = _bill_result(None, (_unknown_issue(bill_id, error),))
            return True
        result = _bill_result(pushed, ())
        await self.payments.remember_payment(self.company_id, pushed, body)
        try:
            await self.progress.add(f"{group}:done", {"bills": bill_ids, "result": result})
        except StoreUnavailableError:
            # Codat took it; a retry resends it under the same Codat key and Codat
            # answers with this payment instead of making another.
            log.warning("payment of %s pushed but not recorded (store down)", bill_ids)
        self.payments.writes.tracker.follow(self.company_id, pushed.push_operation_key)
        for bill_id in bill_ids:
            self.results[bill_id] = result
        return False

    def performed(self, unsettled: bool) -> Performed:
        """What the batch did: each bill's outcome in the input's order. Raises `Unsettled` when
        a payment may have reached Codat unseen, and a refusal when no bill was paid."""
        ordered = [{"billId": i.bill_id, **self.results[i.bill_id]} for i in self.request.bills]
        if unsettled:
            raise Unsettled(
                {
                    "pushOperation": None,
                    "input": normalise({**echo_of(self.request), "date": self.date}),
                    "extra": {"results": ordered},
                }
            )
        if not any(r["pushOperation"] for r in self.results.values()):
            raise WriteRefusedError(
                [WriteIssue.from_json(e) for r in self.results.values() for e in r["errors"]]
            )
        return Performed(None, {"date": self.date}, {"results": ordered})


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


async def _refused_attempts(progress: Progress, group: str) -> int:
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


def _outcome_unknown(message: str) -> WriteIssue:
    return WriteIssue(WriteErrorCode.PUSH_OUTCOME_UNKNOWN, message, "idempotencyKey")


def _unknown_issue(bill_id: str, error: CodatError) -> WriteIssue:
    return _outcome_unknown(
        f"the payment of bill {bill_id!r} may or may not have reached Codat ({error}): retry "
        "with the same idempotencyKey and it is sent again under the same Codat key, which "
        "Codat answers without paying twice"
    )


def _racing_issue(bill_id: str) -> WriteIssue:
    return _outcome_unknown(
        f"another request with this idempotencyKey was paying bill {bill_id!r} at the same "
        "time: retry with the same key for its outcome"
    )


def _stale_issue(bill_id: str) -> WriteIssue:
    return _outcome_unknown(
        f"the payment of bill {bill_id!r} may have reached Codat more than 85 minutes ago, "
        "past Codat's idempotency window: check the bill's payments before paying it again"
    )


def _not_in_first_attempt(
    members: Sequence[Member], covered: Sequence[str], results: dict[str, dict[str, Any]]
) -> None:
    """Bills of a group already sent that the first payment did not include (they were refused
    then): the key stands for that payment, so they are not added to it."""
    for index, item, _ in members:
        if item.bill_id not in covered and item.bill_id not in results:
            issue = WriteIssue(
                WriteErrorCode.BILL_NOT_PAYABLE,
                f"bill {item.bill_id!r} was not payable when this idempotencyKey was first "
                "used: pay it with a new key",
                f"bills[{index}].billId",
            )
            results[item.bill_id] = _bill_result(None, (issue,))


def _bill_result(pushed: PushOperation | None, issues: Sequence[WriteIssue]) -> dict[str, Any]:
    return {"pushOperation": dump_push(pushed), "errors": [i.to_json() for i in issues]}
