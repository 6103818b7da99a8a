"""Files that must not stop or leak through the indexer (issue 9): bad files among many in
worker processes, symbolic links out of the content folder, bad slugs, frontmatter with an
unquoted colon, and a site whose only article is broken."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc import create_app
from searchsvc.indexing import documents
from searchsvc.indexing import full as full_builds
from searchsvc.indexing.build import PARALLEL_MIN_FILES, build_index
from searchsvc.indexing.report import ReindexReport
from searchsvc.ingest.articles import ArticleError, parse_article, read_article
from searchsvc.ingest.slugs import MAX_SLUG_LENGTH, file_name_slug, slug_problem
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.search import search
from tests.conftest import TOKEN, article_text, write_article

SECRET = "zqoutsidesecret"


def article(title: str, body: str, **meta: str) -> str:
    return article_text(body, title=title, **meta)


def errors_of(report: ReindexReport) -> dict[str, str]:
    return {e.path: e.reason for e in report.errors}


def totals(index_dir: Path, *queries: str) -> dict[str, int]:
    handle = IndexHandle.open(index_dir)
    try:
        # prefix=none: "zqword7" as a word, not also the start of zqword70..79
        return {q: search(handle, SearchRequest(q=q, prefix="none")).total for q in queries}
    finally:
        handle.close()


# --- errors cross process boundaries as plain values --------------------------------------


def test_article_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(ArticleError("a/b.md", "bad YAML frontmatter")))
    assert (error.path, error.reason, str(error)) == (
        "a/b.md",
        "bad YAML frontmatter",
        "a/b.md: bad YAML frontmatter",
    )


BAD_FILES: dict[str, str | bytes] = {
    "zz.md": '---\ntitle: "x\n---\nb\n',  # the file: an unclosed quote
    "bad/latin1.md": "# Caf\xe9\n".encode("latin-1"),
    "bad/binary.md": b"# x\x00y\n",
    "bad/empty.md": "",
    "bad/slug.md": article("Bad slug", "body", slug="../../etc/passwd"),
}


def test_full_build_in_worker_processes_reports_bad_files(tmp_path: Path) -> None:
    content = tmp_path / "content"
    count = PARALLEL_MIN_FILES + 20
    for i in range(count):
        write_article(content, f"a/{i:04d}.md", article(f"Article {i}", f"zqword{i} shared body"))
    for relative, text in BAD_FILES.items():
        write_article(content, relative, text)
    report = build_index(content, tmp_path / "index", full=True, workers=2)
    assert set(errors_of(report)) == set(BAD_FILES)
    assert errors_of(report)["bad/slug.md"].startswith("bad slug '../../etc/passwd'")
    assert report.documents == count
    assert not list((tmp_path / "index").glob("build-*"))
    assert totals(tmp_path / "index", "zqword7", "shared") == {"zqword7": 1, "shared": count}


def test_a_failed_full_build_leaves_no_build_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_article(tmp_path / "content", "a.md", article("A", "body"))

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(full_builds, "scan_article_paths", broken)
    with pytest.raises(OSError, match="disk full"):
        build_index(tmp_path / "content", tmp_path / "index", full=True)
    assert not list((tmp_path / "index").glob("build-*"))


def test_a_killed_first_build_is_cleaned_up_by_the_next(tmp_path: Path) -> None:
    write_article(tmp_path / "content", "a.md", article("A", "body"))
    (tmp_path / "index" / "build-20250101T000000000000-1").mkdir(parents=True)
    build_index(tmp_path / "content", tmp_path / "index")
    assert not list((tmp_path / "index").glob("build-*"))


def test_an_unexpected_failure_is_one_files_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    write_article(content, "good.md", article("Good", "fine"))
    write_article(content, "odd.md", article("Odd", "zqtrigger"))
    real = documents.extract_tickers

    def extract(found: object, companies: object) -> object:
        if "zqtrigger" in getattr(found, "body_text", ""):
            raise RuntimeError("extractor bug")
        return real(found, companies)  # type: ignore[arg-type]

    monkeypatch.setattr(documents, "extract_tickers", extract)
    report = build_index(content, tmp_path / "index", workers=1)
    assert errors_of(report) == {"odd.md": "could not be indexed (RuntimeError: extractor bug)"}
    assert report.documents == 1


# --- symbolic links -----------------------------------------------------------------------


@pytest.fixture
def linked_site(tmp_path: Path) -> tuple[Path, Path]:
    """A content folder with links: to a file outside, to a folder outside, to a file inside."""
    outside = tmp_path / "outside"
    write_article(outside, "secret.md", article("Secret", f"{SECRET} root:x:0:0"))
    content = tmp_path / "content"
    write_article(content, "real.md", article("Real", "zqinside text"))
    (content / "x.md").symlink_to(outside / "secret.md")
    (content / "etc").symlink_to(outside, target_is_directory=True)
    (content / "alias.md").symlink_to(content / "real.md")
    return content, tmp_path / "index"


LINK_ERRORS = {
    "x.md": "symlink out of the content folder",
    "etc": "symlink to a folder (not followed)",
}


@pytest.mark.parametrize("full", [True, False])
def test_links_out_of_the_folder_are_never_read(linked_site: tuple[Path, Path], full: bool) -> None:
    content, index_dir = linked_site
    if not full:  # an incremental run over an index built before the links appeared
        build_index(content, index_dir, full=True)
    report = build_index(content, index_dir, full=full)
    assert errors_of(report) == LINK_ERRORS
    assert totals(index_dir, SECRET, "zqinside") == {SECRET: 0, "zqinside": 2}


def test_a_loop_of_links_is_one_files_error(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_article(content, "ok.md", article("Fine", "body"))
    (content / "loop.md").symlink_to(content / "loop.md")
    (content / "a.md").symlink_to(content / "b.md")
    (content / "b.md").symlink_to(content / "a.md")
    for full in (True, False):
        report = build_index(content, tmp_path / "index", full=full)
        assert errors_of(report) == {
            p: "unreadable (symlink loop)" for p in ("a.md", "b.md", "loop.md")
        }
        assert report.documents == 1


def test_warnings_are_not_stored_with_the_article(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_article(content, "colon.md", "---\ntitle: A: b\n---\nbody\n")
    build_index(content, tmp_path / "index")
    app = create_app({"INDEX_DIR": tmp_path / "index", "CONTENT_DIR": content, "TESTING": True})
    assert "warnings" not in app.test_client().get("/api/articles/colon").get_json()


def test_a_named_link_out_is_not_read_either(linked_site: tuple[Path, Path]) -> None:
    content, index_dir = linked_site
    build_index(content, index_dir)
    (content / "y.md").symlink_to(content.parent / "outside" / "secret.md")
    report = build_index(content, index_dir, paths=["y.md", "etc/secret.md"])
    # x.md failed before, so every run looks at it again (pending.json)
    assert errors_of(report) == {p: "symlink out of the content folder" for p in ("x.md", "y.md")}
    assert totals(index_dir, SECRET) == {SECRET: 0}


def test_the_api_does_not_serve_a_linked_file(linked_site: tuple[Path, Path]) -> None:
    content, index_dir = linked_site
    build_index(content, index_dir)
    client = create_app({"INDEX_DIR": index_dir, "CONTENT_DIR": content, "TESTING": True})
    assert client.test_client().get("/api/articles/x").status_code == 404
    hits = client.test_client().get("/api/search", query_string={"q": "root:x:0:0"}).get_json()
    assert all(hit["slug"] != "x" for hit in hits["hits"])


# --- slugs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        ("../../etc/passwd", "contains '..'"),
        ("..", "contains '..'"),
        ("<script>alert(1)</script>", "character '<' is not allowed"),
        ("a\x00b", "character '\\x00' is not allowed"),
        ("a?b#c", "character '?' is not allowed"),
        ("/abs", "starts with '/'"),
        ("a" * 10_000, "longer than 200 characters"),
        ("a//b", "has an empty or '.' part between slashes"),  # a URL could not keep it
        ("a/./b", "has an empty or '.' part between slashes"),  # browsers drop "/./"
        ("news/", "has an empty or '.' part between slashes"),
        ("with space", "character ' ' is not allowed"),
        ("news/2025/nvidia-q3.v2_final", None),
        ("café-crème", None),  # letters are letters in any script
        ("a" * 200, None),
    ],
)
def test_slug_rule(slug: str, problem: str | None) -> None:
    assert slug_problem(slug) == problem


@pytest.mark.parametrize(
    ("path", "slug"),
    [
        (
            "tradingview/tagreuters.com,2025-02-07newsml_ACSD.en.md",
            "tagreuters.com-2025-02-07newsml_ACSD.en",
        ),
        ("a?b#c.md", "a-b-c"),  # file names keep their article, under a slug that can be served
        ("My Post (draft).md", "My-Post-draft"),
        ("x..y.md", "x.y"),
        ("plain-slug.md", "plain-slug"),
    ],
)
def test_file_names_become_valid_slugs(path: str, slug: str) -> None:
    assert file_name_slug(path) == slug
    assert parse_article(b"# Title\n\nbody\n", path).slug == slug


@pytest.mark.parametrize("slug", ["../x", "<b>", "/abs", "a\\u0000b", "a?b", "x" * 201])
def test_a_bad_frontmatter_slug_is_reported(slug: str) -> None:
    data = f'---\ntitle: T\nslug: "{slug}"\n---\nbody\n'.encode()
    with pytest.raises(ArticleError, match=r"^p\.md: bad slug "):
        parse_article(data, "p.md")


SLUG_RULE = re.compile(r"(?!/)(?!.*\.\.)[\w./-]{1,200}")


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(max_size=220) | st.text(alphabet="ab./-_?<", max_size=12))
def test_slug_rule_agrees_with_the_contract(slug: str) -> None:
    allowed = slug_problem(slug) is None
    if allowed:
        assert SLUG_RULE.fullmatch(slug) and len(slug) <= MAX_SLUG_LENGTH
        assert "" not in slug.split("/") and "." not in slug.split("/")
    elif SLUG_RULE.fullmatch(slug):  # stricter than the contract only for unreachable parts
        assert any(part in ("", ".") for part in slug.split("/"))


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(min_size=1, max_size=300).filter(lambda s: "/" not in s and "\x00" not in s))
def test_a_file_name_slug_is_valid_or_reported(stem: str) -> None:
    try:
        found = parse_article(b"# T\n\nbody\n", f"{stem}.md")
    except ArticleError as error:
        assert error.reason.startswith("bad slug")
        return
    assert slug_problem(found.slug) is None


def test_bad_slugs_are_reported_by_the_indexer(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_article(content, "ok.md", article("Fine", "body"))
    write_article(content, "evil.md", article("Evil", "body", slug="<script>alert(1)</script>"))
    report = build_index(content, tmp_path / "index")
    assert list(errors_of(report)) == ["evil.md"]
    assert report.documents == 1


# --- frontmatter with an unquoted ": " ----------------------------------------------------

REAL_TITLE = "How AI Chatbots Are Revolutionizing Malta Business: €500+ Monthly Savings Revealed"


@pytest.mark.parametrize(
    ("frontmatter", "title", "tags"),
    [
        (f"title: {REAL_TITLE}\ntags:\n  - AI\n  - Malta", REAL_TITLE, ("AI", "Malta")),
        (
            "title: Q3: a record\ndate: 2025-10-01\ntags: [chips, tsmc]",
            "Q3: a record",
            ("chips", "tsmc"),
        ),
        ("title: Ends with a colon:\n", "Ends with a colon:", ()),
        ('title: She said: "buy"', 'She said: "buy"', ()),  # quotes inside are kept
        ("title: A: b: c", "A: b: c", ()),
    ],
)
def test_unquoted_colons_are_read_with_a_warning(
    frontmatter: str, title: str, tags: tuple[str, ...]
) -> None:
    found, warnings = read_article(f"---\n{frontmatter}\n---\nbody\n".encode(), "p.md")
    assert (found.title, found.tags) == (title, tags)
    assert warnings == ("frontmatter is not strict YAML: read title as plain text (unquoted ': ')",)


@pytest.mark.parametrize(
    "frontmatter",
    [
        'title: "unclosed\n',  # not a colon problem
        "title: A: b\ntags: [unclosed",  # a colon, and something else wrong too
        "- a list\n- not a mapping: x",
        "title: [a: b",
    ],
)
def test_other_bad_yaml_stays_an_error(frontmatter: str) -> None:
    with pytest.raises(ArticleError, match="bad YAML frontmatter|not a mapping"):
        parse_article(f"---\n{frontmatter}\n---\nbody\n".encode(), "p.md")


def test_valid_yaml_gets_no_warning() -> None:
    found, warnings = read_article(b'---\ntitle: "A: b"\nurl: http://x.y\n---\nbody\n', "p.md")
    assert (found.title, warnings) == ("A: b", ())


@settings(max_examples=300, deadline=None, database=None)
@given(st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.text(max_size=30)))
def test_strict_yaml_reads_exactly_as_before(meta: dict[str, str]) -> None:
    source = yaml.safe_dump(meta, allow_unicode=True) if meta else ""
    data = f"---\n{source}---\nbody\n".encode()
    try:
        _, warnings = read_article(data, "p.md")
    except ArticleError as error:
        assert "colon" not in error.reason
        return
    assert warnings == ()


def test_the_report_lists_warnings(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_article(content, "colon.md", f"---\ntitle: {REAL_TITLE}\n---\nbody\n")
    for run in ("full", "incremental"):
        if run == "incremental":
            write_article(content, "colon.md", f"---\ntitle: {REAL_TITLE}\n---\nnew body\n")
        report = build_index(content, tmp_path / "index")
        assert [(w.path, w.message[:29]) for w in report.warnings] == [
            ("colon.md", "frontmatter is not strict YAM")
        ], run
        assert report.to_json()["warnings"][0]["path"] == "colon.md"
        assert not report.errors
    assert totals(tmp_path / "index", "revolutionizing") == {"revolutionizing": 1}


# --- a site with no good article ----------------------------------------------------------


def test_an_index_of_no_documents_serves(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_article(content, "only.md", '---\ntitle: "x\n---\nb\n')
    report = build_index(content, tmp_path / "index")
    assert report.documents == 0 and len(report.errors) == 1
    for q in ("", "nvidia", "nvid*", '"data center"', "ticker:NVDA", "nvdia"):
        assert totals(tmp_path / "index", q) == {q: 0}
    app = create_app(
        {
            "INDEX_DIR": tmp_path / "index",
            "CONTENT_DIR": content,
            "TESTING": True,
            "ADMIN_TOKEN": TOKEN,
        }
    )
    client = app.test_client()
    assert client.get("/api/search?q=x").get_json()["total"] == 0
    health = client.get("/healthz").get_json()
    assert (health["documents"], health["last_reindex_errors"]) == (0, 1)
    stats = client.get("/admin/stats", headers={"Authorization": f"Bearer {TOKEN}"})
    assert stats.status_code == 200 and stats.get_json()["documents"] == 0
