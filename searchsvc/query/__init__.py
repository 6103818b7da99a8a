"""Query -> ranked hits: the query language, an open index generation, matching and
scoring, highlighting, and the explanation of a ranking."""

# search() and explain() are not re-exported: the names would hide the modules
# searchsvc.query.search and searchsvc.query.explain (import them from there).
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import SearchResults, results_to_json

__all__ = [
    "Generation",
    "IndexHandle",
    "SearchRequest",
    "SearchResults",
    "results_to_json",
]
