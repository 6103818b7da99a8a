"""Run the app under gunicorn (the production WSGI server), without a config file."""

from __future__ import annotations

import errno
import gc
import json
import os
import selectors
import shutil
import socket
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import TConn, ThreadWorker

# Longest request line gunicorn accepts (its maximum): a 512-character q of 4-byte
# characters is 6,144 bytes percent-encoded, which leaves room for every other parameter.
REQUEST_LINE_LIMIT = 8190
# Request threads per worker. Idle and slow connections wait on the worker's poller, not in
# a thread; searches are CPU-bound under one GIL, so more threads only add contention (4
# gave 20-40% fewer searches per second than 2 on 2 cores). The second thread keeps a
# worker answering while the first runs POST /admin/reindex or reads a slow body.
THREADS = 2
KEEPALIVE_SECONDS = 5  # how long a connection may stay open with no request on it
IO_TIMEOUT_SECONDS = 10  # how long one read or write of a request or response may stall
MAX_HEAD_BYTES = REQUEST_LINE_LIMIT + 100 * 8190  # gunicorn's limits: 100 header fields of 8190
# codes of the errors gunicorn answers itself, before the app sees the request
GUNICORN_ERROR_CODES = {
    400: "bad_request",
    403: "forbidden",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    501: "not_implemented",
}


class _Captured:
    """Stands in for the client socket while gunicorn renders an error (as HTML), so that
    its status line can be kept and its body replaced; anything else goes to the socket."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _TimedSocket:
    """A client socket whose blocking reads and writes give up after IO_TIMEOUT_SECONDS.

    gunicorn's threads read a request with a blocking socket and no time limit, so a client
    that sent half a request line held a thread for good. Here a read that times out reads
    as the client hanging up, a write as a broken pipe: gunicorn then closes the
    connection quietly, as for any client that went away."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.buffered = b""  # read by the poller before a thread took the connection

    def setblocking(self, flag: bool) -> None:
        self._sock.settimeout(IO_TIMEOUT_SECONDS if flag else 0.0)

    def fill(self) -> bool:
        """Read what has arrived, without blocking; False when the client hung up."""
        try:
            chunk = self._sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        self.buffered += chunk
        return bool(chunk)

    def head_complete(self) -> bool:
        """Whether the buffered bytes hold a whole request head (or more than may be one:
        gunicorn then answers its own error)."""
        data = self.buffered.lstrip(b"\r\n")
        return b"\r\n\r\n" in data or b"\n\n" in data or len(data) > MAX_HEAD_BYTES

    def recv(self, size: int, *flags: int) -> bytes:
        if self.buffered:
            data, self.buffered = self.buffered[:size], self.buffered[size:]
            return data
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            return b""

    def sendall(self, data: bytes, *flags: int) -> None:
        try:
            self._sock.sendall(data, *flags)
        except TimeoutError:
            raise BrokenPipeError(errno.EPIPE, "client stopped reading") from None

    def send(self, data: bytes, *flags: int) -> int:
        try:
            return self._sock.send(data, *flags)
        except TimeoutError:
            raise BrokenPipeError(errno.EPIPE, "client stopped reading") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class SearchsvcWorker(ThreadWorker):
    """gunicorn's threaded worker, hardened against clients:

    - a new connection waits in the worker's poller until its first bytes arrive (gunicorn
      27 gives it a thread for up to 5 s first: 50 idle sockets stalled every request);
    - reading a request or writing a response gives up after IO_TIMEOUT_SECONDS idle;
    - the errors gunicorn answers itself (request line or headers too long, a malformed
      request) are in the contract's JSON shape instead of HTML. gunicorn still decides
      the status and logs; only the bytes that reach the client change."""

    def accept(self, listener: socket.socket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, _TimedSocket(client_sock), client_addr, listener.getsockname())
        # as gunicorn defers a connection that sent nothing: on the poller, no thread held,
        # closed after the keep-alive time if nothing comes
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

    def on_pending_socket_readable(self, conn: TConn, client: Any) -> None:
        # A thread takes the connection only once its whole request head is here: a client
        # that sends half a request line waits on the poller, holding no thread, until the
        # keep-alive time runs out.
        if self._wait_for_head(conn, self.pending_conns):
            super().on_pending_socket_readable(conn, client)

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        # the same for the next request on a kept-alive connection
        if self._wait_for_head(conn, self.keepalived_conns):
            super().on_client_socket_readable(conn, client)

    def _wait_for_head(self, conn: TConn, waiting: Any) -> bool:
        """Buffer what arrived; True when a thread should take the connection now."""
        sock: _TimedSocket = conn.sock
        if sock.fill():
            return sock.head_complete()
        if sock.buffered:  # hung up after a partial request: gunicorn answers or drops it
            return True
        self.poller.unregister(conn.sock)
        waiting.remove(conn)
        self.nr_conns -= 1
        conn.close()
        return False

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        captured = _Captured(client)
        super().handle_error(req, captured, addr, exc)
        status_line = captured.data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 500
        reason = parts[2] if len(parts) > 2 else "Internal Server Error"
        code = GUNICORN_ERROR_CODES.get(status, "internal_error")
        message = f"{reason}: {exc}" if status < 500 else "internal error; see the server log"
        body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            "Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            util.write_nonblock(client, head.encode("latin-1") + body)
        except Exception:
            self.log.debug("Failed to send error message.")


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
RATE_LIMIT_FILE_ENV = "SEARCHSVC_RATE_LIMIT_FILE"


