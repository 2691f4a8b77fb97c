"""The example frontend (examples/ap-dashboard) in Chromium with every other origin blocked:
it lists open bills, pays two with one payBills, and shows both reach Success, then Synced, over
graphql-transport-ws."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.app import create_app
from tests.browser.conftest import ARTIFACTS, StrictPage
from tests.conftest import gateway_settings
from tests.e2e.paying import WEBHOOK_SECRET
from tests.gateway.replicas import send_webhooks_to
from tests.servers import running

SCREENSHOT = ARTIFACTS / "ap-dashboard.png"

pytestmark = pytest.mark.browser


def test_the_dashboard_pays_two_bills_and_shows_both_reach_success(
    sandbox_url: str, strict_page: Callable[[str], StrictPage]
) -> None:
    settings = gateway_settings(sandbox_url, WEBHOOK_SECRET=WEBHOOK_SECRET)
    with running(create_app(settings)) as gateway:
        send_webhooks_to(sandbox_url, f"{gateway.url}/webhooks/codat")
        strict = strict_page(gateway.url)
        page = strict.page
        # given: the page has loaded a company's open bills, with supplier and due date
        page.goto(f"{gateway.url}/examples/ap-dashboard/")
        page.wait_for_selector("body[data-ready=true]", timeout=15_000)
        rows = page.locator("#bills tbody tr")
        assert rows.count() >= 2
        first, second = rows.nth(0), rows.nth(1)
        for row in (first, second):
            assert row.locator(".supplier").inner_text().strip() not in ("", "—")
            assert row.locator(".due").inner_text().strip()
        # when: two are selected and paid
        first.locator(".pick").check()
        second.locator(".pick").check()
        page.locator("#pay").click()
        # then: each payment's status arrives live, Success and then Synced (the refreshed bill
        # reads back paid from Codat)
        for row in (first, second):
            row.locator(".status.Synced").wait_for(timeout=30_000)
        page.locator("#connection").get_by_text("live updates on").wait_for(timeout=5_000)
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    strict.assert_clean()
    assert SCREENSHOT.stat().st_size > 10_000
