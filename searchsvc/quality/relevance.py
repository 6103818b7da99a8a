"""Relevance evaluation: graded judgments -> nDCG@10, MRR and recall@10 per query.

A judgments file is TSV, one `query<TAB>slug<TAB>grade` per line, grade 0-3 (3 = the
article is about it, 2 = substantially about it, 1 = mentions it usefully, 0 = judged not
relevant). Blank lines and lines starting with `#` are skipped; a `#` later in a line is
part of the text (queries such as `C#` stay possible).

Metrics, each over the first K results of the real search path (`search.search`):

- nDCG@K: DCG = sum((2**grade - 1) / log2(rank + 1)); divided by the DCG of the best
  possible order of every grade judged for that query.
- MRR: the reciprocal rank of the first result with grade >= RELEVANT_GRADE, 0 when none is
  in the first K (so it is MRR@K).
- recall@K: relevant results (grade >= RELEVANT_GRADE) in the first K / all relevant judged.

A result nobody judged counts as grade 0. A query with no relevant judgment (only 0s) has no
defined nDCG or recall: its metrics are None and it is left out of the overall means, which
say how many queries they cover.

Saved runs and the comparison with them are searchsvc/quality/baseline.py; the text table
the CLI prints is searchsvc/quality/report.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.errors import BadParameter, SearchsvcError
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.search import search

K = 10
MIN_GRADE, MAX_GRADE = 0, 3
RELEVANT_GRADE = 1  # a result counts as relevant (MRR, recall) from this grade up
BASELINE_FORMAT = 1  # the "format" of a saved run (RelevanceRun.to_json)
METRICS = ("ndcg", "mrr", "recall")
GRADES = {str(g): g for g in range(MIN_GRADE, MAX_GRADE + 1)}
PRECISION = 4  # digits kept in baselines; deltas are compared at this precision


class BadJudgments(BadParameter):
    code = "bad_judgments"


def labels(k: int = K) -> dict[str, str]:
    """Display names of the metrics."""
    return {"ndcg": f"nDCG@{k}", "mrr": "MRR", "recall": f"recall@{k}"}


@dataclass(frozen=True)
class Judgments:
    """query -> {slug: grade}, queries in file order; `lines` gives each query's first line."""

    queries: dict[str, dict[str, int]]
    source: str = "<judgments>"
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def pairs(self) -> int:
        return sum(len(graded) for graded in self.queries.values())


def parse_judgments(text: str, source: str = "<judgments>") -> Judgments:
    """Judgments from TSV text; BadJudgments names `source:line` for the first bad line."""
    queries: dict[str, dict[str, int]] = {}
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}"
        columns = [c.strip() for c in raw.rstrip("\r\n").split("\t")]
        if len(columns) != 3:
            hint = None if "\t" in raw else "columns are separated by tabs, not spaces"
            raise BadJudgments(
                f"{where}: expected 3 tab-separated columns (query, slug, grade), "
                f"found {len(columns)}",
                hint=hint,
            )
        query, slug, grade_text = columns
        if not query or not slug:
            raise BadJudgments(f"{where}: the {'query' if not query else 'slug'} is empty")
        if grade_text not in GRADES:
            raise BadJudgments(
                f"{where}: grade must be a whole number {MIN_GRADE}-{MAX_GRADE}, not {grade_text!r}"
            )
        grade = GRADES[grade_text]
        graded = queries.setdefault(query, {})
        lines.setdefault(query, number)
        if graded.get(slug, grade) != grade:
            raise BadJudgments(
                f"{where}: {query!r} / {slug!r} is graded {grade} here but {graded[slug]} earlier"
            )
        graded[slug] = grade
    if not queries:
        raise BadJudgments(f"{source}: no judgments (expected query<TAB>slug<TAB>grade lines)")
    return Judgments(queries, source, lines)


def read_judgments(path: Path | str) -> Judgments:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise BadJudgments(f"no judgments file {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BadJudgments(f"cannot read judgments file {path}: {exc}") from exc
    return parse_judgments(text, str(path))


# --- metrics: pure functions of a ranking and one query's judgments ---------------------------


@dataclass(frozen=True)
class Metrics:
    ndcg: float
    mrr: float
    recall: float

    def to_json(self) -> dict[str, float]:
        return {name: round(getattr(self, name), PRECISION) for name in METRICS}


def dcg(grades: Sequence[int], k: int = K) -> float:
    """Discounted cumulative gain of grades in rank order, graded gain 2**g - 1."""
    return sum((2**g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades[:k], 1))


def ndcg_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = K) -> float | None:
    ideal = dcg(sorted(judged.values(), reverse=True), k)
    if ideal == 0:
        return None
    return dcg([judged.get(slug, 0) for slug in ranked[:k]], k) / ideal


def reciprocal_rank(ranked: Sequence[str], judged: Mapping[str, int], k: int = K) -> float:
    for rank, slug in enumerate(ranked[:k], 1):
        if judged.get(slug, 0) >= RELEVANT_GRADE:
            return 1 / rank
    return 0.0


