"""What readers need from each immutable Whoosh segment as NumPy arrays (the postings of
its value fields, its field lengths and slugs), computed once when the segment is written
and saved beside it, so that no reading process pays for them again.

    live-<stamp>/MAIN_<segment id>.arrays

One file per segment: a JSON header (strings, and where each array starts), then the raw
arrays. Readers memory-map it: opening a generation reads no postings, and every worker
shares the same pages. The name follows Whoosh's segment-file pattern, so Whoosh deletes
the file together with its segment when a merge retires it. A missing, foreign or damaged
file is never an error: the arrays are computed from the segment instead.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.reading import SegmentReader

from searchsvc.indexing.arrayfile import read_header, write_arrays_file
from searchsvc.indexing.schema import FACET_FIELDS, TEXT_FIELD_BOOSTS
from searchsvc.indexing.vocabulary import MAGIC as TYPOS_MAGIC
from searchsvc.indexing.vocabulary import save_typo_index_of, typos_path

VALUE_FIELDS = tuple(FACET_FIELDS.values()) + ("published", "unknown_symbols")
Postings = tuple[np.ndarray, np.ndarray]  # (docnums int32, weights float32)
EMPTY_POSTINGS: Postings = (np.zeros(0, np.int32), np.zeros(0, np.float32))

MAGIC = b"searchsvc segment arrays 1\n"


def raw_postings(segreader: Any, field: str, term: str) -> Any:
    """A segment's matcher for a term, deleted documents included (callers mask them
    with their own alive array). Whoosh's postings() wraps the matcher of a segment with
    deletions in a FilterMatcher that steps posting by posting in Python: after one
    incremental run at 100k articles, that was 34 of a 58 s profiled query pass."""
    return segreader._terms.matcher(
        field, segreader._text_to_bytes(field, term), segreader.schema[field].format
    )


def read_positions(matcher: Any, limit: int) -> Iterator[tuple[int, list[int]]]:
    """(docnum, positions below limit) of every posting of a leaf matcher, decoding a
    block's values together."""
    if not isinstance(matcher, W3LeafMatcher):  # a rare term's postings, kept inline
        while matcher.is_active():
            yield matcher.id(), [p for p in matcher.value_as("positions") if p < limit]
            matcher.next()
        return
    decode = matcher.format.decoder("positions")
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_values()
        start = matcher._i
        for docnum, value in zip(matcher._ids[start:], matcher._values[start:], strict=True):
            yield docnum, [p for p in decode(value) if p < limit]
        matcher._next_block()


def read_postings(matcher: Any) -> Postings:
    """All (docnum, weight) pairs of one matcher, a block at a time where possible."""
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        # Whole 128-posting blocks at once: ~20x faster than stepping posting by posting.
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids[matcher._i :])
            weights.extend(matcher._weights[matcher._i :])
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32)


@dataclass(frozen=True)
class SegmentArrays:
    """What one immutable segment contributes: value pairs and field lengths."""

    doc_count: int
    values: dict[str, dict[str, Postings]]  # field -> value -> postings (segment docnums)
    lengths: dict[str, np.ndarray]
    slugs: list[str]  # by segment docnum ("" for none)


def compute_segment_arrays(segreader: Any) -> SegmentArrays:
    """Read a segment's arrays from its postings and length columns."""
    doc_count = segreader.doc_count_all()
    values: dict[str, dict[str, Postings]] = {}
    for field in VALUE_FIELDS:
        values[field] = {}
        for raw in segreader.lexicon(field):
            ids, weights = read_postings(segreader.postings(field, raw))
            values[field][raw.decode("utf-8")] = (ids, weights)
    lengths = {
        field: np.array(
            [segreader.doc_field_length(d, field) or 0 for d in range(doc_count)], np.float32
        )
        for field in TEXT_FIELD_BOOSTS
    }
    slugs = [""] * doc_count
    for raw in segreader.lexicon("slug"):
        for docnum in read_postings(segreader.postings("slug", raw))[0]:
            slugs[int(docnum)] = raw.decode("utf-8")
    return SegmentArrays(doc_count, values, lengths, slugs)


def arrays_path(folder: Path, segment_id: str) -> Path:
    """Where the arrays of one segment of the Whoosh index in folder are saved."""
    return folder / f"{segment_id}.arrays"


