"""The engines under test behind one small interface, and the timing loop.

All index the same articles, parsed once by ``searchsvc.ingest.scan.load_corpus`` (searchsvc's
own full build parses the same files again, as it must); the two references (FTS5 and, when
the optional tantivy package is installed, tantivy) share one ticker extraction.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.fts5ref import FACETS, Fts5Reference
from benchmarks.querymix import BenchQuery
from searchsvc.ingest.articles import Article

if TYPE_CHECKING:
    from searchsvc.query.handle import IndexHandle


@dataclass
class Engine:
    """One engine under test: turn a query into its request, run a request, close."""

    name: str
    prepare: Callable[[BenchQuery], Any]
    run: Callable[[Any], Any]  # returns an object with an int ``total``
    close: Callable[[], None]
    build: dict[str, float | int | None] = field(default_factory=dict)


@dataclass
class Timing:
    """One engine's samples: ``ms[pass, query]``, the warm-up pass's own times (cold:
    the first query of each term, no caches), and each query's total from the warm-up."""

    ms: np.ndarray
    totals: list[int]
    cold_ms: np.ndarray


def log(message: str) -> None:
    """Progress goes to stderr so stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


def save_json(path: Path | None, result: dict[str, Any]) -> None:
    """``--json OUT``: the whole result, for comparing runs (nothing when not asked)."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    log(f"wrote {path}")


def load_articles(content_dir: Path) -> tuple[list[Article], int, float]:
    """Parse the corpus with searchsvc's own loader: (articles, unreadable files, seconds)."""
    from searchsvc.ingest.scan import load_corpus

    start = perf_counter()
    articles, errors = load_corpus(content_dir)
    return list(articles), len(errors), perf_counter() - start


def extract_tickers(articles: Sequence[Article]) -> tuple[list[tuple[Any, ...]], float]:
    """Tickers per article with searchsvc's own extractor: (tickers, seconds)."""
    from searchsvc.entities.dictionary import default_companies
    from searchsvc.entities.tickers import extract_tickers as extract

    start = perf_counter()
    companies = default_companies()
    tickers = [tuple(extract(a, companies)) for a in articles]
    return tickers, perf_counter() - start


def _reference_build(
    n: int, parse_s: float, extract_s: float, index_s: float
) -> dict[str, float | int | None]:
    total_s = parse_s + extract_s + index_s
    return {
        "articles": n,
        "parse_s": parse_s,
        "extract_s": extract_s,
        "index_s": index_s,
        "total_s": total_s,
        "articles_per_s": n / total_s,
    }


def fts5_engine(
    articles: Sequence[Article],
    parse_s: float,
    work: Path,
    tickers: tuple[list[tuple[Any, ...]], float] | None = None,
) -> Engine:
    """Build the FTS5 reference over ``articles`` and time each build step. ``tickers``:
    an extraction already made (with its time), else one is made here."""
    mentions, extract_s = tickers or extract_tickers(articles)
    ref = Fts5Reference(work / "fts5.sqlite3")
    start = perf_counter()
    ref.build(articles, mentions)
    index_s = perf_counter() - start
    build = _reference_build(len(articles), parse_s, extract_s, index_s)
    return Engine("fts5", lambda q: q, ref.search, ref.close, build)


def tantivy_available() -> bool:
    """Whether the optional ``tantivy`` package (the ``bench`` extra) can be imported."""
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


def tantivy_engine(
    articles: Sequence[Article],
    parse_s: float,
    work: Path,
    tickers: tuple[list[tuple[Any, ...]], float] | None = None,
) -> Engine:
    """Build the tantivy reference over ``articles`` (one writer thread, like the FTS5
    build) and time each build step; needs the optional tantivy package."""
    from benchmarks.tantivyref import TantivyReference

    mentions, extract_s = tickers or extract_tickers(articles)
    ref = TantivyReference(work / "tantivy")
    start = perf_counter()
    ref.build(articles, mentions)
    index_s = perf_counter() - start
    build = _reference_build(len(articles), parse_s, extract_s, index_s)
    build["segments"] = ref.segments
    return Engine("tantivy", lambda q: q, ref.search, ref.close, build)


def build_searchsvc(
    content_dir: Path, parse_s: float, work: Path
) -> tuple[IndexHandle, dict[str, float | int | None]]:
    """Full searchsvc build of ``content_dir`` (parse + extract + index) into ``work``, then
    open it: the handle and the build's figures (``parse_s``: load_corpus's own time)."""
    from searchsvc.indexing.build import build_index
    from searchsvc.query.handle import IndexHandle

    index_dir = work / "searchsvc-index"
    start = perf_counter()
    report = build_index(content_dir, index_dir, full=True)
    total_s = perf_counter() - start
    documents = int(report.documents)
    build: dict[str, float | int | None] = {
        "articles": documents,
        "errors": len(report.errors),
        # The report has no per-step times: parse_s is load_corpus alone over the same files,
        # timed separately, and index_s the rest of the build (extract + index).
        "parse_s": parse_s,
        "extract_s": None,
        "index_s": total_s - parse_s,
        "total_s": total_s,
        "report_seconds": float(report.seconds),
        "articles_per_s": documents / total_s,
    }
    return IndexHandle.open(index_dir), build


def searchsvc_engine(content_dir: Path, parse_s: float, work: Path) -> Engine:
    """Full searchsvc build of ``content_dir`` (parse + extract + index), then open it."""
    from searchsvc.query.request import SearchRequest
    from searchsvc.query.search import search

    handle, build = build_searchsvc(content_dir, parse_s, work)

    def prepare(q: BenchQuery) -> Any:
        return SearchRequest(
            q=q.text(),
            sort=q.sort,
            tags=q.tags,
            categories=q.categories,
            date_from=q.date_from,
            date_to=q.date_to,
            facets=FACETS,
        )

    return Engine(
        "searchsvc", prepare, lambda request: search(handle, request), handle.close, build
    )


def time_queries(
    engines: Sequence[Engine], queries: Sequence[BenchQuery], repeat: int
) -> dict[str, Timing]:
    """Warm up each engine with the whole mix, then time ``repeat`` passes per engine.

    Passes alternate which engine goes first. Each sample is one call from the prepared
    request to the final result objects (hits with highlights, five facets), in ms.
    """
    timings: dict[str, Timing] = {}
    prepared = {e.name: [e.prepare(q) for q in queries] for e in engines}
    for e in engines:
        log(f"warm-up: {e.name}, {len(queries)} queries")
        totals, cold = [], []
        for request in prepared[e.name]:
            start = perf_counter()
            totals.append(int(e.run(request).total))
            cold.append((perf_counter() - start) * 1000.0)
        timings[e.name] = Timing(np.zeros((repeat, len(queries))), totals, np.array(cold))
    for r in range(repeat):
        for e in engines if r % 2 == 0 else list(reversed(engines)):
            log(f"pass {r + 1}/{repeat}: {e.name}")
            row = timings[e.name].ms[r]
            gc.collect()
            for i, request in enumerate(prepared[e.name]):
                start = perf_counter()
                e.run(request)
                row[i] = (perf_counter() - start) * 1000.0
    return timings
