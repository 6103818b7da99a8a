"""Rate limits per client address, counted in one SQLite file (``RATE_LIMIT_FILE``) that
every gunicorn worker shares; `searchsvc serve` makes one per server run (server.py). An app
without that setting (tests, another WSGI server) counts in its own memory.

    ratelimit.sqlite3   (+ -wal, -shm)   one row per (client, limit, window)

Two limits, both answered with 429 `rate_limited` and `Retry-After` (seconds):

- ``RATE_LIMIT`` (off by default), e.g. ``20/second;600/minute``: every request of a client
  address, whatever the URL, through Flask-Limiter (fixed windows). /healthz (load
  balancers) and /metrics (behind the admin token, and needed most when clients are being
  throttled) are never limited.
- ``AUTH_FAILURE_LIMIT`` (always on, ``10/minute``): wrong tokens (401 `invalid_token`) on
  /admin/ and /metrics; a missing or malformed header guesses nothing and is not counted. Once
  an address has used them up, every request it makes there gets 429, even with the right
  token, until the window ends: guessing the token is as slow as the limit.

The client address is the connection's, or with ``PROXY_HOPS`` = N the one N reverse
proxies put in X-Forwarded-For (werkzeug's ProxyFix). A storage that cannot be written (a
full disk, a locked file) lets requests through and logs why: limits never stop the service.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from flask import Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.middleware.proxy_fix import ProxyFix

from searchsvc.errors import SearchsvcError

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "searchsvc_ratelimit"
SCHEME = "searchsvc+sqlite"
BUSY_MS = 1_000
PRUNE_EVERY = 1_000  # increments (per connection) between two deletes of expired windows
# never limited by RATE_LIMIT; /metrics still counts failed tokens (AUTH_FAILURE_LIMIT)
EXEMPT_PATHS = frozenset({"/healthz", "/metrics"})
AUTH_PATHS = ("/admin", "/metrics")
INVALID_TOKEN = 'error="invalid_token"'

log = logging.getLogger("searchsvc")


class RateLimited(SearchsvcError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)

    def http_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


# --- the storage: fixed-window counters in one SQLite file ------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key     TEXT PRIMARY KEY,
    count   INTEGER NOT NULL,
    expires REAL    NOT NULL  -- unix time at which this window ends
) WITHOUT ROWID;
"""
# one statement, so atomic across processes: a new window starts over when the old one ended
INCR = """
INSERT INTO counters (key, count, expires) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    count   = CASE WHEN expires <= :now THEN :amount ELSE count + :amount END,
    expires = CASE WHEN expires <= :now THEN :now + :expiry ELSE expires END
RETURNING count
"""


class SQLiteStorage(Storage):
    """A `limits` storage (fixed windows) that processes on one machine share.

    Registered under the scheme ``searchsvc+sqlite:///absolute/path.sqlite3``. Each process
    and thread has its own connection (opened on first use, so a storage made before a fork
    works in the children); WAL mode, and no fsync: counters lost in a power cut do not
    matter."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if uri is None:
            raise ValueError(f"{SCHEME} storage needs a path: {SCHEME}:///path/to/file")
        self.path = Path(unquote(urlsplit(uri).path))
        self._local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}COMMIT;")
            local.conn, local.pid, local.incrs = conn, os.getpid(), 0
        conn_: sqlite3.Connection = local.conn
        return conn_

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        conn = self._conn()
        now = time.time()
        rows = conn.execute(
            INCR, {"key": key, "amount": amount, "now": now, "expiry": expiry}
        ).fetchall()  # all rows: the statement (and its write lock) ends here
        self._local.incrs += 1
        if self._local.incrs % PRUNE_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return int(rows[0][0])

    def get(self, key: str) -> int:
        row = (
            self._conn()
            .execute("SELECT count FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._conn()
            .execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._conn().execute("SELECT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return int(self._conn().execute("DELETE FROM counters").rowcount)

    def clear(self, key: str) -> None:
        self._conn().execute("DELETE FROM counters WHERE key = ?", (key,))


def storage_uri(path: Path) -> str:
    """The `limits` storage URI of the SQLite file at ``path``."""
    return f"{SCHEME}://{Path(path).resolve().as_posix()}"


# --- the app's limits ---------------------------------------------------------------------------


def client_address() -> str:
    """The client's address (after ProxyFix, when PROXY_HOPS is set)."""
    return request.remote_addr or "unknown"


