"""Incremental indexing is a full build, step by step.

A scripted history of a content folder (daily additions, edits of the body and of every
frontmatter field, ticker changes, slug changes, renames and moves, deletions, duplicate
slugs, bad files, touched files, runs with nothing to do) is replayed on one index with
incremental runs. After every step the index must hold exactly what a brand-new full
build of the same folder holds: the same slugs, the same stored documents (but for
`indexed_at`), the same errors, and the same answers, in the same order, to a fixed set
of searches (equally ranked results too: a reader paging through them must not see the
order change because the index was built another way). Each step also states what its
incremental report must count, and a run that changes nothing must not make a new
generation. Search and generation differences are gathered over the whole script and
reported together, by step; a difference in stored documents stops the script at once.

The one intended difference: an indexed article whose file stops parsing keeps its last
good version (report.kept_stale) where a full build drops it; those steps compare
everything else and check the kept version is the previous one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from searchsvc.indexing.build import build_index
from searchsvc.indexing.report import ReindexReport
from tests.conftest import SEEDS, write_article
from tests.indexing.reindex_helpers import (
    State,
    fresh_full_build,
    index_state,
    search_differences,
    search_signature,
)

NVIDIA = "nvidia-record-earnings-data-center-demand.md"
BYD = "byd-tesla-ev-price-war.md"
INTEL = "intel-layoffs-foundry-restructuring.md"
APPLE = "apple-harvest-prices-orchards-late-frost.md"
TSMC = "tsmc-arizona-expansion-tariff-threats.md"
NOTE = "no-frontmatter-quantum-computing-note.md"  # no frontmatter: its slug is its file name
SAMSUNG = "samsung-hbm4-qualification-nvidia.md"
TECH = "tech-stocks-tumble-tariff-shock.md"
START = (NVIDIA, BYD, INTEL, APPLE, TSMC, NOTE, SAMSUNG, TECH)


def brief(slug: str, day: str, title: str, body: str) -> str:
    """A daily brief, the kind of article a newsroom adds every day."""
    return (
        f"---\nslug: {slug}\ntitle: {title}\ndate: {day}\nauthor: Desk Editor\n"
        f"category: Daily\ntags: [Daily Brief, Markets]\nkeywords: [{slug}]\n---\n\n"
        f"{body}\n"
    )


class Content:
    """The content folder, with the edits a step makes; remembers which paths it touched
    (what a caller of build_index(paths=...) would name)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.touched: set[str] = set()
        self.originals: dict[str, bytes] = {}

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        write_article(self.root, rel, text)
        self.touched.add(rel)

    def write_bytes(self, rel: str, data: bytes) -> None:
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).write_bytes(data)
        self.touched.add(rel)

    def replace(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        assert old in text, f"{old!r} not in {rel}"
        self.write(rel, text.replace(old, new))

    def edit_body(self, rel: str, old: str, new: str) -> None:
        """Replace text in the body only (the first time it occurs there)."""
        text = self.read(rel)
        end = text.index("\n---\n", 4) + 5 if text.startswith("---\n") else 0
        assert old in text[end:], f"{old!r} not in the body of {rel}"
        self.write(rel, text[:end] + text[end:].replace(old, new, 1))

    def set_field(self, rel: str, key: str, lines: str) -> None:
        """Replace frontmatter key `key` (with its indented list lines) by `lines`."""
        text = self.read(rel)
        head, fence, rest = text[4:].partition("\n---\n")
        assert text.startswith("---\n") and fence, f"{rel} has no frontmatter"
        front = head.split("\n")
        start = next(i for i, line in enumerate(front) if line.startswith(f"{key}:"))
        end = start + 1
        while end < len(front) and front[end].startswith(" "):
            end += 1
        front[start:end] = lines.split("\n")
        self.write(rel, "---\n" + "\n".join(front) + fence + rest)

    def move(self, src: str, dst: str) -> None:
        (self.root / dst).parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.root / src, self.root / dst)
        self.touched |= {src, dst}

    def delete(self, rel: str) -> None:
        (self.root / rel).unlink()
        self.touched.add(rel)

    def touch(self, rel: str) -> None:
        """A new modification time, the same bytes."""
        stat = (self.root / rel).stat()
        os.utime(self.root / rel, (stat.st_atime + 3600, stat.st_mtime + 3600))
        self.touched.add(rel)

    def save(self, rel: str) -> None:
        self.originals[rel] = (self.root / rel).read_bytes()

    def restore(self, rel: str) -> None:
        self.write_bytes(rel, self.originals[rel])


