"""The stored document and the Article it was made from: one mapping, both ways."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from searchsvc.indexing.schema import (
    STORED_BODY,
    article_from_stored,
    stored_as_article_json,
    stored_document,
)
from searchsvc.ingest.articles import Article

TEXT = st.text(max_size=20)
TEXTS = st.lists(TEXT, max_size=3).map(tuple)
OPTIONAL = st.none() | TEXT
ARTICLES = st.builds(
    Article,
    slug=TEXT,
    title=TEXT,
    excerpt=TEXT,
    body_text=st.text(max_size=200),
    published_at=OPTIONAL,
    updated_at=OPTIONAL,
    authors=TEXTS,
    categories=TEXTS,
    tags=TEXTS,
    keywords=TEXTS,
    featured=st.none() | st.booleans(),
    image=OPTIONAL,
    url=OPTIONAL,
    source_path=TEXT,
    content_hash=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)


@given(article=ARTICLES)
def test_a_stored_document_gives_back_its_article(article: Article) -> None:
    stored = stored_document(article, (), (), "2025-01-01T00:00:00Z")
    assert stored[STORED_BODY] == article.body_text and "body_text" not in stored
    # as JSON clients and the admin views see it: lists, not tuples
    assert article_from_stored(json.loads(json.dumps(stored))) == article


@given(article=ARTICLES)
def test_the_article_json_uses_the_articles_own_field_names(article: Article) -> None:
    shown = stored_as_article_json(stored_document(article, (), (), "2025-01-01T00:00:00Z"))
    assert STORED_BODY not in shown
    for name in Article.__dataclass_fields__:
        value = getattr(article, name)
        assert shown[name] == (list(value) if isinstance(value, tuple) else value)
