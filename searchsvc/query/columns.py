"""The value columns a generation merges from its segments' arrays (indexing/segments.py):
one per value field (facets, filters, dates), with facet counts and their order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from searchsvc.indexing.segments import Postings


@dataclass(frozen=True)
class ValueColumn:
    """One value field over all documents, as (document, value) pairs."""

    values: tuple[str, ...]  # distinct values as indexed
    doc_ids: np.ndarray  # entry -> docnum
    value_ids: np.ndarray  # entry -> index into values
    weights: np.ndarray  # entry -> weight (mentions, for tickers)
    by_folded: dict[str, tuple[int, ...]]  # casefolded value -> value ids
    label_rank: np.ndarray  # value id -> its place in (casefolded value, value id) order

    def mask_for(self, wanted: tuple[str, ...], doc_count: int) -> np.ndarray:
        """Documents having any of the wanted values (case-insensitive)."""
        ids = [i for value in wanted for i in self.by_folded.get(value.casefold(), ())]
        mask = np.zeros(doc_count, dtype=bool)
        if ids:
            mask[self.doc_ids[np.isin(self.value_ids, ids)]] = True
        return mask

    def counts(self, doc_mask: np.ndarray) -> np.ndarray:
        """Per value, how many documents in doc_mask have it."""
        selected = self.value_ids[doc_mask[self.doc_ids]]
        return np.bincount(selected, minlength=len(self.values))

    def top(self, counts: np.ndarray, k: int) -> list[int]:
        """The ids of the k values with the highest counts (none of 0), ties in
        case-insensitive alphabetical order: a facet's first entries."""
        nonzero = np.flatnonzero(counts)
        order = np.lexsort((self.label_rank[nonzero], -counts[nonzero]))[:k]
        return nonzero[order].tolist()


def column_from_pairs(pairs: dict[str, Postings]) -> ValueColumn:
    """A value field's column from its values' postings (documents and weights)."""
    values = tuple(pairs)
    doc_parts = [pairs[v][0] for v in values]
    weight_parts = [pairs[v][1] for v in values]
    lengths = np.fromiter((len(d) for d in doc_parts), dtype=np.int64, count=len(values))
    casefolded = [value.casefold() for value in values]
    folded: dict[str, list[int]] = {}
    for i, value in enumerate(casefolded):
        folded.setdefault(value, []).append(i)
    rank = np.empty(len(values), dtype=np.int64)
    # a stable sort: equal casefolded values stay in value id order
    rank[sorted(range(len(values)), key=casefolded.__getitem__)] = np.arange(len(values))
    return ValueColumn(
        values=values,
        doc_ids=np.concatenate(doc_parts) if doc_parts else np.zeros(0, np.int32),
        value_ids=np.repeat(np.arange(len(values), dtype=np.int32), lengths),
        weights=np.concatenate(weight_parts) if weight_parts else np.zeros(0, np.float32),
        by_folded={k: tuple(v) for k, v in folded.items()},
        label_rank=rank,
    )
