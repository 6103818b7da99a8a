"""What evaluating a query yields (Matched: masks and scores over every document), the
scored leaves and trace that /admin/explain reads, and BM25 itself. scoring.py's
Evaluator makes them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from searchsvc.query.generation import Generation

# BM25's term-frequency saturation and length normalisation
K1 = 1.2
B = 0.75


@dataclass
class Matched:
    mask: np.ndarray  # bool per docnum
    scores: np.ndarray  # float32 per docnum
    # Only when tracing: leaf id -> its share of `scores` for each traced document. The
    # shares of a document add up to its score, through every And, Or, Not and factor.
    trace: dict[int, np.ndarray] | None = None
    # The documents matched by the words as typed, when some matched only through a
    # correction or a completion; None when every match is exact.
    exact: np.ndarray | None = None

    def exact_mask(self) -> np.ndarray:
        return self.mask if self.exact is None else self.exact


@dataclass(frozen=True)
class Leaf:
    """One scored unit of a query: a term in a field, or a ticker."""

    # "term" (BM25 in one field), "phrase term" (the same, phrase found), "correction"
    # (a term searched for a misspelt word), "completion" (a term the last word, typed in
    # part, may be) or "ticker"
    kind: str
    field: str
    term: str
    boost: float
    df: int
    idf: float
    written: str  # the query words it came from


@dataclass
class Trace:
    """What an Evaluator records for the documents it traces (for /admin/explain)."""

    docnums: np.ndarray  # the traced documents, in the order their shares are kept
    slot: np.ndarray  # docnum -> index into docnums, or -1
    leaves: list[Leaf] = field(default_factory=list)
    prefixes: list[tuple[str, str, list[str]]] = field(default_factory=list)  # word, field, terms

    def shares(self, ids: np.ndarray, contributions: np.ndarray) -> np.ndarray:
        """One leaf's contributions, gathered for the traced documents."""
        out = np.zeros(len(self.docnums), np.float32)
        slots = self.slot[ids]
        keep = slots >= 0
        np.add.at(out, slots[keep], contributions[keep])
        return out


def idf(gen: Generation, df: int) -> float:
    n = max(gen.doc_count, df)
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def bm25(
    gen: Generation, field_name: str, term: str, boost: float, weight: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, contributions) of one term in one field; ``weight`` in place of
    boost * idf (completions share one idf, see Evaluator._complete)."""
    ids, tf = gen.postings(field_name, term)
    if not len(ids):
        return ids, tf
    norm = K1 * (1.0 - B + B * gen.lengths[field_name][ids] / gen.avg_length[field_name])
    if weight is None:
        weight = boost * idf(gen, len(ids))
    return ids, (weight * tf * (K1 + 1.0) / (tf + norm)).astype(np.float32)
