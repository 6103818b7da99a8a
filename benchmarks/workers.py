"""How many worker processes `searchsvc serve` should run: throughput, latency, memory, start.

    python -m benchmarks.workers                      # ../shared/corpus/news, 2 and 5 workers
    python -m benchmarks.workers --workers 1 2 3 5 --clients 8 --seconds 20

Indexes the corpus once, then for each worker count starts a real `searchsvc serve`, and
reports: seconds from start to the first 200 on /healthz, then, with ``--clients``
threads each sending the benchmark's query mix (one request at a time, keep-alive off, as
independent readers), requests/s and p50/p99 latency over ``--seconds``, and the summed
PSS of the master and its workers (from /proc/PID/smaps_rollup) after the run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from benchmarks.bench import DEFAULT_CORPUS
from benchmarks.querymix import BenchQuery, build_mix
from benchmarks.servers import fetch, start_server
from benchmarks.soak import worker_pids
from searchsvc.ingest.scan import load_corpus


def query_string(query: BenchQuery) -> str:
    """The /api/search parameters of one benchmark query (the same job as benchmarks.bench)."""
    return urllib.parse.urlencode([("q", query.text()), *query.filter_params()])


def pss_kb(pid: int) -> int:
    """Proportional set size of one process, in kB (0 when it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("Pss:")), 0)


def load(base: str, queries: list[str], clients: int, seconds: float) -> list[float]:
    """The latency (ms) of each request answered by ``clients`` threads in ``seconds``."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        nonlocal errors
        i = offset
        mine: list[float] = []
        failed = 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            reply = fetch(f"{base}/api/search?{queries[i % len(queries)]}")
            mine.append((time.perf_counter() - start) * 1000)
            failed += reply.status != 200
            i += clients
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print(f"  {errors} requests failed", file=sys.stderr)
    return latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 5])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--index",
        type=Path,
        help="serve this index of --corpus (built before) instead of building one",
    )
    args = parser.parse_args(argv)

    articles, _ = load_corpus(args.corpus)
    queries = [query_string(q) for q in build_mix(articles, args.queries)]
    with tempfile.TemporaryDirectory(prefix="searchsvc-workers-") as tmp:
        work = Path(tmp)
        index = args.index or work / "index"
        folders = ["--content", str(args.corpus), "--index", str(index)]
        if args.index is None:
            cli = [sys.executable, "-m", "searchsvc", "index", *folders, "--full"]
            subprocess.run(cli, check=True, stdout=subprocess.DEVNULL)
        print(f"{len(articles)} articles, {args.clients} clients, {args.seconds:.0f} s each")
        print("workers  start_s  req/s   p50_ms  p99_ms  pss_mb(all)  pss_mb/worker")
        for workers in args.workers:
            started = time.monotonic()
            server, base = start_server(work, *folders, workers=workers, timeout=120)
            start_s = time.monotonic() - started
            try:
                load(base, queries[:50], args.clients, 3.0)  # every worker warms up
                latencies = load(base, queries, args.clients, args.seconds)
                pids = [server.pid, *worker_pids(server.pid)]
                total_mb = sum(pss_kb(pid) for pid in pids) / 1024
                per_worker = [pss_kb(pid) / 1024 for pid in pids[1:]]
            finally:
                server.stop()
            cuts = statistics.quantiles(latencies, n=100)
            print(
                f"{workers:>7}  {start_s:7.2f}  {len(latencies) / args.seconds:5.1f}  "
                f"{cuts[49]:7.1f} {cuts[98]:7.1f}  {total_mb:11.0f}  "
                f"{statistics.mean(per_worker) if per_worker else 0:13.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
