"""GraphiQL in a real browser: Debian's Chromium, driven by Playwright, against running servers."""

from __future__ import annotations

import mimetypes
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import BrowserContext, Route, sync_playwright

from gateway.app import create_app
from tests.browser.assets import ROOT, ensure_assets, local_path
from tests.conftest import gateway_settings
from tests.servers import running

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT = ROOT / "artifacts" / "graphiql.png"
QUERY = "query Companies {\n  companies(first: 3) {\n    totalCount\n    nodes { name }\n  }\n}\n"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: run scripts/services.sh"
    ensure_assets()
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        # A persistent context is how Playwright takes a user data dir: a fresh one each run.
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()


def _serve_cdn_from_npm_packages(route: Route) -> None:
    """The page's CDN scripts, answered from the same files of the same npm packages."""
    path = local_path(route.request.url)
    if path is None or not path.is_file():
        route.abort()
        return
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    route.fulfill(
        status=200,
        body=path.read_bytes(),
        headers={"Content-Type": content_type, "Access-Control-Allow-Origin": "*"},
    )


def test_graphiql_runs_a_query_and_shows_sandbox_data(
    sandbox_url: str, browser: BrowserContext
) -> None:
    # given: the gateway on the sandbox, and the company names the sandbox has
    seed = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=10).json()
    names = [company["name"] for company in seed["companies"]]
    with running(create_app(gateway_settings(sandbox_url))) as gateway:
        page = browser.new_page()
        page.route("https://unpkg.com/**", _serve_cdn_from_npm_packages)
        # when: GraphiQL opens with the query in the address and its run button is clicked
        page.goto(f"{gateway.url}/graphql?q={quote(QUERY)}")
        page.locator(".graphiql-execute-button").click(timeout=15_000)
        result = page.locator(".result-window")
        result.get_by_text('"totalCount"').first.wait_for(timeout=15_000)
        # then
        text = result.inner_text()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        page.close()
    assert '"totalCount"' in text
    shown = [name for name in names if name in text]
    assert len(shown) == 3, (names, text)
    assert SCREENSHOT.stat().st_size > 10_000
