"""GraphiQL in a real browser, with no network but the gateway: every script and style it loads
comes from the gateway's own origin (web/, installed by scripts/bootstrap.sh with npm ci)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest

from gateway.app import create_app
from tests.browser.conftest import ARTIFACTS, StrictPage
from tests.conftest import gateway_settings
from tests.servers import running

SCREENSHOT = ARTIFACTS / "graphiql.png"
QUERY = "query Companies {\n  companies(first: 3) {\n    totalCount\n    nodes { name }\n  }\n}\n"

pytestmark = pytest.mark.browser


def test_graphiql_runs_a_query_with_every_other_origin_blocked(
    sandbox_url: str, strict_page: Callable[[str], StrictPage]
) -> None:
    # given: the gateway on the sandbox, and the company names the sandbox has
    seed = httpx.get(f"{sandbox_url}/_sandbox/seed", timeout=10).json()
    names = [company["name"] for company in seed["companies"]]
    with running(create_app(gateway_settings(sandbox_url))) as gateway:
        strict = strict_page(gateway.url)
        page = strict.page
        # when: GraphiQL opens with the query in the address and its run button is clicked
        page.goto(f"{gateway.url}/graphql?q={quote(QUERY)}")
        page.locator(".graphiql-execute-button").click(timeout=15_000)
        result = page.locator(".result-window")
        result.get_by_text('"totalCount"').first.wait_for(timeout=15_000)
        # then
        text = result.inner_text()
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    strict.assert_clean()
    assert '"totalCount"' in text
    shown = [name for name in names if name in text]
    assert len(shown) == 3, (names, text)
    assert SCREENSHOT.stat().st_size > 10_000


def test_graphiql_page_names_only_its_own_origin_when_the_assets_are_installed(
    sandbox_url: str,
) -> None:
    with running(create_app(gateway_settings(sandbox_url))) as gateway:
        page = httpx.get(f"{gateway.url}/graphql", headers={"accept": "text/html"}, timeout=10)
        sources = [line for line in page.text.splitlines() if "src=" in line or "href=" in line]
        assets = [s.split('"')[1] for s in sources if '"/graphiql/' in s]
        fetched = [httpx.get(gateway.url + path, timeout=10) for path in assets]
    assert "unpkg.com" not in page.text
    assert len(assets) == 7
    assert [response.status_code for response in fetched] == [200] * 7
    assert all(r.headers["content-type"].startswith("text/") for r in fetched)
