"""While Redis is down, a replica that missed a webhook serves stored responses no longer than
the degraded TTL (issue 11, finding 5: it served the old data 40 s later)."""

from __future__ import annotations

import time

import httpx

from tests.gateway.replicas import BILLS, patch_record, readiness, two_replicas, wait_until
from tests.redis_server import redis_server

DEGRADED_TTL = 1.5


def ask(url: str, company: str) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql", json={"query": BILLS, "variables": {"company": company}}, timeout=15
    )


def test_a_replica_that_missed_a_webhook_while_redis_is_down_serves_fresh_data_after_the_short_ttl(
    sandbox_url: str,
) -> None:
    with (
        redis_server() as redis,
        two_replicas(
            sandbox_url,
            redis_url=redis.url,
            cache_degraded_ttl_seconds=DEGRADED_TTL,
            response_cache=True,
            response_cache_ttl_seconds=300.0,
        ) as replicas,
    ):
        b, company = replicas.b, replicas.company  # webhooks go to replica A only
        # given: Redis is down, and replica B stores the bills response meanwhile
        redis.kill()
        wait_until(lambda: not readiness(b.url)["bus"]["healthy"], what="B degraded")
        first = ask(b.url, company)
        assert ask(b.url, company).headers["x-gateway-cache"] == "hit"
        bill = first.json()["data"]["company"]["bills"]["nodes"][0]
        # when: the bill changes in Codat and only replica A hears the webhook
        patch_record(sandbox_url, company, "bills", bill["codatId"], {"amountDue": 1.23})
        time.sleep(DEGRADED_TTL + 0.5)
        later = ask(b.url, company)
    # then: B built its answer again from Codat, and it has the new amount
    assert later.headers["x-gateway-cache"] != "hit"
    nodes = later.json()["data"]["company"]["bills"]["nodes"]
    assert next(n for n in nodes if n["codatId"] == bill["codatId"])["amountDue"] == "1.23"
