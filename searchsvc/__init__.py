"""searchsvc: full-text search over a site's Markdown articles."""
