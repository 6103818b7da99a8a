"""Relevance evaluation: metrics, judgments files, baselines, the CLI, and the ranking gate."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from searchsvc.cli import main
from searchsvc.quality.baseline import (
    DEFAULT_THRESHOLD,
    BadBaseline,
    Baseline,
    Regressed,
    compare,
    load_baseline,
    save_baseline,
)
from searchsvc.quality.relevance import (
    BadJudgments,
    Judgments,
    Metrics,
    QueryResult,
    RelevanceRun,
    dcg,
    evaluate,
    mean_metrics,
    ndcg_at_k,
    parse_judgments,
    query_metrics,
    read_judgments,
    recall_at_k,
    reciprocal_rank,
)
from searchsvc.query.handle import IndexHandle
from tests.conftest import ROOT, SEEDS

SHIPPED = ROOT / "relevance" / "seeds.tsv"
SHIPPED_BASELINE = ROOT / "relevance" / "seeds-baseline.json"
RESAVE = (
    "searchsvc index --content seeds --index /tmp/seeds-index --full && searchsvc relevance "
    "relevance/seeds.tsv --index /tmp/seeds-index --save-baseline relevance/seeds-baseline.json"
)

L3 = math.log2(3)  # the discount at rank 2; rank 3 is log2(4) = 2


# --- metrics ---------------------------------------------------------------------------------

# (ranking, judgments, nDCG@10, reciprocal rank, recall@10), computed by hand with gain
# 2**grade - 1 and discount log2(rank + 1)
METRIC_CASES = [
    pytest.param(["a", "b", "c"], {"a": 3, "b": 2, "c": 1}, 1.0, 1.0, 1.0, id="perfect"),
    # reversed: (1 + 3/log2 3 + 7/2) / (7 + 3/log2 3 + 1/2)
    pytest.param(
        ["c", "b", "a"],
        {"a": 3, "b": 2, "c": 1},
        (1 + 3 / L3 + 3.5) / (7 + 3 / L3 + 0.5),
        1.0,
        1.0,
        id="reversed",
    ),
    # the best one second, the other relevant one not found at all
    pytest.param(["x", "a"], {"a": 3, "b": 1}, (7 / L3) / (7 + 1 / L3), 0.5, 0.5, id="missing"),
    # graded gain: the grade-1 article above the grade-3 one costs a lot
    pytest.param(["a", "b"], {"a": 1, "b": 3}, (1 + 7 / L3) / (7 + 1 / L3), 1.0, 1.0, id="gains"),
    # judged 0 counts like unjudged: a miss at rank 1, and nothing in the ideal
    pytest.param(["z", "a"], {"a": 3, "z": 0}, (7 / L3) / 7, 0.5, 1.0, id="judged-zero"),
    pytest.param(["x", "y", "z"], {"a": 2}, 0.0, 0.0, 0.0, id="nothing-found"),
    pytest.param([], {"a": 2}, 0.0, 0.0, 0.0, id="no-results"),
    # rank 11 is outside the top 10
    pytest.param([f"x{i}" for i in range(10)] + ["a"], {"a": 3}, 0.0, 0.0, 0.0, id="rank-11"),
    # the ideal order takes the best 10 grades even when more are judged
    pytest.param(
        [f"d{i}" for i in range(10)],
        {f"d{i}": 1 for i in range(12)},
        1.0,
        1.0,
        10 / 12,
        id="more-relevant-than-k",
    ),
]


@pytest.mark.parametrize("ranked, judged, ndcg, rr, recall", METRIC_CASES)
def test_metrics_match_hand_computed_values(
    ranked: list[str], judged: dict[str, int], ndcg: float, rr: float, recall: float
) -> None:
    assert ndcg_at_k(ranked, judged) == pytest.approx(ndcg)
    assert reciprocal_rank(ranked, judged) == pytest.approx(rr)
    assert recall_at_k(ranked, judged) == pytest.approx(recall)
    assert query_metrics(ranked, judged) == pytest.approx(Metrics(ndcg, rr, recall))


def test_dcg_uses_graded_gain_and_log2_discount() -> None:
    assert dcg([3, 2, 0, 1]) == pytest.approx(7 + 3 / L3 + 0 + 1 / math.log2(5))
    assert dcg([1] * 12) == pytest.approx(sum(1 / math.log2(r + 1) for r in range(1, 11)))
    assert dcg([]) == 0


def test_a_query_without_relevant_judgments_is_not_scored() -> None:
    judged = {"a": 0, "b": 0}
    assert ndcg_at_k(["a"], judged) is None
    assert recall_at_k(["a"], judged) is None
    assert reciprocal_rank(["a"], judged) == 0
    assert query_metrics(["a"], judged) is None
    # ... and the means leave it out instead of counting it as 0
    assert mean_metrics([Metrics(1, 1, 1), None, Metrics(0.5, 0, 0)]) == Metrics(0.75, 0.5, 0.5)
    assert mean_metrics([None]) is None


@given(
    st.dictionaries(st.sampled_from("abcdefghijkl"), st.integers(0, 3), min_size=1),
    st.permutations(list("abcdefghijklmn")),
)
def test_metrics_stay_between_0_and_1_and_the_ideal_order_scores_1(
    judged: dict[str, int], ranking: list[str]
) -> None:
    metrics = query_metrics(ranking, judged)
    if not any(judged.values()):
        assert metrics is None
        return
    assert metrics is not None
    for value in (metrics.ndcg, metrics.mrr, metrics.recall):
        assert 0 <= value <= 1 + 1e-9
    ideal = sorted(judged, key=lambda s: -judged[s])
    assert ndcg_at_k(ideal, judged) == pytest.approx(1.0)


# --- judgments files -------------------------------------------------------------------------


def test_judgments_skip_comments_and_blank_lines() -> None:
    text = (
        "\ufeff# a comment\n"
        "\n"
        "nvidia earnings\tnvidia-record\t3\n"
        "  # an indented comment\n"
        "nvidia earnings\tbroadcom\t0\r\n"
        "C# jobs\tsome-slug\t1\n"  # a '#' inside a line is text
        "nvidia earnings\tnvidia-record\t3\n"  # the same grade again is fine
        " tariffs \t sony \t 2 \n"  # fields are trimmed
    )
    judgments = parse_judgments(text.removeprefix("\ufeff"), "j.tsv")
    assert judgments.queries == {
        "nvidia earnings": {"nvidia-record": 3, "broadcom": 0},
        "C# jobs": {"some-slug": 1},
        "tariffs": {"sony": 2},
    }
    assert list(judgments.queries) == ["nvidia earnings", "C# jobs", "tariffs"]  # file order
    assert judgments.lines == {"nvidia earnings": 3, "C# jobs": 6, "tariffs": 8}
    assert judgments.pairs == 4


@pytest.mark.parametrize(
    "text, message",
    [
        ("q\tslug\n", "j.tsv:1: expected 3 tab-separated columns (query, slug, grade), found 2"),
        ("q\tslug\t1\textra\n", "j.tsv:1: expected 3 tab-separated columns"),
        ("# ok\nq slug 3\n", "j.tsv:2: expected 3 tab-separated columns"),  # spaces, not tabs
        ("q\tslug\t4\n", "j.tsv:1: grade must be a whole number 0-3, not '4'"),
        ("q\tslug\t-1\n", "grade must be a whole number 0-3, not '-1'"),
        ("q\tslug\t2.5\n", "grade must be a whole number 0-3, not '2.5'"),
        ("q\tslug\t\n", "grade must be a whole number 0-3, not ''"),
        ("query\tslug\tgrade\n", "j.tsv:1: grade must be a whole number 0-3, not 'grade'"),
        ("q\ta\t2\nq\tb\t1\nq\ta\t3\n", "j.tsv:3: 'q' / 'a' is graded 3 here but 2 earlier"),
        ("\tslug\t1\n", "j.tsv:1: the query is empty"),
        ("q\t \t1\n", "j.tsv:1: the slug is empty"),
        ("# nothing but comments\n\n", "j.tsv: no judgments"),
    ],
)
def test_bad_judgments_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(BadJudgments) as caught:
        parse_judgments(text, "j.tsv")
    assert message in caught.value.message


def test_spaces_instead_of_tabs_get_a_hint() -> None:
    with pytest.raises(BadJudgments) as caught:
        parse_judgments("nvidia earnings nvidia-record 3\n", "j.tsv")
    assert caught.value.hint == "columns are separated by tabs, not spaces"


def test_judgments_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(BadJudgments, match="no judgments file"):
        read_judgments(tmp_path / "missing.tsv")
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes(b"caf\xe9\tslug\t1\n")
    with pytest.raises(BadJudgments, match="cannot read judgments file"):
        read_judgments(latin1)
    bom = tmp_path / "bom.tsv"
    bom.write_bytes("\ufeffq\tslug\t1\n".encode())
    assert read_judgments(bom).queries == {"q": {"slug": 1}}


# --- baselines and comparison ----------------------------------------------------------------


def result(query: str, metrics: Metrics | None) -> QueryResult:
    return QueryResult(query, metrics, hits=(), total=0, relevant=1, found=0)


def make_run(**queries: Metrics | None) -> RelevanceRun:
    return RelevanceRun(tuple(result(q.replace("_", " "), m) for q, m in queries.items()))


def make_baseline(**queries: Metrics | None) -> Baseline:
    return Baseline({q.replace("_", " "): m for q, m in queries.items()})


def test_a_drop_beyond_the_threshold_in_any_metric_is_a_regression() -> None:
    before = make_baseline(
        steady=Metrics(0.9, 1, 1),
        ndcg_drop=Metrics(0.9, 1, 1),
        small_drop=Metrics(0.9, 1, 1),
        mrr_and_recall=Metrics(0.9, 1, 1),
        better=Metrics(0.5, 0.5, 0.5),
    )
    after = make_run(
        steady=Metrics(0.9, 1, 1),
        ndcg_drop=Metrics(0.84, 1, 1),
        small_drop=Metrics(0.85, 1, 1),  # exactly the threshold: not more than it
        mrr_and_recall=Metrics(0.9, 0.5, 0.5),
        better=Metrics(0.9, 1, 0.5),
    )
    comparison = compare(after, before)
    assert comparison.threshold == DEFAULT_THRESHOLD
    assert [(c.query, c.regressed) for c in comparison.regressions] == [
        ("ndcg drop", ("ndcg",)),
        ("mrr and recall", ("mrr", "recall")),
    ]
    assert [(c.query, c.improved) for c in comparison.improvements] == [("better", ("ndcg", "mrr"))]
    drop = comparison.regressions[0]
    assert drop.delta("ndcg") == pytest.approx(-0.06)
    assert drop.delta("mrr") == 0
    assert comparison.in_sync
    with pytest.raises(Regressed) as caught:
        comparison.check()
    assert caught.value.message == (
        "2 queries regressed by more than 0.05: 'ndcg drop' (nDCG@10 -0.060); "
        "'mrr and recall' (MRR -0.500, recall@10 -0.500)"
    )
    assert "--save-baseline" in (caught.value.hint or "")


def test_the_threshold_is_adjustable() -> None:
    before, after = make_baseline(q=Metrics(0.9, 1, 1)), make_run(q=Metrics(0.7, 1, 1))
    assert compare(after, before, threshold=0.25).regressions == []
    assert len(compare(after, before, threshold=0.1).regressions) == 1
    assert compare(after, before, threshold=0).regressions[0].regressed == ("ndcg",)
    assert compare(after, make_baseline(q=Metrics(0.7, 1, 1)), threshold=0).regressions == []


def test_queries_on_one_side_only_are_reported_not_regressions() -> None:
    comparison = compare(
        make_run(kept=Metrics(1, 1, 1), added=Metrics(0, 0, 0)),
        make_baseline(kept=Metrics(1, 1, 1), removed=Metrics(1, 1, 1)),
    )
    assert comparison.new == ("added",)
    assert comparison.missing == ("removed",)
    assert not comparison.in_sync
    assert comparison.regressions == []
    comparison.check()


def test_unscored_queries_have_no_deltas() -> None:
    comparison = compare(make_run(q=None, r=Metrics(0, 0, 0)), make_baseline(q=None, r=None))
    assert [c.delta("ndcg") for c in comparison.changes] == [None, None]
    assert comparison.regressions == comparison.improvements == []


def test_a_baseline_of_another_k_or_match_cannot_be_compared() -> None:
    with pytest.raises(BadBaseline, match="k=5"):
        compare(make_run(q=Metrics(1, 1, 1)), Baseline({"q": Metrics(1, 1, 1)}, k=5))
    with pytest.raises(BadBaseline, match="match=any"):
        compare(make_run(q=Metrics(1, 1, 1)), Baseline({"q": Metrics(1, 1, 1)}, match="any"))


def test_a_saved_baseline_reads_back_and_compares_clean(tmp_path: Path) -> None:
    run = make_run(a=Metrics(1 / 3, 0.5, 2 / 3), unscored=None)
    path = tmp_path / "sub" / "baseline.json"
    save_baseline(run, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["queries"]["a"]["ndcg"] == 0.3333  # rounded, so diffs stay readable
    assert data["queries"]["unscored"]["ndcg"] is None
    assert (data["overall"]["queries"], data["overall"]["unscored"]) == (1, 1)
    assert {"created", "index_generation", "k", "match"} <= set(data)
    baseline = load_baseline(path)
    assert baseline.queries["unscored"] is None
    comparison = compare(run, baseline, threshold=0)
    assert comparison.regressions == comparison.improvements == []
    assert comparison.in_sync


@pytest.mark.parametrize(
    "text, message",
    [
        (None, "no baseline file"),
        ("{not json", "cannot read baseline"),
        ('{"format": 99}', "baseline format 99, expected 1"),
        ('{"format": 1, "k": 10}', "not a relevance baseline"),
        ("[1, 2]", "not a relevance baseline"),
    ],
)
def test_bad_baselines_are_clear_errors(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "baseline.json"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(BadBaseline, match=re.escape(message)):
        load_baseline(path)


# --- evaluate over the seed index ------------------------------------------------------------


def test_evaluate_runs_the_real_search(seed_handle: IndexHandle) -> None:
    judgments = parse_judgments(
        "TSMC\ttsmc-arizona-expansion-tariff-threats\t3\n"
        "TSMC\tno-such-article\t2\n"
        "apple orchards\tapple-harvest-prices-orchards-late-frost\t0\n",
        "j.tsv",
    )
    run = evaluate(seed_handle, judgments)
    tsmc, orchards = run.queries
    assert 0 < len(tsmc.hits) <= 10
    assert "tsmc-arizona-expansion-tariff-threats" in tsmc.hits
    assert tsmc.unknown_slugs == ("no-such-article",)
    assert (tsmc.relevant, tsmc.found) == (2, 1)
    assert tsmc.metrics is not None and tsmc.metrics.recall == 0.5  # the missing one counts
    assert orchards.metrics is None  # only 0 grades: left out of the means
    assert run.scored == 1
    assert run.overall == tsmc.metrics
    assert run.generation == seed_handle.current().number


def test_a_query_the_engine_rejects_names_its_line(seed_handle: IndexHandle) -> None:
    judgments = parse_judgments("ok\ta\t1\n" + "x" * 600 + "\ta\t1\n", "j.tsv")
    with pytest.raises(BadJudgments, match=r"^j\.tsv:2: query 'xxx"):
        evaluate(seed_handle, judgments)


# --- the command line ------------------------------------------------------------------------


def run_cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["relevance", *(str(a) for a in args)])


@pytest.fixture
def judgments_file(tmp_path: Path) -> Path:
    path = tmp_path / "judgments.tsv"
    path.write_text(
        "# the quantum note never mentions tariffs: recall for 'tariffs' is 0.5 at best\n"
        "tariffs\tsony-playstation-price-hike-tariffs\t3\n"
        "tariffs\tno-frontmatter-quantum-computing-note\t2\n"
        "TSMC\ttsmc-arizona-expansion-tariff-threats\t3\n"
        "TSMC\ttaiwan-semiconductor-2nm-wafer-price-increase\t3\n"
        "nvidai earnings\tnvidia-record-earnings-data-center-demand\t3\n",
        encoding="utf-8",
    )
    return path


def test_cli_prints_a_row_per_query_and_the_overall_line(
    seed_index: Path, judgments_file: Path
) -> None:
    result = run_cli(judgments_file, "--index", seed_index)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(r"^query\s+nDCG@10\s+MRR\s+recall@10\s+found$", lines[0])
    assert re.match(r"^TSMC\s+1\.000\s+1\.000\s+1\.000\s+2/2$", lines[2])
    assert re.search(r"^overall \(3 queries\)(\s+[01]\.\d{3}){3}$", result.stdout, re.M)
    assert re.search(r"^tariffs\s+0\.\d{3}\s+[01]\.\d{3}\s+0\.500\s+1/2$", result.stdout, re.M)
    # typos are forgiven by default (issue 12): the misspelt word is searched corrected
    assert "  'nvidai earnings': searched nvidai as nvidia" in result.stdout


def test_cli_gate_passes_against_its_own_baseline_and_fails_on_a_drop(
    seed_index: Path, judgments_file: Path, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    saved = run_cli(judgments_file, "--index", seed_index, "--save-baseline", baseline)
    assert saved.exit_code == 0, saved.output
    assert f"Saved the baseline to {baseline} (3 queries)" in saved.stderr

    same = run_cli(judgments_file, "--index", seed_index, "--baseline", baseline)
    assert same.exit_code == 0, same.output
    assert re.search(r"^TSMC(\s+1\.000\s+\+0\.000){3}\s+2/2$", same.stdout, re.M)
    assert "Compared with the baseline: 0 regressed, 0 improved by more than 0.05" in same.stdout

    # pretend the engine used to find the quantum note for 'tariffs' too
    data = json.loads(baseline.read_text(encoding="utf-8"))
    data["queries"]["tariffs"]["recall"] = 1.0
    baseline.write_text(json.dumps(data), encoding="utf-8")
    worse = run_cli(judgments_file, "--index", seed_index, "--baseline", baseline)
    assert worse.exit_code == 1, worse.output
    assert re.search(r"^tariffs\s.*\s-0\.\d{3}\s.*REGRESSED$", worse.stdout, re.M)
    assert worse.stderr.startswith("Error: 1 query regressed by more than 0.05: 'tariffs' (")
    assert "(recall@10 -0.500)" in worse.stderr
    assert "Hint: if the ranking changed on purpose" in worse.stderr
    assert "Traceback" not in worse.output
    # a looser threshold lets the same drop through
    loose = run_cli(
        judgments_file, "--index", seed_index, "--baseline", baseline, "--threshold", "0.9"
    )
    assert loose.exit_code == 0, loose.output


def test_cli_json_output(seed_index: Path, judgments_file: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    saved = run_cli(judgments_file, "--index", seed_index, "--save-baseline", baseline)
    assert saved.exit_code == 0, saved.output
    result = run_cli(judgments_file, "--index", seed_index, "--baseline", baseline, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["k"] == 10 and data["overall"]["queries"] == 3
    assert data["queries"]["TSMC"]["ndcg"] == 1.0
    assert data["queries"]["nvidai earnings"]["corrections"] == [["nvidai", "nvidia"]]
    assert "dropped" not in data["queries"]["nvidai earnings"]  # corrected, not relaxed
    assert data["comparison"]["regressions"] == []


def test_cli_notes_typos_and_unknown_slugs(seed_index: Path, tmp_path: Path) -> None:
    judgments = tmp_path / "j.tsv"
    judgments.write_text("zzqxv\tgone\t1\n", encoding="utf-8")
    result = run_cli(judgments, "--index", seed_index)
    assert result.exit_code == 0, result.output
    assert "  'zzqxv': no results" in result.stdout
    assert "  'zzqxv': judged but not in the index: gone" in result.stdout


@pytest.mark.parametrize(
    "setup, args, message",
    [
        ("q\tslug\n", [], "j.tsv:1: expected 3 tab-separated columns"),
        (None, [], "no judgments file"),
        ("q\tslug\t1\n", ["--baseline", "missing.json"], "no baseline file"),
    ],
)
def test_cli_errors_are_clear(
    seed_index: Path, tmp_path: Path, setup: str | None, args: list[str], message: str
) -> None:
    judgments = tmp_path / "j.tsv"
    if setup is not None:
        judgments.write_text(setup, encoding="utf-8")
    args = [str(tmp_path / a) if a.endswith(".json") else a for a in args]
    result = run_cli(judgments, "--index", seed_index, *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cli_without_an_index(judgments_file: Path, tmp_path: Path) -> None:
    result = run_cli(judgments_file, "--index", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no index in ")


def test_cli_rejects_a_negative_threshold(seed_index: Path, judgments_file: Path) -> None:
    result = run_cli(judgments_file, "--index", seed_index, "--threshold", "-0.1")
    assert result.exit_code == 2


# --- the shipped judgments and THE GATE ------------------------------------------------------


def test_shipped_judgments_cover_the_seeds() -> None:
    judgments = read_judgments(SHIPPED)
    assert len(judgments.queries) >= 25
    slugs = {path.stem for path in SEEDS.glob("*.md")}
    for query, graded in judgments.queries.items():
        assert set(graded) <= slugs, f"{query!r} judges an article not in seeds/"
        assert max(graded.values()) >= 1, f"{query!r} has no relevant article: not scored"


def test_gate_no_query_regresses_against_the_baseline(seed_handle: IndexHandle) -> None:
    """The CI regression gate for ranking. When a change makes it fail on purpose, re-save
    the baseline (relevance/README.md) and commit it with the change."""
    judgments: Judgments = read_judgments(SHIPPED)
    run = evaluate(seed_handle, judgments)
    assert all(q.metrics is not None for q in run.queries)
    assert not [q.query for q in run.queries if q.unknown_slugs]
    comparison = compare(run, load_baseline(SHIPPED_BASELINE))
    assert comparison.in_sync, (
        f"the baseline is out of date (new queries {comparison.new}, "
        f"removed {comparison.missing}); re-save it: {RESAVE}"
    )
    regressions = {
        c.query: {name: c.delta(name) for name in c.regressed} for c in comparison.regressions
    }
    assert not regressions, (
        f"ranking regressed by more than {comparison.threshold} on {regressions}; "
        f"if that is intended, re-save the baseline: {RESAVE}"
    )
