"""The container recipe: a non-root image with a health check, and two replicas on Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _final_stage(dockerfile: str) -> list[str]:
    lines = [line.strip() for line in dockerfile.splitlines()]
    starts = [index for index, line in enumerate(lines) if line.upper().startswith("FROM ")]
    return lines[starts[-1] :]


def test_the_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    stage = _final_stage((ROOT / "Dockerfile").read_text())
    users = [line.split()[1] for line in stage if line.startswith("USER ")]
    assert users, "the final stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    healthchecks = [line for line in stage if line.startswith("HEALTHCHECK ")]
    assert len(healthchecks) == 1
    command = " ".join(stage[stage.index(healthchecks[0]) :][:2])
    assert "/healthz" in command
    assert stage[-1] == 'CMD ["gateway", "serve"]'
    assert stage[0].startswith("FROM python:3.11-slim")


def test_the_image_installs_no_dev_dependencies_and_ships_no_tests() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "[dev]" not in dockerfile
    assert "COPY tests" not in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"tests", ".venv", ".git"} <= set(ignored)


def test_compose_runs_two_replicas_on_redis_configured_by_environment() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert "redis" in services
    replicas = [service for name, service in services.items() if name.startswith("gateway")]
    assert len(replicas) == 2
    published: set[str] = set()
    for replica in replicas:
        assert replica["build"] == "."
        assert replica["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert replica["depends_on"]["redis"]["condition"] == "service_healthy"
        published.update(port.split(":")[0] for port in replica["ports"])
    assert len(published) == 2
    # The idempotency records survive a Redis restart (README: Guarantees).
    redis = services["redis"]["command"]
    assert redis[redis.index("--appendonly") + 1] == "yes"
    assert services["redis"]["volumes"][0].startswith("redis-data:")
