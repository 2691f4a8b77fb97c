"""GraphiQL's page loads its scripts from a CDN; the browser test serves them from npm packages.

The machines reach package registries but no CDN, so the packages the page names (same names,
versions and files, so the page's integrity hashes still match) are fetched once with
`npm pack` into `.cache/browser/` and answered from there. Run as a module to fetch them:
`.venv/bin/python -m tests.browser.assets` (scripts/services.sh does).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import strawberry

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "browser"
GRAPHIQL_HTML = Path(strawberry.__file__).parent / "static" / "graphiql.html"
CDN = re.compile(r"https://unpkg\.com/((?:@[\w.-]+/)?[\w.-]+)@([\w.-]+)/([\w./-]+)")


def asset_urls() -> list[str]:
    """Every CDN address the GraphiQL page served by Strawberry loads."""
    return sorted({match.group(0) for match in CDN.finditer(GRAPHIQL_HTML.read_text())})


def _folder(name: str, version: str) -> str:
    return f"{name.replace('/', '__')}@{version}"


def local_path(url: str) -> Path | None:
    match = CDN.fullmatch(url.split("?", 1)[0])
    if match is None:
        return None
    name, version, file = match.groups()
    return CACHE / _folder(name, version) / file


def ensure_assets() -> None:
    """Fetch (with `npm pack`) each package the page names that is not in the cache yet."""
    packages: dict[str, str] = {}
    for url in asset_urls():
        path = local_path(url)
        match = CDN.fullmatch(url)
        if path is not None and match is not None and not path.is_file():
            name, version = match.group(1), match.group(2)
            packages[f"{name}@{version}"] = _folder(name, version)
    if not packages:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed to fetch GraphiQL's assets (scripts/services.sh installs it)"
        )
    with tempfile.TemporaryDirectory() as scratch:
        for spec, folder in packages.items():
            output = (
                subprocess.run(
                    [npm, "pack", "--silent", spec],
                    cwd=scratch,
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            target = CACHE / folder
            with tarfile.open(Path(scratch) / output) as archive:
                unpacked = Path(scratch) / "unpacked" / folder
                archive.extractall(unpacked, filter="data")
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(unpacked / "package", target)


if __name__ == "__main__":
    ensure_assets()
    print(f"GraphiQL assets in {CACHE}")