def recall_at_k(ranked: Sequence[str], judged: Mapping[str, int], k: int = K) -> float | None:
    relevant = {slug for slug, grade in judged.items() if grade >= RELEVANT_GRADE}
    if not relevant:
        return None
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def query_metrics(ranked: Sequence[str], judged: Mapping[str, int], k: int = K) -> Metrics | None:
    """The three metrics of one ranking, None when the query has no relevant judgment."""
    ndcg = ndcg_at_k(ranked, judged, k)
    recall = recall_at_k(ranked, judged, k)
    if ndcg is None or recall is None:
        return None
    return Metrics(ndcg, reciprocal_rank(ranked, judged, k), recall)


def mean_metrics(values: Sequence[Metrics | None]) -> Metrics | None:
    scored = [m for m in values if m is not None]
    if not scored:
        return None
    return Metrics(*(sum(getattr(m, name) for m in scored) / len(scored) for name in METRICS))


# --- a run over the index --------------------------------------------------------------------


@dataclass(frozen=True)
class QueryResult:
    query: str
    metrics: Metrics | None  # None: no relevant judgment, left out of the means
    hits: tuple[str, ...]  # slugs of the first K results
    total: int
    relevant: int  # judged relevant
    found: int  # judged relevant among the hits
    dropped: tuple[str, ...] = ()  # words a relaxed `match=all` search left out
    suggestion: str | None = None
    corrections: tuple[tuple[str, str], ...] = ()  # (typed, searched) words
    unknown_slugs: tuple[str, ...] = ()  # judged, but not in the index


@dataclass(frozen=True)
class RelevanceRun:
    queries: tuple[QueryResult, ...]
    k: int = K
    match: str = "all"
    generation: int | None = None
    judgments: str | None = None
    created: str = ""

    @property
    def overall(self) -> Metrics | None:
        return mean_metrics([q.metrics for q in self.queries])

    @property
    def scored(self) -> int:
        return sum(1 for q in self.queries if q.metrics is not None)

    def by_query(self) -> dict[str, QueryResult]:
        return {q.query: q for q in self.queries}

    def to_json(self) -> dict[str, Any]:
        overall = self.overall
        return {
            "format": BASELINE_FORMAT,
            "created": self.created,
            "judgments": self.judgments,
            "index_generation": self.generation,
            "k": self.k,
            "match": self.match,
            "relevant_grade": RELEVANT_GRADE,
            "overall": {
                **(overall.to_json() if overall else dict.fromkeys(METRICS)),
                "queries": self.scored,
                "unscored": len(self.queries) - self.scored,
            },
            "queries": {q.query: _query_json(q) for q in self.queries},
        }


def _query_json(q: QueryResult) -> dict[str, Any]:
    return {
        **(q.metrics.to_json() if q.metrics else dict.fromkeys(METRICS)),
        "total": q.total,
        "relevant": q.relevant,
        "found": q.found,
        "hits": list(q.hits),
        **({"dropped": list(q.dropped)} if q.dropped else {}),
        **({"suggestion": q.suggestion} if q.suggestion else {}),
        **({"corrections": [list(c) for c in q.corrections]} if q.corrections else {}),
        **({"unknown_slugs": list(q.unknown_slugs)} if q.unknown_slugs else {}),
    }


def evaluate(
    handle: IndexHandle,
    judgments: Judgments,
    companies: CompanyDictionary | None = None,
    match: str = "all",
    k: int = K,
) -> RelevanceRun:
    """Run every judged query through the real search path and score its first k hits."""
    with handle.lease() as gen:
        generation = gen.number
        known = {
            slug: gen.docnum_for_slug(slug) is not None
            for graded in judgments.queries.values()
            for slug in graded
        }
    results = []
    for query, judged in judgments.queries.items():
        try:
            request = SearchRequest(q=query, match=match, per_page=k, facets=())
            found = search(handle, request, companies)
        except SearchsvcError as exc:
            line = judgments.lines.get(query)
            where = f"{judgments.source}:{line}" if line else judgments.source
            raise BadJudgments(f"{where}: query {query!r}: {exc.message}") from exc
        ranked = tuple(hit.doc["slug"] for hit in found.hits)
        relevant = {s for s, g in judged.items() if g >= RELEVANT_GRADE}
        results.append(
            QueryResult(
                query=query,
                metrics=query_metrics(ranked, judged, k),
                hits=ranked,
                total=found.total,
                relevant=len(relevant),
                found=len(relevant.intersection(ranked)),
                dropped=found.dropped,
                suggestion=found.suggestion,
                corrections=tuple((c.typed, c.word) for c in found.corrections),
                unknown_slugs=tuple(s for s in judged if not known[s]),
            )
        )
    return RelevanceRun(
        queries=tuple(results),
        k=k,
        match=match,
        generation=generation,
        judgments=judgments.source,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
