"""Everything under /admin/: the token gate, the reindex webhook, explain, analyze,
documents and stats, the query-log view, and the admin page."""
