"""Benchmark searchsvc against SQLite FTS5 and tantivy references doing the same search-box job.

Run from the repository root:  python -m benchmarks.bench [--engine all|both|fts5|tantivy|searchsvc]
                                                  [--mix default|typos|typing]
See benchmarks/README.md for what is measured and the targets.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.engines import (
    Engine,
    extract_tickers,
    fts5_engine,
    load_articles,
    log,
    save_json,
    searchsvc_engine,
    tantivy_available,
    tantivy_engine,
    time_queries,
)
from benchmarks.gencorpus import generate_corpus
from benchmarks.querymix import MIXES, BenchQuery, build_mix, derive_mix
from benchmarks.report import analyse, mix_summary, print_report, targets_met
from searchsvc.ingest.articles import Article

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news"
ENGINE_CHOICES = {
    "all": ("fts5", "tantivy", "searchsvc"),
    "both": ("fts5", "searchsvc"),
    "fts5": ("fts5",),
    "tantivy": ("tantivy",),
    "searchsvc": ("searchsvc",),
}
TANTIVY_MISSING = "tantivy is not installed (pip install -e '.[bench]'): its engine is skipped"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="content folder to index (default: %(default)s)",
    )
    p.add_argument(
        "--generate",
        type=int,
        metavar="N",
        help="index N synthetic articles instead (vocabulary from --corpus if present)",
    )
    p.add_argument("--queries", type=int, default=300, help="queries in the mix (default 300)")
    p.add_argument("--repeat", type=int, default=3, help="timed passes per engine (default 3)")
    p.add_argument("--seed", type=int, default=20250208, help="seed of the query mix")
    p.add_argument(
        "--engine",
        choices=tuple(ENGINE_CHOICES),
        default="all",
        help="all = searchsvc, fts5 and tantivy (tantivy skipped when not installed);"
        " both = searchsvc and fts5 (default: %(default)s)",
    )
    add_mix_option(p)
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    if args.queries < 1 or args.repeat < 1 or (args.generate is not None and args.generate < 1):
        p.error("--queries, --repeat and --generate must be positive")
    return args


def add_mix_option(p: argparse.ArgumentParser) -> None:
    """``--mix``: the default query mix, or its typo'd or half-typed plain queries."""
    p.add_argument(
        "--mix",
        choices=tuple(MIXES),
        default="default",
        help="default, or the default mix's plain queries with typos or their last word"
        " half typed (default: %(default)s)",
    )


def query_mix(args: argparse.Namespace, articles: Sequence[Article]) -> list[BenchQuery]:
    """``--mix`` of the seeded default mix of ``--queries`` queries over ``articles``."""
    queries = derive_mix(build_mix(articles, args.queries, args.seed), args.mix)
    if not queries:
        raise SystemExit(f"error: the {args.mix} mix of {args.queries} queries is empty")
    return queries


def content_folder(args: argparse.Namespace, work: Path) -> Path:
    """The folder to index: --corpus, or --generate N articles written into work (with the
    vocabulary of --corpus, when it is there)."""
    if not args.generate:
        content_dir: Path = args.corpus
    else:
        source = None
        if args.corpus.is_dir():
            log(f"reading vocabulary from {args.corpus}")
            source = load_articles(args.corpus)[0]
        content_dir = generate_corpus(work / "corpus", args.generate, seed=args.seed, source=source)
        log(f"generated {args.generate} articles in {content_dir}")
    if not content_dir.is_dir():
        raise SystemExit(f"error: no corpus at {content_dir} (use --corpus DIR or --generate N)")
    return content_dir


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Prepare the corpus, build the engines, time the mix; the result as a JSON-able dict."""
    content_dir = content_folder(args, work)
    log(f"parsing {content_dir}")
    articles, unreadable, parse_s = load_articles(content_dir)
    queries = query_mix(args, articles)
    wanted = list(ENGINE_CHOICES[args.engine])
    notes = []
    if "tantivy" in wanted and not tantivy_available():
        log(f"note: {TANTIVY_MISSING}")
        notes.append(TANTIVY_MISSING)
        wanted.remove("tantivy")
        if not wanted:
            raise SystemExit(f"error: {TANTIVY_MISSING}")
    engines: list[Engine] = []
    try:
        tickers = None
        if {"fts5", "tantivy"} & set(wanted):
            log("extracting tickers for the references")
            tickers = extract_tickers(articles)
        if "fts5" in wanted:
            log("building fts5")
            engines.append(fts5_engine(articles, parse_s, work, tickers))
        if "tantivy" in wanted:
            log("building tantivy")
            engines.append(tantivy_engine(articles, parse_s, work, tickers))
        if "searchsvc" in wanted:
            log("building searchsvc")
            engines.append(searchsvc_engine(content_dir, parse_s, work))
        timings = time_queries(engines, queries, args.repeat)
    finally:
        for e in engines:
            e.close()
    result = analyse(engines, queries, timings)
    result["notes"] = notes + result["notes"]
    result["corpus"] = {
        "path": f"generated ({args.generate} articles)" if args.generate else str(content_dir),
        "articles": len(articles),
        "unreadable": unreadable,
    }
    result["mix"] = {
        "name": args.mix,
        "from_queries": args.queries,
        "queries": len(queries),
        "seed": args.seed,
        "repeat": args.repeat,
        "warmup_passes": 1,
        **mix_summary(queries),
    }
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "tantivy": _tantivy_version(),
    }
    return result


def _tantivy_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tantivy")
    except PackageNotFoundError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="searchsvc-bench-") as tmp:
        result = run(args, Path(tmp))
    print_report(result)
    save_json(args.json, result)
    return 1 if args.check and not targets_met(result) else 0


if __name__ == "__main__":
    sys.exit(main())
