"""kill -9 during a reindex, at random moments: the index survives and converges.

Each round mutates a generated corpus of a few hundred articles (adds, edits, deletions,
moves, duplicate slugs, bad files; sometimes a full rebuild is asked for), starts the
reindex in a child process and SIGKILLs it after a random delay. Then:

- the writer lock is free (a new build runs),
- the index opens and answers a search,
- it holds either the state before the round or the state a full build of the new content
  gives, nothing in between, and its generation did not go back,
- after one clean incremental run it equals a fresh full build (same slugs, same stored
  documents but for indexed_at, same errors, same totals for the fixed searches),
- no abandoned build-*/live-* folders or temporary files are left behind.

The delay is drawn from 0 to 1.3x the duration of the run it interrupts (a full build of
~150-300 articles: a few hundred ms), so most kills land inside a run and some just after
(how many do on this machine: `python -m benchmarks.crash_kills`).
Most children are forked from the test process (the company dictionary is already
loaded, so the build starts at once); every eighth round starts a fresh interpreter, as a
`searchsvc index` process would be, and counts the delay from when its build starts.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from whoosh import index as whoosh_index

import searchsvc.indexing.build
from searchsvc.entities.dictionary import default_companies
from searchsvc.indexing.build import build_index
from searchsvc.indexing.layout import read_manifest, writer_lock
from searchsvc.indexing.report import ReindexReport
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.search import search
from tests.conftest import ROOT, write_article
from tests.indexing.reindex_helpers import (
    State,
    fresh_full_build,
    index_dirs,
    index_state,
    search_signature,
)

ROUNDS = 25
SEED = 20251124
START_ARTICLES = 150

WORDS = (
    "market growth chip cloud revenue quarter supply demand tariff export battery vehicle "
    "bank credit yield bond rally slump forecast guidance margin factory robot software "
    "security breach patch data center model inference training wafer memory storage "
    "network fiber satellite launch orbit harvest frost coffee cocoa wheat retail shopper "
    "luxury brand merger acquisition lawsuit regulator antitrust fine subsidy dividend "
    "buyback layoffs hiring union strike port shipping freight container airline fuel "
    "refinery pipeline solar wind turbine grid utility nuclear reactor uranium copper "
    "lithium nickel steel aluminum mining drought flood insurance claims pension fund "
    "startup venture valuation listing debut index futures options volatility currency "
    "inflation rates central treasury auction deficit budget election policy sanctions"
).split()
COMPANIES = (
    "Nvidia (NASDAQ: NVDA)",
    "$TSLA",
    "Intel",
    "Microsoft",
    "Alibaba (NYSE: BABA)",
    "$AMD",
    "Oracle",
    "Rivian",
    "Samsung Electronics (KRX: 005930)",
    "Apple",
)
TAGS = ("Markets", "Chips", "Energy", "Retail", "Policy", "Autos", "Banks", "Daily Brief")
AUTHORS = ("Tomás Herrera", "Ann Lee", "Bo Chen", "Priya Raman")
FOLDERS = ("news", "news/2025", "analysis", "briefs", "archive/old")
BROKEN = "---\ntitle: [never closed\ndate: 2025-01-01\n---\nA body that never gets read.\n"

CHILD = """
import sys
from pathlib import Path
from whoosh import index as whoosh_index

