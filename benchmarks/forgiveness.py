"""How much of the judged queries' relevance their typo'd and half-typed variants keep.

Run from the repository root:  python -m benchmarks.forgiveness [--shared ../shared] [--check]
See benchmarks/README.md ("Typos and half-typed queries") for what is measured and the targets.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.engines import log, save_json
from searchsvc.indexing.build import build_index
from searchsvc.quality.relevance import Judgments, labels, read_judgments
from searchsvc.quality.variants import (
    STRICT_OPTIONS,
    Forgiveness,
    KindResult,
    measure_forgiveness,
)
from searchsvc.query.handle import IndexHandle

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
# the targets: variant nDCG@10 / clean nDCG@10 at least this, per kind of variant
SHARE_TARGETS = {"typos": 0.90, "typing": 0.85}
NO_RESULT_TARGET = 0.05  # at most this share of the variants finds nothing
# A judgments file's section of typo queries (seeds.tsv has one): they are variants already,
# judged as what the reader meant, so they are left out of the clean queries.
TYPO_SECTION = "# --- typos"
NDCG = labels()["ndcg"]
DEFAULTS = "typos=auto, prefix=last"
STRICT = ", ".join(f"{name}={value}" for name, value in STRICT_OPTIONS.items())


@dataclass(frozen=True)
class Collection:
    """Articles to index and the judgments of queries over them."""

    name: str
    content: Path
    judgments: Path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.forgiveness", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="the shared folder; its corpus/limitbreakit is measured when present"
        " (default: %(default)s)",
    )
    p.add_argument(
        "--details",
        action="store_true",
        help="also list each variant that lost relevance or found nothing",
    )
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return p.parse_args(argv)


def collections(shared: Path) -> list[Collection]:
    """seeds/ always; the site's articles when the shared corpus is there."""
    found = [Collection("seeds", ROOT / "seeds", ROOT / "relevance" / "seeds.tsv")]
    site = shared / "corpus" / "limitbreakit"
    if site.is_dir():
        found.append(Collection("limitbreakit", site, ROOT / "relevance" / "limitbreakit.tsv"))
    else:
        log(f"note: {site} is not here: only seeds/ is measured")
    return found


def typo_queries(text: str) -> set[str]:
    """The queries of a judgments file's typos section (from a `# --- typos` line to the
    next `# ---` line)."""
    found: set[str] = set()
    in_typos = False
    for line in text.splitlines():
        if line.startswith("# ---"):
            in_typos = line.startswith(TYPO_SECTION)
        elif in_typos and line.strip() and not line.startswith("#"):
            found.add(line.split("\t")[0].strip())
    return found


def clean_judgments(path: Path) -> Judgments:
    """The file's judgments without its typo queries."""
    judgments = read_judgments(path)
    typos = typo_queries(path.read_text(encoding="utf-8-sig"))
    kept = [q for q in judgments.queries if q not in typos]
    return Judgments(
        {q: judgments.queries[q] for q in kept},
        judgments.source,
        {q: judgments.lines[q] for q in kept if q in judgments.lines},
    )


def measure(collection: Collection, work: Path) -> Forgiveness:
    """Index the collection into work and measure its judged queries and their variants."""
    index_dir = work / collection.name
    log(f"indexing {collection.content}")
    build_index(collection.content, index_dir, full=True, workers=1)
    judgments = clean_judgments(collection.judgments)
    log(f"{collection.name}: {len(judgments.queries)} judged queries and their variants")
    handle = IndexHandle.open(index_dir)
    try:
        return measure_forgiveness(handle, judgments)
    finally:
        handle.close()


def kind_targets(kind: KindResult) -> dict[str, bool | None]:
    """Whether the kind met each target; None when it has nothing to measure."""
    share, no_result = kind.share, kind.no_result_share
    return {
        "share": None if share is None else share >= SHARE_TARGETS[kind.kind],
        "no_results": None if no_result is None else no_result <= NO_RESULT_TARGET,
    }


