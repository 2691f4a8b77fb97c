"""The GraphQL object types, one module per area of Codat's payables data."""
