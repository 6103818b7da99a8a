"""JSON Schemas of the admin endpoints' answers, for the OpenAPI document.

They follow the code that builds each body: query/explain.py, query/synonyms.py,
indexing/replay.py, indexing/report.py and the views of this package. Required keys are
those every answer has; admin clients may rely on them (../shared/API.md: fields may be
added, not removed), so objects stay open to new keys.
"""

from __future__ import annotations

from searchsvc.web.schemas import LIMIT, TICKER
from searchsvc.web.spec import (
    ANY,
    BOOLEAN,
    COUNT,
    INTEGER,
    NUMBER,
    STRING,
    STRINGS,
    array,
    nullable,
    obj,
    one_of,
)

TOKEN = obj(
    {
        "text": STRING,
        "position": nullable(INTEGER),
        "start": COUNT,
        "end": COUNT,
        "normalized": STRING,
        "stopword": BOOLEAN,
        "term": nullable(STRING),
        "dropped": nullable(STRING),
        "filters": STRINGS,
    },
    description="one word through a field's analyzer: as written -> normalized -> term",
)
TREE = obj({"text": STRING, "tree": obj({"type": STRING})})
EXPANSION_KINDS = (
    *("synonym", "company", "prefix", "correction", "completion", "relaxation", "spelling"),
)
EXCLUSION_KINDS = ("not_indexed", "clause", "exclusion", "filter", "deleted")

EXPLAIN = obj(
    {
        "query": STRING,
        "generation": INTEGER,
        "match": STRING,
        "sort": STRING,
        "parsed": TREE,
        "expanded": TREE,
        "terms": array(obj({"written": STRING, "field": nullable(STRING), "tokens": array(TOKEN)})),
        "expansions": array(obj({"kind": one_of(EXPANSION_KINDS)})),
        "limits": array(LIMIT),
        "filters": array(obj({"filter": STRING, "values": STRINGS, "documents": COUNT})),
        "total": COUNT,
        "scoring": obj({"model": STRING, "k1": NUMBER, "b": NUMBER, "documents": COUNT}),
        "hits": array(
            obj(
                {
                    "slug": STRING,
                    "rank": {"type": "integer", "minimum": 1},
                    "score": NUMBER,
                    "breakdown": array(obj({"kind": STRING, "value": NUMBER})),
                    "breakdown_sum": NUMBER,
                    "factors": array(obj({"name": STRING, "value": NUMBER})),
                },
                description="the breakdown's values add up to the score readers get",
            )
        ),
    },
    {
        "why_not": obj(
            {
                "slug": STRING,
                "exists": BOOLEAN,
                "matched": BOOLEAN,
                "rank": nullable({"type": "integer", "minimum": 1}),
                "excluded_by": array(obj({"kind": one_of(EXCLUSION_KINDS), "why": STRING})),
                "missing_terms": array(obj({"written": STRING})),
            },
            description="only with slug: whether that article matched, its rank, and if "
            "not, what kept it out",
        )
    },
)

SYNONYMS = obj(
    {
        "source": STRING,
        "rules": array(
            obj(
                {
                    "line": INTEGER,
                    "text": STRING,
                    "equivalent": BOOLEAN,
                    "sources": STRINGS,
                    "targets": STRINGS,
                }
            )
        ),
        "count": COUNT,
        "path": nullable(STRING),
        "reload_error": nullable(STRING),
    }
)

ANALYZE = obj(
    {
        "field": STRING,
        "analyzer": obj(
            {"name": STRING, "filters": STRINGS, "positions": BOOLEAN}, {"input": STRING}
        ),
        "tokens": array(TOKEN),
        "terms": STRINGS,
    }
)

DOCUMENT = obj(
    {
        "slug": STRING,
        "docnum": COUNT,
        "generation": INTEGER,
        "indexed_at": nullable(STRING),
        "source_path": nullable(STRING),
        "content_hash": nullable(STRING),
        "tickers": array(
            obj({**TICKER["properties"], "places": STRINGS, "count": COUNT, "matched": STRINGS})
        ),
        "unknown_symbols": array(obj({"symbol": STRING, "count": COUNT, "forms": STRINGS})),
        "stored": obj({"slug": STRING}, description="the stored fields, as the index keeps them"),
        "fields": {
            "type": "object",
            "additionalProperties": obj(
                {
                    "analyzer": STRING,
                    "terms": {"type": "object", "additionalProperties": COUNT},
                    "distinct": COUNT,
                },
                {"length": COUNT, "indexed_length": COUNT},
            ),
        },
        "terms_source": obj(
            {
                "method": STRING,
                "terms_checked": COUNT,
                "verified": BOOLEAN,
                "mismatches": array(obj({"field": STRING})),
            }
        ),
    }
)

REPORT = obj(
    {
        "full": BOOLEAN,
        "full_reason": nullable(STRING),
        "added": COUNT,
        "updated": COUNT,
        "deleted": COUNT,
        "unchanged": COUNT,
        "errors": array(obj({"path": STRING, "reason": STRING})),
        "warnings": array(obj({"path": STRING, "message": STRING})),
        "kept_stale": STRINGS,
        "documents": COUNT,
        "generation": INTEGER,
        "started_at": STRING,
        "finished_at": STRING,
        "seconds": NUMBER,
    },
    description="what one reindex run did: files added, updated, deleted, and those it "
    "could not index, with their reasons",
)

STATS = obj(
    {
        "documents": COUNT,
        "deleted_documents": COUNT,
        "generation": INTEGER,
        "schema_version": nullable(INTEGER),
        "indexed_at": nullable(STRING),
        "segments": COUNT,
        "fields": {
            "type": "object",
            "additionalProperties": obj(
                {"terms": COUNT, "postings": COUNT, "tokens": nullable(COUNT)}
            ),
        },
        "field_stats": obj({"cached": BOOLEAN, "computed_ms": NUMBER, "note": STRING}),
        "live_dir": nullable(STRING),
        "size_bytes": obj({"live": COUNT, "index_dir": COUNT}),
        "last_report": nullable(REPORT),
        "pending": STRINGS,
    }
)

LOGGED_SEARCH = obj(
    {
        "ts": STRING,
        "q": STRING,
        "match": STRING,
        "sort": STRING,
        "page": INTEGER,
        "filters": ANY,
        "total": COUNT,
        "took_ms": NUMBER,
        "relaxed": BOOLEAN,
        "generation": nullable(INTEGER),
    }
)
QUERIES = obj(
    {
        "enabled": BOOLEAN,
        "window": STRING,
        "since": STRING,
        "total_searches": COUNT,
        "recent": array(LOGGED_SEARCH),
        "top": array(
            obj(
                {
                    "query": STRING,
                    "count": COUNT,
                    "avg_total": NUMBER,
                    "zero_results": COUNT,
                    "last_seen": STRING,
                }
            )
        ),
        "zero_results": array(obj({"query": STRING, "count": COUNT, "last_seen": STRING})),
        "slow": array(LOGGED_SEARCH),
    }
)
