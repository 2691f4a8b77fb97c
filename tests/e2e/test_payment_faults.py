"""Paying under faults: at most one payment per idempotency key, whatever fails.

Two replicas on a private Redis (killed and restarted by the tests), one sandbox. For payBill
and payBills, each cell breaks something between a first attempt on replica A and a retry with
the same key on replica B, then asserts from the sandbox's own push operations that at most one
payment reached it, and that every answer was the payment or a clear "retry" code.

| cell                       | what breaks                                                   |
| -------------------------- | ------------------------------------------------------------- |
| Redis down                 | the shared idempotency records cannot be read                 |
| Redis restarted empty      | the records of the first attempt are gone                     |
| replica killed mid-push    | replica A (a process) is SIGKILLed while Codat works          |
| Codat answering late       | Codat answers after the gateway's timeout (write happened)    |
| Codat 5xx after accepting  | the write happened, the answer is a 502                       |
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bench.common import free_port
from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import SANDBOX_API_KEY
from tests.e2e.paying import PAY_BILL, PAY_BILLS, Payable, codat_get, payables
from tests.gateway.commands import GATEWAY
from tests.gateway.replicas import replica_settings, unique_prefix, wait_until, with_changes
from tests.redis_server import RedisServer, redis_server
from tests.servers import running

RETRY_CODES = {"PUSH_OUTCOME_UNKNOWN", "IDEMPOTENCY_STORE_UNAVAILABLE", "IDEMPOTENCY_KEY_IN_FLIGHT"}
"""What a client may be told instead of its payment: the state is unknown, retry with the key."""

LEASE_SECONDS = 2.0


@dataclass(frozen=True)
class Mutation:
    name: str
    document: str
    variables: Callable[[list[Payable], str], dict[str, Any]]


def _pay_bill(targets: list[Payable], key: str) -> dict[str, Any]:
    target = targets[0]
    return {
        "companyId": target.company_id,
        "billId": target.bill["id"],
        "accountId": target.bank_account_id,
        "date": "2026-11-26",
        "amount": "1.00",
        "idempotencyKey": key,
    }


def _pay_bills(targets: list[Payable], key: str) -> dict[str, Any]:
    return {
        "companyId": targets[0].company_id,
        "bills": [{"billId": t.bill["id"], "amount": "1.00"} for t in targets],
        "accountId": targets[0].bank_account_id,
        "date": "2026-11-26",
        "grouping": "ONE_PAYMENT_PER_BILL",
        "idempotencyKey": key,
    }


MUTATIONS = [
    Mutation("payBill", PAY_BILL, _pay_bill),
    Mutation("payBills", PAY_BILLS, _pay_bills),
]


@dataclass(frozen=True)
class Answer:
    payments: frozenset[str]
    """The push operation keys the answer carries."""
    codes: frozenset[str]

    @property
    def paid(self) -> bool:
        return bool(self.payments)


def pay(url: str, mutation: Mutation, variables: dict[str, Any]) -> Answer:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": mutation.document, "variables": {"input": variables}},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload = body["data"][mutation.name]
    codes = {e["code"] for e in payload["errors"]}
    payments: set[str] = set()
    if payload.get("pushOperation"):
        payments.add(payload["pushOperation"]["pushOperationKey"])
    for result in payload.get("results") or []:
        codes |= {e["code"] for e in result["errors"]}
        if result["pushOperation"]:
            payments.add(result["pushOperation"]["pushOperationKey"])
    return Answer(frozenset(payments), frozenset(codes))


def pay_until_settled(url: str, mutation: Mutation, variables: dict[str, Any]) -> list[Answer]:
    """Retry with the same key while told to (bounded): every answer along the way."""
    answers: list[Answer] = []
    deadline = time.monotonic() + 20
    while True:
        answer = pay(url, mutation, variables)
        answers.append(answer)
        if not (answer.codes & RETRY_CODES) or time.monotonic() > deadline:
            return answers
        time.sleep(0.3)


def sandbox_payments(sandbox_url: str, company_id: str) -> set[str]:
    """Every bill payment push operation the sandbox holds for the company."""
    body = codat_get(sandbox_url, f"/companies/{company_id}/push", pageSize="500")
    return {
        op["pushOperationKey"] for op in body["results"] if op.get("dataType") == "billPayments"
    }


def assert_at_most_one_payment_per_bill(
    sandbox_url: str, targets: list[Payable], before: set[str], answers: list[Answer]
) -> None:
    made = sandbox_payments(sandbox_url, targets[0].company_id) - before
    pushes = _payment_requests(sandbox_url)
    # At most one payment per bill reached Codat (one push operation per bill, the rest replays).
    assert len(made) <= len(targets), (
        made,
        [
            (r["headers"].get("idempotency-key"), r["status"], r.get("idempotentReplay"))
            for r in pushes
        ],
    )
    for answer in answers:
        assert answer.paid or answer.codes & RETRY_CODES, answer
        assert answer.payments <= made, (answer, made)
    if answers[-1].paid:
        # The settled answer names every payment Codat holds: none was made on the side.
        assert answers[-1].payments == made, (answers[-1], made)


def _payment_requests(sandbox_url: str) -> list[dict[str, Any]]:
    requests = httpx.get(f"{sandbox_url}/_sandbox/requests", timeout=10).json()["requests"]
    return [r for r in requests if r["path"].endswith("/push/billPayments")]


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def settings_for(sandbox_url: str, redis: RedisServer, prefix: str, **changes: Any) -> Settings:
    settings = replica_settings(sandbox_url, redis_url=redis.url, prefix=prefix)
    return with_changes(
        settings,
        idempotency_lease_seconds=LEASE_SECONDS,
        idempotency_wait_seconds=0.5,
        codat_timeout_seconds=1.0,
        **changes,
    )


def first_attempt_pushes(mutation: Mutation) -> int:
    """How many pushes the first attempt makes: a fault armed for exactly these leaves no slow
    request of this test running into the next one (the sandbox's reset forgets its keys)."""
    return 1 if mutation.name == "payBill" else 2


def arm_push_fault(sandbox_url: str, mutation: Mutation, kind: str, **extra: Any) -> None:
    """A fault on the first attempt's payment pushes, and on them only."""
    fault = {
        "pathPattern": "/push/billPayments$",
        "methods": ["POST"],
        "kind": kind,
        "times": first_attempt_pushes(mutation),
        **extra,
    }
    httpx.post(f"{sandbox_url}/_sandbox/faults", json=fault, timeout=10).raise_for_status()


def unsure_then_retried(
    sandbox_url: str,
    redis: RedisServer,
    mutation: Mutation,
    variables: dict[str, Any],
    *,
    pause: float = 0.0,
) -> list[Answer]:
    """Pay on replica A (which must answer a retry code), then retry on replica B until
    settled; every answer, A's first."""
    settings = settings_for(sandbox_url, redis, unique_prefix())
    with running(create_app(settings)) as a, running(create_app(settings)) as b:
        first = pay(a.url, mutation, variables)
        assert first.codes & RETRY_CODES, first
        time.sleep(pause)
        return [first, *pay_until_settled(b.url, mutation, variables)]


def scenario(
    sandbox_url: str, mutation: Mutation
) -> tuple[list[Payable], set[str], dict[str, Any]]:
    """Two bills to pay, the payments the sandbox holds before, and the input under a new key."""
    targets = targets_for(sandbox_url)
    before = sandbox_payments(sandbox_url, targets[0].company_id)
    return targets, before, mutation.variables(targets, str(uuid.uuid4()))


def targets_for(sandbox_url: str) -> list[Payable]:
    """Two open bills of one company in one currency (one bank account pays both)."""
    found = payables(sandbox_url, 50)
    first = found[0]
    second = next(p for p in found[1:] if p.bank_account_id == first.bank_account_id)
    return [first, second]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_redis_down_refuses_the_payment_and_sends_nothing(
    sandbox_url: str, redis: RedisServer, mutation: Mutation
) -> None:
    # given
    targets, before, variables = scenario(sandbox_url, mutation)
    settings = settings_for(sandbox_url, redis, unique_prefix())
    with running(create_app(settings)) as a, running(create_app(settings)) as b:
        # when: Redis is gone, and both replicas are asked to pay
        redis.kill()
        refused = [pay(a.url, mutation, variables), pay(b.url, mutation, variables)]
        # then: refused with the retryable code, nothing sent to Codat
        assert all(r.codes == {"IDEMPOTENCY_STORE_UNAVAILABLE"} for r in refused), refused
        assert not any(r.paid for r in refused)
        assert _payment_requests(sandbox_url) == []
        # and once Redis is back, the same key pays, once
        redis.start()
        answers = pay_until_settled(b.url, mutation, variables)
        answers += pay_until_settled(a.url, mutation, variables)
    assert answers[-1].paid
    assert_at_most_one_payment_per_bill(sandbox_url, targets, before, refused + answers)
    assert len(sandbox_payments(sandbox_url, targets[0].company_id) - before) == (
        1 if mutation.name == "payBill" else 2
    )


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_redis_restarted_empty_between_attempts_pays_once(
    sandbox_url: str, redis: RedisServer, mutation: Mutation
) -> None:
    # given: replica A paid
    targets, before, variables = scenario(sandbox_url, mutation)
    settings = settings_for(sandbox_url, redis, unique_prefix())
    with running(create_app(settings)) as a, running(create_app(settings)) as b:
        first = pay_until_settled(a.url, mutation, variables)
        assert first[-1].paid
        # when: Redis comes back empty and the client retries on replica B
        redis.restart_empty()
        retried = pay_until_settled(b.url, mutation, variables)
    # then: Codat's replay of the derived key answers; no second payment
    assert retried[-1].payments == first[-1].payments
    assert_at_most_one_payment_per_bill(sandbox_url, targets, before, first + retried)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_codat_answering_late_pays_once(
    sandbox_url: str, redis: RedisServer, mutation: Mutation
) -> None:
    # given: Codat takes 2.5 s to answer pushes; the gateway waits 1 s
    targets, before, variables = scenario(sandbox_url, mutation)
    arm_push_fault(sandbox_url, mutation, "slow", delayMs=2500)
    # when: A is told to retry; B retries once Codat finished meanwhile
    answers = unsure_then_retried(sandbox_url, redis, mutation, variables, pause=2.0)
    # then
    assert answers[-1].paid
    assert_at_most_one_payment_per_bill(sandbox_url, targets, before, answers)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_codat_failing_after_accepting_pays_once(
    sandbox_url: str, redis: RedisServer, mutation: Mutation
) -> None:
    # given: the payment is made, but the gateway hears a 502
    targets, before, variables = scenario(sandbox_url, mutation)
    arm_push_fault(sandbox_url, mutation, "lost", status=502)
    # when: A hears the 502 and is told to retry; B retries
    answers = unsure_then_retried(sandbox_url, redis, mutation, variables)
    # then
    assert answers[-1].paid
    assert len(sandbox_payments(sandbox_url, targets[0].company_id) - before) >= 1
    assert_at_most_one_payment_per_bill(sandbox_url, targets, before, answers)


def _replica_process(sandbox_url: str, redis: RedisServer, prefix: str) -> tuple[str, Any]:
    port = free_port()
    env = {
        **os.environ,
        "CODAT_API_KEY": SANDBOX_API_KEY,
        "CODAT_BASE_URL": sandbox_url,
        "CODAT_MAX_ATTEMPTS": "1",
        "CODAT_TIMEOUT_SECONDS": "30",
        "GATEWAY_AUTH": "off",
        "GATEWAY_PORT": str(port),
        "REDIS_URL": redis.url,
        "REDIS_KEY_PREFIX": prefix,
        "IDEMPOTENCY_LEASE_SECONDS": str(LEASE_SECONDS),
        "GRAPHIQL": "false",
    }
    process = subprocess.Popen(
        [GATEWAY, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, "replica A exited"
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, timeout=30, what="replica A (a process)")
    return url, process


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.name)
def test_a_replica_killed_mid_push_leaves_one_payment(
    sandbox_url: str, redis: RedisServer, mutation: Mutation
) -> None:
    # given: replica A is a process; Codat is slow to answer its push
    targets, before, variables = scenario(sandbox_url, mutation)
    prefix = unique_prefix()
    arm_push_fault(sandbox_url, mutation, "slow", delayMs=1500)
    url, process = _replica_process(sandbox_url, redis, prefix)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(_swallow, pay, url, mutation, variables)
            # when: A is killed once its push reached Codat
            wait_until(lambda: bool(_payment_requests(sandbox_url)), what="A's push at Codat")
            process.kill()
            process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    settings = settings_for(sandbox_url, redis, prefix)
    with running(create_app(settings)) as b:
        retried = pay_until_settled(b.url, mutation, variables)
    # then: B waited out A's lease, then got the payment Codat made for A (or a retry code)
    assert retried[-1].paid
    assert_at_most_one_payment_per_bill(sandbox_url, targets, before, retried)


def _swallow(call: Callable[..., Any], *args: Any) -> None:
    with contextlib.suppress(httpx.HTTPError, AssertionError):
        call(*args)  # the replica is killed under it
