"""Admin views into the index: what the index holds for one document, and index-wide
statistics (how a field analyses text is admin/analyze.py).

- `GET /admin/documents/<slug>`: stored fields, indexed terms per field, tickers, fingerprint;
- `GET /admin/stats`: documents, terms per field, size on disk, generation, last report.

All of them sit under /admin, so the app-level gate (admin/auth.py) protects them (token, 401s,
`Cache-Control: no-store`) without anything here.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app
from whoosh.util.numeric import byte_to_length, length_to_byte

from searchsvc.admin import schemas
from searchsvc.entities import TickerMention
from searchsvc.entities.unknown import UnknownSymbol
from searchsvc.errors import NotFound
from searchsvc.indexing.layout import read_last_report, read_manifest, read_pending
from searchsvc.indexing.replay import analyzable_fields
from searchsvc.indexing.schema import article_from_stored, to_document
from searchsvc.query.generation import Generation
from searchsvc.web.service import service
from searchsvc.web.spec import Operation, Param, Reply, describe

bp = Blueprint("admin_inspect", __name__, url_prefix="/admin")
EXTENSION = "searchsvc_field_stats"

TERMS_SOURCE = (
    "re-analysed: the stored document is turned back into the indexer's fields "
    "(schema.to_document) and each field run through the schema's analyzer; every term "
    "and its weight is then checked against the index postings of this document, and each "
    "scorable field's length against the length the index stores"
)
FIELD_STATS_NOTE = (
    "terms: distinct terms in the field's lexicon; postings: sum of the terms' document "
    "frequencies; tokens: total field length (scorable fields only); all three still "
    "count deleted documents until their segment is merged away"
)


# --- GET /admin/documents/<slug> ---------------------------------------------------------


def indexed_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The document the indexer wrote, rebuilt from the stored JSON with the same function
    (schema.to_document) it used."""
    tickers = tuple(
        TickerMention(
            symbol=t["symbol"],
            name=t["name"],
            places=frozenset(t["places"]),
            count=t["count"],
            matched=tuple(t["matched"]),
            role=t["role"],
        )
        for t in doc["tickers"]
    )
    unknown = tuple(
        UnknownSymbol(u["symbol"], u["count"], tuple(u["forms"])) for u in doc["unknown_symbols"]
    )
    return to_document(article_from_stored(doc), tickers, unknown, doc["indexed_at"])


def _segment_of(gen: Generation, docnum: int) -> tuple[Any, int]:
    for segreader, offset in gen.searcher.reader().leaf_readers():
        if offset <= docnum < offset + segreader.doc_count_all():
            return segreader, docnum - offset
    raise NotFound(f"document {docnum} is in no segment")  # pragma: no cover


def _posting_weight(segreader: Any, field: str, term: str, local: int) -> float | None:
    """The weight of term in document ``local`` of the segment, or None when not posted."""
    if (field, term) not in segreader:
        return None
    matcher = segreader.postings(field, term)
    if matcher.is_active() and matcher.id() < local:
        matcher.skip_to(local)
    if not matcher.is_active() or matcher.id() != local:
        return None
    return float(matcher.weight())


def document_fields(gen: Generation, docnum: int, doc: dict[str, Any]) -> dict[str, Any]:
    """Per indexed field, its terms (term -> frequency, most frequent first) and length,
    each checked against the index; plus what the check found."""
    segreader, local = _segment_of(gen, docnum)
    document = indexed_document(doc)
    schema = gen.searcher.schema  # the analyzers that built these postings
    fields: dict[str, Any] = {}
    checked = 0
    mismatches: list[dict[str, Any]] = []
    for name in analyzable_fields():
        field = schema[name]
        value = document.get(name)
        postings = list(field.index(value)) if value is not None else []
        terms = {tb.decode("utf-8"): (freq, float(weight)) for tb, freq, weight, _ in postings}
        for term, (_, weight) in terms.items():
            checked += 1
            found = _posting_weight(segreader, name, term, local)
            if found is None or abs(found - weight) > 1e-6 * max(1.0, weight):
                mismatches.append(
                    {"field": name, "term": term, "expected_weight": weight, "index": found}
                )
        ordered = sorted(terms.items(), key=lambda kv: (-kv[1][0], kv[0]))
        entry: dict[str, Any] = {
            "analyzer": type(field.analyzer).__name__,
            "terms": {term: freq for term, (freq, _) in ordered},
            "distinct": len(terms),
        }
        if field.scorable:
            length = sum(freq for freq, _ in terms.values())
            stored_length = segreader.doc_field_length(local, name) or 0
            entry["length"] = length
            entry["indexed_length"] = stored_length  # the index keeps lengths in one byte
            if byte_to_length(length_to_byte(length)) != stored_length:
                mismatches.append(
                    {"field": name, "length": length, "indexed_length": stored_length}
                )
        fields[name] = entry
    return {
        "fields": fields,
        "terms_source": {
            "method": TERMS_SOURCE,
            "terms_checked": checked,
            "verified": not mismatches,
            "mismatches": mismatches[:100],
        },
    }


