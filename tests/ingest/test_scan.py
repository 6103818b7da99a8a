"""The content folder: the one duplicate-slug rule, and each file hashed once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchsvc.indexing.build import build_index
from searchsvc.ingest import articles, scan
from searchsvc.ingest.articles import file_hash, read_article
from searchsvc.ingest.scan import claim_slugs, load_corpus, read_source
from tests.conftest import write_article


class Claim(NamedTuple):
    source_path: str
    slug: str


@pytest.mark.parametrize(
    ("claims", "losers", "reasons"),
    [
        ([], set(), []),
        ([Claim("a.md", "x"), Claim("b.md", "y")], set(), []),
        (
            [Claim("b.md", "x"), Claim("a.md", "x")],  # sorted order, not the order given
            {"b.md"},
            ["b.md: duplicate slug 'x' (already used by a.md)"],
        ),
        (
            [Claim("c.md", "x"), Claim("b.md", "x"), Claim("a.md", "x")],
            {"b.md", "c.md"},
            [
                "b.md: duplicate slug 'x' (already used by a.md)",
                "c.md: duplicate slug 'x' (already used by a.md)",
            ],
        ),
        (
            # paths compare as strings: "-" sorts before "/"
            [Claim("news/a.md", "x"), Claim("news-a.md", "x")],
            {"news/a.md"},
            ["news/a.md: duplicate slug 'x' (already used by news-a.md)"],
        ),
    ],
)
def test_claim_slugs(claims: list[Claim], losers: set[str], reasons: list[str]) -> None:
    found, errors = claim_slugs(iter(claims))  # any iterable, read once
    assert found == losers
    assert [str(e) for e in errors] == reasons


PATHS = st.lists(st.from_regex(r"[a-c]{1,3}(/[a-c]{1,2})?\.md", fullmatch=True), unique=True)


@given(paths=PATHS, data=st.data())
def test_each_slug_goes_to_its_first_path_whatever_the_order(
    paths: list[str], data: st.DataObject
) -> None:
    claims = [Claim(p, data.draw(st.sampled_from("xyz"))) for p in paths]
    losers, errors = claim_slugs(data.draw(st.permutations(claims)))
    owners = {c.slug: min(p for p, s in claims if s == c.slug) for c in claims}
    assert losers == {c.source_path for c in claims if owners[c.slug] != c.source_path}
    assert [e.path for e in errors] == sorted(losers)


def test_load_corpus_and_the_index_give_a_slug_to_the_same_file(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_article(content, "news/a.md", "---\nslug: same\ntitle: In a folder\n---\nBody.\n")
    write_article(content, "news-a.md", "---\nslug: same\ntitle: Beside it\n---\nBody.\n")
    corpus, corpus_errors = load_corpus(content)
    report = build_index(content, tmp_path / "index", workers=1)
    lost = [("news/a.md", "duplicate slug 'same' (already used by news-a.md)")]
    assert [a.source_path for a in corpus] == ["news-a.md"]
    assert [(e.path, e.reason) for e in corpus_errors] == lost
    assert [(e.path, e.reason) for e in report.errors] == lost


def test_the_hash_read_with_the_bytes_is_the_articles(tmp_path: Path) -> None:
    path = write_article(tmp_path, "a.md", "# Title\n\nBody.\n")
    source = read_source(path, tmp_path)
    assert source.data is not None and source.content_hash == file_hash(path.read_bytes())
    article, _ = read_article(source.data, source.source_path, source.content_hash)
    assert article.content_hash == source.content_hash


def test_an_index_run_hashes_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    for name in ("a", "b", "c"):
        write_article(content, f"{name}.md", f"# {name.upper()} title\n\nBody {name}.\n")
    hashed: list[bytes] = []

    def counting_hash(data: bytes) -> str:
        hashed.append(data)
        return file_hash(data)

    monkeypatch.setattr(scan, "file_hash", counting_hash)
    monkeypatch.setattr(articles, "file_hash", counting_hash)
    report = build_index(content, tmp_path / "index", workers=1)
    assert report.added == 3
    assert len(hashed) == 3


@given(paths=st.lists(st.from_regex(r"[a-]{1,2}(/[a-]{1,2}){0,2}\.md", fullmatch=True), min_size=1))
def test_the_walk_gives_paths_in_path_order(paths: list[str]) -> None:
    """Folder by folder, as sorted Paths compare ("a/b.md" before "a-b.md")."""
    relatives = sorted(set(paths), key=scan._path_order)
    assert relatives == [p.as_posix() for p in sorted(Path(rel) for rel in set(paths))]


def test_the_walk_gives_content_relative_paths_in_path_order(tmp_path: Path) -> None:
    for name in ("a-b.md", "a/b.md", "a/c/d.md", "b.md", ".hidden/x.md", "a/.x.md", "a/n.txt"):
        write_article(tmp_path, name, "# T\n\nBody.\n")
    assert scan.iter_article_paths(tmp_path) == [
        tmp_path / rel for rel in ("a/b.md", "a/c/d.md", "a-b.md", "b.md")
    ]
    assert list(scan.scan_content(tmp_path)) == ["a-b.md", "a/b.md", "a/c/d.md", "b.md"]


def test_a_file_just_written_gets_no_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within RACY_NS of a change, a file may change again without its times moving."""
    path = write_article(tmp_path, "a.md", "# T\n\nBody.\n")
    assert read_source(path, tmp_path).stamp is None
    monkeypatch.setattr(scan, "RACY_NS", 0)
    status = path.stat()
    stamp = f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}"
    assert read_source(path, tmp_path).stamp == stamp


def test_a_link_gets_no_stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "RACY_NS", 0)
    write_article(tmp_path, "a.md", "# T\n\nBody.\n")
    (tmp_path / "b.md").symlink_to(tmp_path / "a.md")
    source = read_source(tmp_path / "b.md", tmp_path)
    assert source.data is not None and source.stamp is None


def test_a_file_whose_stamp_matches_is_not_read(tmp_path: Path, settled: list[Path]) -> None:
    for name in ("a", "b"):
        # written long ago: the edit below must not fall in the same tick of the file
        # system's clock (what RACY_NS guards against, set to 0 here)
        os.utime(write_article(tmp_path, f"{name}.md", f"# {name}\n\nBody.\n"), ns=(0, 0))
    first = scan.scan_content(tmp_path)
    known = {p: (s.stamp, s.content_hash) for p, s in first.items() if s.stamp is not None}
    assert set(known) == {"a.md", "b.md"}
    settled.clear()
    (tmp_path / "b.md").write_text("# b\n\nBody!\n")  # same size, new bytes
    again = scan.scan_content(tmp_path, known=known)
    assert settled == [tmp_path / "b.md"]
    assert again["a.md"] == scan.SourceFile(
        "a.md", None, first["a.md"].content_hash, stamp=first["a.md"].stamp
    )
    assert again["b.md"].data == b"# b\n\nBody!\n"
