"""Each segment as the indexer writes it: separate files (no compound file that readers
would copy), and its arrays saved beside it, read back exactly, never trusted when
damaged, present for every segment a build or a run writes, gone with the segment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index

from searchsvc.indexing import build
from searchsvc.indexing.build import build_index
from searchsvc.indexing.layout import read_manifest
from searchsvc.indexing.schema import TEXT_FIELD_BOOSTS
from searchsvc.indexing.segments import (
    MAGIC,
    VALUE_FIELDS,
    SegmentArrays,
    arrays_path,
    compute_segment_arrays,
    load_segment_arrays,
    save_segment_arrays,
)
from searchsvc.query.handle import IndexHandle
from tests.conftest import write_article


def assert_same(a: SegmentArrays, b: SegmentArrays) -> None:
    assert a.doc_count == b.doc_count and a.slugs == b.slugs
    assert a.values.keys() == b.values.keys()
    for field in a.values:
        assert list(a.values[field]) == list(b.values[field]), field
        for value, (ids, weights) in a.values[field].items():
            assert ids.dtype == np.int32 and weights.dtype == np.float32
            np.testing.assert_array_equal(ids, b.values[field][value][0])
            np.testing.assert_array_equal(weights, b.values[field][value][1])
    assert a.lengths.keys() == b.lengths.keys()
    for field in a.lengths:
        np.testing.assert_array_equal(a.lengths[field], b.lengths[field])


@st.composite
def segment_arrays(draw: st.DrawFn) -> SegmentArrays:
    doc_count = draw(st.integers(0, 30))
    docnums = st.lists(st.integers(0, max(doc_count - 1, 0)), max_size=doc_count)
    values: dict[str, dict[str, Any]] = {}
    for field in VALUE_FIELDS:
        names = draw(st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=4))
        values[field] = {}
        for name in names:
            ids = np.array(sorted(set(draw(docnums))), np.int32)
            weights = np.array(
                [draw(st.floats(0, 1e6, width=32)) for _ in ids], np.float32
            ).reshape(-1)
            values[field][name] = (ids, weights)
    lengths = {
        field: np.array(
            draw(st.lists(st.integers(0, 10**6), min_size=doc_count, max_size=doc_count)),
            np.float32,
        )
        for field in TEXT_FIELD_BOOSTS
    }
    slugs = draw(st.lists(st.text(max_size=12), min_size=doc_count, max_size=doc_count))
    return SegmentArrays(doc_count, values, lengths, slugs)


@settings(max_examples=60, deadline=None)
@given(arrays=segment_arrays())
def test_saved_arrays_read_back_exactly(arrays: SegmentArrays, tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("arrays") / "MAIN_x.arrays"
    save_segment_arrays(path, arrays)
    loaded = load_segment_arrays(path, arrays.doc_count)
    assert loaded is not None
    assert_same(loaded, arrays)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def damaged(data: bytes, how: str) -> bytes:
    if how == "empty":
        return b""
    if how == "truncated":
        return data[: len(data) // 2]
    if how == "another format":
        return b"searchsvc segment arrays 0\n" + data[len(MAGIC) :]
    if how == "header cut":
        return data[: len(MAGIC) + 20]
    if how == "garbage":
        return MAGIC + b"\xff" * 64
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["empty", "truncated", "another format", "header cut", "garbage"])
def test_a_damaged_file_is_not_trusted(how: str, tmp_path: Path) -> None:
    ids = np.arange(2000, dtype=np.int32)
    arrays = SegmentArrays(
        2000,
        {f: {"v": (ids, np.ones(2000, np.float32))} for f in VALUE_FIELDS},
        {f: np.ones(2000, np.float32) for f in TEXT_FIELD_BOOSTS},
        ["s"] * 2000,
    )
    path = tmp_path / "MAIN_x.arrays"
    save_segment_arrays(path, arrays)
    path.write_bytes(damaged(path.read_bytes(), how))
    assert load_segment_arrays(path, 2000) is None


def test_arrays_for_another_segment_size_are_not_trusted(tmp_path: Path) -> None:
    arrays = SegmentArrays(
        1,
        {f: {} for f in VALUE_FIELDS},
        {f: np.ones(1, np.float32) for f in TEXT_FIELD_BOOSTS},
        ["a"],
    )
    path = tmp_path / "MAIN_x.arrays"
    save_segment_arrays(path, arrays)
    assert load_segment_arrays(path, 1) is not None
    assert load_segment_arrays(path, 2) is None
    assert load_segment_arrays(tmp_path / "missing.arrays", 1) is None


def live_segments(index: Path) -> tuple[Path, list[Any]]:
    manifest = read_manifest(index)
    assert manifest is not None
    live = index / manifest.live
    ix = whoosh_index.open_dir(str(live))
    return live, list(ix._segments())


@pytest.mark.parametrize("how", ["one process", "two processes", "incremental", "merged"])
def test_every_segment_written_is_separate_files_with_its_arrays(
    how: str, content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "ix"
    if how == "two processes":
        monkeypatch.setattr(build, "PARALLEL_MIN_FILES", 1)
    build_index(content_dir, index, full=True, workers=1 if how == "one process" else 2)
    if how in ("incremental", "merged"):
        for n in range(12 if how == "merged" else 1):
            write_article(content_dir, f"new-{n}.md", f"---\ntitle: New {n}\n---\n\nNVIDIA {n}.\n")
            build_index(content_dir, index)
    live, segments = live_segments(index)
    if how == "two processes":
        assert len(segments) == 2
    # Whoosh reads a compound segment through private BytesIO copies of its mmap: every
    # worker would hold its own copy of all postings. Separate files share the page cache.
    assert segments and not any(segment.is_compound() for segment in segments)
    saved = {p.name for p in live.glob("*.arrays")}
    assert saved == {f"{s.segment_id()}.arrays" for s in segments}  # retired ones are gone
    ix = whoosh_index.open_dir(str(live))
    with ix.reader() as reader:
        for segreader, _offset in reader.leaf_readers():
            path = arrays_path(live, segreader.segment().segment_id())
            loaded = load_segment_arrays(path, segreader.doc_count_all())
            assert loaded is not None
            assert_same(loaded, compute_segment_arrays(segreader))


def test_a_reader_without_saved_arrays_computes_the_same(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    handle = IndexHandle.open(index)
    with handle.lease() as gen:
        columns = {f: (c.values, c.doc_ids.copy()) for f, c in gen.columns.items()}
        lengths = {f: a.copy() for f, a in gen.lengths.items()}
    handle.close()
    live, _ = live_segments(index)
    for path in live.glob("*.arrays"):
        path.unlink()
    handle = IndexHandle.open(index)
    with handle.lease() as gen:
        assert {f: c.values for f, c in gen.columns.items()} == {
            f: v for f, (v, _) in columns.items()
        }
        for field, (_, doc_ids) in columns.items():
            np.testing.assert_array_equal(gen.columns[field].doc_ids, doc_ids)
        for field, array in lengths.items():
            np.testing.assert_array_equal(gen.lengths[field], array)
    handle.close()
