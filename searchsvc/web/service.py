"""The one object a running app owns: the index handle, the company dictionary and the
synonym file in force."""

from __future__ import annotations

import logging
import threading
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
from searchsvc.query.synonyms import SynonymFile

log = logging.getLogger(__name__)


@dataclass
class SearchService:
    handle: IndexHandle
    companies: CompanyDictionary
    synonyms: SynonymFile
    default_typos: str = "auto"  # what `typos` is when a request does not say

    @classmethod
    def init_app(cls, app: Flask) -> None:
        """Attach a service built from app.config; the index is opened on first use. A bad
        synonym file stops the app here, with a message that names it."""
        handle = IndexHandle(Path(app.config["INDEX_DIR"]), app.config["REFRESH_SECONDS"])
        handle.on_open = warm_generation
        companies = companies_for(app.config["COMPANIES_FILE"])
        synonyms = SynonymFile(app.config.get("SYNONYMS_FILE"))
        typos = app.config.get("TYPOS") or "auto"
        app.extensions["searchsvc"] = cls(handle, companies, synonyms, typos)

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
        return search(self.handle, request, self.companies, self.synonyms.current())

    def lease(self) -> AbstractContextManager[Generation]:
        """The current generation for one request (see IndexHandle.lease)."""
        return self.handle.lease()


def warm_generation(gen: Generation) -> None:
    """Build a new generation's typo index in the background, so that the first reader
    with a typo does not wait for it (only the segments the generation added are new)."""

    def build() -> None:
        try:
            gen.typo_index()
        except Exception:  # closed under us by a newer generation: its own warm-up runs
            log.debug("typo index of generation %s not built", gen.number, exc_info=True)

    threading.Thread(target=build, name=f"warm-{gen.number}", daemon=True).start()


def service() -> SearchService:
    """The current app's service."""
    found: SearchService = current_app.extensions["searchsvc"]
    return found
