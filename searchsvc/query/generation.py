"""The read side: one immutable Generation per index commit (handle.py keeps it current).

A search request never touches the disk for anything that can be computed once per
generation: per-document value arrays (facets, filters, dates), field lengths, and a
bounded cache of term postings as NumPy arrays are built when a generation opens (or the
first time a term is asked for) and shared by every request on that generation.
Segments are immutable in Whoosh, so value arrays and lengths are per segment: read from
the file the indexer saved beside each segment (memory-mapped, so workers share them),
and a new generation reuses the previous one's and only opens the segments it adds.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from searchsvc.errors import NotFound
from searchsvc.indexing.layout import read_last_report
from searchsvc.indexing.schema import TEXT_FIELD_BOOSTS
from searchsvc.indexing.segments import (
    EMPTY_POSTINGS,
    VALUE_FIELDS,
    Postings,
    SegmentArrays,
    raw_postings,
    read_positions,
    read_postings,
    segment_arrays,
)
from searchsvc.indexing.vocabulary import TypoIndex, segment_typo_index
from searchsvc.query.columns import column_from_pairs
from searchsvc.query.typos import TypoIndexes

POSTINGS_CACHE_ENTRIES = 2_000_000  # postings and positions kept per generation (~16 MB)
POSITION_BITS = (
    20  # positions below 2**20 per field; a longer field's tail is not phrase-searchable
)
PREFIX_CACHE_ENTRIES = 4096  # prefix expansions kept per generation (each at most 64 terms)
T = TypeVar("T")


@dataclass(frozen=True)
class PrefixExpansion:
    """The terms a prefix stands for in one field (see Generation.expand_prefix)."""

    terms: tuple[str, ...]
    cut: bool  # more terms start with the prefix than were kept


def date_keys(values: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Dates as indexed ("2025-10-02" | "2025-10-02T08:00:00Z") -> their days (20251002)
    and sortable seconds, converted in one NumPy call (one call per value was 1 µs each)."""
    days = np.array([int(value[:10].replace("-", "")) for value in values], dtype=np.int32)
    stamps = np.array([value.rstrip("Z") for value in values], dtype="datetime64[s]")
    return days, stamps.astype(np.int64).astype(np.float64)


