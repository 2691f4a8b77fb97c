"""Helpers for the record-write tests: documents and a wait for a push to end."""

from __future__ import annotations

from typing import Any

from gql import GraphQLRequest, gql

from tests.e2e.paying import graphql, ws_session

PAYLOAD = """
    idempotencyKey replayed input
    pushOperation { pushOperationKey status dataType changes { type recordRef { id } } }
    errors { code message field }
"""


def mutation(field: str, input_type: str, extra: str = "") -> str:
    """The document of mutation `field` taking `input: input_type`, selecting PAYLOAD (and
    `extra`)."""
    return f"mutation M($input: {input_type}!) {{ {field}(input: $input) {{ {PAYLOAD} {extra} }} }}"


CREATE_BILL = mutation("createBill", "CreateBillInput")
UPDATE_BILL = mutation("updateBill", "UpdateBillInput")
CREATE_SUPPLIER = mutation("createSupplier", "CreateSupplierInput")
UPDATE_SUPPLIER = mutation("updateSupplier", "UpdateSupplierInput")
CREATE_CREDIT_NOTE = mutation("createBillCreditNote", "CreateBillCreditNoteInput")
UPLOAD_ATTACHMENT = mutation("uploadBillAttachment", "UploadBillAttachmentInput")
REFRESH = mutation(
    "refreshCompanyData",
    "RefreshCompanyDataInput",
    "accepted pullOperations { id dataType status requested }",
)

SUPPLIER = """
query Supplier($company: ID!, $id: ID!) {
  company(id: $company) { supplier(id: $id) { codatId supplierName status } }
}
"""
SUPPLIERS = """
query Suppliers($company: ID!) {
  company(id: $company) { suppliers(first: 500) { nodes { codatId supplierName } } }
}
"""
BILL = """
query Bill($company: ID!, $id: ID!) {
  company(id: $company) {
    bill(id: $id) { codatId reference note totalAmount status attachments { name } }
  }
}
"""
CREDIT_NOTE = """
query CreditNote($company: ID!, $id: ID!) {
  company(id: $company) { billCreditNote(id: $id) { codatId totalAmount note } }
}
"""

LINES = [
    {"unitAmount": "40.00", "quantity": "2", "taxAmount": "16.00", "description": "Paper"},
    {"unitAmount": "10.00", "quantity": "1", "description": "Pens"},
]
"""Subtotal 90.00, tax 16.00, total 106.00."""


def mutate(gateway_url: str, document: str, name: str, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = graphql(gateway_url, document, input=fields)[name]
    return payload


FINISHED = """
subscription Push($company: ID!, $key: String!) {
  pushOperation(companyId: $company, key: $key) {
    status errorMessage changes { type recordRef { id } }
  }
}
"""


async def written_record(gateway_url: str, company: str, payload: dict[str, Any]) -> str:
    """Wait (over the WebSocket subscription) for the push to succeed; the id it wrote."""
    assert payload["errors"] == [], payload["errors"]
    key = payload["pushOperation"]["pushOperationKey"]
    final: dict[str, Any] = {}
    async with ws_session(gateway_url, "graphql-transport-ws") as session:
        request = GraphQLRequest(gql(FINISHED), variable_values={"company": company, "key": key})
        async for result in session.subscribe(request):
            final = result["pushOperation"]
    assert final["status"] == "Success", final
    return str(final["changes"][0]["recordRef"]["id"])


async def rename_supplier(gateway_url: str, company: str, supplier_id: str, name: str) -> None:
    """updateSupplier with a new name, waited for until Codat has it."""
    payload = mutate(
        gateway_url,
        UPDATE_SUPPLIER,
        "updateSupplier",
        companyId=company,
        supplierId=supplier_id,
        supplierName=name,
    )
    await written_record(gateway_url, company, payload)
