"""The webhook parser: every event kind of both generations, from the payloads in Codat's specs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from gateway.events.bus import EventKind, GatewayEvent
from gateway.events.webhooks import MalformedWebhookError, parse_event
from tests.specs import SPEC_DIR

SPECS = SPEC_DIR
COMPANY = "0498e921-9b53-4396-a412-4f2f5983b0a2"
WRITE_COMPANY = "70af3071-65d9-4ec3-b3cb-5283e8d55dac"
LEGACY_COMPANY = "8a210b68-6988-11ed-a1eb-0242ac120002"


@cache
def _platform_examples() -> dict[str, list[dict[str, Any]]]:
    spec = json.loads((SPECS / "platform-api.json").read_text())
    examples: dict[str, list[dict[str, Any]]] = {}
    for event_type, item in spec["webhooks"].items():
        content = item["post"]["requestBody"]["content"]["application/json"]
        examples[event_type] = [example["value"] for example in content["examples"].values()]
    return examples


def platform(event_type: str, index: int = 0) -> dict[str, Any]:
    """A Platform API webhook example (a copy, safe to edit)."""
    body: dict[str, Any] = copy.deepcopy(_platform_examples()[event_type][index])
    return body


def write_example(data_type: str, outcome: str) -> dict[str, Any]:
    body = platform(f"{{dataType}}.write.{outcome}")
    body["eventType"] = f"{data_type}.write.{outcome}"
    return body


@cache
def _legacy_examples() -> dict[str, dict[str, Any]]:
    text = (SPECS / "webhooks-event-catalogue-2024-10.yaml").read_text()
    schemas = yaml.safe_load(text)["components"]["schemas"]
    found: dict[str, dict[str, Any]] = {}
    for schema in schemas.values():
        for example in schema.get("examples") or []:
            if isinstance(example, dict) and "RuleType" in example:
                found.setdefault(example["RuleType"], example)
    return found


def legacy(rule_type: str) -> dict[str, Any]:
    """A legacy rule webhook example from Codat's event catalogue (a copy)."""
    body: dict[str, Any] = copy.deepcopy(_legacy_examples()[rule_type])
    return body


def parsed(body: object) -> GatewayEvent:
    event = parse_event(body, webhook_id="msg_1")
    assert event is not None
    return event


def test_read_completed_evicts_modified_complete_data_types_and_data_status() -> None:
    # given
    body = platform("read.completed")
    summary = body["payload"]["dataTypes"][0]
    body["payload"]["dataTypes"] = [
        {**summary, "dataType": "bills", "recordsModified": True, "status": "Complete"},
        {**summary, "dataType": "suppliers", "recordsModified": False, "status": "Complete"},
        {**summary, "dataType": "billPayments", "recordsModified": True, "status": "FetchError"},
        {**summary, "dataType": "chartOfAccounts", "recordsModified": True, "status": "Complete"},
    ]

    # when
    event = parsed(body)

    # then
    assert event.kind is EventKind.READ_COMPLETED
    assert event.company_id == COMPANY
    assert event.data_types == ("bills", "chartOfAccounts", "dataStatus")
    assert event.id == "743ec94a-8aa4-44bb-8bd4-e1855ee0e74b"
    assert event.occurred_at == datetime(2022, 10, 23, tzinfo=UTC)
    assert event.event_type == "read.completed"


def test_read_completed_without_modified_records_evicts_only_data_status() -> None:
    event = parsed(platform("read.completed", 1))
    assert event.data_types == ("dataStatus",)


def test_read_completed_with_an_incomplete_data_type_evicts_only_data_status() -> None:
    body = platform("read.completed")
    body["payload"]["dataTypes"][0].update(recordsModified=True, status="Fetching")
    assert parsed(body).data_types == ("dataStatus",)


def test_read_completed_initial_evicts_every_listed_data_type_and_data_status() -> None:
    body = platform("read.completed.initial")
    body["payload"]["dataTypes"].append({"dataType": "accounts", "status": "FetchError"})
    event = parsed(body)
    assert event.kind is EventKind.READ_COMPLETED_INITIAL
    assert event.company_id == COMPANY
    assert event.data_types == ("invoices", "chartOfAccounts", "dataStatus")


