"""`searchsvc watch`: the catch-up run, then changes followed by events or by polling."""

from __future__ import annotations

import functools
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from watchdog.events import (
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
)

from searchsvc.indexing import build, layout, watch
from searchsvc.indexing.report import ReindexReport, format_report
from searchsvc.indexing.watch import event_paths, run_watch
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.search import search
from tests.conftest import article_text, write_article

DEADLINE = 10.0  # seconds any one wait may take before the test fails
BAD_YAML = "---\ntitle: [unclosed\n---\nBody text.\n"


def article(slug: str, body: str = "Some body text.") -> str:
    title = f"Title of {slug}"
    return article_text(body, slug=slug, title=title, publishedAt="2025-06-01", tags=["Testing"])


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Check condition until it holds; fail after DEADLINE seconds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


class Watcher:
    """run_watch in a thread, with the reports it has made so far."""

    def __init__(self, content: Path, index: Path, **options: Any) -> None:
        self.index = index
        self.reports: list[ReindexReport] = []
        self.report_times: list[float] = []
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        self._changed = threading.Condition()
        kwargs = {"on_report": self._on_report, "stop": self.stop, **options}
        self.thread = threading.Thread(target=self._run, args=(content, index), kwargs=kwargs)
        self.thread.start()

    def _run(self, *args: Any, **kwargs: Any) -> None:
        try:
            run_watch(*args, **kwargs)
        except BaseException as exc:  # surfaced by wait_for, not lost in the thread
            self.failure = exc

    def _on_report(self, report: ReindexReport) -> None:
        with self._changed:
            self.reports.append(report)
            self.report_times.append(time.monotonic())
            self._changed.notify_all()

    def wait_for(
        self, condition: Callable[[list[ReindexReport]], bool], since: int = 0
    ) -> list[ReindexReport]:
        """Wait until condition holds for the reports from number `since` on; those reports."""
        deadline = time.monotonic() + DEADLINE
        with self._changed:
            while not condition(self.reports[since:]):
                assert self.failure is None, f"run_watch raised {self.failure!r}"
                left = deadline - time.monotonic()
                if left <= 0 or not self.thread.is_alive():
                    pytest.fail(f"no such reports; got {[format_report(r) for r in self.reports]}")
                self._changed.wait(min(left, 0.1))
            return self.reports[since:]

    def change(
        self, action: Callable[[], object], condition: Callable[[list[ReindexReport]], bool]
    ) -> list[ReindexReport]:
        """Do action; wait until the reports made since satisfy condition, and return them."""
        since = len(self.reports)
        action()
        return self.wait_for(condition, since)

    def close(self, timeout: float = DEADLINE) -> float:
        """Set stop; the seconds run_watch took to return."""
        started = time.monotonic()
        self.stop.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "run_watch did not stop"
        assert self.failure is None, f"run_watch raised {self.failure!r}"
        return time.monotonic() - started


def totals(reports: list[ReindexReport]) -> tuple[int, int, int]:
    """(added, updated, deleted) over some reports."""
    return (
        sum(r.added for r in reports),
        sum(r.updated for r in reports),
        sum(r.deleted for r in reports),
    )


def added(count: int) -> Callable[[list[ReindexReport]], bool]:
    return lambda reports: totals(reports)[0] >= count


def indexed(index_dir: Path) -> dict[str, str]:
    """slug -> source path of every document in the index."""
    handle = IndexHandle.open(index_dir, check_interval=0)
    try:
        gen = handle.current()
        return {
            gen.stored(d)["slug"]: gen.stored(d)["source_path"]
            for d in range(gen.doc_count_all)
            if gen.alive[d]
        }
    finally:
        handle.close()


def found(index_dir: Path, query: str) -> set[str]:
    """Slugs a search for query finds."""
    handle = IndexHandle.open(index_dir, check_interval=0)
    try:
        return {hit.doc["slug"] for hit in search(handle, SearchRequest(q=query)).hits}
    finally:
        handle.close()


@pytest.fixture(params=["events", "polling"])
def mode(request: pytest.FixtureRequest) -> dict[str, Any]:
    """run_watch options for each way of noticing changes."""
    return {"poll": request.param == "polling", "poll_interval": 0.05}


