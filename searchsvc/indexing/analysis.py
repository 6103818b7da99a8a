"""Text analysis shared by the indexer and the query side.

Every field's analyzer is set here explicitly (never the library default), and the query
side runs the very same functions, so a query term and an indexed term agree by
construction. The text analyzer is one fused pass instead of Whoosh's chain of five
generator filters: it is the indexer's hottest loop, and the fused form is about twice
as fast while producing the same tokens.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Analyzer, Token
from whoosh.lang.porter2 import stem as porter2_stem
from whoosh.support.charset import accent_map

# A word (letters and digits; "_" separates, so _emphasis_ and snake_case split), with
# inner joiners kept so that AT&T, S&P, BRK.B, 9988.HK and 3.5 stay whole.
WORD_PATTERN = re.compile(r"[^\W_]+(?:[&.'’][^\W_]+)*")
POSSESSIVE = re.compile(r"['’]s$")
# Deliberately short: "us", "can", "may", "not", "new" carry meaning in finance news.
STOP_WORDS = frozenset(
    "a an and are as at be by for from in is it of on or that the this to was were with".split()
)
VALUE_SEPARATOR = "\x1f"  # joins the values of a multi-valued exact field
_ACCENTS: dict[int, str] = {int(k): v for k, v in accent_map.items()}
# The non-ASCII letters accent_map replaces (its ASCII entries only lowercase). A scan for
# them (in C) finds the few to replace, where str.translate looks every character of a
# long body up in a dict: 8 ms for a 200k-character article, against 0.7 ms for lower().
_ACCENTED = re.compile("[" + "".join(re.escape(chr(k)) for k in sorted(_ACCENTS) if k >= 128) + "]")


def _strip_accents(lowered: str) -> str:
    """lowered (already lowercase) with accents stripped: what .translate(_ACCENTS) gives."""
    if lowered.isascii():  # accent_map maps lowercase ASCII to itself
        return lowered
    return _ACCENTED.sub(lambda m: _ACCENTS[ord(m.group())], lowered)


def fold(text: str) -> str:
    """Lowercase and strip accents: "Nestlé" -> "nestle"."""
    return _strip_accents(text.lower())


def fold_in_place(text: str) -> str:
    """fold(), keeping every character where it was, so offsets still point into text."""
    lowered = text.lower()
    if len(lowered) != len(text):  # rare letters ("İ") that lowercase to two characters
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return _strip_accents(lowered)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Porter2 (English Snowball) stem of a folded word, memoised."""
    return porter2_stem(word)


def normalize_word(raw: str) -> str | None:
    """The pre-stem form of one raw word, or None when it is a stop word."""
    word = POSSESSIVE.sub("", fold(raw)).replace("’", "'")
    if not word or word in STOP_WORDS:
        return None
    return word


@lru_cache(maxsize=500_000)
def term_of(raw: str) -> str | None:
    """The indexed term of one raw word, or None for a stop word (memoised: the indexer's
    hottest call, over a vocabulary far smaller than the number of words it sees)."""
    word = normalize_word(raw)
    return None if word is None else stem(word)


def analyze_text(text: str) -> list[tuple[str, int, int, int]]:
    """Tokens of a text field as (term, position, startchar, endchar)."""
    out: list[tuple[str, int, int, int]] = []
    pos = 0
    for match in WORD_PATTERN.finditer(text):
        term = term_of(match.group())
        if term is None:
            continue
        out.append((term, pos, match.start(), match.end()))
        pos += 1
    return out


MARK_EVERY = 8  # positions from one position mark to the next


def position_marks(text: str) -> bytes:
    """Where the tokens at positions 0, MARK_EVERY, 2 * MARK_EVERY... of a text field
    start, as native unsigned ints. With them, the characters of any position are found
    by tokenizing at most MARK_EVERY words from the mark before it (see
    query.highlight.located_spans), not the text from its start."""
    marks = array("I")
    pos = 0
    for match in WORD_PATTERN.finditer(text):
        if term_of(match.group()) is None:
            continue
        if pos % MARK_EVERY == 0:
            marks.append(match.start())
        pos += 1
    return marks.tobytes()


class TextAnalyzer(Analyzer):
    """Words -> lowercase -> accent-folded -> possessive dropped -> stop words -> Porter2 stem."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for match in WORD_PATTERN.finditer(value):
            term = term_of(match.group())
            if term is None:
                continue
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = match.group()  # type: ignore[attr-defined]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            pos += 1
            yield token


@lru_cache(maxsize=500_000)
def plain_word_of(raw: str) -> str | None:
    """The folded, unstemmed form of a raw word worth suggesting, or None."""
    word = normalize_word(raw)
    if word is None or len(word) < 3 or word.isdigit():
        return None
    return word


class PlainWordAnalyzer(Analyzer):
    """Folded, unstemmed words: the vocabulary that spelling suggestions are drawn from."""

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Token]:
        token = Token(**{k: v for k, v in kwargs.items() if k in ("positions", "chars", "mode")})
        # Only which words occur matters here, so each distinct word is analysed once.
        words = {plain_word_of(raw) for raw in set(WORD_PATTERN.findall(value))}
        for word in sorted(w for w in words if w is not None):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            yield token


class ValuesAnalyzer(Analyzer):
    """Exact values joined by VALUE_SEPARATOR, kept as written (tags, authors, symbols…)."""

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Token]:
        token = Token(**{k: v for k, v in kwargs.items() if k in ("positions", "chars", "mode")})
        for pos, part in enumerate(value.split(VALUE_SEPARATOR)):
            part = part.strip()
            if not part:
                continue
            token.text = part
            token.boost = 1.0
            token.stopped = False
            token.pos = pos
            yield token


def join_values(values: list[str] | tuple[str, ...]) -> str:
    """Join exact values for a ValuesAnalyzer field."""
    return VALUE_SEPARATOR.join(v.replace(VALUE_SEPARATOR, " ") for v in values)


def query_terms(text: str) -> list[str]:
    """The indexed terms a piece of query text stands for, in order."""
    return [term for term, _, _, _ in analyze_text(text)]


def prefix_form(text: str) -> str:
    """The form a typed prefix is looked up in: folded, not stemmed ("Nvid" -> "nvid")."""
    return POSSESSIVE.sub("", fold(text)).replace("’", "'").strip(".&'")
