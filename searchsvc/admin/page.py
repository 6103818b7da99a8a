"""GET /admin/: the admin page, one HTML shell plus admin.js and admin.css.

The shell holds no data: the page asks for the admin token, keeps it in the tab's
sessionStorage, and calls the JSON endpoints (/admin/explain, /admin/stats,
/admin/queries) with `Authorization: Bearer …`. A browser navigation cannot send that
header, so the shell and its two static files are the only /admin URLs the gate in
searchsvc.admin.auth lets through without the token (`PUBLIC_PATHS`: GET/HEAD, and only while
admin is enabled; admin off is a 404 here as everywhere under /admin).

Every response of this blueprint carries a strict Content-Security-Policy: scripts,
styles and fetches from this origin only, no inline script or style, no plugins, no
framing, no form submissions (the page's forms are handled by admin.js; should the
script fail, a form cannot send the token field anywhere in a URL). admin.js writes
every server-provided string with `textContent`, never as HTML.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from searchsvc.web.spec import HTML, Operation, Reply, describe

bp = Blueprint(
    "admin_page",
    __name__,
    url_prefix="/admin",
    static_folder="static",
    static_url_path="/static",
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
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@bp.get("/")
@describe(
    Operation(
        "The admin page",
        Reply(
            "The page's HTML shell: no data, it asks for the token.", HTML, media_type="text/html"
        ),
        description="Loads without the token (a browser navigation cannot send one); 404 "
        "while admin is off.",
        errors=(404,),
        tag="admin",
    )
)
def page() -> str:
    return render_template("admin.html")


@bp.after_request
def _security_headers(response: Response) -> Response:
    # the shell and the blueprint's static files alike
    response.headers.update(SECURITY_HEADERS)
    return response
