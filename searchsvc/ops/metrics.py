"""GET /metrics: Prometheus text format, behind the admin token exactly like /admin/.

Each app owns its metric objects and its own CollectorRegistry (no module-level state).
Under `searchsvc serve` every gunicorn worker writes its counts to PROMETHEUS_MULTIPROC_DIR
(set and emptied by the launcher before the workers start, see server.py), and a scrape,
whichever worker answers it, adds up every worker's, dead ones included. Without that
variable (tests, another WSGI server) a scrape shows the answering process only.

What is counted per request is two dictionary look-ups and two mmap writes; what can be read
from the index (documents, generation, the last reindex report on disk, which also covers
`searchsvc index` and `searchsvc watch` runs) is read at scrape time.
"""

from __future__ import annotations

import calendar
import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, g, request, request_finished, request_started
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from searchsvc.admin.auth import require_admin
from searchsvc.errors import IndexNotFound
from searchsvc.indexing.layout import read_last_report
from searchsvc.web.spec import Operation, Reply, describe

if TYPE_CHECKING:
    from flask import Flask

    from searchsvc.web.querylog import QueryLog
    from searchsvc.web.service import SearchService

EXTENSION = "searchsvc_metrics"
PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REINDEX_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
REINDEX_ENDPOINT = "admin.reindex"
ISO_SECONDS = "%Y-%m-%dT%H:%M:%SZ"  # the report's finished_at

bp = Blueprint("metrics", __name__)


def multiprocess_dir() -> str | None:
    path = os.environ.get(MULTIPROC_ENV)
    return path if path and os.path.isdir(path) else None


