"""GET /admin/explain: the parsed query, its analysis and expansions, score breakdowns that
add up to the scores readers get, and why an article is not a hit."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import AUTH


def explain(client: FlaskClient, **params: Any) -> dict[str, Any]:
    response = client.get("/admin/explain", query_string=params, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def search(client: FlaskClient, **params: Any) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/api/search", query_string=params).get_json()
    return data


def assert_adds_up(hit: dict[str, Any]) -> None:
    assert hit["breakdown_sum"] == pytest.approx(hit["score"], rel=1e-5, abs=1e-4)
    assert sum(row["value"] for row in hit["breakdown"]) == pytest.approx(hit["score"], abs=1e-4)


QUERIES = [
    "nvidia",
    "TSMC tariffs",
    "Taiwan Semiconductor",
    '"data center" demand',
    "nvid*",
    "nvidia OR amd",
    "(nvidia memory) OR tariffs",
    "tariffs -china",
    "chips ticker:NVDA",
    "title:earnings",
    "tag:HBM memory",
    "tariffs zzqx",  # relaxed: zzqx matches nothing
    "Nvidia's earnings",
    "",
]


@pytest.mark.parametrize("match", ["all", "any"])
@pytest.mark.parametrize("q", QUERIES)
def test_every_breakdown_adds_up_to_the_score_readers_get(
    admin: FlaskClient, q: str, match: str
) -> None:
    explained = explain(admin, q=q, match=match)
    served = search(admin, q=q, match=match, per_page=10)
    assert [h["slug"] for h in explained["hits"]] == [h["slug"] for h in served["hits"]]
    assert explained["total"] == served["total"]
    for hit, reader in zip(explained["hits"], served["hits"], strict=True):
        assert hit["score"] == pytest.approx(reader["score"], abs=1e-3)
        assert_adds_up(hit)
        if q:
            assert hit["breakdown"] or hit["score"] == 0


WORDS = ["nvidia", "tsmc", "tariffs", "chips", "earnings", "memory", "ai", "china", "apple"]
query_text = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(WORDS).map(lambda w: f"-{w}"),
        st.sampled_from(WORDS).map(lambda w: f"{w[:3]}*"),
        st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(lambda t: f'"{t[0]} {t[1]}"'),
        st.just("OR"),
        # a group that matches only in part must add nothing: "(nvidia memory) OR chips"
        st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS), st.sampled_from(WORDS)).map(
            lambda t: f"({t[0]} {t[1]}) OR {t[2]}"
        ),
    ),
    min_size=1,
    max_size=5,
).map(" ".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=query_text, match=st.sampled_from(["all", "any"]))
def test_breakdowns_add_up_for_any_query(admin: FlaskClient, q: str, match: str) -> None:
    for hit in explain(admin, q=q, match=match, hits=5)["hits"]:
        assert_adds_up(hit)


def test_a_breakdown_row_says_where_its_value_comes_from(admin: FlaskClient) -> None:
    hit = explain(admin, q="TSMC tariffs")["hits"][0]
    title = next(r for r in hit["breakdown"] if r["field"] == "title" and r["term"] == "tariff")
    assert title["written"] == "tariffs"
    assert title["boost"] == 5.0 and title["tf"] >= 1 and title["df"] >= 1
    assert title["field_length"] > 0 and title["avg_field_length"] > 0
    ticker = next(r for r in hit["breakdown"] if r["kind"] == "ticker")
    assert (ticker["term"], ticker["written"]) == ("TSM", "TSMC")


def test_match_any_shows_its_coverage_factor(admin: FlaskClient) -> None:
    hits = explain(admin, q="TSMC tariffs", match="any")["hits"]
    partial = next(h for h in hits if h["factors"] and h["factors"][0]["value"] < 1)
    assert partial["factors"][0]["name"] == "match=any coverage"
    assert all("before_factors" in row for row in partial["breakdown"])
    assert_adds_up(partial)


def test_the_query_as_parsed_analysed_and_expanded(admin: FlaskClient) -> None:
    data = explain(admin, q="Nvidia's chips -china")
    assert data["query"] == "Nvidia's chips -china"
    assert data["parsed"]["tree"]["type"] == "and"
    assert data["parsed"]["text"] == "Nvidia's chips -china"
    assert "ticker:NVDA" in data["expanded"]["text"]
    words = {row["written"]: row["tokens"] for row in data["terms"]}
    nvidia = words["Nvidia's"][0]
    assert (nvidia["text"], nvidia["normalized"], nvidia["term"]) == (
        "Nvidia's",
        "nvidia",
        "nvidia",
    )
    assert words["chips"][0]["term"] == "chip"
    company = next(e for e in data["expansions"] if e["kind"] == "company")
    assert company["symbols"] == ["NVDA"] and company["documents"] > 0


EXPANSIONS = [
    ("TSMC", "company", {}),
    ("2330.TW", "company", {}),
    ("nvid*", "prefix", {}),
    ("tariffs zzqx", "relaxation", {}),
    # with typos off a misspelt word is not searched corrected, only offered
    ("nvidai", "spelling", {"typos": "0"}),
    ("nvidai", "correction", {}),
    ("nvid", "completion", {}),
]


@pytest.mark.parametrize(("q", "kind", "params"), EXPANSIONS)
def test_expansions_are_listed_with_their_reason(
    admin: FlaskClient, q: str, kind: str, params: dict[str, str]
) -> None:
    found = [e for e in explain(admin, q=q, **params)["expansions"] if e["kind"] == kind]
    assert found, q
    assert all(e["why"] for e in found)


@pytest.mark.parametrize(
    ("q", "codes"),
    [("nvidia", []), ("a* nvid*", ["prefix_too_short"]), ("co*", ["prefix_terms"])],
)
def test_limits_are_those_the_search_response_lists(
    admin: FlaskClient, q: str, codes: list[str]
) -> None:
    limits = explain(admin, q=q)["limits"]
    assert [limit["code"] for limit in limits] == codes
    assert limits == search(admin, q=q)["limits"]


def test_filters_are_listed_with_what_they_keep(admin: FlaskClient) -> None:
    data = explain(admin, q="chips", tag="HBM", ticker="Nvidia")
    filters = {f["filter"]: f for f in data["filters"]}
    assert filters["tags"]["values"] == ["HBM"] and filters["tags"]["documents"] > 0
    assert filters["tickers"]["values"] == ["Nvidia"]


# --- why not -----------------------------------------------------------------------------


def test_why_not_for_a_hit_gives_its_rank_and_breakdown(admin: FlaskClient) -> None:
    served = search(admin, q="tariffs")["hits"]
    slug = served[2]["slug"]
    why = explain(admin, q="tariffs", slug=slug, hits=0)["why_not"]
    assert (why["exists"], why["matched"], why["rank"]) == (True, True, 3)
    assert why["excluded_by"] == [] and why["missing_terms"] == []
    assert_adds_up(why)


def test_why_not_names_the_clause_and_the_missing_terms(admin: FlaskClient) -> None:
    why = explain(admin, q="TSMC tariffs", slug="sony-playstation-price-hike-tariffs")["why_not"]
    assert (why["matched"], why["rank"]) == (False, None)
    assert [e["kind"] for e in why["excluded_by"]] == ["clause"]
    assert "TSMC" in why["excluded_by"][0]["clause"]
    assert {m.get("term") for m in why["missing_terms"]} >= {"tsmc"}
    assert any(m.get("ticker") == ["TSM"] for m in why["missing_terms"])


def test_why_not_names_the_filter(admin: FlaskClient) -> None:
    slug = "sony-playstation-price-hike-tariffs"
    why = explain(admin, q="tariffs", tag="HBM", slug=slug)["why_not"]
    assert why["matched"] is False
    excluded = why["excluded_by"]
    assert [e["kind"] for e in excluded] == ["filter"] and excluded[0]["filter"] == "tags"
    assert "HBM" not in excluded[0]["document_has"]


def test_why_not_names_the_exclusion(admin: FlaskClient) -> None:
    slug = search(admin, q="tariffs china")["hits"][0]["slug"]
    why = explain(admin, q="tariffs -china", slug=slug)["why_not"]
    assert why["matched"] is False
    assert [e["kind"] for e in why["excluded_by"]] == ["exclusion"]
    assert why["excluded_by"][0]["clause"] == "-china"


def test_why_not_a_dropped_word_does_not_exclude(admin: FlaskClient) -> None:
    """After relaxation, the words dropped are not what keeps an article out."""
    data = explain(admin, q="tariffs zzqx", slug="sony-playstation-price-hike-tariffs")
    why = data["why_not"]
    assert why["matched"] is True and why["excluded_by"] == []
    assert any(m.get("term") == "zzqx" for m in why["missing_terms"])


def test_why_not_an_unknown_slug(admin: FlaskClient) -> None:
    why = explain(admin, q="tariffs", slug="no-such-article")["why_not"]
    assert (why["exists"], why["matched"]) == (False, False)
    assert why["excluded_by"][0]["kind"] == "not_indexed"


# --- the endpoint ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x", "hits": "ten"}, "hits must be a whole number"),
        ({"q": "x", "hits": "51"}, "hits must be between"),
        ({"q": "x" * 600}, "at most 512"),
        ({"q": "x", "sort": "best"}, "sort must be one of"),
    ],
)
def test_bad_parameters_are_400(admin: FlaskClient, params: dict[str, str], message: str) -> None:
    response = admin.get("/admin/explain", query_string=params, headers=AUTH)
    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_explain_needs_the_token(admin: FlaskClient) -> None:
    assert admin.get("/admin/explain?q=x").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert admin.get("/admin/explain?q=x", headers=wrong).status_code == 401


def test_each_correction_is_listed_with_its_distance_and_why(admin: FlaskClient) -> None:
    fixes = [e for e in explain(admin, q="nvdia")["expansions"] if e["kind"] == "correction"]
    assert [(f["written"], f["searched"], f["distance"]) for f in fixes] == [
        ("nvdia", "nvidia", 1),
        ("nvdia", "nvda", 1),
    ]
    assert all(f["documents"] > 0 for f in fixes)
    assert "closest indexed word (1 typo of 1 allowed)" in fixes[0]["why"]
    assert "the reader may have meant either" in fixes[1]["why"]


def test_a_hit_found_through_a_completion_shows_it_in_its_breakdown(admin: FlaskClient) -> None:
    hits = explain(admin, q="nvid")["hits"]
    kinds = {part["kind"] for hit in hits for part in hit["breakdown"]}
    assert "completion" in kinds
    for hit in hits:  # the parts still add up to the score
        assert sum(p["value"] for p in hit["breakdown"]) == pytest.approx(hit["score"], abs=1e-3)
