"""Sandbox settings: one frozen dataclass, built from defaults, overrides or SANDBOX_* variables."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any


def _default_webhook_secret() -> str:
    digest = hashlib.sha256(b"codat-sandbox-webhook-secret").digest()[:24]
    return "whsec_" + base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class SandboxConfig:
    """How big the seeded world is, how slow it is, and where it sends webhooks."""

    seed: int = 42
    today: date = date(2026, 11, 25)
    companies: int = 5
    suppliers_per_company: int = 80
    bills_per_company: int = 500
    credit_notes_per_company: int = 40
    accounts_per_company: int = 30  # of which `bank_accounts_per_company` are bank accounts
    bank_accounts_per_company: int = 3
    tax_rates: int = 5
    tracking_categories: int = 8
    payment_methods: int = 5
    attachments_per_bill: int = 1  # only on every 5th bill, to keep the seed light
    api_key: str | None = None
    push_delay_seconds: float = 2.0
    sync_delay_seconds: float = 2.0
    unsynced_companies: int = 0
    webhook_secret: str = dataclasses.field(default_factory=_default_webhook_secret)
    legacy_authorization: str | None = None
    webhook_targets: tuple[str, ...] = ()
    webhook_timeout_seconds: float = 2.0
    webhook_retries: int = 2
    webhook_queue_size: int = 1000
    client_name: str = "Sandbox Client"
    max_concurrency_per_company: int = 10  # Codat: 10 concurrent requests per company
    daily_quota: int | None = None  # None: Codat's 1,000 x (1 + active connected companies)
    quota_window_seconds: float = 0.0  # 0: the quota resets at 00:00 UTC, as Codat's does

    def __post_init__(self) -> None:
        if self.companies < 1:
            raise ValueError("SandboxConfig.companies must be at least 1")
        if not 0 <= self.unsynced_companies <= self.companies:
            raise ValueError("SandboxConfig.unsynced_companies must be between 0 and companies")
        if self.bank_accounts_per_company > self.accounts_per_company:
            raise ValueError("SandboxConfig.bank_accounts_per_company exceeds accounts_per_company")
        if self.push_delay_seconds < 0 or self.sync_delay_seconds < 0:
            raise ValueError("SandboxConfig delays must not be negative")
        if self.max_concurrency_per_company < 1:
            raise ValueError("SandboxConfig.max_concurrency_per_company must be at least 1")
        if self.daily_quota is not None and self.daily_quota < 0:
            raise ValueError("SandboxConfig.daily_quota must not be negative")
        if self.quota_window_seconds < 0:
            raise ValueError("SandboxConfig.quota_window_seconds must not be negative")
        if not self.webhook_secret.startswith("whsec_"):
            raise ValueError("SandboxConfig.webhook_secret must start with 'whsec_'")
        try:
            base64.b64decode(self.webhook_secret.removeprefix("whsec_"), validate=True)
        except ValueError as exc:
            raise ValueError("SandboxConfig.webhook_secret is not whsec_<base64>") from exc

    @classmethod
    def small(cls, **overrides: Any) -> SandboxConfig:
        """A quick world for tests: 3 companies (the last one unsynced), short delays."""
        values: dict[str, Any] = {
            "companies": 3,
            "suppliers_per_company": 12,
            "bills_per_company": 40,
            "credit_notes_per_company": 6,
            "accounts_per_company": 14,
            "bank_accounts_per_company": 3,
            "push_delay_seconds": 0.2,
            "sync_delay_seconds": 0.2,
            "unsynced_companies": 1,
            "webhook_timeout_seconds": 1.0,
            "webhook_retries": 1,
        }
        values.update(overrides)
        return cls(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SandboxConfig:
        """Build from SANDBOX_<FIELD> variables (e.g. SANDBOX_COMPANIES=3); others are ignored."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            name = f"SANDBOX_{field.name.upper()}"
            if name not in environ:
                continue
            raw = environ[name]
            parse = _PARSERS[str(field.type)]
            try:
                values[field.name] = parse(raw)
            except ValueError as exc:
                raise ValueError(f"{name}={raw!r} is malformed: {exc}") from None
        try:
            return cls(**values)
        except ValueError as exc:
            raise ValueError(f"SANDBOX_* settings are inconsistent: {exc}") from None

    def __repr__(self) -> str:
        shown = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name not in {"api_key", "webhook_secret", "legacy_authorization"}
        }
        inner = ", ".join(f"{key}={value!r}" for key, value in shown.items())
        return f"SandboxConfig({inner}, secrets=***)"


def _int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("expected a whole number, e.g. 3") from None


def _optional_int(raw: str) -> int | None:
    return None if raw.strip().lower() in {"", "none"} else _int(raw)


def _float(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ValueError("expected a number, e.g. 0.5") from None


def _optional_str(raw: str) -> str | None:
    return raw or None


def _targets(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _date(raw: str) -> date:
    return date.fromisoformat(raw.strip())


_PARSERS: dict[str, Callable[[str], Any]] = {
    "int": _int,
    "int | None": _optional_int,
    "float": _float,
    "str": str,
    "str | None": _optional_str,
    "tuple[str, ...]": _targets,
    "date": _date,
}
