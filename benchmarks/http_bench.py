"""searchsvc against the FTS5 reference over real HTTP: one client, then concurrent clients.

    python -m benchmarks.http_bench                         # ../shared/corpus/news
    python -m benchmarks.http_bench --generate 20000 --json benchmarks/out/http-20k.json
    python -m benchmarks.http_bench --mix typos         # or typing: see benchmarks/querymix.py

Indexes the corpus with `searchsvc index --full` and builds the FTS5 reference database
over the same articles, then starts `searchsvc serve --workers N` and
benchmarks/fts5_http.py (gunicorn, the same worker class, workers, threads and keep-alive)
on free ports of 127.0.0.1, and sends both the same query mix (benchmarks/querymix.py):

- one client, sequential: ``--repeat`` passes of the mix on one kept-alive connection,
  each request timed alone, from sending it to the last byte of the response read;
- ``--clients`` threads together, each on its own kept-alive connection, until
  ``--requests`` requests have been answered (the mix in order, each thread taking the
  next query): requests/s over the wall time, and the latency percentiles.

The searchsvc request is ``GET /api/search`` with ``q``, the filters, ``sort``,
``per_page=10`` and the five ``facets``: top 10, highlights, exact total, five disjunctive
facets. The FTS5 request is ``GET /search`` with the same logical query as its MATCH
expression and the same filters and sort, answered with the same job. See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench import DEFAULT_CORPUS, add_mix_option, content_folder, query_mix
from benchmarks.engines import extract_tickers, load_articles, log, save_json
from benchmarks.fts5ref import FACETS, Fts5Reference
from benchmarks.querymix import BenchQuery
from benchmarks.report import mix_header, mix_target_line, summarize, within_fts5
from benchmarks.servers import Process, child_env, free_port, start_server, wait_healthy
from benchmarks.soak import worker_pids
from benchmarks.workers import query_string

ENGINES = ("searchsvc", "fts5")
TARGET = 1.0  # issues 11 and 12: searchsvc p50 and p99 at most FTS5's over HTTP, every mix


def searchsvc_path(query: BenchQuery) -> str:
    """The contract's request for one query: top 10, highlights, five facets, exact total."""
    extra = urllib.parse.urlencode([("per_page", "10"), ("facets", ",".join(FACETS))])
    return f"/api/search?{query_string(query)}&{extra}"


def fts5_path(query: BenchQuery) -> str:
    """The same logical query for benchmarks/fts5_http.py."""
    params = [("match", query.fts5_match()), *query.filter_params(), ("per_page", "10")]
    return "/search?" + urllib.parse.urlencode(params)


class Client:
    """One kept-alive HTTP/1.1 connection; a request that finds it closed by the server
    (gunicorn closes idle ones after its keep-alive time) is sent again on a new one."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.reconnects += attempt == 2
            try:
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                body = response.read()
                if response.will_close:
                    self.close()
                return response.status, body
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Samples:
    """Latencies (ms) of answered requests, response sizes, and what went wrong."""

    ms: list[float] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    errors: int = 0
    reconnects: int = 0
    seconds: float = 0.0
    spread: list[int] = field(default_factory=list)  # connections held by each worker


def _total(status: int, body: bytes) -> int | None:
    if status != 200:
        return None
    total = json.loads(body).get("total")
    return int(total) if isinstance(total, int) else None


def sequential(base: str, paths: Sequence[str], repeat: int) -> tuple[Samples, list[int | None]]:
    """``repeat`` passes of ``paths`` on one connection; the samples and each query's total
    (from the first pass; the JSON is parsed after the timing)."""
    client = Client(base)
    out = Samples()
    totals: list[int | None] = []
    try:
        for r in range(repeat):
            for path in paths:
                start = time.perf_counter()
                status, body = client.get(path)
                out.ms.append((time.perf_counter() - start) * 1000.0)
                out.bytes.append(len(body))
                total = _total(status, body)
                out.errors += total is None
                if r == 0:
                    totals.append(total)
    finally:
        client.close()
    out.reconnects = client.reconnects
    return out, totals


def connections_per_worker(master: int, port: int) -> list[int]:
    """How many established TCP connections to ``port`` each worker of the gunicorn
    ``master`` holds (from /proc: kept-alive connections stay with the worker that accepted
    them, so an uneven spread leaves a worker idle); [] when /proc does not tell."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == "01" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    counts = []
    for pid in worker_pids(master):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        n = 0
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            n += target.startswith("socket:[") and target[8:-1] in inodes
        counts.append(n)
    return counts


