"""`searchsvc` command line: thin commands over the library.

Each command parses its options, calls the library, and turns a SearchsvcError into its
message and hint on stderr with exit status 1 (2 for usage errors, as click does).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from searchsvc.entities.dictionary import CompanyDataError
from searchsvc.errors import SearchsvcError
from searchsvc.query.request import MATCHES, MAX_PER_PAGE, PREFIXES, SORTS, TYPOS
from searchsvc.settings import load_settings

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Turn library errors into a clear message, not a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SearchsvcError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"Hint: {exc.hint}", err=True)
            sys.exit(1)
        except FileNotFoundError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except CompanyDataError as exc:
            click.echo(f"Error: bad companies file (SEARCHSVC_COMPANIES_FILE): {exc}", err=True)
            click.echo(
                "Hint: its format is described in README.md, Companies and tickers", err=True
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


content_option = click.option(
    "--content", type=click.Path(path_type=Path), help="Folder of Markdown articles [seeds]."
)


def match_option(help: str) -> Callable[[F], F]:
    """--match all|any, as /api/search's match parameter."""
    return click.option(
        "--match",
        type=click.Choice(MATCHES),
        default="all",
        show_default=True,
        help=help,
    )


index_option = click.option(
    "--index", "index_dir", type=click.Path(path_type=Path), help="Index folder [index]."
)


@click.group()
@click.version_option(package_name="searchsvc")
def main() -> None:
    """Full-text search over a folder of Markdown articles."""