@pytest.fixture(autouse=True)
def _quick_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Look at the stop event more often than a real watcher does: quicker teardowns."""
    monkeypatch.setattr(watch, "STOP_CHECK_SECONDS", 0.02)


@pytest.fixture
def index_dir(tmp_path: Path, seed_index: Path) -> Path:
    """A copy of the session's index of seeds/, so catch-up runs have nothing to do."""
    target = tmp_path / "index"
    shutil.copytree(seed_index, target)
    return target


@pytest.fixture
def start(
    content_dir: Path, index_dir: Path, mode: dict[str, Any]
) -> Iterator[Callable[..., Watcher]]:
    """Start a watcher on content_dir (debounce 0.05 s) and wait for its catch-up run."""
    watchers: list[Watcher] = []

    def started(index: Path = index_dir, **options: Any) -> Watcher:
        options = {"debounce": 0.05, "max_delay": 1.0, **mode, **options}
        watcher = Watcher(content_dir, index, **options)
        watchers.append(watcher)
        watcher.wait_for(lambda reports: len(reports) >= 1)
        return watcher

    yield started
    for watcher in watchers:
        watcher.close()


# --- the watcher, both ways of noticing changes -------------------------------------------


def test_catch_up_run_builds_the_index(
    start: Callable[..., Watcher], content_dir: Path, tmp_path: Path
) -> None:
    watcher = start(index=tmp_path / "new-index")
    first = watcher.reports[0]
    articles = len(list(content_dir.glob("*.md")))
    assert (first.full, first.added, first.errors) == (True, articles, ())
    assert len(indexed(watcher.index)) == articles


def test_catch_up_run_is_incremental_over_an_existing_index(
    content_dir: Path, start: Callable[..., Watcher]
) -> None:
    (content_dir / "byd-tesla-ev-price-war.md").unlink()
    report = start().reports[0]
    assert (report.full, report.added, report.updated, report.deleted) == (False, 0, 0, 1)


def test_added_file_becomes_searchable(start: Callable[..., Watcher], content_dir: Path) -> None:
    watcher = start()
    text = article("zebra-news", "Zanzibar zebras crossed the savanna.")
    reports = watcher.change(lambda: write_article(content_dir, "new/zebra.md", text), added(1))
    assert totals(reports) == (1, 0, 0)
    assert found(watcher.index, "zanzibar") == {"zebra-news"}


def test_edited_file_is_reindexed(start: Callable[..., Watcher], content_dir: Path) -> None:
    watcher = start()
    path = content_dir / "byd-tesla-ev-price-war.md"
    text = path.read_text(encoding="utf-8") + "\nQuokkas inspected the new showroom.\n"
    reports = watcher.change(
        lambda: path.write_text(text, encoding="utf-8"), lambda rs: totals(rs)[1] >= 1
    )
    assert totals(reports) == (0, 1, 0)
    assert reports[-1].unchanged == 0  # only the named path was looked at
    assert found(watcher.index, "quokkas") == {"byd-tesla-ev-price-war"}


def test_deleted_file_leaves_the_index(start: Callable[..., Watcher], content_dir: Path) -> None:
    watcher = start()
    path = content_dir / "byd-tesla-ev-price-war.md"
    reports = watcher.change(path.unlink, lambda rs: totals(rs)[2] >= 1)
    assert totals(reports) == (0, 0, 1)
    assert "byd-tesla-ev-price-war" not in indexed(watcher.index)


def test_renamed_file_moves_in_the_index(start: Callable[..., Watcher], content_dir: Path) -> None:
    watcher = start()
    old = content_dir / "byd-tesla-ev-price-war.md"
    new = content_dir / "ev-price-war.md"
    reports = watcher.change(
        lambda: old.rename(new), lambda rs: totals(rs)[0] >= 1 and totals(rs)[2] >= 1
    )
    assert totals(reports) == (1, 0, 1)
    assert indexed(watcher.index)["byd-tesla-ev-price-war"] == "ev-price-war.md"


