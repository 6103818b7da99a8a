"""Smoke tests for the benchmark's own parts: query rendering, the mix, stats, FTS5 reference."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from benchmarks.fts5ref import Fts5Reference
from benchmarks.gencorpus import generate_corpus
from benchmarks.querymix import BenchQuery, Clause, Term, build_mix, derive_mix, fts5_string
from benchmarks.report import summarize
from searchsvc.ingest.articles import Article
from searchsvc.ingest.scan import load_corpus
from searchsvc.quality.variants import typo_variant
from tests.browsing import browser_test
from tests.conftest import make_article

if TYPE_CHECKING:
    from benchmarks.tantivyref import TantivyReference


def _q(*clauses: Clause, **filters: object) -> BenchQuery:
    return BenchQuery("test", clauses, **filters)  # type: ignore[arg-type]


def _word(text: str, negated: bool = False) -> Clause:
    return Clause((Term(text),), negated=negated)


@pytest.mark.parametrize(
    ("query", "text", "match"),
    [
        (_q(_word("nvidia"), _word("earnings")), "nvidia earnings", '"nvidia" AND "earnings"'),
        (
            _q(Clause((Term("data center", phrase=True),))),
            '"data center"',
            '"data center"',
        ),
        (
            _q(Clause((Term("bitcoin"), Term("ethereum")))),
            "bitcoin OR ethereum",
            '("bitcoin" OR "ethereum")',
        ),
        # OR grouped when other clauses follow, so both languages read it the same way
        (
            _q(Clause((Term("tesla"), Term("rivian"))), _word("sales")),
            "(tesla OR rivian) sales",
            '("tesla" OR "rivian") AND "sales"',
        ),
        (
            _q(_word("bitcoin"), _word("etf", negated=True)),
            "bitcoin -etf",
            '"bitcoin" NOT "etf"',
        ),
        (
            _q(_word("apple"), _word("iphone"), _word("china", negated=True)),
            "apple iphone -china",
            '("apple" AND "iphone") NOT "china"',
        ),
        (_q(Clause((Term("semic", prefix=True),))), "semic*", '"semic"*'),
    ],
)
def test_query_renders_the_same_logic_for_both_engines(
    query: BenchQuery, text: str, match: str
) -> None:
    assert query.text() == text
    assert query.fts5_match() == match


def test_fts5_strings_escape_quotes_and_operators() -> None:
    assert fts5_string('say "hi"') == '"say ""hi"""'
    assert fts5_string("AND") == '"AND"'


def test_summarize_gives_interpolated_percentiles() -> None:
    stats = summarize([float(i) for i in range(1, 101)])
    assert stats["p50"] == pytest.approx(50.5)
    assert stats["p99"] == pytest.approx(99.01)
    assert stats["max"] == 100.0


def _article(slug: str, title: str, body: str, tag: str, day: str) -> Article:
    return make_article(
        slug, body, title=title, excerpt=body[:60], published_at=day, authors=("Ann Lee",),
        categories=("Markets",), tags=(tag,), content_hash=slug,
    )  # fmt: skip


ARTICLES = [
    _article("a", "Nvidia earnings beat", "Nvidia sold data center chips.", "Nvidia", "2024-05-01"),
    _article("b", "Tesla <cuts> prices", "Nvidia in the data center.", "Tesla", "2025-02-03"),
    _article("c", "Bitcoin rallies", "Bitcoin rose as inflation cooled.", "Crypto", "2025-02-04"),
]  # fmt: skip


def test_build_mix_is_deterministic_and_sized() -> None:
    first = build_mix(ARTICLES, n=40, seed=3)
    assert len(first) == 40
    assert [q.describe() for q in first] == [q.describe() for q in build_mix(ARTICLES, 40, 3)]
    assert any(q.kind == "phrase" for q in first)


