"""A synthetic corpus of N Markdown articles with Hugo-style frontmatter, from a seeded RNG.

Words are drawn with their real frequencies from a source corpus when one is given (so
posting-list lengths look like the real site's), else from a built-in word list. Titles and
bodies mention companies by name and cashtag, and use the search-box phrases, so the query
mix finds matches in it too.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from benchmarks.vocab import BUILTIN_WORDS, COMPANIES, NAMES, PHRASES, STOPWORDS, TOPICS, tokens
from searchsvc.ingest.articles import Article

_FIRST = ("Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas")
_LAST = ("Okafor", "Schmidt", "Tanaka", "Rossi", "Novak", "Patel", "Garcia", "Kim", "Berg")
_CATEGORIES = (
    "Markets", "Technology", "Artificial Intelligence", "Crypto", "Economy", "Earnings",
    "Energy", "Healthcare", "Autos", "Banking", "Policy", "Personal Finance",
)  # fmt: skip
_START = dt.date(2023, 1, 1)
_DAYS = 3 * 365
_VOCAB_SIZE = 8000


def _vocabulary(source: Sequence[Article] | None) -> tuple[list[str], list[int]]:
    """Words and cumulative weights: the source's most frequent words, or the built-in list."""
    counts: Counter[str] = Counter()
    for article in source or ():
        counts.update(w for w in tokens(f"{article.title} {article.body_text}") if w.isalpha())
    if len(counts) < 200:
        counts = Counter({w: 1000 // (rank + 1) + 1 for rank, w in enumerate(BUILTIN_WORDS)})
        counts.update({w: 40 for w in sorted(STOPWORDS)})
    words, weights = zip(*counts.most_common(_VOCAB_SIZE), strict=True)
    return list(words), list(itertools.accumulate(weights))


def _yaml(value: str | list[str]) -> str:
    """A YAML scalar or flow list; JSON strings are valid YAML double-quoted scalars."""
    return json.dumps(value, ensure_ascii=False)


class _Writer:
    """Builds one article's text at a time from the shared vocabulary."""

    def __init__(self, rng: random.Random, source: Sequence[Article] | None) -> None:
        self.rng = rng
        self.words, self.cum = _vocabulary(source)
        self.authors = [f"{f} {last}" for f in _FIRST for last in _LAST]
        self.tag_pool = [c for c, _ in COMPANIES] + [w.title() for w in TOPICS[:30]]

    def _words(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=k)

    def _sentence(self, company: tuple[str, str]) -> str:
        words = self._words(self.rng.randint(8, 22))
        roll = self.rng.random()
        insert_at = self.rng.randrange(len(words))
        if roll < 0.25:
            words.insert(insert_at, company[0])
        elif roll < 0.32:
            words.insert(insert_at, f"${company[1]}")
        elif roll < 0.45:
            words.insert(insert_at, self.rng.choice(PHRASES))
        elif roll < 0.55:
            words.insert(insert_at, self.rng.choice(NAMES + TOPICS))
        return " ".join(words).capitalize() + "."

    def article(self, i: int) -> tuple[str, str]:
        """(relative path, file text) of article number ``i``."""
        rng = self.rng
        company = rng.choice(COMPANIES)
        topic = rng.choice(TOPICS)
        title_words = [company[0], topic, *self._words(rng.randint(4, 9))]
        rng.shuffle(title_words)
        title = " ".join(w if w[0].isupper() else w.capitalize() for w in title_words)
        day = _START + dt.timedelta(days=rng.randrange(_DAYS))
        stamp = f"{day.isoformat()} {rng.randrange(24):02d}:{rng.randrange(60):02d}:00"
        category = rng.choice(_CATEGORIES)
        tags = list(dict.fromkeys([company[0], topic.title(), *rng.sample(self.tag_pool, 2)]))
        keywords = ["-".join(self._words(3)) for _ in range(rng.randint(1, 3))]
        paragraphs = []
        for _ in range(rng.randint(3, 9)):
            paragraphs.append(" ".join(self._sentence(company) for _ in range(rng.randint(2, 5))))
        if rng.random() < 0.4:
            paragraphs.insert(rng.randrange(1, len(paragraphs)), "## " + " ".join(self._words(4)))
        slug = f"gen-{i:06d}-" + "-".join(tokens(title)[:6])
        front = [
            "---",
            f"title: {_yaml(title)}",
            f"date: {_yaml(stamp)}",
            f"summary: {_yaml(self._sentence(company))}",
            f"author: {_yaml(rng.choice(self.authors))}",
            f"categories: {_yaml([category])}",
            f"tags: {_yaml(tags)}",
            f"keywords: {_yaml(keywords)}",
            "---",
        ]
        text = "\n".join(front) + "\n\n" + "\n\n".join(paragraphs) + "\n"
        folder = category.lower().replace(" ", "-")
        return f"{folder}/{slug}.md", text


def generate_corpus(
    out_dir: Path, n: int, *, seed: int = 7, source: Sequence[Article] | None = None
) -> Path:
    """Write ``n`` articles under ``out_dir`` (deterministic for a seed and source)."""
    writer = _Writer(random.Random(seed), source)
    for i in range(n):
        rel, text = writer.article(i)
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out_dir
