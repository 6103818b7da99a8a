"""Unknown symbols: ticker markup no company matches, listed for the editors."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from searchsvc.cli import main
from searchsvc.indexing.build import build_index
from searchsvc.quality.unknowns import unknown_symbols
from searchsvc.query.handle import IndexHandle
from tests.conftest import write_article

UNKNOWN = """---
title: Small caps to watch
publishedAt: "2025-05-01"
---
Shares of $QZXW rose, and Zorblatt Industries (NYSE: ZRBL) fell; $QZXW again.
"""


def test_unknown_symbols_are_counted_per_article(content_dir: Path, tmp_path: Path) -> None:
    write_article(content_dir, "small-caps.md", UNKNOWN)
    write_article(content_dir, "more.md", UNKNOWN.replace("Small caps", "More small caps"))
    build_index(content_dir, tmp_path / "ix", workers=1)
    handle = IndexHandle.open(tmp_path / "ix")
    try:
        found = {u.symbol: u for u in unknown_symbols(handle.current())}
    finally:
        handle.close()
    assert (found["QZXW"].articles, found["QZXW"].mentions) == (2, 4)
    assert found["ZRBL"].articles == 2
    assert set(found["QZXW"].examples) == {"small-caps", "more"}
    assert "NVDA" not in found  # known companies are not listed


def test_cli_lists_unknown_symbols(content_dir: Path, tmp_path: Path) -> None:
    write_article(content_dir, "small-caps.md", UNKNOWN)
    build_index(content_dir, tmp_path / "ix", workers=1)
    runner = CliRunner()
    text = runner.invoke(main, ["unknown-tickers", "--index", str(tmp_path / "ix")])
    assert text.exit_code == 0 and "QZXW" in text.output and "small-caps" in text.output
    as_json = runner.invoke(main, ["unknown-tickers", "--index", str(tmp_path / "ix"), "--json"])
    assert {u["symbol"] for u in json.loads(as_json.output)} == {"QZXW", "ZRBL"}
