"""Idle and slow clients: how long /healthz waits while connections sit open doing nothing.

Run from the repository root:  python -m benchmarks.idle_clients [--idle 50] [--slow 10]

Two servers over the same seeds index, 2 workers each: gunicorn's sync workers (what
`searchsvc serve` ran before issue 9) and `searchsvc serve` (searchsvc.server's threaded
worker). For each: /healthz latency alone, then with --idle connections open and silent,
then with --slow more that sent half a request line and stopped. A request that does not
answer within --timeout counts as a timeout. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
import urllib.error
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks import servers
from benchmarks.engines import log, save_json
from benchmarks.servers import Process, fetch, free_port
from searchsvc.indexing.build import build_index

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.idle_clients", description=__doc__.split("\n")[0]
    )
    p.add_argument("--idle", type=int, default=50, help="silent connections (50)")
    p.add_argument("--slow", type=int, default=10, help="half-sent requests (10)")
    p.add_argument("--requests", type=int, default=20, help="timed /healthz per phase (20)")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds a request may take (3)")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    return p.parse_args(argv)


def start(command: list[str], work: Path, name: str, port: int) -> Process:
    env = {"SEARCHSVC_CONTENT_DIR": str(ROOT / "seeds"), "SEARCHSVC_INDEX_DIR": str(work / "index")}
    server = Process(command, servers.child_env(work, env), work / f"{name}.log")
    try:
        servers.wait_healthy(server, f"http://127.0.0.1:{port}", timeout=60)
    except servers.ServerFailed as error:
        server.stop()
        raise SystemExit(f"error: {name} did not start: {error}") from None
    return server


def timed_healthz(port: int, n: int, timeout: float) -> dict[str, Any]:
    seconds: list[float] = []
    timeouts = 0
    for _ in range(n):
        started = time.perf_counter()
        try:
            fetch(f"http://127.0.0.1:{port}/healthz", timeout=timeout)
            seconds.append(time.perf_counter() - started)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            timeouts += 1
    return {
        "n": n,
        "timeouts": timeouts,
        "p50_ms": round(statistics.median(seconds) * 1000, 2) if seconds else None,
        "max_ms": round(max(seconds) * 1000, 2) if seconds else None,
    }


def measure(port: int, args: argparse.Namespace) -> dict[str, Any]:
    result = {"alone": timed_healthz(port, args.requests, args.timeout)}
    with ExitStack() as stack:
        for _ in range(args.idle):
            stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.3)
        result[f"{args.idle} idle"] = timed_healthz(port, args.requests, args.timeout)
        for _ in range(args.slow):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
            sock.sendall(b"GET /api/search?q=nvid")
        time.sleep(0.3)
        label = f"{args.idle} idle + {args.slow} slow"
        result[label] = timed_healthz(port, args.requests, args.timeout)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="searchsvc-idle-") as tmp:
        work = Path(tmp)
        log("indexing seeds/")
        build_index(ROOT / "seeds", work / "index", workers=1)
        servers = {
            "gunicorn sync (before)": lambda port: [
                sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync",
                "-b", f"127.0.0.1:{port}", "wsgi:app",
            ],
            "searchsvc serve": lambda port: [
                sys.executable, "-m", "searchsvc.cli", "serve", "--workers", "2",
                "--port", str(port), "--index", str(work / "index"),
            ],
        }  # fmt: skip
        for name, command in servers.items():
            port = free_port()
            log(f"starting {name}")
            server = start(command(port), work, name.split()[0], port)
            try:
                results[name] = measure(port, args)
            finally:
                server.stop()
    print(f"/healthz over {args.requests} requests, 2 workers, timeout {args.timeout:g} s")
    for name, phases in results.items():
        print(name)
        for phase, r in phases.items():
            print(
                f"  {phase:<24} p50 {r['p50_ms']} ms  max {r['max_ms']} ms  "
                f"timeouts {r['timeouts']}/{r['n']}"
            )
    save_json(args.json, {"servers": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
