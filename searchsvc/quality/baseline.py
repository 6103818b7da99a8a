"""Baselines: a saved relevance run (JSON), and the regression gate against it.

`compare` reports, per query, every metric that dropped by more than a threshold (absolute)
as a regression, rises by more than it as improvements, and queries present on one side
only; `Comparison.check` fails the gate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchsvc.errors import BadParameter, SearchsvcError
from searchsvc.files import write_atomically
from searchsvc.quality.relevance import (
    BASELINE_FORMAT,
    METRICS,
    PRECISION,
    K,
    Metrics,
    RelevanceRun,
    labels,
)

DEFAULT_THRESHOLD = 0.05


class BadBaseline(BadParameter):
    code = "bad_baseline"


class Regressed(SearchsvcError):
    """The gate failed: some query scores worse than its baseline by more than the threshold."""

    code = "relevance_regressed"
    hint = (
        "if the ranking changed on purpose, re-save the baseline with --save-baseline "
        "(see relevance/README.md)"
    )


@dataclass(frozen=True)
class Baseline:
    """A saved run: per-query metrics (None for unscored queries) and its metadata."""

    queries: dict[str, Metrics | None]
    k: int = K
    match: str = "all"
    overall: Metrics | None = None
    created: str | None = None
    generation: int | None = None
    source: str = "<baseline>"


def save_baseline(run: RelevanceRun, path: Path | str) -> None:
    path = Path(path)
    if path.parent != Path():
        path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(run.to_json(), indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text)


def baseline_from_json(data: Any, source: str = "<baseline>") -> Baseline:
    try:
        if data.get("format") != BASELINE_FORMAT:
            raise BadBaseline(
                f"{source}: baseline format {data.get('format')!r}, expected {BASELINE_FORMAT}"
            )
        queries = {q: _metrics_from_json(m) for q, m in data["queries"].items()}
        overall = _metrics_from_json(data["overall"])
        return Baseline(
            queries=queries,
            k=int(data["k"]),
            match=str(data.get("match", "all")),
            overall=overall,
            created=data.get("created"),
            generation=data.get("index_generation"),
            source=source,
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise BadBaseline(f"{source}: not a relevance baseline ({exc!r})") from exc


def _metrics_from_json(data: Mapping[str, Any]) -> Metrics | None:
    values = [data[name] for name in METRICS]
    if any(v is None for v in values):
        return None
    return Metrics(*(float(v) for v in values))


def load_baseline(path: Path | str) -> Baseline:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadBaseline(
            f"no baseline file {path}", hint="save one with --save-baseline FILE"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadBaseline(f"cannot read baseline {path}: {exc}") from exc
    return baseline_from_json(data, str(path))


@dataclass(frozen=True)
class QueryChange:
    """One query in both the run and the baseline: its metrics before and after."""

    query: str
    before: Metrics | None
    after: Metrics | None
    threshold: float

    def delta(self, name: str) -> float | None:
        if self.before is None or self.after is None:
            return None
        # + 0.0 turns a rounded -0.0 into 0.0
        return round(getattr(self.after, name) - getattr(self.before, name), PRECISION) + 0.0

    @property
    def regressed(self) -> tuple[str, ...]:
        """Metrics that dropped by more than the threshold."""
        return tuple(n for n in METRICS if (d := self.delta(n)) is not None and d < -self.threshold)

    @property
    def improved(self) -> tuple[str, ...]:
        return tuple(n for n in METRICS if (d := self.delta(n)) is not None and d > self.threshold)


@dataclass(frozen=True)
class Comparison:
    threshold: float
    changes: tuple[QueryChange, ...]  # queries on both sides, in run order
    missing: tuple[str, ...]  # in the baseline, not in the run (judgments removed)
    new: tuple[str, ...]  # in the run, not in the baseline (baseline not re-saved)
    overall_before: Metrics | None = None
    overall_after: Metrics | None = None
    k: int = K

    @property
    def regressions(self) -> list[QueryChange]:
        return [c for c in self.changes if c.regressed]

    @property
    def improvements(self) -> list[QueryChange]:
        return [c for c in self.changes if c.improved]

    def check(self) -> None:
        """Raise Regressed naming each regressed query and metric."""
        if not self.regressions:
            return
        names = labels(self.k)
        listed = "; ".join(
            f"{c.query!r} (" + ", ".join(f"{names[n]} {c.delta(n):+.3f}" for n in c.regressed) + ")"
            for c in self.regressions
        )
        count = len(self.regressions)
        raise Regressed(
            f"{count} {'query' if count == 1 else 'queries'} regressed by more than "
            f"{self.threshold:g}: {listed}"
        )

    @property
    def in_sync(self) -> bool:
        """The baseline covers exactly the run's queries."""
        return not self.missing and not self.new


def compare(
    run: RelevanceRun, baseline: Baseline, threshold: float = DEFAULT_THRESHOLD
) -> Comparison:
    """Per-query changes from the baseline; a query regresses when any metric drops by more
    than `threshold` (absolute, e.g. 0.05 = five points of nDCG)."""
    if threshold < 0:
        raise BadParameter(f"threshold must be 0 or more, not {threshold}")
    if baseline.k != run.k or baseline.match != run.match:
        raise BadBaseline(
            f"{baseline.source} was saved with k={baseline.k}, match={baseline.match}; "
            f"this run has k={run.k}, match={run.match}"
        )
    current = run.by_query()
    changes = tuple(
        QueryChange(q.query, baseline.queries[q.query], q.metrics, threshold)
        for q in run.queries
        if q.query in baseline.queries
    )
    return Comparison(
        threshold=threshold,
        changes=changes,
        missing=tuple(q for q in baseline.queries if q not in current),
        new=tuple(q.query for q in run.queries if q.query not in baseline.queries),
        overall_before=baseline.overall,
        overall_after=run.overall,
        k=run.k,
    )


def comparison_to_json(comparison: Comparison) -> dict[str, Any]:
    def deltas(c: QueryChange) -> dict[str, float | None]:
        return {name: c.delta(name) for name in METRICS}

    return {
        "threshold": comparison.threshold,
        "regressions": [
            {"query": c.query, "metrics": list(c.regressed), "delta": deltas(c)}
            for c in comparison.regressions
        ],
        "improvements": [
            {"query": c.query, "metrics": list(c.improved), "delta": deltas(c)}
            for c in comparison.improvements
        ],
        "missing": list(comparison.missing),
        "new": list(comparison.new),
    }
