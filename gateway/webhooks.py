"""Codat webhooks: verify, dedupe, parse into a GatewayEvent, publish. No Codat calls inline."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from svix.webhooks import Webhook, WebhookVerificationError

from gateway.events import EventBus, EventKind, GatewayEvent
from gateway.store import KeyValueStore

log = logging.getLogger("gateway.webhooks")

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


class MalformedWebhookError(ValueError):
    """The body is JSON but not a webhook we can read (answered 400)."""


def _scope(data_type: object) -> str:
    if not isinstance(data_type, str) or not data_type:
        raise MalformedWebhookError("dataType is missing or not a string")
    return SCOPE_ALIASES.get(data_type, data_type)


def _written(data_type: object) -> tuple[str, ...]:
    scope = _scope(data_type)
    return (scope, *WRITE_ALSO_STALES.get(scope, ()), PUSH_OPERATIONS)


def _object(value: object, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedWebhookError(f"{name} is missing or not an object")
    return value


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedWebhookError(f"{name} is missing or not a string")
    return value


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _unique(scopes: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(scopes))


def parse_event(body: object, *, webhook_id: str | None = None) -> GatewayEvent | None:
    """The event a webhook body describes, or None for events the gateway has no use for."""
    if not isinstance(body, dict):
        raise MalformedWebhookError("body is not a JSON object")
    if "RuleType" in body:
        return _parse_legacy(body, webhook_id)
    event_type = _text(body.get("eventType"), "eventType")
    event_id = _optional_text(body.get("id")) or webhook_id
    if event_id is None:
        raise MalformedWebhookError("id is missing")
    payload = _object(body.get("payload"), "payload")
    occurred_at = _timestamp(body.get("generatedDate"))

    def event(
        kind: EventKind,
        company_id: str,
        data_types: tuple[str, ...] | None,
        *,
        key: str | None = None,
        status: str | None = None,
    ) -> GatewayEvent:
        return GatewayEvent(
            id=event_id,
            kind=kind,
            company_id=company_id,
            data_types=data_types,
            event_type=event_type,
            push_operation_key=key,
            status=status,
            occurred_at=occurred_at,
        )

    def company() -> str:
        reference = _object(payload.get("referenceCompany"), "payload.referenceCompany")
        return _text(reference.get("id"), "payload.referenceCompany.id")

    if event_type in {"read.completed", "read.completed.initial"}:
        entries = payload.get("dataTypes")
        if not isinstance(entries, list):
            raise MalformedWebhookError("payload.dataTypes is missing or not a list")
        summaries = [_object(entry, "payload.dataTypes[]") for entry in entries]
        if event_type == "read.completed.initial":
            scopes = [_scope(entry.get("dataType")) for entry in summaries]
            kind = EventKind.READ_COMPLETED_INITIAL
        else:
            scopes = [
                _scope(entry.get("dataType"))
                for entry in summaries
                if entry.get("status") == "Complete" and entry.get("recordsModified") is True
            ]
            kind = EventKind.READ_COMPLETED
        return event(kind, company(), _unique([*scopes, DATA_STATUS]))
    if event_type.endswith((".write.successful", ".write.unsuccessful")):
        data_type, _, outcome = event_type.rsplit(".", 2)
        key = _optional_text(payload.get("id"))
        status = _optional_text(payload.get("status"))
        if outcome == "successful":
            return event(
                EventKind.WRITE_SUCCESSFUL, company(), _written(data_type), key=key, status=status
            )
        _scope(data_type)
        return event(
            EventKind.WRITE_UNSUCCESSFUL, company(), (PUSH_OPERATIONS,), key=key, status=status
        )
    if event_type.startswith("connection."):
        return event(EventKind.CONNECTION_CHANGED, company(), (CONNECTIONS, COMPANIES))
    if event_type == "company.deleted":
        return event(EventKind.COMPANY_DELETED, _text(payload.get("id"), "payload.id"), None)
    if event_type == "company.created":
        return event(
            EventKind.COMPANY_CREATED, _text(payload.get("id"), "payload.id"), (COMPANIES,)
        )
    return None


def _parse_legacy(body: dict[str, Any], webhook_id: str | None) -> GatewayEvent | None:
    rule = _text(body.get("RuleType"), "RuleType")
    kind = LEGACY_RULES.get(rule)
    if kind is None:
        return None
    company_id = _text(body.get("CompanyId"), "CompanyId")
    event_id = _optional_text(body.get("AlertId")) or webhook_id
    if event_id is None:
        raise MalformedWebhookError("AlertId is missing")
    data = body.get("Data") if isinstance(body.get("Data"), dict) else {}
    assert isinstance(data, dict)
    status = _optional_text(data.get("status"))
    key = _optional_text(data.get("pushOperationKey"))
    scopes: tuple[str, ...] | None
    data_type = data.get("dataType")
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
        status = _optional_text(data.get("newStatus"))
    return GatewayEvent(
        id=event_id,
        kind=kind,
        company_id=company_id,
        data_types=scopes,
        event_type=rule,
        push_operation_key=key,
        status=status,
    )


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


router = APIRouter()


@router.post("/webhooks/codat", include_in_schema=False)
async def codat_webhook(request: Request) -> JSONResponse:
    receiver: WebhookReceiver = request.app.state.webhooks
    return await receiver.receive(request)
