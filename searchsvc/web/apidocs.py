"""GET /api/openapi.json, the OpenAPI document (web/openapi.py), and GET /api/docs, the
same document as a page to read: every endpoint, its parameters (name, where, type,
default, allowed values), its request body and its responses, and the shared schemas.

The page is rendered on the server from the document, with no script and no style at
all (its Content-Security-Policy allows none); both are built once per app.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template

from searchsvc.web import schemas
from searchsvc.web.openapi import build_document
from searchsvc.web.spec import HTML, Operation, Reply, Schema, describe

bp = Blueprint("apidocs", __name__, template_folder="templates")
EXTENSION = "searchsvc_openapi"
DEPTH = 3  # levels of nested keys the page lists under a schema
METHODS = ("get", "post", "put", "patch", "delete")
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def document_of(app: Flask) -> dict[str, Any]:
    """The app's document, built on first use (every blueprint is registered by then)."""
    cached: dict[str, Any] | None = app.extensions.get(EXTENSION)
    if cached is None:
        document = build_document(app)
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        cached = app.extensions[EXTENSION] = {"document": document, "json": body, "page": None}
    return cached


@bp.get("/api/openapi.json")
@describe(
    Operation(
        "This OpenAPI document",
        Reply("The OpenAPI 3.1 document of every endpoint.", schemas.OPENAPI_DOCUMENT),
        tag="documentation",
    )
)
def openapi_json() -> Response:
    return Response(document_of(current_app)["json"], mimetype="application/json")


@bp.get("/api/docs")
@describe(
    Operation(
        "The API's documentation",
        Reply("This document as a page to read.", HTML, media_type="text/html"),
        tag="documentation",
    )
)
def docs() -> Response:
    cached = document_of(current_app)
    if cached["page"] is None:
        cached["page"] = render_template("apidocs.html", **page_view(cached["document"]))
    return Response(cached["page"], mimetype="text/html", headers=PAGE_HEADERS)


# --- the page's view of the document ----------------------------------------------------------


def page_view(document: dict[str, Any]) -> dict[str, Any]:
    """What apidocs.html shows: the document's operations, and its schemas, as rows."""
    operations = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                operations.append(_operation_view(path, method, item[method]))
    components = document.get("components", {})
    return {
        "info": document["info"],
        "operations": operations,
        "schemas": [
            {"name": name, "rows": fields(schema)}
            for name, schema in components.get("schemas", {}).items()
        ],
        "errors": [
            {"name": name, "description": response["description"]}
            for name, response in components.get("responses", {}).items()
        ],
    }


def _operation_view(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    body = op.get("requestBody")
    return {
        "id": op["operationId"],
        "method": method.upper(),
        "path": path,
        "summary": op["summary"],
        "description": op.get("description", ""),
        "admin": "security" in op,
        "params": [
            {
                "name": p["name"],
                "in": p["in"],
                "type": type_of(p["schema"]),
                "default": _shown(p["schema"].get("default")),
                "allowed": allowed(p["schema"]),
                "required": p["required"],
                "description": p["description"],
            }
            for p in op.get("parameters", [])
        ],
        "body": body
        and {
            "description": body["description"],
            "required": body["required"],
            "media_types": list(body["content"]),
            "rows": fields(next(iter(body["content"].values()))["schema"]),
        },
        "responses": [
            _response_view(status, response) for status, response in op["responses"].items()
        ],
    }


def _response_view(status: str, response: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in response:  # a shared error response
        name = _name(response["$ref"])
        return {"status": status, "description": "", "media_type": "", "error": name}
    content = response.get("content", {})
    media, schema = next(iter(content.items()), ("", {"schema": None}))
    schema = schema["schema"]
    return {
        "status": status,
        "description": response["description"],
        "media_type": media,
        "schema": _name(schema["$ref"]) if schema and "$ref" in schema else None,
        "rows": fields(schema) if schema and "$ref" not in schema else [],
    }


def fields(schema: Schema, prefix: str = "", depth: int = 0) -> list[dict[str, Any]]:
    """An object schema's keys, nested ones as ``hits[].slug``: name, type, required."""
    rows: list[dict[str, Any]] = []
    required = set(schema.get("required", ()))
    for key, sub in schema.get("properties", {}).items():
        name = prefix + key
        rows.append(
            {
                "name": name,
                "type": type_of(sub),
                "required": key in required,
                "allowed": allowed(sub),
                "description": sub.get("description", ""),
            }
        )
        inner = sub.get("items", sub) if _is_type(sub, "array") else sub
        if depth + 1 < DEPTH and "properties" in inner:
            rows.extend(fields(inner, name + ("[]." if inner is not sub else "."), depth + 1))
    return rows


def type_of(schema: Schema) -> str:
    """A schema's type in a few words: ``array of string``, ``string or null``."""
    if "$ref" in schema:
        return _name(schema["$ref"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(type_of(s) for s in schema[key])
    if "const" in schema:
        return json.dumps(schema["const"])
    kinds = schema.get("type")
    names = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    return " or ".join(_type_word(schema, kind) for kind in names) or (
        _type_word(schema, "object") if "additionalProperties" in schema else "any"
    )


def _type_word(schema: Schema, kind: str) -> str:
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    values = schema.get("additionalProperties")
    if kind == "object" and isinstance(values, dict) and values:
        return f"object of {type_of(values)}"
    return kind


def allowed(schema: Schema) -> str:
    """The values a schema allows, when it narrows its type: ``1 to 50``, ``a, b``."""
    if _is_type(schema, "array"):
        schema = schema.get("items", {})
    parts = []
    if "enum" in schema:
        parts.append(", ".join(_shown(v) for v in schema["enum"]))
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        parts.append(f"{low} to {high}")
    elif low is not None:
        parts.append(f"{low} or more")
    if "maxLength" in schema:
        parts.append(f"at most {schema['maxLength']} characters")
    if "format" in schema:
        parts.append(schema["format"])
    elif "pattern" in schema:
        parts.append(f"matching {schema['pattern']}")
    return "; ".join(parts)


def _is_type(schema: Schema, kind: str) -> bool:
    kinds = schema.get("type")
    return kinds == kind or (isinstance(kinds, list) and kind in kinds)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]
