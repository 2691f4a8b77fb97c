"""The HTTP edge: authentication, guards, limits, the response cache, persisted queries, GraphQL
over HTTP and WebSocket. The only runtime part that imports GraphQL."""
