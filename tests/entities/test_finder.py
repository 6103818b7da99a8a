"""The finder reads a text as the one regular expression it replaced would."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchsvc.entities import default_companies, patterns
from searchsvc.entities.finder import MentionFinder
from searchsvc.entities.patterns import BOUNDARY, insert, markup_trie, render
from searchsvc.ingest.articles import parse_article

SEEDS = Path(__file__).parents[2] / "seeds"


def trie_pattern(literals: Iterable[str], *, ignore_case: bool = False) -> re.Pattern[str]:
    """The reference: one regex, the character trie of markup with the names added (deeper
    branches first, markup tails before a name's boundary). This is what searchsvc compiled
    in every process before the finder (over a second for the built-in 16k names)."""
    root = markup_trie()
    for literal in literals:
        insert(root, literal, BOUNDARY)
    return re.compile(f"(?:{render(root)})", re.IGNORECASE if ignore_case else 0)


def found(finder: MentionFinder, text: str) -> list[tuple[int, int, str]]:
    return [tuple(m) for m in finder.finditer(text)]  # type: ignore[misc]


def expected(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]


# Pieces that make markup and names collide: exchange names that are also names, codes,
# parentheses, colons, word characters right after a name.
PIECES = ["NYSE", "Nasdaq", "NASDAQ", "HK", "AU", "NYSE American", "Acme", "AB", "A", "b",
          "1", "$", "(", ")", ":", " ", "&", "'", ".", "-", "é"]  # fmt: skip
names = st.sets(st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map("".join),
                max_size=12)  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@given(names, texts)
def test_articles_are_read_as_the_trie_regex_reads_them(literals: set[str], text: str) -> None:
    assert found(MentionFinder(literals), text) == expected(trie_pattern(literals), text)


@given(names, texts)
def test_queries_are_read_as_the_case_blind_trie_regex_reads_them(
    literals: set[str], text: str
) -> None:
    folded = {literal.lower() for literal in literals}
    finder = MentionFinder(folded, ignore_case=True)
    assert found(finder, text) == expected(trie_pattern(folded, ignore_case=True), text)


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("Nasdaq: NVDA and Nasdaq", ["Nasdaq: NVDA", "Nasdaq"]),  # markup first at a tie
        ("NYSE American: ABC", ["NYSE American: ABC"]),  # the longer exchange name
        ("(AU:BHP) (META) $BRK.B", ["(AU:BHP)", "(META)", "$BRK.B"]),
        ("Acme Labs, Acmex, Acme&Co, Acme.", ["Acme Labs", "Acme"]),  # longest; ends a word
        ("(Acme Acme: Labs Acme", ["(Acme", "Acme: Labs", "Acme"]),  # names that look like markup
        ("", []),
    ],
)
def test_finds(text: str, matches: list[str]) -> None:
    finder = MentionFinder({"Nasdaq", "Acme", "Acme Labs", "(Acme", "Acme: Labs"})
    assert [m.text for m in finder.finditer(text)] == matches


def test_offsets_are_those_of_the_text_when_lower_case_is_longer() -> None:
    finder = MentionFinder({"acme"}, ignore_case=True)
    assert found(finder, "\u0130 ACME") == [(2, 6, "ACME")]  # "İ".lower() has two characters


@pytest.mark.slow  # compiles the built-in dictionary's regex (~1.5 s)
def test_the_seed_articles_read_the_same_with_the_built_in_dictionary() -> None:
    companies = default_companies()
    pattern = trie_pattern(companies.surfaces)
    checked = 0
    for path in sorted(SEEDS.glob("*.md")):
        article = parse_article(path.read_bytes(), path.name)
        for text in (article.title, article.excerpt, article.body_text):
            assert found(companies.article_finder, text) == expected(pattern, text)
            checked += 1
    assert checked >= 30


def test_markup_always_holds_one_of_its_signs() -> None:
    """The finder skips the markup pattern for a text without $, ( or :; that is only right
    while every exchange and country form needs one of them."""
    spellings = [
        *patterns.EXCHANGE_SUFFIXES,
        *patterns._PREFIX_SPELLINGS,
        *patterns.COUNTRY_SUFFIXES,
    ]
    for ignore_case in (False, True):
        pattern = patterns.markup_pattern(ignore_case)
        for spelling in spellings:
            assert pattern.search(f"{spelling} NVDA {spelling}  BHP {spelling}AB") is None
            assert pattern.search(f"{spelling}: NVDA ({spelling}:BHP)") is not None
        assert pattern.search("NVDA BHP.AX 0700.HK") is None
