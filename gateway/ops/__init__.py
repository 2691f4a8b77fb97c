"""Operating the gateway: metrics, tracing, logs, readiness, event-loop lag, bounds."""
