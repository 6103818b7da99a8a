"""Query -> ranked hits: the query language, an open index generation, matching and
scoring, highlighting, and the explanation of a ranking."""

from searchsvc.query.explain import explain
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import SearchResults, results_to_json
from searchsvc.query.search import search

__all__ = [
    "Generation",
    "IndexHandle",
    "SearchRequest",
    "SearchResults",
    "explain",
    "results_to_json",
    "search",
]
