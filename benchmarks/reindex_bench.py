"""Benchmark incremental reindexing: no-change runs, small changes, edit-to-searchable latency.

Run from the repository root:  python -m benchmarks.reindex_bench [--articles 20000]
See benchmarks/README.md ("Reindexing") for what is measured and the targets.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import random
import re
import signal
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks import servers
from benchmarks.bench import DEFAULT_CORPUS
from benchmarks.engines import log, save_json
from benchmarks.gencorpus import generate_corpus
from benchmarks.servers import Process, fetch
from searchsvc.entities.dictionary import companies_for
from searchsvc.indexing.build import build_index
from searchsvc.indexing.layout import indexed_fingerprints, read_manifest, read_stamps
from searchsvc.ingest.scan import iter_article_paths, scan_content

NO_CHANGE_TARGET = 2.0  # seconds, p50 of a run with nothing to do
SMALL_CHANGE_TARGET = 1.5  # seconds, p50 of a run after CHANGED files were edited
SEARCHABLE_TARGET = 1.0  # seconds, p95 from the file write to a search that finds it
START_TIMEOUT = 300.0  # a 20k-article server opens its index in every worker first
POLL_TIMEOUT = 30.0  # give up on one edit after this long
TOKEN = "admin-bench-token"
_SLUG_LINE = re.compile(rb"^slug:[ \t]*(.*?)[ \t]*$", re.MULTILINE)


def add_corpus_arguments(p: argparse.ArgumentParser, articles: int) -> None:
    """--corpus, --articles and --generate, as prepare_corpus reads them."""
    p.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="articles to copy until there are --articles of them (default: %(default)s)",
    )
    p.add_argument(
        "--articles", type=int, default=articles, help=f"corpus size (default {articles})"
    )
    p.add_argument(
        "--generate",
        type=int,
        metavar="N",
        help="index N synthetic articles instead (also used when --corpus is absent)",
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.reindex_bench", description=__doc__.split("\n")[0]
    )
    add_corpus_arguments(p, articles=20_000)
    p.add_argument("--repeat", type=int, default=5, help="runs per indexing figure (default 5)")
    p.add_argument("--changed", type=int, default=20, help="files edited per change run (20)")
    p.add_argument("--edits", type=int, default=30, help="edits timed through a server (30)")
    p.add_argument(
        "--warmup",
        type=int,
        default=6,
        help="untimed edits first, so every worker has compiled the company patterns (6)",
    )
    p.add_argument("--no-server", action="store_true", help="skip the edit-to-searchable part")
    p.add_argument("--no-watch", action="store_true", help="skip the `searchsvc watch` row")
    p.add_argument("--profile", action="store_true", help="pyinstrument a no-change run")
    p.add_argument(
        "--index",
        type=Path,
        metavar="DIR",
        help="an index already built of --corpus: no copy, no full build, and the edits go to"
        " the files of --corpus themselves (a 100k corpus and index built once, not per run)",
    )
    p.add_argument("--seed", type=int, default=20250208, help="seed of the file choices")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    for name in ("articles", "repeat", "changed", "edits"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be positive")
    if args.warmup < 0:
        p.error("--warmup must not be negative")
    if args.generate is not None and args.generate < 1:
        p.error("--generate must be positive")
    return args


# --- corpus ------------------------------------------------------------------------------


def replicate_corpus(source: Path, out_dir: Path, n: int) -> Path:
    """Copy source's articles into out_dir until there are n: copy k goes to copy<k>/, its
    files renamed <stem>-c<k> (and a `slug:` line given the same suffix) so slugs stay
    unique. Copy 0 keeps the original names."""
    files = [p.relative_to(source) for p in iter_article_paths(source)]
    if not files:
        raise SystemExit(f"error: no articles in {source}")
    written = 0
    copy = 0
    while written < n:
        for rel in files:
            if written == n:
                break
            data = (source / rel).read_bytes()
            if copy:
                suffix = f"-c{copy}"
                rel = rel.with_name(f"{rel.stem}{suffix}{rel.suffix}")
                data = _suffix_slug(data, suffix.encode())
            target = out_dir / f"copy{copy}" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written += 1
        copy += 1
    return out_dir


def _suffix_slug(data: bytes, suffix: bytes) -> bytes:
    """Append suffix to a frontmatter `slug:` value, if the file has one."""
    if not data.startswith(b"---"):
        return data
    end = data.find(b"\n---", 3)
    if end < 0:
        return data
    head = _SLUG_LINE.sub(lambda m: b"slug: " + m.group(1).strip(b"\"'") + suffix, data[:end])
    return head + data[end:]


def prepare_corpus(args: argparse.Namespace, work: Path) -> tuple[Path, str]:
    """The content folder to index and a description of it."""
    content = work / "content"
    if args.generate or not args.corpus.is_dir():
        n = args.generate or args.articles
        if not args.generate:
            log(f"no corpus at {args.corpus}: generating {n} articles")
        generate_corpus(content, n, seed=args.seed)
        return content, f"generated ({n} articles)"
    replicate_corpus(args.corpus, content, args.articles)
    return content, f"{args.corpus} copied to {args.articles} articles"


# --- statistics --------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summary(values: Sequence[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p95": percentile(values, 95),
        "max": max(values),
        "samples": [round(v, 4) for v in values],
    }


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


# --- indexing figures --------------------------------------------------------------------


def no_change_phases(content: Path, index_dir: Path) -> dict[str, float]:
    """Where a no-change run's time goes, phase by phase (the indexer's own helpers)."""
    from whoosh import index as whoosh_index

    phases: dict[str, float] = {}
    phases["company dictionary fingerprint"], _ = timed(lambda: companies_for(None).fingerprint)
    manifest = read_manifest(index_dir)
    assert manifest is not None
    seconds, ix = timed(lambda: whoosh_index.open_dir(str(index_dir / manifest.live)))
    phases["open the index"] = seconds
    phases["read the fingerprint lexicon"], _ = timed(lambda: indexed_fingerprints(ix))
    phases["walk the folder"], _ = timed(lambda: iter_article_paths(content))
    seconds, stamps = timed(lambda: read_stamps(index_dir, content))
    phases["read the stamps"] = seconds
    phases["walk + stat every file (stamps match: none read)"], _ = timed(
        lambda: scan_content(content, known=stamps)
    )
    phases["walk + read + hash every file (no stamps)"], _ = timed(lambda: scan_content(content))
    return phases


def edit_body(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"\n{line}\n")


def indexing_figures(
    args: argparse.Namespace, content: Path, index_dir: Path, rng: random.Random
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    log("no-change runs")
    runs = []
    for _ in range(args.repeat):
        seconds, report = timed(lambda: build_index(content, index_dir))
        assert report.added == report.updated == report.deleted == 0, report.to_json()
        runs.append(seconds)
    result["no_change"] = summary(runs)
    result["no_change"]["phases"] = no_change_phases(content, index_dir)
    if args.profile:
        result["no_change"]["profile"] = profile_no_change(content, index_dir)

    files = [p.relative_to(content).as_posix() for p in iter_article_paths(content)]
    changed = min(args.changed, len(files))
    for mode in ("scan", "paths"):
        log(f"{changed}-file change runs ({mode})")
        runs = []
        for rep in range(args.repeat):
            chosen = rng.sample(files, changed)
            for i, rel in enumerate(chosen):
                edit_body(content / rel, f"Edited for the benchmark: {mode} {rep} {i}.")
            paths: list[str] | None = chosen if mode == "paths" else None
            started = time.perf_counter()
            report = build_index(content, index_dir, paths=paths)
            seconds = time.perf_counter() - started
            assert report.updated + len(report.errors) >= changed, report.to_json()
            runs.append(seconds)
        result[f"changed_{mode}"] = summary(runs)
    result["changed_files"] = changed
    return result


def profile_no_change(content: Path, index_dir: Path) -> str | None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        log("pyinstrument is not installed: no profile")
        return None
    profiler = Profiler()
    profiler.start()
    build_index(content, index_dir)
    profiler.stop()
    text: str = profiler.output_text(unicode=False, color=False)
    return text


# --- through a running server ------------------------------------------------------------


def settings(content: Path, index_dir: Path) -> dict[str, str]:
    """The SEARCHSVC_* settings of this benchmark's server and watcher."""
    return {
        "SEARCHSVC_CONTENT_DIR": str(content),
        "SEARCHSVC_INDEX_DIR": str(index_dir),
        "SEARCHSVC_ADMIN_TOKEN": TOKEN,
    }


