"""The search engine through its library API (SearchRequest -> SearchResults), on seeds/."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from searchsvc.entities.dictionary import default_companies
from searchsvc.errors import BadParameter, BadQuery
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.plan import apply_filters, order_hits, parse_query, plan_request, split
from searchsvc.query.querylang import parse
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import SearchResults
from searchsvc.query.search import search
from searchsvc.query.tree import to_text

ALL_SEEDS = 34


def run(handle: IndexHandle, q: str = "", **options: object) -> SearchResults:
    return search(handle, SearchRequest(q=q, **options))  # type: ignore[arg-type]


def slugs(results: SearchResults) -> list[str]:
    return [hit.doc["slug"] for hit in results.hits]


def all_slugs(handle: IndexHandle, q: str = "", **options: object) -> set[str]:
    results = run(handle, q, per_page=50, **options)
    assert results.total <= 50
    return set(slugs(results))


def test_empty_query_is_every_article_newest_first(seed_handle: IndexHandle) -> None:
    results = run(seed_handle, per_page=50)
    assert results.total == ALL_SEEDS
    dates = [h.doc["published_at"] for h in results.hits if h.doc["published_at"]]
    assert dates == sorted(dates, reverse=True)
    assert results.hits[-1].doc["published_at"] is None  # the undated article comes last


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # every word must match (match=all)
        (
            "export controls samsung",
            {
                "samsung-hbm4-qualification-nvidia",
                "asml-orders-rebound-export-controls",
            },
        ),
        # phrase: the words adjacent, in order
        (
            '"export controls"',
            {
                "asml-orders-rebound-export-controls",
                "nvidia-h20-export-controls-china-chip-sales",
                "samsung-hbm4-qualification-nvidia",
            },
        ),
        # exclusion
        ('"export controls" -samsung -asml', {"nvidia-h20-export-controls-china-chip-sales"}),
        # field terms
        ("title:quantum", {"no-frontmatter-quantum-computing-note"}),
        ("author:herrera title:apple", {"apple-harvest-prices-orchards-late-frost"}),
        ("category:cybersecurity deepfake", {"deepfake-voice-scams-bank-verification"}),
        ('tag:"apple harvest"', {"apple-harvest-prices-orchards-late-frost"}),
        # accents and case folded on both sides
        ("ZURICH CAFÉ", {"nestle-ai-demand-forecasting-zurich-cafe"}),
        # dates
        (
            "published:2025-10-01..2025-10-31",
            {
                "amd-oracle-ai-accelerator-order",
                "apple-harvest-prices-orchards-late-frost",
            },
        ),
        # OR between words
        (
            "deepfake OR orchards",
            {
                "deepfake-voice-scams-bank-verification",
                "apple-harvest-prices-orchards-late-frost",
            },
        ),
    ],
)
def test_query_language(seed_handle: IndexHandle, query: str, expected: set[str]) -> None:
    assert all_slugs(seed_handle, query) == expected


def test_prefix_matches_words_starting_with_it(seed_handle: IndexHandle) -> None:
    assert all_slugs(seed_handle, "quantu*") == all_slugs(seed_handle, "quantum")
    assert all_slugs(seed_handle, "deepfak*") == {"deepfake-voice-scams-bank-verification"}


def test_a_prefix_includes_the_word_itself(seed_handle: IndexHandle) -> None:
    # "tariff" is indexed as its stem; "tariffs*" must still find every "tariffs"
    assert all_slugs(seed_handle, "tariffs*") >= all_slugs(seed_handle, "tariffs")
    assert all_slugs(seed_handle, "layoffs*") == all_slugs(seed_handle, "layoffs")


def test_phrase_words_must_be_adjacent_and_in_order(seed_handle: IndexHandle) -> None:
    assert all_slugs(seed_handle, '"controls export"') == set()
    assert all_slugs(seed_handle, '"data center"') < all_slugs(seed_handle, "data center")


def test_a_title_match_outranks_a_body_mention(seed_handle: IndexHandle) -> None:
    ranked = slugs(run(seed_handle, "layoffs"))
    assert ranked[0] == "intel-layoffs-foundry-restructuring"


def test_stemming_finds_other_forms(seed_handle: IndexHandle) -> None:
    assert all_slugs(seed_handle, "earning") == all_slugs(seed_handle, "earnings")


@pytest.mark.parametrize("query", ["Taiwan Semiconductor", "TSMC", "TSM", "2330.TW", "tsmc"])
def test_every_name_of_a_company_finds_the_same_articles(
    seed_handle: IndexHandle, query: str
) -> None:
    assert all_slugs(seed_handle, query) == {
        "tsmc-arizona-expansion-tariff-threats",
        "taiwan-semiconductor-2nm-wafer-price-increase",
        "asian-chip-stocks-rally-new-year",
    }


@pytest.mark.parametrize(
    "query", ['ticker:"Taiwan Semiconductor"', 'ticker:"tsm"', "ticker:2330.TW"]
)
def test_ticker_field_takes_any_name_quoted_or_not(seed_handle: IndexHandle, query: str) -> None:
    assert all_slugs(seed_handle, query) == all_slugs(seed_handle, "ticker:TSM")


def test_a_company_is_highlighted_as_the_article_writes_it(seed_handle: IndexHandle) -> None:
    hits = {h.doc["slug"]: h for h in run(seed_handle, "TSMC").hits}
    hit = hits["taiwan-semiconductor-2nm-wafer-price-increase"]
    assert "<mark>Taiwan Semiconductor</mark>" in hit.highlights["title"]
    assert "<mark>2330.TW</mark>" in hits["asian-chip-stocks-rally-new-year"].highlights["body"]


def test_articles_about_a_company_rank_above_passing_mentions(seed_handle: IndexHandle) -> None:
    hits = run(seed_handle, "ticker:NVDA", per_page=50).hits
    roles = [next(t["role"] for t in h.doc["tickers"] if t["symbol"] == "NVDA") for h in hits]
    assert "mentioned" in roles and "primary" in roles
    assert roles == sorted(roles, key=lambda role: role != "primary")


@pytest.mark.parametrize(
    ("query", "expanded"),
    [
        ("nvidia earnings", "(nvidia OR ticker:NVDA) earnings"),
        ("taiwan semiconductor", '"taiwan semiconductor" OR ticker:TSM'),  # a name is a phrase
        ("apple", "apple OR ticker:AAPL"),  # an ordinary-word name alone means the company
        ("Apple earnings", "(Apple OR ticker:AAPL) earnings"),  # so does a capital
        ("apple pie", "apple pie"),  # otherwise it is a word
        ("swimming pool", "swimming pool"),
        ("shell company", "shell company"),
    ],
)
def test_company_names_in_queries_also_match_their_ticker(query: str, expanded: str) -> None:
    tree = parse_query(SearchRequest(q=query), default_companies())
    assert to_text(tree) == expanded


def test_ticker_field_finds_articles_that_only_name_the_company(seed_handle: IndexHandle) -> None:
    found = all_slugs(seed_handle, "ticker:BABA")
    assert "alibaba-cloud-ai-growth-accelerates" in found
    assert found == all_slugs(seed_handle, "Alibaba")


def test_match_all_relaxes_when_nothing_matches(seed_handle: IndexHandle) -> None:
    results = run(seed_handle, "deepfake zzzqqq")
    assert results.relaxed
    assert results.dropped == ("zzzqqq",)
    assert slugs(results) == ["deepfake-voice-scams-bank-verification"]
    assert not run(seed_handle, "deepfake").relaxed


def test_relaxation_drops_the_most_common_word_first(seed_handle: IndexHandle) -> None:
    # no article has all three; "earnings" is the most common word, so it goes first
    results = run(seed_handle, "deepfake voice earnings")
    assert results.relaxed and results.dropped == ("earnings",)
    assert slugs(results) == ["deepfake-voice-scams-bank-verification"]


def test_match_any_ranks_articles_with_more_of_the_words_first(seed_handle: IndexHandle) -> None:
    any_results = run(seed_handle, "deepfake orchards", match="any", per_page=50)
    assert set(slugs(any_results)) == all_slugs(seed_handle, "deepfake OR orchards")
    both = run(seed_handle, "deepfake voice", match="any")
    assert slugs(both)[0] == "deepfake-voice-scams-bank-verification"


def test_nothing_matches_gives_a_suggestion(seed_handle: IndexHandle) -> None:
    # typos=0: a misspelt word is then only offered corrected, not searched so
    results = run(seed_handle, "nvidai", typos="0")
    assert results.total == 0 and results.hits == []
    assert results.suggestion == "nvidia"
    # suggestions come from article bodies too, not only titles and tags
    assert run(seed_handle, "blosom", typos="0").suggestion == "blossom"  # only in a body
    assert run(seed_handle, "zzzqqqxx").suggestion is None


def test_filters_and_within_or_across(seed_handle: IndexHandle) -> None:
    semis = all_slugs(seed_handle, categories=("Semiconductors",))
    markets = all_slugs(seed_handle, categories=("markets",))  # case-insensitive
    both = all_slugs(seed_handle, categories=("Semiconductors", "Markets"))
    assert both == semis | markets and not semis & markets
    marco_semis = all_slugs(seed_handle, categories=("Semiconductors",), authors=("Marco Grima",))
    assert marco_semis == semis & all_slugs(seed_handle, authors=("Marco Grima",))


def test_ticker_filter_accepts_symbols_listings_and_names(seed_handle: IndexHandle) -> None:
    by_symbol = all_slugs(seed_handle, tickers=("TSM",))
    assert by_symbol == all_slugs(seed_handle, tickers=("2330.TW",))
    assert by_symbol == all_slugs(seed_handle, tickers=("Taiwan Semiconductor",))
    assert all_slugs(seed_handle, tickers=("BABA",)) == all_slugs(seed_handle, tickers=("alibaba",))


def test_date_range_filter_is_inclusive(seed_handle: IndexHandle) -> None:
    found = run(seed_handle, date_from="2025-10-08", date_to="2025-10-21", per_page=50)
    assert {h.doc["published_at"] for h in found.hits} == {"2025-10-08", "2025-10-21"}


def test_facets_count_all_matches_and_are_disjunctive(seed_handle: IndexHandle) -> None:
    plain = run(seed_handle, "earnings")
    filtered = run(seed_handle, "earnings", categories=("Semiconductors",))
    # the category facet ignores its own filter, so a reader can tick a second category
    assert filtered.facets["category"] == plain.facets["category"]
    # other facets shrink to the filtered matches, and the total is exact
    assert filtered.total == sum(
        v.count for v in plain.facets["category"] if v.value == "Semiconductors"
    )
    assert sum(v.count for v in filtered.facets["year"]) == filtered.total
    counts = [v.count for v in plain.facets["tags"]]
    assert counts == sorted(counts, reverse=True) and len(counts) <= 20


def test_ticker_facet_carries_company_names(seed_handle: IndexHandle) -> None:
    tickers = {v.value: v.label for v in run(seed_handle).facets["tickers"]}
    assert tickers["NVDA"] == "NVIDIA"
    assert tickers["TSM"].startswith("Taiwan Semiconductor")


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date(seed_handle: IndexHandle, sort: str) -> None:
    dates = [h.doc["published_at"] for h in run(seed_handle, "earnings", sort=sort).hits]
    assert dates == sorted(dates, reverse=sort == "newest")


def test_pages_partition_the_results(seed_handle: IndexHandle) -> None:
    everything = slugs(run(seed_handle, "ai", per_page=50))
    paged = [s for page in (1, 2, 3) for s in slugs(run(seed_handle, "ai", page=page, per_page=7))]
    assert paged == everything[:21]


def test_highlights_mark_the_query_words(seed_handle: IndexHandle) -> None:
    hit = run(seed_handle, "deepfake scams").hits[0]
    assert "<mark>" in hit.highlights["title"]
    assert "<mark>" in hit.highlights["body"]


@pytest.mark.parametrize(
    "options",
    [
        {"page": 0},
        {"per_page": 0},
        {"per_page": 51},
        {"page": 201, "per_page": 50},  # beyond the 10,000-result window
        {"sort": "best"},
        {"match": "most"},
        {"date_from": "2025-02-30"},
        {"date_to": "yesterday"},
        {"facets": ("tags", "colour")},
        {"q": "x" * 513},
    ],
)
def test_bad_requests_are_rejected_with_a_clear_error(options: dict[str, object]) -> None:
    with pytest.raises(BadParameter):
        replace(SearchRequest(), **options)


def test_strict_mode_reports_unreadable_syntax(seed_handle: IndexHandle) -> None:
    with pytest.raises(BadQuery, match="unclosed quote"):
        run(seed_handle, '"export controls', strict=True)
    assert run(seed_handle, '"export controls').total > 0  # lenient by default


# --- the plan: a request as masks and scores (searchsvc.query.plan) -----------------------


@pytest.mark.parametrize(
    ("query", "match", "filters", "parts", "relaxed", "dropped", "limits"),
    [
        # a company's name is one part: its words OR its ticker
        ("nvidia earnings", "all", {}, ["nvidia OR ticker:NVDA", "earnings"], False, (), []),
        # nothing has both words: the one matching nothing is dropped
        ("tariffs zzqx", "all", {}, ["tariffs", "zzqx"], True, ("zzqx",), []),
        # match=any never relaxes: fewer of the words is already allowed
        ("tariffs zzqx", "any", {}, ["tariffs", "zzqx"], False, (), []),
        # an exclusion is not a part; a stop word and the empty query have none
        ("nvidia -china", "all", {}, ["nvidia OR ticker:NVDA"], False, (), []),
        ("the", "all", {}, [], False, (), []),
        ("", "all", {}, [], False, (), []),
        ("chips", "all", {"tags": ("HBM",)}, ["chips"], False, (), []),
        # a one-letter prefix is searched as the letter, a stop word here: no part
        ("a* nvid*", "all", {}, ["nvid*"], False, (), ["prefix_too_short"]),
    ],
)
def test_plan_request(
    seed_handle: IndexHandle,
    query: str,
    match: str,
    filters: dict[str, tuple[str, ...]],
    parts: list[str],
    relaxed: bool,
    dropped: tuple[str, ...],
    limits: list[str],
) -> None:
    request = SearchRequest(q=query, match=match, **filters)  # type: ignore[arg-type]
    plan = plan_request(seed_handle.current(), request, default_companies())
    assert [to_text(node) for node, _ in plan.parts] == parts
    assert (plan.relaxed, plan.dropped) == (relaxed, dropped)
    assert [limit.code for limit in plan.limits] == limits
    assert list(plan.filters) == list(filters)
    assert len(plan.kept) == len(parts) - len(dropped)
    # match=any weighs documents by the share of parts they match, once there are two
    assert (plan.coverage is not None) == (match == "any" and len(parts) > 1)
    # and it finds what search does
    found = search(seed_handle, replace(request, per_page=50))
    matches = apply_filters(plan.text.mask, plan.filters)
    assert int(matches.sum()) == found.total


@pytest.mark.parametrize(
    ("query", "positives", "negatives"),
    [
        ("nvidia", ["nvidia"], []),
        ("nvidia earnings -china", ["nvidia", "earnings"], ["-china"]),
        # only the top level is split: an OR, with what it groups, is one part
        ("(a -b) OR c", ["(a -b) OR c"], []),
        # a query of exclusions only: its MatchAll is neither a part nor an exclusion
        ("-china -tariffs", [], ["-china", "-tariffs"]),
        ("", [], []),
    ],
)
def test_split(query: str, positives: list[str], negatives: list[str]) -> None:
    required, excluded = split(parse(query))
    assert [to_text(node) for node in required] == positives
    assert [to_text(node) for node in excluded] == negatives


@pytest.mark.parametrize(
    ("mask", "filters", "without", "expected"),
    [
        ([1, 1, 0, 1], {}, None, [1, 1, 0, 1]),  # no filter: the text matches
        ([1, 1, 0, 1], {"tags": [1, 0, 1, 1]}, None, [1, 0, 0, 1]),
        # filters of different facets AND
        ([1, 1, 1, 1], {"tags": [1, 1, 0, 0], "year": [0, 1, 1, 0]}, None, [0, 1, 0, 0]),
        # a facet is counted with every filter but its own (disjunctive facets)
        ([1, 1, 1, 1], {"tags": [1, 1, 0, 0], "year": [0, 1, 1, 0]}, "tags", [0, 1, 1, 0]),
        ([1, 0, 1, 1], {"tags": [1, 1, 0, 0]}, "year", [1, 0, 0, 0]),  # no year filter to skip
    ],
)
def test_apply_filters(
    mask: list[int], filters: dict[str, list[int]], without: str | None, expected: list[int]
) -> None:
    text = np.array(mask, bool)
    masks = {name: np.array(values, bool) for name, values in filters.items()}
    assert apply_filters(text, masks, without=without).tolist() == [bool(x) for x in expected]
    assert text.tolist() == [bool(x) for x in mask]  # a new mask; the text match is kept


# Six documents: 4 is not matched; 5 differs from 0 only by its slug, which comes later.
# Undated (2) is -inf, as Generation.published_seconds has it.
ORDER_GEN = SimpleNamespace(
    published_seconds=np.array([100.0, 200.0, -np.inf, 100.0, 50.0, 100.0]),
    slug_rank=np.array([1, 0, 2, 3, 4, 5]),
)
ORDER_SCORES = np.array([2.0, 2.0, 1.0, 5.0, 9.0, 2.0], np.float32)
ORDER_MASK = np.array([1, 1, 1, 1, 0, 1], bool)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # score, then newer first (1 before 0), then slug (0 before 5)
        ("relevance", [3, 1, 0, 5, 2]),
        # date, then score (3 before 0), then slug; undated last
        ("newest", [1, 3, 0, 5, 2]),
        ("oldest", [3, 0, 5, 1, 2]),
    ],
)
def test_order_hits(sort: str, expected: list[int]) -> None:
    gen = cast(Generation, ORDER_GEN)
    assert order_hits(gen, sort, ORDER_MASK, ORDER_SCORES).tolist() == expected
