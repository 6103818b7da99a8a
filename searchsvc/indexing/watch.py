"""`searchsvc watch`: follow the content folder and reindex the files that change.

One catch-up run at start, then file-system events (watchdog) or, failing that, a
polling walk say which article paths changed. A burst of changes is indexed once it has
been quiet for `debounce` seconds (or `max_delay` after it began), by an incremental
build_index over just those paths; the indexer decides by content hash what changed.
A run that fails keeps its paths for the next one, so no change is ever dropped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from searchsvc.entities.dictionary import companies_for
from searchsvc.errors import ReindexRunning
from searchsvc.indexing.build import build_index
from searchsvc.indexing.report import ReindexReport, format_report, report_lines
from searchsvc.ingest.scan import is_article_path, iter_article_paths

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent
    from watchdog.observers.api import BaseObserver

log = logging.getLogger("searchsvc.indexing.watch")

STOP_CHECK_SECONDS = 0.1  # how often the loop looks at the stop event while idle
BUSY_RETRY_SECONDS = 0.5  # pause before retrying when another writer holds the lock
FAILURE_RETRY_SECONDS = (1.0, 2.0, 5.0, 15.0, 60.0)  # backoff after runs that raised


def run_watch(
    content_dir: Path,
    index_dir: Path,
    *,
    companies_file: Path | None = None,
    debounce: float = 0.25,
    max_delay: float = 2.0,
    poll: bool | None = None,
    poll_interval: float = 0.5,
    on_report: Callable[[ReindexReport], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Catch up, then reindex changed articles until `stop` is set or Ctrl-C.

    Raises FileNotFoundError at once if content_dir is not a folder; after that, failed
    runs are logged and retried, never raised."""
    content_dir, index_dir = Path(content_dir), Path(index_dir)
    if not content_dir.is_dir():
        raise FileNotFoundError(f"content folder {content_dir} does not exist")
    stop = stop or threading.Event()
    # build the company finder now, not on the first edit a reader waits for
    _ = companies_for(companies_file).article_finder
    pending = _Pending(debounce, max_delay)
    source = _start_source(content_dir, pending, poll, poll_interval)
    runner = _Runner(content_dir, index_dir, companies_file, on_report)
    try:
        while not stop.is_set():
            source = source.check() or source
            batch = pending.take_when_due(min(STOP_CHECK_SECONDS, source.seconds_to_next()))
            if batch is not None:
                runner.run(batch, pending)
    except KeyboardInterrupt:
        log.info("interrupted; stopping")
    finally:
        source.close()


# --- what is waiting to be indexed -------------------------------------------------------


@dataclass(frozen=True)
class _Batch:
    """Paths for one run; None means the whole folder."""

    paths: frozenset[str] | None