def child_env(work: Path, content: Path, index_dir: Path) -> dict[str, str]:
    return servers.child_env(work, settings(content, index_dir))


def start_server(work: Path, content: Path, index_dir: Path) -> tuple[Process, str, float]:
    """`searchsvc serve --workers 2` over content; (it, its base URL, seconds to start)."""
    started = time.perf_counter()
    env = settings(content, index_dir)
    try:
        # both workers warm up before they serve; a few answers suggest both are up
        server, base = servers.start_server(work, env=env, timeout=START_TIMEOUT, answers=4)
    except servers.ServerFailed as error:
        raise SystemExit(f"error: {error}") from None
    return server, base, time.perf_counter() - started


def fresh_token(rng: random.Random) -> str:
    return "zq" + "".join(rng.choices(string.ascii_lowercase, k=12))


def unseen_token(base: str, rng: random.Random) -> str:
    """A fresh token the index does not hold yet. With --index the same seed may draw a
    token an earlier run wrote into these very files: it would be found at once."""
    while True:
        token = fresh_token(rng)
        url = f"{base}/api/search?{urlencode({'q': token, 'per_page': 1, 'facets': ''})}"
        reply = fetch(url)
        if reply.status == 200 and reply.body["total"] == 0:
            return token


def wait_searchable(base: str, token: str, written: float) -> tuple[float, int]:
    """Poll until two polls in a row find token once; (seconds from written, polls)."""
    url = f"{base}/api/search?{urlencode({'q': token, 'per_page': 1, 'facets': ''})}"
    first_seen: float | None = None
    polls = 0
    while True:
        reply = fetch(url)
        now = time.perf_counter()
        polls += 1
        if reply.status != 200:
            raise SystemExit(f"error: search answered {reply.status}: {reply.body}")
        if reply.body["total"] == 1:
            if first_seen is not None:
                return first_seen - written, polls
            first_seen = now
        else:
            first_seen = None
        if now - written > POLL_TIMEOUT:
            raise SystemExit(f"error: {token} not searchable {POLL_TIMEOUT:.0f} s after the edit")
        time.sleep(0.005)


