"""Searches from many threads of one process (gunicorn's gthread workers) read one index
generation at once: they must give exactly what the same searches give one by one."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import results_to_json
from searchsvc.query.search import search

WORDS = (
    "nvidia earnings tariffs chips semiconductor memory data center apple tsmc samsung "
    "export controls revenue guidance china layoffs quantum bitcoin inflation"
).split()
QUERIES = [
    *WORDS,
    *(f"{a} {b}" for a, b in zip(WORDS, WORDS[3:], strict=False)),
    *(f"{w[:3]}*" for w in WORDS),
    '"data center"',
    '"export controls"',
    "nvdia earnigns",  # suggestions read the term lists
    "samsung OR hynix -apple",
    "ticker:NVDA",
]


def answers(handle: IndexHandle, queries: list[str]) -> dict[str, Any]:
    out = {}
    for q in queries:
        body = results_to_json(search(handle, SearchRequest(q=q, per_page=20)))
        body.pop("took_ms")
        out[q] = body
    return out


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    """Threads switch as often as the interpreter allows, so that races show."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def concurrent_answers(handle: IndexHandle, threads: int = 8) -> list[dict[str, Any]]:
    """answers() from many threads at once on one handle, each in its own query order."""
    results: list[dict[str, Any]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(offset: int) -> None:
        try:
            found = answers(handle, QUERIES[offset:] + QUERIES[:offset])
        except BaseException as exc:  # a corrupt read raises; report it, not a hung thread
            with lock:
                failures.append(exc)
            return
        with lock:
            results.append(found)

    workers = [threading.Thread(target=run, args=(i * 7,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not failures, failures[0]
    return results


@pytest.mark.slow
def test_concurrent_searches_agree_with_sequential_ones(
    seed_index: Path, tiny_switch_interval: None
) -> None:
    with _opened(seed_index) as sequential:
        expected = answers(sequential, QUERIES)
    for _round in range(3):  # each round a new handle: cold caches, every read goes to Whoosh
        with _opened(seed_index) as shared:
            results = concurrent_answers(shared)
        assert len(results) == 8
        for found in results:
            assert found == expected


class _opened:
    """An IndexHandle on the index, closed at the end of the block."""

    def __init__(self, index_dir: Path) -> None:
        self.handle = IndexHandle.open(index_dir)

    def __enter__(self) -> IndexHandle:
        return self.handle

    def __exit__(self, *exc: object) -> None:
        self.handle.close()
