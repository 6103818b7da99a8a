"""Synonyms in searches: what a rule adds, how it ranks, what explain and /admin/synonyms
show, and a file reloaded with no reindex."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from searchsvc import create_app
from searchsvc.indexing.build import build_index
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import SearchResults
from searchsvc.query.search import search
from searchsvc.query.synonyms import parse_synonyms
from tests.conftest import article_text, write_article

AUTH = {"Authorization": "Bearer s3cret"}
ARTICLES = {
    "hbm-as-acronym": ("Samsung HBM4 ships", "HBM4 stacks ship to Nvidia. HBM demand is high."),
    "hbm-spelt-out": ("Memory makers", "Demand for high bandwidth memory keeps rising."),
    "centre": ("A data centre in Leeds", "The data centre opens in spring."),
    "center": ("A data center in Texas", "The data center opens in spring."),
    "words-apart": ("High hopes", "Bandwidth is low; memory is cheap; hopes are high."),
}
RULES = "hbm, high bandwidth memory\ncentre, center\nfed => federal reserve\n"


def run(handle: IndexHandle, q: str, rules: str = RULES, **options: str) -> SearchResults:
    synonyms = parse_synonyms(rules, "test.txt")
    return search(handle, SearchRequest(q=q, **options), synonyms=synonyms)  # type: ignore[arg-type]


def slugs(results: SearchResults) -> list[str]:
    return [hit.doc["slug"] for hit in results.hits]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synonyms")
    for slug, (title, body) in ARTICLES.items():
        write_article(root / "content", f"{slug}.md", article_text(body, title=title, slug=slug))
    build_index(root / "content", root / "index", full=True)
    return root / "index"


@pytest.fixture(scope="module")
def handle(index_dir: Path) -> IndexHandle:
    return IndexHandle.open(index_dir)


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("hbm", {"hbm-as-acronym", "hbm-spelt-out"}),
        ("high bandwidth memory", {"hbm-as-acronym", "hbm-spelt-out", "words-apart"}),
        ("data centre", {"centre", "center"}),
        ("data center", {"centre", "center"}),
    ],
)
def test_a_rule_finds_the_other_entries(handle: IndexHandle, q: str, found: set[str]) -> None:
    assert set(slugs(run(handle, q, prefix="none"))) == found


def test_without_the_rule_only_the_words_as_typed(handle: IndexHandle) -> None:
    assert slugs(run(handle, "hbm", rules="", prefix="none")) == ["hbm-as-acronym"]
    assert slugs(run(handle, "data centre", rules="", prefix="none")) == ["centre"]


@pytest.mark.parametrize(
    ("q", "first"),
    [("hbm", "hbm-as-acronym"), ("data centre", "centre"), ("data center", "center")],
)
def test_the_words_as_typed_rank_above_their_synonyms(
    handle: IndexHandle, q: str, first: str
) -> None:
    assert slugs(run(handle, q, prefix="none"))[0] == first


def test_a_phrase_and_an_exclusion_stay_as_written(handle: IndexHandle) -> None:
    assert slugs(run(handle, '"data centre"', prefix="none")) == ["centre"]
    assert set(slugs(run(handle, "data -centre", prefix="none"))) == {"center"}


def test_one_way_rules_work_one_way(handle: IndexHandle) -> None:
    rules = "centre => center\n"
    assert set(slugs(run(handle, "centre", rules=rules, prefix="none"))) == {"centre", "center"}
    assert slugs(run(handle, "center", rules=rules, prefix="none")) == ["center"]


def test_a_synonym_is_highlighted(handle: IndexHandle) -> None:
    hits = {h.doc["slug"]: h for h in run(handle, "hbm", prefix="none").hits}
    assert (
        "<mark>high</mark> <mark>bandwidth</mark> <mark>memory</mark>"
        in (hits["hbm-spelt-out"].highlights["body"])
    )


# --- the service ------------------------------------------------------------------------------


@pytest.fixture
def synonyms_file(tmp_path: Path) -> Path:
    path = tmp_path / "synonyms.txt"
    path.write_text("hbm, high bandwidth memory\n", encoding="utf-8")
    return path


@pytest.fixture
def admin(index_dir: Path, synonyms_file: Path) -> FlaskClient:
    app = create_app(
        {
            "INDEX_DIR": index_dir,
            "ADMIN_TOKEN": "s3cret",
            "SYNONYMS_FILE": synonyms_file,
            "QUERY_LOG": False,
            "TESTING": True,
        }
    )
    app.extensions["searchsvc"].synonyms.check_interval = 0
    return app.test_client()


def total(client: FlaskClient, q: str) -> int:
    body = client.get("/api/search", query_string={"q": q, "prefix": "none"}).get_json()
    return int(body["total"])


def test_admin_synonyms_lists_the_rules_in_force(admin: FlaskClient, synonyms_file: Path) -> None:
    body = admin.get("/admin/synonyms", headers=AUTH).get_json()
    assert body["path"] == str(synonyms_file) and body["reload_error"] is None
    assert [r["text"] for r in body["rules"]] == ["hbm, high bandwidth memory"]
    assert admin.get("/admin/synonyms").status_code == 401


def test_the_file_is_reloaded_when_it_changes_with_no_reindex(
    admin: FlaskClient, synonyms_file: Path
) -> None:
    assert total(admin, "data centre") == 1
    synonyms_file.write_text("centre, center\n", encoding="utf-8")
    os.utime(synonyms_file, ns=(1, 10**18))  # a new stamp, whatever the clock's resolution
    assert total(admin, "data centre") == 2
    assert total(admin, "hbm") == 1  # that rule is gone
    synonyms_file.write_text("a, =>\n", encoding="utf-8")  # a bad edit keeps the rules
    os.utime(synonyms_file, ns=(1, 2 * 10**18))
    assert total(admin, "data centre") == 2
    error = admin.get("/admin/synonyms", headers=AUTH).get_json()["reload_error"]
    assert "line 1" in error


def test_explain_shows_the_synonym_and_its_rule(admin: FlaskClient, synonyms_file: Path) -> None:
    body = admin.get("/admin/explain", query_string={"q": "hbm"}, headers=AUTH).get_json()
    used = [e for e in body["expansions"] if e["kind"] == "synonym"]
    assert used and used[0]["written"] == "hbm"
    assert used[0]["also"] == ['"high bandwidth memory"']
    assert used[0]["rule"] == {
        "line": 1,
        "text": "hbm, high bandwidth memory",
        "source": str(synonyms_file),
    }


def test_a_bad_synonyms_setting_stops_the_app(index_dir: Path, tmp_path: Path) -> None:
    from searchsvc.query.synonyms import BadSynonyms

    with pytest.raises(BadSynonyms, match="cannot read"):
        create_app({"INDEX_DIR": index_dir, "SYNONYMS_FILE": tmp_path / "missing.txt"})
