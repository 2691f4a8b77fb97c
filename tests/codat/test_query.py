"""The query builder, the raw-query validator, id chunking and ordering."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import quote

import pytest

from gateway.codat.errors import CodatError, CodatQueryError
from gateway.codat.query import (
    MAX_QUERY_LENGTH,
    OrderBy,
    encoded_length,
    id_chunks,
    parse_query,
    query_param,
    validate_query,
    where,
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (where("status").eq("Open"), "status=Open"),
        (where("status").ne("Void"), "status!=Void"),
        (where("supplierRef.supplierName").contains("acme"), "supplierRef.supplierName~acme"),
        (where("amountDue").gt(0), "amountDue>0"),
        (where("dueDate").lt(date(2023, 6, 30)), "dueDate<2023-06-30"),
        (where("totalAmount").ge(Decimal("100.50")), "totalAmount>=100.50"),
        (where("totalAmount").le(Decimal("1E+2")), "totalAmount<=100"),
        (where("metadata.isDeleted").ne(True), "metadata.isDeleted!=true"),
        (where("isBankAccount").eq(False), "isBankAccount=false"),
    ],
)
def test_every_operator_renders_like_codats_examples(condition: object, expected: str) -> None:
    assert str(condition) == expected


def test_datetimes_render_in_utc_with_z_or_without_zone_when_naive() -> None:
    aware = datetime(2023, 12, 15, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    assert (
        str(where("sourceModifiedDate").gt(aware)) == "sourceModifiedDate>2023-12-15T00:00:00.000Z"
    )
    naive = datetime(2021, 11, 15, 1, 0)
    assert str(where("modifiedDate").ge(naive)) == "modifiedDate>=2021-11-15T01:00:00"


def test_groups_get_braces_only_where_and_meets_or() -> None:
    june = where("dueDate").gt(date(2023, 6, 1)) & where("dueDate").lt(date(2023, 6, 30))
    assert str(june) == "dueDate>2023-06-01&&dueDate<2023-06-30"
    either = where("totalAmount").gt(100) | where("totalAmount").lt(50)
    assert (
        str(either & where("status").ne("Paid"))
        == "{totalAmount>100||totalAmount<50}&&status!=Paid"
    )
    assert str(june | where("amountDue").gt(0)) == (
        "{dueDate>2023-06-01&&dueDate<2023-06-30}||amountDue>0"
    )
    flat = where("a").eq(1) & (where("b").eq(2) & where("c").eq(3))
    assert str(flat) == "a=1&&b=2&&c=3"


@pytest.mark.parametrize(
    "value",
    [
        "a&&b",
        "a||b",
        "{x",
        "x}",
        "a=b",
        "a!b",
        "a<b",
        "a>b",
        "a~b",
        "a&b",
        "a|b",
        "",
        " lead",
        "x\n",
    ],
)
def test_values_the_language_cannot_carry_are_refused(value: str) -> None:
    with pytest.raises(CodatQueryError):
        where("reference").eq(value)


def test_refusals_are_value_errors_in_the_codat_tree() -> None:
    with pytest.raises(ValueError, match="cannot carry") as caught:
        where("note").contains("fish & chips")
    assert isinstance(caught.value, CodatError)


def test_operators_are_refused_on_types_codat_does_not_compare() -> None:
    with pytest.raises(CodatQueryError):
        where("amountDue").contains(5)  # type: ignore[arg-type]
    with pytest.raises(CodatQueryError):
        where("isBankAccount").gt(True)
    with pytest.raises(CodatQueryError):
        where("amountDue").eq(0.1)  # type: ignore[arg-type]
    with pytest.raises(CodatQueryError):
        where("amountDue").eq(Decimal("NaN"))
    with pytest.raises(CodatQueryError):
        where("not a path").eq(1)


def test_a_query_of_2048_encoded_characters_is_refused() -> None:
    prefix = encoded_length("reference=")
    value = "x" * (MAX_QUERY_LENGTH - 1 - prefix)
    assert encoded_length(where("reference").eq(value).render()) == MAX_QUERY_LENGTH - 1
    with pytest.raises(CodatQueryError, match="fewer than 2048"):
        where("reference").eq(value + "x").render()


def test_the_limit_counts_url_encoded_characters() -> None:
    # Each slash encodes to three characters: short enough raw, too long once encoded.
    value = "a/" * 600 + "b"
    assert len(f"reference={value}") < MAX_QUERY_LENGTH
    with pytest.raises(CodatQueryError):
        where("reference").eq(value).render()
    assert encoded_length("a b") == len(quote("a b", safe="")) == 5


@pytest.mark.parametrize(
    "text",
    [
        "status=Open",
        "{totalAmount > 100 || totalAmount < 50} && status != paid",
        "supplierRef.supplierName=Acme Ltd",
        "dueDate>2023-06-01&&dueDate<2023-06-30",
        "{{a=1}}",
    ],
)
def test_valid_raw_queries_pass_validation(text: str) -> None:
    assert validate_query(f"  {text} ") == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("{status=Open", "never closed"),
        ("status=Open}", "unexpected"),
        ("status=Open||", "ends where"),
        ("&&status=Open", "expected a clause"),
        ("a=1||b=2&&c=3", "needs braces"),
        ("status", "path<op>value"),
        ("status==Open", "cannot carry"),
        ("lineItems.0.amount=1", "property path"),
        ("{}", "expected a clause"),
    ],
)
def test_invalid_raw_queries_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(CodatQueryError, match=problem):
        validate_query(text)


def test_a_parsed_query_renders_canonically_and_combines() -> None:
    parsed = parse_query("{ totalAmount > 100 || totalAmount < 50 } && status != paid")
    assert str(parsed) == "{totalAmount>100||totalAmount<50}&&status!=paid"
    assert str(where("isBankAccount").eq(True) & parse_query("a=1||b=2")) == (
        "isBankAccount=true&&{a=1||b=2}"
    )


def test_query_param_validates_strings_and_renders_builders() -> None:
    assert query_param(None) is None
    assert query_param(where("amountDue").gt(0)) == "amountDue>0"
    with pytest.raises(CodatQueryError):
        query_param("amountDue>>0")


def test_id_chunks_fit_the_limit_and_cover_every_id_exactly_once() -> None:
    ids = [f"{n:08d}-0000-4000-8000-{n:012d}" for n in range(300)]
    base = where("metadata.isDeleted").ne(True)
    chunks = id_chunks("id", [*ids, *ids[:10]], base=base)

    assert len(chunks) > 1
    seen: list[str] = []
    for chunk in chunks:
        assert encoded_length(chunk) < MAX_QUERY_LENGTH
        assert chunk.startswith("{id=") or chunk.startswith("id=")
        assert chunk.endswith("}&&metadata.isDeleted!=true") or chunk.count("id=") == 1
        ors = chunk.split("&&")[0].strip("{}")
        seen.extend(clause.removeprefix("id=") for clause in ors.split("||"))
        assert parse_query(chunk) is not None
    assert seen == ids


def test_id_chunks_without_base_are_plain_or_chains() -> None:
    assert id_chunks("supplierRef.id", ["a", "b"]) == ["supplierRef.id=a||supplierRef.id=b"]
    assert id_chunks("id", []) == []
    assert id_chunks("id", ["only"], base="status=Open||status=Draft") == [
        "id=only&&{status=Open||status=Draft}"
    ]


def test_id_chunks_respect_a_smaller_limit_and_refuse_what_cannot_fit() -> None:
    chunks = id_chunks("id", [str(n) for n in range(100)], limit=60)
    assert all(encoded_length(chunk) < 60 for chunk in chunks)
    assert sum(chunk.count("id=") for chunk in chunks) == 100
    with pytest.raises(CodatQueryError, match="does not fit"):
        id_chunks("id", ["x" * 100], limit=60)
    with pytest.raises(CodatQueryError):
        id_chunks("id", ["a||b"])


def test_order_by_renders_ascending_and_descending() -> None:
    assert str(OrderBy.asc("issueDate")) == "issueDate"
    assert str(OrderBy.desc("modifiedDate")) == "-modifiedDate"
    assert OrderBy.parse("-issueDate") == OrderBy("issueDate", descending=True)
    with pytest.raises(CodatQueryError):
        OrderBy.parse("-")


def test_utc_constant_is_used_for_z_suffix() -> None:
    assert str(where("d").eq(datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC))) == (
        "d=2024-01-02T03:04:05.678Z"
    )
