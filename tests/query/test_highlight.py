"""Highlights: escaped article text, <mark> only, passages of about 160-300 characters."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from searchsvc.indexing.analysis import analyze_text, position_marks, query_terms
from searchsvc.query.highlight import (
    MAX_ANALYZED_CHARS,
    PASSAGE_MAX,
    PASSAGE_TARGET,
    _best_window,
    _candidates_pattern,
    analyzed_part,
    literal_spans,
    located_spans,
    mark,
    merge_spans,
    passage,
    positional_spans,
    snippet_of,
    term_spans,
)

LONG = (
    "Markets opened quietly on Monday. Analysts expected little news before the holiday. "
    "Then Nvidia reported record earnings, and the stock jumped nine percent in early trade. "
    "Investors had worried about export controls, but the data center business grew again. "
    "Rivals such as AMD and Intel lagged behind, and chip stocks in Asia followed the move "
    "overnight while bond yields barely moved. The rally faded by the close of trading."
)


def test_mark_escapes_the_article_and_adds_only_mark() -> None:
    text = "AT&T <script>alert(1)</script> beats"
    html = mark(text, [(0, 4)])
    assert html == "<mark>AT&amp;T</mark> &lt;script&gt;alert(1)&lt;/script&gt; beats"


@pytest.mark.parametrize(
    ("text", "query", "marked"),
    [
        ("Record earnings lifted shares", "earnings", ["earnings"]),
        ("It earned more than it earns", "earnings", ["earned", "earns"]),  # stems match
        ("Nvidia's results", "nvidia", ["Nvidia's"]),  # possessive form as written
        ("A café in Zürich", "zurich cafe", ["café", "Zürich"]),  # accents
        ("The company and companies", "company", ["company", "companies"]),  # stem not a prefix
        ("Early results", "earnings", []),  # "early" starts like "earn" but is not the term
        ("AT&T shares", "AT&T", ["AT&T"]),
    ],
)
def test_term_spans_find_the_words_that_index_as_the_query_terms(
    text: str, query: str, marked: list[str]
) -> None:
    spans = term_spans(text, query_terms(query))
    assert [text[s:e] for s, e in spans] == marked


def test_passage_is_a_window_of_whole_words_around_the_best_matches() -> None:
    spans = term_spans(LONG, query_terms("data center export"))
    html = passage(LONG, spans)
    plain = re.sub(r"</?mark>", "", html)
    assert 160 <= len(plain) <= PASSAGE_MAX + 4
    assert "<mark>data</mark> <mark>center</mark>" in html
    assert "<mark>export</mark>" in html
    core = plain.strip("… ")
    assert core in " ".join(LONG.split())  # a real slice, words never cut


def test_passage_marks_ellipsis_only_where_cut() -> None:
    short = "Nvidia reported record earnings."
    assert passage(short, term_spans(short, ["earn"])) == (
        "Nvidia reported record <mark>earnings</mark>."
    )
    assert passage(LONG, term_spans(LONG, query_terms("rally"))).startswith("… ")


def test_without_matches_a_passage_is_the_start_of_the_text() -> None:
    assert passage(LONG, []) == snippet_of(LONG)
    assert snippet_of(LONG).endswith(" …")
    assert len(snippet_of(LONG)) <= PASSAGE_MAX + 2


@pytest.mark.parametrize(
    ("text", "forms", "marked"),
    [
        (
            "Taiwan Semiconductor and TSMC",
            ["TSMC", "Taiwan Semiconductor"],
            ["Taiwan Semiconductor", "TSMC"],
        ),
        ("TSMCs and XTSMC", ["TSMC"], []),  # whole words only
        ("Shares of NYSE:BABA and $NVDA", ["NYSE:BABA", "$NVDA"], ["NYSE:BABA", "$NVDA"]),
        ("Alibaba Cloud, Alibaba", ["Alibaba", "Alibaba Cloud"], ["Alibaba Cloud", "Alibaba"]),
    ],
)
def test_literal_spans_find_names_as_written(
    text: str, forms: list[str], marked: list[str]
) -> None:
    assert [text[s:e] for s, e in literal_spans(text, forms)] == marked


def test_merge_spans_sorts_and_joins_overlaps() -> None:
    assert merge_spans([(5, 9), (0, 3), (2, 4), (9, 10)]) == [(0, 4), (5, 10)]


@given(st.text(max_size=600), st.lists(st.tuples(st.integers(-5, 700), st.integers(-5, 700))))
def test_passage_never_raises_and_only_mark_is_markup(text: str, spans: list) -> None:
    html = passage(text, spans)
    assert "<" not in re.sub(r"</?mark>", "", html)
    assert len(re.sub(r"</?mark>|&\w+;", "x", html)) <= PASSAGE_MAX + 4


# --- bounded cost --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("short text", "short text"),
        ("x" * MAX_ANALYZED_CHARS, "x" * MAX_ANALYZED_CHARS),  # exactly the limit: all of it
        # cut before the word that would not fit whole
        ("a " * (MAX_ANALYZED_CHARS // 2) + "tail", "a " * (MAX_ANALYZED_CHARS // 2 - 1) + "a"),
        ("word " * MAX_ANALYZED_CHARS, ("word " * MAX_ANALYZED_CHARS)[: MAX_ANALYZED_CHARS - 1]),
        ("x" * (MAX_ANALYZED_CHARS + 5), "x" * MAX_ANALYZED_CHARS),  # no space: cut anyway
        ("x" * (MAX_ANALYZED_CHARS - 1) + "\nmore", "x" * (MAX_ANALYZED_CHARS - 1)),
    ],
)
def test_analyzed_part_is_at_most_the_limit_in_whole_words(text: str, kept: str) -> None:
    part = analyzed_part(text)
    assert part == kept
    assert len(part) <= MAX_ANALYZED_CHARS


def _best_window_by_pairs(spans: list[tuple[int, int]], texts: list[str]) -> tuple[int, int]:
    """The reference: every run of spans that fits, most distinct texts then most hits."""
    best = (0, 0, 0, 0)
    for i in range(len(spans)):
        for j in range(i, len(spans)):
            if spans[j][1] - spans[i][0] > PASSAGE_TARGET:
                break
            candidate = (len(set(texts[i : j + 1])), j - i + 1, i, j)
            if candidate[:2] > best[:2]:
                best = candidate
    return spans[best[2]][0], spans[best[3]][1]


@given(
    st.lists(
        st.tuples(st.integers(1, 120), st.integers(1, 300), st.sampled_from("abcd")),
        min_size=1,
        max_size=40,
    )
)
def test_best_window_is_the_best_run_of_spans(steps: list[tuple[int, int, str]]) -> None:
    spans, texts, at = [], [], 0
    for gap, length, text in steps:  # sorted, disjoint spans, some longer than a passage
        spans.append((at + gap, at + gap + length))
        texts.append(text)
        at += gap + length
    assert _best_window(spans, texts) == _best_window_by_pairs(spans, texts)


def _candidates_by_alternation(terms: frozenset[str], text: str) -> list[tuple[int, int]]:
    """The reference: the stems' prefixes as one plain alternation, longest first."""
    prefixes = sorted({t[: max(len(t) - 1, 2)] if len(t) > 3 else t for t in terms}, key=len)
    alternatives = "|".join(re.escape(p) for p in reversed(prefixes))
    pattern = re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*(?:[&.'’][^\W_]+)*")
    return [m.span() for m in pattern.finditer(text)]


@given(
    st.frozensets(st.text("abcé&.'1", min_size=1, max_size=6), min_size=1, max_size=60),
    st.text("abcé&.'1 -", max_size=200),
)
# found by Hypothesis: a prefix ("ab", "'") was taken to find every word of a longer one
# ("ab." of "ab.c", "'."), but the longer one may end in a joiner the shorter's
# continuation does not take without a letter after it
@example(frozenset({"ab", "ab.c"}), "ab.")
@example(frozenset({"'", "'."}), "'.")
def test_the_trie_pattern_finds_what_an_alternation_finds(terms: frozenset[str], text: str) -> None:
    found = [m.span() for m in _candidates_pattern(terms).finditer(text)]
    assert found == _candidates_by_alternation(terms, text)


class _CountingText(str):
    """A str that counts character look-ups (text[i]), to measure work without a clock."""

    reads = 0

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        _CountingText.reads += 1
        return str.__getitem__(self, key)


def test_a_passage_never_walks_a_long_word_to_its_end() -> None:
    text = _CountingText("earnings " + "x" * 1_000_000)
    _CountingText.reads = 0
    html = passage(text, [(0, 8)])
    assert html.startswith("<mark>earnings</mark>") and html.endswith(" …")
    assert _CountingText.reads < 5 * PASSAGE_MAX


# --- long bodies: spans from the index's positions -------------------------------------------

WORDS = ["Nvidia", "the", "of", "AT&T", "S&P", "U.S.", "chips", "chip", "Nestlé", "snake_case",
         "3.5", "Taiwan", "Semiconductor", "$TSM", "TSM", "Bank", "America", "NYSE:BABA",
         "it's", "companies", "company", "Home", "Depot", "The", "x", "Chip’s", "Google",
         "DeepMind’s", "DeepMind", "DeepMinds", "(TSM)"]  # fmt: skip
SEPARATORS = [" ", "\n\n", ", ", ". ", " (", ") ", "_", " — ", ":", "$"]
NAMES = ["Taiwan Semiconductor", "$TSM", "TSM", "Bank of America", "AT&T", "NYSE:BABA",
         "The Home Depot", "Nvidia", "Google DeepMind", "(TSM)"]  # fmt: skip
word_texts = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=200
).map(lambda pairs: "".join(word + separator for word, separator in pairs))


def marks_of(text: str) -> memoryview:
    return memoryview(position_marks(text)).cast("I")


def positions_of(text: str) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for term, pos, _, _ in analyze_text(text):
        positions.setdefault(term, []).append(pos)
    return positions


@given(word_texts, st.data())
def test_located_spans_are_the_analyzers_own_tokens(text: str, data: st.DataObject) -> None:
    tokens = analyze_text(text)
    chosen = data.draw(st.sets(st.integers(0, len(tokens) + 40)))  # some past the end
    expected = {pos: (start, end) for _, pos, start, end in tokens if pos in chosen}
    assert located_spans(text, marks_of(text), chosen) == expected


@given(
    word_texts,
    st.sets(st.sampled_from(["nvidia", "chip", "compani", "semiconductor", "s&p", "america"])),
    st.sets(st.sampled_from(NAMES)),
)
def test_positional_spans_find_what_a_scan_finds(
    text: str, terms: set[str], names: set[str]
) -> None:
    scanned = term_spans(text, terms) + literal_spans(text, names)
    found = positional_spans(text, marks_of(text), positions_of(text), terms, names)
    assert merge_spans(found) == merge_spans(scanned)


def test_marks_of_another_text_leave_out_what_they_cannot_reach() -> None:
    text = "chip " * 100
    short_marks = marks_of("chip " * 10)  # two marks: positions 0-15 only
    assert sorted(located_spans(text, short_marks, [0, 15, 16, 99])) == [0, 15]


def test_a_word_as_long_as_a_query_is_highlighted_without_recursing() -> None:
    # a 505-letter "word" in a query once reached the highlighter (a corrected word beside
    # it found articles) and its pattern recursed a level per letter: a 500
    word = "x" * 505
    assert sorted(term_spans(f"an {word} here", {word, "here"})) == [(3, 508), (509, 513)]


def test_a_term_found_thousands_of_times_marks_only_its_first_places() -> None:
    from searchsvc.indexing.analysis import position_marks
    from searchsvc.query.highlight import MAX_POSITIONS_PER_TERM, positional_spans

    text = "alpha beta " * (3 * MAX_POSITIONS_PER_TERM)
    marks = memoryview(position_marks(text)).cast("I")
    places = list(range(0, 6 * MAX_POSITIONS_PER_TERM, 2))  # every "alpha"
    spans = positional_spans(text, marks, {"alpha": places}, {"alpha"}, [])
    assert len(spans) == MAX_POSITIONS_PER_TERM
    assert spans[0] == (0, 5)
