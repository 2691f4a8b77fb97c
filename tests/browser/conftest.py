"""Chromium (Debian's package, driven by Playwright) with no network but the page's own origin.

Every page opened through `strict_page` aborts any request to another origin and records every
console error, failed request and uncaught exception; `assert_clean` fails the test on any.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Route, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
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


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: run scripts/services.sh"
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        # A persistent context is how Playwright takes a user data dir: a fresh one each run.
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class StrictPage:
    page: Page
    origin: str
    blocked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests to other origins: {self.blocked}"
        assert self.problems == [], f"console errors: {self.problems}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def strict_page(browser: BrowserContext) -> Iterator[Callable[[str], StrictPage]]:
    """Opens pages that may reach only `origin` (http and ws); anything else is aborted."""
    opened: list[StrictPage] = []

    def open_page(origin: str) -> StrictPage:
        page = browser.new_page()
        strict = StrictPage(page, origin)
        allowed = {origin, origin.replace("http://", "ws://", 1)}

        def gate(route: Route) -> None:
            url = route.request.url
            if url.startswith("data:") or _origin(url) in allowed:
                route.continue_()
            else:
                strict.blocked.append(url)
                route.abort()

        page.route("**/*", gate)
        page.on(
            "console",
            lambda message: (
                strict.problems.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: strict.problems.append(f"uncaught: {error}"))
        page.on(
            "requestfailed",
            lambda request: strict.problems.append(f"failed: {request.url} {request.failure}"),
        )
        opened.append(strict)
        return strict

    yield open_page
    for strict in opened:
        strict.page.close()
