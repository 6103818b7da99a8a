"""What one query may cost: prefix expansion, relaxation and did-you-mean are bounded, the
response names every limit that changed what was searched, and prefix expansion ranks terms
by live documents so that an incrementally built index answers as a full build does."""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh.reading import IndexReader, MultiReader, SegmentReader

from searchsvc.indexing.build import build_index
from searchsvc.indexing.schema import TEXT_FIELD_BOOSTS
from searchsvc.indexing.vocabulary import TypoIndex
from searchsvc.query import spelling
from searchsvc.query.expansion import MAX_PREFIX_TERMS, MAX_PREFIX_WORDS
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.highlight import MAX_ANALYZED_CHARS
from searchsvc.query.matches import Matched
from searchsvc.query.plan import _victims
from searchsvc.query.request import MAX_QUERY_LENGTH, SearchRequest
from searchsvc.query.results import SearchResults, results_to_json
from searchsvc.query.scoring import MAX_CORRECTED_WORDS, Evaluator
from searchsvc.query.search import search
from searchsvc.query.spelling import MAX_SUGGEST_WORDS
from searchsvc.query.tree import Word
from tests.conftest import article_text, write_article

FIELDS = len(TEXT_FIELD_BOOSTS)
LETTERS = string.ascii_lowercase
BOMB = " ".join(f"{c}*" for _ in range(6) for c in LETTERS)  # 156 one-letter prefixes


def run(handle: IndexHandle, q: str, **options: Any) -> SearchResults:
    return search(handle, SearchRequest(q=q, **options))


def codes(results: SearchResults) -> list[str]:
    return [limit.code for limit in results.limits]


def count_calls(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, calls: list[Any] | None = None
) -> list[Any]:
    """Record the first argument of every call to owner.name (a method) in calls."""
    calls = [] if calls is None else calls
    original = getattr(owner, name)

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(args[0] if args else None)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return calls


# --- prefixes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "expanded", "limit_codes"),
    [
        # the bomb: 156 one-letter prefixes are searched as the letters themselves
        (BOMB, 0, ["prefix_too_short"]),
        ("a*", 0, ["prefix_too_short"]),
        # every two-letter prefix is expanded, up to MAX_PREFIX_WORDS of them
        (" ".join(f"{a}{b}*" for a in "st" for b in "aeiou"), MAX_PREFIX_WORDS, ["prefix_words"]),
        ("ex* ch*", 2, []),
        ("deepfak*", 1, []),
    ],
)
def test_prefix_expansion_is_bounded_per_query(
    seed_handle: IndexHandle,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
    expanded: int,
    limit_codes: list[str],
) -> None:
    calls = count_calls(monkeypatch, Generation, "expand_prefix")
    results = run(seed_handle, q)
    assert len(calls) == expanded * FIELDS  # one expansion per prefix and field
    assert [c for c in codes(results) if c != "prefix_terms"] == limit_codes


@pytest.mark.parametrize(
    ("before", "found"), [(MAX_PREFIX_WORDS - 1, True), (MAX_PREFIX_WORDS, False)]
)
def test_a_prefix_over_the_word_limit_is_searched_as_typed(
    seed_handle: IndexHandle, before: int, found: bool
) -> None:
    filler = " ".join(f"zz{c}*" for c in LETTERS[:before])  # expanded, matching nothing
    results = run(seed_handle, f"{filler} deepfa*", match="any")  # "deepfa" as typed: nothing
    assert (results.total > 0) == found
    assert ("prefix_words" in codes(results)) == (not found)


def test_a_cut_prefix_is_reported(seed_handle: IndexHandle) -> None:
    gen = seed_handle.current()
    cut = [
        f"{a}{b}"
        for a in LETTERS
        for b in LETTERS
        if gen.expand_prefix("body", f"{a}{b}", MAX_PREFIX_TERMS).cut
    ]
    assert cut, "the seeds have a two-letter prefix of more than 64 body terms"
    results = run(seed_handle, f"{cut[0]}*")
    assert codes(results) == ["prefix_terms"]
    assert f"{cut[0]}*" in results.limits[0].message


