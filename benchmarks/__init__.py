"""Benchmarks: searchsvc against an SQLite FTS5 reference doing the same search-box job."""
