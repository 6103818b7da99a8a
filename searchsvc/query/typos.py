"""Typo tolerance: how many typos a word may have, and the indexed word it was meant to be.

The rule is Meilisearch's: a word of 5+ letters may have one typo, 9+ letters two, a swap
of two neighbouring letters counts as one, and a change to the first letter counts as two
(readers rarely get the first letter wrong, and a different first letter makes another
word far more often than a typo).

A TypoIndex is built once per index segment over its vocabulary: the plain words of the
`spelling` field (titles, excerpts, tags, keywords, as written) and the stems of the text
fields. Segments never change, so a new generation reuses the indexes of the segments it
shares with the previous one and builds only those of its new segments (TypoIndexes).
Each is a symmetric-deletion index (SymSpell): every word is stored under the strings its
deletions of up to two letters make, as 32-bit hashes in one sorted NumPy array, and a
typed word is looked up by its own deletions. So a lookup costs a few dozen binary
searches and the distance to each candidate, never a walk of the vocabulary. A word of a
segment whose articles were all deleted can still be a candidate: callers keep the
candidates that live articles have.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from whoosh.reading import distance as damerau_distance

from searchsvc.indexing.analysis import plain_word_of, term_of

ONE_TYPO_LETTERS = 5
TWO_TYPOS_LETTERS = 9
MAX_TYPOS = 2
# Shorter words are stored for no typo: a typed word of 5+ letters at one typo from them
# would need two insertions.
MIN_WORD_LETTERS = 3
MAX_WORD_LETTERS = 30  # longer "words" are junk (URLs, hashes); a lookup ignores them too
# A word stored for two typos: 7+ letters (a 9-letter word two typos away has 7 at least)
TWO_TYPOS_STORED = TWO_TYPOS_LETTERS - MAX_TYPOS
FIRST_LETTER_COST = 2
# A misspelt word is searched as each of the closest words (at most MAX_GUESSES) used in at
# least GUESS_SHARE as many articles as the most used: Meilisearch searches every word
# within the typo budget; this keeps the ones a reader plausibly meant.
MAX_GUESSES = 3
GUESS_SHARE = 0.1


def allowed_typos(word: str, setting: str) -> int:
    """How many typos ``word`` (folded) may have under a request's ``typos`` setting:
    ``auto`` by length (5+ letters 1, 9+ letters 2); a number caps it for words of 5+."""
    if setting == "0" or len(word) < ONE_TYPO_LETTERS:
        return 0
    if setting == "auto":
        return 2 if len(word) >= TWO_TYPOS_LETTERS else 1
    return min(int(setting), MAX_TYPOS)


def typo_distance(typed: str, word: str) -> int:
    """Damerau-Levenshtein distance (a swap is one edit), a different first letter
    counting FIRST_LETTER_COST."""
    d = damerau_distance(typed, word)
    if typed[:1] != word[:1]:
        d += FIRST_LETTER_COST - 1
    return int(d)


def deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string made by deleting up to ``depth`` of its letters."""
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _hash32(texts: Iterable[str]) -> np.ndarray:
    # Python's str hash is salted per process: fine, the index never leaves the process.
    # Collisions only add candidates, which the distance check then rejects.
    hashes = np.fromiter(map(hash, texts), dtype=np.int64)
    return (hashes & 0xFFFFFFFF).astype(np.uint32)


@dataclass(frozen=True)
class Candidate:
    """An indexed word within reach of a typed word."""

    word: str  # as the reader would write it ("nvidia"), the vocabulary's key
    term: str  # the indexed term searched for it (its stem)
    distance: int
    written: bool  # a word as articles write it, not only a stem ("technolog")


