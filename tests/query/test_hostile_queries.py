"""Fuzz the API with what issue 9 found breaking it: long and CJK queries, prefix bombs,
a 4.8 MB article, slugs of every shape, links out of the content folder. Every answer is
JSON, none is a 5xx, and highlights stay short whatever the article's size."""

from __future__ import annotations

import html
import shutil
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchsvc import create_app
from searchsvc.indexing.build import build_index
from searchsvc.query.request import MAX_QUERY_LENGTH
from tests.conftest import SEEDS

# every test reads the module's index, and indexing its 4.8 MB article takes seconds
pytestmark = pytest.mark.slow

HUGE_BYTES = 4_800_000
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    root = tmp_path_factory.mktemp("hostile-queries")
    content = root / "content"
    shutil.copytree(SEEDS, content)
    words = ("ab alpha abacus beta ab gamma nvidia ab earnings " * 120_000)[:HUGE_BYTES]
    (content / "huge.md").write_text(f"---\ntitle: A huge article\n---\n{words}\n")
    (root / "secret.md").write_text("---\ntitle: Secret\n---\nzqsecret\n")
    (content / "leak.md").symlink_to(root / "secret.md")
    (content / "evil.md").write_text('---\ntitle: Evil\nslug: "../../etc/passwd"\n---\nx\n')
    build_index(content, root / "index", workers=1)
    app = create_app({"INDEX_DIR": root / "index", "CONTENT_DIR": content, "TESTING": True})
    return app.test_client()


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
PREFIX_BOMB = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=3).map(lambda w: w + "*"),
    min_size=1,
    max_size=170,
).map(" ".join)
QUERIES = st.one_of(
    st.text(alphabet=CJK, max_size=MAX_QUERY_LENGTH),
    PREFIX_BOMB,
    st.lists(st.sampled_from(["ab", "alpha", '"ab alpha"', "nvidia", "-beta", "OR", "ab*"])).map(
        " ".join
    ),
    st.text(max_size=MAX_QUERY_LENGTH),
).map(lambda q: q[:MAX_QUERY_LENGTH])


def check_answer(body: dict[str, object]) -> None:
    hits = body["hits"]
    assert isinstance(hits, list)
    for hit in hits:
        for text in hit["highlights"].values():
            assert len(text) < 1_000  # a passage, never the 4.8 MB article


TYPO_WORDS = st.sampled_from(["nvdia", "nivdia", "earnigns", "alhpa", "abacsu", "semicondutor"])
# misspelt words and words cut short, mixed with the rest: typos and completions on
FORGIVEN = st.lists(TYPO_WORDS | st.sampled_from(["ab", "alp", "nvid", "gam", "x"]) | QUERIES).map(
    lambda parts: " ".join(parts)[:MAX_QUERY_LENGTH]
)


@FUZZ
@given(
    q=QUERIES | FORGIVEN,
    match=st.sampled_from(["all", "any"]),
    per_page=st.sampled_from([10, 50]),
    typos=st.sampled_from(["auto", "0", "1", "2"]),
    prefix=st.sampled_from(["last", "none"]),
)
def test_no_query_fails_or_returns_a_huge_highlight(
    client: FlaskClient, q: str, match: str, per_page: int, typos: str, prefix: str
) -> None:
    body = {"q": q, "match": match, "per_page": per_page, "typos": typos, "prefix": prefix}
    response = client.post("/api/search", json=body)  # POST: any 512 characters fit
    assert response.status_code == 200, (q, response.get_json())
    answer = response.get_json()
    check_answer(answer)
    assert isinstance(answer["limits"], list)
    assert all(set(c) == {"from", "to"} for c in answer["corrections"])


@FUZZ
@given(q=QUERIES | FORGIVEN, limit=st.integers(1, 20))
def test_no_suggestion_request_fails_or_leaks_markup(
    client: FlaskClient, q: str, limit: int
) -> None:
    response = client.get("/api/suggest", query_string={"q": q, "limit": limit})
    assert response.status_code == 200, (q, response.get_json())
    answer = response.get_json()
    assert len(answer["suggestions"]) <= limit
    for item in answer["suggestions"]:
        # HTML-safe: the only markup is <mark>, and without it the text is the escaped text
        bare = item["highlighted"].replace("<mark>", "").replace("</mark>", "")
        assert "<" not in bare and bare == html.escape(item["text"])


def test_the_huge_article_is_found_and_highlighted_briefly(client: FlaskClient) -> None:
    for q in ("ab", "abacus gamma", "ab* alpha*"):
        answer = client.get("/api/search", query_string={"q": q, "per_page": 50}).get_json()
        assert "huge" in [hit["slug"] for hit in answer["hits"]], q
        check_answer(answer)


def test_a_prefix_bomb_says_which_limit_cut_it(client: FlaskClient) -> None:
    q = " ".join(f"{c}*" for c in "abcdefghijklmnopqrstuvwxyz" * 6)
    answer = client.post("/api/search", json={"q": q}).get_json()
    assert {limit["code"] for limit in answer["limits"]} >= {"prefix_too_short"}


SLUG_PIECES = st.sampled_from(
    ["..", ".", "/", "//", "%2e%2e", "%00", "<script>", "a", "é", "?", "#"]
)


@FUZZ
@given(st.lists(SLUG_PIECES | st.text(max_size=5), max_size=12).map("".join))
def test_no_slug_fails_or_leaks(client: FlaskClient, slug: str) -> None:
    response = client.get("/api/articles/" + quote(slug, safe="/%"))
    assert response.status_code in (200, 404), slug
    body = response.get_json()
    assert body is not None
    if response.status_code == 200:
        assert body["slug"] not in ("leak", "../../etc/passwd")
        assert "zqsecret" not in body["body_text"]


@pytest.mark.parametrize("slug", ["leak", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "evil"])
def test_links_and_bad_slugs_are_not_served(client: FlaskClient, slug: str) -> None:
    assert client.get(f"/api/articles/{slug}").status_code == 404
    assert client.get("/api/search", query_string={"q": "zqsecret"}).get_json()["total"] == 0


def test_the_contract_limit_on_q_holds_for_post_too(client: FlaskClient) -> None:
    response = client.post("/api/search", json={"q": "x" * (MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 400


def test_the_suggestion_of_a_full_length_query_does_not_fail_it(client: FlaskClient) -> None:
    q = "x" * 505 + " revnue"
    assert client.get("/api/search", query_string={"q": q}).status_code == 200