def edit_latencies(
    base: str,
    content: Path,
    files: list[str],
    edits: int,
    rng: random.Random,
    trigger: Callable[[str], None],
) -> tuple[list[float], list[int]]:
    latencies, polls = [], []
    for _ in range(edits):
        rel = rng.choice(files)
        token = unseen_token(base, rng)
        written = time.perf_counter()
        edit_body(content / rel, f"Breaking: {token} announced today.")
        trigger(rel)
        seconds, n = wait_searchable(base, token, written)
        latencies.append(seconds)
        polls.append(n)
    return latencies, polls


def searchable_figures(
    args: argparse.Namespace, work: Path, content: Path, index_dir: Path, rng: random.Random
) -> dict[str, Any]:
    files = [p.relative_to(content).as_posix() for p in iter_article_paths(content)]
    log("starting `searchsvc serve --workers 2`")
    server, base, start_seconds = start_server(work, content, index_dir)
    result: dict[str, Any] = {"server_start_s": start_seconds}
    try:
        probe = fetch(f"{base}/admin/reindex", data=[], token=TOKEN)
        webhook = probe.status == 200
        reindex_seconds: list[float] = []

        def post(rel: str) -> None:
            seconds, reply = timed(lambda: fetch(f"{base}/admin/reindex", data=[rel], token=TOKEN))
            if reply.status != 200:
                raise SystemExit(f"error: /admin/reindex answered {reply.status}: {reply.body}")
            reindex_seconds.append(seconds)

        def in_process(rel: str) -> None:
            seconds, _ = timed(lambda: build_index(content, index_dir, paths=[rel]))
            reindex_seconds.append(seconds)

        if webhook:
            how = "POST /admin/reindex [path]"
        else:
            how = "in-process build_index(paths=[path])"
            log(f"/admin/reindex answered {probe.status} ({probe.body}): reindexing in-process")
        trigger = post if webhook else in_process
        log(f"{args.warmup} warm-up edits, then {args.edits} timed, reindexed by {how}")
        cold = edit_latencies(base, content, files, args.warmup, rng, trigger)[0]
        del reindex_seconds[:]
        latencies, polls = edit_latencies(base, content, files, args.edits, rng, trigger)
        result["webhook"] = {
            "how": how,
            "fallback": not webhook,
            **summary(latencies),
            "warmup_samples": [round(v, 4) for v in cold],
            "reindex": summary(reindex_seconds),
            "polls_p50": statistics.median(polls),
        }
        if not args.no_watch:
            result["watch"] = watch_figures(args, work, content, index_dir, base, files, rng)
    finally:
        server.stop()
    return result