class TypoIndex:
    """The vocabulary of one generation, looked up by deletions (see the module doc)."""

    def __init__(self, written: Iterable[str], stems: Iterable[str] = ()) -> None:
        """``written``: words as articles write them; ``stems``: indexed terms, which
        reach words whose ending the typo changed ("stcoks" -> "stock")."""
        self.written = {w for w in written if MIN_WORD_LETTERS <= len(w) <= MAX_WORD_LETTERS}
        self.words: list[str] = sorted(
            self.written | {w for w in stems if MIN_WORD_LETTERS <= len(w) <= MAX_WORD_LETTERS}
        )
        keys: list[str] = []
        owners: list[int] = []
        for i, word in enumerate(self.words):
            depth = 2 if len(word) >= TWO_TYPOS_STORED else 1 if len(word) >= 4 else 0
            made = deletions(word, depth)
            keys.extend(made)
            owners.extend([i] * len(made))
        all_hashes = _hash32(keys)
        order = np.argsort(all_hashes, kind="stable")
        self._hashes = all_hashes[order]
        self._owners = np.array(owners, dtype=np.int32)[order]

    @property
    def nbytes(self) -> int:
        return int(self._hashes.nbytes + self._owners.nbytes)

    def within(self, typed: str, max_typos: int) -> Iterator[Candidate]:
        """The vocabulary's words within ``max_typos`` of ``typed`` (folded), closest first
        (ties in word order); the typed word itself is not one of them."""
        if not max_typos or len(typed) > MAX_WORD_LETTERS:
            return
        probes = _hash32(deletions(typed, max_typos))
        starts = np.searchsorted(self._hashes, probes, side="left")
        ends = np.searchsorted(self._hashes, probes, side="right")
        owners = {int(o) for s, e in zip(starts, ends, strict=True) for o in self._owners[s:e]}
        found = []
        for owner in owners:
            word = self.words[owner]
            if word == typed:
                continue
            d = typo_distance(typed, word)
            if d <= max_typos:
                found.append((d, word))
        for d, word in sorted(found):
            term = term_of(word)
            if term is not None:
                yield Candidate(word, term, d, word in self.written)


class TypoIndexes:
    """The typo indexes of a generation's segments, looked up as one."""

    def __init__(self, parts: Iterable[TypoIndex]) -> None:
        self.parts = list(parts)

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.parts)

    def within(self, typed: str, max_typos: int) -> Iterator[Candidate]:
        """TypoIndex.within over every segment: each word once, closest first."""
        found: dict[str, Candidate] = {}
        for part in self.parts:
            for c in part.within(typed, max_typos):
                known = found.get(c.word)
                if known is None:
                    found[c.word] = c
                elif c.written and not known.written:
                    found[c.word] = Candidate(c.word, c.term, c.distance, True)
        yield from sorted(found.values(), key=lambda c: (c.distance, c.word))


def vocabulary(plain_words: Iterable[str], stems: Iterable[str]) -> TypoIndex:
    """The TypoIndex of a segment: the plain words as written and the stems of the text
    fields; letters only, so numbers and symbols are never the target of a correction."""
    written = (w for w in plain_words if w.isalpha() and plain_word_of(w) == w)
    return TypoIndex(written, (s for s in stems if s.isalpha()))


def best_guess(candidates: Iterable[Candidate], frequency: dict[str, int], typed: str) -> Candidate:
    """The candidate a reader most likely meant: the closest, then the most used, then
    the one sharing more of the start (typos come later in a word), then by word; shown
    as articles write it when a written word has the same term."""
    ranked = sorted(
        candidates,
        key=lambda c: (
            c.distance,
            -frequency[c.term],
            not c.written,
            -len(os.path.commonprefix([typed, c.word])),
            c.word,
        ),
    )
    best = ranked[0]
    # shown as the written word of that term closest to what was typed ("stocks", not
    # "stock", for "stcoks")
    same = [c for c in ranked if c.term == best.term and c.written]
    if same:
        shown = min(same, key=lambda c: (typo_distance(typed, c.word), c.word))
        return Candidate(shown.word, best.term, best.distance, True)
    return best


def best_guesses(
    candidates: Iterable[Candidate],
    frequency: dict[str, int],
    typed: str,
    at_most: int = MAX_GUESSES,
) -> list[Candidate]:
    """The words a reader may have meant: best_guess first, then the other words as close
    to what was typed and used in at least GUESS_SHARE as many articles ("tesls" is
    "tests" or "tesla"), one per term, at most ``at_most``."""
    pool = list(candidates)
    if not pool:
        return []
    best = best_guess(pool, frequency, typed)
    guesses = [best]
    floor = frequency[best.term] * GUESS_SHARE
    for term in sorted(
        {c.term for c in pool if c.distance == best.distance and c.term != best.term},
        key=lambda t: (-frequency[t], t),
    ):
        if len(guesses) == at_most or frequency[term] < floor:
            break
        guesses.append(best_guess([c for c in pool if c.term == term], frequency, typed))
    return guesses


@dataclass(frozen=True)
class Correction:
    """A word of the query searched under a corrected spelling, and why that one."""

    typed: str  # as the reader wrote it
    word: str  # the indexed word searched instead
    term: str  # its indexed term
    distance: int  # typo_distance(typed, word)
    articles: int  # how many articles have it
    considered: tuple[str, ...]  # the other candidates within reach, closest first