class Generation:
    """A consistent, read-only view of the index at one commit."""

    def __init__(
        self,
        index_dir: Path,
        live_dir: Path,
        searcher: Any,
        number: int,
        segments: dict[str, SegmentArrays],
        typo_parts: dict[str, TypoIndex] | None = None,
    ):
        self.index_dir = index_dir
        self.live_dir = live_dir
        self.number = number
        self.searcher = searcher
        # Whoosh's readers seek and read file objects they share (a BytesIO over the
        # segment's mmap, per segment): two threads reading at once read each other's
        # bytes. Every read of the Whoosh side goes through reading(), one thread at a
        # time; the NumPy side (cached arrays) needs no lock.
        self._whoosh = threading.RLock()
        # A generation dropped without close() (an app never shut down) still closes its
        # segment files when it is collected, instead of leaving them to the interpreter.
        self._close_searcher = weakref.finalize(self, searcher.close)
        reader = self.searcher.reader()
        self.doc_count_all = reader.doc_count_all()
        self.doc_count = reader.doc_count()
        self.segment_arrays: dict[str, SegmentArrays] = {}
        self.alive = np.ones(self.doc_count_all, dtype=bool)
        pairs: dict[str, dict[str, list[Postings]]] = {f: {} for f in VALUE_FIELDS}
        length_parts: dict[str, list[np.ndarray]] = {f: [] for f in TEXT_FIELD_BOOSTS}
        slugs: list[str] = []
        for segreader, offset in reader.leaf_readers():
            segment = segreader.segment()
            if segment is None:  # the reader of an index with no documents at all
                continue
            seg_id = segment.segment_id()
            arrays = segments.get(seg_id) or segment_arrays(live_dir, segreader)
            self.segment_arrays[seg_id] = arrays
            if segreader.has_deletions():
                deleted = np.fromiter(segreader.deleted_docs_set, dtype=np.int64)
                self.alive[offset + deleted] = False
            for field, by_value in arrays.values.items():
                into = pairs[field]
                for value, (ids, weights) in by_value.items():
                    into.setdefault(value, []).append((ids + offset if offset else ids, weights))
            for field, lengths in arrays.lengths.items():
                length_parts[field].append(lengths)
            slugs += arrays.slugs
        merged = {
            field: {
                v: parts[0]
                if len(parts) == 1
                else (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
                for v, parts in by_value.items()
            }
            for field, by_value in pairs.items()
        }
        self.columns = {field: column_from_pairs(merged[field]) for field in VALUE_FIELDS}
        self.lengths = {
            f: np.concatenate(parts) if parts else np.zeros(0, np.float32)
            for f, parts in length_parts.items()
        }
        alive_count = max(int(self.alive.sum()), 1)
        self.avg_length = {
            f: max(float(self.lengths[f][self.alive].sum()) / alive_count, 1.0)
            for f in self.lengths
        }
        # the last tie-break of every ordering: the same for any history of commits
        self.slug_rank = np.empty(self.doc_count_all, dtype=np.int64)
        self.slug_rank[sorted(range(len(slugs)), key=slugs.__getitem__)] = np.arange(len(slugs))
        self.published_day = np.zeros(self.doc_count_all, dtype=np.int32)
        self.published_seconds = np.full(self.doc_count_all, -np.inf)
        # by value, then spread to documents in one step (a mask per value was quadratic:
        # every distinct date scanned every entry)
        published = self.columns["published"]
        day_of_value, seconds_of_value = date_keys(published.values)
        self.published_day[published.doc_ids] = day_of_value[published.value_ids]
        self.published_seconds[published.doc_ids] = seconds_of_value[published.value_ids]
        self._postings: OrderedDict[tuple[str, str], Postings] = OrderedDict()
        self._postings_size = 0
        self._lock = threading.Lock()
        report = read_last_report(index_dir) or {}
        self.indexed_at: str | None = report.get("finished_at")
        self._expansions: OrderedDict[tuple[str, str, int], PrefixExpansion] = OrderedDict()
        self._derived: dict[str, Any] = {}
        self._derived_lock = threading.Lock()
        # per segment id, reused by the next generation (see typos.py)
        self.typo_parts: dict[str, TypoIndex] = dict(typo_parts or {})

    def derived(self, name: str, build: Callable[[Generation], T]) -> T:
        """What ``build`` makes of this generation, made once (the first caller builds it,
        others wait) and kept for the generation's life: the typo and suggestion indexes."""
        with self._derived_lock:
            if name not in self._derived:
                self._derived[name] = build(self)
            value: T = self._derived[name]
            return value

    def typo_index(self) -> TypoIndexes:
        """The vocabulary of this generation, for typo tolerance (see query/typos.py):
        the previous generation's index of each segment they share, new ones built."""
        return self.derived("typos", _build_typo_indexes)

    def lexicon(self, field: str) -> set[str]:
        """Every term of a field (deleted documents' terms too, until a merge drops them)."""
        terms: set[str] = set()
        with self.reading() as reader:
            for segreader, _ in reader.leaf_readers():
                terms.update(t.decode("utf-8") for t in segreader.lexicon(field))
        return terms

    # --- terms ---------------------------------------------------------------------------
    def postings(self, field: str, term: str) -> Postings:
        """(docnums, weights) of one term, cached for the life of this generation."""
        key = (field, term)
        with self._lock:
            cached = self._postings.get(key)
            if cached is not None:
                self._postings.move_to_end(key)
                return cached
        with self.reading() as reader:
            if (field, term) not in reader:
                parts = []
            else:
                parts = [
                    (ids + offset, weights)
                    for segreader, offset in reader.leaf_readers()
                    if (field, term) in segreader
                    for ids, weights in [read_postings(raw_postings(segreader, field, term))]
                ]
        if not parts:
            result = EMPTY_POSTINGS
        else:
            ids = np.concatenate([p[0] for p in parts])
            weights = np.concatenate([p[1] for p in parts])
            keep = self.alive[ids]
            result = (ids[keep], weights[keep])
        self._remember(key, result)
        return result

    def _remember(self, key: tuple[str, str], value: Postings) -> None:
        with self._lock:
            self._postings[key] = value
            self._postings_size += len(value[0])
            while self._postings_size > POSTINGS_CACHE_ENTRIES and len(self._postings) > 1:
                _, old = self._postings.popitem(last=False)
                self._postings_size -= len(old[0])

    def doc_frequency(self, field: str, term: str) -> int:
        return len(self.postings(field, term)[0])

    def expand_prefix(self, field: str, prefix: str, limit: int = 64) -> PrefixExpansion:
        """The terms of a field that start with prefix and are in a live document: all of
        them in term order, or, when there are more than ``limit``, the ``limit`` with the
        most live documents (ties by term). Cached for the life of this generation.

        Live, not raw, document frequencies rank the terms, so an index built by
        incremental runs (deleted documents not merged away yet) expands a prefix exactly
        as a full build of the same files does."""
        key = (field, prefix, limit)
        with self._lock:
            cached = self._expansions.get(key)
            if cached is not None:
                self._expansions.move_to_end(key)
                return cached
        expansion = self._expand_prefix(field, prefix, limit)
        with self._lock:
            self._expansions[key] = expansion
            while len(self._expansions) > PREFIX_CACHE_ENTRIES:
                self._expansions.popitem(last=False)
        return expansion

    def _expand_prefix(self, field: str, prefix: str, limit: int) -> PrefixExpansion:
        # One pass over the prefix's range of each segment's term list gives every term
        # with its document count; a count is exact (live) when no segment holding the
        # term has deletions, else an upper bound that only the postings can settle.
        raw: dict[str, int] = {}
        dirty: set[str] = set()
        with self.reading() as reader:
            for segreader, _ in reader.leaf_readers():
                deletions = segreader.has_deletions()
                for text, info in segreader.iter_prefix(field, prefix):
                    term = text.decode("utf-8")
                    raw[term] = raw.get(term, 0) + info.doc_frequency()
                    if deletions:
                        dirty.add(term)

        def live(term: str) -> int:
            return self.doc_frequency(field, term) if term in dirty else raw[term]

        if len(raw) <= limit:
            return PrefixExpansion(tuple(t for t in sorted(raw) if live(t)), cut=False)
        # Exact top `limit` by (live frequency desc, term) without settling every count:
        # live <= raw, so once a term's raw count is below the limit-th best live count,
        # neither it nor any term after it (by raw count) can enter.
        by_raw = sorted(raw, key=lambda t: (-raw[t], t))
        best: list[tuple[int, str]] = []  # (-live, term), sorted, at most limit + 1
        rest = len(by_raw)  # where the terms never looked at begin
        for i, term in enumerate(by_raw):
            if len(best) >= limit and raw[term] < -best[limit - 1][0]:
                rest = i
                break
            count = live(term)
            if count:
                bisect.insort(best, (-count, term))
                del best[limit + 1 :]
        # cut: a live term beyond the chosen ones (left out of best, or never looked at)
        cut = len(best) > limit or any(live(t) for t in by_raw[rest:])
        return PrefixExpansion(tuple(term for _, term in best[:limit]), cut=cut)

    def positions(self, field: str, term: str) -> np.ndarray:
        """Where a term occurs, as sorted keys docnum << 20 | position (cached per generation).

        Phrase matching then becomes a NumPy intersection instead of decoding positions
        posting by posting for every query."""
        key = ("\x00positions", f"{field}\x00{term}")
        with self._lock:
            cached = self._postings.get(key)
            if cached is not None:
                self._postings.move_to_end(key)
                return cached[0]
        keys: list[int] = []
        with self.reading() as reader:
            for segreader, offset in reader.leaf_readers():
                if (field, term) not in segreader:
                    continue
                matcher = raw_postings(segreader, field, term)
                for docnum, positions in read_positions(matcher, 1 << POSITION_BITS):
                    base = (offset + docnum) << POSITION_BITS
                    keys.extend(base | p for p in positions)
        found = np.asarray(keys, dtype=np.int64)
        found = found[self.alive[found >> POSITION_BITS]] if len(found) else found
        self._remember(key, (found, found))
        return found

    def phrase_docs(self, field: str, terms: list[str]) -> np.ndarray:
        """Mask of documents where terms occur next to each other, in order."""
        starts = self.positions(field, terms[0])
        for i, term in enumerate(terms[1:], 1):
            if not len(starts):
                break
            starts = np.intersect1d(starts, self.positions(field, term) - i, assume_unique=True)
        mask = np.zeros(self.doc_count_all, dtype=bool)
        mask[starts >> POSITION_BITS] = True
        return mask

    def published_between(self, start: str | None, end: str | None) -> np.ndarray:
        """Mask of documents published from start to end (YYYY-MM-DD, inclusive, None = open)."""
        day = self.published_day
        mask = self.alive & (day > 0)
        if start:
            mask &= day >= int(start.replace("-", ""))
        if end:
            mask &= day <= int(end.replace("-", ""))
        return mask

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """This generation's Whoosh reader, for one thread at a time (see __init__)."""
        with self._whoosh:
            yield self.searcher.reader()

    def stored(self, docnum: int) -> dict[str, Any]:
        doc: dict[str, Any] = self.stored_fields(docnum)["doc"]
        return doc

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """All stored fields of a document: `doc`, and `body_marks` for a long body."""
        with self._whoosh:
            fields: dict[str, Any] = self.searcher.stored_fields(docnum)
        return fields

    def term_positions(self, field: str, docnum: int, terms: Iterable[str]) -> dict[str, list[int]]:
        """Where each of terms occurs in one document's field (terms it lacks are left out).

        Costs one postings lookup per term the document has, whatever the field's length;
        the cached document lists say which terms those are."""
        present = []
        for term in terms:
            ids = self.postings(field, term)[0]
            i = int(np.searchsorted(ids, docnum))
            if i < len(ids) and ids[i] == docnum:
                present.append(term)
        found: dict[str, list[int]] = {}
        if not present:
            return found
        with self.reading() as reader:
            for segreader, offset in reader.leaf_readers():
                if offset <= docnum < offset + segreader.doc_count_all():
                    break
            local = docnum - offset
            for term in present:
                matcher = raw_postings(segreader, field, term)
                matcher.skip_to(local)
                if matcher.is_active() and matcher.id() == local:
                    found[term] = list(matcher.value_as("positions"))
        return found

    def docnum_for_slug(self, slug: str) -> int | None:
        docs = self.postings("slug", slug)[0]
        return int(docs[0]) if len(docs) else None

    def article_docnum(self, slug: str) -> int:
        """The document number of an article; NotFound (404) when no article has the slug."""
        docnum = self.docnum_for_slug(slug)
        if docnum is None:
            raise NotFound(f"no article with slug {slug!r}")
        return docnum

    def close(self) -> None:
        with self._whoosh:
            self._close_searcher()


def _build_typo_indexes(gen: Generation) -> TypoIndexes:
    parts: dict[str, TypoIndex] = {}
    with gen.reading() as reader:
        segments = [s for s, _ in reader.leaf_readers() if s.segment() is not None]
        for segreader in segments:
            seg_id = segreader.segment().segment_id()
            part = gen.typo_parts.get(seg_id)
            parts[seg_id] = segment_typo_index(gen.live_dir, segreader) if part is None else part
    gen.typo_parts = parts
    return TypoIndexes(parts.values())
