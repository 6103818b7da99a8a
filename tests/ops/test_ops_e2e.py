"""Operations through a real `searchsvc serve` (gunicorn, 2 workers): the rate limit is one
count across workers, /metrics adds up every worker's counts (dead ones too), and the
access log replaces gunicorn's."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.servers import OPENER
from tests.conftest import TOKEN, Server, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # two gunicorn workers, started for this module

LIMIT = 30


@pytest.fixture(scope="module")
def ops_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    root = tmp_path_factory.mktemp("ops-e2e")
    metrics_dir = root / "metrics"
    env = {
        "SEARCHSVC_ADMIN_TOKEN": TOKEN,
        "SEARCHSVC_RATE_LIMIT": f"{LIMIT}/day",  # a fixed window: no minute boundary mid-test
        "SEARCHSVC_QUERY_LOG": "off",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),  # named, so the test can look in it
    }
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"stale")  # an earlier run's: removed
    with running_server(root, env) as server:
        yield server, metrics_dir


def status_of(url: str) -> int:
    try:
        with OPENER.open(url, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        with error:
            return int(error.code)


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    request = urllib.request.Request(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with OPENER.open(request, timeout=10) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def searches(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], status: str) -> float:
    return samples.get(
        ("searchsvc_http_requests_total", (("endpoint", "/api/search"), ("status", status))), 0
    )


def worker_pids(metrics_dir: Path) -> set[int]:
    return {
        int(m[1])
        for p in metrics_dir.glob("counter_*.db")
        if (m := re.match(r"counter_(\d+)", p.name))
    }


def test_limit_is_shared_and_metrics_add_up_across_workers(ops_server: tuple[Server, Path]) -> None:
    server, metrics_dir = ops_server
    assert 99999 not in worker_pids(metrics_dir)  # cleaned at start
    url = f"{server.base}/api/search?q=nvidia"
    # concurrent requests, so that both sync workers answer some
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(status_of, [url] * (LIMIT + 20)))
    assert codes.count(200) == LIMIT, codes  # one count for both workers, not LIMIT each
    assert codes.count(429) == 20
    pids = worker_pids(metrics_dir)
    assert len(pids) == 2, pids  # both workers counted requests
    # whichever worker answers the scrape, it reports both workers' requests
    for _ in range(4):
        samples = scrape(server.base)
        assert searches(samples, "200") == LIMIT and searches(samples, "429") == 20
        latency = ("searchsvc_http_request_duration_seconds_count", (("endpoint", "/api/search"),))
        assert samples[latency] == LIMIT + 20
    assert samples[("searchsvc_index_documents", ())] == 34

    # a worker that dies keeps its counts; gunicorn starts another
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "Booting worker" not in server.log.read_text()[-2000:]:
        time.sleep(0.1)
    time.sleep(0.5)
    assert searches(scrape(server.base), "200") == LIMIT
    assert status_of(f"{server.base}/healthz") == 200  # exempt, even when limited


def test_access_log_replaces_gunicorns(ops_server: tuple[Server, Path]) -> None:
    server, _ = ops_server
    assert status_of(f"{server.base}/api/articles/no-such-thing?secret=hunter2") in (404, 429)
    time.sleep(0.3)
    log = server.log.read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line["path"] == "/api/articles/no-such-thing" for line in lines)
    assert all(
        set(line) <= {"time", "method", "path", "status", "ms", "q_len", "generation"}
        for line in lines
    )
    assert "hunter2" not in log and "q=nvidia" not in log  # no query string anywhere
    assert '"GET /' not in log  # gunicorn's own access line is gone
