"""Find ticker markup and a dictionary's names in a text, in one left-to-right pass.

A text is read the way one regular expression would read it with ``finditer``: at the
leftmost place where something matches, the longest name or markup key wins (markup
before a name of the same length: ``Nasdaq: NVDA`` is a prefix, not the name Nasdaq), and
the next search starts where that match ends. Names are found by an Aho-Corasick automaton
(pyahocorasick, built in about 25 ms for the built-in 16k names, where the equivalent
regular expression took over a second to compile in every process); markup by
:func:`~searchsvc.entities.patterns.markup_pattern`. A name is followed by no letter, digit or
``&``; it may start anywhere (callers judge what stands before it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import ahocorasick

from searchsvc.entities.patterns import MARKUP_SIGNS, markup_pattern


class Found(NamedTuple):
    """One match: where it is and its text as written."""

    start: int
    end: int
    text: str


def _markup_key_length(text: str) -> int:
    """Length of the fixed start of markup: ``$``, ``(``, ``(AU:`` or the exchange name."""
    colon = text.find(":")
    if colon < 0:
        return 1  # "$NVDA", "(META)"
    if text[0] == "(":
        return colon + 1  # "(AU:BHP)": the country and its colon
    return len(text[:colon].rstrip(" \t"))  # "NYSE : BABA": the exchange as written


def _ends_word(text: str, end: int) -> bool:
    """Whether nothing of a word follows ``end``: the regex ``(?![\\w&])``."""
    if end >= len(text):
        return True
    after = text[end]
    return not (after.isalnum() or after == "_" or after == "&")


def _fold(text: str) -> str:
    """Lower case, one character for one, so offsets stay those of ``text``."""
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)  # "İ" stays


class MentionFinder:
    """Markup and names of one dictionary; immutable once built, share it."""

    def __init__(self, names: Iterable[str], *, ignore_case: bool = False) -> None:
        self.ignore_case = ignore_case
        self._names = ahocorasick.Automaton()
        for name in names:
            key = _fold(name) if ignore_case else name
            if key:
                self._names.add_word(key, len(key))
        self._empty = len(self._names) == 0
        if not self._empty:
            self._names.make_automaton()

    def _markup_pattern(self, text: str) -> re.Pattern[str] | None:
        """The markup pattern, or None when text cannot hold markup: every form of it has
        a ``$``, a ``(`` or a ``:``. Most queries have none, so a process that only
        searches seldom compiles the case-insensitive pattern (~70 ms) at all."""
        if any(sign in text for sign in MARKUP_SIGNS):
            return markup_pattern(self.ignore_case)
        return None

    def _longest_names(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of the longest name that ends a word at each start, by start."""
        if self._empty:
            return []
        haystack = _fold(text) if self.ignore_case else text
        longest: dict[int, int] = {}
        for last, length in self._names.iter(haystack):
            end = last + 1
            if _ends_word(text, end):
                start = end - length
                if longest.get(start, -1) < end:
                    longest[start] = end
        return sorted(longest.items())

    def finditer(self, text: str) -> Iterator[Found]:
        """Matches from left to right, none overlapping another."""
        names = self._longest_names(text)
        i = 0  # the next name candidate
        pos = 0  # where the next match may start
        pattern = self._markup_pattern(text)
        markup = pattern.search(text) if pattern is not None else None
        while True:
            while i < len(names) and names[i][0] < pos:
                i += 1
            if markup is not None and markup.start() < pos:
                assert pattern is not None
                markup = pattern.search(text, pos)
            name = names[i] if i < len(names) else None
            if name is None and markup is None:
                return
            use_markup = markup is not None and (
                name is None
                or markup.start() < name[0]
                or (
                    markup.start() == name[0]
                    and _markup_key_length(markup.group()) >= name[1] - name[0]
                )
            )
            if use_markup:
                assert markup is not None
                start, end = markup.span()
            else:
                assert name is not None
                start, end = name
            yield Found(start, end, text[start:end])
            pos = end
