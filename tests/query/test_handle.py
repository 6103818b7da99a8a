"""The index handle: generations follow commits, and a replaced one closes only when the
last request reading it is done."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import pytest

from searchsvc.indexing.build import build_index
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from tests.conftest import write_article


def track_closes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Generation numbers in the order they are closed."""
    closed: list[int] = []
    original = Generation.close

    def close(self: Generation) -> None:
        closed.append(self.number)
        original(self)

    monkeypatch.setattr(Generation, "close", close)
    return closed


def new_commit(content: Path, index: Path, name: str) -> int:
    write_article(content, f"{name}.md", f"---\ntitle: {name}\n---\n\nWords about {name}.\n")
    return build_index(content, index).generation


def test_a_leased_generation_outlives_its_replacement(
    content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "ix"
    first = build_index(content_dir, index, workers=1).generation
    closed = track_closes(monkeypatch)
    handle = IndexHandle.open(index, check_interval=3600)
    with handle.lease() as old:
        assert old.number == first
        second = new_commit(content_dir, index, "fresh")
        handle.invalidate()
        with handle.lease() as new:
            assert new.number == second
        assert closed == []  # the first request is still reading
        assert old.docnum_for_slug("fresh") is None and old.doc_count > 0
    assert closed == [first]
    handle.close()
    assert closed == [first, second]


def test_an_unleased_generation_closes_when_replaced(
    content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "ix"
    first = build_index(content_dir, index, workers=1).generation
    closed = track_closes(monkeypatch)
    handle = IndexHandle.open(index, check_interval=3600)
    new_commit(content_dir, index, "fresh")
    assert handle.current().number == first  # checked at most every check_interval
    handle.invalidate()
    assert handle.current().number > first
    assert closed == [first]
    handle.close()


def test_a_run_without_changes_keeps_the_generation(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    handle = IndexHandle.open(index, check_interval=0)
    before = handle.current()
    build_index(content_dir, index)
    assert handle.current() is before
    handle.close()


def test_a_handle_dropped_without_close_closes_its_files(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    handle = IndexHandle.open(index)
    with handle.lease() as generation:
        assert generation.doc_count > 0
    del generation
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del handle
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_postings_and_positions_leave_out_documents_deleted_from_a_segment(
    tmp_path: Path,
) -> None:
    """Postings are read with deleted documents included (Whoosh's own filter steps posting
    by posting) and masked by the generation: an edited article counts once, as edited."""
    content, index = tmp_path / "content", tmp_path / "index"
    for name in ("a", "b", "c"):
        write_article(content, f"{name}.md", f"---\nslug: {name}\n---\n\nZqred zqblue here.\n")
    build_index(content, index, workers=1)
    write_article(content, "b.md", "---\nslug: b\n---\n\nZqgreen only; zqblue before zqred now.\n")
    write_article(content, "c.md", "---\nslug: c\n---\n\nZqgreen only.\n")
    build_index(content, index)  # b and c: deleted from the first segment, added anew
    handle = IndexHandle.open(index)
    try:
        gen = handle.current()
        with gen.reading() as reader:
            assert any(seg.has_deletions() for seg, _ in reader.leaf_readers())
        slugs = {gen.stored(int(d))["slug"] for d in gen.postings("body", "zqred")[0]}
        assert slugs == {"a", "b"}
        in_phrase = {
            gen.stored(int(d))["slug"]
            for d in gen.phrase_docs("body", ["zqred", "zqblue"]).nonzero()[0]
        }
        assert in_phrase == {"a"}  # b has them in the other order now, c not at all
        assert len(gen.positions("body", "zqgreen")) == 2
    finally:
        handle.close()
