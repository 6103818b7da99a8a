"""GET|POST /admin/analyze, GET /admin/documents/<slug>, GET /admin/stats, and the analysis
explanation behind /admin/analyze (indexing.replay.explain_analysis).

Read-only tests run over the session's seed index; the ones that reindex build their own
index of a copy of seeds/ in tmp_path.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from searchsvc import create_app
from searchsvc.admin.analyze import MAX_TEXT_BYTES
from searchsvc.errors import BadParameter
from searchsvc.indexing.analysis import (
    STOP_WORDS,
    VALUE_SEPARATOR,
    TextAnalyzer,
    query_terms,
)
from searchsvc.indexing.build import build_index
from searchsvc.indexing.replay import analyzable_fields, describe_analyzer, explain_analysis
from searchsvc.indexing.schema import SCHEMA_VERSION, build_schema
from searchsvc.ingest.articles import Article
from tests.conftest import AUTH, SEEDS, TOKEN, error_of, write_article

SCHEMA = build_schema()
SEED_COUNT = len(list(SEEDS.glob("*.md")))
NVIDIA = "nvidia-h20-export-controls-china-chip-sales"
# fields read as values, one per line (what /admin/analyze decides by the analyzer too)
VALUE_FIELDS = tuple(
    f for f in analyzable_fields() if describe_analyzer(f).name == "ValuesAnalyzer"
)
TEXT_FIELDS = ("author", "body", "category", "excerpt", "keywords", "tags", "title")


def admin_app(index_dir: Path, content_dir: Path = SEEDS, **config: Any) -> Flask:
    return create_app(
        {
            "INDEX_DIR": index_dir,
            "CONTENT_DIR": content_dir,
            "TESTING": True,
            "ADMIN_TOKEN": TOKEN,
            **config,
        }
    )


def indexer_terms(field: str, text: str) -> list[str]:
    """What the schema's analyzer yields for text: the terms the indexer writes."""
    return [t.text for t in SCHEMA[field].analyzer(text)]


def analyze(client: FlaskClient, field: str, text: str) -> dict[str, Any]:
    response = client.post("/admin/analyze", json={"field": field, "text": text}, headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


# --- auth --------------------------------------------------------------------------------

REQUESTS = [
    ("GET", "/admin/analyze?field=title&text=Nvidia"),
    ("POST", "/admin/analyze"),
    ("GET", f"/admin/documents/{NVIDIA}"),
    ("GET", "/admin/documents/no-such-article"),
    ("GET", "/admin/stats"),
]


@pytest.mark.parametrize(("method", "url"), REQUESTS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}],
    ids=["no-token", "wrong-token", "not-bearer"],
)
def test_every_endpoint_needs_the_token(
    admin: FlaskClient, method: str, url: str, headers: dict[str, str]
) -> None:
    response = admin.open(url, method=method, json={"field": "title", "text": "x"}, headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="searchsvc admin"')
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("method", "url"), REQUESTS)
def test_every_endpoint_is_off_without_an_admin_token(
    seed_index: Path, method: str, url: str
) -> None:
    client = create_app({"INDEX_DIR": seed_index, "TESTING": True}).test_client()
    response = client.open(url, method=method, json={"field": "title", "text": "x"}, headers=AUTH)
    error_of(response, 404, "admin_disabled")


@pytest.mark.parametrize(("method", "url"), REQUESTS[:3] + REQUESTS[4:])
def test_authorised_answers_are_not_cached(admin: FlaskClient, method: str, url: str) -> None:
    response = admin.open(url, method=method, json={"field": "title", "text": "x"}, headers=AUTH)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


# --- explain_analysis --------------------------------------------------------------------


