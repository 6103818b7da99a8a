"""Each segment's vocabulary as a typo index, computed when the segment is written and
saved beside it (like segments.py's arrays), so no reading process builds it again.

    live-<stamp>/MAIN_<segment id>.typos

The vocabulary is the plain words of the `spelling` field (titles, excerpts, tags,
keywords, as written) and the stems of the text fields, letters only (numbers and symbols
are never the target of a correction). The index is a symmetric-deletion one (SymSpell):
each word is stored under every string its deletions of up to two letters make (words of
7+ letters; 4-6 letters one; 3 letters none), as CRC-32 hashes in one sorted array; a
typed word is looked up by its own deletions. A lookup is then a few dozen binary
searches and one distance per candidate, never a walk of the vocabulary; collisions only
add candidates, which the distance rejects.

The file: MAGIC, a JSON header (counts and where each part starts), then the words as one
UTF-8 blob with their offsets, a written/stem flag per word, the hashes and their owners.
Readers memory-map it, so every worker shares the pages. A missing, foreign or damaged
file is never an error: the index is computed from the segment instead.
"""

from __future__ import annotations

import mmap
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA

from searchsvc.indexing.analysis import plain_word_of, term_of
from searchsvc.indexing.arrayfile import read_header, write_arrays_file
from searchsvc.indexing.schema import TEXT_FIELD_BOOSTS

MAGIC = b"searchsvc typo index 1\n"
MAX_TYPOS = 2
MIN_WORD_LETTERS = 3
MAX_WORD_LETTERS = 30  # longer "words" are junk (URLs, hashes); a lookup ignores them too
TWO_TYPOS_STORED = 7  # a 9-letter word two typos away has 7 letters at least
ONE_TYPO_STORED = 4  # a 5-letter word one typo away has 4 at least
FIRST_LETTER_COST = 2


def typo_distance(typed: str, word: str, limit: int | None = None) -> int:
    """Damerau-Levenshtein distance (optimal string alignment: a swap is one edit), a
    different first letter counting FIRST_LETTER_COST (Meilisearch's rule: readers rarely
    get it wrong). With ``limit``, any distance above it may be given as limit + 1."""
    d = int(OSA.distance(typed, word, score_cutoff=limit))
    if typed[:1] != word[:1]:
        d += FIRST_LETTER_COST - 1
    return d


def deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string made by deleting up to ``depth`` (at most MAX_TYPOS) of
    its letters. Two deletions are made as pairs of places, each pair once: a quarter
    faster than deleting one letter from each single deletion, and every index build
    makes a million of them."""
    n = len(word)
    out = {word}
    if depth >= 1:
        out.update([word[:i] + word[i + 1 :] for i in range(n)])
    if depth >= 2:
        out.update(
            [word[:i] + word[i + 1 : j] + word[j + 1 :] for i in range(n) for j in range(i + 1, n)]
        )
    return out


def _hashes(texts: Iterable[str]) -> np.ndarray:
    # CRC-32, not hash(): Python salts str hashes per process, and the file outlives it
    return np.fromiter((zlib.crc32(t.encode("utf-8")) for t in texts), dtype=np.uint32)


@dataclass(frozen=True)
class Candidate:
    """An indexed word within reach of a typed word."""

    word: str  # as the reader would write it ("nvidia"), the vocabulary's key
    term: str  # the indexed term searched for it (its stem)
    distance: int
    written: bool  # a word as articles write it, not only a stem ("technolog")


class TypoIndex:
    """One segment's vocabulary, looked up by deletions (see the module doc)."""

    def __init__(
        self,
        blob: bytes | memoryview,
        offsets: np.ndarray,
        written: np.ndarray,
        hashes: np.ndarray,
        owners: np.ndarray,
    ) -> None:
        self._blob = blob
        self._offsets = offsets  # word i is blob[offsets[i]:offsets[i + 1]]
        self._written = written  # bool per word
        self._hashes = hashes  # sorted
        self._owners = owners  # hash -> word id

    @classmethod
    def build(cls, written: Iterable[str], stems: Iterable[str] = ()) -> TypoIndex:
        """``written``: words as articles write them; ``stems``: indexed terms, which
        reach words whose ending the typo changed ("stcoks" -> "stock")."""

        def fits(word: str) -> bool:
            return MIN_WORD_LETTERS <= len(word) <= MAX_WORD_LETTERS

        as_written = {w for w in written if fits(w)}
        words = sorted(as_written | {w for w in stems if fits(w)})
        keys: list[str] = []
        owners: list[int] = []
        for i, word in enumerate(words):
            depth = 2 if len(word) >= TWO_TYPOS_STORED else 1 if len(word) >= ONE_TYPO_STORED else 0
            made = deletions(word, depth)
            keys.extend(made)
            owners.extend([i] * len(made))
        hashes = _hashes(keys)
        order = np.argsort(hashes, kind="stable")
        encoded = [w.encode("utf-8") for w in words]
        offsets = np.zeros(len(words) + 1, np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        flags = np.array([w in as_written for w in words], dtype=bool)
        return cls(
            b"".join(encoded), offsets, flags, hashes[order], np.array(owners, np.int32)[order]
        )

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @property
    def nbytes(self) -> int:
        return int(len(self._blob) + sum(a.nbytes for a in self._arrays()))

    def word(self, i: int) -> str:
        return bytes(self._blob[self._offsets[i] : self._offsets[i + 1]]).decode("utf-8")

    def within(self, typed: str, max_typos: int) -> Iterator[Candidate]:
        """The words within ``max_typos`` of ``typed`` (folded), closest first (ties in
        word order); the typed word itself is not one of them."""
        if not max_typos or len(typed) > MAX_WORD_LETTERS:
            return
        probes = _hashes(deletions(typed, max_typos))
        starts = np.searchsorted(self._hashes, probes, side="left")
        ends = np.searchsorted(self._hashes, probes, side="right")
        owners = {int(o) for s, e in zip(starts, ends, strict=True) for o in self._owners[s:e]}
        found = []
        for owner in owners:
            word = self.word(owner)
            if word != typed and (d := typo_distance(typed, word, max_typos)) <= max_typos:
                found.append((d, word, bool(self._written[owner])))
        for d, word, written in sorted(found):
            term = term_of(word)
            if term is not None:
                yield Candidate(word, term, d, written)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (self._offsets, self._written, self._hashes, self._owners)

    def save(self, path: Path) -> None:
        """Write the index to path atomically: a reader finds the whole file or none."""
        blobs = [np.frombuffer(bytes(self._blob), np.uint8), *self._arrays()]
        header = {"words": len(self), "entries": len(self._hashes), "blob": len(self._blob)}
        write_arrays_file(path, MAGIC, header, blobs)

    @classmethod
    def load(cls, path: Path) -> TypoIndex | None:
        """The index saved at path, memory-mapped; None when missing, foreign or damaged."""
        try:
            with open(path, "rb") as f:
                mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            return cls._parse(mapped)
        except (OSError, ValueError, KeyError, TypeError, struct.error):
            return None

    @classmethod
    def _parse(cls, mapped: mmap.mmap) -> TypoIndex | None:
        found = read_header(mapped, MAGIC)
        if found is None:
            return None
        header, start = found
        places = iter(header["places"])

        def view(dtype: type, count: int) -> np.ndarray:
            return np.frombuffer(mapped, dtype=dtype, count=count, offset=start + next(places))

        words, entries = header["words"], header["entries"]
        blob = memoryview(view(np.uint8, header["blob"]).data)
        index = cls(
            blob,
            view(np.int64, words + 1),
            view(np.bool_, words),
            view(np.uint32, entries),
            view(np.int32, entries),
        )
        if int(index._offsets[-1]) != header["blob"]:
            return None
        return index


def typos_path(folder: Path, segment_id: str) -> Path:
    """Where the typo index of one segment of the Whoosh index in folder is saved (named
    as Whoosh names segment files, so a merge that retires the segment deletes it)."""
    return folder / f"{segment_id}.typos"


def segment_vocabulary(segreader: Any) -> TypoIndex:
    """The typo index of one segment, computed from its lexicons."""
    stems = {t.decode("utf-8") for f in TEXT_FIELD_BOOSTS for t in segreader.lexicon(f)}
    plain = (t.decode("utf-8") for t in segreader.lexicon("spelling"))
    written = (w for w in plain if w.isalpha() and plain_word_of(w) == w)
    return TypoIndex.build(written, (s for s in stems if s.isalpha()))


def segment_typo_index(folder: Path, segreader: Any) -> TypoIndex:
    """A segment's typo index: from its saved file when there is a good one, else computed."""
    saved = TypoIndex.load(typos_path(folder, segreader.segment().segment_id()))
    return saved if saved is not None else segment_vocabulary(segreader)


def save_typo_index_of(folder: Path, segreader: Any) -> None:
    """Compute and save the typo index of one segment of the Whoosh index in folder."""
    segment_vocabulary(segreader).save(typos_path(folder, segreader.segment().segment_id()))
