"""The one pattern that finds markup and the dictionary's names in a text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from searchsvc.entities.patterns import mention_pattern

NAME_CHARS = "abAB& .'"
TEXT_CHARS = NAME_CHARS + "$():1N"


def by_alternation(literals: set[str], text: str, ignore_case: bool) -> list[tuple[int, int]]:
    """The reference: markup as the pattern has it, then each name with its own boundary,
    longest first (a plain alternation, no trie)."""
    markup = mention_pattern(()).pattern
    names = "|".join(re.escape(n) + r"(?![\w&])" for n in sorted(literals, key=len, reverse=True))
    pattern = re.compile(f"{markup}|(?:{names})", re.IGNORECASE if ignore_case else 0)
    return [m.span() for m in pattern.finditer(text)]


@given(
    st.sets(st.text(NAME_CHARS, min_size=1, max_size=6), min_size=1, max_size=30),
    st.text(TEXT_CHARS, max_size=120),
    st.booleans(),
)
def test_the_trie_finds_what_an_alternation_finds(
    literals: set[str], text: str, ignore_case: bool
) -> None:
    found = [m.span() for m in mention_pattern(literals, ignore_case=ignore_case).finditer(text)]
    assert found == by_alternation(literals, text, ignore_case)


def test_names_that_look_like_markup_are_found_as_names() -> None:
    # never in the data, but exact: a name may start with "(" or hold a colon
    pattern = mention_pattern({"(Acme", "Acme: Labs", "Acme"})
    assert [m.group() for m in pattern.finditer("(Acme Acme: Labs Acme")] == [
        "(Acme",
        "Acme: Labs",
        "Acme",
    ]
