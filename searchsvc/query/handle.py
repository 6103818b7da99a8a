"""The app's one handle on the index: it opens the current Generation, swaps in a newer one
when a commit appears, and leases generations to requests so that none is closed under a
request still reading it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index

from searchsvc.errors import IndexNotFound
from searchsvc.indexing.layout import Manifest, read_manifest
from searchsvc.indexing.schema import SCHEMA_VERSION
from searchsvc.lazy import gc_paused
from searchsvc.query.generation import Generation


class IndexHandle:
    """The app's one handle on the index: hands out the current Generation, refreshing it
    when a new commit appears (checked at most every `check_interval` seconds).

    Requests take a generation with :meth:`lease`; a generation that a newer one replaced is
    closed when its last lease ends, never under a request still reading it."""

    def __init__(self, index_dir: Path, check_interval: float = 0.25) -> None:
        self.index_dir = Path(index_dir)
        self.check_interval = check_interval
        self._generation: Generation | None = None
        self._checked_at = 0.0
        self._lock = threading.RLock()  # lease() holds it while current() takes it
        self._leases: dict[int, int] = {}  # id(generation) -> requests reading it
        # called with each generation leased (the access log notes it for its request)
        self.on_lease: Callable[[Generation], None] | None = None
        # called with each generation opened, after it became current (a server warms it)
        self.on_open: Callable[[Generation], None] | None = None
        self._retired: dict[int, Generation] = {}  # replaced, closed when their leases end

    @contextmanager
    def lease(self) -> Iterator[Generation]:
        """The current generation, kept open until the block ends."""
        # Under the lock from taking the generation to counting the lease: with threads,
        # another request's refresh in between could otherwise close it under this one.
        with self._lock:
            generation = self.current()
            self._leases[id(generation)] = self._leases.get(id(generation), 0) + 1
        if self.on_lease is not None:
            self.on_lease(generation)
        try:
            yield generation
        finally:
            with self._lock:
                key = id(generation)
                self._leases[key] -= 1
                if not self._leases[key]:
                    del self._leases[key]
                    retired = self._retired.pop(key, None)
                    if retired is not None:
                        retired.close()

    def invalidate(self) -> None:
        """Look for a new commit on the next request (after this process wrote one)."""
        self._checked_at = float("-inf")

    def _replace(self, generation: Generation) -> None:
        """Make ``generation`` current; close the previous one now or at its last lease."""
        previous = self._generation
        self._generation = generation
        if previous is None or previous is generation:
            return
        if self._leases.get(id(previous)):
            self._retired[id(previous)] = previous
        else:
            previous.close()

    @classmethod
    def open(cls, index_dir: Path, check_interval: float = 0.25) -> IndexHandle:
        handle = cls(index_dir, check_interval)
        handle.current()
        return handle

    def current(self) -> Generation:
        """The newest committed generation; raises IndexNotFound when there is none."""
        now = time.monotonic()
        generation = self._generation
        if generation is not None and now - self._checked_at < self.check_interval:
            return generation
        with self._lock:
            opened = None
            if self._generation is None or now - self._checked_at >= self.check_interval:
                before = self._generation
                self._replace(self._load(before))
                self._checked_at = now
                if self._generation is not before:
                    opened = self._generation
            current = self._generation
            assert current is not None
        if opened is not None and self.on_open is not None:
            self.on_open(opened)
        return current

    def _load(self, previous: Generation | None) -> Generation:
        """The generation the manifest names now; ``previous`` when nothing was committed.

        A full rebuild may be promoted (and the old folder removed) between reading the
        manifest and opening the folder it named: then the manifest is read again."""
        for attempt in range(3):
            manifest = self._manifest()
            live = self.index_dir / manifest.live
            try:
                ix = whoosh_index.open_dir(str(live))
                if previous is not None and previous.number == (
                    manifest.generation_base + ix.latest_generation()
                ):
                    return previous
                searcher = ix.searcher()
            except Exception as exc:  # whoosh raises several unrelated types for a bad index
                if attempt < 2 and read_manifest(self.index_dir) != manifest:
                    continue
                raise IndexNotFound(f"cannot open index {live}: {exc}") from exc
            # the number of the commit this searcher reads, which may be newer than the one
            # latest_generation() saw a moment ago
            number = manifest.generation_base + int(searcher.reader().generation() or 0)
            if previous is not None and previous.number == number:
                searcher.close()
                return previous
            segments = previous.segment_arrays if previous is not None else {}
            typo_parts = previous.typo_parts if previous is not None else {}
            with gc_paused():  # ~100k value and slug objects, no cycles
                return Generation(self.index_dir, live, searcher, number, segments, typo_parts)
        raise AssertionError("unreachable")  # pragma: no cover

    def _manifest(self) -> Manifest:
        manifest = read_manifest(self.index_dir)
        if manifest is None:
            raise IndexNotFound(f"no index in {self.index_dir}")
        if manifest.schema_version != SCHEMA_VERSION:
            raise IndexNotFound(
                f"index in {self.index_dir} has schema version {manifest.schema_version}, "
                f"this searchsvc needs {SCHEMA_VERSION}",
                hint="rebuild it with `searchsvc index --full`",
            )
        return manifest

    def close(self) -> None:
        with self._lock:
            if self._generation is not None:
                self._generation.close()
                self._generation = None
            for retired in self._retired.values():
                retired.close()
            self._retired.clear()