def test_prefix_expansion_reads_term_counts_in_one_pass(
    seed_handle: IndexHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No lookup per term: the counts come with the terms from the term list itself."""
    fresh = IndexHandle.open(seed_handle.index_dir)
    try:
        gen = fresh.current()

        def refused(*_: Any) -> int:
            raise AssertionError("a doc_frequency lookup per term")

        for reader in (IndexReader, SegmentReader, MultiReader):
            monkeypatch.setattr(reader, "doc_frequency", refused)
        passes = count_calls(monkeypatch, SegmentReader, "iter_prefix")
        for prefix in ("co", "s", "ta"):
            expansion = gen.expand_prefix("body", prefix, MAX_PREFIX_TERMS)
            assert len(expansion.terms) <= MAX_PREFIX_TERMS
            assert all(t.startswith(prefix) for t in expansion.terms)
        assert passes == ["body"] * 3 * len(gen.searcher.reader().leaf_readers())
        # then each expansion comes from the generation's cache
        gen.expand_prefix("body", "co", MAX_PREFIX_TERMS)
        assert len(passes) == 3 * len(gen.searcher.reader().leaf_readers())
    finally:
        fresh.close()


def test_the_expansion_cache_is_bounded(
    seed_handle: IndexHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("searchsvc.query.generation.PREFIX_CACHE_ENTRIES", 2)
    fresh = IndexHandle.open(seed_handle.index_dir)
    try:
        gen = fresh.current()
        passes = count_calls(monkeypatch, Generation, "_expand_prefix")
        for prefix in ("co", "ta", "ex", "co", "ex"):  # "co" was evicted by "ex"
            gen.expand_prefix("body", prefix)
        assert passes == ["body"] * 4
    finally:
        fresh.close()


# --- phrases --------------------------------------------------------------------------------

PHRASE_WORDS = (
    "nvidia earnings tariffs chips china export controls data center record quarter shares "
    "stock prices market demand supply growth sales revenue apple samsung memory intel"
).split()


def position_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    reads: list[tuple[str, str]] = []
    original = Generation.positions

    def spy(self: Generation, field: str, term: str) -> np.ndarray:
        reads.append((field, term))
        return original(self, field, term)

    monkeypatch.setattr(Generation, "positions", spy)
    return reads


@pytest.mark.parametrize("budget", [10, 40, 100])
def test_phrases_read_a_bounded_number_of_postings(
    seed_handle: IndexHandle, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    monkeypatch.setattr("searchsvc.query.scoring.MAX_PHRASE_POSTINGS", budget)
    pairs = zip(PHRASE_WORDS[::2], PHRASE_WORDS[1::2], strict=True)
    q = " ".join(f'"{a} {b}"' for a, b in pairs)  # 12 phrases, 24 different words
    reads = position_reads(monkeypatch)
    results = run(seed_handle, q, match="any")
    gen = seed_handle.current()
    assert sum(len(gen.postings(f, t)[0]) for f, t in set(reads)) <= budget
    assert codes(results) == ["phrase_postings"]
    assert results.total > 0  # the phrases past the limit are still searched, as words


def test_a_phrase_whose_words_never_meet_reads_no_positions(
    seed_handle: IndexHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = position_reads(monkeypatch)
    assert run(seed_handle, '"deepfake orchards"').total == 0
    assert reads == []
    found = run(seed_handle, '"export controls"')
    assert found.total == 3 and {f for f, _ in reads} <= set(TEXT_FIELD_BOOSTS)
    assert codes(found) == []


# --- highlights of long articles -----------------------------------------------------------


@pytest.fixture(scope="module")
def long_article_handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    root = tmp_path_factory.mktemp("long")
    filler = "Filler words keep coming here. " * (MAX_ANALYZED_CHARS // 30 + 100)
    body = f"Deepfake voices open this article.\n\n{filler}\n\nA zqlate word ends it."
    text = f"---\nslug: long\ntitle: A long one\nexcerpt: The excerpt.\n---\n\n{body}\n"
    write_article(root / "content", "long.md", text)
    build_index(root / "content", root / "index", workers=1)
    handle = IndexHandle.open(root / "index")
    yield handle
    handle.close()


def test_a_long_body_is_highlighted_from_the_index_without_a_scan(
    long_article_handle: IndexHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    import searchsvc.query.search as search_module

    lengths: list[int] = []
    original = search_module.term_spans

    def spy(text: str, terms: Any) -> Any:
        lengths.append(len(text))
        return original(text, terms)

    monkeypatch.setattr(search_module, "term_spans", spy)
    early = run(long_article_handle, "deepfake")
    assert "<mark>Deepfake</mark>" in early.hits[0].highlights["body"]
    late = run(long_article_handle, "zqlate")
    assert late.total == 1  # found: the whole article is indexed
    # and highlighted where it is, past what a scan would read (MAX_ANALYZED_CHARS); until
    # position marks, the excerpt stood in
    assert late.hits[0].highlights["body"].endswith("A <mark>zqlate</mark> word ends it.")
    assert lengths and max(lengths) < 100  # the title and the excerpt; never the body


# --- live document frequencies: incremental == full ----------------------------------------

FILLERS = [f"zqf{i:02}" for i in range(MAX_PREFIX_TERMS - 1)]


def _article(slug: str, body: str) -> str:
    return article_text(body, slug=slug, title=f"Note {slug}", date="2025-03-01")


def _write_start(content: Path) -> None:
    """63 filler terms in 3 articles each, zqkeep in 2, zqgone in 3; many plain articles
    so that Whoosh keeps the first segment (and its deletions) instead of merging it."""
    for i in range(3):
        write_article(content, f"filler-{i}.md", _article(f"filler-{i}", " ".join(FILLERS)))
    for i in range(2):
        write_article(content, f"keep-{i}.md", _article(f"keep-{i}", "zqkeep is here"))
    for i in range(3):
        write_article(content, f"gone-{i}.md", _article(f"gone-{i}", "zqgone is here"))
    for i in range(60):
        write_article(content, f"plain-{i:02}.md", _article(f"plain-{i:02}", f"words {i}"))


def _edit(content: Path) -> None:
    """Two of the three zqgone articles lose the word, one plain article goes."""
    for i in (1, 2):
        write_article(content, f"gone-{i}.md", _article(f"gone-{i}", "nothing special"))
    (content / "plain-00.md").unlink()


@pytest.fixture(scope="module")
def twin_indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Generation, ...]]:
    """The same files indexed twice: by a full build and then an incremental run (with
    deleted documents not yet merged away), and by one full build."""
    root = tmp_path_factory.mktemp("twins")
    content = root / "content"
    _write_start(content)
    build_index(content, root / "incremental", workers=1)
    _edit(content)
    report = build_index(content, root / "incremental")
    assert not report.full and report.updated == 2 and report.deleted == 1
    build_index(content, root / "full", full=True, workers=1)
    handles = [IndexHandle.open(root / "incremental"), IndexHandle.open(root / "full")]
    incremental, full = (h.current() for h in handles)
    # the point of the fixture: the incremental index still holds the deleted documents
    assert incremental.doc_count_all > incremental.doc_count == full.doc_count_all
    yield incremental, full
    for handle in handles:
        handle.close()


def _live_top(gen: Generation, field: str, prefix: str, limit: int) -> tuple[list[str], bool]:
    """The oracle: every term's live document count from its postings, ranked."""
    reader = gen.searcher.reader()
    terms = [t.decode() for t in reader.expand_prefix(field, prefix)]
    live = {t: len(gen.postings(field, t)[0]) for t in terms}
    ranked = sorted((t for t in terms if live[t]), key=lambda t: (-live[t], t))
    if len(ranked) <= limit:
        return sorted(ranked), False
    return ranked[:limit], True


@pytest.mark.parametrize("limit", [1, 2, 3, 40, 62, 63, 64, 65, 66, 100])
@pytest.mark.parametrize("which", [0, 1], ids=["incremental", "full"])
@pytest.mark.parametrize("prefix", ["zq", "zqf", "zqg", "zqk", "zqf0", "note", "no"])
def test_expansion_ranks_terms_by_live_documents_then_term(
    twin_indexes: tuple[Generation, ...], which: int, prefix: str, limit: int
) -> None:
    gen = twin_indexes[which]
    for field in ("body", "title"):
        expansion = gen.expand_prefix(field, prefix, limit)
        assert (list(expansion.terms), expansion.cut) == _live_top(gen, field, prefix, limit)


@pytest.mark.parametrize("limit", [1, 3, 63, 64, 65, 100])
@pytest.mark.parametrize("prefix", ["zq", "zqg", "zqf", "plain", "no"])
def test_incremental_and_full_expand_a_prefix_alike(
    twin_indexes: tuple[Generation, ...], prefix: str, limit: int
) -> None:
    incremental, full = twin_indexes
    for field in TEXT_FIELD_BOOSTS:
        assert incremental.expand_prefix(field, prefix, limit) == full.expand_prefix(
            field, prefix, limit
        )


def _answer(gen: Generation, q: str) -> tuple[int, list[tuple[str, float]], list[str]]:
    class Lease:  # one fixed generation, as IndexHandle.lease gives it
        def lease(self) -> Any:
            from contextlib import nullcontext

            return nullcontext(gen)

    found = search(Lease(), SearchRequest(q=q, per_page=50))  # type: ignore[arg-type]
    hits = [(h.doc["slug"], round(h.score, 4)) for h in found.hits]
    return found.total, hits, codes(found)


@pytest.mark.parametrize("q", ["zq*", "zqg* zqk*", "zqk*", "zq* -zqkeep", "note* zq*"])
def test_prefix_queries_answer_alike_after_incremental_runs(
    twin_indexes: tuple[Generation, ...], q: str
) -> None:
    incremental, full = twin_indexes
    assert _answer(incremental, q) == _answer(full, q)


def test_the_cap_keeps_the_terms_with_most_live_documents(
    twin_indexes: tuple[Generation, ...],
) -> None:
    # 63 fillers in 3 articles each and zqkeep in 2 fill the 64; zqgone has 1 live article
    total, hits, limit_codes = _answer(twin_indexes[0], "zq*")
    assert {slug for slug, _ in hits} == {"filler-0", "filler-1", "filler-2", "keep-0", "keep-1"}
    assert limit_codes == ["prefix_terms"]


# --- relaxation ----------------------------------------------------------------------------


def test_relaxation_combines_each_part_a_bounded_number_of_times(
    seed_handle: IndexHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    unknown = [f"zzq{a}{b}" for a in LETTERS for b in "abc"][:60]
    monkeypatch.setattr("searchsvc.query.search.suggest", lambda *_: None)  # the plan alone
    combined: list[int] = []
    original = Evaluator.combine

    def spy(self: Evaluator, parts: list[Matched | None], all_: bool) -> Matched | None:
        combined.append(len(parts))
        return original(self, parts, all_)

    monkeypatch.setattr(Evaluator, "combine", spy)
    results = run(seed_handle, " ".join([*unknown, "deepfake"]))
    assert results.relaxed and results.dropped == tuple(unknown)
    assert [h.doc["slug"] for h in results.hits] == ["deepfake-voice-scams-bank-verification"]
    # linear: every part once for the whole query, then the kept one, not the remaining
    # parts again after each dropped word (1,891 parts combined)
    assert sum(combined) == len(unknown) + 1 + 1


def _victims_by_steps(masks: list[np.ndarray], allowed: np.ndarray) -> int | None:
    """The reference: drop parts from the front one at a time until the rest match."""
    for k in range(1, len(masks)):
        common = allowed.copy()
        for mask in masks[k:]:
            common &= mask
        if common.any():
            return k
    return None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=2, max_size=8),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_victims_are_the_fewest_leading_parts_to_drop(
    rows: list[list[bool]], allowed: list[bool]
) -> None:
    size = 6
    parts = [
        (Word(f"w{i}"), Matched(np.array(r), np.zeros(size, np.float32)))
        for i, r in enumerate(rows)
    ]
    base = np.array(allowed)
    k = _victims_by_steps([m.mask for _, m in parts], base)
    assert _victims(parts, base, {}) == (parts[:k] if k is not None else [])


# --- did you mean --------------------------------------------------------------------------


def spelling_lookups(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Did-you-mean's lookups of an unknown word (in the typo indexes); a walk of a
    lexicon (Whoosh's terms_within, by any reader) fails the test: it scans the vocabulary."""
    lookups: list[Any] = []
    count_calls(monkeypatch, spelling, "_closest", lookups)
    for reader in (IndexReader, SegmentReader):
        monkeypatch.setattr(reader, "terms_within", _no_vocabulary_walk)
    return lookups


def _no_vocabulary_walk(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a lexicon was walked for a fuzzy lookup")


def test_a_512_character_query_gets_its_suggestion(seed_handle: IndexHandle) -> None:
    q = "x" * 505 + " revnue"
    assert len(q) == MAX_QUERY_LENGTH
    # typos=0: did-you-mean is for words not searched corrected
    results = run(seed_handle, q, typos="0")  # was: BadParameter "q is 513 characters"
    assert results.suggestion == "x" * 505 + " revenue"


def test_the_api_answers_a_512_character_query_with_its_suggestion(client: FlaskClient) -> None:
    response = client.get("/api/search", query_string={"q": "x" * 505 + " revnue", "typos": "0"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["suggestion"].endswith(" revenue")


def test_spelling_is_looked_up_for_a_bounded_number_of_words(
    seed_handle: IndexHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = spelling_lookups(monkeypatch)
    words = [f"blosom{c}" for c in LETTERS[:20]]  # unknown, and close to a word
    results = run(seed_handle, " ".join(words), typos="0")
    assert results.total == 0
    assert 0 < len(lookups) <= MAX_SUGGEST_WORDS  # one lookup per word
    assert codes(results) == ["suggestion_words"]


# --- the response ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("q", "limit_codes"),
    [
        ("nvidia earnings", []),
        ("a* b*", ["prefix_too_short"]),
        (BOMB, ["prefix_too_short"]),
    ],
)
def test_the_response_lists_the_limits_applied(
    client: FlaskClient, q: str, limit_codes: list[str]
) -> None:
    body = client.get("/api/search", query_string={"q": q}).get_json()
    assert [limit["code"] for limit in body["limits"]] == limit_codes
    assert all(limit["message"] for limit in body["limits"])


def test_results_to_json_has_limits_even_when_none_applied(seed_handle: IndexHandle) -> None:
    assert results_to_json(run(seed_handle, "tariffs"))["limits"] == []


# --- any query ------------------------------------------------------------------------------

_piece = st.one_of(
    st.sampled_from(["nvidia", "earnings", "tariffs", "chip", "revnue", "blosom", "TSMC"]),
    st.text(LETTERS, min_size=1, max_size=3).map(lambda s: s + "*"),
    st.text(LETTERS, min_size=4, max_size=12),
    st.sampled_from(['"data center"', "-china", "OR", "title:nvidia", "(", ")", "中文", "x"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_piece, min_size=1, max_size=200), st.sampled_from(["all", "any"]))
def test_any_query_does_bounded_work(
    seed_handle: IndexHandle, monkeypatch: pytest.MonkeyPatch, pieces: list[str], match: str
) -> None:
    q = " ".join(pieces)[:MAX_QUERY_LENGTH]
    expansions = count_calls(monkeypatch, Generation, "expand_prefix")
    lookups = spelling_lookups(monkeypatch)
    typo_lookups = count_calls(monkeypatch, TypoIndex, "within")
    try:
        results = run(seed_handle, q, match=match)
    finally:
        monkeypatch.undo()
    # the query and its suggestion, each: its prefixes, and the last word's completion
    assert len(expansions) <= 2 * (MAX_PREFIX_WORDS + 1) * FIELDS
    assert len(lookups) <= MAX_SUGGEST_WORDS
    # a word and its stem per word looked up, for the query and its suggestion
    assert len(typo_lookups) <= 2 * 2 * MAX_CORRECTED_WORDS
    assert results.total >= 0
