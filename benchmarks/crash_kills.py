"""Where random kill -9s land in a reindex: before it writes, mid-write, or after its commit.

Run from the repository root:  python -m benchmarks.crash_kills [--rounds 25] [--check]

tests/indexing/test_crash.py kills reindexes at random moments and checks that the index survives
every kill. Whether its kills exercise much depends on this machine's speed: a delay is
drawn from 0 to 1.3x how long the interrupted kind of run took, and a kill lands inside
a run only if the child has not finished by then. This replays the test's rounds (the
same corpus, mutations, seed and delays, without its checks) and counts where the kills
landed, against the target the test used to assert: a third of the rounds killed inside
a run, at least one of them mid-write. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.engines import log, save_json
from searchsvc.entities.dictionary import default_companies
from searchsvc.indexing.build import build_index
from tests.indexing.reindex_helpers import fresh_full_build, index_state
from tests.indexing.test_crash import (
    ROUNDS,
    SEED,
    START_ARTICLES,
    Corpus,
    partial_writes,
    run_and_kill,
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.crash_kills", description=__doc__.split("\n")[0]
    )
    p.add_argument("--rounds", type=int, default=ROUNDS, help=f"kills ({ROUNDS}, as the test)")
    p.add_argument(
        "--articles", type=int, default=START_ARTICLES, help=f"first corpus ({START_ARTICLES})"
    )
    p.add_argument("--seed", type=int, default=SEED, help="the test's seed by default")
    p.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    return p.parse_args(argv)


def kill_rounds(work: Path, args: argparse.Namespace) -> Counter[str]:
    """test_crash's loop: mutate, kill a reindex after a random delay, say where it landed,
    then let a clean incremental run converge."""
    rng = random.Random(args.seed)
    content, index_dir, scratch = work / "content", work / "index", work / "fresh"
    corpus = Corpus(content, rng)
    for _ in range(args.articles):
        corpus.add()
    _ = default_companies().article_finder  # forked children start with it compiled
    build_index(content, index_dir, workers=1)
    before = index_state(index_dir)
    incremental_seconds = 0.2
    outcomes: Counter[str] = Counter()
    for round_number in range(1, args.rounds + 1):
        corpus.mutate()
        full = rng.random() < 0.3
        fork = round_number % 8 != 0
        started = time.perf_counter()
        fresh, _report = fresh_full_build(content, scratch)
        wanted = index_state(fresh)
        expected = time.perf_counter() - started if full else incremental_seconds
        delay = rng.uniform(0.0, 1.3 * expected)
        partial = partial_writes(index_dir)
        outcome = run_and_kill(content, index_dir, full, delay, fork)
        state = index_state(index_dir)
        if state == wanted and state != before:
            outcome += " after its commit"
        elif outcome == "killed":
            outcome += " mid-write" if partial_writes(index_dir) - partial else " before writing"
        kind = f"{'full' if full else 'incremental'} {outcome}"
        outcomes[kind] += 1
        log(f"round {round_number}: {kind} (delay {delay * 1000:.0f} ms)")
        started = time.perf_counter()
        build_index(content, index_dir)
        incremental_seconds = time.perf_counter() - started
        before = index_state(index_dir)
        shutil.rmtree(fresh)
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="searchsvc-kills-") as tmp:
        outcomes = kill_rounds(Path(tmp), args)
    inside = sum(n for k, n in outcomes.items() if k.endswith(("before writing", "mid-write")))
    mid_write = sum(n for k, n in outcomes.items() if k.endswith("mid-write"))
    met = inside >= args.rounds // 3 and mid_write > 0
    result: dict[str, Any] = {
        "rounds": args.rounds,
        "outcomes": dict(sorted(outcomes.items())),
        "killed_inside_a_run": inside,
        "killed_mid_write": mid_write,
        "target": f"killed inside a run >= {args.rounds // 3}, mid-write >= 1",
        "met": met,
    }
    print(f"{args.rounds} kill -9 rounds over {args.articles} articles and more")
    for kind, n in sorted(outcomes.items()):
        print(f"  {kind:<40} {n}")
    print(f"killed inside a run: {inside} (mid-write {mid_write}); target {result['target']}")
    print("target met" if met else "target MISSED")
    save_json(args.json, result)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
