"""Codat webhooks: verify, dedupe, parse into a GatewayEvent, publish. No Codat calls inline."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
)
from svix.webhooks import Webhook, WebhookVerificationError

from gateway.events.bus import EventBus, EventKind, GatewayEvent
from gateway.events.store import KeyValueStore

log = logging.getLogger("gateway.events.webhooks")

DATA_STATUS = "dataStatus"
PUSH_OPERATIONS = "pushOperations"
CONNECTIONS = "connections"
COMPANIES = "companies"

# A data type written here also changes these (payments change what bills and credit notes owe).
WRITE_ALSO_STALES: dict[str, tuple[str, ...]] = {"billPayments": ("bills", "billCreditNotes")}
# Names that are not cache scopes but mean one (accounts are `chartOfAccounts` as a data type).
SCOPE_ALIASES = {"accounts": "chartOfAccounts"}

LEGACY_RULES: dict[str, EventKind] = {
    "Dataset data changed": EventKind.DATASET_CHANGED,
    "DatasetDataChanged": EventKind.DATASET_CHANGED,
    "Data sync completed": EventKind.DATA_SYNC_COMPLETED,
    "DataSyncCompleted": EventKind.DATA_SYNC_COMPLETED,
    "Data Sync Status Changed To Error": EventKind.DATA_SYNC_FAILED,
    "DataSyncStatusChangedToError": EventKind.DATA_SYNC_FAILED,
    "New company synchronized": EventKind.COMPANY_SYNCHRONIZED,
    "New company synchronised": EventKind.COMPANY_SYNCHRONIZED,
    "NewCompanySynchronized": EventKind.COMPANY_SYNCHRONIZED,
    "Push Operation Status Changed()": EventKind.PUSH_STATUS_CHANGED,
    "PushOperationStatusChanged": EventKind.PUSH_STATUS_CHANGED,
    "Push Operation Timed Out": EventKind.PUSH_TIMED_OUT,
    "PushOperationTimedOut": EventKind.PUSH_TIMED_OUT,
    "DataConnectionStatusChanged": EventKind.CONNECTION_CHANGED,
}
# Legacy rules about the client, not a company (no CompanyId): Codat's quota.
LEGACY_CLIENT_RULES: dict[str, EventKind] = {
    "Rate Limit Reached": EventKind.RATE_LIMIT_REACHED,
    "ClientRateLimitReached": EventKind.RATE_LIMIT_REACHED,
    "Rate Limit Reset": EventKind.RATE_LIMIT_RESET,
    "ClientRateLimitReset": EventKind.RATE_LIMIT_RESET,
}


class MalformedWebhookError(ValueError):
    """The body is JSON but not a webhook we can read (answered 400)."""


def _scope(data_type: str) -> str:
    return SCOPE_ALIASES.get(data_type, data_type)


def _written(data_type: str) -> tuple[str, ...]:
    scope = _scope(data_type)
    return (scope, *WRITE_ALSO_STALES.get(scope, ()), PUSH_OPERATIONS)


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _unique(scopes: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(scopes))


def _lenient_time(value: object) -> datetime | None:
    """Codat's timestamps, or None for anything unreadable (the time is informative only)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


