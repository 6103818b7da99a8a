"""Ticker-shaped symbols that match no company: the editor's list for growing the dictionary.

The indexer stores each article's unknown symbols (cashtags, exchange-prefixed symbols,
listing codes that the dictionary does not know) in a value field; this module sums
them over the current generation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from searchsvc.query.generation import Generation


@dataclass(frozen=True)
class UnknownSymbolCount:
    symbol: str
    articles: int  # how many articles mention it
    mentions: int  # how often, over all of them
    examples: tuple[str, ...]  # slugs of a few of those articles


def unknown_symbols(gen: Generation, limit: int = 50) -> list[UnknownSymbolCount]:
    """Unknown symbols over all live articles, most widespread first."""
    column = gen.columns["unknown_symbols"]
    live = gen.alive[column.doc_ids]
    doc_ids, value_ids, weights = column.doc_ids[live], column.value_ids[live], column.weights[live]
    articles = np.bincount(value_ids, minlength=len(column.values))
    mentions = np.bincount(value_ids, weights=weights, minlength=len(column.values))
    order = sorted(
        np.flatnonzero(articles).tolist(),
        key=lambda i: (-articles[i], -mentions[i], column.values[i]),
    )[:limit]
    return [
        UnknownSymbolCount(
            symbol=column.values[i],
            articles=int(articles[i]),
            mentions=int(mentions[i]),
            examples=tuple(gen.stored(int(d))["slug"] for d in doc_ids[value_ids == i][:3]),
        )
        for i in order
    ]
