"""The contract helper itself: it accepts what the spec allows and names what it doesn't."""

from __future__ import annotations

import httpx
import pytest

from tests.contract import check_request, check_response, check_webhook
from tests.sandbox.conftest import AUTH

COMPANY = "8a210b68-6988-11ed-a1eb-0242ac120002"
BILL_URL = f"https://sandbox.local/companies/{COMPANY}/data/bills/abc"


def test_check_request_accepts_a_valid_request_and_rejects_a_bad_page() -> None:
    check_request(httpx.Request("GET", f"{BILL_URL}", headers=AUTH))
    bad = httpx.Request("GET", f"https://x/companies/{COMPANY}/data/bills?page=0", headers=AUTH)
    with pytest.raises(AssertionError, match="page"):
        check_request(bad)


def test_check_response_lists_the_schema_error() -> None:
    request = httpx.Request("GET", BILL_URL, headers=AUTH)
    bill = {"id": "abc", "issueDate": "2026-11-03T00:00:00", "subTotal": 1, "taxAmount": 0}
    good = {**bill, "status": "Open", "totalAmount": 1}
    check_response(request, httpx.Response(200, json=good, request=request))
    with pytest.raises(AssertionError, match="'Bogus' is not one of"):
        check_response(request, httpx.Response(200, json={**good, "status": "Bogus"}))
    with pytest.raises(AssertionError, match="Unknown response http status: 418"):
        check_response(request, httpx.Response(418, json={}))


def test_check_webhook_validates_platform_payloads() -> None:
    event = {
        "id": "743ec94a-8aa4-44bb-8bd4-e1855ee0e74b",
        "eventType": "read.completed",
        "generatedDate": "2022-10-23T00:00:00.000Z",
        "payload": {"dataTypes": [{"dataType": "bills", "recordsModified": True}]},
    }
    check_webhook("read.completed", event)
    event["payload"] = {"dataTypes": [{"dataType": "notAType"}]}
    with pytest.raises(AssertionError, match="notAType"):
        check_webhook("read.completed", event)
