"""Realistic frontend GraphQL documents, shared by the end-to-end tests and the benchmarks."""

from __future__ import annotations

from typing import Any

AP_DASHBOARD = """
query ApDashboard($companies: Int!, $bills: Int!, $dueFrom: Date, $dueTo: Date) {
  companies(first: $companies) {
    totalCount
    nodes {
      id
      name
      bills(
        first: $bills
        filter: {status: [Open, PartiallyPaid], dueDate: {from: $dueFrom, to: $dueTo}}
        orderBy: {field: DUE_DATE, direction: ASC}
      ) {
        totalCount
        nodes {
          id
          codatId
          reference
          dueDate
          currency
          totalAmount
          amountDue
          status
          supplier { id codatId supplierName }
          billPayments { codatId totalAmount date }
          lineItems {
            description
            totalAmount
            account { codatId name }
            taxRate { codatId name effectiveTaxRate }
          }
        }
      }
    }
  }
}
"""

SUPPLIER_PAGE = """
query SupplierPage($company: ID!, $supplier: ID!) {
  company(id: $company) {
    supplier(id: $supplier) {
      codatId
      supplierName
      status
      addresses { type city country }
      bills(first: 5, orderBy: {field: ISSUE_DATE, direction: DESC}) {
        totalCount
        nodes { codatId reference amountDue status }
      }
      billPayments(first: 5) { totalCount nodes { codatId totalAmount } }
      billCreditNotes(first: 5) { totalCount nodes { codatId totalAmount remainingCredit } }
    }
  }
}
"""

PAYMENT_DETAIL = """
query PaymentDetail($company: ID!, $payment: ID!) {
  company(id: $company) {
    billPayment(id: $payment) {
      codatId
      totalAmount
      currency
      date
      supplier { codatId supplierName }
      account { codatId name isBankAccount }
      paymentMethod { codatId name type }
      lines { amount links { type id amount bill { codatId reference amountDue } } }
      bills { codatId }
      billCreditNotes { codatId }
    }
  }
}
"""

NODES = """
query Nodes($a: ID!, $b: ID!, $c: ID!) {
  a: node(id: $a) { id ... on Bill { codatId reference supplier { supplierName } } }
  b: node(id: $b) { id ... on Bill { codatId reference supplier { supplierName } } }
  c: node(id: $c) { id ... on Bill { codatId reference supplier { supplierName } } }
}
"""


def dashboard_minimum_calls(data: dict[str, Any]) -> int:
    """The fewest Codat calls that can answer AP_DASHBOARD, given its result.

    1 companies page; per company 1 bills page; then per company one call for each referenced kind
    that is present: suppliers (one OR-chain of ids), bill payments (one OR-chain, or one get for a
    single id), the chart of accounts and the tax rates (whole reference sets, one call each).
    """
    minimum = 1
    for company in data["companies"]["nodes"]:
        bills = (company["bills"] or {}).get("nodes") or []
        minimum += 1
        minimum += any(bill["supplier"] for bill in bills)
        minimum += any(bill["billPayments"] for bill in bills)
        lines = [line for bill in bills for line in bill["lineItems"] or []]
        minimum += any(line["account"] for line in lines)
        minimum += any(line["taxRate"] for line in lines)
    return minimum


def dashboard_naive_calls(data: dict[str, Any]) -> int:
    """What per-field resolvers without loaders would call for AP_DASHBOARD: one call per edge."""
    calls = 1
    for company in data["companies"]["nodes"]:
        calls += 1
        for bill in (company["bills"] or {}).get("nodes") or []:
            calls += 1 + len(bill["billPayments"])
            calls += 2 * len(bill["lineItems"] or [])
    return calls
