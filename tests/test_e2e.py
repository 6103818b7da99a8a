"""End to end: `searchsvc serve` as a real process (gunicorn, 2 workers) over real HTTP.

One server for the module, on a free port of 127.0.0.1, over a temporary copy of seeds/
and an index folder that does not exist yet (so the first start must build it). The
server is stopped with SIGTERM (then SIGKILL to its process group) in the finalizer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import SEEDS

START_TIMEOUT = 30.0
# never through a proxy, whatever the environment says
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Server:
    base: str
    index_dir: Path
    log: Path


@dataclass
class Reply:
    status: int
    headers: Message
    body: Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(url: str, method: str = "GET", timeout: float = 10.0) -> Reply:
    request = urllib.request.Request(url, method=method)
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, json.loads(error.read()))


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: the server and workers
            process.wait(timeout=5)


def launch(
    root: Path, log: Path, env_extra: dict[str, str], *args: str
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `searchsvc serve` (gunicorn, 2 workers) on a free port of 127.0.0.1, in its own
    session, with no SEARCHSVC_* setting but ``env_extra``; its process and base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["HOME"] = env["XDG_RUNTIME_DIR"] = str(root)  # nothing may land in the real home
    env.update(env_extra)
    command = [sys.executable, "-m", "searchsvc.cli", "serve", *args]
    command += ["--port", str(port), "--workers", "2"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, f"http://127.0.0.1:{port}"


def wait_until_healthy(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    """Until /healthz answers 200; the test fails if the server exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if fetch(f"{base}/healthz", timeout=2).status == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"no /healthz within {START_TIMEOUT}s:\n{log.read_text()}")
        time.sleep(0.1)


@contextmanager
def running_server(root: Path, env_extra: dict[str, str] | None = None) -> Iterator[Server]:
    """A served temporary copy of seeds/ in root, indexed on start, stopped at the end."""
    content, index_dir, log = root / "content", root / "index", root / "server.log"
    shutil.copytree(SEEDS, content)
    args = ("--content", str(content), "--index", str(index_dir))
    process, base = launch(root, log, env_extra or {}, *args)
    try:
        wait_until_healthy(process, base, log)
        yield Server(base, index_dir, log)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("e2e")) as running:
        yield running


def test_first_start_builds_the_index_and_gunicorn_serves_it(server: Server) -> None:
    assert (server.index_dir / "manifest.json").is_file()
    reply = fetch(f"{server.base}/healthz")
    assert reply.status == 200
    assert "gunicorn" in reply.headers["Server"].lower()
    assert reply.headers.get_content_type() == "application/json"
    assert reply.body["status"] == "ok"
    assert reply.body["documents"] == 34
    assert reply.body["index_generation"] >= 1
    assert reply.body["indexed_at"]
    log = server.log.read_text()
    assert "No index in" in log and "Indexed 34 articles" in log
    assert log.count("Booting worker") >= 2
    assert "Control socket" not in log  # no socket at a path shared with other servers


def test_search_with_highlights_and_facets(server: Server) -> None:
    query = urlencode({"q": "nvidia earnings", "facets": "tickers,category"})
    reply = fetch(f"{server.base}/api/search?{query}")
    assert reply.status == 200
    assert reply.headers.get_content_type() == "application/json"
    data = reply.body
    assert data["total"] == 4
    assert data["hits"][0]["slug"] == "nvidia-record-earnings-data-center-demand"
    assert "<mark>" in data["hits"][0]["highlights"]["title"]
    assert "<mark>" in data["hits"][0]["highlights"]["body"]
    assert set(data["facets"]) == {"tickers", "category"}
    nvda = next(v for v in data["facets"]["tickers"] if v["value"] == "NVDA")
    assert (nvda["label"], nvda["count"]) == ("NVIDIA", 4)
    # the same request on both workers gives the same answer
    for _ in range(4):
        again = fetch(f"{server.base}/api/search?{query}").body
        assert [h["slug"] for h in again["hits"]] == [h["slug"] for h in data["hits"]]


def test_article_and_errors(server: Server) -> None:
    article = fetch(f"{server.base}/api/articles/tsmc-arizona-expansion-tariff-threats")
    assert article.status == 200
    assert article.body["source_path"] == "tsmc-arizona-expansion-tariff-threats.md"
    assert {"symbol": "TSM"}.items() <= article.body["tickers"][0].items()

    cases = [
        ("GET", "/api/articles/no-such-article", 404, "not_found"),
        ("GET", "/api/search?" + urlencode({"q": '"unclosed', "strict": 1}), 400, "bad_query"),
        ("GET", "/api/search?per_page=51", 400, "bad_parameter"),
        ("PUT", "/api/search", 405, "method_not_allowed"),  # POST is a search (issue 9)
    ]
    for method, path, status, code in cases:
        reply = fetch(server.base + path, method=method)
        assert reply.status == status, path
        assert reply.headers.get_content_type() == "application/json"
        assert set(reply.body) == {"error"} and reply.body["error"]["code"] == code
        assert reply.body["error"]["message"]
    strict = fetch(server.base + "/api/search?" + urlencode({"q": '"unclosed', "strict": 1}))
    assert "position 0" in strict.body["error"]["message"]


def slugs_for(server: Server, **params: str) -> set[str]:
    reply = fetch(f"{server.base}/api/search?{urlencode({'per_page': '50', **params})}")
    assert reply.status == 200
    return {hit["slug"] for hit in reply.body["hits"]}


def test_every_name_of_a_company_finds_the_same_articles(server: Server) -> None:
    tsmc = slugs_for(server, q="TSMC")
    assert len(tsmc) == 3
    for name in ("Taiwan Semiconductor", "TSM", "2330.TW", "ticker:TSM"):
        assert slugs_for(server, q=name) == tsmc, name
    assert slugs_for(server, ticker="2330.TW") == tsmc
    # an article that only says "Alibaba" is found by the symbol
    assert "nvidia-h20-export-controls-china-chip-sales" in slugs_for(server, q="ticker:BABA")