class IndexCollector(Collector):
    """Read at scrape time by the answering process: the index it serves and the last
    reindex report on disk."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        # Without describe(), registering calls collect(), which opens the index: every
        # create_app() would, though the index is meant to open on first use. The names
        # are fixed, so the registry's duplicate check has nothing to find.
        return []

    def collect(self) -> Iterator[Metric]:
        service: SearchService = self.app.extensions["searchsvc"]
        up = GaugeMetricFamily(
            "searchsvc_index_up", "1 when the index can be opened and searched, 0 otherwise"
        )
        try:
            with service.lease() as gen:
                documents, generation, index_dir = gen.doc_count, gen.number, gen.index_dir
        except IndexNotFound:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "searchsvc_index_documents", "articles in the generation being served", documents
        )
        yield GaugeMetricFamily(
            "searchsvc_index_generation", "number of the index generation being served", generation
        )
        report = read_last_report(index_dir)
        if not report:
            return
        finished = report.get("finished_at")
        if isinstance(finished, str):
            try:
                stamp: float | None = calendar.timegm(time.strptime(finished, ISO_SECONDS))
            except ValueError:
                stamp = None
            if stamp is not None:
                yield GaugeMetricFamily(
                    "searchsvc_last_reindex_finished_timestamp_seconds",
                    "when the last reindex (CLI, watch or webhook) finished, unix time",
                    stamp,
                )
        yield GaugeMetricFamily(
            "searchsvc_last_reindex_duration_seconds",
            "how long the last reindex took",
            float(report.get("seconds") or 0.0),
        )
        yield GaugeMetricFamily(
            "searchsvc_last_reindex_errors",
            "files the last reindex could not index",
            len(report.get("errors") or ()),
        )
        changes = GaugeMetricFamily(
            "searchsvc_last_reindex_changes",
            "articles the last reindex added, updated and deleted",
            labels=["change"],
        )
        for change in ("added", "updated", "deleted"):
            changes.add_metric([change], int(report.get(change) or 0))
        yield changes


class Metrics:
    """One app's metrics."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "searchsvc_http_requests",
            "HTTP requests answered, by URL rule (unrouted for none) and status",
            ["endpoint", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "searchsvc_http_request_duration_seconds",
            "time to answer a request, by URL rule",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.reindex_runs = Counter(
            "searchsvc_reindex_runs",
            "POST /admin/reindex runs in this server, by result (ok, busy: another reindex "
            "held the lock, error)",
            ["result"],
            registry=r,
        )
        for result in ("ok", "busy", "error"):
            self.reindex_runs.labels(result)  # at 0 from the start, so rate() sees the first
        self.reindex_duration = Histogram(
            "searchsvc_reindex_duration_seconds",
            "time POST /admin/reindex runs took",
            buckets=REINDEX_BUCKETS,
            registry=r,
        )
        self.reindex_file_errors = Counter(
            "searchsvc_reindex_file_errors",
            "files POST /admin/reindex runs could not index",
            registry=r,
        )
        self.querylog_dropped = Counter(
            "searchsvc_querylog_dropped",
            "searches not written to the query log because its queue was full",
            registry=r,
        )
        self.querylog_failed = Counter(
            "searchsvc_querylog_failed",
            "searches lost to a query log write error",
            registry=r,
        )
        self.index = IndexCollector(app)
        r.register(self.index)
        self._querylog_seen = (os.getpid(), 0, 0)

    # -- per request ---------------------------------------------------------------------------

    def started(self, sender: Any, **extra: Any) -> None:
        g.searchsvc_metrics_start = time.perf_counter()

    def finished(self, sender: Any, response: Response, **extra: Any) -> None:
        start = g.get("searchsvc_metrics_start")
        rule = request.url_rule
        endpoint = rule.rule if rule is not None else "unrouted"
        status = response.status_code
        self.requests.labels(endpoint, str(status)).inc()
        if start is not None:
            elapsed = time.perf_counter() - start
            self.latency.labels(endpoint).observe(elapsed)
            if request.endpoint == REINDEX_ENDPOINT:
                self._reindexed(status, response, elapsed)
        self.sync_querylog()

    def _reindexed(self, status: int, response: Response, elapsed: float) -> None:
        if status == 200:
            report = response.get_json(silent=True) or {}
            self.reindex_runs.labels("ok").inc()
            self.reindex_duration.observe(float(report.get("seconds") or elapsed))
            self.reindex_file_errors.inc(len(report.get("errors") or ()))
        elif status == 409:
            self.reindex_runs.labels("busy").inc()
        elif status >= 500:
            self.reindex_runs.labels("error").inc()
            self.reindex_duration.observe(elapsed)
        # other 4xx (bad body, no token) never started a run

    def sync_querylog(self) -> None:
        """Add what this process's query log dropped or failed since the last look."""
        querylog: QueryLog | None = self.app.extensions.get("searchsvc_querylog")
        if querylog is None:
            return
        pid, dropped, failed = self._querylog_seen
        if pid != os.getpid() or querylog.dropped < dropped or querylog.failed < failed:
            pid, dropped, failed = os.getpid(), 0, 0  # a new process: its log starts at 0
        if querylog.dropped > dropped:
            self.querylog_dropped.inc(querylog.dropped - dropped)
        if querylog.failed > failed:
            self.querylog_failed.inc(querylog.failed - failed)
        self._querylog_seen = (pid, querylog.dropped, querylog.failed)

    # -- a scrape ------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        self.sync_querylog()
        path = multiprocess_dir()
        if path is None:
            return generate_latest(self.registry)
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry(auto_describe=True)
        MultiProcessCollector(registry, path=path)
        registry.register(self.index)
        return generate_latest(registry)


@bp.before_app_request
def _guard() -> None:
    """/metrics answers like /admin/: 404 while admin is off, 401 without the token."""
    if request.path == PATH:
        require_admin()


@bp.get(PATH)
@describe(
    Operation(
        "Prometheus metrics",
        Reply(
            "Requests, latencies, the index, reindex runs, query-log drops.",
            {"type": "string"},
            media_type="text/plain",
        ),
        description="The Prometheus text format, added up over the server's workers.",
        admin=True,
        rate_limited=False,
        tag="operations",
    )
)
def metrics() -> Response:
    found: Metrics = current_app.extensions[EXTENSION]
    response = Response(found.exposition(), mimetype=None, content_type=CONTENT_TYPE_LATEST)
    return response


@bp.after_app_request
def _no_store(response: Response) -> Response:
    if request.path == PATH:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> Metrics:
    """Count every request of ``app`` and serve GET /metrics. Call after ratelimit.init_app
    (a locked-out address gets 429 before its token is checked)."""
    found = Metrics(app)
    app.extensions[EXTENSION] = found
    # signals, not hooks: every request is timed from routing to the last after_request
    # hook, whatever the order the other modules' hooks were registered in. Bound methods
    # are held weakly: they live as long as the app does.
    request_started.connect(found.started, app)
    request_finished.connect(found.finished, app)
    app.register_blueprint(bp)
    return found
