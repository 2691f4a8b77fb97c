"""Every walk through Codat's pages is bounded and self-checking: calls counted, not only errors.

The fake fetches below answer as Codat's envelope says they do (`parse_page` on a raw body), so
each test asserts how many pages were asked for before the walk stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from gateway.codat.config import WalkLimits
from gateway.codat.deadline import operation_deadline
from gateway.codat.errors import (
    CodatDeadlineExceeded,
    CodatInconsistentPaging,
    CodatInvalidRecord,
    CodatInvalidResponse,
    CodatTooManyPages,
)
from gateway.codat.models import BillPayment
from gateway.codat.paging import Page, iter_items, iter_pages, parse_page
from schema.errors import error_extensions

Body = dict[str, Any]


def _record(number: int) -> Body:
    return {"id": f"p{number}", "date": "2026-11-01T00:00:00", "totalAmount": 1}


def envelope(
    page: int, page_size: int, total: int, *, results: int | None = None, next_link: bool = True
) -> Body:
    """A Codat list body; `results` defaults to what the totals put on `page`."""
    count = max(0, min(page_size, total - (page - 1) * page_size)) if results is None else results
    links: Body = {"self": {"href": "/x"}, "current": {"href": f"/x?page={page}"}}
    if next_link:
        links["next"] = {"href": f"/x?page={page + 1}"}
    start = (page - 1) * page_size
    return {
        "results": [_record(start + i) for i in range(count)],
        "pageNumber": page,
        "pageSize": page_size,
        "totalResults": total,
        "_links": links,
    }


class FakeCodat:
    """Counts the pages asked for; `answer(page)` is the raw body Codat sends back."""

    def __init__(self, answer: Callable[[int], Body], delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.asked: list[int] = []

    async def fetch(self, page: int) -> Page[BillPayment]:
        self.asked.append(page)
        if self.delay:
            await asyncio.sleep(self.delay)
        return parse_page(self.answer(page), BillPayment, data_type="billPayments")


async def _drain(codat: FakeCodat, limits: WalkLimits | None = None) -> list[BillPayment]:
    return [
        item
        async for item in iter_items(
            codat.fetch, limits=limits or WalkLimits(), data_type="billPayments"
        )
    ]


async def test_an_honest_list_is_read_in_exactly_its_pages() -> None:
    codat = FakeCodat(lambda page: envelope(page, 10, 95, next_link=page < 10))
    records = await _drain(codat)
    assert len(records) == 95
    assert codat.asked == list(range(1, 11))


async def test_prisms_page_one_of_98_forever_stops_at_the_second_call() -> None:
    # What Prism serving Codat's v1 spec answers to every page: page 1 of 98, with a next link.
    codat = FakeCodat(lambda page: envelope(1, 2, 98))
    with pytest.raises(CodatInconsistentPaging) as caught:
        await _drain(codat)
    assert codat.asked == [1, 2]
    assert "asked for page 2, it answered page 1" in str(caught.value)
    assert caught.value.data_type == "billPayments"


async def test_a_next_link_past_the_last_page_the_totals_allow_stops_the_walk() -> None:
    # Pages advance honestly but the next link never goes away: ceil(25/10) = 3 pages at most.
    codat = FakeCodat(lambda page: envelope(page, 10, 25, results=10 if page < 3 else 5))
    with pytest.raises(CodatInconsistentPaging) as caught:
        await _drain(codat)
    assert codat.asked == [1, 2, 3]
    assert "make page 3 the last" in str(caught.value)


async def test_pages_that_keep_claiming_more_are_capped_by_the_first_pages_totals() -> None:
    # Each page says the list grew: the cap stays what the first page allowed (ceil(30/10) = 3).
    codat = FakeCodat(lambda page: envelope(page, 10, 20 + page * 10))
    with pytest.raises(CodatInconsistentPaging):
        await _drain(codat)
    assert codat.asked == [1, 2, 3]


async def test_an_empty_page_with_a_next_link_stops_the_walk() -> None:
    codat = FakeCodat(lambda page: envelope(page, 10, 100, results=10 if page == 1 else 0))
    with pytest.raises(CodatInconsistentPaging) as caught:
        await _drain(codat)
    assert codat.asked == [1, 2]
    assert "empty and has a next link" in str(caught.value)


async def test_a_list_needing_more_pages_than_the_ceiling_is_refused_after_one_call() -> None:
    codat = FakeCodat(lambda page: envelope(page, 2, 4658))  # Prism's Sage example: 2,329 pages
    with pytest.raises(CodatTooManyPages) as caught:
        await _drain(codat, WalkLimits(max_pages=50))
    assert codat.asked == [1]
    assert (caught.value.pages, caught.value.max_pages) == (2329, 50)


@pytest.mark.parametrize("max_pages", [1, 3, 50])
async def test_the_ceiling_bounds_every_walk_whatever_codat_says(max_pages: int) -> None:
    # Exactly at the ceiling is allowed; one record more is refused; calls never exceed it.
    at_ceiling = FakeCodat(
        lambda page: envelope(page, 5, 5 * max_pages, next_link=page < max_pages)
    )
    assert len(await _drain(at_ceiling, WalkLimits(max_pages=max_pages))) == 5 * max_pages
    assert len(at_ceiling.asked) == max_pages

    over = FakeCodat(lambda page: envelope(page, 5, 5 * max_pages + 1))
    with pytest.raises(CodatTooManyPages):
        await _drain(over, WalkLimits(max_pages=max_pages))
    assert over.asked == [1]


async def test_a_page_whose_records_overrun_its_totals_is_inconsistent() -> None:
    with pytest.raises(CodatInconsistentPaging, match="past its totalResults 3"):
        parse_page(envelope(1, 100, 3, results=4, next_link=False), BillPayment)
    with pytest.raises(CodatInconsistentPaging, match="over its pageSize"):
        parse_page(envelope(1, 2, 10, results=3), BillPayment)
    with pytest.raises(CodatInconsistentPaging, match="pageSize 0"):
        parse_page(envelope(1, 0, 0, results=0), BillPayment)


async def test_a_page_answering_another_page_than_asked_is_inconsistent() -> None:
    # Prism's example connections page says page 0 of pageSize 0.
    with pytest.raises(CodatInconsistentPaging, match="asked for page 1, it answered page 0"):
        parse_page(envelope(0, 0, 0, results=0), BillPayment, page=1)


async def test_the_operation_deadline_stops_a_slow_walk_between_pages() -> None:
    codat = FakeCodat(lambda page: envelope(page, 1, 40, next_link=page < 40), delay=0.05)
    started = time.monotonic()
    with operation_deadline(0.22), pytest.raises(CodatDeadlineExceeded) as caught:
        await _drain(codat)
    elapsed = time.monotonic() - started
    assert elapsed < 0.5
    assert 3 <= len(codat.asked) <= 5  # 0.22 s of 0.05 s pages, the last one cut short
    assert caught.value.seconds == 0.22
    assert caught.value.pages_read == len(codat.asked) - 1


async def test_the_deadline_cancels_a_page_that_is_still_in_flight() -> None:
    codat = FakeCodat(lambda page: envelope(page, 10, 20), delay=30)
    started = time.monotonic()
    with operation_deadline(0.1), pytest.raises(CodatDeadlineExceeded):
        await _drain(codat)
    assert time.monotonic() - started < 0.5
    assert codat.asked == [1]


async def test_a_walk_outside_any_operation_has_a_deadline_of_its_own() -> None:
    codat = FakeCodat(lambda page: envelope(page, 1, 40, next_link=page < 40), delay=0.05)
    with pytest.raises(CodatDeadlineExceeded):
        await _drain(codat, WalkLimits(deadline_seconds=0.12))
    assert len(codat.asked) <= 3


async def test_a_passed_deadline_makes_no_call_at_all() -> None:
    codat = FakeCodat(lambda page: envelope(page, 10, 20))
    with operation_deadline(0.01):
        await asyncio.sleep(0.02)
        with pytest.raises(CodatDeadlineExceeded):
            await _drain(codat)
    assert codat.asked == []


async def test_a_consumer_that_stops_early_fetches_no_further_page() -> None:
    codat = FakeCodat(lambda page: envelope(page, 10, 100, next_link=page < 10))
    async for page in iter_pages(codat.fetch):
        assert page.page_number == 1
        break
    assert codat.asked == [1]


def test_a_record_missing_required_fields_names_the_data_type_record_and_field() -> None:
    # Prism's example bill payment: no `id`, no `date` (both required by Codat's v1 spec).
    body = envelope(1, 10, 2, results=2, next_link=False)
    del body["results"][1]["id"]
    del body["results"][1]["date"]
    with pytest.raises(CodatInvalidRecord) as caught:
        parse_page(body, BillPayment, data_type="billPayments", company_id="c1", page=1)
    error = caught.value
    assert (error.data_type, error.record, error.field) == ("billPayments", "#1", "id")
    assert "billPayments record #1" in str(error)
    assert "date" in str(error)

    message, extensions = error_extensions(error)
    assert message == error.message
    assert extensions == {
        "code": "UPSTREAM_INVALID_RESPONSE",
        "dataType": "billPayments",
        "record": "#1",
        "field": "id",
        "companyId": "c1",
    }


def test_a_record_with_an_id_is_named_by_it() -> None:
    body = envelope(1, 10, 1, results=1, next_link=False)
    body["results"][0]["totalAmount"] = "lots"
    with pytest.raises(CodatInvalidRecord) as caught:
        parse_page(body, BillPayment, data_type="billPayments")
    assert (caught.value.record, caught.value.field) == ("p0", "totalAmount")


def test_an_envelope_without_its_required_fields_is_an_invalid_response() -> None:
    with pytest.raises(CodatInvalidResponse, match="totalResults"):
        parse_page({"results": [], "pageNumber": 1, "pageSize": 10}, BillPayment)
    with pytest.raises(CodatInvalidResponse, match="not a paging envelope"):
        parse_page([], BillPayment)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (
            CodatInconsistentPaging("x", data_type="bills", page=2),
            "UPSTREAM_INVALID_RESPONSE",
        ),
        (
            CodatTooManyPages("x", data_type="bills", pages=60, max_pages=50),
            "UPSTREAM_TOO_MANY_PAGES",
        ),
        (
            CodatDeadlineExceeded("x", data_type="bills", seconds=1.0, pages_read=3),
            "UPSTREAM_DEADLINE_EXCEEDED",
        ),
    ],
)
def test_each_bound_has_its_own_graphql_code(error: Exception, code: str) -> None:
    message, extensions = error_extensions(error)
    assert message == "x"
    assert extensions["code"] == code
    assert extensions["dataType"] == "bills"