@pytest.mark.parametrize(
    ("data_type", "evicted"),
    [
        ("bills", ("bills", "pushOperations")),
        ("billPayments", ("billPayments", "bills", "billCreditNotes", "pushOperations")),
        ("suppliers", ("suppliers", "pushOperations")),
        ("chartOfAccounts", ("chartOfAccounts", "pushOperations")),
    ],
)
def test_a_successful_write_evicts_the_data_type_what_it_stales_and_push_operations(
    data_type: str, evicted: tuple[str, ...]
) -> None:
    event = parsed(write_example(data_type, "successful"))
    assert event.kind is EventKind.WRITE_SUCCESSFUL
    assert event.company_id == WRITE_COMPANY
    assert event.data_types == evicted
    assert event.push_operation_key == "a9367074-b5c3-42c4-9be4-be129f43577e"
    assert event.status == "Success"


def test_an_unsuccessful_write_evicts_only_push_operations() -> None:
    event = parsed(write_example("billPayments", "unsuccessful"))
    assert event.kind is EventKind.WRITE_UNSUCCESSFUL
    assert event.data_types == ("pushOperations",)
    assert event.push_operation_key == "a9367074-b5c3-42c4-9be4-be129f43577e"
    assert event.status is not None


@pytest.mark.parametrize(
    "event_type",
    [
        "connection.created",
        "connection.connected",
        "connection.failed",
        "connection.disconnected",
        "connection.reconnected",
        "connection.deleted",
    ],
)
def test_connection_events_evict_connections_and_companies(event_type: str) -> None:
    event = parsed(platform(event_type))
    assert event.kind is EventKind.CONNECTION_CHANGED
    assert event.company_id == COMPANY
    assert event.data_types == ("connections", "companies")


def test_company_deleted_evicts_everything_of_that_company() -> None:
    event = parsed(platform("company.deleted"))
    assert event.kind is EventKind.COMPANY_DELETED
    assert event.company_id == COMPANY
    assert event.data_types is None


EVICTIONS: list[tuple[Callable[[str], dict[str, Any]], str, EventKind, tuple[str, ...]]] = [
    (platform, "company.created", EventKind.COMPANY_CREATED, ("companies",)),
    (legacy, "Data sync completed", EventKind.DATA_SYNC_COMPLETED, ("dataStatus",)),
    (legacy, "Data Sync Status Changed To Error", EventKind.DATA_SYNC_FAILED, ("dataStatus",)),
    (
        legacy,
        "DataConnectionStatusChanged",
        EventKind.CONNECTION_CHANGED,
        ("connections", "companies"),
    ),
]


@pytest.mark.parametrize(
    ("example", "name", "kind", "data_types"), EVICTIONS, ids=[e[1] for e in EVICTIONS]
)
def test_an_event_is_read_as_its_kind_and_evicts_what_it_makes_stale(
    example: Callable[[str], dict[str, Any]],
    name: str,
    kind: EventKind,
    data_types: tuple[str, ...],
) -> None:
    event = parsed(example(name))
    assert event.kind is kind
    assert event.data_types == data_types


@pytest.mark.parametrize("event_type", ["company.product.added", "company.product.removed"])
def test_events_without_cache_meaning_are_ignored(event_type: str) -> None:
    assert parse_event(platform(event_type)) is None


def test_client_rate_limit_events_are_about_the_client_and_evict_nothing() -> None:
    reached = parsed(platform("client.rateLimit.reached"))
    assert reached.kind is EventKind.RATE_LIMIT_REACHED
    assert reached.company_id is None
    assert reached.data_types == ()
    assert reached.quota_resets_at is not None
    assert reached.quota_resets_at.isoformat() == "2024-09-01T12:14:14+00:00"
    # the spec's reset example has an impossible time ("23:59:99"): read as unknown, not refused
    reset = parsed(platform("client.rateLimit.reset"))
    assert reset.kind is EventKind.RATE_LIMIT_RESET
    assert reset.quota_resets_at is None
    assert GatewayEvent.from_json(reached.to_json()) == reached


