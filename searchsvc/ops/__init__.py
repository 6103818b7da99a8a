"""Running it in production: per-client rate limits, Prometheus metrics, the access log."""
