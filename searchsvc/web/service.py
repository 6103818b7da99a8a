"""The one object a running app owns: the index handle and the company dictionary."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from searchsvc.entities.dictionary import CompanyDictionary, companies_for
from searchsvc.errors import IndexNotFound
from searchsvc.query.generation import Generation
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.results import SearchResults
from searchsvc.query.search import search


@dataclass
class SearchService:
    handle: IndexHandle
    companies: CompanyDictionary

    @classmethod
    def init_app(cls, app: Flask) -> None:
        """Attach a service built from app.config; the index is opened on first use."""
        handle = IndexHandle(Path(app.config["INDEX_DIR"]), app.config["REFRESH_SECONDS"])
        companies = companies_for(app.config["COMPANIES_FILE"])
        app.extensions["searchsvc"] = cls(handle, companies)

    def warm_up(self, *, indexing: bool = False) -> None:
        """Open the index and build the company finder for queries now, not on a reader's
        request; with ``indexing`` (POST /admin/reindex is on) the one for articles too."""
        _ = self.companies.query_finder
        if indexing:
            _ = self.companies.article_finder
        try:
            self.handle.current()
        except IndexNotFound:
            pass  # /healthz reports it; a later request opens the index once it exists

    def search(self, request: SearchRequest) -> SearchResults:
        return search(self.handle, request, self.companies)

    def lease(self) -> AbstractContextManager[Generation]:
        """The current generation for one request (see IndexHandle.lease)."""
        return self.handle.lease()


def service() -> SearchService:
    """The current app's service."""
    found: SearchService = current_app.extensions["searchsvc"]
    return found