class _Pending:
    """Changed paths not yet indexed, and when they are due (shared with the event thread)."""

    def __init__(self, debounce: float, max_delay: float) -> None:
        self._debounce = debounce
        self._max_delay = max_delay
        self._changed = threading.Condition()
        self._paths: set[str] = set()
        self._everything = True  # the catch-up run, due at once
        self._first = self._last = self._not_before = float("-inf")

    def add(self, paths: Iterable[str] | None, retry_in: float | None = None) -> None:
        """Note changed content-relative paths (None: anything may have changed); with
        retry_in, a failed batch put back, due again no sooner than that many seconds."""
        with self._changed:
            now = time.monotonic()
            if not self._everything and not self._paths:
                self._first = now  # a new burst
            self._last = now
            if paths is None:
                self._everything = True
            else:
                self._paths.update(paths)
            if retry_in is not None:
                self._not_before = now + retry_in
            self._changed.notify_all()

    def take_when_due(self, timeout: float) -> _Batch | None:
        """Wait up to timeout for the pending changes to be due; take them, or None."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                now = time.monotonic()
                due = self._due()
                if due is not None and due <= now:
                    return self._take()
                wake = deadline if due is None else min(due, deadline)
                if wake <= now:
                    return None
                self._changed.wait(wake - now)

    def _due(self) -> float | None:
        if not self._everything and not self._paths:
            return None
        quiet = min(self._last + self._debounce, self._first + self._max_delay)
        return max(quiet, self._not_before)

    def _take(self) -> _Batch:
        batch = _Batch(None if self._everything else frozenset(self._paths))
        self._everything = False
        self._paths = set()
        return batch


# --- running the indexer -----------------------------------------------------------------


class _Runner:
    """Runs build_index for batches, reports each run, and puts back failed batches."""

    def __init__(
        self,
        content_dir: Path,
        index_dir: Path,
        companies_file: Path | None,
        on_report: Callable[[ReindexReport], None] | None,
    ) -> None:
        self._content_dir = content_dir
        self._index_dir = index_dir
        self._companies_file = companies_file
        self._on_report = on_report
        self._failures = 0

    def run(self, batch: _Batch, pending: _Pending) -> None:
        """One index run; on failure the batch goes back to `pending` for a later retry."""
        try:
            report = build_index(
                self._content_dir,
                self._index_dir,
                paths=None if batch.paths is None else sorted(batch.paths),
                companies_file=self._companies_file,
            )
        except ReindexRunning:
            log.info("another reindex holds the writer lock; retrying")
            pending.add(batch.paths, retry_in=BUSY_RETRY_SECONDS)
            return
        except Exception:
            delay = FAILURE_RETRY_SECONDS[min(self._failures, len(FAILURE_RETRY_SECONDS) - 1)]
            self._failures += 1
            log.exception("index run failed; retrying in %.0f s", delay)
            pending.add(batch.paths, retry_in=delay)
            return
        self._failures = 0
        self._report(report)

    def _report(self, report: ReindexReport) -> None:
        log.info("%s", format_report(report))
        for line in report_lines(report):
            if line.problem:
                log.warning("%s", line.text)
        if self._on_report is not None:
            try:
                self._on_report(report)
            except Exception:
                log.exception("on_report failed")


# --- where changes come from -------------------------------------------------------------


class _Source(Protocol):
    def check(self) -> _Source | None:
        """Look for changes now if it is time; a replacement source if this one broke."""

    def seconds_to_next(self) -> float:
        """How long until check() has something to do."""

    def close(self) -> None:
        """Stop watching (idempotent)."""


def _start_source(
    content_dir: Path, pending: _Pending, poll: bool | None, poll_interval: float
) -> _Source:
    """Watchdog events unless polling is asked for or watchdog cannot watch this folder."""
    if not poll:
        observer = _start_observer(content_dir, pending)
        if observer is not None:
            return _EventSource(observer, content_dir, pending, poll_interval)
    return _Poller(content_dir, pending, poll_interval)


def _start_observer(content_dir: Path, pending: _Pending) -> BaseObserver | None:
    """A started, recursive watchdog observer on content_dir, or None if there is none."""
    try:
        from watchdog.events import (
            DirCreatedEvent,
            DirDeletedEvent,
            DirMovedEvent,
            FileCreatedEvent,
            FileDeletedEvent,
            FileModifiedEvent,
            FileMovedEvent,
            FileSystemEventHandler,
        )
        from watchdog.observers import Observer
    except ImportError:
        log.warning("watchdog is not installed; polling the content folder instead")
        return None

    bases = _bases(content_dir)

    class Collector(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            paths = event_paths(event, bases)
            if paths is None or paths:
                pending.add(paths)

    observer = Observer()
    kinds = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent]
    kinds += [DirCreatedEvent, DirDeletedEvent, DirMovedEvent]
    try:
        observer.schedule(Collector(), str(content_dir), recursive=True, event_filter=kinds)
        observer.start()
    except Exception as exc:  # no inotify watches left, unsupported file system, ...
        log.warning("cannot watch %s for events (%s); polling instead", content_dir, exc)
        with contextlib.suppress(Exception):
            observer.stop()  # emitters that did start
        return None
    log.info("watching %s for changes", content_dir)
    return observer


def event_paths(event: FileSystemEvent, bases: tuple[Path, ...]) -> list[str] | None:
    """The content-relative article paths an event touches ([] for none); None when a
    folder was created, moved or deleted, so anything under it may have changed."""
    if event.event_type not in ("created", "modified", "deleted", "moved"):
        return []
    raw = [event.src_path, event.dest_path] if event.event_type == "moved" else [event.src_path]
    relative = [r for r in (_relative(os.fsdecode(p), bases) for p in raw) if r is not None]
    if event.is_directory:
        if event.event_type == "modified":  # a file in it changed: that file has its event
            return []
        return None if any(_may_hold_articles(r) for r in relative) else []
    return [r for r in relative if is_article_path(r)]


def _bases(content_dir: Path) -> tuple[Path, ...]:
    """content_dir as given and resolved: events may name either form."""
    resolved = content_dir.resolve()
    return (content_dir,) if resolved == content_dir else (content_dir, resolved)


def _relative(path: str, bases: tuple[Path, ...]) -> str | None:
    """path relative to the content folder, "/"-separated ("" for the folder); None if
    outside it."""
    for base in bases:
        try:
            relative = Path(path).relative_to(base).as_posix()
        except ValueError:
            continue
        return "" if relative == "." else relative
    return None


def _may_hold_articles(folder: str) -> bool:
    """Whether articles could live under a content-relative folder (no hidden folder on
    the way), by the same rule that decides article paths."""
    return folder == "" or is_article_path(f"{folder}/article.md")


class _EventSource:
    """Watchdog events feed `pending` from the observer's thread; polling takes over if
    the observer dies."""

    def __init__(
        self, observer: BaseObserver, content_dir: Path, pending: _Pending, poll_interval: float
    ) -> None:
        self._observer = observer
        self._content_dir = content_dir
        self._pending = pending
        self._poll_interval = poll_interval

    def check(self) -> _Source | None:
        if self._observer.is_alive():
            return None
        log.warning("the file-system observer stopped; polling %s instead", self._content_dir)
        self.close()
        self._pending.add(None)  # events may have been lost
        return _Poller(self._content_dir, self._pending, self._poll_interval)

    def seconds_to_next(self) -> float:
        return float("inf")

    def close(self) -> None:
        self._observer.stop()
        self._observer.join()


_Snapshot = dict[str, tuple[int, int, int]]


class _Poller:
    """Walks the article files every poll_interval and notes those that appeared,
    vanished or changed (mtime, ctime or size) since the last walk."""

    def __init__(self, content_dir: Path, pending: _Pending, poll_interval: float) -> None:
        self._content_dir = content_dir
        self._pending = pending
        self._interval = poll_interval
        self._failing = False
        self._snapshot = self._walk() or {}
        self._next = time.monotonic() + poll_interval
        log.info("polling %s for changes every %.2f s", content_dir, poll_interval)

    def check(self) -> _Source | None:
        if time.monotonic() < self._next:
            return None
        self._next = time.monotonic() + self._interval
        snapshot = self._walk()
        if snapshot is not None:
            old, self._snapshot = self._snapshot, snapshot
            changed = {p for p in old.keys() | snapshot.keys() if old.get(p) != snapshot.get(p)}
            if changed:
                self._pending.add(changed)
        return None

    def seconds_to_next(self) -> float:
        return max(0.0, self._next - time.monotonic())

    def close(self) -> None:
        pass

    def _walk(self) -> _Snapshot | None:
        """path -> (mtime_ns, ctime_ns, size) of every article file; None if the folder
        cannot be walked (warned once until it can again)."""
        try:
            paths = iter_article_paths(self._content_dir)
        except OSError as exc:
            if not self._failing:
                log.warning("cannot walk %s: %s", self._content_dir, exc)
            self._failing = True
            return None
        self._failing = False
        snapshot: _Snapshot = {}
        for path in paths:
            try:
                status = path.stat()
            except OSError:  # gone since the walk: absent, like a deleted file
                continue
            relative = path.relative_to(self._content_dir).as_posix()
            snapshot[relative] = (status.st_mtime_ns, status.st_ctime_ns, status.st_size)
        return snapshot