@dataclass(frozen=True)
class Expect:
    """What the step's incremental report counts; kept_stale as slugs."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    kept_stale: tuple[str, ...] = ()


Step = tuple[str, Callable[[Content], Any], Expect]


def several(*actions: Callable[[Content], Any]) -> Callable[[Content], None]:
    def run(c: Content) -> None:
        for action in actions:
            action(c)

    return run


def rename_note(c: Content) -> None:
    c.move(NOTE, "notes/quantum-stocks-short-note.md")


def swap_slugs(c: Content) -> None:
    c.set_field("daily/2025-10-03-a.md", "slug", "slug: brief-2025-10-03-b")
    c.set_field("daily/2025-10-03-b.md", "slug", "slug: brief-2025-10-03-a")


def a_week_of_briefs(c: Content) -> None:
    for day in ("06", "07", "08"):
        c.write(
            f"weekly/2025-10-{day}.md",
            brief(
                f"week-2025-10-{day}",
                f"2025-10-{day}",
                f"Weekly wrap {day}",
                f"Memory chip prices and tariff news for October {day}. Tesla deliveries rose.",
            ),
        )


def delete_weekly(c: Content) -> None:
    for day in ("06", "07", "08"):
        c.delete(f"weekly/2025-10-{day}.md")


def everything_at_once(c: Content) -> None:
    c.write(
        "daily/2025-10-12.md",
        brief("brief-2025-10-12", "2025-10-12", "Sunday brief", "Quiet tariff talk; chip news."),
    )
    c.edit_body(SAMSUNG, "Shares of Samsung", "Shares of Samsung Electronics (KRX: 005930)")
    c.delete("daily/2025-10-02.md")
    c.move("archive/2025/byd.md", "archive/2024/byd.md")


STEPS: list[Step] = [
    ("a run with nothing changed since the first build", lambda c: None, Expect()),
    (
        "day 1: a new brief",
        lambda c: c.write(
            "daily/2025-10-01.md",
            brief(
                "brief-2025-10-01",
                "2025-10-01",
                "Chip stocks rise on tariff truce",
                "Chip stocks rose as the tariff truce held. Data center builders kept buying.",
            ),
        ),
        Expect(added=1),
    ),
    (
        "day 2: a brief about Nvidia (NASDAQ: NVDA)",
        lambda c: c.write(
            "daily/2025-10-02.md",
            brief(
                "brief-2025-10-02",
                "2025-10-02",
                "Nvidia extends its rally",
                "Nvidia (NASDAQ: NVDA) extended its rally on data center demand.",
            ),
        ),
        Expect(added=1),
    ),
    (
        "day 3: two briefs on the same day, one with a $TSLA cashtag",
        several(
            lambda c: c.write(
                "daily/2025-10-03-a.md",
                brief(
                    "brief-2025-10-03-a",
                    "2025-10-03",
                    "Carmakers and the EV price war",
                    "Shares of $TSLA slipped as the EV price war spread to Europe.",
                ),
            ),
            lambda c: c.write(
                "daily/2025-10-03-b.md",
                brief(
                    "brief-2025-10-03-b",
                    "2025-10-03",
                    "Memory makers sold out",
                    "Memory chip makers said high bandwidth memory is sold out for next year.",
                ),
            ),
        ),
        Expect(added=2),
    ),
    (
        "body edited: a paragraph appended to the Intel story",
        lambda c: c.write(
            INTEL, c.read(INTEL) + "\n## Update\n\nThe tariff outlook weighs on the plan too.\n"
        ),
        Expect(updated=1),
    ),
    (
        "title edited",
        lambda c: c.set_field(BYD, "title", "title: BYD Undercuts Tesla Again in the EV Price War"),
        Expect(updated=1),
    ),
    (
        "publication date moved: the TSMC story becomes the newest dated one",
        lambda c: c.set_field(TSMC, "publishedAt", 'publishedAt: "2026-09-30"'),
        Expect(updated=1),
    ),
    (
        "tags replaced: the Apple harvest story joins the Daily Brief tag",
        lambda c: c.set_field(APPLE, "tags", "tags:\n  - Daily Brief\n  - Orchards"),
        Expect(updated=1),
    ),
    (
        "keywords edited: a comma-separated string of slugs",
        lambda c: c.set_field(SAMSUNG, "keywords", "keywords: hbm4-memory, nvidia-supplier"),
        Expect(updated=1),
    ),
    (
        "author becomes a list of authors",
        lambda c: c.set_field(INTEL, "author", "authors:\n  - Tomás Herrera\n  - Ann Lee"),
        Expect(updated=1),
    ),
    (
        "ticker added: the Apple harvest story mentions Nvidia (NASDAQ: NVDA)",
        lambda c: c.write(
            APPLE, c.read(APPLE) + "\nEven Nvidia (NASDAQ: NVDA) drones now survey orchards.\n"
        ),
        Expect(updated=1),
    ),
    (
        "ticker removed: the day-2 brief no longer names Nvidia",
        lambda c: c.replace(
            "daily/2025-10-02.md", "Nvidia (NASDAQ: NVDA) extended", "Chipmakers extended"
        ),
        Expect(updated=1),
    ),
    (
        "company swapped: $TSLA becomes Rivian (NASDAQ: RIVN)",
        lambda c: c.replace("daily/2025-10-03-a.md", "$TSLA", "Rivian (NASDAQ: RIVN)"),
        Expect(updated=1),
    ),
    ("a file touched, its bytes unchanged", lambda c: c.touch(NVIDIA), Expect()),
    (
        "a file rewritten with identical bytes",
        lambda c: c.write_bytes(TECH, (c.root / TECH).read_bytes()),
        Expect(),
    ),
    (
        "slug changed in the frontmatter: the old slug must disappear",
        lambda c: c.set_field(BYD, "slug", "slug: byd-tesla-price-war-escalates"),
        Expect(updated=1),
    ),
    (
        "file renamed in the same folder (the frontmatter slug stays)",
        lambda c: c.move(BYD, "byd-price-war.md"),
        Expect(added=1, deleted=1),
    ),
    (
        "file moved to a sub-folder (the slug stays)",
        lambda c: c.move("byd-price-war.md", "archive/2025/byd.md"),
        Expect(added=1, deleted=1),
    ),
    (
        "a file without frontmatter renamed: its slug (the file name) changes",
        rename_note,
        Expect(added=1, deleted=1),
    ),
    ("a file deleted", lambda c: c.delete("daily/2025-10-01.md"), Expect(deleted=1)),
    (
        "a file moved and edited in the same run",
        several(
            lambda c: c.move(TECH, "archive/2025/tech-stocks.md"),
            lambda c: c.replace("archive/2025/tech-stocks.md", "Wall Street", "Wall St."),
        ),
        Expect(added=1, deleted=1),
    ),
    ("two files swap their slugs", swap_slugs, Expect(updated=2)),
    (
        "a duplicate slug in a later path: it loses, nothing changes",
        lambda c: c.write("zz-copies/intel.md", c.read(INTEL).replace("Deep Layoffs", "Cuts")),
        Expect(),
    ),
    (
        "the losing duplicate edited: still a duplicate, still nothing",
        lambda c: c.replace("zz-copies/intel.md", "Cuts", "Job Cuts"),
        Expect(),
    ),
    (
        "duplicate resolved: the copy gets a slug of its own",
        lambda c: c.set_field("zz-copies/intel.md", "slug", "slug: intel-job-cuts-copy"),
        Expect(added=1),
    ),
    (
        "a duplicate in a path that sorts first takes the slug over",
        lambda c: c.write("aa-first/intel.md", c.read(INTEL).replace("Deep Layoffs", "Layoffs")),
        Expect(added=1, deleted=1),
    ),
    (
        "the new owner deleted: the waiting file gets its slug back",
        lambda c: c.delete("aa-first/intel.md"),
        Expect(added=1, deleted=1),
    ),
    (
        "a slug changed onto an indexed slug, from a path that sorts first",
        lambda c: c.set_field(
            "daily/2025-10-02.md", "slug", "slug: tsmc-arizona-expansion-tariff-threats"
        ),
        Expect(updated=1, deleted=1),
    ),
    (
        "the slug changed back: the pushed-out article returns",
        lambda c: c.set_field("daily/2025-10-02.md", "slug", "slug: brief-2025-10-02"),
        Expect(added=1, updated=1),
    ),
    (
        "a new file with broken YAML",
        lambda c: c.write(
            "daily/2025-10-04.md", "---\ntitle: [unclosed\ndate: 2025-10-04\n---\nx\n"
        ),
        Expect(),
    ),
    (
        "the broken file fixed",
        lambda c: c.write(
            "daily/2025-10-04.md",
            brief("brief-2025-10-04", "2025-10-04", "Fixed brief", "Tariff relief for chip firms."),
        ),
        Expect(added=1),
    ),
    ("a new empty file", lambda c: c.write("daily/2025-10-05.md", ""), Expect()),
    (
        "the empty file gets an article",
        lambda c: c.write(
            "daily/2025-10-05.md",
            brief("brief-2025-10-05", "2025-10-05", "Saturday brief", "Memory prices climbed."),
        ),
        Expect(added=1),
    ),
    (
        "an indexed article breaks: its last good version stays",
        several(lambda c: c.save(NVIDIA), lambda c: c.write(NVIDIA, "---\ntitle: [broken\n---\n")),
        Expect(kept_stale=("nvidia-record-earnings-data-center-demand",)),
    ),
    (
        "the broken article restored byte for byte: nothing to update",
        lambda c: c.restore(NVIDIA),
        Expect(),
    ),
    (
        "it breaks again (empty this time)",
        lambda c: c.write(NVIDIA, ""),
        Expect(kept_stale=("nvidia-record-earnings-data-center-demand",)),
    ),
    (
        "and is fixed with new text",
        lambda c: c.write(
            NVIDIA,
            c.originals[NVIDIA].decode().replace("blowout quarter", "record quarter"),
        ),
        Expect(updated=1),
    ),
    (
        "an edit...",
        several(
            lambda c: c.save(SAMSUNG),
            lambda c: c.edit_body(
                SAMSUNG, "SK Hynix still", "Micron Technology (NASDAQ: MU) still"
            ),
        ),
        Expect(updated=1),
    ),
    ("...reverted to the original bytes", lambda c: c.restore(SAMSUNG), Expect(updated=1)),
    (
        "files that are not articles: a .txt note, a hidden draft folder, a hidden file",
        several(
            lambda c: c.write("notes/readme.txt", "not an article"),
            lambda c: c.write(".drafts/draft.md", brief("draft", "2025-10-09", "Draft", "Soon.")),
            lambda c: c.write("daily/.scratch.md", brief("scratch", "2025-10-09", "S", "x")),
        ),
        Expect(),
    ),
    (
        "an article moved into a hidden folder: gone from the index",
        lambda c: c.move("daily/2025-10-05.md", ".drafts/2025-10-05.md"),
        Expect(deleted=1),
    ),
    (
        "extension changed from .md to .markdown",
        lambda c: c.move("daily/2025-10-04.md", "daily/2025-10-04.markdown"),
        Expect(added=1, deleted=1),
    ),
    (
        "dates in other forms: 'October 5, 2025' and a datetime with an offset",
        several(
            lambda c: c.set_field("daily/2025-10-03-a.md", "date", "date: October 5, 2025"),
            lambda c: c.set_field(
                "daily/2025-10-03-b.md", "date", 'date: "2025-10-05T09:30:00+02:00"'
            ),
        ),
        Expect(updated=2),
    ),
    (
        "categories changed to a list",
        lambda c: c.set_field(APPLE, "category", "categories: [Markets, Agriculture]"),
        Expect(updated=1),
    ),
    ("a week of briefs in a new folder", a_week_of_briefs, Expect(added=3)),
    (
        "an edit to one of the week's briefs",
        lambda c: c.replace("weekly/2025-10-07.md", "Tesla deliveries rose", "Tesla sales rose"),
        Expect(updated=1),
    ),
    ("the folder deleted", delete_weekly, Expect(deleted=3)),
    (
        "a file name with a space and accents",
        lambda c: c.write(
            "daily/résumé du jour.md",
            brief("resume-du-jour", "2025-10-10", "Résumé du jour", "Tariff and chip recap."),
        ),
        Expect(added=1),
    ),
    (
        "everything at once: add, edit, delete, move",
        everything_at_once,
        Expect(added=2, updated=1, deleted=2),
    ),
    ("a final run with no change at all", lambda c: None, Expect()),
]


def start_content(tmp_path: Path) -> Content:
    root = tmp_path / "content"
    root.mkdir()
    for name in START:
        shutil.copy(SEEDS / name, root / name)
    return Content(root)


def error_list(report: ReindexReport) -> list[tuple[str, str]]:
    return [(e.path, e.reason) for e in report.errors]


def check_step(
    where: str,
    index_dir: Path,
    report: ReindexReport,
    full: ReindexReport,
    fresh: Path,
    before: State,
    expect: Expect,
) -> tuple[State, list[str]]:
    """The incremental index against the fresh full build: stored documents must be equal
    (asserted here); returns the index's state and how the searches differ."""
    state, wanted = index_state(index_dir), index_state(fresh)
    assert report.documents == len(state), where
    assert error_list(report) == error_list(full), where
    if expect.kept_stale:
        # the one intended difference: the stale slugs hold their previous version
        stale = set(expect.kept_stale)
        assert {s: state[s] for s in stale} == {s: before[s] for s in stale}, where
        assert {s: d for s, d in state.items() if s not in stale} == wanted, where
        return state, []
    assert sorted(state) == sorted(wanted), where
    for slug in state:
        assert state[slug] == wanted[slug], f"{where}: stored document {slug!r} differs"
    return state, search_differences(search_signature(index_dir), search_signature(fresh))


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["folder", "paths"])
def test_incremental_runs_equal_a_full_build_after_every_step(tmp_path: Path, mode: str) -> None:
    assert len(STEPS) >= 40
    content = start_content(tmp_path)
    index_dir = tmp_path / "index"
    first = build_index(content.root, index_dir, workers=1)
    assert (first.full, first.added, first.errors) == (True, len(START), ())
    state = index_state(index_dir)
    generation = first.generation
    differences: dict[str, list[int]] = {}  # what differs -> at which steps
    for number, (description, action, expect) in enumerate(STEPS, 1):
        where = f"step {number} ({description})"
        content.touched.clear()
        action(content)
        if mode == "paths":
            report = build_index(content.root, index_dir, paths=sorted(content.touched))
        else:
            report = build_index(content.root, index_dir)
        fresh, full = fresh_full_build(content.root, tmp_path / "fresh")

        assert not report.full, where
        counts = (report.added, report.updated, report.deleted, report.kept_stale)
        wanted_counts = (expect.added, expect.updated, expect.deleted, expect.kept_stale)
        assert counts == wanted_counts, f"{where}: report counts"
        changed = expect.added + expect.updated + expect.deleted > 0
        if report.generation != generation + changed:
            what = "a new generation without a change" if not changed else "no new generation"
            differences.setdefault(what, []).append(number)
        generation = report.generation
        state, searches = check_step(where, index_dir, report, full, fresh, state, expect)
        for difference in searches:
            differences.setdefault(f"search {difference}", []).append(number)
        shutil.rmtree(fresh)
    # searches and generations are checked after the whole script: one report lists all
    assert not differences, "\n".join(
        f"steps {steps} (first: {STEPS[steps[0] - 1][0]}): {what}"
        for what, steps in differences.items()
    )


