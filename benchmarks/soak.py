"""Soak: a real server under search load while the index is rebuilt, reindexed and killed.

Run from the repository root:  python -m benchmarks.soak [--seconds 120] [--articles 5066]

For --seconds, client threads search a `searchsvc serve --workers 2` server without pause,
while the content changes and the index follows: incremental `searchsvc index --paths`
runs every few seconds, some of them killed with SIGKILL part-way, one full rebuild killed
part-way and one that completes; a server worker is killed with SIGKILL twice. At the end
one more run converges and every edit is checked to be searchable.

A request that fails on the connection (the worker holding it was killed) is retried once
on a new connection, as a reverse proxy retries an idempotent GET on another upstream
(nginx's proxy_next_upstream error): the report counts those as `retried`; `errors` are
the requests that still failed, or that got any status but 200. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.engines import log, save_json
from benchmarks.reindex_bench import (
    Process,
    add_corpus_arguments,
    child_env,
    edit_body,
    fresh_token,
    percentile,
    prepare_corpus,
    start_server,
)
from searchsvc.ingest.scan import iter_article_paths

WORDS = (
    "nvidia earnings tariffs chips semiconductor bitcoin inflation rates oil bank "
    "guidance revenue apple tesla microsoft amazon china export data center memory "
    "dividend merger acquisition layoffs ai cloud margin forecast"
).split()
PREFIXES = ("semi*", "earn*", "tar*", "infl*", "acqui*")
PHRASES = ('"data center"', '"interest rates"', '"export controls"')
EDIT_EVERY_S = 4.0  # one incremental reindex this often
FILES_PER_EDIT = 10


@dataclass
class Tally:
    """What the client threads saw (updated under a lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retried: int = 0
    generations: set[int] = field(default_factory=set)

    def ok(self, seconds: float, generation: int | None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            if generation is not None:
                self.generations.add(generation)

    def failed(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)

    def retry(self) -> None:
        with self.lock:
            self.retried += 1


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.soak", description=__doc__.split("\n")[0]
    )
    add_corpus_arguments(p, articles=5066)
    p.add_argument("--seconds", type=float, default=120.0, help="length of the soak (120)")
    p.add_argument("--clients", type=int, default=4, help="client threads (4)")
    p.add_argument("--seed", type=int, default=20250208, help="seed of queries and edits")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when any request failed")
    args = p.parse_args(argv)
    if args.seconds < 10:
        p.error("--seconds must be at least 10 (the schedule needs room)")
    return args


def random_query(rng: random.Random) -> dict[str, str]:
    kind = rng.random()
    if kind < 0.7:
        q = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2, 3))))
    elif kind < 0.8:
        q = rng.choice(PREFIXES)
    elif kind < 0.9:
        q = rng.choice(PHRASES)
    else:
        q = rng.choice(WORDS) + " -" + rng.choice(WORDS)
    params = {"q": q}
    if rng.random() < 0.1:
        params["sort"] = "newest"
    if rng.random() < 0.1:
        params["from"] = "2024-01-01"
    return params