def prepare_run_dir() -> Path:
    """Before the workers start (and import prometheus_client): a new temporary folder for
    this server run, removed at exit, and in the environment the workers inherit:

    - PROMETHEUS_MULTIPROC_DIR, where every worker writes its metrics: ``metrics/`` in it,
      or the folder already named, emptied of an earlier run's counts;
    - SEARCHSVC_RATE_LIMIT_FILE, the counts every worker's rate limits share, unless set."""
    run_dir = Path(tempfile.mkdtemp(prefix="searchsvc-run-"))
    given = os.environ.get(METRICS_DIR_ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink(missing_ok=True)
    else:
        folder = run_dir / "metrics"
        folder.mkdir()
        os.environ[METRICS_DIR_ENV] = str(folder)
    if not os.environ.get(RATE_LIMIT_FILE_ENV):
        os.environ[RATE_LIMIT_FILE_ENV] = str(run_dir / "ratelimit.sqlite3")
    return run_dir


def _worker_exited(server: Any, worker: Any) -> None:
    # gunicorn's child_exit hook, in the arbiter: drop the dead worker's live gauges
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server: Any, worker: Any) -> None:
    """gunicorn's worker_exit hook, in the worker as it ends: its app's query log writes what
    is still queued."""
    from searchsvc.web.querylog import close_app

    app = getattr(worker, "wsgi", None)  # absent when the app failed to load
    if app is not None:
        close_app(app)


def ops_hooks() -> dict[str, Any]:
    """gunicorn options for metrics and rate limits shared by the workers (see
    searchsvc/ops/metrics.py and searchsvc/ops/ratelimit.py)."""
    run_dir = prepare_run_dir()

    def on_exit(server: Any) -> None:
        shutil.rmtree(run_dir, ignore_errors=True)

    return {"child_exit": _worker_exited, "on_exit": on_exit}


class _Gunicorn(BaseApplication):
    """gunicorn without a config file: ``options`` are its settings, ``app_config`` what each
    worker's create_app is given (the serve command's settings)."""

    def __init__(self, options: dict[str, Any], app_config: dict[str, Any] | None = None) -> None:
        self.options = options
        self.app_config = dict(app_config or {})
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25.1 otherwise opens a control socket at a fixed path under
            # $HOME (or $XDG_RUNTIME_DIR), shared by every server on the machine
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Any:
        from searchsvc import create_app
        from searchsvc.web.service import SearchService

        app = create_app(self.app_config)
        service: SearchService = app.extensions["searchsvc"]
        # in each worker, before it takes requests; admin on means it may reindex
        service.warm_up(indexing=bool(app.config.get("ADMIN_TOKEN")))
        return app


def preload(app_config: dict[str, Any] | None) -> None:
    """Build in the master, before it forks, what every worker would build alike and never
    changes: the app's modules, the company dictionary and its finders. The workers then
    share those pages instead of each holding a copy. gc.freeze() keeps the collector from
    writing to (and so copying) every preloaded object in each worker. The index is not
    opened here: each worker opens its own files and follows new generations itself."""
    import flask  # noqa: F401  (what create_app imports in each worker, imported once)

    from searchsvc import admin, web  # noqa: F401
    from searchsvc.entities.dictionary import companies_for
    from searchsvc.ops import accesslog, metrics, ratelimit  # noqa: F401
    from searchsvc.query.synonyms import load_synonyms
    from searchsvc.settings import load_settings
    from searchsvc.web import querylog, service  # noqa: F401

    settings = load_settings(app_config)
    load_synonyms(settings["SYNONYMS_FILE"])  # a bad synonym file stops serve, named
    companies = companies_for(settings["COMPANIES_FILE"])
    _ = companies.query_finder
    if settings["ADMIN_TOKEN"]:  # POST /admin/reindex may index articles in a worker
        _ = companies.article_finder
    gc.collect()
    gc.freeze()


def run_gunicorn(
    host: str,
    port: int,
    workers: int,
    threads: int = THREADS,
    app_config: dict[str, Any] | None = None,
) -> None:
    """Serve until interrupted; each worker builds its app from ``app_config`` (settings
    not in it come from the environment, as create_app reads them) and opens the index.

    Threaded workers: a connection that is idle, or slow to send its request, waits in the
    worker's poller and holds no thread (sync workers each held one, so two idle clients
    stalled a two-worker server). Whoosh reads are serialised per generation
    (Generation.reading), the rest of a search runs on cached NumPy arrays."""
    from searchsvc.ops.accesslog import configure_serve_logging

    configure_serve_logging()  # searchsvc's access lines replace gunicorn's access log
    ops = ops_hooks()
    preload(app_config)
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": SearchsvcWorker,
            "threads": threads,
            "keepalive": KEEPALIVE_SECONDS,
            "limit_request_line": REQUEST_LINE_LIMIT,
            # POST /admin/reindex runs in a worker thread; the heartbeat goes on meanwhile,
            # but a full rebuild of ~50,000 articles takes about 90 s on 2 cores.
            "timeout": 120,
            "graceful_timeout": 10,
            "worker_exit": worker_exit,
            **ops,
        },
        app_config,
    ).run()