from searchsvc.entities.dictionary import default_companies
from searchsvc.indexing.build import build_index
_ = default_companies().article_finder
print("ready", flush=True)
build_index(Path(sys.argv[1]), Path(sys.argv[2]), full=sys.argv[3] == "full", workers=1)
print("done", flush=True)
"""


def make_article(number: int, slug: str, rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(80, 300))
    for company in rng.sample(COMPANIES, rng.randint(0, 3)):
        words.insert(rng.randrange(len(words)), company)
    paragraphs = [" ".join(words[i : i + 60]).capitalize() + "." for i in range(0, len(words), 60)]
    title = " ".join(rng.choices(WORDS, k=rng.randint(3, 7))).capitalize()
    tags = ", ".join(rng.sample(TAGS, rng.randint(1, 3)))
    return (
        f"---\nslug: {slug}\ntitle: {title} ({number})\n"
        f'date: "2025-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"\n'
        f"author: {rng.choice(AUTHORS)}\ncategory: {rng.choice(TAGS)}\ntags: [{tags}]\n"
        f"keywords: [{rng.choice(WORDS)}-{rng.choice(WORDS)}]\n---\n\n" + "\n\n".join(paragraphs)
    )


class Corpus:
    """A generated content folder, and the random changes a round makes to it."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.slugs: dict[str, str] = {}  # path -> slug of every good file (duplicates too)
        self.bad: set[str] = set()
        self.count = 0

    def _write(self, rel: str, slug: str | None = None, number: int | None = None) -> None:
        if number is None:
            self.count += 1
            number = self.count
        slug = slug or f"story-{number:04}"
        write_article(self.root, rel, make_article(number, slug, self.rng))
        self.slugs[rel] = slug

    def add(self) -> None:
        self._write(f"{self.rng.choice(FOLDERS)}/story-{self.count + 1:04}.md")

    def edit(self, rel: str) -> None:
        """New words, date, tags, authors and companies; the same slug."""
        self._write(rel, self.slugs[rel], number=0)

    def delete(self, rel: str) -> None:
        (self.root / rel).unlink()
        self.slugs.pop(rel, None)
        self.bad.discard(rel)

    def move(self, rel: str) -> None:
        self.count += 1
        target = f"{self.rng.choice(FOLDERS)}/moved-{self.count:04}-{Path(rel).name}"
        (self.root / target).parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.root / rel, self.root / target)
        self.slugs[target] = self.slugs.pop(rel)

    def add_bad(self) -> None:
        self.count += 1
        rel = f"broken/bad-{self.count:04}.md"
        write_article(self.root, rel, BROKEN if self.rng.random() < 0.7 else "")
        self.bad.add(rel)

    def fix_bad(self, rel: str) -> None:
        self.bad.discard(rel)
        self._write(rel)

    def add_duplicate(self) -> None:
        """A new file claiming a slug in use, in a path sorting before or after the owner."""
        slug = self.slugs[self.rng.choice(sorted(self.slugs))]
        self.count += 1
        self._write(f"{self.rng.choice(('aa-dupes', 'zz-dupes'))}/dup-{self.count:04}.md", slug)

    def mutate(self) -> None:
        rng = self.rng
        good = sorted(self.slugs)
        for rel in rng.sample(good, rng.randint(0, 40)):
            self.edit(rel)
        for rel in rng.sample(good, rng.randint(0, 8)):
            self.delete(rel)
        for rel in rng.sample(sorted(self.slugs), rng.randint(0, 3)):
            self.move(rel)
        for _ in range(rng.randint(0, 25)):
            self.add()
        if rng.random() < 0.3:
            self.add_bad()
        if self.bad and rng.random() < 0.3:
            self.fix_bad(rng.choice(sorted(self.bad)))
        if self.bad and rng.random() < 0.15:
            self.delete(rng.choice(sorted(self.bad)))
        if rng.random() < 0.25:
            self.add_duplicate()


class Killed(BaseException):
    """Stands for SIGKILL at one exact point of a run (raised from a patched function)."""


def _reindex(content: str, index: str, full: bool) -> None:
    build_index(Path(content), Path(index), full=full, workers=1)