def get(port: int, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    """One GET on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def client_loop(port: int, seed: int, stop: threading.Event, tally: Tally) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        path = "/api/search?" + urlencode(random_query(rng))
        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                status, body = get(port, path)
            except (OSError, http.client.HTTPException) as exc:
                if attempt == 1:
                    tally.retry()
                    continue
                tally.failed(f"{path}: {exc.__class__.__name__}: {exc}")
                break
            if status != 200:
                tally.failed(f"{path}: HTTP {status} {body[:200]!r}")
            else:
                tally.ok(time.perf_counter() - started, json.loads(body).get("generation"))
            break


def worker_pids(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


@dataclass
class Runs:
    """What the reindexing side did."""

    completed: int = 0
    killed: int = 0
    failed: list[str] = field(default_factory=list)
    full_completed: int = 0
    seconds: list[float] = field(default_factory=list)


def reindex(
    env: dict[str, str], work: Path, args: list[str], kill_after: float | None, runs: Runs
) -> None:
    """One `searchsvc index` run; killed (with its worker processes) after kill_after s."""
    command = [sys.executable, "-m", "searchsvc.cli", "index", *args]
    started = time.perf_counter()
    with open(work / "reindex.log", "ab") as out:
        proc = subprocess.Popen(
            command, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            runs.killed += 1
            return
    if proc.returncode == 0:
        runs.completed += 1
        runs.seconds.append(time.perf_counter() - started)
        if "--full" in args:
            runs.full_completed += 1
    else:
        runs.failed.append(f"{' '.join(args)}: exit {proc.returncode}")


def schedule(seconds: float) -> dict[str, list[float]]:
    """When (seconds into the soak) each disruption happens."""
    return {
        "worker_kills": [seconds * 0.25, seconds * 0.65],
        "killed_full_rebuild": [seconds * 0.45],
        "full_rebuild": [seconds * 0.8],
    }


def disrupt(
    args: argparse.Namespace,
    work: Path,
    content: Path,
    server: Process,
    env: dict[str, str],
    stop: threading.Event,
    runs: Runs,
    edited: dict[str, str],
    kills: list[int],
    full_seconds: float,
) -> None:
    """Edits and reindexes, kills of workers and runs, on schedule(); ``full_seconds`` is
    how long the first build took: the killed full rebuild dies half-way through one."""
    rng = random.Random(args.seed + 1)
    files = [p.relative_to(content).as_posix() for p in iter_article_paths(content)]
    plan = schedule(args.seconds)
    started = time.perf_counter()
    run_number = 0
    while not stop.is_set():
        elapsed = time.perf_counter() - started
        if plan["worker_kills"] and elapsed >= plan["worker_kills"][0]:
            pids = worker_pids(server.popen.pid)
            if pids:  # else the next round tries again (a worker may be restarting)
                plan["worker_kills"].pop(0)
                victim = rng.choice(pids)
                os.kill(victim, signal.SIGKILL)
                kills.append(victim)
                log(f"killed worker {victim} at {elapsed:.0f} s")
        if plan["killed_full_rebuild"] and elapsed >= plan["killed_full_rebuild"][0]:
            plan["killed_full_rebuild"].pop(0)
            # half of a full build's time: part-way, however fast this machine builds
            kill_after = max(full_seconds / 2, 0.2)
            log(f"full rebuild, killed after {kill_after:.1f} s, at {elapsed:.0f} s")
            reindex(env, work, ["--full"], kill_after, runs)
        elif plan["full_rebuild"] and elapsed >= plan["full_rebuild"][0]:
            plan["full_rebuild"].pop(0)
            log(f"full rebuild at {elapsed:.0f} s")
            reindex(env, work, ["--full"], None, runs)
        else:
            paths = rng.sample(files, FILES_PER_EDIT)
            for rel in paths:
                token = fresh_token(rng)
                edit_body(content / rel, f"Breaking: {token} announced today.")
                edited[rel] = token
            run_number += 1
            # every third run, the first one included, is killed part-way (before, during
            # or after its commit): a short soak on a loaded machine still kills one
            kill_after = rng.uniform(0.05, 1.0) if run_number % 3 == 1 else None
            reindex(env, work, ["--paths", *(str(content / p) for p in paths)], kill_after, runs)
        stop.wait(EDIT_EVERY_S)


def verify(port: int, env: dict[str, str], work: Path, edited: dict[str, str]) -> dict[str, Any]:
    """After the soak: one more run converges, and every file's last edit is searchable."""
    runs = Runs()
    reindex(env, work, [], None, runs)
    time.sleep(1.0)  # workers pick up the commit within SEARCHSVC_REFRESH_SECONDS
    missing = []
    for rel, token in sorted(edited.items()):
        status, body = get(port, "/api/search?" + urlencode({"q": token, "facets": ""}))
        if status != 200 or json.loads(body)["total"] != 1:
            missing.append(rel)
    _, health = get(port, "/healthz")
    return {
        "final_run_ok": runs.completed == 1,
        "edited_files": len(edited),
        "edits_not_searchable": missing,
        "documents": json.loads(health).get("documents"),
    }


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    log("preparing the corpus")
    content, description = prepare_corpus(args, work)
    index_dir = work / "index"
    env = child_env(work, content, index_dir)
    log("first build (`searchsvc index`)")
    first = Runs()
    reindex(env, work, [], None, first)
    if not first.completed:
        raise SystemExit(f"error: the first build failed: {first.failed}")
    log("starting `searchsvc serve --workers 2`")
    server, base, start_seconds = start_server(work, content, index_dir)
    port = int(base.rsplit(":", 1)[1])
    tally, runs = Tally(), Runs()
    edited: dict[str, str] = {}
    kills: list[int] = []
    stop = threading.Event()
    try:
        clients = [
            threading.Thread(target=client_loop, args=(port, args.seed + 10 + i, stop, tally))
            for i in range(args.clients)
        ]
        disruptor = threading.Thread(
            target=disrupt,
            args=(args, work, content, server, env, stop, runs, edited, kills, first.seconds[0]),
        )
        log(f"soak: {args.clients} clients for {args.seconds:.0f} s")
        started = time.perf_counter()
        for thread in [*clients, disruptor]:
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        for thread in [*clients, disruptor]:
            thread.join()
        elapsed = time.perf_counter() - started
        log("verifying")
        checks = verify(port, env, work, edited)
        server_alive = server.alive()
    finally:
        server.stop()
    latencies = tally.latencies or [0.0]
    return {
        "corpus": description,
        "seconds": round(elapsed, 1),
        "server_start_s": round(start_seconds, 2),
        "clients": args.clients,
        "requests": len(tally.latencies) + len(tally.errors),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:10],
        "retried": tally.retried,
        "throughput_rps": round(len(tally.latencies) / elapsed, 1),
        "latency_ms": {
            "p50": round(statistics.median(latencies) * 1000, 2),
            "p95": round(percentile(latencies, 95) * 1000, 2),
            "p99": round(percentile(latencies, 99) * 1000, 2),
            "max": round(max(latencies) * 1000, 2),
        },
        "generations_seen": len(tally.generations),
        "worker_kills": len(kills),
        "reindex": {
            "completed": runs.completed,
            "killed": runs.killed,
            "failed": runs.failed,
            "full_completed": runs.full_completed,
            "p50_s": round(statistics.median(runs.seconds), 3) if runs.seconds else None,
        },
        "server_alive_at_end": server_alive,
        "after": checks,
    }


