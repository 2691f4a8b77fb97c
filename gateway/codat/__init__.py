"""The gateway's Codat client: models, query builder, paging, transport, and the client itself."""