def retry_after(limiter: FixedWindowRateLimiter, item: RateLimitItem, *keys: str) -> int:
    reset_at, _ = limiter.get_window_stats(item, *keys)
    return math.ceil(reset_at - time.time())


class AuthFailureLimit:
    """AUTH_FAILURE_LIMIT: 401s on /admin/ and /metrics per client address."""

    def __init__(self, storage: Storage, limits: str) -> None:
        self.limiter = FixedWindowRateLimiter(storage)
        self.items = parse_many(limits)

    def check(self) -> None:
        """Before the token is looked at: 429 once this address has used up its failures."""
        address = client_address()
        try:
            for item in self.items:
                if not self.limiter.test(item, "auth-failures", address):
                    wait = retry_after(self.limiter, item, "auth-failures", address)
                    raise RateLimited(
                        f"too many failed admin-token attempts from this address "
                        f"(at most {item}); try again in {max(1, wait)} s",
                        retry_after=wait,
                    )
        except sqlite3.Error as exc:
            log.warning("rate limit storage: cannot check failed admin tokens: %s", exc)

    def failed(self) -> None:
        try:
            for item in self.items:
                self.limiter.hit(item, "auth-failures", client_address())
        except sqlite3.Error as exc:
            log.warning("rate limit storage: cannot count a failed admin token: %s", exc)


def is_auth_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in AUTH_PATHS)


def _too_many_requests(exc: RateLimitExceeded) -> tuple[dict[str, Any], int, dict[str, str]]:
    limiter: Limiter = current_app.extensions[EXTENSION]["limiter"]
    wait = 1
    current = limiter.current_limit
    if current is not None:
        try:
            # the window's end itself: RequestLimit.reset_at adds a second
            wait = math.ceil(current.window.reset_time - time.time())
        except sqlite3.Error:
            pass
    error = RateLimited(
        f"too many requests from this address (at most {exc.limit.limit}); "
        f"try again in {max(1, wait)} s",
        retry_after=wait,
    )
    return error.to_json(), error.status, error.http_headers()


def init_app(app: Flask) -> None:
    """Trust PROXY_HOPS proxies for the client address; RATE_LIMIT on every request (when
    set); AUTH_FAILURE_LIMIT on /admin/ and /metrics. Call before the admin gate is
    registered, so that a locked-out address is refused before its token is checked."""
    config = app.config
    hops = int(config.get("PROXY_HOPS") or 0)
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=0, x_host=0, x_port=0, x_prefix=0
        )
    shared = config.get("RATE_LIMIT_FILE")
    uri = storage_uri(Path(shared)) if shared else "memory://"
    failures = config.get("AUTH_FAILURE_LIMIT") or "10/minute"
    auth = AuthFailureLimit(SQLiteStorage(uri) if shared else MemoryStorage(), failures)
    state: dict[str, Any] = {"auth": auth, "limiter": None}
    app.extensions[EXTENSION] = state

    @app.before_request
    def _refuse_locked_out_addresses() -> None:
        if is_auth_path(request.path):
            auth.check()

    @app.after_request
    def _count_failed_tokens(response: Response) -> Response:
        # a wrong token (admin.auth.check_bearer's invalid_token), not a missing or malformed
        # header: only a token sent can be a guess
        if response.status_code == 401 and is_auth_path(request.path):
            if INVALID_TOKEN in response.headers.get("WWW-Authenticate", ""):
                auth.failed()
        return response

    limits = config.get("RATE_LIMIT")
    if limits:
        limiter = Limiter(
            client_address,
            application_limits=[limits],
            storage_uri=uri,
            strategy="fixed-window",
            headers_enabled=False,
            swallow_errors=True,  # a broken storage lets requests through (and logs why)
            # unrouted URLs (404) count too: Flask-Limiter skips requests without an endpoint
            request_identifier=lambda: request.endpoint or "unrouted",
        )
        limiter.request_filter(lambda: request.path in EXEMPT_PATHS)
        limiter.init_app(app)
        state["limiter"] = limiter
        app.register_error_handler(RateLimitExceeded, _too_many_requests)