def watch_figures(
    args: argparse.Namespace,
    work: Path,
    content: Path,
    index_dir: Path,
    base: str,
    files: list[str],
    rng: random.Random,
) -> dict[str, Any] | None:
    if importlib.util.find_spec("searchsvc.indexing.watch") is None:
        log("no searchsvc.indexing.watch: no watch row")
        return None
    log("starting `searchsvc watch`")
    command = [sys.executable, "-m", "searchsvc.cli", "watch"]
    command += ["--content", str(content), "--index", str(index_dir)]
    watcher = Process(command, child_env(work, content, index_dir), work / "watch.log")
    try:
        started = time.perf_counter()
        # its catch-up run logs one report line ("incremental: ..." / "full build: ...")
        while "generation" not in watcher.log_text():
            if not watcher.alive():
                log(f"`searchsvc watch` exited:\n{watcher.log_text()[-2000:]}")
                return None
            if time.perf_counter() - started > START_TIMEOUT:
                log("`searchsvc watch` did not finish its catch-up run: no watch row")
                return None
            time.sleep(0.1)
        catch_up = time.perf_counter() - started
        time.sleep(0.5)  # the file-event observer is running once catch-up has reported
        log(f"{args.warmup} warm-up edits, then {args.edits} timed, picked up by the watcher")
        cold = edit_latencies(base, content, files, args.warmup, rng, lambda _rel: None)[0]
        latencies, polls = edit_latencies(base, content, files, args.edits, rng, lambda _rel: None)
    finally:
        watcher.stop(signal.SIGINT)
    return {
        "how": "searchsvc watch",
        "catch_up_s": catch_up,
        **summary(latencies),
        "warmup_samples": [round(v, 4) for v in cold],
        "polls_p50": statistics.median(polls),
    }


# --- the report --------------------------------------------------------------------------


