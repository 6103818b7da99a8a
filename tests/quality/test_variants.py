"""Typo'd and half-typed variants of judged queries, and the measurement over an index.

The targets of the issue (variants keep >= 0.90 of the clean nDCG@10 with typos, >= 0.85
half-typed, <= 5% of variants with no result, clean queries no worse) are not asserted
here yet: the engine's side of typos/prefix is still being written. Its author adds them
(see benchmarks/README.md, "Typos and half-typed queries")."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh.reading import distance

from searchsvc.indexing.build import build_index
from searchsvc.quality.relevance import Judgments, evaluate, parse_judgments, read_judgments
from searchsvc.quality.variants import (
    TYPO_KINDS,
    VARIANT_KINDS,
    Forgiveness,
    measure_forgiveness,
    misspell,
    typing_variant,
    typo_variant,
    variant_judgments,
    variant_queries,
)
from searchsvc.query.handle import IndexHandle
from tests.conftest import ROOT, SEEDS, SHARED_CORPUS

SEEDS_JUDGMENTS = ROOT / "relevance" / "seeds.tsv"
SITE = SHARED_CORPUS / "limitbreakit"
SITE_JUDGMENTS = ROOT / "relevance" / "limitbreakit.tsv"


def assert_one_typo(word: str, typo: str) -> None:
    """What every typo must be: one edit the engine forgives, the first letter kept."""
    assert typo != word
    assert distance(word, typo) == 1, (word, typo)
    assert typo[0] == word[0], (word, typo)


# --- typo_variant ----------------------------------------------------------------------------

# (query, the pieces left as written); every other piece gets exactly one typo
TYPO_CASES = [
    ("Nvidia earnings", []),
    ("NVDA earnings", ["NVDA"]),  # a ticker in capitals
    ("TESLA deliveries", ["TESLA"]),  # capitals of up to 5 letters read as a symbol
    ("NVIDIA earnings", []),  # longer capitals are a word written loud
    ("2330.TW revenue", ["2330.TW"]),
    ("H200 shipments", ["H200"]),  # a word with digits
    ("2025 outlook", ["2025"]),
    ("$TSLA deliveries", ["$TSLA"]),  # a cashtag
    ('"price war" tariffs', ['"price', 'war"']),  # a quoted phrase, whatever its words
    ('tariffs "price war', ['"price', "war"]),  # unclosed: the rest is the phrase
    ("ticker:nvda earnings", ["ticker:nvda"]),
    ("title:samsung memory", ["title:samsung"]),
    ("bitcoin -ethereum", ["-ethereum"]),  # an exclusion
    ("semic* stocks", ["semic*"]),  # a prefix
    ("(tsmc OR samsung) earnings", ["(tsmc", "OR"]),  # operators; "samsung)" is a word
    ("zero-day exploit", ["zero-day"]),  # hyphenated: the engine corrects no part of it
    ("data center", ["data"]),  # 4 letters: no typo forgiven
    ("AI chips", ["AI"]),  # 5 letters get one
    ("BRK.B Buffett", ["BRK.B"]),
]


@pytest.mark.parametrize(("query", "kept"), TYPO_CASES)
def test_typo_variant_gives_each_long_word_one_typo_and_leaves_symbols_alone(
    query: str, kept: list[str]
) -> None:
    before, after = query.split(), typo_variant(query).split()
    assert len(after) == len(before)
    for old, new in zip(before, after, strict=True):
        if old in kept:
            assert new == old
        else:
            assert_one_typo(old.strip("()"), new.strip("()"))


@pytest.mark.parametrize(
    ("query", "variant"),
    [
        # pinned: the typos are part of the judged variants a run reports, so they must
        # not change from one run (or machine) to the next
        ("Nvidia earnings", "Nbidia earning"),
        ("SoftBank sells Nvidia stake", "SfotBank selks Nidia stkae"),
        ("credential stuffing", "credenyial stfufing"),
        ("  data   center  ", "  data   cetner  "),  # spacing as typed
        ("", ""),
    ],
)
def test_typo_variant_is_deterministic(query: str, variant: str) -> None:
    assert typo_variant(query) == variant
    assert typo_variant(query) == typo_variant(query)


def test_the_same_word_gets_the_same_typo_in_the_same_place() -> None:
    assert typo_variant("Nvidia") == typo_variant("Nvidia earnings").split()[0]


LONG_WORDS = [
    "nvidia", "earnings", "semiconductor", "ransomware", "Qualcomm", "SoftBank", "layoffs",
    "infrastructure", "deepfakes", "outage", "Salesforce", "foldable", "wouldn't", "Nvidia's",
]  # fmt: skip


@pytest.mark.parametrize("word", LONG_WORDS)
def test_a_query_cycles_through_the_four_kinds_of_typo(word: str) -> None:
    """The kind moves on with each long word of a query, so four long words get four."""
    typos = [misspell(word, turn) for turn in range(len(TYPO_KINDS))]
    assert {kind for _, kind in typos} == set(TYPO_KINDS)
    for typo, _ in typos:
        assert_one_typo(word, typo)


@pytest.mark.parametrize("word", ["Tesla", "Cisco", "stake", "chips", "sells"])
def test_a_five_letter_word_never_loses_a_letter(word: str) -> None:
    """Four letters left would be a word the engine forgives no typo in."""
    for turn in range(len(TYPO_KINDS)):
        typo, kind = misspell(word, turn)
        assert kind != "dropped" and len(typo) >= 5
        assert_one_typo(word, typo)


def test_over_many_words_the_kinds_come_out_evenly() -> None:
    words = [w for w in SEEDS_JUDGMENTS.read_text().split() if w.isalpha() and len(w) > 5]
    kinds = [misspell(w.lower())[1] for w in sorted(set(words))]
    assert len(kinds) > 40
    assert all(kinds.count(kind) >= len(kinds) // 8 for kind in TYPO_KINDS)


# --- typing_variant --------------------------------------------------------------------------

TYPING_CASES = [
    ("Nvidia earnings", "Nvidia earn"),  # 6+ letters: 4 kept
    ("Tesla", "Tes"),  # 5 letters: 3 kept
    ("OpenAI", "Open"),
    ("data center", "data cent"),
    ("zero-day", "zero"),
    ("NVIDIA", "NVID"),  # capitals longer than a ticker are a word
    ("Nvidia earnings ", "Nvidia earn"),  # typed to the end: cut all the same
    ("(tsmc OR samsung", "(tsmc OR sams"),
    ("AI chip", None),  # already 4 letters or shorter
    ("Gemini 3", None),
    ("NVDA", None),  # a ticker
    ("TESLA", None),
    ('"price war"', None),  # quoted
    ('tariffs "price war', None),
    ("ticker:nvidia", None),  # fielded
    ("bitcoin -ethereum", None),  # an exclusion
    ("semic*", None),  # already a prefix
    ("(tsmc OR samsung)", None),  # a closed group
    ("GPT-5.2", None),
    ("e-commerce", None),  # the hyphen falls inside the letters kept
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("query", "variant"), TYPING_CASES)
def test_typing_variant_cuts_the_last_word(query: str, variant: str | None) -> None:
    assert typing_variant(query) == variant


# --- properties ------------------------------------------------------------------------------


@given(st.text(max_size=80))
def test_typo_variant_never_raises_and_keeps_the_words(query: str) -> None:
    assert len(typo_variant(query).split()) == len(query.split())


@given(st.text(max_size=80))
def test_typing_variant_never_raises_and_is_a_shorter_start_of_the_query(query: str) -> None:
    variant = typing_variant(query)
    if variant is not None:
        assert query.startswith(variant) and len(variant) < len(query.rstrip())


words = st.from_regex(r"[A-Za-z][a-z]{4,12}", fullmatch=True)


@given(st.lists(words, min_size=1, max_size=5))
def test_every_word_of_a_query_gets_one_forgivable_typo(query_words: list[str]) -> None:
    typos = typo_variant(" ".join(query_words)).split()
    for word, typo in zip(query_words, typos, strict=True):
        assert_one_typo(word, typo)


# --- variant_judgments -----------------------------------------------------------------------

JUDGED = parse_judgments(
    "Nvidia earnings\tnvidia-record-earnings\t3\n"
    "Nvidia earnings\tbroadcom-earnings\t0\n"
    "NVDA\tnvidia-record-earnings\t3\n"
    "Nvidia earnest\tnvidia-record-earnings\t1\n"
    '"price war"\tbyd-tesla-ev-price-war\t3\n',
    "judged.tsv",
)


def test_variant_judgments_carry_the_grades_of_the_query_meant() -> None:
    typos = variant_judgments(JUDGED, typo_variant)
    # NVDA and the phrase have no typo variant: left out
    assert list(typos.queries) == ["Nbidia earning", typo_variant("Nvidia earnest")]
    assert typos.queries["Nbidia earning"] == JUDGED.queries["Nvidia earnings"]
    assert typos.lines["Nbidia earning"] == 1  # errors point at the judged query's line
    assert typos.source == "judged.tsv"


def test_two_queries_making_the_same_variant_keep_one_entry_the_first() -> None:
    typing = variant_judgments(JUDGED, typing_variant)
    assert typing.queries == {"Nvidia earn": JUDGED.queries["Nvidia earnings"]}
    assert variant_queries(JUDGED, typing_variant) == {"Nvidia earn": "Nvidia earnings"}


@pytest.mark.parametrize(
    ("made", "kept"),
    [
        ({"a": "x", "b": "y"}, {"x": "a", "y": "b"}),
        ({"a": None, "b": "y"}, {"y": "b"}),  # no variant
        ({"a": "a", "b": "y"}, {"y": "b"}),  # the variant is the query itself
        ({"a": "x", "b": "x"}, {"x": "a"}),  # the same variant twice: the first keeps it
    ],
)
def test_variant_queries_map_each_variant_to_its_query(
    made: dict[str, str | None], kept: dict[str, str]
) -> None:
    judged = Judgments({"a": {"s1": 3}, "b": {"s2": 2}})
    assert variant_queries(judged, made.__getitem__) == kept
    assert variant_judgments(judged, made.__getitem__).queries == {
        variant: judged.queries[query] for variant, query in kept.items()
    }


# --- the measurement over an index -----------------------------------------------------------


@pytest.fixture(scope="module")
def seeds_handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    index_dir = tmp_path_factory.mktemp("variants") / "index"
    build_index(SEEDS, index_dir, workers=1)
    handle = IndexHandle.open(index_dir)
    yield handle
    handle.close()


def test_the_measurement_runs_clean_queries_and_both_kinds_of_variant(
    seeds_handle: IndexHandle,
) -> None:
    judgments = read_judgments(SEEDS_JUDGMENTS)
    result = measure_forgiveness(seeds_handle, judgments)
    assert [k.kind for k in result.kinds] == list(VARIANT_KINDS)
    assert result.clean_ndcg is not None and result.clean_ndcg > 0
    assert result.strict_ndcg is not None and result.strict_ndcg > 0
    assert set(result.strict) == set(judgments.queries)
    for kind in result.kinds:
        make = VARIANT_KINDS[kind.kind]
        assert kind.variants == len(variant_queries(judgments, make)) > 10
        assert all(q.variant == make(q.query) for q in kind.queries)
        assert kind.clean_ndcg is not None and kind.clean_ndcg > 0
        assert kind.variant_ndcg is not None and kind.share is not None
        assert 0 <= len(kind.no_results) <= kind.variants
        assert kind.no_result_share == len(kind.no_results) / kind.variants
    json.dumps(result.to_json())  # the benchmark's --json
    assert_meets_the_targets(result)


def assert_meets_the_targets(result: Forgiveness) -> None:
    """Issue 12's targets: variants keep 90% (typos) and 85% (half typed) of the clean
    queries' nDCG@10, at most 5% of them find nothing, and no clean query is worse with
    typos and completions on than with them off."""
    typos, typing = result.kind("typos"), result.kind("typing")
    assert typos.share is not None and typos.share >= 0.90, typos.share
    assert typing.share is not None and typing.share >= 0.85, typing.share
    assert typos.no_result_share <= 0.05 and typing.no_result_share <= 0.05
    assert not result.worse_than_strict()


def test_the_forgiveness_benchmark_runs_without_the_shared_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """benchmarks/forgiveness.py over seeds/ alone: its table and its JSON."""
    from benchmarks.forgiveness import main

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = tmp_path / "forgiveness.json"
    assert main(["--shared", str(tmp_path / "no-shared"), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "seeds" in table and "limitbreakit" not in table
    result = json.loads(out.read_text())
    assert set(result["collections"]) == {"seeds"}
    assert set(result["collections"]["seeds"]["kinds"]) == set(VARIANT_KINDS)


# --- the site's own judgments (relevance/limitbreakit.tsv) -----------------------------------


@pytest.mark.skipif(not SITE.is_dir(), reason="../shared/corpus is not here")
def test_the_site_judgments_name_real_articles_and_score_every_query(tmp_path: Path) -> None:
    build_index(SITE, tmp_path / "index", workers=1)
    judgments = read_judgments(SITE_JUDGMENTS)
    assert 30 <= len(judgments.queries) <= 40
    handle = IndexHandle.open(tmp_path / "index")
    try:
        run = evaluate(handle, judgments)
        forgiveness = measure_forgiveness(handle, judgments)
    finally:
        handle.close()
    assert [q.query for q in run.queries if q.unknown_slugs] == []
    assert [q.query for q in run.queries if q.metrics is None] == []
    assert_meets_the_targets(forgiveness)
