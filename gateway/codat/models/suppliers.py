"""Suppliers: the businesses that bill the company."""

from __future__ import annotations

from gateway.codat.models.base import CodatModel
from gateway.codat.models.common import Address, Metadata, SupplementalData
from gateway.codat.models.enums import SupplierStatus
from gateway.codat.types import CodatDateTime


class Supplier(CodatModel):
    id: str
    supplier_name: str | None = None
    contact_name: str | None = None
    email_address: str | None = None
    phone: str | None = None
    addresses: tuple[Address, ...] | None = None
    registration_number: str | None = None
    tax_number: str | None = None
    status: SupplierStatus
    default_currency: str | None = None
    metadata: Metadata | None = None
    supplemental_data: SupplementalData | None = None
    modified_date: CodatDateTime | None = None
    source_modified_date: CodatDateTime | None = None
