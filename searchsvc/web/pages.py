"""The reader-facing pages: the search page (``/`` and ``/search``) and ``/widget.js``.

The search page is rendered on the server from the same search as ``/api/search`` (same
parameter names, so every state of the page is a URL), and works without JavaScript: a
GET form whose checkboxes are the facets. With JavaScript (static/search.js, a plain
module, no build step) it searches as the reader types through the JSON API, offers
/api/suggest's completions as a combobox, and keeps the URL in step with the History API.

Safety: a strict Content-Security-Policy (scripts and styles from this origin only, no
inline script or style). The template autoescapes every article string; the only markup
it inserts unescaped is the API's highlights, which are escaped text plus ``<mark>``.
search.js and widget.js write article text with ``textContent`` and build ``<mark>``
elements themselves from that markup, never ``innerHTML``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, send_from_directory

from searchsvc.errors import BadParameter
from searchsvc.query.results import results_to_json
from searchsvc.web import caching
from searchsvc.web.api import SEARCH_MAX_AGE, search_request_from_args
from searchsvc.web.args import SEARCH
from searchsvc.web.pageview import DEFAULT_ARTICLE_URL, page_view
from searchsvc.web.popular import popular_fingerprint, popular_of
from searchsvc.web.querylog import record_search
from searchsvc.web.service import service
from searchsvc.web.spec import HTML, Operation, Reply, describe

STATIC = Path(__file__).parent / "static"
POPULAR_SHOWN = 8  # popular searches offered by an empty result
# the page's scripts, stylesheet and the widget: reused for 5 minutes, then revalidated by
# their file's own ETag (a deploy reaches readers within that)
ASSET_MAX_AGE = 300
ASSETS = frozenset({"static", "widget"})

bp = Blueprint(
    "pages",
    __name__,
    static_folder="static",
    static_url_path="/assets",
    template_folder="templates",
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


PAGE = Reply(
    "The search page: the form, the hits, the facets as checkboxes, the pages.",
    HTML,
    media_type="text/html",
)


@bp.get("/")
@bp.get("/search")
@describe(
    Operation(
        "The search page",
        PAGE,
        description="Server-rendered from the same search as GET /api/search, with the same "
        "parameters; instant as the reader types when its script runs.",
        params=SEARCH,
        replies={
            400: Reply("The page, with the bad parameter's message.", HTML, media_type="text/html")
        },
        errors=(503,),
        tag="pages",
    )
)
def search_page() -> tuple[str, int]:
    """The search page for the request's /api/search parameters (none: every article)."""
    settings = current_app.config
    try:
        search_request = search_request_from_args()
    except BadParameter as exc:
        # a hand-edited URL: the page, with the message where the results would be
        return render_template("search.html", view=None, error=exc.message, **_site()), 400
    results = service().search(search_request)
    record_search(results)
    response = results_to_json(results)
    popular = [] if response["total"] else popular_of(current_app).current()[:POPULAR_SHOWN]
    view = page_view(
        response,
        request.args,
        path=request.path,
        article_template=settings["ARTICLE_URL"],
        popular=[q for q, _ in popular],
    )
    return render_template("search.html", view=view, error=None, **_site()), 200


@bp.get("/widget.js")
@describe(
    Operation(
        "The search widget",
        Reply(
            'The script: <script src=".../widget.js" data-input="#q" defer></script>.',
            {"type": "string"},
            media_type="text/javascript",
        ),
        tag="pages",
    )
)
def widget() -> Response:
    """The drop-in script: ``<script src=".../widget.js" data-input="#q" defer>``."""
    return send_from_directory(STATIC, "widget.js", mimetype="text/javascript")


def _site() -> dict[str, str | None]:
    settings = current_app.config
    return {
        "site_name": settings["SITE_NAME"],
        "site_url": settings["SITE_URL"],
        "article_template": settings["ARTICLE_URL"] or DEFAULT_ARTICLE_URL,
    }


@bp.after_request
def _page_headers(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers.update(PAGE_HEADERS)
    if (request.endpoint or "").rpartition(".")[2] in ASSETS and response.status_code == 200:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ASSET_MAX_AGE
    return response


# the page as /api/search is cached; an empty result shows popular searches too. Assets
# keep the ETag and Last-Modified of their file (send_file answers If-None-Match itself).
caching.init_blueprint(
    bp,
    max_age=SEARCH_MAX_AGE,
    also=popular_fingerprint,
    endpoints={name: None for name in ASSETS},
)
