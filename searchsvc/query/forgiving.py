"""Which words of a query are forgiven: corrected when the index does not know them
(typos.py finds the correction), and completed while the reader is still typing.

Only words that read as words are corrected: not numbers, symbols written in capitals,
cashtags, quoted phrases, field terms (`ticker:`, `title:` …), exclusions, or words that
named a company (those are known). The word completed is the query's last, unless the
query ends with a space or its last part is a phrase, a field value, an exclusion, a
cashtag or a company name of several words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from searchsvc.query.tree import And, Node, Not, Or, Ticker, Word

# letters, with inner apostrophes ("don't"): no digits, no "$", no joiners of symbols
WORD_SHAPE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# "NVDAA", "TSMCX": capitals this short are a symbol being typed, kept as written
SYMBOL_LETTERS = 5


@dataclass(frozen=True)
class Forgiving:
    """The words of one parsed query that may be corrected or completed (by node identity:
    the evaluator meets these very nodes)."""

    correctable: frozenset[int]
    completing: int | None
    synonyms: frozenset[int] = frozenset()  # nodes searched for a synonym of the typed words


def forgiving_words(
    tree: Node, q: str, typos: str, prefix: str, synonyms: frozenset[int] = frozenset()
) -> Forgiving:
    """What a request's ``typos`` and ``prefix`` settings forgive in its parsed ``tree``
    (expanded: ``synonyms`` are the ids of the nodes synonym expansion added)."""
    words: list[Word] = []
    leaves: list[Word | None] = []  # every leaf in query order; None where not completable
    _collect(tree, words, leaves, plain=True, added=synonyms)
    correctable = frozenset(id(w) for w in words if typos != "0" and _reads_as_word(w.text))
    completing = None
    last = leaves[-1] if leaves else None
    if prefix == "last" and q == q.rstrip() and last is not None and last.text[:1] != "$":
        completing = id(last)
    return Forgiving(correctable, completing, synonyms)


def _collect(
    node: Node,
    words: list[Word],
    leaves: list[Word | None],
    plain: bool,
    added: frozenset[int],
) -> None:
    """Gather the plain words (unfielded, outside exclusions and company names) in query
    order, and every leaf: the word itself where it is plain, else None. Words a synonym
    added are not the reader's: neither corrected nor completed."""
    if id(node) in added:
        leaves.append(None)
    elif isinstance(node, Or) and any(isinstance(c, Ticker) for c in node.children):
        # a company: its words are known (never corrected), but a last one may be a word
        # on its way to another ("payp" is PayPay's symbol, and the start of "paypal")
        typed = [c for c in node.children if not isinstance(c, Ticker)]
        if plain and len(typed) == 1 and isinstance(typed[0], Word):
            leaves.append(typed[0])
        else:
            leaves.append(None)
    elif isinstance(node, And | Or):
        for child in node.children:
            _collect(child, words, leaves, plain, added)
    elif isinstance(node, Not):
        _collect(node.child, [], leaves, False, added)
    elif isinstance(node, Word) and plain and node.field is None and not node.prefix:
        words.append(node)
        leaves.append(node)
    else:
        leaves.append(None)


def _reads_as_word(text: str) -> bool:
    if not WORD_SHAPE.fullmatch(text):
        return False
    return not (text.isupper() and len(text) <= SYMBOL_LETTERS)
