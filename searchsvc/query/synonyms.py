"""Synonyms in Solr's file format: parse a list, find its rules in a query's words, and
keep the rules of a file current while the service runs (no reindex: synonyms apply to
the query, whose words are analysed exactly as the index was).

One rule a line, as in Solr's SynonymGraphFilter and Elasticsearch's "solr" format::

    # a comment; blank lines are skipped
    HBM, high bandwidth memory      # equivalent: each entry finds all the others
    BoE => Bank of England          # one-way: "BoE" also finds "Bank of England"
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from searchsvc.errors import BadParameter
from searchsvc.indexing.analysis import query_terms

BUILT_IN_SOURCE = "synonyms.txt (built in)"
# "#" starts a comment at the start of a line or after whitespace, so "C#" stays a word.
COMMENT = re.compile(r"(?:^|\s)#.*")

Entry = tuple[str, ...]  # an entry as written, split on whitespace
Terms = tuple[str, ...]  # an entry as analysed, the terms the index holds for it


class BadSynonyms(BadParameter):
    code = "bad_synonyms"


@dataclass(frozen=True)
class SynonymRule:
    """One line of a synonym list. An equivalence ``a, b, c`` is stored as Solr expands
    it, ``a, b, c => a, b, c``: its sources and its targets are all of its entries."""

    line: int
    text: str  # the rule as written, without its comment
    sources: tuple[Entry, ...]
    targets: tuple[Entry, ...]
    equivalent: bool

    @cached_property
    def source_terms(self) -> tuple[Terms, ...]:
        return tuple(analysed(entry) for entry in self.sources)

    @cached_property
    def target_terms(self) -> tuple[Terms, ...]:
        return tuple(analysed(entry) for entry in self.targets)


@dataclass(frozen=True)
class SynonymMatch:
    """Words ``start:end`` of a query match a rule, and also find ``alternatives``."""

    start: int
    end: int  # exclusive
    alternatives: tuple[Entry, ...]  # as written, never the matched entry itself
    rule: SynonymRule  # the first in file order, when several rules match these words


@dataclass(frozen=True)
class Synonyms:
    """The rules of one synonym list, and where they were read from."""

    rules: tuple[SynonymRule, ...]
    source: str

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever the rules do (HTTP caching tells answers apart by it)."""
        text = "\n".join(f"{rule.line}\t{rule.text}" for rule in self.rules)
        return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()

    @cached_property
    def _by_first_term(self) -> dict[str, list[tuple[Terms, SynonymRule]]]:
        index: dict[str, list[tuple[Terms, SynonymRule]]] = {}
        for rule in self.rules:
            for terms in dict.fromkeys(rule.source_terms):
                if terms:
                    index.setdefault(terms[0], []).append((terms, rule))
        return index

    def find(self, words: Sequence[str]) -> list[SynonymMatch]:
        """The rules the words of a query (raw, as typed) match: leftmost first, the
        longest match at each position, never overlapping; each with what it adds."""
        terms: list[str] = []
        word_of: list[int] = []  # the word each term comes from
        for number, word in enumerate(words):
            for term in query_terms(word):
                terms.append(term)
                word_of.append(number)
        # Matches start and end where words do: "first-quarter" is one word of two terms,
        # and "first" alone does not match in it.
        bounds = {0, len(terms)} | {i for i in range(1, len(terms)) if word_of[i] != word_of[i - 1]}
        matches = []
        i = 0
        while i < len(terms):
            length, rules = self._longest_at(terms, i, bounds) if i in bounds else (0, [])
            if rules:
                key = terms[i : i + length]
                match = _merged(word_of[i], word_of[i + length - 1] + 1, key, rules)
                if match.alternatives:  # else a rule like "colour => colour": nothing to add
                    matches.append(match)
            i += max(length, 1)
        return matches

    def _longest_at(
        self, terms: list[str], i: int, bounds: set[int]
    ) -> tuple[int, list[SynonymRule]]:
        best = 0
        rules: list[SynonymRule] = []  # in file order, as the index lists them
        for key, rule in self._by_first_term.get(terms[i], ()):
            end = i + len(key)
            if end in bounds and len(key) >= best and tuple(terms[i:end]) == key:
                if len(key) > best:
                    best, rules = len(key), []
                rules.append(rule)
        return best, rules

    def to_json(self) -> dict[str, Any]:
        """The list as the admin endpoint shows it."""
        return {
            "source": self.source,
            "rules": [
                {
                    "line": rule.line,
                    "text": rule.text,
                    "equivalent": rule.equivalent,
                    "sources": [" ".join(entry) for entry in rule.sources],
                    "targets": [" ".join(entry) for entry in rule.targets],
                }
                for rule in self.rules
            ],
            "count": len(self.rules),
        }