@main.command("index")
@content_option
@index_option
@click.option("--full", is_flag=True, help="Rebuild everything instead of applying changes.")
@click.option(
    "--paths",
    "paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Check only this file (repeat; a file that is gone is deleted from the index).",
)
@click.option(
    "--since",
    metavar="GIT_REV",
    help="Check only the files git says changed since GIT_REV (content folder in a git work tree).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.argument("more_paths", nargs=-1, type=click.Path(path_type=Path))
@reports_errors
def index_command(
    content: Path | None,
    index_dir: Path | None,
    full: bool,
    paths: tuple[Path, ...],
    since: str | None,
    as_json: bool,
    more_paths: tuple[Path, ...],
) -> None:
    """Index the content folder (incremental by content hash unless --full).

    `--paths a.md b.md` checks just those files; `--since main~1` takes them from git."""
    from searchsvc.indexing.build import build_index

    settings = load_settings({"CONTENT_DIR": content, "INDEX_DIR": index_dir})
    if more_paths and not paths:
        raise click.UsageError(
            f"unexpected argument {str(more_paths[0])!r} (paths go after --paths)"
        )
    selected: list[Path | str] | None = None
    if paths or since:
        if full:
            raise click.UsageError("--full rebuilds everything; it takes no --paths or --since")
        root = settings["CONTENT_DIR"].resolve()
        selected = []
        for path in (*paths, *more_paths):  # as the shell sees them: relative to here
            absolute = path.absolute()
            if not absolute.resolve().is_relative_to(root):
                raise click.UsageError(f"{path} is not inside the content folder {root}")
            selected.append(absolute)
        if since:
            from searchsvc.ingest.gitchanges import changed_since

            selected += changed_since(settings["CONTENT_DIR"], since)
    report = build_index(
        settings["CONTENT_DIR"],
        settings["INDEX_DIR"],
        full=full,
        paths=selected,
        companies_file=settings["COMPANIES_FILE"],
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    echo_report(report)


def echo_report(report: Any) -> None:
    """A reindex report as the index command prints it: problems on stderr."""
    from searchsvc.indexing.report import report_lines

    summary, *details = report_lines(report)
    click.echo(summary.text)
    for line in details:
        click.echo(f"  {line.text}", err=line.problem)


@main.command("watch")
@content_option
@index_option
@click.option(
    "--debounce",
    type=float,
    default=0.25,
    show_default=True,
    help="Seconds of quiet before a burst of changes is indexed.",
)
@click.option("--poll", is_flag=True, help="Poll the folder instead of using file events.")
@reports_errors
def watch_command(
    content: Path | None, index_dir: Path | None, debounce: float, poll: bool
) -> None:
    """Follow the content folder and reindex what changes (Ctrl-C stops)."""
    import logging

    from searchsvc.indexing.watch import run_watch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = load_settings({"CONTENT_DIR": content, "INDEX_DIR": index_dir})
    run_watch(
        settings["CONTENT_DIR"],
        settings["INDEX_DIR"],
        companies_file=settings["COMPANIES_FILE"],
        debounce=debounce,
        poll=True if poll else None,
    )


@main.command("search")
@click.argument("query", default="")
@index_option
@click.option("--tag", "tags", multiple=True, help="Filter by tag (repeat for OR).")
@click.option("--category", "categories", multiple=True, help="Filter by category.")
@click.option("--author", "authors", multiple=True, help="Filter by author.")
@click.option("--ticker", "tickers", multiple=True, help="Filter by ticker or company.")
@click.option("--year", "years", multiple=True, help="Filter by year published, YYYY.")
@click.option("--from", "date_from", help="Published on or after YYYY-MM-DD.")
@click.option("--to", "date_to", help="Published on or before YYYY-MM-DD.")
@click.option(
    "--sort",
    type=click.Choice(SORTS),
    default="relevance",
    show_default=True,
    help="Order of the results.",
)
@match_option("Every word must match (all), or rank by any of them (any).")
@click.option("--page", type=int, default=1, show_default=True, help="Page of results, from 1.")
@click.option(
    "--per-page",
    type=int,
    default=10,
    show_default=True,
    help=f"Results per page (1-{MAX_PER_PAGE}).",
)
@click.option("--strict", is_flag=True, help="Reject query syntax that cannot be read.")
@click.option(
    "--typos",
    type=click.Choice(TYPOS),
    default=None,
    help="Typos a word may have: auto (5+ letters 1, 9+ letters 2), or at most 0, 1, 2"
    " [default: SEARCHSVC_TYPOS, else auto].",
)
@click.option(
    "--prefix",
    type=click.Choice(PREFIXES),
    default="last",
    show_default=True,
    help="last: the last word also matches the words it begins (unless QUERY ends with a space).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON response.")
@reports_errors
def search_command(query: str, index_dir: Path | None, as_json: bool, **options: Any) -> None:
    """Search the index with the same engine as the HTTP API."""
    from searchsvc.entities.dictionary import companies_for
    from searchsvc.query.handle import IndexHandle
    from searchsvc.query.request import SearchRequest
    from searchsvc.query.results import results_to_json
    from searchsvc.query.search import search
    from searchsvc.query.synonyms import load_synonyms

    settings = load_settings({"INDEX_DIR": index_dir})
    for name in ("tags", "categories", "authors", "tickers", "years"):
        options[name] = tuple(options[name])
    options["typos"] = options["typos"] or settings["TYPOS"]
    request = SearchRequest(q=query, **options)
    synonyms = load_synonyms(settings["SYNONYMS_FILE"])
    handle = IndexHandle.open(settings["INDEX_DIR"])
    try:
        results = search(handle, request, companies_for(settings["COMPANIES_FILE"]), synonyms)
    finally:
        handle.close()
    if as_json:
        click.echo(json.dumps(results_to_json(results), indent=2, ensure_ascii=False))
        return
    relaxed = " (relaxed: dropped " + ", ".join(results.dropped) + ")" if results.relaxed else ""
    click.echo(f"{results.total} results in {results.took_ms} ms{relaxed}")
    if results.corrections:
        fixed = ", ".join(f"{c.typed} as {c.word}" for c in results.corrections)
        click.echo(f"Searched {fixed}")
    if results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}")
    start = (request.page - 1) * request.per_page
    for rank, hit in enumerate(results.hits, start + 1):
        date = hit.doc.get("published_at") or "undated"
        click.echo(f"{rank:3}. {hit.doc['title']}  [{hit.doc['slug']}, {date}, {hit.score:.2f}]")


@main.command("unknown-tickers")
@index_option
@click.option("--limit", default=50, show_default=True, help="How many symbols to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@reports_errors
def unknown_tickers_command(index_dir: Path | None, limit: int, as_json: bool) -> None:
    """List ticker symbols in articles that match no known company."""
    from dataclasses import asdict

    from searchsvc.quality.unknowns import unknown_symbols
    from searchsvc.query.handle import IndexHandle

    settings = load_settings({"INDEX_DIR": index_dir})
    handle = IndexHandle.open(settings["INDEX_DIR"])
    try:
        found = unknown_symbols(handle.current(), limit)
    finally:
        handle.close()
    if as_json:
        click.echo(json.dumps([asdict(u) for u in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("No unknown symbols: every ticker found in the articles is in the dictionary.")
        return
    click.echo(f"{'symbol':<12}{'articles':>9}{'mentions':>10}  examples")
    for u in found:
        click.echo(f"{u.symbol:<12}{u.articles:>9}{u.mentions:>10}  {', '.join(u.examples)}")
    click.echo("Add the companies you recognise to the file named by SEARCHSVC_COMPANIES_FILE.")


def default_workers() -> int:
    """One worker per CPU this process may run on: searches are CPU-bound, so more only add
    memory, start time and p99 (benchmarks/workers.py; README, "Serving it")."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@main.command("serve")
@content_option
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes [one per CPU].")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Request threads per worker (idle connections hold none; see searchsvc.server).",
)
@reports_errors
def serve_command(
    content: Path | None,
    index_dir: Path | None,
    host: str,
    port: int,
    workers: int | None,
    threads: int,
) -> None:
    """Serve the HTTP API with gunicorn, indexing the content folder first if needed."""
    from searchsvc.entities.dictionary import companies_for
    from searchsvc.indexing.build import build_index
    from searchsvc.indexing.layout import read_manifest
    from searchsvc.server import run_gunicorn

    settings = load_settings({"CONTENT_DIR": content, "INDEX_DIR": index_dir})
    # read the companies file here: in a worker, a bad one is a boot failure, not a message
    companies_for(settings["COMPANIES_FILE"])
    if read_manifest(settings["INDEX_DIR"]) is None:
        click.echo(f"No index in {settings['INDEX_DIR']}: indexing {settings['CONTENT_DIR']} first")
        report = build_index(
            settings["CONTENT_DIR"],
            settings["INDEX_DIR"],
            companies_file=settings["COMPANIES_FILE"],
        )
        click.echo(f"Indexed {report.documents} articles ({len(report.errors)} skipped)")
    workers = workers or default_workers()
    click.echo(f"Serving on http://{host}:{port} with {workers} workers x {threads} threads")
    # the folders as resolved here, given to every worker's create_app (not the environment)
    folders = {"CONTENT_DIR": settings["CONTENT_DIR"], "INDEX_DIR": settings["INDEX_DIR"]}
    run_gunicorn(host, port, workers, threads, app_config=folders)


@main.command("relevance")
@click.argument("judgments", type=click.Path(path_type=Path))
@index_option
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Compare with this saved run; exit 1 when a query drops by more than --threshold.",
)
@click.option(
    "--save-baseline",
    type=click.Path(path_type=Path),
    help="Save this run as the new baseline (JSON) after printing it.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(min=0),
    default=0.05,
    show_default=True,
    help="Largest drop of a query's nDCG@10, MRR or recall@10 that is not a regression.",
)
@match_option("Search mode the queries run with, as in `searchsvc search`.")
@click.option("--json", "as_json", is_flag=True, help="Print the run (and comparison) as JSON.")
@reports_errors
def relevance_command(
    judgments: Path,
    index_dir: Path | None,
    baseline: Path | None,
    save_baseline: Path | None,
    threshold: float,
    match: str,
    as_json: bool,
) -> None:
    """Score the engine on graded judgments: nDCG@10, MRR and recall@10 per query.

    JUDGMENTS is a TSV file of `query<TAB>slug<TAB>grade` lines (grade 0-3, `#` comments).
    With --baseline the run is compared with a saved one and exits 1 on a regression."""
    from searchsvc.entities.dictionary import companies_for
    from searchsvc.quality import baseline as baselines
    from searchsvc.quality import relevance
    from searchsvc.quality.report import relevance_lines
    from searchsvc.query.handle import IndexHandle

    settings = load_settings({"INDEX_DIR": index_dir})
    judged = relevance.read_judgments(judgments)
    saved = baselines.load_baseline(baseline) if baseline else None
    handle = IndexHandle.open(settings["INDEX_DIR"])
    try:
        run = relevance.evaluate(
            handle, judged, companies_for(settings["COMPANIES_FILE"]), match=match
        )
    finally:
        handle.close()
    comparison = baselines.compare(run, saved, threshold) if saved else None
    if as_json:
        data = run.to_json()
        if comparison is not None:
            data["comparison"] = baselines.comparison_to_json(comparison)
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        for line in relevance_lines(run, comparison):
            click.echo(line)
    if save_baseline:
        baselines.save_baseline(run, save_baseline)
        click.echo(f"Saved the baseline to {save_baseline} ({len(run.queries)} queries)", err=True)
    if comparison is not None:
        comparison.check()


if __name__ == "__main__":  # python -m searchsvc.cli
    main()
