"""What the search page shows, as plain data: one search response (the /api/search JSON)
and the request's arguments in, the page's parts out (hits with their links, facets as
checkboxes, pages, the corrections line, the empty state).

Pure functions, no Flask: the template renders a PageView, and the page's script renders
the same JSON in the browser with the same rules (search.js)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from werkzeug.datastructures import MultiDict

# each facet of the API, the parameter that filters by it, and its heading on the page
FACETS: tuple[tuple[str, str, str], ...] = (
    ("tags", "tag", "Tags"),
    ("category", "category", "Category"),
    ("tickers", "ticker", "Companies"),
    ("author", "author", "Author"),
    ("year", "year", "Year"),
)
SORT_LABELS = {"relevance": "Relevance", "newest": "Newest first", "oldest": "Oldest first"}
PAGE_LINKS = 7  # at most this many numbered page links around the current page
# parameters the page's form has no control for: kept as hidden inputs so that a new
# query keeps them (page is not: a new query starts on page 1)
CARRIED = ("match", "per_page", "typos", "prefix", "facets", "strict")
DEFAULT_ARTICLE_URL = "/api/articles/{slug}"


@dataclass(frozen=True)
class FacetOption:
    value: str
    label: str
    count: int | None  # None: a ticked value the facet no longer lists
    checked: bool


@dataclass(frozen=True)
class FacetGroup:
    name: str
    param: str
    title: str
    options: tuple[FacetOption, ...]


@dataclass(frozen=True)
class PageLink:
    label: str
    url: str | None  # None: the current page (or a gap), not a link
    rel: str | None = None


@dataclass(frozen=True)
class ResultView:
    slug: str
    url: str
    title_html: str  # the API's escaped highlight: text plus <mark> only
    passage_html: str
    published_at: str | None
    category: str | None
    companies: tuple[tuple[str, str], ...]  # (symbol, name)


@dataclass(frozen=True)
class PageView:
    query: str
    total: int
    took_ms: float
    hits: tuple[ResultView, ...]
    facets: tuple[FacetGroup, ...]
    pages: tuple[PageLink, ...]
    sort: str
    date_from: str
    date_to: str
    corrections: tuple[tuple[str, str], ...]  # (typed, searched as)
    suggestion: tuple[str, str] | None  # (the suggested query, its URL)
    relaxed: tuple[str, ...]  # words left out because nothing had them all
    popular: tuple[tuple[str, str], ...]  # (query, URL) for the empty state
    hidden: tuple[tuple[str, str], ...]  # CARRIED parameters as (name, value)
    first: int  # rank of the first hit shown
    filtered: bool = False  # any filter ticked: the empty state offers to clear them
    clear_url: str = field(default="")


def article_url(hit: dict[str, Any], template: str | None) -> str:
    """Where a result links: the article's own url, else the template with its slug."""
    if hit.get("url"):
        return str(hit["url"])
    return (template or DEFAULT_ARTICLE_URL).replace("{slug}", quote(hit["slug"], safe=""))


def search_url(path: str, pairs: Iterable[tuple[str, str]]) -> str:
    """``path?…`` with the pairs in order, empty values left out (a shareable URL)."""
    query = urlencode([(k, v) for k, v in pairs if v != ""])
    return f"{path}?{query}" if query else path


def _with(args: MultiDict[str, str], **changes: str | None) -> list[tuple[str, str]]:
    """The request's arguments with some replaced (None removes one)."""
    pairs = [(k, v) for k, v in args.items(multi=True) if k not in changes]
    return pairs + [(k, v) for k, v in changes.items() if v is not None]


def facet_groups(
    facets: dict[str, list[dict[str, Any]]], args: MultiDict[str, str]
) -> tuple[FacetGroup, ...]:
    """Each facet as checkboxes: its values with their (disjunctive) counts, ticked when
    the request filters by them; a ticked value the facet no longer lists stays shown."""
    groups = []
    for name, param, title in FACETS:
        if name not in facets:
            continue
        ticked = [v for v in args.getlist(param) if v.strip()]
        folded = {v.casefold() for v in ticked}
        options = []
        for entry in facets[name]:
            value = str(entry["value"])
            label = f"{entry['label']} ({value})" if entry.get("label") else value
            options.append(FacetOption(value, label, entry["count"], value.casefold() in folded))
        listed = {o.value.casefold() for o in options}
        options += [FacetOption(v, v, None, True) for v in ticked if v.casefold() not in listed]
        if options:
            groups.append(FacetGroup(name, param, title, tuple(options)))
    return tuple(groups)


def page_links(
    path: str, args: MultiDict[str, str], total: int, page: int, per_page: int
) -> tuple[PageLink, ...]:
    """Previous, numbered pages around the current one (first and last always), next."""
    last = max(1, -(-min(total, 10_000) // per_page))
    if last == 1:
        return ()

    def link(number: int) -> str:
        return search_url(path, _with(args, page=None if number == 1 else str(number)))

    half = PAGE_LINKS // 2
    low, high = max(1, page - half), min(last, page + half)
    shown = sorted({1, last, *range(low, high + 1)})
    links = [PageLink("Previous", link(page - 1) if page > 1 else None, "prev")]
    for before, number in zip([0, *shown], shown, strict=False):
        if number - before > 1:
            links.append(PageLink("…", None))
        links.append(PageLink(str(number), None if number == page else link(number)))
    links.append(PageLink("Next", link(page + 1) if page < last else None, "next"))
    return tuple(links)


def page_view(
    response: dict[str, Any],
    args: MultiDict[str, str],
    *,
    path: str,
    article_template: str | None,
    popular: Iterable[str] = (),
) -> PageView:
    """The page for one search response and the arguments that asked for it."""
    filters = [param for _, param, _ in FACETS] + ["from", "to"]
    filtered = any(args.get(name, "").strip() for name in filters)
    suggestion = response.get("suggestion")
    hits = tuple(
        ResultView(
            slug=hit["slug"],
            url=article_url(hit, article_template),
            title_html=hit["highlights"].get("title") or "",
            passage_html=hit["highlights"].get("body") or "",
            published_at=hit.get("published_at"),
            category=hit.get("category"),
            companies=tuple((t["symbol"], t["name"]) for t in hit["tickers"]),
        )
        for hit in response["hits"]
    )
    return PageView(
        query=response["query"],
        total=response["total"],
        took_ms=response["took_ms"],
        hits=hits,
        facets=facet_groups(response["facets"], args),
        pages=page_links(path, args, response["total"], response["page"], response["per_page"]),
        sort=args.get("sort") or "relevance",
        date_from=args.get("from", ""),
        date_to=args.get("to", ""),
        corrections=tuple((c["from"], c["to"]) for c in response.get("corrections", [])),
        suggestion=(
            (suggestion, search_url(path, _with(args, q=suggestion, page=None)))
            if suggestion
            else None
        ),
        relaxed=tuple(response.get("dropped", [])) if response.get("relaxed") else (),
        popular=tuple((q, search_url(path, [("q", q)])) for q in popular),
        hidden=tuple((k, v) for k in CARRIED for v in args.getlist(k) if v != ""),
        first=(response["page"] - 1) * response["per_page"] + 1,
        filtered=filtered,
        clear_url=search_url(path, [("q", response["query"])]),
    )
