"""POST /webhooks/codat on a real server: each bad delivery gets its answer and evicts nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from gateway.app import create_app
from tests.gateway.replicas import (
    LEGACY_AUTHORIZATION,
    applied,
    bills,
    platform_event,
    read_completed,
    readiness,
    replica_settings,
    signed_headers,
    synced_company,
    unique_prefix,
)
from tests.servers import running
from tests.upstream import clear_calls, recorded_calls


@dataclass
class Warm:
    url: str
    sandbox: str
    company: str

    def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(f"{self.url}/webhooks/codat", content=body, headers=headers, timeout=10)

    def assert_nothing_evicted(self) -> None:
        assert applied(self.url) == 0
        clear_calls(self.sandbox)
        bills(self.url, self.company)
        assert recorded_calls(self.sandbox) == []


@pytest.fixture
def warm(sandbox_url: str) -> Iterator[Warm]:
    """One replica (in-process bus) whose cache holds a company's bills."""
    settings = replica_settings(sandbox_url, redis_url=None, prefix=unique_prefix())
    with running(create_app(settings)) as gateway:
        company = synced_company(sandbox_url)
        bills(gateway.url, company)
        yield Warm(gateway.url, sandbox_url, company)


def test_an_unsigned_webhook_is_rejected(warm: Warm) -> None:
    response = warm.post(read_completed(warm.company, "bills"), {})
    assert response.status_code == 401
    warm.assert_nothing_evicted()


def test_a_wrongly_signed_webhook_is_rejected(warm: Warm) -> None:
    body = read_completed(warm.company, "bills")
    headers = signed_headers(body, secret="whsec_" + "d3Jvbmcgc2VjcmV0IGtleSAxMjM0NTY=")
    assert warm.post(body, headers).status_code == 401
    tampered = signed_headers(body)
    assert warm.post(body.replace(b"bills", b"items"), tampered).status_code == 401
    warm.assert_nothing_evicted()


def test_a_stale_or_future_signature_is_rejected(warm: Warm) -> None:
    body = read_completed(warm.company, "bills")
    old = signed_headers(body, at=datetime.now(UTC) - timedelta(minutes=6))
    assert warm.post(body, old).status_code == 401
    future = signed_headers(body, at=datetime.now(UTC) + timedelta(minutes=6))
    assert warm.post(body, future).status_code == 401
    warm.assert_nothing_evicted()


def test_a_replayed_delivery_is_rejected_and_a_redelivery_ignored(warm: Warm) -> None:
    # given: a valid event about another company, accepted once
    body = read_completed(str(uuid.uuid4()), "bills")
    headers = signed_headers(body, prefix="svix")
    first = warm.post(body, headers)
    assert first.status_code == 200
    assert first.json()["kind"] == "read.completed"

    # when / then: the same signed request again is a replay; a fresh attempt is a duplicate
    assert warm.post(body, headers).status_code == 401
    later = datetime.now(UTC) + timedelta(seconds=2)
    retry = signed_headers(body, message_id=headers["svix-id"], at=later)
    again = warm.post(body, retry)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert readiness(warm.url)["events"]["applied"] == 1
    clear_calls(warm.sandbox)
    bills(warm.url, warm.company)
    assert recorded_calls(warm.sandbox) == []


def test_malformed_json_after_a_valid_signature_is_a_bad_request(warm: Warm) -> None:
    body = b'{"eventType": "read.completed", "payload": '
    assert warm.post(body, signed_headers(body)).status_code == 400
    shapeless = json.dumps({"eventType": "read.completed", "id": "x", "payload": {}}).encode()
    assert warm.post(shapeless, signed_headers(shapeless)).status_code == 400
    warm.assert_nothing_evicted()


def test_a_huge_body_is_refused_unread(warm: Warm) -> None:
    body = b'{"pad": "' + b"x" * (65 * 1024) + b'"}'
    assert warm.post(body, signed_headers(body)).status_code == 413

    def chunks() -> Iterator[bytes]:
        yield body[:1024]
        yield body[1024:]

    streamed = httpx.post(
        f"{warm.url}/webhooks/codat",
        content=chunks(),
        headers=signed_headers(body),
        timeout=10,
    )
    assert streamed.status_code == 413
    warm.assert_nothing_evicted()


def test_an_unknown_event_type_is_acknowledged_and_ignored(warm: Warm) -> None:
    body = platform_event("company.product.added", {"id": warm.company, "productId": "payables"})
    response = warm.post(body, signed_headers(body))
    assert response.status_code == 200
    assert response.json()["ignored"] is True
    warm.assert_nothing_evicted()


def test_a_rate_limit_event_is_accepted_and_evicts_nothing(warm: Warm) -> None:
    body = platform_event("client.rateLimit.reached", {"dailyQuota": 12000, "quotaRemaining": 0})
    clear_calls(warm.sandbox)
    response = warm.post(body, signed_headers(body))
    assert response.status_code == 200
    assert response.json()["kind"] == "client.rateLimit.reached"
    # the cached bills are still served, and nothing went to Codat
    assert bills(warm.url, warm.company)
    assert recorded_calls(warm.sandbox) == []
    assert readiness(warm.url)["upstream"] == {"reachable": True, "detail": "rate limited"}


def test_legacy_webhooks_need_the_configured_authorization(warm: Warm) -> None:
    # given
    body = json.dumps(
        {
            "CompanyId": warm.company,
            "RuleType": "Dataset data changed",
            "AlertId": str(uuid.uuid4()),
            "Data": {"dataType": "bills", "datasetId": str(uuid.uuid4())},
        }
    ).encode()
    plain = {"content-type": "application/json"}

    # when / then
    assert warm.post(body, plain | {"authorization": "Bearer wrong"}).status_code == 401
    warm.assert_nothing_evicted()
    accepted = warm.post(body, plain | {"authorization": LEGACY_AUTHORIZATION})
    assert accepted.status_code == 200
    assert accepted.json()["kind"] == "legacy.dataset.changed"
    duplicate = warm.post(body, plain | {"authorization": LEGACY_AUTHORIZATION})
    assert duplicate.json()["duplicate"] is True
    assert applied(warm.url) == 1
    clear_calls(warm.sandbox)
    bills(warm.url, warm.company)
    assert {call.path.rsplit("/", 1)[-1] for call in recorded_calls(warm.sandbox)} <= {
        "bills",
        "status",
    }
    assert recorded_calls(warm.sandbox)
