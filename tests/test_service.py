"""The app's service object: warming a worker up before it takes requests."""

from __future__ import annotations

from pathlib import Path

from searchsvc import create_app
from searchsvc.service import SearchService


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
