"""Realistic frontend GraphQL documents, shared by the end-to-end tests and the benchmarks."""

from __future__ import annotations

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
