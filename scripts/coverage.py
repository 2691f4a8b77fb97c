"""The README's coverage table: each Codat v1 endpoint, the client method that calls it and the
GraphQL field that reaches it (or why none), from the spec, the client and the built schema.

`python scripts/coverage.py` prints the table; `--write` replaces it in README.md between the
markers. tests/test_coverage.py fails when README.md drifts from this output, or when an
operation of the spec, a client method or a GraphQL field named here no longer exists.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.codat.client import CodatClient  # noqa: E402
from schema import build_schema  # noqa: E402
from tests.specs import SPEC_DIR  # noqa: E402

BEGIN = "<!-- coverage:begin (scripts/coverage.py --write) -->"
END = "<!-- coverage:end -->"

# operationId -> (client method or None, GraphQL field "Type.field" or None, why none)
REACHED: dict[str, tuple[str | None, str | None, str]] = {
    "list-companies": ("list_companies", "Query.companies", ""),
    "create-company": ("create_company", "Mutation.createCompany", ""),
    "replace-company": (None, "Mutation.updateCompany", "updateCompany uses PATCH (same body)"),
    "update-company": ("update_company", "Mutation.updateCompany", ""),
    "delete-company": ("delete_company", "Mutation.deleteCompany", ""),
    "get-company": ("get_company", "Query.company", ""),
    "list-connections": ("list_connections", "Company.connections", ""),
    "create-connection": ("create_connection", "Mutation.createConnection", ""),
    "get-connection": ("get_connection", None, "Company.connections lists them (one call)"),
    "delete-connection": ("delete_connection", "Mutation.deleteConnection", ""),
    "unlink-connection": ("unlink_connection", "Mutation.unlinkConnection", ""),
    "refresh-all-data-types": ("refresh_all", "Mutation.refreshCompanyData", ""),
    "get-data-status": ("get_data_status", "Company.dataStatus", ""),
    "refresh-data-type": ("refresh_data_type", "Mutation.refreshCompanyData", ""),
    "list-pull-operations": ("list_pull_operations", "Company.pullOperations", ""),
    "list-push-operations": ("list_push_operations", "Company.pushOperations", ""),
    "get-pull-operation": ("get_pull_operation", None, "Company.pullOperations lists them"),
    "get-push-operation": ("get_push_operation", "Company.pushOperation", ""),
    "list-accounts": ("list_records", "Company.accounts", ""),
    "get-account": ("get_record", "Company.account", ""),
    "get-create-account-model": ("get_push_options", "DataConnectionLink.mappingOptions", ""),
    "create-account": ("create_account", "Mutation.createAccount", ""),
    "get-create-bankAccounts-model": ("get_push_options", "DataConnectionLink.mappingOptions", ""),
    "create-bank-account": ("create_bank_account", "Mutation.createBankAccount", ""),
    "list-bill-credit-notes": ("list_records", "Company.billCreditNotes", ""),
    "get-bill-credit-note": ("get_bill_credit_note", "Company.billCreditNote", ""),
    "get-create-update-billCreditNote-model": (
        "get_push_options", "DataConnectionLink.mappingOptions", "",
    ),
    "create-bill-credit-note": ("create_bill_credit_note", "Mutation.createBillCreditNote", ""),
    "update-bill-credit-note": ("update_bill_credit_note", "Mutation.updateBillCreditNote", ""),
    "list-bill-payments": ("list_records", "Company.billPayments", ""),
    "get-bill-payments": ("get_bill_payment", "Company.billPayment", ""),
    "delete-billPayment": ("delete_bill_payment", "Mutation.deleteBillPayment", ""),
    "get-create-billPayment-model": ("get_push_options", "DataConnectionLink.mappingOptions", ""),
    "create-bill-payment": ("create_bill_payment", "Mutation.payBill", ""),
    "list-bills": ("list_records", "Company.bills", ""),
    "get-bill": ("get_bill", "Company.bill", ""),
    "get-create-update-bill-model": ("get_push_options", "DataConnectionLink.mappingOptions", ""),
    "create-bill": ("create_bill", "Mutation.createBill", ""),
    "update-bill": ("update_bill", "Mutation.updateBill", ""),
    "delete-bill": ("delete_bill", "Mutation.deleteBill", ""),
    "list-bill-attachments": ("list_bill_attachments", "Bill.attachments", ""),
    "get-bill-attachment": ("get_bill_attachment", None, "Bill.attachments lists them"),
    "delete-bill-attachment": (None, None, "not built: no payables flow needs it yet"),
    "download-bill-attachment": (
        "download_bill_attachment", None, "binary: GraphQL answers JSON, not file bytes",
    ),
    "upload-bill-attachment": ("upload_bill_attachment", "Mutation.uploadBillAttachment", ""),
    "get-create-journalEntry-model": ("get_push_options", "DataConnectionLink.mappingOptions", ""),
    "create-journal-entry": (None, None, "not built: journals are outside the payables flow"),
    "list-journals": (None, None, "not built: journals are outside the payables flow"),
    "get-journal": (None, None, "not built: journals are outside the payables flow"),
    "get-create-journal-model": ("get_push_options", "DataConnectionLink.mappingOptions", ""),
    "create-journal": (None, None, "not built: journals are outside the payables flow"),
    "list-payment-methods": ("list_records", "Company.paymentMethods", ""),
    "get-payment-method": ("get_record", "BillPayment.paymentMethod", ""),
    "list-suppliers": ("list_records", "Company.suppliers", ""),
    "get-supplier": ("get_supplier", "Company.supplier", ""),
    "get-create-update-supplier-model": (
        "get_push_options",
        "DataConnectionLink.mappingOptions",
        "",
    ),
    "create-supplier": ("create_supplier", "Mutation.createSupplier", ""),
    "update-supplier": ("update_supplier", "Mutation.updateSupplier", ""),
    "list-tax-rates": ("list_records", "Company.taxRates", ""),
    "get-tax-rate": ("get_record", "BillLineItem.taxRate", ""),
    "list-tracking-categories": ("list_records", "Company.trackingCategories", ""),
    "get-tracking-category": ("get_record", None, "trackingCategories lists them"),
    "get-accounting-profile": ("get_company_info", "Company.info", ""),
}  # fmt: skip


def operations() -> list[tuple[str, str, str]]:
    """(METHOD, path, operationId) of every v1 operation, in the spec's order."""
    spec = json.loads((SPEC_DIR / "sync-for-payables-v1.json").read_text())
    found = []
    for path, item in spec["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                found.append((method.upper(), path, item[method]["operationId"]))
    return found


def _check(field: str | None, method: str | None, types: dict[str, set[str]]) -> None:
    if method is not None and not hasattr(CodatClient, method):
        raise SystemExit(f"CodatClient has no method {method}")
    if field is not None:
        type_name, name = field.split(".")
        if name not in types.get(type_name, set()):
            raise SystemExit(f"the schema has no field {field}")


def render() -> str:
    schema = build_schema()
    types = {
        name: set(t.fields)
        for name, t in schema._schema.type_map.items()
        if hasattr(t, "fields") and not name.startswith("__")
    }
    rows = ["| v1 endpoint | client | GraphQL | why none |", "| --- | --- | --- | --- |"]
    reached = 0
    ops = operations()
    for method, path, operation in ops:
        if operation not in REACHED:
            raise SystemExit(f"scripts/coverage.py does not say what reaches {operation}")
        client, field, why = REACHED[operation]
        _check(field, client, types)
        reached += field is not None
        rows.append(
            f"| `{method} {path}` | {f'`{client}`' if client else '-'} | "
            f"{f'`{field}`' if field else '-'} | {why} |"
        )
    head = f"{reached} of {len(ops)} v1 operations are reached from GraphQL."
    return "\n".join([head, "", *rows])


def section(readme: str) -> str:
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[start:end].strip("\n")


def main() -> None:
    table = render()
    if "--write" in sys.argv:
        path = ROOT / "README.md"
        readme = path.read_text()
        start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
        path.write_text(readme[:start] + "\n" + table + "\n" + readme[end:])
    else:
        print(table)


if __name__ == "__main__":
    main()
