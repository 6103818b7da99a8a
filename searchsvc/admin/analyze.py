"""GET|POST /admin/analyze: a field's analyzer replayed token by token
(indexing.replay.explain_analysis), for a text given in the query string or the body.

Under /admin, so the app-level gate (admin/auth.py) protects it like every admin URL.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request

from searchsvc.admin import schemas
from searchsvc.errors import BadParameter
from searchsvc.indexing.analysis import VALUE_SEPARATOR
from searchsvc.indexing.replay import (
    TokenStep,
    analyzable_fields,
    describe_analyzer,
    explain_analysis,
)
from searchsvc.web.spec import STRING, Body, Operation, Param, Reply, describe, obj, one_of

bp = Blueprint("admin_analyze", __name__, url_prefix="/admin")

MAX_TEXT_BYTES = 100 * 1024  # text longer than this (UTF-8) is refused
ANALYZE_KEYS = ("field", "text")
# read by _analyze_params (from the query string, a JSON or a form body alike)
FIELD = Param("field", "The field whose analyzer runs.", enum=analyzable_fields(), required=True)
TEXT = Param(
    "text",
    f"The text to analyse (may be empty), at most {MAX_TEXT_BYTES:,} bytes of UTF-8; for a "
    "value field (tags, category, ...), one value per line.",
    required=True,
)
ANALYZED = Reply("The tokens and terms.", schemas.ANALYZE, name="Analysis")
FIELDS = {"field": one_of(FIELD.enum or ()), "text": STRING}
BODY = Body(
    "field and text, as JSON (no other keys) or as a form (other fields are ignored)",
    obj(FIELDS, additionalProperties=False),
    alternatives={"application/x-www-form-urlencoded": obj(FIELDS)},
)


def _analyze_params() -> tuple[str, str]:
    """(field, text) from the query string (GET) or a JSON/form body (POST)."""
    source: dict[str, Any]
    if request.method == "POST" and request.is_json:
        try:
            body = json.loads(request.get_data(cache=True))
        except ValueError as exc:  # also UnicodeDecodeError
            raise BadParameter(f"the body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise BadParameter(
                f'the body must be an object {{"field": ..., "text": ...}}, '
                f"not {type(body).__name__}"
            )
        unknown = sorted(set(body) - set(ANALYZE_KEYS))
        if unknown:
            raise BadParameter(f"unknown field(s) {', '.join(map(repr, unknown))}; use field, text")
        source = body
    elif request.method == "POST":
        source = request.form.to_dict()
    else:
        source = request.args.to_dict()
    field = source.get("field")
    if field is None or field == "":
        raise BadParameter(f"field is required; one of: {', '.join(analyzable_fields())}")
    if not isinstance(field, str):
        raise BadParameter(f"field must be a string, not {type(field).__name__}")
    text = source.get("text")
    if text is None:
        raise BadParameter("text is required (it may be empty)")
    if not isinstance(text, str):
        raise BadParameter(f"text must be a string, not {type(text).__name__}")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise BadParameter(f"text is {size} bytes; at most {MAX_TEXT_BYTES} are analysed")
    return field, text


def token_to_json(step: TokenStep) -> dict[str, Any]:
    return {
        "text": step.text,
        "position": step.position,
        "start": step.start,
        "end": step.end,
        "normalized": step.normalized,
        "stopword": step.stopword,
        "term": step.term,
        "dropped": step.dropped,
        "filters": list(step.filters),
    }


@bp.route("/analyze", methods=["GET", "POST"])
@describe(
    Operation(
        "Run a field's analyzer",
        ANALYZED,
        description="Tokens with positions, offsets, the filters that changed each, and "
        "why a token was dropped.",
        params=(FIELD, TEXT),
        admin=True,
        tag="admin",
    ),
    Operation(
        "Run a field's analyzer on a text in the body",
        ANALYZED,
        method="POST",
        body=BODY,
        admin=True,
        tag="admin",
    ),
)
def analyze() -> dict[str, Any]:
    field, text = _analyze_params()
    info = describe_analyzer(field)  # BadParameter, listing the fields, for an unknown one
    values = info.name == "ValuesAnalyzer"
    # a value field: one value per line (the indexer joins a document's values with a
    # separator nobody types); one character for another keeps every offset as it was
    steps = explain_analysis(field, text.replace("\n", VALUE_SEPARATOR) if values else text)
    terms = [s.term for s in steps if s.term is not None]
    return {
        "field": field,
        "analyzer": {
            "name": info.name,
            "filters": list(info.filters),
            "positions": info.positions,
            **({"input": "one value per line"} if values else {}),
        },
        "tokens": [token_to_json(s) for s in steps],
        # as the analyzer yields them (spelling: each distinct word once, sorted)
        "terms": sorted(terms) if info.name == "PlainWordAnalyzer" else terms,
    }
