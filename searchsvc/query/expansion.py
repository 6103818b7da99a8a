"""What a query stands for beyond its words: a company named any way also matches its
ticker, words with synonyms also match them, and a word ending in * matches the indexed
terms that start with it, within limits on what one request may expand."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from searchsvc.entities import Company
from searchsvc.indexing.analysis import query_terms
from searchsvc.query.generation import Generation
from searchsvc.query.results import Limit, short_list
from searchsvc.query.synonyms import SynonymRule, Synonyms
from searchsvc.query.tree import And, Node, Not, Or, Phrase, Ticker, Word

# What one request may cost in prefix expansion (each cut is reported to the reader as a
# Limit): the terms a prefix stands for in each field, the prefixes expanded per query,
# and the shortest prefix expanded at all. Longer or later prefixes are searched as typed.
MAX_PREFIX_TERMS = 64
MAX_PREFIX_WORDS = 8
MIN_PREFIX_LENGTH = 2
POSSESSIVE_END = re.compile(r"['’]s$")
# text -> (start, end, company) spans of company names and symbols in it
CompanyFinder = Callable[[str], list[tuple[int, int, Company]]]


@dataclass
class Prefixes:
    """The prefix expansions of one request, within the limits above; limits() says what
    they changed."""

    gen: Generation
    expanded: int = 0
    too_short: list[str] = field(default_factory=list)  # searched as typed
    unexpanded: list[str] = field(default_factory=list)  # over MAX_PREFIX_WORDS: as typed
    cut: list[str] = field(default_factory=list)  # more than MAX_PREFIX_TERMS in a field

    def expand(self, word: Word, prefix: str, fields: Iterable[str]) -> dict[str, list[str]] | None:
        """Field -> the terms ``word`` (a prefix, analysed as ``prefix``) stands for there;
        None when the word is to be searched as typed instead."""
        written = f"{word.text}*"
        too_short = len(prefix) < MIN_PREFIX_LENGTH
        if too_short or self.expanded >= MAX_PREFIX_WORDS:
            (self.too_short if too_short else self.unexpanded).append(written)
            return None
        self.expanded += 1
        terms: dict[str, list[str]] = {}
        for field_name in fields:
            expansion = self.gen.expand_prefix(field_name, prefix, MAX_PREFIX_TERMS)
            if expansion.cut and written not in self.cut:
                self.cut.append(written)
            # "edge*" must find "edge", indexed as its stem "edg"
            terms[field_name] = list(dict.fromkeys([*expansion.terms, *query_terms(word.text)]))
        return terms

    def limits(self) -> list[Limit]:
        """The limits that changed what the request's prefixes searched for."""
        out = []
        if self.too_short:
            out.append(
                Limit(
                    "prefix_too_short",
                    f"a prefix needs at least {MIN_PREFIX_LENGTH} characters: "
                    f"{short_list(self.too_short)} searched as typed",
                )
            )
        if self.unexpanded:
            out.append(
                Limit(
                    "prefix_words",
                    f"at most {MAX_PREFIX_WORDS} words ending in * are expanded per query: "
                    f"{short_list(self.unexpanded)} searched as typed",
                )
            )
        if self.cut:
            out.append(
                Limit(
                    "prefix_terms",
                    f"{short_list(self.cut)} start more than {MAX_PREFIX_TERMS} indexed "
                    f"words in a field; the {MAX_PREFIX_TERMS} most frequent were searched",
                )
            )
        return out


def expand_companies(node: Node, find: CompanyFinder) -> Node:
    """Rewrite a tree so a company named any way also matches its ticker.

    Runs of unfielded plain words are searched for company names ("taiwan semiconductor",
    "nvda", "9988.hk"); each run found becomes Or(the words as a phrase, Ticker(symbol)).
    `ticker:` words are resolved to canonical symbols.
    """
    if isinstance(node, Word | Phrase) and node.field == "ticker":
        text = node.text if isinstance(node, Word) else " ".join(node.words)
        return Ticker(resolve_tickers(text, find), text)
    if isinstance(node, Phrase) and node.field is None:
        text = " ".join(node.words)
        spans = find(text)
        if len(spans) == 1 and spans[0][0] == 0 and spans[0][1] == len(text):
            return Or((node, Ticker((spans[0][2].symbol,), text)))
        return node
    if isinstance(node, Word) and node.field is None and not node.prefix:
        return _expand_run([node], find, whole_query=True)[0]
    if isinstance(node, Not):
        return Not(expand_companies(node.child, find))
    if isinstance(node, Or):
        return Or(tuple(expand_companies(c, find) for c in node.children))
    if isinstance(node, And):
        out: list[Node] = []
        run: list[Word] = []
        for child in node.children:
            if isinstance(child, Word) and child.field is None and not child.prefix:
                run.append(child)
                continue
            out.extend(_expand_run(run, find))
            run = []
            out.append(expand_companies(child, find))
        out.extend(_expand_run(run, find))
        return And(tuple(out))
    return node


