"""JSON Schemas of the public API's answers, for the OpenAPI document (web/openapi.py).

They follow the code that builds each body: query/results.py (`results_to_json`),
indexing/schema.py (the stored article), query/suggestions.py and api.healthz. Keys a body
always has are required, so a key that goes missing fails tests/web/test_schemathesis.py;
new keys may be added without changing a client (``additionalProperties`` stays open).
"""

from __future__ import annotations

from searchsvc.indexing.schema import FACET_FIELDS
from searchsvc.query.suggestions import KINDS
from searchsvc.web.spec import (
    BOOLEAN,
    COUNT,
    INTEGER,
    NUMBER,
    STRING,
    STRINGS,
    Schema,
    array,
    nullable,
    obj,
    one_of,
)

ROLES = ("primary", "mentioned")  # a company is what an article is about, or mentioned
LIMIT_CODES = (
    *("prefix_too_short", "prefix_words", "prefix_terms", "phrase_postings"),
    *("suggestion_words", "typo_words"),
)
DATE_OR_TIME = nullable({"type": "string", "description": "YYYY-MM-DD or an ISO datetime, UTC"})

TICKER = obj(
    {"symbol": STRING, "name": STRING, "role": one_of(ROLES)},
    description="a company the article names, by its canonical symbol",
)
HIT = obj(
    {
        "slug": STRING,
        "title": STRING,
        "excerpt": STRING,
        "url": nullable(STRING),
        "published_at": DATE_OR_TIME,
        "author": nullable(STRING),
        "authors": STRINGS,
        "category": nullable(STRING),
        "categories": STRINGS,
        "tags": STRINGS,
        "keywords": STRINGS,
        "tickers": array(TICKER),
        "image": nullable(STRING),
        "score": NUMBER,
        "highlights": obj(
            {"title": STRING},
            {"body": STRING},
            description="HTML-safe: the article's text escaped, the matches in <mark>",
        ),
    }
)
LIMIT = obj(
    {"code": one_of(LIMIT_CODES), "message": STRING},
    description="a bound on the query's cost that changed what was searched",
)
FACET_VALUE = obj({"value": STRING, "count": COUNT}, {"label": STRING})
SEARCH_RESULTS = obj(
    {
        "query": STRING,
        "total": COUNT,
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "took_ms": NUMBER,
        "relaxed": BOOLEAN,
        "dropped": STRINGS,
        "suggestion": nullable(STRING),
        "corrections": array(obj({"from": STRING, "to": STRING})),
        "limits": array(LIMIT),
        "generation": INTEGER,
        "hits": array(HIT),
        "facets": {
            "type": "object",
            "propertyNames": one_of(tuple(FACET_FIELDS)),
            "additionalProperties": array(FACET_VALUE),
        },
    },
    description="one page of ranked hits, the exact total and the facets' counts",
)

SUGGESTIONS = obj(
    {
        "query": STRING,
        "suggestions": array(
            obj(
                {"text": STRING, "kind": one_of(KINDS), "highlighted": STRING},
                {"slug": STRING, "symbol": STRING},
                description="slug with kind title, symbol with kind company",
            )
        ),
    }
)

ARTICLE = obj(
    {
        "slug": STRING,
        "title": STRING,
        "excerpt": STRING,
        "body_text": STRING,
        "published_at": DATE_OR_TIME,
        "updated_at": DATE_OR_TIME,
        "author": nullable(STRING),
        "authors": STRINGS,
        "category": nullable(STRING),
        "categories": STRINGS,
        "tags": STRINGS,
        "keywords": STRINGS,
        "featured": nullable(BOOLEAN),
        "image": nullable(STRING),
        "url": nullable(STRING),
        "source_path": STRING,
        "content_hash": STRING,
        "indexed_at": STRING,
        "tickers": array(
            obj(
                {
                    **TICKER["properties"],
                    "places": STRINGS,
                    "count": COUNT,
                    "matched": STRINGS,
                }
            )
        ),
        "unknown_symbols": array(obj({"symbol": STRING, "count": COUNT, "forms": STRINGS})),
    }
)

HEALTH = obj(
    {
        "status": {"const": "ok"},
        "documents": COUNT,
        "index_generation": INTEGER,
        "indexed_at": nullable(STRING),
        "last_reindex_at": nullable(STRING),
        "last_reindex_errors": COUNT,
    }
)
UNHEALTHY = obj({"status": {"const": "unavailable"}, "error": STRING})

OPENAPI_DOCUMENT: Schema = obj(
    {"openapi": STRING, "info": obj({"title": STRING, "version": STRING}), "paths": obj()}
)