def test_explain_shows_each_step_from_the_word_as_written_to_the_term() -> None:
    text = "The CEO's Nestlé shares’ rally at AT&T"
    steps = [
        (s.text, s.position, s.normalized, s.stopword, s.term, s.dropped, s.filters)
        for s in explain_analysis("body", text)
    ]
    assert steps == [
        ("The", None, "the", True, None, "stop word", ("lowercase", "stop")),
        ("CEO's", 0, "ceo", False, "ceo", None, ("lowercase", "possessive")),
        ("Nestlé", 1, "nestle", False, "nestl", None, ("lowercase", "fold", "stem")),
        ("shares", 2, "shares", False, "share", None, ("stem",)),
        ("rally", 3, "rally", False, "ralli", None, ("stem",)),
        ("at", None, "at", True, None, "stop word", ("stop",)),
        ("AT&T", 4, "at&t", False, "at&t", None, ("lowercase",)),
    ]
    assert [s.term for s in explain_analysis("body", text) if s.term] == query_terms(text)


def test_explain_spelling_keeps_each_plain_word_once() -> None:
    steps = explain_analysis("spelling", "Rally rally the 42 ab Zürich")
    assert [(s.text, s.term, s.dropped) for s in steps] == [
        ("Rally", "rally", None),
        ("rally", None, "repeat"),
        ("the", None, "stop word"),
        ("42", None, "number"),
        ("ab", None, "too short"),
        ("Zürich", "zurich", None),
    ]
    assert all(s.position is None for s in steps)  # the field records no positions


def test_explain_values_keeps_them_as_written() -> None:
    text = f" AI Infrastructure {VALUE_SEPARATOR}{VALUE_SEPARATOR}TSMC"
    steps = explain_analysis("tag_value", text)
    assert [(s.text, s.term, s.position, s.filters) for s in steps] == [
        ("AI Infrastructure", "AI Infrastructure", 0, ("strip",)),
        ("TSMC", "TSMC", 2, ()),
    ]
    assert [text[s.start : s.end] for s in steps] == ["AI Infrastructure", "TSMC"]


def test_explain_id_fields_index_the_whole_value() -> None:
    steps = explain_analysis("slug", "some-slug")
    assert [(s.text, s.term, s.position, s.start, s.end) for s in steps] == [
        ("some-slug", "some-slug", 0, 0, 9)
    ]


@pytest.mark.parametrize("field", ["doc", "nope", "", "Title"])
def test_explain_refuses_fields_that_are_not_indexed(field: str) -> None:
    with pytest.raises(BadParameter, match="body.*title"):
        explain_analysis(field, "text")


def test_analyzer_descriptions() -> None:
    assert describe_analyzer("title").filters == (
        "words",
        "lowercase",
        "fold",
        "possessive",
        "apostrophe",
        "stop",
        "stem",
    )
    assert describe_analyzer("title").positions
    assert describe_analyzer("spelling").name == "PlainWordAnalyzer"
    assert not describe_analyzer("tickers").positions
    assert set(analyzable_fields()) == set(SCHEMA.names()) - {"doc", "body_marks"}  # stored only


# Words built to hit every branch: case, accents, both apostrophes, possessives, joiners,
# digits, stop words, underscores, the value separator and letters that lowercase to two.
WORDS = st.sampled_from(
    [
        *sorted(STOP_WORDS),
        "Nvidia's",
        "Alibaba’s",
        "NESTLÉ",
        "Zürich",
        "AT&T",
        "S&P",
        "BRK.B",
        "9988.HK",
        "3.5",
        "running",
        "runs",
        "İstanbul",
        "straße",
        "_em_",
        "snake_case",
        "a's",
        "rock'n'roll",
        "42",
        "ab",
        "US",
        "€",
        "—",
        "'",
        "\x1f",
        "\n",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=60),
    st.lists(WORDS | st.text(max_size=8), max_size=20).map(" ".join),
    st.lists(WORDS, max_size=12).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(analyzable_fields()), text=TEXTS)
def test_explained_terms_are_what_the_indexer_writes(field: str, text: str) -> None:
    steps = explain_analysis(field, text)
    terms = [s.term for s in steps if s.term is not None]
    indexed = indexer_terms(field, text)
    if field == "spelling":  # its analyzer yields each distinct word once, sorted
        assert sorted(terms) == indexed and len(set(terms)) == len(terms)
    else:
        assert terms == indexed
    for step in steps:
        assert step.text == text[step.start : step.end]
        assert (step.term is None) == (step.dropped is not None)
        if step.stopword:
            assert step.term is None and step.normalized in STOP_WORDS
    if field in TEXT_FIELDS:
        tokens = TextAnalyzer()(text, positions=True, chars=True)
        assert [(s.term, s.position, s.start, s.end) for s in steps if s.term] == [
            (t.text, t.pos, t.startchar, t.endchar) for t in tokens
        ]


