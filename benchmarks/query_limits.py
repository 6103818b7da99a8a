"""Benchmark the worst queries a reader can type: what one request can cost at 20k articles.

Run from the repository root:  python -m benchmarks.query_limits [--articles 20000]
See benchmarks/README.md ("Query limits") for what is measured and the target.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import shutil
import statistics
import string
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from benchmarks.engines import log, save_json
from benchmarks.gencorpus import generate_corpus
from benchmarks.reindex_bench import add_corpus_arguments, replicate_corpus
from benchmarks.vocab import BUILTIN_WORDS
from searchsvc.entities.dictionary import default_companies
from searchsvc.errors import SearchsvcError
from searchsvc.indexing.build import build_index
from searchsvc.indexing.layout import read_manifest
from searchsvc.ingest.scan import iter_article_paths
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import MAX_QUERY_LENGTH, SearchRequest
from searchsvc.query.search import search

TARGET = 1.0  # seconds: the most any one query may take at 20k articles
CACHE = Path(__file__).resolve().parent / "out" / "query-limits"
BIG_SLUG = "big-article"
BIG_TAG = "Big Article"
DENSE_SLUG = "dense-article"
DENSE_TAG = "Dense Article"
BIG_BYTES = 4_800_000  # inside the 5 MB file limit
CJK = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 600))  # common CJK ideographs


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.query_limits", description=__doc__.split("\n")[0]
    )
    add_corpus_arguments(p, articles=20_000)
    p.add_argument("--repeat", type=int, default=3, help="warm runs per query (default 3)")
    p.add_argument("--fuzz", type=int, default=40, help="random 512-character queries (40)")
    p.add_argument("--seed", type=int, default=9, help="seed of the fuzzed queries")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a query takes over 1 s")
    p.add_argument(
        "--rebuild", action="store_true", help="rebuild the cached corpus and index first"
    )
    p.add_argument(
        "--big-bytes",
        type=int,
        default=BIG_BYTES,
        help="size of each of the two big articles (default %(default)s, inside the 5 MB limit)",
    )
    p.add_argument(
        "--cache", type=Path, default=CACHE, help="where corpora and indexes are kept (%(default)s)"
    )
    return p.parse_args(argv)


# --- the corpus --------------------------------------------------------------------------


def big_article(source: Path, size: int = BIG_BYTES) -> str:
    """One article of about ``size`` bytes: real article bodies one after another, with the
    word AB between them, so that ``q=ab`` finds it and its matches run to the end."""
    head = f'---\ntitle: "A very long article"\nslug: {BIG_SLUG}\ntags: ["{BIG_TAG}"]\n---\n\n'
    parts = [head]
    total = len(head.encode())
    while total < size:
        before = total
        for path in iter_article_paths(source):
            text = path.read_text("utf-8", errors="replace")
            if text.startswith("---"):
                end = text.find("\n---", 3)
                text = text[end + 4 :] if end > 0 else text
            chunk = text.strip() + "\n\nAB\n\n"
            if total + len(chunk.encode()) > size:
                break
            parts.append(chunk)
            total += len(chunk.encode())
        if total == before:  # nothing more fits
            break
    return "".join(parts)


def dense_article(size: int = BIG_BYTES) -> str:
    """One article of about ``size`` bytes where every other word is AB and the others
    cycle through the benchmark's word list: matches everywhere, for any of those words."""
    head = f'---\ntitle: "A dense article"\nslug: {DENSE_SLUG}\ntags: ["{DENSE_TAG}"]\n---\n\n'
    line = " ".join(f"ab {w}" for w in BUILTIN_WORDS) + "\n"
    return head + line * ((size - len(head)) // len(line))


def prepare(args: argparse.Namespace) -> tuple[Path, str]:
    """The index to search (built once, cached under benchmarks/out/) and what it holds."""
    generated = bool(args.generate) or not args.corpus.is_dir()
    n = args.generate or args.articles
    key = f"{'generated' if generated else args.corpus.name}-{n}-big{args.big_bytes}-v2"
    work = args.cache / key
    content, index_dir = work / "content", work / "index"
    stamp = work / "built"
    described = f"{'generated' if generated else str(args.corpus) + ' copied to'} {n} articles"
    described += f" + two of {args.big_bytes / 1e6:.1f} MB"
    if stamp.exists() and not args.rebuild:
        log(f"using the cached index in {work}")
        return index_dir, described
    if work.exists():
        shutil.rmtree(work)
    content.mkdir(parents=True)
    if generated:
        log(f"generating {n} articles")
        generate_corpus(content, n, seed=args.seed)
        source = content
    else:
        log(f"copying {args.corpus} to {n} articles")
        replicate_corpus(args.corpus, content, n)
        source = args.corpus
    (content / f"{BIG_SLUG}.md").write_text(big_article(source, args.big_bytes), "utf-8")
    (content / f"{DENSE_SLUG}.md").write_text(dense_article(args.big_bytes), "utf-8")
    log("full build (this takes a few minutes at 20k)")
    started = time.perf_counter()
    report = build_index(content, index_dir, full=True)
    log(f"built {report.added} articles in {time.perf_counter() - started:.0f} s")
    if report.errors:
        log(f"{len(report.errors)} files not indexed, e.g. {report.errors[0]}")
    stamp.write_text("ok\n")
    return index_dir, described


# --- the queries -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    request: SearchRequest
    big: str | None = None  # an article that must be among the hits (it is the point)


def _fill(pieces: Iterator[str], limit: int = MAX_QUERY_LENGTH) -> str:
    """Space-joined pieces up to limit characters."""
    out = ""
    for piece in pieces:
        candidate = f"{out} {piece}" if out else piece
        if len(candidate) > limit:
            break
        out = candidate
    return out


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]


