"""What the gateway serves a browser besides GraphQL: GraphiQL's assets and the example page.

GraphiQL's page (Strawberry's) names its scripts and styles on a CDN (unpkg.com). The same files
of the same npm packages, pinned in `web/package.json` and `web/package-lock.json` and installed
with `npm ci` by `scripts/bootstrap.sh`, are served from the gateway's own origin under
`/graphiql/<package>@<version>/<file>`; the page is rewritten to load them from there, keeping
its integrity hashes (the files are byte for byte the ones the CDN serves). A file that is not
installed (no npm on the machine, a Docker image built without `web/`) keeps its CDN address.

`examples/ap-dashboard/` (a static page, no build step) is served under `/examples/ap-dashboard/`
in development (GATEWAY_AUTH=off).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

log = logging.getLogger("gateway.edge.static")

ROOT = Path(__file__).resolve().parents[2]
WEB_MODULES = ROOT / "web" / "node_modules"
EXAMPLES = ROOT / "examples"
ASSETS_PATH = "/graphiql"
DASHBOARD_PATH = "/examples/ap-dashboard"

CDN = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/([\w./-]+)")
"""A CDN address in Strawberry's page: package name, version, file."""

_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".map": "application/json",
    ".png": "image/png",
}


class GraphiQLAssets:
    """GraphiQL's page with its CDN addresses replaced by the installed copies that exist."""

    def __init__(self, modules: Path = WEB_MODULES) -> None:
        self.modules = modules
        self._pages: dict[str, str] = {}

    def file(self, package: str, version: str, name: str) -> Path | None:
        """The installed file of `package` at exactly `version`, or None."""
        folder = (self.modules / package).resolve()
        if not folder.is_relative_to(self.modules.resolve()):
            return None
        try:
            installed = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if installed.get("version") != version:
            return None
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            return None
        return path

    def page(self, html: str) -> str:
        """`html` loading every asset it can from this origin (computed once per page)."""
        cached = self._pages.get(html)
        if cached is not None:
            return cached
        missing: list[str] = []

        def local(match: re.Match[str]) -> str:
            package, version, name = match.groups()
            if self.file(package, version, name) is None:
                missing.append(match.group(0))
                return match.group(0)
            return f"{ASSETS_PATH}/{package}@{version}/{name}"

        page = CDN.sub(local, html)
        if missing:
            log.warning(
                "GraphiQL loads %d file(s) from the CDN (run scripts/bootstrap.sh with npm "
                "installed to serve them from here): %s",
                len(missing),
                ", ".join(missing),
            )
        self._pages[html] = page
        return page


def _serve(path: Path) -> FileResponse:
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


def graphiql_router(assets: GraphiQLAssets) -> APIRouter:
    """`GET /graphiql/<package>@<version>/<file>`: an installed file of a pinned package."""
    router = APIRouter(include_in_schema=False)

    @router.get(ASSETS_PATH + "/{asset:path}")
    async def graphiql_asset(asset: str) -> FileResponse:
        match = re.fullmatch(r"((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/([\w./-]+)", asset)
        path = None if match is None else assets.file(*match.groups())
        if path is None:
            raise HTTPException(404, "no such GraphiQL asset")
        return _serve(path)

    return router


def examples_router(examples: Path = EXAMPLES) -> APIRouter:
    """`GET /examples/ap-dashboard/`: the example page's files, as they are on disk."""
    router = APIRouter(include_in_schema=False)
    folder = (examples / "ap-dashboard").resolve()

    @router.get(DASHBOARD_PATH)
    async def dashboard_index() -> RedirectResponse:
        return RedirectResponse(DASHBOARD_PATH + "/", status_code=308)

    @router.get(DASHBOARD_PATH + "/{name:path}")
    async def dashboard_file(name: str) -> FileResponse:
        path = (folder / (name or "index.html")).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise HTTPException(404, "no such file")
        return _serve(path)

    return router
