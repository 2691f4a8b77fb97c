"""Relay windows mapped onto Codat pages: one page whenever one page can cover the window."""

from __future__ import annotations

import pytest

from gateway.reads.pagination import (
    CursorError,
    Window,
    backward_window,
    decode_cursor,
    encode_cursor,
    forward_window,
    plan_pages,
)


@pytest.mark.parametrize(
    ("start", "stop"), [(0, 10), (10, 20), (5, 25), (37, 41), (0, 1), (999, 1000), (120, 130)]
)
def test_a_window_is_covered_by_one_page_that_contains_exactly_it(start: int, stop: int) -> None:
    [plan] = plan_pages(Window(start, stop))
    first_record = (plan.page - 1) * plan.page_size + plan.skip
    assert first_record == start
    assert plan.take == stop - start
    assert plan.skip + plan.take <= plan.page_size


def test_a_window_aligned_to_its_size_asks_for_exactly_that_page() -> None:
    [plan] = plan_pages(Window(20, 30))
    assert (plan.page, plan.page_size, plan.skip) == (3, 10, 0)


def test_a_window_beyond_the_largest_page_is_split_into_consecutive_pages() -> None:
    plans = plan_pages(Window(4999, 5003), max_page_size=5000)
    covered = [(p.page - 1) * p.page_size + p.skip for p in plans]
    assert covered[0] == 4999
    assert sum(p.take for p in plans) == 4


def test_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    assert decode_cursor(encode_cursor(42)) == 42
    for bad in ["nope", encode_cursor(1)[:-2] + "zz", "b2Zmc2V0Oi0x"]:
        with pytest.raises(CursorError):
            decode_cursor(bad)


def test_forward_and_backward_windows() -> None:
    assert forward_window(10, None) == Window(0, 10)
    assert forward_window(10, encode_cursor(9)) == Window(10, 20)
    assert backward_window(5, None, total=12) == Window(7, 12)
    assert backward_window(5, encode_cursor(3), total=12) == Window(0, 3)
