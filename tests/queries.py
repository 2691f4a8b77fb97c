"""Realistic frontend GraphQL documents, shared by the end-to-end tests and the benchmarks."""

from __future__ import annotations

from typing import Any

BILL_LIST = """
query Bills($company: ID!, $first: Int!) {
  company(id: $company) {
    bills(first: $first) {
      nodes {
        codatId reference issueDate dueDate currency totalAmount amountDue status
        supplier { codatId supplierName }
      }
    }
  }
}
"""
"""One page of a company's bills with their suppliers' names (the warm-path benchmark's query)."""

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

AP_DASHBOARD_DETAILED = """
query ApDashboardDetailed($companies: Int!, $bills: Int!, $dueFrom: Date, $dueTo: Date) {
  companies(first: $companies) {
    nodes {
      id
      bills(
        first: $bills
        filter: {status: [Open, PartiallyPaid], dueDate: {from: $dueFrom, to: $dueTo}}
        orderBy: {field: DUE_DATE, direction: ASC}
      ) {
        nodes {
          codatId
          amountDue
          supplier { codatId supplierName status defaultCurrency }
          billPayments { codatId totalAmount }
          lineItems {
            totalAmount
            account { codatId name type status }
            taxRate { codatId name code }
          }
        }
      }
    }
  }
}
"""
"""AP_DASHBOARD asking for more than the refs carry: every edge is a lookup."""

AP_DASHBOARD_NAMES = """
query ApDashboardNames($companies: Int!, $bills: Int!) {
  companies(first: $companies) {
    nodes {
      id
      name
      bills(first: $bills, orderBy: {field: DUE_DATE, direction: ASC}) {
        nodes {
          id
          reference
          amountDue
          supplier { id supplierName }
          lineItems {
            description
            account { id name }
            taxRate { id name }
            trackingCategories { id name }
          }
        }
      }
    }
  }
}
"""
"""A dashboard that shows names only: every edge is answered from its Codat ref."""

LINES_WITH_LEDGER = """
query LinesWithLedger($companies: Int!, $bills: Int!) {
  companies(first: $companies) {
    nodes {
      bills(first: $bills) {
        nodes {
          codatId
          lineItems { account { codatId type } taxRate { codatId code } }
        }
      }
    }
  }
}
"""
"""Lines whose accounts and tax rates need their records: whole sets that depend only on the
company, so they can be read with the bills (dependency depth 2)."""

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
  a: node(id: $a) { id ... on Bill { codatId reference supplier { supplierName status } } }
  b: node(id: $b) { id ... on Bill { codatId reference supplier { supplierName status } } }
  c: node(id: $c) { id ... on Bill { codatId reference supplier { supplierName status } } }
}
"""


def dashboard_minimum_calls(data: dict[str, Any]) -> int:
    """The fewest Codat calls that can answer AP_DASHBOARD, given its result.

    1 companies page; per company 1 bills page, and one call for bill payments if any bill has
    one (one OR-chain, or one get for a single id). Suppliers, accounts and tax rates cost
    nothing: the dashboard asks only for what `supplierRef`, `accountRef` and `taxRateRef` carry.
    """
    minimum = 1
    for company in data["companies"]["nodes"]:
        bills = (company["bills"] or {}).get("nodes") or []
        minimum += 1
        minimum += any(bill["billPayments"] for bill in bills)
    return minimum


def dashboard_lookup_calls(data: dict[str, Any]) -> int:
    """The fewest Codat calls that can answer AP_DASHBOARD_DETAILED, given its result.

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
