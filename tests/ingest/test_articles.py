"""Files -> Articles: frontmatter dialects, fallbacks, dates, lists, and every bad file."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.ingest.articles import (
    MAX_ARTICLE_BYTES,
    Article,
    ArticleError,
    parse_article,
    parse_date,
)
from searchsvc.ingest.scan import iter_article_paths, load_article, load_corpus, read_article_bytes
from tests.conftest import SHARED_CORPUS, write_article

CORPUS = SHARED_CORPUS

SEED_ARTICLE = """\
---
slug: nvidia-earnings-beat
title: NVIDIA Beats Again
excerpt: Data-center revenue doubled.
publishedAt: "2025-10-28"
updatedAt: 2025-10-29T08:00:00Z
author: Marco Grima
category: Artificial Intelligence
tags:
  - NVIDIA
  - Earnings
image: https://example.com/n.jpg
featured: true
metaTitle: Ignored because title is present
metaDescription: Ignored because excerpt is present
keywords:
  - ai-investment-rally
  - data center
url: https://site.example/nvidia-earnings-beat
---

**NVIDIA** reported [record revenue](https://x.com/r).
"""


def article(text: str, source_path: str = "post.md") -> Article:
    return parse_article(text.encode("utf-8"), source_path)


def with_frontmatter(frontmatter: str, body: str = "Body text.") -> Article:
    return article(f"---\n{frontmatter}\n---\n{body}\n")


def test_seed_site_article() -> None:
    data = SEED_ARTICLE.encode()
    assert parse_article(data, "ai/nvidia.md") == Article(
        slug="nvidia-earnings-beat",
        title="NVIDIA Beats Again",
        excerpt="Data-center revenue doubled.",
        body_text="NVIDIA reported record revenue.",
        published_at="2025-10-28",
        updated_at="2025-10-29T08:00:00Z",
        authors=("Marco Grima",),
        categories=("Artificial Intelligence",),
        tags=("NVIDIA", "Earnings"),
        keywords=("ai investment rally", "data center"),
        featured=True,
        image="https://example.com/n.jpg",
        url="https://site.example/nvidia-earnings-beat",
        source_path="ai/nvidia.md",
        content_hash=hashlib.sha256(data).hexdigest(),
    )


DIALECT_CASES = [
    # Hugo
    ("date: 2025-02-08T03:17:28+01:00", "published_at", "2025-02-08T02:17:28Z"),
    ('summary: "Hugo summary"', "excerpt", "Hugo summary"),
    ("description: Meta description", "excerpt", "Meta description"),
    ("metaDescription: Seed meta", "excerpt", "Seed meta"),
    ("summary: first\ndescription: second", "excerpt", "first"),  # key order, not file order
    ("description: second\nsummary: first", "excerpt", "first"),
    ('categories:\n  - "benzinga"\n  - Markets', "categories", ("benzinga", "Markets")),
    ("lastmod: 2025-03-01", "updated_at", "2025-03-01"),
    ("updated: 2025-03-02", "updated_at", "2025-03-02"),
    ("modified: March 3, 2025", "updated_at", "2025-03-03"),
    ("pubDate: Tue, 28 Oct 2025 10:00:00 +0000", "published_at", "2025-10-28T10:00:00Z"),  # RSS
    ("published: 2025-10-28", "published_at", "2025-10-28"),
    ("publishedAt: nonsense\ndate: 2025-01-02", "published_at", "2025-01-02"),  # first readable
    # Jekyll
    ("date: 2025-10-28 10:00:00 +0200", "published_at", "2025-10-28T08:00:00Z"),
    ("categories: markets tech", "categories", ("markets", "tech")),  # space-separated
    ("categories: Markets, Big Tech", "categories", ("Markets", "Big Tech")),
    ("categories: [markets, tech]", "categories", ("markets", "tech")),
    ("category: Data Protection", "categories", ("Data Protection",)),  # one name, not split
    ("category: Primary\ncategories: [a, b]", "categories", ("Primary",)),
    ("author: Jane Doe", "authors", ("Jane Doe",)),
    ("authors: [Jane Doe, John Roe]", "authors", ("Jane Doe", "John Roe")),
    (
        "authors:\n  - name: Jane Doe\n    email: j@x\n  - John Roe",
        "authors",
        ("Jane Doe", "John Roe"),
    ),
    ("author:\n  name: Jane Doe", "authors", ("Jane Doe",)),
    ("author: Smith, John", "authors", ("Smith, John",)),  # one author is never split
    # any case, surrounding whitespace in keys and values
    ("TITLE: Shouting\nPublishedAt: 2025-10-28", "title", "Shouting"),
    ("Title:   spaced   out  ", "title", "spaced out"),
    ('title: ""\nmetaTitle: Meta wins over blank', "title", "Meta wins over blank"),
    ("title: No", "title", "No"),  # not a YAML boolean
    ("title: 1.10", "title", "1.10"),  # not a float
    ("title: [a, b]", "title", "Heading"),  # not text: fall back
    # tags and keywords
    ("tags: AI, Chips , ,ai", "tags", ("AI", "Chips")),  # comma string, blanks, duplicates
    ("tags:\n  - AI\n  - ''\n  - null\n  - ' Chips '\n  - chips", "tags", ("AI", "Chips")),
    ("tags: [2025, AI]", "tags", ("2025", "AI")),
    ("tags: []", "tags", ()),
    (
        "keywords: ai-investment-rally, machine_learning, AI chips",
        "keywords",
        ("ai investment rally", "machine learning", "AI chips"),
    ),
    (
        "keywords: [COVID-19 vaccine, e-commerce, --]",
        "keywords",
        ("COVID-19 vaccine", "e commerce", "--"),
    ),  # a space means words already; "--" kept
    ("keywords: [ai-chips, AI Chips, ai_chips]", "keywords", ("ai chips",)),
    # stored, not searched
    ("featured: false", "featured", False),
    ("featured: yes", "featured", True),
    ("featured: maybe", "featured", None),
    ("image: /img/a.png", "image", "/img/a.png"),
    ("image:\n  src: /img/b.png\n  alt: B", "image", "/img/b.png"),
    ("url: /posts/x/", "url", "/posts/x/"),
    ("url: [not, a, url]", "url", None),
]


@pytest.mark.parametrize(("frontmatter", "field", "expected"), DIALECT_CASES)
def test_frontmatter_dialects(frontmatter: str, field: str, expected: object) -> None:
    parsed = with_frontmatter(frontmatter, body="# Heading\n\nBody text.")
    assert getattr(parsed, field) == expected


def test_toml_frontmatter() -> None:
    parsed = article('+++\ntitle = "TOML"\ndate = 2025-10-28T10:00:00Z\ntags = ["a"]\n+++\nBody')
    assert (parsed.title, parsed.published_at, parsed.tags) == (
        "TOML",
        "2025-10-28T10:00:00Z",
        ("a",),
    )


FALLBACK_CASES = [
    # slug: the file name without its final extension
    ("Body.", "news/x/67a6.en.md", "slug", "67a6.en"),
    ("Body.", "post.markdown", "slug", "post"),
    ("---\nslug: '  '\n---\nBody.", "post.md", "slug", "post"),  # blank slug
    # title: first level-1 heading, else the slug
    ("## Sub\n\n# Real Title\n\nBody.", "post.md", "title", "Real Title"),
    ("Just body.", "my-post.md", "title", "my-post"),
    # excerpt: first paragraph, else empty
    ("# T\n\n- list\n\nFirst *para*.\n\nSecond.", "p.md", "excerpt", "First para."),
    ("# Only a heading", "p.md", "excerpt", ""),
    # no frontmatter at all, a leading hr, and an empty frontmatter
    ("No frontmatter here.", "p.md", "body_text", "No frontmatter here."),
    (
        "---\n---\nBody after empty frontmatter.",
        "p.md",
        "body_text",
        "Body after empty frontmatter.",
    ),
    (
        "Text\n\n---\n\ntitle: not frontmatter",
        "p.md",
        "body_text",
        "Text\n\ntitle: not frontmatter",
    ),
    # absent optional fields
    ("Body.", "p.md", "published_at", None),
    ("Body.", "p.md", "authors", ()),
    ("Body.", "p.md", "featured", None),
    ("---\ndate: 2025-02-30\n---\nBody.", "p.md", "published_at", None),  # unreadable date
    # encodings and line endings
    ("\ufeff---\ntitle: BOM\n---\nBody.", "p.md", "title", "BOM"),
    ("---\r\ntitle: CRLF\r\n---\r\nLine one\r\nline two", "p.md", "body_text", "Line one line two"),
]


@pytest.mark.parametrize(("text", "source_path", "field", "expected"), FALLBACK_CASES)
def test_fallbacks(text: str, source_path: str, field: str, expected: object) -> None:
    assert getattr(article(text, source_path), field) == expected


DATE_CASES = [
    ("2025-10-28", "2025-10-28"),
    ("2025-2-8", "2025-02-08"),
    ("2025/10/28", "2025-10-28"),
    ("2025.10.28", "2025-10-28"),
    ("2025-02-08 03:17:28", "2025-02-08T03:17:28Z"),  # naive: taken as UTC
    ("2025-10-28T10:00:00Z", "2025-10-28T10:00:00Z"),
    ("2025-10-28T10:00:00.123456z", "2025-10-28T10:00:00Z"),  # fractions dropped
    ("2025-10-28T10:00", "2025-10-28T10:00:00Z"),
    ("2025-10-28T01:00:00+02:00", "2025-10-27T23:00:00Z"),  # crosses midnight
    ("2025-10-28 10:00:00 -0500", "2025-10-28T15:00:00Z"),
    ("2025-10-28T10:00:00 UTC", "2025-10-28T10:00:00Z"),
    ("October 28, 2025", "2025-10-28"),
    ("Oct 28 2025", "2025-10-28"),
    ("Oct. 28, 2025", "2025-10-28"),
    ("Sept 5, 2025", "2025-09-05"),
    ("March 1st, 2025", "2025-03-01"),
    ("28 Oct 2025", "2025-10-28"),
    ("Tuesday, 28 October 2025", "2025-10-28"),
    ("Tue, 28 Oct 2025 10:00:00 GMT", "2025-10-28T10:00:00Z"),  # RFC 2822
    ("  2025-10-28  ", "2025-10-28"),
    # unreadable: None, never an error
    ("2025-02-30", None),
    ("2025-10-28T25:00:00Z", None),
    ("Ma 28 2025", None),  # too short to be a month
    ("Smarch 28, 2025", None),
    ("May 2025", None),  # no day
    ("1730000000", None),  # epoch seconds are not read
    ("0001-01-01T00:30:00+01:00", None),  # before year 1 in UTC
    ("", None),
    ("yesterday", None),
]


@pytest.mark.parametrize(("value", "expected"), DATE_CASES)
def test_parse_date_strings(value: str, expected: str | None) -> None:
    assert parse_date(value) == expected


def test_parse_date_objects() -> None:
    from datetime import date, datetime, timedelta, timezone

    assert parse_date(date(2025, 10, 28)) == "2025-10-28"
    assert parse_date(datetime(2025, 10, 28, 10, 0)) == "2025-10-28T10:00:00Z"
    tz = timezone(timedelta(hours=2))
    assert parse_date(datetime(2025, 10, 28, 10, 0, tzinfo=tz)) == "2025-10-28T08:00:00Z"
    assert parse_date(20251028) is None
    assert parse_date(None) is None


BAD_FILE_CASES = [
    (b"---\ntitle: x\n  bad: [\n---\nbody", "bad YAML frontmatter: line 3: "),
    (b"---\ntitle: [unclosed\n---\nbody", "bad YAML frontmatter: line 3: "),
    (b"---\nx: !!int 12x\n---\nbody", "bad YAML frontmatter: ValueError"),  # explicit tag
    (b"+++\ntitle = \n+++\nbody", "bad TOML frontmatter: Invalid value (at line 2"),
    (b"---\n- a\n- b\n---\nbody", "frontmatter is not a mapping"),
    (b"---\njust a string\n---\nbody", "frontmatter is not a mapping"),
    (b"---\ntitle: x\nbody with no closing fence", "frontmatter has no closing '---'"),
    (b"---\ntitle: caf\xe9\n---\n", "not UTF-8 (invalid byte 0xe9 at offset 14)"),
    (b"\xff\xfeh\x00i\x00", "binary file (NUL byte)"),  # UTF-16 is not UTF-8 text
    (b"PNG\x00\x01", "binary file (NUL byte)"),
    (b"", "empty file"),
    (b" \n\t\r\n", "empty file"),
    (b"\xef\xbb\xbf\n", "empty file"),  # a BOM alone
    (b"---\nauthor: x\n---\n", "no title or text"),
    (b"---\n---\n<!-- nothing visible -->", "no title or text"),
    (b"x" * (MAX_ARTICLE_BYTES + 1), "too large (5.1 MB > 5 MB)"),
]


@pytest.mark.parametrize(("data", "reason"), BAD_FILE_CASES)
def test_bad_files_raise_article_error(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(data, "dir/bad.md")
    assert caught.value.path == "dir/bad.md"
    assert caught.value.reason.startswith(reason)
    assert str(caught.value) == f"dir/bad.md: {caught.value.reason}"


def test_too_large_is_checked_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.md"
    with big.open("wb") as file:
        file.truncate(int(6.2 * 1024 * 1024))  # sparse: nothing is written

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    with monkeypatch.context() as patch, pytest.raises(ArticleError) as caught:
        patch.setattr(Path, "open", refuse)
        load_article(big, tmp_path)
    assert caught.value.reason == "too large (6.2 MB > 5 MB)"


def test_read_article_bytes_gives_what_load_article_parses(tmp_path: Path) -> None:
    path = write_article(tmp_path, "news/a.md", "# A\n\nBody")
    data = read_article_bytes(path, tmp_path)
    assert parse_article(data, "news/a.md") == load_article(path, tmp_path)


def test_unreadable_and_irregular_files(tmp_path: Path) -> None:
    (tmp_path / "dangling.md").symlink_to(tmp_path / "missing.md")
    (tmp_path / "folder.md").mkdir()
    with pytest.raises(ArticleError, match=r"^dangling\.md: unreadable \(No such file"):
        load_article(tmp_path / "dangling.md", tmp_path)
    with pytest.raises(ArticleError, match=r"^folder\.md: not a regular file$"):
        load_article(tmp_path / "folder.md", tmp_path)


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A small site: good articles in every dialect, every kind of bad file, hidden files."""
    root = tmp_path / "content"
    write_article(root, "a/first.md", "---\nslug: shared\ntitle: First\n---\nBody")
    write_article(root, "b/second.md", "---\nslug: shared\ntitle: Second\n---\nBody")  # duplicate
    write_article(root, "b/third.MARKDOWN", "# Third\n\nBody")
    write_article(root, "c/hugo.Md", "---\ntitle: Hugo\ndate: 2025-01-02\n---\nBody")
    write_article(root, "bad/yaml.md", "---\ntitle: [oops\n---\nBody")
    write_article(root, "bad/latin1.md", b"caf\xe9")
    write_article(root, "bad/binary.md", b"\x00\x01")
    write_article(root, "bad/empty.md", "")
    write_article(root, "bad/list.md", "---\n- a\n---\nBody")
    (root / "bad/dangling.md").symlink_to(root / "nowhere.md")
    write_article(root, ".hidden/skipped.md", "# Hidden folder")
    write_article(root, "c/.draft.md", "# Hidden file")
    write_article(root, "c/notes.txt", "not an article")
    write_article(root, "c/readme.md.bak", "not an article")
    return root


def test_iter_article_paths(content_dir: Path) -> None:
    paths = [p.relative_to(content_dir).as_posix() for p in iter_article_paths(content_dir)]
    assert paths == [
        "a/first.md",
        "b/second.md",
        "b/third.MARKDOWN",
        "bad/binary.md",
        "bad/dangling.md",
        "bad/empty.md",
        "bad/latin1.md",
        "bad/list.md",
        "bad/yaml.md",
        "c/hugo.Md",
    ]


def test_load_corpus_reports_every_bad_file_and_keeps_going(content_dir: Path) -> None:
    articles, errors = load_corpus(content_dir)
    assert [(a.slug, a.source_path) for a in articles] == [
        ("shared", "a/first.md"),  # the first path in sorted order wins the slug
        ("third", "b/third.MARKDOWN"),
        ("hugo", "c/hugo.Md"),
    ]
    assert [(e.path, e.reason.split(" (")[0].split(":")[0]) for e in errors] == [
        ("b/second.md", "duplicate slug 'shared'"),
        ("bad/binary.md", "binary file"),
        ("bad/dangling.md", "unreadable"),
        ("bad/empty.md", "empty file"),
        ("bad/latin1.md", "not UTF-8"),
        ("bad/list.md", "frontmatter is not a mapping"),
        ("bad/yaml.md", "bad YAML frontmatter"),
    ]
    assert errors[0].reason == "duplicate slug 'shared' (already used by a/first.md)"


def test_load_corpus_hashes_the_bytes_and_uses_relative_paths(content_dir: Path) -> None:
    articles, _ = load_corpus(content_dir)
    hugo = next(a for a in articles if a.slug == "hugo")
    expected = hashlib.sha256((content_dir / "c/hugo.Md").read_bytes()).hexdigest()
    assert (hugo.source_path, hugo.content_hash) == ("c/hugo.Md", expected)


def test_load_corpus_reports_an_unreadable_folder(content_dir: Path) -> None:
    locked = content_dir / "locked"
    write_article(content_dir, "locked/x.md", "# X")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as a user who can read anything")
        _, errors = load_corpus(content_dir)
        assert ("locked", "unreadable folder (Permission denied)") in [
            (e.path, e.reason) for e in errors
        ]
    finally:
        locked.chmod(0o755)


def test_load_corpus_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_corpus(tmp_path / "missing")
    with pytest.raises(NotADirectoryError):
        load_corpus(write_article(tmp_path, "file.md", "# not a folder"))


FRONTMATTER_PIECES = st.sampled_from(
    [*"-[]{}:'\"~#\t\n?&*!", "  ", "---", "...", "null", "2025-13-45", "<<: ", "&a ", "*a"]
    + ["title: ", "date: ", "tags: ", "keywords: ", "author: ", "name: ", "slug: ", "featured: "]
    + ["!!int ", "!!float ", "!!binary ", "!!timestamp ", "!!python/object ", "!!set ", "!!omap "]
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=300))
def test_parse_article_raises_only_article_error_on_any_bytes(data: bytes) -> None:
    try:
        parse_article(data, "fuzz.md")
    except ArticleError as error:
        assert error.path == "fuzz.md" and error.reason


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(FRONTMATTER_PIECES | st.text(max_size=4), max_size=30).map("".join), st.text())
def test_parse_article_raises_only_article_error_on_any_frontmatter(
    frontmatter: str, body: str
) -> None:
    data = f"---\n{frontmatter}\n---\n{body}".encode("utf-8", "surrogatepass")
    try:
        parsed = parse_article(data, "fuzz.md")
    except ArticleError:
        return
    assert parsed.slug and parsed.title


@pytest.mark.slow
@pytest.mark.parametrize("site", ["limitbreakit", "news"])
def test_real_corpus_loads_cleanly(site: str) -> None:
    if not (CORPUS / site).is_dir():
        pytest.skip(f"no corpus at {CORPUS / site}")
    articles, errors = load_corpus(CORPUS / site)
    assert articles and not errors
    for parsed in articles:
        assert parsed.title and parsed.body_text and parsed.published_at
        for marker in ("http://", "https://", "{{", "\n\n\n", "<!--"):
            assert marker not in parsed.body_text, (parsed.source_path, marker)
    if site == "limitbreakit":
        assert all(parsed.excerpt and parsed.authors and parsed.categories for parsed in articles)
