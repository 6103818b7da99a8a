"""Typo tolerance: how many typos a word may have, and the indexed word it was meant to be.

The rule is Meilisearch's: a word of 5+ letters may have one typo, 9+ letters two, a swap
of two neighbouring letters counts as one, and a change to the first letter counts as two
(readers rarely get the first letter wrong, and a different first letter makes another
word far more often than a typo).

The words within reach come from each segment's typo index (indexing/vocabulary.py: a
symmetric-deletion index saved beside the segment), looked up as one (TypoIndexes). A
word of a segment whose articles were all deleted can still be a candidate: callers keep
the candidates that live articles have.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from searchsvc.indexing.vocabulary import MAX_TYPOS, Candidate, TypoIndex, typo_distance

ONE_TYPO_LETTERS = 5
TWO_TYPOS_LETTERS = 9
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
