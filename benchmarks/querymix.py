"""A fixed, seeded mix of search-box queries drawn from the corpus being benchmarked.

Each query is a small structure (:class:`BenchQuery`) rendered twice: as the text a reader
types into searchsvc's search box, and as the equivalent SQLite FTS5 MATCH expression.
The mix is a pure function of (articles, n, seed): the same corpus and seed give the same
queries. Most queries start from a "seed article" that contains their words, so they match.

``derive_mix`` turns that default mix into the ``typos`` and ``typing`` mixes: its plain
word queries as a reader mistypes them, or half types their last word.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from benchmarks.vocab import COMPANIES, NAMES, PHRASES, TOPICS, is_content_word, tokens
from searchsvc.ingest.articles import Article
from searchsvc.quality.variants import typing_variant, typo_variant

# Share of the mix per kind of query text (the remainder is plain 1-3 word queries).
KIND_SHARES = {"phrase": 0.15, "or": 0.03, "exclude": 0.03, "prefix": 0.03, "zero": 0.01}
FILTER_SHARE = 0.15  # queries that also carry a tag, category or date filter
NEWEST_SHARE = 0.05  # queries sorted newest first
# --mix: what each mix gives searchsvc and the references (printed in the reports' headers)
MIXES = {
    "default": "as build_mix makes them",
    "typos": "one typo per word of 5+ letters for searchsvc (typos=auto);\n  the references"
    " get the words as meant: they cannot correct typos",
    "typing": "last word cut to 3-4 letters: searchsvc gets it as typed (prefix=last),\n"
    '  the references that word as a prefix (FTS5 "word"*, tantivy its regex word.*)',
}


@dataclass(frozen=True)
class Term:
    """One word, a quoted phrase (several words), or a prefix (word*)."""

    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Clause:
    """Alternatives joined by OR (one alternative for a plain term); negated means -exclude."""

    alternatives: tuple[Term, ...]
    negated: bool = False


@dataclass(frozen=True)
class BenchQuery:
    """One logical search-box request: text clauses (ANDed), filters and sort order."""

    kind: str
    clauses: tuple[Clause, ...]
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    sort: str = "relevance"
    typed: str | None = None  # searchsvc's text when the reader typed other than the clauses

    def text(self) -> str:
        """The query as a reader types it in searchsvc's query language."""
        return self.logical_text() if self.typed is None else self.typed

    def logical_text(self) -> str:
        """The clauses in searchsvc's query language: what the references are asked."""
        parts = []
        for clause in self.clauses:
            alts = [_user_term(t) for t in clause.alternatives]
            body = " OR ".join(alts)
            if len(alts) > 1 and len(self.clauses) > 1:
                body = f"({body})"
            parts.append(f"-{body}" if clause.negated else body)
        return " ".join(parts)

    def filter_params(self) -> list[tuple[str, str]]:
        """Its sort and filters as /api/search parameters (and fts5_http.py's, which takes
        the same names)."""
        params = [("sort", self.sort)]
        params += [("tag", tag) for tag in self.tags]
        params += [("category", category) for category in self.categories]
        if self.date_from:
            params.append(("from", self.date_from))
        if self.date_to:
            params.append(("to", self.date_to))
        return params

    def fts5_match(self) -> str:
        """The same logical query as an FTS5 MATCH expression ("" = every article)."""
        positive = [_fts5_clause(c) for c in self.clauses if not c.negated]
        negative = [_fts5_clause(c) for c in self.clauses if c.negated]
        expr = " AND ".join(positive)
        if negative and expr:
            expr = f"({expr})" if len(positive) > 1 else expr
            expr += "".join(f" NOT {n}" for n in negative)
        return expr

    def describe(self) -> str:
        """Query text plus filters and sort, for reports."""
        extra = [f"tag={t}" for t in self.tags] + [f"category={c}" for c in self.categories]
        if self.date_from or self.date_to:
            extra.append(f"date={self.date_from or ''}..{self.date_to or ''}")
        if self.sort != "relevance":
            extra.append(f"sort={self.sort}")
        if self.typed is not None:
            extra.insert(0, f"references: {self.logical_text()}")
        return self.text() + (f"  [{', '.join(extra)}]" if extra else "")


