"""Typo tolerance and search-as-you-type: the rule, the typo index, which words are
forgiven, and what a search does with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.indexing.build import build_index
from searchsvc.indexing.vocabulary import (
    MAGIC,
    Candidate,
    TypoIndex,
    deletions,
    typo_distance,
    typos_path,
)
from searchsvc.query.forgiving import forgiving_words
from searchsvc.query.handle import IndexHandle
from searchsvc.query.querylang import parse
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import SearchResults, results_to_json
from searchsvc.query.scoring import MAX_CORRECTED_WORDS
from searchsvc.query.search import search
from searchsvc.query.tree import walk
from searchsvc.query.typos import allowed_typos, best_guess
from tests.conftest import article_text, write_article


def run(handle: IndexHandle, q: str, **options: str) -> SearchResults:
    return search(handle, SearchRequest(q=q, **options))  # type: ignore[arg-type]


def slugs(results: SearchResults) -> list[str]:
    return [hit.doc["slug"] for hit in results.hits]


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "setting", "allowed"),
    [
        ("nvid", "auto", 0),  # 4 letters: exact
        ("nvdia", "auto", 1),  # 5
        ("semicondu", "auto", 2),  # 9
        ("semicondu", "1", 1),
        ("nvdia", "2", 2),
        ("nvdia", "0", 0),
        ("semicondu", "0", 0),
        ("nvd", "2", 0),  # too short for any
    ],
)
def test_allowed_typos_follow_the_word_length(word: str, setting: str, allowed: int) -> None:
    assert allowed_typos(word, setting) == allowed


@pytest.mark.parametrize(
    ("typed", "word", "distance"),
    [
        ("nvdia", "nvidia", 1),  # a letter dropped
        ("nivdia", "nvidia", 1),  # a swap counts as one
        ("stkae", "stake", 1),
        ("softbnak", "softbank", 1),
        ("bvidia", "nvidia", 2),  # the first letter counts twice
        ("semicondutcr", "semiconductor", 2),
    ],
)
def test_typo_distance(typed: str, word: str, distance: int) -> None:
    assert typo_distance(typed, word) == distance


def test_deletions_reach_the_depth_asked() -> None:
    assert deletions("abc", 0) == {"abc"}
    assert deletions("abc", 1) == {"abc", "bc", "ac", "ab"}
    assert "a" in deletions("abc", 2) and "" not in deletions("abc", 2)


# --- the index ------------------------------------------------------------------------------

WORDS = ["nvidia", "nvda", "stake", "stakes", "softbank", "semiconductor", "technology", "ai"]


@pytest.mark.parametrize(
    ("typed", "allowed", "expected"),
    [
        ("nvdia", 1, ["nvda", "nvidia"]),
        ("softbnak", 1, ["softbank"]),
        ("semiconductr", 2, ["semiconductor"]),
        ("semicondctr", 2, ["semiconductor"]),
        ("tecnologgy", 2, ["technology"]),
        ("nvidia", 1, []),  # itself is not a candidate
        ("zzzzzz", 2, []),
        ("stake", 0, []),
    ],
)
def test_the_index_finds_every_word_within_reach(
    typed: str, allowed: int, expected: list[str]
) -> None:
    index = TypoIndex.build(WORDS)
    assert sorted(c.word for c in index.within(typed, allowed)) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text("abcdefgh", min_size=3, max_size=10), min_size=1, max_size=30),
    st.text("abcdefgh", min_size=5, max_size=10),
)
def test_the_index_agrees_with_a_scan_of_the_vocabulary(words: list[str], typed: str) -> None:
    """The deletion index is a faster scan, never a different one."""
    allowed = allowed_typos(typed, "auto")
    found = {c.word for c in TypoIndex.build(words).within(typed, allowed)}
    # words the index stores for fewer typos: 3 letters none, 4-6 letters one
    scan = {
        w
        for w in set(words)
        if w != typed
        and typo_distance(typed, w) <= min(allowed, 0 if len(w) < 4 else 1 if len(w) < 7 else 2)
    }
    assert scan <= found
    assert all(typo_distance(typed, w) <= allowed for w in found)


def test_the_best_guess_is_closest_then_most_used_and_shown_as_written() -> None:
    candidates = [
        Candidate("nvda", "nvda", 1, True),
        Candidate("nvidia", "nvidia", 1, True),
        Candidate("ndia", "ndia", 1, True),
    ]
    frequency = {"nvda": 3, "nvidia": 30, "ndia": 1}
    assert best_guess(candidates, frequency, "nvdia").word == "nvidia"
    stems = [
        Candidate("technolog", "technolog", 1, False),
        Candidate("technology", "technolog", 1, True),
    ]
    assert best_guess(stems, {"technolog": 5}, "tecnology").word == "technology"


# --- which words are forgiven -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "correctable", "completing"),
    [
        ("nvdia earnings", ["nvdia", "earnings"], "earnings"),
        ("nvdia earnings ", ["nvdia", "earnings"], None),  # a space: the word is finished
        ('earnings "data cen"', ["earnings"], None),  # a phrase is exact
        ("earnings -nvid", ["earnings"], None),  # an exclusion is exact
        ("title:nvdia", [], None),  # field terms are exact
        ("NVDAA results", ["results"], "results"),  # capitals this short are a symbol
        ("h20 chips", ["chips"], "chips"),  # numbers are exact
        ("$NVDAA", [], None),  # a cashtag
        ("chips nvid*", ["chips"], None),  # an explicit prefix is already one
    ],
)
def test_which_words_are_forgiven(q: str, correctable: list[str], completing: str | None) -> None:
    tree = parse(q)
    forgiving = forgiving_words(tree, q, "auto", "last")
    words = {id(n): n.text for n in walk(tree) if hasattr(n, "text")}
    assert sorted(words[i] for i in forgiving.correctable) == sorted(correctable)
    assert (words[forgiving.completing] if forgiving.completing else None) == completing


def test_the_settings_turn_forgiveness_off() -> None:
    tree = parse("nvdia earnings")
    assert forgiving_words(tree, "nvdia earnings", "0", "none").correctable == frozenset()
    assert forgiving_words(tree, "nvdia earnings", "0", "none").completing is None


# --- searches -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "corrections"),
    [
        ("nvdia", [("nvdia", "nvidia"), ("nvdia", "nvda")]),  # both as close, both used
        ("nvidai earnings", [("nvidai", "nvidia")]),
        ("berkshre hathaway", [("berkshre", "berkshire")]),
        ("semicondutor export controls", [("semicondutor", "semiconductor")]),
        ("nvidia", []),  # known: never corrected
    ],
)
def test_misspelt_words_are_searched_corrected(
    seed_handle: IndexHandle, q: str, corrections: list[tuple[str, str]]
) -> None:
    results = run(seed_handle, q)
    assert [(c.typed, c.word) for c in results.corrections] == corrections
    assert results.total > 0
    body = results_to_json(results)
    assert body["corrections"] == [{"from": a, "to": b} for a, b in corrections]


def test_typos_zero_searches_the_words_as_typed(seed_handle: IndexHandle) -> None:
    results = run(seed_handle, "nvdia", typos="0")
    assert (results.total, results.corrections) == (0, ())


def test_a_corrected_word_is_highlighted_as_the_article_writes_it(seed_handle: IndexHandle) -> None:
    hit = run(seed_handle, "nvdia")
    assert "<mark>Nvidia</mark>" in hit.hits[0].highlights["title"]


@pytest.mark.parametrize(("q", "completes_to"), [("nvid", "nvidia"), ("semicond", "semiconductor")])
def test_the_last_word_completes_while_typed(
    seed_handle: IndexHandle, q: str, completes_to: str
) -> None:
    typed = run(seed_handle, q)
    assert typed.total == run(seed_handle, completes_to, prefix="none").total > 0
    assert run(seed_handle, q, prefix="none").total == 0
    assert run(seed_handle, q + " ").total == 0  # a space: the word is finished


@pytest.fixture(scope="module")
def rule_index(tmp_path_factory: pytest.TempPathFactory) -> IndexHandle:
    """Articles that tell the ranking rules apart."""
    root = tmp_path_factory.mktemp("rules")
    content = root / "content"
    articles = {
        # the word as typed, once
        "exact": ("Tariff outlook", "Brokers see the tariffs lasting. Chips and tariffs."),
        # a frequent completion, many times (would outscore the exact one on BM25 alone)
        "tariffs-many": ("Tariff news", "tariffs tariffs tariffs tariffs tariffs tariffs"),
        "stake": ("Softbank stake", "The stake was sold."),
        "stakes": ("Stakes high", "High stakes talks."),
        **{f"filler-{i}": (f"Filler {i}", "tariffs and other news") for i in range(4)},
        "rare": ("Rare word", "tariffication happens once."),
        "common-1": ("Common 1", "taxes and taxes"),
        "paypal": ("PayPal results", "PayPal beat estimates."),
    }
    for slug, (title, body) in articles.items():
        write_article(content, f"{slug}.md", article_text(body, title=title, slug=slug))
    build_index(content, root / "index", full=True)
    return IndexHandle.open(root / "index")


def test_matches_as_typed_rank_above_completions(rule_index: IndexHandle) -> None:
    # "tariff" is indexed as the stem of "tariffs": as typed. "tariffication" completes it.
    ranked = slugs(run(rule_index, "tariff", per_page=50))
    assert ranked.index("rare") == len(ranked) - 1


def test_frequent_completions_rank_above_rare_ones(rule_index: IndexHandle) -> None:
    ranked = slugs(run(rule_index, "tari", per_page=50))
    assert ranked[-1] == "rare"


def test_matches_as_typed_rank_above_corrections(rule_index: IndexHandle) -> None:
    # match=any with an exact and a misspelt word: the article with the word as typed first
    results = run(rule_index, "stake softbnak", match="any", prefix="none")
    assert [c.word for c in results.corrections] == ["softbank"]
    assert slugs(results)[0] == "stake"


def test_the_inexact_tier_is_per_document(rule_index: IndexHandle) -> None:
    with rule_index.lease() as gen:
        from searchsvc.entities.dictionary import default_companies
        from searchsvc.query.plan import plan_request

        plan = plan_request(gen, SearchRequest(q="tari"), default_companies())
        assert plan.inexact is not None
        rare = gen.docnum_for_slug("rare")
        assert plan.inexact[rare] == 1
        assert np.all(plan.inexact[plan.text.mask] == 1)  # no article has "tari" itself


def test_typos_are_looked_up_for_a_bounded_number_of_words(seed_handle: IndexHandle) -> None:
    words = " ".join(f"nvidia{c}" for c in "bcdefghijklm")  # twelve, each a typo of nvidia
    results = run(seed_handle, words, match="any")
    assert len(results.corrections) == MAX_CORRECTED_WORDS
    assert [limit.code for limit in results.limits] == ["typo_words"]


# --- the typo index on disk ---------------------------------------------------------------------


def test_the_index_reads_back_what_it_saved(tmp_path: Path) -> None:
    built = TypoIndex.build(["nvidia", "softbank", "semiconductor"], ["technolog"])
    built.save(tmp_path / "x.typos")
    loaded = TypoIndex.load(tmp_path / "x.typos")
    assert loaded is not None and len(loaded) == len(built) == 4
    for typed, allowed in [("nvdia", 1), ("softbnak", 1), ("semicondctr", 2), ("tecnolog", 1)]:
        assert list(loaded.within(typed, allowed)) == list(built.within(typed, allowed))


@pytest.mark.parametrize(
    "damage",
    [b"", b"not an index", MAGIC + b"\xff" * 40, MAGIC],
)
def test_a_damaged_file_reads_as_none(tmp_path: Path, damage: bytes) -> None:
    (tmp_path / "x.typos").write_bytes(damage)
    assert TypoIndex.load(tmp_path / "x.typos") is None
    assert TypoIndex.load(tmp_path / "missing.typos") is None


def test_indexing_saves_each_segments_typo_index_and_readers_load_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    write_article(content, "a.md", article_text("Nvidia sells chips.", title="Nvidia", slug="a"))
    build_index(content, tmp_path / "index", full=True)
    write_article(content, "b.md", article_text("Softbank buys.", title="Softbank", slug="b"))
    build_index(content, tmp_path / "index")  # a second segment
    handle = IndexHandle.open(tmp_path / "index")
    try:
        with handle.lease() as gen:
            with gen.reading() as reader:
                ids = [s.segment().segment_id() for s, _ in reader.leaf_readers()]
            assert all(typos_path(gen.live_dir, i).is_file() for i in ids)
            from searchsvc.indexing import vocabulary

            def no_build(segreader: object) -> TypoIndex:
                raise AssertionError("a saved typo index was built again")

            monkeypatch.setattr(vocabulary, "segment_vocabulary", no_build)
            assert [c.word for c in gen.typo_index().within("softbnak", 1)] == ["softbank"]
    finally:
        handle.close()


def test_an_index_without_typo_files_still_corrects(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_article(content, "a.md", article_text("Nvidia sells chips.", title="Nvidia", slug="a"))
    build_index(content, tmp_path / "index", full=True)
    for path in (tmp_path / "index").rglob("*.typos"):
        path.unlink()
    handle = IndexHandle.open(tmp_path / "index")
    try:
        assert [c.word for c in run(handle, "nvdia").corrections] == ["nvidia"]
    finally:
        handle.close()


def test_a_typo_is_tried_before_a_word_is_dropped(seed_handle: IndexHandle) -> None:
    results = run(seed_handle, "nvdia xqzvbnm")  # one word misspelt, one unknown
    assert [c.word for c in results.corrections][:1] == ["nvidia"]
    assert results.relaxed and results.dropped == ("xqzvbnm",)
    assert results.total == run(seed_handle, "nvidia", prefix="none").total


def test_a_last_word_that_is_a_symbol_still_completes(rule_index: IndexHandle) -> None:
    # "payp" is PayPay's symbol (PAYP) and the start of "paypal": both are searched
    assert "paypal" in slugs(run(rule_index, "payp"))
    assert "paypal" not in slugs(run(rule_index, "payp", prefix="none"))


@settings(max_examples=300, deadline=None)
@given(st.text("abcde", max_size=9), st.text("abcde", max_size=9))
def test_the_distance_is_whooshs_damerau_levenshtein(a: str, b: str) -> None:
    """rapidfuzz's OSA distance, as the Python one it replaced (plus the first letter)."""
    from whoosh.support.levenshtein import damerau_levenshtein

    first = 1 if a[:1] != b[:1] else 0
    assert typo_distance(a, b) == damerau_levenshtein(a, b) + first


@settings(max_examples=200, deadline=None)
@given(st.text("abcd", max_size=8), st.integers(0, 2))
def test_deletions_are_every_string_a_few_deleted_letters_make(word: str, depth: int) -> None:
    from itertools import combinations

    expected = {
        "".join(c for k, c in enumerate(word) if k not in gone)
        for n in range(min(depth, len(word)) + 1)
        for gone in combinations(range(len(word)), n)
    }
    assert deletions(word, depth) == expected