# --- /admin/analyze ----------------------------------------------------------------------

ANALYZE_CASES = [
    # (field, text, terms)
    ("title", "Nvidia's record earnings", ["nvidia", "record", "earn"]),
    ("body", "The state of the art", ["state", "art"]),
    ("body", "the of and", []),
    ("body", "", []),
    ("excerpt", "Nestlé in Zürich", ["nestl", "zurich"]),
    ("tags", "Alibaba’s cloud", ["alibaba", "cloud"]),
    ("keywords", "AT&T and S&P 500", ["at&t", "s&p", "500"]),
    ("body", "BRK.B and 9988.HK rose 3.5%", ["brk.b", "9988.hk", "rose", "3.5"]),
    ("author", "Marco Grima", ["marco", "grima"]),
    ("category", "Artificial Intelligence", ["artifici", "intellig"]),
    ("body", "**bold** _em_ snake_case", ["bold", "em", "snake", "case"]),
    ("spelling", "Rally rally the 42 ab growth", ["growth", "rally"]),
    ("tickers", "NVDA", ["NVDA"]),
    ("tickers", "NVDA\nBRK.B\n", ["NVDA", "BRK.B"]),  # one value per line
    ("tag_value", "AI Infrastructure\n  Chip Exports  ", ["AI Infrastructure", "Chip Exports"]),
    ("author_value", "David Chen", ["David Chen"]),
    ("published", "2025-04-16", ["2025-04-16"]),
    ("year", "", []),
    ("slug", NVIDIA, [NVIDIA]),
]


@pytest.mark.parametrize(("field", "text", "terms"), ANALYZE_CASES)
def test_analyze(admin: FlaskClient, field: str, text: str, terms: list[str]) -> None:
    body = analyze(admin, field, text)
    assert list(body) == ["field", "analyzer", "tokens", "terms"]
    assert body["field"] == field
    info = describe_analyzer(field)
    assert body["analyzer"]["name"] == info.name
    assert body["analyzer"]["filters"] == list(info.filters)
    assert body["terms"] == terms
    as_indexed = text.replace("\n", VALUE_SEPARATOR) if field in VALUE_FIELDS else text
    assert body["terms"] == indexer_terms(field, as_indexed)
    for token in body["tokens"]:
        assert set(token) == {
            "text",
            "position",
            "start",
            "end",
            "normalized",
            "stopword",
            "term",
            "dropped",
            "filters",
        }
        assert token["text"] == text[token["start"] : token["end"]]
    if field in TEXT_FIELDS:
        kept = [t for t in body["tokens"] if t["term"] is not None]
        assert [t["position"] for t in kept] == list(range(len(kept)))


def test_analyze_reports_stop_words_with_no_position(admin: FlaskClient) -> None:
    tokens = analyze(admin, "title", "The Fed and the Banks")["tokens"]
    assert [(t["text"], t["stopword"], t["position"], t["term"]) for t in tokens] == [
        ("The", True, None, None),
        ("Fed", False, 0, "fed"),
        ("and", True, None, None),
        ("the", True, None, None),
        ("Banks", False, 1, "bank"),
    ]


def test_get_post_json_and_post_form_agree(admin: FlaskClient) -> None:
    text = "Nvidia’s H20 export controls & AMD"
    by_get = admin.get("/admin/analyze", query_string={"field": "body", "text": text}, headers=AUTH)
    by_form = admin.post("/admin/analyze", data={"field": "body", "text": text}, headers=AUTH)
    assert by_get.status_code == by_form.status_code == 200
    assert by_get.get_json() == by_form.get_json() == analyze(admin, "body", text)


def test_analyze_agrees_with_the_index_for_every_seed_title(admin: FlaskClient) -> None:
    for path in sorted(SEEDS.glob("*.md")):
        doc = admin.get(f"/admin/documents/{path.stem}", headers=AUTH).get_json()
        title = doc["stored"]["title"]
        terms = analyze(admin, "title", title)["terms"]
        assert sorted(set(terms)) == sorted(doc["fields"]["title"]["terms"]), path.name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(analyzable_fields()), text=TEXTS)