def test_a_run_over_named_paths_checks_those_files_only(tmp_path: Path) -> None:
    content = start_content(tmp_path)
    index_dir = tmp_path / "index"
    build_index(content.root, index_dir, workers=1)
    apple = index_state(index_dir)["apple-harvest-prices-orchards-late-frost"]
    content.edit_body(INTEL, "Intel", "Intel Corp.")
    content.edit_body(APPLE, "A hard frost", "A very hard frost")
    content.write("daily/2025-10-01.md", brief("brief-1", "2025-10-01", "Brief", "Tariffs."))
    (tmp_path / "outside.md").write_text(brief("outside", "2025-10-01", "Out", "Not ours."))
    named = [INTEL, "notes/readme.txt", ".drafts/x.md", "../outside.md", "never-there.md"]
    report = build_index(content.root, index_dir, paths=named)
    assert (report.added, report.updated, report.deleted, report.errors) == (0, 1, 0, ())
    state = index_state(index_dir)
    assert "Intel Corp." in state["intel-layoffs-foundry-restructuring"]["body"]
    assert state["apple-harvest-prices-orchards-late-frost"] == apple  # not named: not looked at
    assert "brief-1" not in state and "outside" not in state

    report = build_index(content.root, index_dir, paths=[content.root / APPLE])  # absolute
    assert (report.added, report.updated, report.deleted) == (0, 1, 0)
    report = build_index(content.root, index_dir)  # the whole folder finds the rest
    assert (report.added, report.updated, report.deleted) == (1, 0, 0)
    fresh, _ = fresh_full_build(content.root, tmp_path / "fresh")
    assert index_state(index_dir) == index_state(fresh)
