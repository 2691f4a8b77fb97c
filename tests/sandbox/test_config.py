"""SandboxConfig defaults, from_env parsing, and fast, deterministic data generation."""

from __future__ import annotations

import time
from datetime import date

import pytest

from sandbox.app import create_app
from sandbox.config import SandboxConfig
from sandbox.seed import generate


def test_small_config_is_quick_and_keeps_the_first_company_synced() -> None:
    config = SandboxConfig.small(api_key="super-secret-key")
    assert config.companies == 3
    assert config.unsynced_companies == 1
    assert config.push_delay_seconds <= 0.2
    assert config.api_key == "super-secret-key"
    assert "super-secret-key" not in repr(config)
    assert config.webhook_secret not in repr(config)
    assert config.today == date(2026, 11, 25)


def test_from_env_reads_sandbox_variables() -> None:
    config = SandboxConfig.from_env(
        {
            "SANDBOX_SEED": "7",
            "SANDBOX_COMPANIES": "2",
            "SANDBOX_API_KEY": "secret",
            "SANDBOX_PUSH_DELAY_SECONDS": "0.5",
            "SANDBOX_TODAY": "2027-01-31",
            "SANDBOX_WEBHOOK_TARGETS": "http://a/hook, legacy:http://b/hook",
            "OTHER": "ignored",
        }
    )
    assert config.seed == 7
    assert config.companies == 2
    assert config.api_key == "secret"
    assert config.push_delay_seconds == 0.5
    assert config.today == date(2027, 1, 31)
    assert config.webhook_targets == ("http://a/hook", "legacy:http://b/hook")


@pytest.mark.parametrize(
    ("name", "value"),
    [("SANDBOX_COMPANIES", "many"), ("SANDBOX_SYNC_DELAY_SECONDS", "fast"), ("SANDBOX_TODAY", "x")],
)
def test_from_env_names_the_malformed_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name) as raised:
        SandboxConfig.from_env({name: value})
    assert "\n" not in str(raised.value)


def test_inconsistent_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="unsynced_companies"):
        SandboxConfig(companies=2, unsynced_companies=3)
    with pytest.raises(ValueError, match="webhook_secret"):
        SandboxConfig(webhook_secret="nope")


def test_generation_is_deterministic_for_a_seed() -> None:
    first = generate(SandboxConfig.small())
    second = generate(SandboxConfig.small())
    other = generate(SandboxConfig.small(seed=43))
    assert [c.records for c in first] == [c.records for c in second]
    assert first[0].company["id"] != other[0].company["id"]


def test_generation_of_a_large_world_is_fast() -> None:
    started = time.perf_counter()
    world = generate(SandboxConfig(companies=5, bills_per_company=500, suppliers_per_company=80))
    assert time.perf_counter() - started < 2.0
    assert all(len(c.records["bills"]) == 500 for c in world)


def test_seeded_ledger_is_consistent() -> None:
    for company in generate(SandboxConfig()):
        bills = company.records["bills"]
        for bill in bills.values():
            allocated = sum(a["allocation"]["totalAmount"] for a in bill["paymentAllocations"])
            if bill["status"] != "Void":
                assert bill["amountDue"] == bill["totalAmount"] - allocated
            assert bill["status"] in {"Open", "PartiallyPaid", "Paid", "Void", "Draft"}
        for payment in company.records["billPayments"].values():
            for line in payment["lines"]:
                assert line["amount"] + sum(link["amount"] for link in line["links"]) == 0
                for link in line["links"]:
                    if link["type"] == "Bill":
                        assert link["id"] in bills


def test_create_app_builds_nothing_shared() -> None:
    first = create_app(SandboxConfig.small())
    second = create_app(SandboxConfig.small())
    assert first.state.sandbox is not second.state.sandbox
