"""Cheap start-up: package exports imported on first use (PEP 562), so that importing one
module of a package does not import everything the package re-exports; and large read-only
structures built without the cyclic garbage collector running over them."""

from __future__ import annotations

import gc
import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name in homes is imported from the
    module it maps to when first asked for."""

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(homes[name]), name)

    return __getattr__


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collections while the block runs (nested blocks are fine).

    Building the company dictionary or a generation allocates some 100k objects and no
    cycles; each allocation burst triggers collections that walk everything alive, which
    made up a third of the dictionary's load time in a fresh process. Reference counting
    still frees what the block drops."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