def vocabulary(gen: Generation) -> list[str]:
    """Words of the body lexicon that are their own stem, most of them real words."""
    reader = gen.searcher.reader()
    words = [t.decode() for t in reader.lexicon("body")]
    return [w for w in words if w.isascii() and w.isalpha() and 4 <= len(w) <= 10]


def most_frequent(gen: Generation, n: int = 80) -> list[str]:
    """The body's n most frequent terms: the costliest words to search, by far."""
    reader = gen.searcher.reader()
    counts = ((info.doc_frequency(), t.decode()) for t, info in reader.iter_field("body"))
    return [t for _, t in sorted(counts, reverse=True)[:n] if t.isalpha()]


def fixed_cases(words: list[str], top: list[str], rng: random.Random) -> list[Case]:
    letters = string.ascii_lowercase
    bomb = " ".join(f"{c}*" for _ in range(6) for c in letters)
    pairs = _fill(iter(f"{a}{b}*" for a in letters for b in "aeiourst"))
    picked = rng.sample(words, 200)
    common = _fill(iter(picked))
    typos = _fill(_typo(w, rng) for w in picked if len(w) >= 5)
    dense = _fill(iter(BUILTIN_WORDS))
    phrases = _fill(f'"{a} {b}"' for a, b in zip(top[::2], top[1::2], strict=False))
    return [
        Case("156 one-letter prefixes", SearchRequest(q=bomb)),
        Case("two-letter prefixes, 512 chars", SearchRequest(q=pairs)),
        Case("512 chars, match=any", SearchRequest(q=common, match="any")),
        Case("512 chars, match=all (relaxed)", SearchRequest(q=common)),
        Case("512 chars of the most frequent words", SearchRequest(q=_fill(iter(top)))),
        Case("most frequent words, match=any", SearchRequest(q=_fill(iter(top)), match="any")),
        Case("phrases of the most frequent words", SearchRequest(q=phrases)),
        Case("phrases of them, match=any", SearchRequest(q=phrases, match="any")),
        Case("one phrase of 512 chars", SearchRequest(q=f'"{common[:510]}"')),
        Case("512 chars of typos (suggestion)", SearchRequest(q=typos)),
        Case("512 chars of typos, match=any", SearchRequest(q=typos, match="any")),
        Case("CJK, one 512-char word", SearchRequest(q=CJK[:MAX_QUERY_LENGTH])),
        Case("CJK, 256 one-char words", SearchRequest(q=" ".join(CJK[:256]))),
        Case("CJK words, match=any", SearchRequest(q=_fill(iter(CJK[:300])), match="any")),
        Case("505 x + 'revnue'", SearchRequest(q="x" * 505 + " revnue")),
        Case("big article, q=ab", SearchRequest(q="ab", tags=(BIG_TAG,)), BIG_SLUG),
        Case(
            "big article, 512 chars match=any",
            SearchRequest(q=common, match="any", tags=(BIG_TAG,)),
            BIG_SLUG,
        ),
        Case("dense article, q=ab", SearchRequest(q="ab", tags=(DENSE_TAG,)), DENSE_SLUG),
        Case(
            "dense article, 512 chars match=any",
            SearchRequest(q=dense, match="any", tags=(DENSE_TAG,)),
            DENSE_SLUG,
        ),
        Case("q=ab, both big articles and more", SearchRequest(q="ab", per_page=50)),
    ]


def fuzzed_cases(words: list[str], n: int, rng: random.Random) -> list[Case]:
    """n random queries of up to 512 characters mixing every kind of syntax."""
    makers: list[Callable[[], str]] = [
        lambda: rng.choice(words),
        lambda: _typo(rng.choice(words), rng),
        lambda: rng.choice(words)[: rng.randint(1, 3)] + "*",
        lambda: f'"{rng.choice(words)} {rng.choice(words)}"',
        lambda: f"{rng.choice(words)} OR {rng.choice(words)}",
        lambda: "-" + rng.choice(words),
        lambda: f"title:{rng.choice(words)}",
        lambda: "".join(rng.choices(CJK, k=rng.randint(1, 4))),
        lambda: rng.choice(string.ascii_lowercase),
    ]
    cases = []
    for i in range(n):
        weights = [rng.random() for _ in makers]
        text = _fill(rng.choices(makers, weights)[0]() for _ in range(1000))
        match = rng.choice(("all", "any"))
        cases.append(Case(f"fuzz {i} ({match})", SearchRequest(q=text, match=match)))
    return cases


