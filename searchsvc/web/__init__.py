"""The public HTTP surface: /api/*, /healthz, the JSON error shape, request guards,
the service that owns the index handle, and the query log it records to."""