def _plain(*words: str, **filters: object) -> BenchQuery:
    return BenchQuery("plain", tuple(_word(w) for w in words), **filters)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mix", "query", "text", "match"),
    [
        ("default", _plain("fed"), "fed", '"fed"'),
        # searchsvc gets the typos, FTS5 the words as meant
        ("typos", _plain("nvidia", "earnings"), typo_variant("nvidia earnings"),
         '"nvidia" AND "earnings"'),
        ("typos", _plain("fed"), None, None),  # no word of 5+ letters: left out
        # filters and sort are kept
        ("typos", _plain("bitcoin", tags=("Crypto",), sort="newest"),
         typo_variant("bitcoin"), '"bitcoin"'),
        # searchsvc the last word as typed (prefix=last), FTS5 the same as its prefix
        ("typing", _plain("nvidia", "earnings"), "nvidia earn", '"nvidia" AND "earn"*'),
        ("typing", _plain("tesla"), "tes", '"tes"*'),
        ("typing", _plain("tesla", "ai"), None, None),  # a last word of 4 letters or less
        ("typing", _q(Clause((Term("data center", phrase=True),))), None, None),  # not plain
    ],
)  # fmt: skip
def test_the_typos_and_typing_mixes_send_each_engine_its_query(
    mix: str, query: BenchQuery, text: str | None, match: str | None
) -> None:
    derived = derive_mix([query], mix)
    if text is None:
        assert derived == []
        return
    (variant,) = derived
    assert (variant.text(), variant.fts5_match()) == (text, match)
    assert variant.kind == ("plain" if mix == "default" else mix)
    assert variant.filter_params() == query.filter_params()


@pytest.mark.parametrize("mix", ["default", "typos", "typing"])
def test_the_mixes_are_deterministic(mix: str) -> None:
    def rendered(seed: int) -> list[tuple[str, str]]:
        return [
            (q.describe(), q.fts5_match()) for q in derive_mix(build_mix(ARTICLES, 40, seed), mix)
        ]

    assert rendered(3) == rendered(3)
    assert rendered(3)


def test_each_typos_query_differs_from_its_clean_one_and_fts5_gets_the_clean_one() -> None:
    clean = [q for q in build_mix(ARTICLES, 40, seed=3) if q.kind == "plain"]
    typos = derive_mix(clean, "typos")
    assert typos
    meant = [q for q in clean if typo_variant(q.text()) != q.text()]
    for typo, source in zip(typos, meant, strict=True):
        assert typo.text() != source.text() and typo.text() == typo_variant(source.text())
        assert typo.fts5_match() == source.fts5_match()
        assert typo.logical_text() == source.text()


def test_each_typing_querys_last_word_is_a_prefix_in_the_fts5_match() -> None:
    typing = derive_mix(build_mix(ARTICLES, 40, seed=3), "typing")
    assert typing
    for query in typing:
        last = query.text().split()[-1]
        assert query.clauses[-1].alternatives == (Term(last, prefix=True),)
        assert query.fts5_match().endswith(f"{fts5_string(last)}*")
        assert query.fts5_match().count("*") == 1


def assert_does_the_whole_job(ref: Fts5Reference | TantivyReference) -> None:
    """What both references must answer for ARTICLES: filter, highlights, disjunctive
    facets, newest first."""
    results = ref.search(_q(_word("nvidia"), tags=("Tesla",)))
    assert results.total == 1
    hit = results.hits[0]
    assert hit.slug == "b"
    assert hit.highlights["title"] == "Tesla &lt;cuts&gt; prices"
    assert "<mark>Nvidia</mark>" in hit.highlights["body"]
    # disjunctive: the tag facet ignores the tag filter, other facets apply it
    assert {f.value: f.count for f in results.facets["tags"]} == {"Nvidia": 1, "Tesla": 1}
    assert {f.value: f.count for f in results.facets["year"]} == {"2025": 1}
    newest = ref.search(_q(Clause((Term("data center", phrase=True),)), sort="newest"))
    assert [h.slug for h in newest.hits] == ["b", "a"]


def test_fts5_reference_does_the_whole_job(tmp_path: Path) -> None:
    ref = Fts5Reference(tmp_path / "ref.sqlite3")
    ref.build(ARTICLES, [(), (), ()])
    assert_does_the_whole_job(ref)
    ref.close()


def test_generated_corpus_parses(tmp_path: Path) -> None:
    generate_corpus(tmp_path, 5, seed=1)
    articles, errors = load_corpus(tmp_path)
    assert errors == []
    assert len(articles) == 5
    assert all(a.title and a.published_at and a.authors and a.tags for a in articles)


