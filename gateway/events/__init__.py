"""What happened in Codat: webhooks, the event bus across replicas, cache invalidation, the shared
store."""