@bp.get("/documents/<path:slug>")
@describe(
    Operation(
        "One document as indexed",
        Reply("Stored fields, indexed terms per field, tickers.", schemas.DOCUMENT),
        description="The stored fields, the indexed terms of each field checked against the "
        "index's postings, the extracted tickers, source path, content hash and generation.",
        params=(Param("slug", "The article's slug.", location="path", required=True),),
        errors=(404, 503),
        admin=True,
        tag="admin",
    )
)
def document(slug: str) -> dict[str, Any]:
    with service().lease() as gen, gen.reading():  # one thread at a time in Whoosh
        docnum = gen.article_docnum(slug)
        doc = dict(gen.stored(docnum))
        indexed = document_fields(gen, docnum, doc)
        generation = gen.number
    return {
        "slug": slug,
        "docnum": docnum,
        "generation": generation,
        "indexed_at": doc.get("indexed_at"),
        "source_path": doc.get("source_path"),
        "content_hash": doc.get("content_hash"),
        "tickers": doc.get("tickers", []),
        "unknown_symbols": doc.get("unknown_symbols", []),
        "stored": doc,
        **indexed,
    }


# --- GET /admin/stats --------------------------------------------------------------------

FieldStats = dict[str, dict[str, int | None]]


def compute_field_stats(gen: Generation) -> FieldStats:
    """Per indexed field: distinct terms, total postings, total tokens (scorable fields).

    One pass over each segment's term table; distinct terms are the union over segments."""
    reader = gen.searcher.reader()
    segments = [segreader for segreader, _ in reader.leaf_readers()]
    schema = gen.searcher.schema
    out: FieldStats = {}
    for name in analyzable_fields():
        seen: set[bytes] = set()
        postings = 0
        for segreader in segments:
            for term, info in segreader.iter_field(name):
                seen.add(term)
                postings += info.doc_frequency()
        out[name] = {
            "terms": len(seen),
            "postings": postings,
            "tokens": int(reader.field_length(name)) if schema[name].scorable else None,
        }
    return out


class FieldStatsCache:
    """compute_field_stats once per generation, for one app (``app.extensions``)."""

    def __init__(self) -> None:
        # per generation: (stats, milliseconds they took); dropped with the generation
        self._stats: weakref.WeakKeyDictionary[Generation, tuple[FieldStats, float]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def get(self, gen: Generation) -> tuple[FieldStats, float, bool]:
        """(stats, milliseconds the computation took, whether this call found them cached)."""
        with self._lock:  # one computation at a time; a second request waits for it
            cached = self._stats.get(gen)
            if cached is not None:
                return cached[0], cached[1], True
            started = time.perf_counter()
            stats = compute_field_stats(gen)
            elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
            self._stats[gen] = (stats, elapsed_ms)
            return stats, elapsed_ms, False


def folder_size(path: Path) -> int:
    """Bytes in the files under path (0 when it is gone)."""
    total = 0
    try:
        entries = list(os.scandir(path))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                total += folder_size(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                total += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue  # removed while we looked
    return total


@bp.get("/stats")
@describe(
    Operation(
        "Index statistics",
        Reply("The index as a whole.", schemas.STATS),
        description="Documents, terms and postings per field, segments, size on disk, "
        "generation, the last reindex report and the files pending a retry.",
        errors=(503,),
        admin=True,
        tag="admin",
    )
)
def stats() -> dict[str, Any]:
    with service().lease() as gen, gen.reading():  # one thread at a time in Whoosh
        field_stats: FieldStatsCache = current_app.extensions[EXTENSION]
        per_field, computed_ms, cached = field_stats.get(gen)
        segments = len(list(gen.searcher.reader().leaf_readers()))
        manifest = read_manifest(gen.index_dir)
        live = manifest.live if manifest is not None else None
        result: dict[str, Any] = {
            "documents": gen.doc_count,
            "deleted_documents": gen.doc_count_all - gen.doc_count,
            "generation": gen.number,
            "schema_version": manifest.schema_version if manifest is not None else None,
            "indexed_at": gen.indexed_at,
            "segments": segments,
            "fields": per_field,
            "field_stats": {
                "cached": cached,
                "computed_ms": computed_ms,
                "note": FIELD_STATS_NOTE,
            },
            "live_dir": live,
            "size_bytes": {
                "live": folder_size(gen.index_dir / live) if live else 0,
                "index_dir": folder_size(gen.index_dir),
            },
            # read now: a run with nothing to change makes no new generation
            "last_report": read_last_report(gen.index_dir),
            "pending": sorted(read_pending(gen.index_dir)),
        }
    return result


def init_app(app: Flask) -> None:
    """Serve these views on ``app``, with its own cache of field statistics."""
    app.extensions[EXTENSION] = FieldStatsCache()
    app.register_blueprint(bp)
