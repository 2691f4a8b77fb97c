"""What every benchmark needs: servers as subprocesses, wrk runs, process memory, result files."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from svix.webhooks import Webhook

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GATEWAY_BIN = str(Path(sys.executable).parent / "gateway")
API_KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    url: str

    @property
    def pid(self) -> int:
        return self.popen.pid


def _wait_until_up(url: str, path: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            httpx.get(url + path, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"server for {url} did not start within {timeout} s")


@contextmanager
def server(
    args: list[str], env: Mapping[str, str], health_path: str, timeout: float = 60
) -> Iterator[Process]:
    """Run `gateway <args>` as a subprocess on a free port until the block ends."""
    port = free_port()
    with process(
        [GATEWAY_BIN, *args, "--host", "127.0.0.1", "--port", str(port)],
        {**env, "LOG_LEVEL": "WARNING"},
        port,
        health_path,
        timeout,
    ) as started:
        yield started


@contextmanager
def process(
    argv: list[str],
    env: Mapping[str, str],
    port: int,
    health_path: str,
    timeout: float = 60,
    cwd: Path | None = None,
) -> Iterator[Process]:
    """Run `argv` (a server listening on 127.0.0.1:`port`) until the block ends."""
    popen = subprocess.Popen(argv, env={**os.environ, **env}, cwd=cwd, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, health_path, popen, timeout)
        yield Process(popen, url)
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


def ops_per_second(run_once: Callable[[], object], seconds: float = 5.0) -> float:
    """How often `run_once` completes per second, after one untimed warm-up call."""
    run_once()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        run_once()
        count += 1
    return count / (time.perf_counter() - started)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time every thread of a process has had so far, to the nanosecond.

    From each thread's /proc schedstat (time on a CPU, ns); /proc/<pid>/stat counts in clock
    ticks (10 ms), too coarse for one request.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
    return total / 1e9


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open(os.getenv("WRK_BODY_FILE")):read("*a")
done = function(summary, latency, requests)
  io.write(string.format(
    "JSON {\\"rps\\":%.1f,\\"p50_ms\\":%.2f,\\"p99_ms\\":%.2f,\\"errors\\":%d,\\"non2xx\\":%d}\\n",
    summary.requests/(summary.duration/1e6), latency:percentile(50)/1000,
    latency:percentile(99)/1000, summary.errors.connect+summary.errors.read+
    summary.errors.write+summary.errors.timeout, summary.errors.status))
end
"""


def wrk(
    url: str,
    body: Mapping[str, Any] | None,
    *,
    seconds: int = 8,
    connections: int = 16,
    headers: Mapping[str, str] | None = None,
) -> dict[str, float]:
    """Requests/second and latency percentiles of POSTing `body` to `url` (with no body, of
    GETting it), wrk, one thread."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "post.lua"
        extra = "".join(
            f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n"
            for name, value in (headers or {}).items()
        )
        if body is None:
            extra += 'wrk.method = "GET"\nwrk.body = nil\n'
        script.write_text(WRK_SCRIPT + extra)
        body_file = Path(folder) / "body.json"
        body_file.write_text(json.dumps(body))
        output = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            env={**os.environ, "WRK_BODY_FILE": str(body_file)},
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
    line = next(line for line in output.splitlines() if line.startswith("JSON "))
    result: dict[str, float] = json.loads(line[5:])
    return result


def write_results(name: str, title: str, lines: list[str], data: Mapping[str, Any]) -> Path:
    """Write `bench/results/<name>.md` (the table) and `<name>.json` (the figures)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    markdown = RESULTS / f"{name}.md"
    markdown.write_text(f"# {title}\n\n" + "\n".join(lines) + "\n")
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    return markdown


def read_completed(company_id: str, company_name: str, data_types: Iterable[str]) -> bytes:
    """A `read.completed` webhook body: `data_types` of the company synced, records modified."""
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "eventType": "read.completed",
            "generatedDate": "2026-11-25T00:00:00Z",
            "payload": {
                "referenceCompany": {"id": company_id, "name": company_name},
                "dataTypes": [
                    {"dataType": kind, "recordsModified": True, "status": "Complete"}
                    for kind in data_types
                ],
            },
        }
    ).encode()


def signed_webhook_headers(secret: str, body: bytes) -> dict[str, str]:
    """Standard Webhooks headers for `body`, as Codat's webhook service would send them."""
    message_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body.decode()),
    }


def evict_companies(
    gateway_url: str,
    secret: str,
    company_ids: list[str],
    data_types: list[str],
    *,
    companies_list: bool = False,
) -> None:
    """What a sync of every company does: a signed `read.completed` per company for
    `data_types`; with `companies_list`, a `company.created` each too (the list is stale)."""
    for company_id in company_ids:
        bodies = [read_completed(company_id, "bench", data_types)]
        if companies_list:
            bodies.append(
                json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "eventType": "company.created",
                        "generatedDate": "2026-11-25T00:00:00Z",
                        "payload": {"id": company_id},
                    }
                ).encode()
            )
        for body in bodies:
            response = httpx.post(
                f"{gateway_url}/webhooks/codat",
                content=body,
                headers=signed_webhook_headers(secret, body),
            )
            response.raise_for_status()