@dataclass(frozen=True)
class SynonymExpansion:
    """Words of the query that a synonym rule also searched as other words."""

    written: str  # the words as typed
    alternatives: tuple[Node, ...]  # the nodes searched for the rule's other entries
    rule: SynonymRule


def expand_synonyms(node: Node, synonyms: Synonyms) -> tuple[Node, list[SynonymExpansion]]:
    """Rewrite a tree so that runs of plain words matching a synonym rule also match the
    rule's other entries: Or(the words as typed, each alternative as a word or phrase).
    Phrases, field terms, exclusions and company names stay as written."""
    found: list[SynonymExpansion] = []
    return _with_synonyms(node, synonyms, found), found


def _with_synonyms(node: Node, synonyms: Synonyms, found: list[SynonymExpansion]) -> Node:
    if isinstance(node, Word):
        return _synonym_run([node], synonyms, found)[0] if _plain(node) else node
    if isinstance(node, Or) and not any(isinstance(c, Ticker) for c in node.children):
        return Or(tuple(_with_synonyms(c, synonyms, found) for c in node.children))
    if isinstance(node, And):
        out: list[Node] = []
        run: list[Word] = []
        for child in node.children:
            if isinstance(child, Word) and _plain(child):
                run.append(child)
                continue
            out.extend(_synonym_run(run, synonyms, found))
            run = []
            out.append(_with_synonyms(child, synonyms, found))
        out.extend(_synonym_run(run, synonyms, found))
        return And(tuple(out))
    return node


def _plain(word: Word) -> bool:
    return word.field is None and not word.prefix


def _synonym_run(
    words: list[Word], synonyms: Synonyms, found: list[SynonymExpansion]
) -> list[Node]:
    out: list[Node] = []
    i = 0
    for match in synonyms.find([w.text for w in words]) if words else []:
        out.extend(words[i : match.start])
        typed = words[match.start : match.end]
        typed_node: Node = typed[0] if len(typed) == 1 else And(tuple(typed))
        alternatives = tuple(
            Word(entry[0]) if len(entry) == 1 else Phrase(entry) for entry in match.alternatives
        )
        written = " ".join(w.text for w in typed)
        found.append(SynonymExpansion(written, alternatives, match.rule))
        out.append(Or((typed_node, *alternatives)))
        i = match.end
    out.extend(words[i:])
    return out


def resolve_tickers(text: str, find: CompanyFinder) -> tuple[str, ...]:
    """Canonical symbols for what a reader wrote after `ticker:` or in `?ticker=`:
    a symbol, another listing or a company name ("nvda", "2330.TW", "Alibaba")."""
    symbols = tuple(dict.fromkeys(c.symbol for _, _, c in find(text)))
    return symbols or (text.strip().upper(),)


def _names_the_company(written: str, company: Company, whole_query: bool) -> bool:
    """Whether a name found in a query means the company.

    A name that is also an ordinary word ("shell", "pool", "block", "apple") means the
    company only when it is the whole query or written with a capital ("Shell results");
    in "shell company" or "swimming pool" it is just a word."""
    bare = POSSESSIVE_END.sub("", written).casefold()
    if bare not in {a.casefold() for a in company.ambiguous}:
        return True
    return whole_query or written[:1].isupper()


def _expand_run(words: list[Word], find: CompanyFinder, whole_query: bool = False) -> list[Node]:
    """Replace the words of a run that name a company with Or(words, Ticker)."""
    if not words:
        return []
    text = ""
    starts: list[int] = []
    for w in words:
        starts.append(len(text))
        text += w.text + " "
    out: list[Node] = []
    i = 0
    for start, end, company in find(text.rstrip()):
        first = next((k for k, s in enumerate(starts) if s >= start), len(words))
        last = max((k for k, s in enumerate(starts) if s < end), default=-1)
        if first > last or first < i:
            continue
        if not _names_the_company(text[start:end], company, whole_query):
            continue
        out.extend(words[i:first])
        covered = words[first : last + 1]
        # a multi-word name is a phrase: "taiwan semiconductor", not taiwan AND semiconductor
        text_node: Node = (
            covered[0] if len(covered) == 1 else Phrase(tuple(w.text for w in covered))
        )
        out.append(Or((text_node, Ticker((company.symbol,), text[start:end]))))
        i = last + 1
    out.extend(words[i:])
    return out
