"""The real site's articles (../shared/corpus/limitbreakit), when they are there."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from searchsvc.indexing.build import build_index
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.search import search
from tests.conftest import SHARED_CORPUS

SITE = SHARED_CORPUS / "limitbreakit"
pytestmark = pytest.mark.skipif(not SITE.is_dir(), reason="../shared/corpus is not here")


@pytest.fixture(scope="module")
def site_handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexHandle]:
    index_dir = tmp_path_factory.mktemp("site-index")
    report = build_index(SITE, index_dir, workers=1)
    assert (report.documents, report.errors) == (len(list(SITE.glob("*.md"))), ())
    handle = IndexHandle.open(index_dir)
    yield handle
    handle.close()


@pytest.mark.parametrize("query", ["nvidia", "layoffs", "data center", "amazon", "ransomware"])
def test_common_queries_find_articles_with_safe_highlights(
    site_handle: IndexHandle, query: str
) -> None:
    results = search(site_handle, SearchRequest(q=query))
    assert results.total > 0
    for hit in results.hits:
        for html in hit.highlights.values():
            assert "<" not in re.sub(r"</?mark>", "", html)
            assert "{{" not in html and "http" not in html  # shortcodes and URLs never leak


def test_every_article_has_a_date_category_and_title(site_handle: IndexHandle) -> None:
    results = search(site_handle, SearchRequest(per_page=50))
    assert all(h.doc["published_at"] and h.doc["categories"] for h in results.hits)
    assert sum(v.count for v in results.facets["year"]) == results.total