@pytest.mark.parametrize(
    ("rule_type", "kind"),
    [
        ("Rate Limit Reached", EventKind.RATE_LIMIT_REACHED),
        ("Rate Limit Reset", EventKind.RATE_LIMIT_RESET),
    ],
)
def test_legacy_client_rate_limit_rules_have_no_company_and_are_read(
    rule_type: str, kind: EventKind
) -> None:
    event = parsed(legacy(rule_type))
    assert event.kind is kind
    assert event.company_id is None
    assert event.quota_resets_at is not None


def test_an_unknown_event_type_is_ignored() -> None:
    body = platform("read.completed")
    body["eventType"] = "invoices.something.new"
    assert parse_event(body) is None


def test_legacy_dataset_data_changed_evicts_that_data_type_and_data_status() -> None:
    body = legacy("Dataset data changed")
    event = parsed(body)
    assert event.kind is EventKind.DATASET_CHANGED
    assert event.company_id == LEGACY_COMPANY
    assert event.data_types == ("invoices", "dataStatus")
    assert event.id == "a9367074-b5c3-42c4-9be4-be129f43577e"
    assert event.event_type == "Dataset data changed"


def test_legacy_dataset_data_changed_without_a_data_type_evicts_the_company() -> None:
    body = legacy("Dataset data changed")
    del body["Data"]
    assert parsed(body).data_types is None


@pytest.mark.parametrize("spelling", ["New company synchronised", "New company synchronized"])
def test_legacy_new_company_synchronized_evicts_the_company(spelling: str) -> None:
    body = legacy("New company synchronised")
    body["RuleType"] = spelling
    event = parsed(body)
    assert event.kind is EventKind.COMPANY_SYNCHRONIZED
    assert event.data_types is None


def test_legacy_push_status_changed_to_success_evicts_like_a_successful_write() -> None:
    body = legacy("Push Operation Status Changed()")
    body["Data"]["dataType"] = "billPayments"
    event = parsed(body)
    assert event.kind is EventKind.PUSH_STATUS_CHANGED
    assert event.data_types == ("billPayments", "bills", "billCreditNotes", "pushOperations")
    assert event.push_operation_key == "c2f8847d-3047-4619-a157-6d947d8e4a73"
    assert event.status == "Success"


def test_legacy_push_status_changed_to_failed_evicts_push_operations() -> None:
    body = legacy("Push Operation Status Changed()")
    body["Data"]["status"] = "Failed"
    assert parsed(body).data_types == ("pushOperations",)


def test_legacy_push_timed_out_evicts_push_operations() -> None:
    event = parsed(legacy("Push Operation Timed Out"))
    assert event.kind is EventKind.PUSH_TIMED_OUT
    assert event.data_types == ("pushOperations",)
    assert event.status == "TimedOut"
    assert event.push_operation_key == "c2f8847d-3047-4619-a157-6d947d8e4a73"


def test_legacy_named_events_of_the_new_service_are_read_as_legacy() -> None:
    body = legacy("Dataset data changed")
    body["RuleType"] = "DatasetDataChanged"
    assert parsed(body).kind is EventKind.DATASET_CHANGED


def test_an_unknown_legacy_rule_is_ignored() -> None:
    assert parse_event(legacy("Sync Completed")) is None


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"eventType": "read.completed", "id": "x"},
        {"eventType": "read.completed", "id": "x", "payload": {"dataTypes": []}},
        {"eventType": 3, "payload": {}},
        {"RuleType": "Dataset data changed", "AlertId": "a"},
    ],
)
def test_malformed_bodies_are_errors(body: object) -> None:
    with pytest.raises(MalformedWebhookError):
        parse_event(body, webhook_id="msg_1")


def test_events_survive_the_trip_through_json() -> None:
    event = parsed(platform("read.completed.initial"))
    assert GatewayEvent.from_json(event.to_json()) == event
    deleted = parsed(platform("company.deleted"))
    assert GatewayEvent.from_json(deleted.to_json()) == deleted