def targets_met(results: dict[str, Forgiveness]) -> bool:
    """Every kind's targets in every collection, and no clean query worse for forgiving."""
    return all(
        all(met is not False for kind in f.kinds for met in kind_targets(kind).values())
        and not f.worse_than_strict()
        for f in results.values()
    )


def _mark(met: bool | None) -> str:
    return "-" if met is None else "✓" if met else "✗"


def _number(value: float | None, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def print_report(results: dict[str, Forgiveness], details: bool = False) -> None:
    """The two tables on stdout: the variants against the clean queries, then the clean
    queries with the defaults against nothing forgiven."""
    width = max([len("collection"), *map(len, results)])
    print(f"Typo'd and half-typed variants of the judged queries, {NDCG} ({DEFAULTS})")
    print(
        f"{'collection':<{width}}  {'kind':<6}  {'queries':>7}  {'clean ' + NDCG:>13}"
        f"  {'variant ' + NDCG:>15}  {'share':>5} {'target':<8}  {'no result':>9} target"
    )
    for name, f in results.items():
        for kind in f.kinds:
            met = kind_targets(kind)
            share = f"{_number(kind.share, '.2f'):>5} ≥{SHARE_TARGETS[kind.kind]:.2f}"
            no_result = f"{len(kind.no_results)} {_number(kind.no_result_share, '4.0%')}"
            print(
                f"{name:<{width}}  {kind.kind:<6}  {kind.variants:>7}"
                f"  {_number(kind.clean_ndcg):>13}  {_number(kind.variant_ndcg):>15}"
                f"  {share} {_mark(met['share'])}"
                f"  {no_result:>9} ≤{NO_RESULT_TARGET:.0%} {_mark(met['no_results'])}"
            )
    print(
        "  share = variant / clean nDCG, over the same queries (those with a relevant"
        " judgment);\n  typos: one typo in each word of 5+ letters; typing: the last word"
        " cut to 3-4 letters"
    )

    print(f"\nClean queries, {NDCG}: the defaults ({DEFAULTS}) beside {STRICT}")
    print(f"{'collection':<{width}}  {'queries':>7}  {'defaults':>8}  {STRICT:>19}  {'Δ':>7}")
    for name, f in results.items():
        clean, strict = f.clean_ndcg, f.strict_ndcg
        delta = None if clean is None or strict is None else clean - strict
        worse = f.worse_than_strict()
        note = f" ({len(worse)} of them worse)" if worse else ""
        print(
            f"{name:<{width}}  {f.clean.scored:>7}  {_number(clean):>8}  {_number(strict):>19}"
            f"  {_number(delta, '+.3f'):>7} {_mark(not worse)}{note}"
        )
        for query, before, after in worse:
            print(f"  {name}: {query!r} {before:.3f} -> {after:.3f} with the defaults")
    if details:
        _print_details(results)


def _print_details(results: dict[str, Forgiveness]) -> None:
    print("\nVariants that lost relevance or found nothing (clean -> variant nDCG, results)")
    for name, f in results.items():
        for kind in f.kinds:
            for q in kind.scored:
                assert q.clean is not None
                after = q.metrics.ndcg if q.metrics else 0.0
                if after < q.clean.ndcg or q.total == 0:
                    print(
                        f"  {name} {kind.kind}: {q.query!r} -> {q.variant!r}"
                        f"  {q.clean.ndcg:.3f} -> {after:.3f}, {q.total} results"
                    )


def to_json(results: dict[str, Forgiveness]) -> dict[str, Any]:
    return {
        "targets": {"share": SHARE_TARGETS, "no_result_share": NO_RESULT_TARGET},
        "met": targets_met(results),
        "collections": {name: f.to_json() for name, f in results.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="searchsvc-forgiveness-") as tmp:
        results = {c.name: measure(c, Path(tmp)) for c in collections(args.shared)}
    print_report(results, details=args.details)
    save_json(args.json, to_json(results))
    return 1 if args.check and not targets_met(results) else 0


if __name__ == "__main__":
    sys.exit(main())