# --- timing ------------------------------------------------------------------------------


class _Fresh:
    """A handle on a new Generation of the same commit: no postings or expansions cached
    yet (the segments' value arrays are shared, as a refresh shares them)."""

    def __init__(self, index_dir: Path, base: Generation) -> None:
        manifest = read_manifest(index_dir)
        assert manifest is not None
        live = index_dir / manifest.live
        searcher = whoosh_index.open_dir(str(live)).searcher()
        self.gen = Generation(index_dir, live, searcher, base.number, base.segment_arrays)

    @contextmanager
    def lease(self) -> Iterator[Generation]:
        yield self.gen


def time_case(index_dir: Path, handle: IndexHandle, case: Case, repeat: int) -> dict[str, Any]:
    companies = default_companies()
    fresh = _Fresh(index_dir, handle.current())
    try:
        started = time.perf_counter()
        try:
            result = search(fresh, case.request, companies)  # type: ignore[arg-type]
        except SearchsvcError as exc:  # a defect: report it, time the rest
            return _failed(case, exc, time.perf_counter() - started)
        cold = time.perf_counter() - started
        warm = []
        for _ in range(repeat):
            started = time.perf_counter()
            search(fresh, case.request, companies)  # type: ignore[arg-type]
            warm.append(time.perf_counter() - started)
    finally:
        fresh.gen.close()
    if case.big and not any(h.doc["slug"] == case.big for h in result.hits):
        raise SystemExit(f"error: {case.name!r} does not find {case.big}")
    samples = [cold, *warm]
    return {
        "name": case.name,
        "q_chars": len(case.request.q),
        "match": case.request.match,
        "total": result.total,
        "limits": [limit.code for limit in getattr(result, "limits", ())],
        "cold_s": round(cold, 4),
        "p50_s": round(statistics.median(samples), 4),
        "max_s": round(max(samples), 4),
    }


def _failed(case: Case, exc: Exception, seconds: float) -> dict[str, Any]:
    return {
        "name": case.name,
        "q_chars": len(case.request.q),
        "match": case.request.match,
        "total": None,
        "error": f"{type(exc).__name__}: {exc}",
        "limits": [],
        "cold_s": round(seconds, 4),
        "p50_s": round(seconds, 4),
        "max_s": round(seconds, 4),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    index_dir, described = prepare(args)
    handle = IndexHandle.open(index_dir)
    try:
        gen = handle.current()
        # once per process, not per query: the company dictionary's query pattern
        search(handle, SearchRequest(q="nvidia earnings"))
        rng = random.Random(args.seed)
        words = vocabulary(gen)
        top = most_frequent(gen)
        cases = fixed_cases(words, top, rng) + fuzzed_cases(words + top[:20], args.fuzz, rng)
        rows = []
        for case in cases:
            row = time_case(index_dir, handle, case, args.repeat)
            log(f"{row['max_s']:8.3f} s  {case.name}")
            rows.append(row)
        documents = gen.doc_count
    finally:
        handle.close()
    fuzz = [r for r in rows if r["name"].startswith("fuzz")]
    return {
        "corpus": described,
        "documents": documents,
        "python": platform.python_version(),
        "repeat": args.repeat,
        "target_s": TARGET,
        "queries": rows,
        "fuzz": {
            "n": len(fuzz),
            "p50_s": statistics.median(r["max_s"] for r in fuzz) if fuzz else None,
            "max_s": max((r["max_s"] for r in fuzz), default=None),
        },
        "cases_digest": hashlib.sha256(
            json.dumps([c.request.q for c in cases]).encode()
        ).hexdigest()[:12],
    }


def print_report(result: dict[str, Any]) -> None:
    print(f"# Query limits: {result['corpus']} ({result['documents']} documents)")
    print(f"each query: one cold run on a new generation, then {result['repeat']} warm runs")
    print()
    print("| query | chars | total | cold s | p50 s | max s | limits |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in result["queries"]:
        if r["name"].startswith("fuzz"):
            continue
        limits = r.get("error") or ", ".join(r["limits"]) or "-"
        total = "-" if r["total"] is None else r["total"]
        print(
            f"| {r['name']} | {r['q_chars']} | {total} | {r['cold_s']:.3f} | "
            f"{r['p50_s']:.3f} | {r['max_s']:.3f} | {limits} |"
        )
    fuzz = result["fuzz"]
    if fuzz["n"]:
        print(
            f"| {fuzz['n']} fuzzed 512-char queries (per query: max) | | | | "
            f"{fuzz['p50_s']:.3f} | {fuzz['max_s']:.3f} | |"
        )
    worst = max(result["queries"], key=lambda r: r["max_s"])
    print()
    print(f"slowest: {worst['name']!r} {worst['max_s']:.3f} s (target {result['target_s']} s)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    print_report(result)
    if args.json:
        save_json(args.json, result)
    slowest = max(r["max_s"] for r in result["queries"])
    return 1 if args.check and slowest > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
