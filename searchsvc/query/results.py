"""SearchResults and their JSON: what a search returns to the CLI and the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from searchsvc.query.request import SearchRequest
from searchsvc.query.typos import Correction


@dataclass(frozen=True)
class Limit:
    """A limit that changed how a query was searched, for the reader (see API "limits")."""

    code: str
    message: str


def short_list(words: list[str], at_most: int = 5) -> str:
    """Words for a Limit's message: the first few, then how many more."""
    shown = ", ".join(words[:at_most])
    return shown + (f" and {len(words) - at_most} more" if len(words) > at_most else "")


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    label: str | None = None


@dataclass(frozen=True)
class Hit:
    docnum: int
    score: float
    doc: dict[str, Any]
    highlights: dict[str, str]


@dataclass(frozen=True)
class SearchResults:
    request: SearchRequest
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    took_ms: float
    relaxed: bool
    suggestion: str | None
    generation: int
    dropped: tuple[str, ...] = field(default=())
    limits: tuple[Limit, ...] = field(default=())  # limits that changed what was searched
    corrections: tuple[Correction, ...] = field(default=())  # words searched as corrected


def hit_to_json(hit: Hit) -> dict[str, Any]:
    doc = hit.doc
    return {
        "slug": doc["slug"],
        "title": doc["title"],
        "excerpt": doc["excerpt"],
        "url": doc.get("url"),
        "published_at": doc.get("published_at"),
        "author": doc["authors"][0] if doc["authors"] else None,
        "authors": doc["authors"],
        "category": doc["categories"][0] if doc["categories"] else None,
        "categories": doc["categories"],
        "tags": doc["tags"],
        "keywords": doc["keywords"],
        "tickers": [
            {"symbol": t["symbol"], "name": t["name"], "role": t["role"]} for t in doc["tickers"]
        ],
        "image": doc.get("image"),
        "score": hit.score,
        "highlights": hit.highlights,
    }


def results_to_json(results: SearchResults) -> dict[str, Any]:
    """The /api/search response body (see ../shared/API.md)."""
    return {
        "query": results.request.q,
        "total": results.total,
        "page": results.request.page,
        "per_page": results.request.per_page,
        "took_ms": results.took_ms,
        "relaxed": results.relaxed,
        "dropped": list(results.dropped),
        "suggestion": results.suggestion,
        "corrections": [{"from": c.typed, "to": c.word} for c in results.corrections],
        "limits": [{"code": x.code, "message": x.message} for x in results.limits],
        "generation": results.generation,
        "hits": [hit_to_json(h) for h in results.hits],
        "facets": {
            name: [
                {
                    "value": v.value,
                    **({"label": v.label} if v.label is not None else {}),
                    "count": v.count,
                }
                for v in values
            ]
            for name, values in results.facets.items()
        },
    }
