"""The schema explains itself: every element described, Codat's words where the field is Codat's,
and no type but a Relay connection named like one."""

from __future__ import annotations

from schema import build_schema
from schema.descriptions import spec_field, undescribed


def test_every_type_field_argument_enum_value_and_input_field_has_a_description() -> None:
    assert undescribed(build_schema()._schema) == []


def test_codats_fields_carry_codats_description_from_the_spec() -> None:
    schema = build_schema()._schema
    bill = schema.type_map["Bill"]
    due_date = bill.fields["dueDate"].description  # type: ignore[attr-defined]
    assert due_date == spec_field("Bill", "dueDate")
    assert due_date is not None
    assert "due" in due_date.lower()
    supplier_name = schema.type_map["Supplier"].fields["supplierName"]  # type: ignore[attr-defined]
    assert supplier_name.description == spec_field("Supplier", "supplierName")


def test_only_relay_connections_end_in_connection() -> None:
    schema = build_schema()._schema
    for name, named in schema.type_map.items():
        if name.endswith("Connection"):
            fields = getattr(named, "fields", {})
            assert {"edges", "pageInfo"} <= set(fields), name
    assert "DataConnectionLink" in schema.type_map