def table(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per timed figure: what, p50, p95, max, and the target with its verdict."""

    def row(name: str, how: str, stats: dict[str, Any], target: float | None, on: str) -> None:
        ok = None if target is None else stats[on] <= target
        rows.append({"name": name, "how": how, "p50": stats["p50"], "p95": stats.get("p95"),
                     "max": stats["max"], "target": target, "on": on, "ok": ok})  # fmt: skip

    rows: list[dict[str, Any]] = []
    build = result["full_build_s"]
    if build is not None:
        row("full build", "once", {"p50": build, "max": build}, None, "")
    idx = result["indexing"]
    row("no-change run", "folder scan", idx["no_change"], NO_CHANGE_TARGET, "p50")
    for mode, how in (("scan", "folder scan"), ("paths", "paths=[the files]")):
        name = f"{idx['changed_files']}-file change"
        row(name, how, idx[f"changed_{mode}"], SMALL_CHANGE_TARGET, "p50")
    for key in ("webhook", "watch"):
        stats = (result.get("searchable") or {}).get(key)
        if stats:
            row("edit -> searchable", stats["how"], stats, SEARCHABLE_TARGET, "p95")
    return rows


def targets_met(result: dict[str, Any]) -> bool:
    return all(r["ok"] is not False for r in table(result))


def print_report(result: dict[str, Any]) -> None:
    corpus = result["corpus"]
    print(f"corpus: {corpus['path']}")
    print(f"  {corpus['documents']} documents indexed, {corpus['errors']} files skipped")
    idx = result["indexing"]
    print("no-change run, where the time goes (each phase timed alone, once):")
    for phase, seconds in idx["no_change"]["phases"].items():
        print(f"  {phase:<34}{seconds:8.3f} s")
    searchable = result.get("searchable")
    if searchable:
        hook = searchable["webhook"]
        print(f"server: 2 workers, up in {searchable['server_start_s']:.1f} s")
        if hook["fallback"]:
            print("  /admin/reindex is not available: edits were reindexed in-process")
        print(
            f"  reindex of one path: p50 {hook['reindex']['p50']:.3f} s, "
            f"max {hook['reindex']['max']:.3f} s; polls per edit p50 {hook['polls_p50']:.0f}"
        )
        for key in ("webhook", "watch"):
            cold = (searchable.get(key) or {}).get("warmup_samples")
            if cold:
                shown = ", ".join(f"{v:.2f}" for v in cold)
                print(f"  {key} warm-up edits (untimed; first use per process): {shown} s")
    print()
    print(f"{'':<20}{'how':<36}{'p50 s':>8}{'p95 s':>8}{'max s':>8}  {'target':<12}verdict")
    for r in table(result):
        p95 = "-" if r["p95"] is None else f"{r['p95']:.3f}"
        goal = "-" if r["target"] is None else f"{r['on']} <= {r['target']:g}"
        verdict = "" if r["ok"] is None else "PASS" if r["ok"] else "MISS"
        print(
            f"{r['name']:<20}{r['how']:<36}{r['p50']:8.3f}{p95:>8}{r['max']:8.3f}"
            f"  {goal:<12}{verdict}"
        )
    profile = idx["no_change"].get("profile")
    if profile:
        print("\npyinstrument, one no-change run:\n" + profile)


# --- main --------------------------------------------------------------------------------


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    if args.index is not None:
        content, index_dir = args.corpus, args.index
        log(f"using the index {index_dir} of {content}: its files will be edited")
        seconds, report = None, build_index(content, index_dir)
        description = f"{content} (index built before)"
    else:
        log("preparing the corpus")
        content, description = prepare_corpus(args, work)
        index_dir = work / "index"
        log(f"full build of {content}")
        seconds, report = timed(lambda: build_index(content, index_dir, full=True))
    result: dict[str, Any] = {
        "corpus": {
            "path": description,
            "documents": report.documents,
            "errors": len(report.errors),
        },
        "full_build_s": seconds,
    }
    result["indexing"] = indexing_figures(args, content, index_dir, rng)
    if not args.no_server:
        result["searchable"] = searchable_figures(args, work, content, index_dir, rng)
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version()}
    result["targets"] = {
        "no_change_p50_s": NO_CHANGE_TARGET,
        "changed_p50_s": SMALL_CHANGE_TARGET,
        "searchable_p95_s": SEARCHABLE_TARGET,
    }
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="searchsvc-reindex-bench-") as tmp:
        result = run(args, Path(tmp))
    result["table"] = table(result)
    print_report(result)
    save_json(args.json, result)
    return 1 if args.check and not targets_met(result) else 0


if __name__ == "__main__":
    sys.exit(main())