def test_moved_and_deleted_folders(start: Callable[..., Watcher], content_dir: Path) -> None:
    watcher = start()

    def write_folder() -> None:
        write_article(content_dir, "desk/one.md", article("desk-one"))
        write_article(content_dir, "desk/two.md", article("desk-two"))

    watcher.change(write_folder, added(2))
    moved = content_dir / "archive"
    reports = watcher.change(
        lambda: (content_dir / "desk").rename(moved), lambda rs: totals(rs)[2] >= 2
    )
    assert totals(reports) == (2, 0, 2)
    docs = indexed(watcher.index)
    assert (docs["desk-one"], docs["desk-two"]) == ("archive/one.md", "archive/two.md")

    reports = watcher.change(lambda: shutil.rmtree(moved), lambda rs: totals(rs)[2] >= 2)
    assert totals(reports) == (0, 0, 2)
    assert {"desk-one", "desk-two"}.isdisjoint(indexed(watcher.index))


def test_hidden_and_other_files_are_ignored(
    start: Callable[..., Watcher], content_dir: Path
) -> None:
    watcher = start()

    def write_others_then_one_article() -> None:
        write_article(content_dir, ".draft.md", article("hidden-draft"))
        write_article(content_dir, ".git/notes.md", article("hidden-folder"))
        write_article(content_dir, "notes.txt", "not an article")
        write_article(content_dir, "visible.md", article("visible"))

    reports = watcher.change(write_others_then_one_article, added(1))
    assert totals(reports) == (1, 0, 0)
    assert {"hidden-draft", "hidden-folder"}.isdisjoint(indexed(watcher.index))


def test_burst_of_writes_is_debounced(start: Callable[..., Watcher], content_dir: Path) -> None:
    watcher = start(debounce=0.1)

    def write_twenty() -> None:
        for i in range(20):
            write_article(content_dir, f"burst-{i:02}.md", article(f"burst-{i:02}"))

    reports = watcher.change(write_twenty, added(20))
    assert len(reports) < 20
    assert totals(reports) == (20, 0, 0)
    assert {f"burst-{i:02}" for i in range(20)} <= indexed(watcher.index).keys()


def test_steady_stream_is_indexed_within_max_delay(
    start: Callable[..., Watcher], content_dir: Path
) -> None:
    watcher = start(debounce=1.0, max_delay=0.1)
    since = len(watcher.reports)
    for i in range(10):  # never a second of quiet until the stream ends
        write_article(content_dir, f"stream-{i}.md", article(f"stream-{i}"))
        time.sleep(0.05)
    stream_ended = time.monotonic()
    watcher.wait_for(added(10), since)
    assert watcher.report_times[since] < stream_ended  # indexed while writes kept coming