Text = Annotated[str, StringConstraints(min_length=1), Strict()]
"""A non-empty JSON string (no coercion from numbers)."""
Timestamp = Annotated[datetime | None, BeforeValidator(_lenient_time)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


# -- the current (Platform API `webhooks:`) payloads --------------------------------------------


class _ReferenceCompany(_Model):
    id: Text


class _CompanyScoped(_Model):
    reference_company: _ReferenceCompany = Field(alias="referenceCompany")


class _DataTypeSummary(_Model):
    data_type: Text = Field(alias="dataType")
    status: str | None = None
    records_modified: bool | None = Field(default=None, alias="recordsModified")


class _ReadPayload(_CompanyScoped):
    data_types: list[_DataTypeSummary] = Field(alias="dataTypes")


class _WritePayload(_CompanyScoped):
    id: str | None = None
    status: str | None = None


class _CompanyPayload(_Model):
    id: Text


class _Envelope(_Model):
    """What every current event carries: its id, type and time; `payload` by type below."""

    id: str | None = None
    event_type: Text = Field(alias="eventType")
    generated_date: Timestamp = Field(default=None, alias="generatedDate")

    def event(
        self,
        webhook_id: str | None,
        kind: EventKind,
        company_id: str,
        data_types: tuple[str, ...] | None,
        *,
        key: str | None = None,
        status: str | None = None,
    ) -> GatewayEvent:
        event_id = self.id or webhook_id
        if not event_id:
            raise MalformedWebhookError("id is missing")
        return GatewayEvent(
            id=event_id,
            kind=kind,
            company_id=company_id,
            data_types=data_types,
            event_type=self.event_type,
            push_operation_key=key or None,
            status=status or None,
            occurred_at=self.generated_date,
        )


class ReadCompleted(_Envelope):
    """`read.completed` (the data types that completed with modified records are stale) and
    `read.completed.initial` (every listed data type is)."""

    payload: _ReadPayload

    def to_event(self, webhook_id: str | None) -> GatewayEvent:
        entries = self.payload.data_types
        if self.event_type == "read.completed.initial":
            scopes = [_scope(entry.data_type) for entry in entries]
            kind = EventKind.READ_COMPLETED_INITIAL
        else:
            scopes = [
                _scope(entry.data_type)
                for entry in entries
                if entry.status == "Complete" and entry.records_modified is True
            ]
            kind = EventKind.READ_COMPLETED
        company = self.payload.reference_company.id
        return self.event(webhook_id, kind, company, _unique([*scopes, DATA_STATUS]))


class WriteOutcome(_Envelope):
    """`{dataType}.write.successful` / `.write.unsuccessful`: the push's data type is stale."""

    payload: _WritePayload

    def to_event(self, webhook_id: str | None) -> GatewayEvent:
        data_type, _, outcome = self.event_type.rsplit(".", 2)
        if not data_type:
            raise MalformedWebhookError("eventType names no data type")
        company = self.payload.reference_company.id
        key, status = self.payload.id, self.payload.status
        if outcome == "successful":
            kind, scopes = EventKind.WRITE_SUCCESSFUL, _written(data_type)
        else:
            kind, scopes = EventKind.WRITE_UNSUCCESSFUL, (PUSH_OPERATIONS,)
        return self.event(webhook_id, kind, company, scopes, key=key, status=status)


class ConnectionChanged(_Envelope):
    """`connection.*`: the company's connections (and the companies list) are stale."""

    payload: _CompanyScoped

    def to_event(self, webhook_id: str | None) -> GatewayEvent:
        company = self.payload.reference_company.id
        return self.event(
            webhook_id, EventKind.CONNECTION_CHANGED, company, (CONNECTIONS, COMPANIES)
        )


class CompanyCreated(_Envelope):
    payload: _CompanyPayload

    def to_event(self, webhook_id: str | None) -> GatewayEvent:
        company = self.payload.id
        return self.event(webhook_id, EventKind.COMPANY_CREATED, company, (COMPANIES,))


class CompanyDeleted(_Envelope):
    payload: _CompanyPayload

    def to_event(self, webhook_id: str | None) -> GatewayEvent:
        return self.event(webhook_id, EventKind.COMPANY_DELETED, self.payload.id, None)


class _QuotaPayload(_Model):
    daily_quota: int | None = Field(default=None, alias="dailyQuota")
    quota_remaining: int | None = Field(default=None, alias="quotaRemaining")
    expiry_date: Timestamp = Field(default=None, alias="expiryDate")


class ClientRateLimit(_Envelope):
    """`client.rateLimit.reached` / `.reset`: Codat's daily quota is gone (until `expiryDate`)
    or back. About the client, so no company and nothing to evict; every replica's quota gate
    hears it (`gateway/events/quota.py`)."""

    payload: _QuotaPayload = Field(default_factory=_QuotaPayload)

    def to_event(self, webhook_id: str | None) -> GatewayEvent:
        event_id = self.id or webhook_id
        if not event_id:
            raise MalformedWebhookError("id is missing")
        reached = self.event_type == "client.rateLimit.reached"
        return GatewayEvent(
            id=event_id,
            kind=EventKind.RATE_LIMIT_REACHED if reached else EventKind.RATE_LIMIT_RESET,
            company_id=None,
            data_types=(),
            event_type=self.event_type,
            occurred_at=self.generated_date,
            quota_resets_at=self.payload.expiry_date,
        )


class Ignored(_Envelope):
    """An event with no meaning for the caches (products, types not known yet)."""

    def to_event(self, webhook_id: str | None) -> None:
        return None


def _event_tag(body: object) -> str | None:
    """Which model reads an event, from its `eventType` (None: not an event at all)."""
    event_type = body.get("eventType") if isinstance(body, dict) else None
    if not isinstance(event_type, str) or not event_type:
        return None
    if event_type in {"read.completed", "read.completed.initial"}:
        return "read"
    if event_type.endswith((".write.successful", ".write.unsuccessful")):
        return "write"
    if event_type.startswith("connection."):
        return "connection"
    if event_type in {"company.created", "company.deleted"}:
        return event_type
    if event_type in {"client.rateLimit.reached", "client.rateLimit.reset"}:
        return "client.rateLimit"
    return "ignored"


PlatformEvent = Annotated[
    Annotated[ReadCompleted, Tag("read")]
    | Annotated[WriteOutcome, Tag("write")]
    | Annotated[ConnectionChanged, Tag("connection")]
    | Annotated[CompanyCreated, Tag("company.created")]
    | Annotated[CompanyDeleted, Tag("company.deleted")]
    | Annotated[ClientRateLimit, Tag("client.rateLimit")]
    | Annotated[Ignored, Tag("ignored")],
    Discriminator(_event_tag),
]
"""A current webhook body: a union discriminated on its event type."""

_PLATFORM: TypeAdapter[PlatformEvent] = TypeAdapter(PlatformEvent)


# -- the legacy rule-based payloads (webhooks-event-catalogue-2024-10) ---------------------------


def _object_or_empty(value: object) -> object:
    """A legacy `Data` that is not a JSON object reads as an empty one."""
    return value if isinstance(value, dict) else {}


_OBJECT_OR_EMPTY = BeforeValidator(_object_or_empty)


def _alert_id(alert_id: str | None, webhook_id: str | None) -> str:
    """The event's id: the alert's own, else the webhook's (one of them is required)."""
    event_id = alert_id or webhook_id
    if not event_id:
        raise MalformedWebhookError("AlertId is missing")
    return event_id


class _LegacyData(_Model):
    data_type: str | None = Field(default=None, alias="dataType")
    status: str | None = None
    push_operation_key: str | None = Field(default=None, alias="pushOperationKey")
    new_status: str | None = Field(default=None, alias="newStatus")


class LegacyWebhook(_Model):
    rule_type: Text = Field(alias="RuleType")
    company_id: Text = Field(alias="CompanyId")
    alert_id: str | None = Field(default=None, alias="AlertId")
    data: Annotated[_LegacyData, _OBJECT_OR_EMPTY] = Field(
        default_factory=_LegacyData, alias="Data"
    )

    def to_event(self, webhook_id: str | None) -> GatewayEvent | None:
        kind = LEGACY_RULES.get(self.rule_type)
        if kind is None:
            return None
        event_id = _alert_id(self.alert_id, webhook_id)
        data = self.data
        status, key, data_type = data.status or None, data.push_operation_key or None, None
        if data.data_type is not None:
            if not data.data_type:
                raise MalformedWebhookError("Data.dataType is empty")
            data_type = data.data_type
        scopes: tuple[str, ...] | None
        if kind is EventKind.DATASET_CHANGED:
            # Without a data type, what changed is unknown: all of that company is stale.
            scopes = None if data_type is None else _unique([_scope(data_type), DATA_STATUS])
        elif kind in {EventKind.DATA_SYNC_COMPLETED, EventKind.DATA_SYNC_FAILED}:
            scopes = (DATA_STATUS,)
        elif kind is EventKind.COMPANY_SYNCHRONIZED:
            scopes = None
        elif kind is EventKind.PUSH_STATUS_CHANGED:
            if status != "Success":
                scopes = (PUSH_OPERATIONS,)
            else:
                scopes = None if data_type is None else _written(data_type)
        elif kind is EventKind.PUSH_TIMED_OUT:
            scopes = (PUSH_OPERATIONS,)
            status = status or "TimedOut"
        else:
            scopes = (CONNECTIONS, COMPANIES)
            status = data.new_status or None
        return GatewayEvent(
            id=event_id,
            kind=kind,
            company_id=self.company_id,
            data_types=scopes,
            event_type=self.rule_type,
            push_operation_key=key,
            status=status,
        )


class _LegacyQuotaData(_Model):
    expires_utc: Timestamp = Field(default=None, alias="ExpiresUtc")


class LegacyRateLimit(_Model):
    """The catalogue's ClientRateLimitReached / ClientRateLimitReset: no CompanyId."""

    rule_type: Text = Field(alias="RuleType")
    alert_id: str | None = Field(default=None, alias="AlertId")
    data: Annotated[_LegacyQuotaData, _OBJECT_OR_EMPTY] = Field(
        default_factory=_LegacyQuotaData, alias="Data"
    )

    def to_event(self, webhook_id: str | None) -> GatewayEvent:
        event_id = _alert_id(self.alert_id, webhook_id)
        return GatewayEvent(
            id=event_id,
            kind=LEGACY_CLIENT_RULES[self.rule_type],
            company_id=None,
            data_types=(),
            event_type=self.rule_type,
            quota_resets_at=self.data.expires_utc,
        )


def parse_event(body: object, *, webhook_id: str | None = None) -> GatewayEvent | None:
    """The event a webhook body describes, or None for events the gateway has no use for."""
    try:
        if isinstance(body, dict) and body.get("RuleType") in LEGACY_CLIENT_RULES:
            return LegacyRateLimit.model_validate(body).to_event(webhook_id)
        if isinstance(body, dict) and "RuleType" in body:
            return LegacyWebhook.model_validate(body).to_event(webhook_id)
        if not isinstance(body, dict):
            raise MalformedWebhookError("body is not a JSON object")
        return _PLATFORM.validate_python(body).to_event(webhook_id)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise MalformedWebhookError(f"{where}: {first['msg']}") from None


@dataclass(frozen=True, kw_only=True)
class WebhookConfig:
    secret: str | None
    legacy_authorization: str | None
    max_body_bytes: int
    dedupe_seconds: float


class _RejectedError(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def _reply(status: int, **body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status)


class WebhookReceiver:
    """Turns one HTTP delivery into at most one published event."""

    def __init__(
        self,
        config: WebhookConfig,
        *,
        store: KeyValueStore,
        bus: EventBus,
        observe: Callable[[str, str], None] | None = None,
    ) -> None:
        self._config = config
        self._observe = observe
        """Told (event type, verdict) of every delivery: for metrics."""
        self._verifier = None if config.secret is None else Webhook(config.secret)
        self._store = store
        self._bus = bus
        self.accepted = 0
        self.duplicates = 0
        self.rejected = 0
        self.ignored = 0

    async def _read_body(self, request: Request) -> bytes:
        limit = self._config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _RejectedError(413, f"body larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _RejectedError(413, f"body larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _authenticate(self, raw: bytes, headers: Mapping[str, str]) -> tuple[str | None, str]:
        """(webhook id, replay token) for a signed delivery; (None, "") for a legacy one."""
        signature = headers.get("webhook-signature") or headers.get("svix-signature")
        if signature is not None:
            if self._verifier is None:
                raise _RejectedError(401, "signed webhooks are not configured (WEBHOOK_SECRET)")
            try:
                # The signature covers the text; the verifier decodes it and would raise.
                raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _RejectedError(400, "body is not UTF-8 (webhooks are UTF-8 JSON)") from None
            try:
                self._verifier.verify(raw, dict(headers))
            except WebhookVerificationError as exc:
                raise _RejectedError(401, f"signature rejected: {exc}") from None
            webhook_id = headers.get("svix-id") or headers.get("webhook-id") or ""
            token = headers.get("svix-timestamp") or headers.get("webhook-timestamp") or ""
            return webhook_id, token
        given = headers.get("authorization")
        expected = self._config.legacy_authorization
        if given is None or expected is None:
            raise _RejectedError(401, "no webhook signature")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise _RejectedError(401, "authorization rejected")
        return None, ""

    async def receive(self, request: Request) -> JSONResponse:
        response, event_type, verdict = await self._receive(request)
        if self._observe is not None:
            self._observe(event_type, verdict)
        return response

    async def _receive(self, request: Request) -> tuple[JSONResponse, str, str]:
        """The reply, the event type (`unknown` when unauthenticated) and the verdict."""
        try:
            raw = await self._read_body(request)
            webhook_id, token = self._authenticate(raw, request.headers)
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError):
                raise _RejectedError(400, "body is not JSON") from None
            try:
                event = parse_event(body, webhook_id=webhook_id)
            except MalformedWebhookError as exc:
                raise _RejectedError(400, str(exc)) from None
        except _RejectedError as rejected:
            self.rejected += 1
            log.warning("webhook rejected (%d): %s", rejected.status, rejected.error)
            return _reply(rejected.status, error=rejected.error), "unknown", "rejected"
        event_type = str(body.get("eventType") or body.get("RuleType"))
        dedupe_id = webhook_id or (event.id if event is not None else None)
        if dedupe_id is None:
            dedupe_id = _optional_text(body.get("id")) or _optional_text(body.get("AlertId"))
        if dedupe_id is not None:
            key = f"webhook:{dedupe_id}"
            if not await self._store.add(key, token, self._config.dedupe_seconds):
                if token and await self._store.get(key) == token:
                    self.rejected += 1
                    log.warning("webhook %s rejected (401): replayed delivery", dedupe_id)
                    return _reply(401, error="replayed delivery"), "unknown", "rejected"
                self.duplicates += 1
                log.info("webhook %s (%s) already received: ignored", dedupe_id, event_type)
                return _reply(200, accepted=True, duplicate=True), event_type, "duplicate"
        if event is None:
            self.ignored += 1
            log.info("webhook %s of type %s acknowledged and ignored", dedupe_id, event_type)
            reply = _reply(200, accepted=True, ignored=True, eventType=event_type)
            return reply, event_type, "ignored"
        try:
            await self._bus.publish(event)
        except BaseException:
            if dedupe_id is not None:
                await self._store.delete(f"webhook:{dedupe_id}")
            raise
        self.accepted += 1
        log.info(
            "webhook %s: %s for company %s evicts %s",
            event.id,
            event.event_type,
            event.company_id,
            "everything" if event.data_types is None else ",".join(event.data_types),
        )
        reply = _reply(200, accepted=True, kind=event.kind.value, eventType=event.event_type)
        return reply, event_type, "accepted"


def webhooks_router(receiver: WebhookReceiver) -> APIRouter:
    """`POST /webhooks/codat`, answered by `receiver`."""
    router = APIRouter()

    @router.post("/webhooks/codat", include_in_schema=False)
    async def codat_webhook(request: Request) -> JSONResponse:
        return await receiver.receive(request)

    return router
