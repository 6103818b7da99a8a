"""What one index run did: the ReindexReport, its JSON (last_report.json, the reindex
webhook, `searchsvc index --json`), and its text (the CLI, the watcher, the admin log)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from searchsvc.ingest.articles import ArticleError


@dataclass(frozen=True)
class FileWarning:
    """A file that was indexed, but only by forgiving something (see read_article)."""

    path: str
    message: str


@dataclass(frozen=True)
class ReindexReport:
    """What one index run did."""

    full: bool
    full_reason: str | None  # why everything was rebuilt ("requested", "schema version 1 -> 2", …)
    added: int
    updated: int
    deleted: int
    unchanged: int
    errors: tuple[ArticleError, ...]
    kept_stale: tuple[str, ...]  # slugs whose changed file failed: the old version stays
    documents: int
    generation: int
    started_at: str
    finished_at: str
    seconds: float
    # files indexed this run with something forgiven (an unquoted ': ' in the frontmatter)
    warnings: tuple[FileWarning, ...] = ()

    def summary(self) -> str:
        """One line: what changed, errors, warnings, documents, generation, time (the CLI,
        the watcher and the reindex webhook's log all start with this)."""
        kind = "full build" if self.full else "incremental"
        warnings = f", {len(self.warnings)} warnings" if self.warnings else ""
        return (
            f"{kind}: {self.added} added, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged, {len(self.errors)} errors{warnings}; "
            f"{self.documents} documents, generation {self.generation}, {self.seconds:.2f}s"
        )

    def to_json(self) -> dict[str, Any]:
        """As last_report.json, the reindex webhook and `searchsvc index --json` give it."""
        return {
            "full": self.full,
            "full_reason": self.full_reason,
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "errors": [{"path": e.path, "reason": e.reason} for e in self.errors],
            "warnings": [{"path": w.path, "message": w.message} for w in self.warnings],
            "kept_stale": list(self.kept_stale),
            "documents": self.documents,
            "generation": self.generation,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class ReportLine:
    """One line of a report's text; problems (a file skipped, forgiven or kept at its old
    version) go to stderr or are logged as warnings."""

    text: str
    problem: bool = False


def report_lines(report: ReindexReport) -> list[ReportLine]:
    """A report as text: its summary, why everything was rebuilt, then one line per problem."""
    lines = [ReportLine(report.summary())]
    if report.full_reason:
        lines.append(ReportLine(f"rebuilt everything: {report.full_reason}"))
    lines += [ReportLine(f"skipped {e.path}: {e.reason}", True) for e in report.errors]
    lines += [ReportLine(f"warning {w.path}: {w.message}", True) for w in report.warnings]
    lines += [
        ReportLine(f"kept the previous version of {slug!r} (its file now fails)", True)
        for slug in report.kept_stale
    ]
    return lines


def format_report(report: ReindexReport) -> str:
    """A report on one line, for a log: its summary, and why everything was rebuilt."""
    return "; ".join(line.text for line in report_lines(report) if not line.problem)


def now_iso() -> str:
    """Now, as reports give their times (UTC, to the second)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def kept_warnings(warnings: Iterable[FileWarning], losers: set[str]) -> tuple[FileWarning, ...]:
    """The warnings of files that were indexed (not those that lost their slug), by path."""
    return tuple(sorted((w for w in warnings if w.path not in losers), key=lambda w: w.path))