def _user_term(term: Term) -> str:
    if term.phrase:
        return f'"{term.text}"'
    return term.text + ("*" if term.prefix else "")


def fts5_string(text: str) -> str:
    """Quote ``text`` as an FTS5 string: every character literal, inner quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


def _fts5_clause(clause: Clause) -> str:
    alts = [fts5_string(t.text) + ("*" if t.prefix else "") for t in clause.alternatives]
    return alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")"


class _Corpus:
    """Per-article words and a word -> articles map, built once per mix."""

    def __init__(self, articles: Sequence[Article]) -> None:
        self.articles = list(articles)
        self.title_words = [[w for w in tokens(a.title) if is_content_word(w)] for a in articles]
        self.joined: list[str] = []
        self.postings: dict[str, list[int]] = {}
        for i, a in enumerate(self.articles):
            fields = (a.title, a.excerpt, a.body_text, " ".join(a.tags), " ".join(a.keywords))
            words = tokens(" ".join(fields))
            self.joined.append(" " + " ".join(words) + " ")
            for w in set(words):
                self.postings.setdefault(w, []).append(i)
        head = [c.split()[0].lower() for c, _ in COMPANIES] + list(NAMES) + list(TOPICS)
        self.head_words = sorted({w for w in head if w in self.postings})
        self.phrases = [p for p in PHRASES if self.phrase_docs(p)]
        self.years = sorted({a.published_at[:4] for a in self.articles if a.published_at})

    def phrase_docs(self, phrase: str) -> list[int]:
        needle = f" {phrase} "
        first = phrase.split()[0]
        return [i for i in self.postings.get(first, []) if needle in self.joined[i]]


def build_mix(articles: Sequence[Article], n: int = 300, seed: int = 20250208) -> list[BenchQuery]:
    """Return ``n`` queries for ``articles``; deterministic for a given corpus and seed."""
    if not articles:
        raise ValueError("cannot build a query mix from an empty corpus")
    rng = random.Random(seed)
    corpus = _Corpus(articles)
    kinds = [k for k, share in KIND_SHARES.items() for _ in range(max(1, round(n * share)))]
    kinds = (kinds + ["plain"] * n)[:n]
    rng.shuffle(kinds)
    filtered = set(rng.sample(range(n), round(n * FILTER_SHARE)))
    newest = set(rng.sample(range(n), round(n * NEWEST_SHARE)))
    mix = []
    for i, kind in enumerate(kinds):
        clauses, seed_doc = _make_text(kind, corpus, rng)
        query = BenchQuery(kind=kind, clauses=clauses)
        if i in filtered and seed_doc is not None:
            query = _add_filter(query, corpus.articles[seed_doc], corpus, rng)
        if i in newest:
            query = replace(query, sort="newest")
        mix.append(query)
    return mix


def derive_mix(queries: Sequence[BenchQuery], mix: str) -> list[BenchQuery]:
    """The ``mix`` (one of MIXES) made from a default mix. ``typos`` and ``typing`` take its
    plain word queries, filters and sort kept, that the variant changes; their clauses are
    what the references answer, ``typed`` what searchsvc gets."""
    if mix == "default":
        return list(queries)
    make = {"typos": _typos_query, "typing": _typing_query}[mix]
    derived = (make(q) for q in queries if q.kind == "plain")
    return [q for q in derived if q is not None]


def _typos_query(query: BenchQuery) -> BenchQuery | None:
    """searchsvc gets a typo in each word of 5+ letters; the clauses stay as meant."""
    text = query.text()
    typo = typo_variant(text)
    return None if typo == text else replace(query, kind="typos", typed=typo)


def _typing_query(query: BenchQuery) -> BenchQuery | None:
    """searchsvc gets the last word cut short; the clauses have it as a prefix."""
    text = query.text()
    typed = typing_variant(text)
    if typed is None:
        return None
    cut = typed[len(text) - len(query.clauses[-1].alternatives[0].text) :]
    clauses = (*query.clauses[:-1], Clause((Term(cut, prefix=True),)))
    return replace(query, kind="typing", clauses=clauses, typed=typed)


def _word(text: str) -> Clause:
    return Clause((Term(text),))


def _make_text(
    kind: str, corpus: _Corpus, rng: random.Random
) -> tuple[tuple[Clause, ...], int | None]:
    """Clauses of one query of ``kind`` and the index of an article they match (if known)."""
    if kind == "zero":
        return (_word(_typo(corpus, rng)),), None
    if kind == "phrase":
        return _phrase_text(corpus, rng)
    head = _head_word(corpus, rng)
    doc = rng.choice(corpus.postings[head])
    if kind == "or":
        other = rng.choice([w for w in corpus.head_words if w != head] or [head])
        return (Clause((Term(head), Term(other))),), doc
    if kind == "exclude":
        present = set(corpus.joined[doc].split())
        absent = [w for w in corpus.head_words if w not in present] or ["zzz"]
        return (_word(head), Clause((Term(rng.choice(absent)),), negated=True)), doc
    if kind == "prefix":
        long_words = [w for w in corpus.title_words[doc] if len(w) >= 6] or [head]
        word = rng.choice(long_words)
        return (Clause((Term(word[: rng.randint(4, 5)], prefix=True),)),), doc
    n_words = rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
    extra = [w for w in dict.fromkeys(corpus.title_words[doc]) if w != head]
    words = [head] + rng.sample(extra, min(len(extra), n_words - 1))
    return tuple(_word(w) for w in words), doc


def _head_word(corpus: _Corpus, rng: random.Random) -> str:
    """A popular search word (company, name, topic) or now and then a word from a title."""
    if corpus.head_words and rng.random() < 0.8:
        return rng.choice(corpus.head_words)
    doc = rng.randrange(len(corpus.articles))
    candidates = corpus.title_words[doc] or corpus.head_words or sorted(corpus.postings)[:1]
    return rng.choice(candidates)


def _phrase_text(corpus: _Corpus, rng: random.Random) -> tuple[tuple[Clause, ...], int | None]:
    if corpus.phrases and rng.random() < 0.5:
        phrase = rng.choice(corpus.phrases)
        doc = rng.choice(corpus.phrase_docs(phrase))
    else:
        doc = rng.randrange(len(corpus.articles))
        title = tokens(corpus.articles[doc].title)
        pairs = [
            f"{a} {b}"
            for a, b in zip(title, title[1:], strict=False)
            if is_content_word(a) and is_content_word(b)
        ]
        if not pairs:
            return (_word(_head_word(corpus, rng)),), None
        phrase = rng.choice(pairs)
    clauses = [Clause((Term(phrase, phrase=True),))]
    extra = [w for w in corpus.title_words[doc] if w not in phrase.split()]
    if extra and rng.random() < 0.3:
        clauses.append(_word(rng.choice(extra)))
    return tuple(clauses), doc


def _typo(corpus: _Corpus, rng: random.Random) -> str:
    """A misspelt popular word that no article contains (swap two neighbouring letters)."""
    for _ in range(100):
        word = rng.choice(corpus.head_words or ["nvidia"])
        if len(word) < 4:
            continue
        i = rng.randrange(1, len(word) - 2)
        typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if typo not in corpus.postings and not any(k.startswith(typo) for k in corpus.postings):
            return typo
    return "qxzvbenchmiss"


def _add_filter(query: BenchQuery, doc: Article, corpus: _Corpus, rng: random.Random) -> BenchQuery:
    """Add one filter that ``doc`` satisfies: a tag, a category, a date window or a year."""
    options = ["tag"] * bool(doc.tags) + ["category"] * bool(doc.categories)
    if doc.published_at:
        options += ["days", "year"] if len(corpus.years) > 1 else ["days"]
    choice = rng.choice(options or ["none"])
    if choice == "tag":
        return replace(query, tags=(rng.choice(doc.tags),))
    if choice == "category":
        return replace(query, categories=(doc.categories[0],))
    if choice in ("days", "year") and doc.published_at:
        day = dt.date.fromisoformat(doc.published_at[:10])
        if choice == "year":
            return replace(query, date_from=f"{day.year}-01-01", date_to=f"{day.year}-12-31")
        start = day - dt.timedelta(days=rng.randint(0, 3))
        end = day + dt.timedelta(days=rng.randint(0, 3))
        return replace(query, date_from=start.isoformat(), date_to=end.isoformat())
    return query
