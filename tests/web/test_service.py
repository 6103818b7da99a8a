"""The app's service object: warming a worker up before it takes requests."""

from __future__ import annotations

from pathlib import Path

from searchsvc import create_app
from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.query.handle import IndexHandle
from searchsvc.query.request import SearchRequest
from searchsvc.query.search import search
from searchsvc.web.service import SearchService


def service_for(index_dir: Path) -> SearchService:
    found: SearchService = create_app({"INDEX_DIR": index_dir}).extensions["searchsvc"]
    return found


def test_warm_up_opens_the_current_generation(seed_index: Path) -> None:
    service = service_for(seed_index)
    service.warm_up()
    assert service.handle._generation is not None  # opened at boot, not on a request


def test_warm_up_without_an_index_leaves_it_to_healthz(tmp_path: Path) -> None:
    service = service_for(tmp_path / "missing")
    service.warm_up()  # must not raise: the worker still boots and /healthz says 503
    assert service.handle._generation is None


def test_test_config_sets_flask_keys_too(seed_index: Path) -> None:
    """create_app dropped keys Flask already defines, so TESTING: True was ignored."""
    app = create_app({"INDEX_DIR": seed_index, "TESTING": True, "SECRET_KEY": "k"})
    assert app.testing is True and app.config["SECRET_KEY"] == "k"
    assert create_app({"INDEX_DIR": seed_index}).testing is False


def test_an_empty_company_dictionary_is_used_not_replaced(seed_handle: IndexHandle) -> None:
    empty = CompanyDictionary((), {}, {}, {})
    with_names = search(seed_handle, SearchRequest(q="Taiwan Semiconductor", match="all"))
    without = search(seed_handle, SearchRequest(q="Taiwan Semiconductor", match="all"), empty)
    # with companies the name is a phrase or the ticker (3 articles); with none, two words (4)
    assert (with_names.total, without.total) == (3, 4)