def run_and_kill(content: Path, index_dir: Path, full: bool, delay: float, fork: bool) -> str:
    """Run a reindex in a child, SIGKILL it after delay seconds (from when the build
    starts); returns "killed" or "finished"."""
    if fork:
        process = multiprocessing.get_context("fork").Process(
            target=_reindex, args=(str(content), str(index_dir), full)
        )
        process.start()
        process.join(delay)
        if process.exitcode is None:
            os.kill(process.pid, signal.SIGKILL)
        process.join()
        assert process.exitcode in (0, -signal.SIGKILL), f"child failed: {process.exitcode}"
        return "finished" if process.exitcode == 0 else "killed"
    args = [str(content), str(index_dir), "full" if full else "incremental"]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n", "the child did not start"
        try:
            child.wait(delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode in (0, -signal.SIGKILL), f"child failed: {stderr}"
    return "finished" if child.returncode == 0 else "killed"


def assert_usable(index_dir: Path, where: str) -> int:
    """The lock is free, the index opens and a search answers; returns the generation."""
    with writer_lock(index_dir, wait_seconds=0.5):
        pass
    handle = IndexHandle(index_dir)
    try:
        generation = handle.current()
        found = search(handle, SearchRequest(q="market", per_page=5))
        assert found.total > 0, where
        return generation.number
    finally:
        handle.close()


def partial_writes(index_dir: Path) -> set[str]:
    """build-* folders, and files of the live index that its last commit does not name
    (segments being written): what a run killed mid-write leaves."""
    manifest = read_manifest(index_dir)
    assert manifest is not None
    found = {p.name for p in index_dir.iterdir() if p.name.startswith("build-")}
    live = index_dir / manifest.live
    segments = {s.segment_id() for s in whoosh_index.open_dir(str(live))._segments()}
    for path in live.iterdir():
        if path.name.startswith("MAIN_") and path.name.split(".")[0] not in segments:
            found.add(f"{manifest.live}/{path.name}")
    found |= {f"{manifest.live}/{p.name}" for p in live.glob("MAIN.tmp/*")}
    return found


def leftovers(index_dir: Path) -> list[str]:
    """What a finished run should not leave in the index folder: other live-* or build-*
    folders, temporary files beside the manifest, or in the live index."""
    stale_live, builds = index_dirs(index_dir)
    manifest = read_manifest(index_dir)
    assert manifest is not None
    temporary = [p.name for p in index_dir.iterdir() if p.name.endswith(".tmp")]
    live = index_dir / manifest.live
    temporary += [f"{manifest.live}/{p.name}" for p in live.iterdir() if ".toc." in p.name]
    return stale_live + builds + temporary


@pytest.fixture
def single_threaded() -> None:
    """Children are forked only from a single-threaded test process. Apps of earlier test
    modules leave query-log writer threads that end after 5 s idle: wait for them (a
    faster run gets here sooner), rather than skip or fall back to fresh interpreters."""
    deadline = time.monotonic() + 8
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.timeout(300)  # 25 rounds of builds: a minute on a busy 2-core machine
def test_kill_9_during_reindex_never_breaks_the_index(
    tmp_path: Path, single_threaded: None
) -> None:
    rng = random.Random(SEED)
    content, index_dir, scratch = tmp_path / "content", tmp_path / "index", tmp_path / "fresh"
    corpus = Corpus(content, rng)
    for _ in range(START_ARTICLES):
        corpus.add()
    _ = default_companies().article_finder  # forked children start with it compiled
    build_index(content, index_dir, workers=1)
    before: State = index_state(index_dir)
    generation = assert_usable(index_dir, "first build")
    incremental_seconds = 0.2  # how long a clean incremental run took last round
    outcomes: Counter[str] = Counter()
    problems: list[str] = []

    for round_number in range(1, ROUNDS + 1):
        corpus.mutate()
        full = rng.random() < 0.3
        fork = round_number % 8 != 0 and threading.active_count() == 1
        started = time.perf_counter()
        fresh, wanted_report = fresh_full_build(content, scratch)
        wanted = index_state(fresh)
        # the kill comes at a random moment of a run as long as the one it interrupts
        expected = time.perf_counter() - started if full else incremental_seconds
        delay = rng.uniform(0.0, 1.3 * expected)
        where = f"round {round_number} (full={full}, delay={delay * 1000:.0f} ms, fork={fork})"

        partial = partial_writes(index_dir)
        outcome = run_and_kill(content, index_dir, full, delay, fork)
        after_kill = assert_usable(index_dir, where)
        assert after_kill >= generation, f"{where}: generation went back"
        state = index_state(index_dir)
        assert state == before or state == wanted, f"{where}: a state between two runs"
        if state == wanted and state != before:
            outcome += " after its commit"
        elif outcome == "killed":
            outcome += " mid-write" if partial_writes(index_dir) - partial else " before writing"
        outcomes[f"{'full' if full else 'incremental'} {outcome}"] += 1

        started = time.perf_counter()
        report: ReindexReport = build_index(content, index_dir)
        incremental_seconds = time.perf_counter() - started
        state = index_state(index_dir)
        assert sorted(state) == sorted(wanted), f"{where}: did not converge"
        assert state == wanted, f"{where}: did not converge (stored documents differ)"
        assert [(e.path, e.reason) for e in report.errors] == [
            (e.path, e.reason) for e in wanted_report.errors
        ], where
        totals = [(q[0], q[1]) for q in search_signature(index_dir)]
        assert totals == [(q[0], q[1]) for q in search_signature(fresh)], where
        generation = assert_usable(index_dir, where)
        if found := leftovers(index_dir):
            problems.append(f"{where}: after a clean incremental run: {found}")
        before = state

    # how many kills land inside a run depends on the machine: python -m benchmarks.crash_kills
    print(f"\n{ROUNDS} rounds: {dict(outcomes)}")
    # a full run cleans up whatever incremental runs leave behind
    build_index(content, index_dir, full=True, workers=1)
    assert index_state(index_dir) == before
    if found := leftovers(index_dir):
        problems.append(f"after a clean full run: {found}")
    assert not problems, "\n".join(problems)


def test_a_crash_right_after_the_commit_does_not_forget_a_waiting_duplicate(
    tmp_path: Path,
) -> None:
    """A run over named paths retries the files earlier runs could not index (pending).
    A kill between the Whoosh commit and the write of that list must not lose a file that
    just lost its slug: once the new owner goes, the waiting file must get it back.

    The kill is simulated in-process, at that exact point, by making the write after the
    commit fail (the one before it goes through)."""
    content, index_dir = tmp_path / "content", tmp_path / "index"
    write_article(content, "m.md", make_article(1, "shared", random.Random(1)))
    build_index(content, index_dir, workers=1)
    write_article(content, "a.md", make_article(2, "shared", random.Random(2)))  # sorts first
    real_write = searchsvc.indexing.build.write_pending
    writes: list[set[str]] = []

    def write_then_die(index: Path, paths: set[str]) -> None:
        writes.append(paths)
        if len(writes) > 1:
            raise Killed
        real_write(index, paths)

    with (
        mock.patch.object(searchsvc.indexing.build, "write_pending", side_effect=write_then_die),
        pytest.raises(Killed),
    ):
        build_index(content, index_dir, paths=["a.md"])
    assert index_state(index_dir)["shared"]["source_path"] == "a.md"  # the commit happened

    (content / "a.md").unlink()
    build_index(content, index_dir, paths=["a.md"])
    fresh, _ = fresh_full_build(content, tmp_path / "fresh")
    assert index_state(fresh)["shared"]["source_path"] == "m.md"
    state = index_state(index_dir)
    assert "shared" in state, "m.md was forgotten: pending.json lost it in the crash"
    assert state == index_state(fresh)


@pytest.mark.slow  # kills a dozen full builds
def test_killed_full_builds_leave_no_folders_behind(tmp_path: Path, single_threaded: None) -> None:
    """A full build killed midway leaves its build-* folder; the next run, full or not,
    must remove it, or every interrupted rebuild costs a partial index copy on disk."""
    content, index_dir = tmp_path / "content", tmp_path / "index"
    corpus = Corpus(content, random.Random(SEED))
    for _ in range(START_ARTICLES):
        corpus.add()
    _ = default_companies().article_finder
    build_index(content, index_dir, workers=1)
    killed = 0
    for delay in (0.05, 0.1, 0.15):
        if threading.active_count() > 1:
            pytest.skip("forking needs a single-threaded test process")
        killed += run_and_kill(content, index_dir, True, delay, fork=True) == "killed"
    assert killed, "no full build was killed midway: make the corpus bigger"
    build_index(content, index_dir)
    assert leftovers(index_dir) == []