def analysed(entry: Entry) -> Terms:
    """The indexed terms an entry stands for (stop words dropped, stemmed)."""
    return tuple(query_terms(" ".join(entry)))


def _merged(start: int, end: int, key: list[str], rules: list[SynonymRule]) -> SynonymMatch:
    seen = {tuple(key)}
    alternatives = []
    for rule in rules:
        for entry, terms in zip(rule.targets, rule.target_terms, strict=True):
            if terms not in seen:
                seen.add(terms)
                alternatives.append(entry)
    return SynonymMatch(start, end, tuple(alternatives), rules[0])


def parse_synonyms(text: str, source: str) -> Synonyms:
    """The rules of a synonym list in Solr's format; BadSynonyms names a bad line."""
    rules = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = COMMENT.sub("", raw).strip()
        if line:
            rules.append(_rule(line, number, source))
    return Synonyms(tuple(rules), source)


def _rule(line: str, number: int, source: str) -> SynonymRule:
    def bad(reason: str) -> BadSynonyms:
        return BadSynonyms(f"{source} line {number}: {reason}")

    if line.count("=>") > 1:
        raise bad('"=>" more than once')
    if "=>" in line:
        left, right = line.split("=>")
        sources = _entries(left, bad, 'before "=>"')
        targets = _entries(right, bad, 'after "=>"')
        return SynonymRule(number, line, sources, targets, equivalent=False)
    entries = _entries(line, bad, "")
    if len(entries) < 2:
        raise bad(f'only one entry, "{line}": an equivalence needs two, separated by ","')
    return SynonymRule(number, line, entries, entries, equivalent=True)


def _entries(side: str, bad: Callable[[str], BadSynonyms], where: str) -> tuple[Entry, ...]:
    parts = side.split(",")
    if len(parts) == 1 and not side.strip():
        raise bad(f"no entry {where}")
    entries = []
    for position, part in enumerate(parts):
        entry = tuple(part.split())
        if not entry:
            raise bad(f'empty entry {"before" if position < len(parts) - 1 else "after"} ","')
        if not analysed(entry):
            raise bad(f'"{" ".join(entry)}" has no searchable words (only stop words?)')
        entries.append(entry)
    return tuple(entries)


@lru_cache(maxsize=1)
def default_synonyms() -> Synonyms:
    """The built-in list, read once per process."""
    return load_synonyms(None)


def load_synonyms(path: Path | None) -> Synonyms:
    """The synonym list in ``path``, or the built-in one when ``path`` is None."""
    return parse_synonyms(*_read(path))


def _read(path: Path | None) -> tuple[str, str]:
    """The text of a synonym list, and the name its errors give it."""
    try:
        if path is None:
            built_in = resources.files("searchsvc.query").joinpath("synonyms.txt")
            return built_in.read_text("utf-8"), BUILT_IN_SOURCE
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise BadSynonyms(f"{path or BUILT_IN_SOURCE}: cannot read: {exc}") from None


class SynonymFile:
    """The rules in force for a synonym file (the built-in list when ``path`` is None),
    read again when the file changes. A file that no longer reads or parses, or is empty,
    keeps the rules it had and says why in ``last_error``; one that never read raises
    BadSynonyms. (To turn synonyms off, leave a comment in the file.)"""

    def __init__(
        self,
        path: Path | None,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.check_interval = check_interval
        self.last_error: str | None = None
        self._clock = clock
        self._lock = threading.Lock()
        # stamped before reading: a write during the read is seen at the next check
        self._stamp = None if path is None else _stamp(path)
        self._synonyms = load_synonyms(path)
        self._checked_at = clock()

    def current(self) -> Synonyms:
        """The rules in force, read again first if the file changed since the last check
        (checked at most every ``check_interval`` seconds)."""
        path = self.path
        if path is None or self._clock() - self._checked_at < self.check_interval:
            return self._synonyms
        with self._lock:
            now = self._clock()
            if now - self._checked_at < self.check_interval:
                return self._synonyms  # another thread checked while this one waited
            self._checked_at = now
            stamp = _stamp(path)
            if stamp is not None and stamp == self._stamp:
                return self._synonyms
            self._stamp = stamp
            try:
                text, source = _read(path)
                if not text:  # what saving in place leaves for a moment: not "no synonyms"
                    raise BadSynonyms(f"{source}: empty (being written?): kept the rules before")
                self._synonyms = parse_synonyms(text, source)
            except BadSynonyms as exc:
                self.last_error = exc.message
            else:
                self.last_error = None
            return self._synonyms


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is written or replaced; None when it cannot be seen."""
    try:
        status = os.stat(path)
    except OSError:
        return None  # reading it says why
    return (status.st_mtime_ns, status.st_size, status.st_ino)
