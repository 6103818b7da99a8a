"""Analysis: one definition of a term, shared by the indexer and the query side."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchsvc.indexing.analysis import (
    _ACCENTS,
    TextAnalyzer,
    ValuesAnalyzer,
    analyze_text,
    fold,
    fold_in_place,
    join_values,
    prefix_form,
    query_terms,
)


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Earnings beat", ["earn", "beat"]),
        ("NVIDIA nvidia Nvidia's", ["nvidia", "nvidia", "nvidia"]),  # case and possessive
        ("Alibaba’s cloud", ["alibaba", "cloud"]),  # curly apostrophe possessive
        ("Nestlé in Zürich", ["nestl", "zurich"]),  # accents folded, stop word dropped
        ("AT&T and S&P 500", ["at&t", "s&p", "500"]),  # joiners keep symbols whole
        ("BRK.B and 9988.HK", ["brk.b", "9988.hk"]),
        ("**bold** _em_", ["bold", "em"]),  # Markdown markup never leaks into terms
        ("running runs", ["run", "run"]),  # Porter2
        ("the of and", []),  # only stop words
        ("US tariffs may rise", ["us", "tariff", "may", "rise"]),  # "us", "may" kept on purpose
        ("3.5% growth", ["3.5", "growth"]),
    ],
)
def test_query_terms(text: str, terms: list[str]) -> None:
    assert query_terms(text) == terms


def test_positions_skip_stop_words_and_offsets_point_into_the_text() -> None:
    text = "The state of the art"
    tokens = analyze_text(text)
    assert [(t, p) for t, p, _, _ in tokens] == [("state", 0), ("art", 1)]
    assert [text[s:e] for _, _, s, e in tokens] == ["state", "art"]


def test_whoosh_analyzer_produces_the_same_tokens_as_analyze_text() -> None:
    text = "Nvidia's **record** earnings lift the S&P 500 in Zürich"
    via_whoosh = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in TextAnalyzer()(text, positions=True, chars=True)
    ]
    assert via_whoosh == analyze_text(text)


def test_values_analyzer_keeps_each_value_whole_and_as_written() -> None:
    tokens = [t.text for t in ValuesAnalyzer()(join_values(["AI Infrastructure", " TSMC ", ""]))]
    assert tokens == ["AI Infrastructure", "TSMC"]


@pytest.mark.parametrize(
    ("typed", "prefix"), [("Nvid", "nvid"), ("Zür", "zur"), ("AT&", "at"), ("Nvidia's", "nvidia")]
)
def test_prefix_form_is_folded_but_not_stemmed(typed: str, prefix: str) -> None:
    assert prefix_form(typed) == prefix


@given(st.text(max_size=300))
def test_analysis_never_raises_and_positions_increase(text: str) -> None:
    tokens = analyze_text(text)
    assert [p for _, p, _, _ in tokens] == list(range(len(tokens)))
    assert all(0 <= s < e <= len(text) for _, _, s, e in tokens)


ACCENTED_TEXT = st.text(
    st.sampled_from("aeinsHISTézÉçÇøØßæÆñÑüÜıİǅﬁ’“ 0.-") | st.characters(), max_size=200
)


@given(ACCENTED_TEXT)
def test_folding_strips_the_same_accents_as_whooshs_accent_map(text: str) -> None:
    assert fold(text) == text.lower().translate(_ACCENTS)
    lowered = text.lower()
    if len(lowered) == len(text):
        assert fold_in_place(text) == lowered.translate(_ACCENTS)


@given(st.text(max_size=200))
def test_fold_in_place_keeps_offsets(text: str) -> None:
    folded = fold_in_place(text)
    assert len(folded) == len(text)
    if len(text.lower()) == len(text):
        assert folded == fold(text)
