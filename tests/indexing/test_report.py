"""The reindex report's text: one rendering for the CLI, the watcher and the admin log."""

from __future__ import annotations

from dataclasses import replace

import pytest

from searchsvc.indexing.report import (
    FileWarning,
    ReindexReport,
    ReportLine,
    format_report,
    report_lines,
)
from searchsvc.ingest.articles import ArticleError

QUIET = ReindexReport(
    full=False,
    full_reason=None,
    added=1,
    updated=0,
    deleted=0,
    unchanged=9,
    errors=(),
    kept_stale=(),
    documents=10,
    generation=3,
    started_at="2025-01-01T00:00:00Z",
    finished_at="2025-01-01T00:00:01Z",
    seconds=0.5,
)
SUMMARY = (
    "incremental: 1 added, 0 updated, 0 deleted, 9 unchanged, 0 errors; "
    "10 documents, generation 3, 0.50s"
)


@pytest.mark.parametrize(
    ("report", "lines"),
    [
        (QUIET, [ReportLine(SUMMARY)]),
        (
            replace(QUIET, full=True, full_reason="schema version 1 -> 2"),
            [
                ReportLine(SUMMARY.replace("incremental", "full build")),
                ReportLine("rebuilt everything: schema version 1 -> 2"),
            ],
        ),
        (
            # problems come after the facts, errors, then warnings, then stale slugs
            replace(
                QUIET,
                errors=(ArticleError("a.md", "empty file"),),
                warnings=(FileWarning("b.md", "frontmatter is not strict YAML"),),
                kept_stale=("old-slug",),
            ),
            [
                ReportLine(SUMMARY.replace("0 errors", "1 errors, 1 warnings")),
                ReportLine("skipped a.md: empty file", problem=True),
                ReportLine("warning b.md: frontmatter is not strict YAML", problem=True),
                ReportLine("kept the previous version of 'old-slug' (its file now fails)", True),
            ],
        ),
    ],
)
def test_report_lines(report: ReindexReport, lines: list[ReportLine]) -> None:
    assert report_lines(report) == lines


@pytest.mark.parametrize(
    ("report", "line"),
    [
        (QUIET, SUMMARY),
        (
            replace(QUIET, full=True, full_reason="requested", errors=(ArticleError("a", "x"),)),
            SUMMARY.replace("incremental", "full build").replace("0 errors", "1 errors")
            + "; rebuilt everything: requested",  # the problems are not on the line
        ),
    ],
)
def test_format_report_is_the_facts_on_one_line(report: ReindexReport, line: str) -> None:
    assert format_report(report) == line


def test_to_json_lists_every_problem() -> None:
    report = replace(
        QUIET, errors=(ArticleError("a.md", "empty file"),), warnings=(FileWarning("b.md", "w"),)
    )
    data = report.to_json()
    assert data["errors"] == [{"path": "a.md", "reason": "empty file"}]
    assert data["warnings"] == [{"path": "b.md", "message": "w"}]
    assert data["seconds"] == 0.5
