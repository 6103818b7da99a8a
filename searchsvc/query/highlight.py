"""HTML-safe highlights: find the query's terms in a stored text, then mark a passage.

Finding terms does not re-analyse the article: one regular-expression scan (in C) finds
the words that start like a query term's stem, and only those few candidates go through
the analyzer to confirm they index as that term. The article's own text is always
escaped; `<mark>` is the only markup we add.

What a highlight costs does not grow with the article. A long body (one indexed with
position marks, see indexing/schema.py) is not scanned at all: the index says at which
positions the query's terms occur, and located_spans tokenizes only the few words from
the position mark before each one (as Lucene's highlighter reads offsets from postings),
at most MAX_POSITIONS_PER_TERM places a term. A shorter field is scanned: the stems
become one trie-shaped pattern (each character is tried once per position, however many
terms the query has), and only the first
MAX_ANALYZED_CHARS are read (as Elasticsearch's `index.highlight.max_analyzed_offset`).
Choosing the passage is linear in the number of matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from html import escape
from itertools import groupby

from searchsvc.indexing.analysis import (
    MARK_EVERY,
    WORD_PATTERN,
    analyze_text,
    fold_in_place,
    normalize_word,
    stem,
    term_of,
)

ELLIPSIS = "…"
MAX_ANALYZED_CHARS = 100_000  # of a field searched for matches (p99.9 of a body: ~56k)
# of each term's places in a long body, the first this many are marked (the passage is
# chosen among them): enough for any passage, and bounded however often a term occurs
MAX_POSITIONS_PER_TERM = 1_000
PASSAGE_MIN = 160
PASSAGE_TARGET = 220
PASSAGE_MAX = 300
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\n)(?=\S)")
_WORD_CHARACTER = re.compile(r"[^\W_]")

Span = tuple[int, int]
Trie = dict[str, "Trie"]


def analyzed_part(text: str) -> str:
    """The part of a field that highlighting reads: at most MAX_ANALYZED_CHARS, cut
    before a word that would not fit whole."""
    if len(text) <= MAX_ANALYZED_CHARS:
        return text
    end = MAX_ANALYZED_CHARS + 1  # a space just after the limit still ends a whole word
    cut = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end))
    return text[: cut if cut > 0 else MAX_ANALYZED_CHARS]


def _trie(words: list[str]) -> str:
    """A pattern matching the start of any of words, shaped as a trie: one branch per
    distinct next character, and where a word ends inside a longer one, the longer first
    (as an alternation ordered longest first would)."""
    tree: Trie = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here

    def render(node: Trie) -> str:
        # a run of single branches is written out in a loop: a 500-letter word is one
        # level, not 500 (recursion then only follows where words part)
        run = ""
        while len(node) == 1 and "" not in node:
            ((char, node),) = node.items()
            run += re.escape(char)
        return run + fork(node)

    def fork(node: Trie) -> str:
        branches = [re.escape(char) + render(child) for char, child in sorted(node.items()) if char]
        if "" in node and branches:
            branches.append("")  # (?:...|): the longer words first, then this one
        if len(branches) <= 1:
            return "".join(branches)
        return "(?:" + "|".join(branches) + ")"

    return render(tree)


@lru_cache(maxsize=4096)
def _candidates_pattern(terms: frozenset[str]) -> re.Pattern[str]:
    # A stem is nearly always a prefix of its words, less a final letter at most
    # ("compani" <- "company"); the analyzer confirms each candidate below.
    prefixes = sorted({t[: max(len(t) - 1, 2)] if len(t) > 3 else t for t in terms})
    return re.compile(rf"(?<![^\W_])(?:{_trie(prefixes)})[^\W_]*(?:[&.'’][^\W_]+)*")


def term_spans(text: str, terms: Iterable[str]) -> list[Span]:
    """Character spans of the words in text that analyse to one of terms."""
    wanted = frozenset(terms)
    if not wanted or not text:
        return []
    spans: list[Span] = []
    for match in _candidates_pattern(wanted).finditer(fold_in_place(text)):
        for word in WORD_PATTERN.finditer(match.group()):
            normal = normalize_word(word.group())
            if normal is not None and stem(normal) in wanted:
                spans.append((match.start() + word.start(), match.start() + word.end()))
    return spans


def literal_spans(text: str, forms: Iterable[str]) -> list[Span]:
    """Spans of whole-word occurrences of names as written ("Taiwan Semiconductor", "$TSM")."""
    wanted = sorted({f for f in forms if f}, key=len, reverse=True)
    if not wanted or not text:
        return []
    alternatives = "|".join(re.escape(f) for f in wanted)
    pattern = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])")
    return [m.span() for m in pattern.finditer(text)]


def located_spans(text: str, marks: Sequence[int], positions: Iterable[int]) -> dict[int, Span]:
    """The character spans of the tokens at positions of an analysed text, found from its
    position marks: for each mark that positions fall after, at most MARK_EVERY words are
    tokenized (the analyzer's own tokens, so a span is exactly what was indexed).

    Positions past the last mark's stretch (marks of another version of the text) are
    left out."""
    found: dict[int, Span] = {}
    for mark, group in groupby(sorted(set(positions)), key=lambda p: p // MARK_EVERY):
        if mark >= len(marks):
            break
        targets = list(group)
        pos, next_target = mark * MARK_EVERY, 0
        for match in WORD_PATTERN.finditer(text, marks[mark]):
            if term_of(match.group()) is None:
                continue
            if pos == targets[next_target]:
                found[pos] = match.span()
                next_target += 1
                if next_target == len(targets):
                    break
            pos += 1
            if pos > targets[-1]:
                break
    return found


def positional_spans(
    text: str,
    marks: Sequence[int],
    positions: Mapping[str, Sequence[int]],
    terms: Iterable[str],
    names: Iterable[str],
) -> list[Span]:
    """Spans of terms and of names as written, from where the index says the terms are.

    A name ("Taiwan Semiconductor", "$TSM", "Bank of America") is found where its own
    terms stand at consecutive positions, then checked against the text as written, with
    no word character on either side: what literal_spans finds by scanning.

    Only the first MAX_POSITIONS_PER_TERM places of each term are looked at: a passage
    needs a few, and a 4.8 MB article with a term 120,000 times took seconds to mark."""
    positions = {t: p[:MAX_POSITIONS_PER_TERM] for t, p in positions.items()}
    wanted = [p for term in set(terms) for p in positions.get(term, ())]
    candidates: list[tuple[str, int, int]] = []  # (name, first position, last position)
    for name in set(names):
        tokens = analyze_text(name)
        if not tokens:
            continue
        after = [set(positions.get(term, ())) for term, _, _, _ in tokens[1:]]
        for first in positions.get(tokens[0][0], ()):
            if all(first + i + 1 in later for i, later in enumerate(after)):
                candidates.append((name, first, first + len(tokens) - 1))
    located = located_spans(text, marks, wanted + [p for c in candidates for p in c[1:]])
    spans = [located[p] for p in wanted if p in located]
    for name, first, last in candidates:
        if first not in located or last not in located:
            continue
        # from where the name's first word is; its last word may be longer in the text
        # ("DeepMind’s" for "Google DeepMind"), so the name is compared as written
        start = located[first][0] - analyze_text(name)[0][2]
        end = start + len(name)
        if (
            start >= 0
            and located[last][0] < end
            and text[start:end] == name
            and not (start and _WORD_CHARACTER.match(text, start - 1))
            and not _WORD_CHARACTER.match(text, end)
        ):
            spans.append((start, end))
    return spans


def merge_spans(spans: list[Span]) -> list[Span]:
    """Sorted, non-overlapping spans."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def mark(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    """Escape text[start:end] and wrap the spans inside it in <mark>."""
    end = len(text) if end is None else end
    out: list[str] = []
    cursor = start
    for s, e in merge_spans(spans):
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[cursor:s], quote=False))
        out.append(f"<mark>{escape(text[s:e], quote=False)}</mark>")
        cursor = e
    out.append(escape(text[cursor:end], quote=False))
    return " ".join("".join(out).split())


def _best_window(spans: list[Span], spans_text: list[str]) -> tuple[int, int]:
    """The run of spans fitting in PASSAGE_TARGET chars with most distinct terms, then most
    hits (the first such run). Spans are sorted and disjoint, so for each first span the
    best run is the longest that fits, and one sliding window finds them all."""
    best = (0, 0, 0, 0)  # (distinct, hits, first index, last index)
    inside: dict[str, int] = {}  # text -> count in the window spans[i..j]
    j = -1
    for i in range(len(spans)):
        j = max(j, i - 1)
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= PASSAGE_TARGET:
            j += 1
            inside[spans_text[j]] = inside.get(spans_text[j], 0) + 1
        if j < i:  # span i alone is longer than a passage
            continue
        if (len(inside), j - i + 1) > best[:2]:
            best = (len(inside), j - i + 1, i, j)
        inside[spans_text[i]] -= 1
        if not inside[spans_text[i]]:
            del inside[spans_text[i]]
    return spans[best[2]][0], spans[best[3]][1]


def _snap_start(text: str, start: int, limit: int) -> int:
    """Move start back to a sentence start if one is near, else to a word boundary."""
    floor = max(0, start - limit)
    sentence_starts = [m.end() for m in _SENTENCE_START.finditer(text, floor, start + 1)]
    if sentence_starts:
        return sentence_starts[-1] if sentence_starts[-1] <= start else start
    while start > floor and not text[start - 1].isspace():
        start -= 1
    return start


def _snap_end(text: str, end: int, limit: int) -> int:
    """Move end forward to the end of the word it falls in, but not past limit."""
    limit = min(limit, len(text))
    while end < limit and not text[end].isspace():
        end += 1
    return end


def passage(text: str, spans: list[Span]) -> str:
    """A ~160-300 character passage around the best matches, whole words, `…` where cut."""
    if not text:
        return ""
    spans = merge_spans([(s, e) for s, e in spans if 0 <= s < e <= len(text)])
    if not spans:
        return snippet_of(text)
    words = [text[s:e].lower() for s, e in spans]
    first, last = _best_window(spans, words)
    room = max(PASSAGE_MIN - (last - first), 0)
    start = _snap_start(text, max(0, first - room // 3), limit=room // 2 + 40)
    end = min(len(text), max(last, start + PASSAGE_MIN))
    end = _snap_end(text, end, start + PASSAGE_MAX + 1)  # past PASSAGE_MAX is cut below
    if end - start > PASSAGE_MAX:
        end = start + PASSAGE_MAX
        while end > last and not text[end - 1].isspace():
            end -= 1
        end = max(end, last)
    if end - start < PASSAGE_MIN and start > 0:  # matches near the end: take room before
        start = max(0, end - PASSAGE_MIN)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    body = mark(text, spans, start, end)
    prefix = f"{ELLIPSIS} " if start > 0 else ""
    suffix = f" {ELLIPSIS}" if end < len(text) else ""
    return f"{prefix}{body}{suffix}"


def snippet_of(text: str, limit: int = PASSAGE_MAX) -> str:
    """The start of a text, escaped, cut at a word boundary with `…`."""
    text = " ".join(analyzed_part(text).split())
    if len(text) <= limit:
        return escape(text, quote=False)
    cut = text.rfind(" ", 0, limit)
    return escape(text[: cut if cut > 0 else limit], quote=False) + f" {ELLIPSIS}"