@example(field="unknown_symbols", text="0\n0")  # found by CI: every value field, one per line
def test_analyze_endpoint_agrees_with_the_indexer(
    admin: FlaskClient, field: str, text: str
) -> None:
    body = analyze(admin, field, text)
    as_indexed = text.replace("\n", VALUE_SEPARATOR) if field in VALUE_FIELDS else text
    indexed = indexer_terms(field, as_indexed)
    assert body["terms"] == indexed


@pytest.mark.parametrize(
    ("request_kwargs", "fragment"),
    [
        ({"query_string": {"field": "nope", "text": "x"}}, "unknown field 'nope'"),
        ({"query_string": {"field": "doc", "text": "x"}}, "unknown field 'doc'"),
        ({"query_string": {"text": "x"}}, "field is required"),
        ({"query_string": {"field": "", "text": "x"}}, "field is required"),
        ({"query_string": {"field": "title"}}, "text is required"),
        ({"method": "POST", "json": {"field": "title"}}, "text is required"),
        ({"method": "POST", "json": {"field": "title", "text": 3}}, "text must be a string"),
        ({"method": "POST", "json": {"field": ["title"], "text": "x"}}, "field must be a"),
        ({"method": "POST", "json": ["title", "x"]}, "must be an object"),
        ({"method": "POST", "json": {"field": "title", "text": "x", "q": 1}}, "unknown field"),
        (
            {"method": "POST", "data": b"{nope", "content_type": "application/json"},
            "not valid JSON",
        ),
        (
            {"method": "POST", "json": {"field": "body", "text": "x" * (MAX_TEXT_BYTES + 1)}},
            f"at most {MAX_TEXT_BYTES}",
        ),
        (
            # the limit is in UTF-8 bytes, not characters
            {"method": "POST", "json": {"field": "body", "text": "é" * (MAX_TEXT_BYTES // 2 + 1)}},
            "bytes",
        ),
    ],
)
def test_analyze_refuses_bad_requests(
    admin: FlaskClient, request_kwargs: dict[str, Any], fragment: str
) -> None:
    kwargs = {"method": "GET", **request_kwargs}
    response = admin.open("/admin/analyze", headers=AUTH, **kwargs)
    message = error_of(response, 400, "bad_parameter")["message"]
    assert fragment in message


def test_unknown_field_lists_the_valid_ones(admin: FlaskClient) -> None:
    response = admin.get("/admin/analyze?field=titel&text=x", headers=AUTH)
    message = error_of(response, 400, "bad_parameter")["message"]
    assert all(field in message for field in analyzable_fields())


def test_text_at_the_limit_is_analysed(admin: FlaskClient) -> None:
    body = analyze(admin, "body", "ab " * (MAX_TEXT_BYTES // 3))
    assert len(body["terms"]) == MAX_TEXT_BYTES // 3


# --- /admin/documents/<slug> -------------------------------------------------------------


def test_document(admin: FlaskClient) -> None:
    response = admin.get(f"/admin/documents/{NVIDIA}", headers=AUTH)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == [
        "slug",
        "docnum",
        "generation",
        "indexed_at",
        "source_path",
        "content_hash",
        "tickers",
        "unknown_symbols",
        "stored",
        "fields",
        "terms_source",
    ]
    health = admin.get("/healthz").get_json()
    assert body["slug"] == NVIDIA
    assert isinstance(body["docnum"], int)
    assert body["generation"] == health["index_generation"]
    # when this document was indexed; the run that made the generation finished later
    assert body["indexed_at"] == body["stored"]["indexed_at"] <= health["indexed_at"]
    source = SEEDS / f"{NVIDIA}.md"
    assert body["source_path"] == source.name
    assert body["content_hash"] == hashlib.sha256(source.read_bytes()).hexdigest()

    # every stored field
    article_fields = set(Article.__dataclass_fields__) - {"body_text"}
    expected = article_fields | {"body", "tickers", "unknown_symbols", "indexed_at"}
    assert set(body["stored"]) == expected
    assert body["stored"]["title"] == "New Export Controls Hit Nvidia's China Chip Sales"
    assert body["stored"]["tags"] == ["Chip Exports", "Export Controls", "NVIDIA"]

    # tickers with where they were found
    tickers = {t["symbol"]: t for t in body["tickers"]}
    assert tickers["NVDA"]["role"] == "primary"
    assert {"title", "body"} <= set(tickers["NVDA"]["places"])
    assert tickers["NVDA"]["count"] >= 2 and "Nvidia" in tickers["NVDA"]["matched"]
    assert "AMD" in tickers
    assert body["tickers"] == body["stored"]["tickers"]

    # indexed terms, every indexed field
    fields = body["fields"]
    assert set(fields) == set(analyzable_fields())
    title = fields["title"]
    assert set(title) == {"analyzer", "terms", "distinct", "length", "indexed_length"}
    assert {"nvidia", "export", "control", "china", "chip", "sale"} <= set(title["terms"])
    assert title["length"] == sum(title["terms"].values()) == 8
    assert title["distinct"] == len(title["terms"])
    assert fields["body"]["terms"]["nvidia"] >= 3
    frequencies = list(fields["body"]["terms"].values())
    assert frequencies == sorted(frequencies, reverse=True)  # most frequent first
    assert fields["tickers"]["terms"]["NVDA"] == 10  # a primary ticker weighs 10
    assert fields["tag_value"]["terms"] == {"Chip Exports": 1, "Export Controls": 1, "NVIDIA": 1}
    assert fields["slug"]["terms"] == {NVIDIA: 1}
    fingerprint = f"{source.name}\t{body['content_hash']}\t{NVIDIA}"
    assert fields["fingerprint"]["terms"] == {fingerprint: 1}
    assert fields["year"]["terms"] == {"2025": 1}
    assert "length" not in fields["spelling"]  # not a scored field

    source_info = body["terms_source"]
    assert source_info["verified"] is True and source_info["mismatches"] == []
    assert source_info["terms_checked"] == sum(f["distinct"] for f in fields.values())
    assert "re-analysed" in source_info["method"]


def test_every_seed_document_agrees_with_the_index(admin: FlaskClient) -> None:
    for path in sorted(SEEDS.glob("*.md")):
        body = admin.get(f"/admin/documents/{path.stem}", headers=AUTH).get_json()
        assert body["terms_source"]["verified"], (path.name, body["terms_source"])
        assert body["source_path"] == path.name


@pytest.mark.parametrize("slug", ["no-such-article", "a/b", NVIDIA + "x"])
def test_unknown_document_is_404(admin: FlaskClient, slug: str) -> None:
    response = admin.get(f"/admin/documents/{slug}", headers=AUTH)
    message = error_of(response, 404, "not_found")["message"]
    assert repr(slug) in message


# --- /admin/stats ------------------------------------------------------------------------


def test_stats(admin: FlaskClient, seed_index: Path) -> None:
    response = admin.get("/admin/stats", headers=AUTH)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == [
        "documents",
        "deleted_documents",
        "generation",
        "schema_version",
        "indexed_at",
        "segments",
        "fields",
        "field_stats",
        "live_dir",
        "size_bytes",
        "last_report",
        "pending",
    ]
    health = admin.get("/healthz").get_json()
    assert body["documents"] == SEED_COUNT == health["documents"]
    assert body["deleted_documents"] == 0
    assert body["generation"] == health["index_generation"]
    assert body["schema_version"] == SCHEMA_VERSION
    assert body["indexed_at"] == health["indexed_at"]
    assert body["segments"] >= 1
    assert body["live_dir"].startswith("live-") and (seed_index / body["live_dir"]).is_dir()
    sizes = body["size_bytes"]
    assert 0 < sizes["live"] < sizes["index_dir"]
    report = body["last_report"]
    assert report["documents"] == SEED_COUNT and report["errors"] == []
    assert report["finished_at"] == health["last_reindex_at"]
    assert body["pending"] == []

    fields = body["fields"]
    assert set(fields) == set(analyzable_fields())
    assert all(set(f) == {"terms", "postings", "tokens"} for f in fields.values())
    assert fields["slug"] == {"terms": SEED_COUNT, "postings": SEED_COUNT, "tokens": None}
    assert fields["fingerprint"]["terms"] == SEED_COUNT
    # one value per dated document (one seed has no date)
    assert fields["year"]["postings"] == fields["published"]["postings"] == SEED_COUNT - 1
    assert 0 < fields["title"]["terms"] <= fields["title"]["postings"] <= fields["title"]["tokens"]
    assert fields["body"]["terms"] > fields["title"]["terms"]
    assert fields["tickers"]["terms"] > 0 and fields["tickers"]["tokens"] is None


def test_stats_agree_with_the_documents(admin: FlaskClient) -> None:
    """Terms and postings per field, recounted from every seed document's indexed terms."""
    stats = admin.get("/admin/stats", headers=AUTH).get_json()["fields"]
    terms: dict[str, set[str]] = {f: set() for f in stats}
    postings = dict.fromkeys(stats, 0)
    tokens = dict.fromkeys(stats, 0)
    for path in SEEDS.glob("*.md"):
        doc = admin.get(f"/admin/documents/{path.stem}", headers=AUTH).get_json()
        for name, field in doc["fields"].items():
            terms[name] |= set(field["terms"])
            postings[name] += field["distinct"]
            tokens[name] += field.get("length", 0)
    for name, counted in stats.items():
        assert counted["terms"] == len(terms[name]), name
        assert counted["postings"] == postings[name], name
        assert counted["tokens"] == (tokens[name] if SCHEMA[name].scorable else None), name


def test_field_stats_are_computed_once_per_generation(admin: FlaskClient) -> None:
    first = admin.get("/admin/stats", headers=AUTH).get_json()
    second = admin.get("/admin/stats", headers=AUTH).get_json()
    assert second["field_stats"]["cached"] is True
    assert second["fields"] == first["fields"]
    assert second["field_stats"]["computed_ms"] == first["field_stats"]["computed_ms"] >= 0


def test_stats_follow_a_reindex(tmp_path: Path, content_dir: Path) -> None:
    index_dir = tmp_path / "index"
    build_index(content_dir, index_dir, workers=1)
    app = admin_app(index_dir, content_dir, REFRESH_SECONDS=0)
    client = app.test_client()
    before = client.get("/admin/stats", headers=AUTH).get_json()
    assert before["field_stats"]["cached"] is False

    write_article(
        content_dir,
        "zyxwv.md",
        "---\nslug: zyxwv\ntitle: Quokka census\npublishedAt: 2025-10-01\n---\n\nQuokkas.\n",
    )
    write_article(content_dir, "broken.md", "---\ntitle: [unclosed\n---\nbody\n")
    edited = content_dir / f"{NVIDIA}.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
    build_index(content_dir, index_dir, workers=1)

    after = client.get("/admin/stats", headers=AUTH).get_json()
    health = client.get("/healthz").get_json()
    assert after["generation"] == health["index_generation"] > before["generation"]
    assert after["field_stats"]["cached"] is False  # a new generation counts again
    assert after["documents"] == before["documents"] + 1
    # the edited article's old version, until a merge drops it
    assert after["deleted_documents"] in (0, 1)
    assert after["fields"]["slug"]["terms"] == before["fields"]["slug"]["terms"] + 1
    assert after["fields"]["spelling"]["terms"] >= before["fields"]["spelling"]["terms"] + 2
    assert [e["path"] for e in after["last_report"]["errors"]] == ["broken.md"]
    assert after["pending"] == ["broken.md"]

    doc = client.get("/admin/documents/zyxwv", headers=AUTH).get_json()
    assert doc["generation"] == after["generation"]
    assert doc["fields"]["title"]["terms"] == {"quokka": 1, "census": 1}
    assert doc["terms_source"]["verified"]
    edited_doc = client.get(f"/admin/documents/{NVIDIA}", headers=AUTH).get_json()
    assert edited_doc["terms_source"]["verified"]
    assert "edit" in edited_doc["fields"]["body"]["terms"]
    app.extensions["searchsvc"].handle.close()
