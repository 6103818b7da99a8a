"""GET /api/openapi.json and GET /api/docs (searchsvc/web/openapi.py, apidocs.py): a valid
OpenAPI 3.1 document with every route of the app, whose declared parameters are the ones
the server checks, and a page that reads it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from searchsvc import create_app
from searchsvc.server import GUNICORN_ERROR_CODES
from searchsvc.web.openapi import ERRORS, EXEMPT, build_document
from searchsvc.web.spec import Operation, Param, Reply, describe
from tests.conftest import AUTH, TOKEN, error_of

METHODS_LEFT_OUT = {"HEAD", "OPTIONS"}  # Flask adds them to every route


def bare_app() -> Flask:
    """An app whose index is never opened: enough for its routes and its document."""
    return create_app({"INDEX_DIR": "/nonexistent/index", "TESTING": True, "ADMIN_TOKEN": TOKEN})


DOCUMENT = build_document(bare_app())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


@pytest.fixture(scope="module")
def served(admin: FlaskClient) -> dict[str, Any]:
    response = admin.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body: dict[str, Any] = response.get_json()
    return body


def test_the_document_is_valid_openapi_3_1(served: dict[str, Any]) -> None:
    assert served["openapi"] == "3.1.0"
    validate(served)  # raises with what is wrong
    assert served == DOCUMENT  # the same whoever builds it, with or without an index


def test_every_route_is_in_the_document() -> None:
    app = bare_app()
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - METHODS_LEFT_OUT):
            if method.lower() not in DOCUMENT["paths"].get(path, {}):
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "describe these views (web/spec.py) or add them to openapi.EXEMPT"


def test_exemptions_are_routes_and_say_why() -> None:
    endpoints = {rule.endpoint for rule in bare_app().url_map.iter_rules()}
    for endpoint, reason in EXEMPT.items():
        assert endpoint in endpoints, f"{endpoint} is exempt but no longer a route"
        assert len(reason) > 20


def test_an_undescribed_route_is_left_out_and_path_variables_must_be_declared() -> None:
    app = Flask(__name__)
    app.add_url_rule("/plain", "plain", lambda: "")
    ok = Reply("ok", {"type": "string"}, media_type="text/plain")
    app.add_url_rule("/bad/<name>", "bad", describe(Operation("no parameter", ok))(lambda: ""))
    with pytest.raises(ValueError, match=r"/bad/\{name\}: path parameters \['name'\]"):
        build_document(app)
    good = describe(Operation("x", ok, params=(Param("name", "n", location="path"),)))
    app.view_functions["bad"] = good(lambda: "")
    document = build_document(app)
    assert list(document["paths"]) == ["/bad/{name}"]
    assert document["paths"]["/bad/{name}"]["get"]["parameters"][0]["required"] is True


def test_one_view_at_two_urls_and_an_answer_of_its_own_for_an_error_status() -> None:
    """The search page's shape: one view under / and /search, whose 400 is a page."""
    app = Flask(__name__)
    html = Reply("a page", {"type": "string"}, media_type="text/html")
    query = (Param("q", "the query", max_length=5),)
    page = describe(Operation("page", html, params=query, replies={400: html}))(lambda: "")
    app.add_url_rule("/", "page", page)
    app.add_url_rule("/search", "page", page)
    document = build_document(app)
    validate(document)
    ids = [document["paths"][p]["get"]["operationId"] for p in ("/", "/search")]
    assert len(set(ids)) == 2
    answers = document["paths"]["/search"]["get"]["responses"]
    assert answers["400"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert answers["414"] == {"$ref": "#/components/responses/UriTooLong"}


def test_admin_operations_need_the_bearer_token(client: FlaskClient) -> None:
    """What the document says about the token is what the server does (client's app has
    admin off: every admin operation is a 404 there; with a token set, a 401 without it)."""
    scheme = DOCUMENT["components"]["securitySchemes"]["adminToken"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
    app = bare_app()
    anonymous = app.test_client()
    for path, method, op in operations(DOCUMENT):
        url = path.replace("{slug}", "some-slug")
        admin = path.startswith("/admin/") and path != "/admin/" or path == "/metrics"
        assert ("security" in op) == admin, path
        if admin:
            response = anonymous.open(url, method=method.upper())
            error_of(response, 401, "unauthorized")
            assert "401" in op["responses"] and "404" in op["responses"], path
            error_of(client.open(url, method=method.upper()), 404, "admin_disabled")


def test_every_error_status_is_the_one_shape() -> None:
    shared = DOCUMENT["components"]["responses"]
    for path, _, op in operations(DOCUMENT):
        for status, response in op["responses"].items():
            if int(status) < 400 or (path, status) == ("/healthz", "503"):
                continue  # /healthz's 503 is its own body: {"status": "unavailable", ...}
            if "application/json" not in response.get("content", {"application/json": 0}):
                continue  # a page's own error page (the search page's 400 is HTML)
            assert response == {"$ref": f"#/components/responses/{ERRORS[int(status)][0]}"}
    for response in shared.values():
        schema = response["content"]["application/json"]["schema"]
        assert schema["allOf"][0] == {"$ref": "#/components/schemas/Error"}
    # the errors `searchsvc serve` answers itself come with the codes documented for them
    for status in (400, 414):
        assert GUNICORN_ERROR_CODES[status] in ERRORS[status][1]


def constraint_cases() -> list[Any]:
    """For each declared limit of a query parameter, a value just past it (refused) and one
    at it (accepted), and the empty value where the document allows it: the document's word
    against the server's."""
    cases = []
    for path, method, op in operations(DOCUMENT):
        if method != "get" or "{" in path:
            continue
        for param in op.get("parameters", []):
            schema = param["schema"]
            schema = schema.get("items", schema)
            name = param["name"]
            pairs: list[tuple[str, str]] = []
            if param.get("allowEmptyValue"):  # an empty value is the default
                pairs.append(("", "ok"))
            if "enum" in schema:
                pairs += [(schema["enum"][-1], "ok"), ("not-" + schema["enum"][0], "refused")]
            if "maximum" in schema:
                top = schema["maximum"]
                pairs += [(str(top), "ok"), (str(top + 1), "refused")]
            if "minimum" in schema:
                pairs += [(str(schema["minimum"]), "ok"), (str(schema["minimum"] - 1), "refused")]
            if "maxLength" in schema:
                pairs += [
                    ("é" * schema["maxLength"], "ok"),
                    ("é" * (schema["maxLength"] + 1), "refused"),
                ]
            for value, outcome in pairs:
                case_id = f"{path}-{name}-{value[:12]}-{outcome}"
                cases.append(pytest.param(path, param, value, outcome, id=case_id))
    return cases


def documented_400(path: str) -> dict[str, Any]:
    answer: dict[str, Any] = DOCUMENT["paths"][path]["get"]["responses"]["400"]
    return answer


@pytest.mark.parametrize(("path", "param", "value", "outcome"), constraint_cases())
def test_declared_limits_are_the_ones_checked(
    admin: FlaskClient, path: str, param: dict[str, Any], value: str, outcome: str
) -> None:
    others = {"field": "body", "text": "x"} if path == "/admin/analyze" else {}
    response = admin.get(path, query_string={**others, param["name"]: value}, headers=AUTH)
    if outcome == "refused" and "$ref" not in documented_400(path):
        assert response.status_code == 400  # a page's own 400 (the search page's)
    elif outcome == "refused":
        message = error_of(response, 400, "bad_parameter")["message"]
        assert param["name"] in message or "facet" in message
    else:
        assert response.status_code == 200, response.get_data(as_text=True)


def test_the_docs_page_reads_the_document(admin: FlaskClient) -> None:
    response = admin.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.get_data(as_text=True)
    assert "<script" not in page and "style=" not in page
    assert 'href="/api/openapi.json"' in page
    for path, method, op in operations(DOCUMENT):
        assert f"<code>{method.upper()} {path}</code>" in page
        for param in op.get("parameters", []):
            assert f"<code>{param['name']}</code>" in page
    # a parameter's row: name, where, type, default, allowed values
    assert re.search(
        r"<td><code>per_page</code></td><td>query</td><td>integer</td><td>10</td><td>1 to 50</td>",
        page,
    )
    assert "relevance, newest, oldest" in page
    for name in DOCUMENT["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
