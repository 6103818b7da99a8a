"""The query language as a specification: tables of queries and trees, then properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.query.querylang import MAX_DEPTH, QuerySyntaxError, parse
from searchsvc.query.tree import (
    And,
    DateRange,
    MatchAll,
    Node,
    Not,
    Or,
    Phrase,
    Ticker,
    Word,
    to_json,
    to_text,
    walk,
)


def W(text: str, field: str | None = None, prefix: bool = False) -> Word:
    return Word(text, field, prefix)


def P(*words: str, field: str | None = None) -> Phrase:
    return Phrase(words, field)


def A(*children: Node) -> And:
    return And(children)


def O(*children: Node) -> Or:  # noqa: E743
    return Or(children)


def EXCEPT(*negated: Node) -> And:
    """What a query of only negations means: everything except."""
    return And((MatchAll(), *(Not(n) for n in negated)))


# Queries that parse the same in strict and lenient mode.
VALID = [
    ("", MatchAll()),
    ("   \t\n ", MatchAll()),
    ("nvidia", W("nvidia")),
    ("nvidia earnings", A(W("nvidia"), W("earnings"))),
    ("  nvidia   earnings  ", A(W("nvidia"), W("earnings"))),
    # punctuation inside a word is kept as typed; analysis happens later
    ("AT&T BRK.B S&P", A(W("AT&T"), W("BRK.B"), W("S&P"))),
    ("9988.HK $NVDA don't", A(W("9988.HK"), W("$NVDA"), W("don't"))),
    # unknown "xxx:" prefixes are plain words, not fields
    ("NYSE:BABA", W("NYSE:BABA")),
    ("10:30 http://example.com/x", A(W("10:30"), W("http://example.com/x"))),
    ("price: 5", A(W("price:"), W("5"))),
    # a dash inside a word is part of it
    ("e-commerce 2025-10-01 a-", A(W("e-commerce"), W("2025-10-01"), W("a-"))),
    ('"exact phrase"', P("exact", "phrase")),
    ('"  spaced \t out  "', P("spaced", "out")),
    ('"one"', P("one")),
    # inside quotes everything is text, even syntax
    ('"a OR (b) -c title:x"', P("a", "OR", "(b)", "-c", "title:x")),
    ('""', MatchAll()),  # an empty phrase is nothing
    ('a "" b', A(W("a"), W("b"))),
    ('"a""b"', A(P("a"), P("b"))),
    ('x"y z"', A(W("x"), P("y", "z"))),  # a quote ends a word
    ("-bitcoin", EXCEPT(W("bitcoin"))),
    ("-a -b", EXCEPT(W("a"), W("b"))),
    ("crypto -bitcoin", A(W("crypto"), Not(W("bitcoin")))),
    ('crypto -"bitcoin etf"', A(W("crypto"), Not(P("bitcoin", "etf")))),
    ("crypto -(a b)", A(W("crypto"), Not(A(W("a"), W("b"))))),
    ("crypto -title:x", A(W("crypto"), Not(W("x", "title")))),
    ("x -published:2025", A(W("x"), Not(DateRange("2025-01-01", "2025-12-31")))),
    ("x -nvid*", A(W("x"), Not(W("nvid", prefix=True)))),
    ("-(-a)", EXCEPT(Not(W("a")))),  # double negation is kept as typed
    ("x -(-a)", A(W("x"), Not(Not(W("a"))))),
    ("--x", EXCEPT(W("-x"))),  # after "-" the word is taken as typed
    ("-OR", EXCEPT(W("OR"))),  # ... so OR is a word there, not a keyword
    ('x -"" -*', W("x")),  # "-" before nothing is nothing
    ("a OR b", O(W("a"), W("b"))),
    ("a OR b OR c", O(W("a"), W("b"), W("c"))),
    ("a or b", A(W("a"), W("or"), W("b"))),  # lowercase "or" is a word
    ("a Or b", A(W("a"), W("Or"), W("b"))),
    ("a | b", A(W("a"), W("|"), W("b"))),  # "|" is not syntax
    ("ORacle ORE", A(W("ORacle"), W("ORE"))),
    # OR binds tighter than the implicit AND
    ("a b OR c", A(W("a"), O(W("b"), W("c")))),
    ("a OR b c", A(O(W("a"), W("b")), W("c"))),
    ("a OR b c OR d", A(O(W("a"), W("b")), O(W("c"), W("d")))),
    ("a AND b", A(W("a"), W("b"))),  # explicit AND is a no-op
    ("a AND b OR c", A(W("a"), O(W("b"), W("c")))),
    ("a and b", A(W("a"), W("and"), W("b"))),
    ("(a b) OR c", O(A(W("a"), W("b")), W("c"))),
    ("(a OR b) c", A(O(W("a"), W("b")), W("c"))),
    ("(a OR b) OR c", O(W("a"), W("b"), W("c"))),  # nested Ors flatten
    ("a (b c)", A(W("a"), W("b"), W("c"))),  # nested Ands flatten
    ("((a))", W("a")),  # groups of one collapse
    ("(a)OR(b)", O(W("a"), W("b"))),  # parentheses end words
    ("-a OR b", O(EXCEPT(W("a")), W("b"))),  # an all-negative alternative
    ("a OR (-b -c)", O(W("a"), EXCEPT(W("b"), W("c")))),
    ("nvid*", W("nvid", prefix=True)),
    ("nvid**", W("nvid", prefix=True)),
    ("*", MatchAll()),  # a lone star is nothing
    ("a * b", A(W("a"), W("b"))),
    ("*nvid a*b", A(W("*nvid"), W("a*b"))),  # only a trailing star is syntax
    ("OR*", W("OR", prefix=True)),  # a prefix, not the keyword
    ("title:nvidia", W("nvidia", "title")),
    ("TITLE:Nvidia", W("Nvidia", "title")),  # field names are case-insensitive
    ("tag:AI", W("AI", "tag")),
    ("category:Tech author:chen", A(W("Tech", "category"), W("chen", "author"))),
    ("ticker:$NVDA ticker:9988.HK", A(W("$NVDA", "ticker"), W("9988.HK", "ticker"))),
    ("title:nvid*", W("nvid", "title", prefix=True)),
    ('tag:"AI Infrastructure"', P("AI", "Infrastructure", field="tag")),
    ("title:a:b", W("a:b", "title")),  # the value runs to the next space
    ("title:-x title:OR", A(W("-x", "title"), W("OR", "title"))),
    ("title:x OR tag:y", O(W("x", "title"), W("y", "tag"))),
    ("published:2025-10-01..2025-10-31", DateRange("2025-10-01", "2025-10-31")),
    ("published:2025-10-01..", DateRange("2025-10-01", None)),
    ("published:..2025-10-31", DateRange(None, "2025-10-31")),
    ("published:2025-10-01", DateRange("2025-10-01", "2025-10-01")),
    ("published:2025-10", DateRange("2025-10-01", "2025-10-31")),
    ("published:2024-02", DateRange("2024-02-01", "2024-02-29")),  # leap year
    ("published:2025", DateRange("2025-01-01", "2025-12-31")),
    # a range of months or years covers them whole
    ("published:2025-01..2025-03", DateRange("2025-01-01", "2025-03-31")),
    ("published:2024..", DateRange("2024-01-01", None)),
    ("Published:2025", DateRange("2025-01-01", "2025-12-31")),
    ("published:2025-10-05..2025-10-05", DateRange("2025-10-05", "2025-10-05")),
    (
        "nvidia published:2025 -tag:crypto",
        A(W("nvidia"), DateRange("2025-01-01", "2025-12-31"), Not(W("crypto", "tag"))),
    ),
    ("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH, W("a")),  # the deepest allowed
    ("naïve 東京 Ünïcödé", A(W("naïve"), W("東京"), W("Ünïcödé"))),
]


@pytest.mark.parametrize(("query", "expected"), VALID)
def test_parse(query: str, expected: Node) -> None:
    assert parse(query) == expected
    assert parse(query, strict=True) == expected


# (query, lenient tree, strict message fragment, strict position)
BROKEN = [
    ('nvidia "earnings', A(W("nvidia"), W("earnings")), "unclosed quote", 7),
    ('"a" "b', A(P("a"), W("b")), "unclosed quote", 4),
    ('"', MatchAll(), "unclosed quote", 0),
    # an unclosed "(" is dropped: the rest keeps its meaning, here an OR
    ("(tsmc OR samsung", O(W("tsmc"), W("samsung")), "unclosed parenthesis", 0),
    ("((a) (b", A(W("a"), W("b")), "unclosed parenthesis", 5),  # the innermost
    ("a) b", A(W("a"), W("b")), "unmatched ')'", 1),
    (")", MatchAll(), "unmatched ')'", 0),
    ("()", MatchAll(), "empty group", 0),
    ("a ( ) b", A(W("a"), W("b")), "empty group", 2),
    ('("")', MatchAll(), "empty group", 0),  # a group of nothing is empty
    ("-()", MatchAll(), "empty group", 1),
    ("a OR", W("a"), "'OR' needs a term", 2),
    ("OR a", W("a"), "'OR' needs a term", 0),
    ("OR", MatchAll(), "'OR' needs a term", 0),
    ("a OR OR b", O(W("a"), W("b")), "'OR' needs a term", 5),  # the second OR
    ("(a OR) b", A(W("a"), W("b")), "'OR' needs a term", 3),
    ("a AND", W("a"), "'AND' needs a term", 2),
    ("AND a", W("a"), "'AND' needs a term", 0),
    ("a AND OR b", A(W("a"), W("b")), "'OR' needs a term", 6),
    ("a OR AND b", O(W("a"), W("b")), "'AND' needs a term", 5),
    ("-", MatchAll(), "'-' needs something to exclude", 0),
    ("a - b", A(W("a"), W("b")), "'-' needs something to exclude", 2),
    ("(a -)", W("a"), "'-' needs something to exclude", 3),
    ("title:", W("title"), "field 'title:' needs a value", 6),
    ("title: nvidia", A(W("title"), W("nvidia")), "field 'title:' needs a value", 6),
    ("Tag:*", W("Tag"), "field 'Tag:' needs a value", 4),  # the name as typed
    ('tag:""', W("tag"), "field 'tag:' needs a value", 4),
    ("title:(a b)", A(W("title"), W("a"), W("b")), "field 'title:' needs a value", 6),
    ('title:"a', A(W("title"), W("a")), "unclosed quote", 6),
    ("-title:", EXCEPT(W("title")), "field 'title:' needs a value", 7),
    ("published:", W("published"), "field 'published:' needs a value", 10),
    # an invalid date leaves the field name and the value as plain words
    (
        "published:2025-13-01..x",
        A(W("published"), W("2025-13-01..x")),
        "invalid date '2025-13-01'",
        10,
    ),
    ("published:2025-02-30", A(W("published"), W("2025-02-30")), "invalid date", 10),
    ("published:2025-10-01..2025-10-32", None, "invalid date '2025-10-32'", 22),
    ("published:2025-1-1", None, "invalid date '2025-1-1'", 10),
    ("published:0000", None, "invalid date '0000'", 10),
    ("published:yesterday", A(W("published"), W("yesterday")), "invalid date", 10),
    ("published:2025*", None, "invalid date '2025*'", 10),
    ("published:..", A(W("published"), W("..")), "needs a start or an end", 10),
    ("published:2025-10-31..2025-10-01", None, "starts after it ends", 10),
    ('published:"2025"', A(W("published"), P("2025")), "not a phrase", 10),
    ("published:٢٠٢٥", None, "invalid date", 10),  # only ASCII digits
    # too deep: the parenthesis past the limit is dropped, then its partner
    ("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), W("a"), "nested", MAX_DEPTH),
    ("(" * 500, MatchAll(), "nested", MAX_DEPTH),
    # errors are reported in reading order
    (') "a', W("a"), "unmatched ')'", 0),
    ('"a (b', A(W("a"), W("b")), "unclosed quote", 0),
]


@pytest.mark.parametrize(("query", "lenient", "fragment", "position"), BROKEN)
def test_broken_query(query: str, lenient: Node | None, fragment: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query, strict=True)
    assert fragment in caught.value.message
    assert caught.value.position == position
    assert str(caught.value) == f"{caught.value.message} at position {position}"
    result = parse(query)  # lenient never raises
    if lenient is not None:
        assert result == lenient


def test_other_colons_are_not_errors_even_in_strict_mode() -> None:
    query = "NYSE:BABA 10:30 http://x.com a: :b"
    assert parse(query, strict=True) == A(*(W(part) for part in query.split()))


@pytest.mark.parametrize(
    ("tree", "text"),
    [
        (A(W("a"), O(W("b"), W("c"))), "a (b OR c)"),
        (O(A(W("a"), W("b")), W("c")), "(a b) OR c"),
        (EXCEPT(W("bitcoin")), "-bitcoin"),
        (O(EXCEPT(W("a")), W("b")), "-a OR b"),
        (O(W("a"), EXCEPT(W("b"), W("c"))), "a OR (-b -c)"),
        (EXCEPT(O(W("a"), W("b"))), "-(a OR b)"),
        (A(W("x"), Not(Not(W("a")))), "x -(-a)"),
        (DateRange("2025-10-01", "2025-10-01"), "published:2025-10-01"),
        (DateRange(None, "2025-10-31"), "published:..2025-10-31"),
        (P("AI", "Infrastructure", field="tag"), 'tag:"AI Infrastructure"'),
        (W("nvid", "title", prefix=True), "title:nvid*"),
        (MatchAll(), ""),
    ],
)
def test_to_text(tree: Node, text: str) -> None:
    assert to_text(tree) == text
    assert parse(text, strict=True) == tree


@pytest.mark.parametrize(("query", "expected"), VALID)
def test_table_round_trips(query: str, expected: Node) -> None:
    assert parse(to_text(expected), strict=True) == expected


@pytest.mark.parametrize(
    ("tree", "nodes"),
    [
        (W("a"), [W("a")]),
        (MatchAll(), [MatchAll()]),
        # each node before its children, children left to right
        (
            A(W("a"), O(W("b"), W("c"))),
            [A(W("a"), O(W("b"), W("c"))), W("a"), O(W("b"), W("c")), W("b"), W("c")],
        ),
        (EXCEPT(W("x")), [EXCEPT(W("x")), MatchAll(), Not(W("x")), W("x")]),
        # a Not of a Not: both are visited
        (Not(Not(P("a", "b"))), [Not(Not(P("a", "b"))), Not(P("a", "b")), P("a", "b")]),
        # what expansion adds is walked like the rest
        (
            O(W("nvda"), Ticker(("NVDA",), "nvda")),
            [O(W("nvda"), Ticker(("NVDA",), "nvda")), W("nvda"), Ticker(("NVDA",), "nvda")],
        ),
    ],
)
def test_walk(tree: Node, nodes: list[Node]) -> None:
    assert list(walk(tree)) == nodes


@pytest.mark.parametrize(
    ("tree", "json"),
    [
        (
            W("nvid", "title", prefix=True),
            {"type": "word", "text": "nvid", "field": "title", "prefix": True},
        ),
        (P("AI", "chips"), {"type": "phrase", "words": ["AI", "chips"], "field": None}),
        (DateRange("2025-10-01", None), {"type": "date_range", "from": "2025-10-01", "to": None}),
        # a ticker keeps what the reader wrote beside its canonical symbols
        (
            Ticker(("TSM",), "Taiwan Semiconductor"),
            {"type": "ticker", "symbols": ["TSM"], "written": "Taiwan Semiconductor"},
        ),
        (MatchAll(), {"type": "match_all"}),
        (
            EXCEPT(W("x")),
            {
                "type": "and",
                "children": [
                    {"type": "match_all"},
                    {
                        "type": "not",
                        "child": {"type": "word", "text": "x", "field": None, "prefix": False},
                    },
                ],
            },
        ),
        (
            O(W("a"), W("b")),
            {
                "type": "or",
                "children": [
                    {"type": "word", "text": "a", "field": None, "prefix": False},
                    {"type": "word", "text": "b", "field": None, "prefix": False},
                ],
            },
        ),
    ],
)
def test_to_json(tree: Node, json: dict[str, object]) -> None:
    assert to_json(tree) == json


# --- properties ----------------------------------------------------------------------

PIECES = [
    "a", "nvidia", "OR", "AND", "or", "-", "--", "(", ")", "()", '"', '""', "*", "x*",
    ":", "title:", "TAG:", "author:chen", "ticker:", "published:", "published:2025",
    "published:2025-10-01..", "published:..2025-02-30", "2025-10", "..", "NYSE:BABA",
    "e-commerce", "AT&T", "é", "東京", "|", "\\", "'",
]  # fmt: skip

query_like = st.lists(
    st.tuples(st.sampled_from(PIECES), st.sampled_from(["", " ", "  ", "\t"])), max_size=14
).map(lambda parts: "".join(piece + gap for piece, gap in parts))

any_text = st.text(alphabet=st.sampled_from('ab -():*"\t.é東ORAND') | st.characters(), max_size=60)

queries = query_like | any_text


@settings(max_examples=400, deadline=None)
@given(queries)
def test_lenient_never_raises_and_strict_agrees(query: str) -> None:
    tree = parse(query)
    assert isinstance(tree, Word | Phrase | DateRange | Not | And | Or | MatchAll)
    try:
        strict = parse(query, strict=True)
    except QuerySyntaxError as err:
        assert 0 <= err.position <= len(query)
    else:
        assert strict == tree


@settings(max_examples=400, deadline=None)
@given(queries)
def test_round_trip(query: str) -> None:
    tree = parse(query)
    assert parse(to_text(tree), strict=True) == tree
    assert parse(to_text(tree)) == tree


@settings(max_examples=100, deadline=None)
@given(queries)
def test_tree_shape(query: str) -> None:
    """Collapsed and flattened: no one-child And/Or, no And in And, no Or in Or."""

    def check(node: Node) -> None:
        if isinstance(node, And | Or):
            assert len(node.children) >= 2
            assert not any(isinstance(child, type(node)) for child in node.children)
            for child in node.children:
                check(child)
        elif isinstance(node, Not):
            assert not isinstance(node.child, MatchAll)
            check(node.child)
        elif isinstance(node, Word):
            assert node.text and not node.text.endswith("*")
            assert not any(ch.isspace() or ch in '()"' for ch in node.text)
        elif isinstance(node, Phrase):
            assert node.words

    check(parse(query))