def passed(result: dict[str, Any]) -> bool:
    after = result["after"]
    return (
        result["errors"] == 0
        and result["server_alive_at_end"]
        and not result["reindex"]["failed"]
        and after["final_run_ok"]
        and not after["edits_not_searchable"]
    )


def print_report(result: dict[str, Any]) -> None:
    lat = result["latency_ms"]
    rx = result["reindex"]
    after = result["after"]
    print(f"corpus: {result['corpus']}; server up in {result['server_start_s']} s")
    print(
        f"{result['seconds']} s, {result['clients']} clients: {result['requests']} requests "
        f"({result['throughput_rps']}/s), errors {result['errors']}, "
        f"retried after a killed worker {result['retried']}"
    )
    print(f"latency ms: p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}")
    print(
        f"index: {rx['completed']} runs completed ({rx['full_completed']} full), "
        f"{rx['killed']} killed with SIGKILL, {len(rx['failed'])} failed; "
        f"{result['generations_seen']} generations served; "
        f"{result['worker_kills']} workers killed with SIGKILL"
    )
    print(
        f"after: final run {'ok' if after['final_run_ok'] else 'FAILED'}, "
        f"{after['edited_files'] - len(after['edits_not_searchable'])}/{after['edited_files']} "
        f"edited files searchable by their last edit, {after['documents']} documents"
    )
    for sample in result["error_samples"]:
        print(f"  error: {sample}")
    print("PASS" if passed(result) else "FAIL")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="searchsvc-soak-") as tmp:
        result = run(args, Path(tmp))
    print_report(result)
    save_json(args.json, result)
    return 1 if args.check and not passed(result) else 0


if __name__ == "__main__":
    sys.exit(main())