def even_clients(base: str, n: int, master: int | None) -> list[Client]:
    """``n`` connected clients spread evenly over the workers of the gunicorn ``master``:
    a connection that lands on a worker already holding its share is closed and opened
    again (the kernel hands each new connection to whichever worker accepts first, and a
    kept-alive connection stays there, so 8 connections may well be 7 on one worker and 1
    on the other). Without /proc (or ``master``) the connections are left as they land."""
    port = urllib.parse.urlsplit(base).port or 80
    workers = len(worker_pids(master)) if master is not None else 0
    clients: list[Client] = []
    for _ in range(20 * n):
        if len(clients) == n:
            break
        before = connections_per_worker(master, port) if workers and master else []
        client = Client(base)
        client.get("/healthz")
        if workers and master:
            after = connections_per_worker(master, port)
            grew = [b for a, b in zip(before, after, strict=False) if b > a]
            if grew and grew[0] > -(-n // workers):
                client.close()
                continue
        clients.append(client)
    while len(clients) < n:  # could not spread them: take them as they come
        client = Client(base)
        client.get("/healthz")
        clients.append(client)
    return clients


def concurrent(
    base: str,
    paths: Sequence[str],
    clients: int,
    requests: int,
    master: int | None = None,
) -> Samples:
    """``clients`` threads, one connection each, answering ``requests`` requests of the mix
    between them (in the mix's order, each thread taking the next). Given the server's
    ``master`` pid, how the connections spread over its workers is counted before they
    close."""
    out = Samples()
    lock = threading.Lock()
    taken = 0
    finished = threading.Barrier(clients + 1)  # every client done, connections still open
    counted = threading.Event()

    def next_index() -> int | None:
        nonlocal taken
        with lock:
            if taken >= requests:
                return None
            taken += 1
            return taken - 1

    connected = even_clients(base, clients, master)

    def run(client: Client) -> None:
        ms: list[float] = []
        sizes: list[int] = []
        errors = 0
        try:
            while (i := next_index()) is not None:
                start = time.perf_counter()
                try:
                    status, body = client.get(paths[i % len(paths)])
                except OSError:
                    errors += 1
                    continue
                ms.append((time.perf_counter() - start) * 1000.0)
                sizes.append(len(body))
                errors += status != 200
        finally:
            try:
                finished.wait(timeout=600)
            except threading.BrokenBarrierError:
                pass
            counted.wait(timeout=60)  # connections open until they are counted
            client.close()
        with lock:
            out.ms.extend(ms)
            out.bytes.extend(sizes)
            out.errors += errors
            out.reconnects += client.reconnects

    threads = [threading.Thread(target=run, args=(client,)) for client in connected]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        finished.wait(timeout=600)
        out.seconds = time.perf_counter() - started
        if master is not None:
            port = urllib.parse.urlsplit(base).port or 80
            out.spread = connections_per_worker(master, port)
    except threading.BrokenBarrierError:
        out.seconds = time.perf_counter() - started
    finally:
        counted.set()
    for thread in threads:
        thread.join()
    return out


def start_fts5(work: Path, db: Path, workers: int) -> tuple[Process, str]:
    """benchmarks/fts5_http.py on a free port, waited for like `searchsvc serve`."""
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.fts5_http", "--db", str(db)]
    command += ["--port", str(port), "--workers", str(workers)]
    process = Process(command, child_env(work), work / "fts5-http.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, base, timeout=60, answers=workers)
    except BaseException:
        process.stop()
        raise
    return process, base


def _latency(samples: Samples) -> dict[str, float]:
    return summarize(samples.ms) if samples.ms else {}


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Prepare the corpus and both servers, time the mix; the result as a JSON-able dict."""
    content_dir = content_folder(args, work)
    log(f"parsing {content_dir}")
    articles, unreadable, _ = load_articles(content_dir)
    queries = query_mix(args, articles)
    paths = {
        "searchsvc": [searchsvc_path(q) for q in queries],
        "fts5": [fts5_path(q) for q in queries],
    }

    log("building fts5")
    tickers, _ = extract_tickers(articles)
    db = work / "fts5.sqlite3"
    ref = Fts5Reference(db)
    ref.build(articles, tickers)
    ref.close()
    log("building searchsvc")
    index = work / "searchsvc-index"
    folders = ["--content", str(content_dir), "--index", str(index)]
    subprocess.run(
        [sys.executable, "-m", "searchsvc.cli", "index", *folders, "--full"],
        check=True,
        stdout=subprocess.DEVNULL,
        env=child_env(work),
    )

    servers: dict[str, tuple[Process, str]] = {}
    result: dict[str, Any] = {"engines": {}, "notes": []}
    try:
        log(f"starting both servers, {args.workers} workers each")
        servers["searchsvc"] = start_server(
            work, *folders, workers=args.workers, timeout=120, answers=args.workers
        )
        servers["fts5"] = start_fts5(work, db, args.workers)
        bases = {name: base for name, (_, base) in servers.items()}
        masters = {name: process.pid for name, (process, _) in servers.items()}
        for name in ENGINES:  # both workers warm up, on the mix twice over
            log(f"warm-up: {name}, {2 * len(queries)} requests from {args.clients} clients")
            concurrent(bases[name], paths[name], args.clients, 2 * len(queries), masters[name])
        single: dict[str, Samples] = {name: Samples() for name in ENGINES}
        totals: dict[str, list[int | None]] = {}
        for r in range(args.repeat):
            for name in ENGINES if r % 2 == 0 else tuple(reversed(ENGINES)):
                log(f"one client, pass {r + 1}/{args.repeat}: {name}")
                samples, pass_totals = sequential(bases[name], paths[name], 1)
                totals.setdefault(name, pass_totals)
                s = single[name]
                s.ms += samples.ms
                s.bytes += samples.bytes
                s.errors += samples.errors
                s.reconnects += samples.reconnects
        loaded: dict[str, Samples] = {}
        for name in ENGINES:
            log(f"{args.clients} clients, {args.requests} requests: {name}")
            loaded[name] = concurrent(
                bases[name], paths[name], args.clients, args.requests, masters[name]
            )
        for name in ENGINES:
            one, many = single[name], loaded[name]
            result["engines"][name] = {
                "single": {
                    "latency": _latency(one),
                    "requests": len(one.ms),
                    "errors": one.errors,
                    "reconnects": one.reconnects,
                    "mean_bytes": sum(one.bytes) / max(1, len(one.bytes)),
                },
                "concurrent": {
                    "latency": _latency(many),
                    "requests": len(many.ms),
                    "seconds": many.seconds,
                    "requests_per_s": len(many.ms) / many.seconds if many.seconds else 0.0,
                    "errors": many.errors,
                    "reconnects": many.reconnects,
                    "connections_per_worker": many.spread,
                },
                "zero_hit_queries": sum(t == 0 for t in totals[name]),
            }
    finally:
        for process, _ in servers.values():
            process.stop()
    s, f = (result["engines"][n] for n in ENGINES)
    if s["single"]["latency"] and f["single"]["latency"]:
        result["ratio"] = {
            k: s["single"]["latency"][k] / f["single"]["latency"][k]
            for k in ("p50", "p95", "p99", "mean")
        }
    if s["concurrent"]["latency"] and f["concurrent"]["latency"]:
        result["ratio_concurrent"] = {
            "requests_per_s": s["concurrent"]["requests_per_s"]
            / max(f["concurrent"]["requests_per_s"], 1e-9),
            "p99": s["concurrent"]["latency"]["p99"] / f["concurrent"]["latency"]["p99"],
        }
    agree = sum(a == b for a, b in zip(totals["searchsvc"], totals["fts5"], strict=True))
    result["notes"].append(
        f"totals agree on {agree}/{len(queries)} queries (a sanity check: the analyzers"
        " differ,\n  searchsvc adds company aliases and relaxes queries that match nothing)"
    )
    result["queries"] = [
        {
            "query": q.describe(),
            "searchsvc_total": totals["searchsvc"][i],
            "fts5_total": totals["fts5"][i],
        }
        for i, q in enumerate(queries)
    ]
    result["corpus"] = {
        "path": f"generated ({args.generate} articles)" if args.generate else str(content_dir),
        "articles": len(articles),
        "unreadable": unreadable,
    }
    result["setup"] = {
        "mix": args.mix,
        "from_queries": args.queries,
        "queries": len(queries),
        "seed": args.seed,
        "repeat": args.repeat,
        "clients": args.clients,
        "requests": args.requests,
        "workers": args.workers,
        "keep_alive": True,
    }
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    return result


def targets_met(result: dict[str, Any]) -> bool:
    return within_fts5(result.get("ratio"))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_report(result: dict[str, Any]) -> None:
    corpus, setup, engines = result["corpus"], result["setup"], result["engines"]
    print(f"corpus: {corpus['path']}")
    print(f"  {corpus['articles']} articles parsed, {corpus['unreadable']} unreadable files")
    print(
        f"query mix: {setup['queries']} queries (seed {setup['seed']}); servers: gunicorn,"
        f" {setup['workers']} workers each, keep-alive; clients on the same machine"
        f" ({result['machine']['cpus']} CPUs)"
    )
    mix = setup.get("mix", "default")
    if header := mix_header(mix, setup["queries"], setup.get("from_queries", setup["queries"])):
        print(header)
    print(
        f"\nOne client, sequential: {setup['repeat']} passes of the mix, ms per request"
        " (send -> last byte read)"
    )
    print(
        f"{'engine':<11}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}{'max':>9}{'bytes':>9}{'errors':>8}"
    )
    for name, eng in engines.items():
        one = eng["single"]
        lat = one["latency"]
        cells = "".join(
            f"{lat.get(k, float('nan')):9.2f}" for k in ("p50", "p95", "p99", "mean", "max")
        )
        print(f"{name:<11}{cells}{one['mean_bytes']:9.0f}{one['errors']:8d}")
    if "ratio" in result:
        ratio = result["ratio"]
        cells = "".join(f"{ratio[k]:8.2f}x" for k in ("p50", "p95", "p99", "mean"))
        print(f"{'ratio':<11}{cells}   (searchsvc / fts5)")
        if mix != "default":
            print(mix_target_line(ratio))
        else:
            print(
                f"target: searchsvc p50 and p99 <= fts5's: p50 {_verdict(ratio['p50'] <= TARGET)},"
                f" p99 {_verdict(ratio['p99'] <= TARGET)}"
            )
    print(
        f"\n{setup['clients']} concurrent clients, {setup['requests']} requests per engine"
        " (one kept-alive connection per client,\n  spread evenly over the workers)"
    )
    print(
        f"{'engine':<11}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'seconds':>9}{'errors':>8}  connections per worker"
    )
    for name, eng in engines.items():
        many = eng["concurrent"]
        lat = many["latency"]
        print(
            f"{name:<11}{many['requests_per_s']:9.1f}{lat.get('p50', float('nan')):9.2f}"
            f"{lat.get('p99', float('nan')):9.2f}{lat.get('max', float('nan')):9.2f}"
            f"{many['seconds']:9.2f}{many['errors']:8d}"
            f"  {'/'.join(map(str, many['connections_per_worker'])) or '-'}"
        )
    if "ratio_concurrent" in result:
        rc = result["ratio_concurrent"]
        print(
            f"{'ratio':<11}{rc['requests_per_s']:8.2f}x{'':>9}{rc['p99']:8.2f}x"
            "   (searchsvc / fts5)"
        )
    for note in result["notes"]:
        print(f"note: {note}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.http_bench", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help="content folder (default: %(default)s)"
    )
    p.add_argument("--generate", type=int, metavar="N", help="index N synthetic articles instead")
    p.add_argument("--queries", type=int, default=300, help="queries in the mix (default 300)")
    p.add_argument("--repeat", type=int, default=2, help="sequential passes per engine (default 2)")
    p.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    p.add_argument(
        "--requests", type=int, default=2400, help="requests per engine under load (default 2400)"
    )
    p.add_argument("--workers", type=int, default=2, help="server workers per engine (default 2)")
    p.add_argument("--seed", type=int, default=20250208, help="seed of the query mix")
    add_mix_option(p)
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when the latency target is missed")
    args = p.parse_args(argv)
    numbers = (args.queries, args.repeat, args.clients, args.requests, args.workers)
    if min(numbers) < 1 or (args.generate is not None and args.generate < 1):
        p.error(
            "--queries, --repeat, --clients, --requests, --workers and --generate must be positive"
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="searchsvc-http-bench-") as tmp:
        result = run(args, Path(tmp))
    print_report(result)
    save_json(args.json, result)
    return 1 if args.check and not targets_met(result) else 0


if __name__ == "__main__":
    sys.exit(main())
