"""A generation's value columns, read once per segment: facet counts and their order."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from searchsvc.query.columns import column_from_pairs

VALUES = st.lists(st.text("aAbBéÉ -", min_size=1, max_size=4), unique=True, max_size=40)


@given(VALUES, st.data())
def test_top_values_are_by_count_then_case_insensitive_name(
    values: list[str], data: st.DataObject
) -> None:
    docs = {v: data.draw(st.sets(st.integers(0, 30), max_size=8)) for v in values}
    pairs = {
        v: (np.array(sorted(d), dtype=np.int32), np.ones(len(d), dtype=np.float32))
        for v, d in docs.items()
    }
    column = column_from_pairs(pairs)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=31, max_size=31)))
    counts = column.counts(mask)
    k = data.draw(st.integers(1, 25))
    # the rule as a plain sort: highest count first, then the name casefolded, then the
    # value's own order (two spellings of one name, "AI" and "Ai", keep theirs)
    expected = sorted(
        (i for i in range(len(values)) if counts[i]),
        key=lambda i: (-counts[i], column.values[i].casefold()),
    )[:k]
    assert column.top(counts, k) == expected