def test_reindex_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    """A small run of benchmarks/reindex_bench.py (no server): every figure is measured."""
    import json

    from benchmarks.reindex_bench import main

    out = tmp_path / "reindex.json"
    argv = ["--generate", "120", "--repeat", "1", "--changed", "3", "--no-server"]
    assert main([*argv, "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["table"]
    assert len(rows) >= 4
    assert all(row["p50"] is not None for row in rows if "p50" in row)


@pytest.mark.slow
@pytest.mark.e2e
def test_soak_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    """A short soak (benchmarks/soak.py): a real server under load through reindexes,
    killed reindexes and a killed worker, with no failed request and every edit found."""
    import json

    from benchmarks.soak import main

    out = tmp_path / "soak.json"
    argv = ["--generate", "150", "--seconds", "12", "--clients", "2"]
    assert main([*argv, "--check", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["requests"] > 0 and result["errors"] == 0
    assert result["worker_kills"] >= 1 and result["reindex"]["killed"] >= 1
    assert not result["after"]["edits_not_searchable"]


@pytest.mark.slow
@pytest.mark.browser
@browser_test
def test_the_page_benchmark_paints_the_pages_and_the_reference(tmp_path: Path) -> None:
    import json

    from benchmarks.page_bench import main

    out = tmp_path / "page.json"
    assert main(["--pages", "2", "--repeat", "1", "--workers", "1", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["pages"] == ["/", "/search?q=nvidia"]
    for server in ("searchsvc", "static"):
        assert result["fcp_ms"][server]["p50"] > 0
        assert result["html_received_ms"][server]["p50"] > 0


@pytest.mark.slow
def test_query_limits_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    """A small run of benchmarks/query_limits.py: every query is timed, none fails, and
    the limits the responses name are reported."""
    import json

    from benchmarks.query_limits import main

    out = tmp_path / "limits.json"
    argv = ["--generate", "60", "--big-bytes", "60000", "--fuzz", "3", "--repeat", "1"]
    assert main([*argv, "--cache", str(tmp_path / "cache"), "--json", str(out)]) == 0
    queries = {q["name"]: q for q in json.loads(out.read_text())["queries"]}
    assert len(queries) >= 20
    assert not [q for q in queries.values() if "error" in q]
    assert queries["156 one-letter prefixes"]["limits"] == ["prefix_too_short"]
    assert all(0 <= q["cold_s"] <= q["max_s"] for q in queries.values())


@pytest.mark.slow
def test_waits_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    """A small run of benchmarks/waits.py: each wait is timed, against its target."""
    import json

    from benchmarks.waits import TARGETS, main

    out = tmp_path / "waits.json"
    assert main(["--repeat", "2", "--json", str(out)]) == 0
    waits = json.loads(out.read_text())["waits"]
    assert set(waits) == set(TARGETS)
    assert all(w["n"] == 2 and 0 < w["p50_ms"] <= w["max_ms"] for w in waits.values())


@pytest.mark.slow
def test_crash_kills_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    """Two rounds of benchmarks/crash_kills.py: each kill's outcome is counted."""
    import json

    from benchmarks.crash_kills import main

    out = tmp_path / "kills.json"
    assert main(["--rounds", "2", "--articles", "60", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert sum(result["outcomes"].values()) == 2
    assert 0 <= result["killed_mid_write"] <= result["killed_inside_a_run"] <= 2


def test_the_worker_benchmark_sends_the_mix_with_the_apis_parameter_names() -> None:
    from urllib.parse import parse_qsl

    from benchmarks.workers import query_string
    from searchsvc.web.args import SEARCH_PARAMETERS

    query = _q(_word("nvidia"), tags=("ai",), categories=("markets",), date_from="2025-01-01")
    params = parse_qsl(query_string(query))
    assert params == [
        ("q", "nvidia"),
        ("sort", "relevance"),
        ("tag", "ai"),
        ("category", "markets"),
        ("from", "2025-01-01"),
    ]
    assert {name for name, _ in params} <= set(SEARCH_PARAMETERS)


def test_tantivy_reference_does_the_whole_job(tmp_path: Path) -> None:
    pytest.importorskip("tantivy")
    from benchmarks.tantivyref import TantivyReference

    ref = TantivyReference(tmp_path / "tantivy")
    ref.build(ARTICLES, [(), (), ()])
    assert_does_the_whole_job(ref)
    # the whole title, marked, even where the fragment would end before the punctuation
    earnings = ref.search(_q(_word("earnings"), _word("bitcoin", negated=True)))
    assert [h.highlights["title"] for h in earnings.hits] == ["Nvidia <mark>earnings</mark> beat"]
    prefix = ref.search(_q(Clause((Term("infl", prefix=True),))))
    assert prefix.total == 1 and "<mark>inflation</mark>" in prefix.hits[0].highlights["body"]
    in_title = ref.search(_q(Clause((Term("ralli", prefix=True),))))
    assert in_title.hits[0].highlights["title"] == "Bitcoin <mark>rallies</mark>"
    dated = ref.search(_q(_word("nvidia"), date_from="2024-01-01", date_to="2024-12-31"))
    assert [h.slug for h in dated.hits] == ["a"]
    assert {f.value: f.count for f in dated.facets["year"]} == {"2024": 1}
    ref.close()


def _temporary_files_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmark's temporary folders, and its servers', under ``tmp_path``."""
    import tempfile

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def _bench_on_seeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str, mix: str = "default"
) -> Any:
    import json

    from benchmarks.bench import main

    _temporary_files_in(tmp_path, monkeypatch)
    out = tmp_path / "bench.json"
    argv = ["--corpus", "seeds", "--queries", "12", "--repeat", "1", "--engine", engine]
    assert main([*argv, "--mix", mix, "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_the_bench_compares_searchsvc_with_tantivy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tantivy")
    result = _bench_on_seeds(tmp_path, monkeypatch, "all")
    engines = result["engines"]
    assert set(engines) == {"searchsvc", "fts5", "tantivy"}
    assert engines["tantivy"]["build"]["articles_per_s"] > 0
    assert engines["tantivy"]["latency"]["p50"] > 0
    assert {"ratio", "ratio_tantivy"} <= result.keys()


def test_the_bench_skips_tantivy_when_it_is_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import benchmarks.bench

    monkeypatch.setattr(benchmarks.bench, "tantivy_available", lambda: False)
    result = _bench_on_seeds(tmp_path, monkeypatch, "all")
    assert set(result["engines"]) == {"searchsvc", "fts5"}
    assert "ratio_tantivy" not in result
    assert any("tantivy is not installed" in note for note in result["notes"])


@pytest.mark.parametrize("mix", ["typos", "typing"])
def test_the_bench_times_a_mix_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mix: str
) -> None:
    result = _bench_on_seeds(tmp_path, monkeypatch, "both", mix)
    assert result["mix"]["name"] == mix
    assert result["mix"]["kinds"] == {mix: result["mix"]["queries"]}
    assert 0 < result["mix"]["queries"] <= result["mix"]["from_queries"] == 12
    assert {"p50", "p99"} <= result["ratio"].keys()


def test_over_http_a_typo_query_is_sent_as_typed_and_as_meant() -> None:
    from urllib.parse import parse_qs, urlsplit

    from benchmarks.http_bench import fts5_path, parse_args, searchsvc_path

    (query,) = derive_mix([_plain("nvidia", "earnings", tags=("ai",))], "typos")
    ours = parse_qs(urlsplit(searchsvc_path(query)).query)
    assert ours["q"] == [typo_variant("nvidia earnings")] and "typos" not in ours
    assert parse_qs(urlsplit(fts5_path(query)).query)["match"] == ['"nvidia" AND "earnings"']
    assert parse_args(["--mix", "typing"]).mix == "typing"
    assert parse_args([]).mix == "default"


def test_the_http_requests_carry_the_same_logical_query() -> None:
    from urllib.parse import parse_qsl, urlsplit

    from benchmarks.http_bench import fts5_path, searchsvc_path

    query = _q(_word("nvidia"), _word("etf", negated=True), tags=("ai",), date_to="2025-02-01")
    ours = urlsplit(searchsvc_path(query))
    assert ours.path == "/api/search"
    assert parse_qsl(ours.query) == [
        ("q", "nvidia -etf"),
        ("sort", "relevance"),
        ("tag", "ai"),
        ("to", "2025-02-01"),
        ("per_page", "10"),
        ("facets", "tags,category,author,tickers,year"),
    ]
    ref = urlsplit(fts5_path(query))
    assert ref.path == "/search"
    assert dict(parse_qsl(ref.query)) == {
        "match": '"nvidia" NOT "etf"',
        "sort": "relevance",
        "tag": "ai",
        "to": "2025-02-01",
        "per_page": "10",
    }


def test_the_fts5_http_app_answers_the_references_job_as_json(tmp_path: Path) -> None:
    import json
    from urllib.parse import urlencode

    from benchmarks.fts5_http import Fts5App

    ref = Fts5Reference(tmp_path / "ref.sqlite3")
    ref.build(ARTICLES, [(), (), ()])
    ref.close()
    app = Fts5App(tmp_path / "ref.sqlite3")
    statuses: list[str] = []

    def call(path: str, query: str = "") -> Any:
        environ = {"PATH_INFO": path, "QUERY_STRING": query}
        body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
        return json.loads(body)

    assert call("/healthz") == {"status": "ok", "documents": 3}
    result = call("/search", urlencode([("match", '"nvidia"'), ("tag", "Tesla")]))
    assert statuses[-1] == "200 OK"
    assert result["total"] == 1 and result["hits"][0]["slug"] == "b"
    assert "<mark>Nvidia</mark>" in result["hits"][0]["highlights"]["body"]
    assert list(result["facets"]) == ["tags", "category", "author", "tickers", "year"]
    assert {f["value"]: f["count"] for f in result["facets"]["tags"]} == {"Nvidia": 1, "Tesla": 1}
    assert call("/search", "per_page=99")["error"]["code"] == "bad_request"
    assert statuses[-1] == "400 Bad Request"


@pytest.mark.e2e
def test_the_http_benchmark_runs_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small run of benchmarks/http_bench.py on seeds/: both servers answer every
    request, one client and eight, and the report has both engines and the ratios."""
    import json

    from benchmarks.http_bench import main

    _temporary_files_in(tmp_path, monkeypatch)
    out = tmp_path / "http.json"
    argv = ["--corpus", "seeds", "--queries", "10", "--repeat", "1", "--requests", "40"]
    assert main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    for name in ("searchsvc", "fts5"):
        engine = result["engines"][name]
        assert engine["single"]["requests"] == 10 and engine["single"]["errors"] == 0
        assert engine["concurrent"]["requests"] == 40 and engine["concurrent"]["errors"] == 0
        assert engine["concurrent"]["requests_per_s"] > 0
    assert {"ratio", "ratio_concurrent"} <= result.keys()


def test_the_suggest_benchmark_runs_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small run of benchmarks/suggest_bench.py on seeds/: every prefix of every typed
    text is timed, the one-off builds apart, and the JSON lands in tmp_path."""
    import json

    from benchmarks.suggest_bench import main

    _temporary_files_in(tmp_path, monkeypatch)
    out = tmp_path / "suggest.json"
    argv = ["--corpus", "seeds", "--queries", "12", "--repeat", "1", "--popular", "5"]
    assert main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    mix = result["mix"]
    assert mix["texts"] == 12 and sum(mix["sources"].values()) == 12
    assert mix["keystrokes"] > 12 and mix["popular"] == 5
    assert {"typo_index_s", "first_call_s"} == result["one_off"].keys()
    timed = result["latency"]["timed"]
    assert 0 < timed["p50"] <= timed["p99"] <= timed["max"]
    assert 0 < result["with_suggestions"] <= 1
    assert len(result["slowest"]) == 5


def test_the_typed_mix_types_every_prefix_deterministically() -> None:
    from benchmarks.suggest_bench import typed_mix

    mix = typed_mix(ARTICLES, 30, seed=4)
    assert mix == typed_mix(ARTICLES, 30, seed=4)
    assert {t.source for t in mix} == {"title", "company", "tag"}
    for typed in mix:
        strokes = typed.keystrokes()
        assert strokes[0] == typed.text[0] and strokes[-1] == typed.text
        assert [len(s) for s in strokes] == list(range(1, len(typed.text) + 1))
