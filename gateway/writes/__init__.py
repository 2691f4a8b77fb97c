"""Writing to Codat: checks, idempotent pushes, payments, records, push watches, refreshes."""
