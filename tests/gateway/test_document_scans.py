"""The edge's scans of documents before parsing: kept for short documents, bounded."""

from __future__ import annotations

from graphql import OperationType

from gateway.edge import documents
from gateway.edge.documents import (
    MEMO_MAX_DOCUMENT_CHARS,
    MEMO_MAX_ENTRIES,
    memo_bound,
    memo_size,
    scan_document,
)

DASHBOARD = "query Dashboard($n: Int!) { companies(first: $n) { nodes { name } } }"


def test_a_document_sent_again_is_scanned_once_and_answers_alike() -> None:
    # given: a document scanned once
    first = scan_document(DASHBOARD, 3000)
    # when: it comes again (another request, another part of the edge)
    again = scan_document(DASHBOARD, 3000)
    # then: the kept scan, equal to a scan made afresh
    assert again is first
    assert first == documents._scan(DASHBOARD, 3000)
    assert first.operations == {"Dashboard": OperationType.QUERY}
    assert first.tokens == 24
    assert not first.too_many


def test_the_limit_is_part_of_what_is_kept() -> None:
    assert scan_document(DASHBOARD, 5).too_many
    assert not scan_document(DASHBOARD, 3000).too_many


def test_the_memo_keeps_at_most_its_entries_and_no_long_document() -> None:
    # when: more distinct short documents than the memo keeps, and a long one twice
    for i in range(MEMO_MAX_ENTRIES + 100):
        scan_document(f"{{ __typename }} # {i}", 3000)
    long = "{ __typename } #" + "x" * MEMO_MAX_DOCUMENT_CHARS
    # then: the long one is scanned each time, never kept
    assert scan_document(long, 3000) is not scan_document(long, 3000)
    entries, chars = memo_size()
    assert entries == MEMO_MAX_ENTRIES
    assert chars <= MEMO_MAX_ENTRIES * MEMO_MAX_DOCUMENT_CHARS
    assert all(len(query) <= MEMO_MAX_DOCUMENT_CHARS for query, _ in documents._memo)
    bound = memo_bound()
    assert (bound.holder, bound.entries, bound.max_entries) == ("documents", entries, entries)
    assert bound.bytes == chars <= bound.max_bytes
