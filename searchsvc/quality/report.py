"""A relevance run as the text `searchsvc relevance` prints: one line per query with its
metrics (and their change from a baseline), the overall line, then notes on the queries
that found nothing, were relaxed, are not scored or judge articles not in the index."""

from __future__ import annotations

from collections.abc import Iterator

from searchsvc.quality.baseline import Comparison, QueryChange
from searchsvc.quality.relevance import Metrics, RelevanceRun, labels

MIN_WIDTH, MAX_WIDTH = 24, 40  # of the query column


def relevance_lines(run: RelevanceRun, comparison: Comparison | None = None) -> Iterator[str]:
    """The per-query table, the overall line and notes (and changes from a baseline)."""
    names = labels(run.k)
    width = min(max([MIN_WIDTH, *(len(q.query) for q in run.queries)]), MAX_WIDTH)
    changes = {c.query: c for c in comparison.changes} if comparison else {}
    header = f"{'query':<{width}}"
    for name in names.values():
        header += f"  {name:>9}" + (f"  {'Δ':>6}" if comparison else "")
    yield header + "  found"

    def cells(metrics: Metrics | None, change: QueryChange | None) -> str:
        text = ""
        for name in names:
            value = "-" if metrics is None else f"{getattr(metrics, name):.3f}"
            text += f"  {value:>9}"
            if comparison:
                delta = change.delta(name) if change is not None else None
                shown = "new" if change is None else "" if delta is None else f"{delta:+.3f}"
                text += f"  {shown:>6}"
        return text

    for q in run.queries:
        name = q.query if len(q.query) <= width else q.query[: width - 1] + "…"
        change = changes.get(q.query)
        line = f"{name:<{width}}{cells(q.metrics, change)}  {q.found}/{q.relevant}"
        if change is not None and change.regressed:
            line += "  REGRESSED"
        elif change is not None and change.improved:
            line += "  improved"
        yield line
    label = f"overall ({run.scored} queries)"
    overall_change = None
    if comparison:
        overall_change = QueryChange(
            "overall", comparison.overall_before, run.overall, comparison.threshold
        )
    yield f"{label:<{width}}{cells(run.overall, overall_change)}"
    yield from _notes(run)
    if comparison:
        yield from _comparison_notes(comparison)


def _notes(run: RelevanceRun) -> Iterator[str]:
    for q in run.queries:
        hint = f"; did you mean {q.suggestion!r}?" if q.suggestion else ""
        if q.total == 0:
            yield f"  {q.query!r}: no results{hint}"
        elif q.dropped:
            yield f"  {q.query!r}: relaxed, without {', '.join(q.dropped)}{hint}"
        if q.corrections:
            fixed = ", ".join(f"{typed} as {word}" for typed, word in q.corrections)
            yield f"  {q.query!r}: searched {fixed}"
        if q.metrics is None:
            yield f"  {q.query!r}: not scored (no judgment of grade 1 or more)"
        if q.unknown_slugs:
            yield f"  {q.query!r}: judged but not in the index: {', '.join(q.unknown_slugs)}"


def _comparison_notes(comparison: Comparison) -> Iterator[str]:
    yield (
        f"Compared with the baseline: {len(comparison.regressions)} regressed, "
        f"{len(comparison.improvements)} improved by more than {comparison.threshold:g}"
    )
    if comparison.new:
        yield f"  not in the baseline yet: {', '.join(map(repr, comparison.new))}"
    if comparison.missing:
        yield f"  in the baseline, no longer judged: {', '.join(map(repr, comparison.missing))}"
