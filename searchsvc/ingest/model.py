"""The Article every later step reads, and the error of a file that cannot be one: plain
types with no parser behind them, so the read side can use them without loading one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """One article, normalised; everything downstream reads this and nothing else."""

    slug: str
    title: str
    excerpt: str
    body_text: str  # plain text; blocks (headings, paragraphs, list items) separated by "\n\n"
    published_at: str | None  # "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM:SSZ" (UTC) when a time was given
    updated_at: str | None  # same forms as published_at
    authors: tuple[str, ...]
    categories: tuple[str, ...]  # first is primary
    tags: tuple[str, ...]
    # slugs already read as words: "ai-investment-rally" -> "ai investment rally"
    keywords: tuple[str, ...]
    featured: bool | None
    image: str | None
    url: str | None
    source_path: str  # path relative to the content folder, "/"-separated
    content_hash: str  # sha256 hex of the file's bytes


class ArticleError(Exception):
    """A file that cannot be read as an article; carries the path and a human reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[ArticleError], tuple[str, str]]:
        # Exception pickles as cls(*self.args) = cls(message): the wrong arity. Full builds
        # send errors from worker processes, so pickling must rebuild it as it was.
        return (ArticleError, (self.path, self.reason))
