"""Indexing: full and incremental runs, their reports, bad files, slugs, the writer lock."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index

from searchsvc.errors import ReindexRunning
from searchsvc.indexing import build
from searchsvc.indexing.build import build_index
from searchsvc.indexing.layout import (
    MANIFEST,
    cached_fingerprints,
    indexed_fingerprints,
    read_manifest,
    read_stamps,
    writer_lock,
)
from searchsvc.indexing.schema import build_schema
from searchsvc.ingest.scan import content_relative
from searchsvc.query.handle import IndexHandle
from tests.conftest import article_text, write_article


def article(slug: str, title: str = "A title", body: str = "Some body text.") -> str:
    return article_text(body, slug=slug, title=title, publishedAt="2025-06-01", tags=["Testing"])


def index_state(index_dir: Path) -> dict[str, dict[str, Any]]:
    """slug -> stored document (without the time it was indexed)."""
    handle = IndexHandle.open(index_dir)
    try:
        gen = handle.current()
        docs = {}
        for docnum in range(gen.doc_count_all):
            if gen.alive[docnum]:
                doc = dict(gen.stored(docnum))
                doc.pop("indexed_at")
                docs[doc["slug"]] = doc
        return docs
    finally:
        handle.close()


def assert_same_as_full_build(content: Path, index_dir: Path, tmp_path: Path) -> None:
    fresh = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
    build_index(content, fresh, full=True, workers=1)
    assert index_state(index_dir) == index_state(fresh)


def test_full_build_reports_what_it_did(content_dir: Path, tmp_path: Path) -> None:
    report = build_index(content_dir, tmp_path / "ix", workers=1)
    assert (report.full, report.added, report.documents, report.errors) == (True, 34, 34, ())
    assert report.generation == 1
    saved = json.loads((tmp_path / "ix" / "last_report.json").read_text())
    assert saved["documents"] == 34


def test_incremental_run_applies_adds_edits_and_deletes(content_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(content_dir, index_dir, workers=1)
    write_article(content_dir, "new/added.md", article("added-one", body="Brand new words."))
    (content_dir / "apple-harvest-prices-orchards-late-frost.md").unlink()
    edited = content_dir / "intel-layoffs-foundry-restructuring.md"
    edited.write_text(edited.read_text().replace("Intel", "Intel Corp"), encoding="utf-8")

    report = build_index(content_dir, index_dir)
    assert (report.full, report.added, report.updated, report.deleted) == (False, 1, 1, 1)
    assert report.unchanged == 32 and report.documents == 34 and report.generation == 2
    assert_same_as_full_build(content_dir, index_dir, tmp_path)


def test_a_run_without_changes_does_not_commit(content_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    first = build_index(content_dir, index_dir, workers=1)
    again = build_index(content_dir, index_dir)
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 34)
    assert again.generation == first.generation


def test_renames_and_slug_changes(content_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(content_dir, index_dir, workers=1)
    moved = content_dir / "archive" / "sony.md"
    moved.parent.mkdir()
    (content_dir / "sony-playstation-price-hike-tariffs.md").rename(moved)
    slugged = content_dir / "palantir-government-contracts-earnings-beat.md"
    slugged.write_text(
        slugged.read_text().replace(
            "slug: palantir-government-contracts-earnings-beat", "slug: palantir-beat"
        ),
        encoding="utf-8",
    )
    build_index(content_dir, index_dir)
    state = index_state(index_dir)
    assert state["sony-playstation-price-hike-tariffs"]["source_path"] == "archive/sony.md"
    assert "palantir-beat" in state
    assert "palantir-government-contracts-earnings-beat" not in state
    assert_same_as_full_build(content_dir, index_dir, tmp_path)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bad-yaml.md", b"---\ntitle: [unclosed\n---\nbody\n", "bad YAML"),
        ("latin1.md", "caf\xe9".encode("latin-1"), "not UTF-8"),
        ("binary.md", b"\x00\x01\x02", "binary"),
        ("empty.md", b"", "empty"),
        ("huge.md", b"x" * (5 * 1024 * 1024 + 1), "too large"),
    ],
)
def test_bad_files_are_reported_and_never_stop_the_rest(
    content_dir: Path, tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    (content_dir / name).write_bytes(data)
    report = build_index(content_dir, tmp_path / "ix", workers=1)
    assert report.documents == 34
    assert [(e.path, reason in e.reason) for e in report.errors] == [(name, True)]


def test_a_file_that_breaks_keeps_its_last_good_version(content_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index(content_dir, index_dir, workers=1)
    broken = content_dir / "deepfake-voice-scams-bank-verification.md"
    broken.write_bytes(b"---\ntitle: [broken\n---\n")
    report = build_index(content_dir, index_dir)
    assert report.kept_stale == ("deepfake-voice-scams-bank-verification",)
    assert [e.path for e in report.errors] == [broken.name]
    assert "deepfake-voice-scams-bank-verification" in index_state(index_dir)
    broken.write_text(article("deepfake-voice-scams-bank-verification", "Fixed"), encoding="utf-8")
    fixed = build_index(content_dir, index_dir)
    assert (fixed.updated, fixed.errors) == (1, ())
    assert index_state(index_dir)["deepfake-voice-scams-bank-verification"]["title"] == "Fixed"


def test_duplicate_slugs_go_to_the_first_path(content_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    write_article(content_dir, "zz-copy.md", article("intel-layoffs-foundry-restructuring", "Copy"))
    report = build_index(content_dir, index_dir, workers=1)
    assert [e.path for e in report.errors] == ["zz-copy.md"]
    assert "duplicate slug" in report.errors[0].reason
    assert index_state(index_dir)["intel-layoffs-foundry-restructuring"]["title"] != "Copy"
    # a new file that sorts first takes the slug over, exactly as a full build would
    write_article(content_dir, "aa-first.md", article("intel-layoffs-foundry-restructuring", "A"))
    build_index(content_dir, index_dir)
    assert index_state(index_dir)["intel-layoffs-foundry-restructuring"]["title"] == "A"
    assert_same_as_full_build(content_dir, index_dir, tmp_path)


def test_a_different_schema_version_forces_a_full_rebuild(
    content_dir: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    build_index(content_dir, index_dir, workers=1)
    manifest = json.loads((index_dir / MANIFEST).read_text())
    (index_dir / MANIFEST).write_text(json.dumps({**manifest, "schema_version": 0}))
    report = build_index(content_dir, index_dir, workers=1)
    assert report.full and report.generation == 2
    live = [p.name for p in index_dir.iterdir() if p.is_dir()]
    assert live == [read_manifest(index_dir).live]  # type: ignore[union-attr]


@pytest.mark.slow  # compiles a second dictionary's patterns (~2 s)
def test_a_changed_company_dictionary_forces_a_full_rebuild(
    content_dir: Path, tmp_path: Path
) -> None:
    index_dir = tmp_path / "ix"
    assert build_index(content_dir, index_dir, workers=1).full_reason == "no index yet"
    assert not build_index(content_dir, index_dir).full
    site = tmp_path / "site-companies.json"
    site.write_text(
        json.dumps(
            {
                "companies": [
                    {"symbol": "ZZQX", "name": "Zedqex", "exchange": "NYSE", "aliases": ["Zedqex"]}
                ]
            }
        )
    )
    write_article(content_dir, "zedqex.md", article("zedqex", "Zedqex Inc. results"))
    report = build_index(content_dir, index_dir, companies_file=site, workers=1)
    assert (report.full, report.full_reason) == (True, "company dictionary changed")
    # old articles were re-extracted with the new dictionary, not only the new file
    assert [t["symbol"] for t in index_state(index_dir)["zedqex"]["tickers"]] == ["ZZQX"]
    assert not build_index(content_dir, index_dir, companies_file=site).full


def test_a_second_writer_gets_a_clear_error(
    content_dir: Path, tmp_path: Path, short_lock_wait: None
) -> None:
    index_dir = tmp_path / "ix"
    with writer_lock(index_dir), pytest.raises(ReindexRunning, match="already running"):
        build_index(content_dir, index_dir, workers=1)


def test_parallel_build_equals_serial_build(tmp_path: Path) -> None:
    content = tmp_path / "many"
    for i in range(420):  # above PARALLEL_MIN_FILES
        write_article(content, f"a{i:03}.md", article(f"s{i % 400:03}", f"T {i}", f"word{i % 7}"))
    serial = build_index(content, tmp_path / "serial", workers=1)
    parallel = build_index(content, tmp_path / "parallel", workers=2)
    assert serial.documents == parallel.documents == 400
    assert [e.path for e in serial.errors] == [e.path for e in parallel.errors]
    assert index_state(tmp_path / "serial") == index_state(tmp_path / "parallel")


def test_missing_content_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        build_index(tmp_path / "nope", tmp_path / "ix")


# --- runs over named paths ---------------------------------------------------------------------


def test_a_paths_run_retries_files_that_failed_before(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    write_article(content_dir, "late.md", "---\ntitle: [unclosed\n---\n")
    assert [e.path for e in build_index(content_dir, index, workers=1).errors] == ["late.md"]
    write_article(content_dir, "late.md", article("late-fixed"))
    write_article(content_dir, "other.md", article("other"))
    report = build_index(content_dir, index, paths=["other.md"])
    assert (report.added, report.errors) == (2, ())
    assert_same_as_full_build(content_dir, index, tmp_path)


def test_a_paths_run_gives_a_freed_slug_to_the_file_waiting_for_it(
    content_dir: Path, tmp_path: Path
) -> None:
    index = tmp_path / "ix"
    write_article(content_dir, "a.md", article("shared", title="First"))
    write_article(content_dir, "b.md", article("shared", title="Second"))
    build_index(content_dir, index, workers=1)
    assert index_state(index)["shared"]["title"] == "First"
    (content_dir / "a.md").unlink()
    report = build_index(content_dir, index, paths=[content_dir / "a.md"])
    assert (report.added, report.deleted, report.errors) == (1, 1, ())
    assert index_state(index)["shared"]["title"] == "Second"
    assert_same_as_full_build(content_dir, index, tmp_path)


def test_a_paths_run_leaves_other_files_alone(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    write_article(content_dir, "one.md", article("one"))
    write_article(content_dir, "two.md", article("two"))
    report = build_index(content_dir, index, paths=["one.md", "not-there.md"])
    assert (report.added, report.deleted, report.unchanged) == (1, 0, 0)
    assert "two" not in index_state(index)


@pytest.mark.parametrize(
    ("named", "written", "holder", "lost"),
    [
        # a.md sorts first: it takes the slug from b.md, which waits for it
        ("a.md", "First", "First", [("b.md", "duplicate slug 'shared' (already used by a.md)")]),
        # c.md sorts after b.md: it waits, and b.md keeps the slug
        ("c.md", "Third", "Second", [("c.md", "duplicate slug 'shared' (already used by b.md)")]),
    ],
)
def test_a_paths_run_decides_a_slug_held_by_a_file_it_does_not_name(
    content_dir: Path,
    tmp_path: Path,
    named: str,
    written: str,
    holder: str,
    lost: list[tuple[str, str]],
) -> None:
    index = tmp_path / "ix"
    write_article(content_dir, "b.md", article("shared", title="Second"))
    build_index(content_dir, index, workers=1)
    write_article(content_dir, named, article("shared", title=written))
    report = build_index(content_dir, index, paths=[named])
    assert [(e.path, e.reason) for e in report.errors] == lost
    assert index_state(index)["shared"]["title"] == holder
    assert report.documents == len(index_state(index))
    assert_same_as_full_build(content_dir, index, tmp_path)


def test_a_paths_run_does_not_read_every_fingerprint(
    content_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)

    def every_fingerprint(*_args: object) -> None:
        raise AssertionError("a run over named paths read every fingerprint")

    monkeypatch.setattr(build, "cached_fingerprints", every_fingerprint)
    edited = content_dir / "intel-layoffs-foundry-restructuring.md"
    edited.write_text(edited.read_text().replace("Intel", "Intel Corp"), encoding="utf-8")
    report = build_index(content_dir, index, paths=[edited.name, "gone.md"])
    assert (report.updated, report.documents) == (1, 34)
    monkeypatch.undo()
    assert_same_as_full_build(content_dir, index, tmp_path)


CONTENT_RELATIVE = [
    # path given -> as the index names it (None: dropped)
    ("news/a.md", "news/a.md"),
    ("{content}/news/a.md", "news/a.md"),
    ("{content}/../elsewhere/a.md", None),
    ("../a.md", None),
    ("news/.draft.md", None),
    (".hidden/a.md", None),
    ("notes.txt", None),
    ("b.markdown", "b.markdown"),
]


@pytest.mark.parametrize(("given", "named"), CONTENT_RELATIVE)
def test_content_relative(given: str, named: str | None, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    result = content_relative([given.format(content=content)], content)
    assert result == ({named} if named else set())


def test_a_paths_run_sees_what_the_folder_walk_sees(content_dir: Path, tmp_path: Path) -> None:
    """A file under a symlinked folder is not walked, so naming it does not index it."""
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    outside = tmp_path / "outside"
    write_article(outside, "x.md", article("linked"))
    (content_dir / "linked").symlink_to(outside, target_is_directory=True)
    assert build_index(content_dir, index, paths=["linked/x.md"]).added == 0
    assert_same_as_full_build(content_dir, index, tmp_path)


def test_one_path_may_be_given_as_a_string(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    write_article(content_dir, "one.md", article("one"))
    assert build_index(content_dir, index, paths="one.md").added == 1


def test_saved_fingerprints_match_the_lexicon(content_dir: Path, tmp_path: Path) -> None:
    """fingerprints.tsv stands in for the lexicon only when it was saved for that commit."""
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    write_article(content_dir, "a.md", article("shared", title="First"))
    write_article(content_dir, "b.md", article("shared", title="Second"))
    build_index(content_dir, index)
    (content_dir / "a.md").unlink()
    build_index(content_dir, index, paths=["a.md"])
    # a run over named paths does not read every fingerprint, so it leaves the file to be
    # saved again by the next whole-folder run
    build_index(content_dir, index)
    manifest = read_manifest(index)
    assert manifest is not None
    ix = whoosh_index.open_dir(str(index / manifest.live))
    saved = (index / "fingerprints.tsv").read_text().split("\n")
    assert saved[0] == f"{manifest.live}\t{ix.latest_generation()}"
    assert cached_fingerprints(ix, index, manifest.live) == indexed_fingerprints(ix)
    # another commit's file, or one cut short, is not trusted
    for stale in (
        [f"{manifest.live}\t{ix.latest_generation() - 1}", *saved[2:]],
        saved[:-2],
    ):
        (index / "fingerprints.tsv").write_text("\n".join(stale))
        assert cached_fingerprints(ix, index, manifest.live) == indexed_fingerprints(ix)


def test_a_file_name_with_a_tab_is_reported_not_indexed(content_dir: Path, tmp_path: Path) -> None:
    write_article(content_dir, "tab\there.md", article("tabbed"))
    report = build_index(content_dir, tmp_path / "ix", workers=1)
    assert [(e.path, e.reason) for e in report.errors] == [
        ("tab\there.md", "file name contains a tab or line break")
    ]


def test_a_run_clears_what_killed_runs_left(content_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    manifest = read_manifest(index)
    assert manifest is not None
    left = [
        index / "build-20250101T000000000000-1",
        index / ".pending.json.4242.tmp",
        index / manifest.live / "_MAIN_9.toc.123456.789",
    ]
    left[0].mkdir()
    for path in left[1:]:
        path.write_text("half written")
    build_index(content_dir, index)  # nothing to index: the clean-up still runs
    assert not any(path.exists() for path in left)


# --- stamps: files whose stamp is unchanged are not read again ----------------------------


def test_a_run_reads_only_files_whose_stamp_changed(
    content_dir: Path, tmp_path: Path, settled: list[Path]
) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    assert len(read_stamps(index, content_dir)) == 34
    settled.clear()
    assert build_index(content_dir, index).unchanged == 34
    assert settled == []

    edited = content_dir / "intel-layoffs-foundry-restructuring.md"
    edited.write_text(edited.read_text().replace("Intel", "Intel Corp"), encoding="utf-8")
    report = build_index(content_dir, index)
    assert (report.updated, report.unchanged, settled) == (1, 33, [edited])
    assert_same_as_full_build(content_dir, index, tmp_path)


def test_an_edit_that_keeps_size_and_modification_time_is_seen(
    content_dir: Path, tmp_path: Path, settled: list[Path]
) -> None:
    """The change time moves on every write, even when the modification time is put back."""
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    edited = content_dir / "intel-layoffs-foundry-restructuring.md"
    before = edited.stat()
    edited.write_text(edited.read_text().replace("Intel", "Xntel"), encoding="utf-8")
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert edited.stat().st_size == before.st_size
    assert build_index(content_dir, index).updated == 1
    assert_same_as_full_build(content_dir, index, tmp_path)


def test_a_file_replaced_by_a_link_is_checked_again(
    content_dir: Path, tmp_path: Path, settled: list[Path]
) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    outside = write_article(tmp_path, "outside.md", article("outside"))
    linked = content_dir / "intel-layoffs-foundry-restructuring.md"
    linked.unlink()
    linked.symlink_to(outside)
    report = build_index(content_dir, index)
    assert [(e.path, e.reason) for e in report.errors] == [
        (linked.name, "symlink out of the content folder")
    ]


def _in_rows(change: Callable[[str], str]) -> Callable[[str], str]:
    """Damage the rows of a stamps file, not its header."""

    def damaged(text: str) -> str:
        header, rows = text.split("\n", 1)
        return f"{header}\n{change(rows)}"

    return damaged


@pytest.mark.parametrize(
    ("damage", "files_read"),
    [
        pytest.param(_in_rows(lambda rows: rows.replace("\t", " ", 1)), 34, id="a row cut up"),
        pytest.param(_in_rows(lambda rows: rows[: len(rows) // 2]), 34, id="cut short"),
        pytest.param(lambda text: "x" + text, 34, id="another header"),
        pytest.param(_in_rows(lambda rows: rows.replace(":", "1:", 1)), 1, id="a stamp changed"),
        pytest.param(_in_rows(lambda rows: rows.replace("\n", "0\n", 1)), 1, id="a hash changed"),
    ],
)
def test_damaged_stamps_mean_files_are_read(
    content_dir: Path,
    tmp_path: Path,
    settled: list[Path],
    damage: Callable[[str], str],
    files_read: int,
) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    stamps = index / "stamps.tsv"
    stamps.write_text(damage(stamps.read_text()))
    settled.clear()
    assert build_index(content_dir, index).unchanged == 34
    assert len(settled) == files_read
    assert len(read_stamps(index, content_dir)) == 34  # written anew


def test_stamps_of_another_content_folder_are_not_used(
    content_dir: Path, tmp_path: Path, settled: list[Path]
) -> None:
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    moved = content_dir.rename(tmp_path / "moved")
    assert read_stamps(index, moved) == {}
    settled.clear()
    assert build_index(moved, index).unchanged == 34
    assert len(settled) == 34


def test_a_paths_run_leaves_the_stamps_true(
    content_dir: Path, tmp_path: Path, settled: list[Path]
) -> None:
    """A run over named paths does not save stamps; the stamp it leaves for an edited file
    no longer matches, so the next whole-folder run reads that file once more."""
    index = tmp_path / "ix"
    build_index(content_dir, index, workers=1)
    edited = content_dir / "intel-layoffs-foundry-restructuring.md"
    edited.write_text(edited.read_text().replace("Intel", "Intel Corp"), encoding="utf-8")
    assert build_index(content_dir, index, paths=[edited.name]).updated == 1
    settled.clear()
    report = build_index(content_dir, index)
    assert (report.updated, report.unchanged, settled) == (0, 34, [edited])
    settled.clear()
    assert build_index(content_dir, index).unchanged == 34
    assert settled == []
    assert_same_as_full_build(content_dir, index, tmp_path)


@pytest.mark.parametrize(
    ("deleted", "live"),
    [
        ((), {"a.md", "b.md"}),
        ((0,), {"a.md", "b.md"}),  # the term of a.md has a second document, alive
        ((0, 1), {"b.md"}),
        ((2,), {"a.md"}),  # b.md's term names its one document in its term info
    ],
)
def test_the_lexicon_skips_deleted_documents(
    tmp_path: Path, deleted: tuple[int, ...], live: set[str]
) -> None:
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = ix.writer()
    for path in ("a.md", "a.md", "b.md"):
        writer.add_document(fingerprint=f"{path}\thash\tslug-{path}")
    writer.commit()
    if deleted:
        writer = ix.writer()
        for docnum in deleted:
            writer.delete_document(docnum)
        writer.commit(optimize=False)
    assert set(indexed_fingerprints(ix)) == live