def save_segment_arrays(path: Path, arrays: SegmentArrays) -> None:
    """Write arrays to path atomically: a reader finds the whole file or none."""
    blobs: list[np.ndarray] = []
    fields: dict[str, Any] = {}
    for field, by_value in arrays.values.items():
        names = list(by_value)
        sizes = [len(by_value[v][0]) for v in names]
        fields[field] = {"values": names, "sizes": sizes}
        blobs.append(_joined([by_value[v][0] for v in names], np.int32))
        blobs.append(_joined([by_value[v][1] for v in names], np.float32))
    for field in TEXT_FIELD_BOOSTS:
        blobs.append(np.asarray(arrays.lengths[field], np.float32))
    header = {
        "doc_count": arrays.doc_count,
        "fields": fields,
        "length_fields": list(TEXT_FIELD_BOOSTS),
        "slugs": arrays.slugs,
    }
    write_arrays_file(path, MAGIC, header, blobs)


def load_segment_arrays(path: Path, doc_count: int) -> SegmentArrays | None:
    """The arrays saved at path, memory-mapped; None when the file is missing, of
    another format, damaged, or not for a segment of doc_count documents."""
    try:
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return _parse(mapped, doc_count)
    except (OSError, ValueError, KeyError, TypeError, struct.error):  # mmap of "": ValueError
        return None


def _parse(mapped: mmap.mmap, doc_count: int) -> SegmentArrays | None:
    found = read_header(mapped, MAGIC)
    if found is None:
        return None
    header, start = found
    if header["doc_count"] != doc_count or header["length_fields"] != list(TEXT_FIELD_BOOSTS):
        return None
    if set(header["fields"]) != set(VALUE_FIELDS) or len(header["slugs"]) != doc_count:
        return None
    places = iter(header["places"])

    def view(dtype: type, count: int) -> np.ndarray:
        return np.frombuffer(mapped, dtype=dtype, count=count, offset=start + next(places))

    values: dict[str, dict[str, Postings]] = {}
    for field in VALUE_FIELDS:
        names, sizes = header["fields"][field]["values"], header["fields"][field]["sizes"]
        total = sum(sizes)
        ids, weights = view(np.int32, total), view(np.float32, total)
        bounds = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).tolist()
        values[field] = {
            name: (ids[bounds[i] : bounds[i + 1]], weights[bounds[i] : bounds[i + 1]])
            for i, name in enumerate(names)
        }
    lengths = {field: view(np.float32, doc_count) for field in TEXT_FIELD_BOOSTS}
    return SegmentArrays(doc_count, values, lengths, list(header["slugs"]))


def segment_arrays(folder: Path, segreader: Any) -> SegmentArrays:
    """A segment's arrays: from its saved file when there is a good one, else computed."""
    segment_id = segreader.segment().segment_id()
    saved = load_segment_arrays(arrays_path(folder, segment_id), segreader.doc_count_all())
    return saved if saved is not None else compute_segment_arrays(segreader)


def save_arrays_of(folder: Path, segreader: Any) -> None:
    """Compute and save the arrays and the typo index of one segment of the Whoosh index
    in folder."""
    path = arrays_path(folder, segreader.segment().segment_id())
    save_segment_arrays(path, compute_segment_arrays(segreader))
    save_typo_index_of(folder, segreader)


def save_new_segment_arrays(ix: Any, segment: Any) -> None:
    """Save the arrays of a segment just written to ix, before any commit names it."""
    segreader = SegmentReader(ix.storage, ix.schema, segment)
    try:
        save_arrays_of(Path(ix.storage.folder), segreader)
    finally:
        segreader.close()


def save_missing_arrays(ix: Any) -> None:
    """After a commit to ix: save the arrays of the segments that have none (the ones the
    commit added or merged)."""
    folder = Path(ix.storage.folder)
    with ix.reader() as reader:
        for segreader, _offset in reader.leaf_readers():
            segment = segreader.segment()
            if segment is None:  # the reader of an index with no documents at all
                continue
            if not _starts_with_magic(arrays_path(folder, segment.segment_id()), MAGIC):
                save_arrays_of(folder, segreader)
            elif not _starts_with_magic(typos_path(folder, segment.segment_id()), TYPOS_MAGIC):
                save_typo_index_of(folder, segreader)  # an index from before typo files


def _starts_with_magic(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