def test_bad_file_is_reported_and_watching_goes_on(
    start: Callable[..., Watcher], content_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="searchsvc.indexing.watch")
    watcher = start()
    bad = content_dir / "broken.md"
    reports = watcher.change(
        lambda: bad.write_text(BAD_YAML, encoding="utf-8"), lambda rs: any(r.errors for r in rs)
    )
    assert [e.path for e in reports[-1].errors] == ["broken.md"]
    assert "bad YAML frontmatter" in reports[-1].errors[0].reason
    assert any("broken.md" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")

    watcher.change(lambda: write_article(content_dir, "good.md", article("good")), added(1))
    reports = watcher.change(
        lambda: bad.write_text(article("broken-fixed"), encoding="utf-8"), added(1)
    )
    assert reports[-1].errors == ()
    assert {"good", "broken-fixed"} <= indexed(watcher.index).keys()


def test_busy_writer_lock_is_retried(
    start: Callable[..., Watcher],
    content_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # build_index waits 2 s for the lock; shorter here so the test is quick
    monkeypatch.setattr(
        build, "writer_lock", functools.partial(layout.writer_lock, wait_seconds=0.05)
    )
    monkeypatch.setattr(watch, "BUSY_RETRY_SECONDS", 0.05)
    caplog.set_level(logging.INFO, logger="searchsvc.indexing.watch")
    watcher = start()
    since = len(watcher.reports)
    with layout.writer_lock(watcher.index):
        write_article(content_dir, "locked/a.md", article("while-locked-a"))
        wait_until(lambda: "writer lock" in caplog.text, "a retry")
        write_article(content_dir, "locked/b.md", article("while-locked-b"))
        assert len(watcher.reports) == since
    reports = watcher.wait_for(added(2), since)
    assert totals(reports) == (2, 0, 0)
    assert {"while-locked-a", "while-locked-b"} <= indexed(watcher.index).keys()


def test_failed_run_is_logged_and_its_paths_kept(
    start: Callable[..., Watcher],
    content_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(watch, "FAILURE_RETRY_SECONDS", (0.05,))
    watcher = start()
    real_build_index = watch.build_index
    calls: list[object] = []

    def failing_once(*args: Any, **kwargs: Any) -> ReindexReport:
        calls.append(kwargs.get("paths"))
        if len(calls) == 1:
            raise OSError("disk on fire")
        return real_build_index(*args, **kwargs)

    monkeypatch.setattr(watch, "build_index", failing_once)
    reports = watcher.change(lambda: write_article(content_dir, "x.md", article("x")), added(1))
    assert totals(reports) == (1, 0, 0)
    assert calls[0] == calls[1] == ["x.md"]
    failures = [r for r in caplog.records if r.name == "searchsvc.indexing.watch" and r.exc_info]
    assert len(failures) == 1
    assert "disk on fire" in caplog.text


def test_stop_ends_run_watch_promptly(start: Callable[..., Watcher]) -> None:
    before = set(threading.enumerate())
    watcher = start()
    assert watcher.close() < 1.0
    assert set(threading.enumerate()) <= before  # the observer thread is gone too


def test_keyboard_interrupt_stops_cleanly(
    content_dir: Path, index_dir: Path, mode: dict[str, Any]
) -> None:
    before = set(threading.enumerate())

    def interrupt(report: ReindexReport) -> None:
        raise KeyboardInterrupt

    run_watch(content_dir, index_dir, on_report=interrupt, **mode)  # returns
    assert set(threading.enumerate()) <= before


def test_missing_content_folder_is_an_error_at_once(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_watch(tmp_path / "nowhere", tmp_path / "index", stop=threading.Event())


# --- details -------------------------------------------------------------------------------


def test_observer_that_cannot_start_falls_back_to_polling(
    content_dir: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import watchdog.observers

    class BrokenObserver(watchdog.observers.Observer):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            raise OSError("inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", BrokenObserver)
    watcher = Watcher(content_dir, index_dir, debounce=0.05, poll_interval=0.05)
    try:
        watcher.wait_for(lambda reports: len(reports) >= 1)
        watcher.change(lambda: write_article(content_dir, "p.md", article("polled")), added(1))
        assert "polled" in indexed(watcher.index)
    finally:
        watcher.close()


ROOT = Path("/content")


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (FileCreatedEvent("/content/a.md"), ["a.md"]),
        (FileModifiedEvent("/content/news/B.Markdown"), ["news/B.Markdown"]),
        (FileDeletedEvent("/content/a.md"), ["a.md"]),
        (FileMovedEvent("/content/a.md", "/content/news/b.md"), ["a.md", "news/b.md"]),
        (FileMovedEvent("/content/.a.md.swp", "/content/a.md"), ["a.md"]),  # atomic save
        (FileMovedEvent("/content/a.md", "/elsewhere/a.md"), ["a.md"]),
        (FileCreatedEvent("/content/notes.txt"), []),
        (FileCreatedEvent("/content/.hidden.md"), []),
        (FileCreatedEvent("/content/.git/x.md"), []),
        (FileCreatedEvent("/elsewhere/a.md"), []),
        (FileClosedEvent("/content/a.md"), []),  # modified said it already
        (DirModifiedEvent("/content/news"), []),
        (DirDeletedEvent("/content/news"), None),
        (DirMovedEvent("/content/news", "/content/old-news"), None),
        (DirMovedEvent("/content/.cache/x", "/content/.cache/y"), []),
        (DirDeletedEvent("/content"), None),
    ],
)
def test_event_paths(event: FileSystemEvent, expected: list[str] | None) -> None:
    assert event_paths(event, (ROOT,)) == expected


def test_format_report_is_one_line() -> None:
    report = ReindexReport(
        full=False,
        full_reason=None,
        added=1,
        updated=2,
        deleted=3,
        unchanged=4,
        errors=(),
        kept_stale=(),
        documents=5,
        generation=6,
        started_at="2025-01-01T00:00:00Z",
        finished_at="2025-01-01T00:00:01Z",
        seconds=0.125,
    )
    assert format_report(report) == (
        "incremental: 1 added, 2 updated, 3 deleted, 4 unchanged, 0 errors; "
        "5 documents, generation 6, 0.12s"
    )
