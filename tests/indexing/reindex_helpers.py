"""Shared by test_replay.py and test_crash.py: what an index holds, compared without the
time it was built, and the fixed searches both compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from searchsvc.indexing.build import build_index
from searchsvc.indexing.layout import read_manifest
from searchsvc.indexing.report import ReindexReport
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.search import search

State = dict[str, dict[str, Any]]  # slug -> stored document without "indexed_at"
Hits = list[tuple[str, float, str | None]]  # (slug, score, published_at)
Signature = list[tuple[str, int, Hits, dict[str, list[tuple[str, int]]]]]

# A word, a phrase, a tag filter, a ticker filter, a company name, newest first, an empty
# query, any-of-words oldest first, an author filter: totals and slug order are compared.
QUERIES: list[tuple[str, SearchRequest]] = [
    ("word", SearchRequest(q="tariff", per_page=50, facets=())),
    ("phrase", SearchRequest(q='"data center"', per_page=50, facets=())),
    ("tag", SearchRequest(tags=("Daily Brief",), per_page=50, facets=())),
    ("ticker", SearchRequest(tickers=("NVDA",), per_page=50, facets=())),
    ("ticker TSLA", SearchRequest(tickers=("TSLA",), per_page=50, facets=())),
    ("company", SearchRequest(q="Tesla", per_page=50, facets=())),
    ("newest", SearchRequest(sort="newest", per_page=50, facets=())),
    ("empty", SearchRequest(per_page=50, facets=("year", "category", "author"))),
    ("any oldest", SearchRequest(q="chip memory", match="any", sort="oldest", per_page=50)),
    ("author", SearchRequest(authors=("Tomás Herrera",), per_page=50, facets=())),
]


def index_state(index_dir: Path) -> State:
    """slug -> stored document (without indexed_at) of every live document.

    Fails if two live documents share a slug: a dict would otherwise hide the second."""
    handle = IndexHandle.open(index_dir)
    try:
        gen = handle.current()
        docs: State = {}
        for docnum in range(gen.doc_count_all):
            if not gen.alive[docnum]:
                continue
            doc = dict(gen.stored(docnum))
            doc.pop("indexed_at")
            assert doc["slug"] not in docs, f"slug {doc['slug']!r} twice in {index_dir}"
            docs[doc["slug"]] = doc
        assert len(docs) == gen.doc_count
        return docs
    finally:
        handle.close()


def search_signature(index_dir: Path) -> Signature:
    """Per fixed query: (name, total, hits as (slug, score, published_at), facets)."""
    handle = IndexHandle.open(index_dir)
    try:
        result: Signature = []
        for name, request in QUERIES:
            found = search(handle, request)
            hits = [(h.doc["slug"], round(h.score, 4), h.doc["published_at"]) for h in found.hits]
            facets = {f: sorted((v.value, v.count) for v in vs) for f, vs in found.facets.items()}
            result.append((name, found.total, hits, facets))
        return result
    finally:
        handle.close()


def search_differences(ours: Signature, theirs: Signature) -> list[str]:
    """How the answers of two indexes to the fixed queries differ, one line per query.

    "tie order" names results that rank equally (same score and date) but come back in a
    different order: the order of equals is the order of documents in the index."""
    found = []
    for (name, total, hits, facets), (_, total2, hits2, facets2) in zip(ours, theirs, strict=True):
        slugs, slugs2 = [h[0] for h in hits], [h[0] for h in hits2]
        if total != total2 or sorted(hits) != sorted(hits2):
            found.append(f"{name!r}: results differ: {total} {hits} vs {total2} {hits2}")
        elif slugs != slugs2:
            moved = [i for i, (a, b) in enumerate(zip(slugs, slugs2, strict=True)) if a != b]
            ties = [(h[1], h[2]) for h in hits] == [(h[1], h[2]) for h in hits2]
            kind = "tie order (same score and date)" if ties else "order"
            found.append(
                f"{name!r}: {kind} differs: "
                f"{[slugs[i] for i in moved]} vs {[slugs2[i] for i in moved]}"
            )
        if facets != facets2:
            found.append(f"{name!r}: facets differ: {facets} vs {facets2}")
    return found


def fresh_full_build(content: Path, scratch: Path) -> tuple[Path, ReindexReport]:
    """A full build of content into a new folder under scratch: (that folder, its report)."""
    scratch.mkdir(parents=True, exist_ok=True)
    target = scratch / f"fresh-{len(list(scratch.iterdir())):03}"
    return target, build_index(content, target, full=True, workers=1)


def index_dirs(index_dir: Path) -> tuple[list[str], list[str]]:
    """(live-* folders other than the manifest's, build-* folders) in index_dir."""
    manifest = read_manifest(index_dir)
    live = manifest.live if manifest is not None else None
    names = sorted(p.name for p in index_dir.iterdir() if p.is_dir())
    stale_live = [n for n in names if n.startswith("live-") and n != live]
    builds = [n for n in names if n.startswith("build-")]
    return stale_live, builds
